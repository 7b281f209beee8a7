#include "signet-test-no-library.h"

#include <glib/gstdio.h>

void
signet_test_without_library (const char *soname,
                             GTestFunc   child)
{
  g_autofree char *dir = NULL;
  g_autofree char *fake = NULL;
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      child ();
      return;
    }
  dir = g_dir_make_tmp ("signet-no-library-XXXXXX", &error);
  g_assert_no_error (error);
  fake = g_build_filename (dir, soname, NULL);
  g_assert_true (g_file_set_contents (fake, "not a library\n", -1, NULL));
  /* Read by the dynamic loader when the child starts. */
  g_setenv ("LD_LIBRARY_PATH", dir, TRUE);
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("LD_LIBRARY_PATH");
  g_unlink (fake);
  g_rmdir (dir);
  g_test_trap_assert_passed ();
}
