#include <adwaita.h>
#include <string.h>

#include "config.h"
#include "signet-account-page.h"
#include "signet-demo.h"
#include "signet-directory-page.h"
#include "signet-preferences-window.h"
#include "signet-test-util.h"

static GtkWidget *
child (GtkWidget *window, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (window, SIGNET_TYPE_PREFERENCES_WINDOW, name));
}

/* The identity is on the Account page, the window's first. */
static GtkWidget *
identity_row (SignetPreferencesWindow *window)
{
  GtkWidget *page = child (GTK_WIDGET (window), "account_page");

  g_assert_true (adw_preferences_window_get_visible_page (ADW_PREFERENCES_WINDOW (window)) == ADW_PREFERENCES_PAGE (page));
  return GTK_WIDGET (gtk_widget_get_template_child (page, SIGNET_TYPE_ACCOUNT_PAGE, "identity_row"));
}

static void
test_identity (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  SignetPreferencesWindow *window;
  GtkWidget *row;

  g_settings_set_string (settings, "identity", "Old <old@example.org>");
  window = signet_preferences_window_new (NULL, settings, NULL, NULL);
  gtk_window_present (GTK_WINDOW (window));
  row = identity_row (window);
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
  GtkWidget *subject;

  g_settings_set_boolean (settings, "seal-by-default", FALSE);
  g_settings_set_boolean (settings, "work-offline", TRUE);
  g_assert_true (g_settings_get_boolean (settings, "encrypt-subject"));
  window = signet_preferences_window_new (NULL, settings, NULL, NULL);
  subject = child (GTK_WIDGET (window), "subject_switch");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (child (GTK_WIDGET (window), "seal_switch"))));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (child (GTK_WIDGET (window), "offline_switch"))));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (subject)));
  gtk_switch_set_active (GTK_SWITCH (child (GTK_WIDGET (window), "seal_switch")), TRUE);
  gtk_switch_set_active (GTK_SWITCH (child (GTK_WIDGET (window), "offline_switch")), FALSE);
  gtk_switch_set_active (GTK_SWITCH (subject), FALSE);
  g_assert_true (g_settings_get_boolean (settings, "seal-by-default"));
  g_assert_false (g_settings_get_boolean (settings, "work-offline"));
  g_assert_false (g_settings_get_boolean (settings, "encrypt-subject"));
  g_settings_set_boolean (settings, "encrypt-subject", TRUE);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (subject)));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The S/MIME switch is the prefer-smime setting, both ways. */
static void
test_smime_switch (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  SignetPreferencesWindow *window;
  GtkWidget *smime;

  g_settings_set_boolean (settings, "prefer-smime", FALSE);
  window = signet_preferences_window_new (NULL, settings, NULL, NULL);
  smime = child (GTK_WIDGET (window), "smime_switch");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (smime)));
  gtk_switch_set_active (GTK_SWITCH (smime), TRUE);
  g_assert_true (g_settings_get_boolean (settings, "prefer-smime"));
  g_settings_set_boolean (settings, "prefer-smime", FALSE);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (smime)));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The fingerprints of @email's key pairs, in the order gpg lists them. */
static GStrv
own_fingerprints (const char *homedir, const char *email)
{
  return signet_test_gpg_fingerprints (homedir, email, TRUE);
}

static gboolean
keys_listed (gpointer data)
{
  AdwComboRow *row = data;
  return adw_combo_row_get_model (row) != NULL;
}

static guint
n_items (AdwComboRow *row)
{
  return g_list_model_get_n_items (adw_combo_row_get_model (row));
}

static gboolean
three_keys_listed (gpointer data)
{
  return n_items (data) == 3;
}

static const char *
item (AdwComboRow *row, guint position)
{
  g_autoptr(GtkStringObject) object = g_list_model_get_item (adw_combo_row_get_model (row), position);
  return object ? gtk_string_object_get_string (object) : NULL;
}

/* The own keys of the sender's address, listed off the main thread, newest
 * first after "Newest usable key"; choosing one sets own-key. */
