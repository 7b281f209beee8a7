#include <adwaita.h>
#include <dlfcn.h>
#include <gdk/x11/gdkx.h>
#include <X11/Xlibint.h>
#include <string.h>
#include <unistd.h>

#include "signet-compose-window.h"
#include "signet-key-picker.h"
#include "signet-recipient-field.h"
#include "signet-spinner.h"
#include "signet-tooltip.h"
#include "signet-dialogs.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

#define KB_HEADING "The client operation failed. The recipients could not be validated."

static char *homedir;
static guint n_x_replies;
static guint n_batch_started;    /* threads of Signet's background work */
static gint  n_batch_running;

/* Each reply GTK waits for from the X server passes here, libX11's own
 * calls and its extensions' alike: a test counts the round trips a step
 * makes. */
Status
_XReply (Display *display, xReply *reply, int extra, Bool discard)
{
  static Status (*real) (Display *, xReply *, int, Bool);

  if (real == NULL)
    real = (Status (*) (Display *, xReply *, int, Bool)) dlsym (RTLD_NEXT, "_XReply");
  n_x_replies++;
  return real (display, reply, extra, discard);
}

/* The tests that count X requests or replies: skipped, and TRUE, on
 * another display. */
static gboolean
skipped_off_x11 (void)
{
  if (GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    return FALSE;
  g_test_skip ("not on X11");
  return TRUE;
}

typedef struct {
  GThreadFunc func;
  gpointer    data;
} BatchThread;

static gpointer
run_batch_thread (gpointer user_data)
{
  BatchThread thread = *(BatchThread *) user_data;
  gpointer result;

  g_free (user_data);
  result = thread.func (thread.data);
  g_atomic_int_dec_and_test (&n_batch_running);
  return result;
}

/* Signet's background work (sealing, lookups) starts its threads here,
 * named "signet-batch": a test can tell when it begins. */
GThread *
g_thread_new (const gchar *name, GThreadFunc func, gpointer data)
{
  static GThread *(*real) (const gchar *, GThreadFunc, gpointer);
  BatchThread *thread;

  if (real == NULL)
    real = (GThread *(*) (const gchar *, GThreadFunc, gpointer)) dlsym (RTLD_NEXT, "g_thread_new");
  if (g_strcmp0 (name, "signet-batch") != 0)
    return real (name, func, data);
  thread = g_new (BatchThread, 1);
  thread->func = func;
  thread->data = data;
  n_batch_started++;
  g_atomic_int_inc (&n_batch_running);
  return real (name, run_batch_thread, thread);
}
static GtkApplication *app;  /* for the tests that need one (TEST_WITH_APP) */

#define TEST_ONLINE   (1 << 0)
#define TEST_WITH_APP (1 << 1)

typedef struct {
  SignetTestServices   s;
  SignetComposeWindow *window;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  int flags = GPOINTER_TO_INT (data);

  signet_test_services_init (&f->s, homedir, (flags & TEST_ONLINE) != 0);
  f->window = signet_compose_window_new ((flags & TEST_WITH_APP) ? app : NULL, f->s.operation, f->s.network,
                                         "Signet Demo <demo@example.org>");
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_ui_destroy_all_windows ();
  g_assert_null (f->window);
  signet_test_services_clear (&f->s);
}

static GtkWidget *
child_of (SignetComposeWindow *window, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static GtkWidget *
child (Fixture *f, const char *name)
{
  return child_of (f->window, name);
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

static gboolean
toast_shown (Fixture *f, const char *text)
{
  return f->window != NULL && signet_ui_find_widget (child (f, "toast_overlay"), GTK_TYPE_LABEL, text) != NULL;
}

static gboolean
not_busy (gpointer data)
{
  Fixture *f = data;
  return f->window == NULL || !signet_compose_window_get_busy (f->window);
}

static gboolean
window_gone (gpointer data)
{
  return ((Fixture *) data)->window == NULL;
}

static const char *
entry_text (Fixture *f, const char *name)
{
  static char *kept;
  GtkWidget *widget = child (f, name);

  if (!SIGNET_IS_RECIPIENT_FIELD (widget))
    return gtk_editable_get_text (GTK_EDITABLE (widget));
  /* An address field: its pills and what is still typed, as one list. */
  g_free (kept);
  kept = signet_recipient_field_dup_text (SIGNET_RECIPIENT_FIELD (widget));
  return kept;
}

/* The key status shown on the pill for @email in field @name; -1 when it
 * shows none. */
static int
pill_status (Fixture *f, const char *name, const char *email)
{
  GListModel *model = signet_recipient_field_get_model (SIGNET_RECIPIENT_FIELD (child (f, name)));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SignetRecipient) r = g_list_model_get_item (model, i);

      if (g_str_equal (signet_recipient_get_address (r)->email, email))
        return signet_recipient_get_checked (r) ? (int) signet_recipient_get_status (r) : -1;
    }
  return -2;
}

static char *
body_text (Fixture *f)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (f, "body_view")));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
assert_text_kept (Fixture *f, const char *to, const char *body)
{
  g_autofree char *text = body_text (f);

  g_assert_nonnull (f->window);
  g_assert_cmpstr (entry_text (f, "to_entry"), ==, to);
  g_assert_cmpstr (entry_text (f, "subject_entry"), ==, "Merger");
  g_assert_cmpstr (text, ==, body);
}

/* Closes the composer as the window manager's close button does (or, with
 * @shortcut, as Ctrl+W does) and returns the question asked. */
static AdwMessageDialog *
close_and_wait_for_prompt (Fixture *f, gboolean shortcut)
{
  AdwMessageDialog *dialog;

  if (shortcut)
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "window.close", NULL));
  else
    gtk_window_close (GTK_WINDOW (f->window));
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Save the message as a draft?");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "“Merger” has not been sent or saved. If you discard it, what you wrote is lost.");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "save-draft"), ==, "_Save Draft");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "discard"), ==, "_Discard");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "cancel"), ==, "_Cancel");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "save-draft");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "save-draft"), ==, ADW_RESPONSE_SUGGESTED);
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "discard"), ==, ADW_RESPONSE_DESTRUCTIVE);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));
  g_assert_nonnull (f->window);
  return dialog;
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

  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, KB_HEADING);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "turn off Work Offline"));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "save-draft"), ==, "_Save Draft");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "close"), ==, "_Close");
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
  /* Everything typed is still there. */
  g_assert_nonnull (f->window);
  g_assert_cmpstr (entry_text (f, "to_entry"), ==, "alice@example.org");
  g_assert_cmpstr (entry_text (f, "bcc_entry"), ==, "carol@example.org");

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
  signet_test_wait_until ((GSourceFunc) gtk_widget_get_mapped, child (f, "work_online_button"));
  /* The ten, and Work Online. */
  g_assert_cmpuint (signet_ui_assert_mnemonics_unique (GTK_WIDGET (f->window)), ==, 11);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, KB_HEADING);
  adw_message_dialog_response (dialog, SIGNET_RESPONSE_CLOSE);
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
}

static gboolean
window_closed_and_sent (gpointer data)
{
  Fixture *f = data;
  /* The batch leaves the Outbox just after its copy is filed in Sent. */
  return f->window == NULL && count (f, "Sent") == 1 && count (f, "Outbox") == 0;
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

/* Text typed in as a sent composer is let go of (an input method's late
 * commit, a late "changed"), once the window itself is disposed: nothing
 * reaches what it let go of. */
typedef struct {
  GtkWidget *subject;
  GtkWidget *body;
  GtkWidget *to;
} LateFields;

static void
on_destroy_type_late (GtkWidget *window, LateFields *late)
{
  gtk_editable_set_text (GTK_EDITABLE (late->subject), "A late word");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (late->body)), "Later still.", -1);
  gtk_editable_set_text (GTK_EDITABLE (late->to), "late@example.org");
}

static void
test_typed_into_while_let_go (Fixture *f, gconstpointer data)
{
  LateFields late = { child (f, "subject_entry"), child (f, "body_view"), child (f, "to_entry") };

  fill (f, "Alice Demo <alice@example.org>", NULL, "Sent, then let go of.");
  g_signal_connect (f->window, "destroy", G_CALLBACK (on_destroy_type_late), &late);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (window_closed_and_sent, f);
}

