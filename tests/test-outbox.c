#include "config.h"

#define _GNU_SOURCE
#include <fcntl.h>
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-delivery.h"
#include "signet-envelope.h"
#include "signet-local-transport.h"
#include "signet-smtp-transport.h"
#include "signet-errors.h"
#include "signet-outbox.h"
#include "signet-test-util.h"

/* A transport that records every delivery, and fails on cue: always, or
 * after a number of recipients, for now or for good. */
#define TEST_TYPE_TRANSPORT (test_transport_get_type ())
G_DECLARE_FINAL_TYPE (TestTransport, test_transport, TEST, TRANSPORT, GObject)

struct _TestTransport
{
  GObject    parent_instance;
  gboolean   fail;
  gboolean   permanent;
  int        fail_after;     /* >= 0: deliver this many, then fail once */
  gboolean   hold;           /* report half the message sent, then wait for release or cancel */
  gboolean   released;
  gboolean   waiting;
  GCond      cond;
  GMutex     lock;
  GPtrArray *delivered;      /* "copy-id recipient" */
};

static void
test_transport_release (GCancellable *cancellable, TestTransport *self)
{
  g_mutex_lock (&self->lock);
  self->released = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean
transport_is_waiting (gpointer data)
{
  TestTransport *self = data;
  gboolean waiting;

  g_mutex_lock (&self->lock);
  waiting = self->waiting;
  g_mutex_unlock (&self->lock);
  return waiting;
}

static gboolean
test_transport_deliver (SignetTransport          *transport,
                        int                       message_fd,
                        const char               *copy_id,
                        const char * const       *recipients,
                        SignetTransportDelivered  delivered,
                        SignetTransportSending    sending,
                        gpointer                  user_data,
                        GCancellable             *cancellable,
                        GError                  **error)
{
  TestTransport *self = TEST_TRANSPORT (transport);

  if (self->hold)
    {
      gulong handler;
      struct stat st;

      g_assert_cmpint (fstat (message_fd, &st), ==, 0);
      sending (st.st_size / 2, st.st_size, user_data);
      handler = g_cancellable_connect (cancellable, G_CALLBACK (test_transport_release), self, NULL);
      g_mutex_lock (&self->lock);
      self->waiting = TRUE;
      while (!self->released && !g_cancellable_is_cancelled (cancellable))
        g_cond_wait (&self->cond, &self->lock);
      self->waiting = FALSE;
      g_mutex_unlock (&self->lock);
      g_cancellable_disconnect (cancellable, handler);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      sending (st.st_size, st.st_size, user_data);
    }
  for (guint i = 0; recipients[i] != NULL; i++)
    {
      if (self->fail || self->fail_after == 0)
        {
          self->fail_after = -1;
          g_set_error_literal (error, SIGNET_TRANSPORT_ERROR,
                               self->permanent ? SIGNET_TRANSPORT_ERROR_PERMANENT : SIGNET_TRANSPORT_ERROR_TEMPORARY,
                               "Connection refused");
          return FALSE;
        }
      if (self->fail_after > 0)
        self->fail_after--;
      g_mutex_lock (&self->lock);
      g_ptr_array_add (self->delivered, g_strdup_printf ("%s %s", copy_id, recipients[i]));
      g_mutex_unlock (&self->lock);
      delivered (recipients[i], user_data);
    }
  return TRUE;
}

static void
test_transport_iface_init (SignetTransportInterface *iface)
{
  iface->deliver = test_transport_deliver;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestTransport, test_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_TRANSPORT, test_transport_iface_init))

static void
test_transport_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_TRANSPORT (object)->delivered);
  g_mutex_clear (&TEST_TRANSPORT (object)->lock);
  g_cond_clear (&TEST_TRANSPORT (object)->cond);
  G_OBJECT_CLASS (test_transport_parent_class)->finalize (object);
}

static void
test_transport_class_init (TestTransportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_transport_finalize;
}

static void
test_transport_init (TestTransport *self)
{
  self->delivered = g_ptr_array_new_with_free_func (g_free);
  self->fail_after = -1;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

/* How often @recipient got anything. */
static guint
times_delivered (TestTransport *transport, const char *recipient)
{
  guint n = 0;

  for (guint i = 0; i < transport->delivered->len; i++)
    {
      const char *entry = g_ptr_array_index (transport->delivered, i);
      if (g_str_equal (strchr (entry, ' ') + 1, recipient))
        n++;
    }
  return n;
}

typedef struct {
  gboolean done;
  gboolean ok;
  guint    n_sent;
  GError  *error;
} Flushed;

static void
on_flushed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Flushed *f = user_data;

  f->ok = signet_outbox_flush_finish (SIGNET_OUTBOX (object), result, &f->n_sent, &f->error);
  f->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Flushed *) data)->done;
}

static void
add_file (SignetStoreBatch *batch, const char *name, const char *text)
{
  int fd = signet_store_batch_create (batch, name, NULL);

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (signet_store_write_all (fd, text, strlen (text), NULL));
  g_assert_true (signet_store_batch_finish_file (batch, fd, NULL));
}

