#include <adwaita.h>
#include <string.h>
#include <time.h>

#include "signet-compose-spelling.h"
#include "signet-spell-menu.h"
#include "signet-compose-window.h"
#include "signet-enchant-checker.h"
#include "signet-spell-adapter.h"
#include "signet-spell-entry.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

/* Spell checking as the composer shows it: underlines in the body and the
 * Subject, the context menu, the main menu's actions. Real enchant-2 with
 * the hunspell dictionaries; the personal dictionary in a temporary
 * ENCHANT_CONFIG_DIR. */

static char *config_dir;

typedef struct {
  SignetSpellChecker *checker;
  GtkWindow          *window;
  GtkTextView        *view;
  GtkTextBuffer      *buffer;
  GtkEntry           *entry;
  SignetSpellAdapter *adapter;
  SignetSpellEntry   *subject;
  guint               changed;  /* the buffer's "changed" emissions */
} Fixture;

static void
count_changed (Fixture *f)
{
  f->changed++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  f->checker = signet_enchant_checker_new ();
  g_assert_true (signet_spell_checker_set_language (f->checker, "en_US", NULL));
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 600, 400);
  f->entry = GTK_ENTRY (gtk_entry_new ());
  f->view = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (f->view), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->entry));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->view));
  gtk_window_set_child (f->window, box);
  f->buffer = gtk_text_view_get_buffer (f->view);
  f->adapter = signet_spell_adapter_new (f->view, f->checker);
  signet_spell_adapter_set_enabled (f->adapter, TRUE);
  f->subject = signet_spell_entry_new (f->entry, f->checker);
  signet_spell_entry_set_enabled (f->subject, TRUE);
  g_signal_connect_swapped (f->buffer, "changed", G_CALLBACK (count_changed), f);
  gtk_window_present (f->window);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->adapter);
  g_clear_object (&f->subject);
  gtk_window_destroy (f->window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->checker);
}

static gboolean
checked (gpointer data)
{
  Fixture *f = data;

  return !signet_spell_adapter_is_pending (f->adapter);
}

static void
wait_checked (Fixture *f)
{
  signet_test_wait_until (checked, f);
}

/* The underlined text, as "start-end:word" in order. */
static char *
underlined (GtkTextBuffer *buffer, GtkTextTag *tag)
{
  GString *out = g_string_new (NULL);
  GtkTextIter iter;

  gtk_text_buffer_get_start_iter (buffer, &iter);
  if (!gtk_text_iter_starts_tag (&iter, tag))
    gtk_text_iter_forward_to_tag_toggle (&iter, tag);
  while (!gtk_text_iter_is_end (&iter))
    {
      GtkTextIter end = iter;
      g_autofree char *word = NULL;

      gtk_text_iter_forward_to_tag_toggle (&end, tag);
      word = gtk_text_iter_get_text (&iter, &end);
      g_string_append_printf (out, "%s%d-%d:%s", out->len ? " " : "",
                              gtk_text_iter_get_offset (&iter), gtk_text_iter_get_offset (&end), word);
      iter = end;
      gtk_text_iter_forward_to_tag_toggle (&iter, tag);
    }
  return g_string_free (out, FALSE);
}

static char *
body_underlined (Fixture *f)
{
  return underlined (f->buffer, signet_spell_adapter_get_tag (f->adapter));
}

/* Sets the body as a paste or an opened draft would, cursor at the start. */
static void
set_body (Fixture *f, const char *text)
{
  GtkTextIter start;

  gtk_text_buffer_set_text (f->buffer, text, -1);
  gtk_text_buffer_get_start_iter (f->buffer, &start);
  gtk_text_buffer_place_cursor (f->buffer, &start);
  wait_checked (f);
}

static void
iter_at (Fixture *f, GtkTextIter *iter, const char *needle)
{
  g_autofree char *text = NULL;
  GtkTextIter start, end;
  const char *found;

  gtk_text_buffer_get_bounds (f->buffer, &start, &end);
  text = gtk_text_buffer_get_text (f->buffer, &start, &end, TRUE);
  found = strstr (text, needle);
  g_assert_nonnull (found);
  gtk_text_buffer_get_iter_at_offset (f->buffer, iter, g_utf8_pointer_to_offset (text, found));
}

static void
test_underline (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;

  set_body (f, "Ths message has a tset in it.\nAnother line wiht errors, don't worry.");
  got = body_underlined (f);
  g_assert_cmpstr (got, ==, "0-3:Ths 18-22:tset 43-47:wiht");
  /* Underlining is not an edit of the message. */
  g_assert_cmpuint (f->changed, ==, 1);  /* set_text itself */
}

