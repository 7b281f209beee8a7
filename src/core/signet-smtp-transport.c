#define G_LOG_DOMAIN "signet-smtp-transport"

#include "signet-smtp-transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
#define MAX_REPLY_CHARS 400

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURLM, curl_multi_cleanup)

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
  SignetPasswordFunc     password_func;
  gpointer               password_data;
  GDestroyNotify         password_destroy;
  char                  *untrusted_fingerprint;
  char                  *untrusted_pin;
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

/* ---- secrets ------------------------------------------------------------- */

static void
secret_free (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

typedef char Secret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Secret, secret_free)

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
  int      fd;
  guint8   buffer[16384];
  gsize    length;
  gsize    position;
  gboolean after_cr;
  int      read_errno;
  goffset  size;        /* as sent: every bare LF counted as CRLF */
  guint64  limit;       /* the server's SIZE, 0 when it named none */
  gboolean too_large;   /* stopped before the first byte for that */
} Upload;

static gssize
upload_fill (Upload *upload)
{
  gssize n;

  do
    n = read (upload->fd, upload->buffer, sizeof upload->buffer);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    upload->read_errno = errno;
  upload->length = MAX (n, 0);
  upload->position = 0;
  return n;
}

/* Reads the message once to know its size as it will be sent, then goes
 * back to its start. */
static gboolean
upload_prepare (Upload *upload, int fd, GCancellable *cancellable, GError **error)
{
  gssize n;

  upload->fd = fd;
  if (lseek (fd, 0, SEEK_SET) != 0)
    upload->read_errno = errno;
  while (upload->read_errno == 0 && (n = upload_fill (upload)) > 0)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (gsize i = 0; i < (gsize) n; i++)
        {
          if (upload->buffer[i] == '\n' && !upload->after_cr)
            upload->size++;
          upload->after_cr = upload->buffer[i] == '\r';
        }
      upload->size += n;
    }
  if (upload->read_errno == 0 && lseek (fd, 0, SEEK_SET) != 0)
    upload->read_errno = errno;
  if (upload->read_errno != 0)
    {
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
                   _("Could not read the message: %s"), g_strerror (upload->read_errno));
      return FALSE;
    }
  upload->after_cr = FALSE;
  upload->length = upload->position = 0;
  return TRUE;
}

static size_t
on_read (char *out, size_t size, size_t n_items, void *user_data)
{
  Upload *upload = user_data;
  size_t capacity = size * n_items;
  size_t written = 0;

  /* A server that does not refuse MAIL FROM with SIZE= still never gets
   * a byte of a message larger than it said it takes. */
  if (upload->limit > 0 && (guint64) upload->size > upload->limit)
    {
      upload->too_large = TRUE;
      return CURL_READFUNC_ABORT;
    }
  while (written + 2 <= capacity)
    {
      guint8 c;

      if (upload->position == upload->length && upload_fill (upload) <= 0)
        return upload->read_errno != 0 ? CURL_READFUNC_ABORT : written;
      c = upload->buffer[upload->position++];
      if (c == '\n' && !upload->after_cr)
        out[written++] = '\r';
      out[written++] = (char) c;
      upload->after_cr = c == '\r';
    }
  return written;
}

/* ---- the connection ----------------------------------------------------------- */

/* The sockets of one transfer, so that a cancellation can shut them down:
 * libcurl sometimes waits on its own (for the answer to the data, or to
 * QUIT) and would notice only a second later. They are closed under the
 * same lock, so no other file is ever shut down in their place. */
typedef struct {
  GMutex    lock;
  GArray   *sockets;
  gboolean  cancelled;
  CURLM    *multi;
} Line;

static void
line_init (Line *line)
{
  g_mutex_init (&line->lock);
  line->sockets = g_array_new (FALSE, FALSE, sizeof (curl_socket_t));
}

static void
line_clear (Line *line)
{
  g_clear_pointer (&line->sockets, g_array_unref);
  g_mutex_clear (&line->lock);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Line, line_clear)

