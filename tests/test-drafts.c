#define _GNU_SOURCE
/* Drafts that save themselves: one file per composer however often it is
 * saved, sealed ones giving nothing away on disk, the list (sealed ones
 * decrypted), reopening with every field, and the offer after a crash. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-drafts.h"
#include "signet-errors.h"
#include "signet-test-util.h"

static char *homedir;

#define SUBJECT "Quarterly merger plan"
#define BODY "The merger closes on Friday; tell nobody.\n"
#define ATTACHMENT_NAME "acquisition-terms.txt"
#define ATTACHMENT_TEXT "Price: 42 million, paid in March.\n"

typedef struct {
  SignetTestServices s;
  char               *session;
  char               *drafts_dir;
  SignetDrafts       *drafts;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  signet_test_services_init (&f->s, homedir, TRUE);
  f->session = g_build_filename (f->s.dir, "session.gvariant", NULL);
  f->drafts_dir = g_build_filename (f->s.mail, "Drafts", NULL);
  f->drafts = signet_drafts_new (f->s.operation, f->s.store, f->session);
}

static gboolean
drafts_idle (gpointer drafts)
{
  return signet_drafts_get_idle (drafts);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_test_wait_until (drafts_idle, f->drafts);
  g_clear_object (&f->drafts);
  g_free (f->session);
  g_free (f->drafts_dir);
  signet_test_services_clear (&f->s);
}

typedef struct {
  guint saved;
  guint dropped;
  guint failed;
} Saves;

static void
on_saved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Saves *saves = user_data;
  g_autoptr(GError) error = NULL;

  if (signet_drafts_save_finish (SIGNET_DRAFTS (object), result, NULL, &error))
    saves->saved++;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    saves->dropped++;
  else
    {
      g_printerr ("save failed: %s\n", error->message);
      saves->failed++;
    }
}

static SignetMessage *
full_message (Fixture *f, gboolean seal)
{
  g_autofree char *path = g_build_filename (f->s.dir, ATTACHMENT_NAME, NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(SignetAttachment) attachment = NULL;
  SignetMessage *message = signet_test_new_message (seal, "Alice <alice@example.org>", "bob@example.org",
                                                    "carol@example.org");

  g_assert_true (g_file_set_contents (path, ATTACHMENT_TEXT, -1, NULL));
  file = g_file_new_for_path (path);
  attachment = signet_attachment_new (file, ATTACHMENT_NAME, "text/plain", strlen (ATTACHMENT_TEXT));
  signet_message_add_attachment (message, attachment);
  signet_message_set_subject (message, SUBJECT);
  signet_message_set_body (message, BODY);
  signet_message_set_sign (message, TRUE);
  return message;
}

static void
save_and_wait (Fixture *f, guint slot, SignetMessage *message)
{
  Saves saves = { 0 };

  signet_drafts_save_async (f->drafts, slot, message, NULL, on_saved, &saves);
  signet_test_wait_until (drafts_idle, f->drafts);
  g_assert_cmpuint (saves.saved, ==, 1);
}

static char *
only_draft (Fixture *f)
{
  g_autoptr(GPtrArray) paths = signet_store_list (f->s.store, SIGNET_FOLDER_DRAFTS, NULL);

  g_assert_cmpuint (signet_test_count_files (f->drafts_dir), ==, 1);
  g_assert_cmpuint (paths->len, ==, 1);
  return g_strdup (g_ptr_array_index (paths, 0));
}

/* Many saves, one file; saves queued behind the one in flight are dropped
 * but for the newest, which is what the file holds. */
static void
test_autosave_replaces (Fixture *f, gconstpointer data)
{
  guint slot = signet_drafts_open (f->drafts, NULL);
  Saves saves = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *raw = NULL;

  for (guint i = 1; i <= 10; i++)
    {
      g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);
      g_autofree char *subject = g_strdup_printf ("Version %u of the plan", i);

      signet_message_set_subject (message, subject);
      signet_drafts_save_async (f->drafts, slot, message, NULL, on_saved, &saves);
    }
  signet_test_wait_until (drafts_idle, f->drafts);
  g_assert_cmpuint (saves.failed, ==, 0);
  g_assert_cmpuint (saves.saved, ==, 2);     /* the first, in flight, and the last */
  g_assert_cmpuint (saves.dropped, ==, 8);
  path = only_draft (f);
  raw = signet_test_read_file (path);
  g_assert_nonnull (strstr (raw, "Version 10 of the plan"));

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(SignetMessage) message = signet_test_new_message (i % 2 == 0, "alice@example.org", NULL, NULL);

      save_and_wait (f, slot, message);
      g_free (only_draft (f));
    }
  g_assert_nonnull (signet_drafts_get_name (f->drafts, slot));
  /* Removed (sent or discarded): nothing is left, not even a save that was
   * in flight. */
  {
    g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);

    signet_drafts_save_async (f->drafts, slot, message, NULL, on_saved, &saves);
    signet_drafts_remove (f->drafts, slot);
    signet_test_wait_until (drafts_idle, f->drafts);
    g_assert_cmpuint (signet_test_count_files (f->drafts_dir), ==, 0);
    g_assert_null (signet_drafts_get_name (f->drafts, slot));
  }
}

