#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-key-directory-private.h"
#include "signet-sealer.h"
#include "signet-smtp-transport.h"
#include "signet-test-util.h"

/* SignetSmtpTransport against a real Postfix (tests/servers/mailservers.py:
 * submission with STARTTLS or TLS and SASL through Dovecot, delivering into
 * Maildirs) and, for faults Postfix will not produce on cue, a scripted
 * aiosmtpd server (tests/servers/faultsmtp.py). Everything on 127.0.0.1. */

static const char *workdir;
static char *homedir;
static guint n_messages;

/* ---- messages ------------------------------------------------------------------- */

/* A new message whose Message-ID no other test uses; @lines bare-LF lines
 * of filler make it as large as a test needs. */
static char *
make_message (char **marker, guint lines)
{
  g_autofree char *path = g_strdup_printf ("%s/message-%u.eml", workdir, ++n_messages);
  g_autoptr(GString) text = g_string_new (NULL);

  *marker = g_strdup_printf ("smtp-test-%u-%d@example.org", n_messages, getpid ());
  g_string_append_printf (text, "From: Signet Demo <demo@example.org>\nTo: Alice <alice@example.org>\n"
                                "Subject: delivery %u\nMessage-ID: <%s>\n\nHello.\r\n.leading dot\n",
                          n_messages, *marker);
  for (guint i = 0; i < lines; i++)
    g_string_append_printf (text, "line %05u of filler, long enough to count\n", i);
  g_assert_true (g_file_set_contents (path, text->str, text->len, NULL));
  return g_steal_pointer (&path);
}

/* @path as a server must receive it: every line ending in CRLF. */
static char *
as_sent (const char *path)
{
  g_autofree char *text = signet_test_read_file (path);
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\n' && (p == text || p[-1] != '\r'))
        g_string_append_c (out, '\r');
      g_string_append_c (out, *p);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A message sealed (by Signet's sealer, with the demo keys) to alice, bob and
 * the sender. */
static char *
make_sealed_message (char **marker)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, network);
  g_autoptr(SignetSealer) sealer = signet_sealer_new (directory);
  g_autoptr(SignetMessage) message = signet_message_new ();
  g_autoptr(SignetAddress) from = signet_address_new ("Signet Demo", "demo@example.org");
  g_autoptr(SignetAddress) alice = signet_address_new ("Alice", "alice@example.org");
  g_autoptr(SignetAddress) bob = signet_address_new ("Bob", "bob@example.org");
  const char *emails[] = { "alice@example.org", "bob@example.org", "demo@example.org", NULL };
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(GPtrArray) fingerprints = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  SignetSealOptions options = { FALSE, TRUE };
  char *path = g_strdup_printf ("%s/sealed-%u.eml", workdir, ++n_messages);
  int fd;

  *marker = g_strdup_printf ("sealed-marker-%u-%d", n_messages, getpid ());
  body = g_strdup_printf ("The merger is on. %s\n", *marker);
  signet_message_set_from (message, from);
  signet_message_add_to (message, alice);
  signet_message_add_to (message, bob);
  signet_message_set_subject (message, "Board minutes");
  signet_message_set_body (message, body);
  keys = signet_key_directory_resolve_sync (directory, emails, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < keys->len; i++)
    g_ptr_array_add (fingerprints, ((SignetKeyResult *) g_ptr_array_index (keys, i))->fingerprint);
  g_ptr_array_add (fingerprints, NULL);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  signet_sealer_write_sealed (sealer, message, &options, (const char * const *) fingerprints->pdata, fd, NULL, &error);
  g_assert_no_error (error);
  close (fd);
  return path;
}

/* ---- delivering ------------------------------------------------------------------ */

static void
on_delivered (const char *recipient, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup (recipient));
}

/* Delivers @path to @recipients; @delivered gets who was reported. */
static gboolean
deliver (SignetSmtpTransport *transport, const char *path, const char * const *recipients,
         GPtrArray **delivered, GCancellable *cancellable, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  gboolean ok;

  g_assert_cmpint (fd, >=, 0);
  *delivered = g_ptr_array_new_null_terminated (4, g_free, TRUE);
  ok = signet_transport_deliver (SIGNET_TRANSPORT (transport), fd, "batch.001", recipients,
                                 on_delivered, NULL, *delivered, cancellable, error);
  close (fd);
  return ok;
}