static void
test_edit (Fixture *f, gconstpointer data)
{
  GtkTextIter iter, end;
  g_autofree char *fixed = NULL;
  g_autofree char *broken = NULL;

  set_body (f, "Ths message has a tset in it.");
  /* "tset" -> "test", away from the cursor. */
  iter_at (f, &iter, "tset");
  end = iter;
  gtk_text_iter_forward_chars (&end, 4);
  gtk_text_buffer_delete (f->buffer, &iter, &end);
  gtk_text_buffer_insert (f->buffer, &iter, "test", -1);
  wait_checked (f);
  fixed = body_underlined (f);
  g_assert_cmpstr (fixed, ==, "0-3:Ths");

  /* "message" loses a letter. */
  iter_at (f, &iter, "ssage");
  end = iter;
  gtk_text_iter_forward_char (&end);
  gtk_text_buffer_delete (f->buffer, &iter, &end);
  gtk_text_buffer_get_start_iter (f->buffer, &iter);
  gtk_text_buffer_place_cursor (f->buffer, &iter);
  wait_checked (f);
  broken = body_underlined (f);
  g_assert_cmpstr (broken, ==, "0-3:Ths 4-10:mesage");
}

static void
test_addresses_quotes (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;

  set_body (f, "See https://exmaple.org/pth and www.exmaple.com, or aliec@exmaple.org.\n"
               "> quoetd lien from someone\n"
               ">another qoute\n"
               "my realy answer ver2 x86");
  got = body_underlined (f);
  g_assert_cmpstr (got, ==, "116-121:realy");
}

static void
test_quote_toggled (Fixture *f, gconstpointer data)
{
  GtkTextIter iter;
  g_autofree char *quoted = NULL;
  g_autofree char *unquoted = NULL;

  set_body (f, "first\nsome wrods here\nlast");
  iter_at (f, &iter, "some");
  gtk_text_buffer_insert (f->buffer, &iter, "> ", -1);
  wait_checked (f);
  quoted = body_underlined (f);
  g_assert_cmpstr (quoted, ==, "");
  iter_at (f, &iter, "> some");
  {
    GtkTextIter end = iter;
    gtk_text_iter_forward_chars (&end, 2);
    gtk_text_buffer_delete (f->buffer, &iter, &end);
  }
  wait_checked (f);
  unquoted = body_underlined (f);
  g_assert_cmpstr (unquoted, ==, "11-16:wrods");
}

static void
type_text (Fixture *f, const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gtk_text_buffer_insert_at_cursor (f->buffer, p, g_utf8_next_char (p) - p);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  wait_checked (f);
}

static void
test_typing (Fixture *f, gconstpointer data)
{
  GtkTextIter start;
  g_autofree char *while_typed = NULL;
  g_autofree char *after_space = NULL;
  g_autofree char *left = NULL;

  gtk_widget_grab_focus (GTK_WIDGET (f->view));
  type_text (f, "Helo wrld");
  /* "wrld" is still being typed; "Helo" is done. */
  while_typed = body_underlined (f);
  g_assert_cmpstr (while_typed, ==, "0-4:Helo");
  type_text (f, " ");
  after_space = body_underlined (f);
  g_assert_cmpstr (after_space, ==, "0-4:Helo 5-9:wrld");

  /* Typing into a word that was done leaves it alone until the cursor goes. */
  type_text (f, "agian");
  gtk_text_buffer_get_start_iter (f->buffer, &start);
  gtk_text_buffer_place_cursor (f->buffer, &start);
  wait_checked (f);
  left = body_underlined (f);
  g_assert_cmpstr (left, ==, "0-4:Helo 5-9:wrld 10-15:agian");
}

static gint64
cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* 200 KiB in idle slices: no slice of the checker holds the main loop for
 * long, and every misspelling is found. The view is not shown, so the main
 * loop runs nothing but the checker. */
