#define G_SETTINGS_ENABLE_BACKEND

#include <adwaita.h>
#include <gio/gsettingsbackend.h>
#include <libsecret/secret.h>
#include <string.h>

#include "config.h"
#include "signet-account-page.h"
#include "signet-dialogs.h"
#include "signet-errors.h"
#include "signet-preferences-window.h"
#include "signet-ui-test.h"

/* The Account page of Preferences, in process: what each field writes to
 * GSettings, what it refuses and says, where passwords go (a keyring of the
 * test's own, on a session bus of its own), and Test Connection against a
 * real Postfix and Dovecot (tests/servers/mailservers.py; the
 * /account-servers/ tests, which need root). */

static char *root;       /* everything the test and its daemons write */
static GTestDBus *bus;   /* the session bus: no keyring of the user's */
static gboolean servers_started;

typedef struct {
  GSettings               *settings;
  SignetAccount           *account;
  SignetPreferencesWindow *window;
  SignetAccountPage       *page;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  f->settings = g_settings_new_with_backend (APP_ID, backend);
  f->account = signet_account_new (f->settings);
  f->window = signet_preferences_window_new_for_account (NULL, f->account, NULL, NULL);
  f->page = SIGNET_ACCOUNT_PAGE (gtk_widget_get_template_child (GTK_WIDGET (f->window),
                                                                SIGNET_TYPE_PREFERENCES_WINDOW,
                                                                "account_page"));
  g_assert_true (signet_account_page_get_account (f->page) == f->account);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  while ((dialog = signet_ui_find_dialog ()) != NULL)
    gtk_window_destroy (GTK_WINDOW (dialog));
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->account);
  g_clear_object (&f->settings);
}

static GtkWidget *
child (Fixture *f, const char *name)
{
  GtkWidget *widget = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->page),
                                                                 SIGNET_TYPE_ACCOUNT_PAGE, name));

  g_assert_nonnull (widget);
  return widget;
}

static char *
get (Fixture *f, const char *key)
{
  return g_settings_get_string (f->settings, key);
}

static void
assert_setting (Fixture *f, const char *key, const char *expected)
{
  g_autofree char *value = get (f, key);

  g_assert_cmpstr (value, ==, expected);
}

/* Types @text into the entry row @name and presses Enter (apply). */
static void
enter (Fixture *f, const char *name, const char *text)
{
  GtkWidget *row = child (f, name);

  gtk_editable_set_text (GTK_EDITABLE (row), text);
  g_signal_emit_by_name (row, "apply");
}

static const char *
text_of (Fixture *f, const char *name)
{
  return gtk_editable_get_text (GTK_EDITABLE (child (f, name)));
}

static const char *
subtitle (Fixture *f, const char *name)
{
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (child (f, name)));
}

/* The notice under a server's fields, or NULL when none is shown. */
static const char *
notice (Fixture *f, const char *server)
{
  g_autofree char *name = g_strdup_printf ("%s_notice_row", server);
  GtkWidget *row = child (f, name);

  if (!gtk_widget_get_visible (row))
    return NULL;
  return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
}

static const char *
description (Fixture *f, const char *group)
{
  return adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (child (f, group)));
}

static void
choose_security (Fixture *f, const char *server, guint position)
{
  g_autofree char *name = g_strdup_printf ("%s_security_row", server);

  adw_combo_row_set_selected (ADW_COMBO_ROW (child (f, name)), position);
}

static guint
security_shown (Fixture *f, const char *server)
{
  g_autofree char *name = g_strdup_printf ("%s_security_row", server);

  return adw_combo_row_get_selected (ADW_COMBO_ROW (child (f, name)));
}

enum { TLS, STARTTLS, NONE };

/* ---- fields and settings ------------------------------------------------------ */

