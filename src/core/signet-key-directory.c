#define G_LOG_DOMAIN "signet-key-directory"

#include "signet-key-directory-private.h"

#include <string.h>

#include "signet-address.h"
#include "signet-core.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-resolve-cache.h"

/* The directory: the GnuPG keyring that key management asks for each
 * recipient's public key. All lookups for one message are made in a single
 * keylist operation (one gpg process) in a worker thread. */
struct _SignetKeyDirectory
{
  GObject        parent_instance;

  char          *homedir;   /* NULL: the user's own GnuPG home */
  SignetNetwork *network;
  GSettings     *settings;  /* NULL: choices are kept in memory only */

  /* The key the user chose for an ambiguous address: normalised address →
   * fingerprint. Read by resolve threads, hence the lock. */
  GMutex         lock;
  GHashTable    *choices;
  /* Keys found in the directory that the user (or a trusted directory)
   * accepted for an address although nobody certified them: a set of
   * "FINGERPRINT normalised-address". */
  GHashTable    *accepted;
  gint           closing;   /* atomic: signet_key_directory_close() was called */
  SignetResolveCache *resolve_cache;

  /* The GnuPG home is still being made (the demo's, on first use): GnuPG
   * work waits for it, and fails as it failed. */
  GMutex         home_lock;
  GCond          home_cond;
  gboolean       home_held;
  GError        *home_error;
};

G_DEFINE_FINAL_TYPE (SignetKeyDirectory, signet_key_directory, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (SignetKeyResult, signet_key_result, signet_key_result_copy, signet_key_result_free)
G_DEFINE_BOXED_TYPE (SignetOwnKey, signet_own_key, signet_own_key_copy, signet_own_key_free)
G_DEFINE_BOXED_TYPE (SignetKeyCandidate, signet_key_candidate, signet_key_candidate_copy, signet_key_candidate_free)

SignetKeyCandidate *
signet_key_candidate_copy (const SignetKeyCandidate *candidate)
{
  SignetKeyCandidate *copy = g_memdup2 (candidate, sizeof *candidate);

  copy->fingerprint = g_strdup (candidate->fingerprint);
  copy->user_ids = g_strdupv (candidate->user_ids);
  return copy;
}

void
signet_key_candidate_free (SignetKeyCandidate *candidate)
{
  if (candidate == NULL)
    return;
  g_free (candidate->fingerprint);
  g_strfreev (candidate->user_ids);
  g_free (candidate);
}

SignetOwnKey *
signet_own_key_copy (const SignetOwnKey *key)
{
  SignetOwnKey *copy = g_memdup2 (key, sizeof *key);

  copy->fingerprint = g_strdup (key->fingerprint);
  copy->user_id = g_strdup (key->user_id);
  return copy;
}

void
signet_own_key_free (SignetOwnKey *key)
{
  if (key == NULL)
    return;
  g_free (key->fingerprint);
  g_free (key->user_id);
  g_free (key);
}

SignetKeyResult *
signet_key_result_copy (const SignetKeyResult *result)
{
  SignetKeyResult *copy = g_new0 (SignetKeyResult, 1);

  copy->email = g_strdup (result->email);
  copy->status = result->status;
  copy->fingerprint = g_strdup (result->fingerprint);
  copy->user_id = g_strdup (result->user_id);
  return copy;
}

void
signet_key_result_free (SignetKeyResult *result)
{
  if (result == NULL)
    return;
  g_free (result->email);
  g_free (result->fingerprint);
  g_free (result->user_id);
  g_free (result);
}

const char *
signet_key_status_describe (SignetKeyStatus status)
{
  switch (status)
    {
    case SIGNET_KEY_STATUS_OK:
      return _("Valid sealing key");
    case SIGNET_KEY_STATUS_MISSING:
      return _("No sealing key was found in the directory");
    case SIGNET_KEY_STATUS_EXPIRED:
      return _("The sealing key has expired");
    case SIGNET_KEY_STATUS_REVOKED:
      return _("The sealing key has been revoked");
    case SIGNET_KEY_STATUS_DISABLED:
      return _("The sealing key is disabled");
    case SIGNET_KEY_STATUS_INVALID:
      return _("The sealing key is invalid");
    case SIGNET_KEY_STATUS_CANNOT_ENCRYPT:
      return _("The key cannot be used for sealing (no encryption subkey)");
    case SIGNET_KEY_STATUS_UNTRUSTED:
      return _("The sealing key is not trusted: it is not certified as belonging to this address");
    case SIGNET_KEY_STATUS_AMBIGUOUS:
      return _("Several sealing keys match this address");
    default:
      g_return_val_if_reached ("");
    }
}

void
signet_set_gpgme_error (GError      **error,
                        GQuark        domain,
                        int           code,
                        gpgme_error_t err)
{
  char buf[256] = "";

  gpgme_strerror_r (err, buf, sizeof buf);
  /* Translators: %s is GnuPG's own description of the problem */
  g_set_error (error, domain, code, _("GnuPG reported an error: %s"), buf);
}

static void
signet_key_directory_finalize (GObject *object)
{
  SignetKeyDirectory *self = SIGNET_KEY_DIRECTORY (object);

  g_free (self->homedir);
  g_clear_object (&self->network);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->choices, g_hash_table_unref);
  g_clear_pointer (&self->accepted, g_hash_table_unref);
  g_clear_pointer (&self->resolve_cache, signet_resolve_cache_free);
  g_clear_error (&self->home_error);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->home_lock);
  g_cond_clear (&self->home_cond);
  G_OBJECT_CLASS (signet_key_directory_parent_class)->finalize (object);
}

static void
signet_key_directory_class_init (SignetKeyDirectoryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = signet_key_directory_finalize;
}

