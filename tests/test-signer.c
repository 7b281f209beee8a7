#include <glib/gstdio.h>
#include <string.h>

#include "signet-errors.h"
#include "signet-gmime.h"
#include "signet-test-util.h"

/* Sign, alone and with Seal, through the send operation as the composer
 * uses it, checked as a recipient would: gpg verifies what was delivered. */

static char *homedir;

typedef SignetTestServices Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  signet_test_services_init (f, homedir, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_test_services_clear (f);
}

static void
send_message (Fixture *f, SignetMessage *message, SignetTestOutcome *o)
{
  signet_send_operation_send_async (f->operation, message, NULL, signet_test_on_sent, o);
  signet_test_wait_until (signet_test_outcome_done, o);
}

static gboolean
outbox_done (gpointer data)
{
  Fixture *f = data;
  g_autoptr(GPtrArray) ids = signet_store_list_batches (f->store, SIGNET_FOLDER_OUTBOX, NULL);

  return (ids == NULL || ids->len == 0) && !signet_outbox_get_busy (f->outbox);
}

/* The one message delivered to @email's Inbox in the local store. */
static char *
delivered_to (Fixture *f, const char *email)
{
  g_autofree char *mailbox = signet_local_transport_get_mailbox_path (f->transport, email);
  g_autofree char *inbox = g_build_filename (mailbox, "Inbox", NULL);
  g_autoptr(GPtrArray) found = NULL;

  signet_test_wait_until (outbox_done, f);
  found = signet_test_maildir_find (inbox, "From:");
  g_assert_cmpuint (found->len, ==, 1);
  return g_strdup (g_ptr_array_index (found, 0));
}

