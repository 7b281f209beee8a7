/* A recipient's pill in a SignetRecipientField, built from
 * signet-recipient-pill.ui and kept in step with its SignetRecipient's key
 * status. The status is said in words (tooltip, accessible description)
 * and with an icon; the colour only repeats them. */
#define G_LOG_DOMAIN "signet-recipient-pill"

#include "signet-recipient-pill.h"

#include "signet-i18n.h"
#include "signet-tooltip.h"

#define PILL_RESOURCE "/io/github/signetmail/Signet/signet-recipient-pill.ui"

static const char *
status_icon (SignetKeyStatus status, const char **style)
{
  switch (status)
    {
    case SIGNET_KEY_STATUS_OK:
      *style = "signet-key-ok";
      return "emblem-ok-symbolic";
    case SIGNET_KEY_STATUS_MISSING:
    case SIGNET_KEY_STATUS_CANNOT_ENCRYPT:
      *style = "signet-key-error";
      return "action-unavailable-symbolic";
    case SIGNET_KEY_STATUS_EXPIRED:
    case SIGNET_KEY_STATUS_REVOKED:
    case SIGNET_KEY_STATUS_DISABLED:
    case SIGNET_KEY_STATUS_INVALID:
      *style = "signet-key-error";
      return "dialog-error-symbolic";
    case SIGNET_KEY_STATUS_UNTRUSTED:
    case SIGNET_KEY_STATUS_AMBIGUOUS:
    default:
      *style = "signet-key-warning";
      return "dialog-warning-symbolic";
    }
}

static void
update_status (GtkWidget *pill)
{
  SignetRecipient *recipient = signet_recipient_pill_get_recipient (pill);
  GtkWidget *icon = g_object_get_data (G_OBJECT (pill), "signet-icon");
  GtkWidget *choose = signet_recipient_pill_get_choose (pill);
  const SignetAddress *address = signet_recipient_get_address (recipient);
  gboolean checked = signet_recipient_get_checked (recipient);
  const char *style = NULL;
  g_autofree char *words = NULL;

  gtk_widget_remove_css_class (pill, "signet-key-ok");
  gtk_widget_remove_css_class (pill, "signet-key-warning");
  gtk_widget_remove_css_class (pill, "signet-key-error");
  gtk_widget_set_visible (icon, checked);
  gtk_widget_set_visible (choose, checked && signet_recipient_get_status (recipient) == SIGNET_KEY_STATUS_AMBIGUOUS);
  if (!checked)
    {
      g_autofree char *full = signet_address_to_string (address);

      signet_tooltip_set_text (pill, full);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (pill), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
      return;
    }
  gtk_image_set_from_icon_name (GTK_IMAGE (icon), status_icon (signet_recipient_get_status (recipient), &style));
  gtk_widget_add_css_class (pill, style);
  /* Translators: an email address, then what is known about its key,
   * e.g. "alice@example.org: Valid sealing key" */
  words = g_strdup_printf (_("%s: %s"), address->email, signet_recipient_get_status_text (recipient));
  signet_tooltip_set_text (pill, words);
  gtk_accessible_update_property (GTK_ACCESSIBLE (pill), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, words, -1);
}

static void
label_button (GtkWidget *button, const char *text)
{
  signet_tooltip_set_text (button, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
}

/* Returns a new reference to the pill, not yet in any parent. */
GtkWidget *
signet_recipient_pill_new (SignetRecipient *recipient)
{
  g_autoptr(GtkBuilder) builder = NULL;
  GtkWidget *pill;
  const SignetAddress *address;
  g_autofree char *full = NULL;
  g_autofree char *remove_label = NULL;
  g_autofree char *choose_label = NULL;

  g_return_val_if_fail (SIGNET_IS_RECIPIENT (recipient), NULL);

  builder = gtk_builder_new_from_resource (PILL_RESOURCE);
  pill = GTK_WIDGET (gtk_builder_get_object (builder, "pill"));
  address = signet_recipient_get_address (recipient);
  full = signet_address_to_string (address);
  /* Translators: %s is an email address; the label of a pill's remove button */
  remove_label = g_strdup_printf (_("Remove %s"), address->email);
  /* Translators: %s is an email address that several keys match; the
   * label of the pill's button that opens the list of those keys */
  choose_label = g_strdup_printf (_("Choose Key for %s"), address->email);

  g_object_set_data (G_OBJECT (pill), "signet-icon", gtk_builder_get_object (builder, "icon"));
  g_object_set_data (G_OBJECT (pill), "signet-remove", gtk_builder_get_object (builder, "remove"));
  g_object_set_data (G_OBJECT (pill), "signet-choose", gtk_builder_get_object (builder, "choose"));
  g_object_set_data_full (G_OBJECT (pill), "signet-recipient", g_object_ref (recipient), g_object_unref);

  gtk_label_set_text (GTK_LABEL (gtk_builder_get_object (builder, "label")),
                      address->name != NULL ? address->name : address->email);
  gtk_accessible_update_property (GTK_ACCESSIBLE (pill), GTK_ACCESSIBLE_PROPERTY_LABEL, full, -1);
  label_button (signet_recipient_pill_get_remove (pill), remove_label);
  label_button (signet_recipient_pill_get_choose (pill), choose_label);
  g_signal_connect_object (recipient, "notify::status-text", G_CALLBACK (update_status), pill,
                           G_CONNECT_SWAPPED);
  update_status (pill);
  /* The builder's reference goes with it. */
  return g_object_ref (pill);
}

SignetRecipient *
signet_recipient_pill_get_recipient (GtkWidget *pill)
{
  return g_object_get_data (G_OBJECT (pill), "signet-recipient");
}

GtkWidget *
signet_recipient_pill_get_remove (GtkWidget *pill)
{
  return g_object_get_data (G_OBJECT (pill), "signet-remove");
}

GtkWidget *
signet_recipient_pill_get_choose (GtkWidget *pill)
{
  return g_object_get_data (G_OBJECT (pill), "signet-choose");
}