static void
signet_key_directory_init (SignetKeyDirectory *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->home_lock);
  g_cond_init (&self->home_cond);
  self->choices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* @homedir: (nullable): a GnuPG home, or %NULL for the user's own keyring. */
SignetKeyDirectory *
signet_key_directory_new (const char    *homedir,
                          SignetNetwork *network)
{
  SignetKeyDirectory *self;

  g_return_val_if_fail (SIGNET_IS_NETWORK (network), NULL);

  signet_core_init ();
  self = g_object_new (SIGNET_TYPE_KEY_DIRECTORY, NULL);
  self->homedir = g_strdup (homedir);
  self->network = g_object_ref (network);
  self->resolve_cache = signet_resolve_cache_new (homedir);
  return self;
}


SignetNetwork *
signet_key_directory_get_network (SignetKeyDirectory *self)
{
  return self->network;
}

/* The home is being made: GnuPG work waits until
 * signet_key_directory_release_home(). The application makes the demo's
 * home in a worker thread while its first composer is already shown. */
void
signet_key_directory_hold_home (SignetKeyDirectory *self)
{
  g_return_if_fail (SIGNET_IS_KEY_DIRECTORY (self));

  g_mutex_lock (&self->home_lock);
  self->home_held = TRUE;
  g_clear_error (&self->home_error);
  g_mutex_unlock (&self->home_lock);
}

/* The home is made, or could not be (@error): from now on GnuPG work
 * goes ahead, or fails with @error. */
void
signet_key_directory_release_home (SignetKeyDirectory *self,
                                   const GError       *error)
{
  g_return_if_fail (SIGNET_IS_KEY_DIRECTORY (self));

  g_mutex_lock (&self->home_lock);
  self->home_held = FALSE;
  g_clear_error (&self->home_error);
  if (error != NULL)
    self->home_error = g_error_copy (error);
  g_cond_broadcast (&self->home_cond);
  g_mutex_unlock (&self->home_lock);
}

/* In a worker: waits while the home is being made (local files, a moment),
 * or until the application quits. */
gboolean
signet_key_directory_wait_home (SignetKeyDirectory *self,
                                GError            **error)
{
  gboolean ready;

  g_mutex_lock (&self->home_lock);
  while (self->home_held && !g_atomic_int_get (&self->closing))
    g_cond_wait (&self->home_cond, &self->home_lock);
  ready = !self->home_held && self->home_error == NULL;
  if (self->home_error != NULL)
    g_propagate_error (error, g_error_copy (self->home_error));
  else if (!ready)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Signet is quitting"));
  g_mutex_unlock (&self->home_lock);
  return ready;
}

static GMutex default_home_lock;
static char *default_home;  /* never freed: it is the engine's setting for the process */
static gboolean default_home_set;

/* A fresh context bound to this directory's GnuPG home. One per task: GPGME
 * contexts must not be shared between threads. */
gpgme_ctx_t
signet_key_directory_new_context (SignetKeyDirectory *self,
                                  GError            **error)
{
  gpgme_ctx_t ctx = NULL;
  gpgme_error_t err;
  gboolean is_default;

  if (g_atomic_int_get (&self->closing))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Signet is quitting"));
      return NULL;
    }
  if (!signet_key_directory_wait_home (self, error))
    return NULL;
  err = gpgme_engine_check_version (GPGME_PROTOCOL_OpenPGP);
  if (err != 0)
    {
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                   _("GnuPG (gpg) is not installed or cannot be run."));
      return NULL;
    }
  /* The first GnuPG home becomes the process's default: contexts for it
   * copy the engine's settings instead of each running "gpg --version"
   * again (a fork of this whole process) to set them. */
  g_mutex_lock (&default_home_lock);
  if (!default_home_set &&
      gpgme_set_engine_info (GPGME_PROTOCOL_OpenPGP, NULL, self->homedir) == 0)
    {
      default_home = g_strdup (self->homedir);
      default_home_set = TRUE;
    }
  is_default = default_home_set && g_strcmp0 (default_home, self->homedir) == 0;
  g_mutex_unlock (&default_home_lock);
  err = gpgme_new (&ctx);
  if (err == 0)
    err = gpgme_set_protocol (ctx, GPGME_PROTOCOL_OpenPGP);
  if (err == 0 && !is_default)
    err = gpgme_ctx_set_engine_info (ctx, GPGME_PROTOCOL_OpenPGP, NULL, self->homedir);
  if (err != 0)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR,
                              SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      g_clear_pointer (&ctx, gpgme_release);
      return NULL;
    }
  return ctx;
}

/* The one key @fingerprint (its secret part if @secret), listed in @ctx
 * itself. gpgme_get_key() makes a context of its own and gives it the
 * engine settings of @ctx, which runs "gpg --version" each time: a fork of
 * this whole process more per key. @ctx must be idle. */
gpgme_error_t
signet_key_directory_get_key (gpgme_ctx_t  ctx,
                              const char  *fingerprint,
                              gboolean     secret,
                              gpgme_key_t *r_key)
{
  g_auto(gpgme_key_t) key = NULL;
  gpgme_key_t other = NULL;
  gpgme_error_t err;

  *r_key = NULL;
  /* As gpgme_get_key(): not a key ID or fingerprint. */
  if (fingerprint == NULL || strlen (fingerprint) < 8)
    return gpg_error (GPG_ERR_INV_VALUE);
  err = gpgme_op_keylist_start (ctx, fingerprint, secret);
  if (err == 0)
    err = gpgme_op_keylist_next (ctx, &key);
  /* One key, though gpg may list it twice. */
  while (err == 0 && (err = gpgme_op_keylist_next (ctx, &other)) == 0)
    {
      gboolean same = other->fpr != NULL && key->fpr != NULL && g_ascii_strcasecmp (other->fpr, key->fpr) == 0;

      gpgme_key_unref (other);
      if (!same)
        err = gpg_error (GPG_ERR_AMBIGUOUS_NAME);
    }
  gpgme_op_keylist_end (ctx);
  if (key != NULL && gpgme_err_code (err) == GPG_ERR_EOF)
    {
      *r_key = g_steal_pointer (&key);
      return 0;
    }
  return err != 0 ? err : gpg_error (GPG_ERR_EOF);
}

