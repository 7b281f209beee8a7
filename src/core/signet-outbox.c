#define G_LOG_DOMAIN "signet-outbox"

#include "signet-outbox.h"

#include "signet-i18n.h"

/* Runs the queue: whenever the network is (back) online, every message in
 * Outbox is handed to the transport and, once the transport confirmed it,
 * moved to Sent. A message that fails stays in Outbox for the next run. */
struct _SignetOutbox
{
  GObject          parent_instance;

  SignetNetwork   *network;
  SignetStore     *store;
  SignetTransport *transport;
  GMutex           flush_lock;   /* one delivery run at a time */
  GCancellable    *cancellable;
};

G_DEFINE_FINAL_TYPE (SignetOutbox, signet_outbox, G_TYPE_OBJECT)

static void
flush_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SignetOutbox *self = source_object;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->flush_lock);
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) first_error = NULL;
  GError *error = NULL;
  guint n_sent = 0;

  queued = signet_store_list (self->store, SIGNET_FOLDER_OUTBOX, &error);
  if (queued == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < queued->len; i++)
    {
      const char *path = g_ptr_array_index (queued, i);
      g_auto(GStrv) recipients = NULL;
      g_autofree char *sent_path = NULL;
      g_autoptr(GError) local_error = NULL;

      if (g_task_return_error_if_cancelled (task))
        return;
      recipients = signet_transport_read_envelope (path, &local_error);
      if (recipients != NULL &&
          signet_transport_deliver (self->transport, path, (const char * const *) recipients,
                                    cancellable, &local_error))
        sent_path = signet_store_move (self->store, path, SIGNET_FOLDER_SENT, &local_error);
      if (sent_path != NULL)
        n_sent++;
      else if (first_error == NULL)
        first_error = g_steal_pointer (&local_error);
    }
  if (first_error != NULL)
    g_task_return_error (task, g_steal_pointer (&first_error));
  else
    g_task_return_int (task, n_sent);
}

/* Delivers everything in Outbox. Does nothing (and sends nothing) offline. */
void
signet_outbox_flush_async (SignetOutbox       *self,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, signet_outbox_flush_async);
  if (!signet_network_get_online (self->network))
    {
      g_task_return_int (task, 0);
      return;
    }
  g_task_run_in_thread (task, flush_thread);
}

/* @n_sent: (out) (optional): how many messages moved to Sent in this run. */
gboolean
signet_outbox_flush_finish (SignetOutbox *self,
                            GAsyncResult *result,
                            guint        *n_sent,
                            GError      **error)
{
  gssize n = g_task_propagate_int (G_TASK (result), error);

  if (n_sent != NULL)
    *n_sent = n < 0 ? 0 : (guint) n;
  return n >= 0;
}

static void
on_flushed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  guint n_sent = 0;

  if (!signet_outbox_flush_finish (SIGNET_OUTBOX (object), result, &n_sent, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Outbox delivery failed: %s", error->message);
      return;
    }
  g_debug ("Outbox: %u message(s) sent", n_sent);
}

static void
on_online_changed (SignetNetwork *network,
                   GParamSpec    *pspec,
                   SignetOutbox  *self)
{
  if (signet_network_get_online (network))
    signet_outbox_flush_async (self, self->cancellable, on_flushed, NULL);
}

static void
signet_outbox_dispose (GObject *object)
{
  SignetOutbox *self = SIGNET_OUTBOX (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->network);
  g_clear_object (&self->store);
  g_clear_object (&self->transport);
  G_OBJECT_CLASS (signet_outbox_parent_class)->dispose (object);
}

static void
signet_outbox_finalize (GObject *object)
{
  g_mutex_clear (&SIGNET_OUTBOX (object)->flush_lock);
  G_OBJECT_CLASS (signet_outbox_parent_class)->finalize (object);
}

static void
signet_outbox_class_init (SignetOutboxClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = signet_outbox_dispose;
  G_OBJECT_CLASS (klass)->finalize = signet_outbox_finalize;
}

static void
signet_outbox_init (SignetOutbox *self)
{
  g_mutex_init (&self->flush_lock);
  self->cancellable = g_cancellable_new ();
}

SignetOutbox *
signet_outbox_new (SignetNetwork   *network,
                   SignetStore     *store,
                   SignetTransport *transport)
{
  SignetOutbox *self = g_object_new (SIGNET_TYPE_OUTBOX, NULL);

  self->network = g_object_ref (network);
  self->store = g_object_ref (store);
  self->transport = g_object_ref (transport);
  g_signal_connect_object (network, "notify::online", G_CALLBACK (on_online_changed), self, 0);
  return self;
}

SignetTransport *
signet_outbox_get_transport (SignetOutbox *self)
{
  return self->transport;
}