static void
test_long_body (Fixture *f, gconstpointer data)
{
  g_autoptr(GtkTextView) view = g_object_ref_sink (GTK_TEXT_VIEW (gtk_text_view_new ()));
  g_autoptr(SignetSpellAdapter) adapter = signet_spell_adapter_new (view, f->checker);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GString *text = g_string_new (NULL);
  guint expected = 0, found = 0, iterations = 0;
  gint64 longest = 0, longest_cpu = 0, begin;
  GtkTextIter iter;

  for (guint i = 0; text->len < 200 * 1024; i++)
    {
      g_string_append (text, "The quick brown fox jumps over the lazy dog, and then it ");
      g_string_append (text, i % 10 == 3 ? "rsets.\n" : "rests.\n");
      expected += i % 10 == 3;
      g_string_append (text, "Nothing else to see here, except the weather.\n");
    }
  gtk_text_buffer_set_text (buffer, text->str, text->len);
  gtk_text_buffer_get_start_iter (buffer, &iter);
  gtk_text_buffer_place_cursor (buffer, &iter);
  g_string_free (text, TRUE);

  /* Nothing else on the main loop: the fixture's window is put away. */
  gtk_widget_set_visible (GTK_WIDGET (f->window), FALSE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  begin = g_get_monotonic_time ();
  signet_spell_adapter_set_enabled (adapter, TRUE);
  while (signet_spell_adapter_is_pending (adapter))
    {
      gint64 t = g_get_monotonic_time ();
      gint64 c = cpu_usec ();

      g_main_context_iteration (NULL, TRUE);
      longest = MAX (longest, g_get_monotonic_time () - t);
      longest_cpu = MAX (longest_cpu, cpu_usec () - c);
      iterations++;
      g_assert_cmpint (g_get_monotonic_time () - begin, <, 60 * G_USEC_PER_SEC);
    }
  g_test_message ("%u slices, the longest %" G_GINT64_FORMAT " µs (%" G_GINT64_FORMAT " µs of CPU), "
                  "%" G_GINT64_FORMAT " ms in all",
                  iterations, longest, longest_cpu, (g_get_monotonic_time () - begin) / 1000);
  g_assert_cmpuint (iterations, >, 20);
  /* The processor time this thread spent: the machine's other work does
   * not count against the checker. */
  g_assert_cmpint (longest_cpu, <, 10000);

  gtk_text_buffer_get_start_iter (buffer, &iter);
  while (gtk_text_iter_forward_to_tag_toggle (&iter, signet_spell_adapter_get_tag (adapter)))
    if (gtk_text_iter_starts_tag (&iter, signet_spell_adapter_get_tag (adapter)))
      {
        GtkTextIter end = iter;
        g_autofree char *word = NULL;

        gtk_text_iter_forward_to_tag_toggle (&end, signet_spell_adapter_get_tag (adapter));
        word = gtk_text_iter_get_text (&iter, &end);
        g_assert_cmpstr (word, ==, "rsets");
        found++;
      }
  g_assert_cmpuint (expected, >, 100);
  g_assert_cmpuint (found, ==, expected);
}

/* The labels and targets of a menu's items, sections flattened. */
static void
menu_items (GMenuModel *menu, GString *out)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);
      g_autofree char *label = NULL;
      g_autofree char *action = NULL;
      g_autoptr(GVariant) target = NULL;

      if (section != NULL)
        {
          menu_items (section, out);
          continue;
        }
      g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label);
      g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &action);
      target = g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_TARGET, G_VARIANT_TYPE_STRING);
      g_string_append_printf (out, "%s[%s %s%s]", out->len ? " " : "", label, action,
                              target ? g_variant_get_string (target, NULL) : "");
    }
}

static char *
menu_text (GMenuModel *menu)
{
  GString *out = g_string_new (NULL);

  menu_items (menu, out);
  return g_string_free (out, FALSE);
}

static void
submenu_items (GMenuModel *menu, GString *out)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);
      g_autoptr(GMenuModel) submenu = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SUBMENU);

      if (section != NULL)
        submenu_items (section, out);
      else if (submenu != NULL)
        submenu_items (submenu, out);
      else
        {
          g_autoptr(GMenu) one = g_menu_new ();
          g_autoptr(GMenuItem) item = g_menu_item_new_from_model (menu, i);

          g_menu_append_item (one, item);
          menu_items (G_MENU_MODEL (one), out);
        }
    }
}

static char *
menu_text_with_submenus (GMenuModel *menu)
{
  GString *out = g_string_new (NULL);

  submenu_items (menu, out);
  return g_string_free (out, FALSE);
}

