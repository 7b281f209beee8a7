#pragma once

/* What the S/MIME sealer shares with the PGP/MIME one: building the
 * message, and streaming it into GnuPG. */
#include "signet-gmime.h"
#include "signet-sealer.h"

G_BEGIN_DECLS

/* Makes GnuPG read the entity from @plain_fd (until its end). */
typedef gboolean (*SignetSealerStreamFunc) (int            plain_fd,
                                            gpointer       data,
                                            GCancellable  *cancellable,
                                            GError       **error);

gboolean      signet_sealer_stream_entity      (GMimeObject             *entity,
                                                SignetSealerStreamFunc   run,
                                                gpointer                 data,
                                                GCancellable            *cancellable,
                                                GError                 **error);
GMimeObject  *signet_sealer_build_inner        (SignetMessage           *message,
                                                const SignetSealOptions *options,
                                                const char              *message_id,
                                                GDateTime               *date,
                                                GError                 **error);
GMimeObject  *signet_sealer_build_clear_content (SignetMessage          *message,
                                                GError                 **error);
GMimeMessage *signet_sealer_build_outer        (SignetMessage           *message,
                                                const SignetSealOptions *options,
                                                gboolean                 sealed,
                                                const char              *message_id,
                                                GDateTime               *date);
char         *signet_sealer_new_message_id     (SignetMessage           *message);
gboolean      signet_sealer_write_object       (GMimeObject             *object,
                                                int                      fd,
                                                GCancellable            *cancellable,
                                                GError                 **error);
int           signet_sealer_open_temp_file     (SignetSealer            *self,
                                                GError                 **error);
gboolean      signet_sealer_write_canonical    (GMimeObject             *entity,
                                                int                      fd,
                                                GCancellable            *cancellable,
                                                GError                 **error);
gboolean      signet_sealer_rewind             (int                      fd,
                                                GError                 **error);

G_END_DECLS
