#define G_LOG_DOMAIN "signet-store"

#include "signet-store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-i18n.h"

/* The information store: Maildir folders Drafts, Outbox and Sent under one
 * root. Every write goes to tmp/, is fsync'd and renamed into place, so a
 * crash or a full disk never leaves a half-written message in a folder. */
struct _SignetStore
{
  GObject  parent_instance;
  char    *root;
};

G_DEFINE_FINAL_TYPE (SignetStore, signet_store, G_TYPE_OBJECT)

static const char * const folder_names[] = { "Drafts", "Outbox", "Sent", "Inbox" };
static const char * const subdirs[] = { "tmp", "new", "cur" };

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

const char *
signet_store_get_root (SignetStore *self)
{
  return self->root;
}

char *
signet_store_get_folder_path (SignetStore *self,
                              SignetFolder folder)
{
  return g_build_filename (self->root, folder_names[folder], NULL);
}

static void
set_io_error (GError **error, int saved_errno, const char *path)
{
  /* Translators: first %s is a file name, second the system's reason */
  g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
               _("Could not write to the mail store (%s): %s"), path, g_strerror (saved_errno));
}

static gboolean
ensure_folder (SignetStore *self, SignetFolder folder, GError **error)
{
  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *dir = g_build_filename (self->root, folder_names[folder], subdirs[s], NULL);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          set_io_error (error, errno, dir);
          return FALSE;
        }
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

  g_strdelimit (host, "/:", '_');
  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%dP%dQ%d.%s",
                          g_get_real_time () / G_USEC_PER_SEC,
                          (int) (g_get_real_time () % G_USEC_PER_SEC),
                          (int) getpid (), g_atomic_int_add (&counter, 1), host);
}

/* Opens a new, empty file in the folder's tmp/ for writing (mode 0600). */
int
signet_store_open_tmp (SignetStore  *self,
                       SignetFolder  folder,
                       char        **tmp_path,
                       GError      **error)
{
  g_autofree char *name = unique_name ();
  g_autofree char *path = NULL;
  int fd;

  if (!ensure_folder (self, folder, error))
    return -1;
  path = g_build_filename (self->root, folder_names[folder], "tmp", name, NULL);
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      set_io_error (error, errno, path);
      return -1;
    }
  *tmp_path = g_steal_pointer (&path);
  return fd;
}

static gboolean
fsync_dir (const char *dir, GError **error)
{
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    {
      set_io_error (error, errno, dir);
      return FALSE;
    }
  ok = fsync (fd) == 0;
  if (!ok)
    set_io_error (error, errno, dir);
  close (fd);
  return ok;
}

/* Makes a message written to @tmp_path durable and visible in @folder.
 * Closes @fd. On failure the tmp file is removed. */
gboolean
signet_store_commit (SignetStore  *self,
                     SignetFolder  folder,
                     const char   *tmp_path,
                     int           fd,
                     char        **final_path,
                     GError      **error)
{
  g_autofree char *base = g_path_get_basename (tmp_path);
  g_autofree char *new_dir = g_build_filename (self->root, folder_names[folder], "new", NULL);
  g_autofree char *dest = g_build_filename (new_dir, base, NULL);

  if (fsync (fd) != 0)
    {
      set_io_error (error, errno, tmp_path);
      close (fd);
      signet_store_discard (tmp_path);
      return FALSE;
    }
  if (close (fd) != 0)
    {
      set_io_error (error, errno, tmp_path);
      signet_store_discard (tmp_path);
      return FALSE;
    }
  if (g_rename (tmp_path, dest) != 0)
    {
      set_io_error (error, errno, dest);
      signet_store_discard (tmp_path);
      return FALSE;
    }
  if (!fsync_dir (new_dir, error))
    return FALSE;
  if (final_path != NULL)
    *final_path = g_steal_pointer (&dest);
  return TRUE;
}

void
signet_store_discard (const char *tmp_path)
{
  if (tmp_path != NULL && g_unlink (tmp_path) != 0 && errno != ENOENT)
    g_warning ("Could not remove %s: %s", tmp_path, g_strerror (errno));
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The messages of @folder (new/ and cur/), oldest first. */
GPtrArray *
signet_store_list (SignetStore  *self,
                   SignetFolder  folder,
                   GError      **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  for (guint s = 1; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *dir_path = g_build_filename (self->root, folder_names[folder], subdirs[s], NULL);
      g_autoptr(GDir) dir = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *name;

      dir = g_dir_open (dir_path, 0, &local_error);
      if (dir == NULL)
        {
          if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        if (name[0] != '.')
          g_ptr_array_add (paths, g_build_filename (dir_path, name, NULL));
    }
  g_ptr_array_sort (paths, compare_paths);
  return g_steal_pointer (&paths);
}

/* Moves a message to @to's cur/ (marked seen). Returns the new path. */
char *
signet_store_move (SignetStore  *self,
                   const char   *path,
                   SignetFolder  to,
                   GError      **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *cur_dir = NULL;
  g_autofree char *dest = NULL;
  char *info = strstr (base, ":2,");

  if (info != NULL)
    *info = '\0';
  if (!ensure_folder (self, to, error))
    return NULL;
  cur_dir = g_build_filename (self->root, folder_names[to], "cur", NULL);
  dest = g_strdup_printf ("%s/%s:2,S", cur_dir, base);
  if (g_rename (path, dest) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, SIGNET_STORE_ERROR,
                   saved_errno == ENOENT ? SIGNET_STORE_ERROR_NOT_FOUND : SIGNET_STORE_ERROR_FAILED,
                   _("Could not move the message (%s): %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  if (!fsync_dir (cur_dir, error))
    return NULL;
  return g_steal_pointer (&dest);
}
