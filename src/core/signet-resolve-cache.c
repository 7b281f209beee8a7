#define G_LOG_DOMAIN "signet-resolve-cache"

#include "signet-resolve-cache.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "signet-key-directory.h"

/* Resolving the same recipients again, with nothing changed, answers from
 * memory instead of running gpg. What the answer depends on, and how a
 * change of it is seen:
 *
 * - the keyring and GnuPG's trust in its keys: the files that hold them
 *   (their identity, size and times: GnuPG replaces a keybox by renaming a
 *   new one into place, which changes its inode), and gpg.conf, which can
 *   name trusted keys or another trust model; whatever imports or refreshes
 *   keys from a directory changes these files;
 * - the keys accepted and chosen in Signet: those calls invalidate the
 *   cache (a new generation, so a lookup that ran meanwhile is not kept);
 * - time: a key's expiry changes the answer at that moment, so an answer
 *   is kept only until the first expiry among the keys listed; and GnuPG
 *   rechecks its trust database from time to time (signatures expire),
 *   which it only does when asked, so no answer is kept longer than
 *   MAX_AGE.
 *
 * One's own key pairs for an address are kept the same way, under the
 * address exactly as asked for (gpg is asked for exactly that), and also
 * depend on the secret keys: the names in private-keys-v1.d. */

#define MAX_AGE_USEC (60 * G_USEC_PER_SEC)
#define MAX_ENTRIES 16

static const char * const state_files[] = {
  "pubring.kbx", "pubring.gpg", "trustdb.gpg", "tofu.db", "gpg.conf", "common.conf", "private-keys-v1.d",
  /* The keyring of keyboxd (GnuPG 2.4 with use-keyboxd). */
  "public-keys.d/pubring.db",
};

typedef struct {
  char      *stamp;
  guint      generation;
  gint64     valid_until;  /* real time, µs */
  gint64     stored;       /* monotonic time, µs */
  GPtrArray *results;
} Entry;

struct _SignetResolveCache
{
  GMutex      lock;
  char       *homedir;
  guint       generation;
  GHashTable *entries;    /* emails joined by '\n' → Entry */
  GHashTable *own;        /* an address → Entry of SignetOwnKey */
};

static void
entry_free (Entry *entry)
{
  g_free (entry->stamp);
  g_ptr_array_unref (entry->results);
  g_free (entry);
}

/* @homedir: the GnuPG home, or NULL for the user's own. */
SignetResolveCache *
signet_resolve_cache_new (const char *homedir)
{
  SignetResolveCache *cache = g_new0 (SignetResolveCache, 1);
  const char *env = g_getenv ("GNUPGHOME");

  g_mutex_init (&cache->lock);
  if (homedir != NULL)
    cache->homedir = g_strdup (homedir);
  else if (env != NULL && *env != '\0')
    cache->homedir = g_strdup (env);
  else
    cache->homedir = g_build_filename (g_get_home_dir (), ".gnupg", NULL);
  cache->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
  cache->own = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
  return cache;
}

