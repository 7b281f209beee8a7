/* Reading back what Signet wrote, so it can be edited again: clear and
 * sealed copies and drafts, written by the sealer and by the send operation,
 * compared field by field with what was written; a keyring without the
 * secret key; damaged, truncated and hostile files, each an error; Cancel
 * and a dying gpg while a message is opened; no decrypted byte in any file;
 * and a large attachment read in bounded memory. */
#define _GNU_SOURCE

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-core.h"
#include "signet-errors.h"
#include "signet-message-reader.h"
#include "signet-sealer.h"
#include "signet-test-util.h"

#define LARGE_ATTACHMENT_SIZE (30 << 20)
/* A read must give up this long after gpg was killed or Cancel was pressed. */
#define GIVE_UP_SECONDS 10

static char *homedir;

typedef struct {
  SignetTestServices  s;
  SignetSealer       *sealer;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  signet_test_services_init (&f->s, homedir, TRUE);
  f->sealer = signet_sealer_new (f->s.directory);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->sealer);
  signet_test_services_clear (&f->s);
}

static const char body_text[] =
  "Grüße aus Köln!\n"
  "\n"
  "A line with trailing spaces   \n"
  "From the start of a line, as mbox would quote it\n"
  ".\n"
  "A very long line that goes on and on, well beyond the seventy-six characters quoted-printable "
  "allows on a line, with = signs = in it, to force soft line breaks.\n"
  "\ttabbed, and =?utf-8?q?not_an_encoded_word?= as typed\n"
  "日本語のテキスト — last line without a newline";

static const char long_subject[] =
  "Réunion – résultats « préliminaires » für Ärzte und Ökonomen, 日本語の件名, and a long tail "
  "that makes the header fold";

/* How drafts are written, sealed to the sender's own key. */
static const SignetSealOptions draft_options = { TRUE, TRUE };
static const char *const own_key[] = { "demo@example.org", NULL };

/* Bytes of every value, in an order that is not a simple run. */
static GBytes *
pattern_bytes (gsize size)
{
  guchar *bytes = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    bytes[i] = (guchar) ((i * 131) ^ (i >> 9));
  return g_bytes_new_take (bytes, size);
}

static SignetAttachment *
new_attachment (Fixture *f, const char *file_name, const char *name, const char *type, GBytes *content)
{
  g_autofree char *path = g_build_filename (f->s.dir, file_name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (content, NULL), g_bytes_get_size (content), NULL));
  return signet_attachment_new (file, name, type, g_bytes_get_size (content));
}

/* From demo@ to @to, @cc and @bcc, with a subject and text that are not
 * ASCII, a text and a binary attachment. */
static SignetMessage *
new_message_to (Fixture *f, const char *to, const char *cc, const char *bcc)
{
  static const char text_content[] = "Zeile 1\r\nZeile 2 – äöü\n";
  SignetMessage *message = signet_test_new_message (TRUE, to, cc, bcc);
  g_autoptr(GBytes) text = g_bytes_new_static (text_content, sizeof text_content - 1);
  g_autoptr(GBytes) binary = pattern_bytes (70000);
  g_autoptr(SignetAttachment) first = new_attachment (f, "a.txt", "Übersicht – März.txt", "text/plain", text);
  g_autoptr(SignetAttachment) second = new_attachment (f, "b.bin", "figures.bin", "application/octet-stream", binary);

  signet_message_set_subject (message, long_subject);
  signet_message_set_body (message, body_text);
  signet_message_add_attachment (message, first);
  signet_message_add_attachment (message, second);
  return message;
}

/* To two (one with a long name that is not ASCII), Cc and Bcc. */
static SignetMessage *
new_full_message (Fixture *f)
{
  return new_message_to (f, "\"Zoë Ångström-Þórðarson von Müller-Lüdenscheidt y Núñez\" <alice@example.org>, "
                         "bob@example.org", "Jürgen Müller <carol@example.org>", "Ørjan Łukasz <dave@example.org>");
}

/* Writes @message with @options, sealed to @emails' keys or (NULL) in the
 * clear, and returns the file's path. */
