/* The composer before its first frame is on screen, attacked: the sender's
 * key check and spell checking start only then. Sending at once, closing
 * at once, Keyboard Shortcuts outliving its composer, and dictionaries
 * changed while composers close. */
#include <adwaita.h>
#include <string.h>

#include "config.h"

#include "signet-compose-spelling.h"
#include "signet-compose-window.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

static char *homedir;

typedef struct {
  SignetTestServices   s;
  SignetComposeWindow *window;
} Fixture;

static void
open_window (Fixture *f, const char *identity, gboolean present)
{
  signet_test_services_init (&f->s, homedir, TRUE);
  f->window = signet_compose_window_new (NULL, f->s.operation, f->s.network, identity);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  if (present)
    gtk_window_present (GTK_WINDOW (f->window));
}

static void
close_all (Fixture *f)
{
  signet_ui_destroy_all_windows ();
  g_assert_null (f->window);
  signet_test_services_clear (&f->s);
}

static GtkWidget *
child (Fixture *f, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), SIGNET_TYPE_COMPOSE_WINDOW, name));
}

static void
settle (void)
{
  signet_test_run_for (1000);
}

static void
fill (Fixture *f, const char *subject)
{
  gtk_editable_set_text (GTK_EDITABLE (child (f, "to_entry")), "alice@example.org");
  gtk_editable_set_text (GTK_EDITABLE (child (f, "subject_entry")), subject);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (f, "body_view"))),
                            "Signed, please.", -1);
}

/* Every message file under the store, read. */
static void
collect (const char *dir, GString *all)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect (path, all);
      else if (strstr (path, "/Outbox/") != NULL || strstr (path, "/Sent/") != NULL)
        {
          g_autofree char *text = signet_test_read_file (path);

          g_string_append (all, text);
          g_string_append (all, "\n\f\n");
        }
    }
}

static gboolean
not_busy (gpointer data)
{
  Fixture *f = data;

  return f->window == NULL || !signet_compose_window_get_busy (f->window);
}

/* Sign asked for by a sender without a key, and Send before the window's
 * first frame (the key check has not started): nothing goes out unsigned. */
static void
test_send_unsigned_before_first_frame (void)
{
  Fixture f = { 0 };
  g_autoptr(GString) all = g_string_new (NULL);

  open_window (&f, "Nobody <nobody@example.org>", TRUE);
  g_object_set (f.window, "sign", TRUE, NULL);
  fill (&f, "Signed before the first frame");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "compose.send", NULL));
  signet_test_wait_until (not_busy, &f);
  settle ();
  collect (f.s.mail, all);
  g_assert_null (strstr (all->str, "Signed before the first frame"));
  g_assert_nonnull (f.window);
  close_all (&f);
}

/* The same from a composer never shown at all. */
static void
test_send_unsigned_never_shown (void)
{
  Fixture f = { 0 };
  g_autoptr(GString) all = g_string_new (NULL);

  open_window (&f, "Nobody <nobody@example.org>", FALSE);
  g_object_set (f.window, "sign", TRUE, NULL);
  fill (&f, "Signed but never shown");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "compose.send", NULL));
  signet_test_wait_until (not_busy, &f);
  settle ();
  collect (f.s.mail, all);
  g_assert_null (strstr (all->str, "Signed but never shown"));
  close_all (&f);
}

/* A sender with a key, Sign asked for, Send before the first frame: the
 * message goes out signed. */
static void
test_send_signed_before_first_frame (void)
{
  Fixture f = { 0 };
  g_autoptr(GString) all = g_string_new (NULL);

  open_window (&f, "Signet Demo <demo@example.org>", TRUE);
  g_object_set (f.window, "sign", TRUE, NULL);
  fill (&f, "Signed at once");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "compose.send", NULL));
  signet_test_wait_until (not_busy, &f);
  settle ();
  collect (f.s.mail, all);
  g_assert_nonnull (strstr (all->str, "Signed at once"));
  g_assert_nonnull (strstr (all->str, "multipart/signed"));
  g_assert_nonnull (strstr (all->str, "BEGIN PGP SIGNATURE"));
  close_all (&f);
}

/* Closed before its first frame, or never shown: the composer goes away
 * whole, and a later composer gets spell checking and its key check. */
static void
test_closed_before_first_frame (void)
{
  Fixture f = { 0 };

  for (guint i = 0; i < 3; i++)
    {
      open_window (&f, "Signet Demo <demo@example.org>", i != 1);
      gtk_editable_set_text (GTK_EDITABLE (child (&f, "subject_entry")), "Gone at once");
      /* The spelling actions do not exist yet: asking for them is refused,
       * not a crash. */
      g_assert_false (gtk_widget_activate_action (GTK_WIDGET (f.window), "spell.enabled", NULL));
      if (i == 2)
        gtk_widget_set_visible (GTK_WIDGET (f.window), FALSE);
      close_all (&f);
    }
}

static gboolean
has_toplevel_titled (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (g_strcmp0 (gtk_window_get_title (window), data) == 0 && gtk_widget_get_visible (GTK_WIDGET (window)))
        return TRUE;
    }
  return FALSE;
}

/* Keyboard Shortcuts, asked for twice, then its composer closes: it
 * closes with it. */
