#pragma once

#include <glib.h>

G_BEGIN_DECLS

void signet_thread_priority_lower (void);
int  signet_thread_priority_get_nice (void);

G_END_DECLS
