#pragma once

#include <gio/gio.h>

#include "signet-network.h"
#include "signet-store.h"
#include "signet-transport.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_OUTBOX (signet_outbox_get_type ())
G_DECLARE_FINAL_TYPE (SignetOutbox, signet_outbox, SIGNET, OUTBOX, GObject)

SignetOutbox    *signet_outbox_new           (SignetNetwork   *network,
                                              SignetStore     *store,
                                              SignetTransport *transport);
guint            signet_outbox_get_n_queued  (SignetOutbox    *self);
guint            signet_outbox_get_n_failed  (SignetOutbox    *self);
gboolean         signet_outbox_get_busy      (SignetOutbox    *self);
void             signet_outbox_queue_flush   (SignetOutbox    *self);
void             signet_outbox_flush_async   (SignetOutbox    *self,
                                              GCancellable    *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer         user_data);
gboolean         signet_outbox_flush_finish  (SignetOutbox    *self,
                                              GAsyncResult    *result,
                                              guint           *n_sent,
                                              GError         **error);

G_END_DECLS
