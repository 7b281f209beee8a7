#define G_LOG_DOMAIN "signet-delivery"

#include "signet-delivery.h"

#include "signet-local-transport.h"
#include "signet-sent-folder.h"
#include "signet-smtp-transport.h"

/* Keeps an Outbox delivering the way the account says: into local
 * mailboxes when no outgoing server is set (the embedded default), else
 * through that server, with Sent copies stored in the account's Sent
 * folder when one is set. A change of the settings applies from the next
 * delivery run on; passwords are asked of the Secret Service by the
 * delivering thread, each time one is needed. */
struct _SignetDelivery
{
  GObject           parent_instance;

  SignetAccount    *account;
  SignetOutbox     *outbox;
  char             *local_root;
  SignetTransport  *transport;
  SignetSentFolder *sent_folder;
  guint             update_source;
};

G_DEFINE_FINAL_TYPE (SignetDelivery, signet_delivery, G_TYPE_OBJECT)

/* For the server @source (a transport or Sent folder) connects to, which
 * may not be the one the settings name by now. */
static char *
lookup_password (SignetAccount *account, SignetAccountProtocol protocol, GObject *source,
                 GCancellable *cancellable, GError **error)
{
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  guint port = 0;

  g_object_get (source, "host", &host, "port", &port, "user", &user, NULL);
  return signet_account_lookup_password_for_sync (account, protocol, host, port, user, cancellable, error);
}

static char *
smtp_password (GObject *source, GCancellable *cancellable, GError **error, gpointer user_data)
{
  return lookup_password (user_data, SIGNET_ACCOUNT_PROTOCOL_SMTP, source, cancellable, error);
}

static char *
imap_password (GObject *source, GCancellable *cancellable, GError **error, gpointer user_data)
{
  return lookup_password (user_data, SIGNET_ACCOUNT_PROTOCOL_IMAP, source, cancellable, error);
}

static SignetTransport *
create_transport (SignetDelivery *self)
{
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *pin = NULL;
  SignetSmtpTransport *smtp;
  guint port;

  if (signet_account_is_local (self->account))
    return SIGNET_TRANSPORT (signet_local_transport_new (self->local_root));
  host = signet_account_get_smtp_host (self->account);
  port = signet_account_get_smtp_port (self->account);
  user = signet_account_get_smtp_user (self->account);
  sender = signet_account_dup_identity_address (self->account);
  pin = signet_account_lookup_trusted_certificate (self->account, host, port);
  smtp = signet_smtp_transport_new (host, port,
                                    signet_account_security_to_string (signet_account_get_smtp_security (self->account)));
  g_object_set (smtp,
                "user", *user != '\0' ? user : NULL,
                "sender", sender,
                "pinned-public-key", pin,
                NULL);
  signet_smtp_transport_set_password_func (smtp, smtp_password, g_object_ref (self->account), g_object_unref);
  return SIGNET_TRANSPORT (smtp);
}

static SignetSentFolder *
create_sent_folder (SignetDelivery *self)
{
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *pin = NULL;
  SignetSentFolder *sent;
  guint port;

  if (signet_account_is_local (self->account))
    return NULL;
  host = signet_account_get_imap_host (self->account);
  if (*host == '\0')
    return NULL;
  port = signet_account_get_imap_port (self->account);
  user = signet_account_get_imap_user (self->account);
  folder = signet_account_get_imap_sent_folder (self->account);
  pin = signet_account_lookup_trusted_certificate (self->account, host, port);
  sent = signet_sent_folder_new (host, port,
                                 signet_account_security_to_string (signet_account_get_imap_security (self->account)),
                                 *user != '\0' ? user : NULL, folder);
  g_object_set (sent, "pinned-public-key", pin, NULL);
  signet_sent_folder_set_password_func (sent, imap_password, g_object_ref (self->account), g_object_unref);
  return sent;
}

static void
update (SignetDelivery *self)
{
  g_clear_object (&self->transport);
  g_clear_object (&self->sent_folder);
  self->transport = create_transport (self);
  self->sent_folder = create_sent_folder (self);
  signet_outbox_set_sent_folder (self->outbox, self->sent_folder);
  signet_outbox_set_transport (self->outbox, self->transport);
}

