#include <string.h>

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-gmime.h"

static void
test_parse_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const SignetAddress *a;

  list = signet_address_parse_list ("Alice Demo <alice@example.org>, bob@example.org,\"Carol, C.\" <carol@example.org>, "
                                    /* Every atext character; "=?" would start an encoded word. */
                                    "!#$%&'*+-/?^_`{|}~=@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  a = g_ptr_array_index (list, 0);
  g_assert_cmpstr (a->name, ==, "Alice Demo");
  g_assert_cmpstr (a->email, ==, "alice@example.org");
  a = g_ptr_array_index (list, 1);
  g_assert_null (a->name);
  g_assert_cmpstr (a->email, ==, "bob@example.org");
  a = g_ptr_array_index (list, 2);
  g_assert_cmpstr (a->name, ==, "Carol, C.");
  g_assert_cmpstr (a->email, ==, "carol@example.org");
}

static void
test_parse_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = signet_address_parse_list ("   ", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
}

static void
test_invalid (void)
{
  const char *bad[] = { "bob", "bob@", "@example.org", "a..b@example.org", ".a@example.org",
                        "a@example..org", "a@-example.org", "a@exa mple.org", "alice@example.org, carol",
                        "a@b@c", "ali\tce@example.org",
                        "b=?utf-8?q?=0D=0A?=ob@example.org", "Bob <=?utf-8?q?x?=@example.org>",
                        "!#$%&'*+-/=?^_`{|}~=?utf-8?q?=0D=0A?=@example.org",
                        "a@\xe2\x80\x8b", "\xe2\x80\x8b@\xe2\x80\x8b", "a@\xc2\xa0.org", "a@x_y.org" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = signet_address_parse_list (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (list);
      g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID);
      g_assert_true (g_str_has_suffix (error->message, "is not a valid email address."));
    }
}

static void
test_header_injection (void)
{
  const char *bad[] = { "alice@example.org\r\nBcc: eve@example.org", "alice@example.org\nX: y",
                        "alice@example.org\r", "a\x7f@example.org", "a\xc2\x85@example.org" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = signet_address_parse_list (bad[i], &error);

      g_assert_null (list);
      g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_CONTROL_CHARACTER);
      g_assert_cmpstr (error->message, ==, "Line breaks and control characters are not allowed here.");
    }
  g_assert_false (signet_header_check ("Hello\r\nBcc: eve@example.org", NULL));
  g_assert_false (signet_header_check ("\xff\xfe", NULL));
  g_assert_true (signet_header_check ("Grüße — ok", NULL));
}

static void
test_parse_single (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetAddress) a = signet_address_parse ("Signet Demo <demo@example.org>", &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = signet_address_to_string (a);
  g_assert_cmpstr (text, ==, "Signet Demo <demo@example.org>");

  g_assert_null (signet_address_parse ("a@example.org, b@example.org", &error));
  g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (signet_address_parse ("", &error));
  g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_EMPTY);
}

/* @list is refused with @code, in a message that has @part. */
static void
assert_refused (const char *list, gint code, const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parsed = signet_address_parse_list (list, &error);

  g_test_message ("%s", list);
  g_assert_null (parsed);
  g_assert_error (error, SIGNET_ADDRESS_ERROR, code);
  g_assert_nonnull (strstr (error->message, part));
}

/* Text GMime's lenient parser would silently drop or reinterpret: the whole
 * list is refused, and the message names the part. */
