#define G_LOG_DOMAIN "signet-outbox"
#define _GNU_SOURCE

#include "signet-outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-envelope.h"
#include "signet-core.h"
#include "signet-errors.h"
#include "signet-gmime.h"
#include "signet-i18n.h"
#include "signet-sent-folder.h"
#include "signet-thread-priority.h"

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
  GQueue           ops;           /* GTask: retry, hold, delete, waiting for their turn */

  /* Shared with the delivering thread. */
  GMutex           lock;
  char            *sending_id;    /* the batch being delivered now */
  GCancellable    *sending_cancellable;
  gboolean         sending_stopped; /* the user stopped it */
  SignetSentFolder *sent_folder;
  GHashTable      *skip;           /* batch ids the view is changing: not to be delivered */
  guint            upload_failures; /* runs in a row that could not store Sent copies */
  guint            upload_due;      /* monotonic second of their next try, or 0 */
  GHashTable      *held;           /* batch ids open in a composer (main thread) */
  GHashTable      *not_before;     /* batch id -> monotonic second of its next try */
  gboolean         force_next;     /* the next run tries every batch, due or not */
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
  SIGNAL_CHANGED,
  SIGNAL_PROGRESS,
  SIGNAL_SENT_FOLDER_FAILED,
  N_SIGNALS
};

#define REASON_FILE "reason"
#define MAX_RETRY_DELAY 1800u
#define PROGRESS_INTERVAL (100 * G_TIME_SPAN_MILLISECOND)

static void read_summary (int fd, gboolean *sealed, char **subject, char **message_id);
static SignetOutboxItem *describe_batch (SignetStore *store, SignetFolder folder, const char *id,
                                         const char *sending_id);

static guint signals[N_SIGNALS];

typedef enum {
  BATCH_SENT,
  BATCH_DEFERRED,
  BATCH_FAILED,
  BATCH_STOPPED,     /* the user stopped it: kept among the failed ones */
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
  gboolean    upload;       /* Sent copies go to the account's Sent folder too */
  SignetSentFolder *sent_folder;
  SignetTransport  *transport;
  guint       n_uploads;    /* Sent copies still waiting for it */
  char       *upload_error;
  gboolean    upload_permanent;
  gboolean    forced;       /* every batch, not only those due */
  GPtrArray  *queued_ids;   /* what is queued when the run ends */
  GHashTable *not_before;   /* a copy: batch id -> monotonic second of its next try */
  guint       now;
  GError     *error;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_pointer (&data->attempts, g_hash_table_unref);
  g_clear_pointer (&data->outcomes, g_ptr_array_unref);
  g_clear_object (&data->sent_folder);
  g_clear_object (&data->transport);
  g_clear_pointer (&data->not_before, g_hash_table_unref);
  g_clear_pointer (&data->queued_ids, g_ptr_array_unref);
  g_free (data->upload_error);
  g_clear_error (&data->error);
  g_free (data);
}

/* State of one copy while the transport delivers it. */
typedef struct {
  SignetOutbox *outbox;
  SignetTransport *transport;
  const char   *batch_id;
  guint64       base;        /* bytes of the batch's copies sent before this one */
  guint64       total;       /* bytes of all copies still to send in this run */
  gint64        last_report;
} Sending;

typedef struct {
  int        done_fd;
  GError    *error;      /* recording failed: the next run finds out again */
  GPtrArray *reached;    /* who got it in this run, recorded or not */
  Sending   *sending;
} Progress;

typedef struct {
  SignetOutbox *outbox;
  char         *id;
  guint64       sent;
  guint64       total;
} ProgressReport;

/* Runs @func in the main context of the Outbox, from any thread, always
 * later (never at once in the calling thread, as
 * g_main_context_invoke() would when that context is free). */
static void
run_in_context (SignetOutbox *self, GSourceFunc func, gpointer data, GDestroyNotify destroy)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "[signet] outbox");
  g_source_attach (source, self->context);
}

static gboolean
emit_progress (gpointer user_data)
{
  ProgressReport *report = user_data;

  g_signal_emit (report->outbox, signals[SIGNAL_PROGRESS], 0, report->id, report->sent, report->total);
  return G_SOURCE_REMOVE;
}

static void
progress_report_free (ProgressReport *report)
{
  g_object_unref (report->outbox);
  g_free (report->id);
  g_free (report);
}

/* In the delivering thread: passed on to the main context, at most ten
 * times a second, and always at the end of a copy. */
static void
on_copy_sending (goffset sent, goffset total, gpointer user_data)
{
  Progress *progress = user_data;
  Sending *sending = progress->sending;
  gint64 now = g_get_monotonic_time ();
  ProgressReport *report;

  if (sending == NULL || (now - sending->last_report < PROGRESS_INTERVAL && sent < total))
    return;
  sending->last_report = now;
  report = g_new0 (ProgressReport, 1);
  report->outbox = g_object_ref (sending->outbox);
  report->id = g_strdup (sending->batch_id);
  report->sent = MIN (sending->base + (guint64) MAX (sent, 0), sending->total);
  report->total = sending->total;
  run_in_context (sending->outbox, emit_progress, report, (GDestroyNotify) progress_report_free);
}

