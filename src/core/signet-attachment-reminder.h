#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *signet_attachment_reminder_find (const char *subject,
                                       const char *body);

G_END_DECLS