/* The application is ending: no GnuPG work may start in this directory
 * from now on (a gpg started now could start a gpg-agent that outlives
 * the process). */
void
signet_key_directory_close (SignetKeyDirectory *self)
{
  g_return_if_fail (SIGNET_IS_KEY_DIRECTORY (self));
  g_atomic_int_set (&self->closing, TRUE);
  /* Work waiting for the home gives up. */
  g_mutex_lock (&self->home_lock);
  g_cond_broadcast (&self->home_cond);
  g_mutex_unlock (&self->home_lock);
}

/* The one place that decides whether key management may be used: it needs
 * the directory, and the directory is unavailable offline. */
gboolean
signet_key_directory_check_available (SignetKeyDirectory *self,
                                      GError            **error)
{
  if (signet_network_get_online (self->network))
    return TRUE;

  signet_key_directory_set_offline_error (error);
  return FALSE;
}

/* The error key management reports offline; its message is the heading of
 * the dialog the user sees (Exchange KB Q154089). */
void
signet_key_directory_set_offline_error (GError **error)
{
  g_set_error_literal (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE,
                       _("The client operation failed. The recipients could not be validated."));
}

static gboolean
subkey_can_encrypt (gpgme_key_t key)
{
  for (gpgme_subkey_t sub = key->subkeys; sub != NULL; sub = sub->next)
    if (sub->can_encrypt && !sub->revoked && !sub->expired && !sub->disabled && !sub->invalid)
      return TRUE;
  return FALSE;
}

/* Keys are listed with their TOFU information, for classify_key(). */
#define KEYLIST_MODE (GPGME_KEYLIST_MODE_LOCAL | GPGME_KEYLIST_MODE_WITH_TOFU)

/* Why @key (whose user ID @uid carries the address) cannot be used, or OK. */
static SignetKeyStatus
classify_key (gpgme_key_t key, gpgme_user_id_t uid)
{
  if (key->revoked || uid->revoked)
    return SIGNET_KEY_STATUS_REVOKED;
  if (key->expired)
    return SIGNET_KEY_STATUS_EXPIRED;
  if (key->disabled)
    return SIGNET_KEY_STATUS_DISABLED;
  if (key->invalid || uid->invalid)
    return SIGNET_KEY_STATUS_INVALID;
  if (!subkey_can_encrypt (key))
    return SIGNET_KEY_STATUS_CANNOT_ENCRYPT;
  if (uid->validity < GPGME_VALIDITY_MARGINAL)
    return SIGNET_KEY_STATUS_UNTRUSTED;
  /* With a TOFU trust model, gpg calls any key it has just seen for an
   * address "marginal": that is no one's word that it is theirs, so such a
   * key is reviewed and accepted like one nobody certified. */
  if (uid->validity == GPGME_VALIDITY_MARGINAL && uid->tofu != NULL &&
      uid->tofu->policy == GPGME_TOFU_POLICY_AUTO)
    return SIGNET_KEY_STATUS_UNTRUSTED;
  return SIGNET_KEY_STATUS_OK;
}

/* Of several unusable keys, report the reason a user can most likely act on. */
static int
status_rank (SignetKeyStatus status)
{
  static const int rank[] = {
    [SIGNET_KEY_STATUS_OK] = 9, [SIGNET_KEY_STATUS_UNTRUSTED] = 8,
    [SIGNET_KEY_STATUS_CANNOT_ENCRYPT] = 7, [SIGNET_KEY_STATUS_DISABLED] = 6,
    [SIGNET_KEY_STATUS_EXPIRED] = 5, [SIGNET_KEY_STATUS_INVALID] = 4,
    [SIGNET_KEY_STATUS_REVOKED] = 3, [SIGNET_KEY_STATUS_MISSING] = 0,
    [SIGNET_KEY_STATUS_AMBIGUOUS] = 10,
  };
  return rank[status];
}

/* Usable keys first, then the newest. */
static int
compare_own_keys (gconstpointer a, gconstpointer b)
{
  const SignetOwnKey *ka = *(const SignetOwnKey * const *) a;
  const SignetOwnKey *kb = *(const SignetOwnKey * const *) b;

  if ((ka->status == SIGNET_KEY_STATUS_OK) != (kb->status == SIGNET_KEY_STATUS_OK))
    return ka->status == SIGNET_KEY_STATUS_OK ? -1 : 1;
  return (kb->created > ka->created) - (kb->created < ka->created);
}

/* What resolving one address needs besides its result. */
typedef struct {
  char *normal;      /* the address, normalised */
  char *choice;      /* the fingerprint the user chose for it, or NULL */
  char *choice_uid;  /* the chosen key's user ID, once it was found usable */
} Wanted;

static void
wanted_free (Wanted *wanted)
{
  g_free (wanted->normal);
  g_free (wanted->choice);
  g_free (wanted->choice_uid);
  g_free (wanted);
}

static char *
acceptance_entry (const char *fingerprint, const char *email)
{
  g_autofree char *normal = signet_address_normalize (email);
  g_autofree char *upper = g_ascii_strup (fingerprint, -1);

  return normal != NULL ? g_strdup_printf ("%s %s", upper, normal) : NULL;
}

