/* Resolving the same recipients again answers from memory while nothing
 * that decides the answer has changed, and sees at once what has: a key
 * added to the keyring, a key accepted or chosen in Signet, a key that
 * expires. */

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <string.h>

#include "signet-key-directory-private.h"
#include "signet-resolve-cache.h"
#include "signet-test-util.h"

static char *homedir;

typedef struct {
  SignetTestMonitor  *monitor;
  SignetNetwork      *network;
  SignetKeyDirectory *directory;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->monitor = signet_test_monitor_new (TRUE);
  f->network = signet_network_new (G_NETWORK_MONITOR (f->monitor));
  f->directory = signet_key_directory_new (homedir, f->network);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->directory);
  g_clear_object (&f->network);
  g_clear_object (&f->monitor);
}

static GPtrArray *
resolve (SignetKeyDirectory *directory, const char * const *emails, GError **error)
{
  return signet_key_directory_resolve_sync (directory, emails, NULL, error);
}

static SignetKeyStatus
status_of (SignetKeyDirectory *directory, const char *email)
{
  const char *one[] = { email, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = resolve (directory, one, &error);

  g_assert_no_error (error);
  return ((SignetKeyResult *) g_ptr_array_index (results, 0))->status;
}

static void
assert_same_results (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      const SignetKeyResult *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->email, ==, y->email);
      g_assert_cmpint (x->status, ==, y->status);
      g_assert_cmpstr (x->fingerprint, ==, y->fingerprint);
      g_assert_cmpstr (x->user_id, ==, y->user_id);
    }
}

/* The same list again needs no gpg: it is answered even once no GnuPG
 * work may start any more; another list is not. (The first lookup after
 * keys were created lets gpg update its trust database: the answer is
 * kept from the second on.) */
static void
test_repeat (Fixture *f, gconstpointer data)
{
  const char *emails[] = { "alice@example.org", "nobody@example.org", "dup@example.org",
                           "stranger@example.org", NULL };
  const char *others[] = { "alice@example.org", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) settle = resolve (f->directory, emails, &error);
  g_autoptr(GPtrArray) first = resolve (f->directory, emails, &error);
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) other = NULL;

  g_assert_no_error (error);
  assert_same_results (settle, first);
  signet_key_directory_close (f->directory);
  again = resolve (f->directory, emails, &error);
  g_assert_no_error (error);
  assert_same_results (first, again);
  g_assert_cmpint (((SignetKeyResult *) g_ptr_array_index (again, 0))->status, ==, SIGNET_KEY_STATUS_OK);
  other = resolve (f->directory, others, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (other);
}

