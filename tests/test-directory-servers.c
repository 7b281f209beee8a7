/* The directory as servers, against a real OpenLDAP slapd and a real sks
 * keyserver (tests/servers/directoryservers.py), through the keyring's own
 * dirmngr: a key only in LDAP is located and imported; a revocation
 * published on the keyserver is seen although the keyring called the key
 * valid; a server that does not answer fails as key management does, by
 * name; nothing is asked with nothing configured, nor twice within a few
 * minutes. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "signet-core.h"
#include "signet-directory-servers.h"
#include "signet-errors.h"
#include "signet-key-directory-private.h"
#include "signet-ldap-completion.h"
#include "signet-send-operation.h"
#include "signet-test-util.h"

typedef struct {
  char                   *home;
  SignetNetwork          *network;
  SignetKeyDirectory     *directory;
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
  f->network = signet_network_new (G_NETWORK_MONITOR (signet_test_monitor_new (TRUE)));
  f->directory = signet_key_directory_new (f->home, f->network);
  f->servers = signet_directory_servers_new (f->directory, f->home);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->servers);
  g_clear_object (&f->directory);
  g_clear_object (&f->network);
  signet_test_remove_gnupghome (f->home);
}

static void
fixture (const char *command, const char *name)
{
  signet_test_servers_run ("directoryservers.py", command, name);
}

static void
import_exported (Fixture *f, const char *name)
{
  g_autofree char *key = g_strdup_printf ("%s_KEY", name);
  const char *args[] = { "--import", NULL };
  g_autofree char *out = signet_test_gpg_output (f->home, args, signet_test_servers_env (key), TRUE);
}

static void
import_exported_home (const char *home, const char *name)
{
  g_autofree char *key = g_strdup_printf ("%s_KEY", name);
  const char *args[] = { "--import", NULL };
  g_autofree char *out = signet_test_gpg_output (home, args, signet_test_servers_env (key), TRUE);
}

static void
configure (Fixture *f, const char *first, const char *second)
{
  const char *servers[] = { first, second, NULL };

  signet_directory_servers_configure (f->servers, servers, NULL, FALSE);
  g_assert_true (signet_directory_servers_is_configured (f->servers));
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
  return signet_test_key_status (f->directory, email);
}

/* Nothing configured (or only what is not a server URL): nothing is asked,
 * not even dirmngr started. */
