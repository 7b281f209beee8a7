#define G_LOG_DOMAIN "signet-account-page"

#include "signet-account-page.h"

#include "signet-address.h"
#include "signet-dialogs.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-server-check.h"
#include "signet-spinner.h"

/* The Account page of Preferences: who messages are from, the outgoing
 * (SMTP) server, and the IMAP server whose Sent folder keeps a copy. Each
 * field is saved when applied (Enter or the apply button) and only when the
 * account accepts it, so a half-typed host name never reaches delivery.
 * Passwords go to the keyring (or, when there is none and the user says so,
 * to the account's memory for this session), never to GSettings. */

#define SMTP SIGNET_ACCOUNT_PROTOCOL_SMTP
#define IMAP SIGNET_ACCOUNT_PROTOCOL_IMAP

typedef struct {
  const char *host_key;
  const char *port_key;
  const char *security_key;
  const char *user_key;
  guint       tls_port;       /* the usual port with TLS from the start */
  guint       starttls_port;  /* and with STARTTLS */
} ServerKeys;

static const ServerKeys server_keys[] = {
  [SMTP] = { "smtp-host", "smtp-port", "smtp-security", "smtp-user", 465, 587 },
  [IMAP] = { "imap-host", "imap-port", "imap-security", "imap-user", 993, 143 },
};

/* The security combo rows' items, in order. */
static const SignetAccountSecurity securities[] = {
  SIGNET_ACCOUNT_SECURITY_TLS, SIGNET_ACCOUNT_SECURITY_STARTTLS, SIGNET_ACCOUNT_SECURITY_NONE,
};

typedef struct {
  SignetAccountPage    *page;
  SignetAccountProtocol protocol;

  AdwPreferencesGroup  *group;
  AdwEntryRow          *host_row;
  GtkSpinButton        *port_spin;
  AdwComboRow          *security_row;
  AdwEntryRow          *user_row;
  AdwPasswordEntryRow  *password_row;
  AdwActionRow         *notice_row;
  GtkButton            *keep_button;
  AdwActionRow         *test_row;
  SignetSpinner        *test_spinner;
  GtkButton            *test_button;

  GCancellable         *password_cancellable;
  SignetAccountProtocol storing;         /* whose password is being saved */
  GCancellable         *test_cancellable; /* set while a test runs */
} Server;

struct _SignetAccountPage
{
  AdwPreferencesPage  parent_instance;

  SignetAccount      *account;   /* NULL until set, and once disposed */
  GSettings          *settings;
  Server              servers[2];
  gboolean            updating;  /* showing the settings, not the user's choice */

  AdwEntryRow        *identity_row;
  GtkSwitch          *same_switch;
  AdwEntryRow        *sent_folder_row;
};

G_DEFINE_FINAL_TYPE (SignetAccountPage, signet_account_page, ADW_TYPE_PREFERENCES_PAGE)

static void start_test (SignetAccountPage *self, Server *server);

static Server *
server_of (SignetAccountPage *self, gpointer widget)
{
  if (gtk_widget_is_ancestor (GTK_WIDGET (widget), GTK_WIDGET (self->servers[IMAP].group)))
    return &self->servers[IMAP];
  return &self->servers[SMTP];
}

static const ServerKeys *
keys_of (const Server *server)
{
  return &server_keys[server->protocol];
}

static gboolean
is_following (SignetAccountPage *self)
{
  return gtk_switch_get_active (self->same_switch);
}

static char *
setting (SignetAccountPage *self, const char *key)
{
  return g_settings_get_string (self->settings, key);
}

static SignetAccountSecurity
setting_security (SignetAccountPage *self, const Server *server)
{
  g_autofree char *value = setting (self, keys_of (server)->security_key);
  SignetAccountSecurity security = SIGNET_ACCOUNT_SECURITY_TLS;

  signet_account_security_from_string (value, &security);
  return security;
}

/* What the user typed, without surrounding spaces. */
static char *
entry_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static gboolean
has_control_characters (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        return TRUE;
    }
  return FALSE;
}

static void
show_entry_text (AdwEntryRow *row, const char *text)
{
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (row)), text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (row), text);
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

