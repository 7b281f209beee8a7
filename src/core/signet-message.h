#pragma once

#include <gio/gio.h>

#include "signet-address.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_ATTACHMENT (signet_attachment_get_type ())

typedef struct {
  GFile   *file;
  char    *name;
  char    *content_type;
  goffset  size;
} SignetAttachment;

GType             signet_attachment_get_type (void) G_GNUC_CONST;
SignetAttachment *signet_attachment_new      (GFile      *file,
                                              const char *name,
                                              const char *content_type,
                                              goffset     size);
SignetAttachment *signet_attachment_copy     (const SignetAttachment *attachment);
void              signet_attachment_free     (SignetAttachment *attachment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetAttachment, signet_attachment_free)

#define SIGNET_TYPE_MESSAGE (signet_message_get_type ())
G_DECLARE_FINAL_TYPE (SignetMessage, signet_message, SIGNET, MESSAGE, GObject)

SignetMessage       *signet_message_new             (void);

const SignetAddress *signet_message_get_from        (SignetMessage *self);
void                 signet_message_set_from        (SignetMessage *self,
                                                     const SignetAddress *from);
GPtrArray           *signet_message_get_to          (SignetMessage *self);
GPtrArray           *signet_message_get_cc          (SignetMessage *self);
GPtrArray           *signet_message_get_bcc         (SignetMessage *self);
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
GPtrArray           *signet_message_get_attachments (SignetMessage *self);
void                 signet_message_add_attachment  (SignetMessage *self,
                                                     const SignetAttachment *attachment);
gboolean             signet_message_get_seal        (SignetMessage *self);
void                 signet_message_set_seal        (SignetMessage *self,
                                                     gboolean       seal);
GPtrArray           *signet_message_dup_all_recipients (SignetMessage *self);
gboolean             signet_message_validate        (SignetMessage *self,
                                                     gboolean       need_recipients,
                                                     GError       **error);

G_END_DECLS
