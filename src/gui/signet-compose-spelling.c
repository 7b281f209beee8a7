#define G_LOG_DOMAIN "signet-spell"

#include "config.h"

#include "signet-compose-spelling.h"

#include "signet-button-label.h"
#include "signet-enchant-checker.h"
#include "signet-i18n.h"
#include "signet-spell-adapter.h"
#include "signet-spell-entry.h"

struct _SignetComposeSpelling
{
  GObject             parent_instance;

  GSettings          *settings;
  SignetSpellChecker *checker;
  SignetSpellAdapter *body;
  SignetSpellEntry   *subject;
  GMenu              *language_menu;
  GSimpleActionGroup *actions;
  GSimpleAction      *enabled_action;
  GSimpleAction      *language_action;
  GCancellable       *cancellable;   /* the dictionary being loaded */
  gboolean            available;
};

G_DEFINE_FINAL_TYPE (SignetComposeSpelling, signet_compose_spelling, G_TYPE_OBJECT)

/* One checker for every composer, alive while one is open. */
static SignetSpellChecker *
shared_checker (void)
{
  static SignetSpellChecker *checker;

  if (checker != NULL)
    return g_object_ref (checker);
  checker = signet_enchant_checker_new ();
  g_object_add_weak_pointer (G_OBJECT (checker), (gpointer *) &checker);
  return checker;
}

static void apply_enabled (SignetComposeSpelling *self);

static void
language_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(SignetComposeSpelling) self = data;
  g_autoptr(GError) error = NULL;

  if (signet_spell_checker_set_language_finish (SIGNET_SPELL_CHECKER (source), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->settings == NULL)
    return;
  /* The dictionary is there but cannot be read: no checking, and no crash. */
  g_warning ("Spell checking is off: %s", error->message);
  self->available = signet_spell_checker_get_language (self->checker) != NULL;
  apply_enabled (self);
}

SignetSpellChecker *
signet_compose_spelling_dup_shared_checker (void)
{
  return shared_checker ();
}

/* The chosen language if it has a dictionary, else the locale's; loaded
 * off the main thread (parsing a dictionary takes a while). */
