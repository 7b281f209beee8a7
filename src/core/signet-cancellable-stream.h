#pragma once

#include "signet-gmime.h"
#include <gio/gio.h>

G_BEGIN_DECLS

GMimeStream *signet_cancellable_stream_new (int           fd,
                                            GCancellable *cancellable);

G_END_DECLS
