#define G_LOG_DOMAIN "signet-sealer"
#define _GNU_SOURCE

#include "signet-sealer.h"
#include "signet-sealer-private.h"
#include "signet-key-directory-private.h"

#include <errno.h>
#include <fcntl.h>
#include "signet-gmime.h"
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "signet-armor.h"
#include "signet-cancellable-stream.h"
#include "signet-core.h"
#include "signet-encrypt.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-signer-private.h"
#include "signet-thread-priority.h"

/* Builds messages with GMime and seals them with GPGME (RFC 3156
 * multipart/encrypted). Plaintext never touches the disk: the MIME entity is
 * streamed through a pipe into gpg, and attachments are read from their files
 * as gpg consumes them. With a signer, a sealed message is signed and
 * encrypted in the same pass, and a clear one becomes multipart/signed
 * (signet-signer.c). */
struct _SignetSealer
{
  GObject             parent_instance;
  SignetKeyDirectory *directory;
};

G_DEFINE_FINAL_TYPE (SignetSealer, signet_sealer, G_TYPE_OBJECT)

static void
signet_sealer_dispose (GObject *object)
{
  g_clear_object (&SIGNET_SEALER (object)->directory);
  G_OBJECT_CLASS (signet_sealer_parent_class)->dispose (object);
}

static void
signet_sealer_class_init (SignetSealerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = signet_sealer_dispose;
}

static void
signet_sealer_init (SignetSealer *self)
{
}

SignetSealer *
signet_sealer_new (SignetKeyDirectory *directory)
{
  SignetSealer *self = g_object_new (SIGNET_TYPE_SEALER, NULL);

  signet_core_init ();
  self->directory = g_object_ref (directory);
  return self;
}

static void
set_address_header (GMimeObject *object, const char *name, GPtrArray *addresses)
{
  g_autofree char *value = NULL;

  if (addresses == NULL || addresses->len == 0)
    return;
  value = signet_address_join (addresses, TRUE);
  g_mime_object_set_header (object, name, value, "utf-8");
}

static void
append_q_encoded (GString *out, const char *start, const char *end)
{
  for (const char *c = start; c < end; c++)
    {
      guchar b = *c;

      if (g_ascii_isalnum (b))
        g_string_append_c (out, b);
      else if (b == ' ')
        g_string_append_c (out, '_');
      else
        g_string_append_printf (out, "=%02X", b);
    }
}

/* Free text as encoded words, every character of it: what the recipient's
 * client decodes is exactly @text, even where @text itself looks like
 * encoded words. Q encoding, whole characters per word, words at most 75
 * characters, so that decoders which join adjacent words agree. */
static char *
encode_text_words (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) word = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      g_autoptr(GString) one = g_string_new (NULL);

      append_q_encoded (one, p, g_utf8_next_char (p));
      if (word->len + one->len > 63)
        {
          g_string_append_printf (out, "%s=?UTF-8?Q?%s?=", out->len ? " " : "", word->str);
          g_string_truncate (word, 0);
        }
      g_string_append (word, one->str);
    }
  if (word->len > 0)
    g_string_append_printf (out, "%s=?UTF-8?Q?%s?=", out->len ? " " : "", word->str);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Sets a header of free text (the Subject). GMime writes ASCII text as it
 * is, so a subject typed as "=?utf-8?q?=0D=0A...?=" would decode, at the
 * recipient, into line breaks the user never typed: such text is encoded
 * here instead. */
static void
set_text_header (GMimeObject *object, const char *name, const char *text)
{
  g_autofree char *encoded = NULL;

  if (strstr (text, "=?") == NULL)
    {
      g_mime_object_set_header (object, name, text, "utf-8");
      return;
    }
  encoded = encode_text_words (text);
  g_mime_object_set_header (object, name, encoded, NULL);
}

/* Subject shown outside the ciphertext of a sealed message whose subject is
 * protected, as Thunderbird, K-9 and Delta Chat do. */
#define PROTECTED_SUBJECT "..."

/* From, To, Cc and Subject; Bcc only in a draft (which is never sent, and
 * whose Bcc must come back when it is reopened). */
