#pragma once

/* What the sealer uses to sign: GPGME and GMime themselves. */

#include <gpgme.h>

#include "signet-gmime.h"
#include "signet-signer.h"

G_BEGIN_DECLS

char        *signet_signer_choose_key_sync      (SignetKeyDirectory *directory,
                                                 const char         *email,
                                                 const char         *preferred,
                                                 GCancellable       *cancellable,
                                                 GError            **error);
gboolean     signet_signer_set_key              (gpgme_ctx_t         ctx,
                                                 const char         *fingerprint,
                                                 GError            **error);
gboolean     signet_signer_sign_stream          (gpgme_ctx_t         ctx,
                                                 int                 plain_fd,
                                                 int                 signature_fd,
                                                 char              **micalg,
                                                 GCancellable       *cancellable,
                                                 GError            **error);
gboolean     signet_signer_encrypt_sign_stream  (gpgme_ctx_t            ctx,
                                                 const char            *recipients,
                                                 gpgme_encrypt_flags_t  flags,
                                                 int                    plain_fd,
                                                 int                    cipher_fd,
                                                 GCancellable          *cancellable,
                                                 GError               **error);
gboolean     signet_signer_copy_to_lf           (int                 from_fd,
                                                 int                 to_fd,
                                                 GError            **error);
GMimeObject *signet_signer_build_signed_part    (int                 content_fd,
                                                 int                 signature_fd,
                                                 const char         *micalg);

char        *signet_signer_hash_name            (gpgme_ctx_t         ctx,
                                                 GError            **error);
GMimeObject *signet_signer_build_multipart_signed (int          content_fd,
                                                  GMimeStream *signature,
                                                  const char  *micalg,
                                                  const char  *protocol,
                                                  const char  *signature_headers);

G_END_DECLS
