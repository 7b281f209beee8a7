#define G_LOG_DOMAIN "signet-spell"

#include "signet-spell-checker.h"

#include <string.h>

#include "signet-i18n.h"

G_DEFINE_QUARK (signet-spell-checker-error-quark, signet_spell_checker_error)
G_DEFINE_INTERFACE (SignetSpellChecker, signet_spell_checker, G_TYPE_OBJECT)

enum {
  WORDS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
signet_spell_checker_default_init (SignetSpellCheckerInterface *iface)
{
  g_object_interface_install_property (iface,
    g_param_spec_string ("language", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  signals[WORDS_CHANGED] =
    g_signal_new ("words-changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

char **
signet_spell_checker_list_languages (SignetSpellChecker *self)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (self), NULL);
  return SIGNET_SPELL_CHECKER_GET_IFACE (self)->list_languages (self);
}

gboolean
signet_spell_checker_has_language (SignetSpellChecker *self, const char *tag)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (self), FALSE);
  if (tag == NULL || *tag == '\0')
    return FALSE;
  return SIGNET_SPELL_CHECKER_GET_IFACE (self)->has_language (self, tag);
}

gboolean
signet_spell_checker_set_language (SignetSpellChecker *self, const char *tag, GError **error)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (self), FALSE);
  g_return_val_if_fail (tag != NULL, FALSE);
  return SIGNET_SPELL_CHECKER_GET_IFACE (self)->set_language (self, tag, error);
}

void
signet_spell_checker_set_language_async (SignetSpellChecker  *self,
                                         const char          *tag,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (SIGNET_IS_SPELL_CHECKER (self));
  g_return_if_fail (tag != NULL);
  SIGNET_SPELL_CHECKER_GET_IFACE (self)->set_language_async (self, tag, cancellable, callback, user_data);
}

gboolean
signet_spell_checker_set_language_finish (SignetSpellChecker *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (self), FALSE);
  return SIGNET_SPELL_CHECKER_GET_IFACE (self)->set_language_finish (self, result, error);
}

const char *
signet_spell_checker_get_language (SignetSpellChecker *self)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (self), NULL);
  return SIGNET_SPELL_CHECKER_GET_IFACE (self)->get_language (self);
}

gboolean
signet_spell_checker_check_word (SignetSpellChecker *self, const char *word, gssize len)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (self), TRUE);
  g_return_val_if_fail (word != NULL, TRUE);
  return SIGNET_SPELL_CHECKER_GET_IFACE (self)->check_word (self, word, len);
}

char **
signet_spell_checker_list_suggestions (SignetSpellChecker *self, const char *word, gssize len)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (self), NULL);
  g_return_val_if_fail (word != NULL, NULL);
  return SIGNET_SPELL_CHECKER_GET_IFACE (self)->list_suggestions (self, word, len);
}

void
signet_spell_checker_add_word (SignetSpellChecker *self, const char *word, gssize len)
{
  g_return_if_fail (SIGNET_IS_SPELL_CHECKER (self));
  g_return_if_fail (word != NULL);
  SIGNET_SPELL_CHECKER_GET_IFACE (self)->add_word (self, word, len);
}

void
signet_spell_checker_ignore_word (SignetSpellChecker *self, const char *word, gssize len)
{
  g_return_if_fail (SIGNET_IS_SPELL_CHECKER (self));
  g_return_if_fail (word != NULL);
  SIGNET_SPELL_CHECKER_GET_IFACE (self)->ignore_word (self, word, len);
}

void
signet_spell_checker_emit_words_changed (SignetSpellChecker *self)
{
  g_signal_emit (self, signals[WORDS_CHANGED], 0);
}

/* "de_DE.UTF-8@euro" -> "de_DE"; NULL for C and POSIX. */
static char *
locale_to_tag (const char *locale)
{
  gsize len = strcspn (locale, ".@");

  if (len == 0 || strncmp (locale, "C", len) == 0 || strncmp (locale, "POSIX", len) == 0)
    return NULL;
  return g_strndup (locale, len);
}

