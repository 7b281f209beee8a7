#pragma once

#include "signet-curl-tls.h"
#include "signet-transport.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_SMTP_TRANSPORT (signet_smtp_transport_get_type ())
G_DECLARE_FINAL_TYPE (SignetSmtpTransport, signet_smtp_transport, SIGNET, SMTP_TRANSPORT, GObject)

/* @security is "tls" (TLS from the first byte), "starttls" (STARTTLS is
 * required) or "none" (only for a server on this computer); @port 0 means
 * the usual one for it (465, or 587). */
SignetSmtpTransport *signet_smtp_transport_new                  (const char            *host,
                                                                 guint                  port,
                                                                 const char            *security);
void                 signet_smtp_transport_set_password         (SignetSmtpTransport   *self,
                                                                 const char            *password);
void                 signet_smtp_transport_set_password_func    (SignetSmtpTransport   *self,
                                                                 SignetPasswordFunc     func,
                                                                 gpointer               user_data,
                                                                 GDestroyNotify         destroy);
gboolean             signet_smtp_transport_dup_untrusted_certificate (SignetSmtpTransport *self,
                                                                      char               **fingerprint,
                                                                      char               **pin);

G_END_DECLS
