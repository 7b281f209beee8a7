#pragma once

#include <adwaita.h>

#include "signet-drafts.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_DRAFTS_WINDOW (signet_drafts_window_get_type ())
G_DECLARE_FINAL_TYPE (SignetDraftsWindow, signet_drafts_window, SIGNET, DRAFTS_WINDOW, AdwWindow)

SignetDraftsWindow *signet_drafts_window_new      (GtkApplication     *application,
                                                   SignetDrafts       *drafts);
guint               signet_drafts_window_get_n_rows (SignetDraftsWindow *self);
gboolean            signet_drafts_window_get_loading (SignetDraftsWindow *self);

G_END_DECLS
