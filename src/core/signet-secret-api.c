#define G_LOG_DOMAIN "signet-secret"

#include "config.h"

#include "signet-secret-api.h"

#include <gio/gio.h>
#include <string.h>

#include "signet-i18n.h"
#include "signet-library.h"

/* What calls get when libsecret could not be opened: what they would get
 * with no Secret Service to talk to, and why in the error text. */
static char *failure;

static void
stub_fail_async (GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  g_task_report_new_error (NULL, callback, user_data, source_tag, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", failure);
}

static void
stub_password_storev_binary (const SecretSchema *schema, GHashTable *attributes, const char *collection,
                             const char *label, SecretValue *value, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  stub_fail_async (callback, user_data, stub_password_storev_binary);
}

static gboolean
stub_propagate_boolean (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
stub_password_clearv (const SecretSchema *schema, GHashTable *attributes, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  stub_fail_async (callback, user_data, stub_password_clearv);
}

static void
stub_password_lookupv (const SecretSchema *schema, GHashTable *attributes, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  stub_fail_async (callback, user_data, stub_password_lookupv);
}

static char *
stub_password_lookup_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
stub_password_lookupv_sync (const SecretSchema *schema, GHashTable *attributes, GCancellable *cancellable,
                            GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, failure);
  return NULL;
}

static void
stub_password_free (char *password)
{
  if (password != NULL)
    explicit_bzero (password, strlen (password));
  g_free (password);
}

/* A password kept for the session without libsecret's non-pageable
 * memory: in ordinary memory, wiped when freed. */
typedef struct {
  gsize length;
  char  secret[];
} PlainValue;

static SecretValue *
stub_value_new (const char *secret, gssize length, const char *content_type)
{
  gsize n = length < 0 ? strlen (secret) : (gsize) length;
  PlainValue *value = g_malloc (sizeof (PlainValue) + n + 1);

  value->length = n;
  memcpy (value->secret, secret, n);
  value->secret[n] = '\0';
  return (SecretValue *) value;
}

static const char *
stub_value_get (SecretValue *secret_value, gsize *length)
{
  PlainValue *value = (PlainValue *) secret_value;

  if (length != NULL)
    *length = value->length;
  return value->secret;
}

static void
stub_value_unref (gpointer data)
{
  PlainValue *value = data;

  if (value == NULL)
    return;
  explicit_bzero (value->secret, value->length);
  g_free (value);
}

static const SignetSecretApi stubs = {
  stub_password_storev_binary, stub_propagate_boolean, stub_password_clearv, stub_propagate_boolean,
  stub_password_lookupv, stub_password_lookup_finish, stub_password_lookupv_sync, stub_password_free,
  stub_value_new, stub_value_get, stub_value_unref,
};

#define SYMBOL(field, symbol) SIGNET_LIBRARY_SYMBOL (SignetSecretApi, field, symbol)
static const SignetLibrarySymbol symbols[] = {
  SYMBOL (password_storev_binary, "secret_password_storev_binary"),
  SYMBOL (password_store_finish, "secret_password_store_finish"),
  SYMBOL (password_clearv, "secret_password_clearv"),
  SYMBOL (password_clear_finish, "secret_password_clear_finish"),
  SYMBOL (password_lookupv, "secret_password_lookupv"),
  SYMBOL (password_lookup_finish, "secret_password_lookup_finish"),
  SYMBOL (password_lookupv_sync, "secret_password_lookupv_sync"),
  SYMBOL (password_free, "secret_password_free"),
  SYMBOL (value_new, "secret_value_new"),
  SYMBOL (value_get, "secret_value_get"),
  SYMBOL (value_unref, "secret_value_unref"),
};
#undef SYMBOL

static gboolean
open_libsecret (SignetSecretApi *api)
{
  g_autofree char *reason = signet_library_open (SIGNET_LIBSECRET_SONAME, symbols, G_N_ELEMENTS (symbols), api);

  if (reason == NULL)
    return TRUE;
  /* Translators: %s is the library's file name, then why it failed */
  failure = g_strdup_printf (_("The keyring library %s could not be loaded: %s"), SIGNET_LIBSECRET_SONAME, reason);
  g_warning ("%s", failure);
  return FALSE;
}

const SignetSecretApi *
signet_secret_api (void)
{
  static SignetSecretApi api;
  static const SignetSecretApi *chosen;

  if (g_once_init_enter (&chosen))
    g_once_init_leave (&chosen, open_libsecret (&api) ? &api : &stubs);
  return chosen;
}