static void
test_vanishing (void)
{
  static const struct {
    const char *list;
    const char *part;
  } cases[] = {
    { "bob\\@example.org, carol@example.org", "“bob\\@example.org”" },
    { "a@b@c", "“a@b@c”" },
    { "Bob <bob@example.org> carol@example.org", "“Bob <bob@example.org> carol@example.org”" },
    { "<a@b.org> <c@d.org>", "“<a@b.org> <c@d.org>”" },
    { "a@b.org <c@d.org>", "“a@b.org <c@d.org>”" },
    { "(comment) , x@y.org", "“(comment)”" },
    { "x@y.org, (comment)", "“(comment)”" },
    { "friends: a@b.org;", "“friends: a@b.org;”" },
    { "x@y.org, \"Bob <bob@example.org>", "“\"Bob <bob@example.org>”" },
    { "Bob (x <bob@example.org>, x@y.org", "“Bob (x <bob@example.org>, x@y.org”" },
    { "Bob <bob@example.org, x@y.org", "“Bob <bob@example.org, x@y.org”" },
    { "Bob bob@example.org>", "“Bob bob@example.org>”" },
    { "Bob <<bob@example.org>>", "“Bob <<bob@example.org>>”" },
    { "bob@example.org carol", "“bob@example.org carol”" },
    { "carol bob@example.org", "“carol bob@example.org”" },
    { "<a@b.org> junk", "“<a@b.org> junk”" },
    { "Bob <bob@example.org> (c) junk", "“Bob <bob@example.org> (c) junk”" },
    { "Bob <(x)bob@example.org>", "“Bob <(x)bob@example.org>”" },
    { "bob@example.org.", "“bob@example.org.”" },
    { "x@y.org, bob@example.org.", "“bob@example.org.”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_refused (cases[i].list, SIGNET_ADDRESS_ERROR_INVALID, cases[i].part);
}

/* An internationalised domain may be typed in Unicode or in punycode; either
 * way the address stays as typed and compares equal to the other form. */
static void
test_idn (void)
{
  const char *typed[] = { "a@xn--bcher-kva.example", "a@bücher.example", "Ä <a@XN--BCHER-KVA.example>" };

  for (guint i = 0; i < G_N_ELEMENTS (typed); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = signet_address_parse_list (typed[i], &error);
      const SignetAddress *a;

      g_test_message ("%s", typed[i]);
      g_assert_no_error (error);
      g_assert_cmpuint (list->len, ==, 1);
      a = g_ptr_array_index (list, 0);
      g_assert_nonnull (strstr (typed[i], a->email));
      g_assert_true (signet_address_equal_email (a->email, "a@bücher.example"));
    }
}

/* Control characters hidden in RFC 2047 encoded words, in a name, a quoted
 * string or a comment, are refused like typed ones. */
static void
test_encoded_controls (void)
{
  const char *bad[] = {
    "=?utf-8?b?RXZlDQpCY2M6IHhAeS5vcmc=?= <eve@example.org>",
    "\"=?utf-8?q?Eve=0D=0ABcc:_x@y.org?=\" <eve@example.org>",
    "\"=?utf-8?q?Eve=0D=0A?=\" <eve@example.org>",
    "\"=?UTF-8?B?RXZlDQo=?=\" <eve@example.org>",
    "=?utf-8?q?Eve=0A?= <eve@example.org>",
    "=?utf-8?q?a=E2=80=A8b?= <x@example.org>",
    "=?utf-8?q?a=C2=85b?= <x@example.org>",
    "=?utf-8?q?a=7Fb?= <x@example.org>",
    "x=?utf-8?q?=0A?=y <x@example.org>",
    "bob@example.org (=?utf-8?q?x=0Ay?=)",
    "ok@example.org, Eve =?utf-8?q?=0D=0A?= <eve@example.org>",
    /* Decoded from a single-byte charset (or one GMime does not know, read
     * as such), 0x80-0x9F are C1 controls. */
    "=?UTF'-6?Q?C=3=8\"Az\"oe?= <emile@example.org>",
    "=?iso-8859-1?q?a=85b?= <x@example.org>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (bad[i], SIGNET_ADDRESS_ERROR_CONTROL_CHARACTER, "contains line breaks or control characters.");

  /* The encoded word swallows the colon, which alone would make a group. */
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (signet_address_parse_list ("=?utf-8?q?Eve=0D=0ABcc:_x@y.org?= <eve@example.org>", &error));
    g_assert_nonnull (error);
  }
  g_assert_false (signet_header_check ("=?utf-8?q?Hi=0D=0ABcc:_eve@example.org?=", NULL));
  g_assert_false (signet_header_check ("Hi =?UTF-8?B?DQpCY2M6IGV2ZUBleGFtcGxlLm9yZw==?=", NULL));
  g_assert_false (signet_header_check ("x=?^=?utf-8?q?=0A?=", NULL));
  g_assert_false (signet_header_check ("=?utf-8?q?=E2?= =?utf-8?q?=80=A8?=", NULL));
  g_assert_true (signet_header_check ("=?utf-8?Q?caf=C3=A9?= and =? and ?=", NULL));
}

/* Writes @addresses into a To header the way the sealer does, writes the
 * message out, and parses the header as written back into addresses. */
static GPtrArray *
through_header (GPtrArray *addresses, GError **error)
{
  g_autofree char *value = signet_address_join (addresses, TRUE);
  g_autoptr(GMimeMessage) message = g_mime_message_new (TRUE);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) back = NULL;
  g_autoptr(GRegex) fold = g_regex_new ("\\r?\\n(?=[ \\t])", 0, 0, NULL);
  g_autofree char *unfolded = NULL;
  GMimeHeader *to;

  g_mime_object_set_header (GMIME_OBJECT (message), "To", value, "utf-8");
  g_mime_object_write_to_stream (GMIME_OBJECT (message), NULL, stream);
  g_mime_stream_seek (stream, 0, GMIME_STREAM_SEEK_SET);
  parser = g_mime_parser_new_with_stream (stream);
  back = g_mime_parser_construct_message (parser, NULL);
  g_assert_nonnull (back);
  to = g_mime_header_list_get_header (g_mime_object_get_header_list (GMIME_OBJECT (back)), "To");
  g_assert_nonnull (to);
  unfolded = g_regex_replace_literal (fold, g_mime_header_get_raw_value (to), -1, 0, "", 0, NULL);
  return signet_address_parse_list (g_strstrip (unfolded), error);
}

static void
assert_same_addresses (GPtrArray *a, GPtrArray *b)
{
  g_assert_nonnull (b);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      const SignetAddress *x = g_ptr_array_index (a, i);
      const SignetAddress *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_true (signet_address_equal_email (x->email, y->email));
    }
}

