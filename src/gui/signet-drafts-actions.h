#pragma once

#include <adwaita.h>

#include "signet-drafts.h"
#include "signet-outbox-actions.h"

G_BEGIN_DECLS

void signet_drafts_actions_install       (GtkApplication        *application,
                                          SignetDrafts          *drafts,
                                          SignetOpenMessageFunc  open_message);
void signet_drafts_actions_offer_recovery (GtkApplication       *application);

G_END_DECLS