static const char *
hash_name (const char *number)
{
  static const struct { const char *number, *name; } hashes[] = {
    { "2", "sha1" }, { "8", "sha256" }, { "9", "sha384" }, { "10", "sha512" }, { "11", "sha224" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (hashes); i++)
    if (strcmp (hashes[i].number, number) == 0)
      return hashes[i].name;
  return "unknown";
}

/* The VALIDSIG line of gpg's status output, split; fails unless the
 * signature is good and made by @fingerprint. */
static GStrv
assert_valid_signature (const char *status, const char *fingerprint)
{
  const char *line = strstr (status, "[GNUPG:] VALIDSIG ");
  g_autofree char *rest = NULL;

  g_assert_nonnull (strstr (status, "[GNUPG:] GOODSIG "));
  g_assert_null (strstr (status, "[GNUPG:] BADSIG "));
  g_assert_nonnull (line);
  rest = g_strndup (line + strlen ("[GNUPG:] VALIDSIG "), strcspn (line + strlen ("[GNUPG:] VALIDSIG "), "\n"));
  {
    GStrv fields = g_strsplit (rest, " ", -1);
    g_assert_cmpuint (g_strv_length (fields), >=, 10);
    g_assert_cmpstr (fields[0], ==, fingerprint);
    return fields;
  }
}

static char *
lf_to_crlf (const char *text, gsize length)
{
  GString *out = g_string_sized_new (length + length / 16);

  for (gsize i = 0; i < length; i++)
    {
      if (text[i] == '\n')
        g_string_append_c (out, '\r');
      g_string_append_c (out, text[i]);
    }
  return g_string_free (out, FALSE);
}

/* Verifies the multipart/signed message at @path as RFC 3156 says: the
 * signature over the exact bytes between the first two delimiters, in
 * canonical form. Returns gpg's status output; @micalg gets the header's. */
static char *
verify_signed_message (const char *path, char **micalg, gboolean tamper)
{
  g_autofree char *raw = signet_test_read_file (path);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (raw, strlen (raw));
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (stream);
  g_autoptr(GMimeMessage) message = g_mime_parser_construct_message (parser, NULL);
  GMimeObject *body = g_mime_message_get_mime_part (message);
  g_autofree char *type = g_mime_content_type_get_mime_type (g_mime_object_get_content_type (body));
  const char *boundary = g_mime_object_get_content_type_parameter (body, "boundary");
  g_autofree char *delimiter = g_strdup_printf ("\n--%s\n", boundary);
  g_autofree char *data_path = g_strconcat (path, ".data", NULL);
  g_autofree char *sig_path = g_strconcat (path, ".sig", NULL);
  g_autofree char *canonical = NULL;
  const char *start, *end, *sig_start, *sig_end;
  const char *args[] = { "--status-fd", "1", "--verify", sig_path, NULL };
  char *status;

  g_assert_cmpstr (type, ==, "multipart/signed");
  g_assert_cmpstr (g_mime_object_get_content_type_parameter (body, "protocol"), ==, "application/pgp-signature");
  *micalg = g_strdup (g_mime_object_get_content_type_parameter (body, "micalg"));
  start = strstr (raw, delimiter);
  g_assert_nonnull (start);
  start += strlen (delimiter);
  end = strstr (start, delimiter);
  g_assert_nonnull (end);
  sig_start = strstr (end + strlen (delimiter), "\n\n");
  g_assert_nonnull (sig_start);
  sig_start += 2;
  sig_end = strstr (sig_start, "-----END PGP SIGNATURE-----\n");
  g_assert_nonnull (sig_end);
  sig_end += strlen ("-----END PGP SIGNATURE-----\n");

  canonical = lf_to_crlf (start, end - start);
  if (tamper)
    canonical[strlen (canonical) / 2] ^= 1;
  g_assert_true (g_file_set_contents (data_path, canonical, -1, NULL));
  g_assert_true (g_file_set_contents (sig_path, sig_start, sig_end - sig_start, NULL));
  status = signet_test_gpg_output (homedir, args, data_path, FALSE);
  g_unlink (data_path);
  g_unlink (sig_path);
  return status;
}

static void
assert_signed_by_demo (Fixture *f, const char *path)
{
  g_autofree char *fingerprint = signet_test_fingerprint (f->directory, "demo@example.org");
  g_autofree char *micalg = NULL;
  g_autofree char *status = verify_signed_message (path, &micalg, FALSE);
  g_auto(GStrv) fields = assert_valid_signature (status, fingerprint);
  g_autofree char *expected = g_strconcat ("pgp-", hash_name (fields[7]), NULL);
  g_autofree char *tampered_micalg = NULL;
  g_autofree char *tampered = verify_signed_message (path, &tampered_micalg, TRUE);

  /* micalg names the hash the signature really uses. */
  g_assert_cmpstr (micalg, ==, expected);
  /* One bit changed in the signed part, and it no longer verifies. */
  g_assert_nonnull (strstr (tampered, "[GNUPG:] BADSIG "));
}

/* A body that transport likes to change: trailing spaces, a line that
 * starts with "From ", one that is a lone dot, a long line, non-ASCII. */
#define AWKWARD_BODY "From the top: the plan.   \n.\nnaïve café\t\n" \
  "A long line that goes on and on and on and on and on and on and on and on and on and on and on and on.\n" \
  "--\nSignet Demo\n"

static SignetMessage *
new_signed_message (gboolean seal, const char *to, const char *cc, const char *bcc)
{
  SignetMessage *message = signet_test_new_message (seal, to, cc, bcc);

  signet_message_set_body (message, AWKWARD_BODY);
  signet_message_set_sign (message, TRUE);
  return message;
}

static void
test_sign_only (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_signed_message (FALSE, "alice@example.org", NULL, NULL);
  g_autofree char *attachment_path = g_build_filename (f->dir, "figures.bin", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (attachment_path);
  g_autoptr(SignetAttachment) attachment = NULL;
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *raw = NULL;
  char bytes[4096];

  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = (char) (i * 7 + (i >> 3));
  g_assert_true (g_file_set_contents (attachment_path, bytes, sizeof bytes, NULL));
  attachment = signet_attachment_new (file, "figures.bin", "application/octet-stream", sizeof bytes);
  signet_message_add_attachment (message, attachment);

  send_message (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  path = delivered_to (f, "alice@example.org");
  raw = signet_test_read_file (path);
  /* Readable as it is, and signed. */
  g_assert_nonnull (strstr (raw, "Subject: Board minutes"));
  g_assert_nonnull (strstr (raw, "filename=figures.bin"));
  g_assert_null (strstr (raw, "BEGIN PGP MESSAGE"));
  /* Safe from transport: no line starts with "From " (a store would make
   * it ">From "), trailing white space is encoded. */
  g_assert_nonnull (strstr (raw, "\n=46rom the top: the plan.  =20\n"));
  g_assert_null (strstr (raw, "\nFrom "));
  assert_signed_by_demo (f, path);
}

/* The micalg follows the hash gpg was told to use. */
static void
test_micalg_follows_hash (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_signed_message (FALSE, "bob@example.org", NULL, NULL);
  g_autofree char *conf = g_build_filename (homedir, "gpg.conf", NULL);
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *micalg = NULL;
  g_autofree char *status = NULL;

  g_assert_true (g_file_set_contents (conf, "digest-algo SHA384\n", -1, NULL));
  send_message (f, message, &o);
  g_unlink (conf);
  g_assert_no_error (o.error);
  path = delivered_to (f, "bob@example.org");
  status = verify_signed_message (path, &micalg, FALSE);
  g_assert_nonnull (strstr (status, "[GNUPG:] GOODSIG "));
  g_assert_cmpstr (micalg, ==, "pgp-sha384");
  assert_signed_by_demo (f, path);
}

/* gpg decrypts @path and says the signature inside is the demo's. */
static void
assert_sealed_and_signed (Fixture *f, const char *path)
{
  g_autofree char *fingerprint = signet_test_fingerprint (f->directory, "demo@example.org");
  g_autofree char *cipher = signet_test_extract_ciphertext (path);
  g_autofree char *plain_path = g_strconcat (path, ".plain", NULL);
  const char *args[] = { "--status-fd", "1", "--output", plain_path, "--decrypt", NULL };
  g_autofree char *status = signet_test_gpg_output (homedir, args, cipher, TRUE);
  g_auto(GStrv) fields = assert_valid_signature (status, fingerprint);
  g_autofree char *plain = signet_test_read_file (plain_path);

  g_assert_nonnull (strstr (status, "[GNUPG:] DECRYPTION_OKAY"));
  /* The body as typed: UTF-8, as its label says. */
  g_assert_nonnull (strstr (plain, "charset=utf-8"));
  g_assert_nonnull (strstr (plain, "na=C3=AFve caf=C3=A9"));
  g_assert_nonnull (strstr (plain, "Subject: Board minutes"));
  g_unlink (cipher);
  g_unlink (plain_path);
}

static void
test_seal_and_sign (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_signed_message (TRUE, "alice@example.org", "bob@example.org",
                                                         "carol@example.org");
  g_auto(SignetTestOutcome) o = { 0 };
  const char *everyone[] = { "alice@example.org", "bob@example.org", "carol@example.org" };

  send_message (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_cmpuint (o.report->n_copies, ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (everyone); i++)
    {
      g_autofree char *path = delivered_to (f, everyone[i]);
      g_autofree char *clear = signet_test_read_clear_text (path);

      /* Sealed: nothing of the body outside the ciphertext. */
      g_assert_null (strstr (clear, "naïve"));
      g_assert_nonnull (strstr (clear, "multipart/encrypted"));
      assert_sealed_and_signed (f, path);
    }
}

/* Drafts are not signed, whatever Sign says. */
static void
test_draft_not_signed (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_signed_message (FALSE, "alice@example.org", NULL, NULL);
  g_autofree char *drafts = g_build_filename (f->mail, "Drafts", NULL);
  g_autoptr(GPtrArray) found = NULL;
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *raw = NULL;

  signet_send_operation_save_draft_async (f->operation, message, NULL, signet_test_on_draft, &o);
  signet_test_wait_until (signet_test_outcome_done, &o);
  g_assert_no_error (o.error);
  found = signet_test_maildir_find (drafts, "From:");
  g_assert_cmpuint (found->len, ==, 1);
  raw = signet_test_read_file (g_ptr_array_index (found, 0));
  g_assert_null (strstr (raw, "multipart/signed"));
  g_assert_null (strstr (raw, "PGP SIGNATURE"));
}

static void
assert_refused (Fixture *f, const char *from_email, gboolean seal, const char *expected_email)
{
  g_autoptr(SignetMessage) message = new_signed_message (seal, "alice@example.org", NULL, NULL);
  g_autoptr(SignetAddress) from = signet_address_new ("Someone", from_email);
  g_autofree char *local = g_build_filename (f->dir, "Local", NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  signet_message_set_from (message, from);
  send_message (f, message, &o);
  g_assert_false (o.ok);
  g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY);
  g_assert_nonnull (strstr (o.error->message, expected_email));
  g_assert_cmpuint (signet_test_count_files (f->mail), ==, 0);
  g_assert_cmpuint (signet_test_count_files (local), ==, 0);
}

/* No secret key for the sender: refused, saying for which address, and
 * nothing written. A key that can only sign is enough to sign. */
static void
test_no_secret_key (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_signed_message (FALSE, "alice@example.org", NULL, NULL);
  g_autoptr(SignetAddress) signer = signet_address_new ("Signer", "signer@example.org");
  g_auto(SignetTestOutcome) o = { 0 };

  assert_refused (f, "nobody@example.org", FALSE, "nobody@example.org");
  /* stranger@ has a public key here, but not its secret part. */
  assert_refused (f, "stranger@example.org", FALSE, "stranger@example.org");

  signet_message_set_from (message, signer);
  send_message (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
}

static void
test_pinentry_cancelled (void)
{
  char *home = signet_test_make_cancelling_gnupghome ();
  g_autoptr(SignetAddress) from = signet_address_new ("Pass", "pass@example.org");
  SignetTestServices s = { 0 };

  signet_test_services_init (&s, home, TRUE);
  for (int seal = 0; seal < 2; seal++)
    {
      g_autoptr(SignetMessage) message = new_signed_message (seal, "alice@example.org", NULL,
                                                             seal ? "alice@example.org" : NULL);
      g_autofree char *local = g_build_filename (s.dir, "Local", NULL);
      g_auto(SignetTestOutcome) o = { 0 };

      signet_message_set_from (message, from);
      signet_send_operation_send_async (s.operation, message, NULL, signet_test_on_sent, &o);
      signet_test_wait_until (signet_test_outcome_done, &o);
      g_assert_false (o.ok);
      g_assert_error (o.error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_SIGNING_CANCELLED);
      g_assert_nonnull (strstr (o.error->message, "cancelled"));
      /* Nothing in the Outbox, nor Sent, nor delivered. */
      g_assert_cmpuint (signet_test_count_files (s.mail), ==, 0);
      g_assert_cmpuint (signet_test_count_files (local), ==, 0);
    }
  signet_test_services_clear (&s);
  signet_test_remove_gnupghome (home);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  g_test_add ("/signer/sign-only", Fixture, NULL, fixture_setup, test_sign_only, fixture_teardown);
  g_test_add ("/signer/micalg-follows-hash", Fixture, NULL, fixture_setup, test_micalg_follows_hash, fixture_teardown);
  g_test_add ("/signer/seal-and-sign", Fixture, NULL, fixture_setup, test_seal_and_sign, fixture_teardown);
  g_test_add ("/signer/draft-not-signed", Fixture, NULL, fixture_setup, test_draft_not_signed, fixture_teardown);
  g_test_add ("/signer/no-secret-key", Fixture, NULL, fixture_setup, test_no_secret_key, fixture_teardown);
  g_test_add_func ("/signer/pinentry-cancelled", test_pinentry_cancelled);
  status = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return status;
}