static curl_socket_t
on_open_socket (void *user_data, curlsocktype purpose, struct curl_sockaddr *address)
{
  Line *line = user_data;
  curl_socket_t fd = socket (address->family, address->socktype | SOCK_CLOEXEC, address->protocol);

  g_mutex_lock (&line->lock);
  if (fd != CURL_SOCKET_BAD)
    {
      if (line->cancelled)
        shutdown (fd, SHUT_RDWR);
      g_array_append_val (line->sockets, fd);
    }
  g_mutex_unlock (&line->lock);
  return fd;
}

static int
on_close_socket (void *user_data, curl_socket_t fd)
{
  Line *line = user_data;

  g_mutex_lock (&line->lock);
  for (guint i = 0; i < line->sockets->len; i++)
    if (g_array_index (line->sockets, curl_socket_t, i) == fd)
      g_array_remove_index_fast (line->sockets, i--);
  close (fd);
  g_mutex_unlock (&line->lock);
  return 0;
}

/* Whoever waits on the line hears it close, at once. */
static void
line_hang_up (Line *line, gboolean cancelled)
{
  g_mutex_lock (&line->lock);
  line->cancelled |= cancelled;
  for (guint i = 0; i < line->sockets->len; i++)
    shutdown (g_array_index (line->sockets, curl_socket_t, i), SHUT_RDWR);
  if (line->multi != NULL)
    curl_multi_wakeup (line->multi);
  g_mutex_unlock (&line->lock);
}

static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  line_hang_up (user_data, TRUE);
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
  Line                line;
  gboolean            cancelled;
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
  if (session->line.sockets != NULL)
    line_clear (&session->line);
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
  line_init (&session->line);
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
            line_hang_up (&session->line, FALSE);
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

/* The server's words as a user may be shown them: printable, valid UTF-8,
 * not endless. */
static char *
clean_words (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *clean = g_string_new (NULL);

  for (const char *p = valid; *p != '\0' && clean->len < MAX_REPLY_CHARS; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
        g_string_append_c (clean, ' ');
      else
        g_string_append_unichar (clean, c);
    }
  return g_strstrip (g_string_free (clean, FALSE));
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

static void
session_reply_complete (Session *session, int code)
{
  g_autofree char *words = clean_words (session->reply->str);

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
    session->data_code = code;
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

  if (g_cancellable_is_cancelled (session->cancellable))
    session->cancelled = TRUE;
  if (session->sending != NULL && ulnow != session->last_sent)
    {
      session->last_sent = ulnow;
      session->sending (ulnow, (goffset) session->upload.size, session->sending_data);
    }
  return session->cancelled;
}

/* ---- running a transfer ---------------------------------------------------- */

/* Runs @easy to its end; cancelling @cancellable ends it at once. @line
 * must outlive @easy (a connection may close when @easy is cleaned up). */
static CURLcode
perform (CURL *easy, Line *line, GCancellable *cancellable)
{
  g_autoptr(CURLM) multi = curl_multi_init ();
  CURLcode result = CURLE_ABORTED_BY_CALLBACK;
  gulong handler = 0;
  int running = 1;
  int left;
  CURLMsg *msg;

  curl_easy_setopt (easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt (easy, CURLOPT_OPENSOCKETDATA, line);
  curl_easy_setopt (easy, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
  curl_easy_setopt (easy, CURLOPT_CLOSESOCKETDATA, line);
  curl_multi_add_handle (multi, easy);
  g_mutex_lock (&line->lock);
  line->multi = multi;
  g_mutex_unlock (&line->lock);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), line, NULL);
  while (running > 0 && !g_cancellable_is_cancelled (cancellable))
    {
      if (curl_multi_perform (multi, &running) != CURLM_OK)
        break;
      if (running > 0 && curl_multi_poll (multi, NULL, 0, 1000, NULL) != CURLM_OK)
        break;
    }
  while ((msg = curl_multi_info_read (multi, &left)) != NULL)
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy)
      result = msg->data.result;
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  g_mutex_lock (&line->lock);
  line->multi = NULL;
  g_mutex_unlock (&line->lock);
  curl_multi_remove_handle (multi, easy);
  return result;
}

