/* S/MIME messages (RFC 8551) with GPGME's CMS engine, gpgsm: sealed as
 * application/pkcs7-mime; smime-type=enveloped-data, signed as
 * multipart/signed with application/pkcs7-signature, both signed and
 * sealed as a signed message inside the envelope.
 *
 * As for PGP/MIME, the message is streamed into gpgsm through a pipe and
 * only ciphertext reaches the disk (an unlinked temporary file, then the
 * part's Base64). Unlike it, gpgsm judges every certificate again as it
 * seals: chain, validity and CRL; a certificate it refuses stops the seal. */
#define G_LOG_DOMAIN "signet-cms-sealer"

#include "signet-cms-sealer.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "signet-encrypt.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-key-directory-private.h"
#include "signet-sealer-private.h"
#include "signet-signer-private.h"
#include "signet-smime-private.h"

#define SIGNATURE_HEADERS \
  "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\n" \
  "Content-Transfer-Encoding: base64\n" \
  "Content-Description: S/MIME digital signature\n" \
  "Content-Disposition: attachment; filename=\"smime.p7s\"\n"

/* GPGME hands gpgsm the file descriptors of data made from them, and
 * closes them once it has: it gets copies, and the originals stay ours. */
static int
dup_for_gpgsm (int fd)
{
  return fcntl (fd, F_DUPFD_CLOEXEC, 3);
}

static gpgme_error_t
start_sign (gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out, gpointer data)
{
  return gpgme_op_sign_start (ctx, in, out, GPGME_SIG_MODE_DETACH);
}

/* "sha-256" and the like (RFC 8551, section 3.5.3). */
static char *
micalg_of (gpgme_ctx_t ctx, GError **error)
{
  g_autofree char *lower = signet_signer_hash_name (ctx, error);

  if (lower == NULL)
    return NULL;
  if (g_str_has_prefix (lower, "sha") && g_ascii_isdigit (lower[3]))
    return g_strdup_printf ("sha-%s", lower + 3);
  return g_steal_pointer (&lower);
}

static void
close_fds (int *fds, guint n)
{
  for (guint i = 0; i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
}

/* @entity signed by @signer as multipart/signed; the files it reads are
 * in @fds, four of them (closed by the caller once the part is written). */
static GMimeObject *
build_signed (SignetSealer        *sealer,
              SignetKeyDirectory  *directory,
              GMimeObject         *entity,
              const char          *signer,
              int                 *fds,
              GCancellable        *cancellable,
              GError             **error)
{
  g_auto(gpgme_ctx_t) ctx = signet_smime_new_context (directory, error);
  g_autofree char *micalg = NULL;
  g_autoptr(GMimeStream) signature = NULL;
  g_autoptr(GMimeStream) out = NULL;
  g_autoptr(GMimeStream) base64 = NULL;
  g_autoptr(GMimeFilter) encoder = NULL;
  gpgme_error_t err = 0;
  gboolean ok;

  /* canonical, content (LF), signature */
  ok = ctx != NULL && signet_signer_set_key (ctx, signer, error) &&
       (fds[0] = signet_sealer_open_temp_file (sealer, error)) >= 0 &&
       (fds[1] = signet_sealer_open_temp_file (sealer, error)) >= 0 &&
       (fds[2] = signet_sealer_open_temp_file (sealer, error)) >= 0 &&
       signet_sealer_write_canonical (entity, fds[0], cancellable, error) && signet_sealer_rewind (fds[0], error);
  if (ok)
    {
      gpgme_set_armor (ctx, 0);
      int to_gpgsm = dup_for_gpgsm (fds[0]), from_gpgsm = dup_for_gpgsm (fds[2]);

      ok = to_gpgsm >= 0 && from_gpgsm >= 0 &&
           signet_gpg_run_stream (ctx, start_sign, NULL, "SIG_CREATED", to_gpgsm, from_gpgsm, cancellable, &err, error);
      if (!ok && err != 0)
        signet_set_gpgme_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED, err);
    }
  ok = ok && (micalg = micalg_of (ctx, error)) != NULL &&
       signet_sealer_rewind (fds[0], error) && signet_signer_copy_to_lf (fds[0], fds[1], error) &&
       signet_sealer_rewind (fds[1], error) && signet_sealer_rewind (fds[2], error);
  if (!ok)
    return NULL;
  /* The signature part is Base64: written once into a file of its own. */
  if ((fds[3] = signet_sealer_open_temp_file (sealer, error)) < 0)
    return NULL;
  signature = g_mime_stream_fs_new (fds[2]);
  g_mime_stream_fs_set_owner (GMIME_STREAM_FS (signature), FALSE);
  out = g_mime_stream_fs_new (fds[3]);
  g_mime_stream_fs_set_owner (GMIME_STREAM_FS (out), FALSE);
  base64 = g_mime_stream_filter_new (out);
  encoder = g_mime_filter_basic_new (GMIME_CONTENT_ENCODING_BASE64, TRUE);
  g_mime_stream_filter_add (GMIME_STREAM_FILTER (base64), encoder);
  if (g_mime_stream_write_to_stream (signature, base64) < 0 || g_mime_stream_flush (base64) != 0 ||
      !signet_sealer_rewind (fds[3], error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                     _("Could not write the signed message: %s"), g_strerror (errno));
      return NULL;
    }
  g_clear_object (&signature);
  signature = g_mime_stream_fs_new (fds[3]);
  g_mime_stream_fs_set_owner (GMIME_STREAM_FS (signature), FALSE);
  return signet_signer_build_multipart_signed (fds[1], signature, micalg, "application/pkcs7-signature",
                                               SIGNATURE_HEADERS);
}

