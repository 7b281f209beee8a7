/* The demo home, copied into place on first use, against what a damaged
 * or tampered data directory may already hold there: a partial home from
 * an earlier run that ended early, a key directory that others may open,
 * and symbolic links standing for its files. Secret keys are written into
 * the demo home itself and nowhere else, and the demo still signs. */
#include <glib/gstdio.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-demo.h"
#include "signet-errors.h"
#include "signet-enchant-checker.h"
#include "signet-test-util.h"

#define N_DEMO_SECRET_KEYS 12

static char *
private_dir (const char *home)
{
  return g_build_filename (home, "private-keys-v1.d", NULL);
}

/* The demo sender signs, and the signature checks, with only what the demo
 * home holds. */
static void
assert_demo_signs (const char *home)
{
  g_autofree char *dir = signet_test_make_tmpdir ();
  g_autofree char *in = g_build_filename (dir, "in.txt", NULL);
  g_autofree char *out = g_build_filename (dir, "in.txt.asc", NULL);
  const char *sign[] = { "--pinentry-mode", "loopback", "--passphrase", "", "--yes", "--local-user",
                         "demo@example.org", "--clearsign", NULL };
  const char *verify[] = { "--status-fd", "1", "--verify", NULL };
  g_autofree char *signed_out = NULL;
  g_autofree char *status = NULL;

  g_assert_true (g_file_set_contents (in, "Hello\n", -1, NULL));
  signed_out = signet_test_gpg_output (home, sign, in, TRUE);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
  status = signet_test_gpg_output (home, verify, out, TRUE);
  g_assert_nonnull (strstr (status, "[GNUPG:] GOODSIG 7A3F2A942CEF5CBA"));
  signet_test_remove_tree (dir);
}

static void
remove_home (char *home)
{
  const char *kill[] = { "gpgconf", "--homedir", home, "--kill", "all", NULL };

  g_spawn_sync (NULL, (char **) kill, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  signet_test_remove_tree (home);
  g_free (home);
}

/* private-keys-v1.d is a symbolic link to a directory elsewhere: the
 * secret keys go into the demo home, not through the link. */
static void
test_symlinked_private_dir (void)
{
  char *home = signet_test_make_tmpdir ();
  g_autofree char *elsewhere = signet_test_make_tmpdir ();
  g_autofree char *link = private_dir (home);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_cmpint (symlink (elsewhere, link), ==, 0);
  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (signet_test_count_files (elsewhere), ==, 0);
  g_assert_cmpint (g_lstat (link, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpuint (signet_test_count_files (link), ==, N_DEMO_SECRET_KEYS);
  assert_demo_signs (home);
  remove_home (home);
  signet_test_remove_tree (elsewhere);
}

/* An earlier run left private-keys-v1.d open to everyone: the directory
 * that holds the secret keys is the owner's alone once the keys are in. */
static void
test_open_private_dir (void)
{
  char *home = signet_test_make_tmpdir ();
  g_autofree char *dir = private_dir (home);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0777), ==, 0);
  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  remove_home (home);
}

/* pubring.kbx is a symbolic link to a file elsewhere: the file is left
 * alone and the demo home gets a keybox of its own. */
static void
test_symlinked_keybox (void)
{
  char *home = signet_test_make_tmpdir ();
  g_autofree char *elsewhere = signet_test_make_tmpdir ();
  g_autofree char *target = g_build_filename (elsewhere, "precious", NULL);
  g_autofree char *link = g_build_filename (home, "pubring.kbx", NULL);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_true (g_file_set_contents (target, "not a keybox", -1, NULL));
  g_assert_cmpint (symlink (target, link), ==, 0);
  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);
  after = signet_test_read_file (target);
  g_assert_cmpstr (after, ==, "not a keybox");
  g_assert_cmpint (g_lstat (link, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  assert_demo_signs (home);
  remove_home (home);
  signet_test_remove_tree (elsewhere);
}

/* A run that ended halfway (no stamp): a truncated keybox, one secret key
 * file cut short, a stray file. The next run makes a home that signs. */
static void
test_partial_home (void)
{
  char *home = signet_test_make_tmpdir ();
  g_autofree char *dir = private_dir (home);
  g_autofree char *kbx = g_build_filename (home, "pubring.kbx", NULL);
  g_autofree char *half = g_build_filename (dir, "0D428CD363840B20D49DE00EF062CDE7F3944B90.key", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (kbx, "\0\0\0\x20\x01\x01", 6, NULL));
  g_assert_true (g_file_set_contents (half, "Key: (private-key (ecc", -1, NULL));
  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (signet_test_count_files (dir), ==, N_DEMO_SECRET_KEYS);
  assert_demo_signs (home);
  remove_home (home);
}

/* The disk fills while the home is made (here: a limit on file size that
 * the keybox is over): making it fails, leaves no file half-written and
 * no stamp, and the next run, with room again, makes a home that signs. */
static void
test_disk_full (void)
{
  char *home = signet_test_make_tmpdir ();
  g_autofree char *stamp = g_build_filename (home, "signet-demo-ready", NULL);
  g_autofree char *kbx = g_build_filename (home, "pubring.kbx", NULL);
  g_autoptr(GError) error = NULL;
  struct rlimit saved, small;
  void (*old_handler) (int);
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  small = saved;
  small.rlim_cur = 1024;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  g_assert_false (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, old_handler);
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE);
  g_assert_true (g_str_has_prefix (error->message, "Could not create the demo directory "));
  g_assert_false (g_file_test (stamp, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (kbx, G_FILE_TEST_EXISTS));
  /* No temporary file left behind either. */
  d = g_dir_open (home, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    g_assert_true (g_str_equal (name, "gpg.conf") || g_str_equal (name, "private-keys-v1.d"));
  g_clear_error (&error);

  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);
  assert_demo_signs (home);
  remove_home (home);
}

/* A file of the home that cannot be written: the message names the home
 * and the system's reason, not the temporary file it was written through. */
static void
test_unwritable_file (void)
{
  char *home = signet_test_make_tmpdir ();
  g_autofree char *kbx = g_build_filename (home, "pubring.kbx", NULL);
  g_autofree char *inside = g_build_filename (kbx, "keep", NULL);
  g_autofree char *expected = g_strdup_printf ("Could not create the demo directory %s: %s", home, g_strerror (EISDIR));
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (kbx, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "", 0, NULL));
  g_assert_false (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  g_assert_cmpint (g_remove (inside), ==, 0);
  g_assert_cmpint (g_rmdir (kbx), ==, 0);
  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);
  remove_home (home);
}

typedef struct {
  guint pending;
} Loads;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Loads *loads = data;

  /* A load overtaken by a later one says so; either way it is done. */
  signet_spell_checker_set_language_finish (SIGNET_SPELL_CHECKER (source), result, NULL);
  loads->pending--;
}

