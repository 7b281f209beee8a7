#define G_LOG_DOMAIN "signet-compose-window"

#include "config.h"

#include "signet-compose-window.h"

#include "signet-address.h"
#include "signet-dialogs.h"
#include "signet-errors.h"
#include "signet-i18n.h"

/* The composer. It only collects what the user typed into a SignetMessage and
 * maps the outcome of the send operation to what the user sees; it does no
 * I/O of its own. */
struct _SignetComposeWindow
{
  AdwApplicationWindow  parent_instance;

  SignetSendOperation  *operation;
  SignetNetwork        *network;
  GCancellable         *cancellable;
  GListStore           *attachments;   /* SignetAttachment, shown in attachment_list */
  gboolean              seal;
  gboolean              busy;

  AdwToastOverlay      *toast_overlay;
  GtkRevealer          *offline_revealer;
  GtkLabel             *offline_label;
  GtkWidget            *work_online_button;
  GtkSpinner           *spinner;
  GtkToggleButton      *seal_button;
  GtkMenuButton        *menu_button;
  GtkEntry             *from_entry;
  GtkEntry             *to_entry;
  GtkEntry             *cc_entry;
  GtkEntry             *bcc_entry;
  GtkEntry             *subject_entry;
  GtkTextView          *body_view;
  GtkListBox           *attachment_list;
};

G_DEFINE_FINAL_TYPE (SignetComposeWindow, signet_compose_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_OPERATION,
  PROP_NETWORK,
  PROP_IDENTITY,
  PROP_SEAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_busy (SignetComposeWindow *self, gboolean busy)
{
  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compose.send", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compose.check-names", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compose.save-draft", !busy);
}

static void
toast (SignetComposeWindow *self, const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static char *
get_body (SignetComposeWindow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->body_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
add_field (SignetComposeWindow *self,
           GtkEntry            *entry,
           SignetMessage       *message,
           void               (*add) (SignetMessage *, const SignetAddress *),
           GError             **error)
{
  g_autoptr(GPtrArray) list = signet_address_parse_list (gtk_editable_get_text (GTK_EDITABLE (entry)), error);

  if (list == NULL)
    {
      gtk_widget_grab_focus (GTK_WIDGET (entry));
      return FALSE;
    }
  for (guint i = 0; i < list->len; i++)
    add (message, g_ptr_array_index (list, i));
  return TRUE;
}

/* What the user typed, as a message; NULL with @error if a field is invalid
 * (the field gets the focus, nothing typed is touched). */
static SignetMessage *
build_message (SignetComposeWindow *self,
               GError             **error)
{
  g_autoptr(SignetMessage) message = signet_message_new ();
  g_autoptr(SignetAddress) from = NULL;
  g_autofree char *body = get_body (self);
  const char *from_text = gtk_editable_get_text (GTK_EDITABLE (self->from_entry));

  if (*from_text != '\0')
    {
      from = signet_address_parse (from_text, error);
      if (from == NULL)
        {
          gtk_widget_grab_focus (GTK_WIDGET (self->from_entry));
          return NULL;
        }
      signet_message_set_from (message, from);
    }
  if (!add_field (self, self->to_entry, message, signet_message_add_to, error) ||
      !add_field (self, self->cc_entry, message, signet_message_add_cc, error) ||
      !add_field (self, self->bcc_entry, message, signet_message_add_bcc, error))
    return NULL;
  if (!signet_header_check (gtk_editable_get_text (GTK_EDITABLE (self->subject_entry)), error))
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->subject_entry));
      return NULL;
    }
  signet_message_set_subject (message, gtk_editable_get_text (GTK_EDITABLE (self->subject_entry)));
  signet_message_set_body (message, body);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->attachments)); i++)
    {
      g_autoptr(SignetAttachment) attachment = g_list_model_get_item (G_LIST_MODEL (self->attachments), i);
      signet_message_add_attachment (message, attachment);
    }
  signet_message_set_seal (message, self->seal);
  return g_steal_pointer (&message);
}

