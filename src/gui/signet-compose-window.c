#define G_LOG_DOMAIN "signet-compose-window"

#include "config.h"

#include "signet-compose-window.h"

#include <stdlib.h>
#include <string.h>

#include "signet-address.h"
#include "signet-attachment-drop.h"
#include "signet-attachment-reminder.h"
#include "signet-button-label.h"
#include "signet-compose-spelling.h"
#include "signet-dialogs.h"
#include "signet-drafts.h"
#include "signet-key-picker.h"
#include "signet-keyring-completion.h"
#include "signet-ldap-completion.h"
#include "signet-recipient-field.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-report-text.h"
#include "signet-sign-availability.h"
#include "signet-spinner.h"
#include "signet-tooltip.h"

/* The composer. It only collects what the user typed into a SignetMessage and
 * maps the outcome of the send operation to what the user sees; it does no
 * I/O of its own.
 *
 * Nothing typed is lost: a window with unsaved changes asks before it closes,
 * a send or a save in flight is never cancelled by closing (the window hides
 * and comes back if it fails), and a result that arrives after the window is
 * gone shows nothing. */

typedef enum {
  OP_NONE,
  OP_SEND,
  OP_SAVE,
  OP_CHECK,
} Op;

struct _SignetComposeWindow
{
  AdwApplicationWindow  parent_instance;

  SignetSendOperation  *operation;
  SignetNetwork        *network;
  GCancellable         *cancellable;      /* attachments; cancelled when the window goes */
  GCancellable         *op_cancellable;   /* the send, save or check in flight */
  GListStore           *attachments;      /* SignetAttachment, shown in attachment_list */
  gboolean              seal;
  gboolean              sign;             /* Sign is on */
  gboolean              sign_wanted;      /* Sign was asked for, whether the sender can sign or not */
  gboolean              sign_asked;       /* ... by the user (or the draft), not only by default */
  SignetSignAvailability *sign_availability; /* NULL: no directory to look in */
  gboolean                painted;           /* its first frame is on screen */
  struct OpStart         *op_start;          /* a send or check that starts once the window shows it */

  Op                    op;
  guint                 op_serial;        /* bumped when a check is abandoned */
  gboolean              op_quiet;         /* a save at exit: no dialogs, no toasts */
  gboolean              exit_without_attachments;  /* an attachment failed the exit save */
  gboolean              drafts_without_attachments; /* an attachment failed an automatic save */
  AdwMessageDialog     *attach_error_dialog;       /* weak: the files that could not be attached */
  guint                 changes;          /* bumped by every edit */
  guint                 saved_changes;    /* `changes` as last saved (or as opened) */
  guint                 op_changes;       /* `changes` when the op in flight began */
  guint                 recipient_changes; /* bumped by To, Cc, Bcc and Seal */
  guint                 op_recipient_changes;
  gboolean              modified;
  gboolean              close_after_op;   /* close once the op in flight succeeds */
  GPtrArray            *close_tasks;      /* GTask (no source object): close requests waiting for an answer */
  AdwMessageDialog     *close_dialog;
  GtkWindow            *shortcuts;        /* Keyboard Shortcuts, once asked for */

  AdwToastOverlay      *toast_overlay;
  GtkRevealer          *offline_revealer;
  GtkLabel             *offline_label;
  GtkWidget            *work_online_button;
  GtkWidget            *send_button;
  GtkWidget            *check_names_button;
  GtkWidget            *check_names_busy;
  gint64                idle_since;       /* when Send took Cancel's place */
  int                   cell_presses;     /* the press count of the last click in their cell */
  SignetSpinner        *spinner;
  GtkWidget            *cancel_button;
  GtkToggleButton      *seal_button;
  GtkToggleButton      *sign_button;
  GtkMenuButton        *menu_button;
  GMenuModel           *primary_menu;     /* the main menu, put in menu_button after the first frame */
  GtkEntry             *from_entry;
  SignetRecipientField *to_entry;
  SignetRecipientField *cc_entry;
  SignetRecipientField *bcc_entry;
  GtkEntry             *subject_entry;
  GtkTextView          *body_view;
  GtkListBox           *attachment_list;
  GtkLabel             *progress_label;

  guint                 status_source;    /* the live key check, waiting for typing to stop */
  GCancellable         *status_cancellable;
  SignetOutbox         *origin_outbox;    /* the message came from this Outbox, held there */
  char                 *origin_id;

  SignetComposeSpelling *spelling;        /* spell checking of Subject and body, "spell.*" */
  GMenu                *spell_language_menu;

  SignetDrafts         *drafts;           /* the window's draft, saved as typing stops */
  guint                 draft_slot;
  guint                 autosave_source;
  guint                 autosave_delay;   /* ms */
  guint                 autosaved_changes;
  gboolean              autosaved_seal;
  gboolean              autosaved_sign;
  gboolean              autosaving;
};

G_DEFINE_FINAL_TYPE (SignetComposeWindow, signet_compose_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_OPERATION,
  PROP_NETWORK,
  PROP_IDENTITY,
  PROP_SEAL,
  PROP_SIGN,
  PROP_MODIFIED,
  PROP_BUSY,
  PROP_AUTOSAVE_DELAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void save_draft (SignetComposeWindow *self);
static void update_title (SignetComposeWindow *self);
static void show_failure (SignetComposeWindow *self, const GError *error, GPtrArray *key_results);
static void try_close (SignetComposeWindow *self);
static void on_names_checked (GObject *object, GAsyncResult *result, gpointer user_data);
static void start_op (SignetComposeWindow *self);
static void focus_start (SignetComposeWindow *self);
static void on_first_map (SignetComposeWindow *self);
static void show_shortcuts (GSimpleAction *action, GVariant *parameter, gpointer user_data);
static void ensure_main_menu (GtkMenuButton *button, gpointer user_data);
static void schedule_autosave (SignetComposeWindow *self);
static void remember_autosaved (SignetComposeWindow *self);
static gboolean on_autosave (gpointer user_data);

/* gtk_window_destroy() takes a window off the toplevel list, even while
 * something still holds a reference to it: a result for such a window has
 * no one left to show it to. */
static gboolean
window_alive (SignetComposeWindow *self)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (window == GTK_WINDOW (self))
        return TRUE;
    }
  return FALSE;
}

