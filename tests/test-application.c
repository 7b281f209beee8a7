/* The application in this process, as `signet --demo` runs it: app.quit,
 * SIGTERM, logout (query-end), a send in flight when quitting, and the
 * settings that reach the send operation. Each test runs the application
 * (g_application_run) with its body in an idle callback. */
#include <adwaita.h>
#include <signal.h>
#include <string.h>

#include "config.h"
#include "signet-application.h"
#include "signet-compose-window.h"
#include "signet-recipient-field.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

static char *data_home;

/* A notification server on the session bus, in a thread of its own, that
 * keeps what Signet tells the user after its window is gone. */
static GMutex notes_lock;
static GPtrArray *notes;  /* "title\nbody" */

static const char notifications_xml[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='u' direction='out'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
  "</interface></node>";

static void
notifications_call (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
                    const char *method, GVariant *parameters, GDBusMethodInvocation *invocation, gpointer data)
{
  if (g_str_equal (method, "Notify"))
    {
      const char *title = NULL, *body = NULL;
      guint id;

      g_variant_get_child (parameters, 3, "&s", &title);
      g_variant_get_child (parameters, 4, "&s", &body);
      g_mutex_lock (&notes_lock);
      g_ptr_array_add (notes, g_strdup_printf ("%s\n%s", title, body));
      id = notes->len;
      g_mutex_unlock (&notes_lock);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", id));
    }
  else if (g_str_equal (method, "GetCapabilities"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new_parsed ("(@as [],)"));
  else if (g_str_equal (method, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "test", "signet", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static gpointer
notifications_thread (gpointer data)
{
  static const GDBusInterfaceVTable vtable = { notifications_call, NULL, NULL, { 0 } };
  GAsyncQueue *ready = data;
  GMainContext *context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  GDBusConnection *connection;
  GDBusNodeInfo *node;

  g_main_context_push_thread_default (context);
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  node = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (connection, "/org/freedesktop/Notifications", node->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_variant_unref (g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                "org.freedesktop.DBus", "RequestName",
                                                g_variant_new ("(su)", "org.freedesktop.Notifications", 4),
                                                NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error));
  g_assert_no_error (error);
  g_async_queue_push (ready, GINT_TO_POINTER (1));
  while (TRUE)
    g_main_context_iteration (context, TRUE);
  return NULL;
}

static void
start_notification_server (void)
{
  g_autoptr(GAsyncQueue) ready = g_async_queue_new ();

  notes = g_ptr_array_new_with_free_func (g_free);
  g_thread_unref (g_thread_new ("notifications", notifications_thread, g_async_queue_ref (ready)));
  g_async_queue_pop (ready);
}

static gboolean
notified (gpointer data)
{
  gboolean found;

  g_mutex_lock (&notes_lock);
  found = notes->len > 0;
  g_mutex_unlock (&notes_lock);
  return found;
}

typedef struct {
  SignetApplication *app;
  void             (*body) (SignetApplication *app);
} Run;

static void
run_body (gpointer data)
{
  Run *run = data;
  run->body (run->app);
}

static gboolean
watchdog (gpointer data)
{
  g_error ("the application did not exit");
  return G_SOURCE_REMOVE;
}

/* Runs Signet (--demo and @extra) until it exits; returns its exit status. */
static int
run_app (void (*body) (SignetApplication *app), const char *extra)
{
  g_autoptr(SignetApplication) app = signet_application_new ();
  char *argv[] = { (char *) "signet", (char *) "--demo", (char *) extra, NULL };
  Run run = { app, body };
  guint watchdog_id;
  int status;

  /* Not the session's Signet: no single-instance name to take. */
  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
  g_idle_add_once (run_body, &run);
  watchdog_id = g_timeout_add_seconds (60, watchdog, NULL);
  status = g_application_run (G_APPLICATION (app), extra ? 3 : 2, argv);
  g_source_remove (watchdog_id);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return status;
}

static void
reset (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *mail = g_build_filename (data_home, "signet", "Mail", NULL);
  const char *keys[] = { "work-offline", "seal-by-default", "encrypt-subject", "own-key", "identity" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (settings, keys[i]);
  signet_test_remove_tree (mail);
}

static GPtrArray *
composers (SignetApplication *app)
{
  GPtrArray *found = g_ptr_array_new ();

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (SIGNET_IS_COMPOSE_WINDOW (l->data))
      g_ptr_array_add (found, l->data);
  return found;
}

static guint n_wanted;

static gboolean
has_composers (gpointer data)
{
  g_autoptr(GPtrArray) found = composers (data);
  return found->len == n_wanted;
}

static SignetComposeWindow *
wait_for_composers (SignetApplication *app, guint n)
{
  g_autoptr(GPtrArray) found = NULL;

  n_wanted = n;
  signet_test_wait_until (has_composers, app);
  found = composers (app);
  return g_ptr_array_index (found, 0);
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (data) == NULL;
}

static GtkWidget *
field (SignetComposeWindow *window, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static void
type (SignetComposeWindow *window, const char *to, const char *body)
{
  gtk_editable_set_text (GTK_EDITABLE (field (window, "to_entry")), to);
  gtk_editable_set_text (GTK_EDITABLE (field (window, "subject_entry")), "Quarterly");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (field (window, "body_view"))), body, -1);
  g_assert_true (signet_compose_window_get_modified (window));
}

static AdwMessageDialog *
wait_for_prompt (SignetComposeWindow *about)
{
  AdwMessageDialog *dialog;

  signet_test_wait_until (signet_ui_dialog_shown, NULL);
  dialog = signet_ui_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Save the message as a draft?");
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (about));
  return dialog;
}

static guint
count (const char *folder)
{
  g_autofree char *new_dir = g_build_filename (data_home, "signet", "Mail", folder, "new", NULL);
  g_autofree char *cur_dir = g_build_filename (data_home, "signet", "Mail", folder, "cur", NULL);
  return signet_test_count_files (new_dir) + signet_test_count_files (cur_dir);
}

/* Sends waiting in the Outbox (each a folder of copies and envelopes). */
static guint
count_queued (void)
{
  g_autofree char *new_dir = g_build_filename (data_home, "signet", "Mail", "Outbox", "new", NULL);
  g_autoptr(GDir) d = g_dir_open (new_dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static char *
read_draft (void)
{
  g_autofree char *dir = g_build_filename (data_home, "signet", "Mail", "Drafts", "new", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name = d ? g_dir_read_name (d) : NULL;
  g_autofree char *path = NULL;

  g_assert_nonnull (name);
  path = g_build_filename (dir, name, NULL);
  return signet_test_read_file (path);
}

static void
quit (SignetApplication *app)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
}

/* app.quit (Ctrl+Q) with an unsaved message: Save Draft saves, then quits. */
static void
body_quit_save (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  type (window, "alice@example.org", "Saved on quit.");
  quit (app);
  signet_ui_click_response (wait_for_prompt (window), "_Save Draft");
  signet_test_wait_until (no_windows, app);
}

static void
test_quit_save (void)
{
  reset ();
  g_assert_cmpint (run_app (body_quit_save, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
}

static void
body_quit_discard (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  type (window, "alice@example.org", "Thrown away.");
  quit (app);
  signet_ui_click_response (wait_for_prompt (window), "_Discard");
  signet_test_wait_until (no_windows, app);
}

static void
test_quit_discard (void)
{
  reset ();
  g_assert_cmpint (run_app (body_quit_discard, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 0);
}

/* Cancel stops the quit; the message is as it was. Quitting again asks again. */
static void
body_quit_cancel (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  type (window, "alice@example.org", "Not done yet.");
  quit (app);
  signet_ui_click_response (wait_for_prompt (window), "_Cancel");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (signet_ui_find_dialog ());
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (field (window, "body_view")));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "Not done yet.");
  {
    g_autofree char *to = signet_recipient_field_dup_text (SIGNET_RECIPIENT_FIELD (field (window, "to_entry")));
    g_assert_cmpstr (to, ==, "alice@example.org");
  }

  quit (app);
  signet_ui_click_response (wait_for_prompt (window), "_Discard");
  signet_test_wait_until (no_windows, app);
}

static void
test_quit_cancel (void)
{
  reset ();
  g_assert_cmpint (run_app (body_quit_cancel, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 0);
}

static SignetComposeWindow *prompted_first;

static gboolean
other_prompt_shown (gpointer data)
{
  AdwMessageDialog *dialog = signet_ui_find_dialog ();
  /* The first may be gone already: compare pointers, do not touch it. */
  return dialog != NULL && (gpointer) gtk_window_get_transient_for (GTK_WINDOW (dialog)) != (gpointer) prompted_first;
}

/* Two unsaved messages: app.quit asks about each in turn. */
static void
body_quit_in_turn (SignetApplication *app)
{
  g_autoptr(GPtrArray) windows = NULL;
  AdwMessageDialog *dialog;
  SignetComposeWindow *second;

  type (wait_for_composers (app, 1), "alice@example.org", "First.");
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-message", NULL);
  wait_for_composers (app, 2);
  windows = composers (app);
  type (g_ptr_array_index (windows, 0), "bob@example.org", "Second.");
  type (g_ptr_array_index (windows, 1), "carol@example.org", "Third.");
  quit (app);
  signet_test_wait_until (signet_ui_dialog_shown, NULL);
  dialog = signet_ui_find_dialog ();
  prompted_first = SIGNET_COMPOSE_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  second = g_ptr_array_index (windows, prompted_first == g_ptr_array_index (windows, 0) ? 1 : 0);
  signet_ui_click_response (dialog, "_Save Draft");
  signet_test_wait_until (other_prompt_shown, NULL);
  dialog = wait_for_prompt (second);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
  signet_ui_click_response (dialog, "_Discard");
  signet_test_wait_until (no_windows, app);
}

static void
test_quit_in_turn (void)
{
  reset ();
  g_assert_cmpint (run_app (body_quit_in_turn, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
}

static void
body_quit_clean (SignetApplication *app)
{
  wait_for_composers (app, 1);
  quit (app);
  g_assert_null (signet_ui_find_dialog ());
  signet_test_wait_until (no_windows, app);
}

static void
test_quit_clean (void)
{
  reset ();
  g_assert_cmpint (run_app (body_quit_clean, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 0);
}

/* SIGTERM, as a session or `kill` sends: the unsaved message is saved as a
 * draft, sealed to the sender's own key (Seal is on), and Signet exits. */
static void
body_sigterm (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  type (window, "alice@example.org", "Rescued by SIGTERM.");
  g_object_set (window, "seal", TRUE, NULL);
  raise (SIGTERM);
  signet_test_wait_until (no_windows, app);
}

static void
test_sigterm (void)
{
  g_autofree char *draft = NULL;

  reset ();
  g_assert_cmpint (run_app (body_sigterm, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
  draft = read_draft ();
  g_assert_nonnull (strstr (draft, "-----BEGIN PGP MESSAGE-----"));
  g_assert_null (strstr (draft, "Rescued by SIGTERM."));
}

/* A close prompt is up in one composer; the other has no sender, so its
 * draft cannot be saved: that is logged (without the message's words) and
 * does not keep Signet from exiting. */
static void
body_sigterm_unsavable (SignetApplication *app)
{
  g_autoptr(GPtrArray) windows = NULL;
  SignetComposeWindow *asking;
  SignetComposeWindow *no_from;

  wait_for_composers (app, 1);
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-message", NULL);
  wait_for_composers (app, 2);
  windows = composers (app);
  asking = g_ptr_array_index (windows, 0);
  no_from = g_ptr_array_index (windows, 1);
  type (asking, "alice@example.org", "Asked about.");
  gtk_editable_set_text (GTK_EDITABLE (field (no_from, "from_entry")), "");
  /* Sealed: without a sender there is no key to seal its draft to. */
  g_object_set (no_from, "seal", TRUE, NULL);
  type (no_from, "bob@example.org", "Secret words.");
  gtk_window_close (GTK_WINDOW (asking));
  wait_for_prompt (asking);
  g_test_expect_message ("signet-compose-window", G_LOG_LEVEL_WARNING,
                         "A draft could not be saved before exit: the message has no valid sender (From)");
  raise (SIGTERM);
  signet_test_wait_until (no_windows, app);
  g_assert_null (signet_ui_find_dialog ());
}

static void
test_sigterm_unsavable (void)
{
  reset ();
  g_assert_cmpint (run_app (body_sigterm_unsavable, NULL), ==, 0);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (count ("Drafts"), ==, 1);
}

/* Logout: the session manager's query-end saves drafts, then Signet quits. */
static void
body_query_end (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  /* Nothing unsaved: logging out does not need Signet to do anything. */
  g_signal_emit_by_name (app, "query-end");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_nonnull (gtk_application_get_windows (GTK_APPLICATION (app)));

  type (window, "alice@example.org", "Saved at logout.");
  g_signal_emit_by_name (app, "query-end");
  signet_test_wait_until (no_windows, app);
}

static void
test_query_end (void)
{
  reset ();
  g_assert_cmpint (run_app (body_query_end, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
}

/* Quit while a send is in flight: the send is not cancelled; Signet exits
 * once it is done. (Work Offline: unsealed mail waits in Outbox.) */
static void
body_quit_while_sending (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  type (window, "alice@example.org", "Queued on the way out.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "compose.send", NULL));
  g_assert_true (signet_compose_window_get_busy (window));
  quit (app);
  g_assert_null (signet_ui_find_dialog ());
  signet_test_wait_until (no_windows, app);
}

static void
test_quit_while_sending (void)
{
  reset ();
  g_mutex_lock (&notes_lock);
  g_ptr_array_set_size (notes, 0);
  g_mutex_unlock (&notes_lock);
  g_assert_cmpint (run_app (body_quit_while_sending, "--offline"), ==, 0);
  g_assert_cmpuint (count_queued (), ==, 1);
  g_assert_cmpuint (count ("Drafts"), ==, 0);
  /* What it did is said after the window is gone: it waits in the Outbox. */
  signet_test_wait_until (notified, NULL);
  g_mutex_lock (&notes_lock);
  g_test_message ("notification: %s", (char *) g_ptr_array_index (notes, 0));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (notes, 0), "Message waiting in the Outbox\n"));
  g_mutex_unlock (&notes_lock);
}

/* Online: the composer closes once the message is in the Outbox, and the
 * application says "Message sent" when the Outbox has delivered it to
 * everyone; then, with nothing queued and no window, Signet ends. */
static void
body_send_online (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  type (window, "alice@example.org, bob@example.org", "Delivered, then said so.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "compose.send", NULL));
  signet_test_wait_until (no_windows, app);
}

static gboolean
sent_note (gpointer data)
{
  gboolean found = FALSE;

  g_mutex_lock (&notes_lock);
  for (guint i = 0; i < notes->len; i++)
    found |= g_str_has_prefix (g_ptr_array_index (notes, i), "Message sent\n");
  g_mutex_unlock (&notes_lock);
  return found;
}

static void
test_send_online (void)
{
  g_autofree char *alice = g_build_filename (data_home, "signet", "Local", "alice@example.org", "Inbox", NULL);

  reset ();
  g_mutex_lock (&notes_lock);
  g_ptr_array_set_size (notes, 0);
  g_mutex_unlock (&notes_lock);
  g_assert_cmpint (run_app (body_send_online, NULL), ==, 0);
  g_assert_cmpuint (count_queued (), ==, 0);
  g_assert_cmpuint (count ("Sent"), ==, 1);
  g_assert_cmpuint (signet_test_count_files (alice), ==, 1);
  signet_test_wait_until (sent_note, NULL);
  signet_test_remove_tree (alice);
}

static guint
count_local (const char *address)
{
  g_autofree char *new_dir = g_build_filename (data_home, "signet", "Local", address, "Inbox", "new", NULL);
  g_autofree char *cur_dir = g_build_filename (data_home, "signet", "Local", address, "Inbox", "cur", NULL);

  return signet_test_count_files (new_dir) + signet_test_count_files (cur_dir);
}

static void
type_more_while_sending (SignetComposeWindow *window)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (field (window, "body_view")));
  GtkTextIter end;

  type (window, "carol@example.org", "Part one.");
  g_object_set (window, "seal", TRUE, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "compose.send", NULL));
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, "\nPart two, typed while it was being sealed.", -1);
}

/* Closed while its send was in flight, after more was typed: the send
 * goes, and the window comes back asking about what was not sent. */
static void
body_close_after_typing (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);
  AdwMessageDialog *dialog;

  type_more_while_sending (window);
  gtk_window_close (GTK_WINDOW (window));
  dialog = wait_for_prompt (window);
  g_assert_cmpuint (count_queued () + count ("Sent"), >=, 1);
  adw_message_dialog_response (dialog, "save-draft");
  signet_test_wait_until (no_windows, app);
}

static void
test_close_after_typing (void)
{
  g_autofree char *local = g_build_filename (data_home, "signet", "Local", NULL);

  reset ();
  signet_test_remove_tree (local);
  g_assert_cmpint (run_app (body_close_after_typing, NULL), ==, 0);
  g_assert_cmpuint (count_local ("carol@example.org"), ==, 1);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
}

/* The same, then SIGTERM: what was typed after Send is saved as a draft. */
static void
body_sigterm_after_typing (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  type_more_while_sending (window);
  gtk_window_close (GTK_WINDOW (window));
  raise (SIGTERM);
  signet_test_wait_until (no_windows, app);
}

static void
test_sigterm_after_typing (void)
{
  g_autofree char *local = g_build_filename (data_home, "signet", "Local", NULL);

  reset ();
  signet_test_remove_tree (local);
  g_assert_cmpint (run_app (body_sigterm_after_typing, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
}

/* SIGHUP (the terminal closed) saves unsent messages like SIGTERM, and a
 * second signal does not cut the save short. */
static void
body_sighup_twice (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  type (window, "alice@example.org", "Terminal closed.");
  raise (SIGHUP);
  raise (SIGINT);
  signet_test_wait_until (no_windows, app);
}

static void
test_sighup_twice (void)
{
  reset ();
  g_assert_cmpint (run_app (body_sighup_twice, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
}

/* encrypt-subject and own-key reach the send operation, and follow changes. */
static void
body_settings (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(SignetSendOperation) operation = NULL;
  g_autofree char *own_key = NULL;
  gboolean encrypt_subject;

  g_object_get (window, "operation", &operation, NULL);
  g_object_get (operation, "encrypt-subject", &encrypt_subject, "own-key", &own_key, NULL);
  g_assert_false (encrypt_subject);
  g_assert_cmpstr (own_key, ==, "ABCDEF");
  g_settings_set_boolean (settings, "encrypt-subject", TRUE);
  g_settings_set_string (settings, "own-key", "");
  g_clear_pointer (&own_key, g_free);
  g_object_get (operation, "encrypt-subject", &encrypt_subject, "own-key", &own_key, NULL);
  g_assert_true (encrypt_subject);
  g_assert_cmpstr (own_key, ==, "");
  /* --offline (given to this invocation) switched Work Offline on. */
  g_assert_true (g_settings_get_boolean (settings, "work-offline"));
  quit (app);
  signet_test_wait_until (no_windows, app);
}

static guint
count_batches_in (const char *sub)
{
  g_autofree char *dir = g_build_filename (data_home, "signet", "Mail", "Outbox", sub, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static char *
first_batch (void)
{
  g_autofree char *dir = g_build_filename (data_home, "signet", "Mail", "Outbox", "new", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);

  return d != NULL ? g_strdup (g_dir_read_name (d)) : NULL;
}

static gboolean
outbox_window_shown (gpointer data)
{
  for (GList *l = gtk_application_get_windows (data); l != NULL; l = l->next)
    if (g_str_equal (G_OBJECT_TYPE_NAME (l->data), "SignetOutboxWindow"))
      return TRUE;
  return FALSE;
}

static gboolean
edited_away (gpointer data)
{
  return count_batches_in (".failed") == 0 && count_batches_in ("new") == 0 && count ("Drafts") == 1;
}

/* Offline, a message waits in the Outbox. app.outbox shows it; Edit takes
 * it out of the queue into a composer with everything in it, and holds it
 * there (not delivered, not lost) until the composer saves it as a draft:
 * then the Outbox forgets it. */
static void
body_outbox_edit (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);
  SignetComposeWindow *edited;
  g_autofree char *id = NULL;

  type (window, "alice@example.org, Bob <bob@example.org>", "Waited, then edited.");
  gtk_editable_set_text (GTK_EDITABLE (field (window, "bcc_entry")), "carol@example.org");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "compose.send", NULL));
  signet_test_wait_until (no_windows, app);
  g_assert_cmpuint (count_batches_in ("new"), ==, 1);

  g_action_group_activate_action (G_ACTION_GROUP (app), "outbox", NULL);
  signet_test_wait_until (outbox_window_shown, app);

  id = first_batch ();
  g_action_group_activate_action (G_ACTION_GROUP (app), "outbox-edit", g_variant_new_string (id));
  edited = wait_for_composers (app, 1);
  g_assert_cmpuint (count_batches_in ("new"), ==, 0);
  g_assert_cmpuint (count_batches_in (".failed"), ==, 1);
  {
    g_autofree char *to = signet_recipient_field_dup_text (SIGNET_RECIPIENT_FIELD (field (edited, "to_entry")));
    g_assert_cmpstr (to, ==, "alice@example.org, Bob <bob@example.org>");
  }
  {
    g_autofree char *bcc = signet_recipient_field_dup_text (SIGNET_RECIPIENT_FIELD (field (edited, "bcc_entry")));
    g_assert_cmpstr (bcc, ==, "carol@example.org");
  }
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (field (edited, "subject_entry"))), ==, "Quarterly");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (edited), "compose.save-draft", NULL));
  signet_test_wait_until (edited_away, NULL);
  while (gtk_application_get_windows (GTK_APPLICATION (app)) != NULL)
    gtk_window_destroy (gtk_application_get_windows (GTK_APPLICATION (app))->data);
  signet_test_wait_until (no_windows, app);
}

/* A queued message that cannot be read back (damaged here; a sealed one
 * whose key is gone, or a cancelled passphrase, the same) says so each
 * time Edit is tried, and stays in the Outbox for Retry or Delete: no
 * composer holds it. */
static void
body_outbox_edit_unreadable (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);
  g_autofree char *id = NULL;
  g_autofree char *eml = NULL;

  type (window, "alice@example.org", "Damaged in the Outbox.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "compose.send", NULL));
  signet_test_wait_until (no_windows, app);
  id = first_batch ();
  eml = g_build_filename (data_home, "signet", "Mail", "Outbox", "new", id, "001.eml", NULL);
  g_assert_true (g_file_set_contents (eml,
                                      "From: demo@example.org\nTo: alice@example.org\nSubject: ...\n"
                                      "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";"
                                      " boundary=x\n\n--x\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
                                      "--x\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n"
                                      "\nhQEMA1sfoo\n-----END PGP MESSAGE-----\n--x--\n", -1, NULL));

  for (guint i = 0; i < 2; i++)
    {
      AdwMessageDialog *dialog;

      g_action_group_activate_action (G_ACTION_GROUP (app), "outbox-edit", g_variant_new_string (id));
      dialog = signet_ui_wait_for_dialog ();
      g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "The Message Cannot Be Edited");
      g_assert_null (strstr (adw_message_dialog_get_body (dialog), "open in a composer"));
      gtk_window_destroy (GTK_WINDOW (dialog));
      signet_test_wait_until (no_windows, app);
    }
  g_assert_cmpuint (count_batches_in (".failed"), ==, 1);
  g_assert_cmpuint (count_batches_in ("new"), ==, 0);
}

static void
test_outbox_edit_unreadable (void)
{
  reset ();
  g_assert_cmpint (run_app (body_outbox_edit_unreadable, "--offline"), ==, 0);
}

static void
test_outbox_edit (void)
{
  reset ();
  g_assert_cmpint (run_app (body_outbox_edit, "--offline"), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
  g_assert_cmpuint (count ("Sent"), ==, 0);
}

static void
test_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  reset ();
  g_settings_set_boolean (settings, "encrypt-subject", FALSE);
  g_settings_set_string (settings, "own-key", "ABCDEF");
  g_assert_cmpint (run_app (body_settings, "--offline"), ==, 0);
}

static gboolean
composer_signs (gpointer data)
{
  gboolean sign = FALSE;

  g_object_get (data, "sign", &sign, NULL);
  return sign;
}

/* sign-by-default turns Sign on in a new composer of the demo sender,
 * who has a secret key. */
static void
body_sign_by_default (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  signet_test_wait_until (composer_signs, window);
  quit (app);
  signet_test_wait_until (no_windows, app);
}

static gboolean
menu_built (gpointer data)
{
  return gtk_menu_button_get_popover (GTK_MENU_BUTTON (field (data, "menu_button"))) != NULL;
}

static void
count_changes (GtkIconTheme *theme, guint *n)
{
  (*n)++;
}

/* Start-up keeps the icon theme GTK reads in a thread as it starts: with
 * a resource base path, GTK would add that path's icons to the theme,
 * which throws away what was read, and the composer's first icon would read
 * the theme again, before the first frame. */
static void
body_first_frame (SignetApplication *app)
{
  SignetComposeWindow *window = wait_for_composers (app, 1);

  /* The main menu is built after the first frame. */
  signet_test_wait_until (menu_built, window);
  quit (app);
  signet_test_wait_until (no_windows, app);
}

static void
test_icon_theme_kept (void)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());
  guint changes = 0;
  gulong id = g_signal_connect (theme, "changed", G_CALLBACK (count_changes), &changes);

  reset ();
  g_assert_cmpint (run_app (body_first_frame, NULL), ==, 0);
  g_signal_handler_disconnect (theme, id);
  g_assert_cmpuint (changes, ==, 0);
}

/* ---- drafts: the Drafts window, and the offer after a crash ----------- */

#include "signet-drafts-window.h"

static char *
draft_name (void)
{
  g_autofree char *dir = g_build_filename (data_home, "signet", "Mail", "Drafts", "new", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name = d ? g_dir_read_name (d) : NULL;

  g_assert_nonnull (name);
  return g_strdup (name);
}

/* The index a run that was killed leaves behind: @name was open. */
static void
write_crashed_session (const char *name)
{
  g_autofree char *path = g_build_filename (data_home, "signet", "session.gvariant", NULL);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  const char *names[] = { name, NULL };
  g_autoptr(GVariant) index = NULL;

  g_variant_dict_insert (&dict, "version", "u", 1);
  g_variant_dict_insert (&dict, "shutdown", "b", FALSE);
  g_variant_dict_insert_value (&dict, "drafts", g_variant_new_strv (names, -1));
  index = g_variant_ref_sink (g_variant_dict_end (&dict));
  g_assert_true (g_file_set_contents (path, g_variant_get_data (index), g_variant_get_size (index), NULL));
}

static gboolean
session_says_clean_end (void)
{
  g_autofree char *path = g_build_filename (data_home, "signet", "session.gvariant", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GVariant) index = NULL;
  gboolean shutdown = FALSE;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  index = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE_VARDICT, contents, len, FALSE, NULL, NULL));
  g_assert_true (g_variant_lookup (index, "shutdown", "b", &shutdown));
  return shutdown;
}

static AdwMessageDialog *
wait_for_offer (void)
{
  AdwMessageDialog *dialog = signet_ui_wait_for_dialog ();

  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Restore Unsaved Messages?");
  return dialog;
}

static gboolean
drafts_empty (gpointer data)
{
  return count ("Drafts") == 0;
}

static void
body_offer_discard (SignetApplication *app)
{
  wait_for_composers (app, 1);
  signet_ui_click_response (wait_for_offer (), "_Discard");
  signet_test_wait_until (drafts_empty, NULL);
  quit (app);
}

static gboolean
restored (gpointer data)
{
  g_autoptr(GPtrArray) found = composers (data);

  for (guint i = 0; i < found->len; i++)
    if (g_str_equal (gtk_editable_get_text (GTK_EDITABLE (field (g_ptr_array_index (found, i), "subject_entry"))),
                     "Quarterly"))
      return TRUE;
  return FALSE;
}

static void
body_offer_restore (SignetApplication *app)
{
  wait_for_composers (app, 1);
  signet_ui_click_response (wait_for_offer (), "_Restore");
  signet_test_wait_until (restored, app);
  quit (app);
  signet_test_wait_until (no_windows, app);
}

static void
test_sign_by_default (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  reset ();
  g_settings_set_boolean (settings, "sign-by-default", TRUE);
  g_assert_cmpint (run_app (body_sign_by_default, "--offline"), ==, 0);
  g_settings_reset (settings, "sign-by-default");
}

static gboolean
drafts_window_shown (gpointer data)
{
  for (GList *l = gtk_application_get_windows (data); l != NULL; l = l->next)
    if (SIGNET_IS_DRAFTS_WINDOW (l->data))
      return !signet_drafts_window_get_loading (l->data) && signet_drafts_window_get_n_rows (l->data) == 1;
  return FALSE;
}

static void
body_drafts_window (SignetApplication *app)
{
  g_auto(GStrv) accels = NULL;

  wait_for_composers (app, 1);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.drafts");
  g_assert_cmpstrv (accels, ((const char *[]) { "<Shift><Control>d", NULL }));
  g_action_group_activate_action (G_ACTION_GROUP (app), "drafts", NULL);
  signet_test_wait_until (drafts_window_shown, app);
  quit (app);
  signet_test_wait_until (no_windows, app);
}

/* Killed with a draft open: the next start offers it. Discard removes it;
 * Restore opens it; a clean end offers nothing more. */
static void
test_crash_offer (void)
{
  g_autofree char *name = NULL;

  reset ();
  g_assert_cmpint (run_app (body_quit_save, NULL), ==, 0);
  g_assert_true (session_says_clean_end ());
  name = draft_name ();
  write_crashed_session (name);
  g_assert_cmpint (run_app (body_offer_discard, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 0);

  reset ();
  g_assert_cmpint (run_app (body_quit_save, NULL), ==, 0);
  g_free (name);
  name = draft_name ();
  write_crashed_session (name);
  g_assert_cmpint (run_app (body_offer_restore, NULL), ==, 0);
  g_assert_cmpuint (count ("Drafts"), ==, 1);
  g_assert_true (session_says_clean_end ());
  g_assert_cmpint (run_app (body_drafts_window, NULL), ==, 0);
}

int
main (int argc, char *argv[])
{
  int ret;

  /* Before GLib reads it: Signet's data (demo keyring, Mail) goes here. */
  data_home = signet_test_make_tmpdir ();
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  start_notification_server ();
  g_test_add_func ("/application/quit/save", test_quit_save);
  g_test_add_func ("/application/quit/discard", test_quit_discard);
  g_test_add_func ("/application/quit/cancel", test_quit_cancel);
  g_test_add_func ("/application/quit/in-turn", test_quit_in_turn);
  g_test_add_func ("/application/quit/clean", test_quit_clean);
  g_test_add_func ("/application/quit/while-sending", test_quit_while_sending);
  g_test_add_func ("/application/send-online", test_send_online);
  g_test_add_func ("/application/sign-by-default", test_sign_by_default);
  g_test_add_func ("/application/close-after-typing", test_close_after_typing);
  g_test_add_func ("/application/sigterm-after-typing", test_sigterm_after_typing);
  g_test_add_func ("/application/sighup-twice", test_sighup_twice);
  g_test_add_func ("/application/sigterm", test_sigterm);
  g_test_add_func ("/application/sigterm-unsavable", test_sigterm_unsavable);
  g_test_add_func ("/application/query-end", test_query_end);
  g_test_add_func ("/application/settings", test_settings);
  g_test_add_func ("/application/icon-theme-kept", test_icon_theme_kept);
  g_test_add_func ("/application/outbox-edit", test_outbox_edit);
  g_test_add_func ("/application/outbox-edit-unreadable", test_outbox_edit_unreadable);
  g_test_add_func ("/application/crash-offer", test_crash_offer);
  ret = g_test_run ();
  {
    g_autofree char *home = g_build_filename (data_home, "signet", "demo-gnupg", NULL);
    const char *kill[] = { "gpgconf", "--homedir", home, "--kill", "all", NULL };
    g_spawn_sync (NULL, (char **) kill, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, NULL, NULL);
  }
  signet_test_remove_tree (data_home);
  g_free (data_home);
  return ret;
}
