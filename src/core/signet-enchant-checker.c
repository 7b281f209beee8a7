#define G_LOG_DOMAIN "signet-spell"

#include "signet-enchant-checker.h"

#include <enchant.h>
#include <string.h>

#include "signet-i18n.h"

struct _SignetEnchantChecker
{
  GObject        parent_instance;

  EnchantBroker *broker;
  EnchantDict   *dict;
  char          *language;
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

static gboolean
set_language (SignetSpellChecker *checker, const char *tag, GError **error)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);
  EnchantDict *dict;

  if (g_strcmp0 (tag, self->language) == 0)
    return TRUE;
  dict = *tag != '\0' && enchant_broker_dict_exists (self->broker, tag) ?
         enchant_broker_request_dict (self->broker, tag) : NULL;
  if (dict == NULL)
    {
      g_set_error (error, SIGNET_SPELL_CHECKER_ERROR, SIGNET_SPELL_CHECKER_ERROR_NO_DICTIONARY,
                   _("There is no dictionary for “%s”"), tag);
      return FALSE;
    }
  if (self->dict != NULL)
    enchant_broker_free_dict (self->broker, self->dict);
  self->dict = dict;
  g_free (self->language);
  self->language = g_strdup (tag);
  g_object_notify (G_OBJECT (self), "language");
  return TRUE;
}

static const char *
get_language (SignetSpellChecker *checker)
{
  return SIGNET_ENCHANT_CHECKER (checker)->language;
}

static gboolean
check_word (SignetSpellChecker *checker, const char *word, gssize len)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);

  if (self->dict == NULL)
    return TRUE;
  if (len < 0)
    len = strlen (word);
  /* Negative: the dictionary could not tell. Nothing is flagged then. */
  return len == 0 || enchant_dict_check (self->dict, word, len) <= 0;
}

static char **
list_suggestions (SignetSpellChecker *checker, const char *word, gssize len)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);
  g_auto(GStrv) result = NULL;
  size_t n = 0;
  char **list;

  if (self->dict == NULL || len == 0 || *word == '\0')
    return g_new0 (char *, 1);
  list = enchant_dict_suggest (self->dict, word, len, &n);
  result = g_new0 (char *, n + 1);
  for (size_t i = 0; i < n; i++)
    result[i] = g_strdup (list[i]);
  if (list != NULL)
    enchant_dict_free_string_list (self->dict, list);
  return g_steal_pointer (&result);
}

static void
add_word (SignetSpellChecker *checker, const char *word, gssize len)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);

  if (self->dict == NULL)
    return;
  enchant_dict_add (self->dict, word, len);
  signet_spell_checker_emit_words_changed (checker);
}

static void
ignore_word (SignetSpellChecker *checker, const char *word, gssize len)
{
  SignetEnchantChecker *self = SIGNET_ENCHANT_CHECKER (checker);

  if (self->dict == NULL)
    return;
  enchant_dict_add_to_session (self->dict, word, len);
  signet_spell_checker_emit_words_changed (checker);
}

static void
signet_enchant_checker_iface_init (SignetSpellCheckerInterface *iface)
{
  iface->list_languages = list_languages;
  iface->has_language = has_language;
  iface->set_language = set_language;
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

  if (self->dict != NULL)
    enchant_broker_free_dict (self->broker, self->dict);
  enchant_broker_free (self->broker);
  g_free (self->language);
  G_OBJECT_CLASS (signet_enchant_checker_parent_class)->finalize (object);
}

static void
signet_enchant_checker_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_LANGUAGE:
      g_value_set_string (value, SIGNET_ENCHANT_CHECKER (object)->language);
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
  self->broker = enchant_broker_init ();
}

SignetSpellChecker *
signet_enchant_checker_new (void)
{
  return g_object_new (SIGNET_TYPE_ENCHANT_CHECKER, NULL);
}
