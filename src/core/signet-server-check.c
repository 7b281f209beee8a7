#define G_LOG_DOMAIN "signet-server-check"

#include "signet-server-check.h"

#include <string.h>

#include "signet-curl-tls.h"
#include "signet-errors.h"
#include "signet-i18n.h"

/* "Test connection": one harmless command after the login, through
 * libcurl like real delivery, so that what works here works there. SMTP
 * says NOOP; IMAP lists the mailboxes with their special uses (RFC 6154),
 * which also tells the Sent folder, or says NOOP when nobody logs in.
 * Then QUIT or LOGOUT, as a client should. */

#define CHECK_TIMEOUT 30
#define SENT_USE "\\Sent"

typedef struct {
  SignetAccountProtocol    protocol;
  char                    *host;
  guint                    port;
  char                    *security;
  char                    *user;
  char                    *password;
  char                    *pinned_public_key;
  char                    *ca_file;
  SignetServerCheckResult *result;
} Check;

static void
check_free (Check *check)
{
  g_free (check->host);
  g_free (check->security);
  g_free (check->user);
  signet_curl_password_free (check->password);
  g_free (check->pinned_public_key);
  g_free (check->ca_file);
  signet_server_check_result_free (check->result);
  g_free (check);
}

void
signet_server_check_result_free (SignetServerCheckResult *result)
{
  if (result == NULL)
    return;
  g_free (result->fingerprint);
  g_free (result->pin);
  g_free (result->sent_folder);
  g_free (result->reply);
  g_free (result);
}

static gboolean
logs_in (const Check *check)
{
  return check->user != NULL && *check->user != '\0';
}

/* ---- SMTP, as the server answered ----------------------------------------------- */

typedef struct {
  GString  *lines;       /* of the reply being read */
  char     *command;     /* in flight: "EHLO", "AUTH", ...; NULL before the greeting's answer */
  gboolean  challenged;  /* AUTH got a 334: the client's next lines are credentials */
  int       code;        /* of the last complete reply */
  char     *answered;    /* the command it answered */
  char     *words;       /* the reply: "535 5.7.8 Error: authentication failed: ..." */
  char     *greeting;
  char     *login;       /* the reply to AUTH that let us in */
} Smtp;

static void
smtp_clear (Smtp *smtp)
{
  if (smtp->lines != NULL)
    g_string_free (smtp->lines, TRUE);
  g_free (smtp->command);
  g_free (smtp->answered);
  g_free (smtp->words);
  g_free (smtp->greeting);
  g_free (smtp->login);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Smtp, smtp_clear)

/* Only the command's name is read: after AUTH come credentials. */
static void
smtp_sent (gpointer user_data, const char *line)
{
  Smtp *smtp = user_data;
  gsize length = strcspn (line, " \r\n");

  if (smtp->challenged || length == 0)
    return;
  g_free (smtp->command);
  smtp->command = g_ascii_strup (line, length);
}

static void
smtp_reply_done (Smtp *smtp)
{
  g_autofree char *words = signet_curl_clean_words (smtp->lines->str);

  g_string_truncate (smtp->lines, 0);
  smtp->challenged = smtp->code == 334 && g_strcmp0 (smtp->command, "AUTH") == 0;
  /* The goodbye says nothing about what came before it. */
  if (g_strcmp0 (smtp->command, "QUIT") == 0)
    return;
  g_free (smtp->words);
  smtp->words = g_strdup_printf ("%d %s", smtp->code, words);
  g_strchomp (smtp->words);
  g_free (smtp->answered);
  smtp->answered = g_strdup (smtp->command);
  if (smtp->command == NULL && smtp->greeting == NULL)
    smtp->greeting = g_strdup (smtp->words);
  if (g_strcmp0 (smtp->command, "AUTH") == 0 && smtp->code / 100 == 2)
    smtp->login = g_strdup (smtp->words);
}

