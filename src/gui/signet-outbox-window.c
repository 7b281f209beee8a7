#define G_LOG_DOMAIN "signet-outbox-window"

#include "signet-outbox-window.h"

#include "signet-button-label.h"
#include "signet-i18n.h"

/* The Outbox: every send that has not left yet, what it is waiting for, and
 * what can be done about it. The list is the core's (signet_outbox_list_async),
 * read again whenever the Outbox says it changed; rows are updated in place,
 * so focus stays where it was while sends come and go. Everything the user
 * does goes through the core by a send's ID: the window reads no file.
 *
 * A sealed send's subject is sealed: the core never reveals it and this
 * window never asks. */

#define RESOURCE "/io/github/signetmail/Signet/signet-outbox-window.ui"

typedef struct {
  GtkListBoxRow    *row;       /* strong */
  GtkLabel         *title;
  GtkLabel         *recipients;
  GtkImage         *icon;
  GtkLabel         *state;
  GtkLabel         *reason;
  GtkProgressBar   *progress;
  GtkLabel         *details;
  GtkWidget        *cancel;
  GtkWidget        *retry;
  GtkWidget        *edit;
  GtkWidget        *delete;
  SignetOutboxItem *item;
} Row;

typedef struct {
  guint64 sent;
  guint64 total;
  guint64 serial;   /* when it came: see show_items() */
} Progress;

struct _SignetOutboxWindow
{
  AdwWindow        parent_instance;

  SignetOutbox    *outbox;
  GCancellable    *cancellable;   /* the listing; cancelled when the window goes */
  GHashTable      *rows;          /* send ID -> Row */
  GHashTable      *progress;      /* send ID -> Progress, while it is being sent */
  GHashTable      *busy;          /* send IDs with a retry or delete in flight */
  gboolean         listing;
  gboolean         relist;        /* the Outbox changed while it was being listed */
  guint64          progress_serial;  /* bumped by each progress report */
  guint64          listing_serial;   /* progress_serial when the listing began */
  gboolean         listed;        /* a listing has been shown */

  AdwToastOverlay *toast_overlay;
  GtkStack        *stack;
  AdwStatusPage   *error_page;
  GtkListBox      *list_box;
};

G_DEFINE_FINAL_TYPE (SignetOutboxWindow, signet_outbox_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_OUTBOX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void relist (SignetOutboxWindow *self);

static void
row_free (Row *row)
{
  g_clear_object (&row->row);
  g_clear_pointer (&row->item, signet_outbox_item_free);
  g_free (row);
}

/* A row as signet-outbox-window.ui describes it; the builder reads only the
 * row from it, not the window's template. */
static Row *
row_new (void)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new ();
  const char *ids[] = { "row", NULL };
  g_autoptr(GError) error = NULL;
  Row *row;

  if (!gtk_builder_add_objects_from_resource (builder, RESOURCE, ids, &error))
    g_error ("The Outbox row is missing from the resources: %s", error->message);
  row = g_new0 (Row, 1);
  row->row = g_object_ref (GTK_LIST_BOX_ROW (gtk_builder_get_object (builder, "row")));
  row->title = GTK_LABEL (gtk_builder_get_object (builder, "row_title"));
  row->recipients = GTK_LABEL (gtk_builder_get_object (builder, "row_recipients"));
  row->icon = GTK_IMAGE (gtk_builder_get_object (builder, "row_icon"));
  row->state = GTK_LABEL (gtk_builder_get_object (builder, "row_state"));
  row->reason = GTK_LABEL (gtk_builder_get_object (builder, "row_reason"));
  row->progress = GTK_PROGRESS_BAR (gtk_builder_get_object (builder, "row_progress"));
  row->details = GTK_LABEL (gtk_builder_get_object (builder, "row_details"));
  row->cancel = GTK_WIDGET (gtk_builder_get_object (builder, "row_cancel"));
  row->retry = GTK_WIDGET (gtk_builder_get_object (builder, "row_retry"));
  row->edit = GTK_WIDGET (gtk_builder_get_object (builder, "row_edit"));
  row->delete = GTK_WIDGET (gtk_builder_get_object (builder, "row_delete"));
  return row;
}

static const char *
describe_title (const SignetOutboxItem *item)
{
  if (item->sealed)
    return _("Sealed message");
  if (item->subject == NULL || *item->subject == '\0')
    return _("No subject");
  return item->subject;
}