static void
test_missing_key (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;
  GtkWidget *list;
  GtkWidget *row;

  fill (f, "alice@example.org, nobody@example.org", "erin@example.org", "x");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Some Recipients Cannot Receive Sealed Mail");
  list = adw_message_dialog_get_extra_child (dialog);
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "nobody@example.org");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "No sealing key was found in the directory");
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 1));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "erin@example.org");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "The sealing key has expired");
  g_assert_null (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 2));
  /* Each recipient's pill says it, in words. */
  g_assert_cmpint (pill_status (f, "to_entry", "nobody@example.org"), ==, SIGNET_KEY_STATUS_MISSING);
  g_assert_cmpint (pill_status (f, "to_entry", "alice@example.org"), ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpint (pill_status (f, "bcc_entry", "erin@example.org"), ==, SIGNET_KEY_STATUS_EXPIRED);
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
  g_assert_nonnull (f->window);
}

static SignetKeyPicker *
find_picker (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (SIGNET_IS_KEY_PICKER (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return SIGNET_KEY_PICKER (window);
    }
  return NULL;
}

static gboolean
picker_has_rows (gpointer data)
{
  SignetKeyPicker *picker = find_picker ();
  GtkWidget *list;
  guint n = 0;

  if (picker == NULL)
    return FALSE;
  list = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (picker), SIGNET_TYPE_KEY_PICKER, "list_box"));
  for (GtkWidget *c = gtk_widget_get_first_child (list); c != NULL; c = gtk_widget_get_next_sibling (c))
    n += ADW_IS_ACTION_ROW (c);
  return n == 2;
}

typedef struct {
  Fixture    *f;
  const char *email;
  int         status;
} PillWait;

static gboolean
pill_has_status (gpointer data)
{
  PillWait *w = data;

  return pill_status (w->f, "to_entry", w->email) == w->status;
}

static gboolean
has_toast (gpointer data)
{
  return signet_ui_find_widget (GTK_WIDGET (data), GTK_TYPE_LABEL, "The key for dup@example.org is chosen") != NULL;
}

/* In the open picker, chooses the last of the two keys; returns its
 * fingerprint. */
static char *
choose_last_key (Fixture *f)
{
  SignetKeyPicker *picker;
  GtkWidget *list, *row = NULL, *use;
  g_autoptr(GString) bare = g_string_new (NULL);

  signet_test_wait_until (picker_has_rows, NULL);
  picker = find_picker ();
  list = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (picker), SIGNET_TYPE_KEY_PICKER, "list_box"));
  for (GtkWidget *c = gtk_widget_get_first_child (list); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (ADW_IS_ACTION_ROW (c))
      row = c;
  /* The fingerprint, grouped in fours, is the row's first subtitle line. */
  for (const char *p = adw_action_row_get_subtitle (ADW_ACTION_ROW (row)); *p != '\0' && *p != '\n'; p++)
    if (g_ascii_isxdigit (*p))
      g_string_append_c (bare, *p);
  g_assert_cmpuint (bare->len, ==, 40);
  g_assert_true (gtk_widget_activate (row));
  use = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (picker), SIGNET_TYPE_KEY_PICKER, "use_button"));
  g_signal_emit_by_name (use, "clicked");
  signet_test_wait_until (has_toast, f->window);
  return g_string_free (g_steal_pointer (&bare), FALSE);
}

/* Sends, and checks the copy in Sent is sealed to @wanted among @n_keys
 * keys (the sender's own, the other recipients'): not to the other key. */
static void
send_sealed_to (Fixture *f, const char *wanted, guint n_keys)
{
  g_autofree char *sent = NULL;
  g_autofree char *message = NULL;
  g_auto(GStrv) packets = NULL;
  g_autofree char *wanted_id = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (window_closed_and_sent, f);
  sent = g_build_filename (f->s.mail, "Sent", NULL);
  message = first_file (sent);
  packets = signet_test_packet_keyids (homedir, message);
  wanted_id = signet_test_key_id (homedir, wanted);
  g_assert_true (g_strv_contains ((const char * const *) packets, wanted_id));
  g_assert_cmpuint (g_strv_length (packets), ==, n_keys);
}

/* Several valid keys for one address: the problem dialog offers to choose
 * one; the picker remembers it, and the next Send seals to that key (and
 * not the other). */
static void
test_ambiguous_choose_key (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;
  g_autofree char *wanted = NULL;

  fill (f, "dup@example.org", NULL, "To one of two keys.");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Some Recipients Cannot Receive Sealed Mail");
  g_assert_true (adw_message_dialog_has_response (dialog, "choose-key"));
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "choose-key"), ==,
                   "Choose _Key for dup@example.org…");
  /* Close and Choose Key. */
  g_assert_cmpuint (signet_ui_assert_mnemonics_unique (GTK_WIDGET (dialog)), ==, 2);
  g_signal_emit_by_name (dialog, "response", "choose-key");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wanted = choose_last_key (f);
  send_sealed_to (f, wanted, 2);
}

static GtkWidget *
find_choose_button (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (c) && g_strcmp0 (gtk_widget_get_tooltip_text (c), "Choose Key for dup@example.org") == 0)
        return c;
      if ((found = find_choose_button (c)) != NULL)
        return found;
    }
  return NULL;
}

static guint
count_visible_choose (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      const char *tip = gtk_widget_get_tooltip_text (c);

      if (GTK_IS_BUTTON (c) && gtk_widget_get_visible (c) && tip != NULL && g_str_has_prefix (tip, "Choose Key for "))
        n++;
      n += count_visible_choose (c);
    }
  return n;
}

/* The pill of an address with several keys offers the picker itself, as
 * soon as its status shows; once chosen, the pill says the key is valid
 * and Send seals to it without asking. Other pills offer no choice. */
static void
test_ambiguous_pill (Fixture *f, gconstpointer data)
{
  PillWait dup = { f, "dup@example.org", SIGNET_KEY_STATUS_AMBIGUOUS };
  PillWait chosen = { f, "dup@example.org", SIGNET_KEY_STATUS_OK };
  PillWait alice = { f, "alice@example.org", SIGNET_KEY_STATUS_OK };
  GtkWidget *button;
  g_autofree char *wanted = NULL;

  fill (f, "alice@example.org, dup@example.org", NULL, "To one of two keys.");
  signet_recipient_field_commit (SIGNET_RECIPIENT_FIELD (child (f, "to_entry")));
  /* Not checked yet: no choice offered. */
  button = find_choose_button (child (f, "to_entry"));
  g_assert_nonnull (button);
  g_assert_false (gtk_widget_get_visible (button));
  set_seal (f, TRUE);
  signet_test_wait_until (pill_has_status, &dup);
  signet_test_wait_until (pill_has_status, &alice);
  g_assert_true (gtk_widget_get_visible (button));
  /* Only the ambiguous pill offers a choice. */
  g_assert_cmpuint (count_visible_choose (child (f, "to_entry")), ==, 1);
  g_signal_emit_by_name (button, "clicked");
  wanted = choose_last_key (f);
  signet_test_wait_until (pill_has_status, &chosen);
  g_assert_false (gtk_widget_get_visible (button));
  send_sealed_to (f, wanted, 3);
}

