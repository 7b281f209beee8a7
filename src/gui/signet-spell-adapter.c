#define G_LOG_DOMAIN "signet-spell"

#include "signet-spell-adapter.h"

#include <string.h>

#include "signet-spell-menu.h"
#include "signet-spell-words.h"

/* What one idle slice may spend before it yields to the main loop, and
 * the text it checks at a time between looks at the clock. */
#define SLICE_USEC      2000
#define CHUNK_CHARS     256
/* How far a piece to check is widened to reach white space. */
#define MAX_EXTEND      128
/* An insertion up to this long at the cursor counts as typing. */
#define TYPED_CHARS     16

struct _SignetSpellAdapter
{
  GObject             parent_instance;

  GtkTextView        *view;
  GtkTextBuffer      *buffer;
  SignetSpellChecker *checker;
  GtkTextTag         *misspelt;
  GtkTextTag         *unchecked;      /* text waiting to be checked */
  GtkTextMark        *scan;           /* where the next slice starts */
  GtkTextMark        *deferred;       /* the start of the word left alone while typed */
  GtkTextMark        *word_start;     /* the context menu's word */
  GtkTextMark        *word_end;
  char               *menu_word;
  GMenu              *menu;
  GSimpleActionGroup *actions;
  GtkGesture         *click;
  GtkEventController *keys;
  guint               idle;
  gboolean            enabled;
  gboolean            editing;        /* inside an insertion or deletion */
  gboolean            typing;         /* the last edit was typing at the cursor */
  gboolean            has_deferred;
};

G_DEFINE_FINAL_TYPE (SignetSpellAdapter, signet_spell_adapter, G_TYPE_OBJECT)

static void
extend_back (GtkTextIter *iter)
{
  for (int i = 0; i < MAX_EXTEND && !gtk_text_iter_is_start (iter); i++)
    {
      GtkTextIter prev = *iter;

      gtk_text_iter_backward_char (&prev);
      if (g_unichar_isspace (gtk_text_iter_get_char (&prev)))
        break;
      *iter = prev;
    }
}

static void
extend_forward (GtkTextIter *iter)
{
  for (int i = 0; i < MAX_EXTEND && !gtk_text_iter_is_end (iter); i++)
    {
      if (g_unichar_isspace (gtk_text_iter_get_char (iter)))
        break;
      gtk_text_iter_forward_char (iter);
    }
}

static gboolean
line_quoted (const GtkTextIter *iter)
{
  GtkTextIter line = *iter;

  gtk_text_iter_set_line_offset (&line, 0);
  return gtk_text_iter_get_char (&line) == '>';
}

static gboolean
check_slice_cb (gpointer data);

static void
schedule (SignetSpellAdapter *self)
{
  if (self->idle != 0 || !self->enabled)
    return;
  /* Below redrawing and the text view's own layout work. */
  self->idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, check_slice_cb, self, NULL);
}

static void
move_scan_back (SignetSpellAdapter *self, const GtkTextIter *iter)
{
  GtkTextIter scan;

  gtk_text_buffer_get_iter_at_mark (self->buffer, &scan, self->scan);
  if (gtk_text_iter_compare (iter, &scan) < 0)
    gtk_text_buffer_move_mark (self->buffer, self->scan, iter);
}

/* Queues [start, end) and the words it touches. An edit at the start of a
 * line may make it quoted or not: the whole line is queued then. */
static void
queue_range (SignetSpellAdapter *self, const GtkTextIter *start, const GtkTextIter *end)
{
  GtkTextIter s = *start, e = *end;

  if (!self->enabled)
    return;
  if (gtk_text_iter_get_line_offset (&s) == 0 && !gtk_text_iter_ends_line (&e))
    gtk_text_iter_forward_to_line_end (&e);
  extend_back (&s);
  extend_forward (&e);
  gtk_text_buffer_apply_tag (self->buffer, self->unchecked, &s, &e);
  move_scan_back (self, &s);
  schedule (self);
}

static void
queue_all (SignetSpellAdapter *self)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  queue_range (self, &start, &end);
}

