/* The Web Key Directory, against a real one for example.org served over
 * HTTPS on 127.0.0.1:443 (tests/servers/wkdserver.py), through the
 * keyring's own dirmngr; the test runs in the private namespace that
 * fixture makes ("wkdserver.py netns"). A key published only in the
 * recipient's domain is located at Send when WKD is on, and sealed to once
 * the user accepted it, never before: WKD is nobody's trusted directory.
 * With WKD off the recipient has no key. Keys the keyring has are
 * refreshed from there: a revocation published in the WKD is seen, a key
 * it adds is not taken in unasked. */
#include "config.h"

#include <string.h>

#include "signet-core.h"
#include "signet-directory-servers.h"
#include "signet-errors.h"
#include "signet-key-directory-private.h"
#include "signet-send-operation.h"
#include "signet-test-util.h"

typedef struct {
  char                   *home;
  SignetTestServices      s;
  SignetDirectoryServers *servers;
} Fixture;

static void
test_skipped (void)
{
  g_assert_false (signet_test_servers_need ());
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->home = signet_test_make_gnupghome ();
  signet_test_services_init (&f->s, f->home, TRUE);
  f->servers = signet_directory_servers_new (f->s.directory, f->home);
  signet_send_operation_set_directory_servers (f->s.operation, f->servers);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->servers);
  signet_test_services_clear (&f->s);
  signet_test_remove_gnupghome (f->home);
}

/* WKD on or off, with @server (may be NULL) asked after it and @trusted
 * (may be NULL) said to be the organisation's. */
static void
configure (Fixture *f, gboolean wkd, const char *server, const char *trusted)
{
  const char *servers[] = { server, NULL };
  const char *trust[] = { trusted, NULL };

  signet_directory_servers_configure (f->servers, servers, trust, wkd);
}

static GPtrArray *
update (Fixture *f, const char *email, GError **error)
{
  const char *emails[] = { email, NULL };

  return signet_directory_servers_update_sync (f->servers, emails, NULL, error);
}

static SignetKeyStatus
status_of (Fixture *f, const char *email)
{
  return signet_test_key_status (f->s.directory, email);
}

static void
send_to (Fixture *f, const char *to, SignetTestOutcome *outcome)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, to, NULL, NULL);

  signet_send_operation_send_async (f->s.operation, message, NULL, signet_test_on_sent, outcome);
  signet_test_wait_until (signet_test_outcome_done, outcome);
}

static guint
count_in (Fixture *f, const char *folder)
{
  return signet_test_count_messages (f->s.mail, folder);
}


/* The copy @email received, decrypted in the fixture's GnuPG home, which
 * has the published people's secret keys. */
static char *
received_plain (Fixture *f, const char *email)
{
  return signet_test_received_plain (f->s.dir, email);
}

/* Sends to @email and expects the refusal, with @status for it and nothing
 * written anywhere; returns the refused key's fingerprint (or NULL). */
static char *
send_refused (Fixture *f, const char *email, SignetKeyStatus status)
{
  g_auto(SignetTestOutcome) refused = { 0 };
  SignetKeyResult *result;

  send_to (f, email, &refused);
  g_assert_false (refused.ok);
  g_assert_error (refused.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS);
  g_assert_cmpuint (refused.key_results->len, ==, 1);
  result = g_ptr_array_index (refused.key_results, 0);
  g_assert_cmpstr (result->email, ==, email);
  g_assert_cmpint (result->status, ==, status);
  g_assert_cmpuint (count_in (f, "Outbox") + count_in (f, "Sent") + count_in (f, "Drafts"), ==, 0);
  return g_strdup (result->fingerprint);
}

/* Published in example.org's WKD and nowhere else: located, imported with
 * only the user ID asked for, said to come from WKD, not valid yet. An
 * address the domain did not publish: nothing found, and no failure. */
