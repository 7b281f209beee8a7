/* A connection to GnuPG's dirmngr for the keyring's GnuPG home, over its
 * Assuan socket through GPGME. Each server is set on the connection only
 * ("KEYSERVER --clear URL"), so no configuration file is ever written.
 * Every call is polled, not waited on, so that a server that never
 * answers cannot hold the worker past the call's timeout or a Cancel; a
 * server that fails is reported as unreachable, naming it. */
#define G_LOG_DOMAIN "signet-directory-servers"

#include "signet-dirmngr.h"

#include <gpgme.h>
#include <string.h>

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-key-directory-private.h"

#define POLL_INTERVAL_US 2000

struct _SignetDirmngr
{
  char         *homedir;
  guint         timeout;
  gpgme_ctx_t   ctx;
  char         *current;  /* the server the connection is set to */
  GCancellable *cancellable;
};

static char *
gpgconf (const char *homedir, const char *what, const char *arg, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;

  g_ptr_array_add (argv, (char *) "gpgconf");
  if (homedir != NULL)
    {
      g_ptr_array_add (argv, (char *) "--homedir");
      g_ptr_array_add (argv, (char *) homedir);
    }
  g_ptr_array_add (argv, (char *) what);
  g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, error);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, cancellable, &out, NULL, error))
    return NULL;
  if (!g_subprocess_get_successful (process))
    {
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                   _("GnuPG’s network service (dirmngr) cannot be started."));
      return NULL;
    }
  return g_strdup (g_strstrip (out));
}

/* A GPGME context talking to the dirmngr of @homedir, started if need be. */
static gpgme_ctx_t
open_context (const char *homedir, GCancellable *cancellable, GError **error)
{
  g_autofree char *socket = NULL;
  g_autofree char *launched = NULL;
  gpgme_ctx_t ctx = NULL;
  gpgme_error_t err;

  socket = gpgconf (homedir, "--list-dirs", "dirmngr-socket", cancellable, error);
  if (socket == NULL)
    return NULL;
  launched = gpgconf (homedir, "--launch", "dirmngr", cancellable, error);
  if (launched == NULL)
    return NULL;
  err = gpgme_new (&ctx);
  if (err == 0)
    err = gpgme_set_protocol (ctx, GPGME_PROTOCOL_ASSUAN);
  /* No engine options ("!" and nothing after it): the default,
   * "!GPG_AGENT", makes GPGME send gpg-agent's display, tty and locale
   * options first, which dirmngr refuses. */
  if (err == 0)
    err = gpgme_ctx_set_engine_info (ctx, GPGME_PROTOCOL_ASSUAN, socket, "!");
  if (err != 0)
    {
      g_clear_pointer (&ctx, gpgme_release);
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                   _("GnuPG’s network service (dirmngr) cannot be started."));
    }
  return ctx;
}

/* Connects to the dirmngr of @homedir (NULL: GnuPG's default home); each
 * call may take @timeout seconds. @cancellable stops every call. */
SignetDirmngr *
signet_dirmngr_connect (const char    *homedir,
                        guint          timeout,
                        GCancellable  *cancellable,
                        GError       **error)
{
  gpgme_ctx_t ctx = open_context (homedir, cancellable, error);
  SignetDirmngr *self;

  if (ctx == NULL)
    return NULL;
  self = g_new0 (SignetDirmngr, 1);
  self->homedir = g_strdup (homedir);
  self->timeout = timeout;
  self->ctx = ctx;
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  return self;
}

void
signet_dirmngr_free (SignetDirmngr *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->ctx, gpgme_release);
  g_clear_object (&self->cancellable);
  g_free (self->current);
  g_free (self->homedir);
  g_free (self);
}

static gboolean reconnect (SignetDirmngr *self, GError **error);

static gpgme_error_t
on_data (void *opaque, const void *data, size_t length)
{
  g_byte_array_append (opaque, data, length);
  return 0;
}

