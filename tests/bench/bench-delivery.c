/* Delivery benchmark: the Outbox delivering queued mail through a mail
 * server, as the application does (SignetOutbox over SignetSmtpTransport).
 *
 *   bench-delivery queue   MAIL_DIR N FROM TO
 *       queues N plain messages (Work Offline: nothing leaves) and exits;
 *   bench-delivery deliver MAIL_DIR HOST PORT SECURITY USER CA_FILE SENDER
 *       reads the password from standard input (one line), goes online and
 *       prints "SECONDS N_SENT N_QUEUED N_FAILED" once the Outbox is idle.
 *
 * Only delivery is timed: from going online to an idle Outbox. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "signet-core.h"
#include "signet-key-directory.h"
#include "signet-network.h"
#include "signet-outbox.h"
#include "signet-send-operation.h"
#include "signet-smtp-transport.h"
#include "signet-store.h"

typedef struct {
  GMainLoop *loop;
  guint      pending;
  gboolean   failed;
} Waiter;

static void
on_sent (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Waiter *waiter = user_data;
  g_autoptr(GError) error = NULL;

  if (!signet_send_operation_send_finish (SIGNET_SEND_OPERATION (object), result, NULL, NULL, &error))
    {
      fprintf (stderr, "queueing failed: %s\n", error->message);
      waiter->failed = TRUE;
    }
  if (--waiter->pending == 0)
    g_main_loop_quit (waiter->loop);
}

static int
queue (const char *mail_dir, guint n, const char *from, const char *to)
{
  g_autoptr(SignetNetwork) network = signet_network_new (NULL);
  g_autofree char *gnupg = g_dir_make_tmp ("sgbd.XXXXXX", NULL);
  g_autoptr(SignetKeyDirectory) directory = NULL;
  g_autoptr(SignetStore) store = signet_store_new (mail_dir);
  g_autoptr(SignetTransport) transport = NULL;
  g_autoptr(SignetOutbox) outbox = NULL;
  g_autoptr(SignetSendOperation) operation = NULL;
  g_autoptr(SignetAddress) sender = signet_address_new ("Signet Bench", from);
  g_autoptr(SignetAddress) recipient = signet_address_new (NULL, to);
  g_autoptr(GString) body = g_string_new (NULL);
  Waiter waiter = { g_main_loop_new (NULL, FALSE), n, FALSE };

  /* Offline: the send operation queues, the Outbox keeps. (Plain mail
   * needs no key; the directory is only asked whether we are online.) */
  signet_network_set_work_offline (network, TRUE);
  directory = signet_key_directory_new (gnupg, network);
  /* Never asked to deliver while offline. */
  transport = SIGNET_TRANSPORT (signet_smtp_transport_new ("127.0.0.1", 1, "none"));
  outbox = signet_outbox_new (network, store, transport);
  operation = signet_send_operation_new (directory, store, outbox);
  for (guint i = 0; i < 20; i++)
    g_string_append (body, "A line of text of a message queued for the delivery benchmark.\n");

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SignetMessage) message = signet_message_new ();
      g_autofree char *subject = g_strdup_printf ("Delivery benchmark %u", i + 1);

      signet_message_set_from (message, sender);
      signet_message_add_to (message, recipient);
      signet_message_set_subject (message, subject);
      signet_message_set_body (message, body->str);
      signet_send_operation_send_async (operation, message, NULL, on_sent, &waiter);
    }
  if (n > 0)
    g_main_loop_run (waiter.loop);
  g_main_loop_unref (waiter.loop);
  g_rmdir (gnupg);
  return waiter.failed ? 1 : 0;
}

typedef struct {
  GMainLoop    *loop;
  SignetOutbox *outbox;
  guint         n_sent;
  gboolean      flushed;
} Delivery;

static gboolean
idle_and_empty (Delivery *d)
{
  return d->flushed && !signet_outbox_get_busy (d->outbox) &&
         (signet_outbox_get_n_queued (d->outbox) == 0 || signet_outbox_get_n_failed (d->outbox) > 0);
}