static char *
write_message (Fixture *f, SignetMessage *message, const SignetSealOptions *options, const char *const *emails)
{
  static guint n;
  g_autofree char *name = g_strdup_printf ("written-%u.eml", ++n);
  char *path = g_build_filename (f->s.dir, name, NULL);
  g_autoptr(GPtrArray) fprs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gboolean written;

  g_assert_cmpint (fd, >=, 0);
  for (guint i = 0; emails != NULL && emails[i] != NULL; i++)
    g_ptr_array_add (fprs, signet_test_fingerprint (f->s.directory, emails[i]));
  g_ptr_array_add (fprs, NULL);
  written = emails == NULL ? signet_sealer_write_clear (f->sealer, message, options, fd, NULL, &error)
                           : signet_sealer_write_sealed (f->sealer, message, options,
                                                         (const char *const *) fprs->pdata, fd, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (written);
  g_assert_cmpint (close (fd), ==, 0);
  return path;
}

static SignetMessage *
read_path (Fixture *f, const char *path, gboolean *sealed, GCancellable *cancellable, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  SignetMessage *message;

  g_assert_cmpint (fd, >=, 0);
  message = signet_message_reader_read (f->s.directory, fd, sealed, cancellable, error);
  close (fd);
  g_assert_true ((message == NULL) == (error == NULL || *error != NULL));
  return message;
}

static GBytes *
attachment_bytes (SignetAttachment *attachment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  int fd = signet_attachment_open (attachment, &error);
  guint8 buf[65536];
  ssize_t n;

  g_assert_no_error (error);
  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_byte_array_append (bytes, buf, n);
  g_assert_cmpint (n, ==, 0);
  close (fd);
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

static void
assert_same_addresses (SignetMessage *expected, SignetMessage *got, SignetRecipientKind kind)
{
  g_assert_cmpuint (signet_message_get_n_recipients (got, kind), ==, signet_message_get_n_recipients (expected, kind));
  for (guint i = 0; i < signet_message_get_n_recipients (expected, kind); i++)
    {
      const SignetAddress *e = signet_message_get_recipient (expected, kind, i);
      const SignetAddress *g = signet_message_get_recipient (got, kind, i);

      g_assert_cmpstr (g->name, ==, e->name);
      g_assert_cmpstr (g->email, ==, e->email);
    }
}

/* @got is @expected, field by field; its Bcc only when @with_bcc (else none). */
static void
assert_same_message (SignetMessage *expected, SignetMessage *got, gboolean with_bcc)
{
  GListModel *want = signet_message_get_attachments (expected);
  GListModel *have = signet_message_get_attachments (got);

  g_assert_cmpstr (signet_message_get_from (got)->name, ==, signet_message_get_from (expected)->name);
  g_assert_cmpstr (signet_message_get_from (got)->email, ==, signet_message_get_from (expected)->email);
  assert_same_addresses (expected, got, SIGNET_RECIPIENT_TO);
  assert_same_addresses (expected, got, SIGNET_RECIPIENT_CC);
  if (with_bcc)
    assert_same_addresses (expected, got, SIGNET_RECIPIENT_BCC);
  else
    g_assert_cmpuint (signet_message_get_n_recipients (got, SIGNET_RECIPIENT_BCC), ==, 0);
  g_assert_cmpstr (signet_message_get_subject (got), ==, signet_message_get_subject (expected));
  g_assert_cmpstr (signet_message_get_body (got), ==, signet_message_get_body (expected));
  g_assert_cmpuint (g_list_model_get_n_items (have), ==, g_list_model_get_n_items (want));
  for (guint i = 0; i < g_list_model_get_n_items (want); i++)
    {
      g_autoptr(SignetAttachment) e = g_list_model_get_item (want, i);
      g_autoptr(SignetAttachment) g = g_list_model_get_item (have, i);
      g_autoptr(GBytes) e_bytes = attachment_bytes (e);
      g_autoptr(GBytes) g_bytes = attachment_bytes (g);

      g_assert_cmpstr (signet_attachment_get_name (g), ==, signet_attachment_get_name (e));
      g_assert_cmpstr (signet_attachment_get_content_type (g), ==, signet_attachment_get_content_type (e));
      g_assert_cmpint (signet_attachment_get_size (g), ==, g_bytes_get_size (e_bytes));
      g_assert_null (signet_attachment_get_file (g));
      g_assert_true (g_bytes_equal (g_bytes, e_bytes));
    }
}

typedef struct {
  const char        *name;
  SignetSealOptions  options;
  gboolean           sealed;
  const char        *keys[3];
  gboolean           with_bcc;
} RoundTrip;

static const RoundTrip round_trips[] = {
  { "clear-copy", { FALSE, FALSE }, FALSE, { NULL }, FALSE },
  { "clear-draft", { TRUE, TRUE }, FALSE, { NULL }, TRUE },
  { "sealed-copy", { FALSE, TRUE }, TRUE, { "demo@example.org", "alice@example.org", NULL }, FALSE },
  { "sealed-copy-visible-subject", { FALSE, FALSE }, TRUE, { "alice@example.org", "demo@example.org", NULL }, FALSE },
  { "sealed-draft", { TRUE, TRUE }, TRUE, { "demo@example.org", NULL }, TRUE },
};

/* Each way Signet writes a message reads back as the message written. */
static void
test_round_trip (Fixture *f, gconstpointer data)
{
  const RoundTrip *rt = data;
  g_autoptr(SignetMessage) message = new_full_message (f);
  g_autofree char *path = write_message (f, message, &rt->options, rt->sealed ? rt->keys : NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) back = NULL;
  gboolean sealed = !rt->sealed;

  back = read_path (f, path, &sealed, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sealed, ==, rt->sealed);
  g_assert_cmpint (signet_message_get_seal (back), ==, rt->sealed);
  assert_same_message (message, back, rt->with_bcc);
}

/* Text that ends in a line break or not, is empty, or only line breaks;
 * no subject; no recipient at all (a draft); with and without an
 * attachment. */
static void
test_edge_texts (Fixture *f, gconstpointer data)
{
  /* Written, and read back: with Unix line ends, as a text view has them. */
  const char *bodies[][2] = {
    { "", "" }, { "\n", "\n" }, { "one line\n", "one line\n" }, { "no newline", "no newline" },
    { "\n\n\ntwo\n\n", "\n\n\ntwo\n\n" }, { "=\n=3D\n", "=\n=3D\n" }, { "a\r\nb\r\n", "a\nb\n" },
    /* A lone CR is a line break, as in a text view. */
    { "a\rb", "a\nb" },
  };
  g_autoptr(GBytes) content = pattern_bytes (10);
  g_autoptr(SignetAttachment) attachment = new_attachment (f, "c.bin", NULL, NULL, content);

  for (guint i = 0; i < G_N_ELEMENTS (bodies) * 4; i++)
    {
      gboolean sealed = i % 2, attached = (i / 2) % 2;
      const char *const *body = bodies[i / 4];
      g_autoptr(SignetMessage) message = signet_test_new_message (sealed, NULL, NULL, NULL);
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(SignetMessage) back = NULL;
      const char *expected = body[1];

      g_test_message ("%s body %u%s", sealed ? "sealed" : "clear", i / 4, attached ? " with an attachment" : "");
      signet_message_set_subject (message, "");
      signet_message_set_body (message, body[0]);
      if (attached)
        signet_message_add_attachment (message, attachment);
      path = write_message (f, message, &draft_options, sealed ? own_key : NULL);
      back = read_path (f, path, NULL, NULL, &error);
      g_assert_no_error (error);
      /* Exactly as typed, also a clear message that is only its text: the
       * file ends in a line break either way, and a text without one ends
       * in a soft line break ("="), not in a line of its own. */
      signet_message_set_body (message, expected);
      assert_same_message (message, back, TRUE);
    }
}

/* A draft to an address whose domain is not ASCII (written in its ASCII
 * form, as mail must be) opens with the address as it was typed. */
static void
test_unicode_domain (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "Zoë <zoe@bücher.example>",
                                                              "ann@例え.テスト", "bob@xn--bcher-kva.example");
  g_autofree char *path = write_message (f, message, &draft_options, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) back = read_path (f, path, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (signet_message_get_recipient (back, SIGNET_RECIPIENT_TO, 0)->email, ==, "zoe@bücher.example");
  g_assert_cmpstr (signet_message_get_recipient (back, SIGNET_RECIPIENT_CC, 0)->email, ==, "ann@例え.テスト");
  /* Typed in its ASCII form, the same address is shown as mail programs show it. */
  g_assert_cmpstr (signet_message_get_recipient (back, SIGNET_RECIPIENT_BCC, 0)->email, ==, "bob@bücher.example");
}

/* An attached message (.eml) or multipart file comes back with the same
 * bytes: in a part of its own type they would be read as a structure. */
static void
test_attached_message (Fixture *f, gconstpointer data)
{
  static const char eml[] = "From: x@example.org\nSubject: forwarded\n\nthe forwarded text\n";
  const char *types[] = { "message/rfc822", "multipart/signed" };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);
      g_autoptr(GBytes) content = g_bytes_new_static (eml, sizeof eml - 1);
      g_autoptr(SignetAttachment) attachment = new_attachment (f, "m.eml", "forwarded.eml", types[i], content);
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(SignetMessage) back = NULL;
      g_autoptr(SignetAttachment) have = NULL;
      g_autoptr(GBytes) have_bytes = NULL;

      signet_message_add_attachment (message, attachment);
      path = write_message (f, message, &draft_options, NULL);
      back = read_path (f, path, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_list_model_get_n_items (signet_message_get_attachments (back)), ==, 1);
      have = g_list_model_get_item (signet_message_get_attachments (back), 0);
      have_bytes = attachment_bytes (have);
      g_assert_cmpstr (signet_attachment_get_name (have), ==, "forwarded.eml");
      g_assert_true (g_bytes_equal (have_bytes, content));
    }
}

