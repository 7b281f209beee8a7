#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"

G_BEGIN_DECLS

/* What the directory said about one address. */
typedef struct {
  char     *email;
  char    **fingerprints;  /* the keys for it the directory has (refreshed or found) */
  char     *origin;        /* the server (or "WKD") that had them, or NULL: none did */
  gboolean  found;         /* the keyring had no usable key for it: these were located and imported */
} SignetDirectoryFind;

#define SIGNET_TYPE_DIRECTORY_FIND (signet_directory_find_get_type ())
GType                signet_directory_find_get_type (void) G_GNUC_CONST;
SignetDirectoryFind *signet_directory_find_copy     (const SignetDirectoryFind *find);
void                 signet_directory_find_free     (SignetDirectoryFind       *find);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetDirectoryFind, signet_directory_find_free)

#define SIGNET_DIRECTORY_WKD "WKD"

gboolean signet_directory_server_url_is_valid (const char *url);

#define SIGNET_TYPE_DIRECTORY_SERVERS (signet_directory_servers_get_type ())
G_DECLARE_FINAL_TYPE (SignetDirectoryServers, signet_directory_servers, SIGNET, DIRECTORY_SERVERS, GObject)

SignetDirectoryServers *signet_directory_servers_new        (SignetKeyDirectory     *directory,
                                                             const char             *homedir);
void                    signet_directory_servers_configure  (SignetDirectoryServers *self,
                                                             const char * const     *servers,
                                                             const char * const     *trusted,
                                                             gboolean                wkd);
void                    signet_directory_servers_set_settings (SignetDirectoryServers *self,
                                                             GSettings              *settings);
void                    signet_directory_servers_set_call_timeout (SignetDirectoryServers *self,
                                                             guint                   seconds);
gboolean                signet_directory_servers_is_configured (SignetDirectoryServers *self);
char                  **signet_directory_servers_dup_servers (SignetDirectoryServers *self);
gboolean                signet_directory_servers_is_trusted (SignetDirectoryServers *self,
                                                             const char             *origin);
char                   *signet_directory_servers_dup_origin (SignetDirectoryServers *self,
                                                             const char             *fingerprint);
void                    signet_directory_servers_forget     (SignetDirectoryServers *self);
GPtrArray              *signet_directory_servers_update_sync (SignetDirectoryServers *self,
                                                             const char * const     *emails,
                                                             GCancellable           *cancellable,
                                                             GError                **error);
void                    signet_directory_servers_update_async (SignetDirectoryServers *self,
                                                             const char * const     *emails,
                                                             GCancellable           *cancellable,
                                                             GAsyncReadyCallback     callback,
                                                             gpointer                user_data);
GPtrArray              *signet_directory_servers_update_finish (SignetDirectoryServers *self,
                                                             GAsyncResult           *result,
                                                             GError                **error);

gboolean                signet_directory_servers_search_sync (SignetDirectoryServers *self,
                                                             const char             *server,
                                                             const char             *text,
                                                             guint                   max,
                                                             GPtrArray              *people,
                                                             GPtrArray              *fingerprints,
                                                             GCancellable           *cancellable,
                                                             GError                **error);
GPtrArray              *signet_directory_servers_lookup_certificates_sync (SignetDirectoryServers *self,
                                                             const char * const     *emails,
                                                             GCancellable           *cancellable,
                                                             GError                **error);

G_END_DECLS
