/* Runs a fuzz target over files, as libFuzzer would run them, without
 * libFuzzer: every file of each directory given (or each file given), in
 * name order. A broken property or a memory error aborts, and the file
 * being run is named first. So the seeds and every input that once broke
 * something are run in every build. */

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
run_file (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return FALSE;
    }
  fprintf (stderr, "running %s (%" G_GSIZE_FORMAT " bytes)\n", path, len);
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The number of files run in @path, or -1. A missing directory has none. */
static int
run_path (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return run_file (path) ? 1 : -1;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return 0;
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return -1;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    if (!run_file (g_ptr_array_index (names, i)))
      return -1;
  return (int) names->len;
}

int
main (int argc, char *argv[])
{
  int total = 0;

  for (int i = 1; i < argc; i++)
    {
      int n = run_path (argv[i]);

      if (n < 0)
        return 1;
      total += n;
    }
  printf ("%d inputs run, no property broken\n", total);
  /* Nothing run proves nothing: a target without seeds is a mistake. */
  return total > 0 ? 0 : 1;
}
