#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void signet_button_set_mnemonic_label (GtkButton  *button,
                                       const char *label);
void signet_button_label_name_all (GtkWidget *root);
void signet_button_label_name_all_when_mapped (GtkWidget *root);
char *signet_mnemonic_escape (const char *text);

G_END_DECLS
