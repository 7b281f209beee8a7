#define G_LOG_DOMAIN "signet-drafts-window"

#include "signet-drafts-window.h"

#include "signet-i18n.h"
#include "signet-tooltip.h"

/* Drafts: every saved message, newest first, with its subject, recipients
 * and when it was saved; a sealed one is decrypted for the list by the
 * core, off the main thread. Open takes a draft back into a composer
 * (app.open-draft, its target the draft's file name). A draft that cannot
 * be read is listed with the reason, and left as it is. The list is read
 * again whenever Drafts changes. */

struct _SignetDraftsWindow
{
  AdwWindow      parent_instance;

  SignetDrafts  *drafts;
  GCancellable  *cancellable;
  gboolean       listing;
  gboolean       relist;
  guint          n_rows;

  GtkStack      *stack;
  AdwStatusPage *error_page;
  GtkListBox    *list_box;
};

G_DEFINE_FINAL_TYPE (SignetDraftsWindow, signet_drafts_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_DRAFTS,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void relist (SignetDraftsWindow *self);

static char *
describe (const SignetDraftInfo *info)
{
  g_autofree char *date = info->date != NULL ? g_date_time_format (info->date, "%x %H:%M") : g_strdup ("");

  if (info->recipients == NULL || *info->recipients == '\0')
    /* Translators: %s is when the draft was saved */
    return g_strdup_printf (_("No recipients yet · saved %s"), date);
  /* Translators: first %s is a list of recipients, second when the draft was saved */
  return g_strdup_printf (_("To %s · saved %s"), info->recipients, date);
}

/* Deleting a draft is the user's own choice (one a window has open goes
 * with that window's Send or Discard). */
static void
add_delete_button (GtkWidget *row, const SignetDraftInfo *info, const char *subject)
{
  GtkWidget *remove;
  g_autofree char *delete_label = NULL;

  if (info->open)
    return;
  remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  /* Translators: %s is the subject of a draft */
  delete_label = g_strdup_printf (_("Delete draft %s"), subject);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  signet_tooltip_set_text (remove, delete_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, delete_label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "app.delete-draft");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "s", info->name);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
}

static GtkWidget *
create_row (const SignetDraftInfo *info)
{
  GtkWidget *row = adw_action_row_new ();
  const char *subject = info->subject != NULL && *info->subject != '\0' ? info->subject : _("(No Subject)");
  g_autofree char *subtitle = NULL;
  g_autofree char *open_label = NULL;
  GtkWidget *button;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (info->problem != NULL && !info->locked)
    {
      /* Never removed behind the user's back: it stays in Drafts until
       * the user deletes it. */
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("This draft cannot be read"));
      subtitle = g_strdup_printf (_("It stays in Drafts. %s"), info->problem);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("dialog-warning-symbolic"));
      gtk_widget_add_css_class (row, "error");
      add_delete_button (row, info, _("This draft cannot be read"));
      return row;
    }
  if (info->locked)
    {
      /* Sealed, and its passphrase was not given: Open asks for it. */
      subject = _("Sealed draft");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), subject);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), info->problem);
    }
  else
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), subject);
      subtitle = describe (info);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    }
  if (info->sealed)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name ("channel-secure-symbolic");

      signet_tooltip_set_text (icon, _("Sealed to your key"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Sealed to your key"), -1);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }
  button = gtk_button_new_with_label (info->open ? _("Show") : _("Open"));
  /* Translators: %s is the subject of a draft */
  open_label = g_strdup_printf (_("Open draft %s"), subject);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, open_label, -1);
  signet_tooltip_set_text (button, info->open ? _("Already open in a window") : _("Open in a new window"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "app.open-draft");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", info->name);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);
  add_delete_button (row, info, subject);
  return row;
}

static void
show_list (SignetDraftsWindow *self, GPtrArray *infos)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);
  for (guint i = 0; i < infos->len; i++)
    gtk_list_box_append (self->list_box, create_row (g_ptr_array_index (infos, i)));
  self->n_rows = infos->len;
  gtk_stack_set_visible_child_name (self->stack, infos->len > 0 ? "list" : "empty");
}

static void
on_listed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetDraftsWindow) self = user_data;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;

  infos = signet_drafts_list_finish (SIGNET_DRAFTS (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->listing = FALSE;
  if (infos == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
    }
  else
    show_list (self, infos);
  if (self->relist)
    relist (self);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
relist (SignetDraftsWindow *self)
{
  if (self->listing)
    {
      self->relist = TRUE;
      return;
    }
  self->relist = FALSE;
  self->listing = TRUE;
  signet_drafts_list_async (self->drafts, self->cancellable, on_listed, g_object_ref (self));
}

guint
signet_drafts_window_get_n_rows (SignetDraftsWindow *self)
{
  g_return_val_if_fail (SIGNET_IS_DRAFTS_WINDOW (self), 0);
  return self->n_rows;
}

/* The list is being read (again). */
gboolean
signet_drafts_window_get_loading (SignetDraftsWindow *self)
{
  g_return_val_if_fail (SIGNET_IS_DRAFTS_WINDOW (self), FALSE);
  return self->listing;
}

static void
signet_drafts_window_constructed (GObject *object)
{
  SignetDraftsWindow *self = SIGNET_DRAFTS_WINDOW (object);

  G_OBJECT_CLASS (signet_drafts_window_parent_class)->constructed (object);
  g_signal_connect_object (self->drafts, "changed", G_CALLBACK (relist), self, G_CONNECT_SWAPPED);
  relist (self);
}

static void
signet_drafts_window_dispose (GObject *object)
{
  SignetDraftsWindow *self = SIGNET_DRAFTS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_DRAFTS_WINDOW);
  g_clear_object (&self->drafts);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (signet_drafts_window_parent_class)->dispose (object);
}

static void
signet_drafts_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetDraftsWindow *self = SIGNET_DRAFTS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->listing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_drafts_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetDraftsWindow *self = SIGNET_DRAFTS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DRAFTS:
      self->drafts = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_drafts_window_class_init (SignetDraftsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = signet_drafts_window_constructed;
  object_class->dispose = signet_drafts_window_dispose;
  object_class->get_property = signet_drafts_window_get_property;
  object_class->set_property = signet_drafts_window_set_property;

  properties[PROP_DRAFTS] =
    g_param_spec_object ("drafts", NULL, NULL, SIGNET_TYPE_DRAFTS,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/signetmail/Signet/signet-drafts-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SignetDraftsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SignetDraftsWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, SignetDraftsWindow, list_box);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
signet_drafts_window_init (SignetDraftsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

SignetDraftsWindow *
signet_drafts_window_new (GtkApplication *application,
                          SignetDrafts   *drafts)
{
  g_return_val_if_fail (SIGNET_IS_DRAFTS (drafts), NULL);

  return g_object_new (SIGNET_TYPE_DRAFTS_WINDOW,
                       "application", application,
                       "drafts", drafts,
                       NULL);
}