static void
set_message_headers (GMimeObject   *object,
                     SignetMessage *message,
                     gboolean       with_recipients,
                     gboolean       with_bcc,
                     const char    *subject)
{
  g_autoptr(GPtrArray) from = g_ptr_array_new ();

  /* A plain draft may not have its sender yet. */
  if (signet_message_get_from (message) != NULL)
    {
      g_ptr_array_add (from, (gpointer) signet_message_get_from (message));
      set_address_header (object, "From", from);
    }
  if (with_recipients)
    {
      const char *names[] = { "To", "Cc", "Bcc" };

      for (SignetRecipientKind k = SIGNET_RECIPIENT_TO; k <= SIGNET_RECIPIENT_BCC; k++)
        {
          g_autoptr(GPtrArray) list = NULL;

          if (k == SIGNET_RECIPIENT_BCC && !with_bcc)
            continue;
          list = signet_message_dup_recipients (message, k);
          set_address_header (object, names[k], list);
        }
    }
  set_text_header (object, "Subject", subject);
  /* A draft remembers whether it is to be signed when it is sent. */
  if (with_bcc && signet_message_get_sign (message))
    g_mime_object_set_header (object, "X-Signet-Sign", "yes", NULL);
}

/* @body as quoted-printable. GMime's encoder ends a text without a final
 * line break without a soft one ("two" stays "two"), and a part is written
 * with a line break after it, which a reader takes for the text's own: a
 * draft without attachments would come back with a line it never had. The
 * soft line break ("=" at the end) keeps the text's end as typed. */
static GMimeStream *
encode_body (const char *body)
{
  GMimeEncoding encoding;
  gsize len = strlen (body);
  GByteArray *out;
  gsize n;

  g_mime_encoding_init_encode (&encoding, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  out = g_byte_array_sized_new (g_mime_encoding_outlen (&encoding, len) + 2);
  g_byte_array_set_size (out, g_mime_encoding_outlen (&encoding, len));
  n = g_mime_encoding_flush (&encoding, body, len, (char *) out->data);
  g_byte_array_set_size (out, n);
  if (n > 0 && out->data[n - 1] != '\n')
    g_byte_array_append (out, (const guint8 *) "=\n", 2);
  return g_mime_stream_mem_new_with_byte_array (out);
}

/* The body, in UTF-8 as typed: g_mime_text_part_set_text() would convert
 * it to the smallest charset that holds it (ISO-8859-1 for "café"), which
 * the "utf-8" label below would then misname. It is encoded here, and
 * GMime writes it as it is. */
static GMimeObject *
build_text_part (SignetMessage *message)
{
  GMimeTextPart *text = g_mime_text_part_new_with_subtype ("plain");
  g_autoptr(GMimeStream) stream = encode_body (signet_message_get_body (message));
  g_autoptr(GMimeDataWrapper) content =
    g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);

  g_mime_part_set_content (GMIME_PART (text), content);
  g_mime_text_part_set_charset (text, "utf-8");
  g_mime_part_set_content_encoding (GMIME_PART (text), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  return GMIME_OBJECT (text);
}

/* A multipart or message type on a part of encoded bytes makes readers,
 * Signet's too, parse those bytes as a structure: a multipart without its
 * boundary, base64 as a message (an attached .eml is message/rfc822). Such
 * a file goes as application/octet-stream, its bytes as they are. */
static gboolean
is_composite_type (GMimeContentType *type)
{
  const char *media = g_mime_content_type_get_media_type (type);

  return g_ascii_strcasecmp (media, "multipart") == 0 || g_ascii_strcasecmp (media, "message") == 0;
}

/* The attachment is opened here, when the message is built, and refused
 * unless it is still a regular file (signet_attachment_open()). */
static GMimeObject *
build_attachment_part (SignetAttachment *attachment, GError **error)
{
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeDataWrapper) content = NULL;
  GMimePart *part;
  int fd;

  fd = signet_attachment_open (attachment, error);
  if (fd < 0)
    return NULL;
  stream = g_mime_stream_fs_new (fd);
  content = g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);
  part = g_mime_part_new_with_type ("application", "octet-stream");
  {
    g_autoptr(GMimeContentType) type = g_mime_content_type_parse (NULL, signet_attachment_get_content_type (attachment));
    if (type != NULL && g_mime_content_type_get_media_type (type) != NULL && !is_composite_type (type))
      g_mime_object_set_content_type (GMIME_OBJECT (part), type);
  }
  g_mime_part_set_content (part, content);
  g_mime_part_set_filename (part, signet_attachment_get_name (attachment));
  g_mime_object_set_disposition (GMIME_OBJECT (part), GMIME_DISPOSITION_ATTACHMENT);
  g_mime_part_set_content_encoding (part, GMIME_CONTENT_ENCODING_BASE64);
  return GMIME_OBJECT (part);
}

