#define G_LOG_DOMAIN "signet-sent-folder"

#include "signet-sent-folder.h"

#include <string.h>

#include "signet-errors.h"
#include "signet-i18n.h"

/* Keeps a copy of each sent message in the user's Sent folder on an IMAP
 * server, through libcurl, on one connection: LIST RETURN (SPECIAL-USE)
 * finds the folder when none is set (RFC 6154), UID SEARCH HEADER
 * Message-ID finds a copy stored before (a retry after a crash), APPEND
 * stores the message, which libcurl flags \Seen, and CREATE makes the
 * folder when the server answers the APPEND with [TRYCREATE].
 *
 * The message is streamed from its file with CRLF line ends, as an IMAP
 * literal must be. The server's replies are read as they pass through
 * libcurl's debug callback (signet-curl-tls). */

#define DEFAULT_TIMEOUT 120
#define SENT_USE "\\Sent"
#define FALLBACK_FOLDER "Sent"

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_USER,
  PROP_FOLDER,
  PROP_CA_FILE,
  PROP_PINNED_PUBLIC_KEY,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _SignetSentFolder
{
  GObject             parent_instance;

  GMutex              lock;              /* appends run in other threads */
  char               *strings[N_PROPS];  /* the string properties, by id */
  guint               numbers[N_PROPS];  /* port and timeout */
  SignetCurlClient    client;
};

G_DEFINE_FINAL_TYPE (SignetSentFolder, signet_sent_folder, G_TYPE_OBJECT)

/* ---- one append: what it uses and what it heard ----------------------------- */

typedef struct {
  SignetSentFolder   *self;
  char               *strings[N_PROPS];  /* copied under the lock */
  SignetCurlServer    server;
  char               *base_url;          /* scheme://host:port/ */
  char               *folder;
  SignetCurlLine      line;
  SignetCurlImap      imap;
  SignetCurlUpload    upload;
  CURL               *easy;
  char                error_buffer[CURL_ERROR_SIZE];
  GCancellable       *cancellable;
} Append;

static void
append_clear (Append *append)
{
  g_clear_pointer (&append->easy, curl_easy_cleanup);
  signet_curl_line_clear (&append->line);
  signet_curl_imap_clear (&append->imap);
  for (guint i = 0; i < N_PROPS; i++)
    g_free (append->strings[i]);
  g_free (append->base_url);
  g_free (append->folder);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Append, append_clear)

static void
append_init (Append *append, SignetSentFolder *self, GCancellable *cancellable)
{
  const char *security;
  guint port;

  append->self = self;
  append->cancellable = cancellable;
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < N_PROPS; i++)
    append->strings[i] = g_strdup (self->strings[i]);
  port = self->numbers[PROP_PORT];
  append->server.timeout = self->numbers[PROP_TIMEOUT];
  g_mutex_unlock (&self->lock);

  security = append->strings[PROP_SECURITY];
  if (port == 0)
    port = g_strcmp0 (security, "tls") == 0 ? 993 : 143;
  append->server.host = append->strings[PROP_HOST];
  append->server.protocols = "imap,imaps";
  append->server.security = security;
  append->server.ca_file = append->strings[PROP_CA_FILE];
  append->server.pinned_public_key = append->strings[PROP_PINNED_PUBLIC_KEY];
  if (signet_curl_check_server (append->server.host, security) == SIGNET_CURL_SERVER_OK)
    append->base_url = signet_curl_make_url (g_str_equal (security, "tls") ? "imaps" : "imap",
                                             append->server.host, port, "/");
  append->server.url = append->base_url;
  append->imap.wanted_use = SENT_USE;
  signet_curl_line_init (&append->line);
}

static const char *
append_user (const Append *append)
{
  return append->strings[PROP_USER] != NULL ? append->strings[PROP_USER] : "";
}

/* ---- checks before connecting ------------------------------------------------- */