static void
test_unconfigured (Fixture *f, gconstpointer data)
{
  const char *bad[] = { "file:///etc/passwd", "hkp://a b", "ldap://x\nKS_GET -- 0", "", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autofree char *socket = g_build_filename (f->home, "S.dirmngr", NULL);

  g_assert_false (signet_directory_servers_is_configured (f->servers));
  g_test_expect_message ("signet-directory-servers", G_LOG_LEVEL_WARNING, "*not an ldap*");
  g_test_expect_message ("signet-directory-servers", G_LOG_LEVEL_WARNING, "*not an ldap*");
  g_test_expect_message ("signet-directory-servers", G_LOG_LEVEL_WARNING, "*not an ldap*");
  g_test_expect_message ("signet-directory-servers", G_LOG_LEVEL_WARNING, "*not an ldap*");
  signet_directory_servers_configure (f->servers, bad, NULL, FALSE);
  g_test_assert_expected_messages ();
  g_assert_false (signet_directory_servers_is_configured (f->servers));
  finds = update (f, "dora@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (finds->len, ==, 0);
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
}

static void
assert_find (GPtrArray *finds, const char *email, const char *fingerprint, const char *origin, gboolean found)
{
  SignetDirectoryFind *find;

  g_assert_cmpuint (finds->len, ==, 1);
  find = g_ptr_array_index (finds, 0);
  g_assert_cmpstr (find->email, ==, email);
  g_assert_cmpstr (find->origin, ==, origin);
  g_assert_cmpint (find->found, ==, found);
  g_assert_cmpuint (g_strv_length (find->fingerprints), ==, fingerprint != NULL ? 1 : 0);
  if (fingerprint != NULL)
    g_assert_cmpstr (find->fingerprints[0], ==, fingerprint);
}

/* A key only in the LDAP directory is located and imported, with only the
 * user ID asked for; as nobody certified it, it is not valid yet. */
static void
test_locate_in_ldap (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autofree char *listing = NULL;

  configure (f, signet_test_servers_env ("LDAP_URL"), signet_test_servers_env ("HKP_URL"));
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
  finds = update (f, "Dora@Example.org", &error);
  g_assert_no_error (error);
  assert_find (finds, "Dora@Example.org", signet_test_servers_env ("DORA_FPR"),
               signet_test_servers_env ("LDAP_URL"), TRUE);
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_UNTRUSTED);
  {
    const char *args[] = { "--with-colons", "--list-keys", NULL };
    listing = signet_test_gpg_output (f->home, args, signet_test_servers_env ("DORA_FPR"), TRUE);
  }
  g_assert_nonnull (strstr (listing, "dora@example.org"));
  /* Only dora's user ID came in: one "uid" line. */
  g_assert_null (strstr (strstr (listing, "\nuid:") + 1, "\nuid:"));
}

/* A key found online is sealed to only once accepted, for that address
 * only; the acceptance is kept in the settings, and a key accepted and
 * then revoked is refused. */
static void
test_accept (Fixture *f, gconstpointer data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(SignetKeyDirectory) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_auto(GStrv) stored = NULL;
  const char *fpr = signet_test_servers_env ("FRANK_FPR");

  signet_key_directory_set_settings (f->directory, settings);
  configure (f, signet_test_servers_env ("HKP_URL"), NULL);
  finds = update (f, "frank@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpint (status_of (f, "frank@example.org"), ==, SIGNET_KEY_STATUS_UNTRUSTED);
  g_assert_false (signet_key_directory_is_accepted (f->directory, fpr, "frank@example.org"));
  signet_key_directory_accept (f->directory, fpr, "Frank@Example.org");
  g_assert_true (signet_key_directory_is_accepted (f->directory, fpr, "frank@example.org"));
  g_assert_false (signet_key_directory_is_accepted (f->directory, fpr, "other@example.org"));
  g_assert_cmpint (status_of (f, "frank@example.org"), ==, SIGNET_KEY_STATUS_OK);
  stored = g_settings_get_strv (settings, "accepted-keys");
  g_assert_cmpuint (g_strv_length (stored), ==, 1);

  /* A new directory on the same settings knows it. */
  again = signet_key_directory_new (f->home, f->network);
  signet_key_directory_set_settings (again, settings);
  g_assert_true (signet_key_directory_is_accepted (again, fpr, "frank@example.org"));
  g_settings_reset (settings, "accepted-keys");
  g_assert_false (signet_key_directory_is_accepted (again, fpr, "frank@example.org"));
  signet_key_directory_set_settings (f->directory, NULL);
  signet_key_directory_set_settings (again, NULL);
}

/* Not in LDAP, on the keyserver: the servers are asked in order. Nobody
 * has it: nothing found, and that is no failure. */
static void
test_locate_in_order (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autoptr(GPtrArray) none = NULL;

  configure (f, signet_test_servers_env ("LDAP_URL"), signet_test_servers_env ("HKP_URL"));
  finds = update (f, "frank@example.org", &error);
  g_assert_no_error (error);
  assert_find (finds, "frank@example.org", signet_test_servers_env ("FRANK_FPR"),
               signet_test_servers_env ("HKP_URL"), TRUE);
  none = update (f, "nobody@example.org", &error);
  g_assert_no_error (error);
  assert_find (none, "nobody@example.org", NULL, NULL, TRUE);
  g_assert_cmpint (status_of (f, "nobody@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
}

/* The keyring has grace's key, unrevoked; the keyserver has her
 * revocation: after the update, the key is revoked here too. */
static void
test_revocation_on_keyserver (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;

  import_exported (f, "GRACE");
  g_assert_cmpint (status_of (f, "grace@example.org"), !=, SIGNET_KEY_STATUS_REVOKED);
  fixture ("revoke-on-sks", "grace");
  configure (f, signet_test_servers_env ("HKP_URL"), NULL);
  finds = update (f, "grace@example.org", &error);
  g_assert_no_error (error);
  assert_find (finds, "grace@example.org", signet_test_servers_env ("GRACE_FPR"),
               signet_test_servers_env ("HKP_URL"), FALSE);
  g_assert_cmpint (status_of (f, "grace@example.org"), ==, SIGNET_KEY_STATUS_REVOKED);
}

/* The same through LDAP: dora's revocation published in the directory. */
static void
test_revocation_in_ldap (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;

  import_exported (f, "DORA");
  g_assert_cmpint (status_of (f, "dora@example.org"), !=, SIGNET_KEY_STATUS_REVOKED);
  fixture ("revoke-in-ldap", "dora");
  configure (f, signet_test_servers_env ("LDAP_URL"), NULL);
  finds = update (f, "dora@example.org", &error);
  g_assert_no_error (error);
  assert_find (finds, "dora@example.org", signet_test_servers_env ("DORA_FPR"),
               signet_test_servers_env ("LDAP_URL"), FALSE);
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_REVOKED);
}

/* slapd stopped while the network is up: the update fails as key
 * management does, naming the server, and imports nothing. */
static void
test_unreachable (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autoptr(GPtrArray) again = NULL;
  const char *url = signet_test_servers_env ("LDAP_URL");

  configure (f, url, signet_test_servers_env ("HKP_URL"));
  fixture ("stop-ldap", NULL);
  finds = update (f, "dora@example.org", &error);
  fixture ("start-ldap", NULL);
  g_assert_null (finds);
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, url));
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_MISSING);

  /* Back: the same update works, the failure was not kept as an answer. */
  g_clear_error (&error);
  again = update (f, "dora@example.org", &error);
  g_assert_no_error (error);
  assert_find (again, "dora@example.org", signet_test_servers_env ("DORA_FPR"), url, TRUE);
}

