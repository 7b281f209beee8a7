#include <adwaita.h>
#include <string.h>
#include <sys/stat.h>

#include "signet-errors.h"
#include "signet-outbox-window.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

/* The Outbox window over a real Outbox and store, sends queued by the real
 * send operation, and a transport the test holds, opens or has refuse. */

#define REFUSAL "550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown"

static char *homedir;
static GtkApplication *app;
static GPtrArray *edited;  /* the IDs app.outbox-edit was activated with */

/* ---- a transport the test controls -------------------------------------- */

typedef enum {
  GATE_HOLD,     /* keep each message, reporting what the test lets through */
  GATE_OPEN,     /* deliver */
  GATE_REFUSE,   /* fail for good, with the server's words */
} GateMode;

#define TEST_TYPE_GATE (test_gate_get_type ())
G_DECLARE_FINAL_TYPE (TestGate, test_gate, TEST, GATE, GObject)

struct _TestGate
{
  GObject   parent_instance;
  GMutex    lock;
  GCond     cond;
  GateMode  mode;
  goffset   allowed;     /* bytes let through while holding */
  guint     delivered;   /* messages delivered */
};

static void
test_gate_set (TestGate *self, GateMode mode, goffset allowed)
{
  g_mutex_lock (&self->lock);
  self->mode = mode;
  self->allowed = allowed;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Holds the message (worker thread) until the mode changes or the Outbox
 * cancels, saying every few milliseconds how much has "gone out". */
static GateMode
test_gate_wait (TestGate *self, goffset total, SignetTransportSending sending, gpointer user_data,
                GCancellable *cancellable)
{
  GateMode mode;

  g_mutex_lock (&self->lock);
  while (self->mode == GATE_HOLD && !g_cancellable_is_cancelled (cancellable))
    {
      goffset allowed = MIN (self->allowed, total);

      g_mutex_unlock (&self->lock);
      if (sending != NULL)
        sending (allowed, total, user_data);
      g_mutex_lock (&self->lock);
      g_cond_wait_until (&self->cond, &self->lock, g_get_monotonic_time () + 5 * G_TIME_SPAN_MILLISECOND);
    }
  mode = self->mode;
  g_mutex_unlock (&self->lock);
  return mode;
}

static gboolean
test_gate_deliver (SignetTransport          *transport,
                   int                       message_fd,
                   const char               *copy_id,
                   const char * const       *recipients,
                   SignetTransportDelivered  delivered,
                   SignetTransportSending    sending,
                   gpointer                  user_data,
                   GCancellable             *cancellable,
                   GError                  **error)
{
  TestGate *self = TEST_GATE (transport);
  struct stat st;
  GateMode mode;

  g_assert_cmpint (fstat (message_fd, &st), ==, 0);
  mode = test_gate_wait (self, st.st_size, sending, user_data, cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (mode == GATE_REFUSE)
    {
      g_set_error_literal (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_PERMANENT, REFUSAL);
      return FALSE;
    }
  if (sending != NULL)
    sending (st.st_size, st.st_size, user_data);
  for (guint i = 0; recipients[i] != NULL; i++)
    delivered (recipients[i], user_data);
  g_mutex_lock (&self->lock);
  self->delivered++;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
test_gate_iface_init (SignetTransportInterface *iface)
{
  iface->deliver = test_gate_deliver;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestGate, test_gate, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_TRANSPORT, test_gate_iface_init))

static void
test_gate_finalize (GObject *object)
{
  TestGate *self = TEST_GATE (object);

  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (test_gate_parent_class)->finalize (object);
}

static void
test_gate_class_init (TestGateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_gate_finalize;
}

static void
test_gate_init (TestGate *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

/* ---- fixture -------------------------------------------------------------- */

typedef struct {
  SignetTestServices  s;          /* its network (online) is the key directory's */
  SignetTestMonitor  *monitor;    /* the Outbox's network */
  SignetNetwork      *network;
  TestGate           *gate;
  GtkWidget          *window;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  signet_test_services_init (&f->s, homedir, TRUE);
  /* The Outbox delivers through the gate, on a network of its own, so that
   * sealing (which needs the key directory online) and delivery can be
   * told apart. */
  f->monitor = signet_test_monitor_new (GPOINTER_TO_INT (data));
  f->network = signet_network_new (G_NETWORK_MONITOR (f->monitor));
  f->gate = g_object_new (TEST_TYPE_GATE, NULL);
  g_clear_object (&f->s.operation);
  g_clear_object (&f->s.outbox);
  f->s.outbox = signet_outbox_new (f->network, f->s.store, SIGNET_TRANSPORT (f->gate));
  g_object_set (f->s.outbox, "retry-delay", 3600, NULL);
  f->s.operation = signet_send_operation_new (f->s.directory, f->s.store, f->s.outbox);
  g_ptr_array_set_size (edited, 0);
  f->window = signet_outbox_window_new (app, f->s.outbox);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (GTK_WINDOW (f->window));
}

static gboolean
outbox_idle (gpointer data)
{
  return !signet_outbox_get_busy (data);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_ui_destroy_all_windows ();
  g_assert_null (f->window);
  /* Nothing may stay blocked in the gate. */
  test_gate_set (f->gate, GATE_REFUSE, 0);
  signet_test_wait_until (outbox_idle, f->s.outbox);
  signet_test_services_clear (&f->s);
  g_clear_object (&f->gate);
  g_clear_object (&f->network);
  g_clear_object (&f->monitor);
}

/* ---- what the window shows ------------------------------------------------ */

static GtkWidget *
child (Fixture *f, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (f->window, SIGNET_TYPE_OUTBOX_WINDOW, name));
}

static const char *
widget_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_BUTTON (widget))
    return gtk_button_get_label (GTK_BUTTON (widget));
  return NULL;
}

