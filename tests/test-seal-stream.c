/* Sealing streams the message into its file as gpg encrypts it: a message
 * with a large attachment comes out as RFC 3156 that stock gpg opens to the
 * attachment's exact bytes (sealed alone, or sealed and signed), and a seal
 * that fails leaves the file as it was before. */

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-gmime.h"
#include "signet-key-directory-private.h"
#include "signet-sealer.h"
#include "signet-test-util.h"

#define LARGE_SIZE (12 * 1024 * 1024 + 5)

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

static char *
write_random_file (Fixture *f, const char *name, gsize size)
{
  char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (3156);
  g_autofree guint32 *words = g_new (guint32, size / 4 + 1);

  for (gsize i = 0; i < size / 4 + 1; i++)
    words[i] = g_rand_int (rand);
  g_assert_true (g_file_set_contents (path, (const char *) words, size, NULL));
  return path;
}

static SignetMessage *
new_message (const char *attachment_path, gsize size)
{
  SignetMessage *message = signet_message_new ();
  g_autoptr(SignetAddress) from = signet_address_new ("Signet Demo", "demo@example.org");
  g_autoptr(SignetAddress) to = signet_address_new ("Alice Demo", "alice@example.org");
  g_autoptr(GFile) file = NULL;
  g_autoptr(SignetAttachment) attachment = NULL;

  signet_message_set_from (message, from);
  signet_message_add_to (message, to);
  signet_message_set_subject (message, "The scans");
  signet_message_set_body (message, "All of them, attached.\n");
  if (attachment_path != NULL)
    {
      file = g_file_new_for_path (attachment_path);
      attachment = signet_attachment_new (file, "scans.bin", "application/octet-stream", size);
      signet_message_add_attachment (message, attachment);
    }
  return message;
}

/* gpg's output for the ciphertext of @message_path, with the status lines
 * on standard output and the plaintext in @plain_path. */
static char *
open_with_gpg (const char *message_path, const char *plain_path)
{
  g_autofree char *cipher = signet_test_extract_ciphertext (message_path);
  const char *args[] = { "--yes", "--status-fd", "1", "--output", plain_path, "--decrypt", NULL };
  char *status = signet_test_gpg_output (homedir, args, cipher, TRUE);

  g_unlink (cipher);
  return status;
}

/* The attachment of the decrypted entity in @plain_path. */
static GByteArray *
attachment_of (const char *plain_path)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_file_open (plain_path, "r", NULL);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (stream);
  g_autoptr(GMimeObject) entity = g_mime_parser_construct_part (parser, NULL);
  g_autoptr(GMimeStream) mem = g_mime_stream_mem_new ();
  GMimePart *part;

  g_assert_true (GMIME_IS_MULTIPART (entity));
  part = GMIME_PART (g_mime_multipart_get_part (GMIME_MULTIPART (entity), 1));
  g_assert_cmpstr (g_mime_part_get_filename (part), ==, "scans.bin");
  g_mime_data_wrapper_write_to_stream (g_mime_part_get_content (part), mem);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (mem), FALSE);
  return g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
}

static void
assert_lines_short (const char *path)
{
  g_autofree char *text = signet_test_read_file (path);
  gsize column = 0;

  /* A scan of its own: g_strsplit() is quadratic under AddressSanitizer. */
  for (const char *p = text; *p != '\0'; p++)
    {
      column = *p == '\n' ? 0 : column + 1;
      g_assert_cmpuint (column, <=, 78);
    }
}

