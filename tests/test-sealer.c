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

static const SignetSealOptions visible_subject = { FALSE, FALSE };

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
  g_assert_true (signet_sealer_write_sealed (f->sealer, message, &visible_subject, fprs, fd, NULL, &error));
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
  g_autofree char *out_path = g_build_filename (f->dir, "clear.eml", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *on_disk = NULL;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  g_assert_true (signet_sealer_write_clear (f->sealer, message, &visible_subject, fd, NULL, &error));
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
  g_autofree char *out_path = g_build_filename (f->dir, "out.eml", NULL);
  const char *fprs[] = { fingerprint_of (f, "alice@example.org"), NULL };
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  signet_message_add_attachment (message, attachment);
  g_assert_false (signet_sealer_write_sealed (f->sealer, message, &visible_subject, fprs, fd, NULL, &error));
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
  g_autofree char *out_path = g_build_filename (f->dir, "out.eml", NULL);
  const char *emails[] = { "rex@example.org", NULL };
  g_autoptr(GPtrArray) results = signet_key_directory_resolve_sync (f->directory, emails, NULL, NULL);
  const char *fprs[] = { ((SignetKeyResult *) g_ptr_array_index (results, 0))->fingerprint, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *on_disk = NULL;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  g_assert_false (signet_sealer_write_sealed (f->sealer, message, &visible_subject, fprs, fd, NULL, &error));
  g_assert_nonnull (error);
  close (fd);
  on_disk = signet_test_read_file (out_path);
  g_assert_cmpstr (on_disk, ==, "");
}


/* Writes @message with @options (sealed to alice and demo when @sealed) and
 * returns the file's path. */
static char *
write_to_file (Fixture *f, SignetMessage *message, const SignetSealOptions *options, gboolean sealed)
{
  static guint n;
  g_autofree char *name = g_strdup_printf ("out-%u.eml", ++n);
  char *out_path = g_build_filename (f->dir, name, NULL);
  const char *fprs[] = { fingerprint_of (f, "alice@example.org"), fingerprint_of (f, "demo@example.org"), NULL };
  g_autoptr(GError) error = NULL;
  int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  if (sealed)
    g_assert_true (signet_sealer_write_sealed (f->sealer, message, options, fprs, fd, NULL, &error));
  else
    g_assert_true (signet_sealer_write_clear (f->sealer, message, options, fd, NULL, &error));
  g_assert_no_error (error);
  close (fd);
  return out_path;
}

static GMimeMessage *
parse_file (const char *path)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_file_open (path, "r", NULL);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (stream);

  return g_mime_parser_construct_message (parser, NULL);
}

/* The headers of the entity gpg decrypts from @path, parsed. */
static GMimeObject *
decrypt_entity (Fixture *f, const char *path)
{
  g_autofree char *plain = signet_test_decrypt_message (homedir, path);
  g_autofree char *plain_path = g_strconcat (path, ".plain", NULL);
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;

  g_assert_true (g_file_set_contents (plain_path, plain, -1, NULL));
  stream = g_mime_stream_file_open (plain_path, "r", NULL);
  parser = g_mime_parser_new_with_stream (stream);
  return g_mime_parser_construct_part (parser, NULL);
}

/* The Subject travels only inside the ciphertext; outside it is "...". */
static void
test_protected_subject (Fixture *f, gconstpointer data)
{
  const SignetSealOptions protect = { FALSE, TRUE };
  g_autoptr(SignetMessage) message = new_message ("body");
  g_autofree char *path = NULL;
  g_autofree char *raw = NULL;
  g_autoptr(GMimeMessage) outer = NULL;
  g_autoptr(GMimeObject) inner = NULL;

  signet_message_set_subject (message, "Merger with Initech");
  path = write_to_file (f, message, &protect, TRUE);
  raw = signet_test_read_file (path);
  g_assert_null (strstr (raw, "Merger"));
  g_assert_null (strstr (raw, "Initech"));
  outer = parse_file (path);
  g_assert_cmpstr (g_mime_message_get_subject (outer), ==, "...");
  inner = decrypt_entity (f, path);
  g_assert_cmpstr (g_mime_object_get_header (inner, "Subject"), ==, "Merger with Initech");
  g_assert_cmpstr (g_mime_object_get_content_type_parameter (inner, "protected-headers"), ==, "v1");

  /* Turned off, the subject is visible as typed. */
  g_free (path);
  path = write_to_file (f, message, &visible_subject, TRUE);
  g_clear_object (&outer);
  outer = parse_file (path);
  g_assert_cmpstr (g_mime_message_get_subject (outer), ==, "Merger with Initech");
}

