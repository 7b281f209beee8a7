#pragma once

/* What only the core uses of the key directory: GPGME itself. */

#include <gpgme.h>

#include "signet-key-directory.h"

G_BEGIN_DECLS

/* GPGME's handle types are pointers already: use g_auto(), not g_autoptr(). */
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gpgme_ctx_t, gpgme_release, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gpgme_data_t, gpgme_data_release, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gpgme_key_t, gpgme_key_unref, NULL)

SignetNetwork *signet_key_directory_get_network (SignetKeyDirectory *self);
gpgme_ctx_t   signet_key_directory_new_context   (SignetKeyDirectory *self,
                                                  GError            **error);
gboolean      signet_key_directory_wait_home     (SignetKeyDirectory *self,
                                                  GError            **error);
gpgme_error_t signet_key_directory_get_key       (gpgme_ctx_t         ctx,
                                                  const char         *fingerprint,
                                                  gboolean            secret,
                                                  gpgme_key_t        *r_key);
GPtrArray    *signet_key_directory_resolve_sync  (SignetKeyDirectory *self,
                                                  const char * const *emails,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
GPtrArray    *signet_key_directory_list_own_keys_sync (SignetKeyDirectory *self,
                                                  const char         *email,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
GPtrArray    *signet_key_directory_list_candidates_sync (SignetKeyDirectory *self,
                                                  const char         *email,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
SignetOwnKey *signet_key_directory_choose_own_key (SignetKeyDirectory *self,
                                                  const char         *email,
                                                  const char         *preferred,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
gboolean      signet_is_fingerprint              (const char         *text);
void          signet_set_gpgme_error             (GError            **error,
                                                  GQuark              domain,
                                                  int                 code,
                                                  gpgme_error_t       err);

G_END_DECLS

/* For address completion (signet-keyring-completion.c). */
G_BEGIN_DECLS
void          signet_key_result_record_key       (SignetKeyResult    *result,
                                                  gpgme_key_t         key,
                                                  gpgme_user_id_t     uid);
G_END_DECLS
