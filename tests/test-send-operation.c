#include <glib/gstdio.h>
#include <string.h>

#include "signet-errors.h"
#include "signet-local-transport.h"
#include "signet-send-operation.h"
#include "signet-test-util.h"

static char *homedir;

typedef SignetTestServices Fixture;

typedef struct {
  gboolean   done;
  gboolean   ok;
  gboolean   delivered;
  GPtrArray *key_results;
  GError    *error;
} Outcome;

static void
outcome_clear (Outcome *o)
{
  g_clear_pointer (&o->key_results, g_ptr_array_unref);
  g_clear_error (&o->error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Outcome, outcome_clear)

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

static SignetMessage *
new_message (gboolean seal, const char *to, const char *cc, const char *bcc)
{
  SignetMessage *message = signet_message_new ();
  g_autoptr(SignetAddress) from = signet_address_new ("Signet Demo", "demo@example.org");
  struct { const char *text; void (*add) (SignetMessage *, const SignetAddress *); } fields[] = {
    { to, signet_message_add_to }, { cc, signet_message_add_cc }, { bcc, signet_message_add_bcc },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autoptr(GPtrArray) list = NULL;
      if (fields[i].text == NULL)
        continue;
      list = signet_address_parse_list (fields[i].text, NULL);
      for (guint j = 0; j < list->len; j++)
        fields[i].add (message, g_ptr_array_index (list, j));
    }
  signet_message_set_from (message, from);
  signet_message_set_subject (message, "Board minutes");
  signet_message_set_body (message, "Confidential: the merger is on.\n");
  signet_message_set_seal (message, seal);
  return message;
}

static void
on_sent (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  g_autoptr(SignetSendReport) report = NULL;

  o->ok = signet_send_operation_send_finish (SIGNET_SEND_OPERATION (object), result,
                                             &report, &o->key_results, &o->error);
  o->delivered = report != NULL && report->delivered;
  o->done = TRUE;
}

static void
on_draft (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  o->ok = signet_send_operation_save_draft_finish (SIGNET_SEND_OPERATION (object), result, NULL, &o->error);
  o->done = TRUE;
}

static void
on_checked (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  o->key_results = signet_send_operation_check_names_finish (SIGNET_SEND_OPERATION (object), result, &o->error);
  o->ok = o->key_results != NULL;
  o->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Outcome *) data)->done;
}

static void
send_message (Fixture *f, SignetMessage *message, Outcome *o)
{
  signet_send_operation_send_async (f->operation, message, NULL, on_sent, o);
  signet_test_wait_until (is_done, o);
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
  g_autoptr(SignetMessage) message = new_message (TRUE, "Alice Demo <alice@example.org>", "bob@example.org", "carol@example.org");
  g_auto(Outcome) o = { 0 };
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autofree char *carol = NULL;
  g_autofree char *alice_raw = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *carol_plain = NULL;
  const char *main_keys[] = { "alice@example.org", "bob@example.org", "demo@example.org", NULL };
  const char *bcc_keys[] = { "carol@example.org", "demo@example.org", NULL };

  send_message (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_true (o.delivered);
  g_assert_cmpuint (count (f, "Outbox"), ==, 0);
  g_assert_cmpuint (count (f, "Sent"), ==, 2);

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
  assert_keyids (carol, bcc_keys);

  plain = signet_test_decrypt_message (homedir, alice);
  g_assert_nonnull (strstr (plain, "Confidential: the merger is on."));
  g_assert_null (strstr (plain, "carol"));
  carol_plain = signet_test_decrypt_message (homedir, carol);
  g_assert_nonnull (strstr (carol_plain, "Confidential: the merger is on."));
}

static void
test_sealed_offline (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message (TRUE, "alice@example.org", NULL, NULL);
  g_auto(Outcome) o = { 0 };

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
  g_autoptr(SignetMessage) message = new_message (TRUE, "alice@example.org", NULL, NULL);
  g_auto(Outcome) o = { 0 };

  signet_network_set_work_offline (f->network, TRUE);
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
  assert_nothing_written (f);
}

static void
test_bad_recipients (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message (TRUE, "alice@example.org, erin@example.org",
                                                  "nobody@example.org", "rex@example.org");
  g_auto(Outcome) o = { 0 };

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
  g_autoptr(SignetMessage) message = new_message (TRUE, "alice@example.org", NULL, NULL);
  g_autoptr(SignetAddress) from = signet_address_new (NULL, "keyless@example.org");
  g_auto(Outcome) o = { 0 };

  signet_message_set_from (message, from);
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS);
  g_assert_cmpint (signet_key_results_lookup (o.key_results, "keyless@example.org")->status, ==, SIGNET_KEY_STATUS_MISSING);
  assert_nothing_written (f);
}

