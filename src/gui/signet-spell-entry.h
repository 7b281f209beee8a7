#pragma once

#include <gtk/gtk.h>

#include "signet-spell-checker.h"

G_BEGIN_DECLS

/* Spell checking for a one-line GtkEntry (the Subject): misspelt words are
 * underlined through the entry's Pango attributes, and its right-click
 * menu offers corrections, Add to Dictionary and Ignore. The word being
 * typed is left alone until the cursor leaves it or the entry loses focus. */
#define SIGNET_TYPE_SPELL_ENTRY (signet_spell_entry_get_type ())
G_DECLARE_FINAL_TYPE (SignetSpellEntry, signet_spell_entry, SIGNET, SPELL_ENTRY, GObject)

SignetSpellEntry *signet_spell_entry_new          (GtkEntry           *entry,
                                                   SignetSpellChecker *checker);
void              signet_spell_entry_set_enabled  (SignetSpellEntry   *self,
                                                   gboolean            enabled);
/* Checks the text now instead of at the next idle moment. */
void              signet_spell_entry_update       (SignetSpellEntry   *self);
/* Fills the context menu's spelling items for the word at character
 * @position (what a right click there does). */
void              signet_spell_entry_prepare_menu (SignetSpellEntry   *self,
                                                   int                 position);
GMenuModel       *signet_spell_entry_get_menu     (SignetSpellEntry   *self);

G_END_DECLS