static void
test_no_account (Fixture *f, gconstpointer data)
{
  assert_setting (f, "smtp-host", "");
  g_assert_cmpstr (description (f, "smtp_group"), ==,
                   "No outgoing server is set up, so messages are delivered to mailboxes on this computer "
                   "only. Everything else works as usual.");
  g_assert_cmpstr (text_of (f, "smtp_host_row"), ==, "");
  g_assert_cmpuint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (child (f, "smtp_port_spin"))), ==, 587);
  g_assert_cmpuint (security_shown (f, "smtp"), ==, STARTTLS);
  g_assert_cmpuint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (child (f, "imap_port_spin"))), ==, 993);
  g_assert_cmpuint (security_shown (f, "imap"), ==, TLS);
  /* The IMAP server is the outgoing one until the user says otherwise. */
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (child (f, "same_switch"))));
  g_assert_false (gtk_widget_get_visible (child (f, "imap_host_row")));
  g_assert_false (gtk_widget_get_visible (child (f, "imap_user_row")));
  g_assert_false (gtk_widget_get_visible (child (f, "imap_password_row")));
  g_assert_null (notice (f, "smtp"));
  g_assert_cmpstr (subtitle (f, "smtp_test_row"), ==, "Not tested");

  /* Set up, then cleared again: local delivery once more. */
  enter (f, "smtp_host_row", "smtp.example.org");
  g_assert_cmpstr (description (f, "smtp_group"), !=,
                   "No outgoing server is set up, so messages are delivered to mailboxes on this computer "
                   "only. Everything else works as usual.");
  enter (f, "smtp_host_row", "  ");
  assert_setting (f, "smtp-host", "");
  assert_setting (f, "imap-host", "");
  g_assert_true (signet_account_is_local (f->account));
  g_assert_true (g_str_has_prefix (description (f, "smtp_group"), "No outgoing server is set up"));
}

