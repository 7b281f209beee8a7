/* S/MIME through gpgsm against a real OpenLDAP slapd holding X.509
 * certificates and its CA's CRL (tests/servers/x509directory.py): a
 * certificate only in the directory is found and sealed to; a revoked, an
 * expired and an untrusted one are refused by name; what Signet seals
 * opens with gpgsm and with OpenSSL, and what it signs verifies with both. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-cms-sealer.h"
#include "signet-core.h"
#include "signet-directory-servers.h"
#include "signet-errors.h"
#include "signet-sealer.h"
#include "signet-send-operation.h"
#include "signet-smime.h"
#include "signet-test-util.h"

typedef struct {
  char                   *home;
  char                   *work;
  SignetTestMonitor      *monitor;
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
run_checked (const char * const *argv, const char *input_path, char **out, char **err, gboolean expect)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *o = NULL, *e = NULL;

  if (input_path != NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, input_path);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &o, &e, &error));
  g_assert_no_error (error);
  if (g_subprocess_get_successful (process) != expect)
    g_error ("%s %s: %s%s", argv[0], argv[1], o, e);
  if (out != NULL)
    *out = g_steal_pointer (&o);
  if (err != NULL)
    *err = g_steal_pointer (&e);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *script = signet_test_servers_script ("x509directory.py");
  g_autofree char *dir = g_strdup (signet_test_servers_env ("DIR"));
  g_autofree char *url = g_strdup_printf ("%s/%s", signet_test_servers_env ("LDAP_URL"),
                                          signet_test_servers_env ("LDAP_BASE"));
  const char *servers[] = { url, NULL };

  f->work = signet_test_make_tmpdir ();
  f->home = g_build_filename (f->work, "h", NULL);
  {
    /* dirmngr.conf names no server: Signet gives dirmngr its own. */
    const char *argv[] = { "/usr/bin/python3", script, "smime-home", dir, f->home, "--no-servers", "--secret", "tim",
                           NULL };
    run_checked (argv, NULL, NULL, NULL, TRUE);
  }
  f->monitor = signet_test_monitor_new (TRUE);
  f->network = signet_network_new (G_NETWORK_MONITOR (f->monitor));
  f->directory = signet_key_directory_new (f->home, f->network);
  f->servers = signet_directory_servers_new (f->directory, f->home);
  signet_directory_servers_configure (f->servers, servers, servers, FALSE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "gpgconf", "--homedir", f->home, "--kill", "all", NULL };

  g_clear_object (&f->servers);
  g_clear_object (&f->directory);
  g_clear_object (&f->network);
  g_clear_object (&f->monitor);
  run_checked (argv, NULL, NULL, NULL, TRUE);
  signet_test_remove_tree (f->work);
  g_free (f->home);
  g_free (f->work);
}

static GPtrArray *
resolve (Fixture *f, SignetDirectoryServers *servers, const char * const *emails)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *results = signet_smime_resolve_sync (f->directory, servers, emails, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (results);
  return results;
}

static const SignetKeyResult *
result_at (GPtrArray *results, guint i)
{
  return g_ptr_array_index (results, i);
}

/* Certificates only in the directory: found, imported and judged by gpgsm. */
static void
test_resolve (Fixture *f, gconstpointer data)
{
  const char *emails[] = { "hedy@example.org", "ida@example.org", "karl@example.org", "lise@example.org",
                           "nobody@example.org", NULL };
  const char *hedy[] = { "hedy@example.org", NULL };
  g_autoptr(GPtrArray) before = resolve (f, NULL, hedy);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) offline = NULL;

  /* Without the directory: the keybox alone, which lacks it. */
  g_assert_cmpint (result_at (before, 0)->status, ==, SIGNET_KEY_STATUS_MISSING);

  results = resolve (f, f->servers, emails);
  g_assert_cmpuint (results->len, ==, 5);
  g_assert_cmpint (result_at (results, 0)->status, ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpstr (result_at (results, 0)->fingerprint, ==, signet_test_servers_env ("HEDY_X509_FPR"));
  g_assert_nonnull (strstr (result_at (results, 0)->user_id, "Hedy Lamarr"));
  g_assert_cmpint (result_at (results, 1)->status, ==, SIGNET_KEY_STATUS_REVOKED);
  g_assert_cmpint (result_at (results, 2)->status, ==, SIGNET_KEY_STATUS_EXPIRED);
  g_assert_cmpint (result_at (results, 3)->status, ==, SIGNET_KEY_STATUS_UNTRUSTED);
  g_assert_cmpint (result_at (results, 4)->status, ==, SIGNET_KEY_STATUS_MISSING);
  /* Each refusal has a name a person reads. */
  g_assert_cmpstr (signet_key_status_describe (SIGNET_KEY_STATUS_REVOKED), !=,
                   signet_key_status_describe (SIGNET_KEY_STATUS_EXPIRED));

  /* Now in the keybox: found offline too, and nothing is asked. */
  signet_test_monitor_set_available (f->monitor, FALSE);
  offline = resolve (f, f->servers, hedy);
  g_assert_cmpint (result_at (offline, 0)->status, ==, SIGNET_KEY_STATUS_OK);
}