/* The widget of @type under @root that the user can see and that reads
 * @text (any, if @text is NULL). */
static GtkWidget *
find_shown (GtkWidget *root, GType type, const char *text)
{
  if (!gtk_widget_get_mapped (root))
    return NULL;
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) && (text == NULL || g_strcmp0 (widget_text (root), text) == 0))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_shown (c, type, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The row of send @id: its buttons act on it. */
static GtkWidget *
find_row (Fixture *f, const char *id)
{
  GtkWidget *list = child (f, "list_box");

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      GtkWidget *button = signet_ui_find_widget (row, GTK_TYPE_BUTTON, "Delete");
      GVariant *target = button ? gtk_actionable_get_action_target_value (GTK_ACTIONABLE (button)) : NULL;

      if (target != NULL && g_strcmp0 (g_variant_get_string (target, NULL), id) == 0)
        return row;
    }
  return NULL;
}

typedef struct {
  Fixture    *f;
  const char *id;     /* a row's, or NULL: the whole window */
  GType       type;
  const char *text;
} Sight;

static gboolean
seen (gpointer data)
{
  Sight *s = data;
  GtkWidget *root = s->id ? find_row (s->f, s->id) : s->f->window;

  return root != NULL && find_shown (root, s->type, s->text) != NULL;
}

static void
wait_to_see (Fixture *f, const char *id, GType type, const char *text)
{
  Sight sight = { f, id, type, text };

  signet_test_wait_until (seen, &sight);
}

static GtkWidget *
shown_in_row (Fixture *f, const char *id, GType type, const char *text)
{
  GtkWidget *row = find_row (f, id);

  g_assert_nonnull (row);
  return find_shown (row, type, text);
}

/* Exactly the buttons named in @shown (separated by spaces) are shown in
 * the row, and each can be clicked. */
static void
assert_buttons (Fixture *f, const char *id, const char *shown)
{
  const char *all[] = { "Cancel", "Retry", "Edit", "Delete" };
  g_auto(GStrv) expected = g_strsplit (shown, " ", -1);

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      GtkWidget *button = shown_in_row (f, id, GTK_TYPE_BUTTON, all[i]);

      if (!g_strv_contains ((const char * const *) expected, all[i]))
        {
          g_assert_null (button);
          continue;
        }
      g_assert_nonnull (button);
      g_assert_true (gtk_widget_is_sensitive (button));
    }
}

static void
click (Fixture *f, const char *id, const char *label)
{
  GtkWidget *button = shown_in_row (f, id, GTK_TYPE_BUTTON, label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static void
assert_accessible (Fixture *f, const char *id, const char *label, const char *description)
{
  GtkAccessible *row = GTK_ACCESSIBLE (find_row (f, id));

  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_LABEL, label);
  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description);
}

typedef struct {
  Fixture    *f;
  const char *id;
} RowRef;

static gboolean
row_gone (gpointer data)
{
  RowRef *r = data;

  return find_row (r->f, r->id) == NULL;
}

/* Whether @text is anywhere in the window: a label, a button, a tooltip. */
static gboolean
tree_mentions (GtkWidget *root, const char *text)
{
  const char *shown = widget_text (root);
  const char *tooltip = gtk_widget_get_tooltip_text (root);

  if ((shown != NULL && strstr (shown, text) != NULL) || (tooltip != NULL && strstr (tooltip, text) != NULL))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (tree_mentions (c, text))
      return TRUE;
  return FALSE;
}