static void
test_invalid_address (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  fill (f, "alice@example.org, bob", NULL, "x");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  dialog = signet_ui_wait_for_dialog ();
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

/* The spinner has its room beside the main menu, kept while it is still
 * (so that it turns without a new layout), in windows down to half a
 * laptop's screen; on narrower ones (phones) it gives way, and Cancel in
 * Send's place says the window is busy. */
static void
test_spinner_room (Fixture *f, gconstpointer data)
{
  static const int widths[] = { 760, 600, 540 };

  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    {
      SignetComposeWindow *window = signet_compose_window_new (NULL, f->s.operation, f->s.network,
                                                               "Signet Demo <demo@example.org>");
      GtkWidget *spinner;

      gtk_window_set_default_size (GTK_WINDOW (window), widths[i], 620);
      gtk_window_present (GTK_WINDOW (window));
      signet_test_run_for (200);
      spinner = child_of (window, "spinner");
      g_test_message ("%d px wide (%d): spinner %d px", widths[i], gtk_widget_get_width (GTK_WIDGET (window)),
                      gtk_widget_get_mapped (spinner) ? gtk_widget_get_width (spinner) : 0);
      g_assert_true (gtk_widget_get_mapped (spinner));
      g_assert_cmpint (gtk_widget_get_width (spinner), >=, 16);
      gtk_window_destroy (GTK_WINDOW (window));
    }
}

static gboolean
has_popover (gpointer data)
{
  return gtk_menu_button_get_popover (data) != NULL;
}

/* The main menu is two fifths of the window's widgets: it is built after
 * the window's first frame, and opened before (F10 as the window comes
 * up), then. Either way it is the whole menu, built once, and its button
 * can be pressed from the start. */
static void
test_main_menu_later (Fixture *f, gconstpointer data)
{
  GObject *menu = gtk_widget_get_template_child (GTK_WIDGET (f->window), SIGNET_TYPE_COMPOSE_WINDOW, "primary_menu");
  GtkMenuButton *button = GTK_MENU_BUTTON (child (f, "menu_button"));
  SignetComposeWindow *early;
  GtkMenuButton *early_button;
  GtkPopover *popover;

  g_assert_true (G_IS_MENU_MODEL (menu));
  g_assert_cmpint (g_menu_model_get_n_items (G_MENU_MODEL (menu)), ==, 4);
  /* Presented, not yet drawn. */
  g_assert_null (gtk_menu_button_get_popover (button));
  g_assert_true (gtk_widget_get_sensitive (gtk_widget_get_first_child (GTK_WIDGET (button))));
  signet_test_wait_until (has_popover, button);
  g_assert_true (gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (gtk_menu_button_get_popover (button))) ==
                 G_MENU_MODEL (menu));
  g_assert_true (gtk_menu_button_get_menu_model (button) == G_MENU_MODEL (menu));

  /* Opened as soon as it is presented. */
  early = signet_compose_window_new (NULL, f->s.operation, f->s.network, "Signet Demo <demo@example.org>");
  gtk_window_present (GTK_WINDOW (early));
  early_button = GTK_MENU_BUTTON (child_of (early, "menu_button"));
  g_assert_null (gtk_menu_button_get_popover (early_button));
  gtk_menu_button_popup (early_button);
  popover = gtk_menu_button_get_popover (early_button);
  g_assert_nonnull (popover);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (popover)));
  g_assert_true (gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (popover)) ==
                 G_MENU_MODEL (gtk_widget_get_template_child (GTK_WIDGET (early), SIGNET_TYPE_COMPOSE_WINDOW,
                                                              "primary_menu")));
  /* Its first frame drawn, the window keeps that menu. */
  signet_test_run_for (200);
  g_assert_true (gtk_menu_button_get_popover (early_button) == popover);
  gtk_menu_button_popdown (early_button);
  gtk_window_destroy (GTK_WINDOW (early));
}

/* Closed before its first frame, a window leaves no menu to build behind
 * it: its menu button, held elsewhere and opened, does nothing. */
static void
test_main_menu_closed_early (Fixture *f, gconstpointer data)
{
  /* Presented, not yet drawn. */
  g_autoptr(GtkMenuButton) button = g_object_ref (GTK_MENU_BUTTON (child (f, "menu_button")));

  g_assert_null (gtk_menu_button_get_popover (button));
  gtk_window_destroy (GTK_WINDOW (f->window));
  signet_test_wait_until (window_gone, f);
  g_assert_null (gtk_menu_button_get_popover (button));
  gtk_menu_button_popup (button);
  g_assert_null (gtk_menu_button_get_popover (button));
}

/* The keyboard's focus on a button that goes as the window turns busy (or
 * back) goes nowhere, as from a button made insensitive: not on to the
 * next button, where a key pressed again (Space, Return) would turn Seal
 * off, send, or stop. */
