/* The composer and its drafts against what users, files and bad luck
 * bring: an attached file that goes away while the message is still being
 * written, no identity set up yet, Seal turned on by a sender without a
 * key pair, a Cancel pressed a moment too late, a folder of folders pasted
 * as attachments, Discard on a reopened draft, a Subject of tens of
 * thousands of characters, a passphrase prompt cancelled. Whatever
 * happens, what was typed is saved (never in clear when sealed) and the
 * window answers. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "signet-compose-window.h"
#include "signet-drafts.h"
#include "signet-enchant-checker.h"
#include "signet-spell-entry.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

#define DELAY_MS 300
#define SUBJECT "Harbour lights"
#define BODY "Meet at the harbour at nine."
#define LATER_BODY "Second thoughts: the lighthouse at ten."

static char *homedir;
static GtkApplication *app;

typedef struct {
  SignetTestServices   s;
  SignetDrafts        *drafts;
  SignetComposeWindow *window;
  char                *drafts_dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *session = NULL;

  signet_test_services_init (&f->s, homedir, TRUE);
  session = g_build_filename (f->s.dir, "session.gvariant", NULL);
  f->drafts = signet_drafts_new (f->s.operation, f->s.store, session);
  f->drafts_dir = g_build_filename (f->s.mail, "Drafts", NULL);
  f->window = signet_compose_window_new (app, f->s.operation, f->s.network, "Signet Demo <demo@example.org>");
  g_object_set (f->window, "autosave-delay", DELAY_MS, NULL);
  signet_compose_window_set_drafts (f->window, f->drafts, NULL);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
}

static gboolean
drafts_idle (gpointer data)
{
  return signet_drafts_get_idle (((Fixture *) data)->drafts);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_ui_destroy_all_windows ();
  signet_test_wait_until (drafts_idle, f);
  g_clear_object (&f->drafts);
  g_free (f->drafts_dir);
  signet_test_services_clear (&f->s);
}

static GtkWidget *
child_of (SignetComposeWindow *window, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static void
set_body (SignetComposeWindow *window, const char *body)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child_of (window, "body_view"))), body, -1);
}

static void
pause_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
one_draft (gpointer data)
{
  Fixture *f = data;

  return signet_test_count_files (f->drafts_dir) == 1 && signet_drafts_get_idle (f->drafts);
}

static char *
only_draft_text (Fixture *f)
{
  g_autoptr(GPtrArray) paths = signet_store_list (f->s.store, SIGNET_FOLDER_DRAFTS, NULL);

  g_assert_cmpuint (paths->len, ==, 1);
  return paths->len > 0 ? signet_test_read_file (g_ptr_array_index (paths, 0)) : g_strdup ("");
}

static gboolean
attachment_loaded (gpointer window)
{
  return signet_compose_window_get_n_attachments (window) == 1;
}

/* A file is attached, then moved away (a download folder tidied up, a file
 * in /tmp cleaned): everything typed after that must still reach the draft
 * that autosave keeps, or a crash loses it. Autosave fails silently on the
 * missing attachment, every time, so the draft on disk stays as it was
 * before the file went. */
static void
test_autosave_after_attachment_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->s.dir, "harbour-map.txt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *first = NULL;
  g_autofree char *later = NULL;

  g_assert_true (g_file_set_contents (path, "Pier 4, the red door.\n", -1, NULL));
  gtk_editable_set_text (GTK_EDITABLE (child_of (f->window, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child_of (f->window, "subject_entry")), SUBJECT);
  set_body (f->window, BODY);
  signet_compose_window_add_attachment (f->window, file);
  signet_test_wait_until (attachment_loaded, f->window);
  pause_for (DELAY_MS * 2);
  signet_test_wait_until (one_draft, f);
  first = only_draft_text (f);
  g_assert_nonnull (strstr (first, "harbour"));

  /* The file goes; the user writes on, then pauses well past the delay. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  set_body (f->window, LATER_BODY);
  pause_for (DELAY_MS * 4);
  signet_test_wait_until (drafts_idle, f);
  g_assert_null (signet_ui_find_dialog ());
  later = only_draft_text (f);
  /* What a restart after a crash would offer back. */
  g_assert_nonnull (strstr (later, "lighthouse"));
}