/* The message content: a text part, or multipart/mixed with attachments. */
static GMimeObject *
build_content (SignetMessage *message, GError **error)
{
  GListModel *attachments = signet_message_get_attachments (message);
  guint n_attachments = g_list_model_get_n_items (attachments);
  g_autoptr(GMimeMultipart) mixed = NULL;
  g_autoptr(GMimeObject) text = build_text_part (message);

  if (n_attachments == 0)
    return g_steal_pointer (&text);

  mixed = g_mime_multipart_new_with_subtype ("mixed");
  g_mime_multipart_add (mixed, text);
  for (guint i = 0; i < n_attachments; i++)
    {
      g_autoptr(SignetAttachment) attachment = g_list_model_get_item (attachments, i);
      g_autoptr(GMimeObject) part = build_attachment_part (attachment, error);
      if (part == NULL)
        return NULL;
      g_mime_multipart_add (mixed, part);
    }
  return GMIME_OBJECT (g_steal_pointer (&mixed));
}

/* The outer message: what anyone who handles it can read. */
static GMimeMessage *
build_outer_message (SignetMessage           *message,
                     const SignetSealOptions *options,
                     gboolean                 sealed,
                     const char              *message_id,
                     GDateTime               *date)
{
  GMimeMessage *mime = g_mime_message_new (TRUE);
  const char *subject = signet_message_get_subject (message);

  if (sealed && (options->draft || options->encrypt_subject))
    subject = PROTECTED_SUBJECT;
  /* A sealed draft tells nobody whom it is for. */
  set_message_headers (GMIME_OBJECT (mime), message, !(sealed && options->draft),
                       options->draft && !sealed, subject);
  g_mime_message_set_date (mime, date);
  g_mime_message_set_message_id (mime, message_id);
  g_mime_object_set_header (GMIME_OBJECT (mime), "User-Agent", "Signet/" PACKAGE_VERSION, NULL);
  return mime;
}

static char *
new_message_id (SignetMessage *message)
{
  const SignetAddress *from = signet_message_get_from (message);
  const char *at = from != NULL ? strrchr (from->email, '@') : NULL;

  return g_mime_utils_generate_message_id (at != NULL ? at + 1 : "localhost");
}

/* Cancelled, it stops at the next block GMime writes. */
static gboolean
write_object (GMimeObject *object, int fd, GCancellable *cancellable, GError **error)
{
  g_autoptr(GMimeStream) out = signet_cancellable_stream_new (fd, cancellable);

  if (g_mime_object_write_to_stream (object, NULL, out) < 0 || g_mime_stream_flush (out) != 0)
    {
      int saved_errno = errno;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                   _("Could not write the message: %s"), g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static int open_cipher_file (SignetSealer *self, GError **error);
static gboolean write_signed (SignetSealer *self, GMimeMessage *mime, GMimeObject *content,
                              const char *signer, int fd, GCancellable *cancellable, GError **error);

/* Writes @message to @fd unsealed: as it is, or signed when
 * @options->signer is set. */
gboolean
signet_sealer_write_clear (SignetSealer            *self,
                           SignetMessage           *message,
                           const SignetSealOptions *options,
                           int                      fd,
                           GCancellable            *cancellable,
                           GError                 **error)
{
  g_autofree char *message_id = new_message_id (message);
  g_autoptr(GDateTime) date = g_date_time_new_now_local ();
  g_autoptr(GMimeMessage) mime = build_outer_message (message, options, FALSE, message_id, date);
  g_autoptr(GMimeObject) content = build_content (message, error);

  if (content == NULL)
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (options->signer != NULL)
    return write_signed (self, mime, content, options->signer, fd, cancellable, error);
  g_mime_message_set_mime_part (mime, content);
  return write_object (GMIME_OBJECT (mime), fd, cancellable, error);
}

typedef struct {
  GMimeObject *entity;
  int          fd;
  int          saved_errno;
  gboolean     ok;
} WriterData;

/* Runs in its own thread: writes the cleartext entity, CRLF-canonical, into
 * the pipe that gpg reads from. */
static gpointer
writer_thread (gpointer user_data)
{
  WriterData *data = user_data;
  g_autoptr(GMimeStream) pipe_stream = NULL;
  g_autoptr(GMimeStream) filtered = NULL;
  g_autoptr(GMimeFilter) crlf = g_mime_filter_unix2dos_new (FALSE);

  signet_thread_priority_lower_worker ();
  pipe_stream = g_mime_stream_pipe_new (data->fd);
  filtered = g_mime_stream_filter_new (pipe_stream);
  /* The fd is closed here, not when the stream is finalised: gpg only sees
   * the end of its input once the write end is closed, and GMime may hold a
   * reference to the stream longer than this function. */
  g_mime_stream_pipe_set_owner (GMIME_STREAM_PIPE (pipe_stream), FALSE);
  g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), crlf);
  errno = 0;
  data->ok = g_mime_object_write_to_stream (data->entity, NULL, filtered) >= 0 &&
             g_mime_stream_flush (filtered) == 0;
  data->saved_errno = errno;
  close (data->fd);
  return NULL;
}

