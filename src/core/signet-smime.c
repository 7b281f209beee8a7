/* S/MIME certificates through GPGME's CMS engine (gpgsm), in the same GnuPG
 * home as the OpenPGP keyring: no second crypto stack.
 *
 * gpgsm judges a certificate: its chain up to a root the home's
 * trustlist.txt trusts, its validity period, and the CRL its issuer
 * publishes (fetched by dirmngr from the distribution point the
 * certificate names). A certificate the keybox lacks is looked up by
 * dirmngr in the configured LDAP directories (userCertificate;binary) and
 * imported; gpgsm then judges it like any other. */
#define G_LOG_DOMAIN "signet-smime"

#include "signet-smime.h"

#include <string.h>

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-key-directory-private.h"
#include "signet-smime-private.h"

/* How far up a chain is followed to find its root. */
#define MAX_CHAIN 16

/* A context for gpgsm in @directory's GnuPG home. */
gpgme_ctx_t
signet_smime_new_context (SignetKeyDirectory *directory,
                          GError            **error)
{
  gpgme_ctx_t ctx = signet_key_directory_new_context (directory, error);
  const char *home = NULL;
  gpgme_error_t err;

  if (ctx == NULL)
    return NULL;
  for (gpgme_engine_info_t info = gpgme_ctx_get_engine_info (ctx); info != NULL; info = info->next)
    if (info->protocol == GPGME_PROTOCOL_OpenPGP)
      home = info->home_dir;
  err = gpgme_engine_check_version (GPGME_PROTOCOL_CMS);
  if (err != 0)
    {
      gpgme_release (ctx);
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                   _("GnuPG’s S/MIME program (gpgsm) is not installed or cannot be run."));
      return NULL;
    }
  err = gpgme_ctx_set_engine_info (ctx, GPGME_PROTOCOL_CMS, NULL, home);
  if (err == 0)
    err = gpgme_set_protocol (ctx, GPGME_PROTOCOL_CMS);
  if (err != 0)
    {
      gpgme_release (ctx);
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return NULL;
    }
  return ctx;
}

static gboolean
is_root (gpgme_key_t key)
{
  return key->chain_id == NULL || g_ascii_strcasecmp (key->chain_id, key->fpr) == 0;
}

/* Why gpgsm calls @key invalid: a chain that ends in a root nobody
 * trusted is UNTRUSTED (as an OpenPGP key nobody certified); a broken one
 * (an issuer missing, a bad signature) INVALID. */
static SignetKeyStatus
invalid_status (gpgme_ctx_t ctx, gpgme_key_t key)
{
  g_auto(gpgme_key_t) current = NULL;

  gpgme_key_ref (key);
  current = key;
  for (guint depth = 0; depth < MAX_CHAIN; depth++)
    {
      gpgme_key_t issuer = NULL;

      if (is_root (current))
        return current->invalid ? SIGNET_KEY_STATUS_UNTRUSTED : SIGNET_KEY_STATUS_INVALID;
      if (signet_key_directory_get_key (ctx, current->chain_id, FALSE, &issuer) != 0)
        return SIGNET_KEY_STATUS_INVALID;
      gpgme_key_unref (current);
      current = issuer;
    }
  return SIGNET_KEY_STATUS_INVALID;
}

/* Whether @key can be sealed to; an invalid one's issuers are listed in
 * @ctx, which must be idle. */
SignetKeyStatus
signet_smime_key_status (gpgme_ctx_t ctx, gpgme_key_t key)
{
  if (key->revoked)
    return SIGNET_KEY_STATUS_REVOKED;
  if (key->expired)
    return SIGNET_KEY_STATUS_EXPIRED;
  if (key->disabled)
    return SIGNET_KEY_STATUS_DISABLED;
  if (key->invalid)
    return invalid_status (ctx, key);
  if (!key->can_encrypt)
    return SIGNET_KEY_STATUS_CANNOT_ENCRYPT;
  return SIGNET_KEY_STATUS_OK;
}

/* gpgsm's user IDs of a mail address are "<address>", and GPGME passes
 * the brackets on as part of the address. */
static gboolean
has_email (gpgme_key_t key, const char *normal)
{
  for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
    {
      const char *email = uid->email;
      g_autofree char *bare = NULL;
      g_autofree char *address = NULL;

      if (email == NULL || email[0] == '\0')
        continue;
      if (email[0] == '<' && g_str_has_suffix (email, ">"))
        email = bare = g_strndup (email + 1, strlen (email) - 2);
      address = signet_address_normalize (email);
      if (address != NULL && g_str_equal (address, normal))
        return TRUE;
    }
  return FALSE;
}

