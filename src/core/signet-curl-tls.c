#define G_LOG_DOMAIN "signet-curl"

#include "signet-curl-tls.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-i18n.h"

#define MAX_REPLY_CHARS 400


/* ---- passwords ------------------------------------------------------------ */

/* Passwords are wiped before their memory goes back to the allocator, so
 * that no copy outlives its use. */
void
signet_curl_password_free (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

SignetCurlSecret *
signet_curl_ask_password (SignetPasswordFunc  func,
                          gpointer            user_data,
                          GObject            *source,
                          const char         *user,
                          const char         *host,
                          GCancellable       *cancellable,
                          GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  SignetCurlSecret *password;

  password = func != NULL ? func (source, cancellable, &local_error, user_data) : NULL;
  if (password != NULL)
    return password;
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  /* Translators: %s is a user name, then a server's name, then the reason */
  g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
               _("No password for %s at %s: %s"), user, host,
               local_error != NULL ? local_error->message : _("none was given"));
  return NULL;
}

/* ---- what a client keeps -------------------------------------------------- */

void
signet_curl_client_init (SignetCurlClient *client)
{
  g_mutex_init (&client->lock);
}

void
signet_curl_client_clear (SignetCurlClient *client)
{
  signet_curl_client_set_password_func (client, NULL, NULL, NULL);
  signet_curl_client_set_untrusted (client, NULL, NULL);
  g_mutex_clear (&client->lock);
}

typedef struct {
  gatomicrefcount     ref;
  SignetPasswordFunc  func;
  gpointer            data;
  GDestroyNotify      destroy;
} PasswordSource;

static void
password_source_unref (PasswordSource *source)
{
  if (source == NULL || !g_atomic_ref_count_dec (&source->ref))
    return;
  if (source->destroy != NULL)
    source->destroy (source->data);
  g_free (source);
}

void
signet_curl_client_set_password_func (SignetCurlClient   *client,
                                      SignetPasswordFunc  func,
                                      gpointer            user_data,
                                      GDestroyNotify      destroy)
{
  PasswordSource *source = NULL;
  PasswordSource *old;

  if (func != NULL)
    {
      source = g_new0 (PasswordSource, 1);
      g_atomic_ref_count_init (&source->ref);
      source->func = func;
      source->data = user_data;
      source->destroy = destroy;
    }
  else if (destroy != NULL)
    destroy (user_data);
  g_mutex_lock (&client->lock);
  old = client->password_source;
  client->password_source = source;
  g_mutex_unlock (&client->lock);
  password_source_unref (old);
}

SignetCurlSecret *
signet_curl_client_ask_password (SignetCurlClient  *client,
                                 GObject           *source,
                                 const char        *user,
                                 const char        *host,
                                 GCancellable      *cancellable,
                                 gboolean          *asked,
                                 GError           **error)
{
  PasswordSource *password_source;
  SignetCurlSecret *password = NULL;

  g_mutex_lock (&client->lock);
  password_source = client->password_source;
  if (password_source != NULL)
    g_atomic_ref_count_inc (&password_source->ref);
  g_mutex_unlock (&client->lock);
  *asked = password_source != NULL;
  if (password_source == NULL)
    return NULL;
  password = signet_curl_ask_password (password_source->func, password_source->data, source, user, host,
                                       cancellable, error);
  password_source_unref (password_source);
  return password;
}

void
signet_curl_client_set_untrusted (SignetCurlClient *client,
                                  char             *fingerprint,
                                  char             *pin)
{
  g_mutex_lock (&client->lock);
  g_free (client->untrusted_fingerprint);
  g_free (client->untrusted_pin);
  client->untrusted_fingerprint = fingerprint;
  client->untrusted_pin = pin;
  g_mutex_unlock (&client->lock);
}

