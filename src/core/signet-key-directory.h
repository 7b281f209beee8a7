#pragma once

#include <gio/gio.h>
#include <gpgme.h>

#include "signet-network.h"

G_BEGIN_DECLS

/* GPGME's handle types are pointers already: use g_auto(), not g_autoptr(). */
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gpgme_ctx_t, gpgme_release, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gpgme_data_t, gpgme_data_release, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gpgme_key_t, gpgme_key_unref, NULL)

typedef enum {
  SIGNET_KEY_STATUS_OK,
  SIGNET_KEY_STATUS_MISSING,
  SIGNET_KEY_STATUS_EXPIRED,
  SIGNET_KEY_STATUS_REVOKED,
  SIGNET_KEY_STATUS_DISABLED,
  SIGNET_KEY_STATUS_INVALID,
  SIGNET_KEY_STATUS_CANNOT_ENCRYPT,
  SIGNET_KEY_STATUS_UNTRUSTED,
  SIGNET_KEY_STATUS_AMBIGUOUS,
} SignetKeyStatus;

#define SIGNET_TYPE_KEY_RESULT (signet_key_result_get_type ())

typedef struct {
  char            *email;
  SignetKeyStatus  status;
  char            *fingerprint;  /* of the usable key when status is OK */
  char            *user_id;
} SignetKeyResult;

GType            signet_key_result_get_type (void) G_GNUC_CONST;
SignetKeyResult *signet_key_result_copy     (const SignetKeyResult *result);
void             signet_key_result_free     (SignetKeyResult *result);
const char      *signet_key_status_describe (SignetKeyStatus status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetKeyResult, signet_key_result_free)

#define SIGNET_TYPE_KEY_DIRECTORY (signet_key_directory_get_type ())
G_DECLARE_FINAL_TYPE (SignetKeyDirectory, signet_key_directory, SIGNET, KEY_DIRECTORY, GObject)

SignetKeyDirectory *signet_key_directory_new            (const char         *homedir,
                                                         SignetNetwork      *network);
const char         *signet_key_directory_get_homedir    (SignetKeyDirectory *self);
SignetNetwork      *signet_key_directory_get_network    (SignetKeyDirectory *self);
gpgme_ctx_t         signet_key_directory_new_context    (SignetKeyDirectory *self,
                                                         GError            **error);
void                signet_key_directory_set_offline_error (GError **error);
gboolean            signet_key_directory_check_available (SignetKeyDirectory *self,
                                                         GError            **error);
void                signet_key_directory_resolve_async  (SignetKeyDirectory *self,
                                                         GPtrArray          *emails,
                                                         GCancellable       *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer            user_data);
GPtrArray          *signet_key_directory_resolve_finish (SignetKeyDirectory *self,
                                                         GAsyncResult       *result,
                                                         GError            **error);
GPtrArray          *signet_key_directory_resolve_sync   (SignetKeyDirectory *self,
                                                         const char * const *emails,
                                                         GCancellable       *cancellable,
                                                         GError            **error);
gboolean            signet_key_results_all_ok           (GPtrArray          *results);
const SignetKeyResult *signet_key_results_lookup        (GPtrArray          *results,
                                                         const char         *email);
void                signet_set_gpgme_error              (GError            **error,
                                                         GQuark              domain,
                                                         int                 code,
                                                         gpgme_error_t       err);

G_END_DECLS