/* Messages */

static void
set_row_status (AdwActionRow *row, const char *text)
{
  adw_action_row_set_subtitle (row, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

/* A line under the server's fields: what happened to a value or a password;
 * NULL hides it. */
static void
set_notice (Server *server, const char *message, gboolean offer_session)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (server->notice_row), message ? message : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (server->notice_row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  message ? message : "", -1);
  gtk_widget_set_visible (GTK_WIDGET (server->keep_button), offer_session);
  gtk_widget_set_visible (GTK_WIDGET (server->notice_row), message != NULL);
}

/* A setting refused: an unencrypted connection is explained where the
 * encryption is chosen, anything else below the fields. */
static void
show_refusal (Server *server, const GError *error)
{
  if (g_error_matches (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INSECURE))
    set_row_status (ADW_ACTION_ROW (server->security_row), error->message);
  else
    set_notice (server, error->message, FALSE);
}

static void
describe_security (Server *server, SignetAccountSecurity security)
{
  set_row_status (ADW_ACTION_ROW (server->security_row),
                  security == SIGNET_ACCOUNT_SECURITY_NONE
                  ? _("Not encrypted: allowed only because the server is on this computer")
                  : NULL);
}

static void
update_local_notice (SignetAccountPage *self)
{
  g_autofree char *host = setting (self, "smtp-host");

  if (*host == '\0')
    adw_preferences_group_set_description (self->servers[SMTP].group,
                                           _("No outgoing server is set up, so messages are delivered to "
                                             "mailboxes on this computer only. Everything else works as usual."));
  else
    adw_preferences_group_set_description (self->servers[SMTP].group,
                                           _("The server that delivers your messages. Your mail provider "
                                             "tells you its name, port and encryption."));
}

/* Showing the settings */

static void
show_security (SignetAccountPage *self, Server *server)
{
  SignetAccountSecurity security = setting_security (self, server);

  for (guint i = 0; i < G_N_ELEMENTS (securities); i++)
    {
      if (securities[i] == security)
        adw_combo_row_set_selected (server->security_row, i);
    }
  describe_security (server, security);
}

static void
show_server (SignetAccountPage *self, Server *server)
{
  g_autofree char *host = setting (self, keys_of (server)->host_key);
  g_autofree char *user = setting (self, keys_of (server)->user_key);

  show_entry_text (server->host_row, host);
  show_entry_text (server->user_row, user);
  show_security (self, server);
}

static void
show_following (SignetAccountPage *self)
{
  Server *imap = &self->servers[IMAP];
  gboolean own = !is_following (self);

  gtk_widget_set_visible (GTK_WIDGET (imap->host_row), own);
  gtk_widget_set_visible (GTK_WIDGET (imap->user_row), own);
  gtk_widget_set_visible (GTK_WIDGET (imap->password_row), own);
}

static void
on_settings_changed (SignetAccountPage *self, const char *key)
{
  g_autofree char *value = NULL;

  if (self->account == NULL)
    return;
  self->updating = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (self->servers); i++)
    {
      Server *server = &self->servers[i];

      if (g_str_equal (key, keys_of (server)->host_key) || g_str_equal (key, keys_of (server)->user_key))
        show_server (self, server);
      else if (g_str_equal (key, keys_of (server)->security_key))
        show_security (self, server);
    }
  if (g_str_equal (key, "smtp-host"))
    update_local_notice (self);
  else if (g_str_equal (key, "imap-sent-folder") || g_str_equal (key, "identity"))
    {
      value = setting (self, key);
      show_entry_text (g_str_equal (key, "identity") ? self->identity_row : self->sent_folder_row, value);
    }
  self->updating = FALSE;
}

