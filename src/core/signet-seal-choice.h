#pragma once

#include <gio/gio.h>

#include "signet-directory-servers.h"
#include "signet-key-directory.h"

G_BEGIN_DECLS

/* How a sealed message is sealed: with OpenPGP or with S/MIME, one
 * technology for all of its recipients. */
typedef struct {
  gboolean   smime;            /* S/MIME; else OpenPGP */
  char      *own_fingerprint;  /* the sender's own key or certificate, sealed to as well */
  GPtrArray *key_results;      /* SignetKeyResult per recipient, of that technology */
} SignetSealChoice;

void     signet_seal_choice_clear  (SignetSealChoice       *choice);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SignetSealChoice, signet_seal_choice_clear)

/* Chooses, from what OpenPGP offers (@pgp_own: the sender's own key or
 * NULL, @pgp_results: the recipients' keys, or NULL) and what S/MIME
 * offers (looked up here, in the directory too when @servers is set),
 * with @pgp_own_error why OpenPGP has no own key (nullable),
 * the first technology of the preferred order that reaches the sender and
 * every recipient. When none does: FALSE with
 * SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS (a mix that cannot be served
 * names who blocks which, and @choice->key_results is NULL) or
 * NO_OWN_KEY, and @choice->key_results holds the results that say why.
 * Blocks. */
gboolean signet_seal_choice_decide (SignetKeyDirectory     *directory,
                                    SignetDirectoryServers *servers,
                                    const char             *sender,
                                    const char * const     *emails,
                                    gboolean                prefer_smime,
                                    const char             *pgp_own,
                                    const GError           *pgp_own_error,
                                    GPtrArray              *pgp_results,
                                    SignetSealChoice       *choice,
                                    GCancellable           *cancellable,
                                    GError                **error);

/* The certificate that signs for @sender with S/MIME, when S/MIME comes
 * first and the sender has one; else NULL (OpenPGP signs). Blocks. */
char    *signet_seal_choice_smime_signer (SignetKeyDirectory *directory,
                                          const char         *sender,
                                          gboolean            prefer_smime,
                                          GCancellable       *cancellable);

/* For Check Names: where the OpenPGP @results fall short, S/MIME's
 * statuses for those addresses, so that a recipient with only a
 * certificate shows as reachable (with @prefer_smime, S/MIME is asked even
 * when OpenPGP reaches everyone). *@sealed_smime says whether these
 * recipients would be sealed with S/MIME. Blocks. */
gboolean signet_seal_choice_complete (SignetKeyDirectory     *directory,
                                      SignetDirectoryServers *servers,
                                      const char * const     *emails,
                                      gboolean                prefer_smime,
                                      GPtrArray              *results,
                                      gboolean               *sealed_smime,
                                      GCancellable           *cancellable,
                                      GError                **error);

G_END_DECLS