gboolean
signet_cms_sealer_write_signed (SignetSealer            *sealer,
                                SignetKeyDirectory      *directory,
                                SignetMessage           *message,
                                const SignetSealOptions *options,
                                int                      fd,
                                GCancellable            *cancellable,
                                GError                 **error)
{
  g_autofree char *message_id = signet_sealer_new_message_id (message);
  g_autoptr(GDateTime) date = g_date_time_new_now_local ();
  g_autoptr(GMimeMessage) mime = signet_sealer_build_outer (message, options, FALSE, message_id, date);
  g_autoptr(GMimeObject) content = signet_sealer_build_clear_content (message, error);
  g_autoptr(GMimeObject) signed_part = NULL;
  int fds[4] = { -1, -1, -1, -1 };
  gboolean ok = FALSE;

  g_return_val_if_fail (options->signer != NULL, FALSE);

  if (content != NULL && !g_cancellable_set_error_if_cancelled (cancellable, error))
    signed_part = build_signed (sealer, directory, content, options->signer, fds, cancellable, error);
  if (signed_part != NULL)
    {
      g_mime_message_set_mime_part (mime, signed_part);
      ok = signet_sealer_write_object (GMIME_OBJECT (mime), fd, cancellable, error);
    }
  close_fds (fds, G_N_ELEMENTS (fds));
  return ok;
}

typedef struct {
  gpgme_ctx_t  ctx;
  const char  *recipients;
  int          cipher_fd;
} EnvelopeData;

static gboolean
run_envelope (int plain_fd, gpointer user_data, GCancellable *cancellable, GError **error)
{
  EnvelopeData *data = user_data;
  int in = dup_for_gpgsm (plain_fd), out = dup_for_gpgsm (data->cipher_fd);

  if (in < 0 || out < 0)
    {
      g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                   _("Could not create a pipe: %s"), g_strerror (errno));
      return FALSE;
    }
  /* No GPGME_ENCRYPT_ALWAYS_TRUST: gpgsm checks each chain and CRL again. */
  return signet_encrypt_stream (data->ctx, data->recipients, 0, in, out, cancellable, error);
}

