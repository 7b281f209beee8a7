#define G_LOG_DOMAIN "signet-outbox"
#define _GNU_SOURCE

#include "signet-outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "signet-envelope.h"
#include "signet-errors.h"
#include "signet-i18n.h"

/* Runs the queue. Each batch in the Outbox (one send: a copy per file, each
 * with its envelope) is handed to the transport whenever the network is
 * online; who received a copy is recorded durably as it happens, so a retry
 * never delivers twice; a delivered copy moves to Sent. A batch that cannot
 * be read, or keeps failing, is moved aside to Outbox/.failed, so it never
 * blocks the queue or keeps Signet running forever.
 *
 * Flush requests are merged on the main thread: while a run is going, new
 * requests wait for one more run, which starts after it and so sees every
 * batch committed before they were made. No lock is held in a worker. */
struct _SignetOutbox
{
  GObject          parent_instance;

  SignetNetwork   *network;
  SignetStore     *store;
  SignetTransport *transport;
  GMainContext    *context;
  GCancellable    *cancellable;
  guint            n_queued;
  guint            n_failed;
  guint            max_attempts;
  guint            retry_delay;
  gboolean         cleaned;
  gboolean         running;
  GPtrArray       *waiting;       /* GTask: requests not yet covered by a run */
  GPtrArray       *covered;       /* GTask: requests the current run answers */
  GHashTable      *attempts;      /* batch id -> failed attempts (GUINT_TO_POINTER) */
  guint            retry_source;
};

G_DEFINE_FINAL_TYPE (SignetOutbox, signet_outbox, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_QUEUED,
  PROP_N_FAILED,
  PROP_BUSY,
  PROP_MAX_ATTEMPTS,
  PROP_RETRY_DELAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_SENT,
  SIGNAL_DEFERRED,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef enum {
  BATCH_SENT,
  BATCH_DEFERRED,
  BATCH_FAILED,
} BatchState;

typedef struct {
  char       *id;
  BatchState  state;
  GStrv       undelivered;
  char       *message;
} BatchOutcome;

static void
batch_outcome_free (BatchOutcome *outcome)
{
  g_free (outcome->id);
  g_strfreev (outcome->undelivered);
  g_free (outcome->message);
  g_free (outcome);
}

typedef struct {
  gboolean    deliver;      /* FALSE offline: only count what waits */
  gboolean    clean;        /* first run: remove what an earlier run left in tmp/ */
  guint       max_attempts;
  GHashTable *attempts;     /* a copy, read in the worker */
  GPtrArray  *outcomes;     /* BatchOutcome */
  guint       n_queued;
  guint       n_failed;
  gboolean    locked_out;   /* another process was delivering */
  GError     *error;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_pointer (&data->attempts, g_hash_table_unref);
  g_clear_pointer (&data->outcomes, g_ptr_array_unref);
  g_clear_error (&data->error);
  g_free (data);
}

/* State of one copy while the transport delivers it. */
typedef struct {
  int        done_fd;
  GError    *error;      /* recording failed: the next run finds out again */
  GPtrArray *reached;    /* who got it in this run, recorded or not */
} Progress;

static void
on_recipient_delivered (const char *recipient, gpointer user_data)
{
  Progress *progress = user_data;

  g_ptr_array_add (progress->reached, g_strdup (recipient));
  if (progress->error == NULL)
    signet_envelope_append (progress->done_fd, recipient, &progress->error);
}

static char *
copy_file_name (const char *copy, const char *suffix)
{
  return g_strconcat (copy, suffix, NULL);
}

/* The recipients of @rcpt neither in @done nor in @reached. */
static GStrv
remaining_recipients (GStrv rcpt, GStrv done, GPtrArray *reached)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; rcpt[i] != NULL; i++)
    if ((done == NULL || !g_strv_contains ((const char * const *) done, rcpt[i])) &&
        (reached == NULL || !g_ptr_array_find_with_equal_func (reached, rcpt[i], g_str_equal, NULL)))
      g_strv_builder_add (builder, rcpt[i]);
  return g_strv_builder_end (builder);
}

/* Files a delivered copy in Sent. If that fails the copy stays in the
 * batch (nothing is lost; the next run files it) and the error says so,
 * naming nobody: everybody has it. */