static void
test_fields (Fixture *f, gconstpointer data)
{
  GtkWidget *same = child (f, "same_switch");

  /* Both servers' Test Connection on screen, and no Alt key twice. */
  g_assert_true (gtk_widget_get_mapped (child (f, "smtp_test_button")));
  g_assert_true (gtk_widget_get_mapped (child (f, "imap_test_button")));
  signet_ui_assert_mnemonics_unique (GTK_WIDGET (f->window));

  enter (f, "identity_row", "  Sam Sender <sam@example.org> ");
  assert_setting (f, "identity", "Sam Sender <sam@example.org>");
  g_assert_cmpstr (text_of (f, "identity_row"), ==, "Sam Sender <sam@example.org>");

  /* The outgoing server; the IMAP server follows it. */
  enter (f, "smtp_host_row", " smtp.example.org ");
  assert_setting (f, "smtp-host", "smtp.example.org");
  assert_setting (f, "imap-host", "smtp.example.org");
  g_assert_false (signet_account_is_local (f->account));
  enter (f, "smtp_user_row", "sam");
  assert_setting (f, "smtp-user", "sam");
  assert_setting (f, "imap-user", "sam");

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (f, "smtp_port_spin")), 2525);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "smtp-port"), ==, 2525);
  /* A port of the user's own stays when the encryption changes... */
  choose_security (f, "smtp", TLS);
  assert_setting (f, "smtp-security", "tls");
  g_assert_cmpuint (g_settings_get_uint (f->settings, "smtp-port"), ==, 2525);
  /* ...the usual port follows it. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (f, "smtp_port_spin")), 465);
  choose_security (f, "smtp", STARTTLS);
  assert_setting (f, "smtp-security", "starttls");
  g_assert_cmpuint (g_settings_get_uint (f->settings, "smtp-port"), ==, 587);
  g_assert_cmpuint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (child (f, "smtp_port_spin"))), ==, 587);

  /* An IMAP server of its own. */
  gtk_switch_set_active (GTK_SWITCH (same), FALSE);
  g_assert_true (gtk_widget_get_visible (child (f, "imap_host_row")));
  g_assert_true (gtk_widget_get_visible (child (f, "imap_user_row")));
  g_assert_true (gtk_widget_get_visible (child (f, "imap_password_row")));
  enter (f, "imap_host_row", "imap.example.org");
  assert_setting (f, "imap-host", "imap.example.org");
  enter (f, "imap_user_row", "sam.sender");
  assert_setting (f, "imap-user", "sam.sender");
  choose_security (f, "imap", STARTTLS);
  assert_setting (f, "imap-security", "starttls");
  g_assert_cmpuint (g_settings_get_uint (f->settings, "imap-port"), ==, 143);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (f, "imap_port_spin")), 1143);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "imap-port"), ==, 1143);
  enter (f, "sent_folder_row", "Sent Items");
  assert_setting (f, "imap-sent-folder", "Sent Items");
  /* No longer following: the outgoing server changes alone. */
  enter (f, "smtp_host_row", "mail.example.org");
  assert_setting (f, "imap-host", "imap.example.org");
  enter (f, "smtp_user_row", "sam2");
  assert_setting (f, "imap-user", "sam.sender");

  /* Following again takes the outgoing server's name and user. */
  gtk_switch_set_active (GTK_SWITCH (same), TRUE);
  assert_setting (f, "imap-host", "mail.example.org");
  assert_setting (f, "imap-user", "sam2");
  g_assert_false (gtk_widget_get_visible (child (f, "imap_host_row")));
  g_assert_cmpstr (text_of (f, "imap_host_row"), ==, "mail.example.org");

  /* Settings changed elsewhere show here. */
  g_settings_set_string (f->settings, "smtp-user", "elsewhere");
  g_assert_cmpstr (text_of (f, "smtp_user_row"), ==, "elsewhere");
  g_settings_set_string (f->settings, "imap-security", "tls");
  g_assert_cmpuint (security_shown (f, "imap"), ==, TLS);

  /* Opened again: everything as saved, the IMAP server still following. */
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_settings_set_string (f->settings, "imap-user", "mail-user");
  f->window = signet_preferences_window_new_for_account (NULL, f->account, NULL, NULL);
  f->page = SIGNET_ACCOUNT_PAGE (gtk_widget_get_template_child (GTK_WIDGET (f->window),
                                                                SIGNET_TYPE_PREFERENCES_WINDOW,
                                                                "account_page"));
  g_assert_cmpstr (text_of (f, "smtp_host_row"), ==, "mail.example.org");
  g_assert_cmpstr (text_of (f, "imap_user_row"), ==, "mail-user");
  g_assert_cmpstr (text_of (f, "sent_folder_row"), ==, "Sent Items");
  g_assert_cmpstr (text_of (f, "identity_row"), ==, "Sam Sender <sam@example.org>");
  /* The user names differ now: the IMAP server is one of its own. */
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (child (f, "same_switch"))));
  g_assert_true (gtk_widget_get_visible (child (f, "imap_user_row")));
}

#define INSECURE_REMOTE "The SMTP server “smtp.example.org” is not on this computer, so the connection to it must be encrypted: choose TLS or STARTTLS."

