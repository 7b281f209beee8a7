#include <glib.h>
#include <string.h>

#include "signet-enchant-checker.h"
#include "signet-spell-words.h"
#include "signet-test-util.h"

/* enchant-2 for real, with the hunspell en_US dictionary; the personal
 * dictionary lives in a temporary ENCHANT_CONFIG_DIR per test. */

typedef struct {
  char               *config;
  SignetSpellChecker *checker;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->config = signet_test_make_tmpdir ();
  g_setenv ("ENCHANT_CONFIG_DIR", f->config, TRUE);
  f->checker = signet_enchant_checker_new ();
  g_assert_true (signet_spell_checker_set_language (f->checker, "en_US", NULL));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->checker);
  signet_test_remove_tree (f->config);
  g_free (f->config);
}

static gboolean
contains (char **list, const char *word)
{
  return list != NULL && g_strv_contains ((const char *const *) list, word);
}

static void
test_misspelt (Fixture *f, gconstpointer data)
{
  g_auto(GStrv) suggestions = NULL;

  g_assert_cmpstr (signet_spell_checker_get_language (f->checker), ==, "en_US");
  g_assert_true (signet_spell_checker_check_word (f->checker, "message", -1));
  g_assert_true (signet_spell_checker_check_word (f->checker, "don't", -1));
  g_assert_false (signet_spell_checker_check_word (f->checker, "mesage", -1));
  g_assert_false (signet_spell_checker_check_word (f->checker, "recieve", -1));
  /* A length limits the word. */
  g_assert_true (signet_spell_checker_check_word (f->checker, "messagexyz", 7));

  suggestions = signet_spell_checker_list_suggestions (f->checker, "recieve", -1);
  g_assert_true (contains (suggestions, "receive"));
}

static void
test_add_persists (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetSpellChecker) second = NULL;
  g_autoptr(SignetSpellChecker) fresh = NULL;
  g_autofree char *dic = g_build_filename (f->config, "en_US.dic", NULL);
  g_autofree char *contents = NULL;
  guint changed = 0;

  g_signal_connect_swapped (f->checker, "words-changed", G_CALLBACK (g_atomic_int_inc), &changed);
  g_assert_false (signet_spell_checker_check_word (f->checker, "Signetmail", -1));
  signet_spell_checker_add_word (f->checker, "Signetmail", -1);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_true (signet_spell_checker_check_word (f->checker, "Signetmail", -1));

  /* On disk, in enchant's personal dictionary of the language. */
  g_assert_true (g_file_get_contents (dic, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "Signetmail"));

  /* A checker made afterwards, as the next start of the program. */
  g_clear_object (&f->checker);
  fresh = signet_enchant_checker_new ();
  g_assert_true (signet_spell_checker_set_language (fresh, "en_US", NULL));
  g_assert_true (signet_spell_checker_check_word (fresh, "Signetmail", -1));

  /* Another language's dictionary is not changed by it. */
  second = signet_enchant_checker_new ();
  g_assert_true (signet_spell_checker_set_language (second, "de_DE", NULL));
  g_assert_false (signet_spell_checker_check_word (second, "Signetmail", -1));
}

static void
test_ignore_session (Fixture *f, gconstpointer data)
{
  g_autoptr(SignetSpellChecker) fresh = NULL;
  g_autofree char *dic = g_build_filename (f->config, "en_US.dic", NULL);
  guint changed = 0;

  g_signal_connect_swapped (f->checker, "words-changed", G_CALLBACK (g_atomic_int_inc), &changed);
  g_assert_false (signet_spell_checker_check_word (f->checker, "Qwzzyx", -1));
  signet_spell_checker_ignore_word (f->checker, "Qwzzyx", -1);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_true (signet_spell_checker_check_word (f->checker, "Qwzzyx", -1));

  fresh = signet_enchant_checker_new ();
  g_assert_true (signet_spell_checker_set_language (fresh, "en_US", NULL));
  g_assert_false (signet_spell_checker_check_word (fresh, "Qwzzyx", -1));
  if (g_file_test (dic, G_FILE_TEST_EXISTS))
    {
      g_autofree char *contents = NULL;
      g_assert_true (g_file_get_contents (dic, &contents, NULL, NULL));
      g_assert_null (strstr (contents, "Qwzzyx"));
    }
}

