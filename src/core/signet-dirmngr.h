#pragma once

#include <gio/gio.h>
#include <gpgme.h>

#include "signet-address.h"

G_BEGIN_DECLS

/* One connection to the dirmngr of a GnuPG home, for one worker thread:
 * the servers it asks are set on the connection ("KEYSERVER"), never in a
 * configuration file. */
typedef struct _SignetDirmngr SignetDirmngr;

SignetDirmngr *signet_dirmngr_connect  (const char    *homedir,
                                        guint          timeout,
                                        GCancellable  *cancellable,
                                        GError       **error);
void           signet_dirmngr_free     (SignetDirmngr *self);
gboolean       signet_dirmngr_ask      (SignetDirmngr *self,
                                        const char    *server,
                                        const char    *command,
                                        GByteArray    *answer,
                                        GError       **error);
gboolean       signet_dirmngr_wkd_get  (SignetDirmngr *self,
                                        const char    *email,
                                        GByteArray    *answer,
                                        GError       **error);
gpgme_error_t  signet_dirmngr_transact (SignetDirmngr *self,
                                        const char    *command,
                                        GByteArray    *answer,
                                        gboolean      *timed_out,
                                        GError       **error);
gboolean       signet_dirmngr_command  (SignetDirmngr *self,
                                        const char    *command,
                                        GError       **error);
void           signet_dirmngr_set_unreachable (GError    **error,
                                        const char    *server,
                                        gpgme_error_t  err,
                                        gboolean       timed_out);
char          *signet_dirmngr_escape_pattern (const char *pattern);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetDirmngr, signet_dirmngr_free)

/* A key as a keyserver's search lists it. */
typedef struct {
  char     *fingerprint;
  gboolean  unusable;  /* revoked, disabled or expired, as the server says */
  char    **uids;      /* "Name <address>" as published */
} SignetDirmngrKey;

void       signet_dirmngr_key_free      (SignetDirmngrKey *key);
GPtrArray *signet_dirmngr_parse_search  (GByteArray       *answer);
SignetAddress *signet_dirmngr_uid_mailbox (const char   *uid);

G_END_DECLS