gboolean
signet_curl_client_dup_untrusted (SignetCurlClient  *client,
                                  char             **fingerprint,
                                  char             **pin)
{
  gboolean found;

  g_mutex_lock (&client->lock);
  found = client->untrusted_pin != NULL;
  if (fingerprint != NULL)
    *fingerprint = g_strdup (client->untrusted_fingerprint);
  if (pin != NULL)
    *pin = g_strdup (client->untrusted_pin);
  g_mutex_unlock (&client->lock);
  return found;
}

/* ---- hosts ---------------------------------------------------------------- */

static char *
unbracket (const char *host)
{
  if (host[0] == '[' && g_str_has_suffix (host, "]"))
    return g_strndup (host + 1, strlen (host) - 2);
  return g_strdup (host);
}

/* The host as it may stand in a URL: an IP address (IPv6 without its
 * brackets) or a host name in its ASCII form; NULL for anything else. */
char *
signet_curl_url_host (const char *host)
{
  g_autofree char *bare = NULL;
  g_autofree char *ascii = NULL;

  if (host == NULL)
    return NULL;
  bare = unbracket (host);
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

gboolean
signet_curl_host_is_loopback (const char *host)
{
  g_autofree char *bare = NULL;
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  bare = unbracket (host);
  address = g_inet_address_new_from_string (bare);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* What is wrong with a server's settings before anything connects; each
 * caller says it in its own words. */
SignetCurlServerCheck
signet_curl_check_server (const char *host,
                          const char *security)
{
  static const char * const securities[] = { "tls", "starttls", "none", NULL };
  g_autofree char *url_host = signet_curl_url_host (host);

  if (host == NULL || *host == '\0')
    return SIGNET_CURL_SERVER_NO_HOST;
  if (url_host == NULL)
    return SIGNET_CURL_SERVER_BAD_HOST;
  if (!g_strv_contains (securities, security != NULL ? security : ""))
    return SIGNET_CURL_SERVER_BAD_SECURITY;
  if (g_str_equal (security, "none") && !signet_curl_host_is_loopback (host))
    return SIGNET_CURL_SERVER_INSECURE;
  return SIGNET_CURL_SERVER_OK;
}

gboolean
signet_curl_server_error (SignetCurlServerCheck  check,
                          const char            *host,
                          const char            *security,
                          GError               **error)
{
  int code = SIGNET_TRANSPORT_ERROR_PERMANENT;

  if (check == SIGNET_CURL_SERVER_BAD_HOST)
    /* Translators: %s is what was set as the server's name */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("“%s” is not the name or address of a server."), host);
  else if (check == SIGNET_CURL_SERVER_BAD_SECURITY)
    /* Translators: %s is what was set instead of tls, starttls or none */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("Unknown connection security “%s”."),
                 security != NULL ? security : "");
  return check == SIGNET_CURL_SERVER_BAD_HOST || check == SIGNET_CURL_SERVER_BAD_SECURITY;
}

/* @host must have passed signet_curl_check_server(); @path starts with '/'. */
char *
signet_curl_make_url (const char *scheme,
                      const char *host,
                      guint       port,
                      const char *path)
{
  g_autofree char *url_host = signet_curl_url_host (host);
  gboolean ipv6 = strchr (url_host, ':') != NULL;

  return g_strdup_printf ("%s://%s%s%s:%u%s", scheme, ipv6 ? "[" : "", url_host, ipv6 ? "]" : "",
                          port, path);
}

char *
signet_curl_clean_words (const char *text)
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

/* ---- the connection ------------------------------------------------------- */