/* Free text that looks like RFC 2047 encoded words comes out, at the
 * recipient, as exactly the text typed: no line break, no extra header. */
static void
test_encoded_word_subject (Fixture *f, gconstpointer data)
{
  const char *subjects[] = {
    "=?utf-8?q?=0D=0AX-Evil:_1?=",
    "=?UTF-8?B?DQpYLUV2aWw6IDE=?=",
    "Re: =?iso-8859-1?q?caf=E9?= and more =?x?q?=0A?=",
    "=?utf-8?q?a?= =?utf-8?q?b?=",
    "plain =? not a word ?= café – “quoted” and a long tail to force folding of the header line beyond 78",
  };

  for (guint i = 0; i < G_N_ELEMENTS (subjects); i++)
    for (guint sealed = 0; sealed < 2; sealed++)
      {
        g_autoptr(SignetMessage) message = new_message ("body");
        g_autofree char *path = NULL;
        g_autoptr(GMimeMessage) outer = NULL;
        g_autoptr(GMimeObject) inner = NULL;
        GMimeHeaderList *headers;

        g_test_message ("%s subject: %s", sealed ? "sealed" : "clear", subjects[i]);
        signet_message_set_subject (message, subjects[i]);
        path = write_to_file (f, message, &visible_subject, sealed);
        outer = parse_file (path);
        g_assert_cmpstr (g_mime_message_get_subject (outer), ==, subjects[i]);
        headers = g_mime_object_get_header_list (GMIME_OBJECT (outer));
        g_assert_false (g_mime_header_list_contains (headers, "X-Evil"));
        if (!sealed)
          continue;
        inner = decrypt_entity (f, path);
        /* GMime hands out header values decoded once, as a reader would. */
        g_assert_cmpstr (g_mime_object_get_header (inner, "Subject"), ==, subjects[i]);
        g_assert_false (g_mime_header_list_contains (g_mime_object_get_header_list (inner), "X-Evil"));
      }
}

/* A sealed draft says nothing outside its ciphertext about whom it is for or
 * what it is about; inside, every field comes back, Bcc included. */
static void
test_sealed_draft_metadata (Fixture *f, gconstpointer data)
{
  const SignetSealOptions draft = { TRUE, TRUE };
  g_autoptr(SignetMessage) message = new_message ("body");
  g_autoptr(SignetAddress) cc = signet_address_new ("Bob Builder", "bob@example.org");
  g_autoptr(SignetAddress) bcc = signet_address_new ("Carol Secret", "carol@example.org");
  g_autofree char *path = NULL;
  g_autofree char *raw = NULL;
  g_autoptr(GMimeObject) inner = NULL;
  const char *secrets[] = { "alice", "Alice", "bob", "Bob", "carol", "Carol", "Merger", "Bcc", "X-Signet", NULL };

  signet_message_add_cc (message, cc);
  signet_message_add_bcc (message, bcc);
  signet_message_set_subject (message, "Merger plans");
  path = write_to_file (f, message, &draft, TRUE);
  raw = signet_test_read_clear_text (path);
  for (guint i = 0; secrets[i] != NULL; i++)
    {
      g_test_message ("looking for %s", secrets[i]);
      g_assert_null (strstr (raw, secrets[i]));
    }
  inner = decrypt_entity (f, path);
  g_assert_cmpstr (g_mime_object_get_header (inner, "To"), ==, "Alice Demo <alice@example.org>");
  g_assert_cmpstr (g_mime_object_get_header (inner, "Cc"), ==, "Bob Builder <bob@example.org>");
  g_assert_cmpstr (g_mime_object_get_header (inner, "Bcc"), ==, "Carol Secret <carol@example.org>");
  g_assert_cmpstr (g_mime_object_get_header (inner, "Subject"), ==, "Merger plans");

  /* A sent copy never carries Bcc, inside or out. */
  {
    const SignetSealOptions copy = { FALSE, TRUE };
    g_autofree char *copy_path = write_to_file (f, message, &copy, TRUE);
    g_autofree char *copy_raw = signet_test_read_file (copy_path);
    g_autoptr(GMimeObject) copy_inner = decrypt_entity (f, copy_path);

    g_assert_null (strstr (copy_raw, "carol"));
    g_assert_nonnull (strstr (copy_raw, "alice@example.org"));
    g_assert_null (g_mime_object_get_header (copy_inner, "Bcc"));
  }
}