/* The host as it may stand in a URL: an IP address (IPv6 without its
 * brackets) or a host name in its ASCII form; NULL for anything else. */
static char *
url_host (const char *host)
{
  g_autofree char *bare = NULL;
  g_autofree char *ascii = NULL;

  if (host == NULL)
    return NULL;
  bare = host[0] == '[' && g_str_has_suffix (host, "]") ? g_strndup (host + 1, strlen (host) - 2) : g_strdup (host);
  if (g_hostname_is_ip_address (bare))
    return g_steal_pointer (&bare);
  ascii = g_hostname_to_ascii (bare);
  if (ascii == NULL || *ascii == '\0' || *ascii == '.' || *ascii == '-')
    return NULL;
  for (const char *p = ascii; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      return NULL;
  return g_steal_pointer (&ascii);
}

/* The path is what EHLO names the client by: an address literal, never this
 * computer's name (libcurl's default), which would say who sends. */
static char *
make_url (const Settings *settings)
{
  gboolean tls = g_strcmp0 (settings->security, "tls") == 0;
  guint port = settings->port != 0 ? settings->port : (tls ? 465 : 587);
  g_autofree char *host = url_host (settings->host);
  gboolean ipv6 = strchr (host, ':') != NULL;

  return g_strdup_printf ("%s://%s%s%s:%u/%%5B127.0.0.1%%5D", tls ? "smtps" : "smtp", ipv6 ? "[" : "",
                          host, ipv6 ? "]" : "", port);
}

/* What every connection to the server shares: where, how secure, how long. */
static void
setup_connection (CURL *easy, const Settings *settings, char *error_buffer)
{
  g_autofree char *url = make_url (settings);
  long timeout = settings->timeout;

  curl_easy_setopt (easy, CURLOPT_URL, url);
  curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt (easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt (easy, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
  if (g_strcmp0 (settings->security, "starttls") == 0)
    curl_easy_setopt (easy, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
  if (settings->ca_file != NULL)
    curl_easy_setopt (easy, CURLOPT_CAINFO, settings->ca_file);
  curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT, timeout);
  curl_easy_setopt (easy, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
  curl_easy_setopt (easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (easy, CURLOPT_LOW_SPEED_TIME, timeout);
}

/* ---- certificates ---------------------------------------------------------- */

/* One DER element at @p (@avail bytes): its tag and the lengths of its
 * header and contents. */
static gboolean
der_element (const guint8 *p, gsize avail, guint8 *tag, gsize *header, gsize *length)
{
  gsize n_octets, len = 0;

  if (avail < 2 || (p[0] & 0x1f) == 0x1f)
    return FALSE;
  *tag = p[0];
  if (p[1] < 0x80)
    {
      *header = 2;
      *length = p[1];
      return *length <= avail - 2;
    }
  n_octets = p[1] & 0x7f;
  if (n_octets == 0 || n_octets > sizeof (gsize) || avail < 2 + n_octets)
    return FALSE;
  for (gsize i = 0; i < n_octets; i++)
    len = (len << 8) | p[2 + i];
  *header = 2 + n_octets;
  *length = len;
  return len <= avail - *header;
}

/* The SubjectPublicKeyInfo of a DER certificate (RFC 5280): the seventh
 * field of tbsCertificate, counting the optional version as the first. */
static gboolean
certificate_public_key (const guint8 *der, gsize size, const guint8 **spki, gsize *spki_size)
{
  const guint8 *p = der;
  gsize avail = size, header, length;
  guint8 tag;

  for (guint depth = 0; depth < 2; depth++)
    {
      if (!der_element (p, avail, &tag, &header, &length) || tag != 0x30)
        return FALSE;
      p += header;
      avail = length;
    }
  for (guint field = 0; ; field++)
    {
      if (!der_element (p, avail, &tag, &header, &length))
        return FALSE;
      if (field == 0 && tag != 0xa0)
        field++;  /* no version: a v1 certificate */
      if (field == 6)
        {
          *spki = p;
          *spki_size = header + length;
          return tag == 0x30;
        }
      p += header + length;
      avail -= header + length;
    }
}

static GBytes *
pem_to_der (const char *pem)
{
  const char *begin = strstr (pem, "-----BEGIN CERTIFICATE-----");
  const char *end = begin != NULL ? strstr (begin, "-----END CERTIFICATE-----") : NULL;
  g_autofree char *body = NULL;
  guchar *der;
  gsize size;

  if (end == NULL)
    return NULL;
  begin += strlen ("-----BEGIN CERTIFICATE-----");
  body = g_strndup (begin, end - begin);
  der = g_base64_decode (g_strstrip (body), &size);
  return g_bytes_new_take (der, size);
}

/* The SHA-256 fingerprint ("AB:CD:…") of @der and libcurl's pin for its
 * public key ("sha256//BASE64"). */
static gboolean
certificate_identify (GBytes *der, char **fingerprint, char **pin)
{
  gsize size, spki_size = 0;
  const guint8 *data = g_bytes_get_data (der, &size);
  const guint8 *spki = NULL;
  g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, der);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_size = sizeof digest;
  g_autofree char *base64 = NULL;
  GString *pairs = g_string_new (NULL);

  if (!certificate_public_key (data, size, &spki, &spki_size))
    {
      g_string_free (pairs, TRUE);
      return FALSE;
    }
  for (guint i = 0; hex[i] != '\0'; i += 2)
    g_string_append_printf (pairs, "%s%c%c", i > 0 ? ":" : "",
                            g_ascii_toupper (hex[i]), g_ascii_toupper (hex[i + 1]));
  g_checksum_update (checksum, spki, spki_size);
  g_checksum_get_digest (checksum, digest, &digest_size);
  base64 = g_base64_encode (digest, digest_size);
  *fingerprint = g_string_free (pairs, FALSE);
  *pin = g_strconcat ("sha256//", base64, NULL);
  return TRUE;
}

/* Connects once more without verifying, only to learn which certificate the
 * server shows: no login, no message. */
static gboolean
probe_certificate (const Settings *settings, GCancellable *cancellable, char **fingerprint, char **pin)
{
  g_auto(Line) line = { 0 };
  g_autoptr(CURL) easy = curl_easy_init ();
  char error_buffer[CURL_ERROR_SIZE] = "";
  struct curl_certinfo *info = NULL;

  line_init (&line);

  setup_connection (easy, settings, error_buffer);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt (easy, CURLOPT_CERTINFO, 1L);
  curl_easy_setopt (easy, CURLOPT_CONNECT_ONLY, 1L);
  if (perform (easy, &line, cancellable) != CURLE_OK ||
      curl_easy_getinfo (easy, CURLINFO_CERTINFO, &info) != CURLE_OK ||
      info == NULL || info->num_of_certs < 1)
    return FALSE;
  for (struct curl_slist *field = info->certinfo[0]; field != NULL; field = field->next)
    {
      g_autoptr(GBytes) der = NULL;
      if (!g_str_has_prefix (field->data, "Cert:"))
        continue;
      der = pem_to_der (field->data);
      return der != NULL && certificate_identify (der, fingerprint, pin);
    }
  return FALSE;
}

static void
set_untrusted (SignetSmtpTransport *self, char *fingerprint, char *pin)
{
  g_mutex_lock (&self->lock);
  g_free (self->untrusted_fingerprint);
  g_free (self->untrusted_pin);
  self->untrusted_fingerprint = fingerprint;
  self->untrusted_pin = pin;
  g_mutex_unlock (&self->lock);
}

static void
untrusted_error (SignetSmtpTransport *self, const Settings *settings, const char *detail,
                 GCancellable *cancellable, GError **error)
{
  char *fingerprint = NULL;
  char *pin = NULL;

  if (!probe_certificate (settings, cancellable, &fingerprint, &pin))
    {
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE,
                   _("The certificate of %s could not be verified: %s"), settings->host, detail);
      return;
    }
  /* Translators: %s is a server's name, then a fingerprint like AB:CD:… */
  g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE,
               _("The certificate of %s is not trusted. Its SHA-256 fingerprint is %s."),
               settings->host, fingerprint);
  set_untrusted (self, fingerprint, pin);
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
        (guint64) session->upload.size > session->upload.limit))
    return FALSE;
  size = g_format_size_full (session->upload.size, G_FORMAT_SIZE_LONG_FORMAT);
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
  int code = SIGNET_TRANSPORT_ERROR_TEMPORARY;

  switch (result)
    {
    case CURLE_COULDNT_RESOLVE_HOST:
      /* Translators: %s is a server's name */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("Could not find the server %s."), host);
      break;
    case CURLE_COULDNT_CONNECT:
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("Could not connect to %s: %s"), host, detail);
      break;
    case CURLE_OPERATION_TIMEDOUT:
      /* Translators: %s is a server's name */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s did not answer in time."), host);
      break;
    case CURLE_USE_SSL_FAILED:
      /* Translators: %s is a server's name */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                   _("%s does not offer STARTTLS; the message was not sent unencrypted."), host);
      break;
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
      /* Translators: %s is a server's name */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                   _("%s offers no way of logging in that Signet knows."), host);
      break;
    case CURLE_SSL_CONNECT_ERROR:
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("Could not make a secure connection to %s: %s"),
                   host, detail);
      break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("The connection to %s was lost: %s"), host, detail);
      break;
    default:
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("Could not send the message through %s: %s"),
                   host, detail);
    }
}