static gboolean
loads_done (gpointer data)
{
  return ((Loads *) data)->pending == 0;
}

/* Dictionaries let go of while others load, and checkers finalized
 * while their dictionaries are still being freed in the background: a
 * new checker checks and suggests all the while, with nothing freed
 * twice or used once freed (run under ASan). */
static void
test_dictionaries_freed_while_loading (void)
{
  const char *tags[] = { "en_US", "de_DE", "fr_FR" };

  for (guint round = 0; round < 12; round++)
    {
      g_autoptr(SignetSpellChecker) checker = signet_enchant_checker_new ();
      Loads loads = { 0 };
      g_auto(GStrv) suggestions = NULL;

      g_assert_true (signet_spell_checker_set_language (checker, tags[round % 3], NULL));
      for (guint i = 0; i < 4; i++)
        {
          loads.pending++;
          signet_spell_checker_set_language_async (checker, tags[(round + i) % 3], NULL, on_loaded, &loads);
        }
      signet_test_wait_until (loads_done, &loads);
      g_assert_cmpstr (signet_spell_checker_get_language (checker), ==, tags[(round + 3) % 3]);
      suggestions = signet_spell_checker_list_suggestions (checker, "mesage", -1);
      g_assert_nonnull (suggestions);
      /* Switching back frees the one just used, in the background, as the
       * checker itself goes. */
      g_assert_true (signet_spell_checker_set_language (checker, tags[(round + 1) % 3], NULL));
    }
  /* The background frees finish before the process ends. */
  g_usleep (G_USEC_PER_SEC / 2);
}

/* A file where the key directory belongs: the demo is not unusable for
 * good; the file makes way for the directory. */
static void
test_file_for_private_dir (void)
{
  char *home = signet_test_make_tmpdir ();
  g_autofree char *dir = private_dir (home);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (dir, "", 0, NULL));
  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (signet_test_count_files (dir), ==, N_DEMO_SECRET_KEYS);
  assert_demo_signs (home);
  remove_home (home);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/perf-hostile/demo/symlinked-private-dir", test_symlinked_private_dir);
  g_test_add_func ("/perf-hostile/demo/file-for-private-dir", test_file_for_private_dir);
  g_test_add_func ("/perf-hostile/demo/open-private-dir", test_open_private_dir);
  g_test_add_func ("/perf-hostile/demo/symlinked-keybox", test_symlinked_keybox);
  g_test_add_func ("/perf-hostile/demo/partial-home", test_partial_home);
  g_test_add_func ("/perf-hostile/demo/disk-full", test_disk_full);
  g_test_add_func ("/perf-hostile/demo/unwritable-file", test_unwritable_file);
  g_test_add_func ("/perf-hostile/spell/dictionaries-freed-while-loading", test_dictionaries_freed_while_loading);
  return g_test_run ();
}