/* An attachment's name cannot add a header, sealed or not. */
static void
test_attachment_name_injection (Fixture *f, gconstpointer data)
{
  const char *names[] = { "evil\r\nX-Injected: 1.txt", "a\nContent-Type: text/html\n\n<b>.txt",
                          "nul\x01" "byte\x7f.txt", "line\xe2\x80\xa8sep.txt" };
  g_autofree char *attachment_path = write_binary_attachment (f, 100);
  g_autoptr(GFile) file = g_file_new_for_path (attachment_path);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    for (guint sealed = 0; sealed < 2; sealed++)
      {
        g_autoptr(SignetMessage) message = new_message ("body");
        g_autoptr(SignetAttachment) attachment = signet_attachment_new (file, names[i], NULL, 100);
        g_autofree char *path = NULL;
        g_autofree char *raw = NULL;
        g_autoptr(GMimeMessage) outer = NULL;
        GMimeObject *entity;
        GMimeObject *part;
        const char *filename;

        signet_message_add_attachment (message, attachment);
        path = write_to_file (f, message, &visible_subject, sealed);
        /* The words stay in the (cleaned) file name; no line starts a header. */
        raw = signet_test_read_file (path);
        g_assert_null (strstr (raw, "\nX-Injected"));
        outer = parse_file (path);
        g_assert_false (g_mime_header_list_contains (g_mime_object_get_header_list (GMIME_OBJECT (outer)), "X-Injected"));
        entity = sealed ? decrypt_entity (f, path) : g_object_ref (g_mime_message_get_mime_part (outer));
        g_assert_true (GMIME_IS_MULTIPART (entity));
        g_assert_cmpint (g_mime_multipart_get_count (GMIME_MULTIPART (entity)), ==, 2);
        part = g_mime_multipart_get_part (GMIME_MULTIPART (entity), 1);
        g_assert_false (g_mime_header_list_contains (g_mime_object_get_header_list (part), "X-Injected"));
        filename = g_mime_part_get_filename (GMIME_PART (part));
        g_assert_nonnull (filename);
        g_assert_true (signet_header_check (filename, NULL));
        g_object_unref (entity);
      }
}

/* The names recipients see: no control, no path, no bidirectional trick,
 * nothing that decodes into something else. */
static void
test_attachment_name_cleaning (void)
{
  const char *cases[][2] = {
    { "report.pdf", "report.pdf" },
    { "a\r\nb.txt", "a__b.txt" },
    { "../../.bashrc", ".._.._.bashrc" },
    { "inv\xe2\x80\xae" "fdp.exe", "inv_fdp.exe" },
    { "x\xe2\x81\xa6y", "x_y" },
    { "=?utf-8?q?=0A?=", "=_utf-8?q?=0A?=" },
    { "..", "attachment" },
    { "", "attachment" },
    { "  spaced  ", "spaced" },
    { "caf\xc3\xa9 \xe2\x80\x93 \xe6\x97\xa5\xe6\x9c\xac.txt", "caf\xc3\xa9 \xe2\x80\x93 \xe6\x97\xa5\xe6\x9c\xac.txt" },
    { "bad\xff" "utf8", "bad\xef\xbf\xbd" "utf8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *clean = signet_attachment_clean_name (cases[i][0]);
      g_assert_cmpstr (clean, ==, cases[i][1]);
      g_assert_true (signet_header_check (clean, NULL));
    }
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
  g_test_add_func ("/sealer/attachment-name-cleaning", test_attachment_name_cleaning);
  g_test_add ("/sealer/protected-subject", Fixture, NULL, fixture_setup, test_protected_subject, fixture_teardown);
  g_test_add ("/sealer/encoded-word-subject", Fixture, NULL, fixture_setup, test_encoded_word_subject, fixture_teardown);
  g_test_add ("/sealer/sealed-draft-metadata", Fixture, NULL, fixture_setup, test_sealed_draft_metadata, fixture_teardown);
  g_test_add ("/sealer/attachment-name-injection", Fixture, NULL, fixture_setup, test_attachment_name_injection, fixture_teardown);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