static gboolean
file_in_sent (SignetOutbox *self, int dir_fd, const char *eml_name, const char *copy_id, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (signet_store_move_into (self->store, dir_fd, eml_name, SIGNET_FOLDER_SENT, copy_id, &local_error))
    return TRUE;
  g_set_error (error, SIGNET_STORE_ERROR, local_error->code,
               _("The message was delivered, but could not be filed in Sent: %s"), local_error->message);
  return FALSE;
}

/* Delivers one copy of a batch to whoever has not received it yet, then
 * files it in Sent. @undelivered collects who is still waiting for it. */
static gboolean
deliver_copy (SignetOutbox *self,
              int           dir_fd,
              const char   *batch_id,
              const char   *copy,
              GStrvBuilder *undelivered,
              GCancellable *cancellable,
              GError      **error)
{
  g_autofree char *rcpt_name = copy_file_name (copy, SIGNET_ENVELOPE_RECIPIENTS_SUFFIX);
  g_autofree char *done_name = copy_file_name (copy, SIGNET_ENVELOPE_DELIVERED_SUFFIX);
  g_autofree char *eml_name = copy_file_name (copy, SIGNET_ENVELOPE_MESSAGE_SUFFIX);
  g_autofree char *copy_id = g_strdup_printf ("%s.%s", batch_id, copy);
  g_auto(GStrv) rcpt = signet_envelope_read (dir_fd, rcpt_name, TRUE, error);
  g_auto(GStrv) done = NULL;
  g_auto(GStrv) remaining = NULL;
  g_autoptr(GPtrArray) reached = g_ptr_array_new_with_free_func (g_free);
  Progress progress = { -1, NULL, reached };
  gboolean ok;
  int eml_fd;

  if (rcpt == NULL)
    return FALSE;
  done = signet_envelope_read (dir_fd, done_name, FALSE, error);
  if (done == NULL)
    {
      g_strv_builder_addv (undelivered, (const char **) rcpt);
      return FALSE;
    }
  remaining = remaining_recipients (rcpt, done, NULL);
  eml_fd = openat (dir_fd, eml_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (remaining[0] == NULL)
    {
      /* Delivered before a crash or a stop; only filing it was left. */
      if (eml_fd < 0)
        return TRUE;
      close (eml_fd);
      return file_in_sent (self, dir_fd, eml_name, copy_id, error);
    }
  if (eml_fd < 0)
    {
      g_strv_builder_addv (undelivered, (const char **) remaining);
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_DAMAGED,
                   _("A queued message is missing from the Outbox."));
      return FALSE;
    }
  progress.done_fd = openat (dir_fd, done_name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (progress.done_fd < 0)
    {
      close (eml_fd);
      g_strv_builder_addv (undelivered, (const char **) remaining);
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                   _("Could not write to the mail store (%s): %s"), done_name, g_strerror (errno));
      return FALSE;
    }
  ok = signet_transport_deliver (self->transport, eml_fd, copy_id, (const char * const *) remaining,
                                 on_recipient_delivered, NULL, &progress, cancellable, error);
  close (eml_fd);
  close (progress.done_fd);
  if (ok && progress.error != NULL)
    {
      /* Everybody has it, but that could not be recorded: try again later
       * (a transport that can, like local delivery, adds nothing twice). */
      g_propagate_error (error, g_steal_pointer (&progress.error));
      return FALSE;
    }
  g_clear_error (&progress.error);
  if (!ok)
    {
      g_auto(GStrv) still = remaining_recipients (remaining, NULL, reached);
      g_strv_builder_addv (undelivered, (const char **) still);
      return FALSE;
    }
  return file_in_sent (self, dir_fd, eml_name, copy_id, error);
}

/* The copies of a batch, by the names of their envelope files. A batch
 * with no envelope and no message left was delivered and being removed
 * when a run stopped: @finished. */
static GPtrArray *
list_copies (int dir_fd, gboolean *finished, GError **error)
{
  g_autoptr(GPtrArray) names = signet_store_list_files (dir_fd, error);
  g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func (g_free);
  gboolean any_message = FALSE;

  if (names == NULL)
    return NULL;
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if (g_str_has_suffix (name, SIGNET_ENVELOPE_RECIPIENTS_SUFFIX))
        g_ptr_array_add (copies, g_strndup (name, strlen (name) - strlen (SIGNET_ENVELOPE_RECIPIENTS_SUFFIX)));
      else if (g_str_has_suffix (name, SIGNET_ENVELOPE_MESSAGE_SUFFIX))
        any_message = TRUE;
    }
  *finished = copies->len == 0 && !any_message;
  if (copies->len == 0 && any_message)
    {
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_DAMAGED,
                   _("The list of recipients of a queued message is missing."));
      return NULL;
    }
  return g_steal_pointer (&copies);
}

