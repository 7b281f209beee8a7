/* The directory as servers: an organisation's LDAP directory, OpenPGP
 * keyservers and the Web Key Directory, with the keyring as their cache.
 *
 * Everything goes through GnuPG's dirmngr for the keyring's GnuPG home,
 * over its Assuan socket through GPGME: each update tells dirmngr the
 * servers to use for that connection only ("KEYSERVER"), so no
 * configuration file of the user's is ever changed. For each address, the
 * keys the keyring has are fetched again by fingerprint from the first
 * server that has them, and from the address's Web Key Directory when WKD
 * is on (revocations and new expiry dates published there come in with
 * the import; a key WKD has and the keyring lacks is not taken in
 * unasked); an address with no key left that can be sealed to (none, or
 * only expired or revoked ones) is located, through WKD first and then
 * the servers in order, and what is found imported.
 * Imported keys are only as valid as GnuPG says: a key found online is
 * not certified by anyone, so it is not sealed to until it is accepted
 * (by the user, or because a trusted server had it; WKD never is one).
 *
 * A configured server that cannot be reached (refused, timeout, TLS) makes
 * the whole update fail with SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE,
 * naming it: key management has failed, as offline. Results stay fresh
 * for a few minutes, so a check followed by a send asks once. */
#define G_LOG_DOMAIN "signet-directory-servers"

#include "signet-directory-servers.h"

#include <string.h>

#include "signet-address.h"
#include "signet-completion-provider.h"
#include "signet-dirmngr.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-key-directory-private.h"

#define FRESH_SECONDS (5 * 60)
#define CALL_TIMEOUT_SECONDS 20
/* Keys fetched for one address from one server's search: a person has a
 * few; a server listing hundreds would keep Send checking for minutes. */
#define MAX_CANDIDATES 8

struct _SignetDirectoryServers
{
  GObject             parent_instance;

  SignetKeyDirectory *directory;
  char               *homedir;
  GSettings          *settings;

  GMutex              lock;      /* guards what follows: updates run in threads */
  char              **servers;
  char              **trusted;
  gboolean            wkd;
  GHashTable         *fresh;     /* normalised address → g_get_monotonic_time() of its update */
  guint               timeout;   /* seconds one call to a server may take */
  GHashTable         *origins;   /* fingerprint → where it was found, for keys located here */
  guint               generation; /* bumped by every change of servers */
};

G_DEFINE_FINAL_TYPE (SignetDirectoryServers, signet_directory_servers, G_TYPE_OBJECT)

/* ---- SignetDirectoryFind ----------------------------------------------- */

SignetDirectoryFind *
signet_directory_find_copy (const SignetDirectoryFind *find)
{
  SignetDirectoryFind *copy = g_new0 (SignetDirectoryFind, 1);

  copy->email = g_strdup (find->email);
  copy->fingerprints = g_strdupv (find->fingerprints);
  copy->origin = g_strdup (find->origin);
  copy->found = find->found;
  return copy;
}

void
signet_directory_find_free (SignetDirectoryFind *find)
{
  if (find == NULL)
    return;
  g_free (find->email);
  g_strfreev (find->fingerprints);
  g_free (find->origin);
  g_free (find);
}

G_DEFINE_BOXED_TYPE (SignetDirectoryFind, signet_directory_find, signet_directory_find_copy, signet_directory_find_free)

/* ---- configuration ------------------------------------------------------- */

static void
signet_directory_servers_finalize (GObject *object)
{
  SignetDirectoryServers *self = SIGNET_DIRECTORY_SERVERS (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->directory);
  g_free (self->homedir);
  g_strfreev (self->servers);
  g_strfreev (self->trusted);
  g_hash_table_unref (self->fresh);
  g_hash_table_unref (self->origins);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (signet_directory_servers_parent_class)->finalize (object);
}

static void
signet_directory_servers_class_init (SignetDirectoryServersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = signet_directory_servers_finalize;
}

static void
signet_directory_servers_init (SignetDirectoryServers *self)
{
  g_mutex_init (&self->lock);
  self->servers = g_new0 (char *, 1);
  self->trusted = g_new0 (char *, 1);
  self->fresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->timeout = CALL_TIMEOUT_SECONDS;
  self->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* How long one call to a server may take before it counts as not
 * answering (CALL_TIMEOUT_SECONDS unless set). */
void
signet_directory_servers_set_call_timeout (SignetDirectoryServers *self,
                                           guint                   seconds)
{
  g_return_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self));
  g_return_if_fail (seconds > 0);
  g_mutex_lock (&self->lock);
  self->timeout = seconds;
  g_mutex_unlock (&self->lock);
}

