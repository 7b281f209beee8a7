#pragma once

#include <gio/gio.h>

#include "signet-directory-servers.h"
#include "signet-key-directory.h"

G_BEGIN_DECLS

/* S/MIME certificates (X.509) through GPGME's CMS engine, gpgsm, in the
 * key directory's GnuPG home. */

/* Each address's certificate as SignetKeyResult (status, and the
 * fingerprint of the certificate to seal to when the status is OK). With
 * @servers (nullable) configured and the network up, an address whose
 * certificate the keybox lacks is looked up in the LDAP directories and
 * what they hold is imported. Blocks: call it from a worker thread. */
GPtrArray *signet_smime_resolve_sync         (SignetKeyDirectory     *directory,
                                              SignetDirectoryServers *servers,
                                              const char * const     *emails,
                                              GCancellable           *cancellable,
                                              GError                **error);
void       signet_smime_resolve_async        (SignetKeyDirectory     *directory,
                                              SignetDirectoryServers *servers,
                                              const char * const     *emails,
                                              GCancellable           *cancellable,
                                              GAsyncReadyCallback     callback,
                                              gpointer                user_data);
GPtrArray *signet_smime_resolve_finish       (GAsyncResult           *result,
                                              GError                **error);

/* The fingerprint of the user's own valid certificate for @email whose
 * secret key is in the keybox (to sign, and to seal to oneself), or NULL
 * with SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY. Blocks. */
char      *signet_smime_choose_own_sync      (SignetKeyDirectory     *directory,
                                              const char             *email,
                                              GCancellable           *cancellable,
                                              GError                **error);

G_END_DECLS
