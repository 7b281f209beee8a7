#pragma once

#include <glib.h>

#include "signet-send-operation.h"

G_BEGIN_DECLS

char *signet_short_fingerprint         (const char             *fingerprint);
char *signet_report_text_draft_saved   (const SignetSendReport *report);
char *signet_report_text_sent_title    (const SignetSendReport *report);
char *signet_report_text_sent_body     (const SignetSendReport *report);
char *signet_report_text_queued        (const SignetSendReport *report);

G_END_DECLS
