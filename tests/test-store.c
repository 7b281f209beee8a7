#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-store.h"
#include "signet-test-util.h"

static char *
path_in (const char *root, const char *a, const char *b, const char *c)
{
  return g_build_filename (root, a, b, c, NULL);
}

static void
test_commit_and_move (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *final_path = NULL;
  g_autofree char *drafts = signet_store_get_folder_path (store, SIGNET_FOLDER_DRAFTS);
  g_autofree char *sent = signet_store_get_folder_path (store, SIGNET_FOLDER_SENT);
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  GStatBuf st;
  int fd, dir_fd;

  fd = signet_store_open_tmp (store, SIGNET_FOLDER_DRAFTS, &name, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  tmp_path = path_in (drafts, "tmp", name, NULL);
  g_assert_cmpint (write (fd, "Subject: x\n\nbody\n", 17), ==, 17);
  g_assert_cmpint (g_stat (tmp_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (signet_store_commit (store, SIGNET_FOLDER_DRAFTS, name, fd, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (tmp_path, G_FILE_TEST_EXISTS));
  final_path = path_in (drafts, "new", name, NULL);
  contents = signet_test_read_file (final_path);
  g_assert_cmpstr (contents, ==, "Subject: x\n\nbody\n");

  listed = signet_store_list (store, SIGNET_FOLDER_DRAFTS, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (listed, 0), ==, final_path);

  dir_fd = signet_store_open_folder (store, SIGNET_FOLDER_DRAFTS, "new", &error);
  g_assert_cmpint (dir_fd, >=, 0);
  g_assert_true (signet_store_move_into (store, dir_fd, name, SIGNET_FOLDER_SENT, "copy", &error));
  g_assert_no_error (error);
  close (dir_fd);
  g_assert_cmpuint (signet_test_count_files (drafts), ==, 0);
  g_assert_cmpuint (signet_test_count_files (sent), ==, 1);
  {
    g_autofree char *in_sent = path_in (sent, "cur", "copy:2,S", NULL);
    g_assert_true (g_file_test (in_sent, G_FILE_TEST_IS_REGULAR));
  }

  g_assert_cmpint (g_stat (drafts, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  signet_test_remove_tree (root);
}

static void
test_discard (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autofree char *name = NULL;
  int fd = signet_store_open_tmp (store, SIGNET_FOLDER_DRAFTS, &name, NULL);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  signet_store_discard (store, SIGNET_FOLDER_DRAFTS, name);
  g_assert_cmpuint (signet_test_count_files (root), ==, 0);
  signet_test_remove_tree (root);
}

/* A store that cannot be written gives a readable error, not a crash. */
static void
test_unwritable (void)
{
  g_autofree char *dir = signet_test_make_tmpdir ();
  g_autofree char *file = g_build_filename (dir, "not-a-dir", NULL);
  g_autofree char *root = g_build_filename (file, "Mail", NULL);
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  g_assert_cmpint (signet_store_open_tmp (store, SIGNET_FOLDER_OUTBOX, &name, &error), ==, -1);
  g_assert_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "Could not write to the mail store"));
  g_assert_null (name);
  signet_test_remove_tree (dir);
}

static void
test_move_missing (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autoptr(GError) error = NULL;
  int dir_fd = signet_store_open_folder (store, SIGNET_FOLDER_OUTBOX, "new", NULL);

  g_assert_false (signet_store_move_into (store, dir_fd, "nothing", SIGNET_FOLDER_SENT, "x", &error));
  g_assert_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND);
  close (dir_fd);
  signet_test_remove_tree (root);
}

static int
write_batch_file (SignetStoreBatch *batch, const char *name, const char *text)
{
  g_autoptr(GError) error = NULL;
  int fd = signet_store_batch_create (batch, name, &error);

  g_assert_no_error (error);
  g_assert_true (signet_store_write_all (fd, text, strlen (text), &error));
  g_assert_true (signet_store_batch_finish_file (batch, fd, &error));
  g_assert_no_error (error);
  return 0;
}

/* A batch is invisible in Outbox/new until its one commit; one that is not
 * committed leaves nothing anywhere. */
static void
test_batch (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autofree char *outbox = signet_store_get_folder_path (store, SIGNET_FOLDER_OUTBOX);
  g_autofree char *new_dir = g_build_filename (outbox, "new", NULL);
  g_autofree char *tmp_dir = g_build_filename (outbox, "tmp", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  SignetStoreBatch *batch;
  g_autofree char *id = NULL;

  batch = signet_store_batch_new (store, &error);
  g_assert_no_error (error);
  write_batch_file (batch, "001.eml", "one");
  write_batch_file (batch, "002.eml", "two");
  ids = signet_store_list_batches (store, SIGNET_FOLDER_OUTBOX, &error);
  g_assert_cmpuint (ids->len, ==, 0);
  g_clear_pointer (&ids, g_ptr_array_unref);
  g_assert_cmpuint (signet_test_count_files (new_dir), ==, 0);
  g_assert_cmpuint (signet_test_count_files (tmp_dir), ==, 2);
  g_assert_true (signet_store_batch_commit (batch, &error));
  id = g_strdup (signet_store_batch_get_id (batch));
  signet_store_batch_free (batch);
  g_assert_cmpuint (signet_test_count_files (tmp_dir), ==, 0);
  g_assert_cmpuint (signet_test_count_files (new_dir), ==, 2);
  ids = signet_store_list_batches (store, SIGNET_FOLDER_OUTBOX, &error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (ids, 0), ==, id);

  /* Abandoned: removed with its files. */
  batch = signet_store_batch_new (store, &error);
  write_batch_file (batch, "001.eml", "three");
  signet_store_batch_free (batch);
  g_assert_cmpuint (signet_test_count_files (tmp_dir), ==, 0);
  g_assert_cmpuint (signet_test_count_files (new_dir), ==, 2);

  g_assert_true (signet_store_fail_batch (store, id, &error));
  g_assert_cmpuint (signet_test_count_files (new_dir), ==, 0);
  g_clear_pointer (&ids, g_ptr_array_unref);
  ids = signet_store_list_batches (store, SIGNET_FOLDER_OUTBOX_FAILED, &error);
  g_assert_cmpuint (ids->len, ==, 1);
  signet_test_remove_tree (root);
}

/* A second delivery of the same copy (a retry) adds nothing. */
static void
test_add_once (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autofree char *source = g_build_filename (root, "source", NULL);
  g_autofree char *mailbox = g_build_filename (root, "box", NULL);
  g_autoptr(SignetStore) store = signet_store_new (mailbox);
  g_autofree char *inbox = signet_store_get_folder_path (store, SIGNET_FOLDER_INBOX);
  g_autoptr(GError) error = NULL;
  gboolean added;
  int fd;

  g_assert_true (g_file_set_contents (source, "message", -1, NULL));
  fd = open (source, O_RDONLY);
  g_assert_true (signet_store_add_once (store, SIGNET_FOLDER_INBOX, "id.001", fd, &added, &error));
  g_assert_true (added);
  lseek (fd, 0, SEEK_SET);
  g_assert_true (signet_store_add_once (store, SIGNET_FOLDER_INBOX, "id.001", fd, &added, &error));
  g_assert_false (added);
  g_assert_cmpuint (signet_test_count_files (inbox), ==, 1);
  /* Also once a reader has moved it to cur/ and marked it. */
  {
    g_autofree char *from = g_build_filename (inbox, "new", "id.001", NULL);
    g_autofree char *to = g_build_filename (inbox, "cur", "id.001:2,S", NULL);
    g_assert_cmpint (g_rename (from, to), ==, 0);
  }
  lseek (fd, 0, SEEK_SET);
  g_assert_true (signet_store_add_once (store, SIGNET_FOLDER_INBOX, "id.001", fd, &added, &error));
  g_assert_false (added);
  g_assert_cmpuint (signet_test_count_files (inbox), ==, 1);
  close (fd);
  signet_test_remove_tree (root);
}

static void
plant_link (const char *target, const char *link_path)
{
  g_assert_cmpint (symlink (target, link_path), ==, 0);
}

/* A symbolic link planted for a folder of the store is refused, never
 * followed: nothing is written where it points. */
static void
test_planted_folder_links (void)
{
  const char *cases[][2] = {
    { "Drafts", NULL }, { "Drafts", "tmp" }, { "Drafts", "new" }, { "Outbox", NULL },
    { "Outbox", "tmp" }, { "Outbox", "new" }, { "Sent", "cur" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = signet_test_make_tmpdir ();
      g_autofree char *root = g_build_filename (dir, "Mail", NULL);
      g_autofree char *elsewhere = g_build_filename (dir, "elsewhere", NULL);
      g_autofree char *folder = g_build_filename (root, cases[i][0], NULL);
      g_autofree char *link_path = g_build_filename (folder, cases[i][1], NULL);
      g_autoptr(SignetStore) store = signet_store_new (root);
      g_autoptr(GError) error = NULL;
      g_autofree char *name = NULL;
      SignetFolder f = g_str_equal (cases[i][0], "Drafts") ? SIGNET_FOLDER_DRAFTS
                     : g_str_equal (cases[i][0], "Outbox") ? SIGNET_FOLDER_OUTBOX : SIGNET_FOLDER_SENT;
      SignetStoreBatch *batch;
      int fd = -1;

      g_test_message ("link for %s/%s", cases[i][0], cases[i][1] ? cases[i][1] : "");
      g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0700), ==, 0);
      if (cases[i][1] != NULL)
        g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
      else
        g_assert_cmpint (g_mkdir_with_parents (root, 0700), ==, 0);
      plant_link (elsewhere, link_path);

      if (f == SIGNET_FOLDER_OUTBOX)
        {
          batch = signet_store_batch_new (store, &error);
          if (batch != NULL)
            {
              write_batch_file (batch, "001.eml", "x");
              g_assert_false (signet_store_batch_commit (batch, &error));
              signet_store_batch_free (batch);
            }
        }
      else if (f == SIGNET_FOLDER_SENT)
        {
          int from = signet_store_open_folder (store, SIGNET_FOLDER_DRAFTS, "new", NULL);
          int src = openat (from, "m", O_CREAT | O_WRONLY, 0600);
          close (src);
          g_assert_false (signet_store_move_into (store, from, "m", SIGNET_FOLDER_SENT, "m", &error));
          close (from);
        }
      else
        {
          fd = signet_store_open_tmp (store, f, &name, &error);
          if (fd >= 0)
            g_assert_false (signet_store_commit (store, f, name, fd, &error));
        }
      g_assert_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_LINK);
      g_assert_true (g_str_has_prefix (error->message, "The mail store folder"));
      g_assert_cmpuint (signet_test_count_files (elsewhere), ==, 0);
      signet_test_remove_tree (dir);
    }
}

/* Links planted among queued batches or in a batch are not followed:
 * listed batches are plain folders only. */
static void
test_planted_batch_link (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autofree char *outbox = signet_store_get_folder_path (store, SIGNET_FOLDER_OUTBOX);
  g_autofree char *elsewhere = g_build_filename (root, "elsewhere", NULL);
  g_autofree char *planted = g_build_filename (outbox, "new", "1.planted", NULL);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (signet_store_ensure (store, NULL));
  g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0700), ==, 0);
  plant_link (elsewhere, planted);
  g_test_expect_message ("signet-store", G_LOG_LEVEL_WARNING, "*not a plain folder*");
  ids = signet_store_list_batches (store, SIGNET_FOLDER_OUTBOX, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 0);
  g_assert_cmpint (signet_store_open_batch (store, "1.planted", &error), ==, -1);
  g_assert_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_LINK);
  g_assert_true (g_file_test (planted, G_FILE_TEST_IS_SYMLINK));
  signet_test_remove_tree (root);
}