/* The servers of the keyring in @homedir (NULL: GnuPG's default home). */
SignetDirectoryServers *
signet_directory_servers_new (SignetKeyDirectory *directory,
                              const char         *homedir)
{
  SignetDirectoryServers *self;

  g_return_val_if_fail (SIGNET_IS_KEY_DIRECTORY (directory), NULL);

  self = g_object_new (SIGNET_TYPE_DIRECTORY_SERVERS, NULL);
  self->directory = g_object_ref (directory);
  self->homedir = g_strdup (homedir);
  return self;
}

/* A URL dirmngr can be given: a scheme it speaks, no spaces or controls
 * (it goes into an Assuan command line). */
gboolean
signet_directory_server_url_is_valid (const char *url)
{
  static const char *schemes[] = { "ldap://", "ldaps://", "hkp://", "hkps://", "http://", "https://" };

  for (const char *p = url; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || *p == 0x7f)
      return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_ascii_strncasecmp (url, schemes[i], strlen (schemes[i])) == 0 && url[strlen (schemes[i])] != '\0')
      return TRUE;
  return FALSE;
}

static char **
valid_urls (const char * const *urls)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    {
      if (signet_directory_server_url_is_valid (urls[i]))
        g_strv_builder_add (builder, urls[i]);
      else
        g_warning ("Ignoring a directory server that is not an ldap, ldaps, hkp or hkps URL");
    }
  return g_strv_builder_end (builder);
}

/* Sets the servers, in the order they are asked, those whose keys count as
 * the organisation's (a subset), and whether WKD is asked first. */
void
signet_directory_servers_configure (SignetDirectoryServers *self,
                                    const char * const     *servers,
                                    const char * const     *trusted,
                                    gboolean                wkd)
{
  g_return_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self));

  g_mutex_lock (&self->lock);
  g_strfreev (self->servers);
  g_strfreev (self->trusted);
  self->servers = valid_urls (servers);
  self->trusted = g_strdupv ((char **) trusted);
  if (self->trusted == NULL)
    self->trusted = g_new0 (char *, 1);
  self->wkd = wkd;
  g_hash_table_remove_all (self->fresh);
  self->generation++;
  g_mutex_unlock (&self->lock);
}

static void
load_settings (SignetDirectoryServers *self)
{
  g_auto(GStrv) servers = g_settings_get_strv (self->settings, "directory-servers");
  g_auto(GStrv) trusted = g_settings_get_strv (self->settings, "directory-trusted");

  signet_directory_servers_configure (self, (const char * const *) servers, (const char * const *) trusted,
                                      g_settings_get_boolean (self->settings, "directory-wkd"));
}

/* Follows "directory-servers", "directory-trusted" and "directory-wkd". */
void
signet_directory_servers_set_settings (SignetDirectoryServers *self,
                                       GSettings              *settings)
{
  g_return_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_set_object (&self->settings, settings);
  if (settings == NULL)
    return;
  g_signal_connect_swapped (settings, "changed::directory-servers", G_CALLBACK (load_settings), self);
  g_signal_connect_swapped (settings, "changed::directory-trusted", G_CALLBACK (load_settings), self);
  g_signal_connect_swapped (settings, "changed::directory-wkd", G_CALLBACK (load_settings), self);
  load_settings (self);
}

/* No server and no WKD: the keyring alone is the directory. */
gboolean
signet_directory_servers_is_configured (SignetDirectoryServers *self)
{
  gboolean configured;

  g_return_val_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self), FALSE);
  g_mutex_lock (&self->lock);
  configured = self->servers[0] != NULL || self->wkd;
  g_mutex_unlock (&self->lock);
  return configured;
}

/* The servers, in order (a copy). */
char **
signet_directory_servers_dup_servers (SignetDirectoryServers *self)
{
  char **servers;

  g_return_val_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self), NULL);
  g_mutex_lock (&self->lock);
  servers = g_strdupv (self->servers);
  g_mutex_unlock (&self->lock);
  return servers;
}

/* Whether keys from @origin count as the organisation's: only a
 * configured server said to be trusted. The Web Key Directory is each
 * recipient's own domain, vouched for by nobody here, so what it publishes
 * always waits for the user, whatever the trusted list names. */
gboolean
signet_directory_servers_is_trusted (SignetDirectoryServers *self,
                                     const char             *origin)
{
  gboolean trusted;

  g_return_val_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self), FALSE);
  if (origin == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  trusted = g_strv_contains ((const char * const *) self->trusted, origin) &&
            g_strv_contains ((const char * const *) self->servers, origin);
  g_mutex_unlock (&self->lock);
  return trusted;
}

/* Where the key @fingerprint was located (a server's URL or
 * SIGNET_DIRECTORY_WKD), if it was found by this directory, or else where
 * it was last refreshed from; NULL if neither. */