/* The next text waiting to be checked from @iter on: [@iter, @end). */
static gboolean
next_unchecked (SignetSpellAdapter *self, GtkTextIter *iter, GtkTextIter *end)
{
  if (!gtk_text_iter_has_tag (iter, self->unchecked) &&
      !gtk_text_iter_forward_to_tag_toggle (iter, self->unchecked))
    return FALSE;
  if (gtk_text_iter_is_end (iter))
    return FALSE;
  *end = *iter;
  gtk_text_iter_forward_to_tag_toggle (end, self->unchecked);
  return TRUE;
}

static void
check_word (SignetSpellAdapter *self, const char *word, gsize len,
            int start, int end, int cursor)
{
  GtkTextIter s, e;

  gtk_text_buffer_get_iter_at_offset (self->buffer, &s, start);
  gtk_text_buffer_get_iter_at_offset (self->buffer, &e, end);
  if (self->typing && start <= cursor && cursor <= end)
    {
      gtk_text_buffer_apply_tag (self->buffer, self->unchecked, &s, &e);
      gtk_text_buffer_move_mark (self->buffer, self->deferred, &s);
      self->has_deferred = TRUE;
    }
  else if (!signet_spell_checker_check_word (self->checker, word, len))
    gtk_text_buffer_apply_tag (self->buffer, self->misspelt, &s, &e);
}

/* Checks a piece of [@iter, @region_end) and moves @iter past it. */
static void
check_chunk (SignetSpellAdapter *self, GtkTextIter *iter, const GtkTextIter *region_end)
{
  GtkTextIter s = *iter, e = *iter, cursor;
  SignetSpellWords words;
  g_autofree char *text = NULL;
  gsize len, ws, we, byte = 0;
  int offset;

  gtk_text_iter_forward_chars (&e, CHUNK_CHARS);
  if (gtk_text_iter_compare (&e, region_end) > 0)
    e = *region_end;
  extend_back (&s);
  extend_forward (&e);
  text = gtk_text_iter_get_slice (&s, &e);
  len = strlen (text);
  offset = gtk_text_iter_get_offset (&s);
  gtk_text_buffer_get_iter_at_mark (self->buffer, &cursor, gtk_text_buffer_get_insert (self->buffer));
  gtk_text_buffer_remove_tag (self->buffer, self->misspelt, &s, &e);
  gtk_text_buffer_remove_tag (self->buffer, self->unchecked, &s, &e);

  signet_spell_words_init (&words, text, len, gtk_text_iter_starts_line (&s), line_quoted (&s));
  while (signet_spell_words_next (&words, &ws, &we))
    {
      int start, end;

      offset += g_utf8_strlen (text + byte, ws - byte);
      start = offset;
      end = start + g_utf8_strlen (text + ws, we - ws);
      offset = end;
      byte = we;
      check_word (self, text + ws, we - ws, start, end, gtk_text_iter_get_offset (&cursor));
    }
  *iter = e;
}

static gboolean
check_slice_cb (gpointer data)
{
  SignetSpellAdapter *self = data;
  gint64 deadline = g_get_monotonic_time () + SLICE_USEC;
  GtkTextIter iter, end;

  gtk_text_buffer_get_iter_at_mark (self->buffer, &iter, self->scan);
  do
    {
      if (!next_unchecked (self, &iter, &end))
        {
          gtk_text_buffer_get_end_iter (self->buffer, &iter);
          gtk_text_buffer_move_mark (self->buffer, self->scan, &iter);
          self->idle = 0;
          return G_SOURCE_REMOVE;
        }
      check_chunk (self, &iter, &end);
      gtk_text_buffer_move_mark (self->buffer, self->scan, &iter);
    }
  while (g_get_monotonic_time () < deadline);
  return G_SOURCE_CONTINUE;
}

static void
on_insert_before (SignetSpellAdapter *self)
{
  self->editing = TRUE;
}

static void
on_insert_text (GtkTextBuffer *buffer, GtkTextIter *location, const char *text, int len,
                SignetSpellAdapter *self)
{
  GtkTextIter start = *location, cursor;
  glong chars = g_utf8_strlen (text, len);

  self->editing = FALSE;
  gtk_text_iter_backward_chars (&start, chars);
  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  self->typing = chars <= TYPED_CHARS && gtk_text_iter_equal (location, &cursor);
  queue_range (self, &start, location);
}

