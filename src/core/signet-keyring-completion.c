#define G_LOG_DOMAIN "signet-completion"

#include "signet-keyring-completion.h"

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-key-directory-private.h"

/* Completion from the user IDs of the local keyring. The keyring is local,
 * so this works offline too; each suggestion carries the status that
 * resolving its address would give, rated by the key directory's own rules
 * over every key that carries the address (not only the keys whose user ID
 * matched what was typed: another key for the address makes it ambiguous). */
struct _SignetKeyringCompletion
{
  GObject             parent_instance;

  SignetKeyDirectory *directory;
};

enum {
  PROP_0,
  PROP_DIRECTORY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void signet_keyring_completion_provider_init (SignetCompletionProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SignetKeyringCompletion, signet_keyring_completion, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_COMPLETION_PROVIDER,
                                                      signet_keyring_completion_provider_init))

#define SOURCE_NAME "keyring"

/* One address that what was typed completes. */
typedef struct {
  char            *name;
  char            *email;
  SignetKeyResult *result;
} Candidate;

typedef struct {
  char  *folded_prefix;
  guint  max_results;
} Search;

static void
candidate_free (Candidate *candidate)
{
  g_free (candidate->name);
  g_free (candidate->email);
  signet_key_result_free (candidate->result);
  g_free (candidate);
}

static void
search_free (Search *search)
{
  g_free (search->folded_prefix);
  g_free (search);
}

static void
on_cancelled (GCancellable *cancellable, gpointer ctx)
{
  gpgme_cancel_async (ctx);
}

/* Every public key of the keyring, with validity. A cancel stops gpg as soon
 * as it next writes. */
static GPtrArray *
list_keys (gpgme_ctx_t ctx, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) gpgme_key_unref);
  gpgme_key_t key = NULL;
  gpgme_error_t err;
  gulong handler = 0;

  gpgme_set_keylist_mode (ctx, GPGME_KEYLIST_MODE_LOCAL);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), ctx, NULL);
  err = gpgme_op_keylist_start (ctx, NULL, 0);
  while (err == 0 && !g_cancellable_is_cancelled (cancellable)
         && (err = gpgme_op_keylist_next (ctx, &key)) == 0)
    g_ptr_array_add (keys, key);
  gpgme_op_keylist_end (ctx);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (err != 0 && gpgme_err_code (err) != GPG_ERR_EOF)
    {
      signet_set_gpgme_error (error, SIGNET_KEY_MANAGEMENT_ERROR,
                              SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, err);
      return NULL;
    }
  return g_steal_pointer (&keys);
}

/* The name to show for @uid: none rather than one with control characters,
 * the start of an encoded word, or marks that would show the address after
 * it reordered (anyone can put such a user ID on a keyserver, and the
 * directory imports what it finds there). */
static const char *
display_name (gpgme_user_id_t uid)
{
  if (uid->name == NULL || !signet_address_published_name_is_shown (uid->name))
    return NULL;
  return uid->name;
}

static void
add_candidate (GHashTable *candidates, gpgme_user_id_t uid)
{
  char *key = signet_address_normalize (uid->email);
  Candidate *candidate = g_hash_table_lookup (candidates, key);

  if (candidate != NULL)
    {
      if (candidate->name == NULL)
        candidate->name = g_strdup (display_name (uid));
      g_free (key);
      return;
    }
  candidate = g_new0 (Candidate, 1);
  candidate->name = g_strdup (display_name (uid));
  candidate->email = g_strdup (uid->email);
  candidate->result = g_new0 (SignetKeyResult, 1);
  candidate->result->email = g_strdup (uid->email);
  candidate->result->status = SIGNET_KEY_STATUS_MISSING;
  g_hash_table_insert (candidates, key, candidate);
}

/* Normalised address -> Candidate, for each user ID @folded_prefix completes. */
static GHashTable *
find_candidates (GPtrArray *keys, const char *folded_prefix)
{
  GHashTable *candidates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                  (GDestroyNotify) candidate_free);

  for (guint i = 0; i < keys->len; i++)
    {
      gpgme_key_t key = g_ptr_array_index (keys, i);

      for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
        {
          if (!signet_address_is_valid_email (uid->email))
            continue;
          if (signet_completion_matches (folded_prefix, uid->name, uid->email))
            add_candidate (candidates, uid);
        }
    }
  return candidates;
}

static void
rate_candidates (GPtrArray *keys, GHashTable *candidates)
{
  for (guint i = 0; i < keys->len; i++)
    {
      gpgme_key_t key = g_ptr_array_index (keys, i);

      for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
        {
          g_autofree char *normal = NULL;
          Candidate *candidate;

          if (uid->email == NULL)
            continue;
          normal = signet_address_normalize (uid->email);
          candidate = g_hash_table_lookup (candidates, normal);
          if (candidate != NULL)
            signet_key_result_record_key (candidate->result, key, uid);
        }
    }
}

