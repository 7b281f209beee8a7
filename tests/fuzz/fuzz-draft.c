/* A message as a draft: what the composer would save of it (after the same
 * check a save makes) is written by the sealer, has only the header fields
 * Signet writes, and reads back as the same message. A draft must never
 * change between saving and opening it again. */
#define _GNU_SOURCE

#include "fuzz-check.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "signet-attachment.h"
#include "signet-message-reader.h"
#include "signet-network.h"
#include "signet-sealer.h"

static SignetKeyDirectory *directory;
static SignetSealer *sealer;

/* A key directory that never starts gpg: a sealed message is refused at
 * the point where it would be decrypted. Fuzzing runs many inputs a second;
 * each gpg would be a process. */
SignetKeyDirectory *
fuzz_get_directory (void)
{
  if (directory == NULL)
    {
      g_autoptr(SignetNetwork) network = signet_network_new (NULL);

      directory = signet_key_directory_new ("/nonexistent/signet-fuzz", network);
      signet_key_directory_close (directory);
      sealer = signet_sealer_new (directory);
    }
  return directory;
}

/* @data in a file in memory, from its start. */
int
fuzz_memory_file (const void *data, gsize len)
{
  int fd = memfd_create ("signet-fuzz", MFD_CLOEXEC);

  g_assert (fd >= 0);
  if (len > 0)
    g_assert (write (fd, data, len) == (ssize_t) len);
  return fd;
}

static GBytes *
file_contents (int fd)
{
  off_t size = lseek (fd, 0, SEEK_END);
  char *data = g_malloc (size + 1);

  g_assert (pread (fd, data, size, 0) == size);
  data[size] = '\0';
  return g_bytes_new_take (data, size);
}

/* The same address, as typed or (for a domain that is not ASCII) in the
 * form mail programs show: Unicode, never punycode. */
static gboolean
same_email (const char *typed, const char *back)
{
  const char *at = strrchr (back, '@');

  if (strcmp (typed, back) == 0)
    return TRUE;
  return at != NULL && !g_hostname_is_ascii_encoded (at + 1) && signet_address_equal_email (typed, back);
}

static void
check_same_list (const char *what, const char *input, GPtrArray *a, GPtrArray *b)
{
  FUZZ_CHECK (a->len == b->len, what, input, NULL);
  for (guint i = 0; i < a->len; i++)
    {
      const SignetAddress *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);

      FUZZ_CHECK (g_strcmp0 (x->name, y->name) == 0, what, input, x->name);
      FUZZ_CHECK (same_email (x->email, y->email), what, input, y->email);
    }
}

/* The type as it was, or application/octet-stream for a multipart or
 * message type, which a part of bytes cannot have. */
static gboolean
same_type (const char *a, const char *b)
{
  if (g_strcmp0 (a, b) == 0)
    return TRUE;
  return a != NULL && (g_ascii_strncasecmp (a, "multipart/", 10) == 0 || g_ascii_strncasecmp (a, "message/", 8) == 0) &&
         g_strcmp0 (b, "application/octet-stream") == 0;
}

static void
check_same_attachment (const char *input, SignetAttachment *a, SignetAttachment *b)
{
  int fa = signet_attachment_open (a, NULL);
  int fb = signet_attachment_open (b, NULL);
  g_autoptr(GBytes) ca = NULL;
  g_autoptr(GBytes) cb = NULL;

  FUZZ_CHECK (g_strcmp0 (signet_attachment_get_name (a), signet_attachment_get_name (b)) == 0,
              "an attachment's name changed", input, signet_attachment_get_name (a));
  FUZZ_CHECK (same_type (signet_attachment_get_content_type (a), signet_attachment_get_content_type (b)),
              "an attachment's type changed", input, signet_attachment_get_content_type (b));
  FUZZ_CHECK (fa >= 0 && fb >= 0, "an attachment read cannot be opened", input, NULL);
  ca = file_contents (fa);
  cb = file_contents (fb);
  close (fa);
  close (fb);
  FUZZ_CHECK (g_bytes_equal (ca, cb), "an attachment's content changed", input, NULL);
}

/* White space around a subject is not kept: a header's value starts after
 * the space that follows its colon, and ends where its line does. */
static gboolean
same_subject (const char *a, const char *b)
{
  g_autofree char *x = g_strstrip (g_strdup (a));
  g_autofree char *y = g_strstrip (g_strdup (b));

  return strcmp (x, y) == 0;
}

static void
check_same_message (const char *input, SignetMessage *a, SignetMessage *b)
{
  const SignetAddress *fa = signet_message_get_from (a), *fb = signet_message_get_from (b);
  GListModel *la = signet_message_get_attachments (a), *lb = signet_message_get_attachments (b);

  FUZZ_CHECK (fa != NULL && fb != NULL && g_strcmp0 (fa->name, fb->name) == 0 && same_email (fa->email, fb->email),
              "the sender changed", input, fb != NULL ? fb->email : NULL);
  for (SignetRecipientKind k = SIGNET_RECIPIENT_TO; k < SIGNET_N_RECIPIENT_KINDS; k++)
    {
      g_autoptr(GPtrArray) ra = signet_message_dup_recipients (a, k);
      g_autoptr(GPtrArray) rb = signet_message_dup_recipients (b, k);

      check_same_list ("the recipients changed", input, ra, rb);
    }
  FUZZ_CHECK (same_subject (signet_message_get_subject (a), signet_message_get_subject (b)), "the subject changed",
              input, signet_message_get_subject (b));
  FUZZ_CHECK (strcmp (signet_message_get_body (a), signet_message_get_body (b)) == 0, "the text changed", input,
              signet_message_get_body (b));
  FUZZ_CHECK (signet_message_get_sign (a) == signet_message_get_sign (b), "Sign changed", input, NULL);
  FUZZ_CHECK (g_list_model_get_n_items (la) == g_list_model_get_n_items (lb), "attachments were lost or gained",
              input, NULL);
  for (guint i = 0; i < g_list_model_get_n_items (la); i++)
    {
      g_autoptr(SignetAttachment) x = g_list_model_get_item (la, i);
      g_autoptr(SignetAttachment) y = g_list_model_get_item (lb, i);

      check_same_attachment (input, x, y);
    }
}

/* @message saved as a plain draft and opened again. It has a sender: a
 * file without one is no message to the reader. */
void
fuzz_check_draft_roundtrip (const char *input, SignetMessage *message)
{
  SignetSealOptions options = { TRUE, FALSE, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) back = NULL;
  g_autoptr(GBytes) written = NULL;
  gsize len;
  const char *data;
  int fd;

  fuzz_get_directory ();
  FUZZ_CHECK (signet_message_validate (message, FALSE, &error), "the message cannot be saved as a draft", input,
              error->message);
  fd = fuzz_memory_file (NULL, 0);
  FUZZ_CHECK (signet_sealer_write_clear (sealer, message, &options, fd, NULL, &error),
              "the draft could not be written", input, error ? error->message : NULL);
  written = file_contents (fd);
  data = g_bytes_get_data (written, &len);
  fuzz_check_written_fields (input, data, len);
  back = signet_message_reader_read (directory, fd, NULL, NULL, &error);
  close (fd);
  if (back == NULL)
    {
      g_autofree char *detail = g_strdup_printf ("%s\n%s", error->message, data);
      fuzz_fail ("the draft written does not read back", input, detail);
    }
  check_same_message (input, message, back);
}