/* "250-first line", "250 last line". */
static void
smtp_heard (gpointer user_data, const char *line)
{
  Smtp *smtp = user_data;
  if (strlen (line) < 3 || !g_ascii_isdigit (line[0]) || !g_ascii_isdigit (line[1]) || !g_ascii_isdigit (line[2]))
    return;
  smtp->code = (int) g_ascii_strtoll (line, NULL, 10);
  if (smtp->lines->len > 0)
    g_string_append_c (smtp->lines, ' ');
  g_string_append (smtp->lines, line[3] != '\0' ? line + 4 : "");
  if (line[3] != '-')
    smtp_reply_done (smtp);
}

static int
on_smtp_debug (CURL *easy, curl_infotype type, char *data, size_t size, void *user_data)
{
  signet_curl_debug_lines (type, data, size, smtp_sent, smtp_heard, user_data);
  return 0;
}

/* ---- talking to the server --------------------------------------------------------- */

typedef struct {
  const Check      *check;
  SignetCurlServer  server;
  char             *url;
  SignetCurlLine    line;
  CURL             *easy;
  char              error_buffer[CURL_ERROR_SIZE];
  Smtp              smtp;
  SignetCurlImap    imap;
  GCancellable     *cancellable;
} Talk;

static void
talk_clear (Talk *talk)
{
  g_clear_pointer (&talk->easy, curl_easy_cleanup);
  signet_curl_line_clear (&talk->line);
  smtp_clear (&talk->smtp);
  signet_curl_imap_clear (&talk->imap);
  g_free (talk->url);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Talk, talk_clear)

static void
talk_init (Talk *talk, const Check *check, GCancellable *cancellable)
{
  gboolean smtp = check->protocol == SIGNET_ACCOUNT_PROTOCOL_SMTP;
  gboolean tls = g_str_equal (check->security, "tls");

  talk->check = check;
  talk->cancellable = cancellable;
  /* The SMTP path is what EHLO names the client by: an address literal,
   * never this computer's name. */
  talk->url = smtp ? signet_curl_make_url (tls ? "smtps" : "smtp", check->host, check->port, "/%5B127.0.0.1%5D")
                   : signet_curl_make_url (tls ? "imaps" : "imap", check->host, check->port, "/");
  talk->server = (SignetCurlServer) {
    check->host, talk->url, smtp ? "smtp,smtps" : "imap,imaps", check->security, check->ca_file,
    check->pinned_public_key, CHECK_TIMEOUT,
  };
  talk->smtp.lines = g_string_new (NULL);
  talk->imap.wanted_use = SENT_USE;
  signet_curl_line_init (&talk->line);
  talk->easy = curl_easy_init ();
  signet_curl_setup_connection (talk->easy, &talk->server, talk->error_buffer);
  if (smtp)
    {
      curl_easy_setopt (talk->easy, CURLOPT_VERBOSE, 1L);
      curl_easy_setopt (talk->easy, CURLOPT_DEBUGFUNCTION, on_smtp_debug);
      curl_easy_setopt (talk->easy, CURLOPT_DEBUGDATA, &talk->smtp);
      curl_easy_setopt (talk->easy, CURLOPT_WRITEFUNCTION, signet_curl_discard);
    }
  else
    signet_curl_imap_setup (talk->easy, &talk->imap);
  if (logs_in (check))
    {
      curl_easy_setopt (talk->easy, CURLOPT_USERNAME, check->user);
      curl_easy_setopt (talk->easy, CURLOPT_PASSWORD, check->password != NULL ? check->password : "");
    }
}

static CURLcode
talk_command (Talk *talk, const char *command)
{
  signet_curl_imap_clear (&talk->imap);
  talk->error_buffer[0] = '\0';
  curl_easy_setopt (talk->easy, CURLOPT_CUSTOMREQUEST, command);
  return signet_curl_perform (talk->easy, &talk->line, talk->cancellable);
}

/* ---- what went wrong ----------------------------------------------------------------- */

