#define G_LOG_DOMAIN "signet-drafts"

#include "config.h"

#include "signet-draft-info.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-message-reader.h"

/* One draft as the list of drafts shows it, read from its file: a sealed
 * one is decrypted (with the keyring's own secret key) to be described,
 * and what it says is kept in memory only. */

G_DEFINE_BOXED_TYPE (SignetDraftInfo, signet_draft_info, signet_draft_info_copy, signet_draft_info_free)

SignetDraftInfo *
signet_draft_info_copy (const SignetDraftInfo *info)
{
  SignetDraftInfo *copy = g_memdup2 (info, sizeof *info);

  copy->name = g_strdup (info->name);
  copy->subject = g_strdup (info->subject);
  copy->recipients = g_strdup (info->recipients);
  copy->date = info->date ? g_date_time_ref (info->date) : NULL;
  copy->problem = g_strdup (info->problem);
  return copy;
}

void
signet_draft_info_free (SignetDraftInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->subject);
  g_free (info->recipients);
  g_clear_pointer (&info->date, g_date_time_unref);
  g_free (info->problem);
  g_free (info);
}

static char *
recipients_text (SignetMessage *message)
{
  g_autoptr(GPtrArray) all = signet_message_dup_all_recipients (message);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < all->len; i++)
    {
      const SignetAddress *address = g_ptr_array_index (all, i);

      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, address->name != NULL ? address->name : address->email);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Whether the file at @fd looks sealed, from its first bytes (it is not
 * decrypted to tell). */
static gboolean
looks_sealed (int fd)
{
  char head[8192];
  ssize_t n = pread (fd, head, sizeof head - 1, 0);

  if (n <= 0)
    return FALSE;
  head[n] = '\0';
  return g_strstr_len (head, n, "multipart/encrypted") != NULL || g_strstr_len (head, n, "BEGIN PGP MESSAGE") != NULL;
}

/* Whether draft @name looks sealed (read from its first bytes). */
gboolean
signet_draft_info_is_sealed (SignetStore *store, const char *name)
{
  int fd = signet_draft_info_open_file (store, name, NULL);
  gboolean sealed;

  if (fd < 0)
    return FALSE;
  sealed = looks_sealed (fd);
  close (fd);
  return sealed;
}