static gboolean
emit_changed (gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

/* From any thread. */
static void
queue_changed (SignetOutbox *self)
{
  run_in_context (self, emit_changed, g_object_ref (self), g_object_unref);
}

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
file_in_sent (SignetOutbox *self, int dir_fd, const char *eml_name, const char *copy_id, gboolean upload,
              GError **error)
{
  g_autoptr(GError) local_error = NULL;

  /* The account's Sent folder gets it later, on its own: queued first, so
   * a stop between the two steps never forgets it. */
  if ((!upload || signet_store_link_into (self->store, dir_fd, eml_name, SIGNET_FOLDER_SENT_UPLOADS,
                                          copy_id, &local_error)) &&
      signet_store_move_into (self->store, dir_fd, eml_name, SIGNET_FOLDER_SENT, copy_id, &local_error))
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
              Sending      *sending,
              gboolean      upload,
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
  Progress progress = { -1, NULL, reached, sending };
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
      return file_in_sent (self, dir_fd, eml_name, copy_id, upload, error);
    }
  if (eml_fd < 0)
    {
      g_strv_builder_addv (undelivered, (const char **) remaining);
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_DAMAGED,
                   _("A queued message is missing from the Outbox."));
      return FALSE;
    }
  progress.done_fd = openat (dir_fd, done_name, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (progress.done_fd < 0)
    {
      close (eml_fd);
      g_strv_builder_addv (undelivered, (const char **) remaining);
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                   _("Could not write to the mail store (%s): %s"), done_name, g_strerror (errno));
      return FALSE;
    }
  ok = signet_transport_deliver (sending->transport, eml_fd, copy_id, (const char * const *) remaining,
                                 on_recipient_delivered, on_copy_sending, &progress, cancellable, error);
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
  return file_in_sent (self, dir_fd, eml_name, copy_id, upload, error);
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

/* Keeps why a send failed beside it, for the Outbox view: replaced in one
 * rename, so it is never half written. */
static void
write_reason (int dir_fd, const char *reason)
{
  g_autoptr(GError) error = NULL;
  const char *tmp_name = REASON_FILE ".new";
  int fd;

  unlinkat (dir_fd, tmp_name, 0);
  fd = openat (dir_fd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (!signet_store_write_all (fd, reason, strlen (reason), &error) || fdatasync (fd) != 0 ||
      renameat (dir_fd, tmp_name, dir_fd, REASON_FILE) != 0)
    unlinkat (dir_fd, tmp_name, 0);
  close (fd);
}

static char *
read_reason (int dir_fd)
{
  char buffer[4096];
  ssize_t n;
  int fd = openat (dir_fd, REASON_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0)
    return NULL;
  n = read (fd, buffer, sizeof buffer - 1);
  close (fd);
  if (n <= 0)
    return NULL;
  buffer[n] = '\0';
  return g_utf8_make_valid (buffer, n);
}

static guint64
file_size_at (int dir_fd, const char *name)
{
  struct stat st;

  if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (st.st_mode))
    return 0;
  return (guint64) st.st_size;
}

static void
set_sending (SignetOutbox *self, const char *id, GCancellable *cancellable)
{
  g_mutex_lock (&self->lock);
  g_free (self->sending_id);
  self->sending_id = g_strdup (id);
  g_clear_object (&self->sending_cancellable);
  if (cancellable != NULL)
    self->sending_cancellable = g_object_ref (cancellable);
  self->sending_stopped = FALSE;
  g_mutex_unlock (&self->lock);
  queue_changed (self);
}

static void
on_run_cancelled (GCancellable *run_cancellable, GCancellable *batch_cancellable)
{
  g_cancellable_cancel (batch_cancellable);
}

static BatchOutcome *
deliver_batch (SignetOutbox *self, RunData *data, const char *id, GCancellable *run_cancellable)
{
  BatchOutcome *outcome = g_new0 (BatchOutcome, 1);
  g_autoptr(GStrvBuilder) undelivered = g_strv_builder_new ();
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Sending sending = { self, data->transport, id, 0, 0, 0 };
  gboolean finished = FALSE, stopped;
  gulong handler = 0;
  guint attempts;
  int dir_fd;

  outcome->id = g_strdup (id);
  if (run_cancellable != NULL)
    handler = g_cancellable_connect (run_cancellable, G_CALLBACK (on_run_cancelled),
                                     g_object_ref (cancellable), g_object_unref);
  set_sending (self, id, cancellable);
  dir_fd = signet_store_open_batch (self->store, id, &error);
  copies = dir_fd >= 0 ? list_copies (dir_fd, &finished, &error) : NULL;
  if (error != NULL && g_error_matches (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_LINK))
    error->code = SIGNET_STORE_ERROR_DAMAGED;
  for (guint i = 0; copies != NULL && i < copies->len; i++)
    {
      g_autofree char *eml = copy_file_name (g_ptr_array_index (copies, i), SIGNET_ENVELOPE_MESSAGE_SUFFIX);
      sending.total += file_size_at (dir_fd, eml);
    }
  /* Every copy is tried: one that fails does not hold back the others. */
  for (guint i = 0; copies != NULL && i < copies->len; i++)
    {
      g_autofree char *eml = copy_file_name (g_ptr_array_index (copies, i), SIGNET_ENVELOPE_MESSAGE_SUFFIX);
      guint64 size = file_size_at (dir_fd, eml);
      GError *copy_error = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, &copy_error))
        {
          keep_error (&error, copy_error);
          break;
        }
      /* The first copy (the To/Cc one) is the one kept in Sent. */
      if (!deliver_copy (self, dir_fd, id, g_ptr_array_index (copies, i), undelivered, &sending,
                         i == 0 && data->upload, cancellable, &copy_error))
        keep_error (&error, copy_error);
      sending.base += size;
    }
  g_mutex_lock (&self->lock);
  stopped = self->sending_stopped;
  g_mutex_unlock (&self->lock);
  set_sending (self, NULL, NULL);
  if (handler != 0)
    g_cancellable_disconnect (run_cancellable, handler);
  outcome->undelivered = g_strv_builder_end (undelivered);
  if (error == NULL)
    {
      if (dir_fd >= 0)
        close (dir_fd);
      signet_store_remove_batch (self->store, id);
      outcome->state = BATCH_SENT;
      return outcome;
    }
  outcome->message = g_strdup (error->message);
  outcome->state = BATCH_DEFERRED;
  if (stopped)
    {
      /* Stopped from the Outbox view: kept for the user to decide. */
      g_autoptr(GError) fail_error = NULL;

      if (dir_fd >= 0)
        write_reason (dir_fd, _("Sending was cancelled."));
      if (signet_store_fail_batch (self->store, id, &fail_error))
        outcome->state = BATCH_STOPPED;
      else
        g_warning ("Could not move a cancelled message aside: %s", fail_error->message);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      attempts = GPOINTER_TO_UINT (g_hash_table_lookup (data->attempts, id)) + 1;
      if (dir_fd >= 0)
        write_reason (dir_fd, error->message);
      if (is_permanent (error) || attempts >= data->max_attempts)
        {
          g_autoptr(GError) fail_error = NULL;

          if (signet_store_fail_batch (self->store, id, &fail_error))
            outcome->state = BATCH_FAILED;
          else
            g_warning ("Could not move an undeliverable message aside: %s", fail_error->message);
        }
    }
  if (dir_fd >= 0)
    close (dir_fd);
  return outcome;
}