/* What can never succeed however often it is tried: a batch that cannot be
 * read, a link planted in it, a transport's final word, or a server whose
 * certificate the user has to decide about first. Everything else (a full
 * disk, a server that is down) is tried again later. */
static gboolean
is_permanent (const GError *error)
{
  return g_error_matches (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_DAMAGED) ||
         g_error_matches (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT) ||
         g_error_matches (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE);
}

/* Keeps the most telling of the errors of a batch's copies. */
static void
keep_error (GError **kept, GError *error)
{
  if (*kept == NULL || (is_permanent (error) && !is_permanent (*kept)))
    {
      g_clear_error (kept);
      *kept = error;
    }
  else
    g_error_free (error);
}

static BatchOutcome *
deliver_batch (SignetOutbox *self, RunData *data, const char *id, GCancellable *cancellable)
{
  BatchOutcome *outcome = g_new0 (BatchOutcome, 1);
  g_autoptr(GStrvBuilder) undelivered = g_strv_builder_new ();
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  gboolean finished = FALSE;
  guint attempts;
  int dir_fd;

  outcome->id = g_strdup (id);
  dir_fd = signet_store_open_batch (self->store, id, &error);
  copies = dir_fd >= 0 ? list_copies (dir_fd, &finished, &error) : NULL;
  if (error != NULL && g_error_matches (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_LINK))
    error->code = SIGNET_STORE_ERROR_DAMAGED;
  /* Every copy is tried: one that fails does not hold back the others. */
  for (guint i = 0; copies != NULL && i < copies->len; i++)
    {
      GError *copy_error = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, &copy_error))
        {
          keep_error (&error, copy_error);
          break;
        }
      if (!deliver_copy (self, dir_fd, id, g_ptr_array_index (copies, i), undelivered, cancellable, &copy_error))
        keep_error (&error, copy_error);
    }
  if (dir_fd >= 0)
    close (dir_fd);
  outcome->undelivered = g_strv_builder_end (undelivered);
  if (error == NULL)
    {
      signet_store_remove_batch (self->store, id);
      outcome->state = BATCH_SENT;
      return outcome;
    }
  outcome->message = g_strdup (error->message);
  outcome->state = BATCH_DEFERRED;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return outcome;
  attempts = GPOINTER_TO_UINT (g_hash_table_lookup (data->attempts, id)) + 1;
  if (is_permanent (error) || attempts >= data->max_attempts)
    {
      g_autoptr(GError) fail_error = NULL;

      if (signet_store_fail_batch (self->store, id, &fail_error))
        outcome->state = BATCH_FAILED;
      else
        g_warning ("Could not move an undeliverable message aside: %s", fail_error->message);
    }
  return outcome;
}

static guint
count_batches (SignetStore *store, SignetFolder folder)
{
  g_autoptr(GPtrArray) ids = signet_store_list_batches (store, folder, NULL);

  return ids != NULL ? ids->len : 0;
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  SignetOutbox *self = source_object;
  RunData *data = task_data;
  g_autoptr(GPtrArray) ids = NULL;
  int outbox_fd;

  if (data->clean)
    signet_store_clean_tmp (self->store);
  /* One delivery run at a time on a store, whichever process runs it. */
  outbox_fd = signet_store_open_folder (self->store, SIGNET_FOLDER_OUTBOX, NULL, &data->error);
  if (outbox_fd >= 0 && data->deliver && flock (outbox_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_debug ("Another process is delivering this Outbox; trying again later");
      data->deliver = FALSE;
      data->locked_out = TRUE;
    }
  ids = signet_store_list_batches (self->store, SIGNET_FOLDER_OUTBOX, &data->error);
  for (guint i = 0; ids != NULL && data->deliver && i < ids->len; i++)
    {
      if (g_cancellable_is_cancelled (cancellable))
        break;
      g_ptr_array_add (data->outcomes, deliver_batch (self, data, g_ptr_array_index (ids, i), cancellable));
    }
  data->n_queued = count_batches (self->store, SIGNET_FOLDER_OUTBOX);
  data->n_failed = count_batches (self->store, SIGNET_FOLDER_OUTBOX_FAILED);
  if (outbox_fd >= 0)
    {
      /* Unlocked explicitly: a process forked meanwhile (GPGME forks to run
       * gpg) shares the lock until it execs, and closing would leave it. */
      if (!data->locked_out)
        flock (outbox_fd, LOCK_UN);
      close (outbox_fd);
    }
  g_task_return_boolean (task, TRUE);
}

static void start_run (SignetOutbox *self);

static gboolean
on_retry (gpointer user_data)
{
  SignetOutbox *self = user_data;

  self->retry_source = 0;
  signet_outbox_queue_flush (self);
  return G_SOURCE_REMOVE;
}

/* A delivery that failed for now is tried again later, each time after a
 * longer wait, until it has failed max-attempts times. */
static void
schedule_retry (SignetOutbox *self, guint attempts)
{
  guint delay = self->retry_delay << MIN (attempts - 1, 6u);

  if (self->retry_source != 0)
    return;
  self->retry_source = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, delay, on_retry,
                                                   g_object_ref (self), g_object_unref);
}