static SignetDraftInfo *
read_info (SignetKeyDirectory *directory, const char *path, gint *locked, GCancellable *cancellable)
{
  SignetDraftInfo *info = g_new0 (SignetDraftInfo, 1);
  g_autoptr(SignetMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

  info->name = g_path_get_basename (path);
  if (fd < 0)
    {
      info->problem = g_strdup (g_strerror (errno));
      return info;
    }
  if (fstat (fd, &st) == 0)
    info->date = g_date_time_new_from_unix_local (st.st_mtime);
  /* The passphrase was refused for the list before: sealed drafts stay
   * closed until one is opened, rather than asking at every change. */
  if (locked != NULL && g_atomic_int_get (locked) && looks_sealed (fd))
    {
      close (fd);
      info->sealed = TRUE;
      info->problem = g_strdup (_("Sealed; the passphrase of your key was not given. Open it to read it."));
      info->locked = TRUE;
      return info;
    }
  message = signet_message_reader_read (directory, fd, &info->sealed, cancellable, &error);
  close (fd);
  if (message == NULL)
    {
      if (locked != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_cancellable_is_cancelled (cancellable))
        {
          g_atomic_int_set (locked, TRUE);
          info->locked = TRUE;
        }
      info->problem = g_strdup (error->message);
      return info;
    }
  info->subject = g_strdup (signet_message_get_subject (message));
  info->recipients = recipients_text (message);
  return info;
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const SignetDraftInfo *x = *(SignetDraftInfo **) a, *y = *(SignetDraftInfo **) b;

  if (x->date == NULL || y->date == NULL)
    return (x->date == NULL) - (y->date == NULL);
  return g_date_time_compare (y->date, x->date);
}

/* Returns: (element-type SignetDraftInfo): every draft in @store's Drafts,
 * newest first; one that cannot be read with the reason why. Blocks: call
 * it in a worker thread. */
GPtrArray *
signet_draft_info_list (SignetStore        *store,
                        SignetKeyDirectory *directory,
                        GHashTable         *cache,
                        GMutex             *cache_lock,
                        gint               *locked,
                        GCancellable       *cancellable,
                        GError            **error)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_draft_info_free);
  g_autoptr(GPtrArray) paths = signet_store_list (store, SIGNET_FOLDER_DRAFTS, error);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (paths == NULL)
    return NULL;
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autofree char *name = g_path_get_basename (path);
      SignetDraftInfo *info = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      /* A draft file never changes under its name (a new save is a new
       * file): what was read of it, or why it could not be, stands. A
       * sealed draft is not decrypted again, nor its passphrase asked
       * again, each time the list is read. */
      if (cache != NULL)
        {
          g_mutex_lock (cache_lock);
          if (g_hash_table_contains (cache, name))
            info = signet_draft_info_copy (g_hash_table_lookup (cache, name));
          g_mutex_unlock (cache_lock);
        }
      if (info == NULL)
        {
          info = read_info (directory, path, locked, cancellable);
          /* What the passphrase refusal left closed is read again later. */
          if (cache != NULL && !info->locked && !g_cancellable_is_cancelled (cancellable))
            {
              g_mutex_lock (cache_lock);
              g_hash_table_replace (cache, g_strdup (name), signet_draft_info_copy (info));
              g_mutex_unlock (cache_lock);
            }
        }
      g_hash_table_add (seen, g_steal_pointer (&name));
      g_ptr_array_add (infos, info);
    }
  /* Drafts gone are forgotten. */
  if (cache != NULL)
    {
      GHashTableIter iter;
      const char *name;

      g_mutex_lock (cache_lock);
      g_hash_table_iter_init (&iter, cache);
      while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
        if (!g_hash_table_contains (seen, name))
          g_hash_table_iter_remove (&iter);
      g_mutex_unlock (cache_lock);
    }
  g_ptr_array_sort (infos, newest_first);
  return g_steal_pointer (&infos);
}

/* ---- draft files ------------------------------------------------------ */

/* A file name that stays inside Drafts. */
gboolean
signet_draft_info_valid_name (const char *name)
{
  return name != NULL && *name != '\0' && *name != '.' && strchr (name, '/') == NULL;
}

/* The draft file @name, from new/ or cur/; -1 with errno if there is none. */
int
signet_draft_info_open_file (SignetStore *store, const char *name, GError **error)
{
  const char *subdirs[] = { "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      int dir = signet_store_open_folder (store, SIGNET_FOLDER_DRAFTS, subdirs[i], NULL);
      /* Non-blocking: a FIFO put where a draft is named must not hold the
       * reader; only a regular file is a draft. */
      int fd = dir >= 0 ? openat (dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) : -1;
      struct stat st;

      if (dir >= 0)
        close (dir);
      if (fd >= 0 && (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)))
        {
          close (fd);
          g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_DAMAGED,
                       _("This is not a draft: it is not a regular file."));
          return -1;
        }
      if (fd >= 0)
        {
          /* Reads of a regular file do not block anyway; keep them plain. */
          int flags = fcntl (fd, F_GETFL);
          if (flags >= 0)
            (void) fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
          return fd;
        }
    }
  g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND, _("The draft is no longer there."));
  return -1;
}

void
signet_draft_info_remove_file (SignetStore *store, const char *name)
{
  const char *subdirs[] = { "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      int dir = signet_store_open_folder (store, SIGNET_FOLDER_DRAFTS, subdirs[i], NULL);

      if (dir < 0)
        continue;
      if (unlinkat (dir, name, 0) == 0)
        fsync (dir);
      else if (errno != ENOENT)
        g_warning ("Could not remove a draft: %s", g_strerror (errno));
      close (dir);
    }
}
