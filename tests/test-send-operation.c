#include <glib/gstdio.h>
#include <string.h>

#include "signet-errors.h"
#include "signet-local-transport.h"
#include "signet-send-operation.h"
#include "signet-test-util.h"

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

static char *
folder (Fixture *f, const char *name)
{
  return g_build_filename (f->mail, name, NULL);
}

static guint
count (Fixture *f, const char *name)
{
  g_autofree char *path = folder (f, name);
  return signet_test_count_files (path);
}

static char *
only_message (const char *dir)
{
  g_autofree char *new_dir = g_build_filename (dir, "new", NULL);
  g_autofree char *cur_dir = g_build_filename (dir, "cur", NULL);
  const char *dirs[] = { new_dir, cur_dir };
  char *found = NULL;

  g_assert_cmpuint (signet_test_count_files (dir), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autoptr(GDir) d = g_dir_open (dirs[i], 0, NULL);
      const char *name = d ? g_dir_read_name (d) : NULL;
      if (name != NULL)
        found = g_build_filename (dirs[i], name, NULL);
    }
  g_assert_nonnull (found);
  return found;
}

static char *
inbox_message (Fixture *f, const char *email)
{
  g_autofree char *mailbox = signet_local_transport_get_mailbox_path (f->transport, email);
  g_autofree char *inbox = g_build_filename (mailbox, "Inbox", NULL);
  return only_message (inbox);
}


static void
on_checked (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignetTestOutcome *o = user_data;

  o->key_results = signet_send_operation_check_names_finish (SIGNET_SEND_OPERATION (object), result, &o->error);
  o->ok = o->key_results != NULL;
  o->done = TRUE;
}

static void
send_message (Fixture *f, SignetMessage *message, SignetTestOutcome *o)
{
  signet_send_operation_send_async (f->operation, message, NULL, signet_test_on_sent, o);
  signet_test_wait_until (signet_test_outcome_done, o);
}

static guint
queued (Fixture *f)
{
  g_autoptr(GPtrArray) ids = signet_store_list_batches (f->store, SIGNET_FOLDER_OUTBOX, NULL);
  return ids != NULL ? ids->len : 0;
}

typedef struct {
  Fixture *f;
  guint    n_sent;
} SentCount;

static gboolean
sent_reached (gpointer data)
{
  SentCount *c = data;
  return count (c->f, "Sent") >= c->n_sent && queued (c->f) == 0 && !signet_outbox_get_busy (c->f->outbox);
}

/* Waits until the Outbox has delivered and Sent holds @n copies. */
static void
wait_delivered (Fixture *f, guint n)
{
  SentCount c = { f, n };

  signet_test_wait_until (sent_reached, &c);
  g_assert_cmpuint (count (f, "Sent"), ==, n);
}

static void
assert_nothing_written (Fixture *f)
{
  g_autofree char *local = g_build_filename (f->dir, "Local", NULL);

  g_assert_cmpuint (signet_test_count_files (f->mail), ==, 0);
  g_assert_cmpuint (signet_test_count_files (local), ==, 0);
}

static void
assert_keyids (const char *path, const char *const *emails)
{
  g_auto(GStrv) ids = signet_test_packet_keyids (homedir, path);
  g_auto(GStrv) expected = signet_test_key_ids (homedir, emails);

  g_assert_cmpstrv (ids, expected);
}

/* Sealed, online: To/Cc get one copy sealed to them and the sender; each Bcc
 * recipient gets a copy of their own. No Bcc address or key ID reaches To/Cc. */
