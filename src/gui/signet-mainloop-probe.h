#pragma once

#include <glib.h>

G_BEGIN_DECLS

void signet_mainloop_probe_start (void);
void signet_mainloop_probe_stop  (void);

G_END_DECLS
