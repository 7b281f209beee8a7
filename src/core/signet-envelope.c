#define G_LOG_DOMAIN "signet-envelope"

#include "signet-envelope.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-store.h"

#define MAX_ENVELOPE_SIZE (4 * 1024 * 1024)

static gboolean
damaged (GError **error, const char *name)
{
  /* Translators: %s is a file name in the Outbox */
  g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_DAMAGED,
               _("The list of recipients of a queued message (%s) is damaged."), name);
  return FALSE;
}

/* The text of an envelope; refuses anything that would not read back as the
 * same addresses (an invalid address, a line break inside one). */
char *
signet_envelope_format (const char * const *recipients,
                        GError            **error)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; recipients != NULL && recipients[i] != NULL; i++)
    {
      if (!signet_address_is_valid_stored_email (recipients[i]))
        {
          g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID,
                       _("“%s” is not a valid email address."), recipients[i]);
          return NULL;
        }
      g_string_append (text, recipients[i]);
      g_string_append_c (text, '\n');
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
read_small_file (int dir_fd, const char *name, gboolean must_exist, gsize *len, GError **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char buffer[4096];
  int fd = openat (dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0)
    {
      *len = 0;
      if (errno == ENOENT && !must_exist)
        return g_strdup ("");
      damaged (error, name);
      return NULL;
    }
  for (;;)
    {
      gssize n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || text->len + n > MAX_ENVELOPE_SIZE)
        {
          close (fd);
          *len = text->len;
          if (n == 0)
            return g_string_free (g_steal_pointer (&text), FALSE);
          damaged (error, name);
          return NULL;
        }
      g_string_append_len (text, buffer, n);
    }
}

/* The addresses in envelope file @name of @dir_fd. A missing file is empty
 * unless @must_exist; anything that is not a list of valid addresses is an
 * error (SIGNET_STORE_ERROR_DAMAGED). A last line cut short by a crash
 * (no final newline) is ignored: it was never confirmed. */
GStrv
signet_envelope_read (int         dir_fd,
                      const char *name,
                      gboolean    must_exist,
                      GError    **error)
{
  gsize len = 0;
  g_autofree char *text = read_small_file (dir_fd, name, must_exist, &len, error);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = NULL;
  guint n;

  if (text == NULL)
    return NULL;
  /* The whole file, NUL bytes included: read as a C string, a NUL would end
   * the text early and silently drop every address after it. */
  if (!g_utf8_validate_len (text, len, NULL) || (must_exist && len == 0))
    {
      damaged (error, name);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  /* The element after the last newline is empty, or an unfinished line. */
  for (guint i = 0; i + 1 < n; i++)
    {
      if (!signet_address_is_valid_stored_email (lines[i]))
        {
          damaged (error, name);
          return NULL;
        }
      g_strv_builder_add (builder, lines[i]);
    }
  return g_strv_builder_end (builder);
}

/* Records that @recipient got its copy, durably, before going on. */
gboolean
signet_envelope_append (int         fd,
                        const char *recipient,
                        GError    **error)
{
  g_autofree char *line = g_strconcat (recipient, "\n", NULL);
  struct stat st;
  char last = '\n';

  /* A line cut short by a crash was never confirmed: it goes, so the next
   * record is not glued to it. */
  if (fstat (fd, &st) == 0 && st.st_size > 0 && pread (fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
    {
      off_t end = st.st_size - 1;
      char c;

      while (end > 0 && pread (fd, &c, 1, end - 1) == 1 && c != '\n')
        end--;
      if (ftruncate (fd, end) != 0)
        {
          g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                       _("Could not write to the mail store (%s): %s"), "done", g_strerror (errno));
          return FALSE;
        }
    }
  if (!signet_store_write_all (fd, line, strlen (line), error))
    return FALSE;
  if (fdatasync (fd) != 0)
    {
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                   _("Could not write to the mail store (%s): %s"), "done", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}
