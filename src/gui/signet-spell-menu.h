#pragma once

#include <gtk/gtk.h>

#include "signet-spell-checker.h"

G_BEGIN_DECLS

/* The spelling part of a text field's context menu: the corrections for a
 * misspelt word ("spelling.correct" with the replacement), "Add to
 * Dictionary" ("spelling.add") and "Ignore" ("spelling.ignore"); empty for
 * a word spelt correctly or no word. */
#define SIGNET_SPELL_MENU_MAX_CORRECTIONS 8

void     signet_spell_menu_fill   (GMenu              *menu,
                                   SignetSpellChecker *checker,
                                   const char         *word);

/* The word of @text (a piece of a line starting and ending at white space)
 * that byte @index is in or right after, as byte offsets; FALSE when there
 * is none or it is not checked (an address, a quoted line). */
gboolean signet_spell_word_at     (const char         *text,
                                   gsize               len,
                                   gboolean            at_line_start,
                                   gboolean            quoted_line,
                                   gsize               index,
                                   gsize              *start,
                                   gsize              *end);

/* The actions the menu's items use, "spelling.*", for the field to add. */
GSimpleActionGroup *signet_spell_menu_actions_new (gpointer        user_data,
                                                   GCallback       correct,
                                                   GCallback       add,
                                                   GCallback       ignore);

G_END_DECLS
