#pragma once

#include <adwaita.h>

#include "signet-outbox.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_OUTBOX_WINDOW (signet_outbox_window_get_type ())
G_DECLARE_FINAL_TYPE (SignetOutboxWindow, signet_outbox_window, SIGNET, OUTBOX_WINDOW, AdwWindow)

GtkWidget *signet_outbox_window_new (GtkApplication *application,
                                     SignetOutbox   *outbox);

G_END_DECLS