/* Signet's first run: no identity is set up yet (the "identity" setting is
 * empty by default), so a new composer's From is empty, and the user
 * writes the message first, as people do. Autosave needs a valid From
 * (signet_message_validate() refuses the draft with NO_IDENTITY) and gives
 * up silently at every pause: a crash loses the whole message, and so does
 * SIGTERM ("A draft could not be saved before exit"). */
static void
test_autosave_without_sender (Fixture *f, gconstpointer data)
{
  SignetComposeWindow *window = signet_compose_window_new (app, f->s.operation, f->s.network, NULL);
  g_autofree char *text = NULL;

  g_object_set (window, "autosave-delay", DELAY_MS, NULL);
  signet_compose_window_set_drafts (window, f->drafts, NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child_of (window, "from_entry"))), ==, "");
  gtk_editable_set_text (GTK_EDITABLE (child_of (window, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child_of (window, "subject_entry")), SUBJECT);
  set_body (window, BODY);
  pause_for (DELAY_MS * 4);
  signet_test_wait_until (drafts_idle, f);
  g_assert_cmpuint (signet_test_count_files (f->drafts_dir), ==, 1);
  text = only_draft_text (f);
  g_assert_nonnull (strstr (text, "harbour"));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Text written plain and autosaved, then Seal turned on, by a sender who
 * has no key pair of their own (so the sealed draft cannot be made): the
 * window shows Seal on, the user writes on in confidence, and the earlier
 * draft stays on disk in clear, for good, to be offered back after a
 * crash. Only a sealed save that succeeds removes it. */
static void
test_seal_on_leaves_plain_draft (Fixture *f, gconstpointer data)
{
  SignetComposeWindow *window = signet_compose_window_new (app, f->s.operation, f->s.network,
                                                           "Nobody <nobody@example.org>");
  g_autoptr(GPtrArray) paths = NULL;
  gboolean seal = FALSE;

  g_object_set (window, "autosave-delay", DELAY_MS, NULL);
  signet_compose_window_set_drafts (window, f->drafts, NULL);
  gtk_window_present (GTK_WINDOW (window));
  gtk_editable_set_text (GTK_EDITABLE (child_of (window, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child_of (window, "subject_entry")), SUBJECT);
  set_body (window, BODY);
  signet_test_wait_until (one_draft, f);

  g_object_set (window, "seal", TRUE, NULL);
  set_body (window, BODY " The code word is marlin.");
  pause_for (DELAY_MS * 4);
  signet_test_wait_until (drafts_idle, f);
  g_object_get (window, "seal", &seal, NULL);
  g_assert_true (seal);
  paths = signet_store_list (f->s.store, SIGNET_FOLDER_DRAFTS, NULL);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *clear = signet_test_read_clear_text (g_ptr_array_index (paths, i));

      g_assert_null (strstr (clear, "harbour"));
      g_assert_null (strstr (clear, SUBJECT));
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

typedef struct {
  gboolean done;
  gboolean saved;
  GError  *error;
} SaveResult;

static void
on_saved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SaveResult *r = user_data;

  r->saved = signet_drafts_save_finish (SIGNET_DRAFTS (object), result, NULL, &r->error);
  r->done = TRUE;
}

static gboolean
save_done (gpointer data)
{
  return ((SaveResult *) data)->done;
}

/* Save Draft, then Cancel a moment too late: the draft is written, so the
 * save must say so (the composer shows "a send or a save comes back
 * cancelled … unless it was too late to stop it: then its result is shown
 * as it is"). SignetDrafts' own GTask checks the cancellable when it
 * returns and turns the landed save into G_IO_ERROR_CANCELLED: the window
 * then believes nothing was saved, keeps the edited Outbox message in the
 * Outbox, and still calls itself unsaved. */
static void
test_cancel_too_late (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) paths = NULL;
  guint slot = signet_drafts_open (f->drafts, NULL);
  SaveResult r = { 0 };
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  signet_drafts_save_async (f->drafts, slot, message, cancellable, on_saved, &r);
  /* The main loop is not run: the save lands in its thread, and its result
   * waits there while the user presses Cancel. */
  while ((paths = signet_store_list (f->s.store, SIGNET_FOLDER_DRAFTS, NULL)) != NULL && paths->len == 0 &&
         g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&paths, g_ptr_array_unref);
      g_usleep (1000);
    }
  g_assert_true (paths != NULL && paths->len == 1);
  g_cancellable_cancel (cancellable);
  signet_test_wait_until (save_done, &r);

  g_assert_no_error (r.error);
  g_clear_error (&r.error);
  g_assert_true (r.saved);
  g_assert_nonnull (signet_drafts_get_name (f->drafts, slot));
  signet_drafts_close (f->drafts, slot);
}