static int
compare_completions (gconstpointer a, gconstpointer b)
{
  return signet_completion_compare (*(const SignetCompletion * const *) a,
                                    *(const SignetCompletion * const *) b);
}

static GPtrArray *
to_completions (GHashTable *candidates, guint max_results)
{
  GPtrArray *completions = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_completion_free);
  GHashTableIter iter;
  Candidate *candidate;

  g_hash_table_iter_init (&iter, candidates);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &candidate))
    {
      SignetKeyStatus status = candidate->result->status;

      g_ptr_array_add (completions,
                       signet_completion_new (candidate->name, candidate->email, status,
                                              status == SIGNET_KEY_STATUS_AMBIGUOUS ? NULL
                                                : candidate->result->fingerprint,
                                              SOURCE_NAME));
    }
  g_ptr_array_sort (completions, compare_completions);
  if (max_results > 0 && completions->len > max_results)
    g_ptr_array_set_size (completions, max_results);
  return completions;
}

static GPtrArray *
search_sync (SignetKeyringCompletion *self,
             const Search            *search,
             GCancellable            *cancellable,
             GError                 **error)
{
  g_auto(gpgme_ctx_t) ctx = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(GHashTable) candidates = NULL;

  ctx = signet_key_directory_new_context (self->directory, error);
  if (ctx == NULL)
    return NULL;
  keys = list_keys (ctx, cancellable, error);
  if (keys == NULL)
    return NULL;
  candidates = find_candidates (keys, search->folded_prefix);
  rate_candidates (keys, candidates);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return to_completions (candidates, search->max_results);
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *completions = search_sync (source_object, task_data, cancellable, &error);

  if (completions == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, completions, (GDestroyNotify) g_ptr_array_unref);
}

static void
signet_keyring_completion_search_async (SignetCompletionProvider *provider,
                                        const char               *prefix,
                                        guint                     max_results,
                                        GCancellable             *cancellable,
                                        GAsyncReadyCallback       callback,
                                        gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  g_autofree char *folded = signet_completion_fold (prefix);
  Search *search;

  g_task_set_source_tag (task, signet_keyring_completion_search_async);
  if (folded == NULL || *g_strchug (folded) == '\0')
    {
      g_task_return_pointer (task, g_ptr_array_new_with_free_func ((GDestroyNotify) signet_completion_free),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  search = g_new0 (Search, 1);
  search->folded_prefix = g_steal_pointer (&folded);
  search->max_results = max_results;
  g_task_set_task_data (task, search, (GDestroyNotify) search_free);
  /* The next keystroke cancels this search: its caller is answered at once,
   * and the thread ends as soon as gpg has been stopped. */
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, search_thread);
}

static GPtrArray *
signet_keyring_completion_search_finish (SignetCompletionProvider *provider,
                                         GAsyncResult             *result,
                                         GError                  **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
signet_keyring_completion_provider_init (SignetCompletionProviderInterface *iface)
{
  iface->search_async = signet_keyring_completion_search_async;
  iface->search_finish = signet_keyring_completion_search_finish;
}

static void
signet_keyring_completion_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  SignetKeyringCompletion *self = SIGNET_KEYRING_COMPLETION (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->directory = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_keyring_completion_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  SignetKeyringCompletion *self = SIGNET_KEYRING_COMPLETION (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_object (value, self->directory);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_keyring_completion_finalize (GObject *object)
{
  SignetKeyringCompletion *self = SIGNET_KEYRING_COMPLETION (object);

  g_clear_object (&self->directory);
  G_OBJECT_CLASS (signet_keyring_completion_parent_class)->finalize (object);
}

static void
signet_keyring_completion_class_init (SignetKeyringCompletionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = signet_keyring_completion_set_property;
  object_class->get_property = signet_keyring_completion_get_property;
  object_class->finalize = signet_keyring_completion_finalize;

  properties[PROP_DIRECTORY] =
    g_param_spec_object ("directory", NULL, NULL, SIGNET_TYPE_KEY_DIRECTORY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_keyring_completion_init (SignetKeyringCompletion *self)
{
}

SignetKeyringCompletion *
signet_keyring_completion_new (SignetKeyDirectory *directory)
{
  g_return_val_if_fail (SIGNET_IS_KEY_DIRECTORY (directory), NULL);
  return g_object_new (SIGNET_TYPE_KEYRING_COMPLETION, "directory", directory, NULL);
}