/* Whether @fingerprint was accepted for @email (see signet_key_directory_accept()). */
gboolean
signet_key_directory_is_accepted (SignetKeyDirectory *self,
                                  const char         *fingerprint,
                                  const char         *email)
{
  g_autofree char *entry = NULL;
  gboolean accepted;

  g_return_val_if_fail (SIGNET_IS_KEY_DIRECTORY (self), FALSE);
  if (fingerprint == NULL || email == NULL || (entry = acceptance_entry (fingerprint, email)) == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  accepted = g_hash_table_contains (self->accepted, entry);
  g_mutex_unlock (&self->lock);
  return accepted;
}

/* A key nobody certified is sealed to only once it was accepted for that
 * very address; then it counts as valid. */
static void
apply_acceptance (SignetKeyDirectory *self, GPtrArray *results)
{
  for (guint i = 0; i < results->len; i++)
    {
      SignetKeyResult *result = g_ptr_array_index (results, i);

      if (result->status == SIGNET_KEY_STATUS_UNTRUSTED &&
          signet_key_directory_is_accepted (self, result->fingerprint, result->email))
        result->status = SIGNET_KEY_STATUS_OK;
    }
}

static SignetKeyStatus
record_key (SignetKeyResult *result, gpgme_key_t key, gpgme_user_id_t uid)
{
  SignetKeyStatus status = classify_key (key, uid);

  if (status == SIGNET_KEY_STATUS_OK && result->status == SIGNET_KEY_STATUS_OK)
    {
      if (g_strcmp0 (result->fingerprint, key->fpr) != 0)
        result->status = SIGNET_KEY_STATUS_AMBIGUOUS;
      return status;
    }
  if (status_rank (status) <= status_rank (result->status))
    return status;
  result->status = status;
  g_free (result->fingerprint);
  g_free (result->user_id);
  result->fingerprint = g_strdup (key->fpr);
  result->user_id = g_strdup (uid->uid);
  return status;
}

static void
match_key (GPtrArray *results, GPtrArray *wanted, gpgme_key_t key)
{
  for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
    {
      if (uid->email == NULL)
        continue;
      g_autofree char *uid_email = signet_address_normalize (uid->email);

      for (guint i = 0; i < results->len; i++)
        {
          Wanted *w = g_ptr_array_index (wanted, i);

          if (g_strcmp0 (uid_email, w->normal) != 0)
            continue;
          if (record_key (g_ptr_array_index (results, i), key, uid) == SIGNET_KEY_STATUS_OK &&
              w->choice != NULL && w->choice_uid == NULL && key->fpr != NULL &&
              g_ascii_strcasecmp (key->fpr, w->choice) == 0)
            w->choice_uid = g_strdup (uid->uid);
        }
    }
}

/* An ambiguous address resolves to the key the user chose for it, as long
 * as that key is still one of its usable keys; otherwise the choice is
 * ignored, never replaced by another key. */
static void
apply_choices (GPtrArray *results, GPtrArray *wanted)
{
  for (guint i = 0; i < results->len; i++)
    {
      SignetKeyResult *result = g_ptr_array_index (results, i);
      Wanted *w = g_ptr_array_index (wanted, i);

      if (result->status != SIGNET_KEY_STATUS_AMBIGUOUS || w->choice_uid == NULL)
        continue;
      result->status = SIGNET_KEY_STATUS_OK;
      g_free (result->fingerprint);
      g_free (result->user_id);
      result->fingerprint = g_strdup (w->choice);
      result->user_id = g_strdup (w->choice_uid);
    }
}

static Wanted *
wanted_new (SignetKeyDirectory *self, const char *email)
{
  Wanted *w = g_new0 (Wanted, 1);

  w->normal = signet_address_normalize (email);
  g_mutex_lock (&self->lock);
  w->choice = g_strdup (g_hash_table_lookup (self->choices, w->normal));
  g_mutex_unlock (&self->lock);
  return w;
}

static void
add_pattern (GPtrArray *patterns, char *pattern)
{
  if (g_ptr_array_find_with_equal_func (patterns, pattern, g_str_equal, NULL))
    g_free (pattern);
  else
    g_ptr_array_add (patterns, pattern);
}

/* GnuPG matches "<address>" exactly, folding ASCII case only. An address
 * can be written in other forms (Unicode case, NFC or NFD, the domain in
 * Unicode or punycode), so ask for each form; the results are then matched
 * in the one normalised form. A local part outside ASCII, which GnuPG
 * cannot fold, is looked for by its domain. */
static void
add_patterns (GPtrArray *patterns, const char *email)
{
  g_autofree char *normal = signet_address_normalize (email);
  const char *at = strrchr (normal, '@');

  add_pattern (patterns, g_strdup_printf ("<%s>", email));
  add_pattern (patterns, g_strdup_printf ("<%s>", normal));
  if (at == NULL)
    return;
  {
    g_autofree char *local = g_strndup (normal, at - normal);
    g_autofree char *unicode_domain = g_hostname_to_unicode (at + 1);

    if (unicode_domain != NULL)
      add_pattern (patterns, g_strdup_printf ("<%s@%s>", local, unicode_domain));
    if (!g_str_is_ascii (local))
      {
        add_pattern (patterns, g_strdup_printf ("@%s", at + 1));
        if (unicode_domain != NULL)
          add_pattern (patterns, g_strdup_printf ("@%s", unicode_domain));
      }
  }
}

/* The first moment a subkey of @key expires, in real time (µs), or
 * G_MAXINT64. One that has expired already changes nothing later. */
static gint64
first_expiry (gpgme_key_t key)
{
  gint64 first = G_MAXINT64;

  for (gpgme_subkey_t sub = key->subkeys; sub != NULL; sub = sub->next)
    if (sub->expires > 0 && !sub->expired)
      first = MIN (first, (gint64) sub->expires * G_USEC_PER_SEC);
  return first;
}

/* One keylist operation for all of @wanted's @patterns, its keys matched
 * into @results; @valid_until: the first expiry among them. */
static gboolean
list_keys (SignetKeyDirectory *self,
           GPtrArray          *patterns,
           GPtrArray          *results,
           GPtrArray          *wanted,
           gint64             *valid_until,
           GCancellable       *cancellable,
           GError            **error)
{
  g_auto(gpgme_ctx_t) ctx = signet_key_directory_new_context (self, error);
  gpgme_key_t key = NULL;
  gpgme_error_t err;

  if (ctx == NULL)
    return FALSE;
  gpgme_set_keylist_mode (ctx, KEYLIST_MODE);
  err = gpgme_op_keylist_ext_start (ctx, (const char **) patterns->pdata, 0, 0);
  while (err == 0 && (err = gpgme_op_keylist_next (ctx, &key)) == 0)
    {
      /* Once cancelled, what is left is only drained: a keylist ended
       * early leaks what GPGME had queued for it. */
      if (!g_cancellable_is_cancelled (cancellable))
        {
          match_key (results, wanted, key);
          *valid_until = MIN (*valid_until, first_expiry (key));
        }
      gpgme_key_unref (key);
    }
  gpgme_op_keylist_end (ctx);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (err != 0 && gpgme_err_code (err) != GPG_ERR_EOF)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR,
                              SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return FALSE;
    }
  return TRUE;
}

