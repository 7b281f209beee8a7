/* What a careless user or an attacker does to the Outbox, local delivery,
 * addresses and attachment names; each test asserts what HACKING.md
 * promises. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-address.h"
#include "signet-attachment.h"
#include "signet-errors.h"
#include "signet-gmime.h"
#include "signet-local-transport.h"
#include "signet-mailto.h"
#include "signet-send-operation.h"
#include "signet-test-util.h"

static char *homedir;

typedef SignetTestServices Fixture;


static void
fixture_setup (Fixture *f, gconstpointer data)
{
  signet_test_services_init (f, homedir, TRUE);
  /* Fast retries, so a deferred batch does not hold a test up. */
  g_object_set (f->outbox, "retry-delay", 0, "max-attempts", 1, NULL);
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
  g_assert_no_error (o->error);
  g_assert_true (o->ok);
}

static guint
batches (Fixture *f, SignetFolder folder)
{
  g_autoptr(GPtrArray) ids = signet_store_list_batches (f->store, folder, NULL);
  return ids != NULL ? ids->len : 0;
}

static gboolean
outbox_idle_and_empty (gpointer data)
{
  Fixture *f = data;
  return batches (f, SIGNET_FOLDER_OUTBOX) == 0 && !signet_outbox_get_busy (f->outbox);
}

static char *
inbox_dir (Fixture *f, const char *email)
{
  g_autofree char *mailbox = signet_local_transport_get_mailbox_path (f->transport, email);
  return g_build_filename (mailbox, "Inbox", NULL);
}

static guint
inbox_count (Fixture *f, const char *email)
{
  g_autofree char *inbox = inbox_dir (f, email);
  return signet_test_count_files (inbox);
}

static char *
first_file (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name = d ? g_dir_read_name (d) : NULL;
  return name ? g_build_filename (dir, name, NULL) : NULL;
}

/* ------------------------------------------------------------------ */
/* Addresses                                                          */

/* A name whose decoded text itself looks like an encoded word would be
 * decoded a second time by the next reader (the recipient's client, the
 * composer's field when a mailto: link is loaded): it is refused with a
 * message, or else both joined forms give the same name back. */
static void
test_name_double_decoding (void)
{
  /* One decode gives the literal text "=?utf-8?q?evil=40attacker=2Eexample=2C?=" */
  const char *typed = "=?utf-8?q?=3D=3Futf-8=3Fq=3Fevil=3D40attacker=3D2Eexample=3D2C=3F=3D?= <bob@example.org>";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = signet_address_parse_list (typed, &error);
  g_autofree char *header = NULL, *display = NULL;
  g_autoptr(GPtrArray) from_header = NULL, from_display = NULL;
  const SignetAddress *a;

  if (first == NULL)
    {
      g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, "The name in "));
      return;
    }
  a = g_ptr_array_index (first, 0);
  g_assert_cmpstr (a->name, ==, "=?utf-8?q?evil=40attacker=2Eexample=2C?=");
  header = signet_address_join (first, TRUE);
  display = signet_address_join (first, FALSE);
  g_test_message ("header form: %s", header);
  g_test_message ("display form: %s", display);
  from_header = signet_address_parse_list (header, &error);
  g_assert_no_error (error);
  from_display = signet_address_parse_list (display, &error);
  g_assert_no_error (error);
  /* The same name back, never "evil@attacker.example,". */
  g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (from_header, 0))->name, ==, a->name);
  g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (from_display, 0))->name, ==, a->name);
}

/* A name with a double quote (legal: "a\"b" <bob@...>) is shown in the
 * field in a form that the same parser accepts, with the same name. */
static void
test_name_quote_display_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = signet_address_parse_list ("\"Bob \\\"The Boss\\\" Smith\" <bob@example.org>", &error);
  g_autofree char *display = NULL;
  g_autoptr(GPtrArray) again = NULL;

  g_assert_no_error (error);
  display = signet_address_join (first, FALSE);
  g_test_message ("display form: %s", display);
  again = signet_address_parse_list (display, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (again, 0))->name, ==,
                   ((SignetAddress *) g_ptr_array_index (first, 0))->name);
}

/* "émile@bücher.example" and "ÉMILE@xn--bcher-kva.example" are the same
 * address: one typed with its domain in punycode is accepted, and an IDN
 * address from a mailto: link or --to fills a field that Send accepts. */