/* Who is still waiting for it; the others are only counted. */
static char *
describe_recipients (const SignetOutboxItem *item)
{
  guint n_all = item->recipients ? g_strv_length (item->recipients) : 0;
  guint n_waiting = item->undelivered ? g_strv_length (item->undelivered) : n_all;
  g_autofree char *all = item->recipients ? g_strjoinv (", ", item->recipients) : NULL;
  g_autofree char *waiting = NULL;

  if (n_all == 0)
    return g_strdup (_("No recipients"));
  if (n_waiting == 0)
    /* Translators: %s is a list of addresses */
    return g_strdup_printf (_("Delivered to %s"), all);
  if (item->undelivered == NULL || n_waiting >= n_all)
    /* Translators: %s is a list of addresses */
    return g_strdup_printf (_("To %s"), all);
  waiting = g_strjoinv (", ", item->undelivered);
  /* Translators: %s is a list of addresses, %u how many others have the message */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "To %s (%u other recipient has it already)",
                                       "To %s (%u other recipients have it already)", n_all - n_waiting),
                          waiting, n_all - n_waiting);
}

static const char *
describe_state (const SignetOutboxItem *item)
{
  switch (item->state)
    {
    case SIGNET_OUTBOX_ITEM_QUEUED:
      return item->reason ? _("Queued, to be tried again") : _("Queued");
    case SIGNET_OUTBOX_ITEM_SENDING:
      return _("Sending");
    case SIGNET_OUTBOX_ITEM_EDITING:
      return _("Open in a composer");
    case SIGNET_OUTBOX_ITEM_FAILED:
    default:
      return _("Failed");
    }
}

static const char *
state_icon (const SignetOutboxItem *item)
{
  switch (item->state)
    {
    case SIGNET_OUTBOX_ITEM_QUEUED:
      return "preferences-system-time-symbolic";
    case SIGNET_OUTBOX_ITEM_SENDING:
      return "mail-send-symbolic";
    case SIGNET_OUTBOX_ITEM_EDITING:
      return "document-edit-symbolic";
    case SIGNET_OUTBOX_ITEM_FAILED:
    default:
      return "dialog-error-symbolic";
    }
}

/* The reason is shown while it still matters: not while the send is being
 * tried again. */
static const char *
shown_reason (const SignetOutboxItem *item)
{
  return item->state == SIGNET_OUTBOX_ITEM_SENDING ? NULL : item->reason;
}

/* The state, and why, in one sentence for the row's accessible description. */
static char *
describe_state_and_reason (const SignetOutboxItem *item)
{
  const char *reason = shown_reason (item);

  if (reason == NULL)
    return g_strdup (describe_state (item));
  if (item->state == SIGNET_OUTBOX_ITEM_QUEUED)
    /* Translators: %s is what the mail server or the system said */
    return g_strdup_printf (_("Queued, to be tried again. The last attempt failed: %s"), reason);
  /* Translators: %s is what the mail server or the system said */
  return g_strdup_printf (_("Failed: %s"), reason);
}

static char *
describe_when (gint64 queued)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (queued);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  int y1, m1, d1, y2, m2, d2;

  if (when == NULL)
    return NULL;
  g_date_time_get_ymd (when, &y1, &m1, &d1);
  g_date_time_get_ymd (now, &y2, &m2, &d2);
  if (y1 == y2 && m1 == m2 && d1 == d2)
    /* Translators: the time of day a message was queued, in strftime() format */
    return g_date_time_format (when, _("%H:%M"));
  /* Translators: the day and time a message was queued, in strftime() format */
  return g_date_time_format (when, _("%x, %H:%M"));
}

static char *
describe_details (const SignetOutboxItem *item)
{
  g_autofree char *when = describe_when (item->queued);
  g_autofree char *size = g_format_size (item->size);

  if (when == NULL)
    return g_steal_pointer (&size);
  /* Translators: when the message was queued, and its size (all copies) */
  return g_strdup_printf (_("Queued %s · %s"), when, size);
}

static void
row_show_progress (Row *row, const Progress *progress)
{
  g_autofree char *sent = NULL;
  g_autofree char *total = NULL;
  g_autofree char *text = NULL;

  if (progress == NULL || progress->total == 0)
    {
      gtk_progress_bar_set_fraction (row->progress, 0.0);
      gtk_progress_bar_set_text (row->progress, _("Sending…"));
      return;
    }
  sent = g_format_size (MIN (progress->sent, progress->total));
  total = g_format_size (progress->total);
  /* Translators: how much of a message has gone out: "1.2 MB of 3.4 MB" */
  text = g_strdup_printf (_("%s of %s"), sent, total);
  gtk_progress_bar_set_fraction (row->progress, MIN (1.0, (double) progress->sent / (double) progress->total));
  gtk_progress_bar_set_text (row->progress, text);
}