static gboolean
on_update (gpointer user_data)
{
  SignetDelivery *self = user_data;

  self->update_source = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

/* Several keys change together when the account is edited: one update. */
static void
on_settings_changed (GSettings *settings, const char *key, SignetDelivery *self)
{
  if (self->update_source == 0)
    self->update_source = g_idle_add (on_update, self);
}

gboolean
signet_delivery_is_local (SignetDelivery *self)
{
  g_return_val_if_fail (SIGNET_IS_DELIVERY (self), TRUE);
  return SIGNET_IS_LOCAL_TRANSPORT (self->transport);
}

/* After a delivery (or a Sent copy) stopped at a certificate nobody
 * vouches for: which server, and the certificate to trust for it. */
gboolean
signet_delivery_dup_untrusted_certificate (SignetDelivery *self,
                                           char          **host,
                                           guint          *port,
                                           char          **fingerprint,
                                           char          **pin)
{
  g_autofree char *found_fingerprint = NULL;
  g_autofree char *found_pin = NULL;
  GObject *source = NULL;

  g_return_val_if_fail (SIGNET_IS_DELIVERY (self), FALSE);
  if (SIGNET_IS_SMTP_TRANSPORT (self->transport) &&
      signet_smtp_transport_dup_untrusted_certificate (SIGNET_SMTP_TRANSPORT (self->transport),
                                                       &found_fingerprint, &found_pin))
    source = G_OBJECT (self->transport);
  else if (self->sent_folder != NULL &&
           signet_sent_folder_dup_untrusted_certificate (self->sent_folder, &found_fingerprint, &found_pin))
    source = G_OBJECT (self->sent_folder);
  if (source == NULL)
    return FALSE;
  if (host != NULL)
    g_object_get (source, "host", host, NULL);
  if (port != NULL)
    {
      g_object_get (source, "port", port, NULL);
      if (*port == 0)
        *port = source == G_OBJECT (self->transport) ?
                signet_account_get_smtp_port (self->account) : signet_account_get_imap_port (self->account);
    }
  if (fingerprint != NULL)
    *fingerprint = g_steal_pointer (&found_fingerprint);
  if (pin != NULL)
    *pin = g_steal_pointer (&found_pin);
  return TRUE;
}

static void
signet_delivery_dispose (GObject *object)
{
  SignetDelivery *self = SIGNET_DELIVERY (object);

  g_clear_handle_id (&self->update_source, g_source_remove);
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (signet_account_get_settings (self->account), self);
  g_clear_object (&self->account);
  g_clear_object (&self->outbox);
  g_clear_object (&self->transport);
  g_clear_object (&self->sent_folder);
  G_OBJECT_CLASS (signet_delivery_parent_class)->dispose (object);
}

static void
signet_delivery_finalize (GObject *object)
{
  g_free (SIGNET_DELIVERY (object)->local_root);
  G_OBJECT_CLASS (signet_delivery_parent_class)->finalize (object);
}

static void
signet_delivery_class_init (SignetDeliveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = signet_delivery_dispose;
  object_class->finalize = signet_delivery_finalize;
}

static void
signet_delivery_init (SignetDelivery *self)
{
}

/* @local_root: where the embedded default delivers (one Maildir per
 * recipient). */
SignetDelivery *
signet_delivery_new (SignetAccount *account,
                     SignetOutbox  *outbox,
                     const char    *local_root)
{
  SignetDelivery *self;

  g_return_val_if_fail (SIGNET_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (SIGNET_IS_OUTBOX (outbox), NULL);
  g_return_val_if_fail (local_root != NULL, NULL);

  self = g_object_new (SIGNET_TYPE_DELIVERY, NULL);
  self->account = g_object_ref (account);
  self->outbox = g_object_ref (outbox);
  self->local_root = g_strdup (local_root);
  g_signal_connect (signet_account_get_settings (account), "changed", G_CALLBACK (on_settings_changed), self);
  update (self);
  return self;
}