char *
signet_directory_servers_dup_origin (SignetDirectoryServers *self,
                                     const char             *fingerprint)
{
  g_autofree char *upper = NULL;
  char *origin;

  g_return_val_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self), NULL);
  if (fingerprint == NULL)
    return NULL;
  upper = g_ascii_strup (fingerprint, -1);
  g_mutex_lock (&self->lock);
  origin = g_strdup (g_hash_table_lookup (self->origins, upper));
  g_mutex_unlock (&self->lock);
  return origin;
}

/* Forgets what is fresh: the next update asks the servers again. */
void
signet_directory_servers_forget (SignetDirectoryServers *self)
{
  g_return_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self));
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->fresh);
  g_mutex_unlock (&self->lock);
}

/* ---- one update ------------------------------------------------------------ */

typedef struct {
  SignetDirmngr *dirmngr;
  gpgme_ctx_t    keyring;
} Session;

static gboolean
has_address (gpgme_key_t key, const char *normal)
{
  for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
    {
      g_autofree char *address = uid->address != NULL ? signet_address_normalize (uid->address) : NULL;

      if (address != NULL && g_str_equal (address, normal))
        return TRUE;
    }
  return FALSE;
}

#define ARMOR_BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define ARMOR_END "-----END PGP PUBLIC KEY BLOCK-----"

/* The key blocks in what dirmngr sent: an LDAP answer frames them with
 * "INFO"/"KEY" lines, a keyserver's is one armored block, WKD's binary. */
static GBytes *
key_blocks (GByteArray *answer)
{
  g_autofree char *text = g_strndup ((const char *) answer->data, answer->len);
  g_autoptr(GString) blocks = NULL;
  const char *p;

  if (strlen (text) != answer->len || strstr (text, ARMOR_BEGIN) == NULL)
    return g_bytes_new (answer->data, answer->len);
  blocks = g_string_new (NULL);
  for (p = strstr (text, ARMOR_BEGIN); p != NULL; p = strstr (p, ARMOR_BEGIN))
    {
      const char *end = strstr (p, ARMOR_END);

      if (end == NULL)
        break;
      end += strlen (ARMOR_END);
      g_string_append_len (blocks, p, end - p);
      g_string_append_c (blocks, '\n');
      p = end;
    }
  return g_string_free_to_bytes (g_steal_pointer (&blocks));
}

/* Imports what dirmngr sent, keeping only the user IDs of @email (a key
 * found for someone brings no other names into the keyring); adds to
 * @fingerprints those of the keys imported for it. */
static gboolean
import_for (Session *session, GByteArray *keys, const char *email, GPtrArray *fingerprints, GError **error)
{
  g_auto(gpgme_data_t) data = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *normal = signet_address_normalize (email);
  g_autoptr(GBytes) blocks = NULL;
  g_autoptr(GPtrArray) imported = g_ptr_array_new_with_free_func (g_free);
  gpgme_import_result_t result;
  gpgme_error_t err;

  if (keys->len == 0 || normal == NULL)
    return TRUE;
  blocks = key_blocks (keys);
  if (g_bytes_get_size (blocks) == 0)
    return TRUE;
  filter = g_strdup_printf ("keep-uid=mbox = %s", email);
  err = gpgme_data_new_from_mem (&data, g_bytes_get_data (blocks, NULL), g_bytes_get_size (blocks), 0);
  if (err == 0)
    err = gpgme_set_ctx_flag (session->keyring, "import-filter", filter);
  if (err == 0)
    err = gpgme_op_import (session->keyring, data);
  gpgme_set_ctx_flag (session->keyring, "import-filter", "");
  if (err != 0)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return FALSE;
    }
  /* The import's result is gone once the keyring lists a key: noted first. */
  result = gpgme_op_import_result (session->keyring);
  for (gpgme_import_status_t s = result != NULL ? result->imports : NULL; s != NULL; s = s->next)
    if (s->result == 0 && s->fpr != NULL &&
        !g_ptr_array_find_with_equal_func (fingerprints, s->fpr, (GEqualFunc) g_str_equal, NULL) &&
        !g_ptr_array_find_with_equal_func (imported, s->fpr, (GEqualFunc) g_str_equal, NULL))
      g_ptr_array_add (imported, g_strdup (s->fpr));
  for (guint i = 0; i < imported->len; i++)
    {
      g_auto(gpgme_key_t) key = NULL;
      const char *fpr = g_ptr_array_index (imported, i);

      if (signet_key_directory_get_key (session->keyring, fpr, FALSE, &key) == 0 && has_address (key, normal))
        g_ptr_array_add (fingerprints, g_strdup (fpr));
    }
  return TRUE;
}

/* The fingerprints of the keyring's keys with a user ID for @email;
 * *@usable (if given, and set to FALSE by the caller) becomes TRUE if one
 * of them can still be sealed to. */
