#define G_LOG_DOMAIN "signet-attachment"

#include "signet-attachment.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-i18n.h"

/* A file attached to a message: immutable once made, so a message and the
 * composer can share it. The name is what recipients see as the file name;
 * it is cleaned of control characters here, before it can reach a header.
 *
 * The content is a file on disk, or a file in memory held by a descriptor
 * (an attachment read back from a sealed message, which must not reach the
 * disk in the clear: see signet_attachment_new_for_fd()). */
struct _SignetAttachment
{
  GObject  parent_instance;

  GFile   *file;
  int      fd;       /* the content in memory, or -1 */
  char    *name;
  char    *content_type;
  goffset  size;
};

G_DEFINE_FINAL_TYPE (SignetAttachment, signet_attachment, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FILE,
  PROP_FD,
  PROP_NAME,
  PROP_CONTENT_TYPE,
  PROP_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A name fit for a Content-Disposition filename: valid UTF-8, no control
 * character (C0, DEL, C1, line and paragraph separators), no path
 * separator, never empty. */
char *
signet_attachment_clean_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name != NULL ? name : "", -1);
  GString *out = g_string_new (NULL);

  gunichar previous = 0;

  for (const char *p = valid; *p != '\0'; previous = g_utf8_get_char (p), p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* Line breaks, path separators, the bidirectional controls that make
       * "invfdp.exe" look like "invexe.pdf", and "=?", with which a name
       * would be decoded as RFC 2047 encoded words by the recipient. */
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029 ||
          c == '/' || c == '\\' || c == 0x061c || c == 0x200e || c == 0x200f ||
          (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
          (c == '?' && previous == '='))
        g_string_append_c (out, '_');
      else
        g_string_append_unichar (out, c);
    }
  g_strstrip (out->str);
  out->len = strlen (out->str);
  if (out->len == 0 || strcmp (out->str, ".") == 0 || strcmp (out->str, "..") == 0)
    g_string_assign (out, "attachment");
  return g_string_free (out, FALSE);
}

static void
signet_attachment_finalize (GObject *object)
{
  SignetAttachment *self = SIGNET_ATTACHMENT (object);

  g_clear_object (&self->file);
  if (self->fd >= 0)
    close (self->fd);
  g_free (self->name);
  g_free (self->content_type);
  G_OBJECT_CLASS (signet_attachment_parent_class)->finalize (object);
}