static void
set_entry_status (GtkEntry *entry, const char *icon, const char *tooltip)
{
  gtk_entry_set_icon_from_icon_name (entry, GTK_ENTRY_ICON_SECONDARY, icon);
  gtk_entry_set_icon_tooltip_text (entry, GTK_ENTRY_ICON_SECONDARY, tooltip);
}

/* Shows, in each address field, whether all its recipients can receive
 * sealed mail; the tooltip names the ones that cannot and why. */
static void
show_key_status (SignetComposeWindow *self, GPtrArray *key_results)
{
  GtkEntry *entries[] = { self->to_entry, self->cc_entry, self->bcc_entry };

  for (guint e = 0; e < G_N_ELEMENTS (entries); e++)
    {
      g_autoptr(GPtrArray) list = signet_address_parse_list (gtk_editable_get_text (GTK_EDITABLE (entries[e])), NULL);
      g_autoptr(GString) problems = g_string_new (NULL);

      if (list == NULL || list->len == 0)
        {
          set_entry_status (entries[e], NULL, NULL);
          continue;
        }
      for (guint i = 0; i < list->len; i++)
        {
          const SignetAddress *a = g_ptr_array_index (list, i);
          const SignetKeyResult *r = signet_key_results_lookup (key_results, a->email);

          if (r != NULL && r->status != SIGNET_KEY_STATUS_OK)
            g_string_append_printf (problems, "%s%s: %s", problems->len ? "\n" : "",
                                    a->email, signet_key_status_describe (r->status));
        }
      if (problems->len > 0)
        set_entry_status (entries[e], "dialog-warning-symbolic", problems->str);
      else
        set_entry_status (entries[e], "channel-secure-symbolic", _("Every recipient here has a valid sealing key"));
    }
}

static void
save_draft (SignetComposeWindow *self);
static void
show_failure (SignetComposeWindow *self, const GError *error, GPtrArray *key_results);

/* The message to act on, or NULL if the window is busy or a field is
 * invalid (then the user has been told which, and nothing is lost). */
static SignetMessage *
take_message (SignetComposeWindow *self)
{
  g_autoptr(GError) error = NULL;
  SignetMessage *message;

  if (self->busy)
    return NULL;
  message = build_message (self, &error);
  if (message == NULL)
    show_failure (self, error, NULL);
  return message;
}

static void
on_offline_response (AdwMessageDialog    *dialog,
                     const char          *response,
                     SignetComposeWindow *self)
{
  if (g_strcmp0 (response, SIGNET_RESPONSE_SAVE_DRAFT) == 0)
    save_draft (self);
}

/* Maps a failed send, check or draft to what the user sees. Nothing typed
 * is lost: the window stays open with every field as it was. */
static void
show_failure (SignetComposeWindow *self, const GError *error, GPtrArray *key_results)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE))
    {
      AdwMessageDialog *dialog = signet_dialogs_offline (GTK_WINDOW (self));
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_offline_response), self, 0);
      return;
    }
  if (key_results != NULL &&
      g_error_matches (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS))
    {
      show_key_status (self, key_results);
      signet_dialogs_recipient_problems (GTK_WINDOW (self), key_results);
      return;
    }
  if (error->domain == SIGNET_ADDRESS_ERROR)
    signet_dialogs_error (GTK_WINDOW (self), _("Invalid Address"), error->message);
  else
    signet_dialogs_error (GTK_WINDOW (self), _("The Message Was Not Sent"), error->message);
}