static void
update_modified (SignetComposeWindow *self)
{
  gboolean modified = self->changes != self->saved_changes;

  if (modified == self->modified)
    return;
  self->modified = modified;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

static void
on_edited (SignetComposeWindow *self)
{
  self->changes++;
  update_modified (self);
  schedule_autosave (self);
}

static void schedule_status_check (SignetComposeWindow *self);

static void
on_recipients_edited (GtkEditable *editable, SignetComposeWindow *self)
{
  self->recipient_changes++;
  schedule_status_check (self);
}

/* Everything up to here is what the window was opened with, not an edit. */
static void
mark_unmodified (SignetComposeWindow *self)
{
  self->saved_changes = self->changes;
  update_modified (self);
}

/* Send and, in its place, Cancel: both always there and laid out, one of
 * them mapped; Check Names likewise, with a copy that cannot be pressed.
 * A widget shown or hidden, and a button made insensitive, has GTK 4.8 lay
 * the window out again, and under X11 it then asks the server about the
 * window's monitor (five round trips, two or three times in that frame):
 * while sealing held both cores the answers took milliseconds each. Mapped
 * or not, nothing moves. (So none of these buttons has an action of its
 * own, which would make it insensitive with the action: each is out of
 * reach, unmapped, while its action is off.) */
static void
set_shown (GtkWidget *widget, gboolean shown)
{
  gtk_widget_set_child_visible (widget, shown);
  gtk_accessible_update_state (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_STATE_HIDDEN, !shown, -1);
}

/* Send and Cancel take each other's place under the pointer. A click on
 * either that is the second of a double click (or more) in their cell
 * went to the other, and is not taken; nor is a click on Send in the
 * double-click time after it came back (a check ended just as Cancel was
 * clicked). Clicks not from a pointer (keyboard, screen reader) are taken
 * as they come. */
static void
on_cell_pressed (SignetComposeWindow *self, int n_press, double x, double y)
{
  self->cell_presses = n_press;
}

static gboolean
click_taken (SignetComposeWindow *self, gboolean is_send)
{
  int presses = self->cell_presses;
  int double_click_ms = 400;

  self->cell_presses = 0;
  g_object_get (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-double-click-time", &double_click_ms, NULL);
  if (presses > 1 || (presses == 1 && is_send
                      && g_get_monotonic_time () - self->idle_since < (gint64) double_click_ms * 1000))
    {
      g_debug ("A click on %s just after it took the place of %s: not taken", is_send ? "Send" : "Cancel",
               is_send ? "Cancel" : "Send");
      return FALSE;
    }
  return TRUE;
}

static void
on_send_clicked (SignetComposeWindow *self)
{
  if (click_taken (self, TRUE))
    gtk_widget_activate_action (GTK_WIDGET (self), "compose.send", NULL);
}

static void
on_check_names_clicked (SignetComposeWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "compose.check-names", NULL);
}

static void
on_cancel_clicked (SignetComposeWindow *self)
{
  if (click_taken (self, FALSE))
    gtk_widget_activate_action (GTK_WIDGET (self), "compose.cancel", NULL);
}

static void
update_busy (SignetComposeWindow *self)
{
  gboolean busy = self->op != OP_NONE;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  gboolean focus_goes = busy ? focus == self->send_button || focus == self->check_names_button
                             : focus == self->cancel_button;

  if (!busy && gtk_widget_get_child_visible (self->cancel_button))
    self->idle_since = g_get_monotonic_time ();
  /* The button with the keyboard's focus about to go: the focus goes
   * nowhere, as from a button made insensitive, not (as GTK would move it)
   * on to the next button, where a key pressed again would turn Seal off,
   * send, or stop. */
  if (focus_goes)
    gtk_root_set_focus (GTK_ROOT (self), NULL);
  set_shown (self->send_button, !busy);
  set_shown (self->cancel_button, busy);
  set_shown (self->check_names_button, !busy);
  set_shown (self->check_names_busy, busy);
  /* Pressed, Cancel says so (cancel_action()); out of sight, it is ready
   * for the next time. */
  if (!busy)
    gtk_widget_set_sensitive (self->cancel_button, TRUE);
  signet_spinner_set_spinning (self->spinner, busy);
  if (!busy)
    gtk_widget_set_visible (GTK_WIDGET (self->progress_label), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compose.cancel", busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compose.send", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compose.check-names", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compose.save-draft", !busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* One send, save or check in flight. It holds the application and keeps the
 * session from ending under it, however it ends, and knows its window only
 * weakly: the window may be gone when the result arrives. */
typedef struct {
  GWeakRef        window;
  GtkApplication *app;
  guint           cookie;
  guint           serial;
  gboolean        quiet;
  SignetOutbox   *origin_outbox;   /* the window's origin when the op began */
  char           *origin_id;
  SignetDrafts   *drafts;          /* the window's draft, to go once it is sent */
  guint           draft_slot;
} OpData;

static OpData *
op_begin (SignetComposeWindow *self, Op op, const char *inhibit_reason)
{
  OpData *data = g_new0 (OpData, 1);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  g_weak_ref_init (&data->window, self);
  if (self->origin_outbox != NULL)
    {
      data->origin_outbox = g_object_ref (self->origin_outbox);
      data->origin_id = g_strdup (self->origin_id);
    }
  data->serial = ++self->op_serial;
  data->quiet = self->op_quiet;
  if (self->drafts != NULL)
    {
      data->drafts = g_object_ref (self->drafts);
      data->draft_slot = self->draft_slot;
    }
  if (app != NULL && inhibit_reason != NULL)
    {
      data->app = g_object_ref (app);
      g_application_hold (G_APPLICATION (app));
      g_application_mark_busy (G_APPLICATION (app));
      data->cookie = gtk_application_inhibit (app, GTK_WINDOW (self), GTK_APPLICATION_INHIBIT_LOGOUT,
                                              inhibit_reason);
    }
  g_clear_object (&self->op_cancellable);
  self->op_cancellable = g_cancellable_new ();
  self->op = op;
  self->op_changes = self->changes;
  self->op_recipient_changes = self->recipient_changes;
  update_busy (self);
  return data;
}

/* Lets go of what op_begin() took. Returns the window (a new reference) if
 * the result is still its to show, else NULL. */
static SignetComposeWindow *
op_end (OpData *data, GtkApplication **app)
{
  SignetComposeWindow *self = g_weak_ref_get (&data->window);

  /* A result that arrives after the application has ended has nothing to
   * let go of. */
  if (data->app != NULL && g_application_get_is_registered (G_APPLICATION (data->app)))
    {
      if (data->cookie != 0)
        gtk_application_uninhibit (data->app, data->cookie);
      g_application_unmark_busy (G_APPLICATION (data->app));
      g_application_release (G_APPLICATION (data->app));
    }
  if (app != NULL)
    *app = g_steal_pointer (&data->app);
  g_clear_object (&data->app);
  g_clear_object (&data->origin_outbox);
  g_clear_pointer (&data->origin_id, g_free);
  g_clear_object (&data->drafts);
  g_weak_ref_clear (&data->window);
  if (self != NULL && (self->op_serial != data->serial || !window_alive (self)))
    g_clear_object (&self);
  g_free (data);
  if (self != NULL)
    {
      self->op = OP_NONE;
      self->op_quiet = FALSE;
      update_busy (self);
    }
  return self;
}

/* Forgets the op in flight: its result, when it comes, is not shown. */
static void
op_abandon (SignetComposeWindow *self)
{
  g_cancellable_cancel (self->op_cancellable);
  /* One still waiting to start ends now, cancelled, its result unseen. */
  start_op (self);
  self->op_serial++;
  self->op = OP_NONE;
  update_busy (self);
}

static void
toast (SignetComposeWindow *self, const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static char *
get_body (SignetComposeWindow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->body_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
add_field (SignetComposeWindow  *self,
           SignetRecipientField *field,
           const char           *name,
           gboolean              lenient,
           SignetMessage        *message,
           void                (*add) (SignetMessage *, const SignetAddress *),
           GError              **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) list = signet_recipient_field_dup_addresses (field, TRUE, &local_error);

  if (list == NULL && lenient)
    {
      /* What is still being typed does not parse: the pills are kept. */
      if (!self->autosaving)
        g_warning ("The %s field holds text that is not an address; the draft is saved without it", name);
      list = signet_recipient_field_dup_addresses (field, FALSE, NULL);
    }
  if (list == NULL)
    {
      gtk_widget_grab_focus (GTK_WIDGET (field));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  for (guint i = 0; i < list->len; i++)
    add (message, g_ptr_array_index (list, i));
  return TRUE;
}

/* A subject that can always be stored: control characters become spaces. */
static char *
sanitised_subject (const char *subject)
{
  char *copy = g_strdup (subject);

  for (char *p = copy; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return copy;
}

/* What the user typed, as a message; NULL with @error if a field is invalid
 * (the field gets the focus, nothing typed is touched). @lenient (a save at
 * exit, with no one to ask) leaves out what cannot be stored instead. */
static SignetMessage *
build_message (SignetComposeWindow *self,
               gboolean             lenient,
               GError             **error)
{
  g_autoptr(SignetMessage) message = signet_message_new ();
  g_autoptr(SignetAddress) from = NULL;
  g_autofree char *body = get_body (self);
  g_autofree char *subject = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->subject_entry)));
  const char *from_text = gtk_editable_get_text (GTK_EDITABLE (self->from_entry));

  if (*from_text != '\0')
    {
      from = signet_address_parse (from_text, lenient ? NULL : error);
      if (from == NULL && !lenient)
        {
          gtk_widget_grab_focus (GTK_WIDGET (self->from_entry));
          return NULL;
        }
      if (from != NULL)
        signet_message_set_from (message, from);
    }
  if (!add_field (self, self->to_entry, "To", lenient, message, signet_message_add_to, error) ||
      !add_field (self, self->cc_entry, "Cc", lenient, message, signet_message_add_cc, error) ||
      !add_field (self, self->bcc_entry, "Bcc", lenient, message, signet_message_add_bcc, error))
    return NULL;
  if (lenient)
    {
      char *clean = sanitised_subject (subject);
      g_free (subject);
      subject = clean;
    }
  else if (!signet_header_check (subject, error))
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->subject_entry));
      return NULL;
    }
  signet_message_set_subject (message, subject);
  signet_message_set_body (message, body);
  for (guint i = 0; !self->exit_without_attachments && !(lenient && self->drafts_without_attachments) &&
                    i < g_list_model_get_n_items (G_LIST_MODEL (self->attachments)); i++)
    {
      g_autoptr(SignetAttachment) attachment = g_list_model_get_item (G_LIST_MODEL (self->attachments), i);
      signet_message_add_attachment (message, attachment);
    }
  signet_message_set_seal (message, self->seal);
  signet_message_set_sign (message, self->sign);
  return g_steal_pointer (&message);
}

/* Shows, on each recipient, whether it can receive sealed mail, and why
 * not (icon and words on its pill, and in its accessible description). */
static void
show_key_status (SignetComposeWindow *self, GPtrArray *key_results)
{
  SignetRecipientField *fields[] = { self->to_entry, self->cc_entry, self->bcc_entry };

  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      signet_recipient_field_set_message (fields[f], NULL);
      if (key_results != NULL)
        signet_recipient_field_show_key_results (fields[f], key_results);
    }
}

static void
clear_key_status (SignetComposeWindow *self, const char *message)
{
  SignetRecipientField *fields[] = { self->to_entry, self->cc_entry, self->bcc_entry };

  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      signet_recipient_field_clear_status (fields[f]);
      signet_recipient_field_set_message (fields[f], f == 0 ? message : NULL);
    }
}

/* ---- the live key check ----------------------------------------------- */

#define STATUS_CHECK_DELAY_MS 300
#define AUTOSAVE_DELAY_MS 3000

static void
on_status_resolved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetComposeWindow) self = g_weak_ref_get (user_data);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  g_weak_ref_clear (user_data);
  g_free (user_data);
  results = signet_key_directory_resolve_finish (SIGNET_KEY_DIRECTORY (object), result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (results == NULL)
    {
      if (g_error_matches (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE))
        clear_key_status (self, _("Keys cannot be checked while offline"));
      return;
    }
  show_key_status (self, results);
}

/* About 300 ms after the recipients (or Seal) last changed, every
 * recipient of every field is looked up at once, off the main thread; a
 * change meanwhile cancels it. Offline nothing is looked up. */
static gboolean
on_status_check (gpointer user_data)
{
  SignetComposeWindow *self = user_data;
  SignetRecipientField *fields[] = { self->to_entry, self->cc_entry, self->bcc_entry };
  SignetKeyDirectory *directory = signet_send_operation_get_directory (self->operation);
  g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
  GWeakRef *ref;

  self->status_source = 0;
  if (!self->seal || directory == NULL)
    return G_SOURCE_REMOVE;
  if (!signet_network_get_online (self->network))
    {
      clear_key_status (self, _("Keys cannot be checked while offline"));
      return G_SOURCE_REMOVE;
    }
  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      g_autoptr(GPtrArray) list = signet_recipient_field_dup_addresses (fields[f], FALSE, NULL);

      for (guint i = 0; list != NULL && i < list->len; i++)
        g_ptr_array_add (emails, g_strdup (((SignetAddress *) g_ptr_array_index (list, i))->email));
    }
  if (emails->len == 0)
    return G_SOURCE_REMOVE;
  g_clear_object (&self->status_cancellable);
  self->status_cancellable = g_cancellable_new ();
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  signet_key_directory_resolve_async (directory, emails, self->status_cancellable,
                                      on_status_resolved, ref);
  return G_SOURCE_REMOVE;
}

static void
schedule_status_check (SignetComposeWindow *self)
{
  if (self->to_entry == NULL)
    return;  /* not built yet, or going */
  g_cancellable_cancel (self->status_cancellable);
  g_clear_handle_id (&self->status_source, g_source_remove);
  clear_key_status (self, NULL);
  if (self->seal)
    self->status_source = g_timeout_add (STATUS_CHECK_DELAY_MS, on_status_check, self);
}

/* The recipients (and Seal) are as they were when the op in flight began. */
static gboolean
recipients_unchanged (SignetComposeWindow *self)
{
  return self->recipient_changes == self->op_recipient_changes;
}

/* The message to act on, or NULL if the window is busy or a field is
 * invalid (then the user has been told which, and nothing is lost). */
static SignetMessage *
take_message (SignetComposeWindow *self)
{
  g_autoptr(GError) error = NULL;
  SignetMessage *message;

  if (self->op != OP_NONE)
    return NULL;
  /* What is typed becomes pills now, not when the focus leaves later on
   * (which would count as a change made during the send). */
  signet_recipient_field_commit (self->to_entry);
  signet_recipient_field_commit (self->cc_entry);
  signet_recipient_field_commit (self->bcc_entry);
  message = build_message (self, FALSE, &error);
  if (message == NULL)
    show_failure (self, error, NULL);
  return message;
}

static void
on_offline_response (AdwMessageDialog    *dialog,
                     const char          *response,
                     SignetComposeWindow *self)
{
  if (g_strcmp0 (response, SIGNET_RESPONSE_SAVE_DRAFT) == 0)
    save_draft (self);
}

/* Maps a failed send, check or draft to what the user sees. Nothing typed
 * is lost: the window stays open with every field as it was. */