static void
set_counts (SignetOutbox *self, guint n_queued, guint n_failed)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->n_queued != n_queued)
    {
      self->n_queued = n_queued;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_QUEUED]);
    }
  if (self->n_failed != n_failed)
    {
      self->n_failed = n_failed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static guint
apply_outcomes (SignetOutbox *self, RunData *data)
{
  guint n_sent = 0, retry_after = 0;

  for (guint i = 0; i < data->outcomes->len; i++)
    {
      BatchOutcome *o = g_ptr_array_index (data->outcomes, i);

      switch (o->state)
        {
        case BATCH_SENT:
          n_sent++;
          g_hash_table_remove (self->attempts, o->id);
          g_signal_emit (self, signals[SIGNAL_SENT], 0, o->id);
          break;
        case BATCH_FAILED:
          g_hash_table_remove (self->attempts, o->id);
          g_signal_emit (self, signals[SIGNAL_FAILED], 0, o->id, o->undelivered, o->message);
          break;
        case BATCH_DEFERRED:
          {
            guint attempts = GPOINTER_TO_UINT (g_hash_table_lookup (self->attempts, o->id)) + 1;
            g_hash_table_insert (self->attempts, g_strdup (o->id), GUINT_TO_POINTER (attempts));
            retry_after = MAX (retry_after, attempts);
            g_signal_emit (self, signals[SIGNAL_DEFERRED], 0, o->id, o->undelivered, o->message);
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  if (retry_after > 0 && !g_cancellable_is_cancelled (self->cancellable))
    schedule_retry (self, retry_after);
  return n_sent;
}

typedef struct {
  guint n_sent;
} FlushCounts;

static void
on_run_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignetOutbox *self = SIGNET_OUTBOX (object);
  RunData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) covered = g_steal_pointer (&self->covered);
  guint n_sent;

  self->running = FALSE;
  self->cleaned = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  n_sent = apply_outcomes (self, data);
  if (data->locked_out && data->n_queued > 0 && !g_cancellable_is_cancelled (self->cancellable) &&
      self->retry_source == 0)
    /* Another process is delivering: look again soon, not after a backoff. */
    self->retry_source = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, 1, on_retry,
                                                     g_object_ref (self), g_object_unref);
  if (data->error == NULL)
    set_counts (self, data->n_queued, data->n_failed);
  for (guint i = 0; i < covered->len; i++)
    {
      GTask *waiter = g_ptr_array_index (covered, i);
      FlushCounts *counts = g_task_get_task_data (waiter);

      counts->n_sent = n_sent;
      if (g_task_return_error_if_cancelled (waiter))
        continue;
      if (data->error != NULL)
        g_task_return_error (waiter, g_error_copy (data->error));
      else
        g_task_return_boolean (waiter, TRUE);
    }
  if (self->waiting->len > 0 && !g_cancellable_is_cancelled (self->cancellable))
    start_run (self);
}

static void
start_run (SignetOutbox *self)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, on_run_done, NULL);
  RunData *data = g_new0 (RunData, 1);
  GHashTableIter iter;
  gpointer key, value;

  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  self->covered = g_steal_pointer (&self->waiting);
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  data->deliver = signet_network_get_online (self->network);
  data->clean = !self->cleaned;
  data->max_attempts = MAX (self->max_attempts, 1);
  data->attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_iter_init (&iter, self->attempts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (data->attempts, g_strdup (key), value);
  data->outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_outcome_free);
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  g_task_set_source_tag (task, start_run);
  g_task_run_in_thread (task, run_thread);
}

