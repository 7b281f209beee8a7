#pragma once

#include "signet-completion-provider.h"
#include "signet-directory-servers.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_LDAP_COMPLETION (signet_ldap_completion_get_type ())
G_DECLARE_FINAL_TYPE (SignetLdapCompletion, signet_ldap_completion, SIGNET, LDAP_COMPLETION, GObject)

SignetCompletionProvider *signet_ldap_completion_new (SignetKeyDirectory     *directory,
                                                      SignetDirectoryServers *servers);

G_END_DECLS