static void
assert_delivered (GPtrArray *delivered, const char * const *expected)
{
  g_assert_cmpstrv ((const char * const *) delivered->pdata, expected);
}

/* Delivers @path; every one of @to must be reported delivered. */
static void
expect_delivered (SignetSmtpTransport *transport, const char *path, const char * const *to)
{
  g_autoptr(GPtrArray) delivered = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (deliver (transport, path, to, &delivered, NULL, &error));
  g_assert_no_error (error);
  assert_delivered (delivered, to);
}

/* Delivers @path expecting SIGNET_TRANSPORT_ERROR @code; only @accepted
 * (nobody when NULL) may be reported delivered. Returns the error. */
static GError *
expect_refused (SignetSmtpTransport *transport, const char *path, const char * const *to,
                const char * const *accepted, int code)
{
  const char *nobody[] = { NULL };
  g_autoptr(GPtrArray) delivered = NULL;
  GError *error = NULL;

  g_assert_false (deliver (transport, path, to, &delivered, NULL, &error));
  g_assert_error (error, SIGNET_TRANSPORT_ERROR, code);
  assert_delivered (delivered, accepted != NULL ? accepted : nobody);
  return error;
}

/* A transport to the fixture's Postfix on @port_key, logged in as @user. */
static SignetSmtpTransport *
postfix_transport (const char *port_key, const char *security, const char *user)
{
  SignetSmtpTransport *transport = signet_smtp_transport_new (signet_test_servers_env ("HOST"), atoi (signet_test_servers_env (port_key)), security);
  g_autofree char *address = signet_test_servers_user_env (user, "ADDRESS");
  g_autofree char *password = signet_test_servers_user_env (user, "PASSWORD");

  g_object_set (transport, "user", user, "sender", address, "ca-file", signet_test_servers_env ("CA_FILE"), "timeout", 10, NULL);
  signet_smtp_transport_set_password (transport, password);
  return transport;
}

/* ---- what arrived ------------------------------------------------------------------ */

/* Postfix has nothing left to deliver. */
static guint
queued (void)
{
  return signet_test_servers_queued ();
}

static GPtrArray *
find_in_maildir (const char *user, const char *marker)
{
  g_autofree char *maildir = signet_test_servers_user_env (user, "MAILDIR");

  return signet_test_maildir_find (maildir, marker);
}

/* Waits until @user has the message and Postfix's queue is empty, so that a
 * second copy would have arrived too. */
static void
wait_arrived (const char *user, const char *marker)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GPtrArray) found = find_in_maildir (user, marker);
      if (found->len > 0 && queued () == 0)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not arrive for %s", marker, user);
      g_usleep (20000);
    }
}

static void
assert_copies (const char *user, const char *marker, guint expected)
{
  g_autoptr(GPtrArray) found = find_in_maildir (user, marker);

  if (found->len != expected)
    g_error ("%s has %u copies of %s, expected %u", user, found->len, marker, expected);
}

/* ---- real Postfix ------------------------------------------------------------------- */

/* A plain message over STARTTLS and a sealed one over TLS, each to alice and
 * bob: each arrives once in each Maildir, and the sealed one still opens. */
