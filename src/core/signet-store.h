#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  SIGNET_FOLDER_DRAFTS,
  SIGNET_FOLDER_OUTBOX,
  SIGNET_FOLDER_SENT,
  SIGNET_FOLDER_INBOX,
  SIGNET_FOLDER_OUTBOX_FAILED,
  SIGNET_FOLDER_SENT_UPLOADS,   /* Sent copies waiting to be stored on the account's server */
} SignetFolder;

#define SIGNET_TYPE_STORE (signet_store_get_type ())
G_DECLARE_FINAL_TYPE (SignetStore, signet_store, SIGNET, STORE, GObject)

SignetStore *signet_store_new             (const char   *root);
char        *signet_store_get_folder_path (SignetStore  *self,
                                           SignetFolder  folder);
gboolean     signet_store_ensure          (SignetStore  *self,
                                           GError      **error);
int          signet_store_open_folder     (SignetStore  *self,
                                           SignetFolder  folder,
                                           const char   *subdir,
                                           GError      **error);

/* One message file in a Maildir folder (Drafts, Sent, Inbox). */
int          signet_store_open_tmp        (SignetStore  *self,
                                           SignetFolder  folder,
                                           char        **name,
                                           GError      **error);
gboolean     signet_store_commit          (SignetStore  *self,
                                           SignetFolder  folder,
                                           const char   *name,
                                           int           fd,
                                           GError      **error);
void         signet_store_discard         (SignetStore  *self,
                                           SignetFolder  folder,
                                           const char   *name);
gboolean     signet_store_add_once        (SignetStore  *self,
                                           SignetFolder  folder,
                                           const char   *name,
                                           int           source_fd,
                                           gboolean     *added,
                                           GError      **error);
gboolean     signet_store_link_into       (SignetStore  *self,
                                           int           from_dir_fd,
                                           const char   *from_name,
                                           SignetFolder  folder,
                                           const char   *name,
                                           GError      **error);
gboolean     signet_store_move_into       (SignetStore  *self,
                                           int           from_dir_fd,
                                           const char   *from_name,
                                           SignetFolder  folder,
                                           const char   *name,
                                           GError      **error);
GPtrArray   *signet_store_list            (SignetStore  *self,
                                           SignetFolder  folder,
                                           GError      **error);
GPtrArray   *signet_store_list_files      (int           dir_fd,
                                           GError      **error);
void         signet_store_clean_tmp       (SignetStore  *self);

/* A set of files that enters the Outbox together, or not at all. */
typedef struct _SignetStoreBatch SignetStoreBatch;

SignetStoreBatch *signet_store_batch_new        (SignetStore      *self,
                                                 GError          **error);
const char       *signet_store_batch_get_id     (SignetStoreBatch *batch);
int               signet_store_batch_create     (SignetStoreBatch *batch,
                                                 const char       *name,
                                                 GError          **error);
gboolean          signet_store_batch_finish_file (SignetStoreBatch *batch,
                                                 int               fd,
                                                 GError          **error);
gboolean          signet_store_batch_commit     (SignetStoreBatch *batch,
                                                 GError          **error);
void              signet_store_batch_free       (SignetStoreBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetStoreBatch, signet_store_batch_free)

GPtrArray   *signet_store_list_batches    (SignetStore  *self,
                                           SignetFolder  folder,
                                           GError      **error);
int          signet_store_open_batch      (SignetStore  *self,
                                           const char   *id,
                                           GError      **error);
gboolean     signet_store_fail_batch      (SignetStore  *self,
                                           const char   *id,
                                           GError      **error);
void         signet_store_remove_batch    (SignetStore  *self,
                                           const char   *id);
int          signet_store_open_batch_in   (SignetStore  *self,
                                           SignetFolder  folder,
                                           const char   *id,
                                           GError      **error);
gboolean     signet_store_move_batch      (SignetStore  *self,
                                           const char   *id,
                                           SignetFolder  from,
                                           SignetFolder  to,
                                           GError      **error);
gboolean     signet_store_remove_batch_from (SignetStore  *self,
                                           SignetFolder  folder,
                                           const char   *id);

gboolean     signet_store_write_all       (int           fd,
                                           const char   *data,
                                           gsize         len,
                                           GError      **error);

G_END_DECLS