static void
test_sealed_with_bcc (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "Alice Demo <alice@example.org>", "bob@example.org", "carol@example.org");
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autofree char *carol = NULL;
  g_autofree char *alice_raw = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *carol_plain = NULL;
  const char *main_keys[] = { "alice@example.org", "bob@example.org", "demo@example.org", NULL };
  g_autofree char *demo_keyid = signet_test_key_id (homedir, "demo@example.org");

  send_message (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_true (o.report->sealed);
  g_assert_cmpuint (o.report->n_copies, ==, 2);
  g_assert_cmpuint (o.report->n_recipients, ==, 3);
  g_assert_cmpuint (strlen (o.report->own_fingerprint), ==, 40);
  g_assert_nonnull (o.report->batch_id);
  wait_delivered (f, 2);
  g_assert_cmpuint (count (f, "Outbox"), ==, 0);

  alice = inbox_message (f, "alice@example.org");
  bob = inbox_message (f, "bob@example.org");
  carol = inbox_message (f, "carol@example.org");
  alice_raw = signet_test_read_file (alice);
  /* "Bcc:" cannot occur by chance in armored ciphertext (no ':' in base64). */
  g_assert_null (strstr (alice_raw, "carol"));
  g_assert_null (strstr (alice_raw, "Bcc:"));
  g_assert_null (strstr (alice_raw, "X-Signet-Envelope-To"));
  g_assert_null (strstr (alice_raw, "merger"));
  assert_keyids (alice, main_keys);
  /* The Bcc copy hides its recipient's key ID too. */
  {
    g_auto(GStrv) ids = signet_test_packet_keyids (homedir, carol);
    g_assert_cmpuint (g_strv_length (ids), ==, 2);
    g_assert_true (g_strv_contains ((const char * const *) ids, "0000000000000000"));
    g_assert_true (g_strv_contains ((const char * const *) ids, demo_keyid));
  }

  plain = signet_test_decrypt_message (homedir, alice);
  g_assert_nonnull (strstr (plain, "Confidential: the merger is on."));
  g_assert_null (strstr (plain, "carol"));
  carol_plain = signet_test_decrypt_message (homedir, carol);
  g_assert_nonnull (strstr (carol_plain, "Confidential: the merger is on."));
}

static void
test_sealed_offline (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  signet_test_monitor_set_available (f->monitor, FALSE);
  send_message (f, message, &o);
  g_assert_false (o.ok);
  g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
  g_assert_cmpstr (o.error->message, ==, "The client operation failed. The recipients could not be validated.");
  g_assert_null (o.key_results);
  assert_nothing_written (f);
}

static void
test_sealed_work_offline (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  signet_network_set_work_offline (f->network, TRUE);
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
  assert_nothing_written (f);
}

static void
test_bad_recipients (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org, erin@example.org",
                                                  "nobody@example.org", "rex@example.org");
  g_auto(SignetTestOutcome) o = { 0 };

  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS);
  g_assert_nonnull (o.key_results);
  g_assert_cmpint (signet_key_results_lookup (o.key_results, "alice@example.org")->status, ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpint (signet_key_results_lookup (o.key_results, "erin@example.org")->status, ==, SIGNET_KEY_STATUS_EXPIRED);
  g_assert_cmpint (signet_key_results_lookup (o.key_results, "nobody@example.org")->status, ==, SIGNET_KEY_STATUS_MISSING);
  g_assert_cmpint (signet_key_results_lookup (o.key_results, "rex@example.org")->status, ==, SIGNET_KEY_STATUS_REVOKED);
  assert_nothing_written (f);
}

/* The sender needs a key too: the message is also sealed to them. */
static void
test_sender_without_key (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
  g_autoptr(SignetAddress) from = signet_address_new (NULL, "keyless@example.org");
  g_auto(SignetTestOutcome) o = { 0 };

  signet_message_set_from (message, from);
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY);
  g_assert_true (g_str_has_prefix (o.error->message, "You have no key of your own for keyless@example.org"));
  assert_nothing_written (f);
}

/* A seal that fails half-way (unreadable attachment) leaves no file behind,
 * not even in tmp/. */
static void
test_failed_seal_leaves_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, "carol@example.org");
  g_autofree char *missing = g_build_filename (f->dir, "vanished.odt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (missing);
  g_autoptr(SignetAttachment) attachment = signet_attachment_new (file, NULL, NULL, 1);
  g_auto(SignetTestOutcome) o = { 0 };

  signet_message_add_attachment (message, attachment);
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT);
  assert_nothing_written (f);
}

/* Unsealed mail written offline waits in Outbox and leaves by itself when the
 * network comes back. */
static gboolean
queue_empty (gpointer outbox)
{
  return signet_outbox_get_n_queued (outbox) == 0;
}

static gboolean
queue_has_one (gpointer outbox)
{
  return signet_outbox_get_n_queued (outbox) == 1;
}