static GPtrArray *
local_keys (Session *session, const char *email, gboolean *usable, GError **error)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *normal = signet_address_normalize (email);
  g_autofree char *pattern = g_strdup_printf ("<%s>", email);
  gpgme_key_t key;
  gpgme_error_t err;

  if (normal == NULL)
    return g_steal_pointer (&found);
  gpgme_set_keylist_mode (session->keyring, GPGME_KEYLIST_MODE_LOCAL);
  err = gpgme_op_keylist_start (session->keyring, pattern, 0);
  while (err == 0 && (err = gpgme_op_keylist_next (session->keyring, &key)) == 0)
    {
      if (key->fpr != NULL && has_address (key, normal))
        {
          g_ptr_array_add (found, g_strdup (key->fpr));
          if (usable != NULL && !key->revoked && !key->expired && !key->disabled && !key->invalid &&
              key->can_encrypt)
            *usable = TRUE;
        }
      gpgme_key_unref (key);
    }
  gpgme_op_keylist_end (session->keyring);
  if (gpg_err_code (err) != GPG_ERR_EOF)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return NULL;
    }
  return g_steal_pointer (&found);
}

/* The fingerprints in a KS_SEARCH answer of the usable keys with a user
 * ID for @normal. */
static GPtrArray *
parse_search (GByteArray *answer, const char *normal)
{
  g_autoptr(GPtrArray) keys = signet_dirmngr_parse_search (answer);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

  for (guint k = 0; k < keys->len; k++)
    {
      SignetDirmngrKey *key = g_ptr_array_index (keys, k);

      for (guint u = 0; key->uids[u] != NULL; u++)
        {
          g_autoptr(SignetAddress) mailbox = signet_dirmngr_uid_mailbox (key->uids[u]);
          g_autofree char *address = mailbox != NULL ? signet_address_normalize (mailbox->email) : NULL;

          if (address != NULL && g_str_equal (address, normal) &&
              !g_ptr_array_find_with_equal_func (found, key->fingerprint, (GEqualFunc) g_str_equal, NULL))
            g_ptr_array_add (found, g_strdup (key->fingerprint));
        }
    }
  return g_steal_pointer (&found);
}

/* At most this many keys are asked for in one KS_GET (an Assuan line
 * holds 1,000 characters). */
#define KEYS_PER_REQUEST 20

/* "KS_GET -- 0xFPR…" for the fingerprints of @fingerprints from @first
 * on, at most KEYS_PER_REQUEST; @first is moved past them. */
static char *
get_command (char **fingerprints, guint *first)
{
  GString *command = g_string_new ("KS_GET --");

  for (guint n = 0; n < KEYS_PER_REQUEST && fingerprints[*first] != NULL; n++, (*first)++)
    if (signet_is_fingerprint (fingerprints[*first]))
      g_string_append_printf (command, " 0x%s", fingerprints[*first]);
  return g_string_free (command, FALSE);
}

/* Locates keys for @email, which the keyring has none for: WKD, then the
 * servers in order; what is found is added to @fingerprints and where to
 * @find. */
static gboolean
locate (Session *session, char **servers, gboolean wkd, const char *email, GPtrArray *fingerprints,
        SignetDirectoryFind *find, GError **error)
{
  g_autofree char *normal = signet_address_normalize (email);

  if (wkd)
    {
      g_autoptr(GByteArray) keys = g_byte_array_new ();

      if (!signet_dirmngr_wkd_get (session->dirmngr, email, keys, error) ||
          !import_for (session, keys, email, fingerprints, error))
        return FALSE;
      if (fingerprints->len > 0)
        find->origin = g_strdup (SIGNET_DIRECTORY_WKD);
    }
  for (guint s = 0; fingerprints->len == 0 && servers[s] != NULL; s++)
    {
      g_autoptr(GByteArray) answer = g_byte_array_new ();
      g_autofree char *escaped = signet_dirmngr_escape_pattern (email);
      g_autofree char *search = g_strdup_printf ("KS_SEARCH -- %s", escaped);
      g_autoptr(GPtrArray) candidates = NULL;

      if (!signet_dirmngr_ask (session->dirmngr, servers[s], search, answer, error))
        return FALSE;
      candidates = parse_search (answer, normal);
      if (candidates->len > MAX_CANDIDATES)
        g_ptr_array_set_size (candidates, MAX_CANDIDATES);
      g_ptr_array_add (candidates, NULL);
      for (guint first = 0; first < candidates->len - 1;)
        {
          g_autoptr(GByteArray) keys = g_byte_array_new ();
          g_autofree char *command = get_command ((char **) candidates->pdata, &first);

          if (!g_str_equal (command, "KS_GET --") &&
              (!signet_dirmngr_ask (session->dirmngr, servers[s], command, keys, error) ||
               !import_for (session, keys, email, fingerprints, error)))
            return FALSE;
        }
      if (fingerprints->len > 0)
        find->origin = g_strdup (servers[s]);
    }
  return TRUE;
}