static void
on_sent (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetComposeWindow) self = user_data;
  g_autoptr(GPtrArray) key_results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetSendReport) report = NULL;
  gboolean delivered;
  GApplication *app;
  g_autoptr(GNotification) notification = NULL;

  if (!signet_send_operation_send_finish (SIGNET_SEND_OPERATION (object), result,
                                          &report, &key_results, &error))
    {
      set_busy (self, FALSE);
      show_failure (self, error, key_results);
      return;
    }
  delivered = report->delivered;
  app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  if (app != NULL)
    {
      notification = g_notification_new (delivered ? _("Message sent")
                                                   : _("Message waiting in the Outbox"));
      if (!delivered)
        g_notification_set_body (notification, _("It will be sent when you are back online."));
      g_application_send_notification (app, "message-sent", notification);
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
send_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (widget);
  g_autoptr(SignetMessage) message = take_message (self);

  if (message == NULL)
    return;
  set_busy (self, TRUE);
  signet_send_operation_send_async (self->operation, message, self->cancellable,
                                    on_sent, g_object_ref (self));
}

static void
on_names_checked (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetComposeWindow) self = user_data;
  g_autoptr(GPtrArray) key_results = NULL;
  g_autoptr(GError) error = NULL;

  set_busy (self, FALSE);
  key_results = signet_send_operation_check_names_finish (SIGNET_SEND_OPERATION (object), result, &error);
  if (key_results == NULL)
    {
      show_failure (self, error, NULL);
      return;
    }
  show_key_status (self, key_results);
  if (signet_key_results_all_ok (key_results))
    toast (self, _("All recipients have valid sealing keys"));
  else
    signet_dialogs_recipient_problems (GTK_WINDOW (self), key_results);
}

static void
check_names_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (widget);
  g_autoptr(SignetMessage) message = take_message (self);

  if (message == NULL)
    return;
  if (!self->seal)
    {
      toast (self, _("All addresses are valid"));
      return;
    }
  set_busy (self, TRUE);
  signet_send_operation_check_names_async (self->operation, message, self->cancellable,
                                           on_names_checked, g_object_ref (self));
}

static void
on_draft_saved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetComposeWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  set_busy (self, FALSE);
  if (!signet_send_operation_save_draft_finish (SIGNET_SEND_OPERATION (object), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        signet_dialogs_error (GTK_WINDOW (self), _("The Draft Was Not Saved"), error->message);
      return;
    }
  toast (self, self->seal ? _("Draft saved, sealed to your own key") : _("Draft saved"));
}

static void
save_draft (SignetComposeWindow *self)
{
  g_autoptr(SignetMessage) message = take_message (self);

  if (message == NULL)
    return;
  set_busy (self, TRUE);
  signet_send_operation_save_draft_async (self->operation, message, self->cancellable,
                                          on_draft_saved, g_object_ref (self));
}

static void
save_draft_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  save_draft (SIGNET_COMPOSE_WINDOW (widget));
}

static void
remove_attachment (GtkButton *button, SignetComposeWindow *self)
{
  SignetAttachment *attachment = g_object_get_data (G_OBJECT (button), "attachment");
  guint position;

  if (g_list_store_find (self->attachments, attachment, &position))
    g_list_store_remove (self->attachments, position);
}

/* One row of the attachment list, made by the list box from the store. */
static GtkWidget *
create_attachment_row (gpointer item, gpointer user_data)
{
  SignetComposeWindow *self = user_data;
  SignetAttachment *attachment = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *size = g_format_size (signet_attachment_get_size (attachment));
  /* Translators: %s is a file name */
  g_autofree char *remove_label = g_strdup_printf (_("Remove %s"), signet_attachment_get_name (attachment));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), signet_attachment_get_name (attachment));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), size);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, remove_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
  g_object_set_data_full (G_OBJECT (remove), "attachment", g_object_ref (attachment), g_object_unref);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (remove_attachment), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}

static void
on_attachments_changed (GListModel *model, guint position, guint removed, guint added,
                        SignetComposeWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->attachment_list), g_list_model_get_n_items (model) > 0);
}