static SignetKeyResult *
new_result (const char *email)
{
  SignetKeyResult *result = g_new0 (SignetKeyResult, 1);

  result->email = g_strdup (email);
  result->status = SIGNET_KEY_STATUS_MISSING;
  return result;
}

/* Keeps @key in @result if it is better than what is there: a usable
 * certificate over any other, the one valid longest among usable ones. */
static void
consider (SignetKeyResult *result, gpgme_key_t key, SignetKeyStatus status, long *expires)
{
  long key_expires = key->subkeys != NULL ? key->subkeys->expires : 0;

  if (result->status == SIGNET_KEY_STATUS_OK &&
      (status != SIGNET_KEY_STATUS_OK || (*expires == 0 || (key_expires != 0 && key_expires <= *expires))))
    return;
  if (result->status != SIGNET_KEY_STATUS_MISSING && status != SIGNET_KEY_STATUS_OK)
    return;
  result->status = status;
  *expires = key_expires;
  g_free (result->fingerprint);
  result->fingerprint = g_strdup (key->fpr);
  g_free (result->user_id);
  result->user_id = g_strdup (key->uids != NULL ? key->uids->uid : NULL);
}

/* The certificates of the keybox for @email, judged by gpgsm. */
static SignetKeyResult *
resolve_local (gpgme_ctx_t ctx, const char *email, gboolean secret, GError **error)
{
  g_autoptr(SignetKeyResult) result = new_result (email);
  g_autofree char *normal = signet_address_normalize (email);
  g_autofree char *pattern = g_strdup_printf ("<%s>", email);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) gpgme_key_unref);
  gpgme_key_t key;
  gpgme_error_t err;
  long expires = 0;

  if (normal == NULL)
    return g_steal_pointer (&result);
  gpgme_set_keylist_mode (ctx, GPGME_KEYLIST_MODE_LOCAL | GPGME_KEYLIST_MODE_VALIDATE);
  err = gpgme_op_keylist_start (ctx, pattern, secret);
  while (err == 0 && (err = gpgme_op_keylist_next (ctx, &key)) == 0)
    g_ptr_array_add (keys, key);
  gpgme_op_keylist_end (ctx);
  if (gpg_err_code (err) != GPG_ERR_EOF)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return NULL;
    }
  /* Issuers are looked up only once the listing is over: one operation
   * at a time per context. */
  for (guint i = 0; i < keys->len; i++)
    {
      gpgme_key_t k = g_ptr_array_index (keys, i);
      SignetKeyStatus status;

      if (k->fpr == NULL || !has_email (k, normal))
        continue;
      status = signet_smime_key_status (ctx, k);
      if (secret && status == SIGNET_KEY_STATUS_CANNOT_ENCRYPT && k->can_sign)
        status = SIGNET_KEY_STATUS_OK;
      consider (result, k, status, &expires);
    }
  return g_steal_pointer (&result);
}

/* The length of the DER element at @data (tag and length included), or 0
 * when it is not a whole one. */
static gsize
der_length (const guint8 *data, gsize size)
{
  gsize length = 0, header = 2;

  if (size < 2 || data[0] != 0x30)
    return 0;
  if (data[1] < 0x80)
    length = data[1];
  else
    {
      guint n = data[1] & 0x7f;

      if (n == 0 || n > 4 || size < 2 + n)
        return 0;
      for (guint i = 0; i < n; i++)
        length = (length << 8) | data[2 + i];
      header += n;
    }
  return length <= size - header ? header + length : 0;
}

/* Imports the certificates (DER, one after another) in @certificates,
 * with a context of its own: gpgsm's server refuses imports ("General
 * error") once the same session has listed with validation. */
static gboolean
import_certificates (SignetKeyDirectory *directory, GBytes *certificates, GError **error)
{
  g_auto(gpgme_ctx_t) ctx = signet_smime_new_context (directory, error);
  gsize size;
  const guint8 *data = g_bytes_get_data (certificates, &size);
  gsize offset = 0, length;

  if (ctx == NULL)
    return FALSE;
  while (offset < size && (length = der_length (data + offset, size - offset)) > 0)
    {
      g_auto(gpgme_data_t) der = NULL;
      gpgme_error_t err = gpgme_data_new_from_mem (&der, (const char *) data + offset, length, 0);

      if (err == 0)
        err = gpgme_op_import (ctx, der);
      if (err != 0)
        {
          signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
          return FALSE;
        }
      offset += length;
    }
  return TRUE;
}

/* Looks the addresses of @results that have no certificate up in the
 * directory, imports what it holds and judges them again (in a new gpgsm
 * session: one that listed the keybox before does not see the imports). */
