#define G_LOG_DOMAIN "signet-message-reader"
#define _GNU_SOURCE

#include "signet-message-reader.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-core.h"
#include "signet-encrypt.h"
#include "signet-gmime.h"
#include "signet-i18n.h"
#include "signet-key-directory-private.h"

/* Reads a message Signet wrote (a draft, an Outbox or a Sent copy) back
 * into a SignetMessage, so that it can be edited again.
 *
 * A sealed message (PGP/MIME, RFC 3156) is decrypted the way it was
 * sealed, streamed: a thread writes the ciphertext into a pipe that gpg
 * reads (signet_decrypt_stream()), and the plaintext goes to a file in
 * memory (memfd), from which GMime parses it without loading the parts.
 * Each attachment is decoded into a memory file of its own, sealed against
 * writing, which the SignetAttachment holds: nothing decrypted reaches the
 * disk, and no attachment is read whole into the heap. Its protected
 * headers (From, To, Cc, Bcc and Subject inside the ciphertext) are the
 * message's; the outer ones are what anyone could read, Subject "...".
 *
 * Input is not trusted to be what Signet wrote: GMime's warnings about a
 * truncated or malformed structure, and every bound below, end the read
 * with an error. */

/* Larger messages are refused: a sealed one lives in memory twice while it
 * is read (its plaintext, then its attachments). */
#define MAX_MESSAGE_SIZE (G_GOFFSET_CONSTANT (1) << 30)
/* The text is held in memory and shown in a text view. */
#define MAX_BODY_SIZE (G_GINT64_CONSTANT (32) << 20)
/* Signet writes at most multipart/mixed inside the sealed entity. */
#define MAX_DEPTH 8
/* Each attachment holds a descriptor while the message lives. */
#define MAX_PARTS 128
#define COPY_BUFFER_SIZE 16384

G_DEFINE_QUARK (signet-message-reader-error-quark, signet_message_reader_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParserOptions, g_mime_parser_options_free)

/* What GMime found wrong while parsing. */
typedef struct {
  gboolean damaged;
} Parsing;

static void
on_parser_warning (gint64 offset, GMimeParserWarning code, const char *item, gpointer user_data)
{
  Parsing *parsing = user_data;

  switch (code)
    {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_WARN_PART_WITHOUT_CONTENT:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      g_debug ("GMime parser warning %d at offset %" G_GINT64_FORMAT, (int) code, offset);
      parsing->damaged = TRUE;
      break;
    default:
      /* Duplicated headers, 8-bit text and the like: read as GMime reads them. */
      break;
    }
}

static void
set_damaged_error (GError **error)
{
  g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_DAMAGED,
                       _("The message is damaged: it is truncated or malformed."));
}

static void
set_not_a_message_error (GError **error)
{
  g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_NOT_A_MESSAGE,
                       _("The file is not an email message."));
}

static void
set_read_error (int saved_errno, GError **error)
{
  /* Translators: %s is the system's reason */
  g_set_error (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_FAILED,
               _("Could not read the message: %s"), g_strerror (saved_errno));
}

static void
set_memory_error (int saved_errno, GError **error)
{
  /* Translators: %s is the system's reason */
  g_set_error (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_FAILED,
               _("Could not keep the message in memory: %s"), g_strerror (saved_errno));
}

/* A file in memory only, never on a disk: the content of a sealed message
 * may be kept there in the clear. */
