#define G_LOG_DOMAIN "signet-store"
#define _GNU_SOURCE

#include "signet-store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-i18n.h"

/* The information store: Maildir folders Drafts, Outbox and Sent under one
 * root. Every write goes to tmp/, is fsync'd once and renamed into place, so
 * a crash or a full disk never leaves a half-written message in a folder.
 *
 * Below the root nothing is reached through a path: each folder is opened
 * relative to its parent's directory fd with O_NOFOLLOW, and files likewise,
 * so a symbolic link planted in the store is refused, never followed.
 *
 * The Outbox holds batches: one directory per send, with a file per copy
 * and who it is for. A batch is written in Outbox/tmp/ and committed by one
 * rename into Outbox/new/, so all copies of a send enter the queue together
 * or not at all. */
struct _SignetStore
{
  GObject  parent_instance;
  char    *root;
};

G_DEFINE_FINAL_TYPE (SignetStore, signet_store, G_TYPE_OBJECT)

static const char * const folder_names[] = { "Drafts", "Outbox", "Sent", "Inbox", "Outbox/.failed", "Outbox/.sent-folder" };

static void
signet_store_finalize (GObject *object)
{
  g_free (SIGNET_STORE (object)->root);
  G_OBJECT_CLASS (signet_store_parent_class)->finalize (object);
}

static void
signet_store_class_init (SignetStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = signet_store_finalize;
}

static void
signet_store_init (SignetStore *self)
{
}

SignetStore *
signet_store_new (const char *root)
{
  SignetStore *self = g_object_new (SIGNET_TYPE_STORE, NULL);

  self->root = g_strdup (root);
  return self;
}


char *
signet_store_get_folder_path (SignetStore *self,
                              SignetFolder folder)
{
  return g_build_filename (self->root, folder_names[folder], NULL);
}

static gboolean
set_io_error (GError **error, int saved_errno, const char *what)
{
  /* Translators: first %s is a file or folder name, second the system's reason */
  g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
               _("Could not write to the mail store (%s): %s"), what, g_strerror (saved_errno));
  return FALSE;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* Opens (and with @create, makes) the folder @name below @parent, never
 * following a symbolic link. */
static int
open_dir_at (int parent, const char *name, gboolean create, GError **error)
{
  int fd;

  if (create && mkdirat (parent, name, 0700) != 0 && errno != EEXIST)
    {
      set_io_error (error, errno, name);
      return -1;
    }
  fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      struct stat st;

      if ((errno == ELOOP || errno == ENOTDIR) &&
          fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
        /* Translators: %s is a folder name */
        g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_LINK,
                     _("The mail store folder “%s” is not a plain folder (it may be a symbolic link); "
                       "Signet does not follow links in its store."), name);
      else
        set_io_error (error, errno, name);
    }
  return fd;
}

/* The root folder itself, not followed if it is a link; the folders above
 * it are where the user keeps their files, links or not. */
static int
open_root (SignetStore *self, GError **error)
{
  g_autofree char *parent = g_path_get_dirname (self->root);
  g_autofree char *base = g_path_get_basename (self->root);
  int parent_fd, fd;

  if (g_mkdir_with_parents (parent, 0700) != 0)
    {
      set_io_error (error, errno, parent);
      return -1;
    }
  parent_fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0)
    {
      set_io_error (error, errno, parent);
      return -1;
    }
  fd = open_dir_at (parent_fd, base, TRUE, error);
  close (parent_fd);
  return fd;
}

/* The directory fd of @folder's @subdir (tmp, new, cur; NULL: the folder
 * itself), created as needed. */
int
signet_store_open_folder (SignetStore  *self,
                          SignetFolder  folder,
                          const char   *subdir,
                          GError      **error)
{
  g_auto(GStrv) parts = g_strsplit (folder_names[folder], "/", -1);
  int fd = open_root (self, error);

  for (guint i = 0; fd >= 0 && parts[i] != NULL; i++)
    {
      int child = open_dir_at (fd, parts[i], TRUE, error);
      close (fd);
      fd = child;
    }
  if (fd >= 0 && subdir != NULL)
    {
      int child = open_dir_at (fd, subdir, TRUE, error);
      close (fd);
      fd = child;
    }
  return fd;
}

