#define G_LOG_DOMAIN "signet-completion"

#include "signet-completion-provider.h"

#include <string.h>

#include "signet-address.h"

G_DEFINE_BOXED_TYPE (SignetCompletion, signet_completion, signet_completion_copy, signet_completion_free)
G_DEFINE_INTERFACE (SignetCompletionProvider, signet_completion_provider, G_TYPE_OBJECT)

static void
signet_completion_provider_default_init (SignetCompletionProviderInterface *iface)
{
}

SignetCompletion *
signet_completion_new (const char      *name,
                       const char      *email,
                       SignetKeyStatus  status,
                       const char      *fingerprint,
                       const char      *source)
{
  SignetCompletion *completion = g_new0 (SignetCompletion, 1);

  completion->name = g_strdup (name);
  completion->email = g_strdup (email);
  completion->status = status;
  completion->fingerprint = g_strdup (fingerprint);
  completion->source = g_strdup (source);
  return completion;
}

SignetCompletion *
signet_completion_copy (const SignetCompletion *completion)
{
  return signet_completion_new (completion->name, completion->email, completion->status,
                                completion->fingerprint, completion->source);
}

void
signet_completion_free (SignetCompletion *completion)
{
  if (completion == NULL)
    return;
  g_free (completion->name);
  g_free (completion->email);
  g_free (completion->fingerprint);
  g_free (completion->source);
  g_free (completion);
}

/* How readily an address can be sealed to: what the user most likely wants
 * comes first. Unlike resolution, where an ambiguity must be reported above
 * everything, a choice of keys is second only to one valid key here. */
static int
usability_rank (SignetKeyStatus status)
{
  switch (status)
    {
    case SIGNET_KEY_STATUS_OK:             return 0;
    case SIGNET_KEY_STATUS_AMBIGUOUS:      return 1;
    case SIGNET_KEY_STATUS_UNTRUSTED:      return 2;
    case SIGNET_KEY_STATUS_CANNOT_ENCRYPT: return 3;
    case SIGNET_KEY_STATUS_DISABLED:       return 4;
    case SIGNET_KEY_STATUS_EXPIRED:        return 5;
    case SIGNET_KEY_STATUS_INVALID:        return 6;
    case SIGNET_KEY_STATUS_REVOKED:        return 7;
    case SIGNET_KEY_STATUS_MISSING:
    default:                               return 8;
    }
}

/* Best status first, then by name (the address where there is none) in the
 * user's collation, then by address so that the order is total. */
int
signet_completion_compare (const SignetCompletion *a,
                           const SignetCompletion *b)
{
  int diff = usability_rank (a->status) - usability_rank (b->status);

  if (diff != 0)
    return diff;
  diff = g_utf8_collate (a->name != NULL ? a->name : a->email, b->name != NULL ? b->name : b->email);
  if (diff != 0)
    return diff;
  return g_strcmp0 (a->email, b->email);
}

static int
compare_indirect (gconstpointer a, gconstpointer b)
{
  return signet_completion_compare (*(const SignetCompletion * const *) a,
                                    *(const SignetCompletion * const *) b);
}

/* The form text is matched in: NFC, case folded. NULL if @text is not
 * UTF-8. */
char *
signet_completion_fold (const char *text)
{
  g_autofree char *nfc = NULL;
  g_autofree char *folded = NULL;

  if (text == NULL)
    return NULL;
  nfc = g_utf8_normalize (text, -1, G_NORMALIZE_NFC);
  if (nfc == NULL)
    return NULL;
  folded = g_utf8_casefold (nfc, -1);
  /* Folding can decompose (U+0130 becomes i and a combining dot). */
  return g_utf8_normalize (folded, -1, G_NORMALIZE_NFC);
}