static void
assert_nothing_in_clear (const char *dir, const char *const *secrets)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len;

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          assert_nothing_in_clear (child, secrets);
          continue;
        }
      g_assert_true (g_file_get_contents (child, &contents, &len, NULL));
      for (guint i = 0; secrets[i] != NULL; i++)
        if (memmem (contents, len, secrets[i], strlen (secrets[i])) != NULL)
          g_error ("%s holds \"%s\" in clear", child, secrets[i]);
    }
}

/* A sealed draft: nothing on disk (the Maildir and the session index) names
 * its subject, recipients, body or attachment; gpg opens it. */
static void
test_sealed_nothing_in_clear (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = full_message (f, TRUE);
  const char *secrets[] = { SUBJECT, "merger", "alice@example.org", "bob@example.org", "carol@example.org",
                            "Alice", ATTACHMENT_NAME, "acquisition", "42 million", NULL };
  g_autofree char *path = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *index = NULL;
  guint slot;

  slot = signet_drafts_open (f->drafts, NULL);
  save_and_wait (f, slot, message);
  path = only_draft (f);
  assert_nothing_in_clear (f->s.mail, secrets);
  plain = signet_test_decrypt_message (homedir, path);
  g_assert_nonnull (strstr (plain, SUBJECT));
  g_assert_nonnull (strstr (plain, "carol@example.org"));
  g_assert_nonnull (strstr (plain, ATTACHMENT_NAME));
  /* The index names only the file. */
  signet_drafts_shutdown (f->drafts);
  index = signet_test_read_file (f->session);
  for (guint i = 0; secrets[i] != NULL; i++)
    g_assert_null (strstr (index, secrets[i]));
}

typedef struct {
  gboolean   done;
  GPtrArray *infos;
  GStrv      names;
  SignetMessage *message;
  GError    *error;
} Result;

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->infos, g_ptr_array_unref);
  g_clear_pointer (&r->names, g_strfreev);
  g_clear_object (&r->message);
  g_clear_error (&r->error);
}

static gboolean
result_done (gpointer r)
{
  return ((Result *) r)->done;
}

static void
on_listed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->infos = signet_drafts_list_finish (SIGNET_DRAFTS (object), result, &r->error);
  r->done = TRUE;
}

static void
on_read (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->message = signet_drafts_read_finish (SIGNET_DRAFTS (object), result, &r->error);
  r->done = TRUE;
}

static void
on_recovered (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->names = signet_drafts_recover_finish (SIGNET_DRAFTS (object), result, &r->error);
  r->done = TRUE;
}

static GPtrArray *
list (Fixture *f)
{
  Result r = { 0 };

  signet_drafts_list_async (f->drafts, NULL, on_listed, &r);
  signet_test_wait_until (result_done, &r);
  g_assert_no_error (r.error);
  return g_steal_pointer (&r.infos);
}

static const SignetDraftInfo *
info_named (GPtrArray *infos, const char *name)
{
  for (guint i = 0; i < infos->len; i++)
    if (g_strcmp0 (((SignetDraftInfo *) g_ptr_array_index (infos, i))->name, name) == 0)
      return g_ptr_array_index (infos, i);
  g_error ("%s is not listed", name);
  return NULL;
}