/* A seal that fails half-way (unreadable attachment) leaves no file behind,
 * not even in tmp/. */
static void
test_failed_seal_leaves_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message (TRUE, "alice@example.org", NULL, "carol@example.org");
  g_autofree char *missing = g_build_filename (f->dir, "vanished.odt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (missing);
  g_autoptr(SignetAttachment) attachment = signet_attachment_new (file, NULL, NULL, 1);
  g_auto(Outcome) o = { 0 };

  signet_message_add_attachment (message, attachment);
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT);
  assert_nothing_written (f);
}

/* Unsealed mail written offline waits in Outbox and leaves by itself when the
 * network comes back. */
static gboolean
sent_one (gpointer data)
{
  return count (data, "Sent") == 1;
}

static gboolean
queue_empty (gpointer outbox)
{
  return signet_outbox_get_n_queued (outbox) == 0;
}

static void
test_clear_offline_then_online (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message (FALSE, "alice@example.org", NULL, "carol@example.org");
  g_auto(Outcome) o = { 0 };
  g_autofree char *alice = NULL;
  g_autofree char *carol = NULL;
  g_autofree char *raw = NULL;

  signet_test_monitor_set_available (f->monitor, FALSE);
  send_message (f, message, &o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_false (o.delivered);
  g_assert_cmpuint (count (f, "Outbox"), ==, 1);
  g_assert_cmpuint (count (f, "Sent"), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_queued (f->outbox), ==, 1);

  signet_test_monitor_set_available (f->monitor, TRUE);
  signet_test_wait_until (sent_one, f);
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
  g_autoptr(SignetMessage) message = new_message (FALSE, "alice@example.org", NULL, NULL);
  g_auto(Outcome) o = { 0 };

  signet_message_set_subject (message, "Hello\r\nBcc: eve@example.org");
  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_INVALID_HEADER);
  assert_nothing_written (f);
}

static void
test_no_recipients (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message (TRUE, NULL, NULL, NULL);
  g_auto(Outcome) o = { 0 };

  send_message (f, message, &o);
  g_assert_error (o.error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_NO_RECIPIENTS);
  assert_nothing_written (f);
}

static void
test_store_unwritable (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = new_message (TRUE, "alice@example.org", NULL, NULL);
  g_auto(Outcome) o = { 0 };

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
  g_autoptr(SignetMessage) message = new_message (TRUE, "alice@example.org", NULL, "carol@example.org");
  g_autofree char *drafts = folder (f, "Drafts");
  g_autofree char *draft = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *plain = NULL;
  const char *own_key[] = { "demo@example.org", NULL };
  g_auto(Outcome) o = { 0 };

  signet_test_monitor_set_available (f->monitor, FALSE);
  signet_send_operation_save_draft_async (f->operation, message, NULL, on_draft, &o);
  signet_test_wait_until (is_done, &o);
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
  g_autoptr(SignetMessage) message = new_message (TRUE, "alice@example.org", "dup@example.org", NULL);
  g_auto(Outcome) online = { 0 };
  g_auto(Outcome) offline = { 0 };

  signet_send_operation_check_names_async (f->operation, message, NULL, on_checked, &online);
  signet_test_wait_until (is_done, &online);
  g_assert_no_error (online.error);
  g_assert_cmpuint (online.key_results->len, ==, 2);
  g_assert_cmpint (signet_key_results_lookup (online.key_results, "dup@example.org")->status, ==, SIGNET_KEY_STATUS_AMBIGUOUS);

  signet_test_monitor_set_available (f->monitor, FALSE);
  signet_send_operation_check_names_async (f->operation, message, NULL, on_checked, &offline);
  signet_test_wait_until (is_done, &offline);
  g_assert_error (offline.error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE);
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
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
#undef ADD
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
