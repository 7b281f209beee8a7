#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIGNET_SPELL_CHECKER_ERROR (signet_spell_checker_error_quark ())

typedef enum {
  SIGNET_SPELL_CHECKER_ERROR_NO_DICTIONARY,
} SignetSpellCheckerError;

GQuark signet_spell_checker_error_quark (void);

/* Checks words against the dictionary of one language at a time, with the
 * user's personal dictionary and the words ignored in this session. Knows
 * nothing of widgets: the GTK layer asks it about words and shows the
 * answers. Implemented with enchant-2 (SignetEnchantChecker); another
 * library can take its place behind this interface.
 *
 * Properties: "language" (the tag in use, NULL when none is). Signals:
 * "words-changed", when a word was added or ignored and text checked
 * before may now be judged differently. */
#define SIGNET_TYPE_SPELL_CHECKER (signet_spell_checker_get_type ())
G_DECLARE_INTERFACE (SignetSpellChecker, signet_spell_checker, SIGNET, SPELL_CHECKER, GObject)

struct _SignetSpellCheckerInterface
{
  GTypeInterface parent_iface;

  /* The tags of the installed dictionaries ("en_US", "de_DE", ...), sorted. */
  char      **(*list_languages)   (SignetSpellChecker *self);
  gboolean    (*has_language)     (SignetSpellChecker *self,
                                   const char         *tag);
  /* Loads @tag's dictionary; on failure the language in use stays. */
  gboolean    (*set_language)     (SignetSpellChecker *self,
                                   const char         *tag,
                                   GError            **error);
  /* The same, with the dictionary read and parsed off the calling thread;
   * the language changes when it finishes. Of several loads in flight the
   * last one started wins: an earlier one finishes with
   * G_IO_ERROR_CANCELLED. */
  void        (*set_language_async)  (SignetSpellChecker  *self,
                                      const char          *tag,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
  gboolean    (*set_language_finish) (SignetSpellChecker  *self,
                                      GAsyncResult        *result,
                                      GError             **error);
  const char *(*get_language)     (SignetSpellChecker *self);
  /* TRUE when @word is spelt correctly (or no language is in use). */
  gboolean    (*check_word)       (SignetSpellChecker *self,
                                   const char         *word,
                                   gssize              len);
  char      **(*list_suggestions) (SignetSpellChecker *self,
                                   const char         *word,
                                   gssize              len);
  /* Into the personal dictionary of the language in use: kept for good. */
  void        (*add_word)         (SignetSpellChecker *self,
                                   const char         *word,
                                   gssize              len);
  /* Accepted, in every language, until the checker goes away. */
  void        (*ignore_word)      (SignetSpellChecker *self,
                                   const char         *word,
                                   gssize              len);
};

char      **signet_spell_checker_list_languages   (SignetSpellChecker *self);
gboolean    signet_spell_checker_has_language     (SignetSpellChecker *self,
                                                   const char         *tag);
gboolean    signet_spell_checker_set_language     (SignetSpellChecker *self,
                                                   const char         *tag,
                                                   GError            **error);
void        signet_spell_checker_set_language_async  (SignetSpellChecker  *self,
                                                      const char          *tag,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean    signet_spell_checker_set_language_finish (SignetSpellChecker  *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
const char *signet_spell_checker_get_language     (SignetSpellChecker *self);
gboolean    signet_spell_checker_check_word       (SignetSpellChecker *self,
                                                   const char         *word,
                                                   gssize              len);
char      **signet_spell_checker_list_suggestions (SignetSpellChecker *self,
                                                   const char         *word,
                                                   gssize              len);
void        signet_spell_checker_add_word         (SignetSpellChecker *self,
                                                   const char         *word,
                                                   gssize              len);
void        signet_spell_checker_ignore_word      (SignetSpellChecker *self,
                                                   const char         *word,
                                                   gssize              len);

/* For implementations: emits "words-changed". */
void        signet_spell_checker_emit_words_changed (SignetSpellChecker *self);

/* The language to check in when the user chose none: the first of
 * @locale_names (as g_get_language_names() lists them; NULL: those of
 * LC_MESSAGES) that has a dictionary, else en_US, else the first installed
 * one; NULL when there is no dictionary at all. */
char       *signet_spell_checker_pick_language    (SignetSpellChecker *self,
                                                   const char *const  *locale_names);

/* A name for @tag a person reads ("English (United States)"), translated. */
char       *signet_spell_language_name            (const char         *tag);

G_END_DECLS
