#pragma once

#include <gio/gio.h>

#include "signet-network.h"
#include "signet-sent-folder.h"
#include "signet-store.h"
#include "signet-transport.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_OUTBOX (signet_outbox_get_type ())
G_DECLARE_FINAL_TYPE (SignetOutbox, signet_outbox, SIGNET, OUTBOX, GObject)

SignetOutbox    *signet_outbox_new           (SignetNetwork   *network,
                                              SignetStore     *store,
                                              SignetTransport *transport);
void             signet_outbox_set_transport (SignetOutbox    *self,
                                              SignetTransport *transport);
SignetTransport *signet_outbox_dup_transport (SignetOutbox    *self);
void             signet_outbox_set_sent_folder (SignetOutbox  *self,
                                                SignetSentFolder *sent_folder);
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

/* What the Outbox view shows of one queued send (one batch). */
typedef enum {
  SIGNET_OUTBOX_ITEM_QUEUED,
  SIGNET_OUTBOX_ITEM_SENDING,
  SIGNET_OUTBOX_ITEM_FAILED,
} SignetOutboxItemState;

typedef struct {
  char                  *id;
  SignetOutboxItemState  state;
  gboolean               sealed;
  char                  *subject;         /* NULL for sealed mail: its subject is sealed */
  GStrv                  recipients;      /* every envelope recipient of every copy */
  GStrv                  undelivered;     /* those still waiting for it */
  gint64                 queued;          /* when it entered the Outbox (Unix time) */
  guint64                size;            /* bytes, all copies together */
  char                  *reason;          /* why it failed, or was last deferred; or NULL */
} SignetOutboxItem;

#define SIGNET_TYPE_OUTBOX_ITEM (signet_outbox_item_get_type ())
GType             signet_outbox_item_get_type (void) G_GNUC_CONST;
SignetOutboxItem *signet_outbox_item_copy     (const SignetOutboxItem *item);
void              signet_outbox_item_free     (SignetOutboxItem       *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetOutboxItem, signet_outbox_item_free)

/* The queued, sending and failed sends, oldest first (GPtrArray of
 * SignetOutboxItem). The "changed" signal says when to list again. */
void             signet_outbox_list_async    (SignetOutbox    *self,
                                              GCancellable    *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer         user_data);
GPtrArray       *signet_outbox_list_finish   (SignetOutbox    *self,
                                              GAsyncResult    *result,
                                              GError         **error);

/* Stops sending @id now, if it is being sent; it stays in the Outbox as
 * failed ("Sending was cancelled."), to be retried, edited or deleted.
 * Returns FALSE when @id was not being sent. */
gboolean         signet_outbox_cancel        (SignetOutbox    *self,
                                              const char      *id);

/* A failed send goes back into the queue and is tried at once. */
void             signet_outbox_retry_async   (SignetOutbox    *self,
                                              const char      *id,
                                              GCancellable    *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer         user_data);
gboolean         signet_outbox_retry_finish  (SignetOutbox    *self,
                                              GAsyncResult    *result,
                                              GError         **error);

/* Takes a send out of the queue for editing: it stops being delivered
 * (cancelled if it is being sent) and stays among the failed ones until
 * deleted, so nothing is lost if the editor goes away. Returns the file
 * descriptor of its first copy's message (the To/Cc copy, sealed to the
 * sender too when sealed), to be read and closed by the caller, and
 * (@recipients) every envelope recipient of every copy: Bcc recipients
 * are named nowhere else. */
void             signet_outbox_hold_async    (SignetOutbox    *self,
                                              const char      *id,
                                              GCancellable    *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer         user_data);
int              signet_outbox_hold_finish   (SignetOutbox    *self,
                                              GAsyncResult    *result,
                                              GStrv           *recipients,
                                              GError         **error);

/* Removes a send (stopping it if it is being sent). */
void             signet_outbox_delete_async  (SignetOutbox    *self,
                                              const char      *id,
                                              GCancellable    *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer         user_data);
gboolean         signet_outbox_delete_finish (SignetOutbox    *self,
                                              GAsyncResult    *result,
                                              GError         **error);

G_END_DECLS
