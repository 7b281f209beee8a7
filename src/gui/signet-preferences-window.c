#define G_LOG_DOMAIN "signet-preferences-window"

#include "signet-preferences-window.h"

#include "signet-address.h"
#include "signet-i18n.h"

/* The sender identity, Seal by default and Work Offline: the settings a user
 * of the own keyring (not --demo) needs. The identity is saved only once it
 * parses as one address. */
struct _SignetPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  AdwEntryRow          *identity_row;
  GtkSwitch            *seal_switch;
  GtkSwitch            *offline_switch;
};

G_DEFINE_FINAL_TYPE (SignetPreferencesWindow, signet_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
on_identity_changed (SignetPreferencesWindow *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->identity_row), "error");
}

static void
on_identity_apply (SignetPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->identity_row));
  g_autoptr(SignetAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *normalised = NULL;

  address = signet_address_parse (text, &error);
  if (address == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->identity_row), "error");
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      return;
    }
  normalised = signet_address_to_string (address);
  g_settings_set_string (self->settings, "identity", normalised);
  gtk_editable_set_text (GTK_EDITABLE (self->identity_row), normalised);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (_("Identity saved")));
}

static void
signet_preferences_window_dispose (GObject *object)
{
  SignetPreferencesWindow *self = SIGNET_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (signet_preferences_window_parent_class)->dispose (object);
}

static void
signet_preferences_window_class_init (SignetPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = signet_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/signetmail/Signet/signet-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, identity_row);
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, seal_switch);
  gtk_widget_class_bind_template_child (widget_class, SignetPreferencesWindow, offline_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_identity_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_identity_changed);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
signet_preferences_window_init (SignetPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

SignetPreferencesWindow *
signet_preferences_window_new (GtkWindow *parent,
                               GSettings *settings)
{
  SignetPreferencesWindow *self = g_object_new (SIGNET_TYPE_PREFERENCES_WINDOW,
                                                "transient-for", parent,
                                                NULL);
  g_autofree char *identity = g_settings_get_string (settings, "identity");

  self->settings = g_object_ref (settings);
  gtk_editable_set_text (GTK_EDITABLE (self->identity_row), identity);
  gtk_widget_remove_css_class (GTK_WIDGET (self->identity_row), "error");
  g_settings_bind (settings, "seal-by-default", self->seal_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "work-offline", self->offline_switch, "active", G_SETTINGS_BIND_DEFAULT);
  return self;
}
