#include <string.h>

#include "signet-errors.h"
#include "signet-mailto.h"

static char *
joined (SignetMessage *m, SignetRecipientKind kind)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < signet_message_get_n_recipients (m, kind); i++)
    g_string_append_printf (out, "%s%s", i ? "," : "", signet_message_get_recipient (m, kind, i)->email);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_rfc6068_examples (void)
{
  struct {
    const char *uri, *to, *cc, *bcc, *subject, *body;
  } cases[] = {
    { "mailto:chris@example.com", "chris@example.com", "", "", "", "" },
    { "mailto:infobot@example.com?subject=current-issue", "infobot@example.com", "", "", "current-issue", "" },
    { "mailto:infobot@example.com?body=send%20current-issue", "infobot@example.com", "", "", "", "send current-issue" },
    { "mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index", "infobot@example.com", "", "", "", "send current-issue\nsend index" },
    { "mailto:joe@example.com?cc=bob@example.com&body=hello", "joe@example.com", "bob@example.com", "", "", "hello" },
    { "mailto:?to=joe@example.com&cc=bob@example.com&body=hello", "joe@example.com", "bob@example.com", "", "", "hello" },
    { "mailto:gorby%25kremvax@example.com", "gorby%kremvax@example.com", "", "", "", "" },
    { "mailto:addr1@an.example,addr2@an.example", "addr1@an.example,addr2@an.example", "", "", "", "" },
    { "mailto:?to=addr1@an.example,addr2@an.example", "addr1@an.example,addr2@an.example", "", "", "", "" },
    { "mailto:addr1@an.example?to=addr2@an.example", "addr1@an.example,addr2@an.example", "", "", "", "" },
    { "MAILTO:bob@example.org?SUBJECT=Hi&Cc=carol@example.org&bcc=dave@example.org", "bob@example.org", "carol@example.org", "dave@example.org", "Hi", "" },
    { "mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D", "user@example.org", "", "", "=?utf-8?Q?caf=C3=A9?=", "" },
    { "mailto:user@example.org?subject=caf%C3%A9%20%E2%80%93%20ok", "user@example.org", "", "", "café – ok", "" },
    { "mailto:bob@example.org?attach=/etc/passwd&attachment=file:///etc/shadow&subject=x", "bob@example.org", "", "", "x", "" },
    { "mailto:bob@example.org?subject=a+b", "bob@example.org", "", "", "a+b", "" },
    /* A mailto: path is opaque: no dot segments are removed from it. */
    { "mailto:a/./b@example.org", "a/./b@example.org", "", "", "", "" },
    { "mailto:a@example.org?subject=a%26b%3Dc&body=x=y&", "a@example.org", "", "", "a&b=c", "x=y" },
    { "mailto:?to=Bob%20%3Cbob@example.org%3E,%22Smith,%20C.%22%20%3Ccarol@example.org%3E", "bob@example.org,carol@example.org", "", "", "", "" },
    { "mailto:a@example.org?body=one%0Dtwo%0Athree%0D%0A%09four", "a@example.org", "", "", "", "one\ntwo\nthree\n\tfour" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SignetMessage) m = signet_mailto_parse (cases[i].uri, &error);
      g_autofree char *to = NULL, *cc = NULL, *bcc = NULL;

      g_test_message ("%s", cases[i].uri);
      g_assert_no_error (error);
      to = joined (m, SIGNET_RECIPIENT_TO);
      cc = joined (m, SIGNET_RECIPIENT_CC);
      bcc = joined (m, SIGNET_RECIPIENT_BCC);
      g_assert_cmpstr (to, ==, cases[i].to);
      g_assert_cmpstr (cc, ==, cases[i].cc);
      g_assert_cmpstr (bcc, ==, cases[i].bcc);
      g_assert_cmpstr (signet_message_get_subject (m), ==, cases[i].subject);
      g_assert_cmpstr (signet_message_get_body (m), ==, cases[i].body);
      g_assert_cmpuint (g_list_model_get_n_items (signet_message_get_attachments (m)), ==, 0);
    }
}

