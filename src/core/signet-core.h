#pragma once

#include <glib.h>

G_BEGIN_DECLS

void signet_core_init (void);

G_END_DECLS