static void
seal_large (Fixture *f, const char *signer, char **out_status)
{
  g_autofree char *attachment_path = write_random_file (f, "scans.bin", LARGE_SIZE);
  g_autoptr(SignetMessage) message = new_message (attachment_path, LARGE_SIZE);
  g_autofree char *out_path = g_build_filename (f->dir, "sealed.eml", NULL);
  g_autofree char *plain_path = g_build_filename (f->dir, "plain.eml", NULL);
  g_autofree char *demo = signet_test_fingerprint (f->directory, "demo@example.org");
  g_autofree char *alice = signet_test_fingerprint (f->directory, "alice@example.org");
  const char *fprs[] = { alice, demo, NULL };
  const SignetSealOptions options = { FALSE, TRUE, signer != NULL ? demo : NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) attachment = NULL;
  g_autofree char *original = NULL;
  gsize original_len = 0;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_true (signet_sealer_write_sealed (f->sealer, message, &options, fprs, fd, NULL, &error));
  g_assert_no_error (error);
  close (fd);
  assert_lines_short (out_path);
  *out_status = open_with_gpg (out_path, plain_path);
  attachment = attachment_of (plain_path);
  g_assert_true (g_file_get_contents (attachment_path, &original, &original_len, NULL));
  g_assert_cmpmem (attachment->data, attachment->len, original, original_len);
}

static void
test_large (Fixture *f, gconstpointer data)
{
  g_autofree char *status = NULL;

  seal_large (f, NULL, &status);
  g_assert_nonnull (strstr (status, "DECRYPTION_OKAY"));
  g_assert_null (strstr (status, "GOODSIG"));
}

static void
test_large_signed (Fixture *f, gconstpointer data)
{
  g_autofree char *status = NULL;

  seal_large (f, "demo", &status);
  g_assert_nonnull (strstr (status, "DECRYPTION_OKAY"));
  g_assert_nonnull (strstr (status, "GOODSIG"));
}

/* With "armor" in gpg.conf gpg armors what it writes itself: the message
 * is armored once all the same, and opens. */
static void
test_armor_in_gpg_conf (Fixture *f, gconstpointer data)
{
  g_autofree char *conf = g_build_filename (homedir, "gpg.conf", NULL);
  g_autofree char *saved = NULL;
  g_autofree char *with_armor = NULL;
  g_autofree char *status = NULL;

  g_assert_true (g_file_get_contents (conf, &saved, NULL, NULL) || (saved = g_strdup ("")) != NULL);
  with_armor = g_strconcat (saved, "armor\n", NULL);
  g_assert_true (g_file_set_contents (conf, with_armor, -1, NULL));
  seal_large (f, NULL, &status);
  g_assert_true (g_file_set_contents (conf, saved, -1, NULL));
  g_assert_nonnull (strstr (status, "DECRYPTION_OKAY"));
}

/* A seal that fails (gpg refuses the revoked key) after the message's
 * headers were written leaves the file exactly as it was before. */
static void
test_failure_leaves_file (Fixture *f, gconstpointer data)
{
  static const char before[] = "What the file held before.\n";
  g_autoptr(SignetMessage) message = new_message (NULL, 0);
  g_autofree char *out_path = g_build_filename (f->dir, "out.eml", NULL);
  const char *emails[] = { "rex@example.org", NULL };
  g_autoptr(GPtrArray) results = signet_key_directory_resolve_sync (f->directory, emails, NULL, NULL);
  const char *fprs[] = { ((SignetKeyResult *) g_ptr_array_index (results, 0))->fingerprint, NULL };
  const SignetSealOptions options = { FALSE, TRUE, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (write (fd, before, strlen (before)), ==, (ssize_t) strlen (before));
  g_assert_false (signet_sealer_write_sealed (f->sealer, message, &options, fprs, fd, NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (lseek (fd, 0, SEEK_CUR), ==, (off_t) strlen (before));
  close (fd);
  after = signet_test_read_file (out_path);
  g_assert_cmpstr (after, ==, before);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  g_test_add ("/seal-stream/large", Fixture, NULL, fixture_setup, test_large, fixture_teardown);
  g_test_add ("/seal-stream/large-signed", Fixture, NULL, fixture_setup, test_large_signed, fixture_teardown);
  g_test_add ("/seal-stream/armor-in-gpg-conf", Fixture, NULL, fixture_setup, test_armor_in_gpg_conf, fixture_teardown);
  g_test_add ("/seal-stream/failure-leaves-file", Fixture, NULL, fixture_setup, test_failure_leaves_file,
              fixture_teardown);
  status = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return status;
}
