/* Attachments in the composer beyond the Attach button: the reminder on
 * Send when the message says something is attached but nothing is; files
 * dropped onto the window or pasted into the body; and the window's title
 * following the subject. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "signet-compose-window.h"
#include "signet-dialogs.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

static char *homedir;

typedef struct {
  SignetTestServices   s;
  SignetComposeWindow *window;
  char                *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  signet_test_services_init (&f->s, homedir, TRUE);
  f->window = signet_compose_window_new (NULL, f->s.operation, f->s.network, "Signet Demo <demo@example.org>");
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
  f->dir = g_dir_make_tmp ("sg-attach.XXXXXX", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_ui_destroy_all_windows ();
  g_assert_null (f->window);
  signet_test_remove_tree (f->dir);
  g_free (f->dir);
  signet_test_services_clear (&f->s);
}

static GtkWidget *
child (Fixture *f, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static void
fill (Fixture *f, const char *subject, const char *body)
{
  gtk_editable_set_text (GTK_EDITABLE (child (f, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child (f, "subject_entry")), subject);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (f, "body_view"))), body, -1);
}

static guint
count (Fixture *f, const char *folder)
{
  g_autofree char *new_dir = g_build_filename (f->s.mail, folder, "new", NULL);
  g_autofree char *cur_dir = g_build_filename (f->s.mail, folder, "cur", NULL);

  return signet_test_count_files (new_dir) + signet_test_count_files (cur_dir);
}

static gboolean
sent (gpointer data)
{
  Fixture *f = data;

  return f->window == NULL && count (f, "Sent") == 1;
}

static gboolean
sent_two (gpointer data)
{
  Fixture *f = data;

  return f->window == NULL && count (f, "Sent") == 2;
}

static GFile *
make_file (Fixture *f, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return g_file_new_for_path (path);
}

static gboolean
n_attachments (gpointer data)
{
  Fixture *f = data;

  return signet_compose_window_get_n_attachments (f->window) == GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->window), "want"));
}

static void
wait_attachments (Fixture *f, guint n)
{
  g_object_set_data (G_OBJECT (f->window), "want", GUINT_TO_POINTER (n));
  signet_test_wait_until (n_attachments, f);
}

static AdwMessageDialog *
send_expecting_reminder (Fixture *f, const char *word)
{
  AdwMessageDialog *dialog;
  g_autofree char *body = g_strdup_printf ("The message mentions “%s”, but nothing is attached.", word);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Did You Forget an Attachment?");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==, body);
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_ATTACH), ==, "_Attach…");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_SEND), ==, "_Send Anyway");
  return dialog;
}

/* Cancel goes back to the message, which nothing sent; Send Anyway sends. */
static void
test_reminder_send_anyway (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  fill (f, "Report", "Hello,\n\nthe report is attached.\n");
  dialog = send_expecting_reminder (f, "attached");
  g_signal_emit_by_name (dialog, "response", SIGNET_RESPONSE_CANCEL);
  gtk_window_destroy (GTK_WINDOW (dialog));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_nonnull (f->window);
  g_assert_cmpuint (count (f, "Outbox") + count (f, "Sent"), ==, 0);

  dialog = send_expecting_reminder (f, "attached");
  g_signal_emit_by_name (dialog, "response", SIGNET_RESPONSE_SEND);
  gtk_window_destroy (GTK_WINDOW (dialog));
  signet_test_wait_until (sent, f);
}

/* The subject counts too, in any case; Attach… opens the file chooser
 * and sends nothing. */
static void
test_reminder_attach (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;
  GListModel *toplevels = gtk_window_get_toplevels ();
  gboolean chooser = FALSE;

  fill (f, "Minutes ENCLOSED", "Hello");
  dialog = send_expecting_reminder (f, "enclosed");
  g_signal_emit_by_name (dialog, "response", SIGNET_RESPONSE_ATTACH);
  gtk_window_destroy (GTK_WINDOW (dialog));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);
      chooser |= GTK_IS_FILE_CHOOSER (window);
    }
  g_assert_true (chooser);
  g_assert_nonnull (f->window);
  g_assert_cmpuint (count (f, "Outbox") + count (f, "Sent"), ==, 0);
}

/* No reminder when the mention is only in a quote or the signature, or
 * when something is attached. */