static void
test_postfix_plain_and_sealed (void)
{
  const char *to[] = { "alice@example.org", "bob@example.org", NULL };
  const char *users[] = { "alice", "bob" };
  g_autoptr(SignetSmtpTransport) starttls = NULL;
  g_autoptr(SignetSmtpTransport) tls = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *sealed_marker = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *sealed = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *text = NULL;
  g_autofree char *decrypted = NULL;

  if (!signet_test_servers_need ())
    return;
  plain = make_message (&marker, 50);
  sealed = make_sealed_message (&sealed_marker);
  starttls = postfix_transport ("SMTP_PORT", "starttls", "demo");
  tls = postfix_transport ("SMTPS_PORT", "tls", "demo");
  expect_delivered (starttls, plain, to);
  expect_delivered (tls, sealed, to);

  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_autoptr(GPtrArray) sealed_copies = NULL;
      wait_arrived (users[i], marker);
      wait_arrived (users[i], "BEGIN PGP MESSAGE");
      assert_copies (users[i], marker, 1);
      sealed_copies = find_in_maildir (users[i], "Content-Type: multipart/encrypted");
      g_assert_cmpuint (sealed_copies->len, ==, 1);
    }
  assert_copies ("carol", marker, 0);
  found = find_in_maildir ("alice", marker);
  text = signet_test_read_file (g_ptr_array_index (found, 0));
  /* Dot-stuffed on the way, as it was on arrival. */
  g_assert_nonnull (strstr (text, "\nHello.\n.leading dot\n"));

  /* The sealed copy: nothing readable outside, gpg opens it. */
  g_clear_pointer (&found, g_ptr_array_unref);
  g_clear_pointer (&text, g_free);
  found = find_in_maildir ("bob", "Content-Type: multipart/encrypted");
  text = signet_test_read_file (g_ptr_array_index (found, 0));
  g_assert_null (strstr (text, sealed_marker));
  copy = g_build_filename (workdir, "bob-sealed.eml", NULL);
  g_assert_true (g_file_set_contents (copy, text, -1, NULL));
  decrypted = signet_test_decrypt_message (homedir, copy);
  g_assert_nonnull (strstr (decrypted, sealed_marker));
}

/* A Bcc recipient's own copy goes to them alone. */
static void
test_postfix_bcc_copy (void)
{
  const char *to[] = { "carol@example.org", NULL };
  const char *others[] = { "alice", "bob", "demo" };
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = NULL;

  if (!signet_test_servers_need ())
    return;
  path = make_message (&marker, 0);
  transport = postfix_transport ("SMTP_PORT", "starttls", "demo");
  expect_delivered (transport, path, to);
  wait_arrived ("carol", marker);
  assert_copies ("carol", marker, 1);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    assert_copies (others[i], marker, 0);
}

/* No TLS at all is fine for a server on this computer, login included;
 * demo's password has a space, a colon, '%' and a non-ASCII letter. Asked
 * for STARTTLS, the same server (which does not offer it) gets nothing. */