/* Maildir files in @folder's new/ and cur/. */
static GPtrArray *
folder_messages (Fixture *f, const char *folder)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *subdirs[] = { "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (f->s.mail, folder, subdirs[i], NULL);
      g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        if (!g_str_has_suffix (name, ".rcpt") && !g_str_has_suffix (name, ".done"))
          g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
    }
  return paths;
}

static gboolean
sent_twice (gpointer data)
{
  g_autoptr(GPtrArray) sent = folder_messages (data, "Sent");

  return sent->len == 2;
}

/* A sealed send with Bcc through the send operation: every copy in Sent
 * reads back with To and Cc, no Bcc; a sealed draft saved the same way has
 * its Bcc back. */
static void
test_sent_and_draft (Fixture *f, gconstpointer data)
{
  /* Everyone a sealed message is sent to needs a key. */
  g_autoptr(SignetMessage) message = new_message_to (f, "\"Zoë Ångström-Þórðarson\" <alice@example.org>",
                                                     "Jürgen Müller <bob@example.org>", "Cärol <carol@example.org>");
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GPtrArray) drafts = NULL;
  g_auto(SignetTestOutcome) send = { 0 };
  g_auto(SignetTestOutcome) draft = { 0 };

  signet_send_operation_send_async (f->s.operation, message, NULL, signet_test_on_sent, &send);
  signet_test_wait_until (signet_test_outcome_done, &send);
  g_assert_no_error (send.error);
  signet_test_wait_until (sent_twice, f);
  sent = folder_messages (f, "Sent");
  for (guint i = 0; i < sent->len; i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean sealed = FALSE;
      g_autoptr(SignetMessage) back = read_path (f, g_ptr_array_index (sent, i), &sealed, NULL, &error);

      g_assert_no_error (error);
      g_assert_true (sealed);
      assert_same_message (message, back, FALSE);
    }

  signet_send_operation_save_draft_async (f->s.operation, message, NULL, signet_test_on_draft, &draft);
  signet_test_wait_until (signet_test_outcome_done, &draft);
  g_assert_no_error (draft.error);
  drafts = folder_messages (f, "Drafts");
  g_assert_cmpuint (drafts->len, ==, 1);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(SignetMessage) back = read_path (f, g_ptr_array_index (drafts, 0), NULL, NULL, &error);

    g_assert_no_error (error);
    assert_same_message (message, back, TRUE);
  }
}

