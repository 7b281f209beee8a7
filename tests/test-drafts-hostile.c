#define _GNU_SOURCE
/* Drafts against what may be found in the Drafts folder and the session
 * index: something that is not a regular file where a draft is named must
 * be passed over at once, never waited on. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-drafts.h"
#include "signet-test-util.h"

static char *homedir;

typedef struct {
  SignetTestServices s;
  SignetDrafts      *drafts;
  char              *session;
  char              *fifo;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *cur = NULL;

  signet_test_services_init (&f->s, homedir, TRUE);
  f->session = g_build_filename (f->s.dir, "session.gvariant", NULL);
  f->drafts = signet_drafts_new (f->s.operation, f->s.store, f->session);
  cur = g_build_filename (f->s.mail, "Drafts", "cur", NULL);
  for (guint i = 0; i < 3; i++)
    {
      const char *subdirs[] = { "new", "cur", "tmp" };
      g_autofree char *dir = g_build_filename (f->s.mail, "Drafts", subdirs[i], NULL);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
    }
  f->fifo = g_build_filename (cur, "1796000000.M1P1Q1.host", NULL);
  g_assert_cmpint (mkfifo (f->fifo, 0600), ==, 0);
}

/* Lets a reader blocked on the FIFO go (its open() returns once a writer
 * comes), so that the test ends either way. */
static void
release_fifo (Fixture *f)
{
  int fd = open (f->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

  if (fd >= 0)
    close (fd);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  for (int i = 0; i < 200 && !signet_drafts_get_idle (f->drafts); i++)
    {
      release_fifo (f);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_clear_object (&f->drafts);
  g_unlink (f->fifo);
  g_free (f->fifo);
  g_free (f->session);
  signet_test_services_clear (&f->s);
}

typedef struct {
  gboolean       done;
  GStrv          names;
  SignetMessage *message;
  GError        *error;
} Result;

static void
on_recovered (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->names = signet_drafts_recover_finish (SIGNET_DRAFTS (object), result, &r->error);
  r->done = TRUE;
}

static void
on_read (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->message = signet_drafts_read_finish (SIGNET_DRAFTS (object), result, &r->error);
  r->done = TRUE;
}

/* Runs the main loop until @r is done or @seconds passed. */
static gboolean
wait_done (Result *r, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!r->done && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return r->done;
}

/* The index left by a crash names a draft, and what is there now is a
 * FIFO. Reading the index opens it without O_NONBLOCK, so the worker
 * thread waits for a writer for ever: the offer never comes, and, since
 * the old index is never read, the index is not written again for the
 * whole run: a crash later in that run offers nothing back. */
static void
test_fifo_named_by_index (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) index = NULL;
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  const char *names[] = { strrchr (f->fifo, '/') + 1, NULL };
  Result r = { 0 };

  g_variant_dict_insert (&dict, "version", "u", 1);
  g_variant_dict_insert (&dict, "shutdown", "b", FALSE);
  g_variant_dict_insert_value (&dict, "drafts", g_variant_new_strv (names, -1));
  index = g_variant_ref_sink (g_variant_dict_end (&dict));
  g_assert_true (g_file_set_contents (f->session, g_variant_get_data (index), g_variant_get_size (index), NULL));

  signet_drafts_recover_async (f->drafts, NULL, on_recovered, &r);
  g_assert_true (wait_done (&r, 5));
  release_fifo (f);
  wait_done (&r, 5);
  g_assert_no_error (r.error);
  g_clear_error (&r.error);
  g_assert_true (r.names == NULL || r.names[0] == NULL);
  g_strfreev (r.names);
}

/* app.open-draft (also reachable over D-Bus, as every application action)
 * with the name of something that is not a regular file: refused at once,
 * not a reader stuck for ever (the name then stays "being opened" and can
 * never be opened again). */
static void
test_fifo_opened_as_draft (Fixture *f, gconstpointer data)
{
  Result r = { 0 };

  signet_drafts_read_async (f->drafts, strrchr (f->fifo, '/') + 1, NULL, on_read, &r);
  g_assert_true (wait_done (&r, 5));
  release_fifo (f);
  wait_done (&r, 5);
  g_assert_null (r.message);
  g_assert_nonnull (r.error);
  g_clear_error (&r.error);
  g_clear_object (&r.message);
}

typedef struct {
  gboolean done;
  gboolean ok;
} Done;

static void
on_saved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Done *d = user_data;

  d->ok = signet_drafts_save_finish (SIGNET_DRAFTS (object), result, NULL, NULL);
  d->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Done *) data)->done;
}

static gboolean
idle (gpointer drafts)
{
  return signet_drafts_get_idle (drafts);
}

/* Send is pressed on a message whose draft was autosaved. The send commits
 * the message to the Outbox in its worker; the composer removes the draft
 * only when the result reaches the main loop, and the index says so later
 * still. Killed in between (the main loop busy for a moment, or just bad
 * luck), the next start offers the draft back as "the message you were
 * writing" although it is in the Outbox and goes out: the user, told
 * nothing was sent, sends it again. The send and the draft's removal are
 * not one step. */
static void
test_sent_then_killed_offers_draft (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };
  Result r = { 0 };
  Done saved = { 0 };
  guint slot;

  release_fifo (f);
  g_unlink (f->fifo);
  signet_drafts_recover_async (f->drafts, NULL, on_recovered, &r);
  g_assert_true (wait_done (&r, 10));
  g_clear_pointer (&r.names, g_strfreev);
  slot = signet_drafts_open (f->drafts, NULL);
  signet_drafts_save_async (f->drafts, slot, message, NULL, on_saved, &saved);
  signet_test_wait_until (is_done, &saved);
  g_assert_true (saved.ok);
  signet_test_wait_until (idle, f->drafts);

  /* Send: committed to the Outbox... */
  signet_send_operation_send_async (f->s.operation, message, NULL, signet_test_on_sent, &o);
  signet_test_wait_until (signet_test_outcome_done, &o);
  g_assert_true (o.ok);

  /* ...and killed before the composer heard of it. */
  g_clear_object (&f->drafts);
  f->drafts = signet_drafts_new (f->s.operation, f->s.store, f->session);
  memset (&r, 0, sizeof r);
  signet_drafts_recover_async (f->drafts, NULL, on_recovered, &r);
  g_assert_true (wait_done (&r, 10));
  g_assert_nonnull (r.names);
  /* Nothing to offer: that message has left. */
  g_assert_cmpuint (r.names != NULL ? g_strv_length (r.names) : 0, ==, 0);
  g_strfreev (r.names);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  homedir = signet_test_make_gnupghome ();
  g_test_add ("/drafts-hostile/fifo-named-by-index", Fixture, NULL, fixture_setup, test_fifo_named_by_index,
              fixture_teardown);
  g_test_add ("/drafts-hostile/fifo-opened-as-draft", Fixture, NULL, fixture_setup, test_fifo_opened_as_draft,
              fixture_teardown);
  g_test_add ("/drafts-hostile/sent-then-killed-offers-draft", Fixture, NULL, fixture_setup,
              test_sent_then_killed_offers_draft, fixture_teardown);
  status = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return status;
}