static void
test_own_key (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *homedir = signet_test_make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (FALSE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = NULL;
  g_auto(GStrv) fingerprints = NULL;
  g_autofree char *short_new = NULL;
  SignetPreferencesWindow *window;
  AdwComboRow *row;
  const char *label;

  g_assert_true (signet_demo_ensure_directory (homedir, NULL, &error));
  g_assert_no_error (error);
  /* A second key pair for the demo address, made now: the newest. */
  {
    const char *args[] = { "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", NULL };
    g_autofree char *out = signet_test_gpg_output (homedir, args, "Signet Demo (new) <demo@example.org>", TRUE);
  }
  fingerprints = own_fingerprints (homedir, "demo@example.org");
  g_assert_cmpuint (g_strv_length (fingerprints), ==, 2);
  directory = signet_key_directory_new (homedir, network);

  /* Offline: the own keyring is local, so the list is there all the same. */
  g_settings_set_string (settings, "own-key", "");
  window = signet_preferences_window_new (NULL, settings, directory, SIGNET_DEMO_IDENTITY);
  gtk_window_present (GTK_WINDOW (window));
  row = ADW_COMBO_ROW (child (GTK_WIDGET (window), "own_key_row"));
  /* Nothing to choose from until the keyring has answered. */
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (row)));
  signet_test_wait_until (keys_listed, row);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (row)));
  g_assert_cmpuint (n_items (row), ==, 3);
  g_assert_cmpstr (item (row, 0), ==, "Newest usable key");
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 0);

  label = item (row, 1);
  g_test_message ("newest: %s", label);
  g_assert_true (g_str_has_prefix (label, "Signet Demo (new) <demo@example.org> — "));
  /* Which of the two is newer: gpg lists in keyring order, the new one last. */
  short_new = g_strdup_printf ("%.4s %.4s …", fingerprints[1], fingerprints[1] + 4);
  g_assert_nonnull (strstr (label, short_new));
  g_assert_nonnull (strstr (label, "— created "));
  g_assert_nonnull (strstr (label, ", expires "));
  g_assert_true (g_str_has_prefix (item (row, 2), "Signet Demo <demo@example.org> — "));

  adw_combo_row_set_selected (row, 2);
  {
    g_autofree char *chosen = g_settings_get_string (settings, "own-key");
    g_assert_cmpstr (chosen, ==, fingerprints[0]);
  }
  gtk_window_destroy (GTK_WINDOW (window));

  /* Opened again: the choice is selected. */
  window = signet_preferences_window_new (NULL, settings, directory, SIGNET_DEMO_IDENTITY);
  row = ADW_COMBO_ROW (child (GTK_WIDGET (window), "own_key_row"));
  signet_test_wait_until (keys_listed, row);
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 2);
  adw_combo_row_set_selected (row, 0);
  {
    g_autofree char *chosen = g_settings_get_string (settings, "own-key");
    g_assert_cmpstr (chosen, ==, "");
  }
  gtk_window_destroy (GTK_WINDOW (window));

  /* A key that is not in the keyring stays chosen, and says so. */
  g_settings_set_string (settings, "own-key", "0123456789ABCDEF0123456789ABCDEF01234567");
  window = signet_preferences_window_new (NULL, settings, directory, SIGNET_DEMO_IDENTITY);
  row = ADW_COMBO_ROW (child (GTK_WIDGET (window), "own_key_row"));
  signet_test_wait_until (keys_listed, row);
  g_assert_cmpuint (n_items (row), ==, 4);
  g_assert_cmpstr (item (row, adw_combo_row_get_selected (row)), ==, "Key 0123 4567 … (not found or not usable)");
  {
    g_autofree char *chosen = g_settings_get_string (settings, "own-key");
    g_assert_cmpstr (chosen, ==, "0123456789ABCDEF0123456789ABCDEF01234567");
  }
  gtk_window_destroy (GTK_WINDOW (window));
  g_settings_set_string (settings, "own-key", "");

  /* Without a fixed sender, the list follows the identity set on the
   * Account page. */
  g_settings_set_string (settings, "identity", "");
  window = signet_preferences_window_new (NULL, settings, directory, NULL);
  row = ADW_COMBO_ROW (child (GTK_WIDGET (window), "own_key_row"));
  signet_test_wait_until (keys_listed, row);
  g_assert_cmpuint (n_items (row), ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (identity_row (window)), SIGNET_DEMO_IDENTITY);
  g_signal_emit_by_name (identity_row (window), "apply");
  signet_test_wait_until (three_keys_listed, row);
  g_assert_true (g_str_has_prefix (item (row, 2), "Signet Demo <demo@example.org> — "));
  gtk_window_destroy (GTK_WINDOW (window));

  /* Closed before the keyring answered: nothing happens to the window. */
  window = signet_preferences_window_new (NULL, settings, directory, SIGNET_DEMO_IDENTITY);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  signet_test_remove_gnupghome (g_steal_pointer (&homedir));
}

