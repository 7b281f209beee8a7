/* The composer's Sign toggle, in process: the toggle and its shortcut,
 * insensitive with the reason while the sender has no secret key, Sign by
 * default, and a cancelled passphrase prompt. */
#include <adwaita.h>
#include <string.h>

#include "signet-compose-window.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

static char *homedir;

typedef struct {
  SignetTestServices   s;
  SignetComposeWindow *window;
} Fixture;

static void
open_window (Fixture *f, const char *home, const char *identity)
{
  signet_test_services_init (&f->s, home, TRUE);
  f->window = signet_compose_window_new (NULL, f->s.operation, f->s.network, identity);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
close_window (Fixture *f)
{
  signet_ui_destroy_all_windows ();
  g_assert_null (f->window);
  signet_test_services_clear (&f->s);
}

static GtkWidget *
child (Fixture *f, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static gboolean
get_sign (Fixture *f)
{
  gboolean sign;

  g_object_get (f->window, "sign", &sign, NULL);
  return sign;
}

static gboolean
sign_insensitive (gpointer data)
{
  return !gtk_widget_is_sensitive (child (data, "sign_button"));
}

static gboolean
sign_sensitive (gpointer data)
{
  return gtk_widget_is_sensitive (child (data, "sign_button"));
}

/* Waits long enough for the key lookup to answer: the sender's key is
 * looked up in a worker thread, so a few more turns of the main loop. */
static void
settle (void)
{
  signet_test_run_for (1000);
}

/* The shortcut bound to @action_name on the window's class, as a string. */
static char *
shortcut_for (Fixture *f, const char *action_name)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);

          if (GTK_IS_NAMED_ACTION (action) &&
              g_strcmp0 (gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)), action_name) == 0)
            return gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));
        }
    }
  return NULL;
}

static void
test_toggle_and_shortcut (void)
{
  Fixture f = { 0 };
  g_autofree char *accel = NULL;
  GtkWidget *button;

  open_window (&f, homedir, "Signet Demo <demo@example.org>");
  button = child (&f, "sign_button");
  settle ();
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_false (get_sign (&f));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "compose.sign", NULL));
  g_assert_true (get_sign (&f));
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (button)));
  /* Clicking the button turns it off again, as the action does. */
  g_signal_emit_by_name (button, "clicked");
  g_assert_false (get_sign (&f));
  accel = shortcut_for (&f, "compose.sign");
  g_assert_cmpstr (accel, ==, "<Shift><Control>s");
  close_window (&f);
}

/* No secret key for the sender: Sign cannot be turned on, and the toggle
 * says why; with another sender that has one, it can again. */
static void
test_no_secret_key (void)
{
  Fixture f = { 0 };
  GtkWidget *button;

  open_window (&f, homedir, "Nobody <nobody@example.org>");
  button = child (&f, "sign_button");
  g_object_set (f.window, "sign", TRUE, NULL);
  signet_test_wait_until (sign_insensitive, &f);
  g_assert_false (get_sign (&f));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (button), "no secret key for nobody@example.org"));
  gtk_widget_activate_action (GTK_WIDGET (f.window), "compose.sign", NULL);
  g_assert_false (get_sign (&f));

  /* A public key alone is not enough. */
  g_object_set (f.window, "identity", "Stranger <stranger@example.org>", NULL);
  settle ();
  g_assert_false (gtk_widget_is_sensitive (button));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (button), "stranger@example.org"));

  /* The demo sender has a key: Sign comes back on, as it was asked for. */
  g_object_set (f.window, "identity", "Signet Demo <demo@example.org>", NULL);
  signet_test_wait_until (sign_sensitive, &f);
  g_assert_null (strstr (gtk_widget_get_tooltip_text (button), "secret key"));
  g_assert_true (get_sign (&f));
  close_window (&f);
}

/* Sign by default (the application sets "sign" on a new composer): on for
 * a sender with a key, off for one without. */
static void
test_by_default (void)
{
  const struct { const char *identity; gboolean expected; } cases[] = {
    { "Signet Demo <demo@example.org>", TRUE },
    { "Nobody <nobody@example.org>", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Fixture f = { 0 };

      open_window (&f, homedir, cases[i].identity);
      g_object_set (f.window, "sign", TRUE, NULL);
      settle ();
      g_assert_cmpint (get_sign (&f), ==, cases[i].expected);
      g_assert_cmpint (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (child (&f, "sign_button"))), ==,
                       cases[i].expected);
      close_window (&f);
    }
}