/* Resolves every address in one keylist operation, or answers from the
 * resolutions remembered while nothing they depend on has changed
 * (signet-resolve-cache.c). Does not consult the network state: callers go
 * through resolve_async, which does. */
GPtrArray *
signet_key_directory_resolve_sync (SignetKeyDirectory *self,
                                   const char * const *emails,
                                   GCancellable       *cancellable,
                                   GError            **error)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_key_result_free);
  g_autoptr(GPtrArray) patterns = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) wanted = g_ptr_array_new_with_free_func ((GDestroyNotify) wanted_free);
  g_autofree char *stamp = NULL;
  gint64 valid_until = G_MAXINT64;
  GPtrArray *remembered;
  guint generation;

  if (emails[0] == NULL)
    return g_steal_pointer (&results);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  stamp = signet_resolve_cache_begin (self->resolve_cache, &generation);
  remembered = signet_resolve_cache_lookup (self->resolve_cache, emails, stamp, generation);
  if (remembered != NULL)
    return remembered;

  for (guint i = 0; emails[i] != NULL; i++)
    {
      SignetKeyResult *result = g_new0 (SignetKeyResult, 1);

      result->email = g_strdup (emails[i]);
      result->status = SIGNET_KEY_STATUS_MISSING;
      g_ptr_array_add (results, result);
      g_ptr_array_add (wanted, wanted_new (self, emails[i]));
      add_patterns (patterns, emails[i]);
    }
  g_ptr_array_add (patterns, NULL);
  if (!list_keys (self, patterns, results, wanted, &valid_until, cancellable, error))
    return NULL;
  apply_choices (results, wanted);
  apply_acceptance (self, results);
  signet_resolve_cache_store (self->resolve_cache, emails, stamp, generation, valid_until, results);
  return g_steal_pointer (&results);
}

