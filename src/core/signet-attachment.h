#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIGNET_TYPE_ATTACHMENT (signet_attachment_get_type ())
G_DECLARE_FINAL_TYPE (SignetAttachment, signet_attachment, SIGNET, ATTACHMENT, GObject)

SignetAttachment *signet_attachment_new              (GFile            *file,
                                                      const char       *name,
                                                      const char       *content_type,
                                                      goffset           size);
SignetAttachment *signet_attachment_new_for_fd       (int               fd,
                                                      const char       *name,
                                                      const char       *content_type);
GFile            *signet_attachment_get_file         (SignetAttachment *self);
const char       *signet_attachment_get_name         (SignetAttachment *self);
const char       *signet_attachment_get_content_type (SignetAttachment *self);
goffset           signet_attachment_get_size         (SignetAttachment *self);
int               signet_attachment_open             (SignetAttachment *self,
                                                      GError          **error);
char             *signet_attachment_clean_name       (const char       *name);

G_END_DECLS
