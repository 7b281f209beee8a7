#pragma once

#include <gtk/gtk.h>

#include "signet-recipient.h"

G_BEGIN_DECLS

/* One recipient's pill: its name, its key status (icon, words in the
 * tooltip and the accessible description), a remove button and, while
 * several keys match its address, a button to choose one. */
GtkWidget       *signet_recipient_pill_new           (SignetRecipient *recipient);
SignetRecipient *signet_recipient_pill_get_recipient (GtkWidget       *pill);
GtkWidget       *signet_recipient_pill_get_remove    (GtkWidget       *pill);
GtkWidget       *signet_recipient_pill_get_choose    (GtkWidget       *pill);

G_END_DECLS
