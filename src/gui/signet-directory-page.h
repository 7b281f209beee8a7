#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SIGNET_TYPE_DIRECTORY_PAGE (signet_directory_page_get_type ())
G_DECLARE_FINAL_TYPE (SignetDirectoryPage, signet_directory_page, SIGNET, DIRECTORY_PAGE, AdwPreferencesPage)

SignetDirectoryPage *signet_directory_page_new          (GSettings           *settings);
void                 signet_directory_page_set_settings (SignetDirectoryPage *self,
                                                         GSettings           *settings);

G_END_DECLS