static void
on_draft_read (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignetMessage **message = user_data;

  *message = signet_drafts_read_finish (SIGNET_DRAFTS (object), result, NULL);
}

static gboolean
message_read (gpointer data)
{
  return *(SignetMessage **) data != NULL;
}

/* A letter saved as a draft yesterday is opened again, one line is added,
 * and the window is closed. The prompt says the message "has not been sent
 * or saved" and offers Discard: the user discards the new line, and the
 * whole draft is deleted, yesterday's letter with it. Discarding changes
 * to a reopened draft must leave the draft as it was saved. */
static void
test_discard_reopened_draft (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) letter = signet_test_new_message (FALSE, "alice@example.org", NULL, NULL);
  g_autoptr(SignetMessage) read = NULL;
  SignetComposeWindow *window;
  SaveResult r = { 0 };
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  guint slot;

  /* Yesterday: written and saved, the composer closed. */
  signet_message_set_body (letter, "Dear board, a long letter written with care.\n");
  slot = signet_drafts_open (f->drafts, NULL);
  signet_drafts_save_async (f->drafts, slot, letter, NULL, on_saved, &r);
  signet_test_wait_until (save_done, &r);
  g_assert_true (r.saved);
  name = g_strdup (signet_drafts_get_name (f->drafts, slot));
  signet_drafts_close (f->drafts, slot);
  signet_test_wait_until (drafts_idle, f);

  /* Today: opened again, as the Drafts window does. */
  signet_drafts_read_async (f->drafts, name, NULL, on_draft_read, &read);
  signet_test_wait_until (message_read, &read);
  window = signet_compose_window_new (app, f->s.operation, f->s.network, NULL);
  g_object_set (window, "autosave-delay", DELAY_MS, NULL);
  signet_compose_window_load_message (window, read);
  signet_compose_window_set_drafts (window, f->drafts, name);
  gtk_window_present (GTK_WINDOW (window));
  set_body (window, "Dear board, a long letter written with care.\nP.S. maybe not.\n");
  gtk_window_close (GTK_WINDOW (window));
  signet_ui_click_response (signet_ui_wait_for_dialog (), "_Discard");
  pause_for (DELAY_MS * 2);
  signet_test_wait_until (drafts_idle, f);

  g_assert_cmpuint (signet_test_count_files (f->drafts_dir), ==, 1);
  text = only_draft_text (f);
  g_assert_nonnull (strstr (text, "written with care"));
  g_assert_null (strstr (text, "maybe not"));
}

/* A pinentry that notes each time it is asked, and answers Cancel. */
static const char logging_pinentry[] =
  "#!/bin/sh\n"
  "echo 'OK Pleased to meet you'\n"
  "while read -r cmd rest; do\n"
  "  case \"$cmd\" in\n"
  "    GETPIN) echo asked >> \"$(dirname \"$0\")/pinentry.log\"; echo 'ERR 83886179 Operation cancelled <Pinentry>' ;;\n"
  "    BYE) echo 'OK closing connection'; exit 0 ;;\n"
  "    *) echo OK ;;\n"
  "  esac\n"
  "done\n";

typedef struct {
  SignetDrafts *drafts;
  guint         listed;
  guint         pending;
} Lister;