#define RESPONSE_CHOOSE_KEY "choose-key"

static void
on_key_chosen (SignetKeyPicker *picker, const char *fingerprint, SignetComposeWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("The key for %s is chosen"), signet_key_picker_get_email (picker));

  toast (self, text);
  /* The pills say so: the address now has its key. */
  schedule_status_check (self);
}

static void
open_key_picker (SignetComposeWindow *self, const char *email)
{
  SignetKeyPicker *picker;

  picker = signet_key_picker_new (GTK_WINDOW (self), signet_send_operation_get_directory (self->operation), email);
  g_signal_connect_object (picker, "chosen", G_CALLBACK (on_key_chosen), self, 0);
  gtk_window_present (GTK_WINDOW (picker));
}

static void
on_problems_response (AdwMessageDialog    *dialog,
                      const char          *response,
                      SignetComposeWindow *self)
{
  const char *email = g_object_get_data (G_OBJECT (dialog), "signet-ambiguous");

  if (g_strcmp0 (response, RESPONSE_CHOOSE_KEY) == 0 && email != NULL)
    open_key_picker (self, email);
}

#define RESPONSE_REVIEW_KEY "review-key"

static void
on_accept_response (AdwMessageDialog *dialog, const char *response, SignetComposeWindow *self)
{
  const char *email = g_object_get_data (G_OBJECT (dialog), "signet-email");
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "signet-fingerprint");
  g_autofree char *text = NULL;

  if (g_strcmp0 (response, SIGNET_RESPONSE_ACCEPT) != 0)
    return;
  signet_key_directory_accept (signet_send_operation_get_directory (self->operation), fingerprint, email);
  /* Translators: %s is an email address */
  text = g_strdup_printf (_("The key found for %s is accepted"), email);
  toast (self, text);
  schedule_status_check (self);
}

static void
on_review_response (AdwMessageDialog *problems, const char *response, SignetComposeWindow *self)
{
  const char *email = g_object_get_data (G_OBJECT (problems), "signet-email");
  const char *fingerprint = g_object_get_data (G_OBJECT (problems), "signet-fingerprint");
  SignetDirectoryServers *servers = signet_send_operation_get_directory_servers (self->operation);
  g_autofree char *origin = NULL;
  g_autofree char *grouped = NULL;
  AdwMessageDialog *dialog;

  if (g_strcmp0 (response, RESPONSE_REVIEW_KEY) != 0 || servers == NULL)
    return;
  origin = signet_directory_servers_dup_origin (servers, fingerprint);
  grouped = signet_key_picker_format_fingerprint (fingerprint);
  dialog = signet_dialogs_accept_key (GTK_WINDOW (self), email,
                                      g_object_get_data (G_OBJECT (problems), "signet-user-id"), grouped,
                                      origin != NULL ? origin : "?");
  g_object_set_data_full (G_OBJECT (dialog), "signet-email", g_strdup (email), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "signet-fingerprint", g_strdup (fingerprint), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_accept_response), self, 0);
}

/* The first recipient whose key the directory's servers located and nobody
 * certified: the refusal offers to look at that key. */
static gboolean
offer_found_key (SignetComposeWindow *self, AdwMessageDialog *dialog, GPtrArray *key_results)
{
  SignetDirectoryServers *servers = signet_send_operation_get_directory_servers (self->operation);

  for (guint i = 0; servers != NULL && i < key_results->len; i++)
    {
      const SignetKeyResult *r = g_ptr_array_index (key_results, i);
      g_autofree char *origin = NULL;
      g_autofree char *email = NULL;
      g_autofree char *label = NULL;

      if (r->status != SIGNET_KEY_STATUS_UNTRUSTED || r->fingerprint == NULL ||
          (origin = signet_directory_servers_dup_origin (servers, r->fingerprint)) == NULL)
        continue;
      email = signet_mnemonic_escape (r->email);
      /* Translators: %s is an email address */
      label = g_strdup_printf (_("_Review Key for %s…"), email);
      adw_message_dialog_add_response (dialog, RESPONSE_REVIEW_KEY, label);
      signet_button_label_name_all (GTK_WIDGET (dialog));
      adw_message_dialog_set_default_response (dialog, RESPONSE_REVIEW_KEY);
      g_object_set_data_full (G_OBJECT (dialog), "signet-email", g_strdup (r->email), g_free);
      g_object_set_data_full (G_OBJECT (dialog), "signet-fingerprint", g_strdup (r->fingerprint), g_free);
      g_object_set_data_full (G_OBJECT (dialog), "signet-user-id", g_strdup (r->user_id), g_free);
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_review_response), self, 0);
      return TRUE;
    }
  return FALSE;
}

/* A pill whose address several keys match offers the choice itself. */
static void
on_pill_choose_key (SignetRecipientField *field, SignetRecipient *recipient, SignetComposeWindow *self)
{
  open_key_picker (self, signet_recipient_get_address (recipient)->email);
}

static void
show_failure (SignetComposeWindow *self, const GError *error, GPtrArray *key_results)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE))
    {
      AdwMessageDialog *dialog = signet_dialogs_offline (GTK_WINDOW (self));
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_offline_response), self, 0);
      return;
    }
  if (g_error_matches (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE))
    {
      AdwMessageDialog *dialog = signet_dialogs_directory_unreachable (GTK_WINDOW (self), error->message);
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_offline_response), self, 0);
      return;
    }
  if (key_results != NULL &&
      g_error_matches (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS))
    {
      AdwMessageDialog *dialog;
      const char *ambiguous = NULL;

      if (recipients_unchanged (self))
        show_key_status (self, key_results);
      dialog = signet_dialogs_recipient_problems (GTK_WINDOW (self), key_results);
      for (guint i = 0; i < key_results->len && ambiguous == NULL; i++)
        {
          const SignetKeyResult *r = g_ptr_array_index (key_results, i);
          if (r->status == SIGNET_KEY_STATUS_AMBIGUOUS)
            ambiguous = r->email;
        }
      /* A key the directory found, nobody certified: the user may look at
       * it and accept it. */
      if (ambiguous == NULL && offer_found_key (self, dialog, key_results))
        return;
      /* Several valid keys for one address: the user says which. */
      if (ambiguous != NULL)
        {
          g_autofree char *email = signet_mnemonic_escape (ambiguous);
          /* Translators: %s is an email address */
          g_autofree char *label = g_strdup_printf (_("Choose _Key for %s…"), email);

          adw_message_dialog_add_response (dialog, RESPONSE_CHOOSE_KEY, label);
          signet_button_label_name_all (GTK_WIDGET (dialog));
          adw_message_dialog_set_default_response (dialog, RESPONSE_CHOOSE_KEY);
          g_object_set_data_full (G_OBJECT (dialog), "signet-ambiguous", g_strdup (ambiguous), g_free);
          g_signal_connect_object (dialog, "response", G_CALLBACK (on_problems_response), self, 0);
        }
      return;
    }
  if (error->domain == SIGNET_ADDRESS_ERROR)
    signet_dialogs_error (GTK_WINDOW (self), _("Invalid Address"), error->message);
  else
    signet_dialogs_error (GTK_WINDOW (self), _("The Message Was Not Sent"), error->message);
}

/* Answers every pending close request: closed, or not (Cancel, or a save
 * that failed). */
static void
finish_close (SignetComposeWindow *self, gboolean closed)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->close_tasks);

  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; tasks != NULL && i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (closed)
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The window stays open");
    }
}

/* The prompt, which may be answering right now (and so outlive this
 * window by a moment): it must not point at a window that is gone. */
static void
dismiss_close_dialog (SignetComposeWindow *self)
{
  if (self->close_dialog == NULL)
    return;
  gtk_window_set_transient_for (GTK_WINDOW (self->close_dialog), NULL);
  gtk_window_destroy (GTK_WINDOW (self->close_dialog));
}

/* A closed composer, let go of in steps. */
typedef struct {
  SignetComposeWindow *window;
  GtkWidget           *contents;
  GPtrArray           *parts;     /* of contents, each let go of in a step */
  guint                step;
} Release;

/* The parts of @widget to let go of one by one, innermost first: the
 * children of its boxes and grids, whose removal is theirs to ask for. */
static void
collect_parts (GtkWidget *widget, GPtrArray *parts)
{
  if (!GTK_IS_BOX (widget) && !GTK_IS_GRID (widget))
    return;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      collect_parts (child, parts);
      g_ptr_array_add (parts, g_object_ref (child));
    }
}

static void
remove_part (GtkWidget *part)
{
  GtkWidget *parent = gtk_widget_get_parent (part);

  if (GTK_IS_BOX (parent))
    gtk_box_remove (GTK_BOX (parent), part);
  else if (GTK_IS_GRID (parent))
    gtk_grid_remove (GTK_GRID (parent), part);
  g_object_unref (part);
}

/* Letting go of a composer takes longer than a frame (16 ms) does, so it
 * is done in steps, one per main-loop iteration, while other windows
 * draw theirs: its contents leave the window (each widget leaves the
 * window's focus and accessibility); the window is disposed (what it runs
 * stops, and it lets go of the widgets, which the contents still hold);
 * then the widgets go, a part of the contents at a time, and the window
 * last. GTK's own order: the widgets go while the window, disposed, is
 * still there. A part at a time because GTK 4.8 asks the X server for the
 * keyboard as each text entry goes: a round trip, which takes
 * milliseconds while a send still seals on the other core. */
static gboolean
release_step (gpointer data)
{
  Release *release = data;
  SignetComposeWindow *self = release->window;

  switch (release->step++)
    {
    case 0:
      if (self->toast_overlay != NULL && adw_toast_overlay_get_child (self->toast_overlay) != NULL)
        {
          release->contents = g_object_ref (adw_toast_overlay_get_child (self->toast_overlay));
          adw_toast_overlay_set_child (self->toast_overlay, NULL);
        }
      return G_SOURCE_CONTINUE;
    case 1:
      g_object_run_dispose (G_OBJECT (self));
      release->parts = g_ptr_array_new ();
      if (release->contents != NULL)
        collect_parts (release->contents, release->parts);
      return G_SOURCE_CONTINUE;
    default:
      if (release->parts->len > 0)
        {
          remove_part (g_ptr_array_steal_index (release->parts, 0));
          return G_SOURCE_CONTINUE;
        }
      g_ptr_array_unref (release->parts);
      g_clear_object (&release->contents);
      g_object_unref (self);
      g_free (release);
      return G_SOURCE_REMOVE;
    }
}