static void
test_refused (Fixture *f, gconstpointer data)
{
  GtkWidget *host = child (f, "smtp_host_row");

  /* Not a host name: refused, marked, said, nothing saved. */
  enter (f, "smtp_host_row", "smtp.example.org");
  enter (f, "smtp_host_row", "https://smtp.example.org");
  g_assert_true (gtk_widget_has_css_class (host, "error"));
  g_assert_cmpstr (notice (f, "smtp"), ==,
                   "The SMTP server name “https://smtp.example.org” is not valid: enter a host name or an IP address.");
  assert_setting (f, "smtp-host", "smtp.example.org");
  gtk_editable_set_text (GTK_EDITABLE (host), "smtp.example.org");
  g_assert_false (gtk_widget_has_css_class (host, "error"));

  /* No encryption to a server elsewhere: refused where it is chosen. */
  choose_security (f, "smtp", NONE);
  g_assert_cmpstr (subtitle (f, "smtp_security_row"), ==, INSECURE_REMOTE);
  g_assert_cmpuint (security_shown (f, "smtp"), ==, STARTTLS);
  assert_setting (f, "smtp-security", "starttls");

  /* Nor with no server at all. */
  enter (f, "smtp_host_row", "");
  choose_security (f, "smtp", NONE);
  g_assert_cmpstr (subtitle (f, "smtp_security_row"), ==,
                   "Only a server on this computer (such as localhost) can be used without encryption: "
                   "choose SSL/TLS or STARTTLS.");
  assert_setting (f, "smtp-security", "starttls");

  /* On this computer it is allowed, and said to be unencrypted. */
  enter (f, "smtp_host_row", "127.0.0.1");
  choose_security (f, "smtp", NONE);
  assert_setting (f, "smtp-security", "none");
  g_assert_cmpstr (subtitle (f, "smtp_security_row"), ==,
                   "Not encrypted: allowed only because the server is on this computer");
  /* Then moving that server elsewhere is refused. */
  enter (f, "smtp_host_row", "smtp.example.org");
  g_assert_true (gtk_widget_has_css_class (host, "error"));
  g_assert_cmpstr (subtitle (f, "smtp_security_row"), ==, INSECURE_REMOTE);
  assert_setting (f, "smtp-host", "127.0.0.1");
  assert_setting (f, "imap-host", "127.0.0.1");
  choose_security (f, "smtp", TLS);
  assert_setting (f, "smtp-security", "tls");
  g_assert_cmpstr (subtitle (f, "smtp_security_row"), ==, "");

  /* A line break in a user name or a folder could smuggle a command. */
  enter (f, "smtp_user_row", "sam\r\nRCPT TO:<eve@example.org>");
  g_assert_true (gtk_widget_has_css_class (child (f, "smtp_user_row"), "error"));
  g_assert_cmpstr (notice (f, "smtp"), ==, "A user name cannot contain line breaks or other control characters.");
  assert_setting (f, "smtp-user", "");
  enter (f, "sent_folder_row", "Sent\r\nA1 DELETE INBOX");
  g_assert_cmpstr (notice (f, "imap"), ==, "A folder name cannot contain line breaks or other control characters.");
  assert_setting (f, "imap-sent-folder", "");

  /* An identity that is not one address. */
  enter (f, "identity_row", "Sam Sender");
  g_assert_true (gtk_widget_has_css_class (child (f, "identity_row"), "error"));
  assert_setting (f, "identity", "");

  /* Test Connection with no server says so, and connects to nothing. */
  enter (f, "smtp_host_row", "");
  g_signal_emit_by_name (child (f, "smtp_test_button"), "clicked");
  g_assert_cmpstr (subtitle (f, "smtp_test_row"), ==, "No SMTP server is set.");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (child (f, "smtp_test_button"))), ==, "Test Connection");
  signet_ui_assert_mnemonics_unique (GTK_WIDGET (f->window));
}

/* ---- passwords ------------------------------------------------------------------ */

static char *
make_password (const char *what)
{
  return g_strdup_printf ("%s-%08x%08x-pässwörd", what, g_random_int (), g_random_int ());
}

/* What a test waits for on one server's rows. */
typedef struct {
  Fixture    *f;
  const char *server;  /* "smtp" or "imap" */
} ServerWait;

static gboolean
notice_shown (gpointer data)
{
  ServerWait *wait = data;

  return notice (wait->f, wait->server) != NULL;
}

static const char *
wait_for_notice (Fixture *f, const char *server)
{
  ServerWait wait = { f, server };

  signet_test_wait_until (notice_shown, &wait);
  return notice (f, server);
}

static void
on_password_found (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  *(char **) data = signet_account_lookup_password_finish (SIGNET_ACCOUNT (source), result, &error);
  g_assert_no_error (error);
  if (*(char **) data == NULL)
    *(char **) data = g_strdup ("");
}

static gboolean
is_set (gpointer data)
{
  return *(char **) data != NULL;
}

/* The password @account gives delivery for @protocol: the session's, else
 * the keyring's ("" for none). */
static void
assert_password (SignetAccount *account, SignetAccountProtocol protocol, const char *expected)
{
  char *password = NULL;

  signet_account_lookup_password_async (account, protocol, NULL, on_password_found, &password);
  signet_test_wait_until (is_set, &password);
  g_assert_cmpstr (password, ==, expected);
  signet_account_password_free (password);
}