static int
open_cipher_file (SignetSealer *self, GError **error)
{
  const char *tmpdir = g_get_tmp_dir ();
  int fd = g_open (tmpdir, O_RDWR | O_TMPFILE | O_EXCL | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      g_autofree char *path = g_build_filename (tmpdir, "signet-sealed-XXXXXX", NULL);
      fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
      if (fd >= 0)
        g_unlink (path);
    }
  if (fd < 0)
    g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                 _("Could not create a temporary file: %s"), g_strerror (errno));
  return fd;
}

typedef struct {
  int      in_fd;
  int      out_fd;
  int      saved_errno;
  gboolean ok;
} ArmorData;

/* Runs in its own thread: armors what gpg writes, straight into the
 * message file. */
static gpointer
armor_thread (gpointer user_data)
{
  ArmorData *data = user_data;

  signet_thread_priority_lower_worker ();
  data->ok = signet_armor_copy_fd (data->in_fd, data->out_fd, &data->saved_errno);
  return NULL;
}

static gboolean
open_pipe (int fds[2], GError **error)
{
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, NULL))
    {
      g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                   _("Could not create a pipe: %s"), g_strerror (errno));
      return FALSE;
    }
  /* Fewer, larger transfers between the threads and GPGME; best effort. */
  (void) fcntl (fds[1], F_SETPIPE_SZ, 1 << 20);
  return TRUE;
}

/* Writes @entity into a pipe from a thread of its own while @run makes
 * GnuPG read the other end, so attachments are read as GnuPG consumes them
 * and no plaintext reaches the disk. */
gboolean
signet_sealer_stream_entity (GMimeObject            *entity,
                             SignetSealerStreamFunc  run,
                             gpointer                data,
                             GCancellable           *cancellable,
                             GError                **error)
{
  WriterData writer = { entity, -1, 0, FALSE };
  GThread *thread;
  gboolean ok;
  int plain[2];

  if (!open_pipe (plain, error))
    return FALSE;
  writer.fd = plain[1];
  thread = g_thread_new ("signet-seal-writer", writer_thread, &writer);
  ok = run (plain[0], data, cancellable, error);
  /* A writer still writing (gpg failed, or Cancel) gets EPIPE and ends. */
  close (plain[0]);
  g_thread_join (thread);

  if (ok && !writer.ok)
    {
      g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT,
                   _("The message could not be read for sealing: %s"), g_strerror (writer.saved_errno));
      return FALSE;
    }
  return ok;
}

typedef struct {
  gpgme_ctx_t  ctx;
  const char  *recipients;
  const char  *signer;
  int          out_fd;
} EncryptData;

/* gpg reads the entity from @plain_fd and writes binary ciphertext into a
 * pipe; a thread of its own armors that into the message file. */
