#define G_LOG_DOMAIN "signet-demo"

#include "signet-demo.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-core.h"
#include "signet-errors.h"
#include "signet-i18n.h"

/* The demo directory: a GnuPG home with the demo sender's key pair, three
 * recipients with valid keys, one with an expired and one with a revoked key.
 * Keys are shipped because an expired or revoked key cannot be made on the
 * spot. The sender's key is ultimately trusted (trusted-key) and has
 * certified the recipients' keys, so they are valid without ALWAYS_TRUST. */
#define DEMO_SENDER_KEYID "7A3F2A942CEF5CBA"

#define DEMO_HOME_RESOURCE "/io/github/signetmail/Signet/demo/gnupg"

/* Why a file of the home could not be written, in the words of the
 * system (not GLib's, which name the temporary file it wrote through). */
static void
set_write_error (GError **error, const char *homedir, const GError *cause)
{
  static const struct { gint code; int errnum; } known[] = {
    { G_FILE_ERROR_NOSPC, ENOSPC }, { G_FILE_ERROR_ACCES, EACCES }, { G_FILE_ERROR_PERM, EPERM },
    { G_FILE_ERROR_ROFS, EROFS }, { G_FILE_ERROR_ISDIR, EISDIR }, { G_FILE_ERROR_NOTDIR, ENOTDIR },
    { G_FILE_ERROR_NOENT, ENOENT }, { G_FILE_ERROR_IO, EIO }, { G_FILE_ERROR_LOOP, ELOOP },
    { G_FILE_ERROR_NAMETOOLONG, ENAMETOOLONG },
  };
  const char *why = cause->message;

  for (guint i = 0; cause->domain == G_FILE_ERROR && i < G_N_ELEMENTS (known); i++)
    if (known[i].code == cause->code)
      why = g_strerror (known[i].errnum);
  g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
               _("Could not create the demo directory %s: %s"), homedir, why);
}

/* Writes @len bytes of @data as @name in @homedir, for the owner only. */
static gboolean
write_home_file (const char *homedir, const char *name, const char *data, gsize len, GError **error)
{
  g_autofree char *path = g_build_filename (homedir, name, NULL);
  g_autoptr(GError) cause = NULL;

  if (g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &cause))
    return TRUE;
  set_write_error (error, homedir, cause);
  return FALSE;
}

/* Writes one file of the shipped home into @homedir. */
static gboolean
copy_resource (const char *homedir, const char *name, GError **error)
{
  g_autofree char *resource = g_build_path ("/", DEMO_HOME_RESOURCE, name, NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (resource, 0, error);
  gsize len;
  const char *data;

  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &len);
  return write_home_file (homedir, name, data, len, error);
}

/* The keys go in as GnuPG keeps them (the keybox, and the agent's secret
 * key files, made from demo-keys.asc by build-aux/make-demo-home.py):
 * importing them would start gpg and gpg-agent, a tenth of a second that
 * the first composer would wait for. */
static gboolean
copy_keys (const char *homedir, GError **error)
{
  g_autofree char *private_dir = g_build_filename (homedir, "private-keys-v1.d", NULL);
  g_auto(GStrv) keys = g_resources_enumerate_children (DEMO_HOME_RESOURCE "/private-keys-v1.d", 0, error);
  GStatBuf st;

  if (keys == NULL)
    return FALSE;
  /* The secret keys go into this home and are the owner's alone: a link
   * (or a file) left in place of the directory is not followed but
   * replaced, and a directory an earlier run left open is closed. */
  if (g_lstat (private_dir, &st) == 0 && !S_ISDIR (st.st_mode) && g_unlink (private_dir) != 0)
    {
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                   _("Could not create the demo directory %s: %s"), homedir, g_strerror (errno));
      return FALSE;
    }
  if (g_mkdir_with_parents (private_dir, 0700) != 0 || g_chmod (private_dir, 0700) != 0)
    {
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                   _("Could not create the demo directory %s: %s"), homedir, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *name = g_build_filename ("private-keys-v1.d", keys[i], NULL);

      if (!copy_resource (homedir, name, error))
        return FALSE;
    }
  return copy_resource (homedir, "pubring.kbx", error);
}

/* Creates the demo directory at @homedir on first use. */
gboolean
signet_demo_ensure_directory (const char   *homedir,
                              GCancellable *cancellable,
                              GError      **error)
{
  g_autofree char *stamp = g_build_filename (homedir, "signet-demo-ready", NULL);
  static const char conf[] = "trusted-key " DEMO_SENDER_KEYID "\n";

  signet_core_init ();
  if (g_file_test (stamp, G_FILE_TEST_EXISTS))
    return TRUE;
  if (g_mkdir_with_parents (homedir, 0700) != 0 || g_chmod (homedir, 0700) != 0)
    {
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                   _("Could not create the demo directory %s: %s"), homedir, g_strerror (errno));
      return FALSE;
    }
  if (!write_home_file (homedir, "gpg.conf", conf, strlen (conf), error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!copy_keys (homedir, error))
    return FALSE;
  return write_home_file (homedir, "signet-demo-ready", "", 0, error);
}

/* Whether a GnuPG program of this user runs on @homedir (an absolute
 * path): its daemons (gpg-agent, dirmngr, keyboxd, scdaemon) when
 * @daemons, else the others (gpg, gpgsm, gpgconf). GPGME starts gpg
 * through a second fork, so it is no child of this process: it is known by
 * "--homedir HOMEDIR" in its command line, which GPGME gives it and it
 * gives the agent it starts, as an absolute path. */
gboolean
signet_gnupg_runs_on (const char *homedir,
                      gboolean    daemons)
{
  static const char *const daemon_names[] = { "gpg-agent", "dirmngr", "keyboxd", "scdaemon", NULL };
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *dir = NULL;
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      g_autofree char *program = NULL;
      GStatBuf st;
      gsize len;
      gboolean is_daemon;

      if (!g_ascii_isdigit (*name))
        continue;
      dir = g_build_filename ("/proc", name, NULL);
      if (g_stat (dir, &st) != 0 || st.st_uid != getuid ())
        continue;
      path = g_build_filename (dir, "cmdline", NULL);
      if (!g_file_get_contents (path, &cmdline, &len, NULL) || len == 0 || cmdline[len - 1] != '\0')
        continue;
      program = g_path_get_basename (cmdline);
      is_daemon = g_strv_contains (daemon_names, program);
      if (is_daemon != daemons || (!is_daemon && !g_str_has_prefix (program, "gpg")))
        continue;
      /* The arguments, each ended by a NUL: "--homedir" then @homedir. */
      for (const char *arg = cmdline, *next; arg < cmdline + len; arg = next)
        {
          next = arg + strlen (arg) + 1;
          if (g_str_equal (arg, "--homedir") && next < cmdline + len && g_str_equal (next, homedir))
            return TRUE;
        }
    }
  return FALSE;
}
