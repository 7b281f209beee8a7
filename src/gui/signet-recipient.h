#pragma once

#include <glib-object.h>

#include "signet-address.h"
#include "signet-key-directory.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_RECIPIENT (signet_recipient_get_type ())
G_DECLARE_FINAL_TYPE (SignetRecipient, signet_recipient, SIGNET, RECIPIENT, GObject)

SignetRecipient     *signet_recipient_new             (const SignetAddress *address);
const SignetAddress *signet_recipient_get_address     (SignetRecipient     *self);
gboolean             signet_recipient_get_checked     (SignetRecipient     *self);
SignetKeyStatus      signet_recipient_get_status      (SignetRecipient     *self);
const char          *signet_recipient_get_status_text (SignetRecipient     *self);
void                 signet_recipient_set_status      (SignetRecipient     *self,
                                                       SignetKeyStatus      status,
                                                       const char          *text);
void                 signet_recipient_clear_status    (SignetRecipient     *self);

G_END_DECLS
