#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SIGNET_RESPONSE_SAVE_DRAFT "save-draft"
#define SIGNET_RESPONSE_CLOSE "close"
#define SIGNET_RESPONSE_CANCEL "cancel"
#define SIGNET_RESPONSE_DISCARD "discard"
#define SIGNET_RESPONSE_TRUST "trust"
#define SIGNET_RESPONSE_ATTACH "attach"
#define SIGNET_RESPONSE_ACCEPT "accept"
#define SIGNET_RESPONSE_SEND "send"

AdwMessageDialog *signet_dialogs_offline            (GtkWindow  *parent);
AdwMessageDialog *signet_dialogs_directory_unreachable (GtkWindow  *parent,
                                                        const char *reason);
AdwMessageDialog *signet_dialogs_recipient_problems (GtkWindow  *parent,
                                                     GPtrArray  *key_results);
AdwMessageDialog *signet_dialogs_error              (GtkWindow  *parent,
                                                     const char *heading,
                                                     const char *body);

AdwMessageDialog *signet_dialogs_save_changes       (GtkWindow  *parent,
                                                     const char *subject);

AdwMessageDialog *signet_dialogs_accept_key        (GtkWindow  *parent,
                                                     const char *email,
                                                     const char *user_id,
                                                     const char *grouped_fingerprint,
                                                     const char *origin);
AdwMessageDialog *signet_dialogs_attachment_reminder (GtkWindow  *parent,
                                                      const char *word);

AdwMessageDialog *signet_dialogs_untrusted_certificate (GtkWindow  *parent,
                                                        const char *host,
                                                        guint       port,
                                                        const char *fingerprint);

G_END_DECLS
