#define G_LOG_DOMAIN "signet-signer"

#include "signet-signer-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "signet-encrypt.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-key-directory-private.h"

/* Signing with the sender's own secret key (RFC 3156). A signed message is
 * multipart/signed: the content exactly as it was signed, then a detached
 * signature over its canonical form (CRLF line ends; the content is 7bit,
 * quoted-printable or Base64, so transport changes none of its bytes). A
 * sealed and signed message is signed and encrypted in one GnuPG pass.
 * The passphrase, if any, is asked for by gpg-agent's pinentry: Signet
 * never sees it. */

/* TRUE when @key has a secret subkey that can sign now. */
static gboolean
can_sign (gpgme_key_t key)
{
  if (key->revoked || key->expired || key->disabled || key->invalid)
    return FALSE;
  for (gpgme_subkey_t sub = key->subkeys; sub != NULL; sub = sub->next)
    if (sub->can_sign && sub->secret && !sub->revoked && !sub->expired && !sub->disabled && !sub->invalid)
      return TRUE;
  return FALSE;
}

static gboolean
own_key_can_sign (gpgme_ctx_t ctx, const SignetOwnKey *own)
{
  g_auto(gpgme_key_t) key = NULL;

  if (own->status != SIGNET_KEY_STATUS_OK && own->status != SIGNET_KEY_STATUS_CANNOT_ENCRYPT)
    return FALSE;
  return signet_key_directory_get_key (ctx, own->fingerprint, TRUE, &key) == 0 && can_sign (key);
}

static void
set_no_key_error (GError **error, const char *email, const SignetOwnKey *unusable)
{
  if (unusable == NULL)
    /* Translators: %s is an email address */
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                 _("You have no secret key for %s, so the message cannot be signed. Create or import a "
                   "key pair for this address, or turn Sign off."), email);
  else if (unusable->status != SIGNET_KEY_STATUS_OK && unusable->status != SIGNET_KEY_STATUS_CANNOT_ENCRYPT)
    /* Translators: the first %s is an email address, the second why its key cannot be used */
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                 _("Your own key for %s cannot sign: %s."), email,
                 signet_key_status_describe (unusable->status));
  else
    /* Translators: %s is an email address */
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                 _("Your own key for %s has no secret key that can sign."), email);
}

/* The fingerprint of the own key that signs for @email: @preferred (the
 * key chosen in Preferences) when it can sign, otherwise the newest one
 * that can. Fails with SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY, naming the
 * address, when none can. The secret keyring is local: works offline. */
char *
signet_signer_choose_key_sync (SignetKeyDirectory *directory,
                               const char         *email,
                               const char         *preferred,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_autoptr(GPtrArray) keys = signet_key_directory_list_own_keys_sync (directory, email, cancellable, error);
  g_auto(gpgme_ctx_t) ctx = NULL;
  const SignetOwnKey *unusable = NULL;

  if (keys == NULL)
    return NULL;
  ctx = signet_key_directory_new_context (directory, error);
  if (ctx == NULL)
    return NULL;
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < keys->len; i++)
      {
        const SignetOwnKey *k = g_ptr_array_index (keys, i);
        gboolean is_preferred = preferred != NULL && g_ascii_strcasecmp (k->fingerprint, preferred) == 0;

        if ((pass == 0) != is_preferred)
          continue;
        if (g_cancellable_set_error_if_cancelled (cancellable, error))
          return NULL;
        if (own_key_can_sign (ctx, k))
          return g_strdup (k->fingerprint);
        if (unusable == NULL)
          unusable = k;
      }
  set_no_key_error (error, email, unusable);
  return NULL;
}

typedef struct {
  char *email;
  char *preferred;
} ChooseData;

static void
choose_data_free (ChooseData *data)
{
  g_free (data->email);
  g_free (data->preferred);
  g_free (data);
}

static void
choose_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ChooseData *data = task_data;
  GError *error = NULL;
  char *fingerprint = signet_signer_choose_key_sync (source, data->email, data->preferred, cancellable, &error);

  if (fingerprint == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, fingerprint, g_free);
}

/* Looks up, in a worker thread, the key that would sign for @email (see
 * signet_signer_choose_key_sync()). */
void
signet_signer_choose_key_async (SignetKeyDirectory  *directory,
                                const char          *email,
                                const char          *preferred,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (directory, cancellable, callback, user_data);
  ChooseData *data = g_new0 (ChooseData, 1);

  data->email = g_strdup (email);
  data->preferred = preferred != NULL && *preferred != '\0' ? g_strdup (preferred) : NULL;
  g_task_set_source_tag (task, signet_signer_choose_key_async);
  g_task_set_task_data (task, data, (GDestroyNotify) choose_data_free);
  g_task_run_in_thread (task, choose_thread);
}