static gboolean
smtp_refused_error (const Talk *talk, GError **error)
{
  const Smtp *smtp = &talk->smtp;
  const char *host = talk->check->host;
  int code = smtp->code >= 500 ? SIGNET_TRANSPORT_ERROR_PERMANENT : SIGNET_TRANSPORT_ERROR_TEMPORARY;

  if (smtp->code < 400 || smtp->words == NULL)
    return FALSE;
  if (g_strcmp0 (smtp->answered, "AUTH") == 0)
    /* Translators: %s is a server's name, then a user name, then the server's reply */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s refused the login as %s: %s"),
                 host, talk->check->user, smtp->words);
  else if (g_strcmp0 (smtp->answered, "STARTTLS") == 0)
    /* Translators: %s is a server's name, then the server's reply */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s could not start TLS: %s"), host, smtp->words);
  else
    /* Translators: %s is a server's name, then the server's reply */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s is not accepting mail: %s"), host, smtp->words);
  return TRUE;
}

static gboolean
imap_refused_error (const Talk *talk, GError **error)
{
  const SignetCurlImap *imap = &talk->imap;
  g_autofree char *reply = NULL;

  if (signet_curl_imap_login_error (imap, talk->check->host, talk->check->user, error) ||
      signet_curl_imap_bye_error (imap, talk->check->host, error))
    return TRUE;
  if (g_strcmp0 (imap->status, "NO") != 0 && g_strcmp0 (imap->status, "BAD") != 0)
    return FALSE;
  reply = signet_curl_imap_reply (imap);
  /* Translators: %s is a server's name, then the server's reply */
  g_set_error (error, SIGNET_TRANSPORT_ERROR, signet_curl_imap_error_code (imap), _("%s refused: %s"),
               talk->check->host, reply);
  return TRUE;
}

static void
connection_error (const Talk *talk, CURLcode result, const char *detail, GError **error)
{
  if (!signet_curl_connection_error (result, talk->check->host, detail, error))
    /* Translators: %s is a server's name, then the reason */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
                 _("Could not test the connection to %s: %s"), talk->check->host, detail);
}

static gboolean
talk_failed (Talk *talk, CURLcode result, SignetServerCheckResult *check_result, GError **error)
{
  const char *detail = talk->error_buffer[0] != '\0' ? talk->error_buffer : curl_easy_strerror (result);
  gboolean (*refused_error) (const Talk *, GError **) =
    talk->check->protocol == SIGNET_ACCOUNT_PROTOCOL_SMTP ? smtp_refused_error : imap_refused_error;

  if (g_cancellable_is_cancelled (talk->cancellable))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The connection test was cancelled."));
  else if (signet_curl_is_certificate_failure (result))
    signet_curl_untrusted_error (&talk->server, detail, talk->cancellable, &check_result->fingerprint,
                                 &check_result->pin, error);
  else if (!refused_error (talk, error))
    connection_error (talk, result, detail, error);
  return FALSE;
}

/* ---- the check ------------------------------------------------------------------------ */

static gboolean
check_smtp (Talk *talk, SignetServerCheckResult *result, GError **error)
{
  CURLcode code = talk_command (talk, "NOOP");

  if (code != CURLE_OK)
    return talk_failed (talk, code, result, error);
  result->reply = g_strdup (talk->smtp.login != NULL ? talk->smtp.login : talk->smtp.greeting);
  return TRUE;
}

/* A server without LIST-EXTENDED refuses RETURN: a plain LIST may still
 * name the Sent folder. */
