#pragma once

#include <gtk/gtk.h>

#include "signet-spell-checker.h"

G_BEGIN_DECLS

/* Spell checking for a GtkTextView while the user types: misspelt words
 * get an error underline (the "signet-misspelt" tag); the right-click menu
 * offers corrections, Add to Dictionary and Ignore for the word under the
 * pointer.
 *
 * Text waits to be checked under a tag of its own and is checked in idle
 * slices of a few milliseconds, so a long message never holds up typing;
 * an edit queues only the text around it. The word being typed at the
 * cursor is left alone until the cursor leaves it. */
#define SIGNET_TYPE_SPELL_ADAPTER (signet_spell_adapter_get_type ())
G_DECLARE_FINAL_TYPE (SignetSpellAdapter, signet_spell_adapter, SIGNET, SPELL_ADAPTER, GObject)

SignetSpellAdapter *signet_spell_adapter_new          (GtkTextView        *view,
                                                       SignetSpellChecker *checker);
void                signet_spell_adapter_set_enabled  (SignetSpellAdapter *self,
                                                       gboolean            enabled);
gboolean            signet_spell_adapter_get_enabled  (SignetSpellAdapter *self);
/* The tag misspelt words carry. */
GtkTextTag         *signet_spell_adapter_get_tag      (SignetSpellAdapter *self);
/* Whether some text still waits to be checked. */
gboolean            signet_spell_adapter_is_pending   (SignetSpellAdapter *self);
/* Fills the context menu's spelling items for the word at @iter (what a
 * right click there does). */
void                signet_spell_adapter_prepare_menu (SignetSpellAdapter *self,
                                                       const GtkTextIter  *iter);
GMenuModel         *signet_spell_adapter_get_menu     (SignetSpellAdapter *self);

G_END_DECLS