static void
resolve_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *results;

  results = signet_key_directory_resolve_sync (source_object, task_data, cancellable, &error);
  if (results == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

/* Looks up a sealing key for each of @emails (a %NULL-terminated array of
 * addr-specs). Fails with SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE, without any
 * lookup, when offline. The result is an array of SignetKeyResult. */
void
signet_key_directory_resolve_async (SignetKeyDirectory *self,
                                    GPtrArray          *emails,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  GStrv copy;

  g_return_if_fail (SIGNET_IS_KEY_DIRECTORY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, signet_key_directory_resolve_async);
  if (!signet_key_directory_check_available (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  copy = g_new0 (char *, emails->len + 1);
  for (guint i = 0; i < emails->len; i++)
    copy[i] = g_strdup (g_ptr_array_index (emails, i));
  g_task_set_task_data (task, copy, (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, resolve_thread);
}

GPtrArray *
signet_key_directory_resolve_finish (SignetKeyDirectory *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
signet_key_results_all_ok (GPtrArray *results)
{
  for (guint i = 0; i < results->len; i++)
    if (((SignetKeyResult *) g_ptr_array_index (results, i))->status != SIGNET_KEY_STATUS_OK)
      return FALSE;
  return TRUE;
}

const SignetKeyResult *
signet_key_results_lookup (GPtrArray  *results,
                           const char *email)
{
  for (guint i = 0; i < results->len; i++)
    {
      const SignetKeyResult *r = g_ptr_array_index (results, i);
      if (signet_address_equal_email (r->email, email))
        return r;
    }
  return NULL;
}

/* The key pairs for @email whose secret part is in the keyring, newest first;
 * each with the status of its public part for sealing to oneself. */
GPtrArray *
signet_key_directory_list_own_keys_sync (SignetKeyDirectory *self,
                                         const char         *email,
                                         GCancellable       *cancellable,
                                         GError            **error)
{
  g_auto(gpgme_ctx_t) ctx = NULL;
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_own_key_free);
  g_autoptr(GPtrArray) fingerprints = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *wanted = signet_address_normalize (email);
  g_autofree char *pattern = g_strdup_printf ("<%s>", email);
  g_autofree char *stamp = NULL;
  gint64 valid_until = G_MAXINT64;
  guint generation;
  GPtrArray *remembered;
  gpgme_key_t key = NULL;
  gpgme_error_t err;

  /* Asked at start-up (can the sender sign?) and at each Send: answered
   * from memory while the keyring stays as it was. */
  stamp = signet_resolve_cache_begin (self->resolve_cache, &generation);
  remembered = signet_resolve_cache_lookup_own (self->resolve_cache, email, stamp, generation);
  if (remembered != NULL)
    return remembered;
  ctx = signet_key_directory_new_context (self, error);
  if (ctx == NULL)
    return NULL;
  /* Secret keys first, then their public parts with validity: a key whose
   * secret part is missing is never one's own, whatever its user ID says. */
  gpgme_set_keylist_mode (ctx, KEYLIST_MODE);
  err = gpgme_op_keylist_start (ctx, pattern, 1);
  while (err == 0 && (err = gpgme_op_keylist_next (ctx, &key)) == 0)
    {
      if (key->fpr != NULL && key->secret)
        g_ptr_array_add (fingerprints, g_strdup (key->fpr));
      gpgme_key_unref (key);
    }
  gpgme_op_keylist_end (ctx);
  if (err != 0 && gpgme_err_code (err) != GPG_ERR_EOF)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return NULL;
    }
  for (guint i = 0; i < fingerprints->len; i++)
    {
      g_auto(gpgme_key_t) pub = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (signet_key_directory_get_key (ctx, g_ptr_array_index (fingerprints, i), FALSE, &pub) != 0)
        continue;
      for (gpgme_user_id_t uid = pub->uids; uid != NULL; uid = uid->next)
        {
          g_autofree char *uid_email = signet_address_normalize (uid->email);
          SignetOwnKey *own;

          if (uid->email == NULL || g_strcmp0 (uid_email, wanted) != 0)
            continue;
          own = g_new0 (SignetOwnKey, 1);
          own->fingerprint = g_strdup (pub->fpr);
          own->user_id = g_strdup (uid->uid);
          own->created = pub->subkeys ? pub->subkeys->timestamp : 0;
          own->expires = pub->subkeys ? pub->subkeys->expires : 0;
          own->status = classify_key (pub, uid);
          valid_until = MIN (valid_until, first_expiry (pub));
          /* One's own key needs no certification by oneself to be usable. */
          if (own->status == SIGNET_KEY_STATUS_UNTRUSTED)
            own->status = SIGNET_KEY_STATUS_OK;
          g_ptr_array_add (keys, own);
          break;
        }
    }
  g_ptr_array_sort (keys, compare_own_keys);
  signet_resolve_cache_store_own (self->resolve_cache, email, stamp, generation, valid_until, keys);
  return g_steal_pointer (&keys);
}

/* The own key to seal drafts and sent copies to: @preferred (a fingerprint
 * chosen in Preferences) when it is one of the usable own keys for @email,
 * otherwise the newest usable one. Fails with a message naming the address
 * when there is none. */
SignetOwnKey *
signet_key_directory_choose_own_key (SignetKeyDirectory *self,
                                     const char         *email,
                                     const char         *preferred,
                                     GCancellable       *cancellable,
                                     GError            **error)
{
  g_autoptr(GPtrArray) keys = signet_key_directory_list_own_keys_sync (self, email, cancellable, error);
  const SignetOwnKey *newest = NULL;

  if (keys == NULL)
    return NULL;
  for (guint i = 0; i < keys->len; i++)
    {
      const SignetOwnKey *k = g_ptr_array_index (keys, i);

      if (k->status != SIGNET_KEY_STATUS_OK)
        continue;
      if (preferred != NULL && *preferred != '\0' && g_ascii_strcasecmp (k->fingerprint, preferred) == 0)
        return signet_own_key_copy (k);
      if (newest == NULL)
        newest = k;
    }
  if (newest != NULL)
    return signet_own_key_copy (newest);
  if (keys->len > 0)
    /* Translators: the first %s is an email address, the second why its key cannot be used */
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                 _("Your own key for %s cannot be used: %s."), email,
                 signet_key_status_describe (((SignetOwnKey *) g_ptr_array_index (keys, 0))->status));
  else
    /* Translators: %s is an email address */
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                 _("You have no key of your own for %s: sealing needs a key pair (with its secret key) "
                   "for this address in your keyring. Create or import one, or send from another address."),
                 email);
  return NULL;
}

static void
own_keys_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *keys = signet_key_directory_list_own_keys_sync (source, task_data, cancellable, &error);

  if (keys == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, keys, (GDestroyNotify) g_ptr_array_unref);
}

/* Lists the user's own key pairs for @email (SignetOwnKey, newest first).
 * The secret keyring is local: this works offline too. */
void
signet_key_directory_list_own_keys_async (SignetKeyDirectory *self,
                                          const char         *email,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, signet_key_directory_list_own_keys_async);
  g_task_set_task_data (task, g_strdup (email), g_free);
  g_task_run_in_thread (task, own_keys_thread);
}

GPtrArray *
signet_key_directory_list_own_keys_finish (SignetKeyDirectory *self,
                                           GAsyncResult       *result,
                                           GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the key chosen for an ambiguous address ------------------------------ */

/* A full OpenPGP fingerprint: 40 (v4) or 64 (v5) hex digits. */
gboolean
signet_is_fingerprint (const char *text)
{
  gsize length = strlen (text);

  if (length != 40 && length != 64)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;
  return TRUE;
}

/* Takes the choices from "key-choices"; entries that are not an address and
 * a fingerprint are left out. */
static void
load_choices (SignetKeyDirectory *self)
{
  g_autoptr(GVariant) value = g_settings_get_value (self->settings, "key-choices");
  g_autoptr(GHashTable) choices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GVariantIter iter;
  const char *email;
  const char *fingerprint;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "{&s&s}", &email, &fingerprint))
    if (*email != '\0' && signet_is_fingerprint (fingerprint))
      g_hash_table_replace (choices, signet_address_normalize (email), g_ascii_strup (fingerprint, -1));
  g_mutex_lock (&self->lock);
  g_hash_table_unref (self->choices);
  self->choices = g_steal_pointer (&choices);
  g_mutex_unlock (&self->lock);
  signet_resolve_cache_invalidate (self->resolve_cache);
}

