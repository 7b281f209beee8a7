#define G_LOG_DOMAIN "signet-transport"

#include "signet-transport.h"

#include <errno.h>
#include <fcntl.h>
#include "signet-gmime.h"
#include <glib/gstdio.h>

#include "signet-core.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-sealer.h"

G_DEFINE_INTERFACE (SignetTransport, signet_transport, G_TYPE_OBJECT)

static void
signet_transport_default_init (SignetTransportInterface *iface)
{
}

gboolean
signet_transport_deliver (SignetTransport    *self,
                          const char         *path,
                          const char * const *recipients,
                          GCancellable       *cancellable,
                          GError            **error)
{
  g_return_val_if_fail (SIGNET_IS_TRANSPORT (self), FALSE);
  return SIGNET_TRANSPORT_GET_IFACE (self)->deliver (self, path, recipients, cancellable, error);
}

/* Parses a queued message; its content stays on disk (persistent stream), so
 * large messages are not loaded into memory. */
static GMimeMessage *
parse_queued (const char *path, GError **error)
{
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  GMimeMessage *message;
  int fd;

  signet_core_init ();
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND,
                   _("Could not read the queued message (%s): %s"), path, g_strerror (errno));
      return NULL;
    }
  stream = g_mime_stream_fs_new (fd);
  parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_persist_stream (parser, TRUE);
  message = g_mime_parser_construct_message (parser, NULL);
  if (message == NULL)
    g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                 _("The queued message %s is damaged."), path);
  return message;
}

/* The addresses a queued message is for, as the send operation recorded. */
GStrv
signet_transport_read_envelope (const char *path,
                                GError    **error)
{
  g_autoptr(GMimeMessage) message = parse_queued (path, error);
  g_autoptr(InternetAddressList) list = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *value;

  if (message == NULL)
    return NULL;
  value = g_mime_object_get_header (GMIME_OBJECT (message), SIGNET_ENVELOPE_HEADER);
  if (value != NULL)
    list = internet_address_list_parse (NULL, value);
  if (list == NULL || internet_address_list_length (list) == 0)
    {
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                   _("The queued message %s has no recipients."), path);
      return NULL;
    }
  for (int i = 0; i < internet_address_list_length (list); i++)
    {
      InternetAddress *ia = internet_address_list_get_address (list, i);
      if (INTERNET_ADDRESS_IS_MAILBOX (ia))
        g_strv_builder_add (builder, internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia)));
    }
  return g_strv_builder_end (builder);
}

/* Writes the queued message at @path to @fd as recipients must see it: without
 * the envelope header. */
gboolean
signet_transport_write_without_envelope (const char *path,
                                         int         fd,
                                         GError    **error)
{
  g_autoptr(GMimeMessage) message = parse_queued (path, error);
  g_autoptr(GMimeStream) out = NULL;

  if (message == NULL)
    return FALSE;
  g_mime_object_remove_header (GMIME_OBJECT (message), SIGNET_ENVELOPE_HEADER);
  out = g_mime_stream_fs_new (fd);
  g_mime_stream_fs_set_owner (GMIME_STREAM_FS (out), FALSE);
  if (g_mime_object_write_to_stream (GMIME_OBJECT (message), NULL, out) < 0 ||
      g_mime_stream_flush (out) != 0)
    {
      g_set_error (error, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_FAILED,
                   _("Could not write the message: %s"), g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}