static void
show_settings (SignetAccountPage *self)
{
  g_autofree char *identity = setting (self, "identity");
  g_autofree char *sent_folder = setting (self, "imap-sent-folder");
  g_autofree char *smtp_host = setting (self, "smtp-host");
  g_autofree char *smtp_user = setting (self, "smtp-user");
  g_autofree char *imap_host = setting (self, "imap-host");
  g_autofree char *imap_user = setting (self, "imap-user");

  self->updating = TRUE;
  show_entry_text (self->identity_row, identity);
  show_entry_text (self->sent_folder_row, sent_folder);
  for (guint i = 0; i < G_N_ELEMENTS (self->servers); i++)
    {
      show_server (self, &self->servers[i]);
      g_settings_bind (self->settings, server_keys[i].port_key, self->servers[i].port_spin, "value",
                       G_SETTINGS_BIND_DEFAULT);
    }
  gtk_switch_set_active (self->same_switch, g_str_equal (smtp_host, imap_host) && g_str_equal (smtp_user, imap_user));
  show_following (self);
  update_local_notice (self);
  self->updating = FALSE;
}

/* Identity */

static void
add_toast (SignetAccountPage *self, const char *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (text));
}

static void
on_entry_changed (SignetAccountPage *self, GtkWidget *row)
{
  gtk_widget_remove_css_class (row, "error");
}

static void
on_identity_apply (SignetAccountPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->identity_row));
  g_autoptr(SignetAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *normalised = NULL;

  address = signet_address_parse (text, &error);
  if (address == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->identity_row), "error");
      add_toast (self, error->message);
      return;
    }
  normalised = signet_address_to_string (address);
  g_settings_set_string (self->settings, "identity", normalised);
  gtk_editable_set_text (GTK_EDITABLE (self->identity_row), normalised);
  add_toast (self, _("Identity saved"));
}

/* Servers */

/* Whether @server may be at @host with its port and encryption. */
static gboolean
check_host (SignetAccountPage *self, Server *server, const char *host, GError **error)
{
  return signet_account_check_server (server->protocol, host,
                                      g_settings_get_uint (self->settings, keys_of (server)->port_key),
                                      setting_security (self, server), error);
}

/* Saves @host ("" for none) for @server, and for IMAP too while it follows
 * the outgoing server. */
static gboolean
save_host (SignetAccountPage *self, Server *server, const char *host)
{
  gboolean follow = server->protocol == SMTP && is_following (self);
  g_autoptr(GError) error = NULL;

  if (*host != '\0' && !check_host (self, server, host, &error))
    {
      show_refusal (server, error);
      return FALSE;
    }
  if (follow && *host != '\0' && !check_host (self, &self->servers[IMAP], host, &error))
    {
      show_refusal (&self->servers[IMAP], error);
      return FALSE;
    }
  set_notice (server, NULL, FALSE);
  g_settings_set_string (self->settings, keys_of (server)->host_key, host);
  if (follow)
    g_settings_set_string (self->settings, "imap-host", host);
  return TRUE;
}

static gboolean
apply_host (SignetAccountPage *self, Server *server)
{
  g_autofree char *host = entry_text (server->host_row);

  if (save_host (self, server, host))
    return TRUE;
  gtk_widget_add_css_class (GTK_WIDGET (server->host_row), "error");
  return FALSE;
}

static void
on_host_apply (SignetAccountPage *self, AdwEntryRow *row)
{
  apply_host (self, server_of (self, row));
}

static gboolean
apply_user (SignetAccountPage *self, Server *server)
{
  g_autofree char *user = entry_text (server->user_row);

  if (has_control_characters (user))
    {
      gtk_widget_add_css_class (GTK_WIDGET (server->user_row), "error");
      set_notice (server, _("A user name cannot contain line breaks or other control characters."), FALSE);
      return FALSE;
    }
  set_notice (server, NULL, FALSE);
  g_settings_set_string (self->settings, keys_of (server)->user_key, user);
  if (server->protocol == SMTP && is_following (self))
    g_settings_set_string (self->settings, "imap-user", user);
  return TRUE;
}

static void
on_user_apply (SignetAccountPage *self, AdwEntryRow *row)
{
  apply_user (self, server_of (self, row));
}

static guint
usual_port (const Server *server, SignetAccountSecurity security)
{
  if (security == SIGNET_ACCOUNT_SECURITY_TLS)
    return keys_of (server)->tls_port;
  if (security == SIGNET_ACCOUNT_SECURITY_STARTTLS)
    return keys_of (server)->starttls_port;
  return 0;
}

