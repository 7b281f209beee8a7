#define G_LOG_DOMAIN "signet-key-picker"

#include "signet-key-picker.h"

#include "signet-button-label.h"
#include "signet-i18n.h"

/* Asks which of the keys for an ambiguous address to seal to. The keys are
 * listed off the main thread; the one chosen is remembered by the key
 * directory for that address and announced with "chosen". */
struct _SignetKeyPicker
{
  AdwWindow           parent_instance;

  GtkStack           *stack;
  AdwStatusPage      *error_page;
  GtkLabel           *intro_label;
  GtkListBox         *list_box;
  GtkButton          *use_button;
  GtkButton          *cancel_button;

  SignetKeyDirectory *directory;
  char               *email;
  char               *selected;   /* fingerprint of the ticked key */
  GCancellable       *cancellable;
};

G_DEFINE_FINAL_TYPE (SignetKeyPicker, signet_key_picker, ADW_TYPE_WINDOW)

enum { CHOSEN, N_SIGNALS };
static guint signals[N_SIGNALS];

/* "0123 4567 89AB ...": the groups of four people read out to compare. */
char *
signet_key_picker_format_fingerprint (const char *fingerprint)
{
  GString *grouped = g_string_new (NULL);

  for (gsize i = 0; fingerprint[i] != '\0'; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (grouped, ' ');
      g_string_append_c (grouped, g_ascii_toupper (fingerprint[i]));
    }
  return g_string_free (grouped, FALSE);
}

static char *
format_date (gint64 unix_time)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_local (unix_time);

  if (date == NULL)
    return g_strdup ("?");
  /* Translators: how a key's creation and expiry dates are shown; see
   * g_date_time_format() */
  return g_date_time_format (date, _("%-d %B %Y"));
}

static char *
describe_dates (const SignetKeyCandidate *candidate)
{
  g_autofree char *created = format_date (candidate->created);
  g_autofree char *expires = NULL;

  if (candidate->expires == 0)
    /* Translators: %s is a date */
    return g_strdup_printf (_("Created %s, does not expire"), created);
  expires = format_date (candidate->expires);
  if (candidate->expires <= g_get_real_time () / G_USEC_PER_SEC)
    /* Translators: both %s are dates */
    return g_strdup_printf (_("Created %s, expired %s"), created, expires);
  /* Translators: both %s are dates */
  return g_strdup_printf (_("Created %s, expires %s"), created, expires);
}

/* The row's second part: fingerprint, dates and, for a key that cannot be
 * used, why. */
static char *
describe_candidate (const SignetKeyCandidate *candidate)
{
  g_autofree char *grouped = signet_key_picker_format_fingerprint (candidate->fingerprint);
  g_autofree char *dates = describe_dates (candidate);

  if (candidate->usable)
    return g_strjoin ("\n", grouped, dates, NULL);
  return g_strjoin ("\n", grouped, dates, signet_key_status_describe (candidate->status), NULL);
}

static void
on_check_toggled (GtkCheckButton  *check,
                  SignetKeyPicker *self)
{
  if (!gtk_check_button_get_active (check))
    return;
  g_free (self->selected);
  self->selected = g_strdup (g_object_get_data (G_OBJECT (check), "fingerprint"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->use_button), TRUE);
}

static GtkWidget *
candidate_row (SignetKeyPicker          *self,
               const SignetKeyCandidate *candidate,
               GtkCheckButton           *group)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *title = g_strjoinv ("\n", candidate->user_ids);
  g_autofree char *description = describe_candidate (candidate);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), description);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
  g_object_set_data_full (G_OBJECT (check), "fingerprint", g_strdup (candidate->fingerprint), g_free);
  /* Its name comes from the row's title (the row labels its activatable
   * widget); a label of its own would be read out twice. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  gtk_widget_set_sensitive (row, candidate->usable);
  if (candidate->usable && self->selected != NULL &&
      g_ascii_strcasecmp (self->selected, candidate->fingerprint) == 0)
    gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  g_signal_connect (check, "toggled", G_CALLBACK (on_check_toggled), self);
  return row;
}

static void
show_candidates (SignetKeyPicker *self,
                 GPtrArray       *candidates)
{
  GtkCheckButton *group = NULL;
  guint n_usable = 0;

  /* The key chosen before is ticked again if it is still usable; otherwise
   * nothing is: the user chooses. */
  for (guint i = 0; i < candidates->len; i++)
    {
      const SignetKeyCandidate *candidate = g_ptr_array_index (candidates, i);
      GtkWidget *row = candidate_row (self, candidate, group);

      if (group == NULL)
        group = GTK_CHECK_BUTTON (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row)));
      if (candidate->usable && self->selected != NULL &&
          g_ascii_strcasecmp (self->selected, candidate->fingerprint) == 0)
        gtk_widget_set_sensitive (GTK_WIDGET (self->use_button), TRUE);
      gtk_list_box_append (self->list_box, row);
      n_usable += candidate->usable ? 1 : 0;
    }
  if (n_usable == 1)
    gtk_label_set_text (self->intro_label, _("Only one of the keys for this address can be used. Choose it to seal "
                                             "messages to this address with: Signet will use it from now on."));
  else if (n_usable == 0)
    gtk_label_set_text (self->intro_label, _("None of the keys for this address can be used to seal messages."));
  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->use_button)))
    g_clear_pointer (&self->selected, g_free);
  gtk_stack_set_visible_child_name (self->stack, candidates->len > 0 ? "list" : "empty");
}