static void
test_punycode_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) typed = signet_address_parse_list ("emile@xn--bcher-kva.example", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (typed->len, ==, 1);
}

static void
test_idn_display_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) message = signet_mailto_parse ("mailto:%C3%A9mile@b%C3%BCcher.example", &error);
  g_autoptr(GPtrArray) to = NULL;
  g_autofree char *field = NULL;
  g_autoptr(GPtrArray) again = NULL;

  g_assert_no_error (error);
  to = signet_message_dup_recipients (message, SIGNET_RECIPIENT_TO);
  field = signet_address_join (to, FALSE);   /* what the composer's To field shows */
  g_test_message ("To field: %s", field);
  again = signet_address_parse_list (field, &error);   /* what Send parses */
  g_assert_no_error (error);
  g_assert_true (signet_address_equal_email (((SignetAddress *) g_ptr_array_index (again, 0))->email,
                                             "émile@bücher.example"));
}

/* ------------------------------------------------------------------ */
/* Attachment names                                                   */

static const char *
find_attachment_name (GMimeObject *object)
{
  if (GMIME_IS_MULTIPART (object))
    {
      for (int i = 0; i < g_mime_multipart_get_count (GMIME_MULTIPART (object)); i++)
        {
          const char *n = find_attachment_name (g_mime_multipart_get_part (GMIME_MULTIPART (object), i));
          if (n != NULL)
            return n;
        }
      return NULL;
    }
  if (GMIME_IS_PART (object) && g_mime_part_is_attachment (GMIME_PART (object)))
    return g_mime_part_get_filename (GMIME_PART (object));
  return NULL;
}

/* An attachment whose file name is an encoded word reaches the recipient
 * as the name Signet shows, never decoded into a path separator or a line
 * break. */
static void
test_attachment_name_encoded_word (Fixture *f, gconstpointer data)
{
  const char *evil = "=?utf-8?q?=2E=2E=2F=2E=2E=2F=2Ebashrc=0Ax?=";
  g_autofree char *path = g_build_filename (f->dir, evil, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(SignetAttachment) attachment = NULL;
  g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *inbox = inbox_dir (f, "alice@example.org");
  g_autofree char *new_dir = g_build_filename (inbox, "new", NULL);
  g_autofree char *delivered = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeMessage) mime = NULL;
  const char *seen;

  g_assert_true (g_file_set_contents (path, "payload\n", -1, NULL));
  attachment = signet_attachment_new (file, NULL, NULL, 8);
  g_test_message ("name Signet keeps: %s", signet_attachment_get_name (attachment));
  signet_message_add_attachment (message, attachment);
  send_message (f, message, &o);
  signet_test_wait_until (outbox_idle_and_empty, f);
  delivered = first_file (new_dir);
  g_assert_nonnull (delivered);

  stream = g_mime_stream_fs_open (delivered, O_RDONLY, 0, NULL);
  parser = g_mime_parser_new_with_stream (stream);
  mime = g_mime_parser_construct_message (parser, NULL);
  seen = find_attachment_name (g_mime_message_get_mime_part (mime));
  g_test_message ("name the recipient's GMime sees: %s", seen);
  g_assert_nonnull (seen);
  g_assert_null (strchr (seen, '/'));
  g_assert_null (strchr (seen, '\n'));
  g_assert_cmpstr (seen, ==, signet_attachment_get_name (attachment));
}

/* ------------------------------------------------------------------ */
/* Local delivery                                                     */

/* '/' is atext: mail for a/b@example.org must not land in the mailbox of
 * a_b@example.org, a person who was never named. */
static void
test_mailbox_slash_collision (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "finance/payroll@example.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };

  send_message (f, message, &o);
  signet_test_wait_until (outbox_idle_and_empty, f);
  g_assert_cmpuint (inbox_count (f, "finance/payroll@example.org"), ==, 1);
  /* finance_payroll@ was not a recipient. */
  g_assert_cmpuint (inbox_count (f, "finance_payroll@example.org"), ==, 0);
}

/* A symbolic link planted for a recipient's mailbox in the Local root is
 * not followed: delivery never writes outside the mail tree. */