static void
test_clear_offline_then_online (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, "carol@example.org");
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *alice = NULL;
  g_autofree char *carol = NULL;
  g_autofree char *raw = NULL;

  signet_test_monitor_set_available (f->monitor, FALSE);
  send_message (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_false (o.report->sealed);
  g_assert_cmpuint (o.report->n_copies, ==, 1);
  g_assert_cmpuint (queued (f), ==, 1);
  g_assert_cmpuint (count (f, "Sent"), ==, 0);
  /* The send asked the Outbox to run; offline, it only counts. */
  signet_test_wait_until (queue_has_one, f->outbox);

  signet_test_monitor_set_available (f->monitor, TRUE);
  wait_delivered (f, 1);
  g_assert_cmpuint (count (f, "Outbox"), ==, 0);
  signet_test_wait_until (queue_empty, f->outbox);
  alice = inbox_message (f, "alice@example.org");
  carol = inbox_message (f, "carol@example.org");
  raw = signet_test_read_file (alice);
  g_assert_nonnull (strstr (raw, "Confidential: the merger is on."));
  g_assert_null (strstr (raw, "carol"));
}

static void
test_header_injection (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  signet_message_set_subject (message, "Hello\r\nBcc: eve@example.org");
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_INVALID_HEADER);
  assert_nothing_written (f);
}

static void
test_no_recipients (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, NULL, NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_NO_RECIPIENTS);
  assert_nothing_written (f);
}

static void
test_store_unwritable (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  g_assert_true (g_file_set_contents (f->mail, "", 0, NULL));
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED);
  g_unlink (f->mail);
  assert_nothing_written (f);
}

/* A sealed draft is sealed to the sender's own key, offline too. */
static void
test_sealed_draft_offline (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, "carol@example.org");
  g_autofree char *drafts = folder (f, "Drafts");
  g_autofree char *draft = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *plain = NULL;
  const char *own_key[] = { "demo@example.org", NULL };
  g_auto(SignetTestOutcome) o = { 0 };

  signet_test_monitor_set_available (f->monitor, FALSE);
  signet_send_operation_save_draft_async (f->operation, message, NULL, signet_test_on_draft, &o);
  signet_test_wait_until (signet_test_outcome_done, &o);
  g_assert_no_error (o.error);
  draft = only_message (drafts);
  raw = signet_test_read_file (draft);
  g_assert_null (strstr (raw, "merger"));
  assert_keyids (draft, own_key);
  plain = signet_test_decrypt_message (homedir, draft);
  g_assert_nonnull (strstr (plain, "Confidential: the merger is on."));
  g_assert_cmpuint (count (f, "Outbox"), ==, 0);
  g_assert_cmpuint (count (f, "Sent"), ==, 0);
}

static void
test_check_names (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", "dup@example.org", NULL);
  g_auto(SignetTestOutcome) online = { 0 };
  g_auto(SignetTestOutcome) offline = { 0 };

  signet_send_operation_check_names_async (f->operation, message, NULL, on_checked, &online);
  signet_test_wait_until (signet_test_outcome_done, &online);
  g_assert_no_error (online.error);
  g_assert_cmpuint (online.key_results->len, ==, 2);
  g_assert_cmpint (signet_key_results_lookup (online.key_results, "dup@example.org")->status, ==, SIGNET_KEY_STATUS_AMBIGUOUS);

  signet_test_monitor_set_available (f->monitor, FALSE);
  signet_send_operation_check_names_async (f->operation, message, NULL, on_checked, &offline);
  signet_test_wait_until (signet_test_outcome_done, &offline);
  g_assert_error (offline.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
}


static void
save_draft (Fixture *f, SignetMessage *message, SignetTestOutcome *o)
{
  signet_send_operation_save_draft_async (f->operation, message, NULL, signet_test_on_draft, o);
  signet_test_wait_until (signet_test_outcome_done, o);
}

/* A key for the From address whose secret part is not in the keyring is
 * not one's own: nothing is sealed to it, nothing is written. */
static void
test_own_key_public_only (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetAddress) from = signet_address_new ("Stranger", "stranger@example.org");

  for (guint draft = 0; draft < 2; draft++)
    {
      g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
      g_auto(SignetTestOutcome) o = { 0 };

      signet_message_set_from (message, from);
      if (draft)
        save_draft (f, message, &o);
      else
        send_message (f, message, &o);
      g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY);
      g_assert_true (g_str_has_prefix (o.error->message, "You have no key of your own for stranger@example.org"));
      assert_nothing_written (f);
    }
}

static char *
newest_fingerprint (const char *home, const char *email)
{
  const char *args[] = { "--with-colons", "--list-secret-keys", NULL };
  g_autofree char *listing = signet_test_gpg_output (home, args, email, TRUE);
  g_auto(GStrv) lines = g_strsplit (listing, "\n", -1);
  char *last = NULL;
  gboolean primary = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ":", -1);
      if (g_strcmp0 (fields[0], "sec") == 0)
        primary = TRUE;
      else if (g_strcmp0 (fields[0], "fpr") == 0 && primary)
        {
          g_free (last);
          last = g_strdup (fields[9]);
          primary = FALSE;
        }
    }
  return last;
}

