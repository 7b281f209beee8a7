#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIGNET_TYPE_NETWORK (signet_network_get_type ())
G_DECLARE_FINAL_TYPE (SignetNetwork, signet_network, SIGNET, NETWORK, GObject)

SignetNetwork *signet_network_new              (GNetworkMonitor *monitor);
gboolean       signet_network_get_online       (SignetNetwork   *self);
gboolean       signet_network_get_work_offline (SignetNetwork   *self);
void           signet_network_set_work_offline (SignetNetwork   *self,
                                                gboolean         work_offline);
gboolean       signet_network_get_network_available (SignetNetwork *self);

G_END_DECLS
