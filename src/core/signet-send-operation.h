#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"
#include "signet-message.h"
#include "signet-outbox.h"
#include "signet-sealer.h"
#include "signet-store.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_SEND_OPERATION (signet_send_operation_get_type ())
G_DECLARE_FINAL_TYPE (SignetSendOperation, signet_send_operation, SIGNET, SEND_OPERATION, GObject)

SignetSendOperation *signet_send_operation_new          (SignetKeyDirectory  *directory,
                                                         SignetStore         *store,
                                                         SignetOutbox        *outbox);
SignetKeyDirectory  *signet_send_operation_get_directory (SignetSendOperation *self);
SignetStore         *signet_send_operation_get_store    (SignetSendOperation *self);

void      signet_send_operation_send_async         (SignetSendOperation *self,
                                                    SignetMessage       *message,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean  signet_send_operation_send_finish        (SignetSendOperation *self,
                                                    GAsyncResult        *result,
                                                    gboolean            *delivered,
                                                    GPtrArray          **key_results,
                                                    GError             **error);
void      signet_send_operation_check_names_async  (SignetSendOperation *self,
                                                    SignetMessage       *message,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GPtrArray *signet_send_operation_check_names_finish (SignetSendOperation *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void      signet_send_operation_save_draft_async   (SignetSendOperation *self,
                                                    SignetMessage       *message,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean  signet_send_operation_save_draft_finish  (SignetSendOperation *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
