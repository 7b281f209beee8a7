#define G_LOG_DOMAIN "signet-spell"

#include "signet-spell-entry.h"

#include <string.h>

#include "signet-spell-menu.h"
#include "signet-spell-words.h"

struct _SignetSpellEntry
{
  GObject             parent_instance;

  GtkEntry           *entry;
  SignetSpellChecker *checker;
  GMenu              *menu;
  GSimpleActionGroup *actions;
  GtkGesture         *click;
  GtkEventController *focus;
  char               *menu_word;
  int                 word_start;     /* the menu's word, in characters */
  int                 word_end;
  guint               idle;
  gboolean            enabled;
  gboolean            edited;         /* the text changed since the last check */
  gboolean            typing;
};

G_DEFINE_FINAL_TYPE (SignetSpellEntry, signet_spell_entry, G_TYPE_OBJECT)

#define MAX_CHECKED_BYTES 4096

static gboolean
has_focus (SignetSpellEntry *self)
{
  GtkEditable *delegate = gtk_editable_get_delegate (GTK_EDITABLE (self->entry));

  return gtk_widget_has_focus (GTK_WIDGET (delegate != NULL ? delegate : GTK_EDITABLE (self->entry)));
}

static void
add_underline (PangoAttrList *attrs, guint start, guint end)
{
  PangoAttribute *underline = pango_attr_underline_new (PANGO_UNDERLINE_ERROR);
  PangoAttribute *color = pango_attr_underline_color_new (0xe0e0, 0x1c1c, 0x2424);

  underline->start_index = color->start_index = start;
  underline->end_index = color->end_index = end;
  pango_attr_list_insert (attrs, underline);
  pango_attr_list_insert (attrs, color);
}

void
signet_spell_entry_update (SignetSpellEntry *self)
{
  g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  int cursor = gtk_editable_get_position (GTK_EDITABLE (self->entry));
  gboolean typing = self->typing && has_focus (self);
  SignetSpellWords words;
  gsize start, end, length, counted = 0;
  glong offset = 0;

  g_return_if_fail (SIGNET_IS_SPELL_ENTRY (self));
  g_clear_handle_id (&self->idle, g_source_remove);
  /* A subject is a line: past its first few thousand bytes (a paste meant
   * for the body), words are not checked, so a keystroke never waits on
   * the whole of it. Character offsets are counted along, not from the
   * start for each word. */
  length = strlen (text);
  if (length > MAX_CHECKED_BYTES)
    length = g_utf8_find_prev_char (text, text + MAX_CHECKED_BYTES + 1) - text;
  signet_spell_words_init (&words, text, length, TRUE, FALSE);
  while (self->enabled && signet_spell_words_next (&words, &start, &end))
    {
      glong s, e;

      offset += g_utf8_strlen (text + counted, start - counted);
      counted = start;
      s = offset;
      e = s + g_utf8_strlen (text + start, end - start);

      if (typing && s <= cursor && cursor <= e)
        continue;
      if (!signet_spell_checker_check_word (self->checker, text + start, end - start))
        add_underline (attrs, start, end);
    }
  gtk_entry_set_attributes (self->entry, attrs);
}

static gboolean
update_cb (gpointer data)
{
  SignetSpellEntry *self = data;

  self->idle = 0;
  /* The cursor moved without an edit: the word it was in is typed. */
  self->typing = self->edited;
  self->edited = FALSE;
  signet_spell_entry_update (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (SignetSpellEntry *self)
{
  if (self->idle == 0)
    self->idle = g_idle_add (update_cb, self);
}

static void
on_changed (SignetSpellEntry *self)
{
  self->edited = TRUE;
  schedule (self);
}

static void
on_focus_leave (SignetSpellEntry *self)
{
  self->typing = FALSE;
  signet_spell_entry_update (self);
}

void
signet_spell_entry_prepare_menu (SignetSpellEntry *self, int position)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  const char *at;
  gsize start, end;

  g_return_if_fail (SIGNET_IS_SPELL_ENTRY (self));
  g_clear_pointer (&self->menu_word, g_free);
  position = CLAMP (position, 0, (int) g_utf8_strlen (text, -1));
  at = g_utf8_offset_to_pointer (text, position);
  if (!self->enabled || !signet_spell_word_at (text, strlen (text), TRUE, FALSE, at - text, &start, &end))
    {
      g_menu_remove_all (self->menu);
      return;
    }
  self->word_start = g_utf8_pointer_to_offset (text, text + start);
  self->word_end = g_utf8_pointer_to_offset (text, text + end);
  self->menu_word = g_strndup (text + start, end - start);
  signet_spell_menu_fill (self->menu, self->checker, self->menu_word);
}

GMenuModel *
signet_spell_entry_get_menu (SignetSpellEntry *self)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_ENTRY (self), NULL);
  return G_MENU_MODEL (self->menu);
}

/* The character under the pointer; GTK 4.8 has no call for it, so the
 * text is laid out as the entry lays it out. When it is wider than the
 * entry (scrolled), the cursor's word is taken instead. */
