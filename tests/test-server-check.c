#include <string.h>

#include "signet-errors.h"
#include "signet-server-check.h"
#include "signet-test-util.h"

/* "Test connection" against the real Postfix and Dovecot of
 * tests/servers/mailservers.py, on 127.0.0.1. */

typedef struct {
  SignetAccountProtocol  protocol;
  const char            *host;
  guint                  port;
  const char            *security;
  const char            *user;
  const char            *password;
  const char            *pin;
  const char            *ca_file;
} Server;

/* What the fixture runs on @port_key, with the test CA; @user logs in
 * with their password when not NULL. */
static Server
fixture_server (SignetAccountProtocol protocol, const char *port_key, const char *security, const char *user)
{
  Server server = {
    protocol, signet_test_servers_env ("HOST"), atoi (signet_test_servers_env (port_key)), security, user,
    NULL, NULL, signet_test_servers_env ("CA_FILE"),
  };
  g_autofree char *upper = user != NULL ? g_ascii_strup (user, -1) : NULL;
  g_autofree char *key = user != NULL ? g_strconcat (upper, "_PASSWORD", NULL) : NULL;

  if (key != NULL)
    server.password = signet_test_servers_env (key);
  return server;
}

/* Runs the check to its end; *@result is always set. */
static gboolean
run_check (const Server *server, GCancellable *cancellable, SignetServerCheckResult **result, GError **error)
{
  g_autoptr(GAsyncResult) async = NULL;
  gboolean ok;

  signet_server_check_async (server->protocol, server->host, server->port, server->security, server->user,
                             server->password, server->pin, server->ca_file, cancellable,
                             signet_test_store_result, &async);
  signet_test_wait_until (signet_test_has_result, &async);
  ok = signet_server_check_finish (async, result, error);
  g_assert_nonnull (*result);
  return ok;
}

