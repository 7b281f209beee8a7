#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_SIGN_AVAILABILITY (signet_sign_availability_get_type ())
G_DECLARE_FINAL_TYPE (SignetSignAvailability, signet_sign_availability, SIGNET, SIGN_AVAILABILITY, GObject)

SignetSignAvailability *signet_sign_availability_new         (SignetKeyDirectory     *directory);
void                    signet_sign_availability_set_sender  (SignetSignAvailability *self,
                                                              const char             *from,
                                                              const char             *preferred_key);
gboolean                signet_sign_availability_get_known     (SignetSignAvailability *self);
gboolean                signet_sign_availability_get_available (SignetSignAvailability *self);
const char             *signet_sign_availability_get_reason    (SignetSignAvailability *self);

G_END_DECLS