static void
test_own (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tim = signet_smime_choose_own_sync (f->directory, "tim@example.org", NULL, &error);
  g_autofree char *hedy = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (tim, ==, signet_test_servers_env ("TIM_X509_FPR"));
  hedy = signet_smime_choose_own_sync (f->directory, "hedy@example.org", NULL, &error);
  g_assert_null (hedy);
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY);
  g_assert_nonnull (strstr (error->message, "hedy@example.org"));
}

static SignetMessage *
new_message (void)
{
  SignetMessage *message = signet_test_new_message (TRUE, "Hedy Lamarr <hedy@example.org>", NULL, NULL);
  g_autoptr(SignetAddress) from = signet_address_new ("Tim Berners-Lee", "tim@example.org");

  signet_message_set_from (message, from);
  return message;
}

/* Writes @message with @fn's choice into a file of the work dir. */
static char *
write_message (Fixture *f, const char *name, SignetMessage *message, const char *signer,
               const char * const *fingerprints, GError **error)
{
  g_autoptr(SignetSealer) sealer = signet_sealer_new (f->directory);
  g_autofree char *path = g_build_filename (f->work, name, NULL);
  SignetSealOptions options = { FALSE, TRUE, signer };
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  gboolean ok;

  g_assert_cmpint (fd, >=, 0);
  if (fingerprints != NULL)
    ok = signet_cms_sealer_write_sealed (sealer, f->directory, message, &options, fingerprints, fd, NULL, error);
  else
    ok = signet_cms_sealer_write_signed (sealer, f->directory, message, &options, fd, NULL, error);
  close (fd);
  return ok ? g_steal_pointer (&path) : NULL;
}

/* The Base64 body of the single-part message at @path, decoded into a file. */
static char *
body_der (Fixture *f, const char *path)
{
  g_autofree char *text = signet_test_read_file (path);
  const char *body = strstr (text, "\n\n");
  g_autofree char *der_path = g_strconcat (path, ".der", NULL);
  gsize length;
  g_autofree guchar *der = NULL;

  g_assert_nonnull (body);
  der = g_base64_decode (body + 2, &length);
  g_assert_cmpuint (length, >, 100);
  g_assert_true (g_file_set_contents (der_path, (const char *) der, length, NULL));
  return g_steal_pointer (&der_path);
}

static const char *
env_path (const char *key)
{
  return signet_test_servers_env (key);
}

static void
test_seal (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message ();
  const char *fingerprints[] = { env_path ("HEDY_X509_FPR"), env_path ("TIM_X509_FPR"), NULL };
  const char *hedy[] = { "hedy@example.org", NULL };
  g_autoptr(GPtrArray) found = resolve (f, f->servers, hedy);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_message (f, "sealed.eml", message, NULL, fingerprints, &error);
  g_autofree char *text = NULL, *der = NULL, *plain = NULL, *opened = NULL;
  g_autofree char *hedy_key = NULL;

  g_assert_no_error (error);
  text = signet_test_read_file (path);
  g_assert_nonnull (strstr (text, "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m"));
  g_assert_nonnull (strstr (text, "Content-Transfer-Encoding: base64"));
  /* Nothing of the text, nor the real subject, outside. */
  g_assert_null (strstr (text, "merger"));
  g_assert_null (strstr (text, "Board minutes"));
  g_assert_nonnull (strstr (text, "To: Hedy Lamarr <hedy@example.org>"));

  /* The sender's own copy opens with gpgsm and tim's key. */
  der = body_der (f, path);
  {
    const char *argv[] = { "gpgsm", "--homedir", f->home, "--batch", "--decrypt", der, NULL };
    run_checked (argv, NULL, &plain, NULL, TRUE);
  }
  g_assert_nonnull (strstr (plain, "the merger is on"));
  g_assert_nonnull (strstr (plain, "Subject: Board minutes"));
  g_assert_nonnull (strstr (plain, "protected-headers=v1"));

  /* The recipient's opens with OpenSSL, an implementation of its own. */
  hedy_key = g_strdup_printf ("%s/x509/hedy.key", signet_test_servers_env ("DIR"));
  {
    const char *argv[] = { "openssl", "cms", "-decrypt", "-in", path, "-recip", env_path ("HEDY_CERT"),
                           "-inkey", hedy_key, NULL };
    run_checked (argv, NULL, &opened, NULL, TRUE);
  }
  g_assert_nonnull (strstr (opened, "the merger is on"));
}