static int
new_memory_file (const char *name, GError **error)
{
  int fd = memfd_create (name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

  if (fd < 0)
    set_memory_error (errno, error);
  return fd;
}

/* An attachment is immutable once made (SignetAttachment); its memory file
 * is made so too. */
static void
seal_memory_file (int fd)
{
  if (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    g_debug ("Could not seal a memory file: %s", g_strerror (errno));
}

/* The message in @fd, from its start to its end as it is now, on a
 * descriptor of our own. Only a regular file is read: a FIFO or a device
 * would block or never end. */
static GMimeStream *
open_input (int fd, GError **error)
{
  g_autofree char *size = NULL;
  g_autofree char *limit = NULL;
  struct stat st;
  int own;

  if (fstat (fd, &st) != 0)
    {
      set_read_error (errno, error);
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_size == 0)
    {
      set_not_a_message_error (error);
      return NULL;
    }
  if (st.st_size > MAX_MESSAGE_SIZE)
    {
      size = g_format_size (st.st_size);
      limit = g_format_size (MAX_MESSAGE_SIZE);
      /* Translators: the first %s is the message's size, the second the largest size Signet opens */
      g_set_error (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_TOO_COMPLEX,
                   _("The message is too large to open (%s; at most %s)."), size, limit);
      return NULL;
    }
  own = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0)
    {
      set_read_error (errno, error);
      return NULL;
    }
  return g_mime_stream_fs_new_with_bounds (own, 0, st.st_size);
}

/* The outer message; an error unless it has a sender and GMime found its
 * structure sound. */
static GMimeMessage *
parse_message (GMimeStream *input, GMimeParserOptions *options, Parsing *parsing, GError **error)
{
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (input);
  g_autoptr(GMimeMessage) message = g_mime_parser_construct_message (parser, options);

  if (message == NULL ||
      g_mime_header_list_get_header (g_mime_object_get_header_list (GMIME_OBJECT (message)), "From") == NULL)
    {
      set_not_a_message_error (error);
      return NULL;
    }
  if (parsing->damaged)
    {
      set_damaged_error (error);
      return NULL;
    }
  return g_steal_pointer (&message);
}

/* What the thread that hands gpg the ciphertext works with. */
typedef struct {
  GMimeDataWrapper *content;
  GMimeStream      *pipe;         /* the write end of gpg's input; the thread closes it */
  gboolean          ok;
  int               saved_errno;
} CipherWriter;

static gpointer
write_ciphertext (gpointer user_data)
{
  CipherWriter *writer = user_data;

  errno = 0;
  writer->ok = g_mime_data_wrapper_write_to_stream (writer->content, writer->pipe) >= 0 &&
               g_mime_stream_flush (writer->pipe) == 0;
  writer->saved_errno = errno;
  /* gpg sees the end of its input only once the write end is closed. */
  g_clear_object (&writer->pipe);
  return NULL;
}

/* Starts the thread that writes @writer's content into a new pipe;
 * returns the pipe's read end, or -1. */
static int
start_writer (CipherWriter *writer, GThread **thread, GError **error)
{
  int fds[2];

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, NULL))
    {
      set_read_error (errno, error);
      return -1;
    }
  writer->pipe = g_mime_stream_pipe_new (fds[1]);
  *thread = g_thread_new ("signet-read-cipher", write_ciphertext, writer);
  return fds[0];
}

/* Decrypts @content into @plain_fd with the keyring of @directory. */
static gboolean
decrypt_content (SignetKeyDirectory *directory,
                 GMimeDataWrapper   *content,
                 int                 plain_fd,
                 GCancellable       *cancellable,
                 GError            **error)
{
  g_auto(gpgme_ctx_t) ctx = signet_key_directory_new_context (directory, error);
  CipherWriter writer = { content, NULL, FALSE, 0 };
  g_autoptr(GError) local = NULL;
  GThread *thread = NULL;
  gboolean ok;
  int cipher_fd;

  if (ctx == NULL || (cipher_fd = start_writer (&writer, &thread, error)) < 0)
    return FALSE;
  ok = signet_decrypt_stream (ctx, cipher_fd, plain_fd, cancellable, &local);
  /* A writer still writing (gpg failed, or Cancel) gets EPIPE and ends. */
  close (cipher_fd);
  g_thread_join (thread);

  if (!ok && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    {
      /* What gpg could not read is damaged, whatever gpg calls it. */
      g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_DAMAGED,
                           local->message);
      return FALSE;
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!writer.ok)
    {
      set_read_error (writer.saved_errno, error);
      return FALSE;
    }
  return TRUE;
}

