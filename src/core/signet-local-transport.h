#pragma once

#include "signet-transport.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_LOCAL_TRANSPORT (signet_local_transport_get_type ())
G_DECLARE_FINAL_TYPE (SignetLocalTransport, signet_local_transport, SIGNET, LOCAL_TRANSPORT, GObject)

SignetLocalTransport *signet_local_transport_new              (const char *root);
char                 *signet_local_transport_get_mailbox_path (SignetLocalTransport *self,
                                                               const char           *email);

G_END_DECLS