/* Refreshes, batched, the keys the keyring has for the addresses in
 * @emails (@local: for each, its fingerprints), each from the first server
 * that has it: one request per server for all of them. What each server
 * had is added to @fingerprints[i], and the first server to @finds[i]. */
static gboolean
refresh (Session *session, char **servers, GPtrArray *emails, GPtrArray *local, GPtrArray **fingerprints,
         SignetDirectoryFind **finds, GError **error)
{
  g_autoptr(GHashTable) pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < local->len; i++)
    {
      GPtrArray *keys = g_ptr_array_index (local, i);

      for (guint k = 0; k < keys->len; k++)
        g_hash_table_add (pending, g_ascii_strup (g_ptr_array_index (keys, k), -1));
    }
  for (guint s = 0; servers[s] != NULL && g_hash_table_size (pending) > 0; s++)
    {
      g_autofree char **keys = (char **) g_hash_table_get_keys_as_array (pending, NULL);
      g_auto(GStrv) asked = g_strdupv (keys);

      for (guint first = 0; asked[first] != NULL;)
        {
          g_autofree char *command = get_command (asked, &first);
          g_autoptr(GByteArray) answer = g_byte_array_new ();

          if (!signet_dirmngr_ask (session->dirmngr, servers[s], command, answer, error))
            return FALSE;
          for (guint i = 0; answer->len > 0 && i < emails->len; i++)
            {
              g_autoptr(GPtrArray) had = g_ptr_array_new_with_free_func (g_free);

              if (((GPtrArray *) g_ptr_array_index (local, i))->len == 0)
                continue;
              if (!import_for (session, answer, g_ptr_array_index (emails, i), had, error))
                return FALSE;
              for (guint h = 0; h < had->len; h++)
                {
                  g_autofree char *upper = g_ascii_strup (g_ptr_array_index (had, h), -1);

                  g_hash_table_remove (pending, upper);
                  if (!g_ptr_array_find_with_equal_func (fingerprints[i], g_ptr_array_index (had, h),
                                                         (GEqualFunc) g_str_equal, NULL))
                    g_ptr_array_add (fingerprints[i], g_strdup (g_ptr_array_index (had, h)));
                }
              if (had->len > 0 && finds[i]->origin == NULL)
                finds[i]->origin = g_strdup (servers[s]);
            }
        }
    }
  return TRUE;
}

/* Whether @keys holds keys and each of them is one of @local. */
static gboolean
only_known_keys (Session *session, GByteArray *keys, GPtrArray *local)
{
  g_autoptr(GBytes) blocks = key_blocks (keys);
  g_auto(gpgme_data_t) data = NULL;
  gboolean known = TRUE;
  guint n = 0;
  gpgme_key_t key;
  gpgme_error_t err;

  if (gpgme_data_new_from_mem (&data, g_bytes_get_data (blocks, NULL), g_bytes_get_size (blocks), 0) != 0)
    return FALSE;
  err = gpgme_op_keylist_from_data_start (session->keyring, data, 0);
  while (err == 0 && (err = gpgme_op_keylist_next (session->keyring, &key)) == 0)
    {
      n++;
      if (key->fpr == NULL || !g_ptr_array_find_with_equal_func (local, key->fpr, (GEqualFunc) g_str_equal, NULL))
        known = FALSE;
      gpgme_key_unref (key);
    }
  gpgme_op_keylist_end (session->keyring);
  return known && n > 0 && gpg_err_code (err) == GPG_ERR_EOF;
}

/* Refreshes the keys the keyring has for @find's address (@local) from
 * the recipient's domain: what it publishes about them now (a revocation,
 * a new expiry date) is imported and added to @fingerprints. A key the
 * domain publishes that the keyring lacks is not taken in unasked: then
 * nothing of that answer is. */
static gboolean
refresh_from_wkd (Session *session, SignetDirectoryFind *find, GPtrArray *local, GPtrArray *fingerprints,
                  GError **error)
{
  g_autoptr(GByteArray) keys = g_byte_array_new ();

  if (local->len == 0)
    return TRUE;
  if (!signet_dirmngr_wkd_get (session->dirmngr, find->email, keys, error))
    return FALSE;
  if (keys->len == 0 || !only_known_keys (session, keys, local))
    return TRUE;
  if (!import_for (session, keys, find->email, fingerprints, error))
    return FALSE;
  if (find->origin == NULL && fingerprints->len > 0)
    find->origin = g_strdup (SIGNET_DIRECTORY_WKD);
  return TRUE;
}

/* Locates keys for @find's address when the keyring, refreshed, has none
 * that can be sealed to (none at all, or only expired or revoked ones: a
 * colleague's key was replaced). Keys new to the keyring are then reported
 * as found (and may be accepted), not its unusable ones; without any, the
 * refresh is. */