static int
position_at (SignetSpellEntry *self, double x, double y)
{
  GtkWidget *text_widget = GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (self->entry)));
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autoptr(PangoLayout) layout = NULL;
  double tx, ty;
  int width, index, trailing;

  if (text_widget == NULL ||
      !gtk_widget_translate_coordinates (GTK_WIDGET (self->entry), text_widget, x, y, &tx, &ty))
    return gtk_editable_get_position (GTK_EDITABLE (self->entry));
  layout = gtk_widget_create_pango_layout (text_widget, text);
  pango_layout_get_pixel_size (layout, &width, NULL);
  if (width > gtk_widget_get_width (text_widget))
    return gtk_editable_get_position (GTK_EDITABLE (self->entry));
  pango_layout_xy_to_index (layout, (int) (tx * PANGO_SCALE), 0, &index, &trailing);
  return g_utf8_pointer_to_offset (text, text + index);
}

static void
on_click_pressed (GtkGestureClick *gesture, int n_press, double x, double y, SignetSpellEntry *self)
{
  signet_spell_entry_prepare_menu (self, position_at (self, x, y));
}

static void
correct_activated (SignetSpellEntry *self, GVariant *parameter)
{
  GtkEditable *editable = GTK_EDITABLE (self->entry);
  const char *replacement = g_variant_get_string (parameter, NULL);
  int position = self->word_start;

  if (self->menu_word == NULL)
    return;
  gtk_editable_delete_text (editable, self->word_start, self->word_end);
  gtk_editable_insert_text (editable, replacement, -1, &position);
  gtk_editable_set_position (editable, position);
  g_clear_pointer (&self->menu_word, g_free);
  g_menu_remove_all (self->menu);
  self->typing = self->edited = FALSE;
  signet_spell_entry_update (self);
}

static void
add_activated (SignetSpellEntry *self)
{
  g_autofree char *word = g_steal_pointer (&self->menu_word);

  if (word != NULL)
    signet_spell_checker_add_word (self->checker, word, -1);
}

static void
ignore_activated (SignetSpellEntry *self)
{
  g_autofree char *word = g_steal_pointer (&self->menu_word);

  if (word != NULL)
    signet_spell_checker_ignore_word (self->checker, word, -1);
}

static void
on_checker_changed (SignetSpellEntry *self)
{
  g_menu_remove_all (self->menu);
  signet_spell_entry_update (self);
}

void
signet_spell_entry_set_enabled (SignetSpellEntry *self, gboolean enabled)
{
  g_return_if_fail (SIGNET_IS_SPELL_ENTRY (self));
  self->enabled = !!enabled;
  g_menu_remove_all (self->menu);
  signet_spell_entry_update (self);
}

static void
signet_spell_entry_dispose (GObject *object)
{
  SignetSpellEntry *self = SIGNET_SPELL_ENTRY (object);

  g_clear_handle_id (&self->idle, g_source_remove);
  if (self->entry != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->entry, self);
      gtk_widget_remove_controller (GTK_WIDGET (self->entry), GTK_EVENT_CONTROLLER (self->click));
      gtk_widget_remove_controller (GTK_WIDGET (self->entry), self->focus);
      gtk_widget_insert_action_group (GTK_WIDGET (self->entry), "spelling", NULL);
      gtk_entry_set_extra_menu (self->entry, NULL);
      gtk_entry_set_attributes (self->entry, NULL);
    }
  if (self->checker != NULL)
    g_signal_handlers_disconnect_by_data (self->checker, self);
  g_clear_object (&self->click);
  g_clear_object (&self->focus);
  g_clear_object (&self->entry);
  g_clear_object (&self->checker);
  g_clear_object (&self->menu);
  g_clear_object (&self->actions);
  g_clear_pointer (&self->menu_word, g_free);
  G_OBJECT_CLASS (signet_spell_entry_parent_class)->dispose (object);
}

static void
signet_spell_entry_class_init (SignetSpellEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = signet_spell_entry_dispose;
}

static void
signet_spell_entry_init (SignetSpellEntry *self)
{
  self->menu = g_menu_new ();
}

SignetSpellEntry *
signet_spell_entry_new (GtkEntry *entry, SignetSpellChecker *checker)
{
  SignetSpellEntry *self;

  g_return_val_if_fail (GTK_IS_ENTRY (entry), NULL);
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (checker), NULL);
  self = g_object_new (SIGNET_TYPE_SPELL_ENTRY, NULL);
  self->entry = g_object_ref (entry);
  self->checker = g_object_ref (checker);
  g_signal_connect_swapped (entry, "changed", G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (entry, "notify::cursor-position", G_CALLBACK (schedule), self);
  g_signal_connect_swapped (checker, "notify::language", G_CALLBACK (on_checker_changed), self);
  g_signal_connect_swapped (checker, "words-changed", G_CALLBACK (on_checker_changed), self);

  self->actions = signet_spell_menu_actions_new (self, G_CALLBACK (correct_activated),
                                                 G_CALLBACK (add_activated), G_CALLBACK (ignore_activated));
  gtk_widget_insert_action_group (GTK_WIDGET (entry), "spelling", G_ACTION_GROUP (self->actions));
  gtk_entry_set_extra_menu (entry, G_MENU_MODEL (self->menu));
  self->click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (self->click), GDK_BUTTON_SECONDARY);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (self->click), GTK_PHASE_CAPTURE);
  g_signal_connect (self->click, "pressed", G_CALLBACK (on_click_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (entry), GTK_EVENT_CONTROLLER (g_object_ref (self->click)));
  self->focus = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (self->focus, "leave", G_CALLBACK (on_focus_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (entry), g_object_ref (self->focus));
  return self;
}
