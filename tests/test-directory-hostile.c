/* The directory under attack, against a real OpenLDAP slapd and a real sks
 * keyserver (tests/servers/directoryservers.py): a directory that accepts
 * a connection and never answers, entries whose "mail" is not one address
 * or whose name reorders what is shown, an address with a "+" in it, and
 * a GnuPG home whose trust model calls every new key "marginal". What a
 * user would notice: a suggestion that cannot be cancelled, a recipient
 * smuggled into a pill, a colleague's key the directory has but Send does
 * not find, a stranger's key sealed to without being shown. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "signet-address.h"
#include "signet-core.h"
#include "signet-directory-servers.h"
#include "signet-errors.h"
#include "signet-key-directory-private.h"
#include "signet-keyring-completion.h"
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

/* Adds @ldif (entries without "changetype") to the directory, as its
 * administrator; an entry already there (an earlier test) is kept. */
static void
ldap_add (const char *ldif)
{
  const char *argv[] = { "ldapmodify", "-a", "-c", "-x", "-H", signet_test_servers_env ("LDAP_URL"),
                         "-D", signet_test_servers_env ("LDAP_ADMIN_DN"),
                         "-y", signet_test_servers_env ("LDAP_ADMIN_PASSWORD_FILE"), NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, ldif, NULL, NULL, &err, &error));
  g_assert_no_error (error);
  /* 68: already exists. */
  if (!g_subprocess_get_successful (process) && g_subprocess_get_exit_status (process) != 68)
    g_error ("ldapmodify: %s", err);
}

static void
configure (Fixture *f, const char *first, const char *second)
{
  const char *servers[] = { first, second, NULL };

  signet_directory_servers_configure (f->servers, servers, NULL, FALSE);
}

static SignetKeyStatus
status_of (Fixture *f, const char *email)
{
  return signet_test_key_status (f->directory, email);
}

/* ---- completion ---------------------------------------------------------- */

/* Lives on the heap: a search that never ends may still answer after the
 * test gave up on it. */
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

/* Runs the main context until @found is done or @seconds passed. */
static gboolean
wait_found (Found *found, double seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!found->done && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return found->done;
}

static void
found_free (Found *found)
{
  g_clear_pointer (&found->found, g_ptr_array_unref);
  g_clear_error (&found->error);
  g_free (found);
}

static GPtrArray *
complete (SignetCompletionProvider *provider, const char *prefix)
{
  Found *found = g_new0 (Found, 1);
  GPtrArray *people;

  signet_completion_provider_search_async (provider, prefix, 0, NULL, on_found, found);
  g_assert_true (wait_found (found, 20));
  g_assert_no_error (found->error);
  people = g_steal_pointer (&found->found);
  if (found->done)
    found_free (found);
  return people != NULL ? people : g_ptr_array_new ();
}

/* A directory that takes the connection and then never answers (here:
 * slapd frozen): a new keystroke cancels the search, and the search ends
 * at once; without a cancel it gives up after a few seconds, as a search
 * that does not answer does. The bind used to wait without end, deaf to
 * the cancel, holding a worker thread for each keystroke. */