static void
signet_attachment_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetAttachment *self = SIGNET_ATTACHMENT (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_FD:
      g_value_set_int (value, self->fd);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_CONTENT_TYPE:
      g_value_set_string (value, self->content_type);
      break;
    case PROP_SIZE:
      g_value_set_int64 (value, self->size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_attachment_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetAttachment *self = SIGNET_ATTACHMENT (object);

  switch (prop_id)
    {
    case PROP_FILE:
      self->file = g_value_dup_object (value);
      break;
    case PROP_FD:
      self->fd = g_value_get_int (value);
      break;
    case PROP_NAME:
      self->name = g_value_get_string (value) ? signet_attachment_clean_name (g_value_get_string (value)) : NULL;
      break;
    case PROP_CONTENT_TYPE:
      self->content_type = g_value_dup_string (value);
      break;
    case PROP_SIZE:
      self->size = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_attachment_constructed (GObject *object)
{
  SignetAttachment *self = SIGNET_ATTACHMENT (object);

  G_OBJECT_CLASS (signet_attachment_parent_class)->constructed (object);
  g_assert (G_IS_FILE (self->file) != (self->fd >= 0));
  if (self->name == NULL)
    {
      g_autofree char *base = self->file != NULL ? g_file_get_basename (self->file) : NULL;
      self->name = signet_attachment_clean_name (base);
    }
  if (self->fd >= 0)
    {
      GStatBuf st;

      if (fstat (self->fd, &st) == 0)
        self->size = st.st_size;
    }
  if (self->content_type == NULL || *self->content_type == '\0')
    {
      g_free (self->content_type);
      self->content_type = g_strdup ("application/octet-stream");
    }
}

static void
signet_attachment_class_init (SignetAttachmentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = signet_attachment_finalize;
  object_class->constructed = signet_attachment_constructed;
  object_class->get_property = signet_attachment_get_property;
  object_class->set_property = signet_attachment_set_property;

  properties[PROP_FILE] = g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE, flags);
  /* Owned: closed with the attachment. */
  properties[PROP_FD] = g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_CONTENT_TYPE] = g_param_spec_string ("content-type", NULL, NULL, NULL, flags);
  properties[PROP_SIZE] = g_param_spec_int64 ("size", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_attachment_init (SignetAttachment *self)
{
  self->fd = -1;
}

/* @name: (nullable): the file name recipients see; the file's own by default.
 * @content_type: (nullable): a MIME type; application/octet-stream by default. */
SignetAttachment *
signet_attachment_new (GFile      *file,
                       const char *name,
                       const char *content_type,
                       goffset     size)
{
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  return g_object_new (SIGNET_TYPE_ATTACHMENT,
                       "file", file, "name", name, "content-type", content_type,
                       "size", (gint64) MAX (size, 0), NULL);
}

/* @fd: a descriptor of a regular file, typically a sealed memfd, that the
 * attachment takes over (it is closed with the attachment).
 * @name: (nullable): the file name recipients see; "attachment" by default.
 * @content_type: (nullable): a MIME type; application/octet-stream by default.
 *
 * An attachment whose content is held by @fd rather than a file on disk:
 * it has no GFile (signet_attachment_get_file() returns NULL), and each
 * signet_attachment_open() reads it from its start on a descriptor of its
 * own, so it can be sealed again as often as needed. */
SignetAttachment *
signet_attachment_new_for_fd (int         fd,
                              const char *name,
                              const char *content_type)
{
  g_return_val_if_fail (fd >= 0, NULL);

  return g_object_new (SIGNET_TYPE_ATTACHMENT,
                       "fd", fd, "name", name, "content-type", content_type, NULL);
}

/* The attached file; NULL for an attachment held in memory. */
GFile *
signet_attachment_get_file (SignetAttachment *self)
{
  g_return_val_if_fail (SIGNET_IS_ATTACHMENT (self), NULL);
  return self->file;
}

const char *
signet_attachment_get_name (SignetAttachment *self)
{
  g_return_val_if_fail (SIGNET_IS_ATTACHMENT (self), NULL);
  return self->name;
}

const char *
signet_attachment_get_content_type (SignetAttachment *self)
{
  g_return_val_if_fail (SIGNET_IS_ATTACHMENT (self), NULL);
  return self->content_type;
}

goffset
signet_attachment_get_size (SignetAttachment *self)
{
  g_return_val_if_fail (SIGNET_IS_ATTACHMENT (self), 0);
  return self->size;
}

static void
set_not_regular_error (SignetAttachment *self, GError **error)
{
  /* Translators: %s is the attachment's file name */
  g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT,
               _("The attachment “%s” is no longer a regular file and was not sent."), self->name);
}

static void
set_unreadable_error (SignetAttachment *self, int saved_errno, GError **error)
{
  /* Translators: first %s is a file name, second the system's reason */
  g_set_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT,
               _("The attachment “%s” cannot be read: %s"), self->name, g_strerror (saved_errno));
}

/* Makes @fd, open on a regular file, a plain blocking descriptor, which is
 * what the stream that reads it expects. 0, or an errno value. */
static int
check_regular (int fd, gboolean *regular)
{
  GStatBuf st;
  int flags;

  *regular = TRUE;
  if (fstat (fd, &st) != 0)
    return errno;
  if (!S_ISREG (st.st_mode))
    {
      *regular = FALSE;
      return 0;
    }
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || fcntl (fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    return errno;
  return 0;
}

/* A descriptor of its own on the content held in memory, at its start: the
 * file opened anew through /proc, so that readers do not share an offset;
 * where /proc is missing, a duplicate rewound (one reader at a time). */
static int
open_in_memory (SignetAttachment *self, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/fd/%d", self->fd);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  int saved_errno;

  if (fd >= 0)
    return fd;
  fd = fcntl (self->fd, F_DUPFD_CLOEXEC, 0);
  if (fd >= 0 && lseek (fd, 0, SEEK_SET) == 0)
    return fd;
  saved_errno = errno;
  if (fd >= 0)
    close (fd);
  set_unreadable_error (self, saved_errno, error);
  return -1;
}

/* Opens the attached file for reading when the message is built. Only a
 * regular file is read: a FIFO put in its place would block the send for
 * ever, a device such as /dev/zero would never end, a directory is no
 * content, and a symbolic link put in its place could point anywhere.
 * Returns a blocking, close-on-exec descriptor, or -1 with @error set. */
int
signet_attachment_open (SignetAttachment *self,
                        GError          **error)
{
  g_autofree char *path = NULL;
  gboolean regular = TRUE;
  GStatBuf st;
  int saved_errno;
  int fd;

  g_return_val_if_fail (SIGNET_IS_ATTACHMENT (self), -1);

  if (self->fd >= 0)
    return open_in_memory (self, error);
  path = g_file_get_path (self->file);
  if (path == NULL)
    {
      set_unreadable_error (self, ENOENT, error);
      return -1;
    }
  /* Not opened at all when it is plainly something else: opening some
   * devices has effects of its own. What decides is the fstat() of what
   * was opened. */
  if (g_lstat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      set_not_regular_error (self, error);
      return -1;
    }
  /* O_NOFOLLOW: a symbolic link swapped in since fails with ELOOP.
   * O_NONBLOCK: a FIFO swapped in since does not block the open. */
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  saved_errno = fd < 0 ? errno : check_regular (fd, &regular);
  if (fd >= 0 && regular && saved_errno == 0)
    return fd;
  if (fd >= 0)
    close (fd);
  if (!regular || saved_errno == ELOOP)
    set_not_regular_error (self, error);
  else
    set_unreadable_error (self, saved_errno, error);
  return -1;
}