static gboolean
is_certificate_failure (CURLcode result)
{
  return result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
         result == CURLE_SSL_ISSUER_ERROR || result == CURLE_SSL_INVALIDCERTSTATUS;
}

/* ---- checks before connecting ------------------------------------------------ */

static gboolean
host_is_loopback (const char *host)
{
  g_autofree char *bare = NULL;
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  bare = host[0] == '[' && g_str_has_suffix (host, "]") ? g_strndup (host + 1, strlen (host) - 2) : g_strdup (host);
  address = g_inet_address_new_from_string (bare);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

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
check_settings (const Settings *settings, const char * const *recipients, GError **error)
{
  static const char * const securities[] = { "tls", "starttls", "none", NULL };

  g_autofree char *host = url_host (settings->host);

  if (settings->host == NULL || *settings->host == '\0')
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("No outgoing mail server is set."));
  else if (host == NULL)
    /* Translators: %s is what was set as the server's name */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("“%s” is not the name or address of a server."), settings->host);
  else if (!g_strv_contains (securities, settings->security != NULL ? settings->security : ""))
    /* Translators: %s is what was set instead of tls, starttls or none */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("Unknown connection security “%s”."), settings->security);
  else if (g_str_equal (settings->security, "none") && !host_is_loopback (settings->host))
    /* Translators: %s is a server's name */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("Refusing to send to %s without TLS: only a server on this computer may be used unencrypted."),
                 settings->host);
  else if (!is_envelope_address (settings->sender))
    /* Translators: %s is the sender's address as set */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("The sender address “%s” cannot be given to a mail server."),
                 settings->sender != NULL ? settings->sender : "");
  else
    {
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
  return FALSE;
}