static void
on_listed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Lister *l = user_data;
  g_autoptr(GPtrArray) infos = signet_drafts_list_finish (SIGNET_DRAFTS (object), result, NULL);

  l->pending--;
  l->listed++;
  for (guint i = 0; infos != NULL && i < infos->len; i++)
    {
      SignetDraftInfo *info = g_ptr_array_index (infos, i);
      g_test_message ("listed %s sealed=%d subject=%s problem=%s", info->name, info->sealed, info->subject, info->problem);
    }
}

/* What the Drafts window does whenever Drafts changes: read the list. */
static void
relist (Lister *l)
{
  l->pending++;
  signet_drafts_list_async (l->drafts, NULL, on_listed, l);
}

static gboolean
lister_idle (gpointer data)
{
  Lister *l = data;

  return l->pending == 0 && signet_drafts_get_idle (l->drafts);
}

/* The user's key has a passphrase, and they cancelled its prompt (they are
 * writing, not reading drafts). The Drafts window, open beside the
 * composer, reads the list again after every automatic save, and each
 * time decrypts every sealed draft, so gpg-agent asks for the passphrase
 * again and again: a prompt that takes the keyboard every few seconds of
 * typing pause, once per sealed draft. */
static void
test_drafts_list_asks_passphrase_again (void)
{
  char *home = signet_test_make_cancelling_gnupghome ();
  g_autofree char *pinentry = g_build_filename (home, "pinentry-cancel", NULL);
  g_autofree char *log = g_build_filename (home, "pinentry.log", NULL);
  g_autofree char *session = NULL;
  g_autoptr(SignetAddress) from = signet_address_new ("Pass", "pass@example.org");
  g_autofree char *contents = NULL;
  SignetTestServices s = { 0 };
  Lister l = { 0 };
  guint slot, asked = 0;

  g_assert_true (g_file_set_contents (pinentry, logging_pinentry, -1, NULL));
  g_assert_cmpint (g_chmod (pinentry, 0700), ==, 0);
  signet_test_services_init (&s, home, TRUE);
  session = g_build_filename (s.dir, "session.gvariant", NULL);
  l.drafts = signet_drafts_new (s.operation, s.store, session);
  g_signal_connect_swapped (l.drafts, "changed", G_CALLBACK (relist), &l);
  slot = signet_drafts_open (l.drafts, NULL);
  /* Three pauses in typing: three automatic saves of a sealed message. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SignetMessage) message = signet_test_new_message (TRUE, "alice@example.org", NULL, NULL);
      SaveResult r = { 0 };

      signet_message_set_from (message, from);
      signet_message_set_body (message, i == 0 ? "One.\n" : i == 1 ? "One. Two.\n" : "One. Two. Three.\n");
      signet_drafts_save_async (l.drafts, slot, message, NULL, on_saved, &r);
      signet_test_wait_until (save_done, &r);
      g_assert_true (r.saved);
      signet_test_wait_until (lister_idle, &l);
    }
  g_assert_cmpuint (l.listed, >=, 3);
  if (g_file_get_contents (log, &contents, NULL, NULL))
    for (const char *p = contents; (p = strstr (p, "asked")) != NULL; p++)
      asked++;
  g_test_message ("the passphrase was asked for %u times", asked);
  /* Asked once at most: the user said no. */
  g_assert_cmpuint (asked, <=, 1);

  signet_drafts_close (l.drafts, slot);
  signet_test_wait_until (lister_idle, &l);
  g_signal_handlers_disconnect_by_data (l.drafts, &l);
  g_object_unref (l.drafts);
  signet_test_services_clear (&s);
  signet_test_remove_gnupghome (home);
}

static guint
n_dialogs (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (window))
        n++;
    }
  return n;
}

typedef struct {
  guint expected;
} Flood;

static gboolean
all_answered (gpointer data)
{
  return n_dialogs () >= ((Flood *) data)->expected;
}

/* Files copied in a file manager and pasted (or dropped) include a folder
 * of folders: each folder is refused, and the user is told, once. Today
 * every refused item opens its own modal dialog, stacked: pasting 40
 * folders means clicking OK 40 times before the window can be used. */
