/* Resolves the addresses given on the command line in one batch, twice
 * with an unchanged keyring, and prints "first_ms repeat_ms" (the second
 * shows what a repeated Check Names costs).
 * usage: bench-resolve GNUPGHOME ADDRESS… */
#include <stdio.h>

#include "signet-key-directory-private.h"

static double
resolve_ms (SignetKeyDirectory *directory, const char * const *emails)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  results = signet_key_directory_resolve_sync (directory, emails, NULL, &error);
  if (results == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return -1;
    }
  for (guint i = 0; i < results->len; i++)
    if (((SignetKeyResult *) g_ptr_array_index (results, i))->status == SIGNET_KEY_STATUS_MISSING)
      {
        fprintf (stderr, "no key for %s\n", emails[i]);
        return -1;
      }
  return (g_get_monotonic_time () - start) / 1e3;
}

int
main (int argc, char *argv[])
{
  g_autoptr(SignetNetwork) network = NULL;
  g_autoptr(SignetKeyDirectory) directory = NULL;
  double first, repeat;

  if (argc < 3)
    {
      fprintf (stderr, "usage: bench-resolve GNUPGHOME ADDRESS…\n");
      return 2;
    }
  network = signet_network_new (NULL);
  directory = signet_key_directory_new (argv[1], network);
  first = resolve_ms (directory, (const char * const *) argv + 2);
  repeat = resolve_ms (directory, (const char * const *) argv + 2);
  if (first < 0 || repeat < 0)
    return 1;
  printf ("%.1f %.1f\n", first, repeat);
  return 0;
}