static void
test_completion_silent_directory (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetCompletionProvider) provider = signet_ldap_completion_new (f->directory, f->servers);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Found *cancelled = g_new0 (Found, 1);
  Found *unanswered = g_new0 (Found, 1);
  gboolean cancelled_ended, unanswered_ended;
  gint64 start;

  configure (f, signet_test_servers_env ("LDAP_URL"), NULL);
  fixture ("pause", "ldap");
  signet_completion_provider_search_async (provider, "Al", 0, cancellable, on_found, cancelled);
  signet_completion_provider_search_async (provider, "Mar", 0, NULL, on_found, unanswered);
  g_usleep (300 * 1000);
  g_cancellable_cancel (cancellable);
  start = g_get_monotonic_time ();
  cancelled_ended = wait_found (cancelled, 2);
  unanswered_ended = wait_found (unanswered, 10);
  g_test_message ("cancelled search ended: %d, unanswered search ended: %d after %.1f s", cancelled_ended,
                  unanswered_ended, (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
  fixture ("resume", "ldap");
  g_assert_true (cancelled_ended);
  g_assert_true (unanswered_ended);
  if (!cancelled_ended || !unanswered_ended)
    return;  /* what is still running answers into its Found later */
  g_assert_error (cancelled->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (unanswered->error);
  g_assert_nonnull (unanswered->found);
  if (unanswered->found != NULL)
    g_assert_cmpuint (unanswered->found->len, ==, 0);
  found_free (cancelled);
  found_free (unanswered);
}

static gboolean
has_control_or_bidi (const char *text)
{
  for (const char *p = text; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
          c == 0x200e || c == 0x200f)
        return TRUE;
    }
  return FALSE;
}

/* What the directory says of a person becomes a pill as it is: a "mail"
 * that is two addresses, or an address and a line break and another,
 * would put a second, unseen recipient into one pill; a name with a
 * right-to-left override shows the address that follows it backwards. A
 * suggestion carries one valid address, and a name that shows as it is. */
static void
test_completion_hostile_entries (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetCompletionProvider) provider = signet_ldap_completion_new (f->directory, f->servers);
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *ldif = NULL;
  const char *people = signet_test_servers_env ("LDAP_PEOPLE");
  g_autofree char *two = g_base64_encode ((const guchar *) "smuggle.two@example.org\nmallory@evil.example", 44);
  const char *rlo = "Smuggle Three \xe2\x80\xae" "gro.elpmaxe@lihc";
  g_autofree char *three = g_base64_encode ((const guchar *) rlo, strlen (rlo));

  ldif = g_strdup_printf ("dn: uid=smuggle.one,%s\nobjectClass: inetOrgPerson\nuid: smuggle.one\n"
                          "cn: Smuggle One\nsn: One\nmail: smuggle.one@example.org, mallory@evil.example\n\n"
                          "dn: uid=smuggle.two,%s\nobjectClass: inetOrgPerson\nuid: smuggle.two\n"
                          "cn: Smuggle Two\nsn: Two\nmail:: %s\n\n"
                          "dn: uid=smuggle.three,%s\nobjectClass: inetOrgPerson\nuid: smuggle.three\n"
                          "cn:: %s\nsn: Three\nmail: smuggle.three@example.org\n\n",
                          people, people, two, people, three);
  ldap_add (ldif);
  configure (f, signet_test_servers_env ("LDAP_URL"), NULL);
  found = complete (provider, "Smuggle");
  for (guint i = 0; i < found->len; i++)
    {
      const SignetCompletion *c = g_ptr_array_index (found, i);

      g_test_message ("suggested: name “%s”, address “%s”", c->name, c->email);
      g_assert_true (signet_address_is_valid_email (c->email));
      g_assert_false (has_control_or_bidi (c->name));
    }
  /* The one good address is still suggested. */
  g_assert_cmpuint (found->len, >=, 1);
}

/* What the keyring suggests, from user IDs anyone can put on a keyserver
 * (the directory imports what it finds there, accepted or not): a name
 * with a right-to-left override that would show "alice@example.org"
 * where mallory's address is is not shown; the address is. */
static void
test_keyring_completion_reordering (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetKeyringCompletion) keyring = signet_keyring_completion_new (f->directory);
  g_autoptr(GPtrArray) found = NULL;
  gboolean mallory = FALSE;

  signet_test_add_key (f->home, "Alicia \xe2\x80\xae" "gro.elpmaxe@aicila <mallory@evil.example>");
  found = complete (SIGNET_COMPLETION_PROVIDER (keyring), "Alicia");
  for (guint i = 0; i < found->len; i++)
    {
      const SignetCompletion *c = g_ptr_array_index (found, i);

      g_test_message ("suggested: name “%s”, address “%s”", c->name, c->email);
      g_assert_false (has_control_or_bidi (c->name));
      mallory |= g_strcmp0 (c->email, "mallory@evil.example") == 0;
    }
  /* Found by the name typed, shown by its address alone. */
  g_assert_true (mallory);
}