/* The keyserver stopped: the same, for HKP. */
static void
test_unreachable_keyserver (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;

  configure (f, signet_test_servers_env ("HKP_URL"), NULL);
  fixture ("stop-sks", NULL);
  finds = update (f, "frank@example.org", &error);
  fixture ("start-sks", NULL);
  g_assert_null (finds);
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, signet_test_servers_env ("HKP_URL")));
}

typedef struct {
  gboolean   done;
  GPtrArray *finds;
  GError    *error;
} Outcome;

static void
on_outcome (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  o->finds = signet_directory_servers_update_finish (SIGNET_DIRECTORY_SERVERS (object), result, &o->error);
  o->done = TRUE;
}

static gboolean
outcome_done (gpointer data)
{
  return ((Outcome *) data)->done;
}

/* A keyserver that takes the connection and never answers: after the call
 * timeout, the update fails by name, as for one that refuses. */
static void
test_silent_server (Fixture *f, gconstpointer data)
{
  guint port = 0;
  g_autoptr(GSocket) silent = signet_test_silent_listener (&port);
  g_autofree char *url = g_strdup_printf ("hkp://127.0.0.1:%u", port);
  const char *emails[] = { "frank@example.org", NULL };
  Outcome o = { FALSE, NULL, NULL };
  gint64 start = g_get_monotonic_time ();

  configure (f, url, NULL);
  signet_directory_servers_set_call_timeout (f->servers, 2);
  signet_directory_servers_update_async (f->servers, emails, NULL, on_outcome, &o);
  signet_test_wait_until (outcome_done, &o);
  g_assert_null (o.finds);
  g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (o.error->message, url));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);
  g_clear_error (&o.error);
}