static void
test_menu (Fixture *f, gconstpointer data)
{
  GtkTextIter iter;
  g_autofree char *items = NULL;
  g_autofree char *correct_word = NULL;
  g_autofree char *after = NULL;
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  set_body (f, "Please recieve this message.");
  iter_at (f, &iter, "ecieve");
  signet_spell_adapter_prepare_menu (f->adapter, &iter);
  items = menu_text (signet_spell_adapter_get_menu (f->adapter));
  g_assert_nonnull (strstr (items, "[receive spelling.correctreceive]"));
  g_assert_nonnull (strstr (items, "[Add to Dictio_nary spelling.add] [_Ignore spelling.ignore]"));

  /* A word spelt correctly has no spelling items. */
  iter_at (f, &iter, "message");
  signet_spell_adapter_prepare_menu (f->adapter, &iter);
  correct_word = menu_text (signet_spell_adapter_get_menu (f->adapter));
  g_assert_cmpstr (correct_word, ==, "");

  /* Choosing a correction replaces the word. */
  iter_at (f, &iter, "recieve");
  gtk_text_iter_forward_chars (&iter, 7);  /* right after the word, as a click there */
  signet_spell_adapter_prepare_menu (f->adapter, &iter);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "spelling.correct", "s", "receive"));
  wait_checked (f);
  gtk_text_buffer_get_bounds (f->buffer, &start, &end);
  text = gtk_text_buffer_get_text (f->buffer, &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "Please receive this message.");
  after = body_underlined (f);
  g_assert_cmpstr (after, ==, "");
}

static void
test_add_to_dictionary (Fixture *f, gconstpointer data)
{
  g_autofree char *before = NULL;
  g_autofree char *at_once = NULL;
  g_autofree char *after = NULL;
  g_autofree char *dic = g_build_filename (config_dir, "en_US.dic", NULL);
  g_autofree char *contents = NULL;
  GtkTextIter iter;

  set_body (f, "Greetings from Zorblatt and Zorblatt again, with a tpyo.");
  before = body_underlined (f);
  g_assert_cmpstr (before, ==, "15-23:Zorblatt 28-36:Zorblatt 51-55:tpyo");
  iter_at (f, &iter, "orblatt and");
  signet_spell_adapter_prepare_menu (f->adapter, &iter);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "spelling.add", NULL));
  /* The word clicked loses its underline at once, the others when rechecked. */
  at_once = body_underlined (f);
  g_assert_null (strstr (at_once, "15-23"));
  wait_checked (f);
  after = body_underlined (f);
  g_assert_cmpstr (after, ==, "51-55:tpyo");
  g_assert_true (g_file_get_contents (dic, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "Zorblatt"));
}

static void
test_ignore (Fixture *f, gconstpointer data)
{
  g_autofree char *after = NULL;
  g_autofree char *dic = g_build_filename (config_dir, "en_US.dic", NULL);
  g_autoptr(SignetSpellChecker) fresh = signet_enchant_checker_new ();
  GtkTextIter iter;

  set_body (f, "Kwyjibo is a wrod.");
  iter_at (f, &iter, "Kwyjibo");
  signet_spell_adapter_prepare_menu (f->adapter, &iter);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "spelling.ignore", NULL));
  wait_checked (f);
  after = body_underlined (f);
  g_assert_cmpstr (after, ==, "13-17:wrod");
  /* Only for this session. */
  g_assert_true (signet_spell_checker_set_language (fresh, "en_US", NULL));
  g_assert_false (signet_spell_checker_check_word (fresh, "Kwyjibo", -1));
  if (g_file_test (dic, G_FILE_TEST_EXISTS))
    {
      g_autofree char *contents = NULL;
      g_assert_true (g_file_get_contents (dic, &contents, NULL, NULL));
      g_assert_null (strstr (contents, "Kwyjibo"));
    }
}

static void
test_language_switch (Fixture *f, gconstpointer data)
{
  g_autofree char *english = NULL;
  g_autofree char *german = NULL;

  set_body (f, "Hallo Welt, das ist ein Tesst mit einem Fehler.");
  english = body_underlined (f);
  g_assert_nonnull (strstr (english, "Hallo"));
  g_assert_nonnull (strstr (english, "einem"));
  g_assert_true (signet_spell_checker_set_language (f->checker, "de_DE", NULL));
  g_assert_true (signet_spell_adapter_is_pending (f->adapter));
  wait_checked (f);
  german = body_underlined (f);
  g_assert_cmpstr (german, ==, "24-29:Tesst");
}

static void
test_disable (Fixture *f, gconstpointer data)
{
  g_autofree char *off = NULL;
  g_autofree char *on = NULL;

  set_body (f, "A tpyo.");
  signet_spell_adapter_set_enabled (f->adapter, FALSE);
  off = body_underlined (f);
  g_assert_cmpstr (off, ==, "");
  signet_spell_adapter_set_enabled (f->adapter, TRUE);
  wait_checked (f);
  on = body_underlined (f);
  g_assert_cmpstr (on, ==, "2-6:tpyo");
}


/* The composer's misspelt tag: the one with an error underline. */
static void
find_underline_tag (GtkTextTag *tag, gpointer data)
{
  PangoUnderline underline;

  g_object_get (tag, "underline", &underline, NULL);
  if (underline == PANGO_UNDERLINE_ERROR)
    *(GtkTextTag **) data = tag;
}