static guint
count_batches (SignetStore *store, SignetFolder folder)
{
  g_autoptr(GPtrArray) ids = signet_store_list_batches (store, folder, NULL);

  return ids != NULL ? ids->len : 0;
}

/* Stores each Sent copy waiting for it in the account's Sent folder, in
 * order, stopping at the first failure (tried again at the next run). A
 * copy already there (by its Message-ID) is not stored twice. */
static void
upload_sent_copies (SignetOutbox *self, RunData *data, GCancellable *cancellable)
{
  g_autoptr(GPtrArray) names = NULL;
  int dir_fd = signet_store_open_folder (self->store, SIGNET_FOLDER_SENT_UPLOADS, "new", NULL);

  if (dir_fd < 0)
    return;
  names = signet_store_list_files (dir_fd, NULL);
  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autoptr(GError) error = NULL;
      g_autofree char *subject = NULL;
      g_autofree char *message_id = NULL;
      gboolean sealed;
      int fd;

      if (data->sent_folder == NULL || data->upload_error != NULL || g_cancellable_is_cancelled (cancellable))
        {
          data->n_uploads++;
          continue;
        }
      fd = openat (dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0)
        continue;
      read_summary (fd, &sealed, &subject, &message_id);
      if (signet_sent_folder_append (data->sent_folder, fd, message_id, cancellable, &error))
        {
          unlinkat (dir_fd, name, 0);
          fsync (dir_fd);
        }
      else
        {
          data->n_uploads++;
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              data->upload_error = g_strdup (error->message);
              data->upload_permanent = is_permanent (error);
            }
        }
      close (fd);
    }
  close (dir_fd);
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
      gboolean skip;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      /* Deleted or taken back for editing since the run began. */
      g_mutex_lock (&self->lock);
      skip = g_hash_table_contains (self->skip, g_ptr_array_index (ids, i));
      g_mutex_unlock (&self->lock);
      /* Waiting for its next try: a send queued meanwhile does not hasten
       * it (that would use up its tries in minutes). */
      if (!data->forced &&
          GPOINTER_TO_UINT (g_hash_table_lookup (data->not_before, g_ptr_array_index (ids, i))) > data->now + 1)
        skip = TRUE;
      if (skip)
        continue;
      g_ptr_array_add (data->outcomes, deliver_batch (self, data, g_ptr_array_index (ids, i), cancellable));
    }
  if (data->deliver)
    upload_sent_copies (self, data, cancellable);
  data->queued_ids = signet_store_list_batches (self->store, SIGNET_FOLDER_OUTBOX, NULL);
  data->n_queued = data->queued_ids != NULL ? data->queued_ids->len : 0;
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
static void request_flush (SignetOutbox *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
static void start_next (SignetOutbox *self);

static gboolean
on_retry (gpointer user_data)
{
  SignetOutbox *self = user_data;

  self->retry_source = 0;
  signet_outbox_queue_flush (self);
  return G_SOURCE_REMOVE;
}

/* A delivery that failed for now is tried again later, each time after a
 * longer wait (doubling, up to half an hour), until it has failed
 * max-attempts times: with the defaults, for about three hours. */
static guint
monotonic_seconds (void)
{
  return (guint) (g_get_monotonic_time () / G_USEC_PER_SEC);
}

static guint
retry_delay_for (SignetOutbox *self, guint attempts)
{
  return MIN (self->retry_delay << MIN (attempts - 1, 6u), MAX_RETRY_DELAY);
}

/* One timer, for the earliest next try of any send waiting for one (or of
 * the Sent copies, or @soon when not 0): each try then sets it again for
 * whatever still waits. Offline there is none: the network coming back
 * tries everything. */
static void
schedule_next_try (SignetOutbox *self, guint soon)
{
  guint now = monotonic_seconds ();
  guint due = soon;
  GHashTableIter iter;
  gpointer value;

  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (g_cancellable_is_cancelled (self->cancellable) || !signet_network_get_online (self->network))
    return;
  if (self->upload_due != 0)
    due = due == 0 ? self->upload_due : MIN (due, self->upload_due);
  g_hash_table_iter_init (&iter, self->not_before);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    due = due == 0 ? GPOINTER_TO_UINT (value) : MIN (due, GPOINTER_TO_UINT (value));
  if (due == 0)
    return;
  self->retry_source = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, due > now ? due - now : 1, on_retry,
                                                   self, NULL);
}

