/* Preferences → Directory: the servers recipients' keys are taken from
 * (LDAP directories and OpenPGP keyservers, asked in order), for each
 * whether its keys are the organisation's, and the Web Key Directory. The
 * page only edits "directory-servers", "directory-trusted" and
 * "directory-wkd"; SignetDirectoryServers follows them. */
#define G_LOG_DOMAIN "signet-directory-page"

#include "signet-directory-page.h"

#include "signet-directory-servers.h"
#include "signet-i18n.h"
#include "signet-tooltip.h"

struct _SignetDirectoryPage
{
  AdwPreferencesPage  parent_instance;

  GSettings          *settings;
  AdwPreferencesGroup *servers_group;
  GPtrArray          *rows;        /* the server rows shown, children of servers_group */
  AdwEntryRow        *add_row;
  GtkSwitch          *wkd_switch;
  guint               rebuild_idle;
};

G_DEFINE_FINAL_TYPE (SignetDirectoryPage, signet_directory_page, ADW_TYPE_PREFERENCES_PAGE)

static void rebuild (SignetDirectoryPage *self);

static char **
current (SignetDirectoryPage *self, const char *key)
{
  return g_settings_get_strv (self->settings, key);
}

/* @url's trust follows @trusted; untrusted entries of servers no longer
 * listed go. */
static void
set_trusted (SignetDirectoryPage *self, const char *url, gboolean trusted)
{
  g_auto(GStrv) servers = current (self, "directory-servers");
  g_auto(GStrv) old = current (self, "directory-trusted");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) now = NULL;

  for (guint i = 0; old[i] != NULL; i++)
    if (!g_str_equal (old[i], url) && g_strv_contains ((const char * const *) servers, old[i]))
      g_strv_builder_add (builder, old[i]);
  if (trusted)
    g_strv_builder_add (builder, url);
  now = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "directory-trusted", (const char * const *) now);
}

static void
on_trusted_toggled (GtkSwitch *toggle, GParamSpec *pspec, SignetDirectoryPage *self)
{
  set_trusted (self, g_object_get_data (G_OBJECT (toggle), "signet-url"), gtk_switch_get_active (toggle));
}

static void
on_remove_clicked (GtkButton *button, SignetDirectoryPage *self)
{
  const char *url = g_object_get_data (G_OBJECT (button), "signet-url");
  g_auto(GStrv) servers = current (self, "directory-servers");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) now = NULL;
  g_autofree char *gone = g_strdup (url);

  for (guint i = 0; servers[i] != NULL; i++)
    if (!g_str_equal (servers[i], gone))
      g_strv_builder_add (builder, servers[i]);
  now = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "directory-servers", (const char * const *) now);
  set_trusted (self, gone, FALSE);
}