/* A message read back is sealed again (twice, and read back again): the
 * attachments in memory stream like files. */
static void
test_reseal (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_full_message (f);
  g_autofree char *path = write_message (f, message, &draft_options, own_key);
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) back = read_path (f, path, NULL, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *again = write_message (f, back, &draft_options, own_key);
      g_autoptr(SignetMessage) back_again = read_path (f, again, NULL, NULL, &error);

      g_assert_no_error (error);
      assert_same_message (message, back_again, TRUE);
    }
}

/* Opened where the keyring lacks the secret key it is sealed to (a GnuPG
 * home of its own, with no key at all): the error says so. */
static void
test_no_secret_key (Fixture *f, gconstpointer data)
{
  const SignetSealOptions copy = { FALSE, TRUE };
  const char *keys[] = { "demo@example.org", "alice@example.org", NULL };
  g_autoptr(SignetMessage) message = new_full_message (f);
  g_autofree char *path = write_message (f, message, &copy, keys);
  char *other_home = signet_test_make_tmpdir ();
  g_autoptr(SignetKeyDirectory) other = signet_key_directory_new (other_home, f->s.network);
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) back = NULL;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  back = signet_message_reader_read (other, fd, NULL, NULL, &error);
  close (fd);
  g_assert_null (back);
  g_assert_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY);
  g_assert_nonnull (strstr (error->message, "no secret key"));
  signet_test_remove_gnupghome (other_home);
}

/* Cancelled before it starts: G_IO_ERROR_CANCELLED, clear or sealed. */
static void
test_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_full_message (f);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  g_cancellable_cancel (cancellable);
  for (guint sealed = 0; sealed < 2; sealed++)
    {
      g_autofree char *path = write_message (f, message, &draft_options, sealed ? own_key : NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(SignetMessage) back = read_path (f, path, NULL, cancellable, &error);

      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
}

/* Writes @len bytes of @text to a new file and returns its path. */
static char *
write_bytes (Fixture *f, const char *text, gsize len)
{
  static guint n;
  g_autofree char *name = g_strdup_printf ("input-%u.eml", ++n);
  char *path = g_build_filename (f->s.dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, len, NULL));
  return path;
}

/* Reading @text fails with an error in @domain (and @code, unless it is
 * negative). */
static void
assert_refused (Fixture *f, const char *what, const char *text, gsize len, GQuark domain, int code)
{
  g_autofree char *path = write_bytes (f, text, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) back = NULL;

  g_test_message ("refused: %s", what);
  back = read_path (f, path, NULL, NULL, &error);
  g_assert_null (back);
  g_assert_nonnull (error);
  g_test_message ("  -> %s", error->message);
  g_assert_true (error->domain == domain);
  if (code >= 0)
    g_assert_cmpint (error->code, ==, code);
  g_assert_cmpstr (error->message, !=, "");
}

#define READER_ERROR SIGNET_MESSAGE_READER_ERROR
#define NOT_A_MESSAGE SIGNET_MESSAGE_READER_ERROR_NOT_A_MESSAGE
#define DAMAGED SIGNET_MESSAGE_READER_ERROR_DAMAGED
#define TOO_COMPLEX SIGNET_MESSAGE_READER_ERROR_TOO_COMPLEX
#define UNSUPPORTED SIGNET_MESSAGE_READER_ERROR_UNSUPPORTED

static void
refuse_text (Fixture *f, const char *what, const char *text, int code)
{
  assert_refused (f, what, text, strlen (text), READER_ERROR, code);
}

/* A multipart nested @depth deep. */
static char *
nested_multipart (guint depth)
{
  GString *s = g_string_new ("From: demo@example.org\nMIME-Version: 1.0\n");

  for (guint i = 0; i < depth; i++)
    g_string_append_printf (s, "Content-Type: multipart/mixed; boundary=\"b%u\"\n\n--b%u\n", i, i);
  g_string_append (s, "Content-Type: text/plain\n\nhi\n");
  for (guint i = depth; i-- > 0;)
    g_string_append_printf (s, "--b%u--\n", i);
  return g_string_free (s, FALSE);
}

/* A multipart/mixed of @n small parts. */
static char *
many_parts (guint n)
{
  GString *s = g_string_new ("From: demo@example.org\nMIME-Version: 1.0\n"
                             "Content-Type: multipart/mixed; boundary=\"b\"\n\n");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "--b\nContent-Type: application/octet-stream\n\npart %u\n", i);
  g_string_append (s, "--b--\n");
  return g_string_free (s, FALSE);
}