static SignetDirectoryPage *
find_directory_page (GtkWidget *widget)
{
  if (SIGNET_IS_DIRECTORY_PAGE (widget))
    return SIGNET_DIRECTORY_PAGE (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      SignetDirectoryPage *found = find_directory_page (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_labelled (GtkWidget *widget, GType type, const char *label)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (c, type) && g_strcmp0 (gtk_widget_get_tooltip_text (c), label) == 0)
        return c;
      if ((found = find_labelled (c, type, label)) != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_entry_row (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (ADW_IS_ENTRY_ROW (c))
        return c;
      if ((found = find_entry_row (c)) != NULL)
        return found;
    }
  return NULL;
}

static void
iterate (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Preferences → Directory: servers are added in order (an address that is
 * not one is refused, marked, nothing saved), marked trusted, removed (and
 * their trust with them); the WKD switch is the setting. */
static void
test_directory (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  SignetPreferencesWindow *window;
  SignetDirectoryPage *page;
  GtkWidget *entry, *toggle, *remove, *wkd;
  g_auto(GStrv) servers = NULL;
  g_auto(GStrv) trusted = NULL;

  g_settings_reset (settings, "directory-servers");
  g_settings_reset (settings, "directory-trusted");
  window = signet_preferences_window_new (NULL, settings, NULL, NULL);
  gtk_window_present (GTK_WINDOW (window));
  page = find_directory_page (GTK_WIDGET (window));
  g_assert_nonnull (page);
  g_assert_cmpstr (adw_preferences_page_get_title (ADW_PREFERENCES_PAGE (page)), ==, "Directory");
  entry = find_entry_row (GTK_WIDGET (page));

  gtk_editable_set_text (GTK_EDITABLE (entry), "ftp://keys.example.org");
  g_signal_emit_by_name (entry, "apply");
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  servers = g_settings_get_strv (settings, "directory-servers");
  g_assert_cmpuint (g_strv_length (servers), ==, 0);
  g_clear_pointer (&servers, g_strfreev);

  gtk_editable_set_text (GTK_EDITABLE (entry), " ldap://ldap.example.org/dc=example,dc=org ");
  g_signal_emit_by_name (entry, "apply");
  gtk_editable_set_text (GTK_EDITABLE (entry), "hkps://keys.example.net");
  g_signal_emit_by_name (entry, "apply");
  g_assert_false (gtk_widget_has_css_class (entry, "error"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  servers = g_settings_get_strv (settings, "directory-servers");
  g_assert_cmpstrv (servers, ((const char *[]) { "ldap://ldap.example.org/dc=example,dc=org", "hkps://keys.example.net", NULL }));
  iterate ();

  toggle = find_labelled (GTK_WIDGET (page), GTK_TYPE_SWITCH,
                          "Keys from ldap://ldap.example.org/dc=example,dc=org are the organisation’s");
  g_assert_nonnull (toggle);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));
  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  trusted = g_settings_get_strv (settings, "directory-trusted");
  g_assert_cmpstrv (trusted, ((const char *[]) { "ldap://ldap.example.org/dc=example,dc=org", NULL }));
  g_clear_pointer (&trusted, g_strfreev);
  iterate ();

  remove = find_labelled (GTK_WIDGET (page), GTK_TYPE_BUTTON, "Remove ldap://ldap.example.org/dc=example,dc=org");
  g_assert_nonnull (remove);
  g_signal_emit_by_name (remove, "clicked");
  iterate ();
  g_clear_pointer (&servers, g_strfreev);
  servers = g_settings_get_strv (settings, "directory-servers");
  g_assert_cmpstrv (servers, ((const char *[]) { "hkps://keys.example.net", NULL }));
  trusted = g_settings_get_strv (settings, "directory-trusted");
  g_assert_cmpuint (g_strv_length (trusted), ==, 0);
  g_assert_null (find_labelled (GTK_WIDGET (page), GTK_TYPE_BUTTON, "Remove ldap://ldap.example.org/dc=example,dc=org"));
  g_assert_nonnull (find_labelled (GTK_WIDGET (page), GTK_TYPE_BUTTON, "Remove hkps://keys.example.net"));

  /* The one switch without a server's label is WKD's: it is the setting. */
  wkd = find_labelled (GTK_WIDGET (page), GTK_TYPE_SWITCH, NULL);
  g_assert_nonnull (wkd);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (wkd)));
  g_settings_set_boolean (settings, "directory-wkd", TRUE);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (wkd)));
  gtk_switch_set_active (GTK_SWITCH (wkd), FALSE);
  g_assert_false (g_settings_get_boolean (settings, "directory-wkd"));
  g_settings_reset (settings, "directory-wkd");
  g_settings_reset (settings, "directory-servers");
  g_settings_reset (settings, "directory-trusted");
  gtk_window_destroy (GTK_WINDOW (window));
  iterate ();
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/preferences-window/identity", test_identity);
  g_test_add_func ("/preferences-window/switches", test_switches);
  g_test_add_func ("/preferences-window/smime-switch", test_smime_switch);
  g_test_add_func ("/preferences-window/own-key", test_own_key);
  g_test_add_func ("/preferences-window/directory", test_directory);
  return g_test_run ();
}
