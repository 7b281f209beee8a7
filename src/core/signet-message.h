#pragma once

#include <gio/gio.h>

#include "signet-address.h"
#include "signet-attachment.h"

G_BEGIN_DECLS

typedef enum {
  SIGNET_RECIPIENT_TO,
  SIGNET_RECIPIENT_CC,
  SIGNET_RECIPIENT_BCC,
} SignetRecipientKind;

#define SIGNET_N_RECIPIENT_KINDS 3

#define SIGNET_TYPE_MESSAGE (signet_message_get_type ())
G_DECLARE_FINAL_TYPE (SignetMessage, signet_message, SIGNET, MESSAGE, GObject)

SignetMessage       *signet_message_new             (void);

const SignetAddress *signet_message_get_from        (SignetMessage *self);
void                 signet_message_set_from        (SignetMessage *self,
                                                     const SignetAddress *from);
guint                signet_message_get_n_recipients (SignetMessage      *self,
                                                     SignetRecipientKind kind);
const SignetAddress *signet_message_get_recipient   (SignetMessage      *self,
                                                     SignetRecipientKind kind,
                                                     guint               index);
GPtrArray           *signet_message_dup_recipients  (SignetMessage      *self,
                                                     SignetRecipientKind kind);
void                 signet_message_add_recipient   (SignetMessage      *self,
                                                     SignetRecipientKind kind,
                                                     const SignetAddress *address);
void                 signet_message_add_to          (SignetMessage *self,
                                                     const SignetAddress *address);
void                 signet_message_add_cc          (SignetMessage *self,
                                                     const SignetAddress *address);
void                 signet_message_add_bcc         (SignetMessage *self,
                                                     const SignetAddress *address);
const char          *signet_message_get_subject     (SignetMessage *self);
void                 signet_message_set_subject     (SignetMessage *self,
                                                     const char    *subject);
const char          *signet_message_get_body        (SignetMessage *self);
void                 signet_message_set_body        (SignetMessage *self,
                                                     const char    *body);
GListModel          *signet_message_get_attachments (SignetMessage *self);
void                 signet_message_add_attachment  (SignetMessage    *self,
                                                     SignetAttachment *attachment);
gboolean             signet_message_get_seal        (SignetMessage *self);
void                 signet_message_set_seal        (SignetMessage *self,
                                                     gboolean       seal);
const char          *signet_message_get_draft_name  (SignetMessage *self);
void                 signet_message_set_draft_name  (SignetMessage *self,
                                                     const char    *name);
gboolean             signet_message_get_sign        (SignetMessage *self);
void                 signet_message_set_sign        (SignetMessage *self,
                                                     gboolean       sign);
GPtrArray           *signet_message_dup_all_recipients (SignetMessage *self);
gboolean             signet_message_validate        (SignetMessage *self,
                                                     gboolean       need_recipients,
                                                     GError       **error);

G_END_DECLS