static gboolean
locate_unusable (Session *session, char **servers, gboolean wkd, GPtrArray *local, GPtrArray *fingerprints,
                 SignetDirectoryFind *find, GError **error)
{
  g_autoptr(GPtrArray) now = NULL;
  g_autoptr(GPtrArray) located = NULL;
  g_autofree char *refreshed_from = NULL;
  gboolean usable = FALSE;

  if (local->len > 0)
    {
      now = local_keys (session, find->email, &usable, error);
      if (now == NULL)
        return FALSE;
    }
  if (usable)
    return TRUE;
  located = g_ptr_array_new_with_free_func (g_free);
  refreshed_from = g_steal_pointer (&find->origin);
  if (!locate (session, servers, wkd, find->email, located, find, error))
    return FALSE;
  for (guint k = 0; k < local->len; k++)
    {
      guint index;

      if (g_ptr_array_find_with_equal_func (located, g_ptr_array_index (local, k), (GEqualFunc) g_str_equal, &index))
        g_ptr_array_remove_index (located, index);
    }
  if (located->len > 0)
    {
      g_ptr_array_set_size (fingerprints, 0);
      g_ptr_array_extend_and_steal (fingerprints, g_steal_pointer (&located));
      find->found = TRUE;
    }
  else
    {
      g_free (find->origin);
      find->origin = g_steal_pointer (&refreshed_from);
      find->found = local->len == 0;
    }
  return TRUE;
}

/* Refreshes the keys of every address of @emails that the keyring has,
 * and locates keys for the others. */
static GPtrArray *
update_all (Session *session, char **servers, gboolean wkd, GPtrArray *emails, GError **error)
{
  g_autoptr(GPtrArray) finds = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_directory_find_free);
  g_autoptr(GPtrArray) local = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray **fingerprints = g_new0 (GPtrArray *, emails->len);
  gboolean ok = TRUE;

  for (guint i = 0; i < emails->len; i++)
    {
      SignetDirectoryFind *find = g_new0 (SignetDirectoryFind, 1);
      GPtrArray *keys = ok ? local_keys (session, g_ptr_array_index (emails, i), NULL, error) : NULL;

      find->email = g_strdup (g_ptr_array_index (emails, i));
      g_ptr_array_add (finds, find);
      g_ptr_array_add (local, keys != NULL ? keys : g_ptr_array_new ());
      fingerprints[i] = g_ptr_array_new_with_free_func (g_free);
      ok = ok && keys != NULL;
    }
  ok = ok && refresh (session, servers, emails, local, fingerprints, (SignetDirectoryFind **) finds->pdata, error);
  for (guint i = 0; ok && wkd && i < emails->len; i++)
    ok = refresh_from_wkd (session, g_ptr_array_index (finds, i), g_ptr_array_index (local, i), fingerprints[i],
                           error);
  for (guint i = 0; ok && i < emails->len; i++)
    ok = locate_unusable (session, servers, wkd, g_ptr_array_index (local, i), fingerprints[i],
                          g_ptr_array_index (finds, i), error);
  for (guint i = 0; i < emails->len; i++)
    {
      SignetDirectoryFind *find = g_ptr_array_index (finds, i);

      g_ptr_array_add (fingerprints[i], NULL);
      find->fingerprints = (char **) g_ptr_array_free (fingerprints[i], FALSE);
    }
  g_free (fingerprints);
  return ok ? g_steal_pointer (&finds) : NULL;
}

static gboolean
is_fresh (SignetDirectoryServers *self, const char *normal)
{
  gint64 *when = g_hash_table_lookup (self->fresh, normal);

  return when != NULL && g_get_monotonic_time () - *when < FRESH_SECONDS * G_USEC_PER_SEC;
}

/* The dirmngr of the keyring's home, once the home is made (the demo's, on
 * first use). */
static SignetDirmngr *
connect_dirmngr (SignetDirectoryServers *self, guint timeout, GCancellable *cancellable, GError **error)
{
  if (!signet_key_directory_wait_home (self->directory, error))
    return NULL;
  return signet_dirmngr_connect (self->homedir, timeout, cancellable, error);
}

/* Refreshes and locates the keys of @emails in the configured servers and
 * imports what they have. Returns an array of SignetDirectoryFind for the
 * addresses asked (those still fresh from an update a few minutes ago are
 * not asked again and not listed). With nothing configured, nothing is
 * asked and the array is empty. Blocks: call it from a worker thread. */