/* Offline, nothing is asked: the offline error. */
static void
test_offline (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetNetwork) offline = signet_network_new (G_NETWORK_MONITOR (signet_test_monitor_new (FALSE)));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (f->home, offline);
  g_autoptr(SignetDirectoryServers) servers = signet_directory_servers_new (directory, f->home);
  const char *urls[] = { signet_test_servers_env ("LDAP_URL"), NULL };
  const char *emails[] = { "dora@example.org", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;

  signet_directory_servers_configure (servers, urls, NULL, FALSE);
  finds = signet_directory_servers_update_sync (servers, emails, NULL, &error);
  g_assert_null (finds);
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
}

/* A few minutes fresh: asked again at once, the servers are not asked
 * (here: they are down, and it still succeeds, listing nothing); a change
 * of servers forgets. */
static void
test_fresh (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) third = NULL;

  configure (f, signet_test_servers_env ("HKP_URL"), NULL);
  first = update (f, "frank@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 1);
  fixture ("stop-sks", NULL);
  second = update (f, "FRANK@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (second->len, ==, 0);
  configure (f, signet_test_servers_env ("HKP_URL"), NULL);
  third = update (f, "frank@example.org", &error);
  fixture ("start-sks", NULL);
  g_assert_null (third);
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE);
}

static SignetDirectoryFind *
find_for (GPtrArray *finds, const char *email)
{
  for (guint i = 0; i < finds->len; i++)
    if (g_str_equal (((SignetDirectoryFind *) g_ptr_array_index (finds, i))->email, email))
      return g_ptr_array_index (finds, i);
  g_assert_not_reached ();
}

/* Several recipients in one update, as Send asks: the keys the keyring
 * has are refreshed together (one key revoked on the keyserver, one in
 * LDAP, one on no server: each from the first server in order that has it),
 * and those it lacks are located, each with only its own user ID. */