static void
refuse_unencrypted (SignetAccountPage *self, Server *server, const char *host)
{
  g_autoptr(GError) error = NULL;
  guint port = g_settings_get_uint (self->settings, keys_of (server)->port_key);

  /* The account's own words, naming the server, where there is one. */
  if (*host == '\0' || signet_account_check_server (server->protocol, host, port, SIGNET_ACCOUNT_SECURITY_NONE, &error)
      || !g_error_matches (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INSECURE))
    {
      g_clear_error (&error);
      g_set_error_literal (&error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INSECURE,
                           _("Only a server on this computer (such as localhost) can be used without "
                             "encryption: choose SSL/TLS or STARTTLS."));
    }
  self->updating = TRUE;
  show_security (self, server);
  self->updating = FALSE;
  show_refusal (server, error);
}

/* The encryption changes; so does the port if it was the usual one for the
 * encryption chosen before. */
static void
on_security_selected (SignetAccountPage *self, GParamSpec *pspec, AdwComboRow *row)
{
  Server *server = server_of (self, row);
  guint selected = adw_combo_row_get_selected (row);
  g_autofree char *host = NULL;
  SignetAccountSecurity before, security;
  guint port;

  if (self->updating || self->account == NULL || selected >= G_N_ELEMENTS (securities))
    return;
  security = securities[selected];
  before = setting_security (self, server);
  /* Also what GTK may tell late, after a refused choice was undone. */
  if (security == before)
    return;
  host = setting (self, keys_of (server)->host_key);
  if (security == SIGNET_ACCOUNT_SECURITY_NONE && !signet_account_is_loopback_host (host))
    {
      refuse_unencrypted (self, server, host);
      return;
    }
  port = g_settings_get_uint (self->settings, keys_of (server)->port_key);
  if (port == usual_port (server, before) && usual_port (server, security) != 0)
    g_settings_set_uint (self->settings, keys_of (server)->port_key, usual_port (server, security));
  g_settings_set_string (self->settings, keys_of (server)->security_key,
                         signet_account_security_to_string (security));
  describe_security (server, security);
}

static void
on_same_toggled (SignetAccountPage *self)
{
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autoptr(GError) error = NULL;

  if (self->updating || self->account == NULL)
    return;
  if (is_following (self))
    {
      host = setting (self, "smtp-host");
      user = setting (self, "smtp-user");
      if (*host != '\0' && !check_host (self, &self->servers[IMAP], host, &error))
        {
          show_refusal (&self->servers[IMAP], error);
          self->updating = TRUE;
          gtk_switch_set_active (self->same_switch, FALSE);
          self->updating = FALSE;
          return;
        }
      g_settings_set_string (self->settings, "imap-host", host);
      g_settings_set_string (self->settings, "imap-user", user);
    }
  show_following (self);
}

static void
on_sent_folder_apply (SignetAccountPage *self)
{
  g_autofree char *folder = entry_text (self->sent_folder_row);

  if (has_control_characters (folder))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->sent_folder_row), "error");
      set_notice (&self->servers[IMAP], _("A folder name cannot contain line breaks or other control characters."),
                  FALSE);
      return;
    }
  set_notice (&self->servers[IMAP], NULL, FALSE);
  g_settings_set_string (self->settings, "imap-sent-folder", folder);
}

/* Asynchronous work for one server; holds the page, which may be disposed
 * (the window closed) by the time it ends. */
typedef struct {
  SignetAccountPage *page;
  Server            *server;
} Job;

static Job *
job_new (Server *server)
{
  Job *job = g_new (Job, 1);

  job->page = g_object_ref (server->page);
  job->server = server;
  return job;
}

static void
job_free (Job *job)
{
  g_object_unref (job->page);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

/* Whether the page is out of its window (or disposed): what it started
 * then only ends, showing nothing. */
static gboolean
page_gone (SignetAccountPage *self)
{
  return self->account == NULL || gtk_widget_get_root (GTK_WIDGET (self)) == NULL;
}

/* Whether the result is for no one: cancelled, or the page is gone. */
static gboolean
job_abandoned (Job *job, const GError *error)
{
  return page_gone (job->page) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
renew_cancellable (GCancellable **cancellable)
{
  g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
  *cancellable = g_cancellable_new ();
}

/* Passwords */

static void on_password_stored (GObject *object, GAsyncResult *result, gpointer user_data);

static void
store_password (SignetAccountPage *self, Server *server, SignetAccountProtocol protocol)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (server->password_row));

  server->storing = protocol;
  /* Copied into non-pageable memory before this returns. */
  signet_account_store_password_async (self->account, protocol, password, server->password_cancellable,
                                       on_password_stored, job_new (server));
}

