#define G_LOG_DOMAIN "signet-preferences-window"

#include "signet-preferences-window.h"

#include "signet-account-page.h"
#include "signet-address.h"
#include "signet-directory-page.h"
#include "signet-i18n.h"
#include "signet-report-text.h"

/* Three pages: the account (identity and mail servers, SignetAccountPage),
 * the directory's servers (SignetDirectoryPage), and Seal by default, subject encryption, the own key that drafts and sent
 * copies are sealed to, and Work Offline. */
struct _SignetPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  SignetKeyDirectory   *directory;     /* NULL: no key list */
  char                 *fixed_identity; /* whose keys to list; NULL: the identity setting */
  GCancellable         *cancellable;
  GPtrArray            *fingerprints;  /* char *, one per own_key_row item; "" = newest usable */
  gboolean              filling;

  SignetAccountPage    *account_page;
  GtkSwitch            *seal_switch;
  GtkSwitch            *sign_switch;
  GtkSwitch            *subject_switch;
  GtkSwitch            *smime_switch;
  AdwComboRow          *own_key_row;
  GtkSwitch            *offline_switch;
};

G_DEFINE_FINAL_TYPE (SignetPreferencesWindow, signet_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static char *
format_date (gint64 when)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_local (when);

  return date ? g_date_time_format (date, "%Y-%m-%d") : g_strdup ("?");
}

/* "Name <address> — 1234 5678 … — created 2024-01-05, expires 2027-01-05" */
static char *
describe_key (const SignetOwnKey *key)
{
  g_autofree char *fingerprint = signet_short_fingerprint (key->fingerprint);
  g_autofree char *created = format_date (key->created);
  g_autofree char *expires = NULL;

  if (key->expires == 0)
    /* Translators: a key pair: user ID, start of the fingerprint, date made */
    return g_strdup_printf (_("%s — %s — created %s, does not expire"), key->user_id, fingerprint, created);
  expires = format_date (key->expires);
  /* Translators: a key pair: user ID, start of the fingerprint, date made, date it expires */
  return g_strdup_printf (_("%s — %s — created %s, expires %s"), key->user_id, fingerprint, created, expires);
}

static void
add_choice (SignetPreferencesWindow *self, GtkStringList *labels, const char *label, const char *fingerprint)
{
  gtk_string_list_append (labels, label);
  g_ptr_array_add (self->fingerprints, g_strdup (fingerprint));
}

/* Shows @keys (the usable ones) and selects the own-key setting. A setting
 * naming a key that is not listed is shown as such, never silently
 * replaced. The row gets a whole new model, once the keys are known: GTK
 * 4.8's accessibility bus trips over a shown combo row whose list changes
 * item by item. */
static void
fill_own_keys (SignetPreferencesWindow *self, GPtrArray *keys)
{
  g_autofree char *chosen = g_settings_get_string (self->settings, "own-key");
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  guint selected = 0;

  self->filling = TRUE;
  g_ptr_array_set_size (self->fingerprints, 0);
  add_choice (self, labels, _("Newest usable key"), "");
  for (guint i = 0; keys != NULL && i < keys->len; i++)
    {
      const SignetOwnKey *key = g_ptr_array_index (keys, i);
      g_autofree char *label = NULL;

      if (key->status != SIGNET_KEY_STATUS_OK)
        continue;
      label = describe_key (key);
      if (g_ascii_strcasecmp (key->fingerprint, chosen) == 0)
        selected = self->fingerprints->len;
      add_choice (self, labels, label, key->fingerprint);
    }
  if (*chosen != '\0' && selected == 0)
    {
      g_autofree char *fingerprint = signet_short_fingerprint (chosen);
      /* Translators: %s is the start of a key fingerprint */
      g_autofree char *label = g_strdup_printf (_("Key %s (not found or not usable)"), fingerprint);

      selected = self->fingerprints->len;
      add_choice (self, labels, label, chosen);
    }
  adw_combo_row_set_model (self->own_key_row, G_LIST_MODEL (labels));
  adw_combo_row_set_selected (self->own_key_row, selected);
  self->filling = FALSE;
}

/* @user_data is the window, unreferenced: a closed window must go at once
 * (a toplevel kept alive after gtk_window_destroy() confuses the
 * accessibility bus), and its dispose cancels this, so a cancelled result
 * never touches it. */