static gboolean
run_encrypt (int plain_fd, gpointer user_data, GCancellable *cancellable, GError **error)
{
  EncryptData *data = user_data;
  ArmorData armor = { -1, data->out_fd, 0, FALSE };
  GThread *armor_id;
  int cipher[2];
  gboolean ok;

  if (!open_pipe (cipher, error))
    return FALSE;
  armor.in_fd = cipher[0];
  armor_id = g_thread_new ("signet-seal-armor", armor_thread, &armor);
  /* The keys were judged already, by signet_key_directory_resolve_sync():
   * valid for GnuPG, or found in the directory and accepted for their
   * address. gpg is not asked to judge them again. */
  if (data->signer != NULL)
    ok = signet_signer_encrypt_sign_stream (data->ctx, data->recipients,
                                            GPGME_ENCRYPT_NO_COMPRESS | GPGME_ENCRYPT_ALWAYS_TRUST,
                                            plain_fd, cipher[1], cancellable, error);
  else
    ok = signet_encrypt_stream (data->ctx, data->recipients, GPGME_ENCRYPT_NO_COMPRESS | GPGME_ENCRYPT_ALWAYS_TRUST,
                                plain_fd, cipher[1], cancellable, error);
  /* The armor thread sees the end of the ciphertext. */
  close (cipher[1]);
  g_thread_join (armor_id);
  close (cipher[0]);
  if (ok && !armor.ok)
    {
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                   _("Could not write the message: %s"), g_strerror (armor.saved_errno));
      return FALSE;
    }
  return ok;
}

/* Encrypts @entity for @fingerprints and writes it ASCII-armored to
 * @out_fd, and signs it with @signer unless that is NULL. Three threads and
 * gpg form a pipeline: one writes the entity into a pipe that gpg reads;
 * this one runs gpg, which writes binary ciphertext into a second pipe;
 * the last armors that into @out_fd. */
static gboolean
encrypt_entity (SignetSealer       *self,
                GMimeObject        *entity,
                const char * const *fingerprints,
                const char         *signer,
                int                 out_fd,
                GCancellable       *cancellable,
                GError            **error)
{
  g_auto(gpgme_ctx_t) ctx = signet_key_directory_new_context (self->directory, error);
  g_autofree char *recipients = g_strjoinv ("\n", (char **) fingerprints);
  EncryptData data = { ctx, recipients, signer, out_fd };

  if (ctx == NULL || (signer != NULL && !signet_signer_set_key (ctx, signer, error)))
    return FALSE;
  gpgme_set_armor (ctx, 0);
  return signet_sealer_stream_entity (entity, run_encrypt, &data, cancellable, error);
}

static GMimeObject *
build_encrypted_part (GMimeStream *cipher_stream)
{
  GMimeMultipartEncrypted *encrypted = g_mime_multipart_encrypted_new ();
  g_autoptr(GMimeContentType) type = g_mime_content_type_parse (NULL, "multipart/encrypted");
  g_autoptr(GMimePart) version = g_mime_part_new_with_type ("application", "pgp-encrypted");
  g_autoptr(GMimePart) data = g_mime_part_new_with_type ("application", "octet-stream");
  g_autoptr(GMimeStream) version_stream = g_mime_stream_mem_new_with_buffer ("Version: 1\n", 11);
  g_autoptr(GMimeDataWrapper) version_content = g_mime_data_wrapper_new_with_stream (version_stream, GMIME_CONTENT_ENCODING_7BIT);
  g_autoptr(GMimeDataWrapper) cipher_content = g_mime_data_wrapper_new_with_stream (cipher_stream, GMIME_CONTENT_ENCODING_7BIT);

  g_mime_content_type_set_parameter (type, "protocol", "application/pgp-encrypted");
  g_mime_object_set_content_type (GMIME_OBJECT (encrypted), type);
  g_mime_multipart_set_boundary (GMIME_MULTIPART (encrypted), NULL);
  g_mime_object_set_header (GMIME_OBJECT (version), "Content-Description", "PGP/MIME version identification", NULL);
  g_mime_part_set_content (version, version_content);
  g_mime_part_set_content (data, cipher_content);
  g_mime_part_set_filename (data, "encrypted.asc");
  g_mime_object_set_disposition (GMIME_OBJECT (data), GMIME_DISPOSITION_INLINE);
  g_mime_part_set_content_encoding (data, GMIME_CONTENT_ENCODING_7BIT);
  g_mime_multipart_add (GMIME_MULTIPART (encrypted), GMIME_OBJECT (version));
  g_mime_multipart_add (GMIME_MULTIPART (encrypted), GMIME_OBJECT (data));
  return GMIME_OBJECT (encrypted);
}

/* The outer message as GMime writes it, cut where the ciphertext goes:
 * written with a line that occurs nowhere else in its place, so the
 * ciphertext can stream into the file between the two halves. */