static gboolean
ensure_folder (SignetStore *self, SignetFolder folder, GError **error)
{
  static const char * const subdirs[] = { "tmp", "new", "cur" };

  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      int fd = signet_store_open_folder (self, folder, subdirs[s], error);
      if (fd < 0)
        return FALSE;
      close (fd);
    }
  return TRUE;
}

/* Creates the sender's folders: Drafts, Outbox and Sent. */
gboolean
signet_store_ensure (SignetStore *self,
                     GError     **error)
{
  return ensure_folder (self, SIGNET_FOLDER_DRAFTS, error) &&
         ensure_folder (self, SIGNET_FOLDER_OUTBOX, error) &&
         ensure_folder (self, SIGNET_FOLDER_SENT, error);
}

static char *
unique_name (void)
{
  static gint counter;
  g_autofree char *host = g_strdup (g_get_host_name ());
  gint64 now = g_get_real_time ();

  g_strdelimit (host, "/:.", '_');
  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%06dP%dQ%d.%s",
                          now / G_USEC_PER_SEC, (int) (now % G_USEC_PER_SEC),
                          (int) getpid (), g_atomic_int_add (&counter, 1), host);
}

static int
create_file_at (int dir_fd, const char *name, GError **error)
{
  int fd = openat (dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

  if (fd < 0)
    set_io_error (error, errno, name);
  return fd;
}

static gboolean
fsync_and_close (int fd, const char *what, GError **error)
{
  if (fsync (fd) != 0)
    {
      int saved_errno = errno;
      close (fd);
      return set_io_error (error, saved_errno, what);
    }
  if (close (fd) != 0)
    return set_io_error (error, errno, what);
  return TRUE;
}

/* After a rename has committed, the directory's fsync only makes it durable
 * sooner: its failure is worth a warning, never a reported failure. */
static void
sync_dir (int dir_fd)
{
  if (fsync (dir_fd) != 0)
    g_warning ("Could not flush a mail store folder to disk: %s", g_strerror (errno));
}

/* Opens a new, empty file in @folder's tmp/ for writing (mode 0600). */
int
signet_store_open_tmp (SignetStore  *self,
                       SignetFolder  folder,
                       char        **name,
                       GError      **error)
{
  g_autofree char *unique = unique_name ();
  int tmp_fd, fd;

  if (!ensure_folder (self, folder, error))
    return -1;
  tmp_fd = signet_store_open_folder (self, folder, "tmp", error);
  if (tmp_fd < 0)
    return -1;
  fd = create_file_at (tmp_fd, unique, error);
  close (tmp_fd);
  if (fd >= 0)
    *name = g_steal_pointer (&unique);
  return fd;
}

/* Makes the message written to tmp/@name durable and visible in @folder's
 * new/. Closes @fd. On failure the tmp file is removed. Once the rename has
 * happened the message is committed, and this returns TRUE. */
gboolean
signet_store_commit (SignetStore  *self,
                     SignetFolder  folder,
                     const char   *name,
                     int           fd,
                     GError      **error)
{
  int tmp_fd = -1, new_fd = -1;
  gboolean ok = FALSE;

  if (!fsync_and_close (fd, name, error))
    goto out;
  tmp_fd = signet_store_open_folder (self, folder, "tmp", error);
  new_fd = tmp_fd >= 0 ? signet_store_open_folder (self, folder, "new", error) : -1;
  if (new_fd < 0)
    goto out;
  if (renameat2 (tmp_fd, name, new_fd, name, RENAME_NOREPLACE) != 0)
    {
      set_io_error (error, errno, name);
      goto out;
    }
  sync_dir (new_fd);
  ok = TRUE;
out:
  if (!ok)
    signet_store_discard (self, folder, name);
  close_fd (&tmp_fd);
  close_fd (&new_fd);
  return ok;
}

void
signet_store_discard (SignetStore  *self,
                      SignetFolder  folder,
                      const char   *name)
{
  int tmp_fd = signet_store_open_folder (self, folder, "tmp", NULL);

  if (tmp_fd < 0)
    return;
  if (unlinkat (tmp_fd, name, 0) != 0 && errno != ENOENT)
    g_warning ("Could not remove an unfinished message: %s", g_strerror (errno));
  close (tmp_fd);
}

gboolean
signet_store_write_all (int         fd,
                        const char *data,
                        gsize       len,
                        GError    **error)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return set_io_error (error, n < 0 ? errno : EIO, "write");
      data += n;
      len -= n;
    }
  return TRUE;
}