/* The list shows a sealed draft's subject and recipients, decrypted. */
static void
test_list_decrypts (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) sealed = full_message (f, TRUE);
  g_autoptr(SignetMessage) plain = signet_test_new_message (FALSE, "bob@example.org", NULL, NULL);
  guint a = signet_drafts_open (f->drafts, NULL);
  guint b = signet_drafts_open (f->drafts, NULL);
  g_autoptr(GPtrArray) infos = NULL;
  const SignetDraftInfo *info;

  save_and_wait (f, a, sealed);
  save_and_wait (f, b, plain);
  signet_drafts_close (f->drafts, b);
  infos = list (f);
  g_assert_cmpuint (infos->len, ==, 2);
  info = info_named (infos, signet_drafts_get_name (f->drafts, a));
  g_assert_cmpstr (info->subject, ==, SUBJECT);
  g_assert_true (info->sealed);
  g_assert_true (info->open);
  g_assert_null (info->problem);
  g_assert_nonnull (strstr (info->recipients, "Alice"));
  g_assert_nonnull (strstr (info->recipients, "carol@example.org"));
  g_assert_nonnull (info->date);
  for (guint i = 0; i < infos->len; i++)
    {
      info = g_ptr_array_index (infos, i);
      if (!info->sealed)
        {
          g_assert_cmpstr (info->subject, ==, "Board minutes");
          g_assert_cmpstr (info->recipients, ==, "bob@example.org");
          g_assert_false (info->open);
        }
    }
}

static char *
read_attachment (SignetAttachment *attachment)
{
  g_autoptr(GError) error = NULL;
  char buffer[256] = { 0 };
  int fd = signet_attachment_open (attachment, &error);
  gssize n;

  g_assert_no_error (error);
  n = pread (fd, buffer, sizeof buffer - 1, 0);
  close (fd);
  g_assert_cmpint (n, >, 0);
  return g_strndup (buffer, n);
}

/* Reopened: From, To, Cc, Bcc, subject, body, Seal, Sign and the
 * attachment (in memory, not a file on disk). */
static void
test_reopen (Fixture *f, gconstpointer data)
{
  for (guint seal = 0; seal < 2; seal++)
    {
      g_autoptr(SignetMessage) message = full_message (f, seal);
      guint slot = signet_drafts_open (f->drafts, NULL);
      g_autoptr(SignetAttachment) attachment = NULL;
      g_autofree char *content = NULL;
      g_autofree char *from = NULL;
      Result r = { 0 };

      save_and_wait (f, slot, message);
      signet_drafts_read_async (f->drafts, signet_drafts_get_name (f->drafts, slot), NULL, on_read, &r);
      signet_test_wait_until (result_done, &r);
      g_assert_no_error (r.error);
      from = signet_address_to_string (signet_message_get_from (r.message));
      g_assert_cmpstr (from, ==, "Signet Demo <demo@example.org>");
      g_assert_cmpuint (signet_message_get_n_recipients (r.message, SIGNET_RECIPIENT_TO), ==, 1);
      g_assert_cmpstr (signet_message_get_recipient (r.message, SIGNET_RECIPIENT_TO, 0)->name, ==, "Alice");
      g_assert_cmpstr (signet_message_get_recipient (r.message, SIGNET_RECIPIENT_CC, 0)->email, ==, "bob@example.org");
      g_assert_cmpstr (signet_message_get_recipient (r.message, SIGNET_RECIPIENT_BCC, 0)->email, ==, "carol@example.org");
      g_assert_cmpstr (signet_message_get_subject (r.message), ==, SUBJECT);
      g_assert_cmpstr (signet_message_get_body (r.message), ==, BODY);
      g_assert_cmpint (signet_message_get_seal (r.message), ==, seal);
      g_assert_true (signet_message_get_sign (r.message));
      g_assert_cmpuint (g_list_model_get_n_items (signet_message_get_attachments (r.message)), ==, 1);
      attachment = g_list_model_get_item (signet_message_get_attachments (r.message), 0);
      g_assert_cmpstr (signet_attachment_get_name (attachment), ==, ATTACHMENT_NAME);
      g_assert_null (signet_attachment_get_file (attachment));
      content = read_attachment (attachment);
      g_assert_cmpstr (content, ==, ATTACHMENT_TEXT);
      result_clear (&r);
      signet_drafts_remove (f->drafts, slot);
      signet_test_wait_until (drafts_idle, f->drafts);
    }
}

/* Names and addresses with "=?" in them, which an earlier Signet took as
 * typed and wrote into drafts: the draft opens with them as written, in
 * clear and sealed; sending it asks for them to be corrected, naming each,
 * and sends nothing. */
