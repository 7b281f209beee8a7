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

/* A delivery failure keeps the message in Outbox, with the transport's
 * reason; the next run delivers it. */
static void
test_failure_keeps_message (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(TestTransport) transport = g_object_new (TEST_TYPE_TRANSPORT, NULL);
  g_autoptr(SignetOutbox) outbox = signet_outbox_new (network, store, SIGNET_TRANSPORT (transport));
  Flushed first = { 0 }, second = { 0 };

  queue_message (store, "alice@example.org, Bob <bob@example.org>");
  transport->fail = TRUE;
  signet_outbox_flush_async (outbox, NULL, on_flushed, &first);
  signet_test_wait_until (is_done, &first);
  g_assert_false (first.ok);
  g_assert_error (first.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpuint (count (store, SIGNET_FOLDER_OUTBOX), ==, 1);
  g_assert_cmpuint (count (store, SIGNET_FOLDER_SENT), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_queued (outbox), ==, 1);
  g_clear_error (&first.error);

  transport->fail = FALSE;
  signet_outbox_flush_async (outbox, NULL, on_flushed, &second);
  signet_test_wait_until (is_done, &second);
  g_assert_no_error (second.error);
  g_assert_cmpuint (second.n_sent, ==, 1);
  g_assert_cmpuint (count (store, SIGNET_FOLDER_OUTBOX), ==, 0);
  g_assert_cmpuint (count (store, SIGNET_FOLDER_SENT), ==, 1);
  g_assert_cmpuint (signet_outbox_get_n_queued (outbox), ==, 0);
  g_assert_cmpuint (transport->recipients->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (transport->recipients, 0), ==, "alice@example.org");
  g_assert_cmpstr (g_ptr_array_index (transport->recipients, 1), ==, "bob@example.org");
  signet_test_remove_tree (root);
}

/* Offline nothing is handed to the transport. */
static void
test_offline_sends_nothing (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (FALSE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(TestTransport) transport = g_object_new (TEST_TYPE_TRANSPORT, NULL);
  g_autoptr(SignetOutbox) outbox = signet_outbox_new (network, store, SIGNET_TRANSPORT (transport));
  Flushed flushed = { 0 };

  queue_message (store, "alice@example.org");
  signet_outbox_flush_async (outbox, NULL, on_flushed, &flushed);
  signet_test_wait_until (is_done, &flushed);
  g_assert_true (flushed.ok);
  g_assert_cmpuint (flushed.n_sent, ==, 0);
  g_assert_cmpuint (transport->recipients->len, ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_queued (outbox), ==, 1);
  g_assert_cmpuint (count (store, SIGNET_FOLDER_OUTBOX), ==, 1);
  signet_test_remove_tree (root);
}

/* A queued file without recipients is reported, not sent anywhere. */
static void
test_damaged_message (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(TestTransport) transport = g_object_new (TEST_TYPE_TRANSPORT, NULL);
  g_autoptr(SignetOutbox) outbox = signet_outbox_new (network, store, SIGNET_TRANSPORT (transport));
  Flushed flushed = { 0 };

  queue_message (store, "");
  signet_outbox_flush_async (outbox, NULL, on_flushed, &flushed);
  signet_test_wait_until (is_done, &flushed);
  g_assert_error (flushed.error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED);
  g_assert_true (g_str_has_suffix (flushed.error->message, "has no recipients."));
  g_assert_cmpuint (transport->recipients->len, ==, 0);
  g_assert_cmpuint (count (store, SIGNET_FOLDER_OUTBOX), ==, 1);
  g_clear_error (&flushed.error);
  signet_test_remove_tree (root);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/outbox/failure-keeps-message", test_failure_keeps_message);
  g_test_add_func ("/outbox/offline-sends-nothing", test_offline_sends_nothing);
  g_test_add_func ("/outbox/damaged-message", test_damaged_message);
  return g_test_run ();
}
