#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SIGNET_TYPE_SPINNER (signet_spinner_get_type ())
G_DECLARE_FINAL_TYPE (SignetSpinner, signet_spinner, SIGNET, SPINNER, GtkWidget)

/* Shows that something is in progress, like GtkSpinner, by turning the
 * theme's "process-working-symbolic" icon. Only what it draws changes
 * from frame to frame: GTK 4.8's GtkSpinner turns by a CSS animation,
 * which lays out its whole window again in every frame, and on X11 asks
 * the X server where the window is each time. */
GtkWidget *signet_spinner_new          (void);
void       signet_spinner_set_spinning (SignetSpinner *self,
                                        gboolean       spinning);
gboolean   signet_spinner_get_spinning (SignetSpinner *self);
void       signet_spinner_preload      (SignetSpinner *self);

G_END_DECLS