/* Returns: (transfer full): the signing key's fingerprint, or NULL. */
char *
signet_signer_choose_key_finish (GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Makes @ctx sign with the secret key @fingerprint only. */
gboolean
signet_signer_set_key (gpgme_ctx_t  ctx,
                       const char  *fingerprint,
                       GError     **error)
{
  g_auto(gpgme_key_t) key = NULL;
  gpgme_error_t err = signet_key_directory_get_key (ctx, fingerprint, TRUE, &key);

  if (err != 0 || key == NULL || !can_sign (key))
    {
      /* Translators: %s is a key's fingerprint */
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                   _("The secret key %s is not in your keyring or cannot sign. Nothing was sent."),
                   fingerprint);
      return FALSE;
    }
  gpgme_signers_clear (ctx);
  err = gpgme_signers_add (ctx, key);
  if (err != 0)
    {
      signet_set_gpgme_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED, err);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_cancel (gpgme_error_t err)
{
  return gpgme_err_code (err) == GPG_ERR_CANCELED || gpgme_err_code (err) == GPG_ERR_FULLY_CANCELED;
}

/* Explains GnuPG's error @err from signing (and, @encrypting, sealing). */
static void
set_sign_error (gpgme_ctx_t ctx, gpgme_error_t err, gboolean encrypting, GError **error)
{
  gpgme_sign_result_t sign = gpgme_op_sign_result (ctx);
  gpgme_encrypt_result_t encrypt = encrypting ? gpgme_op_encrypt_result (ctx) : NULL;
  gpgme_invalid_key_t signer = sign != NULL ? sign->invalid_signers : NULL;

  if (is_cancel (err) || (signer != NULL && is_cancel (signer->reason)))
    g_set_error_literal (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_SIGNING_CANCELLED,
                         _("Signing was cancelled: the passphrase of your key was not given. "
                           "The message was not sent."));
  else if (gpgme_err_code (err) == GPG_ERR_BAD_PASSPHRASE)
    g_set_error_literal (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                         _("The passphrase of your key was wrong, so the message could not be signed. "
                           "It was not sent."));
  else if (signer != NULL || gpgme_err_code (err) == GPG_ERR_NO_SECKEY ||
           gpgme_err_code (err) == GPG_ERR_UNUSABLE_SECKEY)
    /* Translators: %s is a key's fingerprint, or empty */
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                 _("GnuPG cannot sign with your key %s. Nothing was sent."),
                 signer != NULL && signer->fpr != NULL ? signer->fpr : "");
  else if (encrypt != NULL && encrypt->invalid_recipients != NULL)
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
                 _("GnuPG refused the sealing key %s."), encrypt->invalid_recipients->fpr);
  else
    signet_set_gpgme_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED, err);
}

static gpgme_error_t
start_sign (gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out, gpointer data)
{
  return gpgme_op_sign_start (ctx, in, out, GPGME_SIG_MODE_DETACH);
}

/* The hash the signature just made used, lower case ("sha256"). */
char *
signet_signer_hash_name (gpgme_ctx_t ctx, GError **error)
{
  gpgme_sign_result_t result = gpgme_op_sign_result (ctx);
  const char *name = NULL;

  if (result != NULL && result->signatures != NULL)
    name = gpgme_hash_algo_name (result->signatures->hash_algo);
  if (name == NULL)
    {
      g_set_error_literal (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                           _("GnuPG did not say how it signed the message. Nothing was sent."));
      return NULL;
    }
  return g_ascii_strdown (name, -1);
}

/* "pgp-sha256" and the like (RFC 3156, section 5), from the hash gpg used. */
static char *
micalg_of (gpgme_ctx_t ctx, GError **error)
{
  g_autofree char *lower = signet_signer_hash_name (ctx, error);

  return lower != NULL ? g_strconcat ("pgp-", lower, NULL) : NULL;
}

/* Signs what @plain_fd delivers into @signature_fd, a detached ASCII-armored
 * signature by the key signet_signer_set_key() gave @ctx; @micalg is the
 * hash it used, as multipart/signed names it. */
gboolean
signet_signer_sign_stream (gpgme_ctx_t    ctx,
                           int            plain_fd,
                           int            signature_fd,
                           char         **micalg,
                           GCancellable  *cancellable,
                           GError       **error)
{
  gpgme_error_t err = 0;

  gpgme_set_armor (ctx, 1);
  gpgme_set_textmode (ctx, 0);
  if (!signet_gpg_run_stream (ctx, start_sign, NULL, "SIG_CREATED", plain_fd, signature_fd,
                              cancellable, &err, error))
    {
      if (err != 0)
        set_sign_error (ctx, err, FALSE, error);
      return FALSE;
    }
  *micalg = micalg_of (ctx, error);
  return *micalg != NULL;
}

typedef struct {
  const char            *recipients;
  gpgme_encrypt_flags_t  flags;
} EncryptSignArgs;

static gpgme_error_t
start_encrypt_sign (gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out, gpointer data)
{
  const EncryptSignArgs *args = data;

  return gpgme_op_encrypt_sign_ext_start (ctx, NULL, args->recipients, args->flags, in, out);
}

/* Like signet_encrypt_stream(), and signed in the same pass by the key
 * signet_signer_set_key() gave @ctx. */