/* Where, how secure, how long. */
void
signet_curl_setup_connection (CURL                   *easy,
                              const SignetCurlServer *server,
                              char                   *error_buffer)
{
  long timeout = server->timeout;

  curl_easy_setopt (easy, CURLOPT_URL, server->url);
  curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, server->protocols);
  curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt (easy, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
  if (g_strcmp0 (server->security, "starttls") == 0)
    curl_easy_setopt (easy, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
  if (server->ca_file != NULL)
    curl_easy_setopt (easy, CURLOPT_CAINFO, server->ca_file);
  if (server->pinned_public_key != NULL)
    {
      /* The user trusts this key for this server, whoever signed it. */
      curl_easy_setopt (easy, CURLOPT_PINNEDPUBLICKEY, server->pinned_public_key);
      curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT, timeout);
  curl_easy_setopt (easy, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
  curl_easy_setopt (easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (easy, CURLOPT_LOW_SPEED_TIME, timeout);
}

void
signet_curl_debug_lines (curl_infotype       type,
                         const char         *data,
                         size_t              size,
                         SignetCurlLineFunc  sent,
                         SignetCurlLineFunc  heard,
                         gpointer            user_data)
{
  char *text;
  char *line;
  char *end;

  if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN)
    return;
  /* One copy, split in place and wiped: what is sent may carry a
   * credential. */
  text = g_strndup (data, size);
  for (line = text; line != NULL; line = end != NULL ? end + 1 : NULL)
    {
      end = strchr (line, '\n');
      if (end != NULL)
        *end = '\0';
      if (*g_strchomp (line) == '\0')
        continue;
      if (type == CURLINFO_HEADER_OUT)
        sent (user_data, line);
      else
        heard (user_data, line);
    }
  explicit_bzero (text, size);
  g_free (text);
}

size_t
signet_curl_discard (char *data, size_t size, size_t n_items, void *user_data)
{
  return size * n_items;
}

void
signet_curl_line_init (SignetCurlLine *line)
{
  g_mutex_init (&line->lock);
  line->sockets = g_array_new (FALSE, FALSE, sizeof (curl_socket_t));
  line->multi = curl_multi_init ();
}

/* Whoever waits on the line hears it close, at once. */
void
signet_curl_line_hang_up (SignetCurlLine *line,
                          gboolean        cancelled)
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
  signet_curl_line_hang_up (user_data, TRUE);
}

static void
close_multi (SignetCurlLine *line)
{
  CURLM *multi;

  g_mutex_lock (&line->lock);
  multi = g_steal_pointer (&line->multi);
  g_mutex_unlock (&line->lock);
  /* Closing a connection that is still open says goodbye to the server
   * (LOGOUT, QUIT) and calls on_close_socket(): not under the lock. */
  if (multi != NULL)
    curl_multi_cleanup (multi);
}

/* Says goodbye on the connections the line kept open; cancelling
 * @cancellable cuts that short. */
void
signet_curl_line_close (SignetCurlLine *line,
                        GCancellable   *cancellable)
{
  gulong handler = 0;

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), line, NULL);
  close_multi (line);
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
}

/* A line not closed politely is hung up: nothing waits for a goodbye. */
void
signet_curl_line_clear (SignetCurlLine *line)
{
  if (line->sockets == NULL)
    return;
  signet_curl_line_hang_up (line, FALSE);
  close_multi (line);
  g_clear_pointer (&line->sockets, g_array_unref);
  g_mutex_clear (&line->lock);
}

static curl_socket_t
on_open_socket (void *user_data, curlsocktype purpose, struct curl_sockaddr *address)
{
  SignetCurlLine *line = user_data;
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

/* Closed under the lock, so that no other file is ever shut down in its
 * place. */
static int
on_close_socket (void *user_data, curl_socket_t fd)
{
  SignetCurlLine *line = user_data;

  g_mutex_lock (&line->lock);
  for (guint i = 0; i < line->sockets->len; i++)
    if (g_array_index (line->sockets, curl_socket_t, i) == fd)
      g_array_remove_index_fast (line->sockets, i--);
  close (fd);
  g_mutex_unlock (&line->lock);
  return 0;
}

/* Runs @easy to its end; cancelling @cancellable ends it at once. @line
 * must outlive @easy's connections: they may close when it is cleared. */
CURLcode
signet_curl_perform (CURL           *easy,
                     SignetCurlLine *line,
                     GCancellable   *cancellable)
{
  CURLcode result = CURLE_ABORTED_BY_CALLBACK;
  gulong handler = 0;
  int running = 1;
  int left;
  CURLMsg *msg;

  curl_easy_setopt (easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt (easy, CURLOPT_OPENSOCKETDATA, line);
  curl_easy_setopt (easy, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
  curl_easy_setopt (easy, CURLOPT_CLOSESOCKETDATA, line);
  curl_multi_add_handle (line->multi, easy);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), line, NULL);
  while (running > 0 && !g_cancellable_is_cancelled (cancellable))
    {
      if (curl_multi_perform (line->multi, &running) != CURLM_OK)
        break;
      if (running > 0 && curl_multi_poll (line->multi, NULL, 0, 1000, NULL) != CURLM_OK)
        break;
    }
  while ((msg = curl_multi_info_read (line->multi, &left)) != NULL)
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy)
      result = msg->data.result;
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  curl_multi_remove_handle (line->multi, easy);
  return result;
}

