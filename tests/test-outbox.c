#include <string.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-outbox.h"
#include "signet-test-util.h"

/* A transport that fails until told otherwise, recording what it got. */
#define TEST_TYPE_TRANSPORT (test_transport_get_type ())
G_DECLARE_FINAL_TYPE (TestTransport, test_transport, TEST, TRANSPORT, GObject)

struct _TestTransport
{
  GObject    parent_instance;
  gboolean   fail;
  GPtrArray *recipients;
};

static gboolean
test_transport_deliver (SignetTransport    *transport,
                        const char         *path,
                        const char * const *recipients,
                        GCancellable       *cancellable,
                        GError            **error)
{
  TestTransport *self = TEST_TRANSPORT (transport);

  if (self->fail)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
      return FALSE;
    }
  for (guint i = 0; recipients[i] != NULL; i++)
    g_ptr_array_add (self->recipients, g_strdup (recipients[i]));
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
  g_ptr_array_unref (TEST_TRANSPORT (object)->recipients);
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
  self->recipients = g_ptr_array_new_with_free_func (g_free);
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
queue_message (SignetStore *store, const char *envelope)
{
  g_autofree char *tmp_path = NULL;
  g_autofree char *text = g_strdup_printf ("X-Signet-Envelope-To: %s\nSubject: hi\n\nbody\n", envelope);
  int fd = signet_store_open_tmp (store, SIGNET_FOLDER_OUTBOX, &tmp_path, NULL);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, text, strlen (text)), ==, (gssize) strlen (text));
  g_assert_true (signet_store_commit (store, SIGNET_FOLDER_OUTBOX, tmp_path, fd, NULL, NULL));
}

static guint
count (SignetStore *store, SignetFolder folder)
{
  g_autoptr(GPtrArray) list = signet_store_list (store, folder, NULL);
  return list->len;
}

typedef struct {
  char              *root;
  SignetStore       *store;
  SignetTestMonitor *monitor;
  SignetNetwork     *network;
  TestTransport     *transport;
  SignetOutbox      *outbox;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer online)
{
  f->root = signet_test_make_tmpdir ();
  f->store = signet_store_new (f->root);
  f->monitor = signet_test_monitor_new (GPOINTER_TO_INT (online));
  f->network = signet_network_new (G_NETWORK_MONITOR (f->monitor));
  f->transport = g_object_new (TEST_TYPE_TRANSPORT, NULL);
  f->outbox = signet_outbox_new (f->network, f->store, SIGNET_TRANSPORT (f->transport));
}

static void
fixture_teardown (Fixture *f, gconstpointer online)
{
  g_clear_object (&f->outbox);
  g_clear_object (&f->transport);
  g_clear_object (&f->network);
  g_clear_object (&f->monitor);
  g_clear_object (&f->store);
  signet_test_remove_tree (f->root);
  g_free (f->root);
}

static void
flush (Fixture *f, Flushed *flushed)
{
  signet_outbox_flush_async (f->outbox, NULL, on_flushed, flushed);
  signet_test_wait_until (is_done, flushed);
}

/* A delivery failure keeps the message in Outbox, with the transport's
 * reason; the next run delivers it. */
static void
test_failure_keeps_message (Fixture *f, gconstpointer data)
{
  Flushed first = { 0 }, second = { 0 };

  queue_message (f->store, "alice@example.org, Bob <bob@example.org>");
  f->transport->fail = TRUE;
  flush (f, &first);
  g_assert_false (first.ok);
  g_assert_error (first.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 1);
  g_clear_error (&first.error);

  f->transport->fail = FALSE;
  flush (f, &second);
  g_assert_no_error (second.error);
  g_assert_cmpuint (second.n_sent, ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_SENT), ==, 1);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 0);
  g_assert_cmpuint (f->transport->recipients->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->transport->recipients, 0), ==, "alice@example.org");
  g_assert_cmpstr (g_ptr_array_index (f->transport->recipients, 1), ==, "bob@example.org");
}

/* Offline nothing is handed to the transport. */
static void
test_offline_sends_nothing (Fixture *f, gconstpointer data)
{
  Flushed flushed = { 0 };

  queue_message (f->store, "alice@example.org");
  flush (f, &flushed);
  g_assert_true (flushed.ok);
  g_assert_cmpuint (flushed.n_sent, ==, 0);
  g_assert_cmpuint (f->transport->recipients->len, ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 1);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 1);
}

/* A queued file without recipients is reported, not sent anywhere. */
static void
test_damaged_message (Fixture *f, gconstpointer data)
{
  Flushed flushed = { 0 };

  queue_message (f->store, "");
  flush (f, &flushed);
  g_assert_error (flushed.error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED);
  g_assert_true (g_str_has_suffix (flushed.error->message, "has no recipients."));
  g_assert_cmpuint (f->transport->recipients->len, ==, 0);
  g_assert_cmpuint (count (f->store, SIGNET_FOLDER_OUTBOX), ==, 1);
  g_clear_error (&flushed.error);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/outbox/failure-keeps-message", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_failure_keeps_message, fixture_teardown);
  g_test_add ("/outbox/offline-sends-nothing", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_offline_sends_nothing, fixture_teardown);
  g_test_add ("/outbox/damaged-message", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_damaged_message, fixture_teardown);
  return g_test_run ();
}