/* Queues a message from demo@ with the subject "Board minutes" through the
 * send operation; returns its ID in the Outbox. */
static char *
queue_message (Fixture *f, gboolean seal, const char *to)
{
  g_autoptr(SignetMessage) message = signet_test_new_message (seal, to, NULL, NULL);
  g_auto(SignetTestOutcome) outcome = { 0 };

  signet_send_operation_send_async (f->s.operation, message, NULL, signet_test_on_sent, &outcome);
  signet_test_wait_until (signet_test_outcome_done, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  return g_strdup (outcome.report->batch_id);
}

static guint
n_in_outbox (Fixture *f)
{
  g_autoptr(GPtrArray) queued = signet_store_list_batches (f->s.store, SIGNET_FOLDER_OUTBOX, NULL);
  g_autoptr(GPtrArray) failed = signet_store_list_batches (f->s.store, SIGNET_FOLDER_OUTBOX_FAILED, NULL);

  return (queued ? queued->len : 0) + (failed ? failed->len : 0);
}

/* ---- tests ---------------------------------------------------------------- */

/* Nothing waits: the window says so, and Escape closes it. */
static void
test_empty (Fixture *f, gconstpointer data)
{
  g_autoptr(GListModel) controllers = NULL;
  g_autoptr(GtkShortcutTrigger) escape = gtk_keyval_trigger_new (GDK_KEY_Escape, 0);
  gboolean pressed = FALSE;

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f->window)), ==, "Outbox");
  wait_to_see (f, NULL, GTK_TYPE_LABEL, "Outbox Empty");
  g_assert_nonnull (find_shown (f->window, GTK_TYPE_LABEL, "Messages waiting to be sent appear here"));
  g_assert_null (find_shown (f->window, GTK_TYPE_LIST_BOX, NULL));

  controllers = gtk_widget_observe_controllers (f->window);
  for (guint i = 0; !pressed && i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      for (guint j = 0; GTK_IS_SHORTCUT_CONTROLLER (controller) && !pressed &&
                        j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

          if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), escape))
            pressed = gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, f->window,
                                                    gtk_shortcut_get_arguments (shortcut));
        }
    }
  g_assert_true (pressed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (f->window);
}

/* Whether Tab, pressed again and again, reaches @widget. */
static gboolean
tab_reaches (GtkWidget *window, GtkWidget *widget)
{
  g_assert_nonnull (widget);
  for (guint i = 0; i < 30; i++)
    {
      if (!gtk_widget_child_focus (window, GTK_DIR_TAB_FORWARD))
        continue;  /* wrapped around */
      if (gtk_root_get_focus (GTK_ROOT (window)) == widget)
        return TRUE;
    }
  return FALSE;
}

/* Offline, a message waits: its subject, who it is for, "Queued", Edit and
 * Delete; no progress, nothing to cancel or retry. */
static void
test_queued (Fixture *f, gconstpointer data)
{
  g_autofree char *id = queue_message (f, FALSE, "alice@example.org, bob@example.org");

  wait_to_see (f, id, GTK_TYPE_LABEL, "Board minutes");
  g_assert_nonnull (shown_in_row (f, id, GTK_TYPE_LABEL, "To alice@example.org, bob@example.org"));
  g_assert_nonnull (shown_in_row (f, id, GTK_TYPE_LABEL, "Queued"));
  g_assert_null (shown_in_row (f, id, GTK_TYPE_PROGRESS_BAR, NULL));
  assert_buttons (f, id, "Edit Delete");
  assert_accessible (f, id, "Board minutes, To alice@example.org, bob@example.org", "Queued");
  g_assert_null (find_shown (f->window, GTK_TYPE_LABEL, "Outbox Empty"));
  g_assert_true (tab_reaches (f->window, shown_in_row (f, id, GTK_TYPE_BUTTON, "Edit")));
  g_assert_true (tab_reaches (f->window, shown_in_row (f, id, GTK_TYPE_BUTTON, "Delete")));
}

/* A sealed message's subject is sealed: the row says "Sealed message", and
 * the subject is nowhere in the window, nor in the question before Delete. */
static void
test_sealed (Fixture *f, gconstpointer data)
{
  g_autofree char *id = queue_message (f, TRUE, "alice@example.org");
  AdwMessageDialog *dialog;

  wait_to_see (f, id, GTK_TYPE_LABEL, "Sealed message");
  g_assert_nonnull (shown_in_row (f, id, GTK_TYPE_LABEL, "To alice@example.org"));
  g_assert_nonnull (shown_in_row (f, id, GTK_TYPE_LABEL, "Queued"));
  assert_accessible (f, id, "Sealed message, To alice@example.org", "Queued");
  g_assert_false (tree_mentions (f->window, "Board minutes"));

  click (f, id, "Delete");
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "The sealed message will not be sent, and cannot be recovered.");
  g_assert_false (tree_mentions (GTK_WIDGET (dialog), "Board minutes"));
  signet_ui_click_response (dialog, "_Cancel");
}

