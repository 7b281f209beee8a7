#define G_LOG_DOMAIN "signet-spell"

#include "signet-enchant-checker.h"

#include <enchant.h>
#include <string.h>

#include "signet-i18n.h"
#include "signet-thread-priority.h"

/* A dictionary and the broker it came from. Each is loaded with a broker
 * of its own, so that a load can run in a thread while the dictionary in
 * use goes on checking on the main thread (enchant's objects are not
 * shared between threads). */
typedef struct {
  char          *tag;
  EnchantBroker *broker;
  EnchantDict   *dict;
} Loaded;

struct _SignetEnchantChecker
{
  GObject        parent_instance;

  EnchantBroker *broker;      /* lists the dictionaries */
  Loaded        *loaded;      /* the language in use */
  GHashTable    *ignored;     /* words ignored in this session */
  guint          load_serial; /* the latest load started */
};

static void signet_enchant_checker_iface_init (SignetSpellCheckerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SignetEnchantChecker, signet_enchant_checker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_SPELL_CHECKER,
                                                      signet_enchant_checker_iface_init))

enum {
  PROP_0,
  PROP_LANGUAGE,
};

static void
add_tag (const char *const tag, const char *const provider_name, const char *const provider_desc,
         const char *const provider_file, void *user_data)
{
  GPtrArray *tags = user_data;

  for (guint i = 0; i < tags->len; i++)
    if (g_str_equal (g_ptr_array_index (tags, i), tag))
      return;
  g_ptr_array_add (tags, g_strdup (tag));
}

static int
compare_tags (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static char **
list_languages (SignetSpellChecker *checker)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);
  GPtrArray *tags = g_ptr_array_new ();

  enchant_broker_list_dicts (self->broker, add_tag, tags);
  g_ptr_array_sort (tags, compare_tags);
  g_ptr_array_add (tags, NULL);
  return (char **) g_ptr_array_free (tags, FALSE);
}

static gboolean
has_language (SignetSpellChecker *checker, const char *tag)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);

  return enchant_broker_dict_exists (self->broker, tag) != 0;
}

static void
loaded_free (Loaded *loaded)
{
  if (loaded == NULL)
    return;
  if (loaded->dict != NULL)
    enchant_broker_free_dict (loaded->broker, loaded->dict);
  if (loaded->broker != NULL)
    enchant_broker_free (loaded->broker);
  g_free (loaded->tag);
  g_free (loaded);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Loaded, loaded_free)

static void
free_dict_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Loaded *loaded = task_data;

  enchant_broker_free_dict (loaded->broker, loaded->dict);
  loaded->dict = NULL;
  g_task_return_boolean (task, TRUE);
}

/* The broker, which unloads enchant's providers, goes where it was
 * made: on the main thread. */
static void
on_dict_freed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  loaded_free (g_task_get_task_data (G_TASK (result)));
}

/* Taking Hunspell's tables apart costs about what building them did (tens
 * of milliseconds): a dictionary let go of on the main thread, by a
 * closing composer or a change of language, is freed in GLib's worker
 * pool. It has a broker of its own, so nothing else shares it. */
static void
loaded_free_later (Loaded *loaded)
{
  g_autoptr(GTask) task = NULL;

  if (loaded == NULL)
    return;
  if (loaded->dict == NULL)
    {
      loaded_free (loaded);
      return;
    }
  task = g_task_new (NULL, NULL, on_dict_freed, NULL);
  g_task_set_task_data (task, loaded, NULL);
  g_task_run_in_thread (task, free_dict_in_thread);
}

/* Reads and parses @tag's dictionary: the slow part, any thread. */
static Loaded *
load (const char *tag, GError **error)
{
  g_autoptr(Loaded) loaded = g_new0 (Loaded, 1);

  loaded->tag = g_strdup (tag);
  loaded->broker = enchant_broker_init ();
  if (*tag != '\0' && enchant_broker_dict_exists (loaded->broker, tag))
    loaded->dict = enchant_broker_request_dict (loaded->broker, tag);
  if (loaded->dict == NULL)
    {
      g_set_error (error, SIGNET_SPELL_CHECKER_ERROR, SIGNET_SPELL_CHECKER_ERROR_NO_DICTIONARY,
                   _("There is no dictionary for “%s”"), tag);
      return NULL;
    }
  return g_steal_pointer (&loaded);
}

static void
install (SignetEnchantChecker *self, Loaded *loaded)
{
  loaded_free_later (g_steal_pointer (&self->loaded));
  self->loaded = loaded;
  g_object_notify (G_OBJECT (self), "language");
}

static gboolean
set_language (SignetSpellChecker *checker, const char *tag, GError **error)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);
  Loaded *loaded;

  self->load_serial++;
  if (self->loaded != NULL && g_str_equal (tag, self->loaded->tag))
    return TRUE;
  loaded = load (tag, error);
  if (loaded == NULL)
    return FALSE;
  install (self, loaded);
  return TRUE;
}

