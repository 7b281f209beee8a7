#pragma once

#include <gtk/gtk.h>

#include "signet-spell-checker.h"

G_BEGIN_DECLS

/* Spell checking in a composer: the body and the Subject, the actions
 * "spell.enabled" (Check Spelling) and "spell.language" (the dictionary,
 * by tag), the language menu listing the installed dictionaries, and the
 * choice kept in GSettings ("spell-checking", "spell-language"; an empty
 * language follows the locale). All composers share one checker, so what
 * is added or ignored in one counts in all (@checker NULL; another
 * checker can be given). With no dictionary installed
 * spell checking is unavailable and the language menu says so. */
#define SIGNET_TYPE_COMPOSE_SPELLING (signet_compose_spelling_get_type ())
G_DECLARE_FINAL_TYPE (SignetComposeSpelling, signet_compose_spelling, SIGNET, COMPOSE_SPELLING, GObject)

SignetComposeSpelling *signet_compose_spelling_new         (GtkTextView           *body,
                                                            GtkEntry              *subject,
                                                            GMenu                 *language_menu,
                                                            SignetSpellChecker    *checker);
GActionGroup          *signet_compose_spelling_get_actions (SignetComposeSpelling *self);
SignetSpellChecker    *signet_compose_spelling_get_checker (SignetComposeSpelling *self);
/* The checker all composers share (made if none is open). */
SignetSpellChecker    *signet_compose_spelling_dup_shared_checker (void);
/* Whether a dictionary is there to check with. */
gboolean               signet_compose_spelling_is_available (SignetComposeSpelling *self);

G_END_DECLS