/* Sends @command as it is, on whatever the connection is set to; what
 * dirmngr answers with D lines goes to @data.
 * Returns dirmngr's own answer (0, or its ERR code), or sets @error when
 * the call itself failed, was cancelled or took longer than the timeout
 * (reported as *@timed_out). A command is one line: one with a control
 * character in it is not sent. */
gpgme_error_t
signet_dirmngr_transact (SignetDirmngr *self,
                         const char    *command,
                         GByteArray    *data,
                         gboolean      *timed_out,
                         GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) self->timeout * G_USEC_PER_SEC;
  gpgme_error_t err, status = 0;
  gpgme_assuan_result_t result;

  *timed_out = FALSE;
  if (self->ctx == NULL && !reconnect (self, error))
    return gpg_error (GPG_ERR_NOT_INITIALIZED);
  for (const char *p = command; *p != '\0'; p++)
    if ((guchar) *p < ' ' || *p == 0x7f)
      {
        signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                                gpg_error (GPG_ERR_INV_ARG));
        return gpg_error (GPG_ERR_INV_ARG);
      }
  err = gpgme_op_assuan_transact_start (self->ctx, command, data != NULL ? on_data : NULL, data,
                                        NULL, NULL, NULL, NULL);
  while (err == 0 && gpgme_wait (self->ctx, &status, 0) == NULL)
    {
      if (g_cancellable_is_cancelled (self->cancellable) || g_get_monotonic_time () > deadline)
        {
          *timed_out = !g_cancellable_is_cancelled (self->cancellable);
          /* The connection goes with the context; the caller drops it. */
          gpgme_cancel (self->ctx);
          break;
        }
      g_usleep (POLL_INTERVAL_US);
    }
  if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
    return gpg_error (GPG_ERR_CANCELED);
  if (*timed_out)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                              gpg_error (GPG_ERR_TIMEOUT));
      return gpg_error (GPG_ERR_TIMEOUT);
    }
  if (err == 0)
    err = status;
  if (err != 0)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return err;
    }
  /* dirmngr's own answer: in GPGME 1.18 only the result carries it. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  result = gpgme_op_assuan_result (self->ctx);
  status = result != NULL ? result->err : 0;
  G_GNUC_END_IGNORE_DEPRECATIONS
  return status;
}

/* A call was given up: its connection goes, and a new one is opened. */
static gboolean
reconnect (SignetDirmngr *self, GError **error)
{
  g_clear_pointer (&self->ctx, gpgme_release);
  g_clear_pointer (&self->current, g_free);
  self->ctx = open_context (self->homedir, self->cancellable, error);
  return self->ctx != NULL;
}

/* A server that did not answer: key management failed. */
void
signet_dirmngr_set_unreachable (GError **error, const char *server, gpgme_error_t err, gboolean timed_out)
{
  if (timed_out)
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE,
                 /* Translators: %s is a directory server's address */
                 _("The directory server %s did not answer in time."), server);
  else
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE,
                 /* Translators: the first %s is a directory server's address, the second why it failed */
                 _("The directory server %s could not be reached (%s)."), server, gpgme_strerror (err));
}