static SignetServerCheckResult *
expect_success (const Server *server)
{
  SignetServerCheckResult *result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = run_check (server, NULL, &result, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_null (result->fingerprint);
  g_assert_null (result->pin);
  g_assert_nonnull (result->reply);
  g_test_message ("%s:%u says: %s", server->host, server->port, result->reply);
  return result;
}

static GError *
expect_failure (const Server *server, GQuark domain, int code, SignetServerCheckResult **result)
{
  g_autoptr(SignetServerCheckResult) local = NULL;
  GError *error = NULL;

  g_assert_false (run_check (server, NULL, result != NULL ? result : &local, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, server->host));
  return error;
}

/* ---- success ------------------------------------------------------------------- */

/* Each way in: the reply is the server's answer to the login (Postfix's
 * 235, Dovecot's OK), or its greeting when nobody logs in; a login to
 * Dovecot finds the folder it marks \Sent. */
static void
test_success (void)
{
  struct {
    SignetAccountProtocol  protocol;
    const char            *port_key;
    const char            *security;
    const char            *user;
    const char            *reply;
    const char            *sent_folder;
  } cases[] = {
    { SIGNET_ACCOUNT_PROTOCOL_SMTP, "SMTP_PORT", "starttls", "demo", "235 2.7.0 Authentication successful", NULL },
    { SIGNET_ACCOUNT_PROTOCOL_SMTP, "SMTPS_PORT", "tls", "alice", "235 ", NULL },
    { SIGNET_ACCOUNT_PROTOCOL_SMTP, "SMTP_PLAIN_PORT", "none", NULL, "220 mail.example.org ESMTP", NULL },
    { SIGNET_ACCOUNT_PROTOCOL_IMAP, "IMAP_PORT", "starttls", "alice", "OK Logged in", "Sent" },
    { SIGNET_ACCOUNT_PROTOCOL_IMAP, "IMAPS_PORT", "tls", "demo", "OK ", "Sent" },
    { SIGNET_ACCOUNT_PROTOCOL_IMAP, "IMAP_PORT", "none", "bob", "OK ", "Sent" },
    { SIGNET_ACCOUNT_PROTOCOL_IMAP, "IMAPS_PORT", "tls", NULL, "OK Dovecot", NULL },
  };

  if (!signet_test_servers_need ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Server server = fixture_server (cases[i].protocol, cases[i].port_key, cases[i].security, cases[i].user);
      g_autoptr(SignetServerCheckResult) result = expect_success (&server);

      g_assert_true (g_str_has_prefix (result->reply, cases[i].reply));
      g_assert_cmpstr (result->sent_folder, ==, cases[i].sent_folder);
    }
}

/* ---- refused ------------------------------------------------------------------- */

/* In each server's own words, naming the user, never the password. */
static void
test_wrong_password (void)
{
  struct {
    SignetAccountProtocol  protocol;
    const char            *port_key;
    const char            *words;
  } cases[] = {
    { SIGNET_ACCOUNT_PROTOCOL_SMTP, "SMTP_PORT", "535 5.7.8 Error: authentication failed" },
    { SIGNET_ACCOUNT_PROTOCOL_IMAP, "IMAP_PORT", "NO [AUTHENTICATIONFAILED] Authentication failed." },
  };

  if (!signet_test_servers_need ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Server server = fixture_server (cases[i].protocol, cases[i].port_key, "starttls", "carol");
      g_autoptr(GError) error = NULL;

      server.password = "not-the-password";
      error = expect_failure (&server, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT, NULL);
      g_assert_nonnull (strstr (error->message, cases[i].words));
      g_assert_nonnull (strstr (error->message, "carol"));
      g_assert_null (strstr (error->message, "not-the-password"));
    }
}

/* Without the test CA: the certificate's fingerprint and pin, which make
 * the next check pass. */
static void
test_untrusted_certificate (void)
{
  const SignetAccountProtocol protocols[] = { SIGNET_ACCOUNT_PROTOCOL_SMTP, SIGNET_ACCOUNT_PROTOCOL_IMAP };
  const char *port_keys[] = { "SMTP_PORT", "IMAPS_PORT" };
  const char *securities[] = { "starttls", "tls" };

  if (!signet_test_servers_need ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (port_keys); i++)
    {
      Server server = fixture_server (protocols[i], port_keys[i], securities[i], "bob");
      g_autoptr(SignetServerCheckResult) result = NULL;
      g_autoptr(SignetServerCheckResult) pinned_result = NULL;
      g_autoptr(GError) error = NULL;

      server.ca_file = NULL;
      error = expect_failure (&server, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE,
                              &result);
      signet_test_assert_untrusted (error, result->fingerprint, result->pin);
      g_assert_null (result->reply);

      server.pin = result->pin;
      pinned_result = expect_success (&server);
    }
}

/* "none" to another computer: refused before connecting (192.0.2.1 would
 * not answer), for both protocols. */
static void
test_none_refused_for_remote (void)
{
  const char *hosts[] = { "192.0.2.1", "mail.example.org" };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    for (SignetAccountProtocol protocol = SIGNET_ACCOUNT_PROTOCOL_SMTP; protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP; protocol++)
      {
        Server server = { protocol, hosts[i], 0, "none", "alice", "secret", NULL, NULL };
        g_autoptr(SignetServerCheckResult) result = NULL;
        g_autoptr(GError) error = NULL;
        gint64 start = g_get_monotonic_time ();

        error = expect_failure (&server, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INSECURE, &result);
        g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
        g_assert_null (result->fingerprint);
        g_assert_null (result->reply);
      }
}

/* Nothing listens: temporary. */
static void
test_server_down (void)
{
  Server server = { SIGNET_ACCOUNT_PROTOCOL_IMAP, "127.0.0.1", signet_test_closed_port (), "tls", NULL, NULL,
                    NULL, NULL };
  g_autoptr(GError) error = expect_failure (&server, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
                                            NULL);
}

static gboolean
check_until_cancelled (gpointer data, GCancellable *cancellable, GError **error)
{
  g_autoptr(SignetServerCheckResult) result = NULL;

  return run_check (data, cancellable, &result, error);
}

/* A server that never says a word: cancelling ends the check at once. */
static void
test_cancel (void)
{
  guint port;
  g_autoptr(GSocket) silent = signet_test_silent_listener (&port);

  for (SignetAccountProtocol protocol = SIGNET_ACCOUNT_PROTOCOL_SMTP; protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP; protocol++)
    {
      Server server = { protocol, "127.0.0.1", port, "none", NULL, NULL, NULL, NULL };
      signet_test_assert_cancels (check_until_cancelled, &server);
    }
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  signet_test_servers_start ("check");

  g_test_add_func ("/server-check/success", test_success);
  g_test_add_func ("/server-check/wrong-password", test_wrong_password);
  g_test_add_func ("/server-check/untrusted-certificate", test_untrusted_certificate);
  g_test_add_func ("/server-check/none-refused-for-remote", test_none_refused_for_remote);
  g_test_add_func ("/server-check/server-down", test_server_down);
  g_test_add_func ("/server-check/cancel", test_cancel);
  ret = g_test_run ();

  signet_test_servers_stop ();
  return ret;
}