static void
on_attachment_info (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetComposeWindow) self = user_data;
  GFile *file = G_FILE (object);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetAttachment) attachment = NULL;
  g_autofree char *content_type = NULL;

  info = g_file_query_info_finish (file, result, &error);
  if (info == NULL)
    {
      g_autofree char *name = g_file_get_parse_name (file);
      g_autofree char *body = NULL;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Translators: first %s is a file name, second the reason */
      body = g_strdup_printf (_("“%s” cannot be attached: %s"), name, error->message);
      signet_dialogs_error (GTK_WINDOW (self), _("Cannot Attach File"), body);
      return;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_autofree char *body = g_strdup_printf (_("“%s” is not a regular file."),
                                               g_file_info_get_display_name (info));
      signet_dialogs_error (GTK_WINDOW (self), _("Cannot Attach File"), body);
      return;
    }
  content_type = g_content_type_get_mime_type (g_file_info_get_content_type (info));
  attachment = signet_attachment_new (file, g_file_info_get_display_name (info),
                                      content_type, g_file_info_get_size (info));
  g_list_store_append (self->attachments, attachment);
}

void
signet_compose_window_add_attachment (SignetComposeWindow *self,
                                      GFile               *file)
{
  g_return_if_fail (SIGNET_IS_COMPOSE_WINDOW (self));

  g_file_query_info_async (file,
                           G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME ","
                           G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                           G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                           G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->cancellable,
                           on_attachment_info, g_object_ref (self));
}

static void
set_addresses (GtkEntry *entry, SignetMessage *message, SignetRecipientKind kind)
{
  g_autoptr(GPtrArray) addresses = signet_message_dup_recipients (message, kind);
  g_autofree char *text = signet_address_join (addresses, FALSE);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

/* Fills the composer from @message (a mailto: link, the command line); the
 * sender stays the window's identity unless @message names one. */
void
signet_compose_window_load_message (SignetComposeWindow *self,
                                    SignetMessage       *message)
{
  GListModel *attachments = signet_message_get_attachments (message);

  g_return_if_fail (SIGNET_IS_COMPOSE_WINDOW (self));

  if (signet_message_get_from (message) != NULL)
    {
      g_autofree char *from = signet_address_to_string (signet_message_get_from (message));
      gtk_editable_set_text (GTK_EDITABLE (self->from_entry), from);
    }
  set_addresses (self->to_entry, message, SIGNET_RECIPIENT_TO);
  set_addresses (self->cc_entry, message, SIGNET_RECIPIENT_CC);
  set_addresses (self->bcc_entry, message, SIGNET_RECIPIENT_BCC);
  gtk_editable_set_text (GTK_EDITABLE (self->subject_entry), signet_message_get_subject (message));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->body_view), signet_message_get_body (message), -1);
  for (guint i = 0; i < g_list_model_get_n_items (attachments); i++)
    {
      g_autoptr(SignetAttachment) attachment = g_list_model_get_item (attachments, i);
      signet_compose_window_add_attachment (self, signet_attachment_get_file (attachment));
    }
}

guint
signet_compose_window_get_n_attachments (SignetComposeWindow *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->attachments));
}

static void
on_files_chosen (GtkNativeDialog *chooser, int response, SignetComposeWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);
          signet_compose_window_add_attachment (self, file);
        }
    }
  g_object_unref (chooser);
}

static void
attach_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Attach Files"), GTK_WINDOW (widget),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Attach"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_files_chosen), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
update_offline_banner (SignetComposeWindow *self)
{
  gtk_revealer_set_reveal_child (self->offline_revealer, !signet_network_get_online (self->network));
  gtk_widget_set_visible (self->work_online_button, signet_network_get_work_offline (self->network));
}

static void
on_address_changed (GtkEditable *editable, gpointer user_data)
{
  set_entry_status (GTK_ENTRY (editable), NULL, NULL);
}