static GtkTextTag *
find_misspelt_tag (GtkTextBuffer *buffer)
{
  GtkTextTag *tag = NULL;

  gtk_text_tag_table_foreach (gtk_text_buffer_get_tag_table (buffer), find_underline_tag, &tag);
  g_assert_nonnull (tag);
  return tag;
}

static gboolean
language_is_german (gpointer checker)
{
  return g_strcmp0 (signet_spell_checker_get_language (checker), "de_DE") == 0;
}

static gboolean
has_language (gpointer checker)
{
  return signet_spell_checker_get_language (checker) != NULL;
}

/* No idle work left: the checker has caught up. */
static gboolean
checked_any (gpointer data)
{
  return !g_main_context_pending (NULL);
}

/* The Subject's underlines, as "start-end" byte ranges of error underlines. */
static char *
entry_underlined (GtkEntry *entry)
{
  PangoAttrList *attrs = gtk_entry_get_attributes (entry);
  GString *out = g_string_new (NULL);
  g_autoptr(GSList) list = NULL;

  if (attrs != NULL)
    list = pango_attr_list_get_attributes (attrs);
  for (GSList *l = list; l != NULL; l = l->next)
    {
      PangoAttribute *attr = l->data;

      if (attr->klass->type == PANGO_ATTR_UNDERLINE && ((PangoAttrInt *) attr)->value == PANGO_UNDERLINE_ERROR)
        g_string_append_printf (out, "%s%u-%u", out->len ? " " : "", attr->start_index, attr->end_index);
    }
  g_slist_free_full (g_steal_pointer (&list), (GDestroyNotify) pango_attribute_destroy);
  return g_string_free (out, FALSE);
}

static void
test_subject (Fixture *f, gconstpointer data)
{
  g_autofree char *got = NULL;
  g_autofree char *items = NULL;
  g_autofree char *corrected = NULL;

  gtk_editable_set_text (GTK_EDITABLE (f->entry), "Meeting agnda for tomorow, see www.exmaple.org");
  signet_spell_entry_update (f->subject);
  got = entry_underlined (f->entry);
  g_assert_cmpstr (got, ==, "8-13 18-25");

  signet_spell_entry_prepare_menu (f->subject, 10);
  items = menu_text (signet_spell_entry_get_menu (f->subject));
  g_assert_nonnull (strstr (items, "[agenda spelling.correctagenda]"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->entry), "spelling.correct", "s", "agenda"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (f->entry)), ==, "Meeting agenda for tomorow, see www.exmaple.org");
  corrected = entry_underlined (f->entry);
  g_assert_cmpstr (corrected, ==, "19-26");
}

static void
test_subject_typing (Fixture *f, gconstpointer data)
{
  g_autofree char *typing = NULL;
  g_autofree char *left = NULL;

  gtk_widget_grab_focus (GTK_WIDGET (f->entry));
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (f->entry)))));
  for (const char *p = "Helo wrld"; *p; p++)
    {
      int pos = gtk_editable_get_position (GTK_EDITABLE (f->entry));
      gtk_editable_insert_text (GTK_EDITABLE (f->entry), p, 1, &pos);
      gtk_editable_set_position (GTK_EDITABLE (f->entry), pos);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  typing = entry_underlined (f->entry);
  g_assert_cmpstr (typing, ==, "0-4");
  gtk_widget_grab_focus (GTK_WIDGET (f->view));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  left = entry_underlined (f->entry);
  g_assert_cmpstr (left, ==, "0-4 5-9");
}


/* ---- The composer's part: actions, menus, settings ---------------------- */

/* A checker with at most one dictionary, @language, that finds every word
 * misspelt and suggests @suggestion for it. With none, as on a system (or
 * in a sandbox) without any dictionary installed. */
#define TEST_TYPE_FIXED_CHECKER (test_fixed_checker_get_type ())
G_DECLARE_FINAL_TYPE (TestFixedChecker, test_fixed_checker, TEST, FIXED_CHECKER, GObject)
struct _TestFixedChecker {
  GObject     parent_instance;
  const char *language;
  const char *suggestion;
};
static void test_fixed_checker_iface_init (SignetSpellCheckerInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE (TestFixedChecker, test_fixed_checker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_SPELL_CHECKER, test_fixed_checker_iface_init))

#define FIXED(c) ((TestFixedChecker *) (c))

static char **
one_or_none (const char *item)
{
  char **list = g_new0 (char *, 2);

  list[0] = g_strdup (item);
  return list;
}

