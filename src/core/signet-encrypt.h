#pragma once

#include <gio/gio.h>
#include <gpgme.h>

G_BEGIN_DECLS

/* Starts one GPGME operation on @ctx from @in to @out. */
typedef gpgme_error_t (*SignetGpgStartFunc) (gpgme_ctx_t  ctx,
                                             gpgme_data_t in,
                                             gpgme_data_t out,
                                             gpointer     data);

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

gboolean signet_gpg_run_stream (gpgme_ctx_t            ctx,
                                SignetGpgStartFunc     start_op,
                                gpointer               op_data,
                                const char            *completion,
                                int                    in_fd,
                                int                    out_fd,
                                GCancellable          *cancellable,
                                gpgme_error_t         *gpg_error,
                                GError               **error);

G_END_DECLS
