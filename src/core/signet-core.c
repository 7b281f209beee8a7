#define G_LOG_DOMAIN "signet-core"

#include "signet-core.h"

#include "signet-gmime.h"
#include <gpgme.h>
#include <locale.h>
#include <signal.h>

/* Initialises the libraries the core depends on. Safe to call more than once. */
void
signet_core_init (void)
{
  static gsize initialised = 0;

  if (!g_once_init_enter (&initialised))
    return;

  /* The sealer feeds gpg through a pipe; if gpg dies early the writer must
   * get EPIPE, not a fatal signal. */
  signal (SIGPIPE, SIG_IGN);

  g_mime_init ();
  gpgme_check_version (NULL);
  gpgme_set_locale (NULL, LC_CTYPE, setlocale (LC_CTYPE, NULL));

  g_once_init_leave (&initialised, 1);
}
