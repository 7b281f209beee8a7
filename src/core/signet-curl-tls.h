#pragma once

#include <gio/gio.h>
#include "signet-curl-api.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)

/* What the code that talks to mail servers through libcurl shares: the
 * password callback, certificates and pinned keys, cancellation that
 * really interrupts, the message streamed with CRLF line ends, the
 * server's words, and how an IMAP conversation is followed. */

/* Asked, in the worker thread that connects, for the password each time a
 * connection needs one (@source is the transport or folder asking). Returns
 * a new string that the caller wipes and frees after use
 * (signet_curl_password_free()), or NULL and sets @error. */
typedef char *(*SignetPasswordFunc) (GObject       *source,
                                     GCancellable  *cancellable,
                                     GError       **error,
                                     gpointer       user_data);

void      signet_curl_password_free          (char               *password);

typedef char SignetCurlSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetCurlSecret, signet_curl_password_free)

/* Asks @func (if any) for @user's password at @host; a missing one is a
 * temporary error that names both. */
SignetCurlSecret *signet_curl_ask_password   (SignetPasswordFunc  func,
                                              gpointer            user_data,
                                              GObject            *source,
                                              const char         *user,
                                              const char         *host,
                                              GCancellable       *cancellable,
                                              GError            **error);

/* What a libcurl client object keeps between its connections, under its
 * own lock: how to get the password, and the certificate that the last
 * connection could not trust. */
typedef struct {
  GMutex              lock;
  gpointer            password_source;  /* the function, its data and how to free them */
  char               *untrusted_fingerprint;
  char               *untrusted_pin;
} SignetCurlClient;

void      signet_curl_client_init            (SignetCurlClient   *client);
void      signet_curl_client_clear           (SignetCurlClient   *client);
void      signet_curl_client_set_password_func (SignetCurlClient *client,
                                                SignetPasswordFunc func,
                                                gpointer           user_data,
                                                GDestroyNotify     destroy);
/* Asks the function set, if any (*@asked says whether), for @user's
 * password at @host, as signet_curl_ask_password() does. The function and
 * its data stay alive while it is asked, even if another thread replaces
 * them meanwhile (their destroy notify may then run in this thread). */
SignetCurlSecret *signet_curl_client_ask_password (SignetCurlClient  *client,
                                                   GObject           *source,
                                                   const char        *user,
                                                   const char        *host,
                                                   GCancellable      *cancellable,
                                                   gboolean          *asked,
                                                   GError           **error);
/* Takes @fingerprint and @pin; NULL forgets them. */
void      signet_curl_client_set_untrusted   (SignetCurlClient   *client,
                                              char               *fingerprint,
                                              char               *pin);
gboolean  signet_curl_client_dup_untrusted   (SignetCurlClient   *client,
                                              char              **fingerprint,
                                              char              **pin);

/* ---- hosts ---- */

typedef enum {
  SIGNET_CURL_SERVER_OK,
  SIGNET_CURL_SERVER_NO_HOST,        /* none set */
  SIGNET_CURL_SERVER_BAD_HOST,       /* not a name or address */
  SIGNET_CURL_SERVER_BAD_SECURITY,   /* not tls, starttls or none */
  SIGNET_CURL_SERVER_INSECURE,       /* none, to another computer */
} SignetCurlServerCheck;

char                 *signet_curl_url_host       (const char *host);
gboolean              signet_curl_host_is_loopback (const char *host);
SignetCurlServerCheck signet_curl_check_server   (const char *host,
                                                  const char *security);
/* SIGNET_TRANSPORT_ERROR_PERMANENT for a bad host or security; FALSE for
 * the other results, which each caller words. */
gboolean              signet_curl_server_error   (SignetCurlServerCheck  check,
                                                  const char            *host,
                                                  const char            *security,
                                                  GError               **error);
char                 *signet_curl_make_url       (const char *scheme,
                                                  const char *host,
                                                  guint       port,
                                                  const char *path);

/* The server's words as a user may be shown them: printable, valid UTF-8,
 * not endless. */
char                 *signet_curl_clean_words    (const char *text);

/* ---- the connection ---- */

/* Where and how: @host as the user set it (for messages). */
typedef struct {
  const char *host;
  const char *url;
  const char *protocols;          /* CURLOPT_PROTOCOLS_STR */
  const char *security;           /* tls, starttls or none */
  const char *ca_file;            /* NULL: the system's authorities */
  const char *pinned_public_key;  /* sha256//BASE64, trusted whoever signed it */
  guint       timeout;            /* seconds */
} SignetCurlServer;

void      signet_curl_setup_connection       (CURL                   *easy,
                                              const SignetCurlServer *server,
                                              char                   *error_buffer);

/* The sockets of the transfers on one line, so that a cancellation can
 * shut them down: libcurl sometimes waits on its own and would notice only
 * later. The multi handle keeps a connection open from one transfer to the
 * next. */
typedef struct {
  GMutex    lock;
  GArray   *sockets;
  gboolean  cancelled;
  CURLM    *multi;
} SignetCurlLine;