static void
test_busy_focus (Fixture *f, gconstpointer data)
{
  GtkRoot *root = GTK_ROOT (f->window);

  fill (f, "alice@example.org", NULL, "Focus goes nowhere.");
  set_seal (f, TRUE);

  gtk_widget_grab_focus (child (f, "send_button"));
  g_assert_true (gtk_root_get_focus (root) == child (f, "send_button"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  g_assert_null (gtk_root_get_focus (root));
  /* Tab to Cancel, and Return: Return again does not send. */
  gtk_widget_grab_focus (child (f, "cancel_button"));
  g_assert_true (gtk_root_get_focus (root) == child (f, "cancel_button"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.cancel", NULL));
  signet_test_wait_until (not_busy, f);
  g_assert_null (gtk_root_get_focus (root));
  /* Clicked, Cancel leaves the focus where it was (in the body, say), so
   * that what is typed next goes there and not to Send. */
  g_assert_false (gtk_widget_get_focus_on_click (child (f, "cancel_button")));

  gtk_widget_grab_focus (child (f, "check_names_button"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
  g_assert_null (gtk_root_get_focus (root));
  signet_test_wait_until (not_busy, f);
  g_assert_null (gtk_root_get_focus (root));
  assert_text_kept (f, "alice@example.org", "Focus goes nowhere.");
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
}

/* A press in the cell of Send and Cancel, as GTK counts them: @n_press 2
 * for the second of a double click. */
static void
press_cell (Fixture *f, int n_press)
{
  GtkWidget *cell = gtk_widget_get_parent (child (f, "send_button"));
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (cell);
  gboolean pressed = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller))
        {
          g_signal_emit_by_name (controller, "pressed", n_press, 1.0, 1.0);
          pressed = TRUE;
        }
    }
  g_assert_true (pressed);
}

/* Send and Cancel take each other's place under the pointer. The second
 * click of a double click went to the other button and is not taken,
 * either way; nor is a click on Send just after it came back (a check
 * ended as Cancel was clicked). A single click is, at once, and so is a
 * press from the keyboard or a screen reader. */
static void
test_clicks_in_send_cell (Fixture *f, gconstpointer data)
{
  GtkWidget *send = child (f, "send_button");
  GtkWidget *cancel = child (f, "cancel_button");
  GtkSettings *settings = gtk_widget_get_settings (send);
  int double_click_ms;

  /* Long enough that a slow build checks within it. */
  g_object_get (settings, "gtk-double-click-time", &double_click_ms, NULL);
  g_object_set (settings, "gtk-double-click-time", 2000, NULL);
  fill (f, "alice@example.org", NULL, "Clicked twice.");
  set_seal (f, TRUE);

  /* Sent with Ctrl+Enter, and Cancel clicked at once: it stops. Pressed,
   * Cancel cannot be pressed again. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  press_cell (f, 1);
  g_signal_emit_by_name (cancel, "clicked");
  g_assert_false (gtk_widget_is_sensitive (cancel));
  signet_test_wait_until (not_busy, f);
  g_assert_true (gtk_widget_is_sensitive (cancel));
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);

  /* Send, back under the pointer as Cancel was clicked again: not sent. */
  press_cell (f, 1);
  g_signal_emit_by_name (send, "clicked");
  g_assert_false (signet_compose_window_get_busy (f->window));
  /* The second click of a double click on Cancel: not sent either. */
  press_cell (f, 2);
  g_signal_emit_by_name (send, "clicked");
  g_assert_false (signet_compose_window_get_busy (f->window));
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);

  /* From the keyboard: sent. The second click of a double click on Send
   * lands on Cancel, and does not stop it. */
  g_signal_emit_by_name (send, "clicked");
  g_assert_true (signet_compose_window_get_busy (f->window));
  press_cell (f, 2);
  g_signal_emit_by_name (cancel, "clicked");
  g_assert_true (gtk_widget_is_sensitive (cancel));
  signet_test_wait_until (window_closed_and_sent, f);
  g_object_set (settings, "gtk-double-click-time", double_click_ms, NULL);
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

/* Typed, then closed (close button): Save Draft stores the draft and closes. */
static void
test_close_prompt_save (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  fill (f, "alice@example.org", NULL, "Keep these words.");
  g_assert_true (signet_compose_window_get_modified (f->window));
  dialog = close_and_wait_for_prompt (f, FALSE);
  signet_ui_click_response (dialog, "_Save Draft");
  signet_test_wait_until (window_gone, f);
  g_assert_cmpuint (count (f, "Drafts"), ==, 1);
  g_assert_cmpuint (count (f, "Outbox") + count (f, "Sent"), ==, 0);
  g_assert_null (signet_ui_find_dialog ());
}

/* Ctrl+W (window.close), Discard: closed, nothing stored. */
static void
test_close_prompt_discard (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  fill (f, "alice@example.org", NULL, "Throw this away.");
  dialog = close_and_wait_for_prompt (f, TRUE);
  signet_ui_click_response (dialog, "_Discard");
  signet_test_wait_until (window_gone, f);
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
  g_assert_null (signet_ui_find_dialog ());
}

/* Cancel (the close response, as Escape gives): the window stays, with its text. */
static void
test_close_prompt_cancel (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  fill (f, "alice@example.org", NULL, "Still writing.");
  dialog = close_and_wait_for_prompt (f, TRUE);
  signet_ui_click_response (dialog, "_Cancel");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (signet_ui_find_dialog ());
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  assert_text_kept (f, "alice@example.org", "Still writing.");
  g_assert_true (signet_compose_window_get_modified (f->window));
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
}

static gboolean
error_dialog_shown (gpointer data)
{
  AdwMessageDialog *dialog = signet_ui_find_dialog ();
  return dialog != NULL && g_strcmp0 (adw_message_dialog_get_heading (dialog), "The Draft Was Not Saved") == 0;
}

/* Save Draft that fails (Seal on, but the sender has no key pair): the
 * window stays open, with the error and everything typed. */
static void
test_close_prompt_save_fails (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  gtk_editable_set_text (GTK_EDITABLE (child (f, "from_entry")), "Nobody <nobody@example.org>");
  fill (f, "alice@example.org", NULL, "Do not lose me.");
  set_seal (f, TRUE);
  dialog = close_and_wait_for_prompt (f, FALSE);
  signet_ui_click_response (dialog, "_Save Draft");
  signet_test_wait_until (error_dialog_shown, NULL);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  assert_text_kept (f, "alice@example.org", "Do not lose me.");
  g_assert_true (signet_compose_window_get_modified (f->window));
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
}

static gboolean
offline_said (gpointer data)
{
  return signet_ui_find_widget (child (data, "to_entry"), GTK_TYPE_LABEL,
                                "Keys cannot be checked while offline") != NULL;
}

/* While Seal is on, each recipient's key status shows on its own as typing
 * stops, and follows an edit; offline nothing is looked up, and the field
 * says why. */
static void
test_live_status (Fixture *f, gconstpointer data)
{
  PillWait alice = { f, "alice@example.org", SIGNET_KEY_STATUS_OK };
  PillWait erin = { f, "erin@example.org", SIGNET_KEY_STATUS_EXPIRED };
  PillWait rex = { f, "rex@example.org", SIGNET_KEY_STATUS_REVOKED };

  set_seal (f, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (child (f, "to_entry")), "alice@example.org, erin@example.org,");
  signet_test_wait_until (pill_has_status, &alice);
  signet_test_wait_until (pill_has_status, &erin);
  g_assert_null (signet_ui_find_dialog ());

  gtk_editable_set_text (GTK_EDITABLE (child (f, "to_entry")), "rex@example.org,");
  signet_test_wait_until (pill_has_status, &rex);
  g_assert_cmpint (pill_status (f, "to_entry", "erin@example.org"), ==, SIGNET_KEY_STATUS_EXPIRED);

  signet_network_set_work_offline (f->s.network, TRUE);
  signet_test_wait_until (offline_said, f);
  g_assert_cmpint (pill_status (f, "to_entry", "rex@example.org"), ==, -1);
  signet_network_set_work_offline (f->s.network, FALSE);
}

static gboolean
press_in_field (GtkWidget *field, guint keyval)
{
  GtkWidget *text = GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (field)));
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (text);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (g_strcmp0 (gtk_event_controller_get_name (controller), "signet-recipient-keys") == 0)
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, 0, &handled);
    }
  return handled;
}

static GtkPopover *
suggestions (GtkWidget *field)
{
  for (GtkWidget *c = gtk_widget_get_first_child (field); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_POPOVER (c))
      return GTK_POPOVER (c);
  return NULL;
}

static gboolean
suggestions_shown (gpointer data)
{
  GtkPopover *popover = suggestions (data);

  return popover != NULL && gtk_widget_get_visible (GTK_WIDGET (popover));
}

/* Part of a name typed in To: the keyring's matching addresses are
 * suggested, each with its key status; Down and Enter take one as a pill,
 * Escape closes the list and keeps the text. */
static void
test_completion (Fixture *f, gconstpointer data)
{
  GtkWidget *to = child (f, "to_entry");
  GListModel *model = signet_recipient_field_get_model (SIGNET_RECIPIENT_FIELD (to));
  g_autoptr(SignetRecipient) chosen = NULL;
  GtkWidget *list;
  GtkListBoxRow *row;

  gtk_editable_set_text (GTK_EDITABLE (to), "ali");
  signet_test_wait_until (suggestions_shown, to);
  /* The popover holds a note (hidden online) above the scrolled list. */
  list = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (gtk_widget_get_last_child (gtk_popover_get_child (suggestions (to)))));
  if (GTK_IS_VIEWPORT (list))
    list = gtk_viewport_get_child (GTK_VIEWPORT (list));
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0);
  g_assert_nonnull (row);
  /* Each suggestion says what its key allows. */
  g_assert_nonnull (signet_ui_find_widget (GTK_WIDGET (row), GTK_TYPE_LABEL,
                                           signet_key_status_describe (SIGNET_KEY_STATUS_OK)));
  g_assert_true (press_in_field (to, GDK_KEY_Escape));
  g_assert_false (suggestions_shown (to));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (to)), ==, "ali");

  gtk_editable_set_text (GTK_EDITABLE (to), "alic");
  signet_test_wait_until (suggestions_shown, to);
  g_assert_true (press_in_field (to, GDK_KEY_Down));
  g_assert_true (press_in_field (to, GDK_KEY_Up));
  g_assert_true (press_in_field (to, GDK_KEY_Return));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  chosen = g_list_model_get_item (model, 0);
  g_assert_cmpstr (signet_recipient_get_address (chosen)->email, ==, "alice@example.org");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (to)), ==, "");
  g_assert_false (suggestions_shown (to));
}

/* A new message starts in To; one a link addressed already, in the body. */
static void
test_initial_focus (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_message_new ();
  g_autoptr(SignetAddress) to = signet_address_parse ("bob@example.org", NULL);
  GtkWidget *to_entry = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), SIGNET_TYPE_COMPOSE_WINDOW,
                                                                   "to_entry"));
  GtkWidget *body = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), SIGNET_TYPE_COMPOSE_WINDOW,
                                                               "body_view"));
  GtkWidget *focus;

  gtk_window_present (GTK_WINDOW (f->window));
  signet_test_wait_until ((GSourceFunc) gtk_widget_get_mapped, f->window);
  focus = gtk_window_get_focus (GTK_WINDOW (f->window));
  g_assert_true (focus == to_entry || (focus != NULL && gtk_widget_is_ancestor (focus, to_entry)));
  /* The keyboard leaves the field both ways (no trap on the field itself). */
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (f->window), GTK_DIR_TAB_BACKWARD));
  focus = gtk_window_get_focus (GTK_WINDOW (f->window));
  g_assert_false (focus == to_entry || (focus != NULL && gtk_widget_is_ancestor (focus, to_entry)));
  gtk_widget_grab_focus (to_entry);
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (f->window), GTK_DIR_TAB_FORWARD));
  focus = gtk_window_get_focus (GTK_WINDOW (f->window));
  g_assert_false (focus == to_entry || (focus != NULL && gtk_widget_is_ancestor (focus, to_entry)));
  signet_message_add_to (message, to);
  signet_message_set_subject (message, "From a link");
  signet_compose_window_load_message (f->window, message);
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == body);
}

