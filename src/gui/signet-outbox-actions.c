#define G_LOG_DOMAIN "signet-outbox-actions"

#include "signet-outbox-actions.h"

#include <unistd.h>

#include "signet-address.h"
#include "signet-compose-window.h"
#include "signet-dialogs.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-message-reader.h"
#include "signet-outbox-window.h"
#include "signet-report-text.h"
#include "signet-send-operation.h"

/* What the application does for its Outbox: tells how each send ended
 * (a notification that opens the Outbox view when something failed), asks
 * whether to trust a server's certificate when delivery stopped at one,
 * and answers app.outbox (the view) and app.outbox-edit (a queued or
 * failed message back into a composer). */
typedef struct {
  GtkApplication        *application;   /* not owned: it owns this */
  SignetOutbox          *outbox;
  SignetDelivery        *delivery;      /* NULL: local delivery only */
  SignetAccount         *account;
  SignetKeyDirectory    *directory;
  SignetOpenMessageFunc  open_message;
  GtkWidget             *window;        /* the Outbox view, while open */
  AdwMessageDialog      *certificate_dialog;
  char                  *sent_folder_error;
} OutboxActions;

static void
outbox_actions_free (OutboxActions *self)
{
  g_signal_handlers_disconnect_by_data (self->outbox, self);
  if (self->window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
  if (self->certificate_dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->certificate_dialog), (gpointer *) &self->certificate_dialog);
  g_clear_object (&self->outbox);
  g_clear_object (&self->delivery);
  g_clear_object (&self->account);
  g_clear_object (&self->directory);
  g_free (self->sent_folder_error);
  g_free (self);
}

/* ---- telling how a send ended ------------------------------------------- */

static void
notify_outbox (OutboxActions *self, gboolean delivered, gboolean failed, GStrv undelivered)
{
  SignetSendReport report = { .delivered = delivered, .failed = failed, .undelivered = undelivered };
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = signet_report_text_sent_title (&report);
  g_autofree char *body = signet_report_text_sent_body (&report);

  if (!g_application_get_is_registered (G_APPLICATION (self->application)))
    return;
  notification = g_notification_new (title);
  if (body != NULL)
    g_notification_set_body (notification, body);
  if (failed)
    {
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      g_notification_set_default_action (notification, "app.outbox");
      g_notification_add_button (notification, _("Show Outbox"), "app.outbox");
    }
  g_application_send_notification (G_APPLICATION (self->application),
                                   failed ? "message-failed" : "message-sent", notification);
}

static void
on_trust_retried (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!signet_outbox_retry_finish (SIGNET_OUTBOX (object), result, &error) &&
      !g_error_matches (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND))
    g_warning ("Could not send the message again: %s", error->message);
}

typedef struct {
  OutboxActions *actions;
  char          *id;     /* the send that stopped, or NULL (a Sent copy) */
  char          *host;
  guint          port;
  char          *pin;
} TrustRequest;

static void
trust_request_free (TrustRequest *request)
{
  g_free (request->id);
  g_free (request->host);
  g_free (request->pin);
  g_free (request);
}

static void
trust_request_destroy (gpointer data, GClosure *closure)
{
  trust_request_free (data);
}

static void
on_certificate_response (AdwMessageDialog *dialog, const char *response, TrustRequest *request)
{
  OutboxActions *self = request->actions;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, SIGNET_RESPONSE_TRUST) != 0)
    return;
  if (!signet_account_add_trusted_certificate (self->account, request->host, request->port, request->pin, &error))
    {
      signet_dialogs_error (gtk_application_get_active_window (self->application),
                            _("The Certificate Could Not Be Trusted"), error->message);
      return;
    }
  /* The delivery settings follow the account at once; the send goes again. */
  if (request->id != NULL)
    signet_outbox_retry_async (self->outbox, request->id, NULL, on_trust_retried, NULL);
  else
    signet_outbox_queue_flush (self->outbox);
}

/* Delivery stopped at a certificate nobody vouches for: say which, and
 * offer to trust exactly that one for that server. */