char *
signet_spell_checker_pick_language (SignetSpellChecker *self, const char *const *locale_names)
{
  g_auto(GStrv) installed = NULL;

  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (self), NULL);
  if (locale_names == NULL)
    locale_names = g_get_language_names_with_category ("LC_MESSAGES");
  for (guint i = 0; locale_names[i] != NULL; i++)
    {
      g_autofree char *tag = locale_to_tag (locale_names[i]);

      if (tag != NULL && signet_spell_checker_has_language (self, tag))
        return g_steal_pointer (&tag);
    }
  if (signet_spell_checker_has_language (self, "en_US"))
    return g_strdup ("en_US");
  installed = signet_spell_checker_list_languages (self);
  return installed != NULL && installed[0] != NULL ? g_strdup (installed[0]) : NULL;
}

typedef struct {
  const char *code;
  const char *name;
} Name;

/* The languages and regions of the dictionaries most often installed;
 * others are shown by their tag. */
static const Name language_names[] = {
  { "ar", N_("Arabic") }, { "bg", N_("Bulgarian") }, { "ca", N_("Catalan") },
  { "cs", N_("Czech") }, { "da", N_("Danish") }, { "de", N_("German") },
  { "el", N_("Greek") }, { "en", N_("English") }, { "eo", N_("Esperanto") },
  { "es", N_("Spanish") }, { "et", N_("Estonian") }, { "eu", N_("Basque") },
  { "fi", N_("Finnish") }, { "fr", N_("French") }, { "ga", N_("Irish") },
  { "gl", N_("Galician") }, { "he", N_("Hebrew") }, { "hr", N_("Croatian") },
  { "hu", N_("Hungarian") }, { "it", N_("Italian") }, { "lt", N_("Lithuanian") },
  { "lv", N_("Latvian") }, { "nb", N_("Norwegian Bokmål") }, { "nl", N_("Dutch") },
  { "nn", N_("Norwegian Nynorsk") }, { "pl", N_("Polish") }, { "pt", N_("Portuguese") },
  { "ro", N_("Romanian") }, { "ru", N_("Russian") }, { "sk", N_("Slovak") },
  { "sl", N_("Slovenian") }, { "sr", N_("Serbian") }, { "sv", N_("Swedish") },
  { "tr", N_("Turkish") }, { "uk", N_("Ukrainian") },
};

static const Name region_names[] = {
  { "AT", N_("Austria") }, { "AU", N_("Australia") }, { "BE", N_("Belgium") },
  { "BR", N_("Brazil") }, { "CA", N_("Canada") }, { "CH", N_("Switzerland") },
  { "DE", N_("Germany") }, { "ES", N_("Spain") }, { "FR", N_("France") },
  { "GB", N_("United Kingdom") }, { "IE", N_("Ireland") }, { "IN", N_("India") },
  { "IT", N_("Italy") }, { "LI", N_("Liechtenstein") }, { "LU", N_("Luxembourg") },
  { "MC", N_("Monaco") }, { "MX", N_("Mexico") }, { "NL", N_("Netherlands") },
  { "NZ", N_("New Zealand") }, { "PT", N_("Portugal") }, { "US", N_("United States") },
  { "ZA", N_("South Africa") },
};

static const char *
lookup (const Name *names, gsize n_names, const char *code, gsize len)
{
  for (gsize i = 0; i < n_names; i++)
    if (strlen (names[i].code) == len && strncmp (names[i].code, code, len) == 0)
      return _(names[i].name);
  return NULL;
}

char *
signet_spell_language_name (const char *tag)
{
  gsize lang_len;
  const char *language;
  const char *region = NULL;

  g_return_val_if_fail (tag != NULL, NULL);
  lang_len = strcspn (tag, "_-");
  language = lookup (language_names, G_N_ELEMENTS (language_names), tag, lang_len);
  if (language == NULL)
    return g_strdup (tag);
  if (tag[lang_len] == '\0')
    return g_strdup (language);
  region = lookup (region_names, G_N_ELEMENTS (region_names), tag + lang_len + 1, strlen (tag + lang_len + 1));
  /* TRANSLATORS: a dictionary's language and the region it is for, e.g. "English (United States)" */
  return g_strdup_printf (C_("spelling language", "%s (%s)"), language, region != NULL ? region : tag + lang_len + 1);
}
