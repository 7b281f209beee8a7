#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Called (in the delivering thread) for each recipient the message has
 * reached, as soon as it has: the Outbox records it, so that a retry never
 * delivers to that recipient again. */
typedef void (*SignetTransportDelivered) (const char *recipient,
                                          gpointer    user_data);

/* Called (in the delivering thread) as the message goes out: @sent of
 * @total bytes. Transports that cannot tell may never call it. */
typedef void (*SignetTransportSending) (goffset  sent,
                                        goffset  total,
                                        gpointer user_data);

#define SIGNET_TYPE_TRANSPORT (signet_transport_get_type ())
G_DECLARE_INTERFACE (SignetTransport, signet_transport, SIGNET, TRANSPORT, GObject)

struct _SignetTransportInterface
{
  GTypeInterface parent_iface;

  /* Delivers the message read from @message_fd (from its start) to
   * @recipients. @copy_id names this copy uniquely and stays the same when
   * the same copy is tried again. Called in a worker thread; must not touch
   * the main context. Errors are in SIGNET_TRANSPORT_ERROR. */
  gboolean (*deliver) (SignetTransport          *self,
                       int                       message_fd,
                       const char               *copy_id,
                       const char * const       *recipients,
                       SignetTransportDelivered  delivered,
                       SignetTransportSending    sending,
                       gpointer                  user_data,
                       GCancellable             *cancellable,
                       GError                  **error);
};

gboolean  signet_transport_deliver        (SignetTransport          *self,
                                           int                       message_fd,
                                           const char               *copy_id,
                                           const char * const       *recipients,
                                           SignetTransportDelivered  delivered,
                                           SignetTransportSending    sending,
                                           gpointer                  user_data,
                                           GCancellable             *cancellable,
                                           GError                  **error);

G_END_DECLS