static void
test_several (Fixture *f, gconstpointer data)
{
  const char *emails[] = { "grace@example.org", "alice@example.org", "frank@example.org", "dora@example.org",
                           "erin@example.org", "nobody@example.org", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autofree char *listing = NULL;
  const char *args[] = { "--with-colons", "--list-keys", NULL };
  SignetDirectoryFind *find;

  import_exported (f, "GRACE");
  import_exported (f, "ERIN");
  fixture ("revoke-on-sks", "grace");
  configure (f, signet_test_servers_env ("LDAP_URL"), signet_test_servers_env ("HKP_URL"));
  finds = signet_directory_servers_update_sync (f->servers, emails, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (finds->len, ==, 6);
  find = find_for (finds, "grace@example.org");
  g_assert_false (find->found);
  g_assert_cmpstr (find->origin, ==, signet_test_servers_env ("HKP_URL"));
  g_assert_cmpint (status_of (f, "grace@example.org"), ==, SIGNET_KEY_STATUS_REVOKED);
  find = find_for (finds, "erin@example.org");
  g_assert_false (find->found);
  g_assert_cmpstr (find->origin, ==, signet_test_servers_env ("LDAP_URL"));
  g_assert_cmpstr (find->fingerprints[0], ==, signet_test_servers_env ("ERIN_FPR"));
  /* The demo keyring's own key for alice is on no server. */
  find = find_for (finds, "alice@example.org");
  g_assert_false (find->found);
  g_assert_null (find->origin);
  g_assert_cmpuint (g_strv_length (find->fingerprints), ==, 0);
  find = find_for (finds, "frank@example.org");
  g_assert_true (find->found);
  g_assert_cmpstr (find->origin, ==, signet_test_servers_env ("HKP_URL"));
  g_assert_cmpstr (find->fingerprints[0], ==, signet_test_servers_env ("FRANK_FPR"));
  find = find_for (finds, "dora@example.org");
  g_assert_true (find->found);
  g_assert_cmpstr (find->origin, ==, signet_test_servers_env ("LDAP_URL"));
  find = find_for (finds, "nobody@example.org");
  g_assert_true (find->found);
  g_assert_null (find->origin);
  g_assert_cmpuint (g_strv_length (find->fingerprints), ==, 0);
  /* Frank's key came in with his user ID only. */
  listing = signet_test_gpg_output (f->home, args, signet_test_servers_env ("FRANK_FPR"), TRUE);
  g_assert_null (strstr (strstr (listing, "\nuid:") + 1, "\nuid:"));
}

static void
on_updated (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;
  g_autoptr(GPtrArray) finds = signet_directory_servers_update_finish (SIGNET_DIRECTORY_SERVERS (object), result, error);

  g_assert_null (finds);
}

static gboolean
has_error (gpointer data)
{
  return *(GError **) data != NULL;
}

/* Cancelled while it runs: it ends at once, cancelled. */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const char *emails[] = { "dora@example.org", "frank@example.org", "alice@example.org", NULL };
  g_autoptr(GError) error = NULL;

  configure (f, signet_test_servers_env ("LDAP_URL"), signet_test_servers_env ("HKP_URL"));
  signet_directory_servers_update_async (f->servers, emails, cancellable, on_updated, &error);
  g_cancellable_cancel (cancellable);
  signet_test_wait_until (has_error, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- Send and Check Names with the servers ------------------------------ */

typedef struct {
  char                   *home;
  SignetTestServices      s;
  SignetDirectoryServers *servers;
} SendFixture;

static void
send_setup (SendFixture *f, gconstpointer data)
{
  f->home = signet_test_make_gnupghome ();
  signet_test_services_init (&f->s, f->home, TRUE);
  f->servers = signet_directory_servers_new (f->s.directory, f->home);
  signet_send_operation_set_directory_servers (f->s.operation, f->servers);
}

static void
send_teardown (SendFixture *f, gconstpointer data)
{
  g_clear_object (&f->servers);
  signet_test_services_clear (&f->s);
  signet_test_remove_gnupghome (f->home);
}

static void
send_configure (SendFixture *f, const char *server, gboolean trusted)
{
  const char *servers[] = { server, NULL };

  signet_directory_servers_configure (f->servers, servers, trusted ? servers : NULL, FALSE);
}

static void
send_to (SendFixture *f, const char *to, SignetTestOutcome *outcome)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, to, NULL, NULL);

  signet_send_operation_send_async (f->s.operation, message, NULL, signet_test_on_sent, outcome);
  signet_test_wait_until (signet_test_outcome_done, outcome);
}

static guint
count_in (SendFixture *f, const char *folder)
{
  return signet_test_count_messages (f->s.mail, folder);
}


/* The copy @email received, decrypted with the keys' own GnuPG home (which
 * has every directory person's secret key). */
static char *
received_plain (SendFixture *f, const char *email)
{
  return signet_test_received_plain (f->s.dir, email);
}

/* A key only in the organisation's (trusted) LDAP directory: Send locates
 * it and seals to it, and its owner decrypts what arrives. */
static void
test_send_trusted_directory (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };
  g_autofree char *plain = NULL;

  send_configure (f, signet_test_servers_env ("LDAP_URL"), TRUE);
  send_to (f, "dora@example.org", &outcome);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  plain = received_plain (f, "dora@example.org");
  g_assert_nonnull (strstr (plain, "the merger is on"));
}

/* From a keyserver nobody declared trusted, a located key is refused as
 * untrusted, nothing is written; once accepted, Send seals to it. */