static void
row_set_busy (Row *row, gboolean busy)
{
  GtkWidget *buttons[] = { row->cancel, row->retry, row->edit, row->delete };

  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    gtk_widget_set_sensitive (buttons[i], !busy);
}

static void
row_update (SignetOutboxWindow *self, Row *row, const SignetOutboxItem *item)
{
  g_autoptr(GVariant) target = g_variant_ref_sink (g_variant_new_string (item->id));
  GtkWidget *buttons[] = { row->cancel, row->retry, row->edit, row->delete };
  g_autofree char *recipients = describe_recipients (item);
  g_autofree char *details = describe_details (item);
  g_autofree char *description = describe_state_and_reason (item);
  g_autofree char *label = NULL;
  const char *reason = shown_reason (item);
  gboolean sending = item->state == SIGNET_OUTBOX_ITEM_SENDING;

  g_clear_pointer (&row->item, signet_outbox_item_free);
  row->item = signet_outbox_item_copy (item);
  gtk_label_set_text (row->title, describe_title (item));
  gtk_label_set_text (row->recipients, recipients);
  gtk_image_set_from_icon_name (row->icon, state_icon (item));
  gtk_label_set_text (row->state, describe_state (item));
  if (item->state == SIGNET_OUTBOX_ITEM_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (row->state), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row->state), "error");
  gtk_label_set_text (row->reason, reason ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (row->reason), reason != NULL);
  gtk_widget_set_visible (GTK_WIDGET (row->progress), sending);
  if (sending)
    row_show_progress (row, g_hash_table_lookup (self->progress, item->id));
  gtk_label_set_text (row->details, details);
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    gtk_actionable_set_action_target_value (GTK_ACTIONABLE (buttons[i]), target);
  gtk_widget_set_visible (row->cancel, sending);
  gtk_widget_set_visible (row->retry, item->state == SIGNET_OUTBOX_ITEM_FAILED);
  /* Open in a composer already: sent from there, never twice. */
  gtk_widget_set_visible (row->edit, !sending && item->state != SIGNET_OUTBOX_ITEM_EDITING);
  gtk_widget_set_visible (row->delete, !sending);
  row_set_busy (row, g_hash_table_contains (self->busy, item->id));
  /* Translators: the row of a message in the Outbox, for screen readers: its
   * subject (or "Sealed message"), then who it is for ("To …") */
  label = g_strdup_printf (_("%s, %s"), describe_title (item), recipients);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

/* Shows @items (oldest first), keeping the rows of the sends already shown. */
static void
show_items (SignetOutboxWindow *self, GPtrArray *items)
{
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < items->len; i++)
    {
      const SignetOutboxItem *item = g_ptr_array_index (items, i);

      if (item->state == SIGNET_OUTBOX_ITEM_SENDING)
        g_hash_table_add (present, item->id);
    }
  /* The progress of a send that is no longer going is forgotten, unless it
   * came after the listing began: then it is newer than the listing. */
  g_hash_table_iter_init (&iter, self->progress);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (present, key) && ((Progress *) value)->serial <= self->listing_serial)
      g_hash_table_iter_remove (&iter);
  for (guint i = 0; i < items->len; i++)
    g_hash_table_add (present, ((SignetOutboxItem *) g_ptr_array_index (items, i))->id);
  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (present, key))
      {
        gtk_list_box_remove (self->list_box, GTK_WIDGET (((Row *) value)->row));
        g_hash_table_iter_remove (&iter);
      }
  for (guint i = 0; i < items->len; i++)
    {
      const SignetOutboxItem *item = g_ptr_array_index (items, i);
      Row *row = g_hash_table_lookup (self->rows, item->id);

      if (row == NULL)
        {
          /* Filled in first: its buttons need their target before they
           * find their actions. */
          row = row_new ();
          row_update (self, row, item);
          g_hash_table_insert (self->rows, g_strdup (item->id), row);
          gtk_list_box_insert (self->list_box, GTK_WIDGET (row->row), (int) i);
          continue;
        }
      if (gtk_list_box_row_get_index (row->row) != (int) i)
        {
          gtk_list_box_remove (self->list_box, GTK_WIDGET (row->row));
          gtk_list_box_insert (self->list_box, GTK_WIDGET (row->row), (int) i);
        }
      row_update (self, row, item);
    }
  gtk_stack_set_visible_child_name (self->stack, items->len > 0 ? "list" : "empty");
}