static void
close_now (SignetComposeWindow *self)
{
  /* Whatever it was to save is saved, sent or discarded by now. */
  g_clear_handle_id (&self->autosave_source, g_source_remove);
  g_object_ref (self);
  dismiss_close_dialog (self);
  gtk_window_destroy (GTK_WINDOW (self));
  finish_close (self, TRUE);
  /* The last reference goes once what GDK queued for the window (its
   * unmapping, when it was hidden while its send finished) is handled:
   * GTK 4.8 otherwise may hand such an event to a finalized window. */
  {
    Release *release = g_new0 (Release, 1);

    release->window = self;
    g_idle_add_full (G_PRIORITY_LOW, release_step, release, NULL);
  }
}

/* A send or save that was meant to close the window did not succeed: the
 * window (hidden, perhaps) is back, with everything in it. */
static void
keep_open (SignetComposeWindow *self)
{
  if (self->close_after_op)
    {
      self->close_after_op = FALSE;
      gtk_window_present (GTK_WINDOW (self));
    }
  finish_close (self, FALSE);
}

/* Offline, the send waits in the Outbox, and says so; online, the
 * application tells how delivery ends, from the Outbox's own report. */
static void
notify_sent (GtkApplication *app, const SignetSendReport *report)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;

  if (app == NULL || !report->offline || !g_application_get_is_registered (G_APPLICATION (app)))
    return;
  title = signet_report_text_sent_title (report);
  body = signet_report_text_sent_body (report);
  notification = g_notification_new (title);
  if (body != NULL)
    g_notification_set_body (notification, body);
  g_application_send_notification (G_APPLICATION (app), "message-sent", notification);
}

static void
on_origin_deleted (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!signet_outbox_delete_finish (SIGNET_OUTBOX (object), result, &error) &&
      !g_error_matches (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND))
    g_warning ("The edited message stays in the Outbox: %s", error->message);
}

/* The message taken out of the Outbox to be edited is now sent, or saved
 * as a draft, again: only then is the old one removed from the Outbox;
 * whether or not the window is still there. */
static void
forget_origin (OpData *data)
{
  SignetComposeWindow *self = g_weak_ref_get (&data->window);

  if (data->origin_outbox != NULL)
    signet_outbox_delete_async (data->origin_outbox, data->origin_id, NULL, on_origin_deleted, NULL);
  if (self != NULL && g_strcmp0 (self->origin_id, data->origin_id) == 0)
    {
      g_clear_object (&self->origin_outbox);
      g_clear_pointer (&self->origin_id, g_free);
    }
  g_clear_object (&self);
}

/* A send that failed once its window was gone: the message it was opened
 * from waits in the Outbox again, no longer being edited, to be retried
 * or opened again. (A window still there keeps it, and shows why.) */
static void
release_origin_if_gone (OpData *data)
{
  g_autoptr(SignetComposeWindow) self = g_weak_ref_get (&data->window);

  if (data->origin_outbox != NULL && (self == NULL || !window_alive (self)))
    signet_outbox_release (data->origin_outbox, data->origin_id);
}

static void
on_sent (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GtkApplication) app = NULL;
  g_autoptr(SignetComposeWindow) self = NULL;
  g_autoptr(GPtrArray) key_results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetSendReport) report = NULL;
  g_autoptr(SignetDrafts) drafts = NULL;
  guint draft_slot = ((OpData *) user_data)->draft_slot;
  gboolean sent;

  g_set_object (&drafts, ((OpData *) user_data)->drafts);
  sent = signet_send_operation_send_finish (SIGNET_SEND_OPERATION (object), result,
                                            &report, &key_results, &error);
  if (sent)
    forget_origin (user_data);
  else
    release_origin_if_gone (user_data);
  /* In the Outbox now: the message's draft has done its job. */
  if (sent && drafts != NULL)
    signet_drafts_remove (drafts, draft_slot);
  self = op_end (user_data, &app);
  if (self == NULL && drafts != NULL)
    signet_drafts_close (drafts, draft_slot);
  if (sent)
    notify_sent (app, report);
  if (self == NULL)
    return;
  if (!sent)
    {
      keep_open (self);
      show_failure (self, error, key_results);
      return;
    }
  /* Typed into while it was being sent: that was not sent, and stays; a
   * close asked for meanwhile asks again, as for a draft. */
  if (self->changes != self->op_changes)
    {
      g_autofree char *title = signet_report_text_queued (report);

      if (self->close_after_op)
        {
          self->close_after_op = FALSE;
          gtk_window_present (GTK_WINDOW (self));
          try_close (self);
        }
      toast (self, title);
      return;
    }
  close_now (self);
}

/* With directory servers set up, a sealed send or check first asks them
 * about everyone: the window says so while it does. */
static void
show_directory_progress (SignetComposeWindow *self, SignetMessage *message)
{
  SignetDirectoryServers *servers = signet_send_operation_get_directory_servers (self->operation);
  g_autoptr(GPtrArray) recipients = NULL;
  g_autofree char *text = NULL;

  if (servers == NULL || !signet_directory_servers_is_configured (servers) || !signet_message_get_seal (message))
    return;
  recipients = signet_message_dup_all_recipients (message);
  if (recipients->len == 0)
    return;
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Checking %u recipient in the directory…",
                                       "Checking %u recipients in the directory…", recipients->len),
                          recipients->len);
  gtk_label_set_text (self->progress_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_label), TRUE);
}

/* A send or a check, waiting for the window to draw itself busy. */
struct OpStart {
  Op                   op;
  SignetSendOperation *operation;
  SignetMessage       *message;
  GCancellable        *cancellable;
  OpData              *data;
  GdkFrameClock       *clock;
  gulong               painted_id;
  guint                timeout_id;
};

/* Starts the send or check that waits, if one does. */
static void
start_op (SignetComposeWindow *self)
{
  struct OpStart *start = g_steal_pointer (&self->op_start);

  if (start == NULL)
    return;
  /* A window let go of may have taken its clock's handlers with it. */
  if (start->clock != NULL && g_signal_handler_is_connected (start->clock, start->painted_id))
    g_signal_handler_disconnect (start->clock, start->painted_id);
  g_clear_object (&start->clock);
  g_clear_handle_id (&start->timeout_id, g_source_remove);
  if (start->op == OP_CHECK)
    signet_send_operation_check_names_async (start->operation, start->message, start->cancellable,
                                             on_names_checked, start->data);
  else
    signet_send_operation_send_async (start->operation, start->message, start->cancellable, on_sent,
                                      start->data);
  g_object_unref (start->operation);
  g_object_unref (start->message);
  g_object_unref (start->cancellable);
  g_free (start);
}

static void
on_busy_painted (GdkFrameClock *clock, SignetComposeWindow *self)
{
  start_op (self);
}

static gboolean
on_busy_not_painted (gpointer user_data)
{
  SignetComposeWindow *self = user_data;

  self->op_start->timeout_id = 0;
  g_debug ("The window drew no frame in time: starting without waiting for one");
  start_op (self);
  return G_SOURCE_REMOVE;
}

/* A send or a check starts once the window has drawn itself busy: that
 * frame still waits on the X server (the frame's own round trips, and those
 * of any layout a field's commit brings), and with sealing (or gpg's
 * lookups) already on both cores each answer took milliseconds. A window
 * not drawing (hidden, or its frames held back) starts it within a tenth of
 * a second all the same. */
static void
defer_op (SignetComposeWindow *self, SignetMessage *message, OpData *data)
{
  struct OpStart *start = g_new0 (struct OpStart, 1);
  GdkFrameClock *clock = gtk_widget_get_mapped (GTK_WIDGET (self))
                         ? gtk_widget_get_frame_clock (GTK_WIDGET (self)) : NULL;

  /* Never two: one still waiting (which cannot be) starts first. */
  g_warn_if_fail (self->op_start == NULL);
  start_op (self);
  start->op = self->op;
  start->operation = g_object_ref (self->operation);
  start->message = g_object_ref (message);
  start->cancellable = g_object_ref (self->op_cancellable);
  start->data = data;
  self->op_start = start;
  if (clock == NULL)
    {
      start_op (self);
      return;
    }
  start->clock = g_object_ref (clock);
  start->painted_id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_busy_painted), self);
  start->timeout_id = g_timeout_add (100, on_busy_not_painted, self);
}

static void
send_now (SignetComposeWindow *self)
{
  g_autoptr(SignetMessage) message = take_message (self);
  OpData *data;

  if (message == NULL)
    return;
  /* Sign was asked for and cannot be done (no key that signs, or the
   * keyring cannot be read): nothing goes out unsigned without a word. */
  if (self->sign_asked && !self->sign)
    {
      const char *reason = self->sign_availability != NULL
                           ? signet_sign_availability_get_reason (self->sign_availability) : NULL;
      g_autofree char *body = g_strdup_printf (_("%s Turn Sign off to send the message without a signature."),
                                               reason != NULL ? reason : "");

      signet_dialogs_error (GTK_WINDOW (self), _("The Message Cannot Be Signed"), g_strstrip (body));
      return;
    }
  /* The window's draft goes as the message is queued, in the same step. */
  if (self->drafts != NULL)
    signet_message_set_draft_name (message, signet_drafts_get_name (self->drafts, self->draft_slot));
  data = op_begin (self, OP_SEND, self->seal ? _("Sealing and sending a message") : _("Sending a message"));
  show_directory_progress (self, message);
  defer_op (self, message, data);
}

static void
on_reminder_response (AdwMessageDialog    *dialog,
                      const char          *response,
                      SignetComposeWindow *self)
{
  if (g_strcmp0 (response, SIGNET_RESPONSE_SEND) == 0)
    send_now (self);
  else if (g_strcmp0 (response, SIGNET_RESPONSE_ATTACH) == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "compose.attach", NULL);
}

/* A message that says something is attached, with nothing attached: the
 * user is asked first. */
static gboolean
remind_of_attachment (SignetComposeWindow *self)
{
  g_autofree char *body = NULL;
  g_autofree char *word = NULL;
  AdwMessageDialog *dialog;

  if (g_list_model_get_n_items (G_LIST_MODEL (self->attachments)) > 0)
    return FALSE;
  body = get_body (self);
  word = signet_attachment_reminder_find (gtk_editable_get_text (GTK_EDITABLE (self->subject_entry)), body);
  explicit_bzero (body, strlen (body));
  if (word == NULL)
    return FALSE;
  dialog = signet_dialogs_attachment_reminder (GTK_WINDOW (self), word);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_reminder_response), self, 0);
  return TRUE;
}

static void
send_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (widget);

  if (!remind_of_attachment (self))
    send_now (self);
}