/* While the IMAP server follows the outgoing one, it has its password too. */
static gboolean
shares_password (SignetAccountPage *self, Server *server)
{
  g_autofree char *imap_host = setting (self, "imap-host");

  return server->protocol == SMTP && is_following (self) && *imap_host != '\0';
}

static void
forget_typed_password (Server *server, const char *message)
{
  gtk_editable_set_text (GTK_EDITABLE (server->password_row), "");
  set_notice (server, message, FALSE);
}

static void
on_password_stored (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Job) job = user_data;
  g_autoptr(GError) error = NULL;
  Server *server = job->server;

  signet_account_store_password_finish (SIGNET_ACCOUNT (object), result, &error);
  if (job_abandoned (job, error))
    return;
  if (error != NULL)
    {
      /* The typed password stays in its row, for "Keep for This Session"
       * or another try. */
      set_notice (server, error->message,
                  g_error_matches (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE));
      return;
    }
  if (server->storing == SMTP && shares_password (job->page, server))
    {
      store_password (job->page, server, IMAP);
      return;
    }
  forget_typed_password (server, _("The password is saved in the keyring."));
}

static gboolean apply_typed (SignetAccountPage *self, Server *server);

static void
on_password_apply (SignetAccountPage *self, GtkWidget *row)
{
  Server *server = server_of (self, row);

  if (self->account == NULL || *gtk_editable_get_text (GTK_EDITABLE (row)) == '\0')
    return;
  /* A password belongs to the server and user shown next to it, typed or
   * not: those are applied first (or the password is not stored). */
  if (!apply_typed (self, server))
    return;
  set_notice (server, NULL, FALSE);
  renew_cancellable (&server->password_cancellable);
  store_password (self, server, server->protocol);
}

/* No keyring: the account keeps the password in memory until it goes. */
static void
on_keep_clicked (SignetAccountPage *self, GtkWidget *button)
{
  Server *server = server_of (self, button);
  const char *password = gtk_editable_get_text (GTK_EDITABLE (server->password_row));

  if (self->account == NULL || *password == '\0' || !apply_typed (self, server))
    return;
  g_cancellable_cancel (server->password_cancellable);
  signet_account_set_session_password (self->account, server->protocol, password);
  if (shares_password (self, server))
    signet_account_set_session_password (self->account, IMAP, password);
  forget_typed_password (server, _("The password is kept for this session only."));
}

/* Test Connection */

static void
set_testing (Server *server, gboolean testing)
{
  gtk_widget_set_visible (GTK_WIDGET (server->test_spinner), testing);
  signet_spinner_set_spinning (server->test_spinner, testing);
  gtk_button_set_label (server->test_button, testing ? _("Cancel") : _("Test Connection"));
  if (testing)
    {
      adw_action_row_set_icon_name (server->test_row, NULL);
      set_row_status (server->test_row, _("Testing…"));
    }
  else
    g_clear_object (&server->test_cancellable);
}

static void
show_test_result (Server *server, const char *icon_name, const char *text)
{
  set_testing (server, FALSE);
  adw_action_row_set_icon_name (server->test_row, icon_name);
  set_row_status (server->test_row, text);
}

/* The Sent folder found on the server, unless the user chose one. */
static char *
adopt_sent_folder (SignetAccountPage *self, const SignetServerCheckResult *check)
{
  g_autofree char *chosen = setting (self, "imap-sent-folder");

  if (*chosen != '\0')
    return g_steal_pointer (&chosen);
  g_settings_set_string (self->settings, "imap-sent-folder",
                         check != NULL && check->sent_folder != NULL ? check->sent_folder : "Sent");
  return setting (self, "imap-sent-folder");
}