static gboolean
check_server (const Append *append, GError **error)
{
  const char *host = append->server.host;
  SignetCurlServerCheck check = signet_curl_check_server (host, append->server.security);

  if (check == SIGNET_CURL_SERVER_NO_HOST)
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("No IMAP server is set for the Sent folder."));
  else if (check == SIGNET_CURL_SERVER_INSECURE)
    /* Translators: %s is a server's name */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                 _("Refusing to connect to %s without TLS: only a server on this computer may be used unencrypted."),
                 host);
  else
    return !signet_curl_server_error (check, host, append->server.security, error);
  return FALSE;
}

/* The IMAP quoted string of a Message-ID, with its angle brackets; NULL
 * when it is none that SEARCH can be given as it is. */
static char *
quote_message_id (const char *message_id)
{
  g_autofree char *bare = NULL;
  GString *quoted;
  gsize length = strlen (message_id);

  if (length >= 2 && message_id[0] == '<' && message_id[length - 1] == '>')
    bare = g_strndup (message_id + 1, length - 2);
  else
    bare = g_strdup (message_id);
  if (*bare == '\0')
    return NULL;
  quoted = g_string_new ("\"<");
  for (const char *p = bare; *p != '\0'; p++)
    {
      if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || *p == '<' || *p == '>')
        {
          g_string_free (quoted, TRUE);
          return NULL;
        }
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append (quoted, ">\"");
  return g_string_free (quoted, FALSE);
}

static char *
quote_mailbox (const char *mailbox)
{
  GString *quoted = g_string_new ("\"");

  for (const char *p = mailbox; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

/* ---- the conversation ----------------------------------------------------------- */

static size_t
on_read (char *out, size_t size, size_t n_items, void *user_data)
{
  return signet_curl_upload_read (user_data, out, size * n_items);
}

static void
append_setup (Append *append, const char *password)
{
  append->easy = curl_easy_init ();
  signet_curl_setup_connection (append->easy, &append->server, append->error_buffer);
  signet_curl_imap_setup (append->easy, &append->imap);
  if (*append_user (append) != '\0')
    {
      curl_easy_setopt (append->easy, CURLOPT_USERNAME, append_user (append));
      curl_easy_setopt (append->easy, CURLOPT_PASSWORD, password);
    }
  curl_easy_setopt (append->easy, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt (append->easy, CURLOPT_READDATA, &append->upload);
}

/* One command on the connection: @custom, or the APPEND of the message
 * when @custom is NULL; on @mailbox when not NULL. */
static CURLcode
append_step (Append *append, const char *mailbox, const char *custom)
{
  g_autofree char *escaped = mailbox != NULL ? g_uri_escape_string (mailbox, NULL, FALSE) : NULL;
  g_autofree char *url = g_strconcat (append->base_url, escaped, NULL);

  signet_curl_imap_clear (&append->imap);
  append->error_buffer[0] = '\0';
  curl_easy_setopt (append->easy, CURLOPT_URL, url);
  curl_easy_setopt (append->easy, CURLOPT_CUSTOMREQUEST, custom);
  curl_easy_setopt (append->easy, CURLOPT_UPLOAD, custom == NULL ? 1L : 0L);
  curl_easy_setopt (append->easy, CURLOPT_INFILESIZE_LARGE, custom == NULL ? (curl_off_t) append->upload.size : -1);
  return signet_curl_perform (append->easy, &append->line, append->cancellable);
}

/* A command the server refused, in its words. */
static gboolean
refused_error (Append *append, GError **error)
{
  const SignetCurlImap *imap = &append->imap;
  const char *host = append->server.host;
  const char *folder = append->folder != NULL ? append->folder : "";
  g_autofree char *reply = NULL;
  int code;

  if (g_strcmp0 (imap->status, "NO") != 0 && g_strcmp0 (imap->status, "BAD") != 0)
    return FALSE;
  if (signet_curl_imap_login_error (imap, host, append_user (append), error))
    return TRUE;
  reply = signet_curl_imap_reply (imap);
  code = signet_curl_imap_error_code (imap);
  if (g_strcmp0 (imap->status_command, "CREATE") == 0)
    /* Translators: %s is a folder's name, then a server's name, then the server's reply */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, code,
                 _("The folder “%s” does not exist on %s and could not be created: %s"), folder, host, reply);
  else if (g_strcmp0 (imap->status_command, "SEARCH") == 0 || g_strcmp0 (imap->status_command, "SELECT") == 0)
    /* Translators: %s is a server's name, then a folder's name, then the server's reply */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s could not search the folder “%s”: %s"),
                 host, folder, reply);
  else
    /* Translators: %s is a server's name, then a folder's name, then the server's reply */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, code, _("%s refused to store the message in the folder “%s”: %s"),
                 host, folder, reply);
  return TRUE;
}

