#pragma once

#include <gio/gio.h>

#include "signet-draft-info.h"
#include "signet-message.h"
#include "signet-send-operation.h"
#include "signet-store.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_DRAFTS (signet_drafts_get_type ())
G_DECLARE_FINAL_TYPE (SignetDrafts, signet_drafts, SIGNET, DRAFTS, GObject)

SignetDrafts *signet_drafts_new              (SignetSendOperation *operation,
                                              SignetStore         *store,
                                              const char          *session_path);

/* A composer's place in Drafts: at most one draft, replaced by each save. */
guint         signet_drafts_open             (SignetDrafts        *self,
                                              const char          *name);
const char   *signet_drafts_get_name         (SignetDrafts        *self,
                                              guint                slot);
guint         signet_drafts_find             (SignetDrafts        *self,
                                              const char          *name);
void          signet_drafts_save_async       (SignetDrafts        *self,
                                              guint                slot,
                                              SignetMessage       *message,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean      signet_drafts_save_finish      (SignetDrafts        *self,
                                              GAsyncResult        *result,
                                              SignetSendReport   **report,
                                              GError             **error);
void          signet_drafts_remove           (SignetDrafts        *self,
                                              guint                slot);
void          signet_drafts_discard_changes  (SignetDrafts        *self,
                                              guint                id);
void          signet_drafts_keep             (SignetDrafts        *self,
                                              guint                id);
void          signet_drafts_close            (SignetDrafts        *self,
                                              guint                slot);

/* Every draft, sealed ones decrypted for the list (off the main thread). */
void          signet_drafts_list_async       (SignetDrafts        *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray    *signet_drafts_list_finish      (SignetDrafts        *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void          signet_drafts_read_async       (SignetDrafts        *self,
                                              const char          *name,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
SignetMessage *signet_drafts_read_finish     (SignetDrafts        *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void          signet_drafts_delete           (SignetDrafts        *self,
                                              const char          *name);

/* After a crash: the drafts that were open in composers. */
void          signet_drafts_recover_async    (SignetDrafts        *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GStrv         signet_drafts_recover_finish   (SignetDrafts        *self,
                                              GAsyncResult        *result,
                                              GError             **error);
GStrv         signet_drafts_take_recovered   (SignetDrafts        *self);
void          signet_drafts_discard_recovered (SignetDrafts       *self);
void          signet_drafts_shutdown         (SignetDrafts        *self);
gboolean      signet_drafts_get_idle         (SignetDrafts        *self);

G_END_DECLS