static void
test_postfix_none_on_loopback (void)
{
  const char *to[] = { "alice@example.org", NULL };
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(SignetSmtpTransport) starttls = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = NULL;

  if (!signet_test_servers_need ())
    return;
  path = make_message (&marker, 0);
  transport = postfix_transport ("SMTP_PLAIN_PORT", "none", "demo");
  expect_delivered (transport, path, to);
  wait_arrived ("alice", marker);
  assert_copies ("alice", marker, 1);

  starttls = postfix_transport ("SMTP_PLAIN_PORT", "starttls", "demo");
  error = expect_refused (starttls, path, to, NULL, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_nonnull (strstr (error->message, "does not offer STARTTLS"));
  assert_copies ("alice", marker, 1);
}

static char *
password_from_func (GObject *source, GCancellable *cancellable, GError **error, gpointer data)
{
  guint *calls = data;

  (*calls)++;
  return g_strdup ("not-the-password");
}

/* A wrong password: permanent, in the server's words; the password is in
 * no message. The password function is asked, once. */
static void
test_postfix_wrong_password (void)
{
  const char *to[] = { "alice@example.org", NULL };
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = NULL;
  guint calls = 0;

  if (!signet_test_servers_need ())
    return;
  path = make_message (&marker, 0);
  transport = postfix_transport ("SMTP_PORT", "starttls", "demo");
  signet_smtp_transport_set_password_func (transport, password_from_func, &calls, NULL);
  error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_nonnull (strstr (error->message, "535 5.7.8 Error: authentication failed"));
  g_assert_nonnull (strstr (error->message, "demo"));
  g_assert_null (strstr (error->message, "not-the-password"));
  g_assert_cmpuint (calls, ==, 1);
  assert_copies ("alice", marker, 0);
}

/* An address Postfix does not know is refused in its words; the others
 * still get the message. */
static void
test_postfix_unknown_recipient (void)
{
  const char *to[] = { "alice@example.org", "nobody@example.org", NULL };
  const char *accepted[] = { "alice@example.org", NULL };
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = NULL;

  if (!signet_test_servers_need ())
    return;
  path = make_message (&marker, 0);
  transport = postfix_transport ("SMTP_PORT", "starttls", "demo");
  error = expect_refused (transport, path, to, accepted, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_nonnull (strstr (error->message, "nobody@example.org"));
  g_assert_nonnull (strstr (error->message, "User unknown in virtual mailbox table"));
  g_assert_null (strstr (error->message, "alice"));
  wait_arrived ("alice", marker);
  assert_copies ("alice", marker, 1);
}

typedef struct {
  const char *path;
  guint       delivered;
} UntrustedCase;

static gboolean
deliver_to_bob (GObject *transport, gpointer data, GError **error)
{
  UntrustedCase *c = data;
  const char *to[] = { "bob@example.org", NULL };
  g_autoptr(GPtrArray) delivered = NULL;
  gboolean ok = deliver (SIGNET_SMTP_TRANSPORT (transport), c->path, to, &delivered, NULL, error);

  g_assert_cmpuint (delivered->len, ==, ok ? 1 : 0);
  c->delivered += delivered->len;
  return ok;
}

static gboolean
dup_untrusted (GObject *transport, char **fingerprint, char **pin)
{
  return signet_smtp_transport_dup_untrusted_certificate (SIGNET_SMTP_TRANSPORT (transport), fingerprint, pin);
}

/* Without the test CA the server's certificate is untrusted: the error
 * names the host and the certificate's fingerprint, the pin it offers makes
 * the next delivery work, and a pin of another key does not. Only that
 * one delivery arrives. */
static void
test_postfix_untrusted_certificate (void)
{
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = NULL;
  UntrustedCase c = { 0 };

  if (!signet_test_servers_need ())
    return;
  path = make_message (&marker, 0);
  c.path = path;
  transport = postfix_transport ("SMTP_PORT", "starttls", "demo");
  signet_test_untrusted_story (G_OBJECT (transport), deliver_to_bob, dup_untrusted, &c);
  g_assert_cmpuint (c.delivered, ==, 1);
  wait_arrived ("bob", marker);
  assert_copies ("bob", marker, 1);
}

/* ---- before any connection ---------------------------------------------------------- */

/* "none" is for this computer only: refused at once for any other host,
 * before a connection (192.0.2.1 would not answer) or a password. */
static void
test_none_refused_for_remote (void)
{
  const char *hosts[] = { "192.0.2.1", "mail.example.org", "127.0.0.1.example.org" };
  const char *to[] = { "alice@example.org", NULL };
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 0);

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autoptr(SignetSmtpTransport) transport = signet_smtp_transport_new (hosts[i], 25, "none");
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      guint calls = 0;

      g_object_set (transport, "user", "demo", "sender", "demo@example.org", "timeout", 30, NULL);
      signet_smtp_transport_set_password_func (transport, password_from_func, &calls, NULL);
      error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_PERMANENT);
      g_assert_nonnull (strstr (error->message, hosts[i]));
      g_assert_nonnull (strstr (error->message, "without TLS"));
      g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
      g_assert_cmpuint (calls, ==, 0);
    }
}

/* Addresses and settings that cannot go into an SMTP command are refused
 * before connecting, naming them. */
static void
test_bad_settings_refused (void)
{
  const char *bad_rcpt[] = { "alice@example.org", "bob@example.org>\r\nRCPT TO:<eve@example.org", NULL };
  const char *to[] = { "alice@example.org", NULL };
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 0);
  g_autoptr(SignetSmtpTransport) transport = signet_smtp_transport_new ("127.0.0.1", 9, "none");
  g_autoptr(GError) rcpt_error = NULL;
  g_autoptr(GError) host_error = NULL;
  g_autoptr(GError) security_error = NULL;

  g_object_set (transport, "sender", "demo@example.org", NULL);
  rcpt_error = expect_refused (transport, path, bad_rcpt, NULL, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_nonnull (strstr (rcpt_error->message, "eve@example.org"));

  g_object_set (transport, "host", "example.org/path?x", NULL);
  host_error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_nonnull (strstr (host_error->message, "example.org/path?x"));

  g_object_set (transport, "host", "127.0.0.1", "security", "ssl", NULL);
  security_error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_nonnull (strstr (security_error->message, "ssl"));
}

