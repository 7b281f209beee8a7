#pragma once

#include <gio/gio.h>

#include "signet-account.h"
#include "signet-outbox.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_DELIVERY (signet_delivery_get_type ())
G_DECLARE_FINAL_TYPE (SignetDelivery, signet_delivery, SIGNET, DELIVERY, GObject)

SignetDelivery *signet_delivery_new                        (SignetAccount  *account,
                                                            SignetOutbox   *outbox,
                                                            const char     *local_root);
gboolean        signet_delivery_is_local                   (SignetDelivery *self);
gboolean        signet_delivery_dup_untrusted_certificate  (SignetDelivery *self,
                                                            char          **host,
                                                            guint          *port,
                                                            char          **fingerprint,
                                                            char          **pin);

G_END_DECLS