static void
connection_error (const Append *append, CURLcode result, const char *detail, GError **error)
{
  const char *host = append->server.host;

  if (!signet_curl_imap_bye_error (&append->imap, host, error) &&
      !signet_curl_connection_error (result, host, detail, error))
    /* Translators: %s is a server's name, then the reason */
    g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
                 _("Could not store the message in the Sent folder on %s: %s"), host, detail);
}

/* Why a step that did not succeed failed. */
static gboolean
append_failed (Append *append, CURLcode result, GError **error)
{
  const char *detail = append->error_buffer[0] != '\0' ? append->error_buffer : curl_easy_strerror (result);
  char *fingerprint = NULL;
  char *pin = NULL;

  if (g_cancellable_is_cancelled (append->cancellable))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                         _("Storing the message in the Sent folder was cancelled."));
  else if (append->upload.read_errno != 0)
    signet_curl_upload_error (&append->upload, error);
  else if (signet_curl_is_certificate_failure (result))
    {
      if (signet_curl_untrusted_error (&append->server, detail, append->cancellable, &fingerprint, &pin, error))
        signet_curl_client_set_untrusted (&append->self->client, fingerprint, pin);
    }
  else if (!refused_error (append, error))
    connection_error (append, result, detail, error);
  return FALSE;
}

/* The folder set, else the one the server marks \Sent, else "Sent". A
 * server without LIST-EXTENDED refuses RETURN: a plain LIST may still
 * name it. */
static gboolean
find_folder (Append *append, GError **error)
{
  static const char * const lists[] = { "LIST \"\" \"*\" RETURN (SPECIAL-USE)", "LIST \"\" \"*\"" };
  const char *set = append->strings[PROP_FOLDER];

  if (set != NULL && *set != '\0')
    {
      append->folder = g_strdup (set);
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (lists) && append->folder == NULL; i++)
    {
      CURLcode result = append_step (append, NULL, lists[i]);

      if (result == CURLE_OK)
        append->folder = g_steal_pointer (&append->imap.special_use);
      else if (!signet_curl_imap_replied (&append->imap, "LIST", "BAD") &&
               !signet_curl_imap_replied (&append->imap, "LIST", "NO"))
        return append_failed (append, result, error);
    }
  if (append->folder == NULL)
    append->folder = g_strdup (FALLBACK_FOLDER);
  /* A line break would end the command and start another. */
  for (const char *p = append->folder; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      {
        g_autofree char *shown = g_strescape (append->folder, NULL);
        /* Translators: %s is a folder name as set */
        g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                     _("“%s” cannot be the name of a Sent folder."), shown);
        return FALSE;
      }
  g_debug ("The Sent folder on %s is %s", append->server.host, append->folder);
  return TRUE;
}

/* Whether the folder holds a message with @quoted_id. A folder that
 * does not exist holds none. */
static gboolean
already_stored (Append *append, const char *quoted_id, gboolean *stored, GError **error)
{
  g_autofree char *search = g_strconcat ("UID SEARCH HEADER Message-ID ", quoted_id, NULL);
  CURLcode result = append_step (append, append->folder, search);

  *stored = FALSE;
  if (result == CURLE_OK)
    {
      *stored = append->imap.found;
      return TRUE;
    }
  if (signet_curl_imap_replied (&append->imap, "SELECT", "NO"))
    return TRUE;
  return append_failed (append, result, error);
}