static char **fixed_list (SignetSpellChecker *c) { return one_or_none (FIXED (c)->language); }
static gboolean fixed_has (SignetSpellChecker *c, const char *tag) { return g_strcmp0 (tag, FIXED (c)->language) == 0; }
static const char *fixed_get (SignetSpellChecker *c) { return FIXED (c)->language; }
static gboolean fixed_check (SignetSpellChecker *c, const char *w, gssize l) { return FIXED (c)->language == NULL; }
static char **fixed_suggest (SignetSpellChecker *c, const char *w, gssize l) { return one_or_none (FIXED (c)->suggestion); }
static void fixed_word (SignetSpellChecker *c, const char *w, gssize l) { }

static gboolean
fixed_set (SignetSpellChecker *c, const char *tag, GError **error)
{
  if (fixed_has (c, tag))
    return TRUE;
  g_set_error (error, SIGNET_SPELL_CHECKER_ERROR, SIGNET_SPELL_CHECKER_ERROR_NO_DICTIONARY, "none");
  return FALSE;
}

static void
fixed_set_async (SignetSpellChecker *c, const char *tag, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (c, cancellable, callback, user_data);
  GError *error = NULL;

  if (fixed_set (c, tag, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
fixed_set_finish (SignetSpellChecker *c, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_fixed_checker_iface_init (SignetSpellCheckerInterface *iface)
{
  iface->list_languages = fixed_list;
  iface->has_language = fixed_has;
  iface->set_language = fixed_set;
  iface->set_language_async = fixed_set_async;
  iface->set_language_finish = fixed_set_finish;
  iface->get_language = fixed_get;
  iface->check_word = fixed_check;
  iface->list_suggestions = fixed_suggest;
  iface->add_word = fixed_word;
  iface->ignore_word = fixed_word;
}

static void
fixed_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  g_value_set_string (value, FIXED (object)->language);
}

static void
test_fixed_checker_class_init (TestFixedCheckerClass *klass)
{
  G_OBJECT_CLASS (klass)->get_property = fixed_get_property;
  g_object_class_override_property (G_OBJECT_CLASS (klass), 1, "language");
}

static void
test_fixed_checker_init (TestFixedChecker *self)
{
}

static SignetSpellChecker *
fixed_checker_new (const char *language, const char *suggestion)
{
  TestFixedChecker *checker = g_object_new (TEST_TYPE_FIXED_CHECKER, NULL);

  checker->language = language;
  checker->suggestion = suggestion;
  return SIGNET_SPELL_CHECKER (checker);
}

static GVariant *
action_state (GActionGroup *group, const char *name)
{
  return g_action_group_get_action_state (group, name);
}

static void
test_compose_actions (Fixture *f, gconstpointer data)
{
  g_autoptr(GMenu) languages = g_menu_new ();
  g_autoptr(SignetComposeSpelling) spelling = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.signetmail.Signet");
  g_autoptr(GVariant) enabled = NULL;
  g_autoptr(GVariant) language = NULL;
  g_autoptr(GVariant) german = NULL;
  g_autoptr(GVariant) off = NULL;
  g_autofree char *items = NULL;
  g_autofree char *body = NULL;
  g_autofree char *body_de = NULL;
  g_autofree char *body_off = NULL;
  g_autofree char *subject_off = NULL;
  g_autofree char *stored = NULL;
  GActionGroup *actions;

  /* This fixture's own adapters step aside for the composer's. */
  g_clear_object (&f->adapter);
  g_clear_object (&f->subject);
  spelling = signet_compose_spelling_new (f->view, f->entry, languages, f->checker);
  actions = signet_compose_spelling_get_actions (spelling);
  g_assert_true (signet_compose_spelling_is_available (spelling));
  enabled = action_state (actions, "enabled");
  language = action_state (actions, "language");
  g_assert_true (g_variant_get_boolean (enabled));
  g_assert_true (g_action_group_get_action_enabled (actions, "enabled"));
  /* The tests run in C.UTF-8: no dictionary of the locale, so English. */
  g_assert_cmpstr (g_variant_get_string (language, NULL), ==, "en_US");

  items = menu_text (G_MENU_MODEL (languages));
  g_assert_nonnull (strstr (items, "[English (United States) spell.languageen_US]"));
  g_assert_nonnull (strstr (items, "[German (Germany) spell.languagede_DE]"));
  g_assert_nonnull (strstr (items, "[French (France) spell.languagefr_FR]"));

  gtk_text_buffer_set_text (f->buffer, "Ein Tesst, a tset.", -1);
  gtk_editable_set_text (GTK_EDITABLE (f->entry), "Ein Tesst");
  {
    GtkTextIter start;
    gtk_text_buffer_get_start_iter (f->buffer, &start);
    gtk_text_buffer_place_cursor (f->buffer, &start);
  }
  signet_test_wait_until (checked_any, f->buffer);
  body = underlined (f->buffer, find_misspelt_tag (f->buffer));
  g_assert_cmpstr (body, ==, "0-3:Ein 4-9:Tesst 13-17:tset");

  /* Another dictionary: kept in the settings, the body checked again. */
  g_action_group_change_action_state (actions, "language", g_variant_new_string ("de_DE"));
  stored = g_settings_get_string (settings, "spell-language");
  g_assert_cmpstr (stored, ==, "de_DE");
  german = action_state (actions, "language");
  g_assert_cmpstr (g_variant_get_string (german, NULL), ==, "de_DE");
  /* The dictionary loads in a thread; the body is checked again after. */
  signet_test_wait_until (language_is_german, f->checker);
  signet_test_wait_until (checked_any, f->buffer);
  body_de = underlined (f->buffer, find_misspelt_tag (f->buffer));
  g_assert_cmpstr (body_de, ==, "4-9:Tesst 13-17:tset");

  /* Check Spelling off: no underline anywhere, and it stays off. */
  g_action_group_change_action_state (actions, "enabled", g_variant_new_boolean (FALSE));
  g_assert_false (g_settings_get_boolean (settings, "spell-checking"));
  off = action_state (actions, "enabled");
  g_assert_false (g_variant_get_boolean (off));
  body_off = underlined (f->buffer, find_misspelt_tag (f->buffer));
  g_assert_cmpstr (body_off, ==, "");
  subject_off = entry_underlined (f->entry);
  g_assert_cmpstr (subject_off, ==, "");

  g_settings_reset (settings, "spell-checking");
  g_settings_reset (settings, "spell-language");
}

/* A language chosen earlier whose dictionary is gone: the locale's instead. */
static void
test_compose_language_gone (Fixture *f, gconstpointer data)
{
  g_autoptr(GMenu) languages = g_menu_new ();
  g_autoptr(SignetComposeSpelling) spelling = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.signetmail.Signet");
  g_autoptr(GVariant) language = NULL;

  g_clear_object (&f->adapter);
  g_clear_object (&f->subject);
  g_settings_set_string (settings, "spell-language", "xx_YY");
  spelling = signet_compose_spelling_new (f->view, f->entry, languages, f->checker);
  language = action_state (signet_compose_spelling_get_actions (spelling), "language");
  g_assert_cmpstr (g_variant_get_string (language, NULL), ==, "en_US");
  g_assert_true (signet_compose_spelling_is_available (spelling));
  g_settings_reset (settings, "spell-language");
}

static void
test_compose_no_dictionary (Fixture *f, gconstpointer data)
{
  g_autoptr(GMenu) languages = g_menu_new ();
  g_autoptr(SignetSpellChecker) none = fixed_checker_new (NULL, NULL);
  g_autoptr(SignetComposeSpelling) spelling = NULL;
  g_autofree char *items = NULL;
  g_autofree char *body = NULL;
  GActionGroup *actions;

  g_clear_object (&f->adapter);
  g_clear_object (&f->subject);
  spelling = signet_compose_spelling_new (f->view, f->entry, languages, none);
  actions = signet_compose_spelling_get_actions (spelling);
  g_assert_false (signet_compose_spelling_is_available (spelling));
  g_assert_false (g_action_group_get_action_enabled (actions, "enabled"));
  g_assert_false (g_action_group_get_action_enabled (actions, "language"));
  items = menu_text (G_MENU_MODEL (languages));
  g_assert_cmpstr (items, ==, "[No Dictionaries Installed spell.language]");

  gtk_text_buffer_set_text (f->buffer, "A tset.", -1);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  body = underlined (f->buffer, find_misspelt_tag (f->buffer));
  g_assert_cmpstr (body, ==, "");
}

/* Menus read "_" as a mnemonic: a dictionary named by its tag and a
 * suggested word keep their underscores (doubled in the label), and the
 * word put in is the word. */
static void
test_compose_underscores (Fixture *f, gconstpointer data)
{
  g_autoptr(GMenu) languages = g_menu_new ();
  g_autoptr(GMenu) corrections = g_menu_new ();
  /* A tag Signet has no name for, and a word like "snake_case". */
  g_autoptr(SignetSpellChecker) checker = fixed_checker_new ("nso_ZA", "snake_case");
  g_autoptr(SignetComposeSpelling) spelling = NULL;
  g_autofree char *items = NULL;
  g_autofree char *suggested = NULL;

  g_clear_object (&f->adapter);
  g_clear_object (&f->subject);
  spelling = signet_compose_spelling_new (f->view, f->entry, languages, checker);
  items = menu_text (G_MENU_MODEL (languages));
  g_assert_cmpstr (items, ==, "[nso__ZA spell.languagenso_ZA]");

  signet_spell_menu_fill (corrections, checker, "snakecase");
  suggested = menu_text (G_MENU_MODEL (corrections));
  g_assert_nonnull (strstr (suggested, "[snake__case spelling.correctsnake_case]"));
}

/* The window's menu is put in its button after the window's first frame. */
static gboolean
menu_lists_languages (gpointer data)
{
  GMenuModel *model = gtk_menu_button_get_menu_model (data);
  g_autofree char *menu = model != NULL ? menu_text_with_submenus (model) : NULL;

  return menu != NULL && strstr (menu, "spell.languageen_US") != NULL;
}

/* The real composer: its menu has the spelling items (once the window is
 * on screen: spell checking is set up after its first frame), its body is
 * checked. */
static void
test_compose_window (Fixture *f, gconstpointer data)
{
  g_autofree char *homedir = signet_test_make_gnupghome ();
  g_autofree char *menu = NULL;
  g_autofree char *body = NULL;
  g_autofree char *off = NULL;
  g_autoptr(SignetSpellChecker) checker = NULL;
  SignetTestServices s;
  SignetComposeWindow *window;
  GtkTextView *view;
  GtkMenuButton *button;
  GtkTextIter start;

  signet_test_services_init (&s, homedir, FALSE);
  window = signet_compose_window_new (NULL, s.operation, s.network, "Signet Demo <demo@example.org>");
  gtk_window_present (GTK_WINDOW (window));
  view = GTK_TEXT_VIEW (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, "body_view"));
  button = GTK_MENU_BUTTON (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, "menu_button"));

  signet_test_wait_until (menu_lists_languages, button);
  menu = menu_text_with_submenus (gtk_menu_button_get_menu_model (button));
  g_assert_nonnull (strstr (menu, "[_Check Spelling spell.enabled]"));
  g_assert_nonnull (strstr (menu, "[English (United States) spell.languageen_US]"));

  /* The checker every composer shares: its dictionary loads in a thread. */
  checker = signet_compose_spelling_dup_shared_checker ();
  signet_test_wait_until (has_language, checker);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), "Thanks for the mesage.", -1);
  gtk_text_buffer_get_start_iter (gtk_text_view_get_buffer (view), &start);
  gtk_text_buffer_place_cursor (gtk_text_view_get_buffer (view), &start);
  signet_test_wait_until (checked_any, NULL);
  body = underlined (gtk_text_view_get_buffer (view), find_misspelt_tag (gtk_text_view_get_buffer (view)));
  g_assert_cmpstr (body, ==, "15-21:mesage");

  /* Check Spelling, from the window's menu. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "spell.enabled", NULL));
  off = underlined (gtk_text_view_get_buffer (view), find_misspelt_tag (gtk_text_view_get_buffer (view)));
  g_assert_cmpstr (off, ==, "");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "spell.enabled", NULL));

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  signet_test_services_clear (&s);
  signet_test_remove_gnupghome (g_steal_pointer (&homedir));
}

int
main (int argc, char *argv[])
{
  int ret;

  config_dir = signet_test_make_tmpdir ();
  g_setenv ("ENCHANT_CONFIG_DIR", config_dir, TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
#define ADD(path, fn) \
  g_test_add ("/spell-adapter/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("underline", test_underline);
  ADD ("edit", test_edit);
  ADD ("addresses-quotes", test_addresses_quotes);
  ADD ("quote-toggled", test_quote_toggled);
  ADD ("typing", test_typing);
  ADD ("long-body", test_long_body);
  ADD ("menu", test_menu);
  ADD ("add-to-dictionary", test_add_to_dictionary);
  ADD ("ignore", test_ignore);
  ADD ("language-switch", test_language_switch);
  ADD ("disable", test_disable);
  ADD ("subject", test_subject);
  ADD ("subject-typing", test_subject_typing);
  ADD ("compose/actions", test_compose_actions);
  ADD ("compose/language-gone", test_compose_language_gone);
  ADD ("compose/no-dictionary", test_compose_no_dictionary);
  ADD ("compose/underscores", test_compose_underscores);
  ADD ("compose/window", test_compose_window);
#undef ADD
  ret = g_test_run ();
  signet_test_remove_tree (config_dir);
  g_free (config_dir);
  return ret;
}