/* After a key rotation there are two own keys: the newest usable one is
 * chosen, unless another is chosen in Preferences (own-key). */
static void
test_own_key_rotation (void)
{
  g_autofree char *home = signet_test_make_gnupghome ();
  g_autofree char *old_fpr = newest_fingerprint (home, "demo@example.org");
  g_autofree char *new_fpr = NULL;
  SignetTestServices f = { 0 };
  const char *gen[] = { "gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
                        "--quick-gen-key", "Signet Demo <demo@example.org>", "future-default", "default", "never", NULL };
  int status;

  /* Key creation times have a resolution of one second. */
  g_usleep (1100 * 1000);
  g_assert_true (g_spawn_sync (NULL, (char **) gen, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  new_fpr = newest_fingerprint (home, "demo@example.org");
  g_assert_cmpstr (new_fpr, !=, old_fpr);

  signet_test_services_init (&f, home, TRUE);
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
      g_autoptr(GPtrArray) drafts = NULL;
      g_auto(SignetTestOutcome) o = { 0 };
      const char *expected = round == 0 ? new_fpr : old_fpr;

      if (round == 1)
        g_object_set (f.operation, "own-key", old_fpr, NULL);
      save_draft (&f, message, &o);
      g_assert_no_error (o.error);
      g_assert_cmpstr (o.report->own_fingerprint, ==, expected);
      drafts = signet_store_list (f.store, SIGNET_FOLDER_DRAFTS, NULL);
      g_assert_cmpuint (drafts->len, ==, 1);
      {
        g_auto(GStrv) ids = signet_test_packet_keyids (home, g_ptr_array_index (drafts, 0));
        g_autofree char *listing = NULL;
        const char *args[] = { "--with-colons", "--list-keys", NULL };
        g_assert_cmpuint (g_strv_length (ids), ==, 1);
        listing = signet_test_gpg_output (home, args, expected, TRUE);
        /* The draft's one key ID is a subkey of the expected own key. */
        g_assert_nonnull (strstr (listing, ids[0]));
      }
      g_unlink (g_ptr_array_index (drafts, 0));
    }
  signet_test_services_clear (&f);
  signet_test_remove_gnupghome (g_steal_pointer (&home));
}

/* One address is one address in whatever case or Unicode form it is typed:
 * it matches its key's user ID, and To plus Bcc of the same person is one
 * copy (this crashed the send thread once). */
static void
test_normalised_recipients (Fixture *f, gconstpointer data)
{
  /* NFD "é" (e + U+0301) in Bcc, NFC "É" upper case in To. */
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "\xc3\x89mile <\xc3\x89MILE@Example.ORG>, zoe.upper@example.org",
                                                  "ALICE@EXAMPLE.ORG",
                                                  "e\xcc\x81mile@example.org, Alice@Example.Org, carol@example.org");
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *emile = NULL;
  g_autofree char *emile_plain = NULL;

  send_message (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_cmpuint (o.report->n_recipients, ==, 4);
  g_assert_cmpuint (o.report->n_copies, ==, 2);
  wait_delivered (f, 2);
  emile = inbox_message (f, "\xc3\xa9mile@example.org");
  emile_plain = signet_test_decrypt_message (homedir, emile);
  g_assert_nonnull (strstr (emile_plain, "merger"));
  g_free (inbox_message (f, "alice@example.org"));
  g_free (inbox_message (f, "carol@example.org"));
  g_free (inbox_message (f, "Zoe.Upper@Example.ORG"));
}

/* Check Names matches keys the same way. */
static void
test_check_names_normalised (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "E\xcc\x81MILE@EXAMPLE.ORG, Zoe.Upper@EXAMPLE.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  signet_send_operation_check_names_async (f->operation, message, NULL, on_checked, &o);
  signet_test_wait_until (signet_test_outcome_done, &o);
  g_assert_no_error (o.error);
  g_assert_cmpuint (o.key_results->len, ==, 2);
  g_assert_true (signet_key_results_all_ok (o.key_results));
  g_assert_nonnull (signet_key_results_lookup (o.key_results, "\xc3\xa9mile@example.org"));
}

/* Check Names with nobody to check says so. */
static void
test_check_names_empty (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, NULL, NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  signet_send_operation_check_names_async (f->operation, message, NULL, on_checked, &o);
  signet_test_wait_until (signet_test_outcome_done, &o);
  g_assert_error (o.error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_NO_RECIPIENTS);
  g_assert_cmpstr (o.error->message, ==, "Add at least one recipient to check.");
}

/* Nothing of a sealed draft but the sender is readable without the key:
 * not To, Cc, Bcc, nor the subject. */
static void
test_sealed_draft_metadata (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "Alice Demo <alice@example.org>", "bob@example.org",
                                                  "Carol Hidden <carol@example.org>");
  g_auto(SignetTestOutcome) o = { 0 };
  g_autoptr(GPtrArray) drafts = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *plain = NULL;
  const char *secrets[] = { "alice", "Alice", "bob", "carol", "Carol", "Board", "minutes", "Bcc", NULL };

  save_draft (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_true (o.report->sealed);
  drafts = signet_store_list (f->store, SIGNET_FOLDER_DRAFTS, NULL);
  g_assert_cmpuint (drafts->len, ==, 1);
  raw = signet_test_read_clear_text (g_ptr_array_index (drafts, 0));
  g_assert_nonnull (strstr (raw, "multipart/encrypted"));
  for (guint i = 0; secrets[i] != NULL; i++)
    g_assert_null (strstr (raw, secrets[i]));
  plain = signet_test_decrypt_message (homedir, g_ptr_array_index (drafts, 0));
  g_assert_nonnull (strstr (plain, "Bcc: Carol Hidden <carol@example.org>"));
  g_assert_nonnull (strstr (plain, "Subject: Board minutes"));
  g_assert_nonnull (strstr (plain, "Cc: bob@example.org"));
}

/* Nothing about a Bcc recipient is in the files a To/Cc copy lives in, in
 * the Outbox or in Sent. */
static void
test_bcc_absent_from_main_copy (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, "carol@example.org");
  g_autofree char *outbox_new = g_build_filename (f->mail, "Outbox", "new", NULL);
  g_auto(SignetTestOutcome) o = { 0 };
  g_autoptr(GPtrArray) sent = NULL;
  guint with_alice = 0;

  signet_test_monitor_set_available (f->monitor, TRUE);
  signet_network_set_work_offline (f->network, FALSE);
  send_message (f, message, &o);
  g_assert_no_error (o.error);
  wait_delivered (f, 2);
  sent = signet_store_list (f->store, SIGNET_FOLDER_SENT, NULL);
  for (guint i = 0; i < sent->len; i++)
    {
      g_autofree char *raw = signet_test_read_file (g_ptr_array_index (sent, i));
      if (strstr (raw, "alice@example.org") != NULL)
        with_alice++;
      g_assert_null (strstr (raw, "carol"));
      g_assert_null (strstr (raw, "Board minutes"));
    }
  /* Both copies show To: alice (the Bcc recipient sees whom it was to). */
  g_assert_cmpuint (with_alice, ==, 2);
  g_assert_cmpuint (signet_test_count_files (outbox_new), ==, 0);
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  signet_test_add_key (homedir, "\xc3\x89mile <\xc3\xa9mile@example.org>");
  signet_test_add_key (homedir, "Zo\xc3\xab <Zoe.Upper@Example.ORG>");
#define ADD(path, fn) g_test_add ("/send-operation/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("sealed-with-bcc", test_sealed_with_bcc);
  ADD ("sealed-offline", test_sealed_offline);
  ADD ("sealed-work-offline", test_sealed_work_offline);
  ADD ("bad-recipients", test_bad_recipients);
  ADD ("sender-without-key", test_sender_without_key);
  ADD ("failed-seal-leaves-nothing", test_failed_seal_leaves_nothing);
  ADD ("clear-offline-then-online", test_clear_offline_then_online);
  ADD ("header-injection", test_header_injection);
  ADD ("no-recipients", test_no_recipients);
  ADD ("store-unwritable", test_store_unwritable);
  ADD ("sealed-draft-offline", test_sealed_draft_offline);
  ADD ("check-names", test_check_names);
  ADD ("own-key-public-only", test_own_key_public_only);
  ADD ("normalised-recipients", test_normalised_recipients);
  ADD ("check-names-normalised", test_check_names_normalised);
  ADD ("check-names-empty", test_check_names_empty);
  ADD ("sealed-draft-metadata", test_sealed_draft_metadata);
  ADD ("bcc-absent-from-main-copy", test_bcc_absent_from_main_copy);
  g_test_add_func ("/send-operation/own-key-rotation", test_own_key_rotation);
#undef ADD
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
