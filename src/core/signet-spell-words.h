#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Finds the words of a text that spell checking looks at, in order. Left
 * out: what is not prose — web addresses, mail addresses, anything with a
 * digit — and quoted lines ("> ..." at the start of a line), which someone
 * else wrote. Words may hold apostrophes between their letters ("don't").
 *
 * A piece of a longer text can be scanned on its own as long as it starts
 * and ends at white space: @at_line_start says whether it starts a line,
 * else @quoted_line whether the line it starts in is quoted. */
typedef struct {
  const char *text;
  gsize       len;
  gsize       pos;
  gboolean    line_start;
  gboolean    quoted;
} SignetSpellWords;

void     signet_spell_words_init (SignetSpellWords *words,
                                  const char       *text,
                                  gsize             len,
                                  gboolean          at_line_start,
                                  gboolean          quoted_line);
/* The next word's byte range [@start, @end); FALSE at the end. */
gboolean signet_spell_words_next (SignetSpellWords *words,
                                  gsize            *start,
                                  gsize            *end);

/* Whether @c is part of words (letters, digits, marks). */
gboolean signet_spell_words_is_word_char (gunichar c);
gboolean signet_spell_words_is_apostrophe (gunichar c);

G_END_DECLS