/* The sealed entity, parsed from @plain_fd (which the stream takes over). */
static GMimeObject *
parse_plaintext (int plain_fd, GMimeParserOptions *options, Parsing *parsing, GError **error)
{
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeObject) entity = NULL;

  if (lseek (plain_fd, 0, SEEK_SET) != 0)
    {
      set_read_error (errno, error);
      close (plain_fd);
      return NULL;
    }
  stream = g_mime_stream_fs_new (plain_fd);
  parser = g_mime_parser_new_with_stream (stream);
  entity = g_mime_parser_construct_part (parser, options);
  if (entity == NULL || parsing->damaged)
    {
      set_damaged_error (error);
      return NULL;
    }
  return g_steal_pointer (&entity);
}

/* The entity sealed in @encrypted (multipart/encrypted), decrypted. */
static GMimeObject *
open_sealed (SignetKeyDirectory *directory,
             GMimeObject        *encrypted,
             GMimeParserOptions *options,
             Parsing            *parsing,
             GCancellable       *cancellable,
             GError            **error)
{
  const char *protocol = g_mime_object_get_content_type_parameter (encrypted, "protocol");
  GMimeMultipart *multipart = GMIME_MULTIPART (encrypted);
  GMimeObject *data = NULL;
  int plain_fd;

  if (protocol == NULL || g_ascii_strcasecmp (protocol, "application/pgp-encrypted") != 0)
    {
      g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_UNSUPPORTED,
                           _("The message is sealed in a way Signet cannot open."));
      return NULL;
    }
  if (g_mime_multipart_get_count (multipart) == 2)
    data = g_mime_multipart_get_part (multipart, 1);
  if (!GMIME_IS_PART (data) || g_mime_part_get_content (GMIME_PART (data)) == NULL)
    {
      set_damaged_error (error);
      return NULL;
    }
  plain_fd = new_memory_file ("signet-sealed-content", error);
  if (plain_fd < 0)
    return NULL;
  if (!decrypt_content (directory, g_mime_part_get_content (GMIME_PART (data)), plain_fd, cancellable, error))
    {
      close (plain_fd);
      return NULL;
    }
  return parse_plaintext (plain_fd, options, parsing, error);
}

/* The value of header @name of @object as it was written, unfolded; NULL
 * when there is none. */