static void
test_reopen_earlier_addresses (Fixture *f, gconstpointer data)
{
  const struct { const char *name; const char *email; const char *says; } cases[] = {
    { "Q=?A team", "team@example.org", "The name in “Q=?A team <team@example.org>” cannot be sent as it is" },
    { "Bob =? Smith", "bob@example.org", "The name in “Bob =? Smith <bob@example.org>” cannot be sent as it is" },
    { NULL, "a=?b@example.org", "“a=?b@example.org” is not a valid email address." },
  };

  for (guint seal = 0; seal < 2; seal++)
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(SignetMessage) message = signet_test_new_message (seal, "carol@example.org", NULL, NULL);
        g_autoptr(SignetAddress) earlier = signet_address_new (cases[i].name, cases[i].email);
        g_auto(SignetTestOutcome) outcome = { 0 };
        guint slot = signet_drafts_open (f->drafts, NULL);
        g_autofree char *outbox = g_build_filename (f->s.mail, "Outbox", NULL);
        g_autofree char *local = g_build_filename (f->s.dir, "Local", NULL);
        const SignetAddress *back;
        Result r = { 0 };

        g_test_message ("%s <%s>, %s", cases[i].name, cases[i].email, seal ? "sealed" : "clear");
        signet_message_add_recipient (message, SIGNET_RECIPIENT_CC, earlier);
        signet_message_set_body (message, BODY);
        save_and_wait (f, slot, message);
        signet_drafts_read_async (f->drafts, signet_drafts_get_name (f->drafts, slot), NULL, on_read, &r);
        signet_test_wait_until (result_done, &r);
        g_assert_no_error (r.error);
        g_assert_cmpstr (signet_message_get_body (r.message), ==, BODY);
        g_assert_cmpuint (signet_message_get_n_recipients (r.message, SIGNET_RECIPIENT_TO), ==, 1);
        g_assert_cmpuint (signet_message_get_n_recipients (r.message, SIGNET_RECIPIENT_CC), ==, 1);
        back = signet_message_get_recipient (r.message, SIGNET_RECIPIENT_CC, 0);
        g_assert_cmpstr (back->name, ==, cases[i].name);
        g_assert_cmpstr (back->email, ==, cases[i].email);

        signet_send_operation_send_async (f->s.operation, r.message, NULL, signet_test_on_sent, &outcome);
        signet_test_wait_until (signet_test_outcome_done, &outcome);
        g_assert_false (outcome.ok);
        g_assert_error (outcome.error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_INVALID_HEADER);
        g_assert_nonnull (strstr (outcome.error->message, cases[i].says));
        g_assert_cmpuint (signet_test_count_files (outbox), ==, 0);
        g_assert_cmpuint (signet_test_count_files (local), ==, 0);
        result_clear (&r);
        signet_drafts_remove (f->drafts, slot);
        signet_test_wait_until (drafts_idle, f->drafts);
      }
}

static GStrv
recover (Fixture *f)
{
  Result r = { 0 };

  signet_drafts_recover_async (f->drafts, NULL, on_recovered, &r);
  signet_test_wait_until (result_done, &r);
  g_assert_no_error (r.error);
  return g_steal_pointer (&r.names);
}

/* Restarting: a new SignetDrafts on the same store and index, as the next
 * run of Signet would have. */
static void
restart (Fixture *f, gboolean clean)
{
  signet_test_wait_until (drafts_idle, f->drafts);
  if (clean)
    signet_drafts_shutdown (f->drafts);
  g_clear_object (&f->drafts);
  f->drafts = signet_drafts_new (f->s.operation, f->s.store, f->session);
}

/* Ended without shutdown=true (a crash): the drafts open in composers are
 * offered, and only they; after a clean end, nothing is. */