static gboolean
is_word_character (gunichar c)
{
  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

/* Whether @folded_prefix (signet_completion_fold() form, not empty) starts
 * a word of @name, or starts @email: "lid" and "alice l" complete "Alice
 * Liddell", "bob@" completes bob@example.org. */
gboolean
signet_completion_matches (const char *folded_prefix,
                           const char *name,
                           const char *email)
{
  g_autofree char *folded_email = signet_completion_fold (email);
  g_autofree char *folded_name = signet_completion_fold (name);
  gboolean word_start = TRUE;

  g_return_val_if_fail (folded_prefix != NULL && *folded_prefix != '\0', FALSE);

  if (folded_email != NULL && g_str_has_prefix (folded_email, folded_prefix))
    return TRUE;
  if (folded_name == NULL)
    return FALSE;
  for (const char *p = folded_name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gboolean in_word = is_word_character (g_utf8_get_char (p));

      if (word_start && g_str_has_prefix (p, folded_prefix))
        return TRUE;
      word_start = !in_word;
    }
  return FALSE;
}

void
signet_completion_provider_search_async (SignetCompletionProvider *self,
                                         const char               *prefix,
                                         guint                     max_results,
                                         GCancellable             *cancellable,
                                         GAsyncReadyCallback       callback,
                                         gpointer                  user_data)
{
  g_return_if_fail (SIGNET_IS_COMPLETION_PROVIDER (self));
  g_return_if_fail (prefix != NULL);
  SIGNET_COMPLETION_PROVIDER_GET_IFACE (self)->search_async (self, prefix, max_results, cancellable,
                                                             callback, user_data);
}

GPtrArray *
signet_completion_provider_search_finish (SignetCompletionProvider *self,
                                          GAsyncResult             *result,
                                          GError                  **error)
{
  g_return_val_if_fail (SIGNET_IS_COMPLETION_PROVIDER (self), NULL);
  return SIGNET_COMPLETION_PROVIDER_GET_IFACE (self)->search_finish (self, result, error);
}

/* The aggregated search: one answer slot per provider, so that the merge is
 * in provider order whatever order the answers come in. */
typedef struct {
  GPtrArray *answers;     /* GPtrArray of SignetCompletion, or NULL, per provider */
  guint      pending;
  guint      max_results;
  GError    *first_error;
} SearchAll;

typedef struct {
  GTask *task;
  guint  index;
} SearchOne;

static void
free_answer (gpointer answer)
{
  if (answer != NULL)
    g_ptr_array_unref (answer);
}

static void
search_all_free (SearchAll *all)
{
  g_ptr_array_unref (all->answers);
  g_clear_error (&all->first_error);
  g_free (all);
}

/* Where an address appears more than once, keep the better status (the
 * earlier provider's of equals) and a name if any of them has one. */
static GPtrArray *
merge_answers (SearchAll *all)
{
  g_autoptr(GHashTable) by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *merged = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_completion_free);

  for (guint i = 0; i < all->answers->len; i++)
    {
      GPtrArray *answer = g_ptr_array_index (all->answers, i);

      for (guint j = 0; answer != NULL && j < answer->len; j++)
        {
          SignetCompletion *c = g_ptr_array_index (answer, j);
          char *key = signet_address_normalize (c->email);
          SignetCompletion *kept = g_hash_table_lookup (by_address, key);

          if (kept == NULL)
            {
              kept = signet_completion_copy (c);
              g_ptr_array_add (merged, kept);
              g_hash_table_insert (by_address, key, kept);
              continue;
            }
          g_free (key);
          if (usability_rank (c->status) < usability_rank (kept->status))
            {
              g_autofree char *name = g_steal_pointer (&kept->name);

              kept->status = c->status;
              g_free (kept->fingerprint);
              kept->fingerprint = g_strdup (c->fingerprint);
              g_free (kept->source);
              kept->source = g_strdup (c->source);
              kept->name = g_strdup (c->name != NULL ? c->name : name);
            }
          else if (kept->name == NULL)
            kept->name = g_strdup (c->name);
        }
    }
  g_ptr_array_sort (merged, compare_indirect);
  if (all->max_results > 0 && merged->len > all->max_results)
    g_ptr_array_set_size (merged, all->max_results);
  return merged;
}

static void
search_all_complete (GTask *task)
{
  SearchAll *all = g_task_get_task_data (task);
  gboolean any_answer = FALSE;

  if (g_task_return_error_if_cancelled (task))
    return;
  for (guint i = 0; i < all->answers->len; i++)
    any_answer |= g_ptr_array_index (all->answers, i) != NULL;
  /* One source failing (a directory server down) leaves the others' answers. */
  if (!any_answer && all->first_error != NULL)
    g_task_return_error (task, g_steal_pointer (&all->first_error));
  else
    g_task_return_pointer (task, merge_answers (all), (GDestroyNotify) g_ptr_array_unref);
}

static void
on_provider_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SearchOne *one = user_data;
  g_autoptr(GTask) task = one->task;
  SearchAll *all = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GPtrArray *answer;

  answer = signet_completion_provider_search_finish (SIGNET_COMPLETION_PROVIDER (source), result, &error);
  if (answer == NULL)
    {
      g_debug ("A completion source failed: %s", error->message);
      if (all->first_error == NULL)
        all->first_error = g_steal_pointer (&error);
    }
  g_ptr_array_index (all->answers, one->index) = answer;
  g_free (one);
  if (--all->pending == 0)
    search_all_complete (task);
}

void
signet_completion_search_all_async (GPtrArray           *providers,
                                    const char          *prefix,
                                    guint                max_results,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SearchAll *all;

  g_return_if_fail (providers != NULL && prefix != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, signet_completion_search_all_async);
  all = g_new0 (SearchAll, 1);
  all->answers = g_ptr_array_new_full (providers->len, free_answer);
  g_ptr_array_set_size (all->answers, providers->len);
  all->pending = providers->len;
  all->max_results = max_results;
  g_task_set_task_data (task, all, (GDestroyNotify) search_all_free);
  if (providers->len == 0)
    {
      search_all_complete (task);
      return;
    }
  for (guint i = 0; i < providers->len; i++)
    {
      SearchOne *one = g_new0 (SearchOne, 1);

      one->task = g_object_ref (task);
      one->index = i;
      signet_completion_provider_search_async (g_ptr_array_index (providers, i), prefix, max_results,
                                               cancellable, on_provider_answered, one);
    }
}

GPtrArray *
signet_completion_search_all_finish (GAsyncResult *result,
                                     GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == signet_completion_search_all_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
