#pragma once

#include "signet-completion-provider.h"
#include "signet-key-directory.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_KEYRING_COMPLETION (signet_keyring_completion_get_type ())
G_DECLARE_FINAL_TYPE (SignetKeyringCompletion, signet_keyring_completion, SIGNET, KEYRING_COMPLETION, GObject)

SignetKeyringCompletion *signet_keyring_completion_new (SignetKeyDirectory *directory);

G_END_DECLS