static gboolean
ask_about_certificate (OutboxActions *self, const char *id)
{
  g_autofree char *host = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *pin = NULL;
  TrustRequest *request;
  guint port = 0;

  if (self->delivery == NULL ||
      !signet_delivery_dup_untrusted_certificate (self->delivery, &host, &port, &fingerprint, &pin))
    return FALSE;
  if (self->certificate_dialog != NULL)
    return TRUE;
  request = g_new0 (TrustRequest, 1);
  request->actions = self;
  request->id = g_strdup (id);
  request->host = g_steal_pointer (&host);
  request->port = port;
  request->pin = g_steal_pointer (&pin);
  self->certificate_dialog = signet_dialogs_untrusted_certificate (gtk_application_get_active_window (self->application),
                                                                   request->host, request->port, fingerprint);
  gtk_window_set_application (GTK_WINDOW (self->certificate_dialog), self->application);
  g_object_add_weak_pointer (G_OBJECT (self->certificate_dialog), (gpointer *) &self->certificate_dialog);
  g_signal_connect_data (self->certificate_dialog, "response", G_CALLBACK (on_certificate_response), request,
                         trust_request_destroy, 0);
  gtk_window_present (GTK_WINDOW (self->certificate_dialog));
  return TRUE;
}

static void
on_sent (SignetOutbox *outbox, const char *id, OutboxActions *self)
{
  char *nobody[] = { NULL };

  notify_outbox (self, TRUE, FALSE, nobody);
}

static void
on_deferred (SignetOutbox *outbox, const char *id, GStrv undelivered, const char *reason, OutboxActions *self)
{
  g_debug ("Delivery deferred; it will be tried again");
  /* Someone is still waiting for it; a send only waiting to be filed in
   * Sent has reached everyone and is not worth a word yet. */
  if (undelivered != NULL && undelivered[0] != NULL)
    notify_outbox (self, FALSE, FALSE, undelivered);
}

static void
on_failed (SignetOutbox *outbox, const char *id, GStrv undelivered, const char *reason, OutboxActions *self)
{
  /* Not the reason: it may name a Bcc recipient. */
  g_warning ("A message could not be delivered and was set aside in the Outbox");
  notify_outbox (self, FALSE, TRUE, undelivered);
  ask_about_certificate (self, id);
}

static void
on_sent_folder_failed (SignetOutbox *outbox, const char *reason, OutboxActions *self)
{
  g_autoptr(GNotification) notification = NULL;

  if (ask_about_certificate (self, NULL))
    return;
  /* Tried again on its own: one word per cause, not one per try. */
  if (g_strcmp0 (reason, self->sent_folder_error) == 0 ||
      !g_application_get_is_registered (G_APPLICATION (self->application)))
    return;
  g_free (self->sent_folder_error);
  self->sent_folder_error = g_strdup (reason);
  notification = g_notification_new (_("Sent Message Not Stored on the Server"));
  g_notification_set_body (notification, reason);
  g_application_send_notification (G_APPLICATION (self->application), "sent-folder", notification);
}

/* ---- app.outbox and app.outbox-edit ---------------------------------------- */

static void
outbox_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OutboxActions *self = user_data;

  if (self->window == NULL)
    {
      self->window = signet_outbox_window_new (self->application, self->outbox);
      g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
    }
  gtk_window_present (GTK_WINDOW (self->window));
}

typedef struct {
  OutboxActions *actions;
  char          *id;
  int            fd;
  GStrv          recipients;
} EditData;

static void
edit_data_free (EditData *data)
{
  g_strfreev (data->recipients);
  if (data->fd >= 0)
    close (data->fd);
  g_free (data->id);
  g_free (data);
}

static gboolean
names_recipient (SignetMessage *message, const char *email)
{
  static const SignetRecipientKind kinds[] = { SIGNET_RECIPIENT_TO, SIGNET_RECIPIENT_CC, SIGNET_RECIPIENT_BCC };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr(GPtrArray) list = signet_message_dup_recipients (message, kinds[k]);

      for (guint i = 0; i < list->len; i++)
        if (signet_address_equal_email (((SignetAddress *) g_ptr_array_index (list, i))->email, email))
          return TRUE;
    }
  return FALSE;
}

