#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "signet-demo.h"
#include "signet-errors.h"
#include "signet-key-directory-private.h"
#include "signet-test-util.h"

static char *homedir;

/* A directory on @home, with the network up. */
static SignetKeyDirectory *
online_directory (const char *home)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));

  return signet_key_directory_new (home, network);
}

typedef struct {
  GPtrArray *results;
  GError    *error;
  gboolean   done;
} Resolved;

static void
on_resolved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Resolved *r = user_data;

  r->results = signet_key_directory_resolve_finish (SIGNET_KEY_DIRECTORY (object), result, &r->error);
  r->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Resolved *) data)->done;
}

static Resolved
resolve (SignetKeyDirectory *directory, const char *const *emails)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  Resolved r = { 0 };

  for (guint i = 0; emails[i] != NULL; i++)
    g_ptr_array_add (list, (gpointer) emails[i]);
  signet_key_directory_resolve_async (directory, list, NULL, on_resolved, &r);
  signet_test_wait_until (is_done, &r);
  return r;
}

static void
test_statuses (void)
{
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  const char *emails[] = { "alice@example.org", "ERIN@example.org", "rex@example.org",
                           "nobody@example.org", "dup@example.org", "stranger@example.org",
                           "Carol@Example.Org", "disabled@example.org", "signer@example.org", NULL };
  const SignetKeyStatus expected[] = { SIGNET_KEY_STATUS_OK, SIGNET_KEY_STATUS_EXPIRED,
                                       SIGNET_KEY_STATUS_REVOKED, SIGNET_KEY_STATUS_MISSING,
                                       SIGNET_KEY_STATUS_AMBIGUOUS, SIGNET_KEY_STATUS_UNTRUSTED,
                                       SIGNET_KEY_STATUS_OK, SIGNET_KEY_STATUS_DISABLED,
                                       SIGNET_KEY_STATUS_CANNOT_ENCRYPT };
  Resolved r = resolve (directory, emails);

  g_assert_no_error (r.error);
  g_assert_cmpuint (r.results->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < r.results->len; i++)
    {
      const SignetKeyResult *k = g_ptr_array_index (r.results, i);
      g_test_message ("%s: %s", k->email, signet_key_status_describe (k->status));
      g_assert_cmpstr (k->email, ==, emails[i]);
      g_assert_cmpint (k->status, ==, expected[i]);
    }
  g_assert_cmpuint (strlen (((SignetKeyResult *) g_ptr_array_index (r.results, 0))->fingerprint), ==, 40);
  g_assert_false (signet_key_results_all_ok (r.results));
  g_assert_cmpint (signet_key_results_lookup (r.results, "carol@example.org")->status, ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpstr (signet_key_status_describe (SIGNET_KEY_STATUS_EXPIRED), ==, "The sealing key has expired");
  g_ptr_array_unref (r.results);
}

/* Offline, key management refuses before any lookup: the GnuPG home given
 * here does not exist and is not created. */
static void
test_offline (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (FALSE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autofree char *tmp = signet_test_make_tmpdir ();
  g_autofree char *missing_home = g_build_filename (tmp, "never-created", NULL);
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (missing_home, network);
  const char *emails[] = { "alice@example.org", NULL };
  Resolved r = resolve (directory, emails);

  g_assert_null (r.results);
  g_assert_error (r.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
  g_assert_cmpstr (r.error->message, ==, "The client operation failed. The recipients could not be validated.");
  g_assert_false (g_file_test (missing_home, G_FILE_TEST_EXISTS));
  g_clear_error (&r.error);

  /* Work Offline with the network up counts as offline too. */
  signet_test_monitor_set_available (monitor, TRUE);
  signet_network_set_work_offline (network, TRUE);
  r = resolve (directory, emails);
  g_assert_error (r.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
  g_clear_error (&r.error);
  signet_test_remove_tree (tmp);
}

static void
test_cancelled (void)
{
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  Resolved r = { 0 };

  g_ptr_array_add (list, (gpointer) "alice@example.org");
  g_cancellable_cancel (cancellable);
  signet_key_directory_resolve_async (directory, list, cancellable, on_resolved, &r);
  signet_test_wait_until (is_done, &r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
}

/* The fingerprints of the keys with a user ID for @email, as gpg lists them. */
static GStrv
gpg_fingerprints (const char *email)
{
  return signet_test_gpg_fingerprints (homedir, email, FALSE);
}

static void
set_key_enabled (const char *fingerprint, gboolean enabled)
{
  g_autofree char *script = g_strdup_printf ("printf '%s\\nsave\\n' | gpg --homedir '%s' --batch --command-fd 0 --edit-key %s",
                                             enabled ? "enable" : "disable", homedir, fingerprint);
  const char *argv[] = { "sh", "-c", script, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* The one result of resolving @email alone. */
static SignetKeyResult *
resolve_one (SignetKeyDirectory *directory, const char *email)
{
  const char *emails[] = { email, NULL };
  Resolved r = resolve (directory, emails);
  SignetKeyResult *result;

  g_assert_no_error (r.error);
  g_assert_cmpuint (r.results->len, ==, 1);
  result = signet_key_result_copy (g_ptr_array_index (r.results, 0));
  g_ptr_array_unref (r.results);
  return result;
}

static void
assert_resolves (SignetKeyDirectory *directory,
                 const char         *email,
                 SignetKeyStatus     status,
                 const char         *fingerprint)
{
  g_autoptr(SignetKeyResult) result = resolve_one (directory, email);

  g_assert_cmpint (result->status, ==, status);
  if (fingerprint != NULL)
    g_assert_cmpstr (result->fingerprint, ==, fingerprint);
}

typedef struct {
  GPtrArray *candidates;
  GError    *error;
  gboolean   done;
} Listed;

static void
on_listed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Listed *l = user_data;

  l->candidates = signet_key_directory_list_candidates_finish (SIGNET_KEY_DIRECTORY (object), result, &l->error);
  l->done = TRUE;
}

static gboolean
is_listed (gpointer data)
{
  return ((Listed *) data)->done;
}

static Listed
list_candidates (SignetKeyDirectory *directory, const char *email)
{
  Listed l = { 0 };

  signet_key_directory_list_candidates_async (directory, email, NULL, on_listed, &l);
  signet_test_wait_until (is_listed, &l);
  return l;
}

/* The keys to choose from: both of an ambiguous address's, with their user
 * IDs and dates; an untrusted key is listed as not usable, and why. */
static void
test_candidates (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, network);
  g_auto(GStrv) expected = gpg_fingerprints ("dup@example.org");
  Listed l = list_candidates (directory, "DUP@Example.org");

  g_assert_no_error (l.error);
  g_assert_cmpuint (g_strv_length (expected), ==, 2);
  g_assert_cmpuint (l.candidates->len, ==, 2);
  for (guint i = 0; i < l.candidates->len; i++)
    {
      const SignetKeyCandidate *c = g_ptr_array_index (l.candidates, i);

      g_assert_true (g_strv_contains ((const char * const *) expected, c->fingerprint));
      g_assert_true (c->usable);
      g_assert_cmpint (c->status, ==, SIGNET_KEY_STATUS_OK);
      g_assert_cmpuint (g_strv_length (c->user_ids), ==, 1);
      g_assert_true (g_str_has_prefix (c->user_ids[0], "Dup "));
      g_assert_true (g_str_has_suffix (c->user_ids[0], " <dup@example.org>"));
      g_assert_cmpint (c->created, >, 1600000000);
      g_assert_cmpint (c->created, <=, g_get_real_time () / G_USEC_PER_SEC);
      g_assert_cmpint (c->expires, ==, 0);
    }
  g_assert_cmpstr (((SignetKeyCandidate *) g_ptr_array_index (l.candidates, 0))->fingerprint, !=,
                   ((SignetKeyCandidate *) g_ptr_array_index (l.candidates, 1))->fingerprint);
  g_ptr_array_unref (l.candidates);

  l = list_candidates (directory, "stranger@example.org");
  g_assert_no_error (l.error);
  g_assert_cmpuint (l.candidates->len, ==, 1);
  g_assert_false (((SignetKeyCandidate *) g_ptr_array_index (l.candidates, 0))->usable);
  g_assert_cmpint (((SignetKeyCandidate *) g_ptr_array_index (l.candidates, 0))->status, ==, SIGNET_KEY_STATUS_UNTRUSTED);
  g_ptr_array_unref (l.candidates);

  l = list_candidates (directory, "nobody@example.org");
  g_assert_no_error (l.error);
  g_assert_cmpuint (l.candidates->len, ==, 0);
  g_ptr_array_unref (l.candidates);

  /* Listing keys is key management: not offline. */
  signet_network_set_work_offline (network, TRUE);
  l = list_candidates (directory, "dup@example.org");
  g_assert_null (l.candidates);
  g_assert_error (l.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
  g_clear_error (&l.error);
}

/* A key chosen for an ambiguous address is used while it is one of its
 * usable keys; any other choice changes nothing. */
static void
test_choice (void)
{
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  g_auto(GStrv) dup = gpg_fingerprints ("dup@example.org");
  g_auto(GStrv) alice = gpg_fingerprints ("alice@example.org");
  g_auto(GStrv) stranger = gpg_fingerprints ("stranger@example.org");
  g_autofree char *lower = g_ascii_strdown (dup[1], -1);

  assert_resolves (directory, "dup@example.org", SIGNET_KEY_STATUS_AMBIGUOUS, NULL);
  g_assert_null (signet_key_directory_dup_choice (directory, "dup@example.org"));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SignetKeyResult) result = NULL;

      signet_key_directory_set_choice (directory, "dup@example.org", dup[i]);
      result = resolve_one (directory, "Dup@EXAMPLE.org");
      g_assert_cmpint (result->status, ==, SIGNET_KEY_STATUS_OK);
      g_assert_cmpstr (result->fingerprint, ==, dup[i]);
      g_assert_true (g_str_has_suffix (result->user_id, " <dup@example.org>"));
    }
  /* Any spelling of the address and of the fingerprint. */
  signet_key_directory_set_choice (directory, "DUP@example.org", lower);
  assert_resolves (directory, "dup@example.org", SIGNET_KEY_STATUS_OK, dup[1]);
  {
    g_autofree char *kept = signet_key_directory_dup_choice (directory, "dup@Example.ORG");
    g_assert_cmpstr (kept, ==, dup[1]);
  }

  /* A key that is not one of the address's does not resolve it. */
  signet_key_directory_set_choice (directory, "dup@example.org", alice[0]);
  assert_resolves (directory, "dup@example.org", SIGNET_KEY_STATUS_AMBIGUOUS, NULL);
  /* Nor does a choice make an untrusted key usable. */
  signet_key_directory_set_choice (directory, "stranger@example.org", stranger[0]);
  assert_resolves (directory, "stranger@example.org", SIGNET_KEY_STATUS_UNTRUSTED, NULL);
  signet_key_directory_set_choice (directory, "stranger@example.org", NULL);

  /* A chosen key that stops being usable is ignored, and kept: the address
   * resolves as it would without a choice, to its one usable key. */
  signet_key_directory_set_choice (directory, "dup@example.org", dup[0]);
  set_key_enabled (dup[0], FALSE);
  assert_resolves (directory, "dup@example.org", SIGNET_KEY_STATUS_OK, dup[1]);
  set_key_enabled (dup[0], TRUE);
  assert_resolves (directory, "dup@example.org", SIGNET_KEY_STATUS_OK, dup[0]);

  /* Forgotten: ambiguous again. */
  signet_key_directory_set_choice (directory, "Dup@example.org", NULL);
  g_assert_null (signet_key_directory_dup_choice (directory, "dup@example.org"));
  assert_resolves (directory, "dup@example.org", SIGNET_KEY_STATUS_AMBIGUOUS, NULL);
}

/* Choices live in the "key-choices" setting: a new directory finds them,
 * and one that is running follows changes. */
static void
test_choice_persisted (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) first = signet_key_directory_new (homedir, network);
  g_autoptr(SignetKeyDirectory) second = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_auto(GStrv) dup = gpg_fingerprints ("dup@example.org");
  g_autoptr(GVariant) stored = NULL;
  const char *fingerprint = NULL;

  g_settings_reset (settings, "key-choices");
  signet_key_directory_set_settings (first, settings);
  signet_key_directory_set_choice (first, "DUP@Example.org", dup[0]);
  stored = g_settings_get_value (settings, "key-choices");
  g_assert_cmpuint (g_variant_n_children (stored), ==, 1);
  g_assert_true (g_variant_lookup (stored, "dup@example.org", "&s", &fingerprint));
  g_assert_cmpstr (fingerprint, ==, dup[0]);

  second = signet_key_directory_new (homedir, network);
  assert_resolves (second, "dup@example.org", SIGNET_KEY_STATUS_AMBIGUOUS, NULL);
  signet_key_directory_set_settings (second, settings);
  assert_resolves (second, "dup@example.org", SIGNET_KEY_STATUS_OK, dup[0]);

  signet_key_directory_set_choice (first, "dup@example.org", dup[1]);
  assert_resolves (second, "dup@example.org", SIGNET_KEY_STATUS_OK, dup[1]);
  signet_key_directory_set_choice (second, "dup@example.org", NULL);
  assert_resolves (first, "dup@example.org", SIGNET_KEY_STATUS_AMBIGUOUS, NULL);
  g_clear_pointer (&stored, g_variant_unref);
  stored = g_settings_get_value (settings, "key-choices");
  g_assert_cmpuint (g_variant_n_children (stored), ==, 0);

  /* Without settings again: in memory only. */
  signet_key_directory_set_settings (second, NULL);
  signet_key_directory_set_choice (second, "dup@example.org", dup[1]);
  assert_resolves (second, "dup@example.org", SIGNET_KEY_STATUS_OK, dup[1]);
  assert_resolves (first, "dup@example.org", SIGNET_KEY_STATUS_AMBIGUOUS, NULL);
}

/* No usable gpg: a clear error, no crash. Runs last: it changes GPGME's
 * process-wide engine path. */
static void
test_gpg_missing (void)
{
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  const char *emails[] = { "alice@example.org", NULL };
  Resolved r;

  g_assert_cmpint (gpgme_set_engine_info (GPGME_PROTOCOL_OpenPGP, "/nonexistent/gpg", NULL), ==, 0);
  r = resolve (directory, emails);
  g_assert_null (r.results);
  g_assert_error (r.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE);
  g_assert_cmpstr (r.error->message, ==, "GnuPG (gpg) is not installed or cannot be run.");
  g_clear_error (&r.error);
}


/* Starts resolving @list in @directory, whose home is held: the lookup
 * waits for it. */
static void
resolve_held (SignetKeyDirectory *directory, GPtrArray *list, Resolved *r)
{
  signet_key_directory_hold_home (directory);
  signet_key_directory_resolve_async (directory, list, NULL, on_resolved, r);
  signet_test_run_for (200);
  g_assert_false (r->done);
}

/* While the home is being made (the demo's, on first use), a lookup waits
 * for it instead of asking a keyring that is not there yet. */
static void
test_home_being_made (void)
{
  g_autofree char *tmp = signet_test_make_tmpdir ();
  g_autofree char *home = g_build_filename (tmp, "demo-gnupg", NULL);
  g_autoptr(SignetKeyDirectory) directory = online_directory (home);
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Resolved r = { 0 };

  g_ptr_array_add (list, (gpointer) "alice@example.org");
  g_ptr_array_add (list, (gpointer) "rex@example.org");
  resolve_held (directory, list, &r);
  g_assert_false (g_file_test (home, G_FILE_TEST_EXISTS));

  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);
  signet_key_directory_release_home (directory, NULL);
  signet_test_wait_until (is_done, &r);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.results->len, ==, 2);
  g_assert_cmpint (signet_key_results_lookup (r.results, "alice@example.org")->status, ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpint (signet_key_results_lookup (r.results, "rex@example.org")->status, ==, SIGNET_KEY_STATUS_REVOKED);
  g_ptr_array_unref (r.results);

  /* Held again and released at once: nothing waits. */
  signet_key_directory_hold_home (directory);
  signet_key_directory_release_home (directory, NULL);
  r = resolve (directory, (const char *[]) { "alice@example.org", NULL });
  g_assert_no_error (r.error);
  g_ptr_array_unref (r.results);
  signet_test_remove_gnupghome (g_strdup (home));
  signet_test_remove_tree (tmp);
}

/* A home that could not be made: every lookup fails with why, the ones
 * waiting and the ones after. */
static void
test_home_not_made (void)
{
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(GError) why = g_error_new_literal (SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                                               "Could not create the demo directory /x: Not a directory");
  Resolved r = { 0 };

  g_ptr_array_add (list, (gpointer) "alice@example.org");
  resolve_held (directory, list, &r);
  signet_key_directory_release_home (directory, why);
  signet_test_wait_until (is_done, &r);
  g_assert_null (r.results);
  g_assert_error (r.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE);
  g_assert_cmpstr (r.error->message, ==, why->message);
  g_clear_error (&r.error);

  r = resolve (directory, (const char *[]) { "alice@example.org", NULL });
  g_assert_error (r.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE);
  g_assert_cmpstr (r.error->message, ==, why->message);
  g_clear_error (&r.error);
}

/* Quitting while the home is being made: the waiting lookup gives up. */
static void
test_home_quit_while_made (void)
{
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  Resolved r = { 0 };

  g_ptr_array_add (list, (gpointer) "alice@example.org");
  resolve_held (directory, list, &r);
  signet_key_directory_close (directory);
  signet_test_wait_until (is_done, &r);
  g_assert_null (r.results);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
}

/* How many processes ended from now until none is left. With this process
 * a subreaper, the gpg that GPGME starts through a second fork is a child
 * of it too. */
static guint
count_ended_children (void)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  guint n = 0;

  while (g_get_monotonic_time () < deadline)
    {
      int status;
      pid_t pid = waitpid (-1, &status, WNOHANG);

      if (pid > 0)
        n++;
      else if (pid < 0 && errno == ECHILD)
        return n;
      else
        g_usleep (5000);
    }
  g_assert_not_reached ();
}

static GStrv
list_names (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_strv_builder_add (names, name);
  return g_strv_builder_end (names);
}

/* Listing one's own keys runs one gpg for the secret keys and one per key
 * for its public part; nothing else (gpgme_get_key() ran "gpg --version"
 * besides, each time: a fork of the whole application more per key). Asked
 * again with the keyring unchanged (at each Send), it runs none; a key
 * added is seen. */
static void
test_own_keys_engine_runs (void)
{
  g_autoptr(SignetKeyDirectory) warm = online_directory (homedir);
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) more = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *private_dir = g_build_filename (homedir, "private-keys-v1.d", NULL);
  g_auto(GStrv) secret_files = NULL;
  guint runs;

  /* The agent starts now, if it must, and is not this test's child. */
  keys = signet_key_directory_list_own_keys_sync (warm, "demo@example.org", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&keys, g_ptr_array_unref);

  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);
  g_assert_cmpuint (count_ended_children (), ==, 0);
  keys = signet_key_directory_list_own_keys_sync (directory, "demo@example.org", NULL, &error);
  runs = count_ended_children ();
  g_assert_no_error (error);
  g_assert_cmpuint (keys->len, >=, 1);
  g_assert_cmpint (((SignetOwnKey *) g_ptr_array_index (keys, 0))->status, ==, SIGNET_KEY_STATUS_OK);
  /* Each gpg is a second fork: the intermediate process is reaped by
   * GPGME, the gpg itself here. */
  g_assert_cmpuint (runs, ==, 1 + keys->len);

  again = signet_key_directory_list_own_keys_sync (directory, "demo@example.org", NULL, &error);
  g_assert_cmpuint (count_ended_children (), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, keys->len);
  for (guint i = 0; i < keys->len; i++)
    g_assert_cmpstr (((SignetOwnKey *) g_ptr_array_index (again, i))->fingerprint, ==,
                     ((SignetOwnKey *) g_ptr_array_index (keys, i))->fingerprint);
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 0), ==, 0);

  /* A new key pair for the address: the secret keys and the keyring change. */
  secret_files = list_names (private_dir);
  signet_test_add_key (homedir, "Demo Again <demo@example.org>");
  more = signet_key_directory_list_own_keys_sync (directory, "demo@example.org", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (more->len, ==, keys->len + 1);
  /* Kept now (gpg may have updated its trust database the first time). */
  g_clear_pointer (&more, g_ptr_array_unref);
  more = signet_key_directory_list_own_keys_sync (directory, "demo@example.org", NULL, &error);
  g_assert_cmpuint (more->len, ==, keys->len + 1);

  /* Its secret key files removed (gpg-agent's, the keyring is as it
   * was): it is no longer one's own. */
  {
    g_autoptr(GDir) dir = g_dir_open (private_dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      if (!g_strv_contains ((const char * const *) secret_files, name))
        {
          g_autofree char *path = g_build_filename (private_dir, name, NULL);

          g_assert_cmpint (g_unlink (path), ==, 0);
        }
  }
  g_clear_pointer (&again, g_ptr_array_unref);
  again = signet_key_directory_list_own_keys_sync (directory, "demo@example.org", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, keys->len);
}

/* Addresses that fold to the same text are still different mailboxes:
 * each keeps its own key pairs, however they were asked for before. */
static void
test_own_keys_per_address (void)
{
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  const char *pairs[][2] = {
    { "Street <strasse@example.org>", "strasse@example.org" },
    { "Stra\u00dfe <stra\u00dfe@example.org>", "stra\u00dfe@example.org" },
    { "Kelvin <\u212aate@example.org>", "\u212aate@example.org" },
    { "Kate <kate@example.org>", "kate@example.org" },
  };
  g_autoptr(GPtrArray) fingerprints = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    signet_test_add_key (homedir, pairs[i][0]);
  /* Twice over, each asked after the one it folds to. */
  for (guint round = 0; round < 2; round++)
    for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) keys = signet_key_directory_list_own_keys_sync (directory, pairs[i][1], NULL, &error);
        const SignetOwnKey *own;

        g_assert_no_error (error);
        g_assert_cmpuint (keys->len, ==, 1);
        own = g_ptr_array_index (keys, 0);
        g_assert_true (g_str_has_prefix (own->user_id, pairs[i][0]));
        if (round == 0)
          g_ptr_array_add (fingerprints, g_strdup (own->fingerprint));
        else
          g_assert_cmpstr (own->fingerprint, ==, g_ptr_array_index (fingerprints, i));
      }
  for (guint i = 1; i < fingerprints->len; i++)
    g_assert_cmpstr (g_ptr_array_index (fingerprints, i), !=, g_ptr_array_index (fingerprints, i - 1));
}