/* Sends no longer queued (delivered by another process, moved aside)
 * wait for no try. */
static void
forget_gone (SignetOutbox *self, GPtrArray *queued_ids)
{
  GHashTableIter iter;
  gpointer key;

  if (queued_ids == NULL)
    return;
  g_hash_table_iter_init (&iter, self->not_before);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_ptr_array_find_with_equal_func (queued_ids, key, g_str_equal, NULL))
      g_hash_table_iter_remove (&iter);
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
  guint n_sent = 0;

  for (guint i = 0; i < data->outcomes->len; i++)
    {
      BatchOutcome *o = g_ptr_array_index (data->outcomes, i);

      switch (o->state)
        {
        case BATCH_SENT:
          n_sent++;
          g_hash_table_remove (self->attempts, o->id);
          g_hash_table_remove (self->not_before, o->id);
          g_signal_emit (self, signals[SIGNAL_SENT], 0, o->id);
          break;
        case BATCH_FAILED:
          g_hash_table_remove (self->attempts, o->id);
          g_hash_table_remove (self->not_before, o->id);
          g_signal_emit (self, signals[SIGNAL_FAILED], 0, o->id, o->undelivered, o->message);
          break;
        case BATCH_STOPPED:
          g_hash_table_remove (self->attempts, o->id);
          g_hash_table_remove (self->not_before, o->id);
          break;
        case BATCH_DEFERRED:
          {
            guint attempts = GPOINTER_TO_UINT (g_hash_table_lookup (self->attempts, o->id)) + 1;
            guint due = monotonic_seconds () + retry_delay_for (self, attempts);

            g_hash_table_insert (self->attempts, g_strdup (o->id), GUINT_TO_POINTER (attempts));
            g_hash_table_insert (self->not_before, g_strdup (o->id), GUINT_TO_POINTER (due));
            g_signal_emit (self, signals[SIGNAL_DEFERRED], 0, o->id, o->undelivered, o->message);
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
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
  if (data->upload_error != NULL)
    g_signal_emit (self, signals[SIGNAL_SENT_FOLDER_FAILED], 0, data->upload_error);
  /* Sent copies are tried again with the same backoff as sends; after a
   * refusal for good (a wrong password) only with the next send or a change
   * of the settings, so a server is not hammered with failing logins. */
  if (data->upload_error == NULL)
    self->upload_due = 0;
  if (data->upload_error == NULL)
    self->upload_failures = 0;
  else if (data->sent_folder != NULL && data->deliver)
    {
      self->upload_failures++;
      self->upload_due = data->upload_permanent ? 0 : monotonic_seconds () + retry_delay_for (self, self->upload_failures);
    }
  forget_gone (self, data->queued_ids);
  /* Another process is delivering: look again soon, not after a backoff. */
  schedule_next_try (self, data->locked_out && data->n_queued > 0 ? monotonic_seconds () + 1 : 0);
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
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  start_next (self);
}

static void
on_queued_flush_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!signet_outbox_flush_finish (SIGNET_OUTBOX (object), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Outbox delivery failed: %s", error->message);
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
  data->forced = self->force_next;
  self->force_next = FALSE;
  data->now = monotonic_seconds ();
  data->not_before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_iter_init (&iter, self->not_before);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (data->not_before, g_strdup (key), value);
  g_mutex_lock (&self->lock);
  data->sent_folder = self->sent_folder != NULL ? g_object_ref (self->sent_folder) : NULL;
  data->transport = g_object_ref (self->transport);
  g_mutex_unlock (&self->lock);
  data->upload = data->sent_folder != NULL;
  data->max_attempts = MAX (self->max_attempts, 1);
  data->attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_iter_init (&iter, self->attempts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (data->attempts, g_strdup (key), value);
  data->outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_outcome_free);
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  g_task_set_source_tag (task, start_run);
  /* Delivery runs beside the window, never ahead of it. */
  signet_thread_priority_run_in_background (task, run_thread);
}

/* ---- changes asked for from the Outbox view ------------------------------ */

typedef enum {
  OP_RETRY,
  OP_HOLD,
  OP_DELETE,
} OpKind;

typedef struct {
  OpKind  kind;
  char   *id;
  GStrv   recipients;   /* OP_HOLD: every envelope recipient */
} OpData;

static void
op_data_free (OpData *op)
{
  g_strfreev (op->recipients);
  g_free (op->id);
  g_free (op);
}

/* The first copy's message of a batch (the To/Cc copy, sealed to the
 * sender too when sealed). */
static int
open_first_message (int dir_fd, GError **error)
{
  g_autoptr(GPtrArray) copies = NULL;
  g_autofree char *eml = NULL;
  gboolean finished = FALSE;
  int fd;

  copies = list_copies (dir_fd, &finished, error);
  if (copies == NULL)
    return -1;
  if (copies->len == 0)
    {
      g_set_error_literal (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND,
                           _("The message is no longer in the Outbox."));
      return -1;
    }
  eml = copy_file_name (g_ptr_array_index (copies, 0), SIGNET_ENVELOPE_MESSAGE_SUFFIX);
  fd = openat (dir_fd, eml, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_DAMAGED,
                 _("A queued message is missing from the Outbox."));
  return fd;
}

static gboolean
batch_exists (SignetStore *store, SignetFolder folder, const char *id)
{
  int fd = signet_store_open_batch_in (store, folder, id, NULL);

  if (fd < 0)
    return FALSE;
  close (fd);
  return TRUE;
}

/* Whether any copy of @id (queued or failed) reached anyone: editing it
 * and sending it again would deliver it to them twice. */
static gboolean
reached_anyone (SignetStore *store, const char *id)
{
  static const SignetFolder folders[] = { SIGNET_FOLDER_OUTBOX, SIGNET_FOLDER_OUTBOX_FAILED };

  for (guint f = 0; f < G_N_ELEMENTS (folders); f++)
    {
      g_autoptr(SignetOutboxItem) item = describe_batch (store, folders[f], id, NULL);

      if (item != NULL)
        return g_strv_length (item->undelivered) < g_strv_length (item->recipients);
    }
  return FALSE;
}

static void
not_found_error (GError **error)
{
  g_set_error_literal (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND,
                       _("The message is no longer in the Outbox."));
}

static void
op_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  SignetOutbox *self = source_object;
  OpData *op = task_data;
  GError *error = NULL;
  int outbox_fd, dir_fd, fd = -1;
  gboolean ok = FALSE;

  if (!signet_store_ensure (self->store, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  outbox_fd = signet_store_open_folder (self->store, SIGNET_FOLDER_OUTBOX, NULL, &error);
  if (outbox_fd < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  if (flock (outbox_fd, LOCK_EX | LOCK_NB) != 0)
    {
      close (outbox_fd);
      g_task_return_new_error (task, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                               _("Another Signet is sending from this Outbox. Try again in a moment."));
      return;
    }
  switch (op->kind)
    {
    case OP_RETRY:
      dir_fd = signet_store_open_batch_in (self->store, SIGNET_FOLDER_OUTBOX_FAILED, op->id, NULL);
      if (dir_fd >= 0)
        {
          unlinkat (dir_fd, REASON_FILE, 0);
          close (dir_fd);
          ok = signet_store_move_batch (self->store, op->id, SIGNET_FOLDER_OUTBOX_FAILED,
                                        SIGNET_FOLDER_OUTBOX, &error);
        }
      else if (batch_exists (self->store, SIGNET_FOLDER_OUTBOX, op->id))
        ok = TRUE;  /* queued already */
      else
        not_found_error (&error);
      break;
    case OP_HOLD:
      if (reached_anyone (self->store, op->id))
        {
          g_set_error_literal (&error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                               _("This message has already reached some of its recipients, so it cannot be "
                                 "edited: Retry sends it to the others."));
          break;
        }
      if (batch_exists (self->store, SIGNET_FOLDER_OUTBOX, op->id))
        {
          dir_fd = signet_store_open_batch_in (self->store, SIGNET_FOLDER_OUTBOX, op->id, NULL);
          if (dir_fd >= 0)
            {
              write_reason (dir_fd, _("Taken out of the queue to be edited."));
              close (dir_fd);
            }
          if (!signet_store_move_batch (self->store, op->id, SIGNET_FOLDER_OUTBOX,
                                        SIGNET_FOLDER_OUTBOX_FAILED, &error))
            break;
        }
      dir_fd = signet_store_open_batch_in (self->store, SIGNET_FOLDER_OUTBOX_FAILED, op->id, NULL);
      if (dir_fd < 0)
        {
          not_found_error (&error);
          break;
        }
      fd = open_first_message (dir_fd, &error);
      close (dir_fd);
      ok = fd >= 0;
      if (ok)
        {
          g_autoptr(SignetOutboxItem) item = describe_batch (self->store, SIGNET_FOLDER_OUTBOX_FAILED, op->id, NULL);
          op->recipients = item != NULL ? g_steal_pointer (&item->recipients) : g_new0 (char *, 1);
        }
      break;
    case OP_DELETE:
      ok = signet_store_remove_batch_from (self->store, SIGNET_FOLDER_OUTBOX, op->id) ||
           signet_store_remove_batch_from (self->store, SIGNET_FOLDER_OUTBOX_FAILED, op->id);
      if (!ok)
        not_found_error (&error);
      break;
    default:
      g_assert_not_reached ();
    }
  flock (outbox_fd, LOCK_UN);
  close (outbox_fd);
  if (!ok)
    g_task_return_error (task, error);
  else if (op->kind == OP_HOLD)
    g_task_return_int (task, fd);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_op_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignetOutbox *self = SIGNET_OUTBOX (object);
  g_autoptr(GTask) caller = user_data;
  OpData *op = g_task_get_task_data (caller);
  GError *error = NULL;

  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_hash_table_remove (self->attempts, op->id);
  g_hash_table_remove (self->not_before, op->id);
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->skip, op->id);
  g_mutex_unlock (&self->lock);
  if (op->kind == OP_DELETE)
    g_hash_table_remove (self->held, op->id);
  if (op->kind == OP_HOLD)
    {
      int fd = (int) g_task_propagate_int (G_TASK (result), &error);

      if (error != NULL)
        {
          g_hash_table_remove (self->held, op->id);
          g_task_return_error (caller, error);
        }
      else
        g_task_return_int (caller, fd);
    }
  else if (g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_boolean (caller, TRUE);
  else
    g_task_return_error (caller, error);
  /* A run follows: it delivers what was retried (online), and counts. */
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  if (!g_cancellable_is_cancelled (self->cancellable))
    {
      /* A retry goes at once, other changes only recount. */
      if (op->kind == OP_RETRY)
        signet_outbox_flush_async (self, NULL, on_queued_flush_done, NULL);
      else
        request_flush (self, NULL, on_queued_flush_done, NULL);
    }
  start_next (self);
}

/* The worker fills in the caller's own OpData (the recipients of a held
 * send); @caller is answered when it is done. */
static void
start_op (SignetOutbox *self, GTask *caller)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, on_op_done, caller);

  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_task_set_task_data (task, g_task_get_task_data (caller), NULL);
  g_task_set_source_tag (task, start_op);
  signet_thread_priority_run_in_background (task, op_thread);
}

/* One thing at a time touches the queue: a change asked for, else a
 * delivery run for whatever requests wait. */
static void
start_next (SignetOutbox *self)
{
  if (self->running)
    return;
  if (!g_queue_is_empty (&self->ops))
    start_op (self, g_queue_pop_head (&self->ops));
  else if (self->waiting->len > 0 && !g_cancellable_is_cancelled (self->cancellable))
    start_run (self);
}

static void
request_op (SignetOutbox *self, OpKind kind, const char *id, GCancellable *cancellable,
            GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  OpData *op = g_new0 (OpData, 1);

  op->kind = kind;
  op->id = g_strdup (id);
  g_task_set_task_data (task, op, (GDestroyNotify) op_data_free);
  g_task_set_source_tag (task, source_tag);
  /* Open in a composer: sent from there, or not at all, so never twice. */
  if (kind != OP_DELETE && g_hash_table_contains (self->held, id))
    {
      g_task_return_new_error (task, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED, "%s",
                               _("This message is open in a composer: send it from there, or close that "
                                 "window first."));
      g_object_unref (task);
      return;
    }
  /* Held from now on: a second Edit or a Retry meanwhile is refused. */
  if (kind == OP_HOLD)
    g_hash_table_add (self->held, g_strdup (id));
  if (kind != OP_RETRY)
    {
      /* Not delivered from now on, even by the run going now. */
      g_mutex_lock (&self->lock);
      g_hash_table_add (self->skip, g_strdup (id));
      g_mutex_unlock (&self->lock);
      signet_outbox_cancel (self, id);
    }
  g_queue_push_tail (&self->ops, task);
  start_next (self);
}

void
signet_outbox_retry_async (SignetOutbox       *self,
                           const char         *id,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  g_return_if_fail (id != NULL);
  request_op (self, OP_RETRY, id, cancellable, callback, user_data, signet_outbox_retry_async);
}

gboolean
signet_outbox_retry_finish (SignetOutbox *self,
                            GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
signet_outbox_hold_async (SignetOutbox       *self,
                          const char         *id,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  g_return_if_fail (id != NULL);
  request_op (self, OP_HOLD, id, cancellable, callback, user_data, signet_outbox_hold_async);
}

int
signet_outbox_hold_finish (SignetOutbox *self,
                           GAsyncResult *result,
                           GStrv        *recipients,
                           GError      **error)
{
  OpData *op;
  int fd;

  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  op = g_task_get_task_data (G_TASK (result));
  fd = (int) g_task_propagate_int (G_TASK (result), error);
  if (recipients != NULL)
    *recipients = fd >= 0 ? g_strdupv (op->recipients) : NULL;
  return fd;
}

void
signet_outbox_delete_async (SignetOutbox       *self,
                            const char         *id,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  g_return_if_fail (id != NULL);
  request_op (self, OP_DELETE, id, cancellable, callback, user_data, signet_outbox_delete_async);
}

gboolean
signet_outbox_delete_finish (SignetOutbox *self,
                             GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
signet_outbox_release (SignetOutbox *self,
                       const char   *id)
{
  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  g_return_if_fail (id != NULL);
  if (g_hash_table_remove (self->held, id))
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

gboolean
signet_outbox_cancel (SignetOutbox *self,
                      const char   *id)
{
  gboolean found;

  g_return_val_if_fail (SIGNET_IS_OUTBOX (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_mutex_lock (&self->lock);
  found = g_strcmp0 (self->sending_id, id) == 0 && self->sending_cancellable != NULL;
  if (found)
    {
      self->sending_stopped = TRUE;
      g_cancellable_cancel (self->sending_cancellable);
    }
  g_mutex_unlock (&self->lock);
  return found;
}

/* ---- what the Outbox view lists ---------------------------------------- */

G_DEFINE_BOXED_TYPE (SignetOutboxItem, signet_outbox_item, signet_outbox_item_copy, signet_outbox_item_free)

SignetOutboxItem *
signet_outbox_item_copy (const SignetOutboxItem *item)
{
  SignetOutboxItem *copy = g_memdup2 (item, sizeof *item);

  copy->id = g_strdup (item->id);
  copy->subject = g_strdup (item->subject);
  copy->recipients = g_strdupv (item->recipients);
  copy->undelivered = g_strdupv (item->undelivered);
  copy->reason = g_strdup (item->reason);
  return copy;
}

void
signet_outbox_item_free (SignetOutboxItem *item)
{
  if (item == NULL)
    return;
  g_free (item->id);
  g_free (item->subject);
  g_strfreev (item->recipients);
  g_strfreev (item->undelivered);
  g_free (item->reason);
  g_free (item);
}

/* The header block of a message, unfolded, as far as the first 64 KiB go. */
static void
read_summary (int fd, gboolean *sealed, char **subject, char **message_id)
{
  g_autofree char *buffer = g_malloc (65536 + 1);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) unfolded = g_string_new (NULL);
  ssize_t n = pread (fd, buffer, 65536, 0);
  char *end;

  *sealed = FALSE;
  *subject = NULL;
  if (message_id != NULL)
    *message_id = NULL;
  if (n <= 0)
    return;
  buffer[n] = '\0';
  end = strstr (buffer, "\r\n\r\n");
  if (end == NULL)
    end = strstr (buffer, "\n\n");
  if (end != NULL)
    *end = '\0';
  for (const char *p = buffer; *p != '\0'; p++)
    {
      if (*p == '\r')
        continue;
      if (*p == '\n' && (p[1] == ' ' || p[1] == '\t'))
        continue;
      g_string_append_c (unfolded, *p);
    }
  lines = g_strsplit (unfolded->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_ascii_strncasecmp (lines[i], "Content-Type:", 13) == 0 &&
          strstr (lines[i] + 13, "multipart/encrypted") != NULL)
        *sealed = TRUE;
      else if (g_ascii_strncasecmp (lines[i], "Subject:", 8) == 0 && *subject == NULL)
        {
          g_autofree char *raw = g_strstrip (g_strdup (lines[i] + 8));
          *subject = g_mime_utils_header_decode_text (NULL, raw);
        }
      else if (g_ascii_strncasecmp (lines[i], "Message-ID:", 11) == 0 && message_id != NULL &&
               *message_id == NULL)
        *message_id = g_mime_utils_decode_message_id (lines[i] + 11);
    }
  if (*sealed)
    g_clear_pointer (subject, g_free);  /* what shows outside is not the subject */
}

static SignetOutboxItem *
describe_batch (SignetStore *store, SignetFolder folder, const char *id, const char *sending_id)
{
  g_autoptr(SignetOutboxItem) item = g_new0 (SignetOutboxItem, 1);
  g_autoptr(GStrvBuilder) all = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) waiting = g_strv_builder_new ();
  g_autoptr(GPtrArray) copies = NULL;
  gboolean finished = FALSE;
  int dir_fd = signet_store_open_batch_in (store, folder, id, NULL);

  if (dir_fd < 0)
    return NULL;
  item->id = g_strdup (id);
  item->queued = g_ascii_strtoll (id, NULL, 10);
  item->state = folder == SIGNET_FOLDER_OUTBOX_FAILED ? SIGNET_OUTBOX_ITEM_FAILED :
                g_strcmp0 (id, sending_id) == 0 ? SIGNET_OUTBOX_ITEM_SENDING : SIGNET_OUTBOX_ITEM_QUEUED;
  item->reason = read_reason (dir_fd);
  copies = list_copies (dir_fd, &finished, NULL);
  for (guint i = 0; copies != NULL && i < copies->len; i++)
    {
      const char *copy = g_ptr_array_index (copies, i);
      g_autofree char *rcpt_name = copy_file_name (copy, SIGNET_ENVELOPE_RECIPIENTS_SUFFIX);
      g_autofree char *done_name = copy_file_name (copy, SIGNET_ENVELOPE_DELIVERED_SUFFIX);
      g_autofree char *eml_name = copy_file_name (copy, SIGNET_ENVELOPE_MESSAGE_SUFFIX);
      g_auto(GStrv) rcpt = signet_envelope_read (dir_fd, rcpt_name, TRUE, NULL);
      g_auto(GStrv) done = signet_envelope_read (dir_fd, done_name, FALSE, NULL);
      g_auto(GStrv) remaining = NULL;

      item->size += file_size_at (dir_fd, eml_name);
      if (rcpt == NULL)
        continue;
      remaining = remaining_recipients (rcpt, done, NULL);
      g_strv_builder_addv (all, (const char **) rcpt);
      g_strv_builder_addv (waiting, (const char **) remaining);
      if (i == 0)
        {
          int fd = openat (dir_fd, eml_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

          if (fd >= 0)
            {
              read_summary (fd, &item->sealed, &item->subject, NULL);
              close (fd);
            }
        }
    }
  close (dir_fd);
  item->recipients = g_strv_builder_end (all);
  item->undelivered = g_strv_builder_end (waiting);
  return g_steal_pointer (&item);
}

static void
list_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  SignetOutbox *self = source_object;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_outbox_item_free);
  static const SignetFolder folders[] = { SIGNET_FOLDER_OUTBOX, SIGNET_FOLDER_OUTBOX_FAILED };
  g_autofree char *sending_id = NULL;

  g_mutex_lock (&self->lock);
  sending_id = g_strdup (self->sending_id);
  g_mutex_unlock (&self->lock);
  for (guint f = 0; f < G_N_ELEMENTS (folders); f++)
    {
      g_autoptr(GPtrArray) ids = signet_store_list_batches (self->store, folders[f], NULL);

      for (guint i = 0; ids != NULL && i < ids->len; i++)
        {
          SignetOutboxItem *item = describe_batch (self->store, folders[f], g_ptr_array_index (ids, i), sending_id);

          if (item != NULL)
            g_ptr_array_add (items, item);
        }
    }
  g_task_return_pointer (task, g_steal_pointer (&items), (GDestroyNotify) g_ptr_array_unref);
}

static int
compare_items (gconstpointer a, gconstpointer b)
{
  const SignetOutboxItem *x = *(SignetOutboxItem * const *) a;
  const SignetOutboxItem *y = *(SignetOutboxItem * const *) b;

  return g_strcmp0 (x->id, y->id);
}

void
signet_outbox_list_async (SignetOutbox       *self,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, signet_outbox_list_async);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
signet_outbox_list_finish (SignetOutbox *self,
                           GAsyncResult *result,
                           GError      **error)
{
  GPtrArray *items;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  items = g_task_propagate_pointer (G_TASK (result), error);
  if (items == NULL)
    return NULL;
  g_ptr_array_sort (items, compare_items);
  for (guint i = 0; i < items->len; i++)
    {
      SignetOutboxItem *item = g_ptr_array_index (items, i);

      if (item->state == SIGNET_OUTBOX_ITEM_FAILED && g_hash_table_contains (self->held, item->id))
        item->state = SIGNET_OUTBOX_ITEM_EDITING;
    }
  return items;
}

static void
request_run (SignetOutbox *self, GTask *waiter)
{
  g_ptr_array_add (self->waiting, waiter);
  /* What was queued meanwhile (a send just committed) waits for the run
   * going now to end, but is listed already. */
  if (self->running)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  start_next (self);
}

/* Delivers everything in Outbox (offline: only counts what waits), also
 * sends waiting for their next try. Requests made while a run is going are
 * answered by the next run. */
void
signet_outbox_flush_async (SignetOutbox       *self,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (SIGNET_IS_OUTBOX (self));

  self->force_next = TRUE;
  request_flush (self, cancellable, callback, user_data);
}

/* A run for whatever is due (a send just queued, a retry's time). */
static void
request_flush (SignetOutbox       *self,
               GCancellable       *cancellable,
               GAsyncReadyCallback callback,
               gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

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

static gboolean
queue_flush_in_context (gpointer user_data)
{
  g_autoptr(SignetOutbox) self = g_weak_ref_get (user_data);

  if (self != NULL && !g_cancellable_is_cancelled (self->cancellable))
    request_flush (self, NULL, on_queued_flush_done, NULL);
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Asks for a delivery run, from any thread; the result goes to the
 * signals. A run asked for does not keep the Outbox alive: once let go,
 * it starts none (its sends stay queued for the next Outbox on the
 * store). */
void
signet_outbox_queue_flush (SignetOutbox *self)
{
  GWeakRef *ref;

  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  run_in_context (self, queue_flush_in_context, ref, weak_ref_free);
}

/* How sends leave from the next delivery run on (the one running keeps
 * its own). */
void
signet_outbox_set_transport (SignetOutbox    *self,
                             SignetTransport *transport)
{
  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  g_return_if_fail (SIGNET_IS_TRANSPORT (transport));
  g_mutex_lock (&self->lock);
  g_set_object (&self->transport, transport);
  g_mutex_unlock (&self->lock);
  signet_outbox_queue_flush (self);
}

SignetTransport *
signet_outbox_dup_transport (SignetOutbox *self)
{
  SignetTransport *transport;

  g_return_val_if_fail (SIGNET_IS_OUTBOX (self), NULL);
  g_mutex_lock (&self->lock);
  transport = g_object_ref (self->transport);
  g_mutex_unlock (&self->lock);
  return transport;
}

/* Where Sent copies are stored on the account's server as well (NULL:
 * only here). Copies filed in Sent while none was set stay only here. */
void
signet_outbox_set_sent_folder (SignetOutbox     *self,
                               SignetSentFolder *sent_folder)
{
  g_return_if_fail (SIGNET_IS_OUTBOX (self));
  g_return_if_fail (sent_folder == NULL || SIGNET_IS_SENT_FOLDER (sent_folder));
  g_mutex_lock (&self->lock);
  g_set_object (&self->sent_folder, sent_folder);
  g_mutex_unlock (&self->lock);
  self->upload_failures = 0;
  self->upload_due = 0;
  if (sent_folder != NULL)
    signet_outbox_queue_flush (self);
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
  /* Everything goes at once when the network is back. */
  if (signet_network_get_online (network) && !g_cancellable_is_cancelled (self->cancellable))
    signet_outbox_flush_async (self, NULL, on_queued_flush_done, NULL);
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
  g_free (self->sending_id);
  g_clear_object (&self->sending_cancellable);
  g_clear_object (&self->sent_folder);
  g_clear_pointer (&self->skip, g_hash_table_unref);
  g_clear_pointer (&self->held, g_hash_table_unref);
  g_clear_pointer (&self->not_before, g_hash_table_unref);
  g_mutex_clear (&self->lock);
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
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, 12,
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
  /* Storing Sent copies in the account's Sent folder failed (why); they
   * are tried again later on their own. */
  signals[SIGNAL_SENT_FOLDER_FAILED] =
    g_signal_new ("sent-folder-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  /* What signet_outbox_list_async() finds may have changed. */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /* A send (batch ID) is going out: bytes sent, bytes in all. */
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_UINT64);
}

static void
signet_outbox_init (SignetOutbox *self)
{
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->max_attempts = 12;
  self->retry_delay = 30;
  g_mutex_init (&self->lock);
  g_queue_init (&self->ops);
  self->skip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->not_before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  signet_core_init ();
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

