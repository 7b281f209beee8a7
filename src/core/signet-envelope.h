#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Who a queued copy is for, kept beside the message (never in its headers),
 * one addr-spec per line, raw UTF-8: it reads back exactly as written. */

#define SIGNET_ENVELOPE_MESSAGE_SUFFIX ".eml"
#define SIGNET_ENVELOPE_RECIPIENTS_SUFFIX ".rcpt"
#define SIGNET_ENVELOPE_DELIVERED_SUFFIX ".done"

char     *signet_envelope_format  (const char * const *recipients,
                                   GError            **error);
GStrv     signet_envelope_read    (int                 dir_fd,
                                   const char         *name,
                                   gboolean            must_exist,
                                   GError            **error);
gboolean  signet_envelope_append  (int                 fd,
                                   const char         *recipient,
                                   GError            **error);

G_END_DECLS