static void
on_names_checked (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetComposeWindow) self = NULL;
  g_autoptr(GPtrArray) key_results = NULL;
  g_autoptr(GError) error = NULL;

  key_results = signet_send_operation_check_names_finish (SIGNET_SEND_OPERATION (object), result, &error);
  self = op_end (user_data, NULL);
  if (self == NULL)
    return;
  if (key_results == NULL)
    {
      show_failure (self, error, NULL);
      return;
    }
  /* The result is for the recipients as they were: if they (or Seal)
   * changed meanwhile, it describes text that is no longer there. */
  if (!recipients_unchanged (self))
    return;
  show_key_status (self, key_results);
  if (signet_key_results_all_ok (key_results) &&
      signet_send_operation_check_names_smime (SIGNET_SEND_OPERATION (object), result))
    toast (self, _("All recipients have valid certificates: the message will be sealed with S/MIME"));
  else if (signet_key_results_all_ok (key_results))
    toast (self, _("All recipients have valid sealing keys"));
  else
    offer_found_key (self, signet_dialogs_recipient_problems (GTK_WINDOW (self), key_results), key_results);
}

static void
check_names_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (widget);
  g_autoptr(SignetMessage) message = take_message (self);
  g_autoptr(GPtrArray) recipients = NULL;
  OpData *data;

  if (message == NULL)
    return;
  recipients = signet_message_dup_all_recipients (message);
  if (recipients->len == 0)
    {
      toast (self, _("Add at least one recipient to check."));
      return;
    }
  if (!self->seal)
    {
      toast (self, _("All addresses are valid"));
      return;
    }
  data = op_begin (self, OP_CHECK, NULL);
  show_directory_progress (self, message);
  defer_op (self, message, data);
}

/* Why a draft could not be saved, for the log: no addresses, no subject,
 * no words of the message. */
static const char *
describe_for_log (const GError *error)
{
  if (g_error_matches (error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_NO_IDENTITY))
    return "the message has no valid sender (From)";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  if (error->domain == SIGNET_KEY_MANAGEMENT_ERROR)
    return "the sender's own key cannot be used";
  if (error->domain == SIGNET_SEALER_ERROR)
    return "sealing failed";
  if (error->domain == SIGNET_STORE_ERROR || error->domain == G_IO_ERROR)
    return "the Drafts folder cannot be written";
  return g_quark_to_string (error->domain);
}

static void
on_draft_saved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetComposeWindow) self = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetSendReport) report = NULL;
  g_autofree char *text = NULL;
  gboolean quiet = ((OpData *) user_data)->quiet;
  gboolean saved;

  if (SIGNET_IS_DRAFTS (object))
    saved = signet_drafts_save_finish (SIGNET_DRAFTS (object), result, &report, &error);
  else
    saved = signet_send_operation_save_draft_finish (SIGNET_SEND_OPERATION (object), result, &report, &error);
  if (saved)
    forget_origin (user_data);
  /* Saved on purpose (or at exit): this draft is the one kept. */
  if (saved && SIGNET_IS_DRAFTS (object))
    signet_drafts_keep (SIGNET_DRAFTS (object), ((OpData *) user_data)->draft_slot);
  self = op_end (user_data, NULL);
  /* At exit, an attachment that cannot be read any more must not cost the
   * text: the draft is saved again without the attachments. */
  if (!saved && quiet && self != NULL && !self->exit_without_attachments &&
      g_error_matches (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT))
    {
      g_warning ("A draft could not be saved before exit with its attachments; saving it without them");
      self->exit_without_attachments = TRUE;
      signet_compose_window_save_for_exit (self);
      return;
    }
  if (!saved && quiet)
    g_warning ("A draft could not be saved before exit: %s", describe_for_log (error));
  if (self == NULL)
    return;
  if (!saved)
    {
      keep_open (self);
      if (!quiet && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        signet_dialogs_error (GTK_WINDOW (self), _("The Draft Was Not Saved"), error->message);
      return;
    }
  self->saved_changes = self->op_changes;
  update_modified (self);
  if (quiet)
    return;
  if (self->close_after_op)
    {
      if (!self->modified)
        {
          close_now (self);
          return;
        }
      /* Typed while the draft was being written: that is not saved yet. */
      self->close_after_op = FALSE;
      gtk_window_present (GTK_WINDOW (self));
      try_close (self);
    }
  text = signet_report_text_draft_saved (report);
  toast (self, text);
}

static void
start_save (SignetComposeWindow *self, SignetMessage *message)
{
  OpData *data = op_begin (self, OP_SAVE, _("Saving a draft"));

  remember_autosaved (self);
  /* It replaces the window's draft, if it has one. */
  if (self->drafts != NULL)
    signet_drafts_save_async (self->drafts, self->draft_slot, message, self->op_cancellable,
                              on_draft_saved, data);
  else
    signet_send_operation_save_draft_async (self->operation, message, self->op_cancellable,
                                            on_draft_saved, data);
}

static void
save_draft (SignetComposeWindow *self)
{
  g_autoptr(SignetMessage) message = take_message (self);

  if (message == NULL)
    {
      keep_open (self);
      return;
    }
  start_save (self, message);
}

static void
save_draft_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  save_draft (SIGNET_COMPOSE_WINDOW (widget));
}

/* ---- autosave ---------------------------------------------------------- */

/* Silent: a draft that cannot be saved now is saved, or its reason shown,
 * when the user saves it or closes the window. */
typedef struct {
  GApplication *app;
  GWeakRef      window;
  gboolean      with_attachments;
  gboolean      sealed;          /* this save was to be sealed */
  gboolean      replaces_plain;  /* the draft it replaces is not */
} AutosaveData;

static gboolean on_autosave (gpointer user_data);

static void
on_autosaved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AutosaveData *data = user_data;
  g_autoptr(SignetComposeWindow) self = g_weak_ref_get (&data->window);
  g_autoptr(GError) error = NULL;
  gboolean saved;

  saved = signet_drafts_save_finish (SIGNET_DRAFTS (object), result, NULL, &error);
  /* An attached file that can no longer be read must not stop what is
   * typed from being kept: the draft is saved again without the
   * attachments, at once, and the window says so (once). */
  if (!saved && self != NULL && data->with_attachments &&
      g_error_matches (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT) && window_alive (self))
    {
      g_autofree char *text = g_strdup_printf (_("%s The draft is kept without the attachments."), error->message);

      self->drafts_without_attachments = TRUE;
      toast (self, text);
      self->autosaved_changes = self->changes - 1;
      g_clear_handle_id (&self->autosave_source, g_source_remove);
      self->autosave_source = g_idle_add (on_autosave, self);
    }
  else if (!saved && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
           !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    {
      g_debug ("A draft was not saved automatically: %s", describe_for_log (error));
      /* Seal is on now: the plain draft of before must not stay on disk,
       * though no sealed one could take its place (the window still has
       * everything, and says why it cannot be sealed). */
      if (self != NULL && data->sealed && data->replaces_plain && window_alive (self) && self->drafts != NULL)
        {
          signet_drafts_remove (self->drafts, self->draft_slot);
          toast (self, error->message);
        }
    }
  /* Signet does not end while a draft is half written. */
  if (data->app != NULL && g_application_get_is_registered (data->app))
    g_application_release (data->app);
  g_clear_object (&data->app);
  g_weak_ref_clear (&data->window);
  g_free (data);
}

static void
remember_autosaved (SignetComposeWindow *self)
{
  self->autosaved_changes = self->changes;
  self->autosaved_seal = self->seal;
  self->autosaved_sign = self->sign;
}

/* Typed since the last save; or Seal or Sign changed since, which a draft
 * on disk must follow (a sealed message's draft is never left plain). */
static gboolean
autosave_needed (SignetComposeWindow *self)
{
  gboolean toggled = self->seal != self->autosaved_seal || self->sign != self->autosaved_sign;

  if (self->modified && self->changes != self->autosaved_changes)
    return TRUE;
  return toggled && (self->modified || signet_drafts_get_name (self->drafts, self->draft_slot) != NULL);
}

/* What is typed is saved, off the main thread, as the window's one draft
 * (sealed to the sender's own key when Seal is on), replacing the last. It
 * does not count as saving: closing still asks. */
static gboolean
on_autosave (gpointer user_data)
{
  SignetComposeWindow *self = user_data;
  g_autoptr(SignetMessage) message = NULL;
  GtkApplication *app;
  AutosaveData *data;

  self->autosave_source = 0;
  if (!window_alive (self) || !autosave_needed (self))
    return G_SOURCE_REMOVE;
  if (self->op != OP_NONE)
    {
      schedule_autosave (self);
      return G_SOURCE_REMOVE;
    }
  self->autosaving = TRUE;
  message = build_message (self, TRUE, NULL);
  self->autosaving = FALSE;
  data = g_new0 (AutosaveData, 1);
  data->sealed = self->seal;
  data->replaces_plain = !self->autosaved_seal && signet_drafts_get_name (self->drafts, self->draft_slot) != NULL;
  remember_autosaved (self);
  app = gtk_window_get_application (GTK_WINDOW (self));
  if (app != NULL)
    g_application_hold (G_APPLICATION (app));
  data->app = app != NULL ? G_APPLICATION (g_object_ref (app)) : NULL;
  g_weak_ref_init (&data->window, self);
  data->with_attachments = g_list_model_get_n_items (signet_message_get_attachments (message)) > 0;
  signet_drafts_save_async (self->drafts, self->draft_slot, message, NULL, on_autosaved, data);
  return G_SOURCE_REMOVE;
}

/* About three seconds after the last change. */
static void
schedule_autosave (SignetComposeWindow *self)
{
  if (self->drafts == NULL)
    return;
  g_clear_handle_id (&self->autosave_source, g_source_remove);
  self->autosave_source = g_timeout_add (self->autosave_delay, on_autosave, self);
}

/* The window's draft lives in @drafts: @name is the draft it was opened
 * from (now the window's: its saves replace it, Send and Discard remove
 * it), or NULL. */
void
signet_compose_window_set_drafts (SignetComposeWindow *self,
                                  SignetDrafts        *drafts,
                                  const char          *name)
{
  g_return_if_fail (SIGNET_IS_COMPOSE_WINDOW (self));
  g_return_if_fail (drafts == NULL || SIGNET_IS_DRAFTS (drafts));

  if (self->drafts != NULL)
    signet_drafts_close (self->drafts, self->draft_slot);
  g_set_object (&self->drafts, drafts);
  self->draft_slot = drafts != NULL ? signet_drafts_open (drafts, name) : 0;
  remember_autosaved (self);
}

/* The window's draft in Drafts, or NULL. */
const char *
signet_compose_window_get_draft_name (SignetComposeWindow *self)
{
  g_return_val_if_fail (SIGNET_IS_COMPOSE_WINDOW (self), NULL);
  return self->drafts != NULL ? signet_drafts_get_name (self->drafts, self->draft_slot) : NULL;
}

/* Cancel (or Escape) while busy. A send or a save comes back cancelled and
 * the window is as it was, unless it was too late to stop it: then its
 * result is shown as it is. */