/* Names the certificate gpgsm refused, with why, instead of GnuPG's bare
 * error. */
static void
explain_refusal (gpgme_ctx_t ctx, GError **error)
{
  gpgme_encrypt_result_t result = gpgme_op_encrypt_result (ctx);
  gpgme_invalid_key_t invalid = result != NULL ? result->invalid_recipients : NULL;
  char reason[256] = "";

  if (invalid == NULL || error == NULL || *error == NULL)
    return;
  gpgme_strerror_r (invalid->reason, reason, sizeof reason);
  g_clear_error (error);
  /* Translators: the first %s is a certificate's fingerprint, the second GnuPG's reason */
  g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
               _("GnuPG refused the certificate %s: %s"), invalid->fpr != NULL ? invalid->fpr : "", reason);
}

gboolean
signet_cms_sealer_write_sealed (SignetSealer            *sealer,
                                SignetKeyDirectory      *directory,
                                SignetMessage           *message,
                                const SignetSealOptions *options,
                                const char * const      *fingerprints,
                                int                      fd,
                                GCancellable            *cancellable,
                                GError                 **error)
{
  g_autofree char *message_id = signet_sealer_new_message_id (message);
  g_autoptr(GDateTime) date = g_date_time_new_now_local ();
  g_autofree char *recipients = NULL;
  g_autoptr(GMimeObject) inner = NULL;
  g_autoptr(GMimeObject) entity = NULL;
  g_auto(gpgme_ctx_t) ctx = NULL;
  int fds[5] = { -1, -1, -1, -1, -1 };
  gboolean ok = FALSE;

  g_return_val_if_fail (fingerprints != NULL && fingerprints[0] != NULL, FALSE);

  inner = signet_sealer_build_inner (message, options, message_id, date, error);
  if (inner == NULL)
    return FALSE;
  if (options->signer != NULL)
    entity = build_signed (sealer, directory, inner, options->signer, fds, cancellable, error);
  else
    entity = g_object_ref (inner);
  recipients = g_strjoinv ("\n", (char **) fingerprints);
  if (entity != NULL && (ctx = signet_smime_new_context (directory, error)) != NULL &&
      (fds[4] = signet_sealer_open_temp_file (sealer, error)) >= 0)
    {
      EnvelopeData data = { ctx, recipients, fds[4] };

      gpgme_set_armor (ctx, 0);
      ok = signet_sealer_stream_entity (entity, run_envelope, &data, cancellable, error);
      if (!ok)
        explain_refusal (ctx, error);
    }
  if (ok && lseek (fds[4], 0, SEEK_SET) != 0)
    {
      g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                   _("Could not read the sealed message back: %s"), g_strerror (errno));
      ok = FALSE;
    }
  if (ok)
    {
      g_autoptr(GMimeMessage) mime = signet_sealer_build_outer (message, options, TRUE, message_id, date);
      GMimeApplicationPkcs7Mime *envelope = g_mime_application_pkcs7_mime_new (GMIME_SECURE_MIME_TYPE_ENVELOPED_DATA);
      g_autoptr(GMimeStream) cipher = g_mime_stream_fs_new (fds[4]);
      g_autoptr(GMimeDataWrapper) content = NULL;

      g_mime_stream_fs_set_owner (GMIME_STREAM_FS (cipher), FALSE);
      content = g_mime_data_wrapper_new_with_stream (cipher, GMIME_CONTENT_ENCODING_DEFAULT);
      g_mime_part_set_content (GMIME_PART (envelope), content);
      g_mime_message_set_mime_part (mime, GMIME_OBJECT (envelope));
      g_object_unref (envelope);
      ok = signet_sealer_write_object (GMIME_OBJECT (mime), fd, cancellable, error);
    }
  close_fds (fds, G_N_ELEMENTS (fds));
  return ok;
}