static void
save_choices (SignetKeyDirectory *self)
{
  GList *emails;
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_mutex_lock (&self->lock);
  emails = g_list_sort (g_hash_table_get_keys (self->choices), (GCompareFunc) g_strcmp0);
  for (GList *l = emails; l != NULL; l = l->next)
    g_variant_builder_add (&builder, "{ss}", l->data, g_hash_table_lookup (self->choices, l->data));
  g_mutex_unlock (&self->lock);
  g_list_free (emails);
  g_settings_set_value (self->settings, "key-choices", g_variant_builder_end (&builder));
}

static void
load_accepted (SignetKeyDirectory *self)
{
  g_auto(GStrv) entries = g_settings_get_strv (self->settings, "accepted-keys");
  g_autoptr(GHashTable) accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; entries[i] != NULL; i++)
    {
      const char *space = strchr (entries[i], ' ');
      g_autofree char *fingerprint = space != NULL ? g_strndup (entries[i], space - entries[i]) : NULL;
      char *entry;

      if (fingerprint == NULL || !signet_is_fingerprint (fingerprint) ||
          (entry = acceptance_entry (fingerprint, space + 1)) == NULL)
        continue;
      g_hash_table_add (accepted, entry);
    }
  g_mutex_lock (&self->lock);
  g_hash_table_unref (self->accepted);
  self->accepted = g_steal_pointer (&accepted);
  g_mutex_unlock (&self->lock);
  signet_resolve_cache_invalidate (self->resolve_cache);
}

static void
on_choices_changed (GSettings          *settings,
                    const char         *key,
                    SignetKeyDirectory *self)
{
  if (g_strcmp0 (key, "accepted-keys") == 0)
    load_accepted (self);
  else
    load_choices (self);
}

/* Accepts @fingerprint as @email's key, although nobody certified it (the
 * user looked at it, or a trusted directory has it): it is sealed to from
 * now on. Kept in "accepted-keys" with the choices' settings. */
void
signet_key_directory_accept (SignetKeyDirectory *self,
                             const char         *fingerprint,
                             const char         *email)
{
  g_autofree char *entry = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) entries = NULL;
  GList *all;

  g_return_if_fail (SIGNET_IS_KEY_DIRECTORY (self));
  g_return_if_fail (fingerprint != NULL && signet_is_fingerprint (fingerprint));
  g_return_if_fail (email != NULL);

  entry = acceptance_entry (fingerprint, email);
  if (entry == NULL)
    return;
  g_mutex_lock (&self->lock);
  g_hash_table_add (self->accepted, g_steal_pointer (&entry));
  signet_resolve_cache_invalidate (self->resolve_cache);
  all = g_list_sort (g_hash_table_get_keys (self->accepted), (GCompareFunc) g_strcmp0);
  for (GList *l = all; l != NULL; l = l->next)
    g_strv_builder_add (builder, l->data);
  g_mutex_unlock (&self->lock);
  g_list_free (all);
  entries = g_strv_builder_end (builder);
  if (self->settings != NULL)
    g_settings_set_strv (self->settings, "accepted-keys", (const char * const *) entries);
}

/* Keeps the choices in @settings' "key-choices" (a{ss}: normalised address →
 * fingerprint), taking those already there. %NULL: in memory only. */