/* Queues a send whose copies are for the given envelopes (one per copy). */
static char *
queue_batch (SignetStore *store, const char * const *envelopes)
{
  g_autoptr(SignetStoreBatch) batch = signet_store_batch_new (store, NULL);

  for (guint i = 0; envelopes[i] != NULL; i++)
    {
      g_autofree char *eml = g_strdup_printf ("%03u.eml", i + 1);
      g_autofree char *rcpt = g_strdup_printf ("%03u.rcpt", i + 1);
      g_autofree char *text = g_strdup_printf ("Subject: copy %u\n\nbody\n", i + 1);

      add_file (batch, eml, text);
      add_file (batch, rcpt, envelopes[i]);
    }
  g_assert_true (signet_store_batch_commit (batch, NULL));
  return g_strdup (signet_store_batch_get_id (batch));
}

static guint
count (SignetStore *store, SignetFolder folder)
{
  g_autoptr(GPtrArray) list = NULL;

  if (folder == SIGNET_FOLDER_OUTBOX || folder == SIGNET_FOLDER_OUTBOX_FAILED)
    list = signet_store_list_batches (store, folder, NULL);
  else
    list = signet_store_list (store, folder, NULL);
  return list->len;
}

typedef struct {
  char              *root;
  SignetStore       *store;
  SignetTestMonitor *monitor;
  SignetNetwork     *network;
  TestTransport     *transport;
  SignetOutbox      *outbox;
  GPtrArray         *events;   /* "sent ID", "deferred ID who…", "failed ID who…" */
} Fixture;

static void
record_event (Fixture *f, const char *kind, const char *id, GStrv undelivered)
{
  g_autofree char *who = undelivered ? g_strjoinv (",", undelivered) : g_strdup ("");

  g_ptr_array_add (f->events, g_strdup_printf ("%s %s %s", kind, id, who));
}

static void
on_sent (SignetOutbox *outbox, const char *id, Fixture *f)
{
  record_event (f, "sent", id, NULL);
}

static void
on_deferred (SignetOutbox *outbox, const char *id, GStrv undelivered, const char *message, Fixture *f)
{
  g_assert_nonnull (message);
  record_event (f, "deferred", id, undelivered);
}

static void
on_failed (SignetOutbox *outbox, const char *id, GStrv undelivered, const char *message, Fixture *f)
{
  g_assert_nonnull (message);
  record_event (f, "failed", id, undelivered);
}

static void
fixture_setup (Fixture *f, gconstpointer online)
{
  f->root = signet_test_make_tmpdir ();
  f->store = signet_store_new (f->root);
  f->monitor = signet_test_monitor_new (GPOINTER_TO_INT (online));
  f->network = signet_network_new (G_NETWORK_MONITOR (f->monitor));
  f->transport = g_object_new (TEST_TYPE_TRANSPORT, NULL);
  f->outbox = signet_outbox_new (f->network, f->store, SIGNET_TRANSPORT (f->transport));
  f->events = g_ptr_array_new_with_free_func (g_free);
  /* Retries are driven by the tests, not by timers. */
  g_object_set (f->outbox, "retry-delay", 3600, NULL);
  g_signal_connect (f->outbox, "sent", G_CALLBACK (on_sent), f);
  g_signal_connect (f->outbox, "deferred", G_CALLBACK (on_deferred), f);
  g_signal_connect (f->outbox, "failed", G_CALLBACK (on_failed), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer online)
{
  /* A run still going (it holds the Outbox) reports to no freed fixture. */
  if (f->outbox != NULL)
    g_signal_handlers_disconnect_by_data (f->outbox, f);
  g_clear_object (&f->outbox);
  g_clear_object (&f->transport);
  g_clear_object (&f->network);
  g_clear_object (&f->monitor);
  g_clear_object (&f->store);
  g_clear_pointer (&f->events, g_ptr_array_unref);
  signet_test_remove_tree (f->root);
  g_free (f->root);
}

static void
flush (Fixture *f, Flushed *flushed)
{
  signet_outbox_flush_async (f->outbox, NULL, on_flushed, flushed);
  signet_test_wait_until (is_done, flushed);
  g_assert_no_error (flushed->error);
}

/* A temporary failure keeps the send in Outbox and says who is waiting; the
 * next run delivers it, once to each recipient, and moves it to Sent. */
static void
test_failure_keeps_message (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\nbob@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  g_autofree char *deferred = g_strdup_printf ("deferred %s alice@example.org,bob@example.org", id);
  g_autofree char *sent = g_strdup_printf ("sent %s ", id);
  Flushed first = { 0 }, second = { 0 };

  f->transport->fail = TRUE;
  flush (f, &first);
  g_assert_cmpuint (first.n_sent, ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 1);
  g_assert_cmpuint (f->events->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, deferred);

  f->transport->fail = FALSE;
  flush (f, &second);
  g_assert_cmpuint (second.n_sent, ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 1);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 0);
  g_assert_cmpuint (times_delivered (f->transport, "alice@example.org"), ==, 1);
  g_assert_cmpuint (times_delivered (f->transport, "bob@example.org"), ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->events, 1), ==, sent);
}

/* Delivery that stops half-way remembers who already got the message: the
 * retry goes only to the others. */
static void
test_partial_delivery (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "a@example.org\nb@example.org\nc@example.org\n", "d@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  g_autofree char *deferred = g_strdup_printf ("deferred %s c@example.org", id);
  Flushed first = { 0 }, second = { 0 };
  const char *all[] = { "a@example.org", "b@example.org", "c@example.org", "d@example.org" };

  f->transport->fail_after = 2;
  flush (f, &first);
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, deferred);
  /* The second copy was delivered in the same run: one failure does not
   * hold back the others. */
  g_assert_cmpuint (times_delivered (f->transport, "d@example.org"), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 1);
  flush (f, &second);
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    g_assert_cmpuint (times_delivered (f->transport, all[i]), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 2);
}

