#define G_LOG_DOMAIN "signet-smtp-transport"

#include "signet-smtp-transport.h"

#include <string.h>

#include "signet-errors.h"
#include "signet-i18n.h"

/* Delivers through a mail server (SMTP submission) with libcurl.
 *
 * The message is streamed from its file; bare LF line ends become CRLF on
 * the way. Only the given recipients are named in RCPT, and one refused
 * recipient does not stop the others (CURLOPT_MAIL_RCPT_ALLOWFAILS). A
 * recipient counts as delivered only once the server has answered the end
 * of the data with 250.
 *
 * libcurl reports one result per transfer, so the server's replies are read
 * as they pass through its debug callback: which RCPT got what answer, the
 * SIZE limit of the EHLO reply, the final reply to the data, and the words
 * of the reply that ended a failed transfer. Only the first word of what
 * Signet sends is looked at there: AUTH lines carry the password. */

#if LIBCURL_VERSION_NUM < 0x080200
#define SIGNET_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#else
#define SIGNET_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#endif

#define DEFAULT_TIMEOUT 120


struct _SignetSmtpTransport
{
  GObject                parent_instance;

  GMutex                 lock;  /* deliveries run in other threads */
  char                  *host;
  guint                  port;
  char                  *security;
  char                  *user;
  char                  *password;
  char                  *sender;
  char                  *ca_file;
  char                  *pinned_public_key;
  guint                  timeout;
  SignetCurlClient       client;
};

static void signet_smtp_transport_iface_init (SignetTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SignetSmtpTransport, signet_smtp_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_TRANSPORT, signet_smtp_transport_iface_init))

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_USER,
  PROP_PASSWORD,
  PROP_SENDER,
  PROP_CA_FILE,
  PROP_PINNED_PUBLIC_KEY,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- what one delivery uses, copied under the lock ------------------------ */

typedef struct {
  char    *host;
  guint    port;
  char    *security;
  char    *user;
  char    *sender;
  char    *ca_file;
  char    *pinned_public_key;
  guint    timeout;
} Settings;

static void
settings_free (Settings *settings)
{
  g_free (settings->host);
  g_free (settings->security);
  g_free (settings->user);
  g_free (settings->sender);
  g_free (settings->ca_file);
  g_free (settings->pinned_public_key);
  g_free (settings);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Settings, settings_free)

static Settings *
settings_copy (SignetSmtpTransport *self)
{
  Settings *settings = g_new0 (Settings, 1);

  g_mutex_lock (&self->lock);
  settings->host = g_strdup (self->host);
  settings->port = self->port;
  settings->security = g_strdup (self->security);
  settings->user = g_strdup (self->user);
  settings->sender = g_strdup (self->sender);
  settings->ca_file = g_strdup (self->ca_file);
  settings->pinned_public_key = g_strdup (self->pinned_public_key);
  settings->timeout = self->timeout;
  g_mutex_unlock (&self->lock);
  return settings;
}

/* ---- the message, streamed ----------------------------------------------- */

typedef struct {
  SignetCurlUpload stream;
  guint64          limit;       /* the server's SIZE, 0 when it named none */
  gboolean         too_large;   /* stopped before the first byte for that */
} Upload;

static size_t
on_read (char *out, size_t size, size_t n_items, void *user_data)
{
  Upload *upload = user_data;

  /* A server that does not refuse MAIL FROM with SIZE= still never gets
   * a byte of a message larger than it said it takes. */
  if (upload->limit > 0 && (guint64) upload->stream.size > upload->limit)
    {
      upload->too_large = TRUE;
      return CURL_READFUNC_ABORT;
    }
  return signet_curl_upload_read (&upload->stream, out, size * n_items);
}

/* ---- the conversation, as the server answered it --------------------------- */

typedef enum {
  STEP_GREETING,
  STEP_EHLO,
  STEP_STARTTLS,
  STEP_AUTH,
  STEP_MAIL,
  STEP_RCPT,
  STEP_DATA,
  STEP_END_OF_DATA,
  STEP_QUIT,
} Step;

