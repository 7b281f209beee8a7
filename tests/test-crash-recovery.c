/* SIGKILL at random points of a sealed send with Bcc copies, then a
 * restart: every recipient ends up with exactly one copy, or (when the
 * kill came before the send was committed, and so before the user was told
 * it was sent) nobody has any; never two, never some. */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-local-transport.h"
#include "signet-send-operation.h"
#include "signet-test-util.h"

static const char *recipients[] = { "alice@example.org", "bob@example.org", "carol@example.org",
                                    "e\xcc\x81mile@example.org", NULL };
static char *homedir;

typedef struct {
  gboolean done;
  gboolean ok;
} Outcome;

static void
on_sent (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;
  g_autoptr(GError) error = NULL;

  o->ok = signet_send_operation_send_finish (SIGNET_SEND_OPERATION (object), result, NULL, NULL, &error);
  if (error != NULL)
    g_printerr ("send failed: %s\n", error->message);
  o->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Outcome *) data)->done;
}

static void
on_flushed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  o->ok = signet_outbox_flush_finish (SIGNET_OUTBOX (object), result, NULL, NULL);
  o->done = TRUE;
}

static void
on_failed (SignetOutbox *outbox, const char *id, GStrv undelivered, const char *message, gpointer data)
{
  g_test_message ("moved aside: %s", message);
}

static gboolean
outbox_idle (gpointer outbox)
{
  return signet_outbox_get_n_queued (outbox) == 0 && !signet_outbox_get_busy (outbox);
}

/* The child: one sealed send (To, Cc and two Bcc copies), then delivery. It
 * says "committed" once the send reports success, and "delivered" at the
 * end; it is killed anywhere in between. */
static int
run_child (const char *dir)
{
  SignetTestServices s = { 0 };
  g_autoptr(SignetMessage) message = signet_message_new ();
  g_autoptr(SignetAddress) from = signet_address_new ("Signet Demo", "demo@example.org");
  const char *fields[] = { "Alice <alice@example.org>", "bob@example.org",
                           "carol@example.org, \xc3\x89mile <e\xcc\x81mile@example.org>" };
  Outcome o = { 0 };

  signet_test_services_init_at (&s, homedir, dir, TRUE);
  signet_message_set_from (message, from);
  for (SignetRecipientKind k = SIGNET_RECIPIENT_TO; k <= SIGNET_RECIPIENT_BCC; k++)
    {
      g_autoptr(GPtrArray) list = signet_address_parse_list (fields[k], NULL);
      for (guint i = 0; i < list->len; i++)
        signet_message_add_recipient (message, k, g_ptr_array_index (list, i));
    }
  signet_message_set_subject (message, "Crash test");
  signet_message_set_body (message, "Exactly once.\n");
  signet_message_set_seal (message, TRUE);
  signet_send_operation_send_async (s.operation, message, NULL, on_sent, &o);
  signet_test_wait_until (is_done, &o);
  if (!o.ok)
    return 1;
  printf ("committed\n");
  fflush (stdout);
  signet_outbox_queue_flush (s.outbox);
  signet_test_wait_until (outbox_idle, s.outbox);
  printf ("delivered\n");
  fflush (stdout);
  signet_test_services_clear (&s);
  return 0;
}

static guint
copies_for (SignetTestServices *s, const char *email)
{
  g_autofree char *mailbox = signet_local_transport_get_mailbox_path (s->transport, email);
  g_autofree char *new_dir = g_build_filename (mailbox, "Inbox", "new", NULL);
  g_autofree char *cur_dir = g_build_filename (mailbox, "Inbox", "cur", NULL);

  /* What a mail reader shows: new/ and cur/ (tmp/ is never read). */
  return signet_test_count_files (new_dir) + signet_test_count_files (cur_dir);
}

/* Runs the child, kills it after @delay_us (0: lets it finish), and
 * returns what it said. */
static char *
run_and_kill (const char *self_path, const char *dir, gulong delay_us, gint64 *took, gint64 *committed_at)
{
  const char *argv[] = { self_path, "--child", dir, homedir, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;
  int out_fd, status;
  char buffer[256] = "";
  gssize n, rest;
  gint64 start = g_get_monotonic_time ();

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);
  if (delay_us > 0)
    {
      g_usleep (delay_us);
      kill (pid, SIGKILL);
      n = 0;
    }
  else
    {
      /* The child writes "committed" the moment its send succeeded. */
      n = read (out_fd, buffer, sizeof buffer - 1);
      *committed_at = g_get_monotonic_time () - start;
    }
  waitpid (pid, &status, 0);
  if (took != NULL)
    *took = g_get_monotonic_time () - start;
  n = MAX (n, 0);
  rest = read (out_fd, buffer + n, sizeof buffer - 1 - n);
  n += MAX (rest, 0);
  close (out_fd);
  g_spawn_close_pid (pid);
  return g_strndup (buffer, MAX (n, 0));
}

