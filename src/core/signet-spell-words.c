#define G_LOG_DOMAIN "signet-spell"

#include "signet-spell-words.h"

#include <string.h>

void
signet_spell_words_init (SignetSpellWords *words, const char *text, gsize len,
                         gboolean at_line_start, gboolean quoted_line)
{
  words->text = text;
  words->len = len;
  words->pos = 0;
  words->line_start = at_line_start;
  words->quoted = !at_line_start && quoted_line;
}

gboolean
signet_spell_words_is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

gboolean
signet_spell_words_is_apostrophe (gunichar c)
{
  return c == '\'' || c == 0x2019;
}

static gboolean
is_space (gunichar c)
{
  return g_unichar_isspace (c) || c == 0xFFFC;  /* an embedded object separates like a space */
}

/* A run of text without white space that is an address, not prose. */
static gboolean
is_address (const char *span, gsize len)
{
  return g_strstr_len (span, len, "://") != NULL ||
         memchr (span, '@', len) != NULL ||
         (len > 4 && g_ascii_strncasecmp (span, "www.", 4) == 0);
}

/* Skips white space, keeping track of lines; returns the end of the run of
 * text that follows. */
static gsize
next_span (SignetSpellWords *words)
{
  const char *text = words->text;
  gsize end;

  while (words->pos < words->len)
    {
      gunichar c = g_utf8_get_char (text + words->pos);

      if (words->line_start)
        words->quoted = c == '>';
      words->line_start = c == '\n';
      if (!is_space (c))
        break;
      words->pos = g_utf8_next_char (text + words->pos) - text;
    }
  end = words->pos;
  while (end < words->len && !is_space (g_utf8_get_char (text + end)))
    end = g_utf8_next_char (text + end) - text;
  return end;
}

/* The word starting at @start within a span ending at @span_end: letters
 * and digits, with single apostrophes between them. */
static gsize
word_end (const char *text, gsize start, gsize span_end, gboolean *has_digit)
{
  gsize end = start;

  *has_digit = FALSE;
  while (end < span_end)
    {
      gunichar c = g_utf8_get_char (text + end);
      gsize next = g_utf8_next_char (text + end) - text;

      if (signet_spell_words_is_apostrophe (c) && next < span_end &&
          signet_spell_words_is_word_char (g_utf8_get_char (text + next)) && end > start)
        {
          end = next;
          continue;
        }
      if (!signet_spell_words_is_word_char (c))
        break;
      if (g_unichar_isdigit (c))
        *has_digit = TRUE;
      end = next;
    }
  return end;
}

gboolean
signet_spell_words_next (SignetSpellWords *words, gsize *start, gsize *end)
{
  const char *text = words->text;

  while (words->pos < words->len)
    {
      gsize span_start, span_end;

      span_end = next_span (words);
      span_start = words->pos;
      if (span_start == span_end)
        break;
      if (words->quoted || is_address (text + span_start, span_end - span_start))
        {
          words->pos = span_end;
          continue;
        }
      /* Words within the span; the rest of the span stays for the next call. */
      for (gsize p = span_start; p < span_end;)
        {
          gboolean has_digit;
          gsize e;

          if (!signet_spell_words_is_word_char (g_utf8_get_char (text + p)))
            {
              p = g_utf8_next_char (text + p) - text;
              continue;
            }
          e = word_end (text, p, span_end, &has_digit);
          if (has_digit)
            {
              p = e;
              continue;
            }
          *start = p;
          *end = e;
          /* Resume inside this span: mark it as no longer at a line start. */
          words->pos = e;
          words->line_start = FALSE;
          return TRUE;
        }
      words->pos = span_end;
    }
  return FALSE;
}
