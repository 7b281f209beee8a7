#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIGNET_ADDRESS_ERROR (signet_address_error_quark ())
#define SIGNET_KEY_MANAGEMENT_ERROR (signet_key_management_error_quark ())
#define SIGNET_SEALER_ERROR (signet_sealer_error_quark ())
#define SIGNET_STORE_ERROR (signet_store_error_quark ())
#define SIGNET_SEND_ERROR (signet_send_error_quark ())
#define SIGNET_MAILTO_ERROR (signet_mailto_error_quark ())

typedef enum {
  SIGNET_ADDRESS_ERROR_INVALID,
  SIGNET_ADDRESS_ERROR_CONTROL_CHARACTER,
  SIGNET_ADDRESS_ERROR_EMPTY,
} SignetAddressError;

typedef enum {
  /* Key management needs the directory, which is unavailable offline. */
  SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE,
  /* One or more recipients have no usable key; the per-recipient details are
   * in the SignetKeyResolution that came with the error. */
  SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
  /* gpg, gpg-agent or the GnuPG home cannot be used. */
  SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
  /* The sender has no usable key pair of their own. */
  SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
  /* A configured directory server could not be reached although the
   * network is up: key management failed, as offline. */
  SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE,
} SignetKeyManagementError;

typedef enum {
  SIGNET_SEALER_ERROR_FAILED,
  SIGNET_SEALER_ERROR_ATTACHMENT,
  /* The passphrase prompt for the signing key was cancelled. */
  SIGNET_SEALER_ERROR_SIGNING_CANCELLED,
} SignetSealerError;

typedef enum {
  SIGNET_STORE_ERROR_FAILED,
  SIGNET_STORE_ERROR_NOT_FOUND,
  /* A symbolic link (or something else) was planted where a folder or a
   * message belongs; the store does not follow it. */
  SIGNET_STORE_ERROR_LINK,
  /* A queued message cannot be read back (its files are damaged). */
  SIGNET_STORE_ERROR_DAMAGED,
} SignetStoreError;

#define SIGNET_TRANSPORT_ERROR (signet_transport_error_quark ())

typedef enum {
  /* Worth trying again later (the server or disk is unavailable). */
  SIGNET_TRANSPORT_ERROR_TEMPORARY,
  /* Will not succeed however often it is tried. */
  SIGNET_TRANSPORT_ERROR_PERMANENT,
  /* The server's certificate is not trusted: not by the system's (or the
   * given) certificate authorities, nor by the public key the user pinned.
   * Nothing was sent; the transport can say which certificate it was, so
   * that the user may choose to trust it. */
  SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE,
} SignetTransportError;

typedef enum {
  SIGNET_SEND_ERROR_NO_RECIPIENTS,
  SIGNET_SEND_ERROR_NO_IDENTITY,
  SIGNET_SEND_ERROR_INVALID_HEADER,
} SignetSendError;

GQuark signet_address_error_quark (void);
GQuark signet_key_management_error_quark (void);
GQuark signet_sealer_error_quark (void);
GQuark signet_store_error_quark (void);
GQuark signet_send_error_quark (void);
GQuark signet_mailto_error_quark (void);
GQuark signet_transport_error_quark (void);

typedef enum {
  SIGNET_MAILTO_ERROR_INVALID,
} SignetMailtoError;

#define SIGNET_ACCOUNT_ERROR (signet_account_error_quark ())

typedef enum {
  /* A server's host name is empty or not a valid host name or address. */
  SIGNET_ACCOUNT_ERROR_INVALID_HOST,
  /* A port outside 1–65535. */
  SIGNET_ACCOUNT_ERROR_INVALID_PORT,
  /* No encryption to a server that is not on this computer. */
  SIGNET_ACCOUNT_ERROR_INSECURE,
  /* A password needs a user name and none is set. */
  SIGNET_ACCOUNT_ERROR_NO_USER,
  /* A trusted certificate entry is not "sha256//" and a Base64 SHA-256 hash. */
  SIGNET_ACCOUNT_ERROR_INVALID_PIN,
  /* No Secret Service (keyring) answers: the password can only be kept for
   * this session (signet_account_set_session_password()). */
  SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE,
  /* The keyring answered but failed (locked, refused, ...). */
  SIGNET_ACCOUNT_ERROR_SECRET_SERVICE,
} SignetAccountError;

GQuark signet_account_error_quark (void);

G_END_DECLS
