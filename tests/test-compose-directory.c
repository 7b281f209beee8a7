/* The composer with directory servers set up: while a sealed send or check
 * asks them, the window says so; a server that does not answer although
 * the network is up brings the KB dialog, with its exact heading and a body
 * naming the server, and nothing is written. */
#include <adwaita.h>
#include <string.h>

#include "signet-compose-window.h"
#include "signet-dialogs.h"
#include "signet-directory-servers.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

#define KB_HEADING "The client operation failed. The recipients could not be validated."

static char *homedir;

typedef struct {
  SignetTestServices      s;
  SignetDirectoryServers *servers;
  SignetComposeWindow    *window;
  char                   *url;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const char *servers[] = { NULL, NULL };

  signet_test_services_init (&f->s, homedir, TRUE);
  f->servers = signet_directory_servers_new (f->s.directory, homedir);
  f->url = g_strdup_printf ("hkp://127.0.0.1:%u", signet_test_closed_port ());
  servers[0] = f->url;
  signet_directory_servers_configure (f->servers, servers, NULL, FALSE);
  signet_send_operation_set_directory_servers (f->s.operation, f->servers);
  f->window = signet_compose_window_new (NULL, f->s.operation, f->s.network, "Signet Demo <demo@example.org>");
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_ui_destroy_all_windows ();
  g_assert_null (f->window);
  g_clear_object (&f->servers);
  g_free (f->url);
  signet_test_services_clear (&f->s);
}

static GtkWidget *
child (Fixture *f, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static guint
count (Fixture *f, const char *folder)
{
  g_autofree char *new_dir = g_build_filename (f->s.mail, folder, "new", NULL);
  g_autofree char *cur_dir = g_build_filename (f->s.mail, folder, "cur", NULL);

  return signet_test_count_files (new_dir) + signet_test_count_files (cur_dir);
}

static void
fill_sealed (Fixture *f)
{
  gtk_editable_set_text (GTK_EDITABLE (child (f, "to_entry")), "alice@example.org, bob@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child (f, "subject_entry")), "Merger");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (f, "body_view"))), "Secret.", -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.seal", NULL));
}

static void
assert_kb_dialog (Fixture *f, const char *action)
{
  GtkWidget *progress = child (f, "progress_label");
  AdwMessageDialog *dialog;
  g_autofree char *server = g_strdup_printf ("The directory server %s could not be reached", f->url);

  fill_sealed (f);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), action, NULL));
  /* While the servers are asked, the window says so. */
  g_assert_true (gtk_widget_get_visible (progress));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (progress)), ==, "Checking 2 recipients in the directory…");
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, KB_HEADING);
  g_assert_true (g_str_has_prefix (adw_message_dialog_get_body (dialog), server));
  g_assert_true (adw_message_dialog_has_response (dialog, SIGNET_RESPONSE_SAVE_DRAFT));
  g_assert_false (gtk_widget_get_visible (progress));
  /* Nothing sent, nothing written; the message is still there. */
  g_assert_cmpuint (count (f, "Outbox") + count (f, "Sent") + count (f, "Drafts"), ==, 0);
  g_assert_nonnull (f->window);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (f, "subject_entry"))), ==, "Merger");
}

static void
test_send_unreachable (Fixture *f, gconstpointer data)
{
  assert_kb_dialog (f, "compose.send");
}

static void
test_check_names_unreachable (Fixture *f, gconstpointer data)
{
  assert_kb_dialog (f, "compose.check-names");
}

static gboolean
window_gone (gpointer data)
{
  return ((Fixture *) data)->window == NULL;
}

/* Without Seal, the servers are not asked: the message goes. */
static void
test_unsealed_not_asked (Fixture *f, gconstpointer data)
{
  gtk_editable_set_text (GTK_EDITABLE (child (f, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child (f, "subject_entry")), "Lunch");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  g_assert_false (gtk_widget_get_visible (child (f, "progress_label")));
  signet_test_wait_until (window_gone, f);
  g_assert_null (signet_ui_find_dialog ());
}

static gboolean
note_shown (gpointer data)
{
  Fixture *f = data;
  GtkWidget *note = signet_ui_find_widget (child (f, "to_entry"), GTK_TYPE_LABEL,
                                           "Offline: only your keyring is searched");

  return note != NULL && gtk_widget_get_visible (note) && gtk_widget_get_mapped (note);
}

/* Offline, the suggestions come from the keyring alone, and say so; back
 * online, the note goes. */
static void
test_offline_completion_note (Fixture *f, gconstpointer data)
{
  GtkWidget *note;

  signet_test_monitor_set_available (f->s.monitor, FALSE);
  gtk_widget_grab_focus (child (f, "to_entry"));
  gtk_editable_set_text (GTK_EDITABLE (child (f, "to_entry")), "ali");
  signet_test_wait_until (note_shown, f);
  signet_test_monitor_set_available (f->s.monitor, TRUE);
  note = signet_ui_find_widget (child (f, "to_entry"), GTK_TYPE_LABEL, "Offline: only your keyring is searched");
  g_assert_true (note == NULL || !gtk_widget_get_visible (note));
}

int
main (int argc, char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
#define ADD(path, fn) \
  g_test_add ("/compose-directory/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("send-unreachable", test_send_unreachable);
  ADD ("check-names-unreachable", test_check_names_unreachable);
  ADD ("unsealed-not-asked", test_unsealed_not_asked);
  ADD ("offline-completion-note", test_offline_completion_note);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