/* What any program finds in the keyring, under the standard schema. */
static void
assert_in_keyring (const char *protocol, const char *server, guint port, const char *expected)
{
  g_autoptr(GError) error = NULL;
  char *password = secret_password_lookup_sync (SECRET_SCHEMA_COMPAT_NETWORK, NULL, &error,
                                                "protocol", protocol, "server", server, "port", (int) port,
                                                "user", "sam", NULL);

  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, expected);
  secret_password_free (password);
}

/* All the settings at once, as text: none holds @secret. */
static void
assert_not_in_settings (GSettings *settings, const char *secret)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GVariantBuilder) all = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) dict = NULL;
  g_autofree char *text = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i]);

      g_variant_builder_add (all, "{sv}", keys[i], value);
    }
  dict = g_variant_ref_sink (g_variant_builder_end (all));
  text = g_variant_print (dict, FALSE);
  g_assert_nonnull (strstr (text, "smtp-host"));
  g_assert_null (strstr (text, secret));
}

static void
set_up_server (Fixture *f)
{
  enter (f, "smtp_host_row", "smtp.example.org");
  enter (f, "smtp_user_row", "sam");
}

/* No Secret Service on this bus: saving says so and offers to keep the
 * password for this session; kept, the account has it for both servers and
 * no setting does. */
static void
test_no_keyring (Fixture *f, gconstpointer data)
{
  g_autofree char *password = make_password ("session");
  GtkWidget *keep = child (f, "smtp_keep_button");

  set_up_server (f);
  enter (f, "smtp_password_row", password);
  g_assert_cmpstr (wait_for_notice (f, "smtp"), ==,
                   "No keyring (Secret Service) is available to keep passwords. "
                   "A password can be kept for this session only.");
  g_assert_true (gtk_widget_get_visible (keep));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (keep)), ==, "Keep for This Session");
  assert_not_in_settings (f->settings, password);

  g_signal_emit_by_name (keep, "clicked");
  g_assert_cmpstr (notice (f, "smtp"), ==, "The password is kept for this session only.");
  g_assert_false (gtk_widget_get_visible (keep));
  g_assert_cmpstr (text_of (f, "smtp_password_row"), ==, "");
  assert_password (f->account, SIGNET_ACCOUNT_PROTOCOL_SMTP, password);
  assert_password (f->account, SIGNET_ACCOUNT_PROTOCOL_IMAP, password);
  assert_not_in_settings (f->settings, password);

  /* Server and user typed but not applied yet: the password is for them,
   * not for the old ones (whose server would be sent it). */
  {
    g_autofree char *other = make_password ("other");
    g_autofree char *old = NULL;
    g_autofree char *new = NULL;

    gtk_editable_set_text (GTK_EDITABLE (child (f, "smtp_host_row")), "smtp.new-provider.example");
    gtk_editable_set_text (GTK_EDITABLE (child (f, "smtp_user_row")), "sam.new");
    enter (f, "smtp_password_row", other);
    wait_for_notice (f, "smtp");
    g_signal_emit_by_name (keep, "clicked");
    old = signet_account_lookup_password_for_sync (f->account, SIGNET_ACCOUNT_PROTOCOL_SMTP,
                                                   "smtp.example.org", 587, "sam", NULL, NULL);
    new = signet_account_lookup_password_for_sync (f->account, SIGNET_ACCOUNT_PROTOCOL_SMTP,
                                                   "smtp.new-provider.example", 587, "sam.new", NULL, NULL);
    g_assert_cmpstr (old, ==, password);
    g_assert_cmpstr (new, ==, other);
  }

  /* A password needs a user name to belong to. */
  enter (f, "smtp_user_row", "");
  enter (f, "smtp_password_row", password);
  g_assert_cmpstr (wait_for_notice (f, "smtp"), ==, "No user name is set for the SMTP server.");
  g_assert_false (gtk_widget_get_visible (keep));
}

