#pragma once

#include <adwaita.h>

#include "signet-account.h"
#include "signet-delivery.h"
#include "signet-key-directory.h"
#include "signet-message.h"
#include "signet-outbox.h"

G_BEGIN_DECLS

/* Opens a composer on @message (for Edit in the Outbox view). */
typedef GtkWindow *(*SignetOpenMessageFunc) (GtkApplication *application,
                                             SignetMessage  *message);

void signet_outbox_actions_install (GtkApplication        *application,
                                    SignetOutbox          *outbox,
                                    SignetDelivery        *delivery,
                                    SignetAccount         *account,
                                    SignetKeyDirectory    *directory,
                                    SignetOpenMessageFunc  open_message);

G_END_DECLS