static void
on_candidates_listed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(SignetKeyPicker) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) candidates = NULL;

  g_weak_ref_clear (weak);
  g_free (weak);
  candidates = signet_key_directory_list_candidates_finish (SIGNET_KEY_DIRECTORY (source), result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (candidates == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  show_candidates (self, candidates);
}

static void
on_use_clicked (SignetKeyPicker *self)
{
  g_autofree char *fingerprint = g_strdup (self->selected);

  if (fingerprint == NULL)
    return;
  signet_key_directory_set_choice (self->directory, self->email, fingerprint);
  g_object_ref (self);
  g_signal_emit (self, signals[CHOSEN], 0, fingerprint);
  gtk_window_close (GTK_WINDOW (self));
  g_object_unref (self);
}

static void
signet_key_picker_dispose (GObject *object)
{
  SignetKeyPicker *self = SIGNET_KEY_PICKER (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_KEY_PICKER);
  G_OBJECT_CLASS (signet_key_picker_parent_class)->dispose (object);
}

static void
signet_key_picker_finalize (GObject *object)
{
  SignetKeyPicker *self = SIGNET_KEY_PICKER (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->directory);
  g_free (self->email);
  g_free (self->selected);
  G_OBJECT_CLASS (signet_key_picker_parent_class)->finalize (object);
}

static void
signet_key_picker_class_init (SignetKeyPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = signet_key_picker_dispose;
  object_class->finalize = signet_key_picker_finalize;

  /**
   * SignetKeyPicker::chosen:
   * @fingerprint: the chosen key's fingerprint
   *
   * The user chose a key; it is already remembered for the address.
   * Not emitted when the picker is cancelled or closed.
   */
  signals[CHOSEN] = g_signal_new ("chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/signetmail/Signet/signet-key-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, SignetKeyPicker, stack);
  gtk_widget_class_bind_template_child (widget_class, SignetKeyPicker, error_page);
  gtk_widget_class_bind_template_child (widget_class, SignetKeyPicker, intro_label);
  gtk_widget_class_bind_template_child (widget_class, SignetKeyPicker, list_box);
  gtk_widget_class_bind_template_child (widget_class, SignetKeyPicker, use_button);
  gtk_widget_class_bind_template_child (widget_class, SignetKeyPicker, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, on_use_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
signet_key_picker_init (SignetKeyPicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  signet_button_set_mnemonic_label (self->cancel_button, NULL);
  signet_button_set_mnemonic_label (self->use_button, NULL);
  self->cancellable = g_cancellable_new ();
}

/* A modal picker over @parent for @email's keys in @directory; present it. */
SignetKeyPicker *
signet_key_picker_new (GtkWindow          *parent,
                       SignetKeyDirectory *directory,
                       const char         *email)
{
  SignetKeyPicker *self;
  g_autofree char *title = NULL;
  GWeakRef *weak;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (SIGNET_IS_KEY_DIRECTORY (directory), NULL);
  g_return_val_if_fail (email != NULL, NULL);

  self = g_object_new (SIGNET_TYPE_KEY_PICKER, "transient-for", parent, NULL);
  self->directory = g_object_ref (directory);
  self->email = g_strdup (email);
  self->selected = signet_key_directory_dup_choice (directory, email);
  /* Translators: %s is an email address */
  title = g_strdup_printf (_("Choose a Key for %s"), email);
  gtk_window_set_title (GTK_WINDOW (self), title);
  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  signet_key_directory_list_candidates_async (directory, email, self->cancellable, on_candidates_listed, weak);
  return self;
}

const char *
signet_key_picker_get_email (SignetKeyPicker *self)
{
  g_return_val_if_fail (SIGNET_IS_KEY_PICKER (self), NULL);
  return self->email;
}