/* A real gnome-keyring-daemon: the password goes there, for each server. */
static void
test_keyring (Fixture *f, gconstpointer data)
{
  g_autofree char *smtp = make_password ("smtp");
  g_autofree char *imap = make_password ("imap");

  signet_test_start_session_keyring ();
  set_up_server (f);
  enter (f, "smtp_password_row", smtp);
  g_assert_cmpstr (wait_for_notice (f, "smtp"), ==, "The password is saved in the keyring.");
  g_assert_cmpstr (text_of (f, "smtp_password_row"), ==, "");
  g_assert_false (gtk_widget_get_visible (child (f, "smtp_keep_button")));
  /* In the keyring for each server (the IMAP one follows), where a
   * restarted Signet, or Seahorse, finds it. */
  assert_in_keyring ("smtp", "smtp.example.org", 587, smtp);
  assert_in_keyring ("imap", "smtp.example.org", 993, smtp);
  {
    g_autoptr(SignetAccount) again = signet_account_new (f->settings);

    assert_password (again, SIGNET_ACCOUNT_PROTOCOL_SMTP, smtp);
  }

  /* A server of its own, a password of its own. */
  gtk_switch_set_active (GTK_SWITCH (child (f, "same_switch")), FALSE);
  enter (f, "imap_host_row", "imap.example.org");
  enter (f, "imap_password_row", imap);
  g_assert_cmpstr (wait_for_notice (f, "imap"), ==, "The password is saved in the keyring.");
  assert_in_keyring ("imap", "imap.example.org", 993, imap);
  assert_in_keyring ("smtp", "smtp.example.org", 587, smtp);
  assert_password (f->account, SIGNET_ACCOUNT_PROTOCOL_IMAP, imap);
  assert_not_in_settings (f->settings, smtp);
  assert_not_in_settings (f->settings, imap);
}

/* ---- the untrusted certificate dialog ------------------------------------------ */

#define FINGERPRINT "3A:0C:55:F1:9B:27:6E:D4:80:1F:A2:C3:44:19:7B:E0:5D:6A:91:08:BF:32:CC:7E:10:E5:4D:A8:63:F2:09:B7"

static void
on_response (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  *(char **) data = g_strdup (response);
}

static void
test_untrusted_dialog (void)
{
  GtkWidget *parent = gtk_window_new ();
  AdwMessageDialog *dialog;
  GtkWidget *label;
  g_autofree char *response = NULL;

  gtk_window_present (GTK_WINDOW (parent));
  dialog = signet_dialogs_untrusted_certificate (GTK_WINDOW (parent), "mail.example.org", 587, FINGERPRINT);
  g_assert_true (signet_ui_find_dialog () == dialog);
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (parent));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Untrusted Certificate");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "The server mail.example.org:587 presented"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "SHA-256 fingerprint"));
  label = signet_ui_find_widget (GTK_WIDGET (dialog), GTK_TYPE_LABEL, FINGERPRINT);
  g_assert_nonnull (label);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (label)));
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_CANCEL), ==, "_Cancel");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_TRUST), ==,
                   "_Trust This Certificate");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, SIGNET_RESPONSE_TRUST), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  /* Enter and Escape both keep the certificate untrusted. */
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, SIGNET_RESPONSE_CANCEL);
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, SIGNET_RESPONSE_CANCEL);
  g_signal_connect (dialog, "response", G_CALLBACK (on_response), &response);
  signet_ui_click_response (dialog, "_Trust This Certificate");
  g_assert_cmpstr (response, ==, SIGNET_RESPONSE_TRUST);
  g_assert_null (signet_ui_find_dialog ());

  /* An IPv6 address is written in brackets before its port. */
  dialog = signet_dialogs_untrusted_certificate (GTK_WINDOW (parent), "::1", 465, FINGERPRINT);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "The server [::1]:465 presented"));
  gtk_window_destroy (GTK_WINDOW (parent));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (signet_ui_find_dialog ());
}

/* ---- Test Connection against Postfix and Dovecot ------------------------------ */

/* Started by the first test that needs them. */
static gboolean
need_servers (void)
{
  if (!servers_started)
    {
      signet_test_servers_start ("account-page");
      servers_started = TRUE;
    }
  return signet_test_servers_need ();
}