/* Files that are no message, or no message Signet can read. */
static void
test_not_messages (Fixture *f, gconstpointer data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240501);
  guchar noise[4096];
  g_autofree char *shallow = nested_multipart (9);
  g_autofree char *deep = nested_multipart (2000);
  g_autofree char *deeper = nested_multipart (50000);
  g_autofree char *crowded = many_parts (200);
  const char *addresses[] = { "From", "To", "Cc", "Bcc" };

  for (gsize i = 0; i < sizeof noise; i++)
    noise[i] = (guchar) g_rand_int (rand);
  assert_refused (f, "0 bytes", "", 0, READER_ERROR, NOT_A_MESSAGE);
  refuse_text (f, "a line break", "\n", NOT_A_MESSAGE);
  assert_refused (f, "random bytes", (const char *) noise, sizeof noise, READER_ERROR, -1);
  refuse_text (f, "prose", "Dear diary,\nno headers here at all.\n", NOT_A_MESSAGE);
  refuse_text (f, "no sender", "Subject: hello\nTo: alice@example.org\n\nbody\n", NOT_A_MESSAGE);
  refuse_text (f, "two senders", "From: a@example.org, b@example.org\n\nbody\n", DAMAGED);
  refuse_text (f, "an empty sender", "From: \n\nbody\n", DAMAGED);
  refuse_text (f, "a group", "From: demo@example.org\nTo: friends: a@example.org;\n\nbody\n", DAMAGED);
  refuse_text (f, "8-bit junk in an address", "From: \xff\xfe <demo@example.org>\n\nbody\n", DAMAGED);
  refuse_text (f, "an encoded line break in a name",
               "From: =?utf-8?q?a=0D=0AX-Evil:_1?= <demo@example.org>\n\nbody\n", DAMAGED);
  /* A draft opened with such a subject could never be saved again. */
  refuse_text (f, "a control character in the subject", "From: demo@example.org\nSubject: a\x13" "b\n\nbody\n",
               DAMAGED);
  refuse_text (f, "an encoded line break in the subject",
               "From: demo@example.org\nSubject: =?utf-8?q?a=0D=0AX-Evil:_1?=\n\nbody\n", DAMAGED);
  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autofree char *text = g_strdup_printf ("%sFrom: demo@example.org\n%s: not an address, @nowhere\n\nbody\n",
                                               i == 0 ? "X-" : "", addresses[i]);
      refuse_text (f, addresses[i], text, DAMAGED);
    }
  refuse_text (f, "a multipart without a boundary",
               "From: demo@example.org\nContent-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n", DAMAGED);
  refuse_text (f, "a multipart that never ends",
               "From: demo@example.org\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nbody\n", DAMAGED);
  refuse_text (f, "nested 9 deep", shallow, TOO_COMPLEX);
  refuse_text (f, "nested 2000 deep", deep, -1);
  refuse_text (f, "nested 50000 deep", deeper, -1);
  refuse_text (f, "200 parts", crowded, TOO_COMPLEX);
  refuse_text (f, "S/MIME",
               "From: demo@example.org\nContent-Type: multipart/encrypted; protocol=\"application/pkcs7-mime\"; "
               "boundary=x\n\n--x\nContent-Type: application/pkcs7-mime\n\nAAAA\n--x--\n", UNSUPPORTED);
  refuse_text (f, "sealed without a protocol",
               "From: demo@example.org\nContent-Type: multipart/encrypted; boundary=x\n\n"
               "--x\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--x--\n", UNSUPPORTED);
  refuse_text (f, "sealed with one part",
               "From: demo@example.org\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
               "boundary=x\n\n--x\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--x--\n", DAMAGED);
  refuse_text (f, "sealed nothing",
               "From: demo@example.org\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
               "boundary=x\n\n--x\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
               "--x\nContent-Type: application/octet-stream\n\n\n--x--\n", -1);
  refuse_text (f, "sealed garbage",
               "From: demo@example.org\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
               "boundary=x\n\n--x\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
               "--x\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n\n"
               "bm90IGEgbWVzc2FnZQ==\n=AAAA\n-----END PGP MESSAGE-----\n--x--\n", DAMAGED);
}

static SignetMessage *
read_text (Fixture *f, const char *text)
{
  g_autofree char *path = write_bytes (f, text, strlen (text));
  g_autoptr(GError) error = NULL;
  SignetMessage *message = read_path (f, path, NULL, NULL, &error);

  g_assert_no_error (error);
  return message;
}

/* Structures other mail programs write: the plain form of alternative
 * texts, the content of a signed entity without its signature, a message
 * attached as it is, and texts in other charsets. */
static void
test_foreign_structures (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) alternative = read_text (f,
    "From: Demo <demo@example.org>\nTo: alice@example.org\nSubject: =?iso-8859-1?q?caf=E9?=\n"
    "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"a\"\n\n"
    "--a\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
    "caf=E9 au lait\n--a\nContent-Type: text/html\n\n<p>caf&eacute;</p>\n--a--\n");
  g_autoptr(SignetMessage) signed_mixed = read_text (f,
    "From: demo@example.org\nMIME-Version: 1.0\n"
    "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=\"s\"\n\n"
    "--s\nContent-Type: multipart/mixed; boundary=\"m\"\n\n"
    "--m\nContent-Type: text/plain\n\nHello\n"
    "--m\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename=\"fwd.eml\"\n\n"
    "From: bob@example.org\nSubject: inner\n\ninner body\n--m--\n"
    "--s\nContent-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\n\n"
    "AAAA\n-----END PGP SIGNATURE-----\n--s--\n");
  g_autoptr(SignetMessage) unknown_charset = read_text (f,
    "From: demo@example.org\nContent-Type: text/plain; charset=x-no-such-charset\n\nabc\xff\n");
  g_autoptr(SignetAttachment) forwarded = NULL;
  g_autoptr(GBytes) forwarded_bytes = NULL;

  g_assert_cmpstr (signet_message_get_subject (alternative), ==, "café");
  g_assert_cmpstr (signet_message_get_body (alternative), ==, "café au lait");
  g_assert_cmpuint (g_list_model_get_n_items (signet_message_get_attachments (alternative)), ==, 0);

  g_assert_cmpstr (signet_message_get_body (signed_mixed), ==, "Hello");
  g_assert_cmpuint (g_list_model_get_n_items (signet_message_get_attachments (signed_mixed)), ==, 1);
  forwarded = g_list_model_get_item (signet_message_get_attachments (signed_mixed), 0);
  g_assert_cmpstr (signet_attachment_get_name (forwarded), ==, "fwd.eml");
  g_assert_cmpstr (signet_attachment_get_content_type (forwarded), ==, "message/rfc822");
  forwarded_bytes = attachment_bytes (forwarded);
  g_assert_nonnull (memmem (g_bytes_get_data (forwarded_bytes, NULL), g_bytes_get_size (forwarded_bytes),
                            "inner body", strlen ("inner body")));

  g_assert_cmpstr (signet_message_get_body (unknown_charset), ==, "abc\xef\xbf\xbd\n");
  refuse_text (f, "a sealed part inside a clear message",
               "From: demo@example.org\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nhi\n"
               "--m\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=x\n\n"
               "--x\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
               "--x\nContent-Type: application/octet-stream\n\nAAAA\n--x--\n--m--\n", UNSUPPORTED);
}