/* Nothing typed, or only what a mailto: link filled in: closes at once. */
static void
test_close_clean (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_message_new ();
  g_autoptr(SignetAddress) to = signet_address_parse ("bob@example.org", NULL);
  g_autofree char *path = g_build_filename (f->s.dir, "linked.txt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(SignetAttachment) attachment = signet_attachment_new (file, NULL, NULL, 0);

  g_assert_false (signet_compose_window_get_modified (f->window));
  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  signet_message_add_to (message, to);
  signet_message_set_subject (message, "From a link");
  signet_message_set_body (message, "Prefilled.");
  signet_message_add_attachment (message, attachment);
  signet_compose_window_load_message (f->window, message);
  signet_test_wait_until (has_attachment, f->window);
  g_assert_false (signet_compose_window_get_modified (f->window));

  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_null (signet_ui_find_dialog ());
  signet_test_wait_until (window_gone, f);
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
}

/* Edited after a link filled it in: that is a change. */
static void
test_prefilled_then_edited (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetMessage) message = signet_message_new ();
  AdwMessageDialog *dialog;

  signet_message_set_subject (message, "Merger");
  signet_compose_window_load_message (f->window, message);
  g_assert_false (signet_compose_window_get_modified (f->window));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (f, "body_view"))), "Typed.", -1);
  g_assert_true (signet_compose_window_get_modified (f->window));
  dialog = close_and_wait_for_prompt (f, TRUE);
  signet_ui_click_response (dialog, "_Discard");
  signet_test_wait_until (window_gone, f);
}

static gboolean
draft_saved_toast (gpointer data)
{
  return toast_shown (data, "Draft saved (not sealed)");
}

/* Saved as a draft, the composer has nothing unsaved: it closes without
 * asking. The toast says the draft is not sealed, as it is not. */
static void
test_close_after_draft (Fixture *f, gconstpointer data)
{
  fill (f, "alice@example.org", NULL, "Saved once.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.save-draft", NULL));
  signet_test_wait_until (draft_saved_toast, f);
  g_assert_cmpuint (count (f, "Drafts"), ==, 1);
  g_assert_false (signet_compose_window_get_modified (f->window));

  /* Another edit is unsaved again. */
  gtk_editable_set_text (GTK_EDITABLE (child (f, "subject_entry")), "Merger, revised");
  g_assert_true (signet_compose_window_get_modified (f->window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.save-draft", NULL));
  signet_test_wait_until (not_busy, f);
  g_assert_false (signet_compose_window_get_modified (f->window));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "window.close", NULL));
  g_assert_null (signet_ui_find_dialog ());
  signet_test_wait_until (window_gone, f);
}

/* Closing while the send is in flight does not cancel it: the window hides
 * at once, the message goes, and then the window is gone. */
static void
test_close_while_sending (Fixture *f, gconstpointer data)
{
  fill (f, "Alice Demo <alice@example.org>", NULL, "Sent after closing.");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  g_assert_true (signet_compose_window_get_busy (f->window));
  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_nonnull (f->window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  g_assert_null (signet_ui_find_dialog ());
  signet_test_wait_until (window_closed_and_sent, f);
  g_assert_cmpuint (count (f, "Drafts"), ==, 0);
  g_assert_null (signet_ui_find_dialog ());
}

static gboolean
sent_toast (gpointer data)
{
  /* The send is in the Outbox; the Outbox delivers it. */
  return count (data, "Sent") == 1 && toast_shown (data, "Sending to 1 recipient");
}

/* Typed into while the send was in flight: the message goes as it was when
 * Send was pressed, and what was typed since stays, unsaved, in the window. */
static void
test_typed_while_sending (Fixture *f, gconstpointer data)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (f, "body_view")));
  g_autofree char *sent = NULL;
  g_autofree char *message = NULL;
  g_autofree char *raw = NULL;

  fill (f, "bob@example.org", NULL, "As sent.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  gtk_text_buffer_set_text (buffer, "As sent. And a second thought.", -1);
  signet_test_wait_until (sent_toast, f);
  g_assert_nonnull (f->window);
  assert_text_kept (f, "bob@example.org", "As sent. And a second thought.");
  g_assert_true (signet_compose_window_get_modified (f->window));
  sent = g_build_filename (f->s.mail, "Sent", NULL);
  message = first_file (sent);
  raw = signet_test_read_file (message);
  g_assert_nonnull (strstr (raw, "As sent."));
  g_assert_null (strstr (raw, "second thought"));
}

static gboolean
problem_dialog_shown (gpointer data)
{
  AdwMessageDialog *dialog = signet_ui_find_dialog ();
  return dialog != NULL &&
         g_strcmp0 (adw_message_dialog_get_heading (dialog), "Some Recipients Cannot Receive Sealed Mail") == 0;
}

/* The send fails after the window was closed (hidden): the window is back,
 * with the error and everything in it. */
static void
test_send_fails_after_close (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  fill (f, "nobody@example.org", NULL, "Bounced back to me.");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  signet_test_wait_until (problem_dialog_shown, NULL);
  dialog = signet_ui_find_dialog ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  assert_text_kept (f, "nobody@example.org", "Bounced back to me.");
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
}

static gboolean
shortcut_bound (GtkWidget *widget, guint keyval, const char *action)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);
          GtkShortcutAction *act = gtk_shortcut_get_action (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
              gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == 0 &&
              GTK_IS_NAMED_ACTION (act) &&
              g_strcmp0 (gtk_named_action_get_action_name (GTK_NAMED_ACTION (act)), action) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

/* On screen, and can be clicked and pressed. */
static gboolean
seen (Fixture *f, const char *name)
{
  return gtk_widget_get_mapped (child (f, name)) && gtk_widget_is_sensitive (child (f, name));
}

static gboolean
unseen (Fixture *f, const char *name)
{
  return !gtk_widget_get_mapped (child (f, name));
}

/* Send seen, Cancel not, and the spinner still. */
static void
assert_idle_buttons (Fixture *f)
{
  g_assert_true (seen (f, "send_button"));
  g_assert_true (unseen (f, "cancel_button"));
  g_assert_false (signet_spinner_get_spinning (SIGNET_SPINNER (child (f, "spinner"))));
  g_assert_true (seen (f, "check_names_button"));
  g_assert_true (unseen (f, "check_names_busy"));
}

/* Cancel (the button, or Escape) while sending: cancelled cleanly through
 * the GCancellable, nothing stored, the composer as it was. */
static void
test_cancel_send (Fixture *f, gconstpointer data)
{
  g_assert_true (shortcut_bound (GTK_WIDGET (f->window), GDK_KEY_Escape, "compose.cancel"));
  assert_idle_buttons (f);
  /* Nothing to cancel: harmless. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.cancel", NULL);
  g_assert_false (signet_compose_window_get_busy (f->window));

  fill (f, "alice@example.org", NULL, "Second thoughts.");
  set_seal (f, TRUE);
  /* Send, Seal, Sign, Attach, Check Names, From, To, Cc, Bcc, Subject. */
  g_assert_cmpuint (signet_ui_assert_mnemonics_unique (GTK_WIDGET (f->window)), ==, 10);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  /* Cancel and the spinner in Send's place. */
  g_assert_true (seen (f, "cancel_button"));
  /* Escape is Cancel's key; Alt+C stays Cc's. Send's is gone with it. */
  g_assert_cmpuint (signet_ui_assert_mnemonics_unique (GTK_WIDGET (f->window)), ==, 9);
  g_assert_true (gtk_widget_get_mapped (child (f, "spinner")));
  g_assert_true (signet_spinner_get_spinning (SIGNET_SPINNER (child (f, "spinner"))));
  g_assert_true (unseen (f, "send_button"));
  /* Check Names as it was, but it cannot be pressed. */
  g_assert_true (unseen (f, "check_names_button"));
  g_assert_true (gtk_widget_get_mapped (child (f, "check_names_busy")));
  g_assert_false (gtk_widget_is_sensitive (child (f, "check_names_busy")));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (child (f, "cancel_button"))), ==, "Cancel");
  /* Before the main loop runs again: nothing can have been sealed yet. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.cancel", NULL));
  /* Taken: it cannot be pressed again. */
  g_assert_false (gtk_widget_is_sensitive (child (f, "cancel_button")));
  signet_test_wait_until (not_busy, f);
  assert_idle_buttons (f);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  g_assert_null (signet_ui_find_dialog ());
  assert_text_kept (f, "alice@example.org", "Second thoughts.");
  g_assert_cmpuint (signet_test_count_files (f->s.mail), ==, 0);
  /* And it can be sent after all. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (window_closed_and_sent, f);
}

static gboolean
all_valid_toast (gpointer data)
{
  return toast_shown (data, "All recipients have valid sealing keys");
}

/* Check Names for the text as it is: each field shows its status. */
static void
test_check_names_status (Fixture *f, gconstpointer data)
{
  fill (f, "alice@example.org", NULL, "x");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
  signet_test_wait_until (all_valid_toast, f);
  g_assert_cmpint (pill_status (f, "to_entry", "alice@example.org"), ==, SIGNET_KEY_STATUS_OK);
}

