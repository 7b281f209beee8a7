/* Which messages say that something is attached: whole words and phrases,
 * any case, in the subject or the body's own lines; never in quoted lines
 * or the signature. */
#include <glib.h>

#include "signet-attachment-reminder.h"

static void
assert_finds (const char *subject, const char *body, const char *word)
{
  g_autofree char *found = signet_attachment_reminder_find (subject, body);

  if (g_strcmp0 (found, word) != 0)
    g_error ("subject %s, body %s: found %s, expected %s", subject, body, found, word);
}

static void
test_words (void)
{
  assert_finds ("", "Please find the report attached.", "attached");
  assert_finds ("", "See the ATTACHMENT for details", "attachment");
  assert_finds ("", "Two attachments follow", "attachments");
  assert_finds ("", "I attach the contract", "attach");
  assert_finds ("", "Enclosed: the minutes", "enclosed");
  assert_finds ("Minutes attached", "Hello", "attached");
  assert_finds ("", "Line one\r\nthe plan is attached\r\n", "attached");
  /* Not as part of another word. */
  assert_finds ("", "She is unattached and detached.", NULL);
  assert_finds ("", "attachedness reattach", NULL);
  assert_finds ("", "", NULL);
  assert_finds (NULL, NULL, NULL);
}

static void
test_quotes_and_signature (void)
{
  assert_finds ("Re: minutes", "Thanks!\n\n> Please see the attached minutes.\n", NULL);
  assert_finds ("", "Thanks\n   > > see attachment\n", NULL);
  assert_finds ("", "Bye\n-- \nSent with attachments disabled\n", NULL);
  /* A quote does not hide the writer's own mention. */
  assert_finds ("", "> old text\nHere it is attached.\n", "attached");
  /* "--" without the space is not a signature separator. */
  assert_finds ("", "Bye\n--\nattached\n", "attached");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/attachment-reminder/words", test_words);
  g_test_add_func ("/attachment-reminder/quotes-and-signature", test_quotes_and_signature);
  return g_test_run ();
}
