#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"
#include "signet-store.h"

G_BEGIN_DECLS

/* One draft in Drafts, as the list of drafts shows it. */
#define SIGNET_TYPE_DRAFT_INFO (signet_draft_info_get_type ())

typedef struct {
  char      *name;        /* its file name in Drafts */
  char      *subject;     /* NULL when it cannot be read */
  char      *recipients;  /* To, Cc and Bcc, as text */
  GDateTime *date;        /* when it was saved */
  gboolean   sealed;
  gboolean   open;        /* a composer has it */
  char      *problem;     /* why it cannot be read, or NULL */
  gboolean   locked;      /* sealed, and its passphrase was not given */
} SignetDraftInfo;

GType            signet_draft_info_get_type (void) G_GNUC_CONST;
SignetDraftInfo *signet_draft_info_copy     (const SignetDraftInfo *info);
void             signet_draft_info_free     (SignetDraftInfo       *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetDraftInfo, signet_draft_info_free)

GPtrArray       *signet_draft_info_list     (SignetStore           *store,
                                             SignetKeyDirectory    *directory,
                                             GHashTable            *cache,
                                             GMutex                *cache_lock,
                                             gint                  *locked,
                                             GCancellable          *cancellable,
                                             GError               **error);
gboolean         signet_draft_info_valid_name  (const char           *name);
gboolean         signet_draft_info_is_sealed   (SignetStore          *store,
                                                const char           *name);
int              signet_draft_info_open_file   (SignetStore          *store,
                                                const char           *name,
                                                GError              **error);
void             signet_draft_info_remove_file (SignetStore          *store,
                                                const char           *name);

G_END_DECLS