static void
test_shortcuts_close_with_composer (void)
{
  Fixture f = { 0 };
  GListModel *toplevels = gtk_window_get_toplevels ();

  open_window (&f, "Signet Demo <demo@example.org>", TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.show-help-overlay", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.show-help-overlay", NULL));
  signet_test_wait_until (has_toplevel_titled, (gpointer) "Keyboard Shortcuts");
  g_assert_cmpuint (g_list_model_get_n_items (toplevels), ==, 2);
  gtk_window_destroy (GTK_WINDOW (f.window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (f.window);
  g_assert_false (has_toplevel_titled ((gpointer) "Keyboard Shortcuts"));
  g_assert_cmpuint (g_list_model_get_n_items (toplevels), ==, 0);
  signet_test_services_clear (&f.s);
}

/* The dictionary changes while composers close and open, over and over:
 * each change and each close lets a dictionary go in the background. */
static void
test_language_change_while_closing (void)
{
  const char *tags[] = { "en_US", "de_DE", "fr_FR", "en_US" };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  for (guint round = 0; round < 6; round++)
    {
      Fixture f = { 0 };

      open_window (&f, "Signet Demo <demo@example.org>", TRUE);
      /* Past the first frame: spell checking is set up. */
      for (guint k = 0; k < 50; k++)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
      for (guint i = 0; i < G_N_ELEMENTS (tags); i++)
        {
          g_settings_set_string (settings, "spell-language", tags[(i + round) % G_N_ELEMENTS (tags)]);
          g_main_context_iteration (NULL, FALSE);
        }
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (&f, "body_view"))),
                                "Ein Satz mit Fehlern, a sentense.", -1);
      if (round % 2 == 0)
        g_usleep (20000);
      close_all (&f);
    }
  g_settings_reset (settings, "spell-language");
  settle ();
}

static void
find_underline_tag (GtkTextTag *tag, gpointer data)
{
  PangoUnderline underline = PANGO_UNDERLINE_NONE;

  g_object_get (tag, "underline", &underline, NULL);
  if (underline == PANGO_UNDERLINE_ERROR)
    *(GtkTextTag **) data = tag;
}

/* The words of @buffer that are underlined as misspelt, space-separated. */
static char *
misspelt_words (GtkTextBuffer *buffer)
{
  GtkTextTag *tag = NULL;
  GString *out = g_string_new (NULL);
  GtkTextIter iter;

  gtk_text_tag_table_foreach (gtk_text_buffer_get_tag_table (buffer), find_underline_tag, &tag);
  if (tag == NULL)
    return g_string_free (out, FALSE);
  gtk_text_buffer_get_start_iter (buffer, &iter);
  if (!gtk_text_iter_starts_tag (&iter, tag))
    gtk_text_iter_forward_to_tag_toggle (&iter, tag);
  while (!gtk_text_iter_is_end (&iter))
    {
      GtkTextIter end = iter;
      g_autofree char *word = NULL;

      gtk_text_iter_forward_to_tag_toggle (&end, tag);
      word = gtk_text_iter_get_text (&iter, &end);
      g_string_append_printf (out, "%s%s", out->len ? " " : "", word);
      iter = end;
      gtk_text_iter_forward_to_tag_toggle (&iter, tag);
    }
  return g_string_free (out, FALSE);
}

static gboolean
body_flags_mesage (gpointer data)
{
  g_autofree char *words = misspelt_words (data);

  return g_strcmp0 (words, "mesage") == 0;
}

/* Text that is in the body before the first frame (a draft reopened, a
 * mailto: link) is checked once spell checking starts: in the first
 * composer, and in a second one whose dictionary is already loaded. */
static void
test_text_before_first_frame_checked (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  Fixture f[2] = { { { 0 } } };

  g_settings_set_string (settings, "spell-language", "en_US");
  for (guint i = 0; i < 2; i++)
    {
      GtkTextBuffer *buffer;

      open_window (&f[i], "Signet Demo <demo@example.org>", FALSE);
      buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (&f[i], "body_view")));
      gtk_text_buffer_set_text (buffer, "Thanks for the mesage.", -1);
      gtk_window_present (GTK_WINDOW (f[i].window));
      signet_test_wait_until (body_flags_mesage, buffer);
    }
  close_all (&f[1]);
  g_assert_null (f[0].window);
  signet_test_services_clear (&f[0].s);
  g_settings_reset (settings, "spell-language");
  /* The closed composers' dictionaries are freed in the background; the
   * process does not end while that runs (there is nothing to wait on). */
  settle ();
}

int
main (int argc, char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  homedir = signet_test_make_gnupghome ();
  g_test_add_func ("/perf-hostile/compose/send-unsigned-before-first-frame", test_send_unsigned_before_first_frame);
  g_test_add_func ("/perf-hostile/compose/send-unsigned-never-shown", test_send_unsigned_never_shown);
  g_test_add_func ("/perf-hostile/compose/send-signed-before-first-frame", test_send_signed_before_first_frame);
  g_test_add_func ("/perf-hostile/compose/closed-before-first-frame", test_closed_before_first_frame);
  g_test_add_func ("/perf-hostile/compose/shortcuts-close-with-composer", test_shortcuts_close_with_composer);
  g_test_add_func ("/perf-hostile/compose/language-change-while-closing", test_language_change_while_closing);
  g_test_add_func ("/perf-hostile/compose/text-before-first-frame-checked", test_text_before_first_frame_checked);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