/* Offline nothing is handed to the transport. */
static void
test_offline_sends_nothing (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  Flushed flushed = { 0 };

  flush (f, &flushed);
  g_assert_true (flushed.ok);
  g_assert_cmpuint (flushed.n_sent, ==, 0);
  g_assert_cmpuint (f->transport->delivered->len, ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 1);
}

/* A send that cannot be read is moved aside, reported, and does not block
 * the ones queued after it. */
static void
test_damaged_batches (Fixture *f, gconstpointer data)
{
  const char *bad[][2] = {
    { "", NULL },                                   /* no recipients */
    { "not an address\n", NULL },                   /* garbage */
    { "alice@example.org\r\nBcc: x@y.org\n", NULL },
    { "\xff\xfe@example.org\n", NULL },
  };
  const char *good[] = { "zed@example.org\n", NULL };
  g_autofree char *good_id = NULL;
  Flushed flushed = { 0 };
  guint failed = 0;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_free (queue_batch (f->store, bad[i]));
  {
    /* A copy whose message file is missing. */
    g_autoptr(SignetStoreBatch) batch = signet_store_batch_new (f->store, NULL);
    add_file (batch, "001.rcpt", "amy@example.org\n");
    g_assert_true (signet_store_batch_commit (batch, NULL));
  }
  {
    /* A message whose list of recipients is missing. */
    g_autoptr(SignetStoreBatch) batch = signet_store_batch_new (f->store, NULL);
    add_file (batch, "001.eml", "Subject: x\n\n");
    g_assert_true (signet_store_batch_commit (batch, NULL));
  }
  {
    /* A list of recipients with a NUL in it: read as far as the NUL, the
     * copy would go to amy alone, and bob would never get it. */
    static const char with_nul[] = "amy@example.org\n\0bob@example.org\n";
    g_autoptr(SignetStoreBatch) batch = signet_store_batch_new (f->store, NULL);
    int fd = signet_store_batch_create (batch, "001.rcpt", NULL);

    g_assert_cmpint (fd, >=, 0);
    g_assert_true (signet_store_write_all (fd, with_nul, sizeof with_nul - 1, NULL));
    g_assert_true (signet_store_batch_finish_file (batch, fd, NULL));
    add_file (batch, "001.eml", "Subject: x\n\n");
    g_assert_true (signet_store_batch_commit (batch, NULL));
  }
  good_id = queue_batch (f->store, good);
  flush (f, &flushed);
  g_assert_cmpuint (flushed.n_sent, ==, 1);
  g_assert_cmpuint (times_delivered (f->transport, "zed@example.org"), ==, 1);
  g_assert_cmpuint (times_delivered (f->transport, "amy@example.org"), ==, 0);
  g_assert_cmpuint (f->transport->delivered->len, ==, 1);
  for (guint i = 0; i < f->events->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (f->events, i), "failed "))
      failed++;
  g_assert_cmpuint (failed, ==, G_N_ELEMENTS (bad) + 3);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_failed (f->outbox), ==, G_N_ELEMENTS (bad) + 3);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX_FAILED), ==, G_N_ELEMENTS (bad) + 3);
}

/* A send that keeps failing is moved aside after max-attempts, so the queue
 * empties (and Signet, which stays up while mail waits, can quit). A
 * permanent failure is moved aside at once. */
static void
test_gives_up (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  g_autofree char *failed = g_strdup_printf ("failed %s alice@example.org", id);

  g_object_set (f->outbox, "max-attempts", 3, NULL);
  f->transport->fail = TRUE;
  for (guint i = 0; i < 3; i++)
    {
      Flushed flushed = { 0 };
      g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 1);
      flush (f, &flushed);
    }
  g_assert_cmpuint (f->events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (f->events, 2), ==, failed);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_failed (f->outbox), ==, 1);

  {
    const char *other[] = { "bob@example.org\n", NULL };
    g_autofree char *other_id = queue_batch (f->store, other);
    g_autofree char *other_failed = g_strdup_printf ("failed %s bob@example.org", other_id);
    Flushed flushed = { 0 };

    f->transport->permanent = TRUE;
    flush (f, &flushed);
    g_assert_cmpstr (g_ptr_array_index (f->events, 3), ==, other_failed);
    g_assert_cmpuint (signet_outbox_get_n_failed (f->outbox), ==, 2);
  }
}

/* Requests made while a run is going are answered by a run that starts
 * after it: a send committed before the request is always delivered by
 * then, and never twice. */
static void
test_merged_requests (Fixture *f, gconstpointer data)
{
  const char *first[] = { "a@example.org\n", NULL };
  const char *second[] = { "b@example.org\n", NULL };
  Flushed one = { 0 }, two = { 0 }, three = { 0 };

  g_free (queue_batch (f->store, first));
  signet_outbox_flush_async (f->outbox, NULL, on_flushed, &one);
  g_free (queue_batch (f->store, second));
  signet_outbox_flush_async (f->outbox, NULL, on_flushed, &two);
  signet_outbox_flush_async (f->outbox, NULL, on_flushed, &three);
  signet_test_wait_until (is_done, &one);
  signet_test_wait_until (is_done, &two);
  signet_test_wait_until (is_done, &three);
  g_assert_cmpuint (times_delivered (f->transport, "a@example.org"), ==, 1);
  g_assert_cmpuint (times_delivered (f->transport, "b@example.org"), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 2);
}