static void
test_send_untrusted_then_accept (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) refused = { 0 };
  g_auto(SignetTestOutcome) sent = { 0 };
  g_autofree char *plain = NULL;
  SignetKeyResult *result;

  send_configure (f, signet_test_servers_env ("HKP_URL"), FALSE);
  send_to (f, "frank@example.org", &refused);
  g_assert_error (refused.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS);
  result = g_ptr_array_index (refused.key_results, 0);
  g_assert_cmpint (result->status, ==, SIGNET_KEY_STATUS_UNTRUSTED);
  g_assert_cmpstr (result->fingerprint, ==, signet_test_servers_env ("FRANK_FPR"));
  {
    g_autofree char *origin = signet_directory_servers_dup_origin (f->servers, result->fingerprint);
    g_assert_cmpstr (origin, ==, signet_test_servers_env ("HKP_URL"));
  }
  g_assert_cmpuint (count_in (f, "Outbox") + count_in (f, "Sent"), ==, 0);

  signet_key_directory_accept (f->s.directory, result->fingerprint, "frank@example.org");
  send_to (f, "frank@example.org", &sent);
  g_assert_no_error (sent.error);
  plain = received_plain (f, "frank@example.org");
  g_assert_nonnull (strstr (plain, "the merger is on"));
}

/* Valid in the keyring (accepted), revoked on the keyserver: refused as
 * revoked at Send, and by Check Names. */
static void
test_send_revoked_on_server (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };
  g_auto(SignetTestOutcome) checked = { 0 };
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "grace@example.org", NULL, NULL);
  SignetKeyResult *result;

  import_exported_home (f->home, "GRACE");
  signet_key_directory_accept (f->s.directory, signet_test_servers_env ("GRACE_FPR"), "grace@example.org");
  fixture ("revoke-on-sks", "grace");
  send_configure (f, signet_test_servers_env ("HKP_URL"), FALSE);
  send_to (f, "grace@example.org", &outcome);
  g_assert_error (outcome.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS);
  result = g_ptr_array_index (outcome.key_results, 0);
  g_assert_cmpint (result->status, ==, SIGNET_KEY_STATUS_REVOKED);
  g_assert_cmpuint (count_in (f, "Outbox") + count_in (f, "Sent"), ==, 0);
}

/* slapd stopped, the network up: Send fails as key management does, by
 * the server's name; nothing is written anywhere. */
static void
test_send_unreachable (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };

  send_configure (f, signet_test_servers_env ("LDAP_URL"), TRUE);
  fixture ("stop-ldap", NULL);
  send_to (f, "alice@example.org", &outcome);
  fixture ("start-ldap", NULL);
  g_assert_false (outcome.ok);
  g_assert_error (outcome.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (outcome.error->message, signet_test_servers_env ("LDAP_URL")));
  g_assert_cmpuint (count_in (f, "Outbox") + count_in (f, "Sent") + count_in (f, "Drafts"), ==, 0);
}

/* ---- completion from the LDAP directory --------------------------------- */

typedef struct {
  gboolean   done;
  GPtrArray *found;
  GError    *error;
} Found;

static void
on_found (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Found *found = user_data;

  found->found = signet_completion_provider_search_finish (SIGNET_COMPLETION_PROVIDER (object), result, &found->error);
  found->done = TRUE;
}

static gboolean
found_done (gpointer data)
{
  return ((Found *) data)->done;
}

static GPtrArray *
complete (SignetCompletionProvider *provider, const char *prefix, guint max, GCancellable *cancellable, GError **error)
{
  Found found = { FALSE, NULL, NULL };

  signet_completion_provider_search_async (provider, prefix, max, cancellable, on_found, &found);
  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
  signet_test_wait_until (found_done, &found);
  if (found.error != NULL)
    g_propagate_error (error, found.error);
  return found.found;
}

static const SignetCompletion *
find_email (GPtrArray *found, const char *email)
{
  for (guint i = 0; i < found->len; i++)
    if (g_str_equal (((SignetCompletion *) g_ptr_array_index (found, i))->email, email))
      return g_ptr_array_index (found, i);
  return NULL;
}

/* People whose name or address starts with what was typed, from the
 * directory, in pages, each with the keyring's key status for the
 * address; what was typed cannot widen the search; offline, a stopped
 * server or a cancel give nothing (and no failure but the cancel). */