/* Things that are no regular file: refused at once, never read. */
static void
test_not_files (Fixture *f, gconstpointer data)
{
  g_autofree char *fifo = g_build_filename (f->s.dir, "fifo", NULL);
  const char *paths[] = { "/dev/zero", "/dev/null", fifo, f->s.dir };

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      int fd = g_open (paths[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
      g_autoptr(GError) error = NULL;
      g_autoptr(SignetMessage) back = NULL;

      g_assert_cmpint (fd, >=, 0);
      back = signet_message_reader_read (f->s.directory, fd, NULL, NULL, &error);
      g_assert_null (back);
      g_assert_error (error, READER_ERROR, NOT_A_MESSAGE);
      close (fd);
    }
}

/* @text with the first @needle replaced by @replacement. */
static char *
replace_once (const char *text, const char *needle, const char *replacement)
{
  const char *at = strstr (text, needle);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, replacement, at + strlen (needle));
}

/* Sealed messages broken in ways gpg or the structure catches. */
static void
test_damaged_sealed (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_full_message (f);
  g_autofree char *path = write_message (f, message, &draft_options, own_key);
  g_autofree char *good = signet_test_read_file (path);
  const char *armor = strstr (good, "-----BEGIN PGP MESSAGE-----");
  const char *armor_end = strstr (good, "-----END PGP MESSAGE-----");
  gsize middle = (armor - good) + (armor_end - armor) / 2;
  g_autofree char *flipped = g_strdup (good);
  g_autofree char *cut_out = NULL;
  g_autofree char *smime = replace_once (good, "application/pgp-encrypted\"", "application/pkcs7-mime\"");
  g_autofree char *empty = NULL;

  g_assert_nonnull (armor);
  g_assert_nonnull (armor_end);
  /* One base64 character changed: the checksum or the integrity check fails. */
  flipped[middle] = flipped[middle] == 'A' ? 'B' : 'A';
  refuse_text (f, "a flipped character", flipped, DAMAGED);
  /* Lines taken out of the middle of the ciphertext. */
  cut_out = g_strdup_printf ("%.*s%s", (int) middle, good, strchr (good + middle + 2000, '\n') + 1);
  refuse_text (f, "ciphertext cut out", cut_out, DAMAGED);
  /* Cut short inside the ciphertext: the structure is truncated too. */
  assert_refused (f, "the file cut short", good, middle, READER_ERROR, DAMAGED);
  refuse_text (f, "S/MIME in place of PGP", smime, UNSUPPORTED);
  empty = g_strdup_printf ("%.*s%s", (int) (armor - good), good, armor_end + strlen ("-----END PGP MESSAGE-----"));
  refuse_text (f, "no ciphertext", empty, -1);
}

/* A clear message with attachments, cut anywhere after its structure
 * began: each cut is an error; and bytes changed anywhere: an error or a
 * message, never a crash. */
static void
test_truncated_and_mangled (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_full_message (f);
  g_autofree char *clear_path = write_message (f, message, &draft_options, NULL);
  g_autofree char *sealed_path = write_message (f, message, &draft_options, own_key);
  g_autofree char *clear = signet_test_read_file (clear_path);
  g_autofree char *sealed = signet_test_read_file (sealed_path);
  const char *first_boundary = strstr (clear, "\n--");
  const char *last_boundary = g_strrstr (clear, "\n--");
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  g_assert_nonnull (first_boundary);
  for (guint i = 0; i < 24; i++)
    {
      gsize start = first_boundary - clear + 1;
      gsize cut = start + (last_boundary - first_boundary) * i / 24;

      assert_refused (f, "cut clear message", clear, cut, READER_ERROR, -1);
    }
  for (guint i = 1; i < 12; i++)
    assert_refused (f, "cut sealed message", sealed, strlen (sealed) * i / 12, READER_ERROR, -1);
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *mangled = g_strdup (i % 2 ? clear : sealed);
      gsize n = strlen (mangled);
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(SignetMessage) back = NULL;

      for (guint j = 0; j < 1 + i / 4; j++)
        mangled[g_rand_int_range (rand, 0, (gint32) n)] = (char) g_rand_int_range (rand, 1, 256);
      path = write_bytes (f, mangled, n);
      back = read_path (f, path, NULL, NULL, &error);
      g_assert_true ((back == NULL) != (error == NULL));
    }
}

/* The targets of this process's descriptors. */
static GHashTable *
open_files (void)
{
  GHashTable *targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/fd", name, NULL);
      char *target = g_file_read_link (path, NULL);

      if (target != NULL)
        g_hash_table_insert (targets, g_strdup (name), target);
    }
  return targets;
}