/* gpgsm judges the certificates again as it seals: a revoked one stops it,
 * named. */
static void
test_seal_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message ();
  const char *emails[] = { "ida@example.org", NULL };
  g_autoptr(GPtrArray) found = resolve (f, f->servers, emails);
  const char *fingerprints[] = { env_path ("IDA_X509_FPR"), NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_message (f, "refused.eml", message, NULL, fingerprints, &error);

  g_assert_null (path);
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS);
  g_assert_nonnull (strstr (error->message, env_path ("IDA_X509_FPR")));
  g_assert_nonnull (strstr (error->message, "revoked"));
}

/* The parts of multipart/signed at @path: the content, canonical (CRLF),
 * and the signature, decoded; each into a file. */
static void
split_signed (const char *path, char **content_path, char **signature_path)
{
  g_autofree char *text = signet_test_read_file (path);
  const char *start = strstr (text, "boundary=\"");
  g_autofree char *boundary = NULL;
  g_autofree char *open = NULL, *middle = NULL;
  const char *content, *end, *sig, *sig_end;
  g_autofree char *lf = NULL;
  g_autoptr(GString) crlf = g_string_new (NULL);
  g_autofree guchar *der = NULL;
  gsize length;

  g_assert_nonnull (start);
  start += strlen ("boundary=\"");
  boundary = g_strndup (start, strchr (start, '"') - start);
  open = g_strdup_printf ("\n--%s\n", boundary);
  middle = g_strdup_printf ("\n--%s\n", boundary);
  content = strstr (text, open) + strlen (open);
  end = strstr (content, middle);
  g_assert_nonnull (end);
  lf = g_strndup (content, end - content);
  for (const char *c = lf; *c != '\0'; c++)
    g_string_append (crlf, *c == '\n' ? "\r\n" : (char[]) { *c, '\0' });
  sig = strstr (end + strlen (middle), "\n\n") + 2;
  sig_end = strstr (sig, "\n--");
  {
    g_autofree char *b64 = g_strndup (sig, sig_end - sig);
    der = g_base64_decode (b64, &length);
  }
  *content_path = g_strconcat (path, ".content", NULL);
  *signature_path = g_strconcat (path, ".p7s", NULL);
  g_assert_true (g_file_set_contents (*content_path, crlf->str, crlf->len, NULL));
  g_assert_true (g_file_set_contents (*signature_path, (const char *) der, length, NULL));
}