static void
test_kill_anywhere (gconstpointer self_path)
{
  g_autoptr(GRand) rand = NULL;
  guint32 seed = g_test_rand_int ();
  gint64 full = 0, commit = 0;
  guint committed = 0, uncommitted = 0;

  /* How long an undisturbed send with delivery takes here. */
  {
    g_autofree char *dir = signet_test_make_tmpdir ();
    g_autofree char *said = run_and_kill (self_path, dir, 0, &full, &commit);
    g_assert_cmpstr (said, ==, "committed\ndelivered\n");
    signet_test_remove_tree (dir);
  }
  g_test_message ("seed %u, an undisturbed run commits after %" G_GINT64_FORMAT " ms and ends after %"
                  G_GINT64_FORMAT " ms", seed, commit / 1000, full / 1000);
  rand = g_rand_new_with_seed (seed);
  for (guint round = 0; round < 24; round++)
    {
      g_autofree char *dir = signet_test_make_tmpdir ();
      /* Most kills around and after the commit: sealing, committing,
       * delivering each copy, moving it to Sent. */
      gint32 low = round < 6 ? 1000 : (gint32) (commit * 7 / 10);
      gulong delay = g_rand_int_range (rand, low, (gint32) MAX (full * 11 / 10, low + 1000));
      g_autofree char *said = run_and_kill (self_path, dir, delay, NULL, NULL);
      gboolean was_committed = strstr (said, "committed") != NULL;
      SignetTestServices s = { 0 };
      g_autofree char *outbox_tmp = g_build_filename (dir, "Mail", "Outbox", "tmp", NULL);
      Outcome flushed = { 0 };
      guint total = 0, zeros = 0;

      /* The restart: a new process would do the same. */
      signet_test_services_init_at (&s, homedir, dir, TRUE);
      g_signal_connect (s.outbox, "failed", G_CALLBACK (on_failed), NULL);
      signet_outbox_flush_async (s.outbox, NULL, on_flushed, &flushed);
      signet_test_wait_until (is_done, &flushed);
      g_assert_true (flushed.ok);
      for (guint i = 0; recipients[i] != NULL; i++)
        {
          guint n = copies_for (&s, recipients[i]);

          g_test_message ("round %u, killed after %lu us (%s): %s has %u", round, delay,
                          was_committed ? "committed" : "not committed", recipients[i], n);
          g_assert_cmpuint (n, <=, 1);
          total += n;
          zeros += n == 0;
        }
      if (was_committed)
        g_assert_cmpuint (zeros, ==, 0);
      else
        g_assert_true (zeros == 0 || total == 0);
      {
        /* Sent keeps each copy once: To/Cc's and one per Bcc recipient. */
        g_autoptr(GPtrArray) sent = signet_store_list (s.store, SIGNET_FOLDER_SENT, NULL);
        g_assert_cmpuint (sent->len, ==, zeros == 0 ? 3 : 0);
      }
      if (zeros == 0)
        committed++;
      else
        uncommitted++;
      g_assert_cmpuint (signet_test_count_files (outbox_tmp), ==, 0);
      g_assert_cmpuint (signet_outbox_get_n_queued (s.outbox), ==, 0);
      g_assert_cmpuint (signet_outbox_get_n_failed (s.outbox), ==, 0);
      signet_test_services_clear (&s);
      signet_test_remove_tree (dir);
    }
  g_test_message ("%u rounds delivered to all, %u to none", committed, uncommitted);
}

int
main (int argc, char *argv[])
{
  int ret;

  if (argc == 4 && g_str_equal (argv[1], "--child"))
    {
      homedir = argv[3];
      return run_child (argv[2]);
    }
  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  signet_test_add_key (homedir, "\xc3\x89mile <\xc3\xa9mile@example.org>");
  g_test_add_data_func ("/crash-recovery/kill-anywhere", argv[0], test_kill_anywhere);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