/* Check Names starts once the window has drawn itself busy; stopped
 * (Escape) before it started, the window can send at once, and the check
 * that never showed anything ends quietly. Twice over, and then a check
 * that runs to its end. */
static void
test_check_stopped_before_it_starts (Fixture *f, gconstpointer data)
{
  fill (f, "alice@example.org", NULL, "Checked, stopped, sent.");
  set_seal (f, TRUE);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
      g_assert_true (signet_compose_window_get_busy (f->window));
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.cancel", NULL));
      g_assert_false (signet_compose_window_get_busy (f->window));
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
  signet_test_wait_until (all_valid_toast, f);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.cancel", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (window_closed_and_sent, f);
  g_assert_null (signet_ui_find_dialog ());
  g_assert_cmpuint (count (f, "Sent"), ==, 1);
}

/* The recipients (or Seal) change while Check Names runs: its result is for
 * text that is gone, and is not shown. The change happens before the main
 * loop runs again, so before any result can arrive. */
static void
test_check_names_stale (Fixture *f, gconstpointer data)
{
  const char *fields[] = { "to_entry", "cc_entry", "bcc_entry", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      fill (f, "alice@example.org", NULL, "x");
      set_seal (f, TRUE);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
      g_assert_true (signet_compose_window_get_busy (f->window));
      if (fields[i] != NULL)
        gtk_editable_set_text (GTK_EDITABLE (child (f, fields[i])), "nobody@example.org");
      else
        set_seal (f, FALSE);
      signet_test_wait_until (not_busy, f);
      /* Let anything else queued for the main loop run too. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_assert_false (all_valid_toast (f));
      g_assert_null (signet_ui_find_dialog ());
      /* (The pills' own live check may have judged alice's key by now, as
       * it would have without Check Names: that is not the stale result.) */
      gtk_editable_set_text (GTK_EDITABLE (child (f, "cc_entry")), "");
    }
}

static gboolean
add_recipient_toast (gpointer data)
{
  return toast_shown (data, "Add at least one recipient to check.");
}

/* With no recipient there is nothing to check, Seal on or off. */
static void
test_check_names_no_recipient (Fixture *f, gconstpointer data)
{
  for (int seal = 0; seal <= 1; seal++)
    {
      fill (f, "", NULL, "x");
      set_seal (f, seal);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
      g_assert_false (signet_compose_window_get_busy (f->window));
      g_assert_true (add_recipient_toast (f));
      g_assert_false (toast_shown (f, "All addresses are valid"));
      g_assert_false (all_valid_toast (f));
      g_assert_null (signet_ui_find_dialog ());
    }
}

static gboolean
app_idle (gpointer data)
{
  return !g_application_get_is_busy (G_APPLICATION (app));
}

/* While a send or a save is in flight the application is held and marked
 * busy (and logout inhibited, where a session manager listens); released
 * when it ends, however it ends. */