static void
build_outer_halves (GMimeMessage *mime, GByteArray **head, GByteArray **tail)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *marker = g_strdup_printf ("signet-ciphertext-%s\n", uuid);
  g_autoptr(GMimeStream) marker_stream = g_mime_stream_mem_new_with_buffer (marker, strlen (marker));
  g_autoptr(GMimeObject) encrypted = build_encrypted_part (marker_stream);
  g_autoptr(GMimeStream) out = g_mime_stream_mem_new ();
  GByteArray *whole;
  const guint8 *at;

  g_mime_message_set_mime_part (mime, encrypted);
  g_mime_object_write_to_stream (GMIME_OBJECT (mime), NULL, out);
  whole = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (out));
  at = memmem (whole->data, whole->len, marker, strlen (marker));
  g_assert (at != NULL);
  *head = g_byte_array_sized_new (at - whole->data);
  g_byte_array_append (*head, whole->data, at - whole->data);
  at += strlen (marker);
  *tail = g_byte_array_sized_new (whole->data + whole->len - at);
  g_byte_array_append (*tail, at, whole->data + whole->len - at);
}

static gboolean
write_bytes (int fd, GByteArray *bytes, GError **error)
{
  gsize done = 0;

  while (done < bytes->len)
    {
      ssize_t n = write (fd, bytes->data + done, bytes->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                       _("Could not write the message: %s"), g_strerror (n < 0 ? errno : EIO));
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

/* Writes @message to @fd as multipart/encrypted, readable only with the keys
 * of @fingerprints (lines as GPGME takes them: "--hidden" before keys whose
 * IDs must not show). The sealed entity carries the headers (protected
 * headers v1): the real Subject, and for a draft every recipient, Bcc too.
 * The message streams into @fd as it is sealed; should sealing fail, a
 * regular file is cut back to where it was, so nothing is left of it. */
gboolean
signet_sealer_write_sealed (SignetSealer            *self,
                            SignetMessage           *message,
                            const SignetSealOptions *options,
                            const char * const      *fingerprints,
                            int                      fd,
                            GCancellable            *cancellable,
                            GError                 **error)
{
  g_autofree char *message_id = new_message_id (message);
  g_autoptr(GDateTime) date = g_date_time_new_now_local ();
  g_autoptr(GMimeObject) content = NULL;
  g_autoptr(GMimeMessage) mime = NULL;
  g_autoptr(GByteArray) head = NULL;
  g_autoptr(GByteArray) tail = NULL;
  off_t start;
  gboolean ok;

  g_return_val_if_fail (fingerprints != NULL && fingerprints[0] != NULL, FALSE);

  content = signet_sealer_build_inner (message, options, message_id, date, error);
  if (content == NULL)
    return FALSE;
  mime = build_outer_message (message, options, TRUE, message_id, date);
  build_outer_halves (mime, &head, &tail);

  start = lseek (fd, 0, SEEK_CUR);
  ok = write_bytes (fd, head, error) &&
       encrypt_entity (self, content, fingerprints, options->signer, fd, cancellable, error) &&
       write_bytes (fd, tail, error);
  if (!ok && start >= 0 && ftruncate (fd, start) == 0)
    (void) lseek (fd, start, SEEK_SET);
  return ok;
}

static gboolean
rewind_fd (int fd, GError **error)
{
  if (lseek (fd, 0, SEEK_SET) == 0)
    return TRUE;
  g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
               _("Could not read the signed message back: %s"), g_strerror (errno));
  return FALSE;
}

/* Writes @entity to @fd in its canonical form (CRLF), as it is signed. A
 * line that starts with "From " (only a quoted-printable body has one) is
 * written "=46rom ", which decodes the same: mail stores that escape such
 * lines as ">From " would otherwise break the signature. */
static gboolean
write_canonical (GMimeObject *entity, int fd, GCancellable *cancellable, GError **error)
{
  g_autoptr(GMimeStream) file = signet_cancellable_stream_new (fd, cancellable);
  g_autoptr(GMimeStream) filtered = g_mime_stream_filter_new (file);
  g_autoptr(GMimeFilter) from = g_mime_filter_from_new (GMIME_FILTER_FROM_MODE_ARMOR);
  g_autoptr(GMimeFilter) crlf = g_mime_filter_unix2dos_new (FALSE);

  g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), from);
  g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), crlf);
  errno = 0;
  if (g_mime_object_write_to_stream (entity, NULL, filtered) < 0 || g_mime_stream_flush (filtered) != 0)
    {
      int saved_errno = errno;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT,
                   _("The message could not be read for signing: %s"), g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* Signs @content with @signer and writes @mime, whose body becomes
 * multipart/signed, to @fd. The content is written once, canonical, to an
 * unlinked file that gpg signs, and copied with the file's line ends into
 * the message: this is a message in the clear, which the Outbox holds as
 * it is anyway. */
static gboolean
write_signed (SignetSealer  *self,
              GMimeMessage  *mime,
              GMimeObject   *content,
              const char    *signer,
              int            fd,
              GCancellable  *cancellable,
              GError       **error)
{
  g_auto(gpgme_ctx_t) ctx = signet_key_directory_new_context (self->directory, error);
  g_autoptr(GMimeObject) signed_part = NULL;
  g_autofree char *micalg = NULL;
  int canonical_fd = -1, content_fd = -1, signature_fd = -1;
  gboolean ok;

  ok = ctx != NULL && signet_signer_set_key (ctx, signer, error) &&
       (canonical_fd = open_cipher_file (self, error)) >= 0 &&
       (content_fd = open_cipher_file (self, error)) >= 0 &&
       (signature_fd = open_cipher_file (self, error)) >= 0 &&
       write_canonical (content, canonical_fd, cancellable, error) && rewind_fd (canonical_fd, error) &&
       signet_signer_sign_stream (ctx, canonical_fd, signature_fd, &micalg, cancellable, error) &&
       rewind_fd (canonical_fd, error) && signet_signer_copy_to_lf (canonical_fd, content_fd, error) &&
       rewind_fd (content_fd, error) && rewind_fd (signature_fd, error);
  if (ok)
    {
      signed_part = signet_signer_build_signed_part (content_fd, signature_fd, micalg);
      g_mime_message_set_mime_part (mime, signed_part);
      ok = write_object (GMIME_OBJECT (mime), fd, cancellable, error);
    }
  for (guint i = 0; i < 3; i++)
    {
      int fds[] = { canonical_fd, content_fd, signature_fd };
      if (fds[i] >= 0)
        close (fds[i]);
    }
  return ok;
}

/* ---- for the S/MIME sealer (signet-cms-sealer.c) -------------------------- */

/* The content to seal, carrying the headers (protected headers v1): the
 * real Subject, and for a draft every recipient, Bcc too. */
GMimeObject *
signet_sealer_build_inner (SignetMessage           *message,
                           const SignetSealOptions *options,
                           const char              *message_id,
                           GDateTime               *date,
                           GError                 **error)
{
  g_autoptr(GMimeObject) content = build_content (message, error);
  g_autofree char *date_text = NULL;
  g_autofree char *id_text = NULL;

  if (content == NULL)
    return NULL;
  g_mime_object_set_content_type_parameter (content, "protected-headers", "v1");
  set_message_headers (content, message, TRUE, options->draft, signet_message_get_subject (message));
  date_text = g_mime_utils_header_format_date (date);
  id_text = g_strdup_printf ("<%s>", message_id);
  g_mime_object_set_header (content, "Date", date_text, NULL);
  g_mime_object_set_header (content, "Message-ID", id_text, NULL);
  return g_steal_pointer (&content);
}

GMimeObject *
signet_sealer_build_clear_content (SignetMessage *message, GError **error)
{
  return build_content (message, error);
}

GMimeMessage *
signet_sealer_build_outer (SignetMessage           *message,
                           const SignetSealOptions *options,
                           gboolean                 sealed,
                           const char              *message_id,
                           GDateTime               *date)
{
  return build_outer_message (message, options, sealed, message_id, date);
}

char *
signet_sealer_new_message_id (SignetMessage *message)
{
  return new_message_id (message);
}

gboolean
signet_sealer_write_object (GMimeObject *object, int fd, GCancellable *cancellable, GError **error)
{
  return write_object (object, fd, cancellable, error);
}

/* An unlinked temporary file, or -1 with @error. */
int
signet_sealer_open_temp_file (SignetSealer *self, GError **error)
{
  return open_cipher_file (self, error);
}

gboolean
signet_sealer_write_canonical (GMimeObject *entity, int fd, GCancellable *cancellable, GError **error)
{
  return write_canonical (entity, fd, cancellable, error);
}

gboolean
signet_sealer_rewind (int fd, GError **error)
{
  return rewind_fd (fd, error);
}