static void
on_delete_range (GtkTextBuffer *buffer, GtkTextIter *start, GtkTextIter *end, SignetSpellAdapter *self)
{
  GtkTextIter cursor;

  self->editing = FALSE;
  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  self->typing = gtk_text_iter_equal (start, &cursor);
  queue_range (self, start, end);
}

/* The cursor left the word being typed: it is checked now. */
static void
on_mark_set (GtkTextBuffer *buffer, const GtkTextIter *location, GtkTextMark *mark, SignetSpellAdapter *self)
{
  GtkTextIter deferred;

  if (self->editing || mark != gtk_text_buffer_get_insert (buffer))
    return;
  self->typing = FALSE;
  if (!self->has_deferred)
    return;
  self->has_deferred = FALSE;
  gtk_text_buffer_get_iter_at_mark (buffer, &deferred, self->deferred);
  move_scan_back (self, &deferred);
  schedule (self);
}

void
signet_spell_adapter_prepare_menu (SignetSpellAdapter *self, const GtkTextIter *iter)
{
  GtkTextIter s = *iter, e = *iter;
  g_autofree char *text = NULL;
  g_autofree char *before = NULL;
  gsize start, end;

  g_return_if_fail (SIGNET_IS_SPELL_ADAPTER (self));
  g_clear_pointer (&self->menu_word, g_free);
  extend_back (&s);
  extend_forward (&e);
  text = gtk_text_iter_get_slice (&s, &e);
  before = gtk_text_iter_get_slice (&s, iter);
  if (!self->enabled ||
      !signet_spell_word_at (text, strlen (text), gtk_text_iter_starts_line (&s), line_quoted (&s),
                             strlen (before), &start, &end))
    {
      g_menu_remove_all (self->menu);
      return;
    }
  gtk_text_iter_forward_chars (&s, g_utf8_strlen (text, start));
  e = s;
  gtk_text_iter_forward_chars (&e, g_utf8_strlen (text + start, end - start));
  gtk_text_buffer_move_mark (self->buffer, self->word_start, &s);
  gtk_text_buffer_move_mark (self->buffer, self->word_end, &e);
  self->menu_word = g_strndup (text + start, end - start);
  signet_spell_menu_fill (self->menu, self->checker, self->menu_word);
}

GMenuModel *
signet_spell_adapter_get_menu (SignetSpellAdapter *self)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_ADAPTER (self), NULL);
  return G_MENU_MODEL (self->menu);
}

/* A right click shows the menu for the word under the pointer: the cursor
 * goes there first, unless it is inside the selection. */
static void
on_click_pressed (GtkGestureClick *gesture, int n_press, double x, double y, SignetSpellAdapter *self)
{
  GtkTextIter iter, sel_start, sel_end;
  int bx, by;

  gtk_text_view_window_to_buffer_coords (self->view, GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y, &bx, &by);
  gtk_text_view_get_iter_at_location (self->view, &iter, bx, by);
  if (!gtk_text_buffer_get_selection_bounds (self->buffer, &sel_start, &sel_end) ||
      !gtk_text_iter_in_range (&iter, &sel_start, &sel_end))
    gtk_text_buffer_place_cursor (self->buffer, &iter);
  signet_spell_adapter_prepare_menu (self, &iter);
}

/* The context menu from the keyboard (Menu, Shift+F10) is for the word at
 * the cursor. Returning FALSE lets the key go on to the text view, which
 * opens the menu. */
static gboolean
on_menu_key (GtkWidget *widget, GVariant *args, gpointer data)
{
  SignetSpellAdapter *self = data;
  GtkTextIter cursor;

  gtk_text_buffer_get_iter_at_mark (self->buffer, &cursor, gtk_text_buffer_get_insert (self->buffer));
  signet_spell_adapter_prepare_menu (self, &cursor);
  return FALSE;
}

static void
menu_word_bounds (SignetSpellAdapter *self, GtkTextIter *start, GtkTextIter *end)
{
  gtk_text_buffer_get_iter_at_mark (self->buffer, start, self->word_start);
  gtk_text_buffer_get_iter_at_mark (self->buffer, end, self->word_end);
}

