#define G_LOG_DOMAIN "signet-demo"

#include "signet-demo.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gpgme.h>

#include "signet-core.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-key-directory-private.h"

/* The demo directory: a GnuPG home with the demo sender's key pair, three
 * recipients with valid keys, one with an expired and one with a revoked key.
 * Keys are shipped because an expired or revoked key cannot be made on the
 * spot. The sender's key is ultimately trusted (trusted-key) and has
 * certified the recipients' keys, so they are valid without ALWAYS_TRUST. */
#define DEMO_KEYS_RESOURCE "/io/github/signetmail/Signet/demo/demo-keys.asc"
#define DEMO_SENDER_KEYID "7A3F2A942CEF5CBA"

static gboolean
import_keys (const char *homedir, GError **error)
{
  g_autoptr(GBytes) keys = NULL;
  g_auto(gpgme_ctx_t) ctx = NULL;
  g_auto(gpgme_data_t) data = NULL;
  gpgme_import_result_t result;
  gpgme_error_t err;
  gsize len;
  const char *bytes;

  keys = g_resources_lookup_data (DEMO_KEYS_RESOURCE, 0, error);
  if (keys == NULL)
    return FALSE;
  bytes = g_bytes_get_data (keys, &len);

  err = gpgme_new (&ctx);
  if (err == 0)
    err = gpgme_ctx_set_engine_info (ctx, GPGME_PROTOCOL_OpenPGP, NULL, homedir);
  if (err == 0)
    err = gpgme_data_new_from_mem (&data, bytes, len, 0);
  if (err == 0)
    err = gpgme_op_import (ctx, data);
  result = err == 0 ? gpgme_op_import_result (ctx) : NULL;
  if (err == 0 && (result == NULL || result->imported + result->unchanged == 0 ||
                   result->secret_imported + result->secret_unchanged == 0))
    err = gpgme_error (GPG_ERR_NO_SECKEY);
  if (err != 0)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR,
                              SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return FALSE;
    }
  return TRUE;
}

/* Creates the demo directory at @homedir on first use. */
gboolean
signet_demo_ensure_directory (const char   *homedir,
                              GCancellable *cancellable,
                              GError      **error)
{
  g_autofree char *stamp = g_build_filename (homedir, "signet-demo-ready", NULL);
  g_autofree char *conf = g_build_filename (homedir, "gpg.conf", NULL);

  signet_core_init ();
  if (g_file_test (stamp, G_FILE_TEST_EXISTS))
    return TRUE;
  if (g_mkdir_with_parents (homedir, 0700) != 0 || g_chmod (homedir, 0700) != 0)
    {
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                   _("Could not create the demo directory %s: %s"), homedir, g_strerror (errno));
      return FALSE;
    }
  if (!g_file_set_contents (conf, "trusted-key " DEMO_SENDER_KEYID "\n", -1, error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!import_keys (homedir, error))
    return FALSE;
  return g_file_set_contents (stamp, "", 0, error);
}
