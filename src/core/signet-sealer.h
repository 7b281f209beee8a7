#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"
#include "signet-message.h"

G_BEGIN_DECLS

#define SIGNET_ENVELOPE_HEADER "X-Signet-Envelope-To"

#define SIGNET_TYPE_SEALER (signet_sealer_get_type ())
G_DECLARE_FINAL_TYPE (SignetSealer, signet_sealer, SIGNET, SEALER, GObject)

SignetSealer *signet_sealer_new         (SignetKeyDirectory *directory);
gboolean      signet_sealer_write_clear (SignetSealer       *self,
                                         SignetMessage      *message,
                                         GPtrArray          *envelope,
                                         int                 fd,
                                         GCancellable       *cancellable,
                                         GError            **error);
gboolean      signet_sealer_write_sealed (SignetSealer      *self,
                                         SignetMessage      *message,
                                         GPtrArray          *envelope,
                                         const char * const *fingerprints,
                                         int                 fd,
                                         GCancellable       *cancellable,
                                         GError            **error);

G_END_DECLS
