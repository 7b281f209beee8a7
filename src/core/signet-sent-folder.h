#pragma once

#include <gio/gio.h>

#include "signet-curl-tls.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_SENT_FOLDER (signet_sent_folder_get_type ())
G_DECLARE_FINAL_TYPE (SignetSentFolder, signet_sent_folder, SIGNET, SENT_FOLDER, GObject)

/* @security: "tls", "starttls" or "none" (loopback only); @port 0: 993 or
 * 143; @folder NULL or "": the mailbox the server marks \Sent (RFC 6154
 * SPECIAL-USE), else "Sent".
 *
 * Properties, like SignetSmtpTransport's: host, port, security, user,
 * folder, ca-file, pinned-public-key, timeout. Thread-safe. */
SignetSentFolder *signet_sent_folder_new                      (const char         *host,
                                                               guint               port,
                                                               const char         *security,
                                                               const char         *user,
                                                               const char         *folder);
void              signet_sent_folder_set_password_func        (SignetSentFolder   *self,
                                                               SignetPasswordFunc  func,
                                                               gpointer            user_data,
                                                               GDestroyNotify      destroy);

/* Called in a worker thread. Appends the message read from @fd (from its
 * start, streamed) to the Sent folder with the \Seen flag. When
 * @message_id is not NULL and the folder already holds a message with that
 * Message-ID, appends nothing and returns TRUE: a retry after a crash never
 * makes a second copy. Errors are in SIGNET_TRANSPORT_ERROR (TEMPORARY,
 * PERMANENT, UNTRUSTED_CERTIFICATE), or G_IO_ERROR_CANCELLED. */
gboolean          signet_sent_folder_append                   (SignetSentFolder   *self,
                                                               int                 fd,
                                                               const char         *message_id,
                                                               GCancellable       *cancellable,
                                                               GError            **error);
/* After SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE: the certificate's
 * SHA-256 fingerprint and its public key as libcurl's "sha256//BASE64". */
gboolean          signet_sent_folder_dup_untrusted_certificate (SignetSentFolder  *self,
                                                                char             **fingerprint,
                                                                char             **pin);

G_END_DECLS