/* Every regular file below @dir. */
static void
list_tree (const char *dir, GPtrArray *out)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        list_tree (child, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&child));
    }
}

static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  return g_file_get_contents (path, &contents, &len, NULL) &&
         memmem (contents, len, needle, strlen (needle)) != NULL;
}

/* Reading a sealed draft writes nothing anywhere: no new file in the test's
 * directory or the temporary directory holds its text, and what it keeps
 * open are files in memory. */
static void
test_no_plaintext_file (Fixture *f, gconstpointer data)
{
  const char marker[] = "Ultra-secret marker 4c1e9";
  g_autoptr(SignetMessage) message = new_full_message (f);
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) after = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) fds_before = NULL;
  g_autoptr(GHashTable) fds_after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) back = NULL;
  GHashTableIter iter;
  gpointer fd, target;

  signet_message_set_body (message, marker);
  path = write_message (f, message, &draft_options, own_key);
  g_assert_false (file_contains (path, marker));
  list_tree (f->s.dir, before);
  list_tree (g_get_tmp_dir (), before);
  fds_before = open_files ();

  back = read_path (f, path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (signet_message_get_body (back), ==, marker);

  fds_after = open_files ();
  g_hash_table_iter_init (&iter, fds_after);
  while (g_hash_table_iter_next (&iter, &fd, &target))
    if (g_strcmp0 (g_hash_table_lookup (fds_before, fd), target) != 0)
      {
        g_test_message ("new descriptor %s: %s", (char *) fd, (char *) target);
        g_assert_true (g_str_has_prefix (target, "/memfd:"));
      }
  list_tree (f->s.dir, after);
  list_tree (g_get_tmp_dir (), after);
  for (guint i = 0; i < after->len; i++)
    {
      const char *file = g_ptr_array_index (after, i);

      if (!g_ptr_array_find_with_equal_func (before, file, g_str_equal, NULL))
        g_error ("reading wrote %s", file);
      g_assert_false (file_contains (file, marker));
    }
}

/* Resets the peak of this process's resident memory; FALSE where Linux
 * does not let it. */
static gboolean
reset_peak_rss (void)
{
  int fd = g_open ("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC, 0);
  gboolean done = fd >= 0 && write (fd, "5", 1) == 1;

  if (fd >= 0)
    close (fd);
  return done;
}

/* The peak resident memory since reset_peak_rss(), in KiB. */
static guint64
peak_rss_kib (void)
{
  g_autofree char *status = signet_test_read_file ("/proc/self/status");
  const char *hwm = strstr (status, "VmHWM:");

  g_assert_nonnull (hwm);
  return g_ascii_strtoull (hwm + strlen ("VmHWM:"), NULL, 10);
}

static char *
checksum_fd (int fd)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guchar buf[65536];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_checksum_update (sum, buf, n);
  g_assert_cmpint (n, ==, 0);
  return g_strdup (g_checksum_get_string (sum));
}

static char *
checksum_attachment (SignetAttachment *attachment)
{
  g_autoptr(GError) error = NULL;
  int fd = signet_attachment_open (attachment, &error);
  char *sum;

  g_assert_no_error (error);
  sum = checksum_fd (fd);
  close (fd);
  return sum;
}

/* A sealed draft with a large attachment: written, then read in memory
 * that grows by well under the attachment's size, to the same bytes. */
static char *
write_large_draft (Fixture *f, SignetMessage **message_out)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
  g_autoptr(GBytes) content = pattern_bytes (LARGE_ATTACHMENT_SIZE);
  g_autoptr(SignetAttachment) attachment = new_attachment (f, "scan.tiff", NULL, "image/tiff", content);

  signet_message_add_attachment (message, attachment);
  if (message_out != NULL)
    *message_out = g_object_ref (message);
  return write_message (f, message, &draft_options, own_key);
}

static void
test_large_attachment (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *path = write_large_draft (f, &message);
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) back = NULL;
  g_autoptr(SignetAttachment) want = g_list_model_get_item (signet_message_get_attachments (message), 0);
  g_autoptr(SignetAttachment) have = NULL;
  g_autofree char *want_sum = NULL;
  g_autofree char *have_sum = NULL;
  gboolean measured = reset_peak_rss ();
  guint64 start_kib = peak_rss_kib ();
  guint64 growth_kib;

  back = read_path (f, path, NULL, NULL, &error);
  g_assert_no_error (error);
  growth_kib = peak_rss_kib () - start_kib;
  g_test_message ("peak resident memory grew by %" G_GUINT64_FORMAT " KiB reading a %d MiB attachment%s",
                  growth_kib, LARGE_ATTACHMENT_SIZE >> 20, measured ? "" : " (peak not reset)");
  if (measured)
    g_assert_cmpuint (growth_kib, <, (LARGE_ATTACHMENT_SIZE / 3) >> 10);

  g_assert_cmpuint (g_list_model_get_n_items (signet_message_get_attachments (back)), ==, 1);
  have = g_list_model_get_item (signet_message_get_attachments (back), 0);
  g_assert_cmpstr (signet_attachment_get_name (have), ==, "scan.tiff");
  g_assert_cmpint (signet_attachment_get_size (have), ==, LARGE_ATTACHMENT_SIZE);
  want_sum = checksum_attachment (want);
  have_sum = checksum_attachment (have);
  g_assert_cmpstr (have_sum, ==, want_sum);
}

