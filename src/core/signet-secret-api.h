#pragma once

/* libsecret, opened the first time a password is saved, looked up or
 * cleared, not when Signet starts: with libgcrypt, which it brings, it is
 * a third of a MiB and half a millisecond before a composer's first frame
 * that most starts never need. Code that keeps passwords includes this
 * instead of <libsecret/secret.h> and calls libsecret as usual; the calls
 * go through the table below, filled the first time it is used (in
 * whichever thread that is).
 *
 * If libsecret cannot be opened, each call fails as one would with no
 * Secret Service on the bus (a G_IO_ERROR saying why), and a SecretValue
 * is kept in ordinary memory, wiped when freed: a password can still be
 * kept for the session. */

#include <glib.h>

#include <libsecret/secret.h>

G_BEGIN_DECLS

typedef struct {
  void         (*password_storev_binary) (const SecretSchema *schema, GHashTable *attributes,
                                          const char *collection, const char *label, SecretValue *value,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data);
  gboolean     (*password_store_finish)  (GAsyncResult *result, GError **error);
  void         (*password_clearv)        (const SecretSchema *schema, GHashTable *attributes,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data);
  gboolean     (*password_clear_finish)  (GAsyncResult *result, GError **error);
  void         (*password_lookupv)       (const SecretSchema *schema, GHashTable *attributes,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data);
  char        *(*password_lookup_finish) (GAsyncResult *result, GError **error);
  char        *(*password_lookupv_sync)  (const SecretSchema *schema, GHashTable *attributes,
                                          GCancellable *cancellable, GError **error);
  void         (*password_free)          (char *password);
  SecretValue *(*value_new)              (const char *secret, gssize length, const char *content_type);
  const char  *(*value_get)              (SecretValue *value, gsize *length);
  void         (*value_unref)            (gpointer value);
} SignetSecretApi;

const SignetSecretApi *signet_secret_api (void);

#define secret_password_storev_binary (signet_secret_api ()->password_storev_binary)
#define secret_password_store_finish  (signet_secret_api ()->password_store_finish)
#define secret_password_clearv        (signet_secret_api ()->password_clearv)
#define secret_password_clear_finish  (signet_secret_api ()->password_clear_finish)
#define secret_password_lookupv       (signet_secret_api ()->password_lookupv)
#define secret_password_lookup_finish (signet_secret_api ()->password_lookup_finish)
#define secret_password_lookupv_sync  (signet_secret_api ()->password_lookupv_sync)
#define secret_password_free          (signet_secret_api ()->password_free)
#define secret_value_new              (signet_secret_api ()->value_new)
#define secret_value_get              (signet_secret_api ()->value_get)
#define secret_value_unref            (signet_secret_api ()->value_unref)

G_END_DECLS
