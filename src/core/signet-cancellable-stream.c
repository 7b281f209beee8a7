/* A GMime stream writing to a file descriptor it does not own, whose
 * writes fail with ECANCELED once its GCancellable is cancelled. GMime
 * writes a message block by block, so writing one with a large attachment
 * stops at the next block after Cancel, not once the whole message is
 * out. */

#include "config.h"

#include "signet-cancellable-stream.h"

#include <errno.h>
#include <unistd.h>

typedef struct {
  GMimeStreamFs  parent_instance;
  GCancellable  *cancellable;
} SignetCancellableStream;

typedef struct {
  GMimeStreamFsClass parent_class;
} SignetCancellableStreamClass;

static GType signet_cancellable_stream_get_type (void);

G_DEFINE_TYPE (SignetCancellableStream, signet_cancellable_stream, GMIME_TYPE_STREAM_FS)

static ssize_t
signet_cancellable_stream_write (GMimeStream *stream,
                                 const char  *buf,
                                 size_t       len)
{
  SignetCancellableStream *self = (SignetCancellableStream *) stream;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      errno = ECANCELED;
      return -1;
    }
  return GMIME_STREAM_CLASS (signet_cancellable_stream_parent_class)->write (stream, buf, len);
}

static void
signet_cancellable_stream_finalize (GObject *object)
{
  g_clear_object (&((SignetCancellableStream *) object)->cancellable);
  G_OBJECT_CLASS (signet_cancellable_stream_parent_class)->finalize (object);
}

static void
signet_cancellable_stream_class_init (SignetCancellableStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = signet_cancellable_stream_finalize;
  GMIME_STREAM_CLASS (klass)->write = signet_cancellable_stream_write;
}

static void
signet_cancellable_stream_init (SignetCancellableStream *self)
{
}

/* @fd stays open when the stream goes. @cancellable may be NULL. */
GMimeStream *
signet_cancellable_stream_new (int           fd,
                               GCancellable *cancellable)
{
  SignetCancellableStream *self = g_object_new (signet_cancellable_stream_get_type (), NULL);
  GMimeStreamFs *fs = GMIME_STREAM_FS (self);
  gint64 start = lseek (fd, 0, SEEK_CUR);

  g_mime_stream_construct (GMIME_STREAM (self), start < 0 ? 0 : start, -1);
  fs->fd = fd;
  fs->owner = FALSE;
  fs->eos = FALSE;
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  return GMIME_STREAM (self);
}