static void
cancel_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (widget);

  if (self->op == OP_NONE)
    return;
  if (self->op == OP_CHECK)
    {
      op_abandon (self);
      return;
    }
  g_cancellable_cancel (self->op_cancellable);
  gtk_widget_action_set_enabled (widget, "compose.cancel", FALSE);
  /* Taken: it cannot be pressed again while the send or save stops. */
  gtk_widget_set_sensitive (self->cancel_button, FALSE);
}

static void
on_close_response (AdwMessageDialog    *dialog,
                   const char          *response,
                   SignetComposeWindow *self)
{
  if (g_strcmp0 (response, SIGNET_RESPONSE_SAVE_DRAFT) == 0)
    {
      self->close_after_op = TRUE;
      save_draft (self);
    }
  else if (g_strcmp0 (response, SIGNET_RESPONSE_DISCARD) == 0)
    {
      /* What was typed since the draft was last saved goes; a draft saved
       * on purpose (or the one the window was opened from) stays. */
      if (self->drafts != NULL)
        signet_drafts_discard_changes (self->drafts, self->draft_slot);
      close_now (self);
    }
  else
    finish_close (self, FALSE);
}

static void
try_close (SignetComposeWindow *self)
{
  if (self->op == OP_CHECK)
    op_abandon (self);
  if (self->op != OP_NONE)
    {
      /* Closing does not stop a send or a save: it finishes out of sight,
       * and the window comes back if it fails. */
      self->close_after_op = TRUE;
      start_op (self);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      finish_close (self, TRUE);
      return;
    }
  if (!self->modified)
    {
      /* Seal or Sign changed since the draft was saved: it follows. */
      if (self->autosave_source != 0)
        {
          g_clear_handle_id (&self->autosave_source, g_source_remove);
          on_autosave (self);
        }
      close_now (self);
      return;
    }
  gtk_window_present (GTK_WINDOW (self));
  if (self->close_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->close_dialog));
      return;
    }
  self->close_dialog = signet_dialogs_save_changes (GTK_WINDOW (self),
                                                    gtk_editable_get_text (GTK_EDITABLE (self->subject_entry)));
  g_object_add_weak_pointer (G_OBJECT (self->close_dialog), (gpointer *) &self->close_dialog);
  g_signal_connect_object (self->close_dialog, "response", G_CALLBACK (on_close_response), self, 0);
}

/* Closes the window as the user would: with unsaved changes it asks first
 * (Save Draft, Discard, Cancel). Finishes with TRUE once the window is
 * closed, or hidden to finish its send; with G_IO_ERROR_CANCELLED if it
 * stays open. The callback gets no source object, and _finish() does not
 * use @self (it may be NULL): the window may be gone by then. */
void
signet_compose_window_request_close_async (SignetComposeWindow *self,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (SIGNET_IS_COMPOSE_WINDOW (self));

  /* No source object: a closed window must not be kept alive until the
   * answer is delivered (a toplevel that outlives gtk_window_destroy()
   * confuses the accessibility bus). */
  task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (task, signet_compose_window_request_close_async);
  g_ptr_array_add (self->close_tasks, task);
  try_close (self);
}

gboolean
signet_compose_window_request_close_finish (SignetComposeWindow *self,
                                            GAsyncResult        *result,
                                            GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == signet_compose_window_request_close_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
signet_compose_window_close_request (GtkWindow *window)
{
  /* The close button and Ctrl+W wait for no answer. */
  try_close (SIGNET_COMPOSE_WINDOW (window));
  return TRUE;
}

/* Signet is exiting (SIGTERM, logout) and there is no one to ask: saves what
 * it can of an unsaved message as a draft, sealed if Seal is on. Returns
 * TRUE if a save started (the window is busy until it ends). */
gboolean
signet_compose_window_save_for_exit (SignetComposeWindow *self)
{
  g_autoptr(SignetMessage) message = NULL;

  g_return_val_if_fail (SIGNET_IS_COMPOSE_WINDOW (self), FALSE);

  if (self->op != OP_NONE || !self->modified)
    return FALSE;
  dismiss_close_dialog (self);
  finish_close (self, FALSE);
  message = build_message (self, TRUE, NULL);
  self->op_quiet = TRUE;
  start_save (self, message);
  return TRUE;
}

gboolean
signet_compose_window_get_modified (SignetComposeWindow *self)
{
  g_return_val_if_fail (SIGNET_IS_COMPOSE_WINDOW (self), FALSE);
  return self->modified;
}

gboolean
signet_compose_window_get_busy (SignetComposeWindow *self)
{
  g_return_val_if_fail (SIGNET_IS_COMPOSE_WINDOW (self), FALSE);
  return self->op != OP_NONE;
}

static void
remove_attachment (GtkButton *button, SignetComposeWindow *self)
{
  SignetAttachment *attachment = g_object_get_data (G_OBJECT (button), "attachment");
  guint position;

  if (g_list_store_find (self->attachments, attachment, &position))
    g_list_store_remove (self->attachments, position);
}

/* One row of the attachment list, made by the list box from the store. */
static GtkWidget *
create_attachment_row (gpointer item, gpointer user_data)
{
  SignetComposeWindow *self = user_data;
  SignetAttachment *attachment = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *size = g_format_size (signet_attachment_get_size (attachment));
  /* Translators: %s is a file name */
  g_autofree char *remove_label = g_strdup_printf (_("Remove %s"), signet_attachment_get_name (attachment));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), signet_attachment_get_name (attachment));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), size);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  signet_tooltip_set_text (remove, remove_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
  g_object_set_data_full (G_OBJECT (remove), "attachment", g_object_ref (attachment), g_object_unref);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (remove_attachment), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}

static void
on_attachments_changed (GListModel *model, guint position, guint removed, guint added,
                        SignetComposeWindow *self)
{
  /* The attachments changed: the next draft tries them again. */
  self->drafts_without_attachments = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->attachment_list), g_list_model_get_n_items (model) > 0);
  on_edited (self);
}

typedef struct {
  GWeakRef window;
  gboolean prefill;  /* from a link or the command line, not an edit */
} AttachData;

/* Says why a file was not attached. Files dropped or pasted together are
 * refused in one dialog that lists them all, not one dialog each. */
static void
refuse_attachment (SignetComposeWindow *self, const char *why)
{
  if (self->attach_error_dialog != NULL)
    {
      g_autofree char *body = g_strconcat (adw_message_dialog_get_body (self->attach_error_dialog), "\n", why, NULL);

      adw_message_dialog_set_body (self->attach_error_dialog, body);
      return;
    }
  self->attach_error_dialog = signet_dialogs_error (GTK_WINDOW (self), _("Cannot Attach File"), why);
  g_object_add_weak_pointer (G_OBJECT (self->attach_error_dialog), (gpointer *) &self->attach_error_dialog);
}

static void
on_attachment_info (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AttachData *data = user_data;
  g_autoptr(SignetComposeWindow) self = g_weak_ref_get (&data->window);
  gboolean prefill = data->prefill;
  GFile *file = G_FILE (object);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetAttachment) attachment = NULL;
  g_autofree char *content_type = NULL;
  gboolean was_modified;

  g_weak_ref_clear (&data->window);
  g_free (data);
  info = g_file_query_info_finish (file, result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !window_alive (self))
    return;
  was_modified = self->modified;
  if (info == NULL)
    {
      g_autofree char *name = g_file_get_parse_name (file);
      /* Translators: first %s is a file name, second the reason */
      g_autofree char *body = g_strdup_printf (_("“%s” cannot be attached: %s"), name, error->message);
      refuse_attachment (self, body);
      return;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_autofree char *body = g_strdup_printf (_("“%s” is not a regular file."),
                                               g_file_info_get_display_name (info));
      refuse_attachment (self, body);
      return;
    }
  content_type = g_content_type_get_mime_type (g_file_info_get_content_type (info));
  /* A link is attached as the file it points to now: Send reads the very
   * file that was attached, and refuses a link swapped in later. */
  if (g_file_info_get_is_symlink (info))
    {
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *target = path ? realpath (path, NULL) : NULL;

      if (target != NULL)
        {
          g_autoptr(GFile) resolved = g_file_new_for_path (target);
          attachment = signet_attachment_new (resolved, g_file_info_get_display_name (info),
                                              content_type, g_file_info_get_size (info));
        }
    }
  if (attachment == NULL)
    attachment = signet_attachment_new (file, g_file_info_get_display_name (info),
                                        content_type, g_file_info_get_size (info));
  g_list_store_append (self->attachments, attachment);
  if (prefill && !was_modified)
    mark_unmodified (self);
}

static void
add_attachment (SignetComposeWindow *self, GFile *file, gboolean prefill)
{
  AttachData *data = g_new0 (AttachData, 1);

  g_weak_ref_init (&data->window, self);
  data->prefill = prefill;
  g_file_query_info_async (file,
                           G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME ","
                           G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                           G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                           G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE ","
                           G_FILE_ATTRIBUTE_STANDARD_IS_SYMLINK,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->cancellable,
                           on_attachment_info, data);
}

void
signet_compose_window_add_attachment (SignetComposeWindow *self,
                                      GFile               *file)
{
  g_return_if_fail (SIGNET_IS_COMPOSE_WINDOW (self));

  add_attachment (self, file, FALSE);
}

static void
set_addresses (SignetRecipientField *field, SignetMessage *message, SignetRecipientKind kind)
{
  g_autoptr(GPtrArray) addresses = signet_message_dup_recipients (message, kind);

  signet_recipient_field_set_addresses (field, addresses);
}

/* Fills the composer from @message (a mailto: link, the command line); the
 * sender stays the window's identity unless @message names one. What it
 * fills in is not an edit: the window is unmodified until the user types. */
void
signet_compose_window_load_message (SignetComposeWindow *self,
                                    SignetMessage       *message)
{
  GListModel *attachments = signet_message_get_attachments (message);
  gboolean was_modified;

  g_return_if_fail (SIGNET_IS_COMPOSE_WINDOW (self));

  was_modified = self->modified;
  if (signet_message_get_from (message) != NULL)
    {
      g_autofree char *from = signet_address_to_string (signet_message_get_from (message));
      gtk_editable_set_text (GTK_EDITABLE (self->from_entry), from);
    }
  set_addresses (self->to_entry, message, SIGNET_RECIPIENT_TO);
  set_addresses (self->cc_entry, message, SIGNET_RECIPIENT_CC);
  set_addresses (self->bcc_entry, message, SIGNET_RECIPIENT_BCC);
  gtk_editable_set_text (GTK_EDITABLE (self->subject_entry), signet_message_get_subject (message));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->body_view), signet_message_get_body (message), -1);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    focus_start (self);
  for (guint i = 0; i < g_list_model_get_n_items (attachments); i++)
    {
      g_autoptr(SignetAttachment) attachment = g_list_model_get_item (attachments, i);

      /* A file is looked at again; one read back from a message (kept in
       * memory) is attached as it is. */
      if (signet_attachment_get_file (attachment) != NULL)
        add_attachment (self, signet_attachment_get_file (attachment), TRUE);
      else
        g_list_store_append (self->attachments, attachment);
    }
  if (!was_modified)
    mark_unmodified (self);
}

