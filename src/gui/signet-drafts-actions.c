#define G_LOG_DOMAIN "signet-drafts-actions"

#include "signet-drafts-actions.h"

#include "signet-button-label.h"
#include "signet-compose-window.h"
#include "signet-dialogs.h"
#include "signet-drafts-window.h"
#include "signet-i18n.h"

/* The application's side of Drafts: app.drafts (the list), app.open-draft
 * (a draft back into a composer, which then owns it), and, after Signet
 * did not end cleanly, the offer to restore the messages that were open. */

typedef struct {
  GtkApplication        *application;   /* weak: the application owns this */
  SignetDrafts          *drafts;
  SignetOpenMessageFunc  open_message;
  GHashTable            *opening;       /* names being read */
} DraftsActions;

#define DATA_KEY "signet-drafts-actions"

static void
drafts_actions_free (DraftsActions *self)
{
  g_clear_object (&self->drafts);
  g_hash_table_unref (self->opening);
  g_free (self);
}

static SignetComposeWindow *
window_with_draft (DraftsActions *self, const char *name)
{
  for (GList *l = gtk_application_get_windows (self->application); l != NULL; l = l->next)
    if (SIGNET_IS_COMPOSE_WINDOW (l->data) &&
        g_strcmp0 (signet_compose_window_get_draft_name (l->data), name) == 0)
      return l->data;
  return NULL;
}

typedef struct {
  GtkApplication *application;
  char           *name;
} ReadData;

static void
on_draft_read (GObject *object, GAsyncResult *result, gpointer user_data)
{
  ReadData *data = user_data;
  g_autoptr(GtkApplication) application = data->application;
  g_autofree char *name = data->name;
  DraftsActions *self = g_object_get_data (G_OBJECT (application), DATA_KEY);
  g_autoptr(SignetMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  g_free (data);
  message = signet_drafts_read_finish (SIGNET_DRAFTS (object), result, &error);
  if (self == NULL)
    return;
  g_hash_table_remove (self->opening, name);
  if (message == NULL)
    {
      signet_dialogs_error (gtk_application_get_active_window (application),
                            _("The Draft Cannot Be Opened"), error->message);
      return;
    }
  window = self->open_message (application, message);
  if (!SIGNET_IS_COMPOSE_WINDOW (window))
    return;
  g_object_set (window,
                "seal", signet_message_get_seal (message),
                "sign", signet_message_get_sign (message),
                NULL);
  signet_compose_window_set_drafts (SIGNET_COMPOSE_WINDOW (window), self->drafts, name);
}

/* Opens draft @name in a composer, or shows the one that has it. */
static void
open_draft (DraftsActions *self, const char *name)
{
  SignetComposeWindow *window = window_with_draft (self, name);
  ReadData *data;

  if (window != NULL)
    {
      gtk_window_present (GTK_WINDOW (window));
      return;
    }
  if (!g_hash_table_add (self->opening, g_strdup (name)))
    return;
  data = g_new0 (ReadData, 1);
  data->application = g_object_ref (self->application);
  data->name = g_strdup (name);
  signet_drafts_read_async (self->drafts, name, NULL, on_draft_read, data);
}

static void
open_draft_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  open_draft (user_data, g_variant_get_string (parameter, NULL));
}

/* Deleting a draft from the Drafts window (not one a composer has open:
 * that one goes with its window's Send or Discard). */
static void
delete_draft_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DraftsActions *self = user_data;

  signet_drafts_delete (self->drafts, g_variant_get_string (parameter, NULL));
}

static void
drafts_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DraftsActions *self = user_data;

  for (GList *l = gtk_application_get_windows (self->application); l != NULL; l = l->next)
    if (SIGNET_IS_DRAFTS_WINDOW (l->data))
      {
        gtk_window_present (l->data);
        return;
      }
  gtk_window_present (GTK_WINDOW (signet_drafts_window_new (self->application, self->drafts)));
}

void
signet_drafts_actions_install (GtkApplication        *application,
                               SignetDrafts          *drafts,
                               SignetOpenMessageFunc  open_message)
{
  DraftsActions *self = g_new0 (DraftsActions, 1);
  const GActionEntry actions[] = {
    { .name = "drafts", .activate = drafts_action },
    { .name = "open-draft", .activate = open_draft_action, .parameter_type = "s" },
    { .name = "delete-draft", .activate = delete_draft_action, .parameter_type = "s" },
  };

  self->application = application;
  self->drafts = g_object_ref (drafts);
  self->open_message = open_message;
  self->opening = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_object_set_data_full (G_OBJECT (application), DATA_KEY, self, (GDestroyNotify) drafts_actions_free);
  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions), self);
  gtk_application_set_accels_for_action (application, "app.drafts", (const char *[]) { "<Control><Shift>d", NULL });
}

/* ---- after a crash ----------------------------------------------------- */

#define RESPONSE_RESTORE "restore"
#define RESPONSE_DISCARD "discard"

static void
on_recovery_response (AdwMessageDialog *dialog, const char *response, GtkApplication *application)
{
  DraftsActions *self = g_object_get_data (G_OBJECT (application), DATA_KEY);
  g_auto(GStrv) names = NULL;

  if (self == NULL)
    return;
  if (g_strcmp0 (response, RESPONSE_DISCARD) == 0)
    {
      signet_drafts_discard_recovered (self->drafts);
      return;
    }
  if (g_strcmp0 (response, RESPONSE_RESTORE) != 0)
    return;
  names = signet_drafts_take_recovered (self->drafts);
  for (guint i = 0; names[i] != NULL; i++)
    open_draft (self, names[i]);
}

static void
on_recovered (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GtkApplication) application = user_data;
  g_auto(GStrv) names = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  guint n;

  names = signet_drafts_recover_finish (SIGNET_DRAFTS (object), result, &error);
  if (names == NULL || names[0] == NULL || g_object_get_data (G_OBJECT (application), DATA_KEY) == NULL)
    return;
  n = g_strv_length (names);
  body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Signet did not close properly. The message you were writing was saved as a draft, as it was a few seconds before.",
                                       "Signet did not close properly. The %u messages you were writing were saved as drafts, as they were a few seconds before.",
                                       n), n);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (gtk_application_get_active_window (application),
                                                       _("Restore Unsaved Messages?"), body));
  gtk_window_set_application (GTK_WINDOW (dialog), application);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    RESPONSE_DISCARD, _("_Discard"),
                                    RESPONSE_RESTORE, _("_Restore"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, RESPONSE_DISCARD, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, RESPONSE_RESTORE, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, RESPONSE_RESTORE);
  adw_message_dialog_set_close_response (dialog, "later");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_recovery_response), application, 0);
  signet_button_label_name_all (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Looks for drafts left open by a run that did not end cleanly, and offers
 * them back (Restore opens each, Discard removes them). */
void
signet_drafts_actions_offer_recovery (GtkApplication *application)
{
  DraftsActions *self = g_object_get_data (G_OBJECT (application), DATA_KEY);

  g_return_if_fail (self != NULL);
  signet_drafts_recover_async (self->drafts, NULL, on_recovered, g_object_ref (application));
}