typedef struct {
  const char * const *recipients;
  guint               n_recipients;
  guint               n_rcpt_sent;
  int                *rcpt_codes;     /* 0: not answered */
  char              **rcpt_replies;
  Step                step;
  GString            *reply;          /* the reply being read */
  int                 code;           /* of the last complete reply */
  Step                code_step;      /* what it answered */
  char               *words;          /* its text, cleaned for showing */
  int                 data_code;      /* the answer to the end of the data */
  Upload              upload;
  SignetCurlLine      line;
  gboolean            cancelled;
  gint                handed_over;  /* atomic: the whole message and its end went out */
  SignetTransportDelivered delivered;
  gpointer            delivered_data;
  gint                reported;     /* atomic: the accepted recipients were reported */
  GCancellable       *inner;        /* what the connection obeys: @cancellable until then */
  GCancellable       *cancellable;
  SignetTransportSending sending;
  gpointer            sending_data;
  curl_off_t          last_sent;
} Session;

static void
session_clear (Session *session)
{
  g_free (session->rcpt_codes);
  g_strfreev (session->rcpt_replies);
  if (session->reply != NULL)
    g_string_free (session->reply, TRUE);
  g_free (session->words);
  signet_curl_line_clear (&session->line);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Session, session_clear)

static void
session_init (Session *session, const char * const *recipients, GCancellable *cancellable)
{
  session->recipients = recipients;
  session->n_recipients = g_strv_length ((char **) recipients);
  session->rcpt_codes = g_new0 (int, session->n_recipients);
  session->rcpt_replies = g_new0 (char *, session->n_recipients + 1);
  session->reply = g_string_new (NULL);
  session->step = STEP_GREETING;
  session->cancellable = cancellable;
  signet_curl_line_init (&session->line);
}

/* Only the command word: what follows AUTH is a credential. */
static void
session_command_sent (Session *session, const char *data, size_t size)
{
  static const struct { const char *word; Step step; } words[] = {
    { "EHLO", STEP_EHLO }, { "HELO", STEP_EHLO }, { "STARTTLS", STEP_STARTTLS },
    { "AUTH", STEP_AUTH }, { "MAIL", STEP_MAIL }, { "RCPT", STEP_RCPT },
    { "DATA", STEP_DATA }, { "QUIT", STEP_QUIT },
  };

  /* An answer to the server's challenge: a credential, never a command. */
  if (session->step == STEP_AUTH && session->code == 334 && session->code_step == STEP_AUTH)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      size_t len = strlen (words[i].word);
      if (size >= len + 2 && g_ascii_strncasecmp (data, words[i].word, len) == 0 &&
          (data[len] == ' ' || data[len] == '\r'))
        {
          /* After a failure libcurl still says QUIT and waits for the
           * answer as long as for any other: a server that stopped
           * answering would cost the timeout twice. */
          if (words[i].step == STEP_QUIT && session->data_code / 100 != 2)
            signet_curl_line_hang_up (&session->line, FALSE);
          session->step = words[i].step;
          if (words[i].step == STEP_RCPT)
            session->n_rcpt_sent++;
          if (words[i].step == STEP_EHLO)
            session->upload.limit = 0;
          g_string_truncate (session->reply, 0);
          return;
        }
    }
}

static void
session_parse_size (Session *session, const char *text)
{
  guint64 limit;

  if (g_ascii_strncasecmp (text, "SIZE", 4) != 0 || (text[4] != ' ' && text[4] != '\0'))
    return;
  limit = g_ascii_strtoull (text + 4, NULL, 10);
  session->upload.limit = limit;
}

/* The end of the data accepted: each accepted recipient is reported at
 * once, before anything else is said (QUIT, whose answer may be slow to
 * come): the Outbox records them, so a stop from here on never delivers
 * to them again. */
static void
session_report_delivered (Session *session)
{
  if (session->data_code / 100 != 2 || g_atomic_int_get (&session->reported))
    return;
  for (guint i = 0; session->delivered != NULL && i < session->n_recipients; i++)
    if (session->rcpt_codes[i] / 100 == 2)
      session->delivered (session->recipients[i], session->delivered_data);
  g_atomic_int_set (&session->reported, TRUE);
  /* Recorded: a Cancel waiting for this answer cuts the rest (QUIT) short. */
  if (g_cancellable_is_cancelled (session->cancellable) && session->inner != NULL)
    g_cancellable_cancel (session->inner);
}