static void
load_in_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  Loaded *loaded = load (data, &error);

  if (loaded == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, loaded, (GDestroyNotify) loaded_free_later);
}

static void
set_language_async (SignetSpellChecker *checker, const char *tag, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, set_language_async);
  self->load_serial++;
  g_object_set_data (G_OBJECT (task), "serial", GUINT_TO_POINTER (self->load_serial));
  if (self->loaded != NULL && g_str_equal (tag, self->loaded->tag))
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_task_set_task_data (task, g_strdup (tag), g_free);
  /* Parsing a dictionary as the composer opens must not hold up its
   * first frame. */
  signet_thread_priority_run_in_background (task, load_in_thread);
}

static gboolean
set_language_finish (SignetSpellChecker *checker, GAsyncResult *result, GError **error)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);
  g_autoptr(GError) local_error = NULL;
  Loaded *loaded;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  loaded = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "serial")) != self->load_serial)
    {
      loaded_free_later (loaded);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Another language was chosen since");
      return FALSE;
    }
  if (loaded != NULL)
    install (self, loaded);
  return TRUE;
}

static const char *
get_language (SignetSpellChecker *checker)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);

  return self->loaded != NULL ? self->loaded->tag : NULL;
}

static EnchantDict *
dict (SignetEnchantChecker *self)
{
  return self->loaded != NULL ? self->loaded->dict : NULL;
}

static gboolean
check_word (SignetSpellChecker *checker, const char *word, gssize len)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);

  g_autofree char *copy = NULL;

  if (dict (self) == NULL)
    return TRUE;
  if (len < 0)
    len = strlen (word);
  if (g_hash_table_size (self->ignored) > 0 &&
      g_hash_table_contains (self->ignored, (copy = g_strndup (word, len))))
    return TRUE;
  /* Negative: the dictionary could not tell. Nothing is flagged then. */
  return len == 0 || enchant_dict_check (dict (self), word, len) <= 0;
}

static char **
list_suggestions (SignetSpellChecker *checker, const char *word, gssize len)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);
  g_auto(GStrv) result = NULL;
  size_t n = 0;
  char **list;

  if (dict (self) == NULL || len == 0 || *word == '\0')
    return g_new0 (char *, 1);
  list = enchant_dict_suggest (dict (self), word, len, &n);
  result = g_new0 (char *, n + 1);
  for (size_t i = 0; i < n; i++)
    result[i] = g_strdup (list[i]);
  if (list != NULL)
    enchant_dict_free_string_list (dict (self), list);
  return g_steal_pointer (&result);
}

static void
add_word (SignetSpellChecker *checker, const char *word, gssize len)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);

  if (dict (self) == NULL)
    return;
  enchant_dict_add (dict (self), word, len);
  signet_spell_checker_emit_words_changed (checker);
}

static void
ignore_word (SignetSpellChecker *checker, const char *word, gssize len)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);

  g_hash_table_add (self->ignored, len < 0 ? g_strdup (word) : g_strndup (word, len));
  signet_spell_checker_emit_words_changed (checker);
}

static void
signet_enchant_checker_iface_init (SignetSpellCheckerInterface *iface)
{
  iface->list_languages = list_languages;
  iface->has_language = has_language;
  iface->set_language = set_language;
  iface->set_language_async = set_language_async;
  iface->set_language_finish = set_language_finish;
  iface->get_language = get_language;
  iface->check_word = check_word;
  iface->list_suggestions = list_suggestions;
  iface->add_word = add_word;
  iface->ignore_word = ignore_word;
}

static void
signet_enchant_checker_finalize (GObject *object)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (object);

  loaded_free_later (g_steal_pointer (&self->loaded));
  enchant_broker_free (self->broker);
  g_hash_table_unref (self->ignored);
  G_OBJECT_CLASS (signet_enchant_checker_parent_class)->finalize (object);
}

static void
signet_enchant_checker_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_LANGUAGE:
      g_value_set_string (value, get_language (SIGNET_SPELL_CHECKER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_enchant_checker_class_init (SignetEnchantCheckerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = signet_enchant_checker_finalize;
  object_class->get_property = signet_enchant_checker_get_property;
  g_object_class_override_property (object_class, PROP_LANGUAGE, "language");
}

static void
signet_enchant_checker_init (SignetEnchantChecker *self)
{
  static gsize pinned = 0;

  /* enchant's providers (Hunspell, Aspell: C++ libraries) are opened once
   * and stay, as if linked: a broker that lives as long as the process
   * holds them. Otherwise each broker freed could unload them, in
   * whichever thread frees it, while another thread still runs. */
  if (g_once_init_enter (&pinned))
    g_once_init_leave (&pinned, (gsize) enchant_broker_init ());
  self->broker = enchant_broker_init ();
  self->ignored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

SignetSpellChecker *
signet_enchant_checker_new (void)
{
  return g_object_new (SIGNET_TYPE_ENCHANT_CHECKER, NULL);
}
