#pragma once

#include <gtk/gtk.h>

#include "signet-compose-window.h"

G_BEGIN_DECLS

void signet_attachment_drop_attach (SignetComposeWindow *window,
                                    GtkTextView         *body);

G_END_DECLS
