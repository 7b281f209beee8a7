#pragma once

/* What only the core uses of S/MIME: GPGME's CMS engine itself. */
#include <gpgme.h>

#include "signet-smime.h"

G_BEGIN_DECLS

gpgme_ctx_t     signet_smime_new_context (SignetKeyDirectory *directory,
                                          GError            **error);
SignetKeyStatus signet_smime_key_status  (gpgme_ctx_t         ctx,
                                          gpgme_key_t         key);

G_END_DECLS