/* ---- locating keys ------------------------------------------------------- */

/* A colleague with a sub-address ("paula+work@") whose key is only in the
 * LDAP directory: Send locates it as any other. dirmngr reads a search
 * pattern percent-plus escaped, so "+" sent as it is became a space and
 * the directory was asked for "paula work@example.org". */
static void
test_locate_plus_address (Fixture *f, gconstpointer data)
{
  char *keys = signet_test_make_tmpdir ();  /* freed by signet_test_remove_gnupghome() */
  g_autofree char *fpr = NULL;
  g_autofree char *armored = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *ldif = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autoptr(GError) error = NULL;
  const char *emails[] = { "paula+work@example.org", NULL };
  const SignetDirectoryFind *find;

  {
    const char *gen[] = { "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                          "Paula Plus <paula+work@example.org>", "future-default", "default", "never", NULL };
    const char *list[] = { "--with-colons", "--list-keys", "<paula+work@example.org>", NULL };
    const char *export[] = { "--armor", "--export", "<paula+work@example.org>", NULL };
    g_autofree char *gen_out = signet_test_gpg_output (keys, gen, NULL, TRUE);
    g_autofree char *listing = signet_test_gpg_output (keys, list, NULL, TRUE);
    const char *line = strstr (listing, "\nfpr:");

    g_assert_nonnull (line);
    fpr = g_strndup (line + strlen ("\nfpr:::::::::"), 40);
    armored = signet_test_gpg_output (keys, export, NULL, TRUE);
  }
  encoded = g_base64_encode ((const guchar *) armored, strlen (armored));
  ldif = g_strdup_printf ("dn: pgpCertID=%s,%s\nobjectClass: pgpKeyInfo\npgpCertID: %s\npgpKeyID: %s\n"
                          "gpgFingerprint: %s\npgpUserID: Paula Plus <paula+work@example.org>\n"
                          "gpgMailbox: paula+work@example.org\npgpRevoked: 0\npgpDisabled: 0\npgpKey:: %s\n\n",
                          fpr + 24, signet_test_servers_env ("LDAP_KEYS"), fpr + 24, fpr + 32, fpr, encoded);
  ldap_add (ldif);
  signet_test_remove_gnupghome (keys);

  configure (f, signet_test_servers_env ("LDAP_URL"), NULL);
  finds = signet_directory_servers_update_sync (f->servers, emails, NULL, &error);
  g_assert_no_error (error);
  if (finds == NULL)
    return;
  g_assert_cmpuint (finds->len, ==, 1);
  if (finds->len != 1)
    return;
  find = g_ptr_array_index (finds, 0);
  g_assert_cmpstr (find->origin, ==, signet_test_servers_env ("LDAP_URL"));
  g_assert_cmpuint (g_strv_length (find->fingerprints), ==, 1);
  g_assert_cmpstr (find->fingerprints[0], ==, fpr);
}

/* ---- a keyserver that misbehaves (tests/servers/hostilehkp.py) ----------- */

typedef struct {
  GSubprocess *process;
  char        *url;
} Hostile;

/* Starts tests/servers/@script_name with @mode and what follows it. */
static void
hostile_start_script (Hostile *h, const char *script_name, const char *scheme, const char *mode,
                      const char *address, const char *arg, const char *delay)
{
  g_autofree char *script = signet_test_servers_script (script_name);
  const char *argv[] = { "/usr/bin/python3", script, mode, address, arg, delay, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  h->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (h->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (line != NULL && g_str_has_prefix (line, "PORT="));
  h->url = g_strdup_printf ("%s://127.0.0.1:%s", scheme, line + strlen ("PORT="));
}

static void
hostile_start (Hostile *h, const char *mode, const char *address, const char *arg, const char *delay)
{
  hostile_start_script (h, "hostilehkp.py", "hkp", mode, address, arg, delay);
}

static void
hostile_stop (Hostile *h)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (h->process), NULL, NULL);
  g_subprocess_wait (h->process, NULL, NULL);
  g_clear_object (&h->process);
  g_clear_pointer (&h->url, g_free);
}

typedef struct {
  gboolean   done;
  GPtrArray *finds;
  GError    *error;
} Updated;

static void
on_updated (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Updated *u = user_data;

  u->finds = signet_directory_servers_update_finish (SIGNET_DIRECTORY_SERVERS (object), result, &u->error);
  u->done = TRUE;
}

/* Updates @email; TRUE if that ended within @seconds (else it is cancelled
 * and waited for). */
static gboolean
update_within (Fixture *f, const char *email, double seconds, Updated *u)
{
  const char *emails[] = { email, NULL };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  signet_directory_servers_update_async (f->servers, emails, cancellable, on_updated, u);
  while (!u->done && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  if (u->done)
    return TRUE;
  g_cancellable_cancel (cancellable);
  while (!u->done)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return FALSE;
}

/* A keyserver whose search lists hundreds of keys for the address, each
 * of which it then takes its time not to have (within the per-call
 * timeout): Send is not left checking for minutes. */
static void
test_many_candidates (Fixture *f, gconstpointer data)
{
  Hostile h = { NULL, NULL };
  Updated u = { FALSE, NULL, NULL };
  gboolean ended;

  hostile_start (&h, "many", "many@example.org", "200", "0.5");
  configure (f, h.url, NULL);
  signet_directory_servers_set_call_timeout (f->servers, 2);
  ended = update_within (f, "many@example.org", 30, &u);
  hostile_stop (&h);
  g_test_message ("ended: %d; error: %s", ended, u.error != NULL ? u.error->message : "none");
  g_assert_true (ended);
  g_clear_pointer (&u.finds, g_ptr_array_unref);
  g_clear_error (&u.error);
}

static guint64
peak_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmHWM:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10);
}