static void
signet_compose_window_constructed (GObject *object)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (object);

  G_OBJECT_CLASS (signet_compose_window_parent_class)->constructed (object);

  g_signal_connect_object (self->network, "notify::online",
                           G_CALLBACK (update_offline_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->network, "notify::work-offline",
                           G_CALLBACK (update_offline_banner), self, G_CONNECT_SWAPPED);
  update_offline_banner (self);
}

static void
signet_compose_window_dispose (GObject *object)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_COMPOSE_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->operation);
  g_clear_object (&self->network);
  g_clear_object (&self->attachments);
  G_OBJECT_CLASS (signet_compose_window_parent_class)->dispose (object);
}

static void
signet_compose_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SEAL:
      g_value_set_boolean (value, self->seal);
      break;
    case PROP_IDENTITY:
      g_value_set_string (value, gtk_editable_get_text (GTK_EDITABLE (self->from_entry)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_compose_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_OPERATION:
      self->operation = g_value_dup_object (value);
      break;
    case PROP_NETWORK:
      self->network = g_value_dup_object (value);
      break;
    case PROP_IDENTITY:
      gtk_editable_set_text (GTK_EDITABLE (self->from_entry),
                             g_value_get_string (value) ? g_value_get_string (value) : "");
      break;
    case PROP_SEAL:
      if (self->seal != g_value_get_boolean (value))
        {
          self->seal = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_compose_window_class_init (SignetComposeWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = signet_compose_window_constructed;
  object_class->dispose = signet_compose_window_dispose;
  object_class->get_property = signet_compose_window_get_property;
  object_class->set_property = signet_compose_window_set_property;

  properties[PROP_OPERATION] =
    g_param_spec_object ("operation", NULL, NULL, SIGNET_TYPE_SEND_OPERATION,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NETWORK] =
    g_param_spec_object ("network", NULL, NULL, SIGNET_TYPE_NETWORK,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDENTITY] =
    g_param_spec_string ("identity", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEAL] =
    g_param_spec_boolean ("seal", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/signetmail/Signet/signet-compose-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, work_online_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, seal_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, from_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, to_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, cc_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, bcc_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, subject_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, body_view);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, attachment_list);

  gtk_widget_class_install_action (widget_class, "compose.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "compose.check-names", NULL, check_names_action);
  gtk_widget_class_install_action (widget_class, "compose.save-draft", NULL, save_draft_action);
  gtk_widget_class_install_action (widget_class, "compose.attach", NULL, attach_action);
  gtk_widget_class_install_property_action (widget_class, "compose.seal", "seal");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "compose.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "compose.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "compose.save-draft", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "compose.check-names", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
signet_compose_window_init (SignetComposeWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
#ifdef DEVELOPMENT_PROFILE
  /* libadwaita's striped header bar: this is not the release. */
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
  /* The menu's popover is otherwise announced by its type name. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_menu_button_get_popover (self->menu_button)),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Main Menu"), -1);
  self->cancellable = g_cancellable_new ();
  self->attachments = g_list_store_new (SIGNET_TYPE_ATTACHMENT);
  gtk_list_box_bind_model (self->attachment_list, G_LIST_MODEL (self->attachments),
                           create_attachment_row, self, NULL);
  g_signal_connect_object (self->attachments, "items-changed", G_CALLBACK (on_attachments_changed), self, 0);
  g_signal_connect (self->to_entry, "changed", G_CALLBACK (on_address_changed), NULL);
  g_signal_connect (self->cc_entry, "changed", G_CALLBACK (on_address_changed), NULL);
  g_signal_connect (self->bcc_entry, "changed", G_CALLBACK (on_address_changed), NULL);
}

SignetComposeWindow *
signet_compose_window_new (GtkApplication      *application,
                           SignetSendOperation *operation,
                           SignetNetwork       *network,
                           const char          *identity)
{
  return g_object_new (SIGNET_TYPE_COMPOSE_WINDOW,
                       "application", application,
                       "operation", operation,
                       "network", network,
                       "identity", identity,
                       NULL);
}
