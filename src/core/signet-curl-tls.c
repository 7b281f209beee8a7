#define G_LOG_DOMAIN "signet-curl"

#include "signet-curl-tls.h"

#include <string.h>

/* Passwords are wiped before their memory goes back to the allocator, so
 * that no copy outlives its use. */
void
signet_curl_password_free (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}
