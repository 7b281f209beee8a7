/* The forgotten-attachment reminder: does a message say that something is
 * attached? The words are a translatable list, checked together with the
 * English one (people write in more than one language), as whole words or
 * phrases, ignoring case. Quoted lines ("> …", what someone else wrote)
 * and the signature (after "-- ") do not count. */
#define G_LOG_DOMAIN "signet-attachment-reminder"

#include "signet-attachment-reminder.h"

#include <string.h>

#include "signet-i18n.h"

/* Translators: words or phrases that, in a message, say a file is
 * attached, separated by commas; a message that has one of them but no
 * attachment asks before it is sent. Give the forms your language uses,
 * e.g. German "angehängt,Anhang,Anhänge,beigefügt". English is always
 * checked too. */
#define WORDS N_("attached,attachment,attachments,attach,enclosed")

static char *
fold (const char *text, gssize length)
{
  g_autofree char *normal = g_utf8_normalize (text, length, G_NORMALIZE_NFC);

  return normal != NULL ? g_utf8_casefold (normal, -1) : NULL;
}

static gboolean
is_word_char (const char *p)
{
  gunichar c = g_utf8_get_char (p);

  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

/* @word (folded) as a whole word or phrase in @text (folded). */
static gboolean
has_word (const char *text, const char *word)
{
  size_t n = strlen (word);

  for (const char *p = strstr (text, word); p != NULL; p = strstr (p + 1, word))
    {
      gboolean starts = p == text || !is_word_char (g_utf8_find_prev_char (text, p));
      gboolean ends = p[n] == '\0' || !is_word_char (p + n);

      if (starts && ends)
        return TRUE;
    }
  return FALSE;
}

static void
add_words (GPtrArray *words, const char *list)
{
  g_auto(GStrv) parts = g_strsplit (list, ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *folded = fold (g_strstrip (parts[i]), -1);

      if (folded != NULL && *folded != '\0' && !g_ptr_array_find_with_equal_func (words, folded, g_str_equal, NULL))
        g_ptr_array_add (words, g_steal_pointer (&folded));
    }
}

/* The text that counts: the subject, and the body's own lines up to its
 * signature. */
static char *
own_text (const char *subject, const char *body)
{
  g_autoptr(GString) text = g_string_new (subject != NULL ? subject : "");
  g_auto(GStrv) lines = g_strsplit (body != NULL ? body : "", "\n", -1);

  g_string_append_c (text, '\n');
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      size_t len = strlen (line);

      if (len > 0 && line[len - 1] == '\r')
        line[len - 1] = '\0';
      if (g_str_equal (line, "-- "))
        break;
      if (g_str_has_prefix (line + strspn (line, " \t"), ">"))
        continue;
      g_string_append (text, line);
      g_string_append_c (text, '\n');
    }
  return fold (text->str, text->len);
}

/* Returns the first word of the list that @subject or @body (outside
 * quotes and signature) has, as written in the list, or NULL. */
char *
signet_attachment_reminder_find (const char *subject, const char *body)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = own_text (subject, body);

  if (text == NULL)
    return NULL;
  add_words (words, _(WORDS));
  add_words (words, WORDS);
  for (guint i = 0; i < words->len; i++)
    if (has_word (text, g_ptr_array_index (words, i)))
      return g_strdup (g_ptr_array_index (words, i));
  return NULL;
}