static void
report_success (SignetAccountPage *self, Server *server, const SignetServerCheckResult *check)
{
  g_autofree char *user = setting (self, keys_of (server)->user_key);
  g_autofree char *text = NULL;
  g_autofree char *folder = NULL;

  if (check != NULL && check->reply != NULL)
    g_debug ("%s test: %s", server->protocol == SMTP ? "SMTP" : "IMAP", check->reply);
  if (server->protocol == IMAP)
    {
      folder = adopt_sent_folder (self, check);
      if (*user != '\0')
        /* Translators: the first %s is a user name, the second a folder name */
        text = g_strdup_printf (_("Connected and logged in as %s. Sent mail is kept in the folder “%s”."), user, folder);
      else
        /* Translators: %s is a folder name */
        text = g_strdup_printf (_("Connected. Sent mail is kept in the folder “%s”."), folder);
    }
  else if (*user != '\0')
    /* Translators: %s is a user name */
    text = g_strdup_printf (_("Connected and logged in as %s."), user);
  else
    text = g_strdup (_("Connected. Mail is sent without logging in."));
  show_test_result (server, "emblem-ok-symbolic", text);
}

/* One connection test, and the certificate it may ask to trust. */
typedef struct {
  Job   *job;
  char  *host;
  guint  port;
  char  *pin;
} Attempt;

static void
attempt_free (Attempt *attempt)
{
  job_free (attempt->job);
  g_free (attempt->host);
  g_free (attempt->pin);
  g_free (attempt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Attempt, attempt_free)

static void
on_trust_response (AdwMessageDialog *dialog, const char *response, Attempt *attempt)
{
  SignetAccountPage *self = attempt->job->page;
  Server *server = attempt->job->server;
  g_autoptr(GError) error = NULL;

  if (page_gone (self) || g_strcmp0 (response, SIGNET_RESPONSE_TRUST) != 0 || server->test_cancellable != NULL)
    return;
  if (!signet_account_add_trusted_certificate (self->account, attempt->host, attempt->port, attempt->pin, &error))
    {
      show_test_result (server, "dialog-warning-symbolic", error->message);
      return;
    }
  start_test (self, server);
}

/* The server's certificate is not trusted: ask whether to trust it, for this
 * host and port, and test again if so. Takes @attempt. */
static void
ask_trust (Attempt *attempt, const SignetServerCheckResult *check)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (attempt->job->page));
  AdwMessageDialog *dialog;

  attempt->pin = g_strdup (check->pin);
  dialog = signet_dialogs_untrusted_certificate (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                 attempt->host, attempt->port, check->fingerprint);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_trust_response), attempt,
                         (GClosureNotify) (void (*) (void)) attempt_free, 0);
}

static void
on_checked (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Attempt) attempt = user_data;
  g_autoptr(SignetServerCheckResult) found = NULL;
  g_autoptr(GError) error = NULL;
  Server *server = attempt->job->server;

  signet_server_check_finish (result, &found, &error);
  if (page_gone (attempt->job->page))
    return;
  if (error == NULL)
    report_success (attempt->job->page, server, found);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_test_result (server, NULL, _("The test was cancelled."));
  else
    {
      show_test_result (server, "dialog-warning-symbolic", error->message);
      if (g_error_matches (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE)
          && found != NULL && found->pin != NULL && found->fingerprint != NULL)
        ask_trust (g_steal_pointer (&attempt), found);
    }
}

/* Connects with the settings as saved and @password (NULL: none). */
static void
run_check (SignetAccountPage *self, Server *server, const char *password)
{
  const ServerKeys *keys = keys_of (server);
  Attempt *attempt = g_new0 (Attempt, 1);
  g_autofree char *security = setting (self, keys->security_key);
  g_autofree char *user = setting (self, keys->user_key);
  g_autofree char *pin = NULL;

  attempt->job = job_new (server);
  attempt->host = setting (self, keys->host_key);
  attempt->port = g_settings_get_uint (self->settings, keys->port_key);
  pin = signet_account_lookup_trusted_certificate (self->account, attempt->host, attempt->port);
  signet_server_check_async (server->protocol, attempt->host, attempt->port, security, user, password, pin, NULL,
                             server->test_cancellable, on_checked, attempt);
}

