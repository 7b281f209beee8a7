#include <adwaita.h>
#include <string.h>

#include "signet-key-picker.h"
#include "signet-test-util.h"

static char *homedir;

typedef struct {
  char  *fingerprint;
  gint64 created;
} GpgKey;

/* @email's keys as gpg lists them: fingerprint and creation time. */
static GArray *
gpg_keys (const char *email)
{
  const char *args[] = { "--with-colons", "--list-keys", NULL };
  g_autofree char *listing = signet_test_gpg_output (homedir, args, email, TRUE);
  g_auto(GStrv) lines = g_strsplit (listing, "\n", -1);
  GArray *keys = g_array_new (FALSE, TRUE, sizeof (GpgKey));
  gint64 created = -1;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ":", -1);

      if (g_strv_length (fields) < 10)
        continue;
      if (g_str_equal (fields[0], "pub"))
        created = g_ascii_strtoll (fields[5], NULL, 10);
      else if (created >= 0 && g_str_equal (fields[0], "fpr"))
        {
          GpgKey key = { g_strdup (fields[9]), created };
          g_array_append_val (keys, key);
          created = -1;
        }
    }
  return keys;
}

static void
gpg_keys_free (GArray *keys)
{
  for (guint i = 0; i < keys->len; i++)
    g_free (g_array_index (keys, GpgKey, i).fingerprint);
  g_array_unref (keys);
}

static GtkWidget *
child (SignetKeyPicker *picker, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (picker), SIGNET_TYPE_KEY_PICKER, name));
}

static gboolean
settled (gpointer data)
{
  const char *page = gtk_stack_get_visible_child_name (GTK_STACK (child (data, "stack")));
  return g_strcmp0 (page, "loading") != 0;
}

/* The picker for @email, shown, once its keys are listed. */
static SignetKeyPicker *
open_picker (SignetKeyDirectory *directory, const char *email)
{
  SignetKeyPicker *picker = signet_key_picker_new (NULL, directory, email);

  gtk_window_present (GTK_WINDOW (picker));
  signet_test_wait_until (settled, picker);
  return picker;
}

static GPtrArray *
rows (SignetKeyPicker *picker)
{
  GPtrArray *found = g_ptr_array_new ();

  for (GtkWidget *c = gtk_widget_get_first_child (child (picker, "list_box")); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (ADW_IS_ACTION_ROW (c))
      g_ptr_array_add (found, c);
  return found;
}

static GtkCheckButton *
row_check (gpointer row)
{
  return GTK_CHECK_BUTTON (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row)));
}

/* The row that shows @fingerprint, grouped. */
static GtkWidget *
row_for (SignetKeyPicker *picker, const char *fingerprint)
{
  g_autoptr(GPtrArray) all = rows (picker);
  g_autofree char *grouped = signet_key_picker_format_fingerprint (fingerprint);

  for (guint i = 0; i < all->len; i++)
    if (strstr (adw_action_row_get_subtitle (g_ptr_array_index (all, i)), grouped) != NULL)
      return g_ptr_array_index (all, i);
  return NULL;
}

static void
on_chosen (SignetKeyPicker *picker, const char *fingerprint, GPtrArray *chosen)
{
  g_ptr_array_add (chosen, g_strdup (fingerprint));
}

static gboolean
picker_open (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);
      if (SIGNET_IS_KEY_PICKER (window))
        return TRUE;
    }
  return FALSE;
}

static void
test_format (void)
{
  g_autofree char *grouped = signet_key_picker_format_fingerprint ("0123456789abcdef0123456789ABCDEF01234567");

  g_assert_cmpstr (grouped, ==, "0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567");
}

/* Both keys of the ambiguous address, each with its user ID, grouped
 * fingerprint and dates; choosing one says which, remembers it for the
 * address and closes the picker. */
