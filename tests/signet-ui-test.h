/* Finding and answering what the in-process UI tests show: dialogs, toasts,
 * buttons. Header-only, for the tests that link GTK. */
#pragma once

#include <adwaita.h>

#include "signet-test-util.h"

G_BEGIN_DECLS

/* Destroys every window, as a test ends, and lets what that queues run. */
static inline void
signet_ui_destroy_all_windows (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  while (g_list_model_get_n_items (toplevels) > 0)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, 0);
      gtk_window_destroy (window);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The visible message dialog, if one is up. */
static inline AdwMessageDialog *
signet_ui_find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static inline gboolean
signet_ui_dialog_shown (gpointer data)
{
  return signet_ui_find_dialog () != NULL;
}

static inline AdwMessageDialog *
signet_ui_wait_for_dialog (void)
{
  signet_test_wait_until (signet_ui_dialog_shown, NULL);
  return signet_ui_find_dialog ();
}

/* The label (GTK_TYPE_LABEL) or button (GTK_TYPE_BUTTON) under @root that
 * reads exactly @text; a button by its label, mnemonic and all. */
static inline GtkWidget *
signet_ui_find_widget (GtkWidget *root, GType type, const char *text)
{
  const char *shown = NULL;

  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    shown = GTK_IS_LABEL (root) ? gtk_label_get_text (GTK_LABEL (root))
          : GTK_IS_BUTTON (root) ? gtk_button_get_label (GTK_BUTTON (root)) : NULL;
  if (shown != NULL && g_strcmp0 (shown, text) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = signet_ui_find_widget (c, type, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Clicks the response button labelled @label, as a user would: the dialog
 * closes, then answers. */
static inline void
signet_ui_click_response (AdwMessageDialog *dialog, const char *label)
{
  GtkWidget *button = signet_ui_find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static inline void
signet_ui_check_mnemonics (GtkWidget *widget, GHashTable *taken)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget) && gtk_label_get_mnemonic_keyval (GTK_LABEL (widget)) != GDK_KEY_VoidSymbol)
    {
      guint key = gdk_keyval_to_lower (gtk_label_get_mnemonic_keyval (GTK_LABEL (widget)));
      const char *label = gtk_label_get_label (GTK_LABEL (widget));
      const char *other = g_hash_table_lookup (taken, GUINT_TO_POINTER (key));

      if (other != NULL)
        g_error ("Alt+%s is both \"%s\" and \"%s\"", gdk_keyval_name (key), other, label);
      g_test_message ("Alt+%s: %s", gdk_keyval_name (key), label);
      g_hash_table_insert (taken, GUINT_TO_POINTER (key), (gpointer) label);
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    signet_ui_check_mnemonics (c, taken);
}

/* No two controls on screen in @root share an Alt key: GTK would only move
 * the focus between them, and a key pressed next would go to the wrong one
 * (Enter on Cancel, meant for a recipient field). Returns how many Alt keys
 * are in use. */
static inline guint
signet_ui_assert_mnemonics_unique (GtkWidget *root)
{
  g_autoptr(GHashTable) taken = g_hash_table_new (NULL, NULL);

  signet_ui_check_mnemonics (root, taken);
  return g_hash_table_size (taken);
}

G_END_DECLS
