#include <adwaita.h>
#include <string.h>

#include "signet-compose-window.h"
#include "signet-dialogs.h"
#include "signet-test-util.h"

#define KB_HEADING "The client operation failed. The recipients could not be validated."

static char *homedir;

typedef struct {
  SignetTestServices   s;
  SignetComposeWindow *window;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  signet_test_services_init (&f->s, homedir, GPOINTER_TO_INT (data));
  f->window = signet_compose_window_new (NULL, f->s.operation, f->s.network, "Signet Demo <demo@example.org>");
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  while (g_list_model_get_n_items (toplevels) > 0)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, 0);
      gtk_window_destroy (window);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (f->window);
  signet_test_services_clear (&f->s);
}

static GtkWidget *
child (Fixture *f, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static void
fill (Fixture *f, const char *to, const char *bcc, const char *body)
{
  GtkTextView *view = GTK_TEXT_VIEW (child (f, "body_view"));

  gtk_editable_set_text (GTK_EDITABLE (child (f, "to_entry")), to);
  gtk_editable_set_text (GTK_EDITABLE (child (f, "bcc_entry")), bcc ? bcc : "");
  gtk_editable_set_text (GTK_EDITABLE (child (f, "subject_entry")), "Merger");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), body, -1);
}

static void
set_seal (Fixture *f, gboolean seal)
{
  gboolean current;

  g_object_get (f->window, "seal", &current, NULL);
  if (current != seal)
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.seal", NULL));
  g_object_get (f->window, "seal", &current, NULL);
  g_assert_cmpint (current, ==, seal);
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}

static AdwMessageDialog *
wait_for_dialog (void)
{
  signet_test_wait_until (dialog_shown, NULL);
  return find_dialog ();
}

/* Committed messages only (new/ and cur/), not files still being written. */
static guint
count (Fixture *f, const char *folder)
{
  g_autofree char *new_dir = g_build_filename (f->s.mail, folder, "new", NULL);
  g_autofree char *cur_dir = g_build_filename (f->s.mail, folder, "cur", NULL);
  return signet_test_count_files (new_dir) + signet_test_count_files (cur_dir);
}

static char *
first_file (const char *maildir)
{
  const char *subs[] = { "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *dir = g_build_filename (maildir, subs[i], NULL);
      g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
      const char *name = d ? g_dir_read_name (d) : NULL;
      if (name != NULL)
        return g_build_filename (dir, name, NULL);
    }
  g_error ("no message in %s", maildir);
}

static gboolean
drafts_written (gpointer data)
{
  return count (data, "Drafts") == 1;
}

/* KB Q154089: offline, Seal on, Send → the modal dialog with the exact heading;
 * nothing is sent or stored; Save Draft stores a sealed draft. */
static void
test_offline_send (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;
  g_autofree char *drafts = NULL;
  g_autofree char *draft = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *plain = NULL;

  fill (f, "alice@example.org", "carol@example.org", "Do not leak this.");
  set_seal (f, TRUE);
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (child (f, "offline_revealer"))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));

  dialog = wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, KB_HEADING);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "turn off Work Offline"));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "save-draft"), ==, "_Save Draft");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "close"), ==, "_Close");
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
  /* Everything typed is still there. */
  g_assert_nonnull (f->window);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (f, "to_entry"))), ==, "alice@example.org");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (f, "bcc_entry"))), ==, "carol@example.org");

  adw_message_dialog_response (dialog, SIGNET_RESPONSE_SAVE_DRAFT);
  signet_test_wait_until (drafts_written, f);
  drafts = g_build_filename (f->s.mail, "Drafts", NULL);
  draft = first_file (drafts);
  raw = signet_test_read_file (draft);
  g_assert_null (strstr (raw, "Do not leak this."));
  plain = signet_test_decrypt_message (homedir, draft);
  g_assert_nonnull (strstr (plain, "Do not leak this."));
  g_assert_cmpuint (count (f, "Outbox"), ==, 0);
  g_assert_cmpuint (count (f, "Sent"), ==, 0);
}

/* Work Offline with the network up, and Check Names (Ctrl+K): same dialog. */
static void
test_work_offline_check_names (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  fill (f, "alice@example.org", NULL, "x");
  set_seal (f, TRUE);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (child (f, "offline_revealer"))));
  signet_network_set_work_offline (f->s.network, TRUE);
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (child (f, "offline_revealer"))));
  g_assert_true (gtk_widget_get_visible (child (f, "work_online_button")));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
  dialog = wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, KB_HEADING);
  adw_message_dialog_response (dialog, SIGNET_RESPONSE_CLOSE);
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
}

static gboolean
window_closed_and_sent (gpointer data)
{
  Fixture *f = data;
  return f->window == NULL && count (f, "Sent") == 1;
}

static void
test_online_send (Fixture *f, gconstpointer data)
{
  g_autofree char *sent = NULL;
  g_autofree char *message = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *raw = NULL;

  fill (f, "Alice Demo <alice@example.org>", NULL, "Sealed and delivered.");
  set_seal (f, TRUE);
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (child (f, "seal_button"))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (window_closed_and_sent, f);
  g_assert_cmpuint (count (f, "Outbox"), ==, 0);
  sent = g_build_filename (f->s.mail, "Sent", NULL);
  message = first_file (sent);
  raw = signet_test_read_file (message);
  g_assert_null (strstr (raw, "Sealed and delivered."));
  plain = signet_test_decrypt_message (homedir, message);
  g_assert_nonnull (strstr (plain, "Sealed and delivered."));
}