void
signet_resolve_cache_free (SignetResolveCache *cache)
{
  g_hash_table_unref (cache->entries);
  g_hash_table_unref (cache->own);
  g_free (cache->homedir);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

/* Something Signet itself keeps (acceptance, choices) changed. */
void
signet_resolve_cache_invalidate (SignetResolveCache *cache)
{
  g_mutex_lock (&cache->lock);
  cache->generation++;
  g_hash_table_remove_all (cache->entries);
  g_hash_table_remove_all (cache->own);
  g_mutex_unlock (&cache->lock);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* A digest of the names in the directory @path. */
static void
append_names (GString *stamp, const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GChecksum) digest = g_checksum_new (G_CHECKSUM_SHA256);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    g_checksum_update (digest, (const guchar *) g_ptr_array_index (names, i),
                       strlen (g_ptr_array_index (names, i)) + 1);
  g_string_append_printf (stamp, ":%s", g_checksum_get_string (digest));
}

/* The state of the GnuPG home now, and in @generation Signet's own: taken
 * before a lookup, so that a change while it runs makes its answer stale. */
char *
signet_resolve_cache_begin (SignetResolveCache *cache,
                            guint              *generation)
{
  GString *stamp = g_string_new (NULL);

  g_mutex_lock (&cache->lock);
  *generation = cache->generation;
  g_mutex_unlock (&cache->lock);
  for (guint i = 0; i < G_N_ELEMENTS (state_files); i++)
    {
      g_autofree char *path = g_build_filename (cache->homedir, state_files[i], NULL);
      struct stat st;

      if (stat (path, &st) != 0)
        {
          g_string_append_printf (stamp, "%s:-%d;", state_files[i], errno);
          continue;
        }
      g_string_append_printf (stamp, "%s:%ju:%ju:%jd:%jd.%ld", state_files[i],
                              (uintmax_t) st.st_dev, (uintmax_t) st.st_ino, (intmax_t) st.st_size,
                              (intmax_t) st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
      /* gpg-agent sets the mode of its key directory each time it starts,
       * which changes the directory's ctime only: a directory counts by
       * its mtime and the names in it (an mtime can be set back). */
      if (S_ISDIR (st.st_mode))
        append_names (stamp, path);
      else
        g_string_append_printf (stamp, ":%jd.%ld", (intmax_t) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
      g_string_append_c (stamp, ';');
    }
  return g_string_free (stamp, FALSE);
}

static char *
key_of (const char * const *emails)
{
  for (guint i = 0; emails[i] != NULL; i++)
    if (strchr (emails[i], '\n') != NULL)
      return NULL;
  return g_strjoinv ("\n", (char **) emails);
}

static gpointer
copy_result (gconstpointer result, gpointer unused)
{
  return signet_key_result_copy (result);
}

static gpointer
copy_own_key (gconstpointer key, gpointer unused)
{
  return signet_own_key_copy (key);
}

/* A copy (by @copy) of the entry for @key in @table kept under the same
 * @stamp and @generation, or NULL. */
static GPtrArray *
lookup_in (SignetResolveCache *cache,
           GHashTable         *table,
           const char         *key,
           const char         *stamp,
           guint               generation,
           GCopyFunc           copy)
{
  GPtrArray *results = NULL;
  Entry *entry;

  g_mutex_lock (&cache->lock);
  entry = g_hash_table_lookup (table, key);
  if (entry != NULL && (entry->generation != generation || cache->generation != generation ||
                        strcmp (entry->stamp, stamp) != 0 || g_get_real_time () >= entry->valid_until ||
                        g_get_monotonic_time () - entry->stored >= MAX_AGE_USEC))
    {
      g_hash_table_remove (table, key);
      entry = NULL;
    }
  if (entry != NULL)
    results = g_ptr_array_copy (entry->results, copy, NULL);
  g_mutex_unlock (&cache->lock);
  return results;
}

/* Keeps a copy (by @copy) of @results in @table under @key (taken), unless
 * the home or Signet's generation changed since @stamp was taken: gpg itself
 * may have updated its trust database while listing. */
static void
store_in (SignetResolveCache *cache,
          GHashTable         *table,
          char               *key,
          const char         *stamp,
          guint               generation,
          gint64              valid_until,
          GPtrArray          *results,
          GCopyFunc           copy)
{
  guint generation_now;
  g_autofree char *now = signet_resolve_cache_begin (cache, &generation_now);
  Entry *entry;

  if (strcmp (now, stamp) != 0)
    {
      g_free (key);
      return;
    }
  entry = g_new0 (Entry, 1);
  entry->stamp = g_strdup (stamp);
  entry->generation = generation;
  entry->valid_until = valid_until;
  entry->stored = g_get_monotonic_time ();
  entry->results = g_ptr_array_copy (results, copy, NULL);
  g_mutex_lock (&cache->lock);
  if (generation != cache->generation)
    {
      g_mutex_unlock (&cache->lock);
      g_free (key);
      entry_free (entry);
      return;
    }
  if (g_hash_table_size (table) >= MAX_ENTRIES)
    g_hash_table_remove_all (table);
  g_hash_table_replace (table, key, entry);
  g_mutex_unlock (&cache->lock);
}

/* A copy of the answer for @emails kept under the same @stamp and
 * @generation, or NULL. */
GPtrArray *
signet_resolve_cache_lookup (SignetResolveCache *cache,
                             const char * const *emails,
                             const char         *stamp,
                             guint               generation)
{
  g_autofree char *key = key_of (emails);

  if (key == NULL)
    return NULL;
  return lookup_in (cache, cache->entries, key, stamp, generation, copy_result);
}

/* Keeps @results for @emails, taken when the home was in @stamp and Signet
 * in @generation (signet_resolve_cache_begin()), if both are so still,
 * until @valid_until (real time in µs, G_MAXINT64: no expiry among the
 * keys). */
void
signet_resolve_cache_store (SignetResolveCache *cache,
                            const char * const *emails,
                            const char         *stamp,
                            guint               generation,
                            gint64              valid_until,
                            GPtrArray          *results)
{
  char *key = key_of (emails);

  if (key != NULL)
    store_in (cache, cache->entries, key, stamp, generation, valid_until, results, copy_result);
}

/* One's own key pairs for @email (SignetOwnKey), as for recipients. */
GPtrArray *
signet_resolve_cache_lookup_own (SignetResolveCache *cache,
                                 const char         *email,
                                 const char         *stamp,
                                 guint               generation)
{
  return lookup_in (cache, cache->own, email, stamp, generation, copy_own_key);
}

void
signet_resolve_cache_store_own (SignetResolveCache *cache,
                                const char         *email,
                                const char         *stamp,
                                guint               generation,
                                gint64              valid_until,
                                GPtrArray          *own_keys)
{
  store_in (cache, cache->own, g_strdup (email), stamp, generation, valid_until, own_keys, copy_own_key);
}
