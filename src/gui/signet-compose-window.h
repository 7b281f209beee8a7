#pragma once

#include <adwaita.h>

#include "signet-drafts.h"
#include "signet-network.h"
#include "signet-outbox.h"
#include "signet-send-operation.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_COMPOSE_WINDOW (signet_compose_window_get_type ())
G_DECLARE_FINAL_TYPE (SignetComposeWindow, signet_compose_window, SIGNET, COMPOSE_WINDOW, AdwApplicationWindow)

SignetComposeWindow *signet_compose_window_new            (GtkApplication      *application,
                                                           SignetSendOperation *operation,
                                                           SignetNetwork       *network,
                                                           const char          *identity);
void                 signet_compose_window_add_attachment (SignetComposeWindow *self,
                                                           GFile               *file);
void                 signet_compose_window_load_message   (SignetComposeWindow *self,
                                                           SignetMessage       *message);
guint                signet_compose_window_get_n_attachments (SignetComposeWindow *self);
gboolean             signet_compose_window_get_modified   (SignetComposeWindow *self);
gboolean             signet_compose_window_get_busy       (SignetComposeWindow *self);
void                 signet_compose_window_request_close_async  (SignetComposeWindow *self,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
gboolean             signet_compose_window_request_close_finish (SignetComposeWindow *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);
gboolean             signet_compose_window_save_for_exit  (SignetComposeWindow *self);
void                 signet_compose_window_set_outbox_origin (SignetComposeWindow *self,
                                                              SignetOutbox        *outbox,
                                                              const char          *id);
void                 signet_compose_window_set_drafts     (SignetComposeWindow *self,
                                                           SignetDrafts        *drafts,
                                                           const char          *name);
const char          *signet_compose_window_get_draft_name (SignetComposeWindow *self);

void                 signet_compose_window_set_sign_by_default (SignetComposeWindow *self,
                                                                gboolean             sign);

G_END_DECLS