static void
on_password_found (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Job) job = user_data;
  g_autoptr(GError) error = NULL;
  char *password = signet_account_lookup_password_finish (SIGNET_ACCOUNT (object), result, &error);

  if (job_abandoned (job, error))
    {
      signet_account_password_free (password);
      if (!page_gone (job->page))
        show_test_result (job->server, NULL, _("The test was cancelled."));
      return;
    }
  if (error != NULL)
    show_test_result (job->server, "dialog-warning-symbolic", error->message);
  else if (password == NULL)
    show_test_result (job->server, "dialog-warning-symbolic",
                      _("No password is saved for this user name: enter it above, then test again."));
  else
    run_check (job->page, job->server, password);
  signet_account_password_free (password);
}

/* What was typed but not applied counts: a test of what the rows show. */
static gboolean
apply_typed (SignetAccountPage *self, Server *server)
{
  g_autofree char *host = entry_text (server->host_row);
  g_autofree char *user = entry_text (server->user_row);
  g_autofree char *saved_host = setting (self, keys_of (server)->host_key);
  g_autofree char *saved_user = setting (self, keys_of (server)->user_key);

  if (server->protocol == IMAP && is_following (self))
    return TRUE;
  if (!g_str_equal (host, saved_host) && !apply_host (self, server))
    return FALSE;
  if (g_str_equal (user, saved_user))
    return TRUE;
  /* Applying the host shows the settings again: the typed user is put back. */
  gtk_editable_set_text (GTK_EDITABLE (server->user_row), user);
  return apply_user (self, server);
}

static void
start_test (SignetAccountPage *self, Server *server)
{
  Server *typed = server->protocol == IMAP && is_following (self) ? &self->servers[SMTP] : server;
  const char *password = gtk_editable_get_text (GTK_EDITABLE (typed->password_row));
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autoptr(GError) error = NULL;

  if (!apply_typed (self, server))
    return;
  host = setting (self, keys_of (server)->host_key);
  if (!check_host (self, server, host, &error))
    {
      show_test_result (server, "dialog-warning-symbolic", error->message);
      return;
    }
  server->test_cancellable = g_cancellable_new ();
  set_testing (server, TRUE);
  user = setting (self, keys_of (server)->user_key);
  if (*password != '\0' || *user == '\0')
    run_check (self, server, *user != '\0' ? password : NULL);
  else
    signet_account_lookup_password_async (self->account, server->protocol, server->test_cancellable,
                                          on_password_found, job_new (server));
}

/* The button is Cancel while a test runs. */
static void
on_test_clicked (SignetAccountPage *self, GtkWidget *button)
{
  Server *server = server_of (self, button);

  if (self->account == NULL)
    return;
  if (server->test_cancellable != NULL)
    g_cancellable_cancel (server->test_cancellable);
  else
    start_test (self, server);
}

/* Accessibility */

static void
name_after_tooltip (GtkWidget *button)
{
  const char *tooltip = gtk_widget_get_tooltip_text (button);

  if (tooltip != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
}

/* libadwaita 1.2's entry rows have icon-only buttons without an accessible
 * name (a screen reader says "GtkImage"): the apply button, and a password
 * row's "Show Text", whose tooltip tells what it does now. */
static void
name_icon_buttons (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_BUTTON (c) && gtk_button_get_label (GTK_BUTTON (c)) == NULL
          && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (c)), "object-select-symbolic") == 0)
        gtk_accessible_update_property (GTK_ACCESSIBLE (c), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Apply"), -1);
      else if (GTK_IS_BUTTON (c) && gtk_button_get_label (GTK_BUTTON (c)) == NULL)
        {
          name_after_tooltip (c);
          g_signal_connect (c, "clicked", G_CALLBACK (name_after_tooltip), NULL);
        }
      else
        name_icon_buttons (c);
    }
}

/* The object */

/* Closing the window stops a test (a password being saved is let finish:
 * the user asked for it). */
