#pragma once

#include <gtk/gtk.h>

#include "signet-address.h"
#include "signet-key-directory.h"
#include "signet-recipient.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_RECIPIENT_FIELD (signet_recipient_field_get_type ())
G_DECLARE_FINAL_TYPE (SignetRecipientField, signet_recipient_field, SIGNET, RECIPIENT_FIELD, GtkWidget)

GtkWidget  *signet_recipient_field_new            (void);
GListModel *signet_recipient_field_get_model      (SignetRecipientField *self);
void        signet_recipient_field_set_addresses  (SignetRecipientField *self,
                                                   GPtrArray            *addresses);
GPtrArray  *signet_recipient_field_dup_addresses  (SignetRecipientField *self,
                                                   gboolean              include_pending,
                                                   GError              **error);
char       *signet_recipient_field_dup_text       (SignetRecipientField *self);
gboolean    signet_recipient_field_commit         (SignetRecipientField *self);
const char *signet_recipient_field_get_error_text (SignetRecipientField *self);
void        signet_recipient_field_set_status     (SignetRecipientField *self,
                                                   const char           *email,
                                                   SignetKeyStatus       status,
                                                   const char           *text);
void        signet_recipient_field_show_key_results (SignetRecipientField *self,
                                                     GPtrArray            *key_results);
void        signet_recipient_field_clear_status   (SignetRecipientField *self);
void        signet_recipient_field_set_message    (SignetRecipientField *self,
                                                   const char           *text);
void        signet_recipient_field_set_completion (SignetRecipientField *self,
                                                   GPtrArray            *providers);

void                  signet_recipient_field_set_completion_note (SignetRecipientField *self,
                                                                  const char           *note);

G_END_DECLS