static char *
dup_raw_header (GMimeObject *object, const char *name)
{
  GMimeHeader *header = g_mime_header_list_get_header (g_mime_object_get_header_list (object), name);
  const char *raw = header != NULL ? g_mime_header_get_raw_value (header) : NULL;
  GString *out;

  if (raw == NULL)
    return NULL;
  out = g_string_new (NULL);
  /* A header is only ever folded at white space, which stays. */
  for (const char *p = raw; *p != '\0'; p++)
    if (*p != '\r' && *p != '\n')
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

static void
set_address_error (const char *name, GError **error)
{
  /* Translators: %s is the name of a header: From, To, Cc or Bcc */
  g_set_error (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_DAMAGED,
               _("The message is damaged: the addresses in its “%s” field cannot be read."), name);
}

static gboolean
is_blank (const char *start, const char *end)
{
  for (const char *p = start; p < end; p++)
    if (!g_ascii_isspace (*p))
      return FALSE;
  return TRUE;
}

/* The free text of a header (Subject) as a reader sees it: each RFC 2047
 * encoded word decoded on its own, the space between two of them dropped.
 * GMime 3.2 decodes adjacent base64 words as one base64 text, so the
 * padding at the end of the first ends the text, and its own encoder
 * writes such words for any long text that is not ASCII. */
static char *
decode_text (const char *raw)
{
  static GRegex *encoded_word;
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  const char *text = raw;
  gboolean after_word = FALSE;
  int done = 0;  /* bytes of @text already in @out */

  if (g_once_init_enter (&encoded_word))
    g_once_init_leave (&encoded_word, g_regex_new ("=\\?[^?\\s]+\\?[BbQq]\\?[^?\\s]*\\?=", G_REGEX_RAW, 0, NULL));
  while (g_ascii_isspace (*text))
    text++;
  for (g_regex_match (encoded_word, text, 0, &match); g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      g_autofree char *word = g_match_info_fetch (match, 0);
      g_autofree char *decoded = g_mime_utils_header_decode_text (NULL, word);
      int start, end;

      g_match_info_fetch_pos (match, 0, &start, &end);
      if (!after_word || !is_blank (text + done, text + start))
        g_string_append_len (out, text + done, start - done);
      g_string_append (out, decoded);
      after_word = TRUE;
      done = end;
    }
  g_string_append (out, text + done);
  return g_utf8_make_valid (out->str, out->len);
}

/* GMime writes an internationalised domain in its ASCII form (punycode),
 * which is not what the user typed: "bücher.example" would come back as
 * "xn--bcher-kva.example". It is read in Unicode, as mail programs show it;
 * the address is the same either way. */
static void
domain_to_unicode (SignetAddress *address)
{
  const char *at = strrchr (address->email, '@');
  g_autofree char *unicode = NULL;
  g_autofree char *email = NULL;

  if (at == NULL || !g_hostname_is_ascii_encoded (at + 1))
    return;
  unicode = g_hostname_to_unicode (at + 1);
  if (unicode == NULL)
    return;
  email = g_strdup_printf ("%.*s@%s", (int) (at - address->email), address->email, unicode);
  if (!signet_address_is_valid_stored_email (email) || !signet_address_equal_email (email, address->email))
    return;
  g_free (address->email);
  address->email = g_steal_pointer (&email);
}

/* The addresses of header @name, read as Signet wrote them
 * (signet_address_join()): every one, or an error. */
static GPtrArray *
read_address_header (GMimeObject *object, const char *name, GError **error)
{
  g_autofree char *raw = dup_raw_header (object, name);
  GPtrArray *addresses;

  if (raw == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  addresses = signet_address_parse_list_stored (raw, NULL);
  if (addresses == NULL)
    set_address_error (name, error);
  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    domain_to_unicode (g_ptr_array_index (addresses, i));
  return addresses;
}

static gboolean
read_sender (SignetMessage *message, GMimeObject *headers, GMimeObject *outer, GError **error)
{
  GMimeHeaderList *list = g_mime_object_get_header_list (headers);
  GMimeObject *source = g_mime_header_list_get_header (list, "From") != NULL ? headers : outer;
  g_autoptr(GPtrArray) from = read_address_header (source, "From", error);

  if (from == NULL)
    return FALSE;
  if (from->len != 1)
    {
      set_address_error ("From", error);
      return FALSE;
    }
  signet_message_set_from (message, g_ptr_array_index (from, 0));
  return TRUE;
}

/* From, To, Cc, Bcc and Subject from @headers; From from @outer when
 * @headers has none. */
static gboolean
read_headers (SignetMessage *message, GMimeObject *headers, GMimeObject *outer, GError **error)
{
  const char *names[SIGNET_N_RECIPIENT_KINDS] = { "To", "Cc", "Bcc" };
  g_autofree char *raw_subject = dup_raw_header (headers, "Subject");
  g_autofree char *subject = decode_text (raw_subject != NULL ? raw_subject : "");

  /* Signet never writes a subject it would refuse to save (a line break
   * or a control character in it, or in an encoded word in it): one that
   * is there was not written by Signet, and a draft opened with it could
   * never be saved again. */
  if (!signet_header_check (subject, NULL))
    {
      g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_DAMAGED,
                           _("The message is damaged: its subject has line breaks or control characters."));
      return FALSE;
    }
  if (!read_sender (message, headers, outer, error))
    return FALSE;
  for (SignetRecipientKind k = SIGNET_RECIPIENT_TO; k < SIGNET_N_RECIPIENT_KINDS; k++)
    {
      g_autoptr(GPtrArray) addresses = read_address_header (headers, names[k], error);

      if (addresses == NULL)
        return FALSE;
      for (guint i = 0; i < addresses->len; i++)
        signet_message_add_recipient (message, k, g_ptr_array_index (addresses, i));
    }
  signet_message_set_subject (message, subject);
  explicit_bzero (subject, strlen (subject));
  /* Signet's drafts say whether the message is to be signed. */
  signet_message_set_sign (message, g_strcmp0 (g_mime_object_get_header (headers, "X-Signet-Sign"), "yes") == 0);
  return TRUE;
}

/* Copies the content of @content, decoded from its transfer encoding and
 * through @convert and @newlines (either may be NULL), to @out; more than
 * @limit bytes (unless it is negative) is an error. */
static gboolean
copy_decoded (GMimeDataWrapper *content,
              GMimeFilter      *convert,
              GMimeFilter      *newlines,
              GMimeStream      *out,
              gint64            limit,
              GCancellable     *cancellable,
              GError          **error)
{
  GMimeStream *raw = g_mime_data_wrapper_get_stream (content);
  GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding (content);
  g_autoptr(GMimeStream) decoded = NULL;
  char buf[COPY_BUFFER_SIZE];
  gint64 total = 0;
  gboolean ok = TRUE;

  if (raw == NULL)
    return TRUE;
  if (g_mime_stream_reset (raw) != 0)
    {
      set_read_error (errno, error);
      return FALSE;
    }
  decoded = g_mime_stream_filter_new (raw);
  if (encoding == GMIME_CONTENT_ENCODING_BASE64 || encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
      encoding == GMIME_CONTENT_ENCODING_UUENCODE)
    {
      g_autoptr(GMimeFilter) decoder = g_mime_filter_basic_new (encoding, FALSE);
      g_mime_stream_filter_add (GMIME_STREAM_FILTER (decoded), decoder);
    }
  if (convert != NULL)
    g_mime_stream_filter_add (GMIME_STREAM_FILTER (decoded), convert);
  if (newlines != NULL)
    g_mime_stream_filter_add (GMIME_STREAM_FILTER (decoded), newlines);

  while (ok && !g_mime_stream_eos (decoded))
    {
      ssize_t n = g_mime_stream_read (decoded, buf, sizeof buf);

      total += MAX (n, 0);
      if (n < 0)
        {
          set_read_error (errno != 0 ? errno : EIO, error);
          ok = FALSE;
        }
      else if (g_cancellable_set_error_if_cancelled (cancellable, error))
        ok = FALSE;
      else if (limit >= 0 && total > limit)
        {
          g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_TOO_COMPLEX,
                               _("The text of the message is too long to open."));
          ok = FALSE;
        }
      else if (n > 0 && g_mime_stream_write (out, buf, n) != n)
        {
          set_memory_error (errno != 0 ? errno : EIO, error);
          ok = FALSE;
        }
    }
  explicit_bzero (buf, sizeof buf);
  return ok;
}