static void
show_toast (SignetOutboxWindow *self, const char *text)
{
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 10);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* The window is known weakly by what it waits for: a closed window must go
 * at once, and an answer that arrives after it shows nothing. */
static GWeakRef *
weak_window_new (SignetOutboxWindow *self)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  return ref;
}

/* The window, if it is still open; frees @ref. */
static SignetOutboxWindow *
weak_window_take (GWeakRef *ref)
{
  SignetOutboxWindow *self = g_weak_ref_get (ref);

  g_weak_ref_clear (ref);
  g_free (ref);
  if (self != NULL && self->outbox == NULL)
    g_clear_object (&self);  /* disposed */
  return self;
}

static void
on_listed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetOutboxWindow) self = weak_window_take (user_data);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  items = signet_outbox_list_finish (SIGNET_OUTBOX (object), result, &error);
  if (self == NULL)
    return;
  self->listing = FALSE;
  if (items != NULL)
    {
      self->listed = TRUE;
      show_items (self, items);
    }
  else if (!self->listed)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
    }
  else
    show_toast (self, error->message);
  if (self->relist)
    relist (self);
}

/* One listing at a time; a change meanwhile asks for one more after it. */
static void
relist (SignetOutboxWindow *self)
{
  if (self->listing)
    {
      self->relist = TRUE;
      return;
    }
  self->listing = TRUE;
  self->relist = FALSE;
  self->listing_serial = self->progress_serial;
  signet_outbox_list_async (self->outbox, self->cancellable, on_listed, weak_window_new (self));
}

static void
on_outbox_changed (SignetOutboxWindow *self)
{
  relist (self);
}

static void
on_outbox_progress (SignetOutboxWindow *self, const char *id, guint64 sent, guint64 total)
{
  Progress *progress = g_hash_table_lookup (self->progress, id);
  Row *row = g_hash_table_lookup (self->rows, id);

  if (progress == NULL)
    {
      progress = g_new0 (Progress, 1);
      g_hash_table_insert (self->progress, g_strdup (id), progress);
    }
  progress->sent = sent;
  progress->total = total;
  progress->serial = ++self->progress_serial;
  if (row != NULL && row->item->state == SIGNET_OUTBOX_ITEM_SENDING)
    row_show_progress (row, progress);
}

/* A retry or a delete in flight for a send. */
typedef struct {
  GWeakRef *window;
  char     *id;
} Request;

static Request *
request_new (SignetOutboxWindow *self, const char *id)
{
  Request *request = g_new0 (Request, 1);
  Row *row = g_hash_table_lookup (self->rows, id);

  request->window = weak_window_new (self);
  request->id = g_strdup (id);
  g_hash_table_add (self->busy, g_strdup (id));
  if (row != NULL)
    row_set_busy (row, TRUE);
  return request;
}

/* Ends @request; @text, if any, is why it failed. */
static void
request_finish (Request *request, const char *text)
{
  g_autoptr(SignetOutboxWindow) self = weak_window_take (request->window);

  if (self != NULL)
    {
      Row *row = g_hash_table_lookup (self->rows, request->id);

      g_hash_table_remove (self->busy, request->id);
      if (row != NULL)
        row_set_busy (row, FALSE);
      if (text != NULL)
        show_toast (self, text);
    }
  g_free (request->id);
  g_free (request);
}

static void
on_retried (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!signet_outbox_retry_finish (SIGNET_OUTBOX (object), result, &error))
    /* Translators: %s says why */
    text = g_strdup_printf (_("The message could not be queued again: %s"), error->message);
  request_finish (user_data, text);
}

static void
on_deleted (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!signet_outbox_delete_finish (SIGNET_OUTBOX (object), result, &error))
    /* Translators: %s says why */
    text = g_strdup_printf (_("The message could not be deleted: %s"), error->message);
  request_finish (user_data, text);
}

static void
cancel_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SignetOutboxWindow *self = SIGNET_OUTBOX_WINDOW (widget);

  /* A send that ended meanwhile is shown as it ended, by the next listing. */
  if (!signet_outbox_cancel (self->outbox, g_variant_get_string (parameter, NULL)))
    g_debug ("Nothing to cancel: the send was no longer going");
}

static void
retry_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SignetOutboxWindow *self = SIGNET_OUTBOX_WINDOW (widget);
  const char *id = g_variant_get_string (parameter, NULL);

  if (g_hash_table_contains (self->busy, id))
    return;
  signet_outbox_retry_async (self->outbox, id, NULL, on_retried, request_new (self, id));
}