static void
correct_activated (SignetSpellAdapter *self, GVariant *parameter)
{
  GtkTextIter start, end;

  if (self->menu_word == NULL)
    return;
  menu_word_bounds (self, &start, &end);
  gtk_text_buffer_begin_user_action (self->buffer);
  gtk_text_buffer_delete (self->buffer, &start, &end);
  gtk_text_buffer_insert (self->buffer, &start, g_variant_get_string (parameter, NULL), -1);
  gtk_text_buffer_end_user_action (self->buffer);
  /* A chosen word is not being typed. */
  self->typing = FALSE;
  g_clear_pointer (&self->menu_word, g_free);
  g_menu_remove_all (self->menu);
}

static void
accept_menu_word (SignetSpellAdapter *self, gboolean keep)
{
  GtkTextIter start, end;
  g_autofree char *word = g_steal_pointer (&self->menu_word);

  if (word == NULL)
    return;
  menu_word_bounds (self, &start, &end);
  gtk_text_buffer_remove_tag (self->buffer, self->misspelt, &start, &end);
  g_menu_remove_all (self->menu);
  if (keep)
    signet_spell_checker_add_word (self->checker, word, -1);
  else
    signet_spell_checker_ignore_word (self->checker, word, -1);
}

static void
add_activated (SignetSpellAdapter *self)
{
  accept_menu_word (self, TRUE);
}

static void
ignore_activated (SignetSpellAdapter *self)
{
  accept_menu_word (self, FALSE);
}

static void
clear_tags (SignetSpellAdapter *self)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  gtk_text_buffer_remove_tag (self->buffer, self->misspelt, &start, &end);
  gtk_text_buffer_remove_tag (self->buffer, self->unchecked, &start, &end);
}

void
signet_spell_adapter_set_enabled (SignetSpellAdapter *self, gboolean enabled)
{
  g_return_if_fail (SIGNET_IS_SPELL_ADAPTER (self));
  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  g_menu_remove_all (self->menu);
  if (enabled)
    queue_all (self);
  else
    {
      g_clear_handle_id (&self->idle, g_source_remove);
      clear_tags (self);
    }
}

gboolean
signet_spell_adapter_get_enabled (SignetSpellAdapter *self)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_ADAPTER (self), FALSE);
  return self->enabled;
}

GtkTextTag *
signet_spell_adapter_get_tag (SignetSpellAdapter *self)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_ADAPTER (self), NULL);
  return self->misspelt;
}

gboolean
signet_spell_adapter_is_pending (SignetSpellAdapter *self)
{
  g_return_val_if_fail (SIGNET_IS_SPELL_ADAPTER (self), FALSE);
  return self->idle != 0;
}

static void
signet_spell_adapter_dispose (GObject *object)
{
  SignetSpellAdapter *self = SIGNET_SPELL_ADAPTER (object);

  g_clear_handle_id (&self->idle, g_source_remove);
  if (self->buffer != NULL)
    {
      GtkTextTagTable *table = gtk_text_buffer_get_tag_table (self->buffer);

      g_signal_handlers_disconnect_by_data (self->buffer, self);
      gtk_text_tag_table_remove (table, self->misspelt);
      gtk_text_tag_table_remove (table, self->unchecked);
      gtk_text_buffer_delete_mark (self->buffer, self->scan);
      gtk_text_buffer_delete_mark (self->buffer, self->deferred);
      gtk_text_buffer_delete_mark (self->buffer, self->word_start);
      gtk_text_buffer_delete_mark (self->buffer, self->word_end);
    }
  if (self->view != NULL)
    {
      gtk_widget_remove_controller (GTK_WIDGET (self->view), GTK_EVENT_CONTROLLER (self->click));
      gtk_widget_remove_controller (GTK_WIDGET (self->view), self->keys);
      gtk_widget_insert_action_group (GTK_WIDGET (self->view), "spelling", NULL);
      gtk_text_view_set_extra_menu (self->view, NULL);
    }
  g_clear_object (&self->click);
  g_clear_object (&self->keys);
  if (self->checker != NULL)
    g_signal_handlers_disconnect_by_data (self->checker, self);
  g_clear_object (&self->view);
  g_clear_object (&self->buffer);
  g_clear_object (&self->checker);
  g_clear_object (&self->menu);
  g_clear_object (&self->actions);
  g_clear_pointer (&self->menu_word, g_free);
  G_OBJECT_CLASS (signet_spell_adapter_parent_class)->dispose (object);
}

