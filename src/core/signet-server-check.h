#pragma once

#include <gio/gio.h>

#include "signet-account.h"

G_BEGIN_DECLS

typedef struct {
  char *fingerprint;   /* on SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE: SHA-256 of the certificate, hex pairs with colons */
  char *pin;           /* and its public key as libcurl's sha256//BASE64 */
  char *sent_folder;   /* IMAP: the mailbox marked \Sent, or NULL */
  char *reply;         /* on success, the server's own words (e.g. its 235/OK line), or NULL */
} SignetServerCheckResult;

void     signet_server_check_result_free (SignetServerCheckResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetServerCheckResult, signet_server_check_result_free)

/* "Test connection": connects to a SMTP (SIGNET_ACCOUNT_PROTOCOL_SMTP) or
 * IMAP server, negotiates TLS as @security ("tls", "starttls" or "none",
 * the last only to this computer) says, logs in when @user is not empty,
 * and disconnects. Runs in a GTask thread; cancellable. Errors are in
 * SIGNET_TRANSPORT_ERROR (or SIGNET_ACCOUNT_ERROR for settings refused
 * before connecting, or G_IO_ERROR_CANCELLED). */
void     signet_server_check_async       (SignetAccountProtocol  protocol,
                                          const char            *host,
                                          guint                  port,
                                          const char            *security,
                                          const char            *user,
                                          const char            *password,
                                          const char            *pinned_public_key,
                                          const char            *ca_file,
                                          GCancellable          *cancellable,
                                          GAsyncReadyCallback    callback,
                                          gpointer               user_data);
/* *@result is set whether it succeeded or not. */
gboolean signet_server_check_finish      (GAsyncResult             *res,
                                          SignetServerCheckResult **result,
                                          GError                  **error);

G_END_DECLS