static void
test_paste_many_folders (Fixture *f, gconstpointer data)
{
  const guint n = 40;
  Flood flood = { 1 };

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("folder-%02u", i);
      g_autofree char *path = g_build_filename (f->s.dir, name, NULL);
      g_autoptr(GFile) folder = g_file_new_for_path (path);

      g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
      signet_compose_window_add_attachment (f->window, folder);
    }
  signet_test_wait_until (all_answered, &flood);
  pause_for (500);
  g_assert_cmpuint (signet_compose_window_get_n_attachments (f->window), ==, 0);
  g_assert_cmpuint (n_dialogs (), <=, 1);
}

/* A Subject as long as the field takes (65,535 characters: a paste meant
 * for the body, or a draft file with an enormous Subject) with spell
 * checking on: each change re-checks the whole Subject on the main loop,
 * finding each word's character offset from the start of the text, which
 * is quadratic. One keystroke then freezes the window for over a second
 * here; the body, checked in 2 ms slices, stays responsive. */
/* The longest single turn of the main loop within @ms, in microseconds:
 * how long the window stays frozen at worst. */
static gint64
worst_iteration (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000, worst = 0;

  while (g_get_monotonic_time () < end)
    {
      gint64 start = g_get_monotonic_time ();

      g_main_context_iteration (NULL, FALSE);
      worst = MAX (worst, g_get_monotonic_time () - start);
      g_usleep (1000);
    }
  return worst;
}

static void
test_huge_subject_spelling (void)
{
  g_autoptr(SignetSpellChecker) checker = signet_enchant_checker_new ();
  GtkEntry *entry = GTK_ENTRY (gtk_entry_new ());
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  g_autoptr(SignetSpellEntry) subject = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gint64 without, with;
  int position;

  g_assert_true (signet_spell_checker_set_language (checker, "en_US", NULL));
  gtk_window_set_child (window, GTK_WIDGET (entry));
  gtk_window_present (window);
  subject = signet_spell_entry_new (entry, checker);
  while (text->len < 65000)
    g_string_append (text, "Meeting agenda ");
  gtk_editable_set_text (GTK_EDITABLE (entry), text->str);
  g_assert_cmpint (g_utf8_strlen (gtk_editable_get_text (GTK_EDITABLE (entry)), -1), >, 60000);
  worst_iteration (500);

  /* One keystroke at the end, spell checking off, then on. */
  position = -1;
  gtk_editable_insert_text (GTK_EDITABLE (entry), "x", 1, &position);
  without = worst_iteration (1000);
  signet_spell_entry_set_enabled (subject, TRUE);
  worst_iteration (2000);
  position = -1;
  gtk_editable_insert_text (GTK_EDITABLE (entry), "y", 1, &position);
  with = worst_iteration (3000);
  g_test_message ("worst frozen moment after a keystroke: %" G_GINT64_FORMAT " ms without spell checking, %"
                  G_GINT64_FORMAT " ms with", without / 1000, with / 1000);
  /* Generous: ten frames' worth on a slow machine. */
  g_assert_cmpint (with, <, 200 * 1000);
  g_clear_object (&subject);
  gtk_window_destroy (window);
}

int
main (int argc, char *argv[])
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* Each case reports its own failure; the next ones still run. */
  g_test_set_nonfatal_assertions ();
  homedir = signet_test_make_gnupghome ();
  app = GTK_APPLICATION (adw_application_new ("io.github.signetmail.Signet.HostileTests", G_APPLICATION_NON_UNIQUE));
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
#define ADD(path, fn) g_test_add ("/compose-hostile/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("autosave-after-attachment-gone", test_autosave_after_attachment_gone);
  ADD ("autosave-without-sender", test_autosave_without_sender);
  ADD ("seal-on-leaves-plain-draft", test_seal_on_leaves_plain_draft);
  ADD ("cancel-too-late", test_cancel_too_late);
  ADD ("paste-many-folders", test_paste_many_folders);
  ADD ("discard-reopened-draft", test_discard_reopened_draft);
  g_test_add_func ("/compose-hostile/huge-subject-spelling", test_huge_subject_spelling);
  g_test_add_func ("/compose-hostile/drafts-list-asks-passphrase-again", test_drafts_list_asks_passphrase_again);
  status = g_test_run ();
  g_clear_object (&app);
  signet_test_remove_gnupghome (homedir);
  return status;
}