/* Names with quotes, commas, backslashes, brackets and any script come back
 * unchanged from a message header and from the text shown in a field. */
static void
test_hostile_names (void)
{
  const char *names[] = {
    "Bob \"The Man\" Smith", "Smith, Bob", "back\\slash", "trailing\\", "\"", "\\\"", "(paren)",
    "<angle>", "semi;colon:", "bob@example.org", "Émile Zola", "日本語 名前", "😀", "e\xcc\x81t\xc3\xa9",
    "Ångström, A.", "x?=y", "?= ?", "= ?", "a  b", "tab\there", "O'Neil [work]", "Zoë \"Z\" (home), Esq.",
  };
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  g_autoptr(GString) long_name = g_string_new (NULL);

  for (guint i = 0; i < 40; i++)
    g_string_append (long_name, i % 2 ? "Grüße, \"Ünïcödé\" " : "plain words ");
  g_string_truncate (long_name, long_name->len - 1);
  for (guint i = 0; i <= G_N_ELEMENTS (names); i++)
    {
      const char *name = i < G_N_ELEMENTS (names) ? names[i] : long_name->str;
      g_autofree char *email = g_strdup_printf ("user%u@example.org", i);
      g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
      g_autoptr(GPtrArray) back = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *display = NULL;

      g_test_message ("%s", name);
      g_ptr_array_add (one, signet_address_new (name, email));
      g_ptr_array_add (all, signet_address_new (name, email));
      back = through_header (one, &error);
      g_assert_no_error (error);
      assert_same_addresses (one, back);
      g_clear_pointer (&back, g_ptr_array_unref);
      display = signet_address_join (one, FALSE);
      back = signet_address_parse_list (display, &error);
      g_assert_no_error (error);
      assert_same_addresses (one, back);
    }

  /* All of them in one list, folded over many lines. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) back = through_header (all, &error);
    g_autofree char *display = signet_address_join (all, FALSE);
    g_autoptr(GPtrArray) shown = NULL;

    g_assert_no_error (error);
    assert_same_addresses (all, back);
    shown = signet_address_parse_list (display, &error);
    g_assert_no_error (error);
    assert_same_addresses (all, shown);
  }
}

/* Long names that are not ASCII: GMime writes them as several base64
 * encoded words, and its parser joins adjacent ones into one base64 text
 * that ends at the first padding. Set as a header, read back from one. */
static void
test_long_names (void)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  g_autoptr(GString) cjk = g_string_new (NULL);
  g_autoptr(GString) mixed = g_string_new (NULL);
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 25; i++)
    {
      g_string_append (cjk, i % 3 ? "日本語" : "名前 ");
      g_string_append (mixed, i % 2 ? "Ünïcödé 😀 " : "Zoë, \"x\" ");
    }
  g_ptr_array_add (list, signet_address_new (cjk->str, "a@example.org"));
  g_ptr_array_add (list, signet_address_new (mixed->str, "b@bücher.example"));
  back = through_header (list, &error);
  g_assert_no_error (error);
  assert_same_addresses (list, back);
  g_clear_pointer (&back, g_ptr_array_unref);
  {
    g_autofree char *display = signet_address_join (list, FALSE);
    back = signet_address_parse_list (display, &error);
  }
  g_assert_no_error (error);
  assert_same_addresses (list, back);
  g_clear_pointer (&back, g_ptr_array_unref);
  back = signet_address_parse_list ("=?UTF-8?b?YQ==?= =?UTF-8?b?Yg==?= <ab@example.org>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (back, 0))->name, ==, "ab");
}