/* What reading the parts of a message gathers. */
typedef struct {
  SignetMessage *message;
  GCancellable  *cancellable;
  gboolean       have_body;
  guint          n_parts;
} Collect;

static gboolean
is_utf8 (const char *charset)
{
  return charset == NULL || g_ascii_strcasecmp (charset, "utf-8") == 0 ||
         g_ascii_strcasecmp (charset, "utf8") == 0 || g_ascii_strcasecmp (charset, "us-ascii") == 0;
}

/* The text, as UTF-8 with Unix line ends. A charset iconv does not know is
 * read as UTF-8, what does not decode as replacement characters. */
static gboolean
read_body (Collect *c, GMimePart *part, GError **error)
{
  GMimeDataWrapper *content = g_mime_part_get_content (part);
  const char *charset = g_mime_object_get_content_type_parameter (GMIME_OBJECT (part), "charset");
  g_autoptr(GMimeFilter) convert = is_utf8 (charset) ? NULL : g_mime_filter_charset_new (charset, "UTF-8");
  g_autoptr(GMimeFilter) newlines = g_mime_filter_dos2unix_new (FALSE);
  g_autoptr(GMimeStream) out = g_mime_stream_mem_new ();
  GByteArray *bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (out));
  g_autofree char *text = NULL;
  gboolean ok;

  c->have_body = TRUE;
  if (content == NULL)
    return TRUE;
  ok = copy_decoded (content, convert, newlines, out, MAX_BODY_SIZE, c->cancellable, error);
  if (ok)
    {
      text = g_utf8_make_valid (bytes->len > 0 ? (const char *) bytes->data : "", bytes->len);
      /* A lone CR (Unix line ends are made above) is a line break to a
       * text view, and does not come back from a draft as one. */
      g_strdelimit (text, "\r", '\n');
      signet_message_set_body (c->message, text);
      explicit_bzero (text, strlen (text));
    }
  if (bytes->len > 0)
    explicit_bzero (bytes->data, bytes->len);
  return ok;
}