static void
on_outbox_changed (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  Delivery *d = user_data;

  if (idle_and_empty (d))
    g_main_loop_quit (d->loop);
}

static void
on_outbox_sent (SignetOutbox *outbox, const char *id, gpointer user_data)
{
  ((Delivery *) user_data)->n_sent++;
}

static void
on_outbox_failed (SignetOutbox *outbox, const char *id, GStrv undelivered, const char *reason, gpointer user_data)
{
  fprintf (stderr, "a message failed: %s\n", reason);
}

static void
on_flushed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Delivery *d = user_data;
  g_autoptr(GError) error = NULL;

  if (!signet_outbox_flush_finish (SIGNET_OUTBOX (object), result, NULL, &error))
    fprintf (stderr, "flush: %s\n", error->message);
  d->flushed = TRUE;
  if (idle_and_empty (d))
    g_main_loop_quit (d->loop);
}

static int
deliver (const char *mail_dir, const char *host, guint port, const char *security, const char *user,
         const char *ca_file, const char *sender)
{
  g_autoptr(SignetNetwork) network = signet_network_new (NULL);
  g_autoptr(SignetStore) store = signet_store_new (mail_dir);
  g_autoptr(SignetSmtpTransport) transport = signet_smtp_transport_new (host, port, security);
  g_autoptr(SignetOutbox) outbox = NULL;
  char password[1024];
  Delivery d = { g_main_loop_new (NULL, FALSE), NULL, 0, FALSE };
  gint64 start;
  gsize len;

  if (fgets (password, sizeof password, stdin) == NULL)
    {
      fprintf (stderr, "no password on standard input\n");
      return 2;
    }
  len = strlen (password);
  if (len > 0 && password[len - 1] == '\n')
    password[len - 1] = '\0';
  signet_smtp_transport_set_password (transport, password);
  explicit_bzero (password, sizeof password);
  g_object_set (transport, "user", user, "ca-file", ca_file, "sender", sender, NULL);

  signet_network_set_work_offline (network, TRUE);
  outbox = signet_outbox_new (network, store, SIGNET_TRANSPORT (transport));
  d.outbox = outbox;
  g_signal_connect (outbox, "notify::busy", G_CALLBACK (on_outbox_changed), &d);
  g_signal_connect (outbox, "notify::n-queued", G_CALLBACK (on_outbox_changed), &d);
  g_signal_connect (outbox, "sent", G_CALLBACK (on_outbox_sent), &d);
  g_signal_connect (outbox, "failed", G_CALLBACK (on_outbox_failed), &d);
  if (!signet_network_get_network_available (network))
    {
      fprintf (stderr, "the network is not available\n");
      return 1;
    }

  start = g_get_monotonic_time ();
  signet_network_set_work_offline (network, FALSE);
  signet_outbox_flush_async (outbox, NULL, on_flushed, &d);
  g_main_loop_run (d.loop);
  printf ("%.3f %u %u %u\n", (g_get_monotonic_time () - start) / 1e6, d.n_sent,
          signet_outbox_get_n_queued (outbox), signet_outbox_get_n_failed (outbox));
  g_main_loop_unref (d.loop);
  return signet_outbox_get_n_failed (outbox) == 0 && signet_outbox_get_n_queued (outbox) == 0 ? 0 : 1;
}

int
main (int argc, char *argv[])
{
  signet_core_init ();
  if (argc == 6 && g_str_equal (argv[1], "queue"))
    return queue (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10), argv[4], argv[5]);
  if (argc == 9 && g_str_equal (argv[1], "deliver"))
    return deliver (argv[2], argv[3], (guint) g_ascii_strtoull (argv[4], NULL, 10), argv[5], argv[6], argv[7],
                    argv[8]);
  fprintf (stderr, "usage: bench-delivery queue MAIL_DIR N FROM TO\n"
                   "       bench-delivery deliver MAIL_DIR HOST PORT SECURITY USER CA_FILE SENDER < PASSWORD\n");
  return 2;
}