static const char *
server_env (const char *key)
{
  return signet_test_servers_env (key);
}

static gboolean
test_done (gpointer data)
{
  ServerWait *wait = data;
  g_autofree char *button = g_strdup_printf ("%s_test_button", wait->server);
  g_autofree char *row = g_strdup_printf ("%s_test_row", wait->server);

  return signet_ui_find_dialog () != NULL
      || (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child (wait->f, button))), "Test Connection") == 0
          && g_strcmp0 (subtitle (wait->f, row), "Testing…") != 0);
}

/* What the row says once the running test of @server ("smtp", "imap")
 * ends or a dialog asks something. */
static const char *
wait_for_test (Fixture *f, const char *server)
{
  g_autofree char *button = g_strdup_printf ("%s_test_button", server);
  g_autofree char *row = g_strdup_printf ("%s_test_row", server);
  g_autofree char *spinner = g_strdup_printf ("%s_test_spinner", server);
  ServerWait wait = { f, server };

  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (child (f, button))), ==, "Cancel");
  g_assert_true (gtk_widget_get_visible (child (f, spinner)));
  g_assert_cmpstr (subtitle (f, row), ==, "Testing…");
  signet_test_wait_until (test_done, &wait);
  if (signet_ui_find_dialog () == NULL)
    g_assert_false (gtk_widget_get_visible (child (f, spinner)));
  return subtitle (f, row);
}

/* Clicks Test Connection for @server and waits for what it says. */
static const char *
test_connection (Fixture *f, const char *server)
{
  g_autofree char *button = g_strdup_printf ("%s_test_button", server);

  g_signal_emit_by_name (child (f, button), "clicked");
  return wait_for_test (f, server);
}

static void
set_up_local_server (Fixture *f, const char *server, const char *port_key)
{
  g_autofree char *host_row = g_strdup_printf ("%s_host_row", server);
  g_autofree char *user_row = g_strdup_printf ("%s_user_row", server);
  g_autofree char *port = g_strdup_printf ("%s_port_spin", server);

  enter (f, host_row, "127.0.0.1");
  choose_security (f, server, STARTTLS);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (f, port)), g_ascii_strtod (server_env (port_key), NULL));
  enter (f, user_row, "demo");
}

/* Trusts the certificate the dialog shows, checking it is the server's;
 * the page then tests again, pinned, and this returns what it says. */
static const char *
trust_certificate (Fixture *f, const char *server_name, const char *port_key)
{
  AdwMessageDialog *dialog = signet_ui_find_dialog ();
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%s", server_env (port_key));
  g_autofree char *entry = g_strdup_printf ("%s=%s", server, server_env ("SERVER_PIN"));
  g_auto(GStrv) trusted = NULL;

  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Untrusted Certificate");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), server));
  g_assert_nonnull (signet_ui_find_widget (GTK_WIDGET (dialog), GTK_TYPE_LABEL, server_env ("SERVER_FINGERPRINT")));
  signet_ui_click_response (dialog, "_Trust This Certificate");
  trusted = g_settings_get_strv (f->settings, "trusted-certificates");
  g_assert_true (g_strv_contains ((const char *const *) trusted, entry));
  return wait_for_test (f, server_name);
}

