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
  guint            n_queued;
};

G_DEFINE_FINAL_TYPE (SignetOutbox, signet_outbox, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_QUEUED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  gboolean deliver;   /* FALSE offline: only count what waits */
  guint    n_sent;
  guint    n_queued;
} FlushResult;

static void
set_n_queued (SignetOutbox *self, guint n_queued)
{
  if (self->n_queued == n_queued)
    return;
  self->n_queued = n_queued;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_QUEUED]);
}

static gboolean
deliver_one (SignetOutbox *self, const char *path, GCancellable *cancellable, GError **error)
{
  g_auto(GStrv) recipients = signet_transport_read_envelope (path, error);
  g_autofree char *sent_path = NULL;

  if (recipients == NULL ||
      !signet_transport_deliver (self->transport, path, (const char * const *) recipients,
                                 cancellable, error))
    return FALSE;
  sent_path = signet_store_move (self->store, path, SIGNET_FOLDER_SENT, error);
  return sent_path != NULL;
}

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
  FlushResult *result = task_data;
  GError *error = NULL;

  queued = signet_store_list (self->store, SIGNET_FOLDER_OUTBOX, &error);
  if (queued == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  result->n_queued = queued->len;
  for (guint i = 0; result->deliver && i < queued->len; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      if (deliver_one (self, g_ptr_array_index (queued, i), cancellable, &local_error))
        {
          result->n_sent++;
          result->n_queued--;
        }
      else if (first_error == NULL)
        first_error = g_steal_pointer (&local_error);
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  if (first_error != NULL)
    g_task_return_error (task, g_steal_pointer (&first_error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_flush_thread_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) outer = user_data;
  FlushResult *counts = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  set_n_queued (SIGNET_OUTBOX (object), counts->n_queued);
  g_task_set_task_data (outer, g_memdup2 (counts, sizeof *counts), g_free);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_boolean (outer, TRUE);
  else
    g_task_return_error (outer, error);
}

/* Delivers everything in Outbox. Offline it only counts what is queued. */
void
signet_outbox_flush_async (SignetOutbox       *self,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr(GTask) outer = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) inner = NULL;
  FlushResult *counts;

  g_task_set_source_tag (outer, signet_outbox_flush_async);
  counts = g_new0 (FlushResult, 1);
  counts->deliver = signet_network_get_online (self->network);
  inner = g_task_new (self, cancellable, on_flush_thread_done, g_steal_pointer (&outer));
  g_task_set_task_data (inner, counts, g_free);
  g_task_run_in_thread (inner, flush_thread);
}

/* @n_sent: (out) (optional): how many messages moved to Sent in this run. */
gboolean
signet_outbox_flush_finish (SignetOutbox *self,
                            GAsyncResult *result,
                            guint        *n_sent,
                            GError      **error)
{
  FlushResult *counts = g_task_get_task_data (G_TASK (result));

  if (n_sent != NULL)
    *n_sent = counts != NULL ? counts->n_sent : 0;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* How many messages wait in Outbox, as of the last flush. */
guint
signet_outbox_get_n_queued (SignetOutbox *self)
{
  g_return_val_if_fail (SIGNET_IS_OUTBOX (self), 0);
  return self->n_queued;
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
signet_outbox_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_N_QUEUED:
      g_value_set_uint (value, SIGNET_OUTBOX (object)->n_queued);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_outbox_class_init (SignetOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = signet_outbox_dispose;
  object_class->finalize = signet_outbox_finalize;
  object_class->get_property = signet_outbox_get_property;

  properties[PROP_N_QUEUED] =
    g_param_spec_uint ("n-queued", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
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
