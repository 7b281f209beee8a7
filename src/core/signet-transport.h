#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIGNET_TYPE_TRANSPORT (signet_transport_get_type ())
G_DECLARE_INTERFACE (SignetTransport, signet_transport, SIGNET, TRANSPORT, GObject)

struct _SignetTransportInterface
{
  GTypeInterface parent_iface;

  /* Delivers the message file at @path to @recipients. Called in a worker
   * thread; must not touch the main context. */
  gboolean (*deliver) (SignetTransport    *self,
                       const char         *path,
                       const char * const *recipients,
                       GCancellable       *cancellable,
                       GError            **error);
};

gboolean  signet_transport_deliver        (SignetTransport    *self,
                                           const char         *path,
                                           const char * const *recipients,
                                           GCancellable       *cancellable,
                                           GError            **error);
GStrv     signet_transport_read_envelope  (const char         *path,
                                           GError            **error);
gboolean  signet_transport_write_without_envelope (const char *path,
                                           int                 fd,
                                           GError            **error);

G_END_DECLS