static void
test_sign (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_message (f, "signed.eml", message, env_path ("TIM_X509_FPR"), NULL, &error);
  g_autofree char *text = NULL, *content = NULL, *signature = NULL, *out = NULL, *err = NULL;

  g_assert_no_error (error);
  text = signet_test_read_file (path);
  g_assert_nonnull (strstr (text, "multipart/signed"));
  g_assert_nonnull (strstr (text, "protocol=\"application/pkcs7-signature\""));
  g_assert_nonnull (strstr (text, "micalg=sha-256"));
  g_assert_nonnull (strstr (text, "the merger is on"));

  /* OpenSSL verifies the whole message against the test CA. */
  {
    const char *argv[] = { "openssl", "cms", "-verify", "-in", path, "-CAfile", env_path ("CA_CERT"), NULL };
    run_checked (argv, NULL, &out, &err, TRUE);
  }
  g_assert_nonnull (strstr (err, "Verification successful"));
  g_assert_nonnull (strstr (out, "the merger is on"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* gpgsm verifies the signature over the content as it was sent. */
  split_signed (path, &content, &signature);
  {
    const char *argv[] = { "gpgsm", "--homedir", f->home, "--batch", "--status-fd", "1", "--verify",
                           signature, content, NULL };
    run_checked (argv, NULL, &out, &err, TRUE);
  }
  g_assert_nonnull (strstr (out, "[GNUPG:] GOODSIG"));
  g_assert_nonnull (strstr (out, env_path ("TIM_X509_FPR")));

  /* A changed byte in the content is seen. */
  {
    g_autofree char *changed = signet_test_read_file (content);
    char *at = strstr (changed, "merger");
    const char *argv[] = { "openssl", "cms", "-verify", "-in", path, "-CAfile", env_path ("CA_CERT"), NULL };
    g_autofree char *tampered = g_strdup (text);
    char *there = strstr (tampered, "merger");

    g_assert_nonnull (at);
    there[0] = 'M';
    g_assert_true (g_file_set_contents (path, tampered, -1, NULL));
    run_checked (argv, NULL, NULL, NULL, FALSE);
  }
}

/* Sealed and signed: the signature is inside the envelope. */
static void
test_seal_signed (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message ();
  const char *fingerprints[] = { env_path ("HEDY_X509_FPR"), env_path ("TIM_X509_FPR"), NULL };
  const char *hedy[] = { "hedy@example.org", NULL };
  g_autoptr(GPtrArray) found = resolve (f, f->servers, hedy);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_message (f, "both.eml", message, env_path ("TIM_X509_FPR"), fingerprints, &error);
  g_autofree char *hedy_key = g_strdup_printf ("%s/x509/hedy.key", signet_test_servers_env ("DIR"));
  g_autofree char *inner = g_strconcat (path != NULL ? path : "", ".inner", NULL);
  g_autofree char *out = NULL, *err = NULL, *text = NULL;

  g_assert_no_error (error);
  text = signet_test_read_file (path);
  g_assert_null (strstr (text, "merger"));
  {
    const char *argv[] = { "openssl", "cms", "-decrypt", "-in", path, "-recip", env_path ("HEDY_CERT"),
                           "-inkey", hedy_key, "-out", inner, NULL };
    run_checked (argv, NULL, NULL, NULL, TRUE);
  }
  {
    const char *argv[] = { "openssl", "cms", "-verify", "-in", inner, "-CAfile", env_path ("CA_CERT"), NULL };
    run_checked (argv, NULL, &out, &err, TRUE);
  }
  g_assert_nonnull (strstr (err, "Verification successful"));
  g_assert_nonnull (strstr (out, "the merger is on"));
}

/* ---- sending ------------------------------------------------------------ */

typedef struct {
  char                   *work;
  char                   *home;
  SignetTestServices      s;
  SignetDirectoryServers *servers;
} SendFixture;

static void
send_setup (SendFixture *f, gconstpointer data)
{
  g_autofree char *script = signet_test_servers_script ("x509directory.py");
  g_autofree char *url = g_strdup_printf ("%s/%s", signet_test_servers_env ("LDAP_URL"),
                                          signet_test_servers_env ("LDAP_BASE"));
  const char *servers[] = { url, NULL };

  f->work = signet_test_make_tmpdir ();
  f->home = g_build_filename (f->work, "h", NULL);
  {
    const char *argv[] = { "/usr/bin/python3", script, "smime-home", signet_test_servers_env ("DIR"), f->home,
                           "--no-servers", "--secret", "tim", NULL };
    run_checked (argv, NULL, NULL, NULL, TRUE);
  }
  signet_test_services_init (&f->s, f->home, TRUE);
  f->servers = signet_directory_servers_new (f->s.directory, f->home);
  signet_directory_servers_configure (f->servers, servers, servers, FALSE);
  signet_send_operation_set_directory_servers (f->s.operation, f->servers);
}

static void
send_teardown (SendFixture *f, gconstpointer data)
{
  const char *argv[] = { "gpgconf", "--homedir", f->home, "--kill", "all", NULL };

  g_clear_object (&f->servers);
  signet_test_services_clear (&f->s);
  run_checked (argv, NULL, NULL, NULL, TRUE);
  signet_test_remove_tree (f->work);
  g_free (f->home);
  g_free (f->work);
}

static void
send_message (SendFixture *f, const char *to, gboolean seal, gboolean sign, gboolean prefer_smime, SignetTestOutcome *outcome)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (seal, to, NULL, NULL);
  g_autoptr(SignetAddress) from = signet_address_new ("Tim Berners-Lee", "tim@example.org");

  signet_message_set_from (message, from);
  signet_message_set_sign (message, sign);
  g_object_set (f->s.operation, "prefer-smime", prefer_smime, NULL);
  signet_send_operation_send_async (f->s.operation, message, NULL, signet_test_on_sent, outcome);
  signet_test_wait_until (signet_test_outcome_done, outcome);
}

static gboolean
has_file (gpointer dir)
{
  return signet_test_count_files (dir) > 0;
}

/* The one message delivered to @email. */
static char *
delivered (SendFixture *f, const char *email)
{
  g_autofree char *inbox = g_build_filename (f->s.dir, "Local", email, "Inbox", "new", NULL);
  g_autoptr(GDir) dir = NULL;

  signet_test_wait_until (has_file, inbox);
  dir = g_dir_open (inbox, 0, NULL);
  return g_build_filename (inbox, g_dir_read_name (dir), NULL);
}

/* Messages queued or sent: none when a send was refused. */
static guint
written (SendFixture *f)
{
  const char *paths[] = { "Outbox/new", "Outbox/cur", "Sent/new", "Sent/cur" };
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *dir = g_build_filename (f->s.mail, paths[i], NULL);
      n += signet_test_count_files (dir);
    }
  return n;
}

