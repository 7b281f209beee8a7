#define G_LOG_DOMAIN "signet-dialogs"

#include "signet-dialogs.h"

#include <string.h>

#include "signet-address.h"
#include "signet-button-label.h"
#include "signet-directory-servers.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-key-directory.h"

/* The dialogs that explain why a message could not leave, built in one place
 * so that every entry point shows the same words. */

static AdwMessageDialog *
new_dialog (GtkWindow *parent, const char *heading, const char *body)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, heading, body));

  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  /* A dialog must never outlive the window its buttons act on. */
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  /* Its responses' buttons, named as they read. */
  signet_button_label_name_all_when_mapped (GTK_WIDGET (dialog));
  return dialog;
}

/* Key management failed (Exchange KB Q154089): the heading is the
 * key-management error itself, @body how to fix it; Save Draft offered. */
static AdwMessageDialog *
key_management_failed (GtkWindow *parent, const char *body)
{
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;

  signet_key_directory_set_offline_error (&error);
  dialog = new_dialog (parent, error->message, body);
  adw_message_dialog_add_responses (dialog,
                                    SIGNET_RESPONSE_CLOSE, _("_Close"),
                                    SIGNET_RESPONSE_SAVE_DRAFT, _("_Save Draft"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, SIGNET_RESPONSE_SAVE_DRAFT, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, SIGNET_RESPONSE_SAVE_DRAFT);
  adw_message_dialog_set_close_response (dialog, SIGNET_RESPONSE_CLOSE);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/* Key management needs the directory; offline it cannot be reached. */
AdwMessageDialog *
signet_dialogs_offline (GtkWindow *parent)
{
  return key_management_failed (parent,
                                _("Sealing a message needs each recipient’s key from the directory, "
                                  "and the directory cannot be reached while you are offline. "
                                  "Connect to a network, or turn off Work Offline in the main menu, "
                                  "then send again.\n\nYour message is still here. You can save it "
                                  "as a draft now."));
}

/* A directory server configured for the keys did not answer although the
 * network is up: key management failed just as offline, with the same
 * heading; the body names the server (@reason, the error's words). */
AdwMessageDialog *
signet_dialogs_directory_unreachable (GtkWindow  *parent,
                                      const char *reason)
{
  /* Translators: %s says which directory server did not answer and why,
   * e.g. "The directory server ldap://ldap.example.org could not be reached (Connection refused)." */
  g_autofree char *body = g_strdup_printf (_("%s Sealing a message needs each recipient’s key from the directory. "
                                             "Check the network connection or the directory servers in Preferences, "
                                             "or ask your administrator, then send again.\n\nYour message is still here. "
                                             "You can save it as a draft now."), reason);

  return key_management_failed (parent, body);
}

/* A key found in the Web Key Directory: published by the recipient's own
 * domain, which is said by name, as is what its publication does not
 * prove. */
static char *
accept_wkd_key_body (const char *email, const char *user_id, const char *grouped_fingerprint)
{
  const char *at = strrchr (email, '@');

  /* Translators: the key's user ID, its fingerprint, and the domain of
   * the address (example.org) whose Web Key Directory published it */
  return g_strdup_printf (_("%s\n%s\nPublished by %s in its Web Key Directory.\n\nNobody you trust has "
                            "certified this key. Whoever runs that domain’s web server decides what it "
                            "publishes: compare the fingerprint with one you got from its owner in person "
                            "or over the phone before you use it."),
                          user_id != NULL ? user_id : email, grouped_fingerprint, at != NULL ? at + 1 : email);
}

/* A key the directory found for @email that nobody certified: it is shown
 * (user ID, fingerprint grouped, where it came from) and sealed to only
 * if the user accepts it. Responses: SIGNET_RESPONSE_CANCEL (default,
 * Escape) and SIGNET_RESPONSE_ACCEPT. */
AdwMessageDialog *
signet_dialogs_accept_key (GtkWindow  *parent,
                           const char *email,
                           const char *user_id,
                           const char *grouped_fingerprint,
                           const char *origin)
{
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  const char *shown;
  AdwMessageDialog *dialog;

  /* Translators: %s is an email address */
  heading = g_strdup_printf (_("Use the Key Found for %s?"), email);
  /* A user ID that reorders text could show another address. */
  shown = user_id != NULL && !signet_text_has_reordering_marks (user_id) ? user_id : email;
  if (g_strcmp0 (origin, SIGNET_DIRECTORY_WKD) == 0)
    body = accept_wkd_key_body (email, shown, grouped_fingerprint);
  else
    /* Translators: the key's user ID, its fingerprint, and the directory
     * server where it was found */
    body = g_strdup_printf (_("%s\n%s\nFound in %s.\n\nNobody you trust has certified this key. "
                              "Compare its fingerprint with one you got from its owner in person or "
                              "over the phone before you use it: whoever put it there can read what "
                              "is sealed to it."),
                            shown, grouped_fingerprint, origin);
  dialog = new_dialog (parent, heading, body);
  adw_message_dialog_add_responses (dialog,
                                    SIGNET_RESPONSE_CANCEL, _("_Cancel"),
                                    SIGNET_RESPONSE_ACCEPT, _("_Use This Key"),
                                    NULL);
  adw_message_dialog_set_default_response (dialog, SIGNET_RESPONSE_CANCEL);
  adw_message_dialog_set_close_response (dialog, SIGNET_RESPONSE_CANCEL);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/* Lists each recipient without a usable sealing key, with the reason. */
AdwMessageDialog *
signet_dialogs_recipient_problems (GtkWindow *parent,
                                   GPtrArray *key_results)
{
  AdwMessageDialog *dialog;
  GtkWidget *list = gtk_list_box_new ();

  dialog = new_dialog (parent, _("Some Recipients Cannot Receive Sealed Mail"),
                       _("Nothing was sent. Remove these recipients, get a valid key for them, "
                         "or turn off Seal to send the message unsealed."));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Recipients without a usable key"), -1);
  for (guint i = 0; key_results != NULL && i < key_results->len; i++)
    {
      const SignetKeyResult *r = g_ptr_array_index (key_results, i);
      GtkWidget *row;

      if (r->status == SIGNET_KEY_STATUS_OK)
        continue;
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), r->email);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), signet_key_status_describe (r->status));
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  adw_message_dialog_set_extra_child (dialog, list);
  adw_message_dialog_add_response (dialog, SIGNET_RESPONSE_CLOSE, _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

AdwMessageDialog *
signet_dialogs_error (GtkWindow  *parent,
                      const char *heading,
                      const char *body)
{
  AdwMessageDialog *dialog = new_dialog (parent, heading, body);

  adw_message_dialog_add_response (dialog, SIGNET_RESPONSE_CLOSE, _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/* Asked before a composer with unsent changes closes. */
AdwMessageDialog *
signet_dialogs_save_changes (GtkWindow  *parent,
                             const char *subject)
{
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (subject != NULL && *subject != '\0')
    /* Translators: %s is the subject of the message */
    body = g_strdup_printf (_("“%s” has not been sent or saved. If you discard it, what you wrote is lost."), subject);
  else
    body = g_strdup (_("This message has not been sent or saved. If you discard it, what you wrote is lost."));
  dialog = new_dialog (parent, _("Save the message as a draft?"), body);
  adw_message_dialog_add_responses (dialog,
                                    SIGNET_RESPONSE_CANCEL, _("_Cancel"),
                                    SIGNET_RESPONSE_DISCARD, _("_Discard"),
                                    SIGNET_RESPONSE_SAVE_DRAFT, _("_Save Draft"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, SIGNET_RESPONSE_DISCARD, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, SIGNET_RESPONSE_SAVE_DRAFT, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, SIGNET_RESPONSE_SAVE_DRAFT);
  adw_message_dialog_set_close_response (dialog, SIGNET_RESPONSE_CANCEL);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/* The message says something is attached (@word), but nothing is.
 * Responses: SIGNET_RESPONSE_CANCEL (Escape: back to writing),
 * SIGNET_RESPONSE_ATTACH (the default) and SIGNET_RESPONSE_SEND. */
AdwMessageDialog *
signet_dialogs_attachment_reminder (GtkWindow  *parent,
                                    const char *word)
{
  /* Translators: %s is the word of the message that mentions an
   * attachment, e.g. "attached" */
  g_autofree char *body = g_strdup_printf (_("The message mentions “%s”, but nothing is attached."), word);
  AdwMessageDialog *dialog = new_dialog (parent, _("Did You Forget an Attachment?"), body);

  adw_message_dialog_add_responses (dialog,
                                    SIGNET_RESPONSE_CANCEL, _("_Cancel"),
                                    SIGNET_RESPONSE_SEND, _("_Send Anyway"),
                                    SIGNET_RESPONSE_ATTACH, _("_Attach…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, SIGNET_RESPONSE_ATTACH, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, SIGNET_RESPONSE_ATTACH);
  adw_message_dialog_set_close_response (dialog, SIGNET_RESPONSE_CANCEL);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/* A server's certificate is signed by no authority this computer trusts (or
 * is not the one trusted before): whoever answers may not be the server.
 * The user may trust this certificate for @host:@port only, having compared
 * its SHA-256 @fingerprint with one from a source they trust. Responses:
 * SIGNET_RESPONSE_CANCEL (the default, also on Escape) and
 * SIGNET_RESPONSE_TRUST. */
AdwMessageDialog *
signet_dialogs_untrusted_certificate (GtkWindow  *parent,
                                      const char *host,
                                      guint       port,
                                      const char *fingerprint)
{
  g_autofree char *server = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *label;

  g_return_val_if_fail (host != NULL && fingerprint != NULL, NULL);

  server = strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                      : g_strdup_printf ("%s:%u", host, port);
  /* Translators: %s is a server and port, "mail.example.org:587" */
  body = g_strdup_printf (_("The server %s presented a certificate that this computer does not trust, so "
                            "it cannot tell whether it is talking to the real server or to someone in "
                            "between. Trust it only if its SHA-256 fingerprint, below, is the one your "
                            "mail provider or administrator gave you."), server);
  dialog = new_dialog (parent, _("Untrusted Certificate"), body);
  label = gtk_label_new (fingerprint);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (label, "monospace");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("SHA-256 fingerprint of the certificate"), -1);
  adw_message_dialog_set_extra_child (dialog, label);
  adw_message_dialog_add_responses (dialog,
                                    SIGNET_RESPONSE_CANCEL, _("_Cancel"),
                                    SIGNET_RESPONSE_TRUST, _("_Trust This Certificate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, SIGNET_RESPONSE_TRUST, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, SIGNET_RESPONSE_CANCEL);
  adw_message_dialog_set_close_response (dialog, SIGNET_RESPONSE_CANCEL);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}
