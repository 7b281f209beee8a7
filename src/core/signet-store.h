#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  SIGNET_FOLDER_DRAFTS,
  SIGNET_FOLDER_OUTBOX,
  SIGNET_FOLDER_SENT,
  SIGNET_FOLDER_INBOX,
} SignetFolder;

#define SIGNET_TYPE_STORE (signet_store_get_type ())
G_DECLARE_FINAL_TYPE (SignetStore, signet_store, SIGNET, STORE, GObject)

SignetStore *signet_store_new         (const char   *root);
const char  *signet_store_get_root    (SignetStore  *self);
char        *signet_store_get_folder_path (SignetStore *self,
                                       SignetFolder  folder);
gboolean     signet_store_ensure      (SignetStore  *self,
                                       GError      **error);
int          signet_store_open_tmp    (SignetStore  *self,
                                       SignetFolder  folder,
                                       char        **tmp_path,
                                       GError      **error);
gboolean     signet_store_commit      (SignetStore  *self,
                                       SignetFolder  folder,
                                       const char   *tmp_path,
                                       int           fd,
                                       char        **final_path,
                                       GError      **error);
void         signet_store_discard     (const char   *tmp_path);
GPtrArray   *signet_store_list        (SignetStore  *self,
                                       SignetFolder  folder,
                                       GError      **error);
char        *signet_store_move        (SignetStore  *self,
                                       const char   *path,
                                       SignetFolder  to,
                                       GError      **error);

G_END_DECLS