static void
request_run (SignetOutbox *self, GTask *waiter)
{
  g_ptr_array_add (self->waiting, waiter);
  if (!self->running)
    start_run (self);
}

/* Delivers everything in Outbox (offline: only counts what waits). Requests
 * made while a run is going are answered by the next run. */
void
signet_outbox_flush_async (SignetOutbox       *self,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (SIGNET_IS_OUTBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, signet_outbox_flush_async);
  g_task_set_task_data (task, g_new0 (FlushCounts, 1), g_free);
  request_run (self, task);
}

/* @n_sent: (out) (optional): how many sends fully left Outbox in the run. */
gboolean
signet_outbox_flush_finish (SignetOutbox *self,
                            GAsyncResult *result,
                            guint        *n_sent,
                            GError      **error)
{
  FlushCounts *counts = g_task_get_task_data (G_TASK (result));

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (n_sent != NULL)
    *n_sent = counts->n_sent;
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_queued_flush (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!signet_outbox_flush_finish (SIGNET_OUTBOX (object), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Outbox delivery failed: %s", error->message);
}

static gboolean
queue_flush_in_context (gpointer user_data)
{
  SignetOutbox *self = user_data;

  if (!g_cancellable_is_cancelled (self->cancellable))
    signet_outbox_flush_async (self, NULL, on_queued_flush, NULL);
  return G_SOURCE_REMOVE;
}

/* Asks for a delivery run, from any thread; the result goes to the
 * signals. */
void
signet_outbox_queue_flush (SignetOutbox *self)
{
  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, queue_flush_in_context,
                              g_object_ref (self), g_object_unref);
}

guint
signet_outbox_get_n_queued (SignetOutbox *self)
{
  g_return_val_if_fail (SIGNET_IS_OUTBOX (self), 0);
  return self->n_queued;
}

gboolean
signet_outbox_get_busy (SignetOutbox *self)
{
  g_return_val_if_fail (SIGNET_IS_OUTBOX (self), FALSE);
  return self->running;
}

guint
signet_outbox_get_n_failed (SignetOutbox *self)
{
  g_return_val_if_fail (SIGNET_IS_OUTBOX (self), 0);
  return self->n_failed;
}

static void
on_online_changed (SignetNetwork *network,
                   GParamSpec    *pspec,
                   SignetOutbox  *self)
{
  if (signet_network_get_online (network))
    signet_outbox_queue_flush (self);
}

static void
signet_outbox_dispose (GObject *object)
{
  SignetOutbox *self = SIGNET_OUTBOX (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_object (&self->network);
  G_OBJECT_CLASS (signet_outbox_parent_class)->dispose (object);
}

static void
signet_outbox_finalize (GObject *object)
{
  SignetOutbox *self = SIGNET_OUTBOX (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->transport);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_clear_pointer (&self->covered, g_ptr_array_unref);
  g_clear_pointer (&self->attempts, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (signet_outbox_parent_class)->finalize (object);
}

static void
signet_outbox_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetOutbox *self = SIGNET_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_N_QUEUED:
      g_value_set_uint (value, self->n_queued);
      break;
    case PROP_N_FAILED:
      g_value_set_uint (value, self->n_failed);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    case PROP_RETRY_DELAY:
      g_value_set_uint (value, self->retry_delay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_outbox_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetOutbox *self = SIGNET_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_MAX_ATTEMPTS:
      self->max_attempts = g_value_get_uint (value);
      break;
    case PROP_RETRY_DELAY:
      self->retry_delay = g_value_get_uint (value);
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
  object_class->set_property = signet_outbox_set_property;

  properties[PROP_N_QUEUED] =
    g_param_spec_uint ("n-queued", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_FAILED] =
    g_param_spec_uint ("n-failed", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* A delivery run is going: what it finds is not counted yet. */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, 5,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_DELAY] =
    g_param_spec_uint ("retry-delay", NULL, NULL, 0, 3600, 30,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A send (batch ID) has reached every recipient. */
  signals[SIGNAL_SENT] =
    g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  /* Delivery failed for now and will be tried again: batch ID, who has not
   * received it yet, why. */
  signals[SIGNAL_DEFERRED] =
    g_signal_new ("deferred", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRV, G_TYPE_STRING);
  /* Delivery gave up; the batch was moved to Outbox/.failed. */
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRV, G_TYPE_STRING);
}

static void
signet_outbox_init (SignetOutbox *self)
{
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->max_attempts = 5;
  self->retry_delay = 30;
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