/* A queued copy for an address an earlier Signet took as typed
 * ("a=?b@example.org"; "=?" is refused now) is delivered, to it and to
 * everyone else, once. */
static void
test_earlier_address_delivered (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "bob@example.org\na=?b@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  Flushed flushed = { 0 };

  flush (f, &flushed);
  g_assert_cmpuint (times_delivered (f->transport, "bob@example.org"), ==, 1);
  g_assert_cmpuint (times_delivered (f->transport, "a=?b@example.org"), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 1);
  g_assert_cmpuint (signet_outbox_get_n_failed (f->outbox), ==, 0);
}

/* A batch committed by a run that stopped after delivering (before the move
 * to Sent) is finished without delivering again. */
static void
test_recorded_delivery (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "a@example.org\nb@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  Flushed flushed = { 0 };
  int dir_fd = signet_store_open_batch (f->store, id, NULL);
  int done_fd = openat (dir_fd, "001.done", O_WRONLY | O_CREAT, 0600);

  g_assert_true (signet_envelope_append (done_fd, "a@example.org", NULL));
  g_assert_true (signet_envelope_append (done_fd, "b@example.org", NULL));
  /* A line a crash cut short was never confirmed. */
  g_assert_cmpint (write (done_fd, "c@exa", 5), ==, 5);
  close (done_fd);
  close (dir_fd);
  {
    /* A send stopped while its files were being removed after delivery. */
    g_autoptr(SignetStoreBatch) batch = signet_store_batch_new (f->store, NULL);
    add_file (batch, "001.done", "zed@example.org\n");
    g_assert_true (signet_store_batch_commit (batch, NULL));
  }
  flush (f, &flushed);
  g_assert_cmpuint (f->transport->delivered->len, ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_failed (f->outbox), ==, 0);
}

/* Leftovers of an interrupted run in Outbox/tmp are removed by the first
 * run; a link planted in the queue is neither delivered nor moved. */
static void
test_leftovers_and_links (Fixture *f, gconstpointer data)
{
  g_autofree char *tmp = g_build_filename (f->root, "Outbox", "tmp", NULL);
  g_autofree char *planted = g_build_filename (f->root, "Outbox", "new", "0.planted", NULL);
  g_autofree char *target = g_build_filename (f->root, "elsewhere", NULL);
  g_autoptr(SignetStoreBatch) leftover = signet_store_batch_new (f->store, NULL);
  struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
  Flushed flushed = { 0 };

  add_file (leftover, "001.eml", "Subject: half\n\n");
  {
    g_autofree char *dir = g_build_filename (tmp, signet_store_batch_get_id (leftover), NULL);
    g_assert_cmpint (utimensat (AT_FDCWD, dir, old, 0), ==, 0);
  }
  {
    /* A queued copy pointing at a file elsewhere. */
    const char *envelopes[] = { "alice@example.org\n", NULL };
    g_autofree char *id = queue_batch (f->store, envelopes);
    g_assert_cmpint (g_mkdir_with_parents (target, 0700), ==, 0);
    g_assert_cmpint (symlink (target, planted), ==, 0);
  }
  g_test_expect_message ("signet-store", G_LOG_LEVEL_WARNING, "*not a plain folder*");
  g_test_expect_message ("signet-store", G_LOG_LEVEL_WARNING, "*not a plain folder*");
  flush (f, &flushed);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (signet_test_count_files (tmp), ==, 0);
  g_assert_true (g_file_test (planted, G_FILE_TEST_IS_SYMLINK));
  g_assert_cmpuint (times_delivered (f->transport, "alice@example.org"), ==, 1);
}

/* ---- what the Outbox view relies on ---------------------------------- */

typedef struct {
  gboolean   done;
  GPtrArray *items;
  gboolean   ok;
  int        fd;
  GStrv      recipients;
  GError    *error;
} Answer;

static void
on_listed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Answer *a = user_data;

  a->items = signet_outbox_list_finish (SIGNET_OUTBOX (object), result, &a->error);
  a->done = TRUE;
}

static void
on_retried (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Answer *a = user_data;

  a->ok = signet_outbox_retry_finish (SIGNET_OUTBOX (object), result, &a->error);
  a->done = TRUE;
}

static void
on_deleted (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Answer *a = user_data;

  a->ok = signet_outbox_delete_finish (SIGNET_OUTBOX (object), result, &a->error);
  a->done = TRUE;
}

static void
on_held (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Answer *a = user_data;

  a->fd = signet_outbox_hold_finish (SIGNET_OUTBOX (object), result, &a->recipients, &a->error);
  a->ok = a->fd >= 0;
  a->done = TRUE;
}

static gboolean
answered (gpointer data)
{
  return ((Answer *) data)->done;
}

static GPtrArray *
list_items (Fixture *f)
{
  Answer a = { 0 };

  signet_outbox_list_async (f->outbox, NULL, on_listed, &a);
  signet_test_wait_until (answered, &a);
  g_assert_no_error (a.error);
  return a.items;
}

static SignetOutboxItem *
find_item (GPtrArray *items, const char *id)
{
  for (guint i = 0; i < items->len; i++)
    if (g_str_equal (((SignetOutboxItem *) g_ptr_array_index (items, i))->id, id))
      return g_ptr_array_index (items, i);
  return NULL;
}