/* Writes @part's content, decoded, into a new sealed memory file. */
static int
content_to_memory (Collect *c, GMimeObject *part, GError **error)
{
  g_autoptr(GMimeStream) out = NULL;
  gboolean ok = TRUE;
  int fd = new_memory_file ("signet-attachment", error);

  if (fd < 0)
    return -1;
  out = g_mime_stream_fs_new (fd);
  g_mime_stream_fs_set_owner (GMIME_STREAM_FS (out), FALSE);
  if (GMIME_IS_MESSAGE_PART (part))
    {
      GMimeMessage *embedded = g_mime_message_part_get_message (GMIME_MESSAGE_PART (part));

      errno = 0;
      if (embedded != NULL && g_mime_object_write_to_stream (GMIME_OBJECT (embedded), NULL, out) < 0)
        {
          set_memory_error (errno != 0 ? errno : EIO, error);
          ok = FALSE;
        }
    }
  else if (g_mime_part_get_content (GMIME_PART (part)) != NULL)
    ok = copy_decoded (g_mime_part_get_content (GMIME_PART (part)), NULL, NULL, out, -1, c->cancellable, error);
  if (!ok)
    {
      close (fd);
      return -1;
    }
  seal_memory_file (fd);
  return fd;
}

static gboolean
read_attachment (Collect *c, GMimeObject *part, GError **error)
{
  g_autofree char *type = g_mime_content_type_get_mime_type (g_mime_object_get_content_type (part));
  const char *name = g_mime_object_get_content_disposition_parameter (part, "filename");
  g_autoptr(SignetAttachment) attachment = NULL;
  int fd;

  if (name == NULL)
    name = g_mime_object_get_content_type_parameter (part, "name");
  fd = content_to_memory (c, part, error);
  if (fd < 0)
    return FALSE;
  attachment = signet_attachment_new_for_fd (fd, name, type);
  signet_message_add_attachment (c->message, attachment);
  return TRUE;
}

static gboolean
is_text_plain (GMimeObject *part)
{
  return GMIME_IS_PART (part) &&
         g_mime_content_type_is_type (g_mime_object_get_content_type (part), "text", "plain");
}

/* The first text/plain part that is not an attachment is the text. */
static gboolean
is_body (Collect *c, GMimeObject *part)
{
  GMimeContentDisposition *disposition = g_mime_object_get_content_disposition (part);

  return !c->have_body && is_text_plain (part) &&
         (disposition == NULL || !g_mime_content_disposition_is_attachment (disposition));
}

static gboolean collect_part (Collect *c, GMimeObject *part, guint depth, GError **error);

static gboolean
collect_multipart (Collect *c, GMimeMultipart *multipart, guint depth, GError **error)
{
  GMimeObject *object = GMIME_OBJECT (multipart);
  int n = g_mime_multipart_get_count (multipart);

  if (GMIME_IS_MULTIPART_ENCRYPTED (multipart))
    {
      g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_UNSUPPORTED,
                           _("The message has a sealed part inside it, which Signet cannot open."));
      return FALSE;
    }
  /* Of a signed entity, the entity, not its signature. */
  if (GMIME_IS_MULTIPART_SIGNED (multipart))
    n = MIN (n, 1);
  /* Of alternative forms of the text, the plain one; the others are no
   * attachments. */
  if (g_mime_content_type_is_type (g_mime_object_get_content_type (object), "multipart", "alternative"))
    {
      for (int i = 0; i < n; i++)
        if (is_text_plain (g_mime_multipart_get_part (multipart, i)))
          return collect_part (c, g_mime_multipart_get_part (multipart, i), depth + 1, error);
      return TRUE;
    }
  for (int i = 0; i < n; i++)
    if (!collect_part (c, g_mime_multipart_get_part (multipart, i), depth + 1, error))
      return FALSE;
  return TRUE;
}

