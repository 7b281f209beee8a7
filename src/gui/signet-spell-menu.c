#define G_LOG_DOMAIN "signet-spell"

#include "signet-spell-menu.h"

#include "signet-button-label.h"
#include "signet-i18n.h"
#include "signet-spell-words.h"

void
signet_spell_menu_fill (GMenu *menu, SignetSpellChecker *checker, const char *word)
{
  g_autoptr(GMenu) corrections = NULL;
  g_autoptr(GMenu) choices = NULL;
  g_auto(GStrv) suggestions = NULL;

  g_menu_remove_all (menu);
  if (checker == NULL || word == NULL || *word == '\0' ||
      signet_spell_checker_get_language (checker) == NULL ||
      signet_spell_checker_check_word (checker, word, -1))
    return;

  corrections = g_menu_new ();
  suggestions = signet_spell_checker_list_suggestions (checker, word, -1);
  for (guint i = 0; suggestions[i] != NULL && i < SIGNET_SPELL_MENU_MAX_CORRECTIONS; i++)
    {
      g_autofree char *label = signet_mnemonic_escape (suggestions[i]);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

      g_menu_item_set_action_and_target_value (item, "spelling.correct", g_variant_new_string (suggestions[i]));
      g_menu_append_item (corrections, item);
    }
  if (suggestions[0] == NULL)
    g_menu_append (corrections, _("No Suggestions"), "spelling.no-suggestions");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (corrections));

  choices = g_menu_new ();
  /* GTK's own items hold A (Select All), D (Delete), T (Cut). */
  g_menu_append (choices, _("Add to Dictio_nary"), "spelling.add");
  g_menu_append (choices, _("_Ignore"), "spelling.ignore");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (choices));
}

gboolean
signet_spell_word_at (const char *text, gsize len, gboolean at_line_start, gboolean quoted_line,
                      gsize index, gsize *start, gsize *end)
{
  SignetSpellWords words;
  gsize s, e;

  signet_spell_words_init (&words, text, len, at_line_start, quoted_line);
  while (signet_spell_words_next (&words, &s, &e))
    {
      if (s > index)
        break;
      if (index <= e)
        {
          *start = s;
          *end = e;
          return TRUE;
        }
    }
  return FALSE;
}

GSimpleActionGroup *
signet_spell_menu_actions_new (gpointer user_data, GCallback correct, GCallback add, GCallback ignore)
{
  GSimpleActionGroup *group = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) correct_action = g_simple_action_new ("correct", G_VARIANT_TYPE_STRING);
  g_autoptr(GSimpleAction) add_action = g_simple_action_new ("add", NULL);
  g_autoptr(GSimpleAction) ignore_action = g_simple_action_new ("ignore", NULL);
  g_autoptr(GSimpleAction) none_action = g_simple_action_new ("no-suggestions", NULL);

  g_signal_connect_swapped (correct_action, "activate", correct, user_data);
  g_signal_connect_swapped (add_action, "activate", add, user_data);
  g_signal_connect_swapped (ignore_action, "activate", ignore, user_data);
  g_simple_action_set_enabled (none_action, FALSE);
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (correct_action));
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (add_action));
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (ignore_action));
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (none_action));
  return group;
}