GPtrArray *
signet_directory_servers_update_sync (SignetDirectoryServers *self,
                                      const char * const     *emails,
                                      GCancellable           *cancellable,
                                      GError                **error)
{
  g_autoptr(GPtrArray) finds = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_directory_find_free);
  g_autoptr(GPtrArray) wanted = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) servers = NULL;
  Session session = { NULL, NULL };
  guint timeout;
  gboolean wkd;
  guint generation;

  g_return_val_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self), NULL);

  g_mutex_lock (&self->lock);
  servers = g_strdupv (self->servers);
  wkd = self->wkd;
  generation = self->generation;
  timeout = self->timeout;
  for (guint i = 0; emails != NULL && emails[i] != NULL; i++)
    {
      g_autofree char *normal = signet_address_normalize (emails[i]);

      if (normal != NULL && !is_fresh (self, normal) &&
          !g_ptr_array_find_with_equal_func (wanted, emails[i], (GEqualFunc) g_str_equal, NULL))
        g_ptr_array_add (wanted, g_strdup (emails[i]));
    }
  g_mutex_unlock (&self->lock);
  if ((servers[0] == NULL && !wkd) || wanted->len == 0)
    return g_steal_pointer (&finds);
  if (!signet_key_directory_check_available (self->directory, error))
    return NULL;

  session.dirmngr = connect_dirmngr (self, timeout, cancellable, error);
  if (session.dirmngr == NULL)
    return NULL;
  session.keyring = signet_key_directory_new_context (self->directory, error);
  g_clear_pointer (&finds, g_ptr_array_unref);
  if (session.keyring != NULL)
    finds = update_all (&session, servers, wkd, wanted, error);
  g_clear_pointer (&session.keyring, gpgme_release);
  g_clear_pointer (&session.dirmngr, signet_dirmngr_free);
  if (finds == NULL)
    return NULL;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < finds->len; i++)
    {
      SignetDirectoryFind *find = g_ptr_array_index (finds, i);

      if (generation == self->generation)
        {
          gint64 *now = g_new (gint64, 1);

          *now = g_get_monotonic_time ();
          g_hash_table_replace (self->fresh, signet_address_normalize (find->email), now);
        }
      /* Where a key was refreshed from counts too when nothing better is
       * known (a key located before Signet last started): the user can
       * still review it there. */
      for (guint k = 0; find->origin != NULL && find->fingerprints[k] != NULL; k++)
        {
          char *upper = g_ascii_strup (find->fingerprints[k], -1);

          if (find->found || !g_hash_table_contains (self->origins, upper))
            g_hash_table_replace (self->origins, upper, g_strdup (find->origin));
          else
            g_free (upper);
        }
    }
  g_mutex_unlock (&self->lock);
  return g_steal_pointer (&finds);
}

static void
update_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *finds = signet_directory_servers_update_sync (source_object, task_data, cancellable, &error);

  if (finds == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, finds, (GDestroyNotify) g_ptr_array_unref);
}

/* signet_directory_servers_update_sync() in a worker thread. */
void
signet_directory_servers_update_async (SignetDirectoryServers *self,
                                       const char * const     *emails,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, signet_directory_servers_update_async);
  g_task_set_task_data (task, g_strdupv ((char **) emails), (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, update_thread);
}

