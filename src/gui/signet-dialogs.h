#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SIGNET_RESPONSE_SAVE_DRAFT "save-draft"
#define SIGNET_RESPONSE_CLOSE "close"

AdwMessageDialog *signet_dialogs_offline            (GtkWindow  *parent);
AdwMessageDialog *signet_dialogs_recipient_problems (GtkWindow  *parent,
                                                     GPtrArray  *key_results);
AdwMessageDialog *signet_dialogs_error              (GtkWindow  *parent,
                                                     const char *heading,
                                                     const char *body);

G_END_DECLS