/* ---- scripted faults (aiosmtpd) ------------------------------------------------------- */

typedef SignetTestFaultServer FaultServer;

static void
fault_server_start (FaultServer *server, const char *scenario)
{
  g_autofree char *dir = g_strdup_printf ("%s/fault-%s-%u", workdir, scenario, ++n_messages);

  signet_test_fault_server_start (server, dir, scenario, 0);
}

static void
fault_server_stop (FaultServer *server)
{
  signet_test_fault_server_stop (server);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FaultServer, fault_server_stop)

/* No TLS, no login: what a server on this computer may get. */
static SignetSmtpTransport *
fault_transport (guint port, guint timeout)
{
  SignetSmtpTransport *transport = signet_smtp_transport_new ("127.0.0.1", port, "none");

  g_object_set (transport, "sender", "demo@example.org", "timeout", timeout, NULL);
  return transport;
}

static char *
fault_events (FaultServer *server)
{
  return signet_test_fault_server_events (server);
}

/* The events once one contains @what (the server writes them as it goes). */
static char *
wait_fault_event (FaultServer *server, const char *what)
{
  return signet_test_fault_server_wait_event (server, what);
}

static guint
fault_messages (FaultServer *server)
{
  return signet_test_fault_server_n_messages (server);
}

/* 421 at the greeting, then 451 after the data: both temporary, in the
 * server's words, nobody reported; the third try delivers, once, every line
 * ending in CRLF (the file has bare LFs and one CRLF). */
static void
test_fault_temporary_then_delivered (void)
{
  const char *to[] = { "alice@example.org", "bob@example.org", NULL };
  g_auto(FaultServer) server = { 0 };
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(GError) greeting_error = NULL;
  g_autoptr(GError) data_error = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 3);
  g_autofree char *expected = as_sent (path);
  g_autofree char *events = NULL;
  g_autofree char *stored_dir = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *stored_path = NULL;
  g_autofree char *stored = NULL;

  fault_server_start (&server, "temporary");
  transport = fault_transport (server.port, 5);
  greeting_error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_TEMPORARY);
  g_assert_nonnull (strstr (greeting_error->message, "421 4.3.2 Service shutting down"));
  data_error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_TEMPORARY);
  g_assert_nonnull (strstr (data_error->message, "451 4.3.0 Temporary lookup failure"));
  expect_delivered (transport, path, to);

  g_assert_cmpuint (fault_messages (&server), ==, 1);
  events = fault_events (&server);
  g_assert_nonnull (strstr (events, "DELIVERED alice@example.org,bob@example.org\n"));
  stored_dir = g_build_filename (server.dir, "Maildir", "new", NULL);
  dir = g_dir_open (stored_dir, 0, NULL);
  stored_path = g_build_filename (stored_dir, g_dir_read_name (dir), NULL);
  stored = signet_test_read_file (stored_path);
  g_assert_cmpstr (stored, ==, expected);
}

/* 550 for one recipient: that one is a permanent error naming them in the
 * server's words, the others are delivered. One 4xx among the refusals
 * makes it temporary. */
