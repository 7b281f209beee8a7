#include <string.h>

#include "signet-errors.h"
#include "signet-key-directory-private.h"
#include "signet-test-util.h"

static char *homedir;

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
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, network);
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
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, network);
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

/* No usable gpg: a clear error, no crash. Runs last: it changes GPGME's
 * process-wide engine path. */
static void
test_gpg_missing (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, network);
  const char *emails[] = { "alice@example.org", NULL };
  Resolved r;

  g_assert_cmpint (gpgme_set_engine_info (GPGME_PROTOCOL_OpenPGP, "/nonexistent/gpg", NULL), ==, 0);
  r = resolve (directory, emails);
  g_assert_null (r.results);
  g_assert_error (r.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE);
  g_assert_cmpstr (r.error->message, ==, "GnuPG (gpg) is not installed or cannot be run.");
  g_clear_error (&r.error);
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
  g_test_add_func ("/key-directory/gpg-missing", test_gpg_missing);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
