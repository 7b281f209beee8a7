/* Drafts in the composer and the Drafts window, in process: typing saves
 * the message as one draft a moment after it stops, Save Draft replaces
 * it, Discard and Send remove it, and the Drafts window lists drafts and
 * opens them with every field, Seal, Sign and attachments restored. */
#include <adwaita.h>
#include <string.h>

#include "signet-compose-window.h"
#include "signet-drafts-actions.h"
#include "signet-drafts-window.h"
#include "signet-recipient-field.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

#define DELAY_MS 300
#define SUBJECT "Harbour lights"
#define BODY "Meet at the harbour at nine."
#define ATTACHMENT_NAME "harbour-map.txt"
#define ATTACHMENT_TEXT "Pier 4, the red door.\n"

static char *homedir;
static GtkApplication *app;

typedef struct {
  SignetTestServices   s;
  SignetDrafts        *drafts;
  SignetComposeWindow *window;
  char                *drafts_dir;
} Fixture;

static Fixture *current;

static SignetComposeWindow *
new_composer (Fixture *f)
{
  SignetComposeWindow *window = signet_compose_window_new (app, f->s.operation, f->s.network,
                                                           "Signet Demo <demo@example.org>");

  g_object_set (window, "autosave-delay", DELAY_MS, NULL);
  signet_compose_window_set_drafts (window, f->drafts, NULL);
  return window;
}

/* As the application opens a message: a composer of its own. */
static GtkWindow *
open_message (GtkApplication *application, SignetMessage *message)
{
  SignetComposeWindow *window = new_composer (current);

  signet_compose_window_load_message (window, message);
  gtk_window_present (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *session = NULL;

  current = f;
  signet_test_services_init (&f->s, homedir, TRUE);
  session = g_build_filename (f->s.dir, "session.gvariant", NULL);
  f->drafts = signet_drafts_new (f->s.operation, f->s.store, session);
  f->drafts_dir = g_build_filename (f->s.mail, "Drafts", NULL);
  signet_drafts_actions_install (app, f->drafts, open_message);
  f->window = new_composer (f);
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
  g_assert_null (f->window);
  g_clear_object (&f->drafts);
  g_free (f->drafts_dir);
  signet_test_services_clear (&f->s);
  current = NULL;
}

static GtkWidget *
child_of (SignetComposeWindow *window, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static void
fill (SignetComposeWindow *window, const char *to, const char *body)
{
  gtk_editable_set_text (GTK_EDITABLE (child_of (window, "to_entry")), to);
  gtk_editable_set_text (GTK_EDITABLE (child_of (window, "subject_entry")), SUBJECT);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child_of (window, "body_view"))), body, -1);
}

static guint
n_drafts (Fixture *f)
{
  return signet_test_count_files (f->drafts_dir);
}

static gboolean
one_draft (gpointer data)
{
  Fixture *f = data;

  return n_drafts (f) == 1 && signet_drafts_get_idle (f->drafts);
}

static gboolean
no_draft (gpointer data)
{
  Fixture *f = data;

  return n_drafts (f) == 0 && signet_drafts_get_idle (f->drafts);
}

static gboolean
window_gone (gpointer data)
{
  return ((Fixture *) data)->window == NULL;
}

static char *
only_draft (Fixture *f)
{
  g_autoptr(GPtrArray) paths = signet_store_list (f->s.store, SIGNET_FOLDER_DRAFTS, NULL);

  g_assert_cmpuint (paths->len, ==, 1);
  return g_strdup (g_ptr_array_index (paths, 0));
}

/* Waits @ms on the main loop, as a user pausing would. */
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

/* Typing arms the save; it happens once typing has stopped for the delay
 * (3 s unless set), silently, and the window still counts as unsaved. */