static void
test_fault_refused_recipient (void)
{
  const char *to[] = { "alice@example.org", "nobody@example.org", "bob@example.org", NULL };
  const char *accepted[] = { "alice@example.org", "bob@example.org", NULL };
  const char *to_busy[] = { "busy@example.org", "carol@example.org", "nobody@example.org", NULL };
  const char *accepted_busy[] = { "carol@example.org", NULL };
  g_auto(FaultServer) server = { 0 };
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) busy_error = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 0);
  g_autofree char *events = NULL;

  fault_server_start (&server, "reject-rcpt");
  transport = fault_transport (server.port, 5);
  error = expect_refused (transport, path, to, accepted, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_cmpstr (error->message, ==,
                   "The server refused nobody@example.org: 550 5.1.1 <nobody@example.org>: "
                   "Recipient address rejected: User unknown");

  busy_error = expect_refused (transport, path, to_busy, accepted_busy, SIGNET_TRANSPORT_ERROR_TEMPORARY);
  g_assert_nonnull (strstr (busy_error->message, "busy@example.org: 450 4.2.1"));
  g_assert_nonnull (strstr (busy_error->message, "\nThe server refused nobody@example.org: 550"));

  events = fault_events (&server);
  g_assert_nonnull (strstr (events, "DELIVERED alice@example.org,bob@example.org\nCONNECT\nDELIVERED carol@example.org\n"));
  g_assert_cmpuint (fault_messages (&server), ==, 2);
}

/* The connection ends in the middle of the data: temporary, nobody
 * reported delivered, nothing stored. */
static void
test_fault_dropped_in_data (void)
{
  const char *to[] = { "alice@example.org", "bob@example.org", NULL };
  g_auto(FaultServer) server = { 0 };
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 20000);
  g_autofree char *events = NULL;

  fault_server_start (&server, "drop-in-data");
  transport = fault_transport (server.port, 5);
  error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_TEMPORARY);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  events = wait_fault_event (&server, "DATA-BYTES ");
  g_assert_cmpuint (fault_messages (&server), ==, 0);
}

/* Two servers that fall silent: @server never answers the end of the data
 * (ports[0]); on the returned socket (ports[1]) the kernel completes
 * connections and nobody ever speaks. */
static GSocket *
start_silent_servers (FaultServer *server, guint ports[2])
{
  GSocket *silent = signet_test_silent_listener (&ports[1]);

  fault_server_start (server, "stall");
  ports[0] = server->port;
  return silent;
}

/* A server that never answers the end of the data, and one that never
 * greets: temporary once the 2 s timeout has passed, not much later. */
static void
test_fault_stalled (void)
{
  const char *to[] = { "alice@example.org", NULL };
  g_auto(FaultServer) server = { 0 };
  guint ports[2];
  g_autoptr(GSocket) silent = start_silent_servers (&server, ports);
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 0);

  for (guint i = 0; i < G_N_ELEMENTS (ports); i++)
    {
      g_autoptr(SignetSmtpTransport) transport = fault_transport (ports[i], 2);
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      gint64 elapsed;

      error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_TEMPORARY);
      elapsed = g_get_monotonic_time () - start;
      g_assert_nonnull (strstr (error->message, "127.0.0.1 did not answer in time."));
      g_assert_cmpint (elapsed, >=, 2 * G_USEC_PER_SEC - G_USEC_PER_SEC / 10);
      g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC + G_USEC_PER_SEC / 2);
    }
}

static void
assert_size_error (const GError *error, gsize message_size)
{
  g_autofree char *size = g_format_size_full (message_size, G_FORMAT_SIZE_LONG_FORMAT);
  g_autofree char *limit = g_format_size_full (1000, G_FORMAT_SIZE_LONG_FORMAT);
  g_autofree char *expected = g_strdup_printf ("The message is %s, more than the %s that 127.0.0.1 accepts.",
                                               size, limit);

  g_assert_cmpstr (error->message, ==, expected);
}

/* Larger than the server's SIZE: refused before the message is sent, with
 * both sizes; also by a server that says SIZE and then ignores it. */
