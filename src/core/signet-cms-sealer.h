#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"
#include "signet-message.h"
#include "signet-sealer.h"

G_BEGIN_DECLS

/* Writes @message to @fd as S/MIME application/pkcs7-mime (enveloped-data),
 * readable only with the certificates of @fingerprints (one per line, the
 * sender's own among them to read it again); signed inside by the
 * certificate @options->signer unless that is NULL. */
gboolean signet_cms_sealer_write_sealed (SignetSealer            *sealer,
                                         SignetKeyDirectory      *directory,
                                         SignetMessage           *message,
                                         const SignetSealOptions *options,
                                         const char * const      *fingerprints,
                                         int                      fd,
                                         GCancellable            *cancellable,
                                         GError                 **error);

/* Writes @message to @fd in the clear, as multipart/signed with an S/MIME
 * signature (application/pkcs7-signature) by @options->signer. */
gboolean signet_cms_sealer_write_signed (SignetSealer            *sealer,
                                         SignetKeyDirectory      *directory,
                                         SignetMessage           *message,
                                         const SignetSealOptions *options,
                                         int                      fd,
                                         GCancellable            *cancellable,
                                         GError                 **error);

G_END_DECLS