static void
test_missing_key (Fixture *f, gconstpointer data)
{
  g_autofree char *tooltip = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *list;
  GtkWidget *row;

  fill (f, "alice@example.org, nobody@example.org", "erin@example.org", "x");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  dialog = wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Some Recipients Cannot Receive Sealed Mail");
  list = adw_message_dialog_get_extra_child (dialog);
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "nobody@example.org");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "No sealing key was found in the directory");
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 1));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "erin@example.org");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "The sealing key has expired");
  g_assert_null (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 2));
  g_assert_cmpstr (gtk_entry_get_icon_name (GTK_ENTRY (child (f, "to_entry")), GTK_ENTRY_ICON_SECONDARY), ==, "dialog-warning-symbolic");
  tooltip = gtk_entry_get_icon_tooltip_text (GTK_ENTRY (child (f, "to_entry")), GTK_ENTRY_ICON_SECONDARY);
  g_assert_nonnull (strstr (tooltip, "nobody@example.org: No sealing key was found in the directory"));
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
  g_assert_nonnull (f->window);
}

static void
test_invalid_address (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  fill (f, "alice@example.org, bob", NULL, "x");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  dialog = wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Invalid Address");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==, "“bob” is not a valid email address.");
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
}

static gboolean
has_attachment (gpointer data)
{
  return signet_compose_window_get_n_attachments (data) == 1;
}

static gboolean
sent_one (gpointer data)
{
  return count (data, "Sent") == 1 && ((Fixture *) data)->window == NULL;
}

/* Unsealed, online, with an attachment: the message and file arrive. */
static void
test_clear_with_attachment (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->s.dir, "notes.txt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *sent = NULL;
  g_autofree char *message = NULL;
  g_autofree char *raw = NULL;
  GtkListBoxRow *row;

  g_assert_true (g_file_set_contents (path, "attached words\n", -1, NULL));
  fill (f, "bob@example.org", NULL, "See attachment.");
  signet_compose_window_add_attachment (f->window, file);
  signet_test_wait_until (has_attachment, f->window);
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (child (f, "attachment_list")), 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "notes.txt");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "15 bytes");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (sent_one, f);
  sent = g_build_filename (f->s.mail, "Sent", NULL);
  message = first_file (sent);
  raw = signet_test_read_file (message);
  g_assert_nonnull (strstr (raw, "See attachment."));
  g_assert_nonnull (strstr (raw, "filename=notes.txt"));
}

/* The composer fits a 360 px wide phone screen. */
static void
test_narrow (Fixture *f, gconstpointer data)
{
  int minimum = 0, natural = 0;

  fill (f, "Alice Demo <alice@example.org>, Bob Demo <bob@example.org>, carol@example.org", NULL,
        "A long line of text that must wrap rather than widen the window beyond a phone's screen.");
  gtk_widget_measure (GTK_WIDGET (f->window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  g_test_message ("minimum width %d, natural %d", minimum, natural);
  g_assert_cmpint (minimum, <=, 360);
}

/* Removing an attachment takes it out of the message. */
static void
test_remove_attachment (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->s.dir, "draft.odt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GtkListBoxRow *row;
  GtkWidget *remove = NULL;

  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  signet_compose_window_add_attachment (f->window, file);
  signet_test_wait_until (has_attachment, f->window);
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (child (f, "attachment_list")), 0);
  for (GtkWidget *w = GTK_WIDGET (row); w != NULL && remove == NULL; )
    {
      if (GTK_IS_BUTTON (w) && g_strcmp0 (gtk_widget_get_tooltip_text (w), "Remove draft.odt") == 0)
        remove = w;
      else if (gtk_widget_get_first_child (w) != NULL)
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != NULL && gtk_widget_get_next_sibling (w) == NULL && w != GTK_WIDGET (row))
            w = gtk_widget_get_parent (w);
          w = (w == NULL || w == GTK_WIDGET (row)) ? NULL : gtk_widget_get_next_sibling (w);
        }
    }
  g_assert_nonnull (remove);
  g_signal_emit_by_name (remove, "clicked");
  g_assert_cmpuint (signet_compose_window_get_n_attachments (f->window), ==, 0);
  g_assert_false (gtk_widget_get_visible (child (f, "attachment_list")));
}

int
main (int argc, char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
#define ADD(path, online, fn) \
  g_test_add ("/compose-window/" path, Fixture, GINT_TO_POINTER (online), fixture_setup, fn, fixture_teardown)
  ADD ("offline-send-kb-dialog", FALSE, test_offline_send);
  ADD ("work-offline-check-names", TRUE, test_work_offline_check_names);
  ADD ("online-send", TRUE, test_online_send);
  ADD ("missing-key", TRUE, test_missing_key);
  ADD ("invalid-address", TRUE, test_invalid_address);
  ADD ("clear-with-attachment", TRUE, test_clear_with_attachment);
  ADD ("narrow", TRUE, test_narrow);
  ADD ("remove-attachment", TRUE, test_remove_attachment);
#undef ADD
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