static gboolean
not_busy (gpointer data)
{
  return !signet_compose_window_get_busy (((Fixture *) data)->window);
}

/* The passphrase prompt is cancelled: the message stays in the composer,
 * which says signing was cancelled, and nothing is queued. */
static void
test_cancelled (void)
{
  char *home = signet_test_make_cancelling_gnupghome ();
  Fixture f = { 0 };
  AdwMessageDialog *dialog;
  GtkTextBuffer *buffer;
  g_autofree char *body = NULL;
  GtkTextIter start, end;

  open_window (&f, home, "Pass <pass@example.org>");
  gtk_editable_set_text (GTK_EDITABLE (child (&f, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child (&f, "subject_entry")), "Signed");
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (&f, "body_view")));
  gtk_text_buffer_set_text (buffer, "Please sign this.", -1);
  g_object_set (f.window, "sign", TRUE, NULL);
  settle ();
  g_assert_true (get_sign (&f));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "compose.send", NULL));
  dialog = signet_ui_wait_for_dialog ();
  signet_test_wait_until (not_busy, &f);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "The Message Was Not Sent");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "Signing was cancelled"));
  /* Still here, as typed, and nothing queued or sent. */
  g_assert_nonnull (f.window);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  body = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (body, ==, "Please sign this.");
  g_assert_true (get_sign (&f));
  g_assert_cmpuint (signet_test_count_files (f.s.mail), ==, 0);
  signet_ui_click_response (dialog, "_Close");
  close_window (&f);
  signet_test_remove_gnupghome (home);
}

static guint
queued (Fixture *f)
{
  g_autofree char *new_dir = g_build_filename (f->s.mail, "Outbox", "new", NULL);
  g_autofree char *sent_dir = g_build_filename (f->s.mail, "Sent", "new", NULL);

  return signet_test_count_files (new_dir) + signet_test_count_files (sent_dir);
}

static gboolean
window_gone (gpointer data)
{
  return ((Fixture *) data)->window == NULL;
}

/* Sign asked for, then the sender turns out unable to sign (here: a
 * sender without a key pair, looked up after Sign was pressed): Send says
 * so and sends nothing, rather than sending unsigned. Sign by default in
 * the same case goes quietly off, and the message goes unsigned. */
static void
test_asked_but_cannot_sign (void)
{
  Fixture f = { 0 };
  AdwMessageDialog *dialog;

  open_window (&f, homedir, "Nobody <nobody@example.org>");
  g_object_set (f.window, "sign", TRUE, NULL);
  signet_test_wait_until (sign_insensitive, &f);
  g_assert_false (get_sign (&f));
  gtk_editable_set_text (GTK_EDITABLE (child (&f, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child (&f, "subject_entry")), "Signed, please");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "compose.send", NULL));
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "The Message Cannot Be Signed");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "Turn Sign off"));
  settle ();
  g_assert_cmpuint (queued (&f), ==, 0);
  g_assert_nonnull (f.window);
  close_window (&f);

  open_window (&f, homedir, "Nobody <nobody@example.org>");
  signet_compose_window_set_sign_by_default (f.window, TRUE);
  signet_test_wait_until (sign_insensitive, &f);
  gtk_editable_set_text (GTK_EDITABLE (child (&f, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child (&f, "subject_entry")), "Plain is fine");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "compose.send", NULL));
  /* Sent: the window closes by itself, with no dialog. */
  signet_test_wait_until (window_gone, &f);
  g_assert_null (signet_ui_find_dialog ());
  close_window (&f);
}

int
main (int argc, char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
  g_test_add_func ("/sign-toggle/toggle-and-shortcut", test_toggle_and_shortcut);
  g_test_add_func ("/sign-toggle/no-secret-key", test_no_secret_key);
  g_test_add_func ("/sign-toggle/by-default", test_by_default);
  g_test_add_func ("/sign-toggle/cancelled", test_cancelled);
  g_test_add_func ("/sign-toggle/asked-but-cannot-sign", test_asked_but_cannot_sign);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