static void
session_reply_complete (Session *session, int code)
{
  g_autofree char *words = signet_curl_clean_words (session->reply->str);

  g_string_truncate (session->reply, 0);
  /* The goodbye says nothing about the message. */
  if (session->step == STEP_QUIT)
    return;
  session->code = code;
  session->code_step = session->step;
  g_free (session->words);
  session->words = g_strdup_printf ("%d %s", code, words);
  g_strchomp (session->words);

  if (session->step == STEP_RCPT && session->n_rcpt_sent >= 1 &&
      session->n_rcpt_sent <= session->n_recipients)
    {
      guint i = session->n_rcpt_sent - 1;
      session->rcpt_codes[i] = code;
      g_free (session->rcpt_replies[i]);
      session->rcpt_replies[i] = g_strdup (session->words);
    }
  else if (session->step == STEP_DATA && code == 354)
    session->step = STEP_END_OF_DATA;
  else if (session->step == STEP_END_OF_DATA)
    {
      session->data_code = code;
      session_report_delivered (session);
    }
}

static void
session_reply_line (Session *session, const char *data, size_t size)
{
  g_autofree char *line = NULL;
  gboolean last;
  int code;

  if (size < 3 || !g_ascii_isdigit (data[0]) || !g_ascii_isdigit (data[1]) || !g_ascii_isdigit (data[2]))
    return;
  line = g_strndup (data, size);
  g_strchomp (line);
  code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
  last = line[3] != '-';
  if (session->step == STEP_EHLO && line[3] != '\0')
    session_parse_size (session, line + 4);
  if (session->reply->len > 0)
    g_string_append_c (session->reply, ' ');
  g_string_append (session->reply, line[3] != '\0' ? line + 4 : "");
  if (last)
    session_reply_complete (session, code);
}

static int
on_debug (CURL *easy, curl_infotype type, char *data, size_t size, void *user_data)
{
  if (type == CURLINFO_HEADER_OUT)
    session_command_sent (user_data, data, size);
  else if (type == CURLINFO_HEADER_IN)
    session_reply_line (user_data, data, size);
  return 0;
}

/* Also called while libcurl waits without returning (for the answer to
 * the end of the data): the only way to stop it there. */
static int
on_progress (void *user_data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  Session *session = user_data;

  if (session->step == STEP_END_OF_DATA && ulnow >= (curl_off_t) session->upload.stream.size)
    g_atomic_int_set (&session->handed_over, TRUE);
  if (g_cancellable_is_cancelled (session->inner))
    session->cancelled = TRUE;
  if (session->sending != NULL && ulnow != session->last_sent)
    {
      session->last_sent = ulnow;
      session->sending (ulnow, (goffset) session->upload.stream.size, session->sending_data);
    }
  return session->cancelled;
}

/* Cancel stops a delivery at once, until the server has the whole
 * message: from then on, stopping would leave unknown whether it was
 * delivered (a retry would deliver it twice), so the server's answer is
 * waited for, as long as the timeout allows. */
static void
on_delivery_cancelled (GCancellable *cancellable, Session *session)
{
  if (!g_atomic_int_get (&session->handed_over) || g_atomic_int_get (&session->reported))
    g_cancellable_cancel (session->inner);
}

/* ---- the connection --------------------------------------------------------- */

/* The path is what EHLO names the client by: an address literal, never this
 * computer's name (libcurl's default), which would say who sends. */
static char *
make_url (const Settings *settings)
{
  gboolean tls = g_strcmp0 (settings->security, "tls") == 0;
  guint port = settings->port != 0 ? settings->port : (tls ? 465 : 587);

  return signet_curl_make_url (tls ? "smtps" : "smtp", settings->host, port, "/%5B127.0.0.1%5D");
}

/* What every connection to the server shares: where, how secure, how long;
 * and one message a connection. */
static void
setup_connection (CURL *easy, const Settings *settings, const char *url, char *error_buffer)
{
  SignetCurlServer server = {
    settings->host, url, "smtp,smtps", settings->security, settings->ca_file,
    settings->pinned_public_key, settings->timeout,
  };

  signet_curl_setup_connection (easy, &server, error_buffer);
  curl_easy_setopt (easy, CURLOPT_FORBID_REUSE, 1L);
}

static void
untrusted_error (SignetSmtpTransport *self, const Settings *settings, const char *detail,
                 GCancellable *cancellable, GError **error)
{
  g_autofree char *url = make_url (settings);
  SignetCurlServer server = {
    settings->host, url, "smtp,smtps", settings->security, settings->ca_file, NULL, settings->timeout,
  };
  char *fingerprint = NULL;
  char *pin = NULL;

  if (signet_curl_untrusted_error (&server, detail, cancellable, &fingerprint, &pin, error))
    signet_curl_client_set_untrusted (&self->client, fingerprint, pin);
}