static gboolean
store (Append *append, GError **error)
{
  g_autofree char *quoted = NULL;
  g_autofree char *create = NULL;
  CURLcode result = append_step (append, append->folder, NULL);

  if (result == CURLE_OK)
    return TRUE;
  if (!signet_curl_imap_replied (&append->imap, "APPEND", "NO") || g_strcmp0 (append->imap.code, "TRYCREATE") != 0)
    return append_failed (append, result, error);
  g_debug ("Creating the folder %s on %s", append->folder, append->server.host);
  quoted = quote_mailbox (append->folder);
  create = g_strconcat ("CREATE ", quoted, NULL);
  if ((result = append_step (append, NULL, create)) != CURLE_OK)
    return append_failed (append, result, error);
  if (!signet_curl_upload_prepare (&append->upload, append->upload.fd, append->cancellable, error))
    return FALSE;
  if ((result = append_step (append, append->folder, NULL)) != CURLE_OK)
    return append_failed (append, result, error);
  return TRUE;
}

/* A login without a password function is refused as the function's
 * missing answer would be. */
static SignetCurlSecret *
ask_password (Append *append, GError **error)
{
  gboolean asked;
  SignetCurlSecret *password = signet_curl_client_ask_password (&append->self->client, G_OBJECT (append->self),
                                                                append_user (append), append->server.host,
                                                                append->cancellable, &asked, error);

  if (!asked)
    return signet_curl_ask_password (NULL, NULL, G_OBJECT (append->self), append_user (append),
                                     append->server.host, append->cancellable, error);
  return password;
}

gboolean
signet_sent_folder_append (SignetSentFolder  *self,
                           int                fd,
                           const char        *message_id,
                           GCancellable      *cancellable,
                           GError           **error)
{
  g_auto(Append) append = { 0 };
  g_autoptr(SignetCurlSecret) password = NULL;
  g_autofree char *quoted_id = NULL;
  gboolean stored = FALSE;

  g_return_val_if_fail (SIGNET_IS_SENT_FOLDER (self), FALSE);
  g_return_val_if_fail (fd >= 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  signet_curl_client_set_untrusted (&self->client, NULL, NULL);
  append_init (&append, self, cancellable);
  if (!check_server (&append, error))
    return FALSE;
  if (message_id != NULL && *message_id != '\0' && (quoted_id = quote_message_id (message_id)) == NULL)
    {
      g_autofree char *shown = g_strescape (message_id, NULL);
      /* Translators: %s is what was given as a Message-ID */
      g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT,
                   _("“%s” is not a Message-ID that can be searched for."), shown);
      return FALSE;
    }
  if (!signet_curl_upload_prepare (&append.upload, fd, cancellable, error))
    return FALSE;
  if (*append_user (&append) != '\0' && (password = ask_password (&append, error)) == NULL)
    return FALSE;

  append_setup (&append, password);
  g_clear_pointer (&password, signet_curl_password_free);
  if (!find_folder (&append, error) ||
      (quoted_id != NULL && !already_stored (&append, quoted_id, &stored, error)) ||
      (!stored && !store (&append, error)))
    return FALSE;
  if (stored)
    g_debug ("%s already holds the message", append.folder);
  signet_curl_line_close (&append.line, cancellable);
  return TRUE;
}

/* ---- the object ------------------------------------------------------------------ */

gboolean
signet_sent_folder_dup_untrusted_certificate (SignetSentFolder  *self,
                                              char             **fingerprint,
                                              char             **pin)
{
  g_return_val_if_fail (SIGNET_IS_SENT_FOLDER (self), FALSE);
  return signet_curl_client_dup_untrusted (&self->client, fingerprint, pin);
}

/* @func is asked for the password whenever an append logs in. */
void
signet_sent_folder_set_password_func (SignetSentFolder   *self,
                                      SignetPasswordFunc  func,
                                      gpointer            user_data,
                                      GDestroyNotify      destroy)
{
  g_return_if_fail (SIGNET_IS_SENT_FOLDER (self));
  signet_curl_client_set_password_func (&self->client, func, user_data, destroy);
}