static void
test_local_mailbox_symlink (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *local = g_build_filename (f->dir, "Local", NULL);
  g_autofree char *outside = g_build_filename (f->dir, "outside", NULL);
  g_autofree char *mailbox = signet_local_transport_get_mailbox_path (f->transport, "alice@example.org");
  g_autofree char *outside_inbox = g_build_filename (outside, "Inbox", NULL);

  g_assert_cmpint (g_mkdir_with_parents (local, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (outside, 0700), ==, 0);
  g_assert_cmpint (symlink (outside, mailbox), ==, 0);
  send_message (f, message, &o);
  signet_test_wait_until (outbox_idle_and_empty, f);
  /* Refused: no link is followed. */
  g_assert_cmpuint (signet_test_count_files (outside_inbox), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Outbox                                                             */

typedef struct {
  GPtrArray *events;
} Events;

static void
on_outbox_sent (SignetOutbox *outbox, const char *id, Events *e)
{
  g_ptr_array_add (e->events, g_strdup_printf ("sent"));
}

static void
on_outbox_failed (SignetOutbox *outbox, const char *id, GStrv undelivered, const char *message, Events *e)
{
  g_autofree char *who = g_strjoinv (",", undelivered);
  g_ptr_array_add (e->events, g_strdup_printf ("failed [%s] %s", who, message));
}

static void
on_outbox_deferred (SignetOutbox *outbox, const char *id, GStrv undelivered, const char *message, Events *e)
{
  g_autofree char *who = g_strjoinv (",", undelivered);
  g_ptr_array_add (e->events, g_strdup_printf ("deferred [%s] %s", who, message));
}

static gboolean
has_event (gpointer data)
{
  return ((Events *) data)->events->len > 0;
}

/* Queues a sealed send (To alice, Bcc bob and carol: copies 001, 002, 003)
 * through an Outbox that is offline, so nothing is delivered until the
 * test flushes f->outbox itself. */
static char *
queue_sealed (Fixture *f, Events *e)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (FALSE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  g_autoptr(SignetOutbox) held = signet_outbox_new (network, f->store, SIGNET_TRANSPORT (f->transport));
  g_autoptr(SignetSendOperation) op = signet_send_operation_new (f->directory, f->store, held);
  g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, "bob@example.org, carol@example.org");
  g_auto(SignetTestOutcome) o = { 0 };

  signet_send_operation_send_async (op, message, NULL, signet_test_on_sent, &o);
  signet_test_wait_until (signet_test_outcome_done, &o);
  g_assert_no_error (o.error);
  g_assert_cmpuint (o.report->n_copies, ==, 3);
  while (g_main_context_iteration (NULL, FALSE) || signet_outbox_get_busy (held))
    ;
  g_signal_connect (f->outbox, "sent", G_CALLBACK (on_outbox_sent), e);
  g_signal_connect (f->outbox, "failed", G_CALLBACK (on_outbox_failed), e);
  g_signal_connect (f->outbox, "deferred", G_CALLBACK (on_outbox_deferred), e);
  return g_strdup (o.report->batch_id);
}

static void
flush_now (Fixture *f, Events *e)
{
  signet_outbox_flush_async (f->outbox, NULL, NULL, NULL);
  signet_test_wait_until (has_event, e);
  while (signet_outbox_get_busy (f->outbox))
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < e->events->len; i++)
    g_test_message ("outbox event: %s", (char *) g_ptr_array_index (e->events, i));
}

static int
open_batch_dir (Fixture *f, const char *batch)
{
  int fd = signet_store_open_batch (f->store, batch, NULL);
  g_assert_cmpint (fd, >=, 0);
  return fd;
}

/* One damaged copy (its envelope unreadable) does not stop the others:
 * the Bcc copies are delivered (or named as undelivered), and the damaged
 * send goes to .failed. */
static void
test_damaged_copy_abandons_others (Fixture *f, gconstpointer data)
{
  Events e = { g_ptr_array_new_with_free_func (g_free) };
  g_autofree char *batch = queue_sealed (f, &e);
  g_autofree char *rcpt_path = g_build_filename (f->mail, "Outbox", "new", batch, "001.rcpt", NULL);
  int dir = open_batch_dir (f, batch);

  g_assert_true (g_file_set_contents (rcpt_path,
                                      "not an address\n", -1, NULL));
  close (dir);
  flush_now (f, &e);
  g_assert_cmpuint (batches (f, SIGNET_FOLDER_OUTBOX_FAILED), ==, 1);
  /* The intact copies 002 and 003 delivered, or reported undelivered. */
  {
    const char *ev = g_ptr_array_index (e.events, 0);
    gboolean reported = strstr (ev, "bob@example.org") != NULL && strstr (ev, "carol@example.org") != NULL;
    gboolean delivered = inbox_count (f, "bob@example.org") == 1 && inbox_count (f, "carol@example.org") == 1;
    g_assert_true (reported || delivered);
  }
  g_ptr_array_unref (e.events);
}

/* Sent/cur is not a plain folder (a planted link; the same path is taken by
 * any store error after delivery, e.g. EIO/ENOSPC writing NNN.done): the
 * first copy reaches alice and cannot be filed in Sent; the Bcc copies are
 * still delivered, and the link is not followed. */
static void
test_sent_error_abandons_bcc (Fixture *f, gconstpointer data)
{
  Events e = { g_ptr_array_new_with_free_func (g_free) };
  g_autofree char *batch = queue_sealed (f, &e);
  g_autofree char *cur = g_build_filename (f->mail, "Sent", "cur", NULL);
  g_autofree char *elsewhere = g_build_filename (f->dir, "elsewhere", NULL);
  g_autofree char *sent = g_build_filename (f->mail, "Sent", NULL);

  g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0700), ==, 0);
  g_rmdir (cur);  /* Sent/cur may not exist yet */
  g_assert_cmpint (g_mkdir_with_parents (sent, 0700), ==, 0);
  g_assert_cmpint (symlink (elsewhere, cur), ==, 0);
  flush_now (f, &e);
  g_test_message ("alice %u, bob %u, carol %u copies", inbox_count (f, "alice@example.org"),
                  inbox_count (f, "bob@example.org"), inbox_count (f, "carol@example.org"));
  g_assert_cmpuint (signet_test_count_files (elsewhere), ==, 0);  /* the link is not followed: good */
  g_assert_cmpuint (inbox_count (f, "alice@example.org"), ==, 1);
  /* Bob and carol get their copies (the store problem is not theirs), or
   * are named as undelivered. */
  {
    const char *ev = g_ptr_array_index (e.events, 0);
    gboolean reported = strstr (ev, "bob@example.org") != NULL && strstr (ev, "carol@example.org") != NULL;
    gboolean delivered = inbox_count (f, "bob@example.org") == 1 && inbox_count (f, "carol@example.org") == 1;
    g_assert_true (reported || delivered);
  }
  g_ptr_array_unref (e.events);
}