/* ---- what went wrong -------------------------------------------------------- */

static int
code_class (int code)
{
  return code >= 500 ? SIGNET_TRANSPORT_ERROR_PERMANENT : SIGNET_TRANSPORT_ERROR_TEMPORARY;
}

/* Refused recipients, each in a sentence of its own. Permanent unless one
 * of them was refused for now only. */
static gboolean
refused_recipients_error (const Session *session, GError **error)
{
  g_autoptr(GString) message = g_string_new (NULL);
  int code = SIGNET_TRANSPORT_ERROR_PERMANENT;

  for (guint i = 0; i < session->n_recipients; i++)
    {
      if (session->rcpt_codes[i] < 400)
        continue;
      if (message->len > 0)
        g_string_append_c (message, '\n');
      /* Translators: %s is an address, then the server's reply */
      g_string_append_printf (message, _("The server refused %s: %s"),
                              session->recipients[i], session->rcpt_replies[i]);
      if (session->rcpt_codes[i] < 500)
        code = SIGNET_TRANSPORT_ERROR_TEMPORARY;
    }
  if (message->len == 0)
    return FALSE;
  g_set_error_literal (error, SIGNET_TRANSPORT_ERROR, code, message->str);
  return TRUE;
}

/* A failure the server explained with a 4xx or 5xx reply. */
static gboolean
server_refused_error (const Session *session, const Settings *settings, GError **error)
{
  const char *host = settings->host;
  int code = code_class (session->code);
  const char *words = session->words;

  if (session->code < 400)
    return FALSE;
  switch (session->code_step)
    {
    case STEP_RCPT:
      return refused_recipients_error (session, error);
    case STEP_AUTH:
      /* Translators: %s is a server's name, then a user name, then the server's reply */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s refused the login as %s: %s"),
                   host, settings->user, words);
      return TRUE;
    case STEP_MAIL:
      /* Translators: %s is a server's name, then an address, then the server's reply */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s refused the sender %s: %s"),
                   host, settings->sender, words);
      return TRUE;
    case STEP_DATA:
    case STEP_END_OF_DATA:
      /* Translators: %s is a server's name, then the server's reply */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s refused the message: %s"), host, words);
      return TRUE;
    case STEP_STARTTLS:
      /* Translators: %s is a server's name, then the server's reply */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s could not start TLS: %s"), host, words);
      return TRUE;
    case STEP_GREETING:
    case STEP_EHLO:
    case STEP_QUIT:
    default:
      /* Translators: %s is a server's name, then the server's reply */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s is not accepting mail: %s"), host, words);
      return TRUE;
    }
}

static gboolean
too_large_error (const Session *session, const Settings *settings, GError **error)
{
  g_autofree char *size = NULL;
  g_autofree char *limit = NULL;

  if (!session->upload.too_large &&
      !(session->code == 552 && session->code_step == STEP_MAIL && session->upload.limit > 0 &&
        (guint64) session->upload.stream.size > session->upload.limit))
    return FALSE;
  size = g_format_size_full (session->upload.stream.size, G_FORMAT_SIZE_LONG_FORMAT);
  limit = g_format_size_full (session->upload.limit, G_FORMAT_SIZE_LONG_FORMAT);
  /* Translators: the first two %s are sizes, the third a server's name */
  g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
               _("The message is %s, more than the %s that %s accepts."), size, limit, settings->host);
  return TRUE;
}

/* A failure libcurl saw without a reply that explains it. */
static void
connection_error (CURLcode result, const Settings *settings, const char *detail, GError **error)
{
  const char *host = settings->host;

  if (result == CURLE_USE_SSL_FAILED)
    /* Translators: %s is a server's name */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("%s does not offer STARTTLS; the message was not sent unencrypted."), host);
  else if (!signet_curl_connection_error (result, host, detail, error))
    /* Translators: %s is a server's name, then the reason */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
                 _("Could not send the message through %s: %s"), host, detail);
}

/* ---- checks before connecting ------------------------------------------------ */