static void
read_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  EditData *data = task_data;
  GError *error = NULL;
  gboolean sealed = FALSE;
  SignetMessage *message;

  message = signet_message_reader_read (data->actions->directory, data->fd, &sealed, cancellable, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Whoever the envelopes name and the headers do not was a Bcc
   * recipient (a cleartext message names them nowhere else). */
  for (guint i = 0; data->recipients != NULL && data->recipients[i] != NULL; i++)
    if (!names_recipient (message, data->recipients[i]))
      {
        g_autoptr(SignetAddress) bcc = signet_address_new (NULL, data->recipients[i]);
        signet_message_add_bcc (message, bcc);
      }
  /* Sealed once: sealed again at the next Send. */
  g_object_set_data (G_OBJECT (message), "signet-was-sealed", GINT_TO_POINTER (sealed));
  g_task_return_pointer (task, message, g_object_unref);
}

static void
show_edit_error (OutboxActions *self, const GError *error)
{
  signet_dialogs_error (gtk_application_get_active_window (self->application),
                        _("The Message Cannot Be Edited"), error->message);
}

static void
on_message_read (GObject *object, GAsyncResult *result, gpointer user_data)
{
  EditData *data = g_task_get_task_data (G_TASK (result));
  OutboxActions *self = data->actions;
  g_autoptr(SignetMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  message = g_task_propagate_pointer (G_TASK (result), &error);
  if (message == NULL)
    {
      /* It stays in the Outbox, among the failed ones, for Delete, Retry
       * or another try: no composer holds it. */
      signet_outbox_release (self->outbox, data->id);
      show_edit_error (self, error);
      return;
    }
  window = self->open_message (self->application, message);
  if (SIGNET_IS_COMPOSE_WINDOW (window))
    {
      if (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (message), "signet-was-sealed")))
        g_object_set (window, "seal", TRUE, NULL);
      signet_compose_window_set_outbox_origin (SIGNET_COMPOSE_WINDOW (window), self->outbox, data->id);
    }
}

static void
on_held (GObject *object, GAsyncResult *result, gpointer user_data)
{
  EditData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;

  data->fd = signet_outbox_hold_finish (SIGNET_OUTBOX (object), result, &data->recipients, &error);
  if (data->fd < 0)
    {
      show_edit_error (data->actions, error);
      edit_data_free (data);
      return;
    }
  task = g_task_new (NULL, NULL, on_message_read, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) edit_data_free);
  g_task_run_in_thread (task, read_thread);
}

static void
outbox_edit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OutboxActions *self = user_data;
  EditData *data = g_new0 (EditData, 1);

  data->actions = self;
  data->id = g_variant_dup_string (parameter, NULL);
  data->fd = -1;
  signet_outbox_hold_async (self->outbox, data->id, NULL, on_held, data);
}

void
signet_outbox_actions_install (GtkApplication        *application,
                               SignetOutbox          *outbox,
                               SignetDelivery        *delivery,
                               SignetAccount         *account,
                               SignetKeyDirectory    *directory,
                               SignetOpenMessageFunc  open_message)
{
  OutboxActions *self = g_new0 (OutboxActions, 1);
  const GActionEntry actions[] = {
    { .name = "outbox", .activate = outbox_action },
    { .name = "outbox-edit", .activate = outbox_edit_action, .parameter_type = "s" },
  };

  self->application = application;
  self->outbox = g_object_ref (outbox);
  self->delivery = delivery != NULL ? g_object_ref (delivery) : NULL;
  self->account = g_object_ref (account);
  self->directory = g_object_ref (directory);
  self->open_message = open_message;
  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions), self);
  g_signal_connect (outbox, "sent", G_CALLBACK (on_sent), self);
  g_signal_connect (outbox, "deferred", G_CALLBACK (on_deferred), self);
  g_signal_connect (outbox, "failed", G_CALLBACK (on_failed), self);
  g_signal_connect (outbox, "sent-folder-failed", G_CALLBACK (on_sent_folder_failed), self);
  g_object_set_data_full (G_OBJECT (application), "signet-outbox-actions", self,
                          (GDestroyNotify) outbox_actions_free);
}