/* The message in this window was taken out of @outbox (@id) to be
 * edited: once it is sent or saved as a draft, the Outbox forgets it. Till
 * then it stays there, held, so closing the window loses nothing. */
void
signet_compose_window_set_outbox_origin (SignetComposeWindow *self,
                                         SignetOutbox        *outbox,
                                         const char          *id)
{
  g_return_if_fail (SIGNET_IS_COMPOSE_WINDOW (self));
  g_return_if_fail (SIGNET_IS_OUTBOX (outbox));
  g_return_if_fail (id != NULL);
  g_set_object (&self->origin_outbox, outbox);
  g_free (self->origin_id);
  self->origin_id = g_strdup (id);
}

guint
signet_compose_window_get_n_attachments (SignetComposeWindow *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->attachments));
}

static void
on_files_chosen (GtkNativeDialog *chooser, int response, SignetComposeWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);
          signet_compose_window_add_attachment (self, file);
        }
    }
  g_object_unref (chooser);
}

static void
attach_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Attach Files"), GTK_WINDOW (widget),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Attach"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_files_chosen), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
update_offline_banner (SignetComposeWindow *self)
{
  SignetRecipientField *fields[] = { self->to_entry, self->cc_entry, self->bcc_entry };
  SignetDirectoryServers *servers = signet_send_operation_get_directory_servers (self->operation);
  gboolean directory = servers != NULL && signet_directory_servers_is_configured (servers);

  /* Offline, suggestions come from the keyring alone: when there is a
   * directory, the suggestions say so. */
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    signet_recipient_field_set_completion_note (fields[i],
                                                directory && !signet_network_get_online (self->network)
                                                ? _("Offline: only your keyring is searched")
                                                : NULL);
  gtk_revealer_set_reveal_child (self->offline_revealer, !signet_network_get_online (self->network));
  schedule_status_check (self);
  gtk_widget_set_visible (self->work_online_button, signet_network_get_work_offline (self->network));
}

/* ---- Sign ------------------------------------------------------------------ */

/* Sign is on when it was asked for and the sender has a key that signs
 * (or it is not known yet: then sending says so if not). */
static void
apply_sign (SignetComposeWindow *self)
{
  SignetSignAvailability *a = self->sign_availability;
  gboolean usable = a == NULL || !signet_sign_availability_get_known (a) ||
                    signet_sign_availability_get_available (a);
  gboolean sign = self->sign_wanted && usable;

  if (sign == self->sign)
    return;
  self->sign = sign;
  schedule_autosave (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGN]);
}

/* The toggle is insensitive, and says why, while the sender cannot sign. */
static void
update_sign_toggle (SignetComposeWindow *self)
{
  SignetSignAvailability *a = self->sign_availability;
  const char *reason = a != NULL ? signet_sign_availability_get_reason (a) : NULL;
  gboolean usable = a == NULL || !signet_sign_availability_get_known (a) ||
                    signet_sign_availability_get_available (a);
  const char *tooltip = !usable && reason != NULL ? reason
                      : _("Sign: prove with your own key that the message is from you and unchanged");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compose.sign", usable);
  signet_tooltip_set_text (GTK_WIDGET (self->sign_button), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->sign_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tooltip, -1);
  apply_sign (self);
}

static void
on_sender_changed (SignetComposeWindow *self)
{
  g_autofree char *own_key = NULL;

  /* Until the first frame is drawn: then. */
  if (self->sign_availability == NULL || !self->painted)
    return;
  g_object_get (self->operation, "own-key", &own_key, NULL);
  signet_sign_availability_set_sender (self->sign_availability,
                                       gtk_editable_get_text (GTK_EDITABLE (self->from_entry)), own_key);
}

static void
setup_sign (SignetComposeWindow *self)
{
  SignetKeyDirectory *directory = signet_send_operation_get_directory (self->operation);

  if (directory != NULL)
    {
      self->sign_availability = signet_sign_availability_new (directory);
      g_signal_connect_object (self->sign_availability, "notify", G_CALLBACK (update_sign_toggle),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->from_entry, "changed", G_CALLBACK (on_sender_changed),
                               self, G_CONNECT_SWAPPED);
    }
  update_sign_toggle (self);
}

static void
signet_compose_window_constructed (GObject *object)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (object);

  G_OBJECT_CLASS (signet_compose_window_parent_class)->constructed (object);

  g_signal_connect_object (self->network, "notify::online",
                           G_CALLBACK (update_offline_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->network, "notify::work-offline",
                           G_CALLBACK (update_offline_banner), self, G_CONNECT_SWAPPED);
  update_offline_banner (self);
  setup_sign (self);
  /* Suggestions while typing an address: from the keyring, and from the
   * organisation's LDAP directory when one is set up (online only). */
  if (signet_send_operation_get_directory (self->operation) != NULL)
    {
      g_autoptr(GPtrArray) providers = g_ptr_array_new_with_free_func (g_object_unref);
      SignetRecipientField *fields[] = { self->to_entry, self->cc_entry, self->bcc_entry };
      SignetDirectoryServers *servers = signet_send_operation_get_directory_servers (self->operation);

      g_ptr_array_add (providers, signet_keyring_completion_new (signet_send_operation_get_directory (self->operation)));
      if (servers != NULL)
        g_ptr_array_add (providers, signet_ldap_completion_new (signet_send_operation_get_directory (self->operation),
                                                                servers));
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        signet_recipient_field_set_completion (fields[i], providers);
    }
}

/* gtk_window_destroy() unrealizes the window after taking it off the
 * toplevel list; hiding it (to finish a send) does not. Whoever destroyed
 * it, its prompt goes with it and no one waits for an answer. */
static void
signet_compose_window_unrealize (GtkWidget *widget)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (widget);

  if (!window_alive (self))
    {
      g_cancellable_cancel (self->cancellable);
      g_cancellable_cancel (self->op_cancellable);
      dismiss_close_dialog (self);
      finish_close (self, TRUE);
    }
  GTK_WIDGET_CLASS (signet_compose_window_parent_class)->unrealize (widget);
}

static void
signet_compose_window_dispose (GObject *object)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->op_cancellable);
  /* A send or check still waiting ends as one in flight does: cancelled. */
  start_op (self);
  g_cancellable_cancel (self->status_cancellable);
  g_clear_object (&self->status_cancellable);
  g_clear_object (&self->sign_availability);
  g_clear_handle_id (&self->status_source, g_source_remove);
  g_clear_handle_id (&self->autosave_source, g_source_remove);
  /* Its draft stays in Drafts; a send in flight decides when it ends. */
  if (self->drafts != NULL && self->op != OP_SEND)
    signet_drafts_close (self->drafts, self->draft_slot);
  g_clear_object (&self->drafts);
  if (self->close_tasks != NULL)
    finish_close (self, TRUE);
  dismiss_close_dialog (self);
  g_clear_object (&self->spelling);
  if (self->attach_error_dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->attach_error_dialog), (gpointer *) &self->attach_error_dialog);
  self->attach_error_dialog = NULL;
  if (self->shortcuts != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->shortcuts), (gpointer *) &self->shortcuts);
      gtk_window_destroy (self->shortcuts);
      self->shortcuts = NULL;
    }
  /* A button held elsewhere must not build a menu for a window gone. */
  if (self->menu_button != NULL)
    gtk_menu_button_set_create_popup_func (self->menu_button, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_COMPOSE_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->op_cancellable);
  g_clear_object (&self->operation);
  g_clear_object (&self->network);
  g_clear_object (&self->attachments);
  g_clear_pointer (&self->close_tasks, g_ptr_array_unref);
  /* Closed without sending or saving it: it may be retried or edited
   * again (a send in flight decides for itself when it ends). */
  if (self->origin_outbox != NULL && self->op == OP_NONE)
    signet_outbox_release (self->origin_outbox, self->origin_id);
  g_clear_object (&self->origin_outbox);
  g_clear_pointer (&self->origin_id, g_free);
  G_OBJECT_CLASS (signet_compose_window_parent_class)->dispose (object);
}