static void
test_choose (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, network);
  g_autoptr(GPtrArray) chosen = g_ptr_array_new_with_free_func (g_free);
  GArray *keys = gpg_keys ("dup@example.org");
  SignetKeyPicker *picker = open_picker (directory, "dup@example.org");
  GtkWidget *use = child (picker, "use_button");
  g_autoptr(GPtrArray) all = rows (picker);
  const char *wanted = NULL;

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (picker)), ==, "Choose a Key for dup@example.org");
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (child (picker, "intro_label"))),
                                   "Several keys belong to this address."));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (picker)));
  g_assert_cmpuint (keys->len, ==, 2);
  g_assert_cmpuint (all->len, ==, 2);
  for (guint i = 0; i < keys->len; i++)
    {
      GpgKey *key = &g_array_index (keys, GpgKey, i);
      GtkWidget *row = row_for (picker, key->fingerprint);
      g_autoptr(GDateTime) date = g_date_time_new_from_unix_local (key->created);
      g_autofree char *day = g_date_time_format (date, "%-d %B %Y");
      g_autofree char *dates = g_strdup_printf ("Created %s, does not expire", day);

      g_assert_nonnull (row);
      g_test_message ("%s\n%s", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                      adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
      g_assert_true (g_str_has_suffix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), " <dup@example.org>"));
      g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), dates));
      g_assert_true (gtk_widget_get_sensitive (row));
      g_assert_false (gtk_check_button_get_active (row_check (row)));
    }
  /* Nothing is chosen for the user. */
  g_assert_false (gtk_widget_get_sensitive (use));

  g_signal_connect (picker, "chosen", G_CALLBACK (on_chosen), chosen);
  wanted = g_array_index (keys, GpgKey, 1).fingerprint;
  g_assert_true (gtk_widget_activate (row_for (picker, wanted)));
  g_assert_true (gtk_check_button_get_active (row_check (row_for (picker, wanted))));
  g_assert_true (gtk_widget_get_sensitive (use));
  g_signal_emit_by_name (use, "clicked");
  g_assert_cmpuint (chosen->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (chosen, 0), ==, wanted);
  g_assert_false (picker_open ());
  {
    g_autofree char *kept = signet_key_directory_dup_choice (directory, "DUP@example.org");
    g_autofree char *used = signet_test_fingerprint (directory, "dup@example.org");

    g_assert_cmpstr (kept, ==, wanted);
    g_assert_cmpstr (used, ==, wanted);
  }

  /* Opened again, the remembered key is ticked. */
  picker = open_picker (directory, "dup@example.org");
  g_assert_true (gtk_check_button_get_active (row_check (row_for (picker, wanted))));
  g_assert_true (gtk_widget_get_sensitive (child (picker, "use_button")));
  gtk_window_destroy (GTK_WINDOW (picker));
  signet_key_directory_set_choice (directory, "dup@example.org", NULL);
  gpg_keys_free (keys);
}

/* Cancel, after a key was ticked, says nothing and remembers nothing. */
static void
test_cancel (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, network);
  g_autoptr(GPtrArray) chosen = g_ptr_array_new_with_free_func (g_free);
  SignetKeyPicker *picker = open_picker (directory, "dup@example.org");
  g_autoptr(GPtrArray) all = rows (picker);

  g_signal_connect (picker, "chosen", G_CALLBACK (on_chosen), chosen);
  g_assert_true (gtk_widget_activate (g_ptr_array_index (all, 0)));
  g_signal_emit_by_name (child (picker, "cancel_button"), "clicked");
  g_assert_false (picker_open ());
  g_assert_cmpuint (chosen->len, ==, 0);
  g_assert_null (signet_key_directory_dup_choice (directory, "dup@example.org"));

  /* Closed while the keys are still being listed: nothing happens later. */
  picker = signet_key_picker_new (NULL, directory, "dup@example.org");
  g_signal_connect (picker, "chosen", G_CALLBACK (on_chosen), chosen);
  gtk_window_destroy (GTK_WINDOW (picker));
  for (guint i = 0; i < 200; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpuint (chosen->len, ==, 0);
}

/* A key that cannot be used is shown greyed out, with the reason. */
static void
test_unusable (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, network);
  SignetKeyPicker *picker = open_picker (directory, "stranger@example.org");
  g_autoptr(GPtrArray) all = rows (picker);
  GtkWidget *row;

  g_assert_cmpuint (all->len, ==, 1);
  row = g_ptr_array_index (all, 0);
  g_assert_false (gtk_widget_get_sensitive (row));
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "\nThe sealing key is not trusted: it is not certified as belonging to this address"));
  g_assert_false (gtk_widget_get_sensitive (child (picker, "use_button")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (picker, "intro_label"))), ==,
                   "None of the keys for this address can be used to seal messages.");
  gtk_window_destroy (GTK_WINDOW (picker));

  /* Offline, key management is unavailable: the picker says so. */
  signet_network_set_work_offline (network, TRUE);
  picker = open_picker (directory, "dup@example.org");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (picker, "stack"))), ==, "error");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (child (picker, "error_page"))), ==,
                   "The client operation failed. The recipients could not be validated.");
  gtk_window_destroy (GTK_WINDOW (picker));
}

int
main (int argc, char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
  g_test_add_func ("/key-picker/format", test_format);
  g_test_add_func ("/key-picker/choose", test_choose);
  g_test_add_func ("/key-picker/cancel", test_cancel);
  g_test_add_func ("/key-picker/unusable", test_unusable);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