/* An address libcurl will put between < and > as it is. */
static gboolean
is_envelope_address (const char *address)
{
  if (address == NULL || *address == '\0' || strchr (address, '@') == NULL)
    return FALSE;
  for (const char *p = address; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
      return FALSE;
  return g_utf8_validate (address, -1, NULL);
}

static gboolean
check_server (const Settings *settings, GError **error)
{
  SignetCurlServerCheck check = signet_curl_check_server (settings->host, settings->security);

  if (check == SIGNET_CURL_SERVER_NO_HOST)
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("No outgoing mail server is set."));
  else if (check == SIGNET_CURL_SERVER_INSECURE)
    /* Translators: %s is a server's name */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("Refusing to send to %s without TLS: only a server on this computer may be used unencrypted."),
                 settings->host);
  else
    return !signet_curl_server_error (check, settings->host, settings->security, error);
  return FALSE;
}

static gboolean
check_settings (const Settings *settings, const char * const *recipients, GError **error)
{
  if (!check_server (settings, error))
    return FALSE;
  if (!is_envelope_address (settings->sender))
    {
      /* Translators: %s is the sender's address as set */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                   _("The sender address “%s” cannot be given to a mail server."),
                   settings->sender != NULL ? settings->sender : "");
      return FALSE;
    }
  for (guint i = 0; recipients[i] != NULL; i++)
    if (!is_envelope_address (recipients[i]))
      {
        g_autofree char *shown = g_strescape (recipients[i], NULL);
        /* Translators: %s is an address */
        g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                     _("The address “%s” cannot be given to a mail server."), shown);
        return FALSE;
      }
  return TRUE;
}

/* ---- delivery ------------------------------------------------------------------ */

static SignetCurlSecret *
get_password (SignetSmtpTransport *self, const Settings *settings, GCancellable *cancellable, GError **error)
{
  gboolean asked;
  char *password = signet_curl_client_ask_password (&self->client, G_OBJECT (self), settings->user,
                                                    settings->host, cancellable, &asked, error);

  if (asked)
    return password;
  g_mutex_lock (&self->lock);
  password = g_strdup (self->password != NULL ? self->password : "");
  g_mutex_unlock (&self->lock);
  return password;
}

static struct curl_slist *
make_recipient_list (const char * const *recipients)
{
  struct curl_slist *list = NULL;

  for (guint i = 0; recipients[i] != NULL; i++)
    {
      g_autofree char *bracketed = g_strdup_printf ("<%s>", recipients[i]);
      list = curl_slist_append (list, bracketed);
    }
  return list;
}

static void
setup_message (CURL *easy, const Settings *settings, Session *session, const char *password,
               struct curl_slist *rcpt, char *error_buffer)
{
  g_autofree char *from = g_strdup_printf ("<%s>", settings->sender);
  g_autofree char *url = make_url (settings);