void      signet_curl_line_init              (SignetCurlLine *line);
void      signet_curl_line_clear             (SignetCurlLine *line);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SignetCurlLine, signet_curl_line_clear)
void      signet_curl_line_hang_up           (SignetCurlLine *line,
                                              gboolean        cancelled);
CURLcode  signet_curl_perform                (CURL           *easy,
                                              SignetCurlLine *line,
                                              GCancellable   *cancellable);
void      signet_curl_line_close             (SignetCurlLine *line,
                                              GCancellable   *cancellable);

/* libcurl's own reason for a failure that no reply of the server explains,
 * for the usual ones (STARTTLS refused: "nothing was sent unencrypted");
 * FALSE for the others, which each caller words. */
gboolean  signet_curl_connection_error       (CURLcode     result,
                                              const char  *host,
                                              const char  *detail,
                                              GError     **error);
/* From a CURLOPT_DEBUGFUNCTION: each line of what libcurl sent (HEADER_OUT)
 * or read (HEADER_IN), without its line end; empty ones are left out. */
typedef void (*SignetCurlLineFunc) (gpointer    user_data,
                                    const char *line);
void      signet_curl_debug_lines            (curl_infotype       type,
                                              const char         *data,
                                              size_t              size,
                                              SignetCurlLineFunc  sent,
                                              SignetCurlLineFunc  heard,
                                              gpointer            user_data);
size_t    signet_curl_discard                (char   *data,
                                              size_t  size,
                                              size_t  n_items,
                                              void   *user_data);

/* ---- certificates ---- */

gboolean  signet_curl_is_certificate_failure (CURLcode result);
gboolean  signet_curl_identify_certificate   (GBytes  *der,
                                              char   **fingerprint,
                                              char   **pin);
/* Connects once more without verifying, to tell which certificate the
 * server shows, and sets SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE.
 * TRUE when it could tell: then @fingerprint and @pin are set. */
gboolean  signet_curl_untrusted_error        (const SignetCurlServer *server,
                                              const char             *detail,
                                              GCancellable           *cancellable,
                                              char                  **fingerprint,
                                              char                  **pin,
                                              GError                **error);

/* ---- the message, streamed ---- */

/* Read from its file as libcurl sends it; bare LF line ends become CRLF on
 * the way. */
typedef struct {
  int      fd;
  guint8   buffer[16384];
  gsize    length;
  gsize    position;
  gboolean after_cr;
  int      read_errno;
  goffset  size;        /* as sent: every bare LF counted as CRLF */
} SignetCurlUpload;

gboolean  signet_curl_upload_prepare         (SignetCurlUpload *upload,
                                              int               fd,
                                              GCancellable     *cancellable,
                                              GError          **error);
size_t    signet_curl_upload_read            (SignetCurlUpload *upload,
                                              char             *out,
                                              size_t            capacity);
void      signet_curl_upload_error           (const SignetCurlUpload  *upload,
                                              GError                 **error);

/* ---- IMAP, as the server answered ---- */

/* Followed through libcurl's debug callback: which command is in flight,
 * and the tagged reply that ended the last one. Only the tag and the
 * command's name are read of what is sent: LOGIN and AUTHENTICATE lines
 * carry the password. */
typedef struct {
  char     *command;          /* in flight, upper case: "LOGIN", "APPEND", ... */
  char     *status;           /* of the last tagged reply: "OK", "NO" or "BAD" */
  char     *status_command;   /* the command it answered */
  char     *code;             /* its response code, "TRYCREATE", or NULL */
  char     *words;            /* its text, cleaned for showing */
  char     *bye;              /* an untagged BYE's text */
  char     *greeting;         /* the server's first words: "OK Dovecot ready." */
  char     *login;            /* its answer to a login that worked: "OK Logged in" */
  char     *special_use;      /* LIST: the mailbox with the attribute asked for */
  const char *wanted_use;     /* e.g. "\\Sent" */
  gboolean  found;            /* SEARCH named a message */
} SignetCurlImap;

/* Forgets what was heard (not the wanted use): also before each transfer. */
void      signet_curl_imap_clear             (SignetCurlImap *imap);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SignetCurlImap, signet_curl_imap_clear)
void      signet_curl_imap_setup             (CURL           *easy,
                                              SignetCurlImap *imap);
/* Whether the last tagged reply was @status to @command. */
gboolean  signet_curl_imap_replied           (const SignetCurlImap *imap,
                                              const char           *command,
                                              const char           *status);
/* SIGNET_TRANSPORT_ERROR_TEMPORARY when the last NO may pass (its response
 * code says the server is busy, broken for now, or the mailbox full), else
 * PERMANENT. */
int       signet_curl_imap_error_code        (const SignetCurlImap *imap);
/* The tagged reply as it may be shown: "NO [CODE] text". */
char     *signet_curl_imap_reply             (const SignetCurlImap *imap);
/* The failure of a login that the server refused in words. */
gboolean  signet_curl_imap_login_error       (const SignetCurlImap *imap,
                                              const char           *host,
                                              const char           *user,
                                              GError              **error);
/* The server said BYE before it had answered. */
gboolean  signet_curl_imap_bye_error         (const SignetCurlImap *imap,
                                              const char           *host,
                                              GError              **error);

G_END_DECLS