static void
test_app_held_while_busy (Fixture *f, gconstpointer data)
{
  g_assert_false (g_application_get_is_busy (G_APPLICATION (app)));
  fill (f, "nobody@example.org", NULL, "x");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  g_assert_true (g_application_get_is_busy (G_APPLICATION (app)));
  signet_test_wait_until (problem_dialog_shown, NULL);
  g_assert_false (g_application_get_is_busy (G_APPLICATION (app)));
  gtk_window_destroy (GTK_WINDOW (signet_ui_find_dialog ()));

  set_seal (f, FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.save-draft", NULL));
  g_assert_true (g_application_get_is_busy (G_APPLICATION (app)));
  signet_test_wait_until (not_busy, f);
  g_assert_false (g_application_get_is_busy (G_APPLICATION (app)));

  /* Cancelled: released too. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.save-draft", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.cancel", NULL));
  signet_test_wait_until (not_busy, f);
  g_assert_false (g_application_get_is_busy (G_APPLICATION (app)));
}

/* The window is destroyed (not closed) while its send is in flight: the
 * result finds no window and shows nothing. */
static void
test_result_after_destroy (Fixture *f, gconstpointer data)
{
  fill (f, "nobody@example.org", NULL, "x");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_null (f->window);
  signet_test_wait_until (app_idle, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (signet_ui_find_dialog ());

  /* A check, and its window destroyed with the close prompt up. */
  f->window = signet_compose_window_new (app, f->s.operation, f->s.network, "Signet Demo <demo@example.org>");
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
  fill (f, "nobody@example.org", NULL, "x");
  set_seal (f, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.check-names", NULL));
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_null (f->window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (signet_ui_find_dialog ());
}

/* Visible, and so are its parents, each in its parent's place: mapped once
 * the window is. */
static gboolean
shown_in_window (GtkWidget *widget)
{
  for (; widget != NULL && !GTK_IS_WINDOW (widget); widget = gtk_widget_get_parent (widget))
    if (!gtk_widget_get_visible (widget) || !gtk_widget_get_child_visible (widget))
      return FALSE;
  return TRUE;
}

/* A composer is built without waiting on the X server: GTK asks it where
 * the pointer is (three round trips) each time a shown widget's tooltip is
 * set, and a composer sets ten before it is on screen. Its buttons have
 * their tooltips all the same, and are shown or hidden as before. */
static void
test_built_without_round_trips (void)
{
  static const struct {
    const char *widget;
    const char *tooltip;
    gboolean    shown;
  } buttons[] = {
    { "send_button", "Send (Ctrl+Enter)", TRUE },
    { "seal_button", "Seal: encrypt the message so only its recipients can read it", TRUE },
    { "sign_button", "Sign: prove with your own key that the message is from you and unchanged", TRUE },
    { "menu_button", "Main Menu", TRUE },
    { "cancel_button", "Stop sending (Escape)", FALSE },
    { "attach_button", "Attach a File", TRUE },
    { "check_names_button", "Check Names (Ctrl+K)", TRUE },
    { "check_names_busy", "Check Names (Ctrl+K)", FALSE },
  };
  GdkDisplay *display = gdk_display_get_default ();
  SignetTestServices s;
  SignetComposeWindow *window;
  unsigned long before;

  if (skipped_off_x11 ())
    return;
  signet_test_services_init (&s, homedir, FALSE);
  /* The first one also sets up what every window shares. */
  gtk_window_destroy (GTK_WINDOW (signet_compose_window_new (NULL, s.operation, s.network,
                                                             "Signet Demo <demo@example.org>")));
  before = XNextRequest (gdk_x11_display_get_xdisplay (display));
  window = signet_compose_window_new (NULL, s.operation, s.network, "Signet Demo <demo@example.org>");
  /* Fewer than one tooltip's questions (it was 32 requests). */
  g_assert_cmpuint (XNextRequest (gdk_x11_display_get_xdisplay (display)) - before, <, 3);

  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    {
      GtkWidget *button = child_of (window, buttons[i].widget);

      g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, buttons[i].tooltip);
      g_assert_cmpint (shown_in_window (button), ==, buttons[i].shown);
    }

  /* On screen, a tooltip is set as GTK sets it, and the button stays. */
  gtk_window_present (GTK_WINDOW (window));
  signet_test_run_for (200);
  signet_compose_window_set_sign_by_default (window, TRUE);
  g_assert_true (gtk_widget_get_mapped (child_of (window, "sign_button")));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (child_of (window, "sign_button")), ==, buttons[2].tooltip);
  gtk_window_destroy (GTK_WINDOW (window));
  signet_test_services_clear (&s);
}

/* A tooltip set while the window is not on screen (hidden while a send
 * finishes) leaves the window's focus where it was. */
static void
test_tooltip_keeps_focus (void)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *entry = gtk_entry_new ();
  GtkWidget *button = gtk_toggle_button_new_with_label ("Sign");
  GtkWidget *inner = gtk_button_new_with_label ("Inner");
  GtkWidget *frame = gtk_frame_new (NULL);

  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (box), button);
  gtk_frame_set_child (GTK_FRAME (frame), inner);
  gtk_box_append (GTK_BOX (box), frame);
  gtk_window_set_child (window, box);
  gtk_window_present (window);
  signet_test_run_for (100);
  gtk_widget_grab_focus (button);
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  g_assert_false (gtk_widget_get_mapped (button));

  signet_tooltip_set_text (button, "Sign: prove it is from you");
  g_assert_true (gtk_window_get_focus (window) == button);
  gtk_widget_grab_focus (inner);
  signet_tooltip_set_text (frame, "A frame");
  g_assert_true (gtk_window_get_focus (window) == inner);
  /* Without focus inside, the widget is set as quietly as before. */
  signet_tooltip_set_text (entry, "An entry");
  g_assert_true (gtk_window_get_focus (window) == inner);
  g_assert_true (gtk_widget_get_visible (entry) && gtk_widget_get_visible (button) && gtk_widget_get_visible (frame));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Sign: prove it is from you");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (frame), ==, "A frame");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (entry), ==, "An entry");

  gtk_window_present (window);
  signet_test_run_for (100);
  g_assert_true (gtk_window_get_focus (window) == inner);
  gtk_window_destroy (window);
}

static void
on_let_go (GtkWidget *window, gboolean *letting_go)
{
  *letting_go = TRUE;
}

/* A sent composer is let go of in steps, one per main-loop iteration,
 * none of which waits on the X server more than twice (GTK's own ending
 * of a window's surface). GTK 4.8 asks it for the keyboard (a round trip)
 * as each text entry goes; while a send still seals on the other core
 * each such wait can take milliseconds, and the entries let go of at once
 * kept other windows from drawing for more than a frame. */
static void
test_let_go_in_steps (Fixture *f, gconstpointer data)
{
  GtkWidget *contents = adw_toast_overlay_get_child (ADW_TOAST_OVERLAY (child (f, "toast_overlay")));
  GtkWidget *subject = child (f, "subject_entry");
  gboolean letting_go = FALSE;
  guint most = 0;
  guint total = 0;
  guint steps = 0;

  if (skipped_off_x11 ())
    return;
  fill (f, "Alice Demo <alice@example.org>", NULL, "Sent, then let go of.");
  set_seal (f, TRUE);
  g_object_add_weak_pointer (G_OBJECT (contents), (gpointer *) &contents);
  g_object_add_weak_pointer (G_OBJECT (subject), (gpointer *) &subject);
  g_signal_connect (f->window, "destroy", G_CALLBACK (on_let_go), &letting_go);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  while (!letting_go)
    g_main_context_iteration (NULL, TRUE);
  /* The window is disposed; its widgets go from here on. */
  while (contents != NULL || subject != NULL)
    {
      n_x_replies = 0;
      g_main_context_iteration (NULL, TRUE);
      most = MAX (most, n_x_replies);
      total += n_x_replies;
      steps++;
    }
  g_test_message ("%u round trips in %u steps, at most %u in one", total, steps, most);
  /* One for each of From, To, Cc, Bcc and Subject at least. */
  g_assert_cmpuint (total, >=, 5);
  g_assert_cmpuint (most, <=, 2);
  signet_test_wait_until (window_closed_and_sent, f);
}

static gboolean
no_batch_running (gpointer data)
{
  return g_atomic_int_get (&n_batch_running) == 0;
}

/* The most X round trips a main-loop iteration makes when it draws a
 * frame without laying the window out again (a layout makes 10 or more). */
#define FRAME_ROUND_TRIPS 4

/* Until the window has gone 300 ms without a new layout (its pill taking
 * the key's status, say). */
static void
settle_layout (void)
{
  gint64 quiet_since = g_get_monotonic_time ();
  gint64 give_up = quiet_since + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () - quiet_since < 300000 && g_get_monotonic_time () < give_up)
    {
      n_x_replies = 0;
      g_main_context_iteration (NULL, FALSE);
      if (n_x_replies > FRAME_ROUND_TRIPS)
        quiet_since = g_get_monotonic_time ();
      g_usleep (1000);
    }
}

/* The X round trips of each main-loop iteration from a send's start until
 * its sealing ends: the most in one before sealing began, how many of those
 * laid the window out (more than FRAME_ROUND_TRIPS), and the most in one
 * while it ran. */
typedef struct {
  guint most_before;
  guint layouts_before;
  guint most_while_sealing;
} RoundTrips;

/* A sealed message to Alice, as a pill (as one typed and left becomes
 * before Send), and a window gone quiet. */
static void
ready_to_send (Fixture *f, const char *body)
{
  fill (f, "Alice Demo <alice@example.org>", NULL, body);
  set_seal (f, TRUE);
  signet_recipient_field_commit (SIGNET_RECIPIENT_FIELD (child (f, "to_entry")));
  signet_test_wait_until (no_batch_running, NULL);
  settle_layout ();
  n_batch_started = 0;
}

static RoundTrips
count_until_sealed (Fixture *f)
{
  RoundTrips trips = { 0, 0, 0 };

  while (f->window != NULL && (n_batch_started == 0 || g_atomic_int_get (&n_batch_running) > 0))
    {
      gboolean sealing = n_batch_started > 0;

      n_x_replies = 0;
      g_main_context_iteration (NULL, TRUE);
      if (sealing)
        trips.most_while_sealing = MAX (trips.most_while_sealing, n_x_replies);
      else
        {
          trips.most_before = MAX (trips.most_before, n_x_replies);
          trips.layouts_before += n_x_replies > FRAME_ROUND_TRIPS;
        }
    }
  signet_test_wait_until (window_closed_and_sent, f);
  g_assert_cmpuint (n_batch_started, >, 0);
  g_test_message ("before sealing began: at most %u round trips in an iteration, %u layouts; "
                  "at most %u in one while it ran", trips.most_before, trips.layouts_before,
                  trips.most_while_sealing);
  return trips;
}

/* Sending puts Cancel in Send's place and the spinner turning, and
 * nothing of the window moves: GTK has nothing to lay out again. Under
 * X11 GTK 4.8 asks the server five times for each new layout of a window
 * (which monitor, its work area, the window manager's hints), two or three
 * times in the frame after a change; with sealing or gpg's lookups on both
 * cores each answer took milliseconds and that frame took longer than a
 * frame. Sealing also starts only once the busy window is drawn. */