/* A read of a large sealed draft in a thread of its own, so the test can
 * act while gpg works. */
typedef struct {
  SignetKeyDirectory *directory;
  int                 fd;
  GCancellable       *cancellable;
  SignetMessage      *message;
  GError             *error;
  gint                done;
} ReadJob;

static gpointer
read_thread (gpointer data)
{
  ReadJob *job = data;

  job->message = signet_message_reader_read (job->directory, job->fd, NULL, job->cancellable, &job->error);
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

/* The gpg decrypting for this test, once it is running; 0 if it is not. */
static pid_t
find_decrypting_engine (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree char *cmdline = NULL;
      gboolean decrypting = FALSE, ours = FALSE;
      gsize len = 0;
      pid_t pid = (pid_t) g_ascii_strtoll (name, NULL, 10);

      if (pid <= 0 || pid == getpid () || !g_file_get_contents (path, &cmdline, &len, NULL))
        continue;
      for (const char *arg = cmdline; arg < cmdline + len; arg += strlen (arg) + 1)
        {
          decrypting = decrypting || strcmp (arg, "--decrypt") == 0;
          ours = ours || strcmp (arg, homedir) == 0;
        }
      if (decrypting && ours)
        return pid;
    }
  return 0;
}

static pid_t
wait_for_engine (ReadJob *job)
{
  gint64 deadline = g_get_monotonic_time () + GIVE_UP_SECONDS * G_USEC_PER_SEC;
  pid_t pid;

  while ((pid = find_decrypting_engine ()) == 0)
    {
      g_assert_false (g_atomic_int_get (&job->done));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (500);
    }
  return pid;
}

static void
wait_for_read (ReadJob *job, int seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!g_atomic_int_get (&job->done))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the read did not return within %d s", seconds);
      g_usleep (2000);
    }
}

/* gpg killed (as by the OOM killer) or, with @data, stopped while Cancel
 * is pressed: the read returns promptly with a clear error. */
static void
test_engine_stops (Fixture *f, gconstpointer data)
{
  gboolean cancel = GPOINTER_TO_INT (data);
  g_autofree char *path = write_large_draft (f, NULL);
  ReadJob job = { f->s.directory, g_open (path, O_RDONLY | O_CLOEXEC, 0), g_cancellable_new (), NULL, NULL, 0 };
  GThread *thread = g_thread_new ("test-read", read_thread, &job);
  pid_t engine = wait_for_engine (&job);

  /* Stopped at once, so that it cannot finish first. */
  g_assert_cmpint (kill (engine, SIGSTOP), ==, 0);
  if (cancel)
    {
      g_cancellable_cancel (job.cancellable);
      wait_for_read (&job, 3);
      kill (engine, SIGCONT);
      g_assert_error (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
  else
    {
      g_assert_cmpint (kill (engine, SIGKILL), ==, 0);
      wait_for_read (&job, GIVE_UP_SECONDS);
      g_assert_error (job.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE);
      g_assert_cmpstr (job.error->message, ==, "GnuPG stopped unexpectedly while opening the sealed message.");
    }
  g_assert_null (job.message);
  g_thread_join (thread);
  close (job.fd);
  g_clear_error (&job.error);
  g_clear_object (&job.cancellable);
}

int
main (int argc, char *argv[])
{
  const char *base = g_getenv ("TMPDIR");
  g_autofree char *tmpdir = g_build_filename (base != NULL ? base : "/tmp", "signet-reader-XXXXXX", NULL);
  int ret;

  /* A temporary directory of the test's own, which no other process
   * writes to: test_no_plaintext_file() looks for new files in it. Set
   * before anything asks GLib for it. */
  g_assert_nonnull (g_mkdtemp (tmpdir));
  g_setenv ("TMPDIR", tmpdir, TRUE);
  g_test_init (&argc, &argv, NULL);
  signet_core_init ();
  homedir = signet_test_make_gnupghome ();
  for (guint i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      g_autofree char *name = g_strconcat ("/message-reader/round-trip/", round_trips[i].name, NULL);
      g_test_add (name, Fixture, &round_trips[i], fixture_setup, test_round_trip, fixture_teardown);
    }
#define ADD(path, fn, data) g_test_add ("/message-reader/" path, Fixture, data, fixture_setup, fn, fixture_teardown)
  ADD ("edge-texts", test_edge_texts, NULL);
  ADD ("unicode-domain", test_unicode_domain, NULL);
  ADD ("attached-message", test_attached_message, NULL);
  ADD ("sent-and-draft", test_sent_and_draft, NULL);
  ADD ("reseal", test_reseal, NULL);
  ADD ("no-secret-key", test_no_secret_key, NULL);
  ADD ("cancelled", test_cancelled, NULL);
  ADD ("not-messages", test_not_messages, NULL);
  ADD ("not-files", test_not_files, NULL);
  ADD ("foreign-structures", test_foreign_structures, NULL);
  ADD ("damaged-sealed", test_damaged_sealed, NULL);
  ADD ("truncated-and-mangled", test_truncated_and_mangled, NULL);
  ADD ("no-plaintext-file", test_no_plaintext_file, NULL);
  ADD ("large-attachment", test_large_attachment, NULL);
  ADD ("engine-killed", test_engine_stops, GINT_TO_POINTER (FALSE));
  ADD ("engine-stalled-cancel", test_engine_stops, GINT_TO_POINTER (TRUE));
#undef ADD
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  signet_test_remove_tree (tmpdir);
  return ret;
}