static void
test_fault_size_limit (void)
{
  const char *to[] = { "alice@example.org", NULL };
  g_auto(FaultServer) server = { 0 };
  g_auto(FaultServer) ignoring = { 0 };
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(SignetSmtpTransport) ignoring_transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) ignoring_error = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 100);
  g_autofree char *sent = as_sent (path);
  g_autofree char *events = NULL;
  g_autofree char *ignoring_events = NULL;

  fault_server_start (&server, "size");
  transport = fault_transport (server.port, 5);
  error = expect_refused (transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_PERMANENT);
  assert_size_error (error, strlen (sent));
  events = fault_events (&server);
  g_assert_cmpstr (events, ==, "CONNECT\n");
  g_assert_cmpuint (fault_messages (&server), ==, 0);

  fault_server_start (&ignoring, "size-ignored");
  ignoring_transport = fault_transport (ignoring.port, 5);
  ignoring_error = expect_refused (ignoring_transport, path, to, NULL, SIGNET_TRANSPORT_ERROR_PERMANENT);
  assert_size_error (ignoring_error, strlen (sent));
  /* It got DATA and then not one byte of the message. */
  ignoring_events = wait_fault_event (&ignoring, "DATA-BYTES");
  g_assert_nonnull (strstr (ignoring_events, "DATA-BYTES 0\n"));
  g_assert_cmpuint (fault_messages (&ignoring), ==, 0);
}

typedef struct {
  guint       port;
  const char *path;
} CancelCase;

static gboolean
deliver_until_cancelled (gpointer data, GCancellable *cancellable, GError **error)
{
  const CancelCase *c = data;
  const char *to[] = { "alice@example.org", NULL };
  g_autoptr(SignetSmtpTransport) transport = fault_transport (c->port, 60);
  g_autoptr(GPtrArray) delivered = NULL;
  gboolean ok = deliver (transport, c->path, to, &delivered, cancellable, error);

  g_assert_cmpuint (delivered->len, ==, 0);
  return ok;
}

/* Cancelling ends a delivery promptly before the server has the message
 * (here: before its greeting, where libcurl waits on its own); not at
 * libcurl's next look at the progress callback, a second on. */
static void
test_cancel (void)
{
  g_auto(FaultServer) server = { 0 };
  guint ports[2];
  g_autoptr(GSocket) silent = start_silent_servers (&server, ports);
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 0);
  CancelCase c = { ports[1], path };

  signet_test_assert_cancels (deliver_until_cancelled, &c);
}

typedef struct {
  SignetSmtpTransport *transport;
  const char          *path;
  GCancellable        *cancellable;
  GPtrArray           *delivered;
  GError              *error;
  gboolean             ok;
  gboolean             done;
} LateCancel;

static gpointer
deliver_thread (gpointer data)
{
  LateCancel *l = data;
  const char *to[] = { "alice@example.org", NULL };

  l->ok = deliver (l->transport, l->path, to, &l->delivered, l->cancellable, &l->error);
  g_atomic_int_set (&l->done, TRUE);
  return NULL;
}

static gboolean
late_cancel_done (gpointer data)
{
  return g_atomic_int_get (&((LateCancel *) data)->done);
}

/* Cancel once the server has the whole message does not cut the answer
 * off: that would leave unknown whether it was delivered, and a retry
 * would deliver it twice. The answer is waited for, and counts. */
static void
test_cancel_after_handover (void)
{
  const char *to[] = { "alice@example.org", NULL };
  g_auto(FaultServer) server = { 0 };
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 0);
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *event = NULL;
  LateCancel l = { 0 };
  GThread *thread;

  fault_server_start (&server, "slow-ack");
  transport = fault_transport (server.port, 10);
  l.transport = transport;
  l.path = path;
  l.cancellable = cancellable;
  thread = g_thread_new ("deliver", deliver_thread, &l);
  event = signet_test_fault_server_wait_event (&server, "DELIVERED");
  g_cancellable_cancel (cancellable);
  signet_test_wait_until (late_cancel_done, &l);
  g_thread_join (thread);
  g_assert_no_error (l.error);
  g_assert_true (l.ok);
  assert_delivered (l.delivered, to);
  g_assert_cmpuint (signet_test_fault_server_n_messages (&server), ==, 1);
  g_ptr_array_unref (l.delivered);
}

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
is_set (gpointer data)
{
  return *(gboolean *) data;
}

/* A server that has the message and never answers: Cancel does not cut
 * the wait short, the timeout ends it (as it would without Cancel), and
 * nobody is counted as having it. */
