#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-gmime.h"
#include "signet-sealer.h"
#include "signet-key-directory-private.h"
#include "signet-test-util.h"

static char *homedir;

typedef struct {
  char               *dir;
  SignetTestMonitor  *monitor;
  SignetNetwork      *network;
  SignetKeyDirectory *directory;
  SignetSealer       *sealer;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = signet_test_make_tmpdir ();
  f->monitor = signet_test_monitor_new (TRUE);
  f->network = signet_network_new (G_NETWORK_MONITOR (f->monitor));
  f->directory = signet_key_directory_new (homedir, f->network);
  f->sealer = signet_sealer_new (f->directory);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->sealer);
  g_clear_object (&f->directory);
  g_clear_object (&f->network);
  g_clear_object (&f->monitor);
  signet_test_remove_tree (f->dir);
  g_free (f->dir);
}

static const char *
fingerprint_of (Fixture *f, const char *email)
{
  const char *emails[] = { email, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = signet_key_directory_resolve_sync (f->directory, emails, NULL, &error);
  static char fpr[4][41];
  static guint slot;
  const SignetKeyResult *r;

  g_assert_no_error (error);
  r = g_ptr_array_index (results, 0);
  g_assert_cmpint (r->status, ==, SIGNET_KEY_STATUS_OK);
  slot = (slot + 1) % 4;
  g_strlcpy (fpr[slot], r->fingerprint, sizeof fpr[slot]);
  return fpr[slot];
}

static SignetMessage *
new_message (const char *body)
{
  SignetMessage *message = signet_message_new ();
  g_autoptr(SignetAddress) from = signet_address_new ("Signet Demo", "demo@example.org");
  g_autoptr(SignetAddress) to = signet_address_new ("Alice Demo", "alice@example.org");

  signet_message_set_from (message, from);
  signet_message_add_to (message, to);
  signet_message_set_subject (message, "Quarterly figures – sealed");
  signet_message_set_body (message, body);
  return message;
}

static GPtrArray *
envelope_of (const char *email)
{
  GPtrArray *envelope = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (envelope, g_strdup (email));
  return envelope;
}

static char *
write_binary_attachment (Fixture *f, gsize size)
{
  char *path = g_build_filename (f->dir, "figures.bin", NULL);
  g_autofree guchar *bytes = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    bytes[i] = (guchar) ((i * 131) ^ (i >> 7));
  g_assert_true (g_file_set_contents (path, (char *) bytes, size, NULL));
  return path;
}

static void
test_sealed_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message ("The secret body.\nSecond line.\n");
  g_autofree char *attachment_path = write_binary_attachment (f, 300000);
  g_autoptr(GFile) file = g_file_new_for_path (attachment_path);
  g_autoptr(SignetAttachment) attachment = signet_attachment_new (file, "figures.bin", "application/octet-stream", 300000);
  g_autoptr(GPtrArray) envelope = envelope_of ("alice@example.org");
  g_autofree char *out_path = g_build_filename (f->dir, "sealed.eml", NULL);
  const char *fprs[] = { fingerprint_of (f, "alice@example.org"), fingerprint_of (f, "demo@example.org"), NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *on_disk = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *extracted = NULL;
  g_autofree char *original = NULL;
  gsize original_len = 0;
  int fd;

  signet_message_add_attachment (message, attachment);
  fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_true (signet_sealer_write_sealed (f->sealer, message, envelope, fprs, fd, NULL, &error));
  g_assert_no_error (error);
  close (fd);

  /* What is on disk is ciphertext: no body text, a proper PGP/MIME envelope. */
  on_disk = signet_test_read_file (out_path);
  g_assert_null (strstr (on_disk, "secret body"));
  g_assert_nonnull (strstr (on_disk, "Content-Type: multipart/encrypted"));
  g_assert_nonnull (strstr (on_disk, "-----BEGIN PGP MESSAGE-----"));
  g_assert_nonnull (strstr (on_disk, "To: Alice Demo <alice@example.org>"));
  g_assert_null (strstr (on_disk, "Bcc:"));

  /* gpg decrypts it to the original body and the attachment's exact bytes. */
  plain = signet_test_decrypt_message (homedir, out_path);
  g_assert_nonnull (strstr (plain, "protected-headers=v1"));
  g_assert_nonnull (strstr (plain, "\nTo: Alice Demo <alice@example.org>"));
  g_assert_nonnull (strstr (plain, "The secret body."));
  g_assert_nonnull (strstr (plain, "filename=figures.bin"));
  {
    g_autofree char *plain_path = g_build_filename (f->dir, "plain.eml", NULL);
    g_autoptr(GMimeStream) stream = NULL;
    g_autoptr(GMimeParser) parser = NULL;
    g_autoptr(GMimeObject) entity = NULL;
    g_autoptr(GMimeStream) mem = g_mime_stream_mem_new ();
    GMimePart *part;
    GByteArray *bytes;

    g_assert_true (g_file_set_contents (plain_path, plain, -1, NULL));
    stream = g_mime_stream_file_open (plain_path, "r", NULL);
    parser = g_mime_parser_new_with_stream (stream);
    entity = g_mime_parser_construct_part (parser, NULL);
    g_assert_true (GMIME_IS_MULTIPART (entity));
    part = GMIME_PART (g_mime_multipart_get_part (GMIME_MULTIPART (entity), 1));
    g_assert_cmpstr (g_mime_part_get_filename (part), ==, "figures.bin");
    g_mime_data_wrapper_write_to_stream (g_mime_part_get_content (part), mem);
    bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
    g_assert_true (g_file_get_contents (attachment_path, &original, &original_len, NULL));
    g_assert_cmpmem (bytes->data, bytes->len, original, original_len);
  }
}

static void
test_clear (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message ("Plain words.\n");
  g_autoptr(GPtrArray) envelope = envelope_of ("alice@example.org");
  g_autofree char *out_path = g_build_filename (f->dir, "clear.eml", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *on_disk = NULL;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  g_assert_true (signet_sealer_write_clear (f->sealer, message, envelope, fd, NULL, &error));
  g_assert_no_error (error);
  close (fd);
  on_disk = signet_test_read_file (out_path);
  g_assert_nonnull (strstr (on_disk, "Plain words."));
  g_assert_nonnull (strstr (on_disk, "From: Signet Demo <demo@example.org>"));
  g_assert_nonnull (strstr (on_disk, "Subject: Quarterly figures =?UTF-8?B?4oCT?= sealed"));
  g_assert_nonnull (strstr (on_disk, "Message-Id: <"));
  g_assert_null (strstr (on_disk, "multipart/encrypted"));
}

static void
test_unreadable_attachment (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message ("x");
  g_autofree char *missing = g_build_filename (f->dir, "gone.pdf", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (missing);
  g_autoptr(SignetAttachment) attachment = signet_attachment_new (file, "gone.pdf", "application/pdf", 10);
  g_autoptr(GPtrArray) envelope = envelope_of ("alice@example.org");
  g_autofree char *out_path = g_build_filename (f->dir, "out.eml", NULL);
  const char *fprs[] = { fingerprint_of (f, "alice@example.org"), NULL };
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  signet_message_add_attachment (message, attachment);
  g_assert_false (signet_sealer_write_sealed (f->sealer, message, envelope, fprs, fd, NULL, &error));
  g_assert_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT);
  g_assert_cmpstr (error->message, ==, "The attachment “gone.pdf” cannot be read: No such file or directory");
  close (fd);
  g_assert_cmpint (g_stat (out_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 0);
}

/* A key gpg itself refuses (here: revoked) never yields plaintext output. */
static void
test_refused_key (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message ("never in the clear");
  g_autoptr(GPtrArray) envelope = envelope_of ("rex@example.org");
  g_autofree char *out_path = g_build_filename (f->dir, "out.eml", NULL);
  const char *emails[] = { "rex@example.org", NULL };
  g_autoptr(GPtrArray) results = signet_key_directory_resolve_sync (f->directory, emails, NULL, NULL);
  const char *fprs[] = { ((SignetKeyResult *) g_ptr_array_index (results, 0))->fingerprint, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *on_disk = NULL;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  g_assert_false (signet_sealer_write_sealed (f->sealer, message, envelope, fprs, fd, NULL, &error));
  g_assert_nonnull (error);
  close (fd);
  on_disk = signet_test_read_file (out_path);
  g_assert_cmpstr (on_disk, ==, "");
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  g_test_add ("/sealer/sealed-roundtrip", Fixture, NULL, fixture_setup, test_sealed_roundtrip, fixture_teardown);
  g_test_add ("/sealer/clear", Fixture, NULL, fixture_setup, test_clear, fixture_teardown);
  g_test_add ("/sealer/unreadable-attachment", Fixture, NULL, fixture_setup, test_unreadable_attachment, fixture_teardown);
  g_test_add ("/sealer/refused-key", Fixture, NULL, fixture_setup, test_refused_key, fixture_teardown);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