/* ---- delivery ------------------------------------------------------------------ */

static Secret *
get_password (SignetSmtpTransport *self, const Settings *settings, GCancellable *cancellable, GError **error)
{
  SignetPasswordFunc func;
  gpointer data;
  g_autoptr(GError) local_error = NULL;
  Secret *password;

  g_mutex_lock (&self->lock);
  func = self->password_func;
  data = self->password_data;
  password = func == NULL ? g_strdup (self->password != NULL ? self->password : "") : NULL;
  g_mutex_unlock (&self->lock);
  if (func == NULL)
    return password;
  password = func (G_OBJECT (self), cancellable, &local_error, data);
  if (password == NULL)
    /* Translators: %s is a user name, then a server's name, then the reason */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
                 _("No password for %s at %s: %s"), settings->user, settings->host,
                 local_error != NULL ? local_error->message : _("none was given"));
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

  setup_connection (easy, settings, error_buffer);
  if (settings->pinned_public_key != NULL)
    {
      /* The user trusts this key for this server, whoever signed it. */
      curl_easy_setopt (easy, CURLOPT_PINNEDPUBLICKEY, settings->pinned_public_key);
      curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  if (settings->user != NULL && *settings->user != '\0')
    {
      curl_easy_setopt (easy, CURLOPT_USERNAME, settings->user);
      curl_easy_setopt (easy, CURLOPT_PASSWORD, password);
    }
  curl_easy_setopt (easy, CURLOPT_MAIL_FROM, from);
  curl_easy_setopt (easy, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt (easy, SIGNET_CURLOPT_RCPT_ALLOWFAILS, 1L);
  curl_easy_setopt (easy, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt (easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t) session->upload.size);
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
  else if (session->upload.read_errno != 0)
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
                 _("Could not read the message: %s"), g_strerror (session->upload.read_errno));
  else if (is_certificate_failure (result))
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
  g_autoptr(Secret) password = NULL;
  struct curl_slist *rcpt = NULL;
  char error_buffer[CURL_ERROR_SIZE] = "";
  CURLcode result;

  set_untrusted (self, NULL, NULL);
  session_init (&session, recipients, cancellable);
  session.sending = sending;
  session.sending_data = user_data;
  if (!check_settings (settings, recipients, error) ||
      !upload_prepare (&session.upload, message_fd, cancellable, error))
    return FALSE;
  if (settings->user != NULL && *settings->user != '\0' &&
      (password = get_password (self, settings, cancellable, error)) == NULL)
    return FALSE;

  easy = curl_easy_init ();
  rcpt = make_recipient_list (recipients);
  setup_message (easy, settings, &session, password, rcpt, error_buffer);
  g_clear_pointer (&password, secret_free);
  g_debug ("Delivering %s to %u recipient(s) through %s", copy_id, session.n_recipients, settings->host);
  result = perform (easy, &session.line, cancellable);
  g_clear_pointer (&easy, curl_easy_cleanup);
  curl_slist_free_all (rcpt);

  /* Only an accepted end of data delivers: then to each accepted RCPT. */
  if (session.data_code / 100 == 2)
    {
      for (guint i = 0; i < session.n_recipients; i++)
        if (session.rcpt_codes[i] / 100 == 2 && delivered != NULL)
          delivered (recipients[i], user_data);
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
  gboolean found;

  g_return_val_if_fail (SIGNET_IS_SMTP_TRANSPORT (self), FALSE);
  g_mutex_lock (&self->lock);
  found = self->untrusted_pin != NULL;
  if (fingerprint != NULL)
    *fingerprint = g_strdup (self->untrusted_fingerprint);
  if (pin != NULL)
    *pin = g_strdup (self->untrusted_pin);
  g_mutex_unlock (&self->lock);
  return found;
}

void
signet_smtp_transport_set_password (SignetSmtpTransport *self,
                                    const char          *password)
{
  g_return_if_fail (SIGNET_IS_SMTP_TRANSPORT (self));
  g_mutex_lock (&self->lock);
  secret_free (self->password);
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
  GDestroyNotify old_destroy;
  gpointer old_data;

  g_return_if_fail (SIGNET_IS_SMTP_TRANSPORT (self));
  g_mutex_lock (&self->lock);
  old_destroy = self->password_destroy;
  old_data = self->password_data;
  self->password_func = func;
  self->password_data = user_data;
  self->password_destroy = destroy;
  g_mutex_unlock (&self->lock);
  if (old_destroy != NULL)
    old_destroy (old_data);
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

  signet_smtp_transport_set_password_func (self, NULL, NULL, NULL);
  secret_free (self->password);
  g_free (self->host);
  g_free (self->security);
  g_free (self->user);
  g_free (self->sender);
  g_free (self->ca_file);
  g_free (self->pinned_public_key);
  g_free (self->untrusted_fingerprint);
  g_free (self->untrusted_pin);
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
  curl_global_init (CURL_GLOBAL_DEFAULT);

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
