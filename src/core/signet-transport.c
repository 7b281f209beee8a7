#define G_LOG_DOMAIN "signet-transport"

#include "signet-transport.h"

G_DEFINE_INTERFACE (SignetTransport, signet_transport, G_TYPE_OBJECT)

static void
signet_transport_default_init (SignetTransportInterface *iface)
{
}

gboolean
signet_transport_deliver (SignetTransport          *self,
                          int                       message_fd,
                          const char               *copy_id,
                          const char * const       *recipients,
                          SignetTransportDelivered  delivered,
                          SignetTransportSending    sending,
                          gpointer                  user_data,
                          GCancellable             *cancellable,
                          GError                  **error)
{
  g_return_val_if_fail (SIGNET_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (message_fd >= 0 && copy_id != NULL && recipients != NULL, FALSE);
  return SIGNET_TRANSPORT_GET_IFACE (self)->deliver (self, message_fd, copy_id, recipients,
                                                     delivered, sending, user_data, cancellable, error);
}