static void
test_crash_index (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) sealed = full_message (f, TRUE);
  g_autoptr(SignetMessage) plain = signet_test_new_message (FALSE, "bob@example.org", NULL, NULL);
  g_autoptr(SignetMessage) closed = signet_test_new_message (FALSE, "carol@example.org", NULL, NULL);
  g_auto(GStrv) names = NULL;
  g_autofree char *open_a = NULL;
  g_autofree char *open_b = NULL;
  guint a, b, c;

  g_strfreev (recover (f));
  a = signet_drafts_open (f->drafts, NULL);
  b = signet_drafts_open (f->drafts, NULL);
  c = signet_drafts_open (f->drafts, NULL);
  save_and_wait (f, a, sealed);
  save_and_wait (f, b, plain);
  save_and_wait (f, c, closed);
  signet_drafts_close (f->drafts, c);    /* saved and closed: not offered */
  open_a = g_strdup (signet_drafts_get_name (f->drafts, a));
  open_b = g_strdup (signet_drafts_get_name (f->drafts, b));

  restart (f, FALSE);
  names = recover (f);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) names, open_a));
  g_assert_true (g_strv_contains ((const char * const *) names, open_b));
  g_clear_pointer (&names, g_strfreev);

  /* Not answered, and it crashes again: offered again. */
  restart (f, FALSE);
  names = recover (f);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_clear_pointer (&names, g_strfreev);

  /* Discard removes them, and only them. */
  signet_drafts_discard_recovered (f->drafts);
  signet_test_wait_until (drafts_idle, f->drafts);
  g_assert_cmpuint (signet_test_count_files (f->drafts_dir), ==, 1);

  /* Restore: each is opened (then belongs to its composer); a clean end
   * after that offers nothing. */
  {
    guint d = signet_drafts_open (f->drafts, NULL);
    g_auto(GStrv) taken = NULL;

    save_and_wait (f, d, plain);
    restart (f, FALSE);
    names = recover (f);
    g_assert_cmpuint (g_strv_length (names), ==, 1);
    taken = signet_drafts_take_recovered (f->drafts);
    g_assert_cmpstrv (taken, names);
    signet_drafts_open (f->drafts, taken[0]);
    g_clear_pointer (&names, g_strfreev);
    g_assert_cmpuint (signet_test_count_files (f->drafts_dir), ==, 2);
  }
  restart (f, TRUE);
  names = recover (f);
  g_assert_cmpuint (g_strv_length (names), ==, 0);
  g_assert_cmpuint (signet_test_count_files (f->drafts_dir), ==, 2);
}

/* A damaged index offers nothing and removes nothing. */
static void
test_damaged_index (Fixture *f, gconstpointer data)
{
  g_auto(GStrv) names = NULL;

  g_assert_true (g_file_set_contents (f->session, "not a GVariant at all", -1, NULL));
  names = recover (f);
  g_assert_cmpuint (g_strv_length (names), ==, 0);
}

/* A draft that cannot be read is listed with the reason, and stays. */
static void
test_unreadable (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) sealed = full_message (f, TRUE);
  g_autofree char *garbage = g_build_filename (f->drafts_dir, "new", "1.garbage", NULL);
  g_autofree char *damaged = g_build_filename (f->drafts_dir, "new", "2.damaged", NULL);
  g_autofree char *path = NULL;
  g_autofree char *raw = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  guint slot = signet_drafts_open (f->drafts, NULL);
  char *armor;

  save_and_wait (f, slot, sealed);
  path = only_draft (f);
  raw = signet_test_read_file (path);
  /* The ciphertext cut short. */
  armor = strstr (raw, "-----BEGIN PGP MESSAGE-----");
  g_assert_nonnull (armor);
  armor[100] = '\0';
  g_assert_true (g_file_set_contents (damaged, raw, -1, NULL));
  g_assert_true (g_file_set_contents (garbage, "\x01\x02 nothing like mail", -1, NULL));

  infos = list (f);
  g_assert_cmpuint (infos->len, ==, 3);
  g_assert_nonnull (info_named (infos, "1.garbage")->problem);
  g_assert_nonnull (info_named (infos, "2.damaged")->problem);
  g_assert_null (info_named (infos, signet_drafts_get_name (f->drafts, slot))->problem);
  /* Saving, removing and listing again leave them alone. */
  signet_drafts_remove (f->drafts, slot);
  signet_test_wait_until (drafts_idle, f->drafts);
  g_clear_pointer (&infos, g_ptr_array_unref);
  infos = list (f);
  g_assert_cmpuint (infos->len, ==, 2);
  g_assert_true (g_file_test (garbage, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (damaged, G_FILE_TEST_EXISTS));
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
#define ADD(path, fn) g_test_add ("/drafts/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("autosave-replaces", test_autosave_replaces);
  ADD ("sealed-nothing-in-clear", test_sealed_nothing_in_clear);
  ADD ("list-decrypts", test_list_decrypts);
  ADD ("reopen", test_reopen);
  ADD ("reopen-earlier-addresses", test_reopen_earlier_addresses);
  ADD ("crash-index", test_crash_index);
  ADD ("damaged-index", test_damaged_index);
  ADD ("unreadable", test_unreadable);
#undef ADD
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