static void
test_typing_autosaves (Fixture *f, gconstpointer data)
{
  SignetComposeWindow *fresh = signet_compose_window_new (NULL, f->s.operation, f->s.network, NULL);
  g_autofree char *path = NULL;
  g_autofree char *raw = NULL;
  guint delay;

  g_object_get (fresh, "autosave-delay", &delay, NULL);
  g_assert_cmpuint (delay, ==, 3000);
  gtk_window_destroy (GTK_WINDOW (fresh));

  fill (f->window, "alice@example.org", BODY);
  pause_for (DELAY_MS / 3);
  g_assert_cmpuint (n_drafts (f), ==, 0);
  /* Still typing: not yet. */
  gtk_editable_set_text (GTK_EDITABLE (child_of (f->window, "subject_entry")), SUBJECT " at nine");
  pause_for (DELAY_MS * 2 / 3);
  g_assert_cmpuint (n_drafts (f), ==, 0);
  signet_test_wait_until (one_draft, f);
  g_assert_true (signet_compose_window_get_modified (f->window));
  g_assert_null (signet_ui_find_dialog ());
  path = only_draft (f);
  raw = signet_test_read_file (path);
  g_assert_nonnull (strstr (raw, SUBJECT " at nine"));
  g_assert_cmpstr (signet_compose_window_get_draft_name (f->window), ==, strrchr (path, '/') + 1);

  /* More typing replaces it: still one draft, with the new words. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child_of (f->window, "body_view"))),
                            "Changed plans: the lighthouse.", -1);
  pause_for (DELAY_MS * 2);
  signet_test_wait_until (one_draft, f);
  g_free (path);
  g_free (raw);
  path = only_draft (f);
  raw = signet_test_read_file (path);
  g_assert_nonnull (strstr (raw, "lighthouse"));
}

static gboolean
one_sealed_draft (gpointer data)
{
  Fixture *f = data;
  g_autoptr(GPtrArray) paths = NULL;
  g_autofree char *raw = NULL;

  if (!one_draft (f))
    return FALSE;
  paths = signet_store_list (f->s.store, SIGNET_FOLDER_DRAFTS, NULL);
  raw = signet_test_read_file (g_ptr_array_index (paths, 0));
  return strstr (raw, "-----BEGIN PGP MESSAGE-----") != NULL;
}

/* Seal turned on after the draft was saved plain: the draft is saved
 * again, sealed, and the plain one goes. Nothing of it is then in clear. */
static void
test_sealed_autosave (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autofree char *clear = NULL;
  g_autofree char *plain = NULL;

  fill (f->window, "alice@example.org", BODY);
  signet_test_wait_until (one_draft, f);
  g_assert_false (one_sealed_draft (f));
  g_object_set (f->window, "seal", TRUE, NULL);
  signet_test_wait_until (one_sealed_draft, f);
  path = only_draft (f);
  clear = signet_test_read_clear_text (path);
  g_assert_null (strstr (clear, SUBJECT));
  g_assert_null (strstr (clear, "alice@example.org"));
  g_assert_null (strstr (clear, "harbour"));
  plain = signet_test_decrypt_message (homedir, path);
  g_assert_nonnull (strstr (plain, BODY));
}

static AdwMessageDialog *
close_for_prompt (Fixture *f)
{
  gtk_window_close (GTK_WINDOW (f->window));
  return signet_ui_wait_for_dialog ();
}

/* The close prompt stays: Discard removes the saved draft. */
static void
test_discard_removes (Fixture *f, gconstpointer data)
{
  fill (f->window, "alice@example.org", BODY);
  signet_test_wait_until (one_draft, f);
  signet_ui_click_response (close_for_prompt (f), "_Discard");
  signet_test_wait_until (window_gone, f);
  signet_test_wait_until (no_draft, f);
}

/* Save Draft replaces the saved draft; closing then keeps it. */
static void
test_save_draft_replaces (Fixture *f, gconstpointer data)
{
  fill (f->window, "alice@example.org", BODY);
  signet_test_wait_until (one_draft, f);
  gtk_editable_set_text (GTK_EDITABLE (child_of (f->window, "subject_entry")), "Saved by hand");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.save-draft", NULL));
  signet_test_wait_until (drafts_idle, f);
  while (signet_compose_window_get_busy (f->window))
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (signet_compose_window_get_modified (f->window));
  pause_for (DELAY_MS * 2);
  signet_test_wait_until (one_draft, f);
  {
    g_autofree char *path = only_draft (f);
    g_autofree char *raw = signet_test_read_file (path);

    g_assert_nonnull (strstr (raw, "Saved by hand"));
  }
  gtk_window_close (GTK_WINDOW (f->window));
  signet_test_wait_until (window_gone, f);
  g_assert_null (signet_ui_find_dialog ());
  signet_test_wait_until (one_draft, f);
}

/* Saved, then Seal turned on and the window closed at once (nothing typed:
 * no question): the draft is saved again, sealed, before it goes. */
static void
test_seal_then_close (Fixture *f, gconstpointer data)
{
  fill (f->window, "alice@example.org", BODY);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.save-draft", NULL));
  while (signet_compose_window_get_busy (f->window))
    g_main_context_iteration (NULL, TRUE);
  signet_test_wait_until (one_draft, f);
  g_assert_false (one_sealed_draft (f));
  g_object_set (f->window, "seal", TRUE, NULL);
  gtk_window_close (GTK_WINDOW (f->window));
  signet_test_wait_until (window_gone, f);
  g_assert_null (signet_ui_find_dialog ());
  signet_test_wait_until (one_sealed_draft, f);
}

/* Sent: its draft goes, once the message is in the Outbox. */
static gboolean
in_sent (gpointer data)
{
  Fixture *f = data;
  g_autofree char *sent = g_build_filename (f->s.mail, "Sent", NULL);

  return signet_test_count_files (sent) >= 1;
}

static void
test_send_removes (Fixture *f, gconstpointer data)
{

  fill (f->window, "alice@example.org", BODY);
  signet_test_wait_until (one_draft, f);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (window_gone, f);
  signet_test_wait_until (no_draft, f);
  signet_test_wait_until (in_sent, f);
}

static gboolean
listed (gpointer data)
{
  return !signet_drafts_window_get_loading (data);
}

static GtkWidget *
find_button (GtkWidget *root, const char *label)
{
  return signet_ui_find_widget (root, GTK_TYPE_BUTTON, label);
}

static SignetComposeWindow *
other_composer (Fixture *f)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (SIGNET_IS_COMPOSE_WINDOW (window) && window != GTK_WINDOW (f->window) &&
          signet_compose_window_get_draft_name (SIGNET_COMPOSE_WINDOW (window)) != NULL)
        return SIGNET_COMPOSE_WINDOW (window);
    }
  return NULL;
}