static void
on_own_keys_listed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignetPreferencesWindow *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) keys = NULL;

  keys = signet_key_directory_list_own_keys_finish (SIGNET_KEY_DIRECTORY (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (keys == NULL)
    g_debug ("Own keys not listed: %s", error->message);
  fill_own_keys (self, keys);
}

static char *
identity_email (SignetPreferencesWindow *self)
{
  g_autofree char *identity = self->fixed_identity ? g_strdup (self->fixed_identity)
                                                   : g_settings_get_string (self->settings, "identity");
  g_autoptr(SignetAddress) address = signet_address_parse (identity, NULL);

  return address ? g_strdup (address->email) : NULL;
}

/* The keyring is read by a GTask thread; until it answers, the row has no
 * choices (and cannot be changed). */
static void
load_own_keys (SignetPreferencesWindow *self)
{
  g_autofree char *email = identity_email (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->directory == NULL || email == NULL)
    {
      fill_own_keys (self, NULL);
      return;
    }
  signet_key_directory_list_own_keys_async (self->directory, email, self->cancellable,
                                            on_own_keys_listed, self);
}

/* The own keys are those of the identity, wherever it is changed. */
static void
on_identity_changed (SignetPreferencesWindow *self)
{
  if (self->fixed_identity == NULL)
    load_own_keys (self);
}

static void
on_own_key_selected (SignetPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->own_key_row);

  if (self->filling || selected >= self->fingerprints->len)
    return;
  g_settings_set_string (self->settings, "own-key", g_ptr_array_index (self->fingerprints, selected));
}

static void
signet_preferences_window_dispose (GObject *object)
{
  SignetPreferencesWindow *self = SIGNET_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->directory);
  g_clear_pointer (&self->fingerprints, g_ptr_array_unref);
  g_clear_pointer (&self->fixed_identity, g_free);
  G_OBJECT_CLASS (signet_preferences_window_parent_class)->dispose (object);
}

static void
signet_preferences_window_class_init (SignetPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = signet_preferences_window_dispose;
  g_type_ensure (SIGNET_TYPE_ACCOUNT_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/signetmail/Signet/signet-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, account_page);
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, seal_switch);
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, sign_switch);
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, subject_switch);
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, smime_switch);
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, own_key_row);
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, offline_switch);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
signet_preferences_window_init (SignetPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->fingerprints = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_set_sensitive (GTK_WIDGET (self->own_key_row), FALSE);
}

/* @account: whose settings and passwords the Account page changes; a
 *   password kept "for this session" lives as long as it does.
 * @directory: (nullable): where the own keys are listed from.
 * @identity: (nullable): the sender whose keys to list (the demo's, under
 *   --demo); NULL: the identity setting, followed as it changes. */
SignetPreferencesWindow *
signet_preferences_window_new_for_account (GtkWindow          *parent,
                                           SignetAccount      *account,
                                           SignetKeyDirectory *directory,
                                           const char         *identity)
{
  SignetPreferencesWindow *self = g_object_new (SIGNET_TYPE_PREFERENCES_WINDOW,
                                                "transient-for", parent,
                                                NULL);
  GSettings *settings = signet_account_get_settings (account);

  self->settings = g_object_ref (settings);
  self->directory = directory ? g_object_ref (directory) : NULL;
  self->fixed_identity = g_strdup (identity);
  signet_account_page_set_account (self->account_page, account);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (signet_directory_page_new (settings)));
  g_settings_bind (settings, "seal-by-default", self->seal_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "sign-by-default", self->sign_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "encrypt-subject", self->subject_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "prefer-smime", self->smime_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "work-offline", self->offline_switch, "active", G_SETTINGS_BIND_DEFAULT);
  load_own_keys (self);
  g_signal_connect_swapped (self->own_key_row, "notify::selected", G_CALLBACK (on_own_key_selected), self);
  g_signal_connect_swapped (settings, "changed::identity", G_CALLBACK (on_identity_changed), self);
  return self;
}

/* As signet_preferences_window_new_for_account(), with an account of the
 * window's own over @settings: a password kept for this session only is
 * then forgotten when the window closes. */
SignetPreferencesWindow *
signet_preferences_window_new (GtkWindow          *parent,
                               GSettings          *settings,
                               SignetKeyDirectory *directory,
                               const char         *identity)
{
  g_autoptr(SignetAccount) account = signet_account_new (settings);

  return signet_preferences_window_new_for_account (parent, account, directory, identity);
}
