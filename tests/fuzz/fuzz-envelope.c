/* The list of recipients kept beside a queued message in the Outbox, as a
 * crash or a full disk may leave it: either refused as damaged, or every
 * address in it valid and exactly the confirmed lines of the file, so that
 * no recipient of a queued copy is silently dropped or made up. */

#define _GNU_SOURCE

#include "fuzz-check.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signet-envelope.h"
#include "signet-errors.h"

static char *dir;
static int dir_fd = -1;

static void
remove_dir (void)
{
  g_autofree char *file = g_build_filename (dir, "fuzz.rcpt", NULL);

  close (dir_fd);
  g_unlink (file);
  g_rmdir (dir);
}

static void
write_envelope (const uint8_t *data, size_t size)
{
  int fd;

  if (dir == NULL)
    {
      /* In memory where there is a place for it: the disk would be the
       * bottleneck of each input. */
      if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR))
        dir = g_mkdtemp (g_strdup ("/dev/shm/sg-fuzz.XXXXXX"));
      else
        dir = g_dir_make_tmp ("sg-fuzz.XXXXXX", NULL);
      g_assert (dir != NULL);
      dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      g_assert (dir_fd >= 0);
      atexit (remove_dir);
    }
  /* A new file each time: ext4 writes a truncated file out when it is
   * closed. */
  unlinkat (dir_fd, "fuzz.rcpt", 0);
  fd = openat (dir_fd, "fuzz.rcpt", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  g_assert (fd >= 0);
  g_assert (size == 0 || write (fd, data, size) == (ssize_t) size);
  close (fd);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autofree char *text = NULL;
  const char *last_newline = size > 0 ? memrchr (data, '\n', size) : NULL;
  gsize confirmed = last_newline != NULL ? (gsize) (last_newline - (const char *) data) + 1 : 0;

  fuzz_init ();
  write_envelope (data, size);
  recipients = signet_envelope_read (dir_fd, "fuzz.rcpt", TRUE, &error);
  if (recipients == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_DAMAGED) &&
                  g_utf8_validate (error->message, -1, NULL), "a refusal of an unexpected kind", input, NULL);
      return 0;
    }
  for (guint i = 0; recipients[i] != NULL; i++)
    FUZZ_CHECK (signet_address_is_valid_stored_email (recipients[i]), "an address read is not valid", input, recipients[i]);
  text = signet_envelope_format ((const char * const *) recipients, &error);
  FUZZ_CHECK (text != NULL, "the addresses read cannot be written again", input, error->message);
  FUZZ_CHECK (strlen (text) == confirmed && memcmp (text, data, confirmed) == 0,
              "the addresses read are not the confirmed lines of the file", input, text);
  return 0;
}