/* A keyserver that answers a key with hundreds of MiB: the answer is not
 * gathered in memory without bound (the call fails, naming the server),
 * and nothing is imported. */
static void
test_huge_key (Fixture *f, gconstpointer data)
{
  Hostile h = { NULL, NULL };
  Updated u = { FALSE, NULL, NULL };
  guint64 before = peak_kib (), after;
  gboolean ended;

  hostile_start (&h, "huge", "huge@example.org", "400", NULL);
  configure (f, h.url, NULL);
  ended = update_within (f, "huge@example.org", 60, &u);
  hostile_stop (&h);
  after = peak_kib ();
  g_test_message ("peak memory grew by %" G_GUINT64_FORMAT " KiB; error: %s", after - before,
                  u.error != NULL ? u.error->message : "none");
  g_assert_true (ended);
  g_assert_cmpuint (after - before, <, 128 * 1024);
  g_assert_cmpint (status_of (f, "huge@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
  g_clear_pointer (&u.finds, g_ptr_array_unref);
  g_clear_error (&u.error);
}

/* A directory that answers each page at once with no one in it and asks
 * for one more: the suggestions end after a few seconds, as a directory
 * that does not answer does, instead of paging on for as long as nobody
 * types (or, before, even past a cancel). */
static void
test_completion_endless_pages (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetCompletionProvider) provider = signet_ldap_completion_new (f->directory, f->servers);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Hostile h = { NULL, NULL };
  g_autofree char *url = NULL;
  Found *found = g_new0 (Found, 1);
  gboolean ended, ended_on_cancel;

  hostile_start_script (&h, "hostileldap.py", "ldap", "endless-pages", NULL, NULL, NULL);
  url = g_strdup_printf ("%s/dc=example,dc=org", h.url);
  configure (f, url, NULL);
  signet_completion_provider_search_async (provider, "Al", 0, cancellable, on_found, found);
  ended = wait_found (found, 15);
  g_cancellable_cancel (cancellable);
  ended_on_cancel = wait_found (found, 5);
  hostile_stop (&h);
  g_test_message ("ended by itself: %d; on a cancel: %d", ended, ended_on_cancel);
  g_assert_true (ended);
  if (!ended_on_cancel)
    return;  /* it answers into its Found later */
  if (ended)
    {
      g_assert_no_error (found->error);
      g_assert_nonnull (found->found);
    }
  found_free (found);
}

/* A colleague whose old key expired in the keyring and whose new key is in
 * the directory: Send finds the new key. The keyring's expired key used to
 * be all that was asked for (refreshed by its fingerprint, which the
 * directory no longer has), so the new key was never located and the
 * colleague could only be refused as "expired". */
static void
test_locate_after_expiry (Fixture *f, gconstpointer data)
{
  const char *gen[] = { "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                        "--faked-system-time", "20200101T000000", "--quick-gen-key",
                        "Dora Old <dora@example.org>", "future-default", "default", "1d", NULL };
  const char *emails[] = { "dora@example.org", NULL };
  g_autofree char *out = signet_test_gpg_output (f->home, gen, NULL, TRUE);
  g_autoptr(GPtrArray) finds = NULL;
  g_autoptr(GError) error = NULL;
  const SignetDirectoryFind *find;

  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_EXPIRED);
  configure (f, signet_test_servers_env ("LDAP_URL"), NULL);
  finds = signet_directory_servers_update_sync (f->servers, emails, NULL, &error);
  g_assert_no_error (error);
  if (finds == NULL)
    return;
  g_assert_cmpuint (finds->len, ==, 1);
  if (finds->len != 1)
    return;
  find = g_ptr_array_index (finds, 0);
  g_assert_true (find->fingerprints != NULL &&
                 g_strv_contains ((const char * const *) find->fingerprints, signet_test_servers_env ("DORA_FPR")));
  g_assert_cmpstr (find->origin, ==, signet_test_servers_env ("LDAP_URL"));
  g_assert_true (find->found);
  /* Found, not certified: shown for acceptance, no longer "expired". */
  g_assert_cmpint (status_of (f, "dora@example.org"), ==, SIGNET_KEY_STATUS_UNTRUSTED);
}

