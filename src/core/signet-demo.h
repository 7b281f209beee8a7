#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIGNET_DEMO_IDENTITY "Signet Demo <demo@example.org>"

gboolean signet_demo_ensure_directory (const char   *homedir,
                                       GCancellable *cancellable,
                                       GError      **error);

G_END_DECLS