/* Copies everything from @from_fd's current position to @to_fd, in the
 * kernel where it can. */
static gboolean
copy_fd (int      from_fd,
         int      to_fd,
         GError **error)
{
  char buffer[64 * 1024];

  for (;;)
    {
      gssize n = copy_file_range (from_fd, NULL, to_fd, NULL, 1 << 30, 0);

      if (n == 0)
        return TRUE;
      if (n > 0)
        continue;
      if (errno == EINTR)
        continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return set_io_error (error, errno, "copy");
      break;
    }
  for (;;)
    {
      gssize n = read (from_fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return set_io_error (error, errno, "read");
      if (n == 0)
        return TRUE;
      if (!signet_store_write_all (to_fd, buffer, n, error))
        return FALSE;
    }
}

/* TRUE if a message named @name (with any Maildir info) is in new/ or cur/. */
static gboolean
has_message (int new_fd, int cur_fd, const char *name)
{
  struct stat st;
  struct dirent *entry;
  gsize len = strlen (name);
  gboolean found = FALSE;
  DIR *dir;
  int fd;

  if (fstatat (new_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return TRUE;
  fd = dup (cur_fd);
  dir = fd >= 0 ? fdopendir (fd) : NULL;
  if (dir == NULL)
    {
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  rewinddir (dir);
  while (!found && (entry = readdir (dir)) != NULL)
    found = strncmp (entry->d_name, name, len) == 0 &&
            (entry->d_name[len] == '\0' || entry->d_name[len] == ':');
  closedir (dir);
  return found;
}

/* Adds a copy of @source_fd as message @name unless a message of that name
 * is already there: delivering the same copy again (after a crash, a retry)
 * never makes a second one. */
gboolean
signet_store_add_once (SignetStore  *self,
                       SignetFolder  folder,
                       const char   *name,
                       int           source_fd,
                       gboolean     *added,
                       GError      **error)
{
  g_autofree char *tmp_name = NULL;
  int new_fd = -1, cur_fd = -1, tmp_fd = -1, fd = -1;
  gboolean ok = FALSE;

  *added = FALSE;
  if (!ensure_folder (self, folder, error))
    return FALSE;
  new_fd = signet_store_open_folder (self, folder, "new", error);
  cur_fd = new_fd >= 0 ? signet_store_open_folder (self, folder, "cur", error) : -1;
  tmp_fd = cur_fd >= 0 ? signet_store_open_folder (self, folder, "tmp", error) : -1;
  if (tmp_fd < 0)
    goto out;
  if (has_message (new_fd, cur_fd, name))
    {
      ok = TRUE;
      goto out;
    }
  tmp_name = unique_name ();
  fd = create_file_at (tmp_fd, tmp_name, error);
  if (fd < 0)
    goto out;
  if (!copy_fd (source_fd, fd, error) || !fsync_and_close (fd, name, error))
    {
      if (fd >= 0)
        close (fd);
      unlinkat (tmp_fd, tmp_name, 0);
      fd = -1;
      goto out;
    }
  fd = -1;
  /* A hard link never replaces: if the name appeared meanwhile, it stays. */
  if (linkat (tmp_fd, tmp_name, new_fd, name, 0) == 0)
    {
      *added = TRUE;
      sync_dir (new_fd);
    }
  else if (errno != EEXIST)
    set_io_error (error, errno, name);
  ok = *added || errno == EEXIST;
  unlinkat (tmp_fd, tmp_name, 0);
out:
  close_fd (&new_fd);
  close_fd (&cur_fd);
  close_fd (&tmp_fd);
  return ok;
}

/* Moves the file @from_name in @from_dir_fd into @folder's cur/ as @name,
 * marked seen. */
/* Adds a second name for a message to @folder's new/ (a hard link: no
 * copy, no window in which it is half there). One that is already there
 * counts as added. */
gboolean
signet_store_link_into (SignetStore  *self,
                        int           from_dir_fd,
                        const char   *from_name,
                        SignetFolder  folder,
                        const char   *name,
                        GError      **error)
{
  int new_fd;

  if (!ensure_folder (self, folder, error))
    return FALSE;
  new_fd = signet_store_open_folder (self, folder, "new", error);
  if (new_fd < 0)
    return FALSE;
  if (linkat (from_dir_fd, from_name, new_fd, name, 0) != 0 && errno != EEXIST)
    {
      int saved_errno = errno;
      close (new_fd);
      g_set_error (error, SIGNET_STORE_ERROR,
                   saved_errno == ENOENT ? SIGNET_STORE_ERROR_NOT_FOUND : SIGNET_STORE_ERROR_FAILED,
                   _("Could not write to the mail store (%s): %s"), name, g_strerror (saved_errno));
      return FALSE;
    }
  sync_dir (new_fd);
  close (new_fd);
  return TRUE;
}

gboolean
signet_store_move_into (SignetStore  *self,
                        int           from_dir_fd,
                        const char   *from_name,
                        SignetFolder  folder,
                        const char   *name,
                        GError      **error)
{
  g_autofree char *dest = g_strdup_printf ("%s:2,S", name);
  int cur_fd;

  if (!ensure_folder (self, folder, error))
    return FALSE;
  cur_fd = signet_store_open_folder (self, folder, "cur", error);
  if (cur_fd < 0)
    return FALSE;
  if (renameat2 (from_dir_fd, from_name, cur_fd, dest, RENAME_NOREPLACE) != 0)
    {
      int saved_errno = errno;
      close (cur_fd);
      g_set_error (error, SIGNET_STORE_ERROR,
                   saved_errno == ENOENT ? SIGNET_STORE_ERROR_NOT_FOUND : SIGNET_STORE_ERROR_FAILED,
                   _("Could not move the message (%s): %s"), from_name, g_strerror (saved_errno));
      return FALSE;
    }
  sync_dir (cur_fd);
  close (cur_fd);
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The names in @dir_fd of the given type (S_IFREG or S_IFDIR), sorted. A
 * symbolic link or anything else planted there is left alone and reported. */
static GPtrArray *
list_entries (int dir_fd, mode_t type, gboolean warn, GError **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  struct dirent *entry;
  int fd = dup (dir_fd);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;

  if (dir == NULL)
    {
      set_io_error (error, errno, "list");
      if (fd >= 0)
        close (fd);
      return NULL;
    }
  /* The duplicate shares the folder's read position with @dir_fd. */
  rewinddir (dir);
  while ((entry = readdir (dir)) != NULL)
    {
      struct stat st;

      if (entry->d_name[0] == '.')
        continue;
      if (fstatat (dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      if ((st.st_mode & S_IFMT) != type)
        {
          if (warn)
            g_warning ("Ignoring “%s” in the mail store: not a plain %s", entry->d_name,
                     type == S_IFDIR ? "folder" : "file");
          continue;
        }
      g_ptr_array_add (names, g_strdup (entry->d_name));
    }
  closedir (dir);
  g_ptr_array_sort (names, compare_strings);
  return g_steal_pointer (&names);
}

/* The plain files in the folder @dir_fd, sorted by name. */
GPtrArray *
signet_store_list_files (int      dir_fd,
                         GError **error)
{
  return list_entries (dir_fd, S_IFREG, TRUE, error);
}

/* The paths of the messages of a Maildir @folder (new/ and cur/), sorted. */
GPtrArray *
signet_store_list (SignetStore  *self,
                   SignetFolder  folder,
                   GError      **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *folder_path = signet_store_get_folder_path (self, folder);
  const char *subdirs[] = { "new", "cur" };

  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autoptr(GPtrArray) names = NULL;
      int fd = signet_store_open_folder (self, folder, subdirs[s], error);

      if (fd < 0)
        return NULL;
      names = list_entries (fd, S_IFREG, TRUE, error);
      close (fd);
      if (names == NULL)
        return NULL;
      for (guint i = 0; i < names->len; i++)
        g_ptr_array_add (paths, g_build_filename (folder_path, subdirs[s], g_ptr_array_index (names, i), NULL));
    }
  g_ptr_array_sort (paths, compare_strings);
  return g_steal_pointer (&paths);
}

/* Removes what @dir_fd holds, never following a link out of it. */
static void
remove_contents (int dir_fd)
{
  g_autoptr(GPtrArray) files = list_entries (dir_fd, S_IFREG, FALSE, NULL);
  g_autoptr(GPtrArray) dirs = list_entries (dir_fd, S_IFDIR, FALSE, NULL);

  for (guint i = 0; files != NULL && i < files->len; i++)
    unlinkat (dir_fd, g_ptr_array_index (files, i), 0);
  for (guint i = 0; dirs != NULL && i < dirs->len; i++)
    {
      const char *name = g_ptr_array_index (dirs, i);
      int child = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

      if (child < 0)
        continue;
      remove_contents (child);
      close (child);
      unlinkat (dir_fd, name, AT_REMOVEDIR);
    }
}

/* Whether the tmp/ entry @name is a leftover: its writer (the process ID
 * in its Maildir name) has stopped, or it is older than Maildir's 36 hours.
 * What this process or another running one is writing now stays, however
 * coarse the file system's clock. */
static gboolean
is_leftover (int tmp_fd, const char *name)
{
  const char *p = strstr (name, "P");
  struct stat st;
  long pid = 0;

  if (fstatat (tmp_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return FALSE;
  if (st.st_mtime < (time_t) (g_get_real_time () / G_USEC_PER_SEC) - 36 * 3600)
    return TRUE;
  if (p == NULL || sscanf (p, "P%ldQ", &pid) != 1 || pid <= 0 || pid > G_MAXINT)
    return FALSE;
  if (pid == (long) getpid ())
    return FALSE;
  return kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

/* Removes what an interrupted run left in the tmp/ folders (never
 * committed, so never reported as sent or saved). */
void
signet_store_clean_tmp (SignetStore *self)
{
  const SignetFolder folders[] = { SIGNET_FOLDER_DRAFTS, SIGNET_FOLDER_OUTBOX, SIGNET_FOLDER_SENT };

  for (guint f = 0; f < G_N_ELEMENTS (folders); f++)
    {
      int tmp_fd = signet_store_open_folder (self, folders[f], "tmp", NULL);
      g_autoptr(GPtrArray) files = NULL;
      g_autoptr(GPtrArray) dirs = NULL;

      if (tmp_fd < 0)
        continue;
      files = list_entries (tmp_fd, S_IFREG, FALSE, NULL);
      dirs = list_entries (tmp_fd, S_IFDIR, FALSE, NULL);
      for (guint pass = 0; pass < 2; pass++)
        {
          GPtrArray *names = pass == 0 ? files : dirs;

          for (guint i = 0; names != NULL && i < names->len; i++)
            {
              const char *name = g_ptr_array_index (names, i);

              if (!is_leftover (tmp_fd, name))
                continue;
              g_debug ("Removing an unfinished %s left from an earlier run", pass == 0 ? "message" : "send");
              if (pass == 1)
                {
                  int child = openat (tmp_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                  if (child >= 0)
                    {
                      remove_contents (child);
                      close (child);
                    }
                }
              unlinkat (tmp_fd, name, pass == 1 ? AT_REMOVEDIR : 0);
            }
        }
      close (tmp_fd);
    }
}

struct _SignetStoreBatch
{
  SignetStore *store;
  char        *id;
  int          tmp_fd;    /* Outbox/tmp */
  int          dir_fd;    /* Outbox/tmp/<id> */
  gboolean     committed;
};

/* Starts a batch: a directory in Outbox/tmp/ that nothing reads. */
SignetStoreBatch *
signet_store_batch_new (SignetStore *self,
                        GError     **error)
{
  g_autoptr(SignetStoreBatch) batch = g_new0 (SignetStoreBatch, 1);

  batch->store = g_object_ref (self);
  batch->id = unique_name ();
  batch->dir_fd = -1;
  if (!ensure_folder (self, SIGNET_FOLDER_OUTBOX, error))
    return NULL;
  batch->tmp_fd = signet_store_open_folder (self, SIGNET_FOLDER_OUTBOX, "tmp", error);
  if (batch->tmp_fd < 0)
    return NULL;
  if (mkdirat (batch->tmp_fd, batch->id, 0700) != 0)
    {
      set_io_error (error, errno, batch->id);
      return NULL;
    }
  batch->dir_fd = open_dir_at (batch->tmp_fd, batch->id, FALSE, error);
  if (batch->dir_fd < 0)
    return NULL;
  return g_steal_pointer (&batch);
}

const char *
signet_store_batch_get_id (SignetStoreBatch *batch)
{
  return batch->id;
}

/* A new file in the batch, open for writing. */
int
signet_store_batch_create (SignetStoreBatch *batch,
                           const char       *name,
                           GError          **error)
{
  g_return_val_if_fail (!batch->committed, -1);
  return create_file_at (batch->dir_fd, name, error);
}

/* Makes a finished file of the batch durable (its one fsync) and closes it. */
gboolean
signet_store_batch_finish_file (SignetStoreBatch *batch,
                                int               fd,
                                GError          **error)
{
  return fsync_and_close (fd, batch->id, error);
}

/* Puts every file of the batch into Outbox/new/ in one rename. */
gboolean
signet_store_batch_commit (SignetStoreBatch *batch,
                           GError          **error)
{
  int new_fd;

  g_return_val_if_fail (!batch->committed, FALSE);

  if (fsync (batch->dir_fd) != 0)
    return set_io_error (error, errno, batch->id);
  new_fd = signet_store_open_folder (batch->store, SIGNET_FOLDER_OUTBOX, "new", error);
  if (new_fd < 0)
    return FALSE;
  if (renameat2 (batch->tmp_fd, batch->id, new_fd, batch->id, RENAME_NOREPLACE) != 0)
    {
      set_io_error (error, errno, batch->id);
      close (new_fd);
      return FALSE;
    }
  batch->committed = TRUE;
  sync_dir (new_fd);
  close (new_fd);
  return TRUE;
}

/* Frees the batch; one that was not committed is removed with its files. */
void
signet_store_batch_free (SignetStoreBatch *batch)
{
  if (batch == NULL)
    return;
  if (!batch->committed && batch->dir_fd >= 0)
    {
      remove_contents (batch->dir_fd);
      unlinkat (batch->tmp_fd, batch->id, AT_REMOVEDIR);
    }
  close_fd (&batch->dir_fd);
  close_fd (&batch->tmp_fd);
  g_clear_object (&batch->store);
  g_free (batch->id);
  g_free (batch);
}

static int
open_batches_dir (SignetStore *self, SignetFolder folder, GError **error)
{
  g_return_val_if_fail (folder == SIGNET_FOLDER_OUTBOX || folder == SIGNET_FOLDER_OUTBOX_FAILED, -1);
  return signet_store_open_folder (self, folder, folder == SIGNET_FOLDER_OUTBOX ? "new" : NULL, error);
}

/* The committed batches waiting in the Outbox (or moved aside, for
 * SIGNET_FOLDER_OUTBOX_FAILED), oldest first. */
GPtrArray *
signet_store_list_batches (SignetStore  *self,
                           SignetFolder  folder,
                           GError      **error)
{
  GPtrArray *ids;
  int fd = open_batches_dir (self, folder, error);

  if (fd < 0)
    return NULL;
  ids = list_entries (fd, S_IFDIR, TRUE, error);
  close (fd);
  return ids;
}

int
signet_store_open_batch (SignetStore *self,
                         const char  *id,
                         GError     **error)
{
  return signet_store_open_batch_in (self, SIGNET_FOLDER_OUTBOX, id, error);
}

/* A batch in the queue (SIGNET_FOLDER_OUTBOX) or among the failed ones. */
int
signet_store_open_batch_in (SignetStore  *self,
                            SignetFolder  folder,
                            const char   *id,
                            GError      **error)
{
  int dir_fd = open_batches_dir (self, folder, error);
  int fd;

  if (dir_fd < 0)
    return -1;
  fd = open_dir_at (dir_fd, id, FALSE, error);
  close (dir_fd);
  return fd;
}

/* Moves a batch that cannot be delivered out of the queue, where the user
 * can find it, so that it neither blocks the queue nor is retried forever. */
gboolean
signet_store_fail_batch (SignetStore *self,
                         const char  *id,
                         GError     **error)
{
  return signet_store_move_batch (self, id, SIGNET_FOLDER_OUTBOX, SIGNET_FOLDER_OUTBOX_FAILED, error);
}

/* Moves a batch between the queue and the failed ones, in one rename. */
gboolean
signet_store_move_batch (SignetStore  *self,
                         const char   *id,
                         SignetFolder  from,
                         SignetFolder  to,
                         GError      **error)
{
  int from_fd = open_batches_dir (self, from, error);
  int to_fd = from_fd >= 0 ? open_batches_dir (self, to, error) : -1;
  gboolean ok = FALSE;

  if (to_fd >= 0)
    {
      ok = renameat2 (from_fd, id, to_fd, id, RENAME_NOREPLACE) == 0;
      if (ok)
        {
          sync_dir (to_fd);
          sync_dir (from_fd);
        }
      else
        set_io_error (error, errno, id);
    }
  close_fd (&from_fd);
  close_fd (&to_fd);
  return ok;
}

/* Removes a batch whose every copy has been delivered: first out of the
 * queue in one rename (into tmp/, whose leftovers go at the next start),
 * then its files, so a stop half-way never leaves a batch that looks
 * damaged or undelivered. */
void
signet_store_remove_batch (SignetStore *self,
                           const char  *id)
{
  signet_store_remove_batch_from (self, SIGNET_FOLDER_OUTBOX, id);
}

gboolean
signet_store_remove_batch_from (SignetStore  *self,
                                SignetFolder  folder,
                                const char   *id)
{
  int from_fd = open_batches_dir (self, folder, NULL);
  int tmp_fd = from_fd >= 0 ? signet_store_open_folder (self, SIGNET_FOLDER_OUTBOX, "tmp", NULL) : -1;
  gboolean moved = FALSE;
  int fd = -1;

  if (tmp_fd >= 0 && renameat2 (from_fd, id, tmp_fd, id, RENAME_NOREPLACE) == 0)
    {
      moved = TRUE;
      sync_dir (from_fd);
      fd = open_dir_at (tmp_fd, id, FALSE, NULL);
    }
  if (fd >= 0)
    {
      remove_contents (fd);
      close (fd);
      unlinkat (tmp_fd, id, AT_REMOVEDIR);
    }
  close_fd (&tmp_fd);
  close_fd (&from_fd);
  return moved;
}
