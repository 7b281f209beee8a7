#pragma once

#include <adwaita.h>

#include "signet-account.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_ACCOUNT_PAGE (signet_account_page_get_type ())
G_DECLARE_FINAL_TYPE (SignetAccountPage, signet_account_page, SIGNET, ACCOUNT_PAGE, AdwPreferencesPage)

SignetAccountPage *signet_account_page_new         (SignetAccount     *account);
void               signet_account_page_set_account (SignetAccountPage *self,
                                                    SignetAccount     *account);
SignetAccount     *signet_account_page_get_account (SignetAccountPage *self);

G_END_DECLS