/* ---- acceptance ---------------------------------------------------------- */

/* A GnuPG home with "trust-model tofu+pgp" (a common choice) calls a key
 * it has just seen for a new address "marginal". A key found on a public
 * keyserver (not trusted as the organisation's) must still be shown and
 * accepted before anything is sealed to it. */
static void
test_tofu_home_still_asks (Fixture *f, gconstpointer data)
{
  g_autofree char *conf = g_build_filename (f->home, "gpg.conf", NULL);
  g_autofree char *text = NULL;
  g_autofree char *with_tofu = NULL;
  g_autoptr(GPtrArray) finds = NULL;
  g_autoptr(GError) error = NULL;
  const char *emails[] = { "frank@example.org", NULL };

  if (!g_file_get_contents (conf, &text, NULL, NULL))
    text = g_strdup ("");
  with_tofu = g_strconcat (text, "trust-model tofu+pgp\n", NULL);
  g_assert_true (g_file_set_contents (conf, with_tofu, -1, NULL));
  configure (f, signet_test_servers_env ("HKP_URL"), NULL);
  g_assert_cmpint (status_of (f, "frank@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
  finds = signet_directory_servers_update_sync (f->servers, emails, NULL, &error);
  g_assert_no_error (error);
  if (finds == NULL)
    return;
  g_assert_cmpuint (finds->len, ==, 1);
  if (finds->len != 1)
    return;
  g_assert_cmpstr (((SignetDirectoryFind *) g_ptr_array_index (finds, 0))->origin, ==,
                   signet_test_servers_env ("HKP_URL"));
  g_assert_false (signet_directory_servers_is_trusted (f->servers, signet_test_servers_env ("HKP_URL")));
  g_assert_cmpint (status_of (f, "frank@example.org"), ==, SIGNET_KEY_STATUS_UNTRUSTED);
}

/* ---- the sender's own key ------------------------------------------------ */

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

static guint
count_in (SendFixture *f, const char *folder)
{
  return signet_test_count_messages (f->s.mail, folder);
}

static void
run_in (const char *home, const char *script)
{
  const char *argv[] = { "/bin/sh", "-ec", script, "sh", home, NULL };
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s: %s", script, err);
}

/* The sender's own key, valid in the keyring, was revoked and the
 * revocation published on the directory's keyserver: Send refreshes it
 * before choosing it, and refuses to seal to it, saying the sender's own
 * key is the problem. The own key used to be chosen before the refresh,
 * so the refreshed, revoked key was then handed to gpg to seal to. */
static void
test_own_key_revoked_on_server (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
  char *other = signet_test_make_tmpdir ();  /* freed by signet_test_remove_gnupghome() */
  g_autofree char *script = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *own = NULL;
  const char *list[] = { "--with-colons", "--list-secret-keys", "<demo@example.org>", NULL };
  const char *import[] = { "--import", NULL };
  const char *line;

  listing = signet_test_gpg_output (f->home, list, NULL, TRUE);
  line = strstr (listing, "\nfpr:");
  g_assert_nonnull (line);
  own = g_strndup (line + strlen ("\nfpr:::::::::"), 40);
  /* A copy of the public key, revoked there, goes to the keyserver; the
   * keyring keeps its unrevoked key. */
  script = g_strdup_printf ("gpg --homedir \"$1\" --batch --armor --export %s > \"$1/own.asc\"\n"
                            "printf 'y\\n0\\n\\ny\\n' | gpg --homedir \"$1\" --no-tty --pinentry-mode loopback "
                            "--passphrase '' --command-fd 0 --armor --output \"$1/own.rev\" --gen-revoke %s\n",
                            own, own);
  run_in (f->home, script);
  g_free (script);
  script = g_strdup_printf ("gpg --homedir \"$1\" --batch --import %s/own.asc %s/own.rev\n"
                            "gpg --homedir \"$1\" --batch --keyserver %s --send-keys %s\n",
                            f->home, f->home, signet_test_servers_env ("HKP_URL"), own);
  run_in (other, script);
  signet_test_remove_gnupghome (other);
  {
    g_autofree char *out = signet_test_gpg_output (f->home, import, signet_test_servers_env ("ALICE_KEY"), TRUE);
  }
  signet_key_directory_accept (f->s.directory, signet_test_servers_env ("ALICE_FPR"), "alice@example.org");

  {
    const char *servers[] = { signet_test_servers_env ("HKP_URL"), NULL };
    signet_directory_servers_configure (f->servers, servers, NULL, FALSE);
  }
  signet_send_operation_send_async (f->s.operation, message, NULL, signet_test_on_sent, &outcome);
  signet_test_wait_until (signet_test_outcome_done, &outcome);
  g_test_message ("send: %s", outcome.error != NULL ? outcome.error->message : "sent");
  g_assert_false (outcome.ok);
  g_assert_error (outcome.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY);
  g_assert_cmpuint (count_in (f, "Outbox") + count_in (f, "Sent"), ==, 0);
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* One test failing leaves the others to run (and the servers to stop). */
  g_test_set_nonfatal_assertions ();
  signet_core_init ();
  signet_test_servers_start_script ("directoryservers.py", "hostile");
  if (!signet_test_servers_available ())
    g_test_add_func ("/directory-hostile/skipped", test_skipped);
  else
    {
#define ADD(path, fn) \
  g_test_add ("/directory-hostile/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
      ADD ("completion-silent-directory", test_completion_silent_directory);
      ADD ("completion-hostile-entries", test_completion_hostile_entries);
      ADD ("keyring-completion-reordering", test_keyring_completion_reordering);
      ADD ("locate-plus-address", test_locate_plus_address);
      ADD ("locate-after-expiry", test_locate_after_expiry);
      ADD ("completion-endless-pages", test_completion_endless_pages);
      ADD ("many-candidates", test_many_candidates);
      ADD ("huge-key", test_huge_key);
      ADD ("tofu-home-still-asks", test_tofu_home_still_asks);
      g_test_add ("/directory-hostile/own-key-revoked-on-server", SendFixture, NULL, send_setup,
                  test_own_key_revoked_on_server, send_teardown);
    }
  ret = g_test_run ();
  signet_test_servers_stop ();
  return ret;
}