void
signet_key_directory_set_settings (SignetKeyDirectory *self,
                                   GSettings          *settings)
{
  g_return_if_fail (SIGNET_IS_KEY_DIRECTORY (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_func (self->settings, on_choices_changed, self);
  if (!g_set_object (&self->settings, settings) || settings == NULL)
    return;
  g_signal_connect_object (settings, "changed::key-choices", G_CALLBACK (on_choices_changed), self, 0);
  g_signal_connect_object (settings, "changed::accepted-keys", G_CALLBACK (on_choices_changed), self, 0);
  load_choices (self);
  load_accepted (self);
}

/* Remembers @fingerprint as the key to seal to for @email when several
 * usable keys match it; %NULL forgets the choice. */
void
signet_key_directory_set_choice (SignetKeyDirectory *self,
                                 const char         *email,
                                 const char         *fingerprint)
{
  g_autofree char *normal = NULL;

  g_return_if_fail (SIGNET_IS_KEY_DIRECTORY (self));
  g_return_if_fail (email != NULL && *email != '\0');
  g_return_if_fail (fingerprint == NULL || signet_is_fingerprint (fingerprint));

  normal = signet_address_normalize (email);
  g_mutex_lock (&self->lock);
  if (fingerprint == NULL)
    g_hash_table_remove (self->choices, normal);
  else
    g_hash_table_replace (self->choices, g_steal_pointer (&normal), g_ascii_strup (fingerprint, -1));
  g_mutex_unlock (&self->lock);
  signet_resolve_cache_invalidate (self->resolve_cache);
  if (self->settings != NULL)
    save_choices (self);
}

/* The fingerprint remembered for @email, or %NULL. */
char *
signet_key_directory_dup_choice (SignetKeyDirectory *self,
                                 const char         *email)
{
  g_autofree char *normal = NULL;
  char *fingerprint;

  g_return_val_if_fail (SIGNET_IS_KEY_DIRECTORY (self), NULL);
  g_return_val_if_fail (email != NULL, NULL);

  normal = signet_address_normalize (email);
  g_mutex_lock (&self->lock);
  fingerprint = g_strdup (g_hash_table_lookup (self->choices, normal));
  g_mutex_unlock (&self->lock);
  return fingerprint;
}

/* ---- the keys to choose from ---------------------------------------------- */

/* Usable keys first, then the newest. */
static int
compare_candidates (gconstpointer a, gconstpointer b)
{
  const SignetKeyCandidate *ka = *(const SignetKeyCandidate * const *) a;
  const SignetKeyCandidate *kb = *(const SignetKeyCandidate * const *) b;

  if (ka->usable != kb->usable)
    return ka->usable ? -1 : 1;
  if (ka->created != kb->created)
    return (kb->created > ka->created) - (kb->created < ka->created);
  return g_strcmp0 (ka->fingerprint, kb->fingerprint);
}

/* @key as a candidate for the normalised address @wanted, or %NULL when
 * none of its user IDs carries it. Its status is the best of those IDs'. */
static SignetKeyCandidate *
candidate_for_key (gpgme_key_t key, const char *wanted)
{
  g_autoptr(GStrvBuilder) matching = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) others = g_strv_builder_new ();
  g_auto(GStrv) rest = NULL;
  SignetKeyStatus status = SIGNET_KEY_STATUS_MISSING;
  SignetKeyCandidate *candidate;

  for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
    {
      g_autofree char *uid_email = uid->email ? signet_address_normalize (uid->email) : NULL;

      if (uid->uid == NULL)
        continue;
      if (g_strcmp0 (uid_email, wanted) != 0)
        {
          g_strv_builder_add (others, uid->uid);
          continue;
        }
      g_strv_builder_add (matching, uid->uid);
      if (status_rank (classify_key (key, uid)) > status_rank (status))
        status = classify_key (key, uid);
    }
  if (status == SIGNET_KEY_STATUS_MISSING || key->fpr == NULL)
    return NULL;
  rest = g_strv_builder_end (others);
  g_strv_builder_addv (matching, (const char **) rest);
  candidate = g_new0 (SignetKeyCandidate, 1);
  candidate->fingerprint = g_strdup (key->fpr);
  candidate->user_ids = g_strv_builder_end (matching);
  candidate->created = key->subkeys ? key->subkeys->timestamp : 0;
  candidate->expires = key->subkeys ? key->subkeys->expires : 0;
  candidate->status = status;
  candidate->usable = status == SIGNET_KEY_STATUS_OK;
  return candidate;
}

static gboolean
has_candidate (GPtrArray *candidates, const char *fingerprint)
{
  for (guint i = 0; i < candidates->len; i++)
    if (g_strcmp0 (((SignetKeyCandidate *) g_ptr_array_index (candidates, i))->fingerprint, fingerprint) == 0)
      return TRUE;
  return FALSE;
}

/* Every key in the keyring with a user ID for @email, usable or not (with
 * its status), usable ones first, then newest first. */
GPtrArray *
signet_key_directory_list_candidates_sync (SignetKeyDirectory *self,
                                           const char         *email,
                                           GCancellable       *cancellable,
                                           GError            **error)
{
  g_auto(gpgme_ctx_t) ctx = NULL;
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_key_candidate_free);
  g_autoptr(GPtrArray) patterns = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *wanted = signet_address_normalize (email);
  gpgme_key_t key = NULL;
  gpgme_error_t err;

  add_patterns (patterns, email);
  g_ptr_array_add (patterns, NULL);
  ctx = signet_key_directory_new_context (self, error);
  if (ctx == NULL)
    return NULL;
  gpgme_set_keylist_mode (ctx, KEYLIST_MODE);
  err = gpgme_op_keylist_ext_start (ctx, (const char **) patterns->pdata, 0, 0);
  while (err == 0 && !g_cancellable_is_cancelled (cancellable) &&
         (err = gpgme_op_keylist_next (ctx, &key)) == 0)
    {
      SignetKeyCandidate *candidate = candidate_for_key (key, wanted);

      if (candidate != NULL && has_candidate (candidates, candidate->fingerprint))
        g_clear_pointer (&candidate, signet_key_candidate_free);
      if (candidate != NULL)
        g_ptr_array_add (candidates, candidate);
      gpgme_key_unref (key);
    }
  gpgme_op_keylist_end (ctx);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (err != 0 && gpgme_err_code (err) != GPG_ERR_EOF)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return NULL;
    }
  g_ptr_array_sort (candidates, compare_candidates);
  return g_steal_pointer (&candidates);
}

static void
candidates_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *candidates = signet_key_directory_list_candidates_sync (source, task_data, cancellable, &error);

  if (candidates == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, candidates, (GDestroyNotify) g_ptr_array_unref);
}

/* Lists the keys for @email to choose from (SignetKeyCandidate). Like
 * resolving, this is key management: it fails with
 * SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE, without any lookup, when offline. */
void
signet_key_directory_list_candidates_async (SignetKeyDirectory *self,
                                            const char         *email,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (SIGNET_IS_KEY_DIRECTORY (self));
  g_return_if_fail (email != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, signet_key_directory_list_candidates_async);
  if (!signet_key_directory_check_available (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, g_strdup (email), g_free);
  g_task_run_in_thread (task, candidates_thread);
}

GPtrArray *
signet_key_directory_list_candidates_finish (SignetKeyDirectory *self,
                                             GAsyncResult       *result,
                                             GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* For address completion: rates @result (whose address @uid of @key carries)
 * by the same rules as resolution, one key at a time, so that completing an
 * address shows the status sending to it would meet. */
void
signet_key_result_record_key (SignetKeyResult *result,
                              gpgme_key_t      key,
                              gpgme_user_id_t  uid)
{
  record_key (result, key, uid);
}