static gboolean
composer_opened (gpointer data)
{
  return other_composer (data) != NULL;
}

static char *
field_text (SignetComposeWindow *window, const char *name)
{
  g_autoptr(GPtrArray) list = signet_recipient_field_dup_addresses (SIGNET_RECIPIENT_FIELD (child_of (window, name)),
                                                                    TRUE, NULL);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      g_autofree char *one = signet_address_to_string (g_ptr_array_index (list, i));
      g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", one);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
body_of (SignetComposeWindow *window)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child_of (window, "body_view")));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
attachment_loaded (gpointer window)
{
  return signet_compose_window_get_n_attachments (window) == 1;
}

/* The Drafts window lists a sealed draft (decrypted for the list) and
 * opens it in a composer with everything restored; that composer owns it:
 * sending removes it, and the list empties. */
static void
test_window_lists_and_opens (Fixture *f, gconstpointer data)
{
  g_autofree char *attachment_path = g_build_filename (f->s.dir, ATTACHMENT_NAME, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (attachment_path);
  SignetDraftsWindow *list;
  SignetComposeWindow *opened;
  GtkWidget *open;
  gboolean seal = FALSE, sign = FALSE;
  g_autofree char *to = NULL;
  g_autofree char *cc = NULL;
  g_autofree char *bcc = NULL;
  g_autofree char *body = NULL;

  g_assert_true (g_file_set_contents (attachment_path, ATTACHMENT_TEXT, -1, NULL));
  g_object_set (f->window, "seal", TRUE, "sign", TRUE, NULL);
  fill (f->window, "Alice <alice@example.org>", BODY);
  gtk_editable_set_text (GTK_EDITABLE (child_of (f->window, "cc_entry")), "bob@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child_of (f->window, "bcc_entry")), "carol@example.org");
  signet_compose_window_add_attachment (f->window, file);
  signet_test_wait_until (attachment_loaded, f->window);
  signet_test_wait_until (one_draft, f);
  pause_for (DELAY_MS * 2);
  signet_test_wait_until (one_draft, f);
  /* Closed with its draft saved. */
  signet_ui_click_response (close_for_prompt (f), "_Save Draft");
  signet_test_wait_until (window_gone, f);
  signet_test_wait_until (one_draft, f);

  list = signet_drafts_window_new (app, f->drafts);
  gtk_window_present (GTK_WINDOW (list));
  signet_test_wait_until (listed, list);
  g_assert_cmpuint (signet_drafts_window_get_n_rows (list), ==, 1);
  g_assert_nonnull (signet_ui_find_widget (GTK_WIDGET (list), GTK_TYPE_LABEL, SUBJECT));
  open = find_button (GTK_WIDGET (list), "Open");
  g_assert_nonnull (open);
  g_signal_emit_by_name (open, "clicked");
  signet_test_wait_until (composer_opened, f);
  opened = other_composer (f);
  signet_test_wait_until (attachment_loaded, opened);

  to = field_text (opened, "to_entry");
  cc = field_text (opened, "cc_entry");
  bcc = field_text (opened, "bcc_entry");
  body = body_of (opened);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child_of (opened, "from_entry"))), ==,
                   "Signet Demo <demo@example.org>");
  g_assert_cmpstr (to, ==, "Alice <alice@example.org>");
  g_assert_cmpstr (cc, ==, "bob@example.org");
  g_assert_cmpstr (bcc, ==, "carol@example.org");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child_of (opened, "subject_entry"))), ==, SUBJECT);
  g_assert_cmpstr (body, ==, BODY);
  g_object_get (opened, "seal", &seal, "sign", &sign, NULL);
  g_assert_true (seal);
  g_assert_true (sign);
  g_assert_false (signet_compose_window_get_modified (opened));

  /* Open again: the composer that has it comes forward, no second one. */
  signet_test_wait_until (listed, list);
  open = find_button (GTK_WIDGET (list), "Show");
  g_assert_nonnull (open);
  g_signal_emit_by_name (open, "clicked");
  pause_for (100);
  g_assert_true (other_composer (f) == opened);

  /* Sent: the draft is gone, and so is its row. */
  f->window = opened;
  g_object_add_weak_pointer (G_OBJECT (opened), (gpointer *) &f->window);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (opened), "compose.send", NULL));
  signet_test_wait_until (window_gone, f);
  signet_test_wait_until (no_draft, f);
  signet_test_wait_until (listed, list);
  g_assert_cmpuint (signet_drafts_window_get_n_rows (list), ==, 0);
  signet_test_wait_until (in_sent, f);
}

