#pragma once

#include <gio/gio.h>

#include "signet-directory-servers.h"
#include "signet-key-directory.h"
#include "signet-message.h"
#include "signet-outbox.h"
#include "signet-store.h"

G_BEGIN_DECLS

/* What a send or a draft really did, for the words the user is shown. */
#define SIGNET_TYPE_SEND_REPORT (signet_send_report_get_type ())

typedef struct {
  gboolean  sealed;
  char     *own_fingerprint;  /* the own key sealed to, when sealed */
  guint     n_recipients;     /* distinct recipients */
  guint     n_copies;         /* message files written */
  gboolean  delivered;        /* every copy has left the Outbox */
  GStrv     undelivered;      /* who has not received a copy yet (queued or failed); never NULL */
  gboolean  failed;           /* some copy was moved to the failed folder */
  char     *batch_id;         /* the send in the Outbox (see SignetOutbox's signals) */
  gboolean  offline;          /* queued offline: it leaves when the network is back */
  char     *draft_name;       /* a draft: its file name in Drafts */
  gboolean  smime;            /* sealed (or signed) with S/MIME, not OpenPGP */
} SignetSendReport;

GType             signet_send_report_get_type (void) G_GNUC_CONST;
SignetSendReport *signet_send_report_copy     (const SignetSendReport *report);
void              signet_send_report_free     (SignetSendReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetSendReport, signet_send_report_free)

#define SIGNET_TYPE_SEND_OPERATION (signet_send_operation_get_type ())
G_DECLARE_FINAL_TYPE (SignetSendOperation, signet_send_operation, SIGNET, SEND_OPERATION, GObject)

SignetSendOperation *signet_send_operation_new          (SignetKeyDirectory  *directory,
                                                         SignetStore         *store,
                                                         SignetOutbox        *outbox);
SignetKeyDirectory  *signet_send_operation_get_directory (SignetSendOperation *self);
void                 signet_send_operation_set_directory_servers (SignetSendOperation    *self,
                                                                  SignetDirectoryServers *servers);
SignetDirectoryServers *signet_send_operation_get_directory_servers (SignetSendOperation *self);

void      signet_send_operation_send_async         (SignetSendOperation *self,
                                                    SignetMessage       *message,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean  signet_send_operation_send_finish        (SignetSendOperation *self,
                                                    GAsyncResult        *result,
                                                    SignetSendReport   **report,
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
gboolean   signet_send_operation_check_names_smime  (SignetSendOperation *self,
                                                     GAsyncResult        *result);
void      signet_send_operation_save_draft_async   (SignetSendOperation *self,
                                                    SignetMessage       *message,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean  signet_send_operation_save_draft_finish  (SignetSendOperation *self,
                                                    GAsyncResult        *result,
                                                    SignetSendReport   **report,
                                                    GError             **error);

G_END_DECLS