/* A key created in the keyring after a lookup is found by the next. */
static void
test_keyring_change (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (status_of (f->directory, "newcomer@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
  signet_test_add_key (homedir, "Newcomer <newcomer@example.org>");
  g_assert_cmpint (status_of (f->directory, "newcomer@example.org"), ==, SIGNET_KEY_STATUS_OK);
}

/* Accepting a key nobody certified counts at once. */
static void
test_acceptance (Fixture *f, gconstpointer data)
{
  const char *one[] = { "stranger@example.org", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = resolve (f->directory, one, &error);
  const SignetKeyResult *stranger = g_ptr_array_index (results, 0);

  g_assert_cmpint (stranger->status, ==, SIGNET_KEY_STATUS_UNTRUSTED);
  signet_key_directory_accept (f->directory, stranger->fingerprint, stranger->email);
  g_assert_cmpint (status_of (f->directory, "stranger@example.org"), ==, SIGNET_KEY_STATUS_OK);
}

/* Choosing one of several keys for an address counts at once. */
static void
test_choice (Fixture *f, gconstpointer data)
{
  const char *one[] = { "dup@example.org", NULL };
  g_autoptr(GPtrArray) candidates = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  const SignetKeyCandidate *chosen;

  g_assert_cmpint (status_of (f->directory, "dup@example.org"), ==, SIGNET_KEY_STATUS_AMBIGUOUS);
  candidates = signet_key_directory_list_candidates_sync (f->directory, "dup@example.org", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (candidates->len, ==, 2);
  chosen = g_ptr_array_index (candidates, 1);
  signet_key_directory_set_choice (f->directory, "dup@example.org", chosen->fingerprint);
  results = resolve (f->directory, one, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((SignetKeyResult *) g_ptr_array_index (results, 0))->status, ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpstr (((SignetKeyResult *) g_ptr_array_index (results, 0))->fingerprint, ==, chosen->fingerprint);
}

static gboolean
has_expired (gpointer data)
{
  Fixture *f = data;

  return status_of (f->directory, "brief@example.org") == SIGNET_KEY_STATUS_EXPIRED;
}

/* A key that expires between two lookups is reported expired, though the
 * keyring did not change. */
static void
test_expiry (Fixture *f, gconstpointer data)
{
  const char *gen[] = { "gpg", "--homedir", homedir, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                        "--quick-gen-key", "Brief <brief@example.org>", "future-default", "default", "seconds=4",
                        NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) gen, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpint (status_of (f->directory, "brief@example.org"), ==, SIGNET_KEY_STATUS_OK);
  signet_test_wait_until (has_expired, f);
}

/* The stamp of a home: gpg-agent setting the mode of its key directory as
 * it starts (only the directory's ctime) changes nothing; a key file
 * coming or going does, and so does any change of the keybox. */
static void
test_stamp (void)
{
  g_autofree char *home = signet_test_make_tmpdir ();
  g_autofree char *keys = g_build_filename (home, "private-keys-v1.d", NULL);
  g_autofree char *key = g_build_filename (keys, "0123.key", NULL);
  g_autofree char *kbx = g_build_filename (home, "pubring.kbx", NULL);
  g_autoptr(SignetResolveCache) cache = signet_resolve_cache_new (home);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *fourth = NULL;
  guint generation;

  g_assert_cmpint (g_mkdir (keys, 0700), ==, 0);
  g_assert_true (g_file_set_contents (kbx, "keybox", -1, NULL));
  first = signet_resolve_cache_begin (cache, &generation);
  g_usleep (20000);
  g_assert_cmpint (g_chmod (keys, 0700), ==, 0);
  second = signet_resolve_cache_begin (cache, &generation);
  g_assert_cmpstr (first, ==, second);

  g_assert_true (g_file_set_contents (key, "(key)", -1, NULL));
  third = signet_resolve_cache_begin (cache, &generation);
  g_assert_cmpstr (third, !=, second);
  /* The key file goes, and the directory's mtime is set back (as cp -a,
   * rsync -a or tar do). */
  {
    struct stat before;

    g_assert_cmpint (g_stat (keys, &before), ==, 0);
    g_assert_cmpint (g_unlink (key), ==, 0);
    g_assert_cmpint (utimensat (AT_FDCWD, keys, (struct timespec[]) { before.st_atim, before.st_mtim }, 0), ==, 0);
  }
  g_free (second);
  second = signet_resolve_cache_begin (cache, &generation);
  g_assert_cmpstr (second, !=, third);

  g_assert_true (g_file_set_contents (kbx, "keyboX", -1, NULL));
  fourth = signet_resolve_cache_begin (cache, &generation);
  g_assert_cmpstr (fourth, !=, third);
  g_assert_cmpstr (fourth, !=, first);

  /* keyboxd's keyring, where GnuPG 2.4 keeps public keys. */
  {
    g_autofree char *boxd = g_build_filename (home, "public-keys.d", NULL);
    g_autofree char *db = g_build_filename (boxd, "pubring.db", NULL);
    g_autofree char *fifth = NULL;

    g_assert_cmpint (g_mkdir (boxd, 0700), ==, 0);
    g_assert_true (g_file_set_contents (db, "SQLite format 3", -1, NULL));
    fifth = signet_resolve_cache_begin (cache, &generation);
    g_assert_cmpstr (fifth, !=, fourth);
  }
  signet_test_remove_tree (home);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  g_test_add ("/resolve-cache/repeat", Fixture, NULL, fixture_setup, test_repeat, fixture_teardown);
  g_test_add ("/resolve-cache/keyring-change", Fixture, NULL, fixture_setup, test_keyring_change, fixture_teardown);
  g_test_add ("/resolve-cache/acceptance", Fixture, NULL, fixture_setup, test_acceptance, fixture_teardown);
  g_test_add ("/resolve-cache/choice", Fixture, NULL, fixture_setup, test_choice, fixture_teardown);
  g_test_add ("/resolve-cache/expiry", Fixture, NULL, fixture_setup, test_expiry, fixture_teardown);
  g_test_add_func ("/resolve-cache/stamp", test_stamp);
  status = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return status;
}