static void
test_smtp_connection (Fixture *f, gconstpointer data)
{
  g_autofree char *expected = NULL;
  const char *said;
  g_auto(GStrv) trusted = NULL;

  if (!need_servers ())
    return;
  set_up_local_server (f, "smtp", "SMTP_PORT");
  /* Typed, not applied: the test uses what the row holds. */
  gtk_editable_set_text (GTK_EDITABLE (child (f, "smtp_password_row")), server_env ("DEMO_PASSWORD"));

  /* Signed by the fixture's own CA, which this computer does not know. */
  said = test_connection (f, "smtp");
  g_test_message ("first test: %s", said);
  said = trust_certificate (f, "smtp", "SMTP_PORT");
  g_assert_null (signet_ui_find_dialog ());
  g_assert_cmpstr (said, ==, "Connected and logged in as demo.");

  /* Refused: rejected by Postfix, in Postfix's words. */
  gtk_editable_set_text (GTK_EDITABLE (child (f, "smtp_password_row")), "not-the-password");
  said = test_connection (f, "smtp");
  g_test_message ("wrong password: %s", said);
  g_assert_null (signet_ui_find_dialog ());
  g_assert_nonnull (strstr (said, "535"));
  g_assert_nonnull (strstr (said, "authentication failed"));

  /* The pin is for this server only: one trust, one entry. */
  trusted = g_settings_get_strv (f->settings, "trusted-certificates");
  g_assert_cmpuint (g_strv_length (trusted), ==, 1);
  expected = g_strdup_printf ("127.0.0.1:%s=%s", server_env ("SMTP_PORT"), server_env ("SERVER_PIN"));
  g_assert_cmpstr (trusted[0], ==, expected);
}

static void
test_imap_connection (Fixture *f, gconstpointer data)
{
  const char *said;

  if (!need_servers ())
    return;
  gtk_switch_set_active (GTK_SWITCH (child (f, "same_switch")), FALSE);
  set_up_local_server (f, "imap", "IMAP_PORT");
  gtk_editable_set_text (GTK_EDITABLE (child (f, "imap_password_row")), server_env ("DEMO_PASSWORD"));
  assert_setting (f, "imap-sent-folder", "");

  test_connection (f, "imap");
  said = trust_certificate (f, "imap", "IMAP_PORT");
  g_assert_null (signet_ui_find_dialog ());
  g_assert_cmpstr (said, ==, "Connected and logged in as demo. Sent mail is kept in the folder “Sent”.");
  assert_setting (f, "imap-sent-folder", "Sent");
  g_assert_cmpstr (text_of (f, "sent_folder_row"), ==, "Sent");
}

static gboolean
is_gone (gpointer weak_ref)
{
  g_autoptr(GObject) object = g_weak_ref_get (weak_ref);

  return object == NULL;
}

/* Cancel stops a test; closing the window stops it too, and the page lets
 * go of itself once the check has returned. */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  GtkWidget *button = child (f, "smtp_test_button");
  GWeakRef page;
  const char *said;

  if (!need_servers ())
    return;
  set_up_local_server (f, "smtp", "SMTP_PORT");
  gtk_editable_set_text (GTK_EDITABLE (child (f, "smtp_password_row")), server_env ("DEMO_PASSWORD"));
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "Cancel");
  g_signal_emit_by_name (button, "clicked");
  {
    ServerWait wait = { f, "smtp" };
    signet_test_wait_until (test_done, &wait);
  }
  said = subtitle (f, "smtp_test_row");
  g_assert_null (signet_ui_find_dialog ());
  g_assert_cmpstr (said, ==, "The test was cancelled.");

  g_signal_emit_by_name (button, "clicked");
  g_weak_ref_init (&page, f->page);
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  f->page = NULL;
  signet_test_wait_until (is_gone, &page);
  g_weak_ref_clear (&page);
  g_assert_null (signet_ui_find_dialog ());
}

static void
tear_down_environment (void)
{
  if (servers_started)
    signet_test_servers_stop ();
  signet_test_private_session_down (bus);
  signet_test_remove_tree (root);
  g_free (root);
}

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char *argv[])
{
  int status;

  root = signet_test_make_tmpdir ();
  bus = signet_test_private_session_up (root);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ADD ("/account-page/no-account", test_no_account);
  ADD ("/account-page/fields", test_fields);
  ADD ("/account-page/refused", test_refused);
  g_test_add_func ("/account-page/untrusted-dialog", test_untrusted_dialog);
  ADD ("/account-page/no-keyring", test_no_keyring);
  ADD ("/account-page/keyring", test_keyring);
  ADD ("/account-servers/smtp", test_smtp_connection);
  ADD ("/account-servers/imap", test_imap_connection);
  ADD ("/account-servers/cancel", test_cancel);
  status = g_test_run ();
  tear_down_environment ();
  return status;
}