static gboolean
locate_missing (SignetKeyDirectory     *directory,
                SignetDirectoryServers *servers,
                GPtrArray              *results,
                GCancellable           *cancellable,
                GError                **error)
{
  g_autoptr(GPtrArray) missing = g_ptr_array_new ();
  g_autoptr(GPtrArray) emails = g_ptr_array_new ();
  g_autoptr(GPtrArray) found = NULL;
  g_auto(gpgme_ctx_t) ctx = NULL;

  for (guint i = 0; i < results->len; i++)
    {
      SignetKeyResult *result = g_ptr_array_index (results, i);

      if (result->status != SIGNET_KEY_STATUS_MISSING)
        continue;
      g_ptr_array_add (missing, result);
      g_ptr_array_add (emails, result->email);
    }
  if (missing->len == 0)
    return TRUE;
  g_ptr_array_add (emails, NULL);
  found = signet_directory_servers_lookup_certificates_sync (servers, (const char * const *) emails->pdata,
                                                             cancellable, error);
  if (found == NULL)
    return FALSE;
  for (guint i = 0; i < missing->len; i++)
    if (!import_certificates (directory, g_ptr_array_index (found, i), error))
      return FALSE;
  for (guint i = 0; i < missing->len; i++)
    {
      SignetKeyResult *result = g_ptr_array_index (missing, i);
      g_autoptr(SignetKeyResult) again = NULL;

      if (g_bytes_get_size (g_ptr_array_index (found, i)) == 0)
        continue;
      if (ctx == NULL && (ctx = signet_smime_new_context (directory, error)) == NULL)
        return FALSE;
      again = resolve_local (ctx, result->email, FALSE, error);
      if (again == NULL)
        return FALSE;
      result->status = again->status;
      g_free (result->fingerprint);
      result->fingerprint = g_steal_pointer (&again->fingerprint);
      g_free (result->user_id);
      result->user_id = g_steal_pointer (&again->user_id);
    }
  return TRUE;
}

GPtrArray *
signet_smime_resolve_sync (SignetKeyDirectory     *directory,
                           SignetDirectoryServers *servers,
                           const char * const     *emails,
                           GCancellable           *cancellable,
                           GError                **error)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_key_result_free);
  g_auto(gpgme_ctx_t) ctx = signet_smime_new_context (directory, error);

  if (ctx == NULL)
    return NULL;
  for (guint i = 0; emails != NULL && emails[i] != NULL; i++)
    {
      SignetKeyResult *result;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      result = resolve_local (ctx, emails[i], FALSE, error);
      if (result == NULL)
        return NULL;
      g_ptr_array_add (results, result);
    }
  if (servers != NULL && !locate_missing (directory, servers, results, cancellable, error))
    return NULL;
  return g_steal_pointer (&results);
}

typedef struct {
  SignetDirectoryServers *servers;
  char                  **emails;
} ResolveData;

static void
resolve_data_free (ResolveData *data)
{
  g_clear_object (&data->servers);
  g_strfreev (data->emails);
  g_free (data);
}

static void
resolve_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ResolveData *data = task_data;
  GError *error = NULL;
  GPtrArray *results = signet_smime_resolve_sync (source, data->servers, (const char * const *) data->emails,
                                                  cancellable, &error);

  if (results == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

/* signet_smime_resolve_sync() in a worker thread. */
void
signet_smime_resolve_async (SignetKeyDirectory     *directory,
                            SignetDirectoryServers *servers,
                            const char * const     *emails,
                            GCancellable           *cancellable,
                            GAsyncReadyCallback     callback,
                            gpointer                user_data)
{
  g_autoptr(GTask) task = g_task_new (directory, cancellable, callback, user_data);
  ResolveData *data = g_new0 (ResolveData, 1);

  data->servers = servers != NULL ? g_object_ref (servers) : NULL;
  data->emails = g_strdupv ((char **) emails);
  g_task_set_source_tag (task, signet_smime_resolve_async);
  g_task_set_task_data (task, data, (GDestroyNotify) resolve_data_free);
  g_task_run_in_thread (task, resolve_thread);
}

GPtrArray *
signet_smime_resolve_finish (GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
signet_smime_choose_own_sync (SignetKeyDirectory *directory,
                              const char         *email,
                              GCancellable       *cancellable,
                              GError            **error)
{
  g_auto(gpgme_ctx_t) ctx = signet_smime_new_context (directory, error);
  g_autoptr(SignetKeyResult) own = NULL;

  if (ctx == NULL || (own = resolve_local (ctx, email, TRUE, error)) == NULL)
    return NULL;
  if (own->status != SIGNET_KEY_STATUS_OK)
    {
      /* Translators: %s is the sender's mail address */
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                   _("You have no valid S/MIME certificate with its secret key for %s. Nothing was sent."),
                   email);
      return NULL;
    }
  return g_steal_pointer (&own->fingerprint);
}
