#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"
#include "signet-message.h"

G_BEGIN_DECLS

/* How a message is written. */
typedef struct {
  /* A draft: every recipient (Bcc too) is kept, and a sealed draft shows
   * none of them, nor the subject, outside the ciphertext. */
  gboolean draft;
  /* A sealed copy's outer Subject is "..." (the real one is inside). */
  gboolean encrypt_subject;
  /* The fingerprint of the own key that signs the message (RFC 3156), or
   * NULL: not signed. */
  const char *signer;
} SignetSealOptions;

#define SIGNET_TYPE_SEALER (signet_sealer_get_type ())
G_DECLARE_FINAL_TYPE (SignetSealer, signet_sealer, SIGNET, SEALER, GObject)

SignetSealer *signet_sealer_new          (SignetKeyDirectory      *directory);
gboolean      signet_sealer_write_clear  (SignetSealer            *self,
                                          SignetMessage           *message,
                                          const SignetSealOptions *options,
                                          int                      fd,
                                          GCancellable            *cancellable,
                                          GError                 **error);
gboolean      signet_sealer_write_sealed (SignetSealer            *self,
                                          SignetMessage           *message,
                                          const SignetSealOptions *options,
                                          const char * const      *fingerprints,
                                          int                      fd,
                                          GCancellable            *cancellable,
                                          GError                 **error);

G_END_DECLS
