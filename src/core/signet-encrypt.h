#pragma once

#include <gio/gio.h>
#include <gpgme.h>

G_BEGIN_DECLS

gboolean signet_encrypt_stream (gpgme_ctx_t            ctx,
                                const char            *recipients,
                                gpgme_encrypt_flags_t  flags,
                                int                    plain_fd,
                                int                    cipher_fd,
                                GCancellable          *cancellable,
                                GError               **error);
gboolean signet_decrypt_stream (gpgme_ctx_t            ctx,
                                int                    cipher_fd,
                                int                    plain_fd,
                                GCancellable          *cancellable,
                                GError               **error);

G_END_DECLS
