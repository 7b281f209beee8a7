#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"

G_BEGIN_DECLS

/* Signing with the sender's own secret key (RFC 3156): which key signs for
 * an address, looked up off the main thread. */
void   signet_signer_choose_key_async  (SignetKeyDirectory  *directory,
                                        const char          *email,
                                        const char          *preferred,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
char  *signet_signer_choose_key_finish (GAsyncResult        *result,
                                        GError             **error);

G_END_DECLS