/* A name that, written into a header or a field, would read as another
 * name cannot come back as typed: it is refused, saying why. */
static void
test_encoded_word_lookalikes (void)
{
  const char *bad[] = {
    "=?utf-8?q?=3D=3Futf-8=3Fq=3Fabc=3F=3D?= <a@example.org>",
    "=?utf-8?b?PT91dGYtOD9xPz0wRD0wQT89?= <a@example.org>",
    "\"x =?utf-8?q?=3D=3Fiso-8859-1=3Fq=3Fcaf=3DE9=3F=3D?=\" <a@example.org>",
    /* Written with its encoded word's neighbours, which GMime encodes too. */
    "=?utf-8?q?=C3=A9=3D=3Futf-8=3Fq=3Fabc=3F=3D?= <a@example.org>",
    /* GMime 3.2 leaves the '=' of "Émile=41" unescaped in a Q encoded word. */
    "=?utf-8?q?=C3=89mile=3D41x?= <a@example.org>",
    "=?utf-8?q?=C3=89mile=3D?= <a@example.org>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *named = g_strdup_printf ("The name in “%s” cannot be sent as it is", bad[i]);
      assert_refused (bad[i], SIGNET_ADDRESS_ERROR_INVALID, named);
    }

  /* Typed encoded words are decoded, as when a header is pasted. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = signet_address_parse_list ("=?UTF-8?B?QWxpY2U=?= <alice@example.org>, "
                                                           "\"=?iso-8859-1?q?Zo=EB?=\" <zoe@example.org>", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (list, 0))->name, ==, "Alice");
    g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (list, 1))->name, ==, "Zoë");
  }
}

/* A name or address that starts an encoded word ("=?") is refused, however
 * it was typed, even where the word would only end in the address after it
 * or in the next one: mail programs decode encoded words across spaces,
 * quotes and addresses ("=?x?q?=8A <?=a@example.org>" shows a control
 * character, refused as one). A name with "?=" alone, or "=" and "?" apart, is sent. */
static void
test_encoded_word_starts (void)
{
  const char *names[] = {
    "=?UF'-6?Q?C=3mmmm=8\"Az\" o <?=emile@example.org>",
    "=?x?q?A <?=a@example.org>",
    "A =? B <a@example.org>",
    "\"=?\" <a@example.org>",
    "\"Bob =?utf-8?q?x\" <a@example.org>",
    "ok@example.org, =?x?q?A <a@example.org>, b?=@example.org",
    /* Decoded once, it still starts one. */
    "=?utf-8?q?=3D=3F_B?= <a@example.org>",
  };
  const char *emails[] = { "a=?b@example.org", "x=?utf-8?q?@example.org", "c=?@example.org", "=?@example.org" };
  const char *addresses[] = {
    "a=?b@example.org", "Bob <x=?utf-8?q?@example.org>", "ok@example.org, c=?@example.org",
  };
  const char *sent[] = { "x?=y <a@example.org>", "\"= ?\" <a@example.org>", "Q?= =x <a@example.org>" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *part = NULL;

      g_test_message ("%s", names[i]);
      if (g_str_has_prefix (names[i], "ok@"))
        part = g_strdup ("The name in “=?x?q?A <a@example.org>” cannot be sent as it is");
      else
        part = g_strdup_printf ("The name in “%s” cannot be sent as it is", names[i]);
      assert_refused (names[i], SIGNET_ADDRESS_ERROR_INVALID, part);
    }
  for (guint i = 0; i < G_N_ELEMENTS (emails); i++)
    g_assert_false (signet_address_is_valid_email (emails[i]));
  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    assert_refused (addresses[i], SIGNET_ADDRESS_ERROR_INVALID, "is not a valid email address.");
  for (guint i = 0; i < G_N_ELEMENTS (sent); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = signet_address_parse_list (sent[i], &error);
      g_autofree char *shown = NULL;
      g_autoptr(GPtrArray) back = NULL;

      g_test_message ("%s", sent[i]);
      g_assert_no_error (error);
      g_assert_cmpuint (list->len, ==, 1);
      shown = signet_address_join (list, FALSE);
      back = signet_address_parse_list (shown, &error);
      g_assert_no_error (error);
      assert_same_addresses (list, back);
    }

  /* What an earlier Signet wrote into drafts and the Outbox (it refused
   * only whole encoded words) reads back as written. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) stored = signet_address_parse_list_stored ("Q=?A team <team@example.org>, a=?b@example.org",
                                                                    &error);

    g_assert_no_error (error);
    g_assert_cmpuint (stored->len, ==, 2);
    g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (stored, 0))->name, ==, "Q=?A team");
    g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (stored, 1))->email, ==, "a=?b@example.org");
    g_assert_null (signet_address_parse_list_stored ("=?utf-8?q?=3D=3Futf-8=3Fq=3Fabc=3F=3D?= <a@example.org>", NULL));
    g_assert_null (signet_address_parse_list_stored ("x=?utf-8?q?y?=@example.org", NULL));
    g_assert_true (signet_address_is_valid_stored_email ("a=?b@example.org"));
    g_assert_false (signet_address_is_valid_stored_email ("x=?utf-8?q?y?=@example.org"));
  }

  /* Names from keys and directories are checked the same way. */
  g_assert_false (signet_address_name_is_sendable ("A =? B"));
  g_assert_false (signet_address_name_is_sendable ("Eve\r\nBcc: x@example.org"));
  g_assert_false (signet_address_name_is_sendable ("=?utf-8?q?=0A?="));
  g_assert_false (signet_address_name_is_sendable ("Émile=41"));
  g_assert_false (signet_address_name_is_sendable ("  "));
  g_assert_true (signet_address_name_is_sendable ("Émile  Zola "));
  g_assert_true (signet_address_name_is_sendable ("Smith, \"Bob\" ?="));
}

/* White space around a name carries nothing, and a header keeps neither it
 * nor which white space character was between two words. */
static void
test_name_whitespace (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = signet_address_parse_list ("\"  Bob  \" <bob@example.org>, \" \" <x@example.org>, "
                                                         "=?utf-8?q?_Carol_?= <carol@example.org>, a\tb  c <a@example.org>", &error);
  g_autoptr(SignetAddress) made = signet_address_new ("\tDave  \t D. ", "dave@example.org");
  g_autoptr(SignetAddress) blank = signet_address_new (" ", "eve@example.org");

  g_assert_no_error (error);
  g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (list, 0))->name, ==, "Bob");
  g_assert_null (((SignetAddress *) g_ptr_array_index (list, 1))->name);
  g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (list, 2))->name, ==, "Carol");
  g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (list, 3))->name, ==, "a b c");
  g_assert_cmpstr (made->name, ==, "Dave D.");
  g_assert_null (blank->name);
}