static void
apply_language (SignetComposeSpelling *self)
{
  g_autofree char *chosen = g_settings_get_string (self->settings, "spell-language");
  g_autofree char *tag = NULL;

  if (signet_spell_checker_has_language (self->checker, chosen))
    tag = g_steal_pointer (&chosen);
  else
    tag = signet_spell_checker_pick_language (self->checker, NULL);
  self->available = tag != NULL;
  g_simple_action_set_state (self->language_action, g_variant_new_string (tag != NULL ? tag : ""));
  g_simple_action_set_enabled (self->language_action, self->available);
  if (tag == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  signet_spell_checker_set_language_async (self->checker, tag, self->cancellable, language_loaded,
                                           g_object_ref (self));
}

static void
apply_enabled (SignetComposeSpelling *self)
{
  gboolean enabled = self->available && g_settings_get_boolean (self->settings, "spell-checking");

  g_simple_action_set_enabled (self->enabled_action, self->available);
  g_simple_action_set_state (self->enabled_action, g_variant_new_boolean (enabled));
  signet_spell_adapter_set_enabled (self->body, enabled);
  signet_spell_entry_set_enabled (self->subject, enabled);
}

static void
fill_language_menu (SignetComposeSpelling *self)
{
  g_auto(GStrv) tags = signet_spell_checker_list_languages (self->checker);

  g_menu_remove_all (self->language_menu);
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    {
      g_autofree char *name = signet_spell_language_name (tags[i]);
      /* Unknown to Signet, a language is named by its tag ("nso_ZA"). */
      g_autofree char *label = signet_mnemonic_escape (name);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

      g_menu_item_set_action_and_target_value (item, "spell.language", g_variant_new_string (tags[i]));
      g_menu_append_item (self->language_menu, item);
    }
  if (tags == NULL || tags[0] == NULL)
    g_menu_append (self->language_menu, _("No Dictionaries Installed"), "spell.language");
}

static void
on_settings_changed (SignetComposeSpelling *self, const char *key)
{
  if (g_strcmp0 (key, "spell-language") == 0)
    apply_language (self);
  apply_enabled (self);
}

static void
change_enabled (GSimpleAction *action, GVariant *value, gpointer data)
{
  SignetComposeSpelling *self = data;

  g_settings_set_boolean (self->settings, "spell-checking", g_variant_get_boolean (value));
}

static void
change_language (GSimpleAction *action, GVariant *value, gpointer data)
{
  SignetComposeSpelling *self = data;

  if (signet_spell_checker_has_language (self->checker, g_variant_get_string (value, NULL)))
    g_settings_set_string (self->settings, "spell-language", g_variant_get_string (value, NULL));
}

GActionGroup *
signet_compose_spelling_get_actions (SignetComposeSpelling *self)
{
  g_return_val_if_fail (SIGNET_IS_COMPOSE_SPELLING (self), NULL);
  return G_ACTION_GROUP (self->actions);
}

SignetSpellChecker *
signet_compose_spelling_get_checker (SignetComposeSpelling *self)
{
  g_return_val_if_fail (SIGNET_IS_COMPOSE_SPELLING (self), NULL);
  return self->checker;
}

gboolean
signet_compose_spelling_is_available (SignetComposeSpelling *self)
{
  g_return_val_if_fail (SIGNET_IS_COMPOSE_SPELLING (self), FALSE);
  return self->available;
}

static void
signet_compose_spelling_dispose (GObject *object)
{
  SignetComposeSpelling *self = SIGNET_COMPOSE_SPELLING (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->body);
  g_clear_object (&self->subject);
  g_clear_object (&self->checker);
  g_clear_object (&self->settings);
  g_clear_object (&self->language_menu);
  g_clear_object (&self->enabled_action);
  g_clear_object (&self->language_action);
  g_clear_object (&self->actions);
  G_OBJECT_CLASS (signet_compose_spelling_parent_class)->dispose (object);
}

static void
signet_compose_spelling_class_init (SignetComposeSpellingClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = signet_compose_spelling_dispose;
}

static void
signet_compose_spelling_init (SignetComposeSpelling *self)
{
  self->settings = g_settings_new (APP_ID);
  self->actions = g_simple_action_group_new ();
  self->enabled_action = g_simple_action_new_stateful ("enabled", NULL, g_variant_new_boolean (FALSE));
  self->language_action = g_simple_action_new_stateful ("language", G_VARIANT_TYPE_STRING,
                                                        g_variant_new_string (""));
  g_signal_connect (self->enabled_action, "change-state", G_CALLBACK (change_enabled), self);
  g_signal_connect (self->language_action, "change-state", G_CALLBACK (change_language), self);
  g_action_map_add_action (G_ACTION_MAP (self->actions), G_ACTION (self->enabled_action));
  g_action_map_add_action (G_ACTION_MAP (self->actions), G_ACTION (self->language_action));
}

SignetComposeSpelling *
signet_compose_spelling_new (GtkTextView        *body,
                             GtkEntry           *subject,
                             GMenu              *language_menu,
                             SignetSpellChecker *checker)
{
  SignetComposeSpelling *self;

  g_return_val_if_fail (GTK_IS_TEXT_VIEW (body), NULL);
  g_return_val_if_fail (GTK_IS_ENTRY (subject), NULL);
  g_return_val_if_fail (G_IS_MENU (language_menu), NULL);
  self = g_object_new (SIGNET_TYPE_COMPOSE_SPELLING, NULL);
  self->checker = checker != NULL ? g_object_ref (checker) : shared_checker ();
  self->language_menu = g_object_ref (language_menu);
  self->body = signet_spell_adapter_new (body, self->checker);
  self->subject = signet_spell_entry_new (subject, self->checker);
  fill_language_menu (self);
  apply_language (self);
  apply_enabled (self);
  g_signal_connect_swapped (self->settings, "changed::spell-language", G_CALLBACK (on_settings_changed), self);
  g_signal_connect_swapped (self->settings, "changed::spell-checking", G_CALLBACK (on_settings_changed), self);
  return self;
}
