#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void signet_tooltip_set_text (GtkWidget  *widget,
                              const char *text);

G_END_DECLS