static void
test_ldap_completion (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetCompletionProvider) provider = signet_ldap_completion_new (f->directory, f->servers);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) al = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) three = NULL;
  g_autoptr(GPtrArray) accented = NULL;
  g_autoptr(GPtrArray) hostile = NULL;
  g_autoptr(GPtrArray) down = NULL;
  g_autoptr(GPtrArray) cancelled = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const SignetCompletion *alice, *alan;
  g_auto(GStrv) people = g_strsplit (signet_test_servers_env ("PEOPLE"), " ", -1);

  configure (f, signet_test_servers_env ("HKP_URL"), signet_test_servers_env ("LDAP_URL"));
  al = complete (provider, "Al", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (al->len, ==, 6);
  alice = find_email (al, "alice@example.org");
  alan = find_email (al, "alan@example.org");
  g_assert_nonnull (alice);
  g_assert_nonnull (alan);
  g_assert_cmpstr (alan->name, ==, "Alan Turing");
  g_assert_cmpstr (alan->source, ==, "ldap");
  /* The keyring (the demo's) has a valid key for alice, none for alan. */
  g_assert_cmpint (alice->status, ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpint (alan->status, ==, SIGNET_KEY_STATUS_MISSING);
  /* The address is searched too, not only names. */
  {
    g_autoptr(GPtrArray) by_mail = complete (provider, "zoe@", 0, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (by_mail->len, ==, 1);
  }

  /* Everyone: more than a page. */
  all = complete (provider, "", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, g_strv_length (people));
  three = complete (provider, "", 3, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (three->len, ==, 3);

  accented = complete (provider, "Émi", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (accented->len, ==, 1);

  hostile = complete (provider, "*)(mail=*", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hostile->len, ==, 0);

  cancelled = complete (provider, "Mar", 0, cancellable, &error);
  g_assert_null (cancelled);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  fixture ("stop-ldap", NULL);
  down = complete (provider, "Al", 0, NULL, &error);
  fixture ("start-ldap", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (down->len, ==, 0);
}

/* What @text completes to, in @found (replacing what was there). */
static GPtrArray *
complete_again (GPtrArray **found, SignetCompletionProvider *provider, const char *text)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (found, g_ptr_array_unref);
  *found = complete (provider, text, 0, NULL, &error);
  g_assert_no_error (error);
  return *found;
}

/* Keyservers complete whole words of names and addresses (from three
 * characters on): a key only there is suggested as Send would treat it,
 * to be reviewed unless the server is trusted; one person once; a
 * keyserver that is down, text with line breaks or search syntax, and
 * short text give nothing from it, and no failure. */
static void
test_keyserver_completion (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetCompletionProvider) provider = signet_ldap_completion_new (f->directory, f->servers);
  const char *servers[] = { signet_test_servers_env ("HKP_URL"), signet_test_servers_env ("LDAP_URL"), NULL };
  const char *trusted[] = { signet_test_servers_env ("HKP_URL"), NULL };
  const char *hostile[] = { "frank\nKS_GET -- 0x00", "frank%0AKS_GET", "frank:grace", "fra*", "frank+grace" };
  g_autoptr(GPtrArray) found = NULL;
  const SignetCompletion *c;

  signet_directory_servers_configure (f->servers, servers, NULL, FALSE);
  g_assert_cmpuint (complete_again (&found, provider, "frank")->len, ==, 1);
  c = g_ptr_array_index (found, 0);
  g_assert_cmpstr (c->email, ==, "frank@example.org");
  g_assert_cmpstr (c->name, ==, "Frank Herbert");
  g_assert_cmpstr (c->source, ==, "keyserver");
  g_assert_cmpint (c->status, ==, SIGNET_KEY_STATUS_UNTRUSTED);
  g_assert_cmpstr (c->fingerprint, ==, signet_test_servers_env ("FRANK_FPR"));
  /* Nothing was imported by suggesting it. */
  g_assert_cmpint (status_of (f, "frank@example.org"), ==, SIGNET_KEY_STATUS_MISSING);

  g_assert_nonnull (find_email (complete_again (&found, provider, "grace@example.org"), "grace@example.org"));

  /* Frank is in LDAP's people too: found there, not on the keyserver. */
  c = find_email (complete_again (&found, provider, "fr"), "frank@example.org");
  g_assert_nonnull (c);
  g_assert_cmpstr (c->source, ==, "ldap");

  /* On the keyserver and in LDAP: one suggestion, with the keyring's key. */
  g_assert_cmpuint (complete_again (&found, provider, "alice")->len, ==, 1);
  g_assert_cmpint (((SignetCompletion *) g_ptr_array_index (found, 0))->status, ==, SIGNET_KEY_STATUS_OK);

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    g_assert_null (find_email (complete_again (&found, provider, hostile[i]), "grace@example.org"));

  signet_directory_servers_configure (f->servers, servers, trusted, FALSE);
  g_assert_cmpuint (complete_again (&found, provider, "Frank")->len, ==, 1);
  g_assert_cmpint (((SignetCompletion *) g_ptr_array_index (found, 0))->status, ==, SIGNET_KEY_STATUS_OK);

  fixture ("stop-sks", NULL);
  complete_again (&found, provider, "frank");
  fixture ("start-sks", NULL);
  /* Only LDAP's Frank is left. */
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((SignetCompletion *) g_ptr_array_index (found, 0))->source, ==, "ldap");
}

/* A key revoked on the keyserver is not suggested from it. */
static void
test_keyserver_completion_revoked (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetCompletionProvider) provider = signet_ldap_completion_new (f->directory, f->servers);
  g_autoptr(GPtrArray) found = NULL;

  /* Only the keyserver is asked here. */
  configure (f, signet_test_servers_env ("HKP_URL"), NULL);
  g_assert_null (find_email (complete_again (&found, provider, "grace"), "grace@example.org"));
  g_assert_nonnull (find_email (complete_again (&found, provider, "frank"), "frank@example.org"));
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  signet_core_init ();
  signet_test_servers_start_script ("directoryservers.py", "directory");
  if (!signet_test_servers_available ())
    g_test_add_func ("/directory-servers/skipped", test_skipped);
  else
    {
#define ADD(path, fn) \
  g_test_add ("/directory-servers/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("unconfigured", test_unconfigured);
  ADD ("ldap-completion", test_ldap_completion);
  ADD ("keyserver-completion", test_keyserver_completion);
  ADD ("locate-in-ldap", test_locate_in_ldap);
  ADD ("locate-in-order", test_locate_in_order);
  ADD ("accept", test_accept);
#define ADD_SEND(path, fn) \
  g_test_add ("/directory-servers/send-" path, SendFixture, NULL, send_setup, fn, send_teardown)
  ADD_SEND ("trusted-directory", test_send_trusted_directory);
  ADD_SEND ("untrusted-then-accept", test_send_untrusted_then_accept);
  ADD_SEND ("unreachable", test_send_unreachable);
  ADD_SEND ("revoked-on-server", test_send_revoked_on_server);
  ADD ("revocation-on-keyserver", test_revocation_on_keyserver);
  ADD ("keyserver-completion-revoked", test_keyserver_completion_revoked);
  ADD ("several", test_several);
  ADD ("revocation-in-ldap", test_revocation_in_ldap);
  ADD ("unreachable", test_unreachable);
  ADD ("unreachable-keyserver", test_unreachable_keyserver);
  ADD ("silent-server", test_silent_server);
  ADD ("offline", test_offline);
  ADD ("fresh", test_fresh);
  ADD ("cancel", test_cancel);
    }
  ret = g_test_run ();
  signet_test_servers_stop ();
  return ret;
}