static gboolean
outbox_idle (gpointer data)
{
  return !signet_outbox_get_busy (data);
}

/* Queued sends list with who they are for, their subject (never a sealed
 * one's), size and age; a failed one with the reason, which survives a
 * restart. */
static void
test_list (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\nbob@example.org\n", "carol@example.org\n", NULL };
  const char *sealed_text = "Subject: ...\nContent-Type: multipart/encrypted;\n protocol=\"application/pgp-encrypted\"; boundary=x\n\n--x--\n";
  g_autoptr(SignetStoreBatch) batch = signet_store_batch_new (f->store, NULL);
  g_autofree char *plain_id = queue_batch (f->store, envelopes);
  g_autofree char *sealed_id = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(SignetOutbox) again = NULL;
  SignetOutboxItem *plain, *sealed;
  Flushed flushed = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  add_file (batch, "001.eml", sealed_text);
  add_file (batch, "001.rcpt", "dave@example.org\n");
  g_assert_true (signet_store_batch_commit (batch, NULL));
  sealed_id = g_strdup (signet_store_batch_get_id (batch));

  items = list_items (f);
  g_assert_cmpuint (items->len, ==, 2);
  plain = find_item (items, plain_id);
  sealed = find_item (items, sealed_id);
  g_assert_nonnull (plain);
  g_assert_nonnull (sealed);
  g_assert_cmpint (plain->state, ==, SIGNET_OUTBOX_ITEM_QUEUED);
  g_assert_false (plain->sealed);
  g_assert_cmpstr (plain->subject, ==, "copy 1");
  g_assert_cmpuint (g_strv_length (plain->recipients), ==, 3);
  g_assert_true (g_strv_contains ((const char * const *) plain->undelivered, "carol@example.org"));
  g_assert_cmpuint (plain->size, ==, 2 * strlen ("Subject: copy 1\n\nbody\n"));
  g_assert_cmpint (ABS (plain->queued - now), <=, 5);
  g_assert_null (plain->reason);
  g_assert_true (sealed->sealed);
  g_assert_null (sealed->subject);

  /* A permanent failure: listed as failed, with the transport's words. */
  f->transport->fail = TRUE;
  f->transport->permanent = TRUE;
  flush (f, &flushed);
  again = signet_outbox_new (f->network, f->store, SIGNET_TRANSPORT (f->transport));
  g_clear_object (&f->outbox);
  f->outbox = g_steal_pointer (&again);
  after = list_items (f);
  g_assert_cmpuint (after->len, ==, 2);
  for (guint i = 0; i < after->len; i++)
    {
      SignetOutboxItem *item = g_ptr_array_index (after, i);
      g_assert_cmpint (item->state, ==, SIGNET_OUTBOX_ITEM_FAILED);
      g_assert_cmpstr (item->reason, ==, "Connection refused");
    }
}

static void
count_signal (SignetOutbox *outbox, guint *counter)
{
  (*counter)++;
}

typedef struct {
  guint64 sent;
  guint64 total;
  guint   n;
} ProgressSeen;

static void
on_progress (SignetOutbox *outbox, const char *id, guint64 sent, guint64 total, ProgressSeen *seen)
{
  seen->sent = sent;
  seen->total = total;
  seen->n++;
}

/* A send in progress lists as sending with its progress; Cancel stops it
 * at once and keeps it as failed; Retry then delivers it, once. */