static void
signet_account_page_unroot (GtkWidget *widget)
{
  SignetAccountPage *self = SIGNET_ACCOUNT_PAGE (widget);

  for (guint i = 0; i < G_N_ELEMENTS (self->servers); i++)
    g_cancellable_cancel (self->servers[i].test_cancellable);
  GTK_WIDGET_CLASS (signet_account_page_parent_class)->unroot (widget);
}

static void
signet_account_page_dispose (GObject *object)
{
  SignetAccountPage *self = SIGNET_ACCOUNT_PAGE (object);

  for (guint i = 0; i < G_N_ELEMENTS (self->servers); i++)
    {
      g_cancellable_cancel (self->servers[i].password_cancellable);
      g_cancellable_cancel (self->servers[i].test_cancellable);
      g_clear_object (&self->servers[i].password_cancellable);
      g_clear_object (&self->servers[i].test_cancellable);
    }
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->account);
  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_ACCOUNT_PAGE);
  G_OBJECT_CLASS (signet_account_page_parent_class)->dispose (object);
}

static void
bind_server (GtkWidgetClass *widget_class, SignetAccountProtocol protocol, const char *prefix)
{
  g_autofree char *name = NULL;
  /* The names are prefix_field: "smtp_host_row", "imap_test_button", ... */
  static const struct { const char *field; gsize offset; } fields[] = {
#define FIELD(f) { #f, G_STRUCT_OFFSET (Server, f) }
    FIELD (group), FIELD (host_row), FIELD (port_spin), FIELD (security_row), FIELD (user_row),
    FIELD (password_row), FIELD (notice_row), FIELD (keep_button), FIELD (test_row),
    FIELD (test_spinner), FIELD (test_button),
#undef FIELD
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_free (name);
      name = g_strdup_printf ("%s_%s", prefix, fields[i].field);
      gtk_widget_class_bind_template_child_full (widget_class, g_intern_string (name), FALSE,
                                                 G_STRUCT_OFFSET (SignetAccountPage, servers)
                                                 + protocol * sizeof (Server) + fields[i].offset);
    }
}

static void
signet_account_page_class_init (SignetAccountPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = signet_account_page_dispose;
  widget_class->unroot = signet_account_page_unroot;
  g_type_ensure (SIGNET_TYPE_SPINNER);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/signetmail/Signet/signet-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SignetAccountPage, identity_row);
  gtk_widget_class_bind_template_child (widget_class, SignetAccountPage, same_switch);
  gtk_widget_class_bind_template_child (widget_class, SignetAccountPage, sent_folder_row);
  bind_server (widget_class, SMTP, "smtp");
  bind_server (widget_class, IMAP, "imap");
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_identity_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_host_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_user_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_security_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_password_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_keep_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_same_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_sent_folder_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_test_clicked);
}

static void
signet_account_page_init (SignetAccountPage *self)
{
  self->updating = TRUE;  /* until there is an account to show */
  gtk_widget_init_template (GTK_WIDGET (self));
  name_icon_buttons (GTK_WIDGET (self));
  for (guint i = 0; i < G_N_ELEMENTS (self->servers); i++)
    {
      self->servers[i].page = self;
      self->servers[i].protocol = i;
    }
}

/* @account: whose settings and passwords the page shows and changes. */
SignetAccountPage *
signet_account_page_new (SignetAccount *account)
{
  SignetAccountPage *self = g_object_new (SIGNET_TYPE_ACCOUNT_PAGE, NULL);

  signet_account_page_set_account (self, account);
  return self;
}

/* Once, right after the page is made (by a template that holds it). */
void
signet_account_page_set_account (SignetAccountPage *self,
                                 SignetAccount     *account)
{
  g_return_if_fail (SIGNET_IS_ACCOUNT_PAGE (self));
  g_return_if_fail (SIGNET_IS_ACCOUNT (account));
  g_return_if_fail (self->account == NULL);

  self->account = g_object_ref (account);
  self->settings = g_object_ref (signet_account_get_settings (account));
  show_settings (self);
  g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (on_settings_changed), self);
}

SignetAccount *
signet_account_page_get_account (SignetAccountPage *self)
{
  g_return_val_if_fail (SIGNET_IS_ACCOUNT_PAGE (self), NULL);
  return self->account;
}
