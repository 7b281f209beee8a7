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

static SignetDraftInfo *
read_info (SignetKeyDirectory *directory, const char *path, GCancellable *cancellable)
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
  message = signet_message_reader_read (directory, fd, &info->sealed, cancellable, &error);
  close (fd);
  if (message == NULL)
    {
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
                        GCancellable       *cancellable,
                        GError            **error)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_draft_info_free);
  g_autoptr(GPtrArray) paths = signet_store_list (store, SIGNET_FOLDER_DRAFTS, error);

  if (paths == NULL)
    return NULL;
  for (guint i = 0; i < paths->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      g_ptr_array_add (infos, read_info (directory, g_ptr_array_index (paths, i), cancellable));
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