/* A recipient with only a certificate in the directory, a sender with only
 * a certificate: S/MIME, with OpenPGP first in the order. */
static void
test_send_smime_only (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };
  g_autofree char *path = NULL, *text = NULL, *opened = NULL;
  g_autofree char *hedy_key = g_strdup_printf ("%s/x509/hedy.key", signet_test_servers_env ("DIR"));

  send_message (f, "Hedy Lamarr <hedy@example.org>", TRUE, FALSE, FALSE, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  g_assert_cmpstr (outcome.report->own_fingerprint, ==, env_path ("TIM_X509_FPR"));
  g_assert_true (outcome.report->smime);
  path = delivered (f, "hedy@example.org");
  text = signet_test_read_file (path);
  g_assert_nonnull (strstr (text, "application/pkcs7-mime; smime-type=enveloped-data"));
  g_assert_null (strstr (text, "merger"));
  {
    const char *argv[] = { "openssl", "cms", "-decrypt", "-in", path, "-recip", env_path ("HEDY_CERT"),
                           "-inkey", hedy_key, NULL };
    run_checked (argv, NULL, &opened, NULL, TRUE);
  }
  g_assert_nonnull (strstr (opened, "the merger is on"));
}

/* Revoked and expired certificates are refused by name, as OpenPGP keys. */
static void
test_send_refused (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };

  send_message (f, "ida@example.org, karl@example.org, lise@example.org", TRUE, FALSE, FALSE, &outcome);
  g_assert_false (outcome.ok);
  g_assert_error (outcome.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS);
  g_assert_nonnull (outcome.key_results);
  g_assert_cmpint (signet_key_results_lookup (outcome.key_results, "ida@example.org")->status, ==,
                   SIGNET_KEY_STATUS_REVOKED);
  g_assert_cmpint (signet_key_results_lookup (outcome.key_results, "karl@example.org")->status, ==,
                   SIGNET_KEY_STATUS_EXPIRED);
  g_assert_cmpint (signet_key_results_lookup (outcome.key_results, "lise@example.org")->status, ==,
                   SIGNET_KEY_STATUS_UNTRUSTED);
  g_assert_cmpuint (written (f), ==, 0);
}

/* An OpenPGP-only and an S/MIME-only recipient: one message cannot be
 * sealed both ways; the error says who blocks which. */
static void
test_send_mix (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };

  send_message (f, "dora@example.org, hedy@example.org", TRUE, FALSE, FALSE, &outcome);
  g_assert_false (outcome.ok);
  g_assert_error (outcome.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS);
  g_assert_nonnull (strstr (outcome.error->message, "OpenPGP cannot reach hedy@example.org, tim@example.org."));
  g_assert_nonnull (strstr (outcome.error->message, "S/MIME cannot reach dora@example.org."));
  /* No list of statuses: each can be reached, only not the same way. */
  g_assert_null (outcome.key_results);
  g_assert_cmpuint (written (f), ==, 0);
}

