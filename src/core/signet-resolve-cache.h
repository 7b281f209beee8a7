#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Remembered resolutions of recipient lists (SignetKeyResult arrays), good
 * for as long as nothing they depend on has changed. */
typedef struct _SignetResolveCache SignetResolveCache;

SignetResolveCache *signet_resolve_cache_new        (const char          *homedir);
void                signet_resolve_cache_free       (SignetResolveCache  *cache);
void                signet_resolve_cache_invalidate (SignetResolveCache  *cache);
char               *signet_resolve_cache_begin      (SignetResolveCache  *cache,
                                                     guint               *generation);
GPtrArray          *signet_resolve_cache_lookup     (SignetResolveCache  *cache,
                                                     const char * const  *emails,
                                                     const char          *stamp,
                                                     guint                generation);
void                signet_resolve_cache_store      (SignetResolveCache  *cache,
                                                     const char * const  *emails,
                                                     const char          *stamp,
                                                     guint                generation,
                                                     gint64               valid_until,
                                                     GPtrArray           *results);

GPtrArray          *signet_resolve_cache_lookup_own  (SignetResolveCache  *cache,
                                                     const char          *email,
                                                     const char          *stamp,
                                                     guint                generation);
void                signet_resolve_cache_store_own   (SignetResolveCache  *cache,
                                                     const char          *email,
                                                     const char          *stamp,
                                                     guint                generation,
                                                     gint64               valid_until,
                                                     GPtrArray           *own_keys);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetResolveCache, signet_resolve_cache_free)

G_END_DECLS
