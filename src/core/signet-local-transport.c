#define G_LOG_DOMAIN "signet-local-transport"

#include "signet-local-transport.h"

#include <unistd.h>

#include "signet-store.h"

/* The embedded default: delivers into a local Maildir per recipient under one
 * root, as a mail server on this machine would. Each mailbox is a SignetStore
 * whose Inbox receives the message. */
struct _SignetLocalTransport
{
  GObject  parent_instance;
  char    *root;
};

static void signet_local_transport_iface_init (SignetTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SignetLocalTransport, signet_local_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_TRANSPORT, signet_local_transport_iface_init))

char *
signet_local_transport_get_mailbox_path (SignetLocalTransport *self,
                                         const char           *email)
{
  g_autofree char *name = g_utf8_strdown (email, -1);

  /* Addresses we accept never start with a dot; a slash would leave the root. */
  g_strdelimit (name, "/", '_');
  return g_build_filename (self->root, name, NULL);
}

static gboolean
deliver_one (SignetLocalTransport *self,
             const char           *path,
             const char           *email,
             GError              **error)
{
  g_autofree char *mailbox = signet_local_transport_get_mailbox_path (self, email);
  g_autoptr(SignetStore) store = signet_store_new (mailbox);
  g_autofree char *tmp_path = NULL;
  int fd;

  fd = signet_store_open_tmp (store, SIGNET_FOLDER_INBOX, &tmp_path, error);
  if (fd < 0)
    return FALSE;
  if (!signet_transport_write_without_envelope (path, fd, error))
    {
      close (fd);
      signet_store_discard (tmp_path);
      return FALSE;
    }
  return signet_store_commit (store, SIGNET_FOLDER_INBOX, tmp_path, fd, NULL, error);
}

static gboolean
signet_local_transport_deliver (SignetTransport    *transport,
                                const char         *path,
                                const char * const *recipients,
                                GCancellable       *cancellable,
                                GError            **error)
{
  SignetLocalTransport *self = SIGNET_LOCAL_TRANSPORT (transport);

  for (guint i = 0; recipients[i] != NULL; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!deliver_one (self, path, recipients[i], error))
        return FALSE;
    }
  return TRUE;
}

static void
signet_local_transport_iface_init (SignetTransportInterface *iface)
{
  iface->deliver = signet_local_transport_deliver;
}

static void
signet_local_transport_finalize (GObject *object)
{
  g_free (SIGNET_LOCAL_TRANSPORT (object)->root);
  G_OBJECT_CLASS (signet_local_transport_parent_class)->finalize (object);
}

static void
signet_local_transport_class_init (SignetLocalTransportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = signet_local_transport_finalize;
}

static void
signet_local_transport_init (SignetLocalTransport *self)
{
}

SignetLocalTransport *
signet_local_transport_new (const char *root)
{
  SignetLocalTransport *self = g_object_new (SIGNET_TYPE_LOCAL_TRANSPORT, NULL);

  self->root = g_strdup (root);
  return self;
}