  setup_connection (easy, settings, url, error_buffer);
  if (settings->user != NULL && *settings->user != '\0')
    {
      curl_easy_setopt (easy, CURLOPT_USERNAME, settings->user);
      curl_easy_setopt (easy, CURLOPT_PASSWORD, password);
    }
  curl_easy_setopt (easy, CURLOPT_MAIL_FROM, from);
  curl_easy_setopt (easy, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt (easy, SIGNET_CURLOPT_RCPT_ALLOWFAILS, 1L);
  curl_easy_setopt (easy, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt (easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t) session->upload.stream.size);
  curl_easy_setopt (easy, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt (easy, CURLOPT_READDATA, &session->upload);
  curl_easy_setopt (easy, CURLOPT_VERBOSE, 1L);  /* the replies come through on_debug */
  curl_easy_setopt (easy, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt (easy, CURLOPT_DEBUGDATA, session);
  curl_easy_setopt (easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (easy, CURLOPT_XFERINFODATA, session);
}

/* Why a transfer that did not end with the message accepted failed. */
static void
classify_failure (SignetSmtpTransport *self, CURLcode result, const Session *session,
                  const Settings *settings, const char *error_buffer, GCancellable *cancellable,
                  GError **error)
{
  const char *detail = *error_buffer != '\0' ? error_buffer : curl_easy_strerror (result);

  if (session->cancelled || g_cancellable_is_cancelled (cancellable))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The delivery was cancelled."));
  else if (too_large_error (session, settings, error))
    return;
  else if (session->upload.stream.read_errno != 0)
    signet_curl_upload_error (&session->upload.stream, error);
  else if (signet_curl_is_certificate_failure (result))
    untrusted_error (self, settings, detail, cancellable, error);
  else if (!server_refused_error (session, settings, error))
    connection_error (result, settings, detail, error);
}

static gboolean
signet_smtp_transport_deliver (SignetTransport          *transport,
                               int                       message_fd,
                               const char               *copy_id,
                               const char * const       *recipients,
                               SignetTransportDelivered  delivered,
                               SignetTransportSending    sending,
                               gpointer                  user_data,
                               GCancellable             *cancellable,
                               GError                  **error)
{
  SignetSmtpTransport *self = SIGNET_SMTP_TRANSPORT (transport);
  g_autoptr(Settings) settings = settings_copy (self);
  g_auto(Session) session = { 0 };
  g_autoptr(CURL) easy = NULL;
  g_autoptr(SignetCurlSecret) password = NULL;
  struct curl_slist *rcpt = NULL;
  char error_buffer[CURL_ERROR_SIZE] = "";
  gulong handler;
  CURLcode result;

  signet_curl_client_set_untrusted (&self->client, NULL, NULL);
  session_init (&session, recipients, cancellable);
  session.sending = sending;
  session.sending_data = user_data;
  session.delivered = delivered;
  session.delivered_data = user_data;
  if (!check_settings (settings, recipients, error) ||
      !signet_curl_upload_prepare (&session.upload.stream, message_fd, cancellable, error))
    return FALSE;
  if (settings->user != NULL && *settings->user != '\0' &&
      (password = get_password (self, settings, cancellable, error)) == NULL)
    return FALSE;

  easy = curl_easy_init ();
  rcpt = make_recipient_list (recipients);
  setup_message (easy, settings, &session, password, rcpt, error_buffer);
  g_clear_pointer (&password, signet_curl_password_free);
  g_debug ("Delivering %s to %u recipient(s) through %s", copy_id, session.n_recipients, settings->host);
  session.inner = g_cancellable_new ();
  handler = cancellable != NULL ? g_cancellable_connect (cancellable, G_CALLBACK (on_delivery_cancelled),
                                                         &session, NULL) : 0;
  result = signet_curl_perform (easy, &session.line, session.inner);
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  g_clear_object (&session.inner);
  g_clear_pointer (&easy, curl_easy_cleanup);
  curl_slist_free_all (rcpt);

  /* Only an accepted end of data delivers: then to each accepted RCPT. */
  if (session.data_code / 100 == 2)
    {
      session_report_delivered (&session);
      return !refused_recipients_error (&session, error);
    }
  classify_failure (self, result, &session, settings, error_buffer, cancellable, error);
  return FALSE;
}

static void
signet_smtp_transport_iface_init (SignetTransportInterface *iface)
{
  iface->deliver = signet_smtp_transport_deliver;
}

/* ---- the object ------------------------------------------------------------------ */

/* After a delivery that failed with SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE:
 * the certificate's SHA-256 fingerprint and the pin ("sha256//…") that
 * trusts its key when set as "pinned-public-key". FALSE when the last
 * delivery did not stop at a certificate it could identify. */
gboolean
signet_smtp_transport_dup_untrusted_certificate (SignetSmtpTransport  *self,
                                                 char                **fingerprint,
                                                 char                **pin)
{
  g_return_val_if_fail (SIGNET_IS_SMTP_TRANSPORT (self), FALSE);
  return signet_curl_client_dup_untrusted (&self->client, fingerprint, pin);
}

void
signet_smtp_transport_set_password (SignetSmtpTransport *self,
                                    const char          *password)
{
  g_return_if_fail (SIGNET_IS_SMTP_TRANSPORT (self));
  g_mutex_lock (&self->lock);
  signet_curl_password_free (self->password);
  self->password = g_strdup (password);
  g_mutex_unlock (&self->lock);
}

/* @func is asked for the password whenever a delivery logs in; it wins
 * over the "password" property. */
void
signet_smtp_transport_set_password_func (SignetSmtpTransport    *self,
                                         SignetPasswordFunc      func,
                                         gpointer                user_data,
                                         GDestroyNotify          destroy)
{
  g_return_if_fail (SIGNET_IS_SMTP_TRANSPORT (self));
  signet_curl_client_set_password_func (&self->client, func, user_data, destroy);
}

static void
replace_string (SignetSmtpTransport *self, char **field, const GValue *value)
{
  g_mutex_lock (&self->lock);
  g_free (*field);
  *field = g_value_dup_string (value);
  g_mutex_unlock (&self->lock);
}

static void
signet_smtp_transport_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetSmtpTransport *self = SIGNET_SMTP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_HOST:
      replace_string (self, &self->host, value);
      break;
    case PROP_PORT:
      g_mutex_lock (&self->lock);
      self->port = g_value_get_uint (value);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_SECURITY:
      replace_string (self, &self->security, value);
      if (self->security == NULL)
        self->security = g_strdup ("starttls");
      break;
    case PROP_USER:
      replace_string (self, &self->user, value);
      break;
    case PROP_PASSWORD:
      signet_smtp_transport_set_password (self, g_value_get_string (value));
      break;
    case PROP_SENDER:
      replace_string (self, &self->sender, value);
      break;
    case PROP_CA_FILE:
      replace_string (self, &self->ca_file, value);
      break;
    case PROP_PINNED_PUBLIC_KEY:
      replace_string (self, &self->pinned_public_key, value);
      break;
    case PROP_TIMEOUT:
      g_mutex_lock (&self->lock);
      self->timeout = g_value_get_uint (value);
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_smtp_transport_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetSmtpTransport *self = SIGNET_SMTP_TRANSPORT (object);

  g_mutex_lock (&self->lock);
  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_SECURITY:
      g_value_set_string (value, self->security);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_SENDER:
      g_value_set_string (value, self->sender);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_PINNED_PUBLIC_KEY:
      g_value_set_string (value, self->pinned_public_key);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->lock);
}

static void
signet_smtp_transport_finalize (GObject *object)
{
  SignetSmtpTransport *self = SIGNET_SMTP_TRANSPORT (object);

  signet_curl_client_clear (&self->client);
  signet_curl_password_free (self->password);
  g_free (self->host);
  g_free (self->security);
  g_free (self->user);
  g_free (self->sender);
  g_free (self->ca_file);
  g_free (self->pinned_public_key);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (signet_smtp_transport_parent_class)->finalize (object);
}

static GParamSpec *
string_property (const char *name, const char *blurb, GParamFlags flags)
{
  return g_param_spec_string (name, NULL, blurb, NULL, flags | G_PARAM_STATIC_STRINGS);
}

static void
signet_smtp_transport_class_init (SignetSmtpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE;

  /* Before any thread can use libcurl. */

  object_class->set_property = signet_smtp_transport_set_property;
  object_class->get_property = signet_smtp_transport_get_property;
  object_class->finalize = signet_smtp_transport_finalize;

  properties[PROP_HOST] = string_property ("host", "The mail server's name or address", rw);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, "Its port; 0 for the usual one", 0, 65535, 0,
                                             rw | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECURITY] = g_param_spec_string ("security", NULL, "tls, starttls or none (this computer only)",
                                                   "starttls", rw | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER] = string_property ("user", "Who logs in; NULL for no login", rw);
  properties[PROP_PASSWORD] = string_property ("password", "The login's password (unless a password function is set)",
                                               G_PARAM_WRITABLE);
  properties[PROP_SENDER] = string_property ("sender", "The envelope sender (MAIL FROM)", rw);
  properties[PROP_CA_FILE] = string_property ("ca-file", "Certificate authorities to trust; NULL for the system's", rw);
  properties[PROP_PINNED_PUBLIC_KEY] = string_property ("pinned-public-key",
                                                        "A public key the user trusts for this server (sha256//BASE64)", rw);
  properties[PROP_TIMEOUT] = g_param_spec_uint ("timeout", NULL, "Seconds to wait for the server", 1, G_MAXUINT,
                                                DEFAULT_TIMEOUT, rw | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_smtp_transport_init (SignetSmtpTransport *self)
{
  g_mutex_init (&self->lock);
  signet_curl_client_init (&self->client);
  self->security = g_strdup ("starttls");
  self->timeout = DEFAULT_TIMEOUT;
}

SignetSmtpTransport *
signet_smtp_transport_new (const char *host,
                           guint       port,
                           const char *security)
{
  return g_object_new (SIGNET_TYPE_SMTP_TRANSPORT, "host", host, "port", port, "security", security, NULL);
}