typedef struct {
  Fixture    *f;
  const char *id;
  double      at_least;
} Moved;

static gboolean
progress_at (gpointer data)
{
  Moved *m = data;
  GtkWidget *row = find_row (m->f, m->id);
  GtkWidget *bar = row ? find_shown (row, GTK_TYPE_PROGRESS_BAR, NULL) : NULL;

  return bar != NULL && gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar)) >= m->at_least;
}

static double
wait_for_progress (Fixture *f, const char *id, double at_least)
{
  Moved moved = { f, id, at_least };

  signet_test_wait_until (progress_at, &moved);
  return gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (shown_in_row (f, id, GTK_TYPE_PROGRESS_BAR, NULL)));
}

/* While a message goes out its bar moves; Cancel stops it, and it stays as
 * failed, saying so, to be retried, edited or deleted. */
static void
test_sending_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *id = queue_message (f, FALSE, "alice@example.org");
  g_autofree char *size = NULL;
  const char *text;
  GtkWidget *bar;
  double fraction;
  goffset total;

  wait_to_see (f, id, GTK_TYPE_LABEL, "Queued");
  test_gate_set (f->gate, GATE_HOLD, 0);
  signet_test_monitor_set_available (f->monitor, TRUE);
  wait_to_see (f, id, GTK_TYPE_LABEL, "Sending");
  assert_buttons (f, id, "Cancel");
  assert_accessible (f, id, "Board minutes, To alice@example.org", "Sending");

  wait_for_progress (f, id, 0.0);
  bar = shown_in_row (f, id, GTK_TYPE_PROGRESS_BAR, NULL);
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar)), <, 0.01);
  test_gate_set (f->gate, GATE_HOLD, 100);
  fraction = wait_for_progress (f, id, 0.001);
  text = gtk_progress_bar_get_text (GTK_PROGRESS_BAR (bar));
  g_assert_true (g_str_has_prefix (text, "100 bytes of "));
  /* The whole message, as the window says it. */
  total = (goffset) (100 / fraction + 0.5);
  size = g_format_size (total);
  g_assert_cmpstr (strstr (text, " of ") + 4, ==, size);
  test_gate_set (f->gate, GATE_HOLD, total / 2);
  g_assert_cmpfloat (wait_for_progress (f, id, 0.49), <=, 0.51);
  g_assert_cmpuint (f->gate->delivered, ==, 0);

  click (f, id, "Cancel");
  wait_to_see (f, id, GTK_TYPE_LABEL, "Failed");
  g_assert_nonnull (shown_in_row (f, id, GTK_TYPE_LABEL, "Sending was cancelled."));
  g_assert_null (shown_in_row (f, id, GTK_TYPE_PROGRESS_BAR, NULL));
  assert_buttons (f, id, "Retry Edit Delete");
  assert_accessible (f, id, "Board minutes, To alice@example.org", "Failed: Sending was cancelled.");
  g_assert_cmpuint (f->gate->delivered, ==, 0);
  g_assert_cmpuint (n_in_outbox (f), ==, 1);
}

/* The server refuses the message for good: the row says what it said.
 * Retry, with the server willing, delivers it and the row goes away; a
 * retry that cannot be done says why in a toast. */
static void
test_failed_retry (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  RowRef ref = { f, NULL };

  test_gate_set (f->gate, GATE_REFUSE, 0);
  id = queue_message (f, FALSE, "alice@example.org");
  ref.id = id;
  wait_to_see (f, id, GTK_TYPE_LABEL, "Failed");
  g_assert_nonnull (shown_in_row (f, id, GTK_TYPE_LABEL, REFUSAL));
  g_assert_nonnull (shown_in_row (f, id, GTK_TYPE_LABEL, "Board minutes"));
  assert_buttons (f, id, "Retry Edit Delete");
  assert_accessible (f, id, "Board minutes, To alice@example.org", "Failed: " REFUSAL);

  test_gate_set (f->gate, GATE_OPEN, 0);
  click (f, id, "Retry");
  signet_test_wait_until (row_gone, &ref);
  wait_to_see (f, NULL, GTK_TYPE_LABEL, "Outbox Empty");
  g_assert_cmpuint (f->gate->delivered, ==, 1);
  g_assert_cmpuint (n_in_outbox (f), ==, 0);

  g_assert_true (gtk_widget_activate_action (f->window, "outbox.retry", "s", id));
  wait_to_see (f, NULL, GTK_TYPE_LABEL,
               "The message could not be queued again: The message is no longer in the Outbox.");
}