gboolean
signet_curl_connection_error (CURLcode     result,
                              const char  *host,
                              const char  *detail,
                              GError     **error)
{
  int code = SIGNET_TRANSPORT_ERROR_TEMPORARY;

  switch (result)
    {
    case CURLE_COULDNT_RESOLVE_HOST:
      /* Translators: %s is a server's name */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("Could not find the server %s."), host);
      return TRUE;
    case CURLE_COULDNT_CONNECT:
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("Could not connect to %s: %s"), host, detail);
      return TRUE;
    case CURLE_OPERATION_TIMEDOUT:
      /* Translators: %s is a server's name */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s did not answer in time."), host);
      return TRUE;
    case CURLE_SSL_CONNECT_ERROR:
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("Could not make a secure connection to %s: %s"),
                   host, detail);
      return TRUE;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("The connection to %s was lost: %s"), host, detail);
      return TRUE;
    case CURLE_USE_SSL_FAILED:
      /* Translators: %s is a server's name */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                   _("%s does not offer STARTTLS; nothing was sent unencrypted."), host);
      return TRUE;
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
      /* Translators: %s is a server's name */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                   _("%s offers no way of logging in that Signet knows."), host);
      return TRUE;
    default:
      return FALSE;
    }
}

/* ---- certificates --------------------------------------------------------- */

gboolean
signet_curl_is_certificate_failure (CURLcode result)
{
  return result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
         result == CURLE_SSL_ISSUER_ERROR || result == CURLE_SSL_INVALIDCERTSTATUS;
}

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
gboolean
signet_curl_identify_certificate (GBytes  *der,
                                  char   **fingerprint,
                                  char   **pin)
{
  gsize size, spki_size = 0;
  const guint8 *data = g_bytes_get_data (der, &size);
  const guint8 *spki = NULL;
  g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, der);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_size = sizeof digest;
  g_autofree char *base64 = NULL;
  GString *pairs;

  if (!certificate_public_key (data, size, &spki, &spki_size))
    return FALSE;
  pairs = g_string_new (NULL);
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

/* Connects without verifying, only to learn which certificate the server
 * shows: no login, nothing sent. */
static gboolean
probe_certificate (const SignetCurlServer *server, GCancellable *cancellable, char **fingerprint, char **pin)
{
  g_auto(SignetCurlLine) line = { 0 };
  g_autoptr(CURL) easy = curl_easy_init ();
  SignetCurlServer unpinned = *server;
  char error_buffer[CURL_ERROR_SIZE] = "";
  struct curl_certinfo *info = NULL;

  signet_curl_line_init (&line);
  unpinned.pinned_public_key = NULL;
  signet_curl_setup_connection (easy, &unpinned, error_buffer);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt (easy, CURLOPT_CERTINFO, 1L);
  curl_easy_setopt (easy, CURLOPT_CONNECT_ONLY, 1L);
  if (signet_curl_perform (easy, &line, cancellable) != CURLE_OK ||
      curl_easy_getinfo (easy, CURLINFO_CERTINFO, &info) != CURLE_OK ||
      info == NULL || info->num_of_certs < 1)
    return FALSE;
  for (struct curl_slist *field = info->certinfo[0]; field != NULL; field = field->next)
    {
      g_autoptr(GBytes) der = NULL;
      if (!g_str_has_prefix (field->data, "Cert:"))
        continue;
      der = pem_to_der (field->data);
      return der != NULL && signet_curl_identify_certificate (der, fingerprint, pin);
    }
  return FALSE;
}