static void
test_hostile (void)
{
  g_autofree char *huge = NULL;
  g_autoptr(GError) crlf_error = NULL;
  const char *bad[] = {
    "mailto:bob@example.org?subject=Hi%0D%0ABcc:%20eve@example.org",
    "mailto:bob@example.org?subject=Hi%0ABcc:eve@example.org",
    "mailto:bob@example.org%0D%0ABcc:eve@example.org",
    "mailto:?cc=carol@example.org%0ABcc:eve@example.org",
    "mailto:bob@example.org?subject=%ZZ",
    "mailto:bob@example.org?subject=%E",
    "mailto:bob@example.org?subject=%C3%28",
    "mailto:bob@example.org?subject=%00",
    "mailto:bob@example.org?body=%07bell",
    "mailto:not-an-address",
    "mailto:bob@example.org?subject",
    "mailto:bob@example.org?=x",
    "http://example.org/",
    "",
    /* A '#' must be encoded in a mailto: link; what follows it would be lost. */
    "mailto:bob@example.org?subject=C#x",
    "mailto:bob@example.org#",
    "mailto://example.org/bob@example.org",
    "mailto:bob@example.org%00",
    "mailto:bob@example.org?subject=a&&body=b",
    /* Each field is parsed on its own: a quote opened in one cannot swallow the next. */
    "mailto:?to=%22Bob&to=x%22%20%3Ceve@example.org%3E",
    "mailto:?to=%22Bob&cc=x%22%20%3Ceve@example.org%3E",
    /* Encoded words a mail program would decode into a line break. */
    "mailto:bob@example.org?subject=%3D%3Futf-8%3Fq%3FHi%3D0D%3D0ABcc%3A_eve%40example.org%3F%3D",
    "mailto:bob@example.org?subject=%0A&subject=Hi",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SignetMessage) m = signet_mailto_parse (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (m);
      g_assert_error (error, SIGNET_MAILTO_ERROR, SIGNET_MAILTO_ERROR_INVALID);
      g_assert_cmpstr (error->message, !=, "");
    }

  g_assert_null (signet_mailto_parse ("mailto:bob@example.org?subject=Hi%0D%0ABcc:%20eve@example.org", &crlf_error));
  g_assert_cmpstr (crlf_error->message, ==, "The link’s subject contains line breaks or control characters.");

  huge = g_strnfill (SIGNET_MAILTO_MAX_LENGTH + 1, 'a');
  memcpy (huge, "mailto:x@example.org?body=", 26);
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (signet_mailto_parse (huge, &error));
    g_assert_cmpstr (error->message, ==, "The link is too long.");
  }
}

/* Random links, many of them hostile: the parser never crashes, and whatever
 * it accepts has no control character in any header. */
static void
test_fuzz (void)
{
  static const char *pieces[] = {
    "mailto:", "?", "&", "=", "to", "cc", "bcc", "subject", "body", "attach", "@", ".", ",",
    "%", "%0D", "%0A", "%00", "%25", "%C3%A9", "%FF", "%E2%80", "a", "b@example.org", " ", "+",
    "\r", "\n", "\t", "<", ">", "\"", "(", ")", "\\", ";", ":", "é", "%3D", "%26", "%3F",
  };
  guint accepted = 0;

  for (guint n = 0; n < 20000; n++)
    {
      g_autoptr(GString) uri = g_string_new (g_test_rand_bit () ? "mailto:" : "");
      g_autoptr(GError) error = NULL;
      g_autoptr(SignetMessage) m = NULL;
      guint len = g_test_rand_int_range (0, 24);

      for (guint i = 0; i < len; i++)
        g_string_append (uri, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
      m = signet_mailto_parse (uri->str, &error);
      if (m == NULL)
        {
          g_assert_nonnull (error);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
          continue;
        }
      accepted++;
      g_assert_no_error (error);
      g_assert_true (signet_header_check (signet_message_get_subject (m), NULL));
      g_assert_true (g_utf8_validate (signet_message_get_body (m), -1, NULL));
      for (guint i = 0; i < signet_message_get_n_recipients (m, SIGNET_RECIPIENT_TO); i++)
        g_assert_true (signet_address_is_valid_email (signet_message_get_recipient (m, SIGNET_RECIPIENT_TO, i)->email));
    }
  g_test_message ("%u of 20000 random links accepted", accepted);
  g_assert_cmpuint (accepted, >, 0);
}

/* Any subject and body a user could type survive encoding into a link. */
static void
test_roundtrip (void)
{
  static const char *words[] = { "Grüße", "a&b", "x=y", "50%", "?", "#tag", "😀", "line\nbreak", " ", "+" };

  for (guint n = 0; n < 500; n++)
    {
      g_autoptr(GString) subject = g_string_new (NULL);
      g_autoptr(GString) body = g_string_new (NULL);
      g_autofree char *esubject = NULL, *ebody = NULL, *uri = NULL;
      g_autoptr(SignetMessage) m = NULL;
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < 6; i++)
        {
          const char *w = words[g_test_rand_int_range (0, G_N_ELEMENTS (words))];
          g_string_append (body, w);
          if (strchr (w, '\n') == NULL)
            g_string_append (subject, w);
        }
      esubject = g_uri_escape_string (subject->str, NULL, FALSE);
      ebody = g_uri_escape_string (body->str, NULL, FALSE);
      uri = g_strdup_printf ("mailto:alice@example.org?subject=%s&body=%s", esubject, ebody);
      m = signet_mailto_parse (uri, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (signet_message_get_subject (m), ==, subject->str);
      g_assert_cmpstr (signet_message_get_body (m), ==, body->str);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mailto/rfc6068-examples", test_rfc6068_examples);
  g_test_add_func ("/mailto/hostile", test_hostile);
  g_test_add_func ("/mailto/fuzz", test_fuzz);
  g_test_add_func ("/mailto/roundtrip", test_roundtrip);
  return g_test_run ();
}
