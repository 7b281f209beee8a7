/* Seals a message with one large attachment to the demo recipients and
 * prints "seconds peak_rss_kib" for this process. gpg runs as a separate
 * (double-forked) process, so its memory is not counted here.
 * usage: bench-seal GNUPGHOME ATTACHMENT OUTPUT */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-sealer.h"
#include "signet-key-directory-private.h"

static long
peak_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line ? strtol (line + 6, NULL, 10) : -1;
}

int
main (int argc, char *argv[])
{
  g_autoptr(SignetNetwork) network = NULL;
  g_autoptr(SignetKeyDirectory) directory = NULL;
  g_autoptr(SignetSealer) sealer = NULL;
  g_autoptr(SignetMessage) message = signet_message_new ();
  g_autoptr(SignetAddress) from = signet_address_new ("Signet Demo", "demo@example.org");
  g_autoptr(SignetAddress) to = signet_address_new (NULL, "alice@example.org");
  g_autoptr(GFile) file = NULL;
  g_autoptr(SignetAttachment) attachment = NULL;
  const SignetSealOptions options = { FALSE, TRUE };
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  const char *emails[] = { "alice@example.org", "demo@example.org", NULL };
  const char *fprs[3] = { NULL };
  GStatBuf st;
  gint64 start;
  int fd;

  if (argc != 4 || g_stat (argv[2], &st) != 0)
    {
      fprintf (stderr, "usage: bench-seal GNUPGHOME ATTACHMENT OUTPUT\n");
      return 2;
    }
  network = signet_network_new (NULL);
  directory = signet_key_directory_new (argv[1], network);
  sealer = signet_sealer_new (directory);
  results = signet_key_directory_resolve_sync (directory, emails, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (signet_key_results_all_ok (results));
  for (guint i = 0; i < 2; i++)
    fprs[i] = ((SignetKeyResult *) g_ptr_array_index (results, i))->fingerprint;

  file = g_file_new_for_path (argv[2]);
  attachment = signet_attachment_new (file, NULL, NULL, st.st_size);
  signet_message_set_from (message, from);
  signet_message_add_to (message, to);
  signet_message_set_subject (message, "benchmark");
  signet_message_set_body (message, "See attachment.\n");
  signet_message_add_attachment (message, attachment);

  fd = g_open (argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  start = g_get_monotonic_time ();
  if (!signet_sealer_write_sealed (sealer, message, &options, fprs, fd, NULL, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  close (fd);
  printf ("%.3f %ld\n", (g_get_monotonic_time () - start) / 1e6, peak_rss_kib ());
  return 0;
}