static void
test_cancel_and_retry (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  g_autoptr(GPtrArray) sending = NULL;
  g_autoptr(GPtrArray) stopped = NULL;
  g_autoptr(GPtrArray) empty = NULL;
  ProgressSeen seen = { 0 };
  guint changed = 0;
  Answer retried = { 0 };

  g_signal_connect (f->outbox, "changed", G_CALLBACK (count_signal), &changed);
  g_signal_connect (f->outbox, "progress", G_CALLBACK (on_progress), &seen);
  f->transport->hold = TRUE;
  signet_outbox_queue_flush (f->outbox);
  signet_test_wait_until (transport_is_waiting, f->transport);
  sending = list_items (f);
  g_assert_cmpuint (sending->len, ==, 1);
  g_assert_cmpint (((SignetOutboxItem *) g_ptr_array_index (sending, 0))->state, ==, SIGNET_OUTBOX_ITEM_SENDING);
  while (seen.n == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (seen.total, ==, strlen ("Subject: copy 1\n\nbody\n"));
  g_assert_cmpuint (seen.sent, ==, seen.total / 2);
  g_assert_cmpuint (changed, >, 0);

  g_assert_false (signet_outbox_cancel (f->outbox, "no-such-send"));
  g_assert_true (signet_outbox_cancel (f->outbox, id));
  signet_test_wait_until (outbox_idle, f->outbox);
  g_assert_cmpuint (times_delivered (f->transport, "alice@example.org"), ==, 0);
  stopped = list_items (f);
  g_assert_cmpuint (stopped->len, ==, 1);
  g_assert_cmpint (((SignetOutboxItem *) g_ptr_array_index (stopped, 0))->state, ==, SIGNET_OUTBOX_ITEM_FAILED);
  g_assert_cmpstr (((SignetOutboxItem *) g_ptr_array_index (stopped, 0))->reason, ==, "Sending was cancelled.");
  /* Stopping is the user's choice: no "failed" notice for it. */
  g_assert_cmpuint (f->events->len, ==, 0);

  f->transport->hold = FALSE;
  signet_outbox_retry_async (f->outbox, id, NULL, on_retried, &retried);
  signet_test_wait_until (answered, &retried);
  g_assert_no_error (retried.error);
  g_assert_true (retried.ok);
  while (f->events->len == 0 || signet_outbox_get_busy (f->outbox))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (times_delivered (f->transport, "alice@example.org"), ==, 1);
  empty = list_items (f);
  g_assert_cmpuint (empty->len, ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 1);
}

/* Hold takes a send out of the queue (even one being sent) and gives its
 * first copy; it stays among the failed ones until deleted; deleting an
 * unknown send says so. */
static void
test_hold_and_delete (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\n", "bob@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  g_autoptr(GPtrArray) held = NULL;
  Answer hold = { 0 }, del = { 0 }, again = { 0 };
  Flushed flushed = { 0 };
  char buffer[64] = "";

  f->transport->hold = TRUE;
  signet_outbox_queue_flush (f->outbox);
  signet_test_wait_until (transport_is_waiting, f->transport);
  signet_outbox_hold_async (f->outbox, id, NULL, on_held, &hold);
  signet_test_wait_until (answered, &hold);
  g_assert_no_error (hold.error);
  g_assert_cmpuint (g_strv_length (hold.recipients), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) hold.recipients, "bob@example.org"));
  g_strfreev (hold.recipients);
  g_assert_cmpint (pread (hold.fd, buffer, sizeof buffer - 1, 0), >, 0);
  close (hold.fd);
  g_assert_true (g_str_has_prefix (buffer, "Subject: copy 1\n"));
  held = list_items (f);
  g_assert_cmpuint (held->len, ==, 1);
  g_assert_cmpint (((SignetOutboxItem *) g_ptr_array_index (held, 0))->state, ==, SIGNET_OUTBOX_ITEM_EDITING);

  /* Held: not delivered by later runs. */
  f->transport->hold = FALSE;
  flush (f, &flushed);
  g_assert_cmpuint (f->transport->delivered->len, ==, 0);

  signet_outbox_delete_async (f->outbox, id, NULL, on_deleted, &del);
  signet_test_wait_until (answered, &del);
  g_assert_no_error (del.error);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX_FAILED), ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
  signet_outbox_delete_async (f->outbox, id, NULL, on_deleted, &again);
  signet_test_wait_until (answered, &again);
  g_assert_error (again.error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND);
  g_clear_error (&again.error);
  signet_test_wait_until (outbox_idle, f->outbox);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_failed (f->outbox), ==, 0);
}

static gboolean
transport_is_smtp (gpointer data)
{
  g_autoptr(SignetTransport) transport = signet_outbox_dup_transport (data);

  return SIGNET_IS_SMTP_TRANSPORT (transport);
}

static gboolean
transport_is_other (gpointer data)
{
  g_autoptr(SignetTransport) transport = signet_outbox_dup_transport (data);
  g_autofree char *host = NULL;

  if (!SIGNET_IS_SMTP_TRANSPORT (transport))
    return FALSE;
  g_object_get (transport, "host", &host, NULL);
  return g_strcmp0 (host, "other.example.org") == 0;
}

static gboolean
transport_is_local (gpointer data)
{
  g_autoptr(SignetTransport) transport = signet_outbox_dup_transport (data);

  return SIGNET_IS_LOCAL_TRANSPORT (transport);
}

/* The Outbox delivers as the account says, from the next run on: on this
 * computer with no outgoing server, through the server once one is set
 * (sender, user and pinned certificate from the settings), and locally
 * again when it is cleared. */
static void
test_delivery_follows_account (Fixture *f, gconstpointer data)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autoptr(SignetAccount) account = signet_account_new (settings);
  g_autofree char *local = g_build_filename (f->root, "Local", NULL);
  g_autoptr(SignetDelivery) delivery = signet_delivery_new (account, f->outbox, local);
  g_autoptr(SignetTransport) smtp = NULL;
  g_autofree char *host = NULL, *user = NULL, *sender = NULL, *pin = NULL;
  const char *trusted[] = { "mail.example.org:465=sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL };
  guint port = 1;

  g_assert_true (signet_delivery_is_local (delivery));
  g_assert_true (transport_is_local (f->outbox));
  g_assert_false (signet_delivery_dup_untrusted_certificate (delivery, NULL, NULL, NULL, NULL));

  g_settings_set_string (settings, "identity", "Ann Example <ann@example.org>");
  g_settings_set_strv (settings, "trusted-certificates", trusted);
  g_settings_set_string (settings, "smtp-security", "tls");
  g_settings_set_uint (settings, "smtp-port", 465);
  g_settings_set_string (settings, "smtp-user", "ann");
  g_settings_set_string (settings, "smtp-host", "mail.example.org");
  signet_test_wait_until (transport_is_smtp, f->outbox);
  g_assert_false (signet_delivery_is_local (delivery));
  smtp = signet_outbox_dup_transport (f->outbox);
  g_object_get (smtp, "host", &host, "port", &port, "user", &user, "sender", &sender,
                "pinned-public-key", &pin, NULL);
  g_assert_cmpstr (host, ==, "mail.example.org");
  g_assert_cmpuint (port, ==, 465);
  g_assert_cmpstr (user, ==, "ann");
  g_assert_cmpstr (sender, ==, "ann@example.org");
  g_assert_cmpstr (pin, ==, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");

  /* A run that started before the account moved asks for the password of
   * the server it talks to, never the new one's. */
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, "password-of-a");
  g_settings_set_string (settings, "smtp-host", "other.example.org");
  signet_test_wait_until (transport_is_other, f->outbox);
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, "password-of-b");
  {
    g_autofree char *a = signet_account_lookup_password_for_sync (account, SIGNET_ACCOUNT_PROTOCOL_SMTP,
                                                                  "mail.example.org", 465, "ann", NULL, NULL);
    g_autofree char *b = signet_account_lookup_password_sync (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, NULL, NULL);
    g_assert_cmpstr (a, ==, "password-of-a");
    g_assert_cmpstr (b, ==, "password-of-b");
  }

  g_settings_set_string (settings, "smtp-host", "");
  signet_test_wait_until (transport_is_local, f->outbox);
  g_assert_true (signet_delivery_is_local (delivery));
}

