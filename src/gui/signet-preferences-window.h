#pragma once

#include <adwaita.h>

#include "signet-account.h"
#include "signet-key-directory.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_PREFERENCES_WINDOW (signet_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (SignetPreferencesWindow, signet_preferences_window, SIGNET, PREFERENCES_WINDOW, AdwPreferencesWindow)

SignetPreferencesWindow *signet_preferences_window_new (GtkWindow          *parent,
                                                        GSettings          *settings,
                                                        SignetKeyDirectory *directory,
                                                        const char         *identity);
SignetPreferencesWindow *signet_preferences_window_new_for_account (GtkWindow          *parent,
                                                                    SignetAccount      *account,
                                                                    SignetKeyDirectory *directory,
                                                                    const char         *identity);

G_END_DECLS