static void
test_languages (Fixture *f, gconstpointer data)
{
  g_auto(GStrv) languages = signet_spell_checker_list_languages (f->checker);
  g_autofree char *en = signet_spell_language_name ("en_US");
  g_autofree char *de = signet_spell_language_name ("de_DE");
  g_autofree char *fr = signet_spell_language_name ("fr");
  g_autofree char *odd = signet_spell_language_name ("xx_YY");

  g_assert_true (contains (languages, "en_US"));
  g_assert_true (signet_spell_checker_has_language (f->checker, "en_US"));
  g_assert_cmpstr (en, ==, "English (United States)");
  g_assert_cmpstr (de, ==, "German (Germany)");
  g_assert_cmpstr (fr, ==, "French");
  g_assert_cmpstr (odd, ==, "xx_YY");
  /* Sorted, no tag twice. */
  for (guint i = 1; languages[i] != NULL; i++)
    g_assert_cmpint (strcmp (languages[i - 1], languages[i]), <, 0);
}

static void
test_unknown_language (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetSpellChecker) none = signet_enchant_checker_new ();
  g_auto(GStrv) suggestions = NULL;

  g_assert_false (signet_spell_checker_has_language (f->checker, "xx_YY"));
  g_assert_false (signet_spell_checker_set_language (f->checker, "xx_YY", &error));
  g_assert_error (error, SIGNET_SPELL_CHECKER_ERROR, SIGNET_SPELL_CHECKER_ERROR_NO_DICTIONARY);
  /* The language in use stays. */
  g_assert_cmpstr (signet_spell_checker_get_language (f->checker), ==, "en_US");
  g_assert_false (signet_spell_checker_check_word (f->checker, "mesage", -1));

  /* Without any language nothing is flagged and nothing is suggested. */
  g_assert_null (signet_spell_checker_get_language (none));
  g_assert_true (signet_spell_checker_check_word (none, "mesage", -1));
  suggestions = signet_spell_checker_list_suggestions (none, "mesage", -1);
  g_assert_cmpuint (g_strv_length (suggestions), ==, 0);
}

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Loading;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Loading *loading = data;

  loading->ok = signet_spell_checker_set_language_finish (SIGNET_SPELL_CHECKER (source), result, &loading->error);
  loading->done = TRUE;
}

static void
wait_loaded (Loading *loading)
{
  while (!loading->done)
    g_main_context_iteration (NULL, TRUE);
}

/* A dictionary loads in a thread: the language changes when it is there,
 * the checker goes on checking with the old one until then, and of two
 * loads the one asked for last wins. */
