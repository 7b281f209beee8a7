#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIGNET_TYPE_ACCOUNT (signet_account_get_type ())
G_DECLARE_FINAL_TYPE (SignetAccount, signet_account, SIGNET, ACCOUNT, GObject)

typedef enum {
  SIGNET_ACCOUNT_PROTOCOL_SMTP,
  SIGNET_ACCOUNT_PROTOCOL_IMAP,
} SignetAccountProtocol;

/* The values of the smtp-security and imap-security settings. */
typedef enum {
  SIGNET_ACCOUNT_SECURITY_TLS,
  SIGNET_ACCOUNT_SECURITY_STARTTLS,
  SIGNET_ACCOUNT_SECURITY_NONE,
} SignetAccountSecurity;

SignetAccount        *signet_account_new                   (GSettings     *settings);
GSettings            *signet_account_get_settings          (SignetAccount *self);

char                 *signet_account_get_smtp_host         (SignetAccount *self);
guint                 signet_account_get_smtp_port         (SignetAccount *self);
SignetAccountSecurity signet_account_get_smtp_security     (SignetAccount *self);
char                 *signet_account_get_smtp_user         (SignetAccount *self);
char                 *signet_account_get_imap_host         (SignetAccount *self);
guint                 signet_account_get_imap_port         (SignetAccount *self);
SignetAccountSecurity signet_account_get_imap_security     (SignetAccount *self);
char                 *signet_account_get_imap_user         (SignetAccount *self);
char                 *signet_account_get_imap_sent_folder  (SignetAccount *self);
gboolean              signet_account_is_local              (SignetAccount *self);

const char           *signet_account_security_to_string    (SignetAccountSecurity security);
gboolean              signet_account_security_from_string  (const char            *string,
                                                            SignetAccountSecurity *security);

/* Validation: what the settings may hold before anything connects. */
gboolean              signet_account_is_valid_host         (const char    *host);
gboolean              signet_account_is_loopback_host      (const char    *host);
gboolean              signet_account_check_server          (SignetAccountProtocol  protocol,
                                                            const char            *host,
                                                            guint                  port,
                                                            SignetAccountSecurity  security,
                                                            GError               **error);
gboolean              signet_account_validate              (SignetAccount *self,
                                                            GError       **error);

/* Certificates the user chose to trust, pinned by public key hash. */
gboolean              signet_account_is_valid_pin          (const char    *pin);
char                 *signet_account_lookup_trusted_certificate (SignetAccount *self,
                                                                 const char    *host,
                                                                 guint          port);
gboolean              signet_account_add_trusted_certificate    (SignetAccount *self,
                                                                 const char    *host,
                                                                 guint          port,
                                                                 const char    *pin,
                                                                 GError       **error);
gboolean              signet_account_remove_trusted_certificate (SignetAccount *self,
                                                                 const char    *host,
                                                                 guint          port);

/* Passwords live in the Secret Service, or for this session only. */
void                  signet_account_store_password_async  (SignetAccount        *self,
                                                            SignetAccountProtocol protocol,
                                                            const char           *password,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean              signet_account_store_password_finish (SignetAccount *self,
                                                            GAsyncResult  *result,
                                                            GError       **error);
void                  signet_account_lookup_password_async (SignetAccount        *self,
                                                            SignetAccountProtocol protocol,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
char                 *signet_account_lookup_password_finish (SignetAccount *self,
                                                             GAsyncResult  *result,
                                                             GError       **error);
void                  signet_account_clear_password_async  (SignetAccount        *self,
                                                            SignetAccountProtocol protocol,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean              signet_account_clear_password_finish (SignetAccount *self,
                                                            GAsyncResult  *result,
                                                            GError       **error);
void                  signet_account_set_session_password  (SignetAccount        *self,
                                                            SignetAccountProtocol protocol,
                                                            const char           *password);
/* From a worker thread too; NULL without an error when none is stored. */
char                 *signet_account_lookup_password_sync  (SignetAccount        *self,
                                                            SignetAccountProtocol protocol,
                                                            GCancellable         *cancellable,
                                                            GError              **error);
char                 *signet_account_lookup_password_for_sync (SignetAccount        *self,
                                                               SignetAccountProtocol protocol,
                                                               const char           *host,
                                                               guint                 port,
                                                               const char           *user,
                                                               GCancellable         *cancellable,
                                                               GError              **error);
void                  signet_account_password_free         (char          *password);

/* The bare address of the identity setting ("Name <address>"), or NULL. */
char                 *signet_account_dup_identity_address  (SignetAccount *self);

G_END_DECLS