/* Gathers the text and attachments of @part, at most MAX_DEPTH levels
 * down and MAX_PARTS parts in all. */
static gboolean
collect_part (Collect *c, GMimeObject *part, guint depth, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (c->cancellable, error))
    return FALSE;
  if (depth > MAX_DEPTH)
    {
      g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_TOO_COMPLEX,
                           _("The message is nested too deeply to open."));
      return FALSE;
    }
  if (GMIME_IS_MULTIPART (part))
    return collect_multipart (c, GMIME_MULTIPART (part), depth, error);
  if (++c->n_parts > MAX_PARTS)
    {
      g_set_error_literal (error, SIGNET_MESSAGE_READER_ERROR, SIGNET_MESSAGE_READER_ERROR_TOO_COMPLEX,
                           _("The message has too many parts to open."));
      return FALSE;
    }
  if (is_body (c, part))
    return read_body (c, GMIME_PART (part), error);
  if (GMIME_IS_PART (part) || GMIME_IS_MESSAGE_PART (part))
    return read_attachment (c, part, error);
  return TRUE;
}

/* Reads the RFC 5322 message in @fd (from its start; the offset of @fd
 * is undefined afterwards, and @fd stays open) into a new SignetMessage:
 * sender, To, Cc and Bcc (as far as the message has them), subject, text,
 * attachments, and whether it was sealed (@sealed, and the message's seal).
 * A sealed message is decrypted with the keyring of @directory (the
 * sender's own secret key), and its protected headers are read in place of
 * the outer ones. Call it in a worker thread: it blocks on gpg and the file.
 *
 * Errors: SIGNET_MESSAGE_READER_ERROR for a file that is not a message,
 * is damaged, too large or complex, or sealed otherwise than Signet seals;
 * SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY when no secret key in the keyring
 * opens it, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE when gpg cannot be run or
 * stops; G_IO_ERROR_CANCELLED. */
SignetMessage *
signet_message_reader_read (SignetKeyDirectory *directory,
                            int                 fd,
                            gboolean           *sealed,
                            GCancellable       *cancellable,
                            GError            **error)
{
  /* Outlives every GMime object below: their parser options point to it. */
  Parsing parsing = { FALSE };
  g_autoptr(GMimeParserOptions) options = g_mime_parser_options_new ();
  g_autoptr(GMimeStream) input = NULL;
  g_autoptr(GMimeMessage) outer = NULL;
  g_autoptr(GMimeObject) inner = NULL;
  g_autoptr(SignetMessage) message = NULL;
  GMimeObject *headers, *content;
  Collect collect = { NULL, cancellable, FALSE, 0 };

  g_return_val_if_fail (SIGNET_IS_KEY_DIRECTORY (directory), NULL);
  g_return_val_if_fail (fd >= 0, NULL);

  signet_core_init ();
  if (sealed != NULL)
    *sealed = FALSE;
  g_mime_parser_options_set_warning_callback (options, on_parser_warning, &parsing);
  input = open_input (fd, error);
  if (input == NULL)
    return NULL;
  outer = parse_message (input, options, &parsing, error);
  if (outer == NULL)
    return NULL;
  headers = GMIME_OBJECT (outer);
  content = g_mime_message_get_mime_part (outer);
  if (GMIME_IS_MULTIPART_ENCRYPTED (content))
    {
      inner = open_sealed (directory, content, options, &parsing, cancellable, error);
      if (inner == NULL)
        return NULL;
      content = inner;
      if (g_mime_object_get_content_type_parameter (inner, "protected-headers") != NULL)
        headers = inner;
    }

  message = collect.message = signet_message_new ();
  if (!read_headers (message, headers, GMIME_OBJECT (outer), error) ||
      (content != NULL && !collect_part (&collect, content, 0, error)))
    return NULL;
  signet_message_set_seal (message, inner != NULL);
  if (sealed != NULL)
    *sealed = inner != NULL;
  return g_steal_pointer (&message);
}
