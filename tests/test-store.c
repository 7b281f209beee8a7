#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-store.h"
#include "signet-test-util.h"

static void
test_commit_and_move (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *final_path = NULL;
  g_autofree char *sent_path = NULL;
  g_autofree char *outbox = signet_store_get_folder_path (store, SIGNET_FOLDER_OUTBOX);
  g_autofree char *sent = signet_store_get_folder_path (store, SIGNET_FOLDER_SENT);
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  GStatBuf st;
  int fd;

  fd = signet_store_open_tmp (store, SIGNET_FOLDER_OUTBOX, &tmp_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (g_str_has_prefix (tmp_path, outbox));
  g_assert_nonnull (strstr (tmp_path, "/tmp/"));
  g_assert_cmpint (write (fd, "Subject: x\n\nbody\n", 17), ==, 17);
  g_assert_cmpint (g_stat (tmp_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (signet_store_commit (store, SIGNET_FOLDER_OUTBOX, tmp_path, fd, &final_path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (tmp_path, G_FILE_TEST_EXISTS));
  g_assert_nonnull (strstr (final_path, "/Outbox/new/"));
  contents = signet_test_read_file (final_path);
  g_assert_cmpstr (contents, ==, "Subject: x\n\nbody\n");

  listed = signet_store_list (store, SIGNET_FOLDER_OUTBOX, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (listed, 0), ==, final_path);

  sent_path = signet_store_move (store, final_path, SIGNET_FOLDER_SENT, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (sent_path, sent));
  g_assert_true (g_str_has_suffix (sent_path, ":2,S"));
  g_assert_cmpuint (signet_test_count_files (outbox), ==, 0);
  g_assert_cmpuint (signet_test_count_files (sent), ==, 1);

  g_assert_cmpint (g_stat (outbox, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  signet_test_remove_tree (root);
}

static void
test_discard (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autofree char *tmp_path = NULL;
  int fd = signet_store_open_tmp (store, SIGNET_FOLDER_DRAFTS, &tmp_path, NULL);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  signet_store_discard (tmp_path);
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
  g_autofree char *tmp_path = NULL;

  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  g_assert_cmpint (signet_store_open_tmp (store, SIGNET_FOLDER_OUTBOX, &tmp_path, &error), ==, -1);
  g_assert_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "Could not write to the mail store"));
  g_assert_null (tmp_path);
  signet_test_remove_tree (dir);
}

static void
test_move_missing (void)
{
  g_autofree char *root = signet_test_make_tmpdir ();
  g_autoptr(SignetStore) store = signet_store_new (root);
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (root, "Outbox", "new", "nothing", NULL);

  g_assert_null (signet_store_move (store, missing, SIGNET_FOLDER_SENT, &error));
  g_assert_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND);
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
  return g_test_run ();
}