/* The properties are kept by their ids: strings and numbers. */
static gboolean
is_own_property (GObject *object, guint prop_id, GParamSpec *pspec)
{
  if (prop_id > 0 && prop_id < N_PROPS)
    return TRUE;
  G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  return FALSE;
}

static void
signet_sent_folder_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetSentFolder *self = SIGNET_SENT_FOLDER (object);

  if (!is_own_property (object, prop_id, pspec))
    return;
  g_mutex_lock (&self->lock);
  if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_STRING)
    {
      g_free (self->strings[prop_id]);
      self->strings[prop_id] = g_value_dup_string (value);
      if (prop_id == PROP_SECURITY && self->strings[prop_id] == NULL)
        self->strings[prop_id] = g_strdup ("tls");
    }
  else
    self->numbers[prop_id] = g_value_get_uint (value);
  g_mutex_unlock (&self->lock);
}

static void
signet_sent_folder_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetSentFolder *self = SIGNET_SENT_FOLDER (object);

  if (!is_own_property (object, prop_id, pspec))
    return;
  g_mutex_lock (&self->lock);
  if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_STRING)
    g_value_set_string (value, self->strings[prop_id]);
  else
    g_value_set_uint (value, self->numbers[prop_id]);
  g_mutex_unlock (&self->lock);
}

static void
signet_sent_folder_finalize (GObject *object)
{
  SignetSentFolder *self = SIGNET_SENT_FOLDER (object);

  signet_curl_client_clear (&self->client);
  for (guint i = 0; i < N_PROPS; i++)
    g_free (self->strings[i]);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (signet_sent_folder_parent_class)->finalize (object);
}

static void
signet_sent_folder_class_init (SignetSentFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  /* Before any thread can use libcurl. */

  object_class->set_property = signet_sent_folder_set_property;
  object_class->get_property = signet_sent_folder_get_property;
  object_class->finalize = signet_sent_folder_finalize;

  properties[PROP_HOST] = g_param_spec_string ("host", NULL, "The IMAP server's name or address", NULL, flags);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, "Its port; 0 for the usual one", 0, 65535, 0, flags);
  properties[PROP_SECURITY] = g_param_spec_string ("security", NULL, "tls, starttls or none (this computer only)",
                                                   "tls", flags);
  properties[PROP_USER] = g_param_spec_string ("user", NULL, "Who logs in; NULL for no login", NULL, flags);
  properties[PROP_FOLDER] = g_param_spec_string ("folder", NULL,
                                                 "The mailbox, as the server names it; NULL or empty for the "
                                                 "one marked \\Sent, else Sent", NULL, flags);
  properties[PROP_CA_FILE] = g_param_spec_string ("ca-file", NULL,
                                                  "Certificate authorities to trust; NULL for the system's",
                                                  NULL, flags);
  properties[PROP_PINNED_PUBLIC_KEY] = g_param_spec_string ("pinned-public-key", NULL,
                                                            "A public key the user trusts for this server "
                                                            "(sha256//BASE64)", NULL, flags);
  properties[PROP_TIMEOUT] = g_param_spec_uint ("timeout", NULL, "Seconds to wait for the server", 1, G_MAXUINT,
                                                DEFAULT_TIMEOUT, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_sent_folder_init (SignetSentFolder *self)
{
  g_mutex_init (&self->lock);
  signet_curl_client_init (&self->client);
  self->strings[PROP_SECURITY] = g_strdup ("tls");
  self->numbers[PROP_TIMEOUT] = DEFAULT_TIMEOUT;
}

SignetSentFolder *
signet_sent_folder_new (const char *host,
                        guint       port,
                        const char *security,
                        const char *user,
                        const char *folder)
{
  return g_object_new (SIGNET_TYPE_SENT_FOLDER, "host", host, "port", port, "security", security,
                       "user", user, "folder", folder, NULL);
}