/* dirmngr's answers that mean "not there", not "the server failed". */
static gboolean
is_not_found (gpgme_error_t err)
{
  switch (gpg_err_code (err))
    {
    case GPG_ERR_NO_DATA:
    case GPG_ERR_NOT_FOUND:
    case GPG_ERR_NO_PUBKEY:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Sends @command, a setting that must take: dirmngr's refusal, which
 * comes back without an error set, is an error too. */
gboolean
signet_dirmngr_command (SignetDirmngr *self,
                        const char    *command,
                        GError       **error)
{
  GError *local = NULL;
  gboolean timed_out;
  gpgme_error_t err = signet_dirmngr_transact (self, command, NULL, &timed_out, &local);

  if (err == 0)
    return TRUE;
  if (local == NULL)
    signet_set_gpgme_error (&local, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
  g_propagate_error (error, local);
  return FALSE;
}

/* Makes @server the only one of the connection. A server that failed
 * before is tried again ("--alive"): it may be back. */
static gboolean
use_server (SignetDirmngr *self, const char *server, GError **error)
{
  g_autofree char *set = NULL;
  gboolean timed_out;

  if (self->ctx == NULL && !reconnect (self, error))
    return FALSE;
  if (g_strcmp0 (self->current, server) == 0)
    return TRUE;
  set = g_strdup_printf ("KEYSERVER --clear %s", server);
  if (!signet_dirmngr_command (self, set, error))
    return FALSE;
  if (g_str_has_prefix (server, "hkp") || g_str_has_prefix (server, "http"))
    {
      g_autoptr(GUri) uri = g_uri_parse (server, G_URI_FLAGS_NONE, NULL);

      if (uri != NULL && g_uri_get_host (uri) != NULL)
        {
          g_autofree char *alive = g_strdup_printf ("KEYSERVER --alive %s", g_uri_get_host (uri));
          (void) signet_dirmngr_transact (self, alive, NULL, &timed_out, NULL);
        }
    }
  g_free (self->current);
  self->current = g_strdup (server);
  return TRUE;
}

/* Asks @server @command (KS_GET, KS_SEARCH). Returns FALSE with @error
 * when the server failed (SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE, naming
 * it) or the call was cancelled; "not there" is TRUE with @answer empty.
 * After a call that timed out, the next one opens a new connection. */
gboolean
signet_dirmngr_ask (SignetDirmngr *self,
                    const char    *server,
                    const char    *command,
                    GByteArray    *answer,
                    GError       **error)
{
  gboolean timed_out = FALSE;
  GError *call_error = NULL;
  gpgme_error_t err;

  if (!use_server (self, server, error))
    return FALSE;
  err = signet_dirmngr_transact (self, command, answer, &timed_out, &call_error);
  if (timed_out)
    g_clear_pointer (&self->ctx, gpgme_release);
  if (call_error != NULL)
    {
      if (g_error_matches (call_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !timed_out)
        g_propagate_error (error, call_error);
      else
        {
          signet_dirmngr_set_unreachable (error, server, err, timed_out);
          g_error_free (call_error);
        }
      return FALSE;
    }
  if (err != 0 && !is_not_found (err))
    {
      signet_dirmngr_set_unreachable (error, server, err, FALSE);
      return FALSE;
    }
  if (err != 0)
    g_byte_array_set_size (answer, 0);
  return TRUE;
}

/* Asks the Web Key Directory of @email's domain for its keys. WKD is the
 * recipient's own domain, asked on the side: a domain without one, or one
 * that does not answer, leaves @answer empty and is not an error. FALSE
 * only when cancelled or dirmngr cannot be reached again. */
gboolean
signet_dirmngr_wkd_get (SignetDirmngr *self,
                        const char    *email,
                        GByteArray    *answer,
                        GError       **error)
{
  g_autofree char *command = g_strdup_printf ("WKD_GET -- %s", email);
  gboolean timed_out = FALSE;
  GError *wkd_error = NULL;
  gpgme_error_t err;

  if (self->ctx == NULL && !reconnect (self, error))
    return FALSE;
  err = signet_dirmngr_transact (self, command, answer, &timed_out, &wkd_error);
  if (wkd_error != NULL && g_error_matches (wkd_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !timed_out)
    {
      g_propagate_error (error, wkd_error);
      return FALSE;
    }
  g_clear_error (&wkd_error);
  if (timed_out)
    {
      g_byte_array_set_size (answer, 0);
      return reconnect (self, error);
    }
  if (err != 0)
    g_byte_array_set_size (answer, 0);
  return TRUE;
}

/* @pattern as one KS_SEARCH pattern: dirmngr splits its line at spaces and
 * percent-plus unescapes each piece. */
char *
signet_dirmngr_escape_pattern (const char *pattern)
{
  GString *escaped = g_string_new (NULL);

  for (const char *p = pattern; *p != '\0'; p++)
    {
      if (*p == ' ')
        g_string_append_c (escaped, '+');
      else if ((guchar) *p < ' ' || *p == 0x7f || *p == '%' || *p == '+' || *p == ':')
        g_string_append_printf (escaped, "%%%02X", (guchar) *p);
      else
        g_string_append_c (escaped, *p);
    }
  return g_string_free (escaped, FALSE);
}

void
signet_dirmngr_key_free (SignetDirmngrKey *key)
{
  if (key == NULL)
    return;
  g_free (key->fingerprint);
  g_strfreev (key->uids);
  g_free (key);
}

static void
finish_key (GPtrArray *keys, SignetDirmngrKey *key, GPtrArray *uids)
{
  g_ptr_array_add (uids, NULL);
  key->uids = (char **) g_ptr_array_free (uids, FALSE);
  g_ptr_array_add (keys, key);
}

/* The keys of a KS_SEARCH answer: "pub:FPR:ALGO:LEN:CREATED:EXPIRES:FLAGS"
 * lines each followed by their "uid:NAME <ADDRESS>:…" lines (fields
 * percent-escaped). User IDs that are not valid UTF-8 are left out. */
GPtrArray *
signet_dirmngr_parse_search (GByteArray *answer)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_dirmngr_key_free);
  g_autofree char *text = g_strndup (answer->len > 0 ? (const char *) answer->data : "", answer->len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  SignetDirmngrKey *current = NULL;
  GPtrArray *uids = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ":", -1);

      if (fields[0] == NULL || fields[1] == NULL)
        continue;
      if (g_str_equal (fields[0], "pub"))
        {
          if (current != NULL)
            finish_key (keys, current, uids);
          current = g_new0 (SignetDirmngrKey, 1);
          uids = g_ptr_array_new ();
          current->fingerprint = g_strdup (fields[1]);
          for (guint f = 2; f < 7 && fields[f] != NULL; f++)
            {
              if (f == 5 && fields[f][0] != '\0' &&
                  g_ascii_strtoll (fields[f], NULL, 10) > 0 &&
                  g_ascii_strtoll (fields[f], NULL, 10) < g_get_real_time () / G_USEC_PER_SEC)
                current->unusable = TRUE;
              if (f == 6 && strpbrk (fields[f], "rde") != NULL)
                current->unusable = TRUE;
            }
        }
      else if (g_str_equal (fields[0], "uid") && current != NULL)
        {
          char *uid = g_uri_unescape_string (fields[1], NULL);

          if (uid != NULL && g_utf8_validate (uid, -1, NULL))
            g_ptr_array_add (uids, uid);
          else
            g_free (uid);
        }
    }
  if (current != NULL)
    finish_key (keys, current, uids);
  return g_steal_pointer (&keys);
}

/* The mailbox a published user ID names ("Name <address>", or a bare
 * address), or NULL when it names none. A name that could not be sent or
 * would show the address reordered (anyone can publish any user ID) is
 * left out. */
SignetAddress *
signet_dirmngr_uid_mailbox (const char *uid)
{
  const char *open = strrchr (uid, '<');
  const char *close = open != NULL ? strchr (open, '>') : NULL;
  g_autofree char *email = NULL;
  g_autofree char *name = NULL;

  if (close != NULL)
    {
      email = g_strstrip (g_strndup (open + 1, close - open - 1));
      name = g_strstrip (g_strndup (uid, open - uid));
      g_strdelimit (name, "\"", ' ');
      g_strstrip (name);
    }
  else
    email = g_strstrip (g_strdup (uid));
  if (!signet_address_is_valid_email (email))
    return NULL;
  if (name != NULL && !signet_address_published_name_is_shown (name))
    g_clear_pointer (&name, g_free);
  return signet_address_new (name != NULL && name[0] != '\0' ? name : NULL, email);
}