/* A send deleted from the Outbox view while a run delivers another is not
 * delivered by that run. */
static void
test_delete_during_run (Fixture *f, gconstpointer data)
{
  const char *first[] = { "alice@example.org\n", NULL };
  const char *second[] = { "wrong-person@example.org\n", NULL };
  g_autofree char *first_id = queue_batch (f->store, first);
  g_autofree char *second_id = queue_batch (f->store, second);
  Answer del = { 0 };

  f->transport->hold = TRUE;
  signet_outbox_queue_flush (f->outbox);
  signet_test_wait_until (transport_is_waiting, f->transport);
  signet_outbox_delete_async (f->outbox, second_id, NULL, on_deleted, &del);
  f->transport->hold = FALSE;
  test_transport_release (NULL, f->transport);
  signet_test_wait_until (answered, &del);
  g_assert_no_error (del.error);
  signet_test_wait_until (outbox_idle, f->outbox);
  g_assert_cmpuint (times_delivered (f->transport, "alice@example.org"), ==, 1);
  g_assert_cmpuint (times_delivered (f->transport, "wrong-person@example.org"), ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
}

/* A record of who has a copy, cut short by a crash, does not swallow the
 * next record: nobody gets it twice. Nor can a send that reached some of
 * its recipients be taken back for editing (sending it again would reach
 * them twice). */
static void
test_torn_record (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "bob@example.org\ncarol@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  g_autofree char *done = NULL;
  Flushed first = { 0 }, second = { 0 };
  Answer hold = { 0 };
  int dir_fd = signet_store_open_batch (f->store, id, NULL);

  g_assert_cmpint (dir_fd, >=, 0);
  done = g_strdup_printf ("/proc/self/fd/%d/001.done", dir_fd);
  g_assert_true (g_file_set_contents (done, "bo", 2, NULL));
  close (dir_fd);

  f->transport->fail_after = 1;
  flush (f, &first);
  g_assert_cmpuint (times_delivered (f->transport, "bob@example.org"), ==, 1);
  g_assert_cmpuint (times_delivered (f->transport, "carol@example.org"), ==, 0);

  signet_outbox_hold_async (f->outbox, id, NULL, on_held, &hold);
  signet_test_wait_until (answered, &hold);
  g_assert_error (hold.error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (hold.error->message, "already reached"));
  g_clear_error (&hold.error);
  signet_test_wait_until (outbox_idle, f->outbox);

  flush (f, &second);
  g_assert_cmpuint (times_delivered (f->transport, "bob@example.org"), ==, 1);
  g_assert_cmpuint (times_delivered (f->transport, "carol@example.org"), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
}

/* A retry it has scheduled does not keep an Outbox alive: once let go,
 * it delivers nothing more (a new one on the same store would be locked
 * out by it). */
static void
test_released_with_retry (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  Flushed flushed = { 0 };
  gpointer weak = f->outbox;

  f->transport->fail = TRUE;
  flush (f, &flushed);
  g_assert_cmpuint (f->events->len, ==, 1);
  g_object_add_weak_pointer (G_OBJECT (f->outbox), &weak);
  g_clear_object (&f->outbox);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (weak);
}

/* Nor does a run asked for and not yet started (a change of account
 * asks for one): let go, the Outbox starts no run, delivers nothing and
 * leaves its send queued on disk. */
static void
test_released_with_queued_run (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  g_autoptr(SignetLocalTransport) local = signet_local_transport_new (f->root);
  gpointer weak = f->outbox;

  signet_outbox_queue_flush (f->outbox);
  signet_outbox_set_transport (f->outbox, SIGNET_TRANSPORT (local));
  signet_outbox_set_transport (f->outbox, SIGNET_TRANSPORT (f->transport));
  g_object_add_weak_pointer (G_OBJECT (f->outbox), &weak);
  g_clear_object (&f->outbox);
  g_assert_null (weak);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (times_delivered (f->transport, "alice@example.org"), ==, 0);
  g_assert_cmpuint (f->events->len, ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 1);
}

/* A send open in a composer is sent from there or not at all: a second
 * Edit and a Retry are refused (even one asked for before the first Edit
 * has finished) and it lists as being edited; once the composer lets go,
 * Retry delivers it, once. */
static void
test_held_once (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  g_autoptr(GPtrArray) items = NULL;
  Answer first = { 0 }, second = { 0 }, retried = { 0 }, again = { 0 };

  signet_outbox_hold_async (f->outbox, id, NULL, on_held, &first);
  signet_outbox_hold_async (f->outbox, id, NULL, on_held, &second);
  signet_test_wait_until (answered, &first);
  signet_test_wait_until (answered, &second);
  g_assert_no_error (first.error);
  close (first.fd);
  g_strfreev (first.recipients);
  g_assert_error (second.error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (second.error->message, "open in a composer"));
  g_clear_error (&second.error);

  signet_outbox_retry_async (f->outbox, id, NULL, on_retried, &retried);
  signet_test_wait_until (answered, &retried);
  g_assert_error (retried.error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED);
  g_clear_error (&retried.error);
  signet_test_wait_until (outbox_idle, f->outbox);
  items = list_items (f);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpint (((SignetOutboxItem *) g_ptr_array_index (items, 0))->state, ==, SIGNET_OUTBOX_ITEM_EDITING);
  g_assert_cmpuint (f->transport->delivered->len, ==, 0);

  signet_outbox_release (f->outbox, id);
  signet_outbox_retry_async (f->outbox, id, NULL, on_retried, &again);
  signet_test_wait_until (answered, &again);
  g_assert_no_error (again.error);
  while (f->events->len == 0 || signet_outbox_get_busy (f->outbox))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (times_delivered (f->transport, "alice@example.org"), ==, 1);
}

static gboolean
n_events_at_least (gpointer data)
{
  Fixture *f = data;

  return f->events->len >= 2 && !signet_outbox_get_busy (f->outbox);
}

/* A send waiting for its next try is not tried again by every run that a
 * new send asks for (it would use up its tries in minutes); asked to
 * flush (or when the network comes back), everything goes. */
static void
test_backoff_kept (Fixture *f, gconstpointer data)
{
  const char *envelopes[] = { "alice@example.org\n", NULL };
  g_autofree char *id = queue_batch (f->store, envelopes);
  Flushed first = { 0 };

  f->transport->fail = TRUE;
  flush (f, &first);
  g_assert_cmpuint (f->events->len, ==, 1);
  for (guint i = 0; i < 5; i++)
    {
      signet_outbox_queue_flush (f->outbox);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      signet_test_wait_until (outbox_idle, f->outbox);
    }
  g_assert_cmpuint (f->events->len, ==, 1);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 1);

  f->transport->fail = FALSE;
  signet_test_monitor_set_available (f->monitor, FALSE);
  signet_test_monitor_set_available (f->monitor, TRUE);
  signet_test_wait_until (n_events_at_least, f);
  g_assert_cmpuint (times_delivered (f->transport, "alice@example.org"), ==, 1);
}

static gboolean
both_delivered (gpointer data)
{
  Fixture *f = data;

  return times_delivered (f->transport, "alice@example.org") == 1 &&
         times_delivered (f->transport, "bob@example.org") == 1 &&
         count (f->store, SIGNET_FOLDER_OUTBOX) == 0;
}

/* Sends waiting for their next tries at different times are each tried
 * at their own: the one whose try comes later is not forgotten once the
 * earlier one has gone. */
static void
test_each_retried (Fixture *f, gconstpointer data)
{
  const char *first[] = { "alice@example.org\n", NULL };
  const char *second[] = { "bob@example.org\n", NULL };
  g_autofree char *first_id = queue_batch (f->store, first);
  g_autofree char *second_id = NULL;
  Flushed once = { 0 }, twice = { 0 };

  g_object_set (f->outbox, "retry-delay", 1, NULL);
  f->transport->fail = TRUE;
  flush (f, &once);
  flush (f, &twice);
  second_id = queue_batch (f->store, second);
  signet_outbox_queue_flush (f->outbox);
  while (f->events->len < 3 || signet_outbox_get_busy (f->outbox))
    g_main_context_iteration (NULL, TRUE);
  f->transport->fail = FALSE;
  signet_test_wait_until (both_delivered, f);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, online, fn) \
  g_test_add ("/outbox/" path, Fixture, GINT_TO_POINTER (online), fixture_setup, fn, fixture_teardown)
  ADD ("failure-keeps-message", TRUE, test_failure_keeps_message);
  ADD ("partial-delivery", TRUE, test_partial_delivery);
  ADD ("offline-sends-nothing", FALSE, test_offline_sends_nothing);
  ADD ("damaged-batches", TRUE, test_damaged_batches);
  ADD ("gives-up", TRUE, test_gives_up);
  ADD ("merged-requests", TRUE, test_merged_requests);
  ADD ("recorded-delivery", TRUE, test_recorded_delivery);
  ADD ("earlier-address-delivered", TRUE, test_earlier_address_delivered);
  ADD ("leftovers-and-links", TRUE, test_leftovers_and_links);
  ADD ("list", TRUE, test_list);
  ADD ("cancel-and-retry", TRUE, test_cancel_and_retry);
  ADD ("hold-and-delete", TRUE, test_hold_and_delete);
  ADD ("delivery-follows-account", TRUE, test_delivery_follows_account);
  ADD ("delete-during-run", TRUE, test_delete_during_run);
  ADD ("torn-record", TRUE, test_torn_record);
  ADD ("released-with-queued-run", TRUE, test_released_with_queued_run);
  ADD ("released-with-retry", TRUE, test_released_with_retry);
  ADD ("held-once", TRUE, test_held_once);
  ADD ("backoff-kept", TRUE, test_backoff_kept);
  ADD ("each-retried", TRUE, test_each_retried);
#undef ADD
  return g_test_run ();
}
