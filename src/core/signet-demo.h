#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIGNET_DEMO_IDENTITY "Signet Demo <demo@example.org>"

gboolean signet_demo_ensure_directory (const char   *homedir,
                                       GCancellable *cancellable,
                                       GError      **error);
gboolean signet_gnupg_runs_on          (const char   *homedir,
                                       gboolean      daemons);

G_END_DECLS