static GtkWidget *
find_tooltip (GtkWidget *root, const char *tooltip)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (c) && g_strcmp0 (gtk_widget_get_tooltip_text (c), tooltip) == 0)
        return c;
      if ((found = find_tooltip (c, tooltip)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
file_gone (gpointer path)
{
  return !g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
no_rows (gpointer list)
{
  return !signet_drafts_window_get_loading (list) && signet_drafts_window_get_n_rows (list) == 0;
}

/* A draft that cannot be read is listed, with why, and left alone until
 * the user deletes it. */
static void
test_window_unreadable (Fixture *f, gconstpointer data)
{
  g_autofree char *bad = g_build_filename (f->drafts_dir, "new", "1.unreadable", NULL);
  SignetDraftsWindow *list;
  GtkWidget *remove;

  g_assert_true (signet_store_ensure (f->s.store, NULL));
  g_assert_true (g_file_set_contents (bad, "not a message", -1, NULL));
  list = signet_drafts_window_new (app, f->drafts);
  gtk_window_present (GTK_WINDOW (list));
  signet_test_wait_until (listed, list);
  g_assert_cmpuint (signet_drafts_window_get_n_rows (list), ==, 1);
  g_assert_nonnull (signet_ui_find_widget (GTK_WIDGET (list), GTK_TYPE_LABEL, "This draft cannot be read"));
  g_assert_null (find_button (GTK_WIDGET (list), "Open"));
  g_assert_true (g_file_test (bad, G_FILE_TEST_EXISTS));

  /* The user may delete it. */
  remove = find_tooltip (GTK_WIDGET (list), "Delete draft This draft cannot be read");
  g_assert_nonnull (remove);
  g_assert_true (gtk_widget_activate (remove));
  signet_test_wait_until (file_gone, bad);
  signet_test_wait_until (no_rows, list);
}

int
main (int argc, char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
  app = GTK_APPLICATION (adw_application_new ("io.github.signetmail.Signet.DraftsTests", G_APPLICATION_NON_UNIQUE));
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
#define ADD(path, fn) g_test_add ("/drafts-window/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("typing-autosaves", test_typing_autosaves);
  ADD ("sealed-autosave", test_sealed_autosave);
  ADD ("discard-removes", test_discard_removes);
  ADD ("save-draft-replaces", test_save_draft_replaces);
  ADD ("seal-then-close", test_seal_then_close);
  ADD ("send-removes", test_send_removes);
  ADD ("lists-and-opens", test_window_lists_and_opens);
  ADD ("unreadable", test_window_unreadable);
#undef ADD
  ret = g_test_run ();
  g_object_unref (app);
  signet_test_remove_gnupghome (homedir);
  return ret;
}
