#pragma once

#include <gio/gio.h>
#include <curl/curl.h>

G_BEGIN_DECLS

/* Asked, in the worker thread that connects, for the password each time a
 * connection needs one (@source is the transport or folder asking). Returns
 * a new string that the caller wipes and frees after use
 * (signet_curl_password_free()), or NULL and sets @error. */
typedef char *(*SignetPasswordFunc) (GObject       *source,
                                     GCancellable  *cancellable,
                                     GError       **error,
                                     gpointer       user_data);

void      signet_curl_password_free          (char         *password);

G_END_DECLS