/* The process ID of a process that has ended. */
static int
dead_pid (void)
{
  const char *argv[] = { "true", NULL };
  GPid pid;
  int status;

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &pid, NULL));
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  return pid;
}

/* An entry in @tmp_dir named as a process @pid names what it writes. */
static char *
plant (const char *tmp_dir, int pid, gboolean as_folder)
{
  g_autofree char *name = g_strdup_printf ("1795000000.M000001P%dQ7.host", pid);
  char *path = g_build_filename (tmp_dir, name, NULL);

  if (as_folder)
    {
      g_autofree char *inside = g_build_filename (path, "001.eml", NULL);
      g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
      g_assert_true (g_file_set_contents (inside, "half", -1, NULL));
    }
  else
    g_assert_true (g_file_set_contents (path, "half", -1, NULL));
  return path;
}

/* What an interrupted run left in tmp/ goes at the next start: what a
 * stopped process wrote, or anything older than 36 hours. What this or
 * another running process is writing stays, however coarse the clock. */
static void
test_clean_tmp (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autofree char *outbox_tmp = g_build_filename (root, "Outbox", "tmp", NULL);
  g_autofree char *drafts_tmp = g_build_filename (root, "Drafts", "tmp", NULL);
  g_autofree char *dead_file = NULL, *dead_folder = NULL, *alive = NULL, *ancient = NULL;
  g_autofree char *name = NULL;
  g_autofree char *own_path = NULL;
  struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
  SignetStoreBatch *own;
  int fd;

  g_assert_true (signet_store_ensure (store, NULL));
  dead_file = plant (drafts_tmp, dead_pid (), FALSE);
  dead_folder = plant (outbox_tmp, dead_pid (), TRUE);
  alive = plant (outbox_tmp, 1, FALSE);
  ancient = plant (drafts_tmp, 1, FALSE);
  g_assert_cmpint (utimensat (AT_FDCWD, ancient, old, 0), ==, 0);
  own = signet_store_batch_new (store, NULL);
  write_batch_file (own, "001.eml", "being written");
  fd = signet_store_open_tmp (store, SIGNET_FOLDER_DRAFTS, &name, NULL);
  own_path = g_build_filename (drafts_tmp, name, NULL);

  signet_store_clean_tmp (store);
  g_assert_false (g_file_test (dead_file, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (dead_folder, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (ancient, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (alive, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (own_path, G_FILE_TEST_EXISTS));
  g_assert_true (signet_store_batch_commit (own, NULL));
  g_assert_true (signet_store_commit (store, SIGNET_FOLDER_DRAFTS, name, fd, NULL));
  signet_store_batch_free (own);
  signet_test_remove_tree (root);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/commit-and-move", test_commit_and_move);
  g_test_add_func ("/store/discard", test_discard);
  g_test_add_func ("/store/unwritable", test_unwritable);
  g_test_add_func ("/store/move-missing", test_move_missing);
  g_test_add_func ("/store/batch", test_batch);
  g_test_add_func ("/store/add-once", test_add_once);
  g_test_add_func ("/store/planted-folder-links", test_planted_folder_links);
  g_test_add_func ("/store/planted-batch-link", test_planted_batch_link);
  g_test_add_func ("/store/clean-tmp", test_clean_tmp);
  return g_test_run ();
}