GPtrArray *
signet_directory_servers_update_finish (SignetDirectoryServers *self,
                                        GAsyncResult           *result,
                                        GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

#define SEARCH_TIMEOUT_SECONDS 3

/* The people whose user IDs on the keyserver @server match @text, as
 * SignetAddress, with the fingerprint of a usable key for each in
 * @fingerprints (same order); at most @max (0: no limit). Keyservers find
 * whole words of names and addresses, so @text is asked as typed and the
 * answers are kept where a name's word or the address starts with it.
 * Blocks: call it from a worker thread. */
gboolean
signet_directory_servers_search_sync (SignetDirectoryServers *self,
                                      const char             *server,
                                      const char             *text,
                                      guint                   max,
                                      GPtrArray              *people,
                                      GPtrArray              *fingerprints,
                                      GCancellable           *cancellable,
                                      GError                **error)
{
  g_autoptr(SignetDirmngr) dirmngr = NULL;
  g_autoptr(GByteArray) answer = g_byte_array_new ();
  g_autofree char *pattern = signet_dirmngr_escape_pattern (text);
  g_autofree char *command = g_strdup_printf ("KS_SEARCH -- %s", pattern);
  g_autofree char *folded = signet_completion_fold (text);
  g_autoptr(GPtrArray) keys = NULL;

  g_return_val_if_fail (SIGNET_IS_DIRECTORY_SERVERS (self), FALSE);

  if (folded == NULL || folded[0] == '\0')
    return TRUE;
  dirmngr = connect_dirmngr (self, SEARCH_TIMEOUT_SECONDS, cancellable, error);
  if (dirmngr == NULL || !signet_dirmngr_ask (dirmngr, server, command, answer, error))
    return FALSE;
  keys = signet_dirmngr_parse_search (answer);
  for (guint k = 0; k < keys->len && (max == 0 || people->len < max); k++)
    {
      SignetDirmngrKey *key = g_ptr_array_index (keys, k);

      if (key->unusable || !signet_is_fingerprint (key->fingerprint))
        continue;
      for (guint u = 0; key->uids[u] != NULL && (max == 0 || people->len < max); u++)
        {
          SignetAddress *mailbox = signet_dirmngr_uid_mailbox (key->uids[u]);

          if (mailbox == NULL || !signet_completion_matches (folded, mailbox->name, mailbox->email))
            {
              g_clear_pointer (&mailbox, signet_address_free);
              continue;
            }
          g_ptr_array_add (people, mailbox);
          g_ptr_array_add (fingerprints, g_ascii_strup (key->fingerprint, -1));
        }
    }
  return TRUE;
}

/* ---- X.509 certificates (S/MIME) --------------------------------------- */

/* @url (ldap://host:port/base) as dirmngr's "ldapserver" takes it:
 * host:port:user:password:base[:flags]; NULL for other servers. */
static char *
ldapserver_spec (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_PATH, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  const char *path;
  g_autofree char *base = NULL;
  gboolean tls;

  if (scheme == NULL || g_uri_get_host (uri) == NULL ||
      (g_ascii_strcasecmp (scheme, "ldap") != 0 && g_ascii_strcasecmp (scheme, "ldaps") != 0))
    return NULL;
  tls = g_ascii_strcasecmp (scheme, "ldaps") == 0;
  path = g_uri_get_path (uri);
  base = g_uri_unescape_string (path[0] == '/' ? path + 1 : path, NULL);
  if (base == NULL || strpbrk (base, ":\n\r") != NULL)
    return NULL;
  return g_strdup_printf ("%s:%d:::%s%s", g_uri_get_host (uri),
                          g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : (tls ? 636 : 389),
                          base, tls ? ":ldaps" : "");
}

/* The X.509 certificates the configured LDAP directories hold for each of
 * @emails (userCertificate;binary, found by mail address), as dirmngr's
 * LOOKUP returns them: DER, one after another, in a GBytes per address
 * (empty: none). The servers are given to dirmngr for this connection
 * only (LDAPSERVER), as for OpenPGP keys. Offline, or with no LDAP server
 * configured, every answer is empty and nothing is asked. Blocks. */
GPtrArray *
signet_directory_servers_lookup_certificates_sync (SignetDirectoryServers *self,
                                                   const char * const     *emails,
                                                   GCancellable           *cancellable,
                                                   GError                **error)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(SignetDirmngr) dirmngr = NULL;
  g_auto(GStrv) servers = signet_directory_servers_dup_servers (self);
  SignetNetwork *network = signet_key_directory_get_network (self->directory);
  gboolean online = network == NULL || signet_network_get_online (network);
  const char *first_ldap = NULL;
  guint timeout;

  g_mutex_lock (&self->lock);
  timeout = self->timeout;
  g_mutex_unlock (&self->lock);
  for (guint i = 0; servers[i] != NULL; i++)
    {
      char *spec = ldapserver_spec (servers[i]);
      if (spec != NULL)
        g_ptr_array_add (specs, spec);
      if (spec != NULL && first_ldap == NULL)
        first_ldap = servers[i];
    }
  if (specs->len > 0 && online)
    {
      dirmngr = connect_dirmngr (self, timeout, cancellable, error);
      if (dirmngr == NULL)
        return NULL;
    }
  for (guint i = 0; dirmngr != NULL && i < specs->len; i++)
    {
      g_autofree char *command = g_strdup_printf ("LDAPSERVER %s%s", i == 0 ? "--clear " : "",
                                                  (char *) g_ptr_array_index (specs, i));

      if (!signet_dirmngr_command (dirmngr, command, error))
        return NULL;
    }
  for (guint i = 0; emails != NULL && emails[i] != NULL; i++)
    {
      g_autoptr(GByteArray) certificates = g_byte_array_new ();
      gboolean timed_out;

      if (dirmngr != NULL && strpbrk (emails[i], " \n\r") == NULL)
        {
          g_autofree char *escaped = signet_dirmngr_escape_pattern (emails[i]);
          g_autofree char *command = g_strdup_printf ("LOOKUP %s", escaped);
          GError *call_error = NULL;
          gpgme_error_t err = signet_dirmngr_transact (dirmngr, command, certificates, &timed_out, &call_error);

          if (call_error != NULL)
            {
              if (!timed_out)
                g_propagate_error (error, call_error);
              else
                {
                  signet_dirmngr_set_unreachable (error, first_ldap, err, TRUE);
                  g_error_free (call_error);
                }
              return NULL;
            }
          if (err != 0)
            g_byte_array_set_size (certificates, 0);
        }
      g_ptr_array_add (found, g_byte_array_free_to_bytes (g_steal_pointer (&certificates)));
    }
  return g_steal_pointer (&found);
}