static void
on_delete_response (SignetOutboxWindow *self, const char *response, AdwMessageDialog *dialog)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "signet-outbox-id");

  if (g_strcmp0 (response, "delete") != 0 || self->outbox == NULL || g_hash_table_contains (self->busy, id))
    return;
  signet_outbox_delete_async (self->outbox, id, NULL, on_deleted, request_new (self, id));
}

static char *
describe_deletion (SignetOutboxWindow *self, const char *id)
{
  Row *row = g_hash_table_lookup (self->rows, id);

  if (row == NULL || (!row->item->sealed && (row->item->subject == NULL || *row->item->subject == '\0')))
    return g_strdup (_("The message will not be sent, and cannot be recovered."));
  if (row->item->sealed)
    return g_strdup (_("The sealed message will not be sent, and cannot be recovered."));
  /* Translators: %s is the subject of the message */
  return g_strdup_printf (_("“%s” will not be sent, and cannot be recovered."), row->item->subject);
}

/* Asks first: a deleted message is gone for good. */
static void
delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SignetOutboxWindow *self = SIGNET_OUTBOX_WINDOW (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  g_autofree char *body = describe_deletion (self, id);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Delete this message?"), body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_object_set_data_full (G_OBJECT (dialog), "signet-outbox-id", g_strdup (id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, G_CONNECT_SWAPPED);
  signet_button_label_name_all (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
signet_outbox_window_constructed (GObject *object)
{
  SignetOutboxWindow *self = SIGNET_OUTBOX_WINDOW (object);

  G_OBJECT_CLASS (signet_outbox_window_parent_class)->constructed (object);
  g_return_if_fail (SIGNET_IS_OUTBOX (self->outbox));
  g_signal_connect_swapped (self->outbox, "changed", G_CALLBACK (on_outbox_changed), self);
  g_signal_connect_swapped (self->outbox, "progress", G_CALLBACK (on_outbox_progress), self);
  relist (self);
}

static void
signet_outbox_window_dispose (GObject *object)
{
  SignetOutboxWindow *self = SIGNET_OUTBOX_WINDOW (object);

  /* The window counts as gone from here on (see weak_window_take). */
  g_cancellable_cancel (self->cancellable);
  if (self->outbox != NULL)
    g_signal_handlers_disconnect_by_data (self->outbox, self);
  g_clear_object (&self->outbox);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_OUTBOX_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->progress, g_hash_table_unref);
  g_clear_pointer (&self->busy, g_hash_table_unref);
  G_OBJECT_CLASS (signet_outbox_window_parent_class)->dispose (object);
}

static void
signet_outbox_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetOutboxWindow *self = SIGNET_OUTBOX_WINDOW (object);

  switch (prop_id)
    {
    case PROP_OUTBOX:
      g_value_set_object (value, self->outbox);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_outbox_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetOutboxWindow *self = SIGNET_OUTBOX_WINDOW (object);

  switch (prop_id)
    {
    case PROP_OUTBOX:
      self->outbox = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_outbox_window_class_init (SignetOutboxWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = signet_outbox_window_constructed;
  object_class->dispose = signet_outbox_window_dispose;
  object_class->get_property = signet_outbox_window_get_property;
  object_class->set_property = signet_outbox_window_set_property;

  properties[PROP_OUTBOX] =
    g_param_spec_object ("outbox", NULL, NULL, SIGNET_TYPE_OUTBOX,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE);
  gtk_widget_class_bind_template_child (widget_class, SignetOutboxWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SignetOutboxWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SignetOutboxWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, SignetOutboxWindow, list_box);

  /* Each takes the send's ID (the row buttons' target). Edit is the
   * application's "app.outbox-edit": it opens the send in a composer. */
  gtk_widget_class_install_action (widget_class, "outbox.cancel", "s", cancel_action);
  gtk_widget_class_install_action (widget_class, "outbox.retry", "s", retry_action);
  gtk_widget_class_install_action (widget_class, "outbox.delete", "s", delete_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
signet_outbox_window_init (SignetOutboxWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) row_free);
  self->progress = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->busy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* @application: (nullable): the application, whose "app.outbox-edit"
 * action (parameter: the send's ID) the Edit buttons activate. */
GtkWidget *
signet_outbox_window_new (GtkApplication *application,
                          SignetOutbox   *outbox)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (SIGNET_IS_OUTBOX (outbox), NULL);

  return g_object_new (SIGNET_TYPE_OUTBOX_WINDOW,
                       "application", application,
                       "outbox", outbox,
                       NULL);
}