static void
test_locate (Fixture *f, gconstpointer data)
{
  const char *args[] = { "--with-colons", "--list-keys", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *origin = NULL;
  SignetDirectoryFind *find;

  configure (f, TRUE, NULL, NULL);
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
  finds = update (f, "Dora@Example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (finds->len, ==, 1);
  find = g_ptr_array_index (finds, 0);
  g_assert_true (find->found);
  g_assert_cmpstr (find->origin, ==, SIGNET_DIRECTORY_WKD);
  g_assert_cmpuint (g_strv_length (find->fingerprints), ==, 1);
  g_assert_cmpstr (find->fingerprints[0], ==, signet_test_servers_env ("DORA_FPR"));
  origin = signet_directory_servers_dup_origin (f->servers, signet_test_servers_env ("DORA_FPR"));
  g_assert_cmpstr (origin, ==, SIGNET_DIRECTORY_WKD);
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_UNTRUSTED);
  listing = signet_test_gpg_output (f->home, args, signet_test_servers_env ("DORA_FPR"), TRUE);
  g_assert_nonnull (strstr (listing, "dora@example.org"));
  g_assert_null (strstr (strstr (listing, "\nuid:") + 1, "\nuid:"));

  none = update (f, "grace@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 1);
  find = g_ptr_array_index (none, 0);
  g_assert_null (find->origin);
  g_assert_cmpuint (g_strv_length (find->fingerprints), ==, 0);
  g_assert_cmpint (status_of (f, "grace@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
}

/* Send with Seal on and WKD on, to someone whose key only their domain
 * publishes: located, but refused as untrusted until accepted, nothing
 * written; once accepted, sealed to, and its owner decrypts the copy. */
static void
test_send_accept (Fixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) sent = { 0 };
  g_autofree char *fingerprint = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *plain = NULL;

  configure (f, TRUE, NULL, NULL);
  fingerprint = send_refused (f, "frank@example.org", SIGNET_KEY_STATUS_UNTRUSTED);
  g_assert_cmpstr (fingerprint, ==, signet_test_servers_env ("FRANK_FPR"));
  origin = signet_directory_servers_dup_origin (f->servers, fingerprint);
  g_assert_cmpstr (origin, ==, SIGNET_DIRECTORY_WKD);

  signet_key_directory_accept (f->s.directory, fingerprint, "frank@example.org");
  send_to (f, "frank@example.org", &sent);
  g_assert_no_error (sent.error);
  g_assert_true (sent.ok);
  plain = received_plain (f, "frank@example.org");
  g_assert_nonnull (strstr (plain, "the merger is on"));
}

/* WKD off (and no server): nothing is asked, not even dirmngr started, and
 * the recipient is refused as having no key. */
static void
test_send_wkd_off (Fixture *f, gconstpointer data)
{
  g_autofree char *socket = g_build_filename (f->home, "S.dirmngr", NULL);
  g_autofree char *fingerprint = NULL;

  configure (f, FALSE, NULL, NULL);
  g_assert_false (signet_directory_servers_is_configured (f->servers));
  fingerprint = send_refused (f, "frank@example.org", SIGNET_KEY_STATUS_MISSING);
  g_assert_null (fingerprint);
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
}

/* "WKD" is no server of the organisation's: even named in the trusted
 * list, what the recipient's domain publishes waits for the user. */
static void
test_never_trusted (Fixture *f, gconstpointer data)
{
  g_autofree char *fingerprint = NULL;

  configure (f, TRUE, NULL, SIGNET_DIRECTORY_WKD);
  g_assert_false (signet_directory_servers_is_trusted (f->servers, SIGNET_DIRECTORY_WKD));
  fingerprint = send_refused (f, "dora@example.org", SIGNET_KEY_STATUS_UNTRUSTED);
  g_assert_cmpstr (fingerprint, ==, signet_test_servers_env ("DORA_FPR"));
  g_assert_false (signet_key_directory_is_accepted (f->s.directory, fingerprint, "dora@example.org"));
}

/* WKD first: a key the domain publishes is taken from there, and the
 * servers after it are not asked for it (this one refuses every
 * connection, which would fail the update); the server is trusted, the
 * key found in WKD still is not. */
static void
test_wkd_before_servers (Fixture *f, gconstpointer data)
{
  g_autofree char *url = g_strdup_printf ("hkp://127.0.0.1:%u", signet_test_closed_port ());
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  SignetDirectoryFind *find;

  configure (f, TRUE, url, url);
  finds = update (f, "dora@example.org", &error);
  g_assert_no_error (error);
  find = g_ptr_array_index (finds, 0);
  g_assert_cmpstr (find->origin, ==, SIGNET_DIRECTORY_WKD);
  g_assert_cmpstr (find->fingerprints[0], ==, signet_test_servers_env ("DORA_FPR"));
  g_assert_true (signet_directory_servers_is_trusted (f->servers, url));
  g_assert_false (signet_directory_servers_is_trusted (f->servers, find->origin));
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_UNTRUSTED);
}

static void
fixture (const char *command, const char *name)
{
  signet_test_servers_run ("wkdserver.py", command, name);
}

/* The keyring has a valid key for alice; her domain publishes another one
 * for her now: Send still seals to the key the keyring has, and the
 * published one is not taken in without being asked for. */
static void
test_refresh_keeps_unknown_out (Fixture *f, gconstpointer data)
{
  const char *args[] = { "--list-keys", NULL };
  g_auto(SignetTestOutcome) sent = { 0 };
  g_autofree char *listing = NULL;
  g_autofree char *plain = NULL;

  g_assert_cmpint (status_of (f, "alice@example.org"), ==, SIGNET_KEY_STATUS_OK);
  configure (f, TRUE, NULL, NULL);
  send_to (f, "alice@example.org", &sent);
  g_assert_no_error (sent.error);
  g_assert_true (sent.ok);
  listing = signet_test_gpg_output (f->home, args, signet_test_servers_env ("ALICE_FPR"), FALSE);
  g_assert_cmpstr (listing, ==, "");
  g_assert_cmpint (status_of (f, "alice@example.org"), ==, SIGNET_KEY_STATUS_OK);
}

/* A key located in WKD and not yet accepted when Signet ended: after a
 * restart (a new directory, nothing remembered but the keyring), Send
 * still refuses it, and still says where it can be reviewed. */
static void
test_review_after_restart (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetDirectoryServers) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *origin = NULL;

  configure (f, TRUE, NULL, NULL);
  finds = update (f, "dora@example.org", &error);
  g_assert_no_error (error);
  restarted = signet_directory_servers_new (f->s.directory, f->home);
  signet_directory_servers_configure (restarted, NULL, NULL, TRUE);
  signet_send_operation_set_directory_servers (f->s.operation, restarted);
  g_assert_null (signet_directory_servers_dup_origin (restarted, signet_test_servers_env ("DORA_FPR")));
  fingerprint = send_refused (f, "dora@example.org", SIGNET_KEY_STATUS_UNTRUSTED);
  g_assert_cmpstr (fingerprint, ==, signet_test_servers_env ("DORA_FPR"));
  origin = signet_directory_servers_dup_origin (restarted, fingerprint);
  g_assert_cmpstr (origin, ==, SIGNET_DIRECTORY_WKD);
}

/* A key the keyring has and the user accepted, revoked since and
 * published revoked in its domain's WKD: Send sees the revocation and
 * refuses the recipient as revoked, writing nothing. (Last: frank's key
 * stays revoked.) */
static void
test_refresh_revoked (Fixture *f, gconstpointer data)
{
  const char *args[] = { "--import", NULL };
  const char *fpr = signet_test_servers_env ("FRANK_FPR");
  g_autofree char *out = signet_test_gpg_output (f->home, args, signet_test_servers_env ("FRANK_KEY"), TRUE);
  g_autofree char *refused = NULL;

  signet_key_directory_accept (f->s.directory, fpr, "frank@example.org");
  g_assert_cmpint (status_of (f, "frank@example.org"), ==, SIGNET_KEY_STATUS_OK);
  fixture ("revoke", "frank");
  configure (f, TRUE, NULL, NULL);
  refused = send_refused (f, "frank@example.org", SIGNET_KEY_STATUS_REVOKED);
  g_assert_cmpstr (refused, ==, fpr);
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  signet_core_init ();
  signet_test_servers_start_script ("wkdserver.py", "wkd");
  if (!signet_test_servers_available ())
    g_test_add_func ("/directory-wkd/skipped", test_skipped);
  else
    {
#define ADD(path, fn) g_test_add ("/directory-wkd/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
      ADD ("locate", test_locate);
      ADD ("send-accept", test_send_accept);
      ADD ("send-wkd-off", test_send_wkd_off);
      ADD ("never-trusted", test_never_trusted);
      ADD ("wkd-before-servers", test_wkd_before_servers);
      ADD ("refresh-keeps-unknown-out", test_refresh_keeps_unknown_out);
      ADD ("review-after-restart", test_review_after_restart);
      ADD ("refresh-revoked", test_refresh_revoked);
    }
  ret = g_test_run ();
  signet_test_servers_stop ();
  return ret;
}