static void
signet_spell_adapter_class_init (SignetSpellAdapterClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = signet_spell_adapter_dispose;
}

static void
signet_spell_adapter_init (SignetSpellAdapter *self)
{
  self->menu = g_menu_new ();
}

static void
attach_to_buffer (SignetSpellAdapter *self)
{
  GtkTextIter start;

  self->misspelt = gtk_text_buffer_create_tag (self->buffer, NULL,
                                               "underline", PANGO_UNDERLINE_ERROR,
                                               "underline-rgba", &(GdkRGBA) { 0.88, 0.11, 0.14, 1.0 },
                                               NULL);
  self->unchecked = gtk_text_buffer_create_tag (self->buffer, NULL, NULL);
  gtk_text_buffer_get_start_iter (self->buffer, &start);
  self->scan = gtk_text_buffer_create_mark (self->buffer, NULL, &start, TRUE);
  self->deferred = gtk_text_buffer_create_mark (self->buffer, NULL, &start, TRUE);
  self->word_start = gtk_text_buffer_create_mark (self->buffer, NULL, &start, TRUE);
  self->word_end = gtk_text_buffer_create_mark (self->buffer, NULL, &start, FALSE);
  g_signal_connect_swapped (self->buffer, "insert-text", G_CALLBACK (on_insert_before), self);
  g_signal_connect_swapped (self->buffer, "delete-range", G_CALLBACK (on_insert_before), self);
  g_signal_connect_after (self->buffer, "insert-text", G_CALLBACK (on_insert_text), self);
  g_signal_connect_after (self->buffer, "delete-range", G_CALLBACK (on_delete_range), self);
  g_signal_connect (self->buffer, "mark-set", G_CALLBACK (on_mark_set), self);
}

SignetSpellAdapter *
signet_spell_adapter_new (GtkTextView *view, SignetSpellChecker *checker)
{
  SignetSpellAdapter *self;

  g_return_val_if_fail (GTK_IS_TEXT_VIEW (view), NULL);
  g_return_val_if_fail (SIGNET_IS_SPELL_CHECKER (checker), NULL);
  self = g_object_new (SIGNET_TYPE_SPELL_ADAPTER, NULL);
  self->view = g_object_ref (view);
  self->buffer = g_object_ref (gtk_text_view_get_buffer (view));
  self->checker = g_object_ref (checker);
  attach_to_buffer (self);
  g_signal_connect_swapped (checker, "notify::language", G_CALLBACK (queue_all), self);
  g_signal_connect_swapped (checker, "words-changed", G_CALLBACK (queue_all), self);

  self->actions = signet_spell_menu_actions_new (self, G_CALLBACK (correct_activated),
                                                 G_CALLBACK (add_activated), G_CALLBACK (ignore_activated));
  gtk_widget_insert_action_group (GTK_WIDGET (view), "spelling", G_ACTION_GROUP (self->actions));
  gtk_text_view_set_extra_menu (view, G_MENU_MODEL (self->menu));
  self->click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (self->click), GDK_BUTTON_SECONDARY);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (self->click), GTK_PHASE_CAPTURE);
  g_signal_connect (self->click, "pressed", G_CALLBACK (on_click_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (view), GTK_EVENT_CONTROLLER (g_object_ref (self->click)));
  self->keys = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (self->keys, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < 2; i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (self->keys),
      gtk_shortcut_new (i == 0 ? gtk_keyval_trigger_new (GDK_KEY_Menu, 0)
                               : gtk_keyval_trigger_new (GDK_KEY_F10, GDK_SHIFT_MASK),
                        gtk_callback_action_new (on_menu_key, self, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (view), g_object_ref (self->keys));
  return self;
}