static char *
first_fingerprint (gpgme_ctx_t ctx, const char *pattern)
{
  gpgme_key_t key = NULL;
  char *fpr;

  g_assert_cmpint (gpgme_op_keylist_start (ctx, pattern, 0), ==, 0);
  g_assert_cmpint (gpgme_op_keylist_next (ctx, &key), ==, 0);
  gpgme_op_keylist_end (ctx);
  fpr = g_strdup (key->fpr);
  gpgme_key_unref (key);
  return fpr;
}

/* The one key of a fingerprint, listed in the caller's own context. */
static void
test_get_key (void)
{
  g_autoptr(SignetKeyDirectory) directory = online_directory (homedir);
  g_autoptr(GError) error = NULL;
  g_auto(gpgme_ctx_t) ctx = signet_key_directory_new_context (directory, &error);
  g_autofree char *alice = signet_test_fingerprint (directory, "alice@example.org");
  g_autofree char *stranger = first_fingerprint (ctx, "stranger@example.org");
  g_autofree char *demo = signet_test_fingerprint (directory, "demo@example.org");
  gpgme_key_t key = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (signet_key_directory_get_key (ctx, alice, FALSE, &key), ==, 0);
  g_assert_cmpstr (key->fpr, ==, alice);
  g_assert_false (key->secret);
  g_clear_pointer (&key, gpgme_key_unref);
  /* Only the public part of the stranger's key is here. */
  g_assert_cmpint (signet_key_directory_get_key (ctx, stranger, FALSE, &key), ==, 0);
  g_clear_pointer (&key, gpgme_key_unref);
  g_assert_cmpint (gpgme_err_code (signet_key_directory_get_key (ctx, stranger, TRUE, &key)), ==, GPG_ERR_EOF);
  g_assert_null (key);
  g_assert_cmpint (signet_key_directory_get_key (ctx, demo, TRUE, &key), ==, 0);
  g_assert_true (key->secret);
  g_assert_cmpstr (key->fpr, ==, demo);
  g_clear_pointer (&key, gpgme_key_unref);
  g_assert_cmpint (gpgme_err_code (signet_key_directory_get_key (ctx, "0000000000000000000000000000000000000000", FALSE, &key)),
                   ==, GPG_ERR_EOF);
  g_assert_null (key);
  g_assert_cmpint (gpgme_err_code (signet_key_directory_get_key (ctx, "", FALSE, &key)), ==, GPG_ERR_INV_VALUE);
  g_assert_cmpint (gpgme_err_code (signet_key_directory_get_key (ctx, "0x12", FALSE, &key)), ==, GPG_ERR_INV_VALUE);
  /* A pattern that names two keys is not one key. */
  g_assert_cmpint (gpgme_err_code (signet_key_directory_get_key (ctx, "dup@example.org", FALSE, &key)),
                   ==, GPG_ERR_AMBIGUOUS_NAME);
  g_assert_null (key);
  /* The context is idle again and lists as before. */
  g_assert_cmpint (signet_key_directory_get_key (ctx, alice, FALSE, &key), ==, 0);
  g_clear_pointer (&key, gpgme_key_unref);
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  g_test_add_func ("/key-directory/statuses", test_statuses);
  g_test_add_func ("/key-directory/offline", test_offline);
  g_test_add_func ("/key-directory/cancelled", test_cancelled);
  g_test_add_func ("/key-directory/candidates", test_candidates);
  g_test_add_func ("/key-directory/choice", test_choice);
  g_test_add_func ("/key-directory/choice-persisted", test_choice_persisted);
  g_test_add_func ("/key-directory/get-key", test_get_key);
  g_test_add_func ("/key-directory/own-keys-engine-runs", test_own_keys_engine_runs);
  g_test_add_func ("/key-directory/own-keys-per-address", test_own_keys_per_address);
  g_test_add_func ("/key-directory/home-being-made", test_home_being_made);
  g_test_add_func ("/key-directory/home-not-made", test_home_not_made);
  g_test_add_func ("/key-directory/home-quit-while-made", test_home_quit_while_made);
  /* Last: it points GPGME at a gpg that does not exist. */
  g_test_add_func ("/key-directory/gpg-missing", test_gpg_missing);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
