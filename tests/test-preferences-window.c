#include <adwaita.h>

#include "config.h"
#include "signet-preferences-window.h"

static GtkWidget *
child (GtkWidget *window, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (window, SIGNET_TYPE_PREFERENCES_WINDOW, name));
}

static void
test_identity (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  SignetPreferencesWindow *window;
  GtkWidget *row;

  g_settings_set_string (settings, "identity", "Old <old@example.org>");
  window = signet_preferences_window_new (NULL, settings);
  gtk_window_present (GTK_WINDOW (window));
  row = child (GTK_WIDGET (window), "identity_row");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "Old <old@example.org>");

  /* Not an address: refused, marked, nothing saved. */
  gtk_editable_set_text (GTK_EDITABLE (row), "Sam Sender");
  g_signal_emit_by_name (row, "apply");
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  {
    g_autofree char *kept = g_settings_get_string (settings, "identity");
    g_assert_cmpstr (kept, ==, "Old <old@example.org>");
  }

  /* Line breaks could forge headers: refused too. */
  gtk_editable_set_text (GTK_EDITABLE (row), "sam@example.org\r\nBcc: eve@example.org");
  g_signal_emit_by_name (row, "apply");
  g_assert_true (gtk_widget_has_css_class (row, "error"));

  gtk_editable_set_text (GTK_EDITABLE (row), "  Sam Sender <SAM@example.org> ");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_signal_emit_by_name (row, "apply");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  {
    g_autofree char *saved = g_settings_get_string (settings, "identity");
    g_assert_cmpstr (saved, ==, "Sam Sender <SAM@example.org>");
  }
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_switches (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  SignetPreferencesWindow *window;

  g_settings_set_boolean (settings, "seal-by-default", FALSE);
  g_settings_set_boolean (settings, "work-offline", TRUE);
  window = signet_preferences_window_new (NULL, settings);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (child (GTK_WIDGET (window), "seal_switch"))));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (child (GTK_WIDGET (window), "offline_switch"))));
  gtk_switch_set_active (GTK_SWITCH (child (GTK_WIDGET (window), "seal_switch")), TRUE);
  gtk_switch_set_active (GTK_SWITCH (child (GTK_WIDGET (window), "offline_switch")), FALSE);
  g_assert_true (g_settings_get_boolean (settings, "seal-by-default"));
  g_assert_false (g_settings_get_boolean (settings, "work-offline"));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/preferences-window/identity", test_identity);
  g_test_add_func ("/preferences-window/switches", test_switches);
  return g_test_run ();
}