/* Delete asks first: Cancel keeps the message, Delete removes it. */
static void
test_delete (Fixture *f, gconstpointer data)
{
  g_autofree char *id = queue_message (f, FALSE, "alice@example.org");
  RowRef ref = { f, id };
  AdwMessageDialog *dialog;

  wait_to_see (f, id, GTK_TYPE_LABEL, "Queued");
  click (f, id, "Delete");
  dialog = signet_ui_wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Delete this message?");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "“Board minutes” will not be sent, and cannot be recovered.");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "delete"), ==, "_Delete");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "delete"), ==, ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));
  signet_ui_click_response (dialog, "_Cancel");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (signet_ui_find_dialog ());
  g_assert_nonnull (shown_in_row (f, id, GTK_TYPE_LABEL, "Board minutes"));
  g_assert_cmpuint (n_in_outbox (f), ==, 1);

  click (f, id, "Delete");
  dialog = signet_ui_wait_for_dialog ();
  signet_ui_click_response (dialog, "_Delete");
  signet_test_wait_until (row_gone, &ref);
  wait_to_see (f, NULL, GTK_TYPE_LABEL, "Outbox Empty");
  g_assert_cmpuint (n_in_outbox (f), ==, 0);
  g_assert_cmpuint (f->gate->delivered, ==, 0);
}

static void
on_deleted_elsewhere (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (signet_outbox_delete_finish (SIGNET_OUTBOX (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/* The message goes while the question is up: Delete then says why it
 * could not delete it, and the row is gone all the same. */
static void
test_delete_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *id = queue_message (f, FALSE, "alice@example.org");
  RowRef ref = { f, id };
  AdwMessageDialog *dialog;
  gboolean deleted = FALSE;

  wait_to_see (f, id, GTK_TYPE_LABEL, "Queued");
  click (f, id, "Delete");
  dialog = signet_ui_wait_for_dialog ();
  signet_outbox_delete_async (f->s.outbox, id, NULL, on_deleted_elsewhere, &deleted);
  signet_test_wait_until (is_true, &deleted);
  signet_ui_click_response (dialog, "_Delete");
  wait_to_see (f, NULL, GTK_TYPE_LABEL,
               "The message could not be deleted: The message is no longer in the Outbox.");
  signet_test_wait_until (row_gone, &ref);
  wait_to_see (f, NULL, GTK_TYPE_LABEL, "Outbox Empty");
}

/* Edit hands the send to the application, by its ID. */
static void
test_edit (Fixture *f, gconstpointer data)
{
  g_autofree char *id = queue_message (f, FALSE, "alice@example.org");

  wait_to_see (f, id, GTK_TYPE_LABEL, "Queued");
  click (f, id, "Edit");
  g_assert_cmpuint (edited->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (edited, 0), ==, id);
}

static void
on_outbox_edit (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_ptr_array_add (edited, g_variant_dup_string (parameter, NULL));
}

int
main (int argc, char *argv[])
{
  g_autoptr(GSimpleAction) edit = g_simple_action_new ("outbox-edit", G_VARIANT_TYPE_STRING);
  int ret;

  /* GTK's test accessibility backend keeps what the window tells assistive
   * technologies, for gtk_test_accessible_assert_property(). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
  edited = g_ptr_array_new_with_free_func (g_free);
  app = GTK_APPLICATION (adw_application_new ("io.github.signetmail.Signet.OutboxTests", G_APPLICATION_NON_UNIQUE));
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_signal_connect (edit, "activate", G_CALLBACK (on_outbox_edit), NULL);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (edit));
#define ADD(path, online, fn) \
  g_test_add ("/outbox-window/" path, Fixture, GINT_TO_POINTER (online), fixture_setup, fn, fixture_teardown)
  ADD ("empty", FALSE, test_empty);
  ADD ("queued", FALSE, test_queued);
  ADD ("sealed", FALSE, test_sealed);
  ADD ("sending-cancel", FALSE, test_sending_cancel);
  ADD ("failed-retry", TRUE, test_failed_retry);
  ADD ("delete", FALSE, test_delete);
  ADD ("delete-gone", FALSE, test_delete_gone);
  ADD ("edit", FALSE, test_edit);
#undef ADD
  ret = g_test_run ();
  g_object_unref (app);
  g_ptr_array_unref (edited);
  signet_test_remove_gnupghome (homedir);
  return ret;
}