static gboolean
check_imap (Talk *talk, SignetServerCheckResult *result, GError **error)
{
  static const char * const lists[] = { "LIST \"\" \"*\" RETURN (SPECIAL-USE)", "LIST \"\" \"*\"" };
  CURLcode code = CURLE_OK;

  if (!logs_in (talk->check))
    code = talk_command (talk, "NOOP");
  for (guint i = 0; logs_in (talk->check) && i < G_N_ELEMENTS (lists); i++)
    {
      code = talk_command (talk, lists[i]);
      if (code == CURLE_OK || (!signet_curl_imap_replied (&talk->imap, "LIST", "BAD") &&
                               !signet_curl_imap_replied (&talk->imap, "LIST", "NO")))
        break;
    }
  if (code != CURLE_OK)
    return talk_failed (talk, code, result, error);
  result->sent_folder = g_steal_pointer (&talk->imap.special_use);
  result->reply = g_strdup (logs_in (talk->check) ? talk->imap.login : talk->imap.greeting);
  return TRUE;
}

static void
check_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Check *check = task_data;
  g_auto(Talk) talk = { 0 };
  GError *error = NULL;
  gboolean ok;

  talk_init (&talk, check, cancellable);
  g_debug ("Testing the connection to %s", talk.url);
  if (check->protocol == SIGNET_ACCOUNT_PROTOCOL_SMTP)
    ok = check_smtp (&talk, check->result, &error);
  else
    ok = check_imap (&talk, check->result, &error);
  if (ok)
    signet_curl_line_close (&talk.line, cancellable);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* What is refused before connecting, in the words the settings use. */
static gboolean
check_settings (Check *check, GError **error)
{
  SignetAccountSecurity security;
  gboolean smtp = check->protocol == SIGNET_ACCOUNT_PROTOCOL_SMTP;

  if (!signet_account_security_from_string (check->security, &security))
    return !signet_curl_server_error (SIGNET_CURL_SERVER_BAD_SECURITY, check->host, check->security, error);
  if (check->port == 0 && smtp)
    check->port = security == SIGNET_ACCOUNT_SECURITY_TLS ? 465 : 587;
  else if (check->port == 0)
    check->port = security == SIGNET_ACCOUNT_SECURITY_TLS ? 993 : 143;
  if (!signet_account_check_server (check->protocol, check->host, check->port, security, error))
    return FALSE;
  /* The host is valid for the account; libcurl must take it too. */
  return !signet_curl_server_error (signet_curl_check_server (check->host, check->security), check->host,
                                    check->security, error);
}

/* Settings refused before connecting are in SIGNET_ACCOUNT_ERROR (or
 * SIGNET_TRANSPORT_ERROR_PERMANENT for an unknown @security). */
void
signet_server_check_async (SignetAccountProtocol  protocol,
                           const char            *host,
                           guint                  port,
                           const char            *security,
                           const char            *user,
                           const char            *password,
                           const char            *pinned_public_key,
                           const char            *ca_file,
                           GCancellable          *cancellable,
                           GAsyncReadyCallback    callback,
                           gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  Check *check;

  g_return_if_fail (protocol <= SIGNET_ACCOUNT_PROTOCOL_IMAP);

  /* Before any thread can use libcurl. */
  check = g_new0 (Check, 1);
  check->protocol = protocol;
  check->host = g_strdup (host);
  check->port = port;
  check->security = g_strdup (security);
  check->user = g_strdup (user);
  check->password = g_strdup (password);
  check->pinned_public_key = pinned_public_key != NULL && *pinned_public_key != '\0' ? g_strdup (pinned_public_key) : NULL;
  check->ca_file = ca_file != NULL && *ca_file != '\0' ? g_strdup (ca_file) : NULL;
  check->result = g_new0 (SignetServerCheckResult, 1);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, signet_server_check_async);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);
  if (!check_settings (check, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_run_in_thread (task, check_thread);
}

gboolean
signet_server_check_finish (GAsyncResult             *res,
                            SignetServerCheckResult **result,
                            GError                  **error)
{
  Check *check;

  g_return_val_if_fail (g_task_is_valid (res, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (res)) == signet_server_check_async, FALSE);

  check = g_task_get_task_data (G_TASK (res));
  if (result != NULL)
    *result = g_steal_pointer (&check->result);
  return g_task_propagate_boolean (G_TASK (res), error);
}
