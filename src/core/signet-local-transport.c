#define G_LOG_DOMAIN "signet-local-transport"

#include "signet-local-transport.h"

#include <errno.h>
#include <unistd.h>

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-i18n.h"
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
  g_autofree char *normal = signet_address_normalize (email);
  g_autoptr(GString) name = g_string_new (NULL);

  /* One folder per address, and a different one for every other address:
   * '%', '/' and a leading '.' are escaped (so "a/b@x" is not "a_b@x", and
   * no name leaves the root), and a name too long for the file system is
   * replaced by its digest. */
  for (const char *p = normal; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '/' || (*p == '.' && p == normal))
        g_string_append_printf (name, "%%%02X", (guchar) *p);
      else
        g_string_append_c (name, *p);
    }
  if (name->len > 200)
    {
      g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, normal, -1);
      g_string_printf (name, "%%sha256-%s", digest);
    }
  return g_build_filename (self->root, name->str, NULL);
}

/* Each copy lands in the recipient's Inbox under its copy ID: delivering it
 * again (a retry after a crash) finds it there and adds nothing. */
static gboolean
signet_local_transport_deliver (SignetTransport          *transport,
                                int                       message_fd,
                                const char               *copy_id,
                                const char * const       *recipients,
                                SignetTransportDelivered  delivered,
                                SignetTransportSending    sending,
                                gpointer                  user_data,
                                GCancellable             *cancellable,
                                GError                  **error)
{
  SignetLocalTransport *self = SIGNET_LOCAL_TRANSPORT (transport);

  for (guint i = 0; recipients[i] != NULL; i++)
    {
      g_autofree char *mailbox = signet_local_transport_get_mailbox_path (self, recipients[i]);
      g_autoptr(SignetStore) store = signet_store_new (mailbox);
      g_autoptr(GError) local_error = NULL;
      gboolean added;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (lseek (message_fd, 0, SEEK_SET) != 0 ||
          !signet_store_add_once (store, SIGNET_FOLDER_INBOX, copy_id, message_fd, &added, &local_error))
        {
          /* Translators: first %s is an address, second the reason */
          g_set_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_TEMPORARY,
                       _("Could not deliver to %s: %s"), recipients[i],
                       local_error ? local_error->message : g_strerror (errno));
          return FALSE;
        }
      if (delivered != NULL)
        delivered (recipients[i], user_data);
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