static void
test_cancel_after_handover_stalled (void)
{
  g_auto(FaultServer) server = { 0 };
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 0);
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean waited = FALSE;
  LateCancel l = { 0 };
  GThread *thread;
  gint64 start;

  fault_server_start (&server, "stall");
  transport = fault_transport (server.port, 3);
  l.transport = transport;
  l.path = path;
  l.cancellable = cancellable;
  start = g_get_monotonic_time ();
  thread = g_thread_new ("deliver", deliver_thread, &l);
  g_timeout_add_seconds (1, timed_out, &waited);
  signet_test_wait_until (is_set, &waited);
  g_cancellable_cancel (cancellable);
  signet_test_wait_until (late_cancel_done, &l);
  g_thread_join (thread);
  g_assert_false (l.ok);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * G_USEC_PER_SEC - G_USEC_PER_SEC / 10);
  g_assert_cmpuint (l.delivered->len, ==, 0);
  g_clear_error (&l.error);
  g_ptr_array_unref (l.delivered);
}

/* Once the server has accepted the message (and that is recorded), Cancel
 * does not wait for a slow goodbye: the delivery ends at once, delivered. */
static void
test_cancel_after_accepted (void)
{
  const char *to[] = { "alice@example.org", NULL };
  g_auto(FaultServer) server = { 0 };
  g_autofree char *marker = NULL;
  g_autofree char *path = make_message (&marker, 0);
  g_autoptr(SignetSmtpTransport) transport = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *event = NULL;
  gboolean waited = FALSE;
  LateCancel l = { 0 };
  GThread *thread;
  gint64 cancelled_at;

  fault_server_start (&server, "slow-quit");
  transport = fault_transport (server.port, 60);
  l.transport = transport;
  l.path = path;
  l.cancellable = cancellable;
  thread = g_thread_new ("deliver", deliver_thread, &l);
  event = signet_test_fault_server_wait_event (&server, "DELIVERED");
  g_timeout_add (500, timed_out, &waited);
  signet_test_wait_until (is_set, &waited);
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  signet_test_wait_until (late_cancel_done, &l);
  g_thread_join (thread);
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <, 2 * G_USEC_PER_SEC);
  g_assert_no_error (l.error);
  g_assert_true (l.ok);
  assert_delivered (l.delivered, to);
  g_ptr_array_unref (l.delivered);
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  workdir = signet_test_servers_start ("smtp");

  g_test_add_func ("/smtp-transport/postfix/plain-and-sealed", test_postfix_plain_and_sealed);
  g_test_add_func ("/smtp-transport/postfix/bcc-copy", test_postfix_bcc_copy);
  g_test_add_func ("/smtp-transport/postfix/none-on-loopback", test_postfix_none_on_loopback);
  g_test_add_func ("/smtp-transport/postfix/wrong-password", test_postfix_wrong_password);
  g_test_add_func ("/smtp-transport/postfix/unknown-recipient", test_postfix_unknown_recipient);
  g_test_add_func ("/smtp-transport/postfix/untrusted-certificate", test_postfix_untrusted_certificate);
  g_test_add_func ("/smtp-transport/none-refused-for-remote", test_none_refused_for_remote);
  g_test_add_func ("/smtp-transport/bad-settings-refused", test_bad_settings_refused);
  g_test_add_func ("/smtp-transport/fault/temporary-then-delivered", test_fault_temporary_then_delivered);
  g_test_add_func ("/smtp-transport/fault/refused-recipient", test_fault_refused_recipient);
  g_test_add_func ("/smtp-transport/fault/dropped-in-data", test_fault_dropped_in_data);
  g_test_add_func ("/smtp-transport/fault/stalled", test_fault_stalled);
  g_test_add_func ("/smtp-transport/fault/size-limit", test_fault_size_limit);
  g_test_add_func ("/smtp-transport/cancel", test_cancel);
  g_test_add_func ("/smtp-transport/cancel-after-handover", test_cancel_after_handover);
  g_test_add_func ("/smtp-transport/cancel-after-handover-stalled", test_cancel_after_handover_stalled);
  g_test_add_func ("/smtp-transport/cancel-after-accepted", test_cancel_after_accepted);
  ret = g_test_run ();

  signet_test_remove_gnupghome (homedir);
  signet_test_servers_stop ();
  return ret;
}