gboolean
signet_curl_untrusted_error (const SignetCurlServer *server,
                             const char             *detail,
                             GCancellable           *cancellable,
                             char                  **fingerprint,
                             char                  **pin,
                             GError                **error)
{
  *fingerprint = *pin = NULL;
  if (!probe_certificate (server, cancellable, fingerprint, pin))
    {
      /* Translators: %s is a server's name, then the reason */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE,
                   _("The certificate of %s could not be verified: %s"), server->host, detail);
      return FALSE;
    }
  /* Translators: %s is a server's name, then a fingerprint like AB:CD:… */
  g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE,
               _("The certificate of %s is not trusted. Its SHA-256 fingerprint is %s."),
               server->host, *fingerprint);
  return TRUE;
}

/* ---- the message, streamed ------------------------------------------------ */

static gssize
upload_fill (SignetCurlUpload *upload)
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

void
signet_curl_upload_error (const SignetCurlUpload  *upload,
                          GError                 **error)
{
  g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
               _("Could not read the message: %s"), g_strerror (upload->read_errno));
}

/* Reads the message once to know its size as it will be sent, then goes
 * back to its start; again for each time it is sent. */
gboolean
signet_curl_upload_prepare (SignetCurlUpload *upload,
                            int               fd,
                            GCancellable     *cancellable,
                            GError          **error)
{
  gssize n;

  upload->fd = fd;
  upload->size = 0;
  upload->read_errno = 0;
  upload->after_cr = FALSE;
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
      signet_curl_upload_error (upload, error);
      return FALSE;
    }
  upload->after_cr = FALSE;
  upload->length = upload->position = 0;
  return TRUE;
}