static gboolean checked_smime;

static void
on_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SignetTestOutcome *outcome = user_data;

  outcome->key_results = signet_send_operation_check_names_finish (SIGNET_SEND_OPERATION (source), result,
                                                                   &outcome->error);
  checked_smime = signet_send_operation_check_names_smime (SIGNET_SEND_OPERATION (source), result);
  outcome->done = TRUE;
}

/* Which technology Check Names says the message will be sealed with. */
static gboolean
check_says_smime (SendFixture *f, const char *to)
{
  g_auto(SignetTestOutcome) outcome = { 0 };
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, to, NULL, NULL);

  checked_smime = -1;
  signet_send_operation_check_names_async (f->s.operation, message, NULL, on_checked, &outcome);
  signet_test_wait_until (signet_test_outcome_done, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_true (signet_key_results_all_ok (outcome.key_results));
  g_assert_cmpint (checked_smime, !=, -1);
  return checked_smime;
}

/* Check Names shows a recipient with only a certificate as reachable, and
 * a revoked certificate as revoked. */
static void
test_check_names (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "hedy@example.org, ida@example.org, "
                                                              "nobody@example.org", NULL, NULL);

  signet_send_operation_check_names_async (f->s.operation, message, NULL, on_checked, &outcome);
  signet_test_wait_until (signet_test_outcome_done, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_cmpint (signet_key_results_lookup (outcome.key_results, "hedy@example.org")->status, ==,
                   SIGNET_KEY_STATUS_OK);
  g_assert_cmpint (signet_key_results_lookup (outcome.key_results, "ida@example.org")->status, ==,
                   SIGNET_KEY_STATUS_REVOKED);
  g_assert_cmpint (signet_key_results_lookup (outcome.key_results, "nobody@example.org")->status, ==,
                   SIGNET_KEY_STATUS_MISSING);
  /* Only a certificate: S/MIME; an OpenPGP key: OpenPGP, unless S/MIME
   * comes first and reaches everyone too. */
  g_assert_true (check_says_smime (f, "hedy@example.org"));
  g_assert_false (check_says_smime (f, "alice@example.org"));
  g_object_set (f->s.operation, "prefer-smime", TRUE, NULL);
  g_assert_true (check_says_smime (f, "hedy@example.org"));
  g_object_set (f->s.operation, "prefer-smime", FALSE, NULL);
}

/* S/MIME first: a clear message is signed with the sender's certificate. */
static void
test_send_signed (SendFixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) outcome = { 0 };
  g_autofree char *path = NULL, *out = NULL, *err = NULL, *text = NULL;

  send_message (f, "hedy@example.org", FALSE, TRUE, TRUE, &outcome);
  g_assert_no_error (outcome.error);
  path = delivered (f, "hedy@example.org");
  text = signet_test_read_file (path);
  g_assert_nonnull (strstr (text, "application/pkcs7-signature"));
  {
    const char *argv[] = { "openssl", "cms", "-verify", "-in", path, "-CAfile", env_path ("CA_CERT"), NULL };
    run_checked (argv, NULL, &out, &err, TRUE);
  }
  g_assert_nonnull (strstr (err, "Verification successful"));
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  signet_core_init ();
  signet_test_servers_start_script ("x509directory.py", "smime");
  if (!signet_test_servers_available ())
    g_test_add_func ("/smime/skipped", test_skipped);
  else
    {
#define ADD(path, fn) g_test_add ("/smime/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
      ADD ("resolve", test_resolve);
      ADD ("own-certificate", test_own);
      ADD ("seal", test_seal);
      ADD ("seal-refused", test_seal_refused);
      ADD ("sign", test_sign);
      ADD ("seal-signed", test_seal_signed);
#undef ADD
#define ADD_SEND(path, fn) \
  g_test_add ("/smime/send-" path, SendFixture, NULL, send_setup, fn, send_teardown)
      ADD_SEND ("smime-only", test_send_smime_only);
      ADD_SEND ("refused", test_send_refused);
      ADD_SEND ("mix", test_send_mix);
      ADD_SEND ("signed", test_send_signed);
      ADD_SEND ("check-names", test_check_names);
#undef ADD_SEND
    }
  ret = g_test_run ();
  signet_test_servers_stop ();
  return ret;
}