/* A full disk is a passing condition: with the Outbox's file system full,
 * the copies are delivered (Local is elsewhere) but cannot be recorded, so
 * the send is deferred, naming nobody who has it; with space again it is
 * finished, and nobody gets a second copy. Needs root (tmpfs). */
static void
test_disk_full_abandons_bcc (Fixture *f, gconstpointer data)
{
  Events e = { g_ptr_array_new_with_free_func (g_free) };
  g_autofree char *batch = NULL;
  g_autofree char *filler = g_build_filename (f->mail, "filler", NULL);
  g_autofree char *mount_cmd = g_strdup_printf ("mount -t tmpfs -o size=2m tmpfs %s", f->mail);
  g_autofree char *umount_cmd = g_strdup_printf ("umount %s", f->mail);
  int status = -1, fd;
  char block[4096] = { 0 };

  if (geteuid () != 0)
    {
      g_test_skip ("needs root for a tmpfs");
      return;
    }
  g_object_set (f->outbox, "max-attempts", 5, "retry-delay", 3600, NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->mail, 0700), ==, 0);
  g_assert_true (g_spawn_command_line_sync (mount_cmd, NULL, NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  batch = queue_sealed (f, &e);
  fd = open (filler, O_WRONLY | O_CREAT, 0600);
  while (write (fd, block, sizeof block) > 0)
    ;
  close (fd);
  flush_now (f, &e);
  g_test_message ("alice %u, bob %u, carol %u copies", inbox_count (f, "alice@example.org"),
                  inbox_count (f, "bob@example.org"), inbox_count (f, "carol@example.org"));
  {
    const char *ev = g_ptr_array_index (e.events, 0);
    /* Retried once there is space, not given up; it names nobody who
     * already has the message. */
    g_assert_true (g_str_has_prefix (ev, "deferred ["));
    g_assert_null (strstr (ev, "alice"));
  }
  /* Space again: the next run finishes it, and nobody gets a second copy. */
  g_unlink (filler);
  g_ptr_array_set_size (e.events, 0);
  flush_now (f, &e);
  g_assert_cmpstr (g_ptr_array_index (e.events, 0), ==, "sent");
  g_assert_cmpuint (inbox_count (f, "alice@example.org"), ==, 1);
  g_assert_cmpuint (inbox_count (f, "bob@example.org"), ==, 1);
  g_assert_cmpuint (inbox_count (f, "carol@example.org"), ==, 1);
  {
    g_autofree char *sent_cur = g_build_filename (f->mail, "Sent", "cur", NULL);
    g_assert_cmpuint (signet_test_count_files (sent_cur), ==, 3);
  }
  g_spawn_command_line_sync (umount_cmd, NULL, NULL, NULL, NULL);
  g_ptr_array_unref (e.events);
}

/* Two Signet processes over one store (e.g. two sessions of the same user,
 * or a second instance without a session bus), flushing at once. Every
 * recipient must get exactly one copy and nothing may end in .failed. */
static void
test_two_outboxes (Fixture *f, gconstpointer data)
{
  SignetTestServices other = { 0 };
  Events e = { g_ptr_array_new_with_free_func (g_free) };
  const guint n = 20;
  guint failed_events = 0;

  signet_test_services_init_at (&other, homedir, f->dir, TRUE);
  g_object_set (other.outbox, "retry-delay", 0, "max-attempts", 1, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *b = queue_sealed (f, &e);
      g_signal_handlers_disconnect_matched (f->outbox, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, &e);
    }
  g_signal_connect (f->outbox, "failed", G_CALLBACK (on_outbox_failed), &e);
  g_signal_connect (other.outbox, "failed", G_CALLBACK (on_outbox_failed), &e);
  g_signal_connect (f->outbox, "sent", G_CALLBACK (on_outbox_sent), &e);
  g_signal_connect (other.outbox, "sent", G_CALLBACK (on_outbox_sent), &e);
  signet_outbox_flush_async (f->outbox, NULL, NULL, NULL);
  signet_outbox_flush_async (other.outbox, NULL, NULL, NULL);
  while (signet_outbox_get_busy (f->outbox) || signet_outbox_get_busy (other.outbox))
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < e.events->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (e.events, i), "failed"))
      {
        failed_events++;
        g_test_message ("%s", (char *) g_ptr_array_index (e.events, i));
      }
  g_test_message ("alice %u, bob %u, carol %u copies; %u in .failed; %u failed events",
                  inbox_count (f, "alice@example.org"), inbox_count (f, "bob@example.org"),
                  inbox_count (f, "carol@example.org"), batches (f, SIGNET_FOLDER_OUTBOX_FAILED), failed_events);
  g_assert_cmpuint (inbox_count (f, "alice@example.org"), ==, n);
  g_assert_cmpuint (inbox_count (f, "bob@example.org"), ==, n);
  g_assert_cmpuint (inbox_count (f, "carol@example.org"), ==, n);
  g_assert_cmpuint (batches (f, SIGNET_FOLDER_OUTBOX_FAILED), ==, 0);
  g_assert_cmpuint (failed_events, ==, 0);
  signet_test_services_clear (&other);
  g_ptr_array_unref (e.events);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
#define ADD(path, fn) g_test_add ("/robustness/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  g_test_add_func ("/robustness/address/name-double-decoding", test_name_double_decoding);
  g_test_add_func ("/robustness/address/name-quote-display-roundtrip", test_name_quote_display_roundtrip);
  g_test_add_func ("/robustness/address/punycode-refused", test_punycode_refused);
  g_test_add_func ("/robustness/address/idn-display-roundtrip", test_idn_display_roundtrip);
  ADD ("attachment/name-encoded-word", test_attachment_name_encoded_word);
  ADD ("local/mailbox-slash-collision", test_mailbox_slash_collision);
  ADD ("local/mailbox-symlink-followed", test_local_mailbox_symlink);
  ADD ("outbox/damaged-copy-abandons-others", test_damaged_copy_abandons_others);
  ADD ("outbox/sent-error-abandons-bcc", test_sent_error_abandons_bcc);
  ADD ("outbox/disk-full-abandons-bcc", test_disk_full_abandons_bcc);
  ADD ("outbox/two-outboxes", test_two_outboxes);
#undef ADD
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