/* What a CURLOPT_READFUNCTION returns. */
size_t
signet_curl_upload_read (SignetCurlUpload *upload,
                         char             *out,
                         size_t            capacity)
{
  size_t written = 0;

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

/* ---- IMAP ----------------------------------------------------------------- */

void
signet_curl_imap_clear (SignetCurlImap *imap)
{
  g_clear_pointer (&imap->command, g_free);
  g_clear_pointer (&imap->status, g_free);
  g_clear_pointer (&imap->status_command, g_free);
  g_clear_pointer (&imap->code, g_free);
  g_clear_pointer (&imap->words, g_free);
  g_clear_pointer (&imap->bye, g_free);
  g_clear_pointer (&imap->greeting, g_free);
  g_clear_pointer (&imap->login, g_free);
  g_clear_pointer (&imap->special_use, g_free);
  imap->found = FALSE;
}

/* libcurl's tags: a letter and digits. */
static gboolean
is_tag (const char *word)
{
  if (!g_ascii_isalpha (word[0]) || word[1] == '\0')
    return FALSE;
  for (const char *p = word + 1; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* Only the tag and the command's name: a credential may follow them, and
 * a line without a tag is one (an answer to the server's challenge). */
static void
imap_command_sent (gpointer user_data, const char *line)
{
  SignetCurlImap *imap = user_data;
  gsize tag_length = strcspn (line, " ");
  g_autofree char *tag = NULL;
  const char *word;

  if (line[tag_length] != ' ' || tag_length > 16)
    return;
  tag = g_strndup (line, tag_length);
  if (!is_tag (tag))
    return;
  word = line + tag_length + 1;
  /* UID SEARCH: the command is the second word. */
  if (g_ascii_strncasecmp (word, "UID ", 4) == 0)
    word += 4;
  g_free (imap->command);
  imap->command = g_ascii_strup (word, strcspn (word, " "));
}

/* A mailbox name as LIST gives it: an atom or a quoted string (a literal
 * is not followed). */
static char *
imap_parse_mailbox (const char *p)
{
  GString *name;

  if (*p != '"')
    return *p != '\0' && *p != '{' ? g_strdup (p) : NULL;
  name = g_string_new (NULL);
  for (p++; *p != '\0' && *p != '"'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      g_string_append_c (name, *p);
    }
  return g_string_free (name, FALSE);
}

/* "* LIST (\HasNoChildren \Sent) "/" Sent": the name after the attributes
 * and the hierarchy delimiter (a quoted character, or NIL). */
static void
imap_list_line (SignetCurlImap *imap, const char *rest)
{
  const char *close = strchr (rest, ')');
  g_autofree char *attributes = NULL;
  g_auto(GStrv) names = NULL;
  const char *p;
  guint i;

  if (rest[0] != '(' || close == NULL || imap->wanted_use == NULL || imap->special_use != NULL)
    return;
  attributes = g_strndup (rest + 1, close - rest - 1);
  names = g_strsplit (attributes, " ", -1);
  for (i = 0; names[i] != NULL && g_ascii_strcasecmp (names[i], imap->wanted_use) != 0; i++)
    ;
  if (names[i] == NULL)
    return;
  for (p = close + 1; *p == ' '; p++)
    ;
  if (*p == '"')
    {
      gsize quoted = p[1] == '\\' ? 4 : 3;
      if (strlen (p) < quoted || p[quoted - 1] != '"')
        return;
      p += quoted;
    }
  else if (g_ascii_strncasecmp (p, "NIL", 3) == 0)
    p += 3;
  else
    return;
  while (*p == ' ')
    p++;
  imap->special_use = imap_parse_mailbox (p);
}

static void
imap_untagged (SignetCurlImap *imap, const char *line)
{
  if (g_ascii_strncasecmp (line, "BYE", 3) == 0 && (line[3] == ' ' || line[3] == '\0'))
    {
      g_free (imap->bye);
      imap->bye = signet_curl_clean_words (line + 3);
    }
  else if (g_ascii_strncasecmp (line, "SEARCH ", 7) == 0)
    imap->found |= g_ascii_isdigit (line[7]);
  else if (g_ascii_strncasecmp (line, "LIST ", 5) == 0)
    imap_list_line (imap, line + 5);
}

/* "NO [AUTHENTICATIONFAILED] Authentication failed.", after a tag or as
 * the greeting. */
static void
imap_status (SignetCurlImap *imap, const char *rest)
{
  const char *space = strchr (rest, ' ');
  const char *text = space != NULL ? space + 1 : "";
  const char *end;

  g_free (imap->status);
  imap->status = space != NULL ? g_ascii_strup (rest, space - rest) : g_ascii_strup (rest, -1);
  g_clear_pointer (&imap->code, g_free);
  if (*text == '[' && (end = strchr (text, ']')) != NULL)
    {
      imap->code = g_ascii_strup (text + 1, strcspn (text + 1, " ]"));
      text = end + 1;
    }
  g_free (imap->words);
  imap->words = signet_curl_clean_words (text);
}

static void
imap_tagged (SignetCurlImap *imap, const char *rest)
{
  imap_status (imap, rest);
  g_free (imap->status_command);
  imap->status_command = g_strdup (imap->command);
  if ((signet_curl_imap_replied (imap, "LOGIN", "OK") || signet_curl_imap_replied (imap, "AUTHENTICATE", "OK")))
    {
      g_free (imap->login);
      imap->login = signet_curl_imap_reply (imap);
    }
}

static void
imap_reply_line (gpointer user_data, const char *line)
{
  SignetCurlImap *imap = user_data;
  const char *space = strchr (line, ' ');
  g_autofree char *tag = NULL;

  /* The goodbye says nothing about what came before it. */
  if (space == NULL || g_strcmp0 (imap->command, "LOGOUT") == 0)
    return;
  if (g_str_has_prefix (line, "* ") && imap->command == NULL && imap->greeting == NULL)
    {
      imap_status (imap, line + 2);
      imap->greeting = signet_curl_imap_reply (imap);
      if (g_strcmp0 (imap->status, "BYE") == 0)
        imap->bye = g_strdup (imap->words);
      return;
    }
  if (g_str_has_prefix (line, "* "))
    {
      imap_untagged (imap, line + 2);
      return;
    }
  tag = g_strndup (line, space - line);
  if (is_tag (tag))
    imap_tagged (imap, space + 1);
}

static int
on_imap_debug (CURL *easy, curl_infotype type, char *data, size_t size, void *user_data)
{
  signet_curl_debug_lines (type, data, size, imap_command_sent, imap_reply_line, user_data);
  return 0;
}

/* The replies come through the debug callback; what libcurl would write
 * of them goes nowhere. */
void
signet_curl_imap_setup (CURL           *easy,
                        SignetCurlImap *imap)
{
  curl_easy_setopt (easy, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt (easy, CURLOPT_DEBUGFUNCTION, on_imap_debug);
  curl_easy_setopt (easy, CURLOPT_DEBUGDATA, imap);
  curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, signet_curl_discard);
}

gboolean
signet_curl_imap_replied (const SignetCurlImap *imap,
                          const char           *command,
                          const char           *status)
{
  return g_strcmp0 (imap->status_command, command) == 0 && g_strcmp0 (imap->status, status) == 0;
}

int
signet_curl_imap_error_code (const SignetCurlImap *imap)
{
  /* RFC 5530's codes for what may pass. */
  static const char * const passing[] = { "UNAVAILABLE", "INUSE", "SERVERBUG", "LIMIT", "OVERQUOTA", NULL };

  if (imap->code != NULL && g_strv_contains (passing, imap->code))
    return SIGNET_TRANSPORT_ERROR_TEMPORARY;
  return SIGNET_TRANSPORT_ERROR_PERMANENT;
}

char *
signet_curl_imap_reply (const SignetCurlImap *imap)
{
  const char *status = imap->status != NULL ? imap->status : "";
  const char *words = imap->words != NULL ? imap->words : "";

  /* An OK's code is machine talk (CAPABILITY lists); a refusal's says why. */
  if (imap->code != NULL && g_strcmp0 (status, "OK") != 0)
    return g_strstrip (g_strdup_printf ("%s [%s] %s", status, imap->code, words));
  return g_strstrip (g_strdup_printf ("%s %s", status, words));
}

gboolean
signet_curl_imap_login_error (const SignetCurlImap *imap,
                              const char           *host,
                              const char           *user,
                              GError              **error)
{
  g_autofree char *reply = NULL;

  if (!signet_curl_imap_replied (imap, "LOGIN", "NO") && !signet_curl_imap_replied (imap, "LOGIN", "BAD") &&
      !signet_curl_imap_replied (imap, "AUTHENTICATE", "NO") &&
      !signet_curl_imap_replied (imap, "AUTHENTICATE", "BAD"))
    return FALSE;
  reply = signet_curl_imap_reply (imap);
  /* Translators: %s is a server's name, then a user name, then the server's reply */
  g_set_error (error, SIGNET_TRANSPORT_ERROR, signet_curl_imap_error_code (imap),
               _("%s refused the login as %s: %s"), host, user, reply);
  return TRUE;
}

gboolean
signet_curl_imap_bye_error (const SignetCurlImap *imap,
                            const char           *host,
                            GError              **error)
{
  if (imap->bye == NULL)
    return FALSE;
  /* Translators: %s is a server's name, then the server's words */
  g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
               _("%s closed the connection: %s"), host, imap->bye);
  return TRUE;
}
