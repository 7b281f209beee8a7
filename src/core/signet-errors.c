#include "signet-errors.h"

G_DEFINE_QUARK (signet-address-error-quark, signet_address_error)
G_DEFINE_QUARK (signet-key-management-error-quark, signet_key_management_error)
G_DEFINE_QUARK (signet-sealer-error-quark, signet_sealer_error)
G_DEFINE_QUARK (signet-store-error-quark, signet_store_error)
G_DEFINE_QUARK (signet-send-error-quark, signet_send_error)
G_DEFINE_QUARK (signet-mailto-error-quark, signet_mailto_error)
G_DEFINE_QUARK (signet-transport-error-quark, signet_transport_error)
G_DEFINE_QUARK (signet-account-error-quark, signet_account_error)
