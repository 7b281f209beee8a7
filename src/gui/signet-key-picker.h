#pragma once

#include <adwaita.h>

#include "signet-key-directory.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_KEY_PICKER (signet_key_picker_get_type ())
G_DECLARE_FINAL_TYPE (SignetKeyPicker, signet_key_picker, SIGNET, KEY_PICKER, AdwWindow)

SignetKeyPicker *signet_key_picker_new                (GtkWindow          *parent,
                                                       SignetKeyDirectory *directory,
                                                       const char         *email);
const char      *signet_key_picker_get_email          (SignetKeyPicker    *self);
char            *signet_key_picker_format_fingerprint (const char         *fingerprint);

G_END_DECLS
