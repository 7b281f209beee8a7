#pragma once

#include <gio/gio.h>

#include "signet-network.h"

G_BEGIN_DECLS

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

/* A key pair of the user's own (its secret part is in the keyring). */
#define SIGNET_TYPE_OWN_KEY (signet_own_key_get_type ())

typedef struct {
  char            *fingerprint;
  char            *user_id;
  gint64           created;   /* seconds since the epoch */
  gint64           expires;   /* 0: never */
  SignetKeyStatus  status;    /* OK: usable to seal to oneself */
} SignetOwnKey;

GType         signet_own_key_get_type (void) G_GNUC_CONST;
SignetOwnKey *signet_own_key_copy     (const SignetOwnKey *key);
void          signet_own_key_free     (SignetOwnKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetOwnKey, signet_own_key_free)

/* A key whose user ID carries an address, as the key picker shows it. */
#define SIGNET_TYPE_KEY_CANDIDATE (signet_key_candidate_get_type ())

typedef struct {
  char            *fingerprint;
  GStrv            user_ids;  /* all of the key's user IDs, the matching ones first */
  gint64           created;   /* seconds since the epoch */
  gint64           expires;   /* 0: never */
  gboolean         usable;    /* status is OK: valid, can encrypt, trusted */
  SignetKeyStatus  status;
} SignetKeyCandidate;

GType               signet_key_candidate_get_type (void) G_GNUC_CONST;
SignetKeyCandidate *signet_key_candidate_copy     (const SignetKeyCandidate *candidate);
void                signet_key_candidate_free     (SignetKeyCandidate *candidate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetKeyCandidate, signet_key_candidate_free)

#define SIGNET_TYPE_KEY_DIRECTORY (signet_key_directory_get_type ())
G_DECLARE_FINAL_TYPE (SignetKeyDirectory, signet_key_directory, SIGNET, KEY_DIRECTORY, GObject)

SignetKeyDirectory *signet_key_directory_new            (const char         *homedir,
                                                         SignetNetwork      *network);
void                signet_key_directory_set_offline_error (GError **error);
void                signet_key_directory_close          (SignetKeyDirectory *self);
void                signet_key_directory_hold_home      (SignetKeyDirectory *self);
void                signet_key_directory_release_home   (SignetKeyDirectory *self,
                                                         const GError       *error);
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
void                signet_key_directory_list_own_keys_async  (SignetKeyDirectory *self,
                                                         const char         *email,
                                                         GCancellable       *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer            user_data);
GPtrArray          *signet_key_directory_list_own_keys_finish (SignetKeyDirectory *self,
                                                         GAsyncResult       *result,
                                                         GError            **error);
void                signet_key_directory_set_settings   (SignetKeyDirectory *self,
                                                         GSettings          *settings);
void                signet_key_directory_accept         (SignetKeyDirectory *self,
                                                         const char         *fingerprint,
                                                         const char         *email);
gboolean            signet_key_directory_is_accepted    (SignetKeyDirectory *self,
                                                         const char         *fingerprint,
                                                         const char         *email);
void                signet_key_directory_set_choice     (SignetKeyDirectory *self,
                                                         const char         *email,
                                                         const char         *fingerprint);
char               *signet_key_directory_dup_choice     (SignetKeyDirectory *self,
                                                         const char         *email);
void                signet_key_directory_list_candidates_async  (SignetKeyDirectory *self,
                                                         const char         *email,
                                                         GCancellable       *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer            user_data);
GPtrArray          *signet_key_directory_list_candidates_finish (SignetKeyDirectory *self,
                                                         GAsyncResult       *result,
                                                         GError            **error);
gboolean            signet_key_results_all_ok           (GPtrArray          *results);
const SignetKeyResult *signet_key_results_lookup        (GPtrArray          *results,
                                                         const char         *email);

G_END_DECLS