gboolean
signet_signer_encrypt_sign_stream (gpgme_ctx_t            ctx,
                                   const char            *recipients,
                                   gpgme_encrypt_flags_t  flags,
                                   int                    plain_fd,
                                   int                    cipher_fd,
                                   GCancellable          *cancellable,
                                   GError               **error)
{
  EncryptSignArgs args = { recipients, flags };
  gpgme_error_t err = 0;

  if (signet_gpg_run_stream (ctx, start_encrypt_sign, &args, "END_ENCRYPTION", plain_fd, cipher_fd,
                             cancellable, &err, error))
    return TRUE;
  if (err != 0)
    set_sign_error (ctx, err, TRUE, error);
  return FALSE;
}

static void
cat_add_text (GMimeStream *cat, const char *text)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (text, strlen (text));

  g_mime_stream_cat_add_source (GMIME_STREAM_CAT (cat), stream);
}

static GMimeStream *
unowned_fd_stream (int fd)
{
  GMimeStream *stream = g_mime_stream_fs_new (fd);

  g_mime_stream_fs_set_owner (GMIME_STREAM_FS (stream), FALSE);
  return stream;
}

/* Copies @from_fd, canonical (CRLF), to @to_fd with LF line ends, as
 * every message file here has them (transport makes them CRLF again): the
 * content holds no other CR, so this changes nothing else. */
gboolean
signet_signer_copy_to_lf (int      from_fd,
                          int      to_fd,
                          GError **error)
{
  g_autoptr(GMimeStream) from = unowned_fd_stream (from_fd);
  g_autoptr(GMimeStream) to = unowned_fd_stream (to_fd);
  g_autoptr(GMimeStream) filtered = g_mime_stream_filter_new (to);
  g_autoptr(GMimeFilter) dos2unix = g_mime_filter_dos2unix_new (FALSE);

  g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), dos2unix);
  errno = 0;
  if (g_mime_stream_write_to_stream (from, filtered) < 0 || g_mime_stream_flush (filtered) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                   _("Could not write the signed message: %s"), g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* multipart/signed (RFC 3156) of the content in @content_fd (what was
 * signed, with LF line ends: signet_signer_copy_to_lf()) and the signature
 * in @signature_fd. Both are read when the part is written, from where they
 * are now; the caller keeps them open until then. */
GMimeObject *
signet_signer_build_signed_part (int         content_fd,
                                 int         signature_fd,
                                 const char *micalg)
{
  g_autoptr(GMimeStream) signature = unowned_fd_stream (signature_fd);

  return signet_signer_build_multipart_signed (content_fd, signature, micalg, "application/pgp-signature",
                                               "Content-Type: application/pgp-signature; name=\"signature.asc\"\n"
                                               "Content-Description: OpenPGP digital signature\n"
                                               "Content-Disposition: attachment; filename=\"signature.asc\"\n");
}

/* multipart/signed of the content in @content_fd and @signature, whose
 * part has @signature_headers (each line ending in "\n") and whose type
 * @protocol names; for PGP/MIME (RFC 3156) and S/MIME (RFC 8551). */
GMimeObject *
signet_signer_build_multipart_signed (int          content_fd,
                                      GMimeStream *signature,
                                      const char  *micalg,
                                      const char  *protocol,
                                      const char  *signature_headers)
{
  g_autofree char *uuid = g_uuid_string_random ();
  /* "=-" never occurs in quoted-printable or Base64, nor in GMime's own
   * boundaries: no line of the content can end the part early. */
  g_autofree char *boundary = g_strdup_printf ("=-signet-%s", uuid);
  g_autofree char *opening = g_strdup_printf ("--%s\n", boundary);
  g_autofree char *middle = g_strdup_printf ("\n--%s\n%s\n", boundary, signature_headers);
  g_autofree char *closing = g_strdup_printf ("\n--%s--\n", boundary);
  g_autoptr(GMimeStream) cat = g_mime_stream_cat_new ();
  g_autoptr(GMimeStream) content = unowned_fd_stream (content_fd);
  g_autoptr(GMimeDataWrapper) wrapper = NULL;
  g_autoptr(GMimeContentType) type = g_mime_content_type_parse (NULL, "multipart/signed");
  GMimePart *part = g_mime_part_new_with_type ("multipart", "signed");

  cat_add_text (cat, opening);
  g_mime_stream_cat_add_source (GMIME_STREAM_CAT (cat), content);
  cat_add_text (cat, middle);
  g_mime_stream_cat_add_source (GMIME_STREAM_CAT (cat), signature);
  cat_add_text (cat, closing);
  g_mime_content_type_set_parameter (type, "micalg", micalg);
  g_mime_content_type_set_parameter (type, "protocol", protocol);
  g_mime_content_type_set_parameter (type, "boundary", boundary);
  g_mime_object_set_content_type (GMIME_OBJECT (part), type);
  wrapper = g_mime_data_wrapper_new_with_stream (cat, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content (part, wrapper);
  return GMIME_OBJECT (part);
}