static GtkWidget *
server_row (SignetDirectoryPage *self, const char *url, gboolean trusted)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  /* Translators: %s is a directory server's address */
  g_autofree char *trust_label = g_strdup_printf (_("Keys from %s are the organisation’s"), url);
  /* Translators: %s is a directory server's address */
  g_autofree char *remove_label = g_strdup_printf (_("Remove %s"), url);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), url);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               trusted ? _("Trusted: its keys are used without asking")
                                       : _("Keys found here are used once you accept them"));
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  gtk_switch_set_active (GTK_SWITCH (toggle), trusted);
  signet_tooltip_set_text (toggle, trust_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (toggle), GTK_ACCESSIBLE_PROPERTY_LABEL, trust_label, -1);
  g_object_set_data_full (G_OBJECT (toggle), "signet-url", g_strdup (url), g_free);
  g_signal_connect (toggle, "notify::active", G_CALLBACK (on_trusted_toggled), self);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  signet_tooltip_set_text (remove, remove_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
  g_object_set_data_full (G_OBJECT (remove), "signet-url", g_strdup (url), g_free);
  g_signal_connect (remove, "clicked", G_CALLBACK (on_remove_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}

static void
rebuild (SignetDirectoryPage *self)
{
  g_auto(GStrv) servers = current (self, "directory-servers");
  g_auto(GStrv) trusted = current (self, "directory-trusted");

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->servers_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  for (guint i = 0; servers[i] != NULL; i++)
    {
      GtkWidget *row = server_row (self, servers[i], g_strv_contains ((const char * const *) trusted, servers[i]));

      g_ptr_array_add (self->rows, row);
      adw_preferences_group_add (self->servers_group, row);
    }
  /* The entry for a new server stays last. */
  g_object_ref (self->add_row);
  adw_preferences_group_remove (self->servers_group, GTK_WIDGET (self->add_row));
  adw_preferences_group_add (self->servers_group, GTK_WIDGET (self->add_row));
  g_object_unref (self->add_row);
}

/* After the signal that changed the settings: a row may be the one whose
 * switch or button is being handled. */
static gboolean
rebuild_idle_cb (gpointer user_data)
{
  SignetDirectoryPage *self = user_data;

  self->rebuild_idle = 0;
  rebuild (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_rebuild (SignetDirectoryPage *self)
{
  if (self->rebuild_idle == 0)
    self->rebuild_idle = g_idle_add (rebuild_idle_cb, self);
}

static void
on_add_apply (AdwEntryRow *entry, SignetDirectoryPage *self)
{
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));
  g_auto(GStrv) servers = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) now = NULL;

  if (!signet_directory_server_url_is_valid (url))
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      signet_tooltip_set_text (GTK_WIDGET (entry),
                                   _("Give an ldap://, ldaps://, hkp:// or hkps:// address without spaces"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      _("Give an ldap://, ldaps://, hkp:// or hkps:// address without spaces"), -1);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  signet_tooltip_set_text (GTK_WIDGET (entry), NULL);
  gtk_accessible_reset_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  servers = current (self, "directory-servers");
  if (!g_strv_contains ((const char * const *) servers, url))
    {
      builder = g_strv_builder_new ();
      g_strv_builder_addv (builder, (const char **) servers);
      g_strv_builder_add (builder, url);
      now = g_strv_builder_end (builder);
      g_settings_set_strv (self->settings, "directory-servers", (const char * const *) now);
    }
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
on_add_changed (AdwEntryRow *entry, SignetDirectoryPage *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
}

static void
signet_directory_page_dispose (GObject *object)
{
  SignetDirectoryPage *self = SIGNET_DIRECTORY_PAGE (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_handle_id (&self->rebuild_idle, g_source_remove);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (signet_directory_page_parent_class)->dispose (object);
}

static void
signet_directory_page_class_init (SignetDirectoryPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = signet_directory_page_dispose;
}

static void
signet_directory_page_init (SignetDirectoryPage *self)
{
  AdwPreferencesGroup *wkd_group;
  GtkWidget *wkd_row;

  self->rows = g_ptr_array_new ();
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Directory"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "x-office-address-book-symbolic");

  self->servers_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->servers_group, _("Directory Servers"));
  adw_preferences_group_set_description (self->servers_group,
                                         _("Recipients’ keys are refreshed and looked up on these servers, in this "
                                           "order, before a sealed message is sent. Without any, your keyring "
                                           "alone is the directory. Switch a server on to use the keys found "
                                           "there as your organisation’s, without asking."));
  self->add_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->add_row), _("Add a server (ldap://, ldaps://, hkp://, hkps://)"));
  adw_entry_row_set_show_apply_button (self->add_row, TRUE);
  g_signal_connect (self->add_row, "apply", G_CALLBACK (on_add_apply), self);
  g_signal_connect (self->add_row, "entry-activated", G_CALLBACK (on_add_apply), self);
  g_signal_connect (self->add_row, "changed", G_CALLBACK (on_add_changed), self);
  adw_preferences_group_add (self->servers_group, GTK_WIDGET (self->add_row));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->servers_group);

  wkd_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  wkd_row = adw_action_row_new ();
  self->wkd_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->wkd_switch), GTK_ALIGN_CENTER);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (wkd_row), _("Web Key Directory"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (wkd_row),
                               _("Look for a missing key on the recipient’s own domain first"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (wkd_row), GTK_WIDGET (self->wkd_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (wkd_row), GTK_WIDGET (self->wkd_switch));
  adw_preferences_group_add (wkd_group, wkd_row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), wkd_group);
}

SignetDirectoryPage *
signet_directory_page_new (GSettings *settings)
{
  SignetDirectoryPage *self = g_object_new (SIGNET_TYPE_DIRECTORY_PAGE, NULL);

  signet_directory_page_set_settings (self, settings);
  return self;
}

void
signet_directory_page_set_settings (SignetDirectoryPage *self,
                                    GSettings           *settings)
{
  g_return_if_fail (SIGNET_IS_DIRECTORY_PAGE (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_set_object (&self->settings, settings);
  g_signal_connect_swapped (settings, "changed::directory-servers", G_CALLBACK (schedule_rebuild), self);
  g_signal_connect_swapped (settings, "changed::directory-trusted", G_CALLBACK (schedule_rebuild), self);
  g_settings_bind (settings, "directory-wkd", self->wkd_switch, "active", G_SETTINGS_BIND_DEFAULT);
  rebuild (self);
}