static void
signet_compose_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_OPERATION:
      g_value_set_object (value, self->operation);
      break;
    case PROP_SEAL:
      g_value_set_boolean (value, self->seal);
      break;
    case PROP_SIGN:
      g_value_set_boolean (value, self->sign);
      break;
    case PROP_IDENTITY:
      g_value_set_string (value, gtk_editable_get_text (GTK_EDITABLE (self->from_entry)));
      break;
    case PROP_MODIFIED:
      g_value_set_boolean (value, self->modified);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->op != OP_NONE);
      break;
    case PROP_AUTOSAVE_DELAY:
      g_value_set_uint (value, self->autosave_delay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_compose_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetComposeWindow *self = SIGNET_COMPOSE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_OPERATION:
      self->operation = g_value_dup_object (value);
      break;
    case PROP_NETWORK:
      self->network = g_value_dup_object (value);
      break;
    case PROP_IDENTITY:
      {
        /* Who the message is from is given, not typed. */
        gboolean was_modified = self->modified;

        gtk_editable_set_text (GTK_EDITABLE (self->from_entry),
                               g_value_get_string (value) ? g_value_get_string (value) : "");
        if (!was_modified)
          mark_unmodified (self);
      }
      break;
    case PROP_SEAL:
      if (self->seal != g_value_get_boolean (value))
        {
          self->seal = g_value_get_boolean (value);
          self->recipient_changes++;
          schedule_status_check (self);
          schedule_autosave (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_SIGN:
      /* Asked for; on only while the sender can sign. */
      self->sign_wanted = g_value_get_boolean (value);
      self->sign_asked = self->sign_wanted;
      apply_sign (self);
      break;
    case PROP_AUTOSAVE_DELAY:
      self->autosave_delay = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The header and action bar buttons' tooltips, set after the template is
 * built rather than in it (signet-tooltip.c says why); the Sign toggle's
 * depends on the sender (update_sign_toggle()). */
static const struct {
  const char *widget;
  const char *text;
} tooltips[] = {
  { "send_button", N_("Send (Ctrl+Enter)") },
  { "seal_button", N_("Seal: encrypt the message so only its recipients can read it") },
  { "menu_button", N_("Main Menu") },
  { "cancel_button", N_("Stop sending (Escape)") },
  { "attach_button", N_("Attach a File") },
  { "check_names_button", N_("Check Names (Ctrl+K)") },
  { "check_names_busy", N_("Check Names (Ctrl+K)") },
};

static void
signet_compose_window_class_init (SignetComposeWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  g_type_ensure (SIGNET_TYPE_RECIPIENT_FIELD);
  g_type_ensure (SIGNET_TYPE_SPINNER);
  object_class->constructed = signet_compose_window_constructed;
  object_class->dispose = signet_compose_window_dispose;
  object_class->get_property = signet_compose_window_get_property;
  object_class->set_property = signet_compose_window_set_property;
  widget_class->unrealize = signet_compose_window_unrealize;
  GTK_WINDOW_CLASS (klass)->close_request = signet_compose_window_close_request;

  properties[PROP_OPERATION] =
    g_param_spec_object ("operation", NULL, NULL, SIGNET_TYPE_SEND_OPERATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NETWORK] =
    g_param_spec_object ("network", NULL, NULL, SIGNET_TYPE_NETWORK,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDENTITY] =
    g_param_spec_string ("identity", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEAL] =
    g_param_spec_boolean ("seal", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Sign the message with the sender's own key (a draft is not signed,
   * but keeps whether it is to be). */
  properties[PROP_SIGN] =
    g_param_spec_boolean ("sign", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Something was typed or attached since the window opened or the last
   * draft was saved. */
  properties[PROP_MODIFIED] =
    g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* A send, a save or a check is in flight. */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* How long after the last change the draft is saved, in ms. */
  properties[PROP_AUTOSAVE_DELAY] =
    g_param_spec_uint ("autosave-delay", NULL, NULL, 1, G_MAXUINT, AUTOSAVE_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/signetmail/Signet/signet-compose-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, work_online_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, send_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, check_names_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, check_names_busy);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, seal_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, sign_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, from_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, to_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, cc_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, bcc_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, subject_entry);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, body_view);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, attachment_list);
  gtk_widget_class_bind_template_child (widget_class, SignetComposeWindow, spell_language_menu);
  gtk_widget_class_bind_template_child_full (widget_class, "attach_button", FALSE, 0);

  gtk_widget_class_bind_template_callback (widget_class, on_send_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_check_names_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cell_pressed);
  gtk_widget_class_install_action (widget_class, "compose.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "compose.check-names", NULL, check_names_action);
  gtk_widget_class_install_action (widget_class, "compose.save-draft", NULL, save_draft_action);
  gtk_widget_class_install_action (widget_class, "compose.attach", NULL, attach_action);
  gtk_widget_class_install_action (widget_class, "compose.cancel", NULL, cancel_action);
  gtk_widget_class_install_property_action (widget_class, "compose.seal", "seal");
  gtk_widget_class_install_property_action (widget_class, "compose.sign", "sign");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_S, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "compose.sign", NULL);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "compose.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "compose.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "compose.save-draft", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "compose.check-names", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "compose.cancel", NULL);
}

static void
signet_compose_window_init (SignetComposeWindow *self)
{
  static const GActionEntry window_actions[] = {
    { .name = "show-help-overlay", .activate = show_shortcuts },
  };
  GtkEditable *fields[2];
  GtkEditable *recipients[3];

  gtk_widget_init_template (GTK_WIDGET (self));
  for (guint i = 0; i < G_N_ELEMENTS (tooltips); i++)
    {
      GObject *button = gtk_widget_get_template_child (GTK_WIDGET (self), SIGNET_TYPE_COMPOSE_WINDOW,
                                                       tooltips[i].widget);

      signet_tooltip_set_text (GTK_WIDGET (button), _(tooltips[i].text));
    }
  fields[0] = GTK_EDITABLE (self->from_entry);
  fields[1] = GTK_EDITABLE (self->subject_entry);
  recipients[0] = GTK_EDITABLE (self->to_entry);
  recipients[1] = GTK_EDITABLE (self->cc_entry);
  recipients[2] = GTK_EDITABLE (self->bcc_entry);
#ifdef DEVELOPMENT_PROFILE
  /* libadwaita's striped header bar: this is not the release. */
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
  signet_button_set_mnemonic_label (GTK_BUTTON (self->work_online_button), NULL);
  /* Opened before the window had its first frame, the menu is built then. */
  gtk_menu_button_set_create_popup_func (self->menu_button, ensure_main_menu, self, NULL);
  g_action_map_add_action_entries (G_ACTION_MAP (self), window_actions, G_N_ELEMENTS (window_actions), self);
  self->cancellable = g_cancellable_new ();
  self->op_cancellable = g_cancellable_new ();
  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->attachments = g_list_store_new (SIGNET_TYPE_ATTACHMENT);
  gtk_list_box_bind_model (self->attachment_list, G_LIST_MODEL (self->attachments),
                           create_attachment_row, self, NULL);
  g_signal_connect_object (self->attachments, "items-changed", G_CALLBACK (on_attachments_changed), self, 0);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    g_signal_connect_swapped (fields[i], "changed", G_CALLBACK (on_edited), self);
  for (guint i = 0; i < G_N_ELEMENTS (recipients); i++)
    {
      g_signal_connect (recipients[i], "changed", G_CALLBACK (on_recipients_edited), self);
      g_signal_connect (recipients[i], "choose-key", G_CALLBACK (on_pill_choose_key), self);
      g_signal_connect_swapped (recipients[i], "changed", G_CALLBACK (on_edited), self);
    }
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->body_view), "changed", G_CALLBACK (on_edited), self);
  g_signal_connect (self, "map", G_CALLBACK (on_first_map), NULL);
  g_signal_connect_swapped (self->subject_entry, "changed", G_CALLBACK (update_title), self);
  signet_attachment_drop_attach (self, self->body_view);
  update_busy (self);
}

/* The window is named after its subject, as in other mail programs. */
static void
update_title (SignetComposeWindow *self)
{
  g_autofree char *subject = NULL;

  /* Disposed while its widgets are let go of (release_step()). */
  if (self->subject_entry == NULL)
    return;
  subject = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->subject_entry))));

  gtk_window_set_title (GTK_WINDOW (self), *subject != '\0' ? subject : _("New Message"));
}

/* A new message starts with whom it is for; one addressed already (a
 * mailto: link), in the body. */
static void
focus_start (SignetComposeWindow *self)
{
  if (g_list_model_get_n_items (signet_recipient_field_get_model (self->to_entry)) > 0 ||
      *gtk_editable_get_text (GTK_EDITABLE (self->to_entry)) != '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->body_view));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->to_entry));
}

/* Keyboard Shortcuts (Ctrl+?), built when it is asked for: built with
 * every composer, as GTK does for a help overlay it finds in the
 * application's resources, it cost each one a few milliseconds before its
 * first frame. Closed, it goes: GTK 4.8 lists a hidden toplevel to screen
 * readers, and one walking the application's windows then could crash it
 * (a window without an accessible path, under AddressSanitizer in a UI
 * test). */
static void
show_shortcuts (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  SignetComposeWindow *self = user_data;

  if (self->shortcuts == NULL)
    {
      g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource ("/io/github/signetmail/Signet/signet-shortcuts-window.ui");

      /* GTK's list of toplevels holds it; this pointer only watches. */
      self->shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
      g_object_add_weak_pointer (G_OBJECT (self->shortcuts), (gpointer *) &self->shortcuts);
      gtk_window_set_transient_for (self->shortcuts, GTK_WINDOW (self));
      gtk_window_set_destroy_with_parent (self->shortcuts, TRUE);
    }
  gtk_window_present (self->shortcuts);
}

/* GTK 4.8 gives a menu item the accessible role of its kind (check,
 * radio) as it learns of its action, and the plain item's role again as
 * the item is put in a window: in a menu built for a window already
 * shown, screen readers would announce every item as a plain one. Each
 * item under @widget is told its kind again, in place. */
static void
announce_item_kinds (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (child), "role");

      if (pspec != NULL && G_IS_PARAM_SPEC_ENUM (pspec) && g_str_equal (G_OBJECT_TYPE_NAME (child), "GtkModelButton"))
        {
          int role;

          g_object_get (child, "role", &role, NULL);
          if (role != G_PARAM_SPEC_ENUM (pspec)->default_value)
            {
              g_object_set (child, "role", G_PARAM_SPEC_ENUM (pspec)->default_value, NULL);
              g_object_set (child, "role", role, NULL);
            }
        }
      announce_item_kinds (child);
    }
}

/* The main menu's popover is 74 widgets, two fifths of the window's: built
 * with the window, it took about 2 ms of the time to its first frame. It
 * is built after that frame (or when opened before, from the keyboard). */
static void
ensure_main_menu (GtkMenuButton *button, gpointer user_data)
{
  SignetComposeWindow *self = user_data;
  GtkWidget *popover;

  if (gtk_menu_button_get_popover (button) != NULL)
    return;
  gtk_menu_button_set_menu_model (button, self->primary_menu);
  popover = GTK_WIDGET (gtk_menu_button_get_popover (button));
  /* The menu's popover is otherwise announced by its type name. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (popover), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Main Menu"), -1);
  announce_item_kinds (popover);
}

/* What the window needs soon but not for its first frame starts once that
 * frame is on screen: spell checking (enchant loads its providers, then
 * the dictionary), asking GnuPG whether the sender can sign, which forks
 * gpg and gpgconf from this process (each fork makes the main thread take
 * copy-on-write faults while it builds and draws the window), and the
 * main menu. */
static void
on_first_paint (GdkFrameClock *clock, SignetComposeWindow *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_paint, self);
  self->painted = TRUE;
  self->spelling = signet_compose_spelling_new (self->body_view, self->subject_entry,
                                                self->spell_language_menu, NULL);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "spell",
                                  signet_compose_spelling_get_actions (self->spelling));
  on_sender_changed (self);
  /* The spinner that Send and Check Names show. */
  signet_spinner_preload (self->spinner);
  ensure_main_menu (self->menu_button, self);
}

static void
on_first_map (SignetComposeWindow *self)
{
  g_signal_handlers_disconnect_by_func (self, on_first_map, NULL);
  focus_start (self);
  g_signal_connect_object (gtk_widget_get_frame_clock (GTK_WIDGET (self)), "after-paint",
                           G_CALLBACK (on_first_paint), self, 0);
}

SignetComposeWindow *
signet_compose_window_new (GtkApplication      *application,
                           SignetSendOperation *operation,
                           SignetNetwork       *network,
                           const char          *identity)
{
  return g_object_new (SIGNET_TYPE_COMPOSE_WINDOW,
                       "application", application,
                       "operation", operation,
                       "network", network,
                       "identity", identity,
                       NULL);
}

/* Sign by default: on when the sender can sign, and silently off when not
 * (unlike Sign asked for, which refuses to send unsigned). */
void
signet_compose_window_set_sign_by_default (SignetComposeWindow *self,
                                           gboolean             sign)
{
  g_return_if_fail (SIGNET_IS_COMPOSE_WINDOW (self));
  self->sign_wanted = sign;
  self->sign_asked = FALSE;
  apply_sign (self);
}