/* One comparison form: what only Unicode normalisation, case folding or the
 * spelling of a domain tells apart is equal; different letters stay
 * different. */
/* No mail server takes an address over 254 characters (RFC 5321). */
static void
test_length_limit (void)
{
  g_autofree char *local = g_strnfill (64, 'a');
  g_autofree char *label = g_strnfill (63, 'b');
  g_autofree char *last_fits = g_strnfill (57, 'c');
  g_autofree char *last_over = g_strnfill (58, 'c');
  g_autofree char *fits = g_strdup_printf ("%s@%s.%s.%s.org", local, label, label, last_fits);
  g_autofree char *over = g_strdup_printf ("%s@%s.%s.%s.org", local, label, label, last_over);

  g_assert_cmpuint (strlen (fits), ==, 254);
  g_assert_true (signet_address_is_valid_email (fits));
  g_assert_cmpuint (strlen (over), ==, 255);
  g_assert_false (signet_address_is_valid_email (over));
}

static void
test_normalize (void)
{
  static const char *equal[][2] = {
    { "\xc3\x89mile@example.org", "E\xcc\x81mile@example.org" },            /* NFC and NFD */
    { "émile@example.org", "ÉMILE@EXAMPLE.ORG" },
    { "A\xcc\x8aNGSTR\xc3\x96M@example.org", "ångström@example.org" },     /* combining ring */
    { "\xe2\x84\xabngstr\xc3\xb6m@example.org", "Ångström@example.org" },  /* ANGSTROM SIGN */
    { "STRA\xe1\xba\x9e" "E@example.org", "straße@example.org" },           /* capital sharp s */
    { "İPEK@example.org", "i\xcc\x87pek@example.org" },                     /* Turkish capital I with dot */
    { "a@bücher.example", "a@xn--bcher-kva.example" },
    { "a@BÜCHER.example", "A@XN--BCHER-KVA.EXAMPLE" },
    { "a@bu\xcc\x88" "cher.example", "a@xn--bcher-kva.example" },
    { "straße@example.org", "strasse@example.org" },                        /* case folding */
    { "straße@example.org", "STRASSE@example.org" },
    { "a@FASS.de", "a@fass.de" },
  };
  static const char *distinct[][2] = {
    { "ıpek@example.org", "ipek@example.org" },                              /* dotless i */
    { "İPEK@example.org", "ipek@example.org" },
    { "émile@example.org", "emile@example.org" },
    { "a@bücher.example", "a@bucher.example" },
    { "bob.smith@example.org", "bobsmith@example.org" },
    { "bob@example.org", "bob@example.com" },
    { "bob@example.org", "bob@example.org.evil" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (equal); i++)
    {
      g_autofree char *a = signet_address_normalize (equal[i][0]);
      g_autofree char *b = signet_address_normalize (equal[i][1]);

      g_test_message ("%s = %s", equal[i][0], equal[i][1]);
      g_assert_cmpstr (a, ==, b);
    }
  for (guint i = 0; i < G_N_ELEMENTS (distinct); i++)
    {
      g_test_message ("%s ≠ %s", distinct[i][0], distinct[i][1]);
      g_assert_false (signet_address_equal_email (distinct[i][0], distinct[i][1]));
    }
  {
    g_autofree char *n = signet_address_normalize ("ÉMILE@BÜCHER.Example");
    g_assert_cmpstr (n, ==, "émile@xn--bcher-kva.example");
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/address/parse-list", test_parse_list);
  g_test_add_func ("/address/parse-empty", test_parse_empty);
  g_test_add_func ("/address/invalid", test_invalid);
  g_test_add_func ("/address/header-injection", test_header_injection);
  g_test_add_func ("/address/parse-single", test_parse_single);
  g_test_add_func ("/address/vanishing", test_vanishing);
  g_test_add_func ("/address/idn", test_idn);
  g_test_add_func ("/address/encoded-controls", test_encoded_controls);
  g_test_add_func ("/address/hostile-names", test_hostile_names);
  g_test_add_func ("/address/long-names", test_long_names);
  g_test_add_func ("/address/encoded-word-lookalikes", test_encoded_word_lookalikes);
  g_test_add_func ("/address/encoded-word-starts", test_encoded_word_starts);
  g_test_add_func ("/address/name-whitespace", test_name_whitespace);
  g_test_add_func ("/address/normalize", test_normalize);
  g_test_add_func ("/address/length-limit", test_length_limit);
  return g_test_run ();
}