static void
test_load_async (Fixture *f, gconstpointer data)
{
  Loading german = { 0 }, french = { 0 }, english = { 0 }, unknown = { 0 };
  guint notified = 0;

  g_signal_connect_swapped (f->checker, "notify::language", G_CALLBACK (g_atomic_int_inc), &notified);
  signet_spell_checker_ignore_word (f->checker, "Kwyjibo", -1);
  signet_spell_checker_set_language_async (f->checker, "de_DE", NULL, on_loaded, &german);
  g_assert_false (german.done);
  g_assert_cmpstr (signet_spell_checker_get_language (f->checker), ==, "en_US");
  g_assert_false (signet_spell_checker_check_word (f->checker, "Fehlerr", -1));
  wait_loaded (&german);
  g_assert_no_error (german.error);
  g_assert_true (german.ok);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpstr (signet_spell_checker_get_language (f->checker), ==, "de_DE");
  g_assert_true (signet_spell_checker_check_word (f->checker, "Straße", -1));
  g_assert_false (signet_spell_checker_check_word (f->checker, "Fehlerr", -1));
  /* Ignored in this session: in every language. */
  g_assert_true (signet_spell_checker_check_word (f->checker, "Kwyjibo", -1));

  signet_spell_checker_set_language_async (f->checker, "fr_FR", NULL, on_loaded, &french);
  signet_spell_checker_set_language_async (f->checker, "en_US", NULL, on_loaded, &english);
  wait_loaded (&french);
  wait_loaded (&english);
  g_assert_error (french.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (english.error);
  g_assert_cmpstr (signet_spell_checker_get_language (f->checker), ==, "en_US");

  signet_spell_checker_set_language_async (f->checker, "xx_YY", NULL, on_loaded, &unknown);
  wait_loaded (&unknown);
  g_assert_error (unknown.error, SIGNET_SPELL_CHECKER_ERROR, SIGNET_SPELL_CHECKER_ERROR_NO_DICTIONARY);
  g_assert_cmpstr (signet_spell_checker_get_language (f->checker), ==, "en_US");
  g_clear_error (&french.error);
  g_clear_error (&unknown.error);
}

static void
test_pick_language (Fixture *f, gconstpointer data)
{
  const char *german[] = { "de_DE.UTF-8", "de_DE", "de.UTF-8", "de", "C", NULL };
  const char *unknown[] = { "xx_YY.UTF-8", "xx_YY", "xx", "C", NULL };
  const char *c[] = { "C.UTF-8", "C", NULL };
  g_autofree char *de = signet_spell_checker_pick_language (f->checker, german);
  g_autofree char *fallback = signet_spell_checker_pick_language (f->checker, unknown);
  g_autofree char *plain = signet_spell_checker_pick_language (f->checker, c);

  g_assert_cmpstr (de, ==, "de_DE");
  g_assert_cmpstr (fallback, ==, "en_US");
  g_assert_cmpstr (plain, ==, "en_US");
}

/* The words the scanner hands to the checker. */
static char *
words_of (const char *text)
{
  SignetSpellWords words;
  GString *out = g_string_new (NULL);
  gsize start, end;

  signet_spell_words_init (&words, text, strlen (text), TRUE, FALSE);
  while (signet_spell_words_next (&words, &start, &end))
    g_string_append_printf (out, "%s%.*s", out->len ? "|" : "", (int) (end - start), text + start);
  return g_string_free (out, FALSE);
}

static void
test_words (void)
{
  const struct { const char *text, *words; } cases[] = {
    { "Helo wrld, don't!", "Helo|wrld|don't" },
    { "see https://exmaple.org/pth?q=abc and www.exmaple.com", "see|and" },
    { "write to aliec@exmaple.org.", "write|to" },
    { "> quoetd line\nmy answr\n>> more qutoe", "my|answr" },
    { "abc123 x86 'quotd' rock'n'roll", "quotd|rock'n'roll" },
    { "Grüße, naïve café", "Grüße|naïve|café" },
    { "well-knwon", "well|knwon" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = words_of (cases[i].text);
      g_assert_cmpstr (got, ==, cases[i].words);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/spell-checker/misspelt", Fixture, NULL, fixture_setup, test_misspelt, fixture_teardown);
  g_test_add ("/spell-checker/add-persists", Fixture, NULL, fixture_setup, test_add_persists, fixture_teardown);
  g_test_add ("/spell-checker/ignore-session", Fixture, NULL, fixture_setup, test_ignore_session, fixture_teardown);
  g_test_add ("/spell-checker/languages", Fixture, NULL, fixture_setup, test_languages, fixture_teardown);
  g_test_add ("/spell-checker/unknown-language", Fixture, NULL, fixture_setup, test_unknown_language, fixture_teardown);
  g_test_add ("/spell-checker/load-async", Fixture, NULL, fixture_setup, test_load_async, fixture_teardown);
  g_test_add ("/spell-checker/pick-language", Fixture, NULL, fixture_setup, test_pick_language, fixture_teardown);
  g_test_add_func ("/spell-checker/words", test_words);
  return g_test_run ();
}