static void
test_seals_once_drawn_busy (Fixture *f, gconstpointer data)
{
  RoundTrips trips;

  if (skipped_off_x11 ())
    return;
  ready_to_send (f, "Sealed once the window says so.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  trips = count_until_sealed (f);
  /* A frame's own, without a new layout. */
  g_assert_cmpuint (trips.most_before, <=, FRAME_ROUND_TRIPS);
}

/* Send pressed (as the keyboard or a screen reader presses it: held down
 * a quarter of a second, then let go). GTK 4.8 lays the window out again
 * for each frame of a button's transition, each layout waiting on the X
 * server: with Adwaita's transitions the window did so for about 450 ms
 * after the press, into the sealing. Now once as it is pressed and once as
 * it is let go (with the busy frame), and not at all while sealing runs. */
static void
test_steady_when_pressed (Fixture *f, gconstpointer data)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  RoundTrips trips;

  if (skipped_off_x11 ())
    return;
  /* Signet's own style sheet, as the application loads it. */
  gtk_css_provider_load_from_resource (css, "/io/github/signetmail/Signet/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  ready_to_send (f, "Pressed, not clicked.");
  g_assert_true (gtk_widget_activate (child (f, "send_button")));
  trips = count_until_sealed (f);
  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css));
  g_assert_cmpuint (trips.layouts_before, >=, 1);
  g_assert_cmpuint (trips.layouts_before, <=, 2);
  g_assert_cmpuint (trips.most_while_sealing, <=, FRAME_ROUND_TRIPS);
}

typedef struct {
  gboolean   done;
  GPtrArray *items;
  int        fd;
  GError    *error;
} OutboxAnswer;

static void
on_outbox_listed (GObject *object, GAsyncResult *result, gpointer data)
{
  OutboxAnswer *answer = data;

  answer->items = signet_outbox_list_finish (SIGNET_OUTBOX (object), result, &answer->error);
  answer->done = TRUE;
}

static void
on_outbox_held (GObject *object, GAsyncResult *result, gpointer data)
{
  OutboxAnswer *answer = data;

  answer->fd = signet_outbox_hold_finish (SIGNET_OUTBOX (object), result, NULL, &answer->error);
  answer->done = TRUE;
}

static gboolean
outbox_answered (gpointer data)
{
  return ((OutboxAnswer *) data)->done;
}

/* The one send waiting in the Outbox (its state in @state). */
static char *
outbox_only_item (Fixture *f, SignetOutboxItemState *state)
{
  OutboxAnswer answer = { 0 };
  SignetOutboxItem *item;
  char *id;

  signet_outbox_list_async (f->s.outbox, NULL, on_outbox_listed, &answer);
  signet_test_wait_until (outbox_answered, &answer);
  g_assert_no_error (answer.error);
  g_assert_cmpuint (answer.items->len, ==, 1);
  item = g_ptr_array_index (answer.items, 0);
  id = g_strdup (item->id);
  *state = item->state;
  g_ptr_array_unref (answer.items);
  return id;
}

static gboolean
origin_not_edited (gpointer data)
{
  SignetOutboxItemState state;
  g_autofree char *id = outbox_only_item (data, &state);

  return state != SIGNET_OUTBOX_ITEM_EDITING;
}

/* A composer opened on a send from the Outbox, whose own send fails after
 * the window is gone (it was destroyed while it sealed): the send it came
 * from is no longer being edited, and waits to be retried or opened again
 * (it stayed marked as in a composer, and never left, until a restart). */
static void
test_origin_released_when_send_fails_unseen (Fixture *f, gconstpointer data)
{
  OutboxAnswer held = { 0 };
  SignetOutboxItemState state;
  g_autofree char *id = NULL;
  g_autofree char *again = NULL;

  /* Offline: the send waits in the Outbox. */
  fill (f, "Alice Demo <alice@example.org>", NULL, "Waits in the Outbox.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  signet_test_wait_until (window_gone, f);
  id = outbox_only_item (f, &state);
  signet_outbox_hold_async (f->s.outbox, id, NULL, on_outbox_held, &held);
  signet_test_wait_until (outbox_answered, &held);
  g_assert_no_error (held.error);
  close (held.fd);
  g_free (outbox_only_item (f, &state));
  g_assert_cmpint (state, ==, SIGNET_OUTBOX_ITEM_EDITING);

  f->window = signet_compose_window_new (NULL, f->s.operation, f->s.network, "Signet Demo <demo@example.org>");
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  signet_compose_window_set_outbox_origin (f->window, f->s.outbox, id);
  gtk_window_present (GTK_WINDOW (f->window));
  fill (f, "Alice Demo <alice@example.org>", NULL, "Edited, then let go of while it was sent.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "compose.send", NULL));
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_null (f->window);

  signet_test_wait_until (origin_not_edited, f);
  again = outbox_only_item (f, &state);
  g_assert_cmpstr (again, ==, id);
}

int
main (int argc, char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
  app = GTK_APPLICATION (adw_application_new ("io.github.signetmail.Signet.ComposeTests", G_APPLICATION_NON_UNIQUE));
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_test_add_func ("/compose-window/built-without-round-trips", test_built_without_round_trips);
  g_test_add_func ("/compose-window/tooltip-keeps-focus", test_tooltip_keeps_focus);
#define ADD(path, flags, fn) \
  g_test_add ("/compose-window/" path, Fixture, GINT_TO_POINTER (flags), fixture_setup, fn, fixture_teardown)
  ADD ("offline-send-kb-dialog", FALSE, test_offline_send);
  ADD ("work-offline-check-names", TRUE, test_work_offline_check_names);
  ADD ("online-send", TRUE, test_online_send);
  ADD ("typed-into-while-let-go", TRUE, test_typed_into_while_let_go);
  ADD ("let-go-in-steps", TRUE, test_let_go_in_steps);
  ADD ("seals-once-drawn-busy", TRUE, test_seals_once_drawn_busy);
  ADD ("steady-when-pressed", TRUE, test_steady_when_pressed);
  ADD ("spinner-room", TRUE, test_spinner_room);
  ADD ("main-menu-later", TRUE, test_main_menu_later);
  ADD ("main-menu-closed-early", TRUE, test_main_menu_closed_early);
  ADD ("busy-focus", TRUE, test_busy_focus);
  ADD ("clicks-in-send-cell", TRUE, test_clicks_in_send_cell);
  ADD ("check-stopped-before-it-starts", TRUE, test_check_stopped_before_it_starts);
  ADD ("origin-released-when-send-fails-unseen", FALSE, test_origin_released_when_send_fails_unseen);
  ADD ("initial-focus", TRUE, test_initial_focus);
  ADD ("live-status", TRUE, test_live_status);
  ADD ("completion", TRUE, test_completion);
  ADD ("ambiguous-choose-key", TRUE, test_ambiguous_choose_key);
  ADD ("ambiguous-pill", TRUE, test_ambiguous_pill);
  ADD ("missing-key", TRUE, test_missing_key);
  ADD ("invalid-address", TRUE, test_invalid_address);
  ADD ("clear-with-attachment", TRUE, test_clear_with_attachment);
  ADD ("narrow", TRUE, test_narrow);
  ADD ("remove-attachment", TRUE, test_remove_attachment);
  ADD ("close-prompt/save", TRUE, test_close_prompt_save);
  ADD ("close-prompt/discard", TRUE, test_close_prompt_discard);
  ADD ("close-prompt/cancel", TRUE, test_close_prompt_cancel);
  ADD ("close-prompt/save-fails", TRUE, test_close_prompt_save_fails);
  ADD ("close-clean", TRUE, test_close_clean);
  ADD ("prefilled-then-edited", TRUE, test_prefilled_then_edited);
  ADD ("close-after-draft", TRUE, test_close_after_draft);
  ADD ("close-while-sending", TRUE, test_close_while_sending);
  ADD ("send-fails-after-close", TRUE, test_send_fails_after_close);
  ADD ("typed-while-sending", TRUE, test_typed_while_sending);
  ADD ("cancel-send", TRUE, test_cancel_send);
  ADD ("check-names-status", TRUE, test_check_names_status);
  ADD ("check-names-stale", TRUE, test_check_names_stale);
  ADD ("check-names-no-recipient", TRUE, test_check_names_no_recipient);
  ADD ("app-held-while-busy", TEST_ONLINE | TEST_WITH_APP, test_app_held_while_busy);
  ADD ("result-after-destroy", TEST_ONLINE | TEST_WITH_APP, test_result_after_destroy);
#undef ADD
  ret = g_test_run ();
  g_object_unref (app);
  signet_test_remove_gnupghome (homedir);
  return ret;
}