static void
test_no_reminder (Fixture *f, gconstpointer data)
{
  g_autoptr(GFile) file = NULL;

  fill (f, "Re: minutes", "Thanks!\n\n> I attached the minutes.\n-- \nattachments welcome\n");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (sent, f);
  g_assert_null (signet_ui_find_dialog ());

  f->window = signet_compose_window_new (NULL, f->s.operation, f->s.network, "Signet Demo <demo@example.org>");
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
  fill (f, "Report", "The report is attached.");
  file = make_file (f, "report.txt", "numbers\n");
  signet_compose_window_add_attachment (f->window, file);
  wait_attachments (f, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  g_assert_null (signet_ui_find_dialog ());
  signet_test_wait_until (sent_two, f);
}

static GtkDropTarget *
find_drop_target (Fixture *f)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller) &&
          g_strcmp0 (gtk_event_controller_get_name (controller), "signet-attachment-drop") == 0)
        return GTK_DROP_TARGET (controller);
    }
  return NULL;
}

/* Files dropped onto the window become attachments, each once; the body
 * text is untouched. */
static void
test_drop_files (Fixture *f, gconstpointer data)
{
  GtkDropTarget *target = find_drop_target (f);
  g_autoptr(GFile) one = make_file (f, "one.txt", "1\n");
  g_autoptr(GFile) two = make_file (f, "two.pdf", "%PDF-1.4\n");
  GFile *files[] = { one, two };
  GdkFileList *list = gdk_file_list_new_from_array (files, 2);
  g_auto(GValue) value = G_VALUE_INIT;
  gboolean handled = FALSE;
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (f, "body_view")));

  g_assert_nonnull (target);
  g_assert_cmpint (gtk_event_controller_get_propagation_phase (GTK_EVENT_CONTROLLER (target)), ==, GTK_PHASE_CAPTURE);
  g_assert_true (gdk_content_formats_contain_gtype (gtk_drop_target_get_formats (target), GDK_TYPE_FILE_LIST));
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_set_boxed (&value, list);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &handled);
  g_assert_true (handled);
  wait_attachments (f, 2);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "");
  g_assert_true (signet_compose_window_get_modified (f->window));
  g_boxed_free (GDK_TYPE_FILE_LIST, list);
}

/* Files on the clipboard are attached by Paste in the body; text on the
 * clipboard is pasted as text. */
static void
test_paste_files (Fixture *f, gconstpointer data)
{
  GtkWidget *body = child (f, "body_view");
  GdkClipboard *clipboard = gtk_widget_get_clipboard (body);
  g_autoptr(GFile) one = make_file (f, "pasted.txt", "pasted\n");
  GFile *files[] = { one };
  GdkFileList *list = gdk_file_list_new_from_array (files, 1);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (body));
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gdk_clipboard_set (clipboard, GDK_TYPE_FILE_LIST, list);
  g_signal_emit_by_name (body, "paste-clipboard");
  wait_attachments (f, 1);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "");

  gdk_clipboard_set_text (clipboard, "plain words");
  g_signal_emit_by_name (body, "paste-clipboard");
  for (int i = 0; i < 100 && gtk_text_buffer_get_char_count (buffer) == 0; i++)
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&text, g_free);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "plain words");
  g_assert_cmpuint (signet_compose_window_get_n_attachments (f->window), ==, 1);
  g_boxed_free (GDK_TYPE_FILE_LIST, list);
}

/* The title is the subject, or "New Message" without one. */
static void
test_title (Fixture *f, gconstpointer data)
{
  GtkEditable *subject = GTK_EDITABLE (child (f, "subject_entry"));

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f->window)), ==, "New Message");
  gtk_editable_set_text (subject, "Quarterly figures");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f->window)), ==, "Quarterly figures");
  gtk_editable_set_text (subject, "   ");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f->window)), ==, "New Message");
  gtk_editable_set_text (subject, "  Trimmed  ");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f->window)), ==, "Trimmed");
}

int
main (int argc, char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
#define ADD(path, fn) \
  g_test_add ("/compose-attach/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("reminder-send-anyway", test_reminder_send_anyway);
  ADD ("reminder-attach", test_reminder_attach);
  ADD ("no-reminder", test_no_reminder);
  ADD ("drop-files", test_drop_files);
  ADD ("paste-files", test_paste_files);
  ADD ("title", test_title);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
