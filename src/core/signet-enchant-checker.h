#pragma once

#include "signet-spell-checker.h"

G_BEGIN_DECLS

/* SignetSpellChecker with enchant-2: its providers (hunspell, ...) and
 * dictionaries, and its personal dictionaries (one per language, under
 * ENCHANT_CONFIG_DIR or enchant's own directory). */
#define SIGNET_TYPE_ENCHANT_CHECKER (signet_enchant_checker_get_type ())
G_DECLARE_FINAL_TYPE (SignetEnchantChecker, signet_enchant_checker, SIGNET, ENCHANT_CHECKER, GObject)

SignetSpellChecker *signet_enchant_checker_new (void);

G_END_DECLS
