#pragma once

#include "signet-message.h"

G_BEGIN_DECLS

#define SIGNET_MAILTO_MAX_LENGTH (64 * 1024)

SignetMessage *signet_mailto_parse (const char *uri,
                                    GError    **error);

G_END_DECLS
