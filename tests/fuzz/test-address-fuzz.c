/* Generated address lists and mailto: links, many of them hostile, taken the
 * whole way an address goes: parsed as typed, joined into a To or Cc header
 * that GMime writes as the sealer does, the message written out and parsed
 * again; and joined for display in a field and parsed again. Whatever is
 * accepted must come back as the same recipients in the same order, and no
 * typed text may ever become a header line of its own.
 *
 * The generator is seeded. The seed is in the log; SIGNET_FUZZ_SEED=N runs
 * with another one, SIGNET_FUZZ_ITERATIONS=N changes how many lists and links
 * are tried in all (100,000 by default). */

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-address.h"
#include "signet-envelope.h"
#include "signet-store.h"
#include "signet-errors.h"
#include "signet-gmime.h"
#include "signet-mailto.h"

#define DEFAULT_SEED 20240611u
#define DEFAULT_ITERATIONS 100000u
#define SHARE_OF_LISTS 70 /* percent; the rest are mailto: links */

static guint32 seed;
static int envelope_dir_fd = -1;
static guint iterations;
static GRand *rng;

static guint
pick (guint n)
{
  return (guint) g_rand_int_range (rng, 0, (gint32) n);
}

static gboolean
chance (guint percent)
{
  return pick (100) < percent;
}

#define PICK(array) (array[pick (G_N_ELEMENTS (array))])

static const char *name_pieces[] = {
  "Bob", "Smith", "O'Neil", "Jr.", " ", " ", "  ", "\t", "\"", "\"", ",", ",", "\\", "\\", "(", ")", "<", ">",
  ";", ":", "@", ".", "[", "]", "#", "%", "+", "=", "?", "_", "-", "&", "Bcc:", "Émile", "Zoë", "Ångström",
  "straße", "İstanbul", "日本語", "名前", "😀", "👍🏽", "e\xcc\x81", "A\xcc\x8a", "\xe2\x80\x8b",
  "=?utf-8?q?=0D=0A?=", "=?UTF-8?B?QWxpY2U=?=", "=?iso-8859-1?q?caf=E9?=", "=?utf-8?q?Eve=0D=0ABcc:_x@y.org?=",
  "=?", "?=", "=?x?=", "=?utf-8?",
};

static const char *local_parts[] = {
  "bob", "alice.smith", "o'neil", "a+tag", "x_y", "user-name", "1234", "!#$%&'*+-/?^_`{|}~=", "émile", "用户",
  "a.b.c", "Bob", "z", "=?utf-8?q?x?=",
};

static const char *domains[] = {
  "example.org", "sub.example.co.uk", "EXAMPLE.ORG", "a-b.example", "bücher.example", "xn--bcher-kva.example",
  "例え.テスト", "xn--r8jz45g.xn--zckzah", "faß.de", "ÅNGSTRÖM.example", "x.y.z.example",
};

/* What the raw text of a hostile list may contain besides the above. */
static const char *noise_pieces[] = {
  "\r", "\n", "\r\n", "\x01", "\x7f", "\xc2\x85", "\xe2\x80\xa8", "\xff", "<", ">", "bob@example.org",
  "carol@example.org", "@", "\"", "(", ")", ",", "\\", ":", ";", " ", "<x@y.org>", "Bob <bob@example.org>",
};

static char *
generate_name (void)
{
  g_autoptr(GString) name = g_string_new (NULL);
  guint n = chance (5) ? 20 + pick (40) : pick (6);

  if (chance (10))
    g_string_append (name, " ");
  for (guint i = 0; i < n; i++)
    g_string_append (name, PICK (name_pieces));
  if (chance (10))
    g_string_append (name, "  ");
  return g_string_free (g_steal_pointer (&name), FALSE);
}

static char *
generate_email (void)
{
  if (chance (2))
    {
      g_autofree char *local = g_strnfill (64, 'l');
      return g_strdup_printf ("%s@%s", local, PICK (domains));
    }
  return g_strdup_printf ("%s@%s", PICK (local_parts), PICK (domains));
}

/* A name typed without quotes: words of atext or non-ASCII letters. */
static gboolean
is_plain (const char *name)
{
  if (*name == '\0' || *name == ' ' || g_str_has_suffix (name, " ") || strstr (name, "  ") ||
      strstr (name, "=?") != NULL)
    return FALSE;
  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    if (*p < 0x80 && !g_ascii_isalnum (*p) && strchr (" !#$%&'*+-/=?^_`{|}~", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* @name as RFC 2047 encoded words of at most 30 bytes each, B or Q. */
static void
append_encoded_words (GString *out, const char *name)
{
  gboolean b = chance (50);
  const char *p = name;

  while (*p != '\0')
    {
      const char *end = p;

      while (*end != '\0' && end - p < 30)
        end = g_utf8_next_char (end);
      if (p != name)
        g_string_append_c (out, ' ');
      g_string_append (out, b ? "=?UTF-8?B?" : "=?utf-8?q?");
      if (b)
        {
          g_autofree char *base64 = g_base64_encode ((const guchar *) p, end - p);
          g_string_append (out, base64);
        }
      else
        for (const guchar *c = (const guchar *) p; c < (const guchar *) end; c++)
          {
            if (g_ascii_isalnum (*c))
              g_string_append_c (out, *c);
            else if (*c == ' ')
              g_string_append_c (out, '_');
            else
              g_string_append_printf (out, "=%02X", *c);
          }
      g_string_append (out, "?=");
      p = end;
    }
}

typedef struct {
  GString   *text;       /* the list as typed */
  GPtrArray *expected;   /* what must come back; NULL for noise */
  gboolean   may_refuse; /* a part is hostile, so refusing the list is right */
  gboolean   any_names;  /* a typed encoded word may be decoded into any name */
} Generated;

static void
generated_clear (Generated *g)
{
  g_string_free (g->text, TRUE);
  g_clear_pointer (&g->expected, g_ptr_array_unref);
}

/* Appends one address to @g, typed in one of the ways a person or a pasted
 * header would type it, and what parsing it must give. */
static void
append_address (Generated *g, const char *name, const char *email)
{
  guint form = pick (4);

  if (form == 0 && !is_plain (name))
    form = 1;
  /* An address with an encoded word in it is refused. */
  if (strstr (email, "=?") != NULL)
    g->may_refuse = TRUE;
  if (*name == '\0' || chance (15))
    {
      g_string_append_printf (g->text, chance (50) ? "%s" : "<%s>", email);
      g_ptr_array_add (g->expected, signet_address_new (NULL, email));
      return;
    }
  if (form == 0)
    g_string_append (g->text, name);
  else if (form == 1)
    {
      g_string_append_c (g->text, '"');
      for (const char *p = name; *p != '\0'; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (g->text, '\\');
          g_string_append_c (g->text, *p);
        }
      g_string_append_c (g->text, '"');
    }
  else
    append_encoded_words (g->text, name);
  g_string_append_printf (g->text, " <%s>", email);
  g_ptr_array_add (g->expected, signet_address_new (name, email));
  /* Text that reads as an encoded word is decoded wherever GMime finds it:
   * typed, that is what it means; inside an encoded name, it is refused.
   * GMime 3.2 does not escape '=' in a Q encoded word: a name with a '='
   * may be refused. */
  if (strchr (name, '=') != NULL)
    g->may_refuse = TRUE;
  /* A name that, decoded, still starts an encoded word is refused. */
  if (strstr (name, "=?") != NULL)
    g->may_refuse = TRUE;
  if (strstr (name, "=?") != NULL && form < 2)
    g->any_names = TRUE;
}

static void
generate_list (Generated *g, gboolean allow_noise)
{
  static const char *separators[] = { ", ", ",", " ,  ", ",\t", ", , " };
  guint n = 1 + pick (4);

  g->text = g_string_new (NULL);
  g->expected = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  g->may_refuse = FALSE;
  g->any_names = FALSE;
  if (allow_noise && chance (20))
    {
      guint pieces = 1 + pick (12);

      for (guint i = 0; i < pieces; i++)
        g_string_append (g->text, chance (50) ? PICK (noise_pieces) : PICK (name_pieces));
      g_clear_pointer (&g->expected, g_ptr_array_unref);
      g->may_refuse = TRUE;
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = generate_name ();
      g_autofree char *email = generate_email ();

      if (i > 0)
        g_string_append (g->text, PICK (separators));
      append_address (g, name, email);
    }
}

/* Reporting ---------------------------------------------------------------- */

static char *
describe (GPtrArray *list)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (list == NULL)
    return g_strdup ("(refused)");
  for (guint i = 0; i < list->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (list, i);
      g_autofree char *name = a->name ? g_strescape (a->name, NULL) : g_strdup ("(none)");
      g_autofree char *email = g_strescape (a->email, NULL);

      g_string_append_printf (out, "%s{%s | %s}", i ? ", " : "", name, email);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
report (const char *what, const char *input, const char *detail)
{
  g_autofree char *escaped = g_strescape (input, NULL);

  g_test_message ("seed %u: %s", seed, what);
  g_test_message ("input: \"%s\"", escaped);
  if (detail != NULL)
    g_test_message ("%s", detail);
}

#define CHECK(cond, what, input, detail) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) \
      { \
        report ((what), (input), (detail)); \
        g_assert_true (cond); \
      } \
  } G_STMT_END

typedef enum {
  SAME_EXACTLY,       /* names and addresses as they are */
  SAME_ADDRESS,       /* names as they are, addresses in their comparison form */
  SAME_EXCEPT_NAMES,  /* addresses as they are, names whatever they are */
  SAME_ADDRESS_ONLY,  /* addresses in their comparison form, names whatever they are */
} Sameness;

static gboolean
same_addresses (GPtrArray *want, GPtrArray *got, Sameness how)
{
  gboolean names = how == SAME_EXACTLY || how == SAME_ADDRESS;
  gboolean exact = how == SAME_EXACTLY || how == SAME_EXCEPT_NAMES;

  if (got == NULL || want->len != got->len)
    return FALSE;
  for (guint i = 0; i < want->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (want, i);
      const SignetAddress *b = g_ptr_array_index (got, i);

      if (names && g_strcmp0 (a->name, b->name) != 0)
        return FALSE;
      if (strcmp (a->email, b->email) != 0 && (exact || !signet_address_equal_email (a->email, b->email)))
        return FALSE;
    }
  return TRUE;
}

static void
check_same (const char *what, const char *input, GPtrArray *want, GPtrArray *got, Sameness how)
{
  if (!same_addresses (want, got, how))
    {
      g_autofree char *w = describe (want);
      g_autofree char *h = describe (got);
      g_autofree char *detail = g_strdup_printf ("wanted %s\ngot    %s", w, h);

      report (what, input, detail);
      g_assert_not_reached ();
    }
}

/* Messages ------------------------------------------------------------------ */

/* A message built as the sealer builds one: address headers from
 * signet_address_join (…, TRUE), the subject and a text body, as UTF-8. */
static GBytes *
write_message (const char *to, const char *cc, const char *subject, const char *body)
{
  g_autoptr(GMimeMessage) message = g_mime_message_new (TRUE);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
  GMimeTextPart *text = g_mime_text_part_new_with_subtype ("plain");
  GByteArray *bytes;

  if (to != NULL && *to != '\0')
    g_mime_object_set_header (GMIME_OBJECT (message), "To", to, "utf-8");
  if (cc != NULL && *cc != '\0')
    g_mime_object_set_header (GMIME_OBJECT (message), "Cc", cc, "utf-8");
  g_mime_object_set_header (GMIME_OBJECT (message), "Subject", subject, "utf-8");
  g_mime_text_part_set_text (text, body);
  g_mime_text_part_set_charset (text, "utf-8");
  g_mime_part_set_content_encoding (GMIME_PART (text), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  g_mime_message_set_mime_part (message, GMIME_OBJECT (text));
  g_object_unref (text);
  g_mime_object_write_to_stream (GMIME_OBJECT (message), NULL, stream);
  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (bytes->data, bytes->len);
}

/* The names of the header fields, one per unfolded line, up to the blank
 * line; NULL if a line is neither a field nor a continuation. */
static char *
header_names (GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  g_autofree char *text = g_strndup (data, len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (strchr (lines[i], '\r') != NULL || strlen (lines[i]) > 998)
        return NULL;
      if (lines[i][0] == ' ' || lines[i][0] == '\t')
        {
          if (i == 0)
            return NULL;
          continue;
        }
      if (colon == NULL || colon == lines[i])
        return NULL;
      for (const char *p = lines[i]; p < colon; p++)
        if (*p <= ' ' || *p > '~')
          return NULL;
      g_string_append_len (names, lines[i], colon - lines[i] + 1);
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static GMimeMessage *
parse_message (GBytes *bytes)
{
  gsize len;
  const guchar *data = g_bytes_get_data (bytes, &len);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer ((const char *) data, len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (stream);

  return g_mime_parser_construct_message (parser, NULL);
}

/* The header as written, unfolded, as the text a person could paste. */
static char *
raw_header (GMimeMessage *message, const char *name)
{
  GMimeHeader *header = g_mime_header_list_get_header (g_mime_object_get_header_list (GMIME_OBJECT (message)), name);
  g_autoptr(GString) out = g_string_new (NULL);

  if (header == NULL)
    return NULL;
  for (const char *p = g_mime_header_get_raw_value (header); *p != '\0'; p++)
    {
      if (*p == '\r' && p[1] == '\n')
        continue;
      if (*p == '\n' && (p[1] == ' ' || p[1] == '\t'))
        continue;
      g_string_append_c (out, *p);
    }
  return g_strstrip (g_string_free (g_steal_pointer (&out), FALSE));
}

static GPtrArray *
addresses_from_gmime (InternetAddressList *list)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);

  for (int i = 0; list != NULL && i < internet_address_list_length (list); i++)
    {
      InternetAddress *ia = internet_address_list_get_address (list, i);

      if (!INTERNET_ADDRESS_IS_MAILBOX (ia))
        {
          g_ptr_array_unref (out);
          return NULL;
        }
      g_ptr_array_add (out, signet_address_new (internet_address_get_name (ia),
                                                internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia))));
    }
  return out;
}

/* The header fields of a message written from plain values. */
static const char *
expected_header_names (gboolean with_to, gboolean with_cc, gboolean with_subject)
{
  static char *cache[2][2][2];
  char **names = &cache[with_to][with_cc][with_subject];

  if (*names == NULL)
    {
      g_autoptr(GBytes) plain = write_message (with_to ? "a@example.org" : NULL, with_cc ? "b@example.org" : NULL,
                                               with_subject ? "s" : "", "b");
      *names = header_names (plain);
    }
  return *names;
}

/* Round trips -------------------------------------------------------------- */

/* An accepted list, as a header: exactly the header lines written, and both
 * GMime and signet_address_parse_list read the same recipients back. */
static void
check_header_roundtrip (const char *input, GPtrArray *list, const char *field, GMimeAddressType type,
                        GMimeMessage *back)
{
  g_autofree char *raw = raw_header (back, field);
  g_autoptr(GPtrArray) from_gmime = addresses_from_gmime (g_mime_message_get_addresses (back, type));
  g_autoptr(GPtrArray) reparsed = NULL;
  g_autoptr(GError) error = NULL;

  CHECK (raw != NULL, "the address header is missing", input, NULL);
  reparsed = signet_address_parse_list (raw, &error);
  CHECK (reparsed != NULL, "the written header does not parse", input, error->message);
  check_same ("the header read by signet_address_parse_list", input, list, reparsed, SAME_ADDRESS);
  /* GMime 3.2 reads adjacent base64 encoded words of one charset as one
   * base64 text and loses what follows padding in a long name, which it
   * wrote correctly itself: from GMime, only the addresses count. */
  check_same ("the header read by GMime", input, list, from_gmime, SAME_ADDRESS_ONLY);
}

static void
check_display_roundtrip (const char *input, GPtrArray *list)
{
  g_autofree char *shown = signet_address_join (list, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) reparsed = signet_address_parse_list (shown, &error);

  CHECK (reparsed != NULL, "the text shown in a field does not parse", input, error->message);
  check_same ("the text shown in a field", input, list, reparsed, SAME_EXACTLY);
}

static void
check_addresses_valid (const char *input, GPtrArray *list)
{
  for (guint i = 0; i < list->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (list, i);

      CHECK (signet_address_is_valid_email (a->email), "an accepted address is not valid", input, a->email);
      if (a->name != NULL)
        {
          g_autofree char *stripped = g_strstrip (g_strdup (a->name));
          CHECK (signet_header_check (a->name, NULL), "an accepted name has a control character", input, a->name);
          CHECK (*a->name != '\0' && strcmp (stripped, a->name) == 0, "an accepted name is not trimmed", input,
                 a->name);
        }
    }
}

/* Who a queued copy is for, as the Outbox records it beside the copy: read
 * back exactly as written, no recipient gained or lost. */
static void
check_envelope_roundtrip (const char *input, GPtrArray *list)
{
  g_autoptr(GPtrArray) emails = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) back = NULL;
  int fd;

  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (emails, ((SignetAddress *) g_ptr_array_index (list, i))->email);
  g_ptr_array_add (emails, NULL);
  text = signet_envelope_format ((const char * const *) emails->pdata, &error);
  CHECK (text != NULL, "an accepted address cannot be queued", input, error ? error->message : NULL);
  fd = openat (envelope_dir_fd, "fuzz.rcpt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (signet_store_write_all (fd, text, strlen (text), NULL));
  close (fd);
  back = signet_envelope_read (envelope_dir_fd, "fuzz.rcpt", list->len > 0, &error);
  CHECK (back != NULL, "a queued envelope does not read back", input, error ? error->message : NULL);
  CHECK (g_strv_length (back) == list->len, "a queued envelope gained or lost a recipient", input, text);
  for (guint i = 0; i < list->len; i++)
    CHECK (strcmp (back[i], g_ptr_array_index (emails, i)) == 0, "a queued envelope changed an address", input,
           back[i]);
}

/* Address lists ------------------------------------------------------------ */

static void
fuzz_one_list (guint *accepted)
{
  Generated g;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *header = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GMimeMessage) back = NULL;
  g_autofree char *names = NULL;

  generate_list (&g, TRUE);
  list = signet_address_parse_list (g.text->str, &error);
  if (list == NULL)
    {
      CHECK (error != NULL && g_utf8_validate (error->message, -1, NULL), "a refusal without a message",
             g.text->str, NULL);
      CHECK (g.may_refuse, "a list of valid addresses was refused", g.text->str, error->message);
      generated_clear (&g);
      return;
    }
  (*accepted)++;
  if (g.expected != NULL)
    check_same ("the list as typed", g.text->str, g.expected, list, g.any_names ? SAME_EXCEPT_NAMES : SAME_EXACTLY);
  check_addresses_valid (g.text->str, list);
  header = signet_address_join (list, TRUE);
  message = write_message (header, NULL, "Fuzz", "Body\n");
  names = header_names (message);
  CHECK (g_strcmp0 (names, expected_header_names (list->len > 0, FALSE, TRUE)) == 0, "the header lines changed",
         g.text->str, names);
  if (list->len > 0)
    {
      back = parse_message (message);
      check_header_roundtrip (g.text->str, list, "To", GMIME_ADDRESS_TYPE_TO, back);
    }
  check_display_roundtrip (g.text->str, list);
  check_envelope_roundtrip (g.text->str, list);
  generated_clear (&g);
}

static void
test_lists (void)
{
  guint n = iterations * SHARE_OF_LISTS / 100;
  guint accepted = 0;

  g_rand_set_seed (rng, seed);
  for (guint i = 0; i < n; i++)
    fuzz_one_list (&accepted);
  g_test_message ("%u of %u generated address lists accepted", accepted, n);
  /* Enough that what is accepted is checked; many names hold "=?", which is
   * refused. */
  g_assert_cmpuint (accepted, >=, n / 3);
}

/* mailto: links ------------------------------------------------------------ */

static const char *text_pieces[] = {
  "Hello", " ", "  ", "Grüße", "café", "日本語", "😀", "a&b", "x=y", "&", "=", "?", "#", "%", "+", "/",
  "50%", "=?utf-8?q?caf=C3=A9?=", "=?", "?=", "\t", "\"", "<", ">", "\\",
};

/* Escapes that must make a link be refused, or be harmless where they land. */
static const char *hostile_escapes[] = {
  "%0D%0A", "%0A", "%0D", "%00", "%07", "%7F", "%C2%85", "%E2%80%A8", "%FF", "%C3%28", "%ZZ", "%", "#",
  "&&", "%0D%0ABcc:%20eve@example.org", "%3D%3Futf-8%3Fq%3F%3D0D%3D0A%3F%3D", "\r\n", "%3D%3FUTF-8%3FB%3FDQo%3D%3F%3D",
};

typedef struct {
  GString   *uri;
  GPtrArray *want[SIGNET_N_RECIPIENT_KINDS];
  char      *subject;
  char      *body;
  gboolean   may_refuse;
  gboolean   any_names;
} Link;

static void
link_clear (Link *link)
{
  g_string_free (link->uri, TRUE);
  for (guint k = 0; k < SIGNET_N_RECIPIENT_KINDS; k++)
    g_ptr_array_unref (link->want[k]);
  g_free (link->subject);
  g_free (link->body);
}

static char *
escape (const char *text)
{
  /* Sometimes leave what RFC 6068 allows unescaped in a value. */
  return g_uri_escape_string (text, chance (50) ? NULL : "@!$'()*+,;:/=", chance (20));
}

/* Appends @value, escaped, and perhaps a hostile escape somewhere in it. */
static void
append_value (Link *link, const char *value)
{
  g_autofree char *escaped = escape (value);

  if (chance (15))
    {
      gsize at = pick ((guint) strlen (escaped) + 1);

      /* Keep existing escapes whole. */
      while (at > 0 && at < strlen (escaped) && (escaped[at - 1] == '%' || (at > 1 && escaped[at - 2] == '%')))
        at--;
      g_string_append_len (link->uri, escaped, at);
      g_string_append (link->uri, PICK (hostile_escapes));
      g_string_append (link->uri, escaped + at);
      link->may_refuse = TRUE;
      return;
    }
  g_string_append (link->uri, escaped);
}

static char *
generate_text (gboolean lines)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = pick (8);

  for (guint i = 0; i < n; i++)
    {
      if (lines && chance (15))
        g_string_append (text, PICK (((const char *[]) { "\r\n", "\n", "\r" })));
      else
        g_string_append (text, PICK (text_pieces));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* What a body becomes: CR LF and lone CR are line feeds. */
static char *
expected_body (const char *body)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = body; *p != '\0'; p++)
    {
      if (*p == '\r' && p[1] == '\n')
        continue;
      g_string_append_c (out, *p == '\r' ? '\n' : *p);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
append_recipients (Link *link, SignetRecipientKind kind)
{
  static const char *names[SIGNET_N_RECIPIENT_KINDS][3] = {
    { "to", "To", "TO" }, { "cc", "Cc", "CC" }, { "bcc", "Bcc", "BCC" },
  };
  Generated g;

  generate_list (&g, FALSE);
  g_string_append_printf (link->uri, "%s=", names[kind][pick (3)]);
  append_value (link, g.text->str);
  g_ptr_array_extend_and_steal (link->want[kind], g_steal_pointer (&g.expected));
  link->may_refuse |= g.may_refuse;
  link->any_names |= g.any_names;
  generated_clear (&g);
}

static void
append_field (Link *link)
{
  g_autofree char *text = NULL;

  switch (pick (8))
    {
    case 0: case 1: case 2:
      append_recipients (link, pick (SIGNET_N_RECIPIENT_KINDS));
      break;
    case 3: case 4:
      text = generate_text (FALSE);
      g_string_append (link->uri, chance (50) ? "subject=" : "Subject=");
      append_value (link, text);
      g_free (link->subject);
      link->subject = g_steal_pointer (&text);
      break;
    case 5: case 6:
      text = generate_text (TRUE);
      g_string_append (link->uri, chance (50) ? "body=" : "BODY=");
      append_value (link, text);
      g_free (link->body);
      link->body = expected_body (text);
      break;
    default:
      g_string_append (link->uri, PICK (((const char *[]) { "attach=", "attachment=", "in-reply-to=", "x-y=" })));
      text = generate_text (FALSE);
      append_value (link, text);
      break;
    }
}

static void
generate_link (Link *link)
{
  guint n_path = pick (3);
  guint n_fields = pick (6);

  link->uri = g_string_new (chance (10) ? "MAILTO:" : "mailto:");
  for (guint k = 0; k < SIGNET_N_RECIPIENT_KINDS; k++)
    link->want[k] = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  link->subject = g_strdup ("");
  link->body = g_strdup ("");
  link->may_refuse = FALSE;
  link->any_names = FALSE;
  for (guint i = 0; i < n_path; i++)
    {
      g_autofree char *email = generate_email ();
      g_autofree char *escaped = g_uri_escape_string (email, chance (50) ? "@" : "@!$'*+;=", chance (20));

      if (i > 0)
        g_string_append (link->uri, chance (50) ? "," : "%2C");
      g_string_append (link->uri, escaped);
      g_ptr_array_add (link->want[SIGNET_RECIPIENT_TO], signet_address_new (NULL, email));
      if (strstr (email, "=?") != NULL)
        link->may_refuse = TRUE;
    }
  for (guint i = 0; i < n_fields; i++)
    {
      g_string_append_c (link->uri, i == 0 ? '?' : '&');
      append_field (link);
    }
}

/* What must never reach a header: C0 controls but TAB, DEL, C1 controls and
 * the Unicode line and paragraph separators. A body may have line feeds and
 * separators, but no other control character. */
static gboolean
has_forbidden (const char *text, gboolean body)
{
  if (text == NULL)
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\t' || (body && c == '\n'))
        continue;
      if (g_unichar_iscntrl (c) || (!body && (c == 0x2028 || c == 0x2029)))
        return TRUE;
    }
  return FALSE;
}

static void
check_link_message (const char *uri, SignetMessage *m)
{
  g_autoptr(GPtrArray) to = signet_message_dup_recipients (m, SIGNET_RECIPIENT_TO);
  g_autoptr(GPtrArray) cc = signet_message_dup_recipients (m, SIGNET_RECIPIENT_CC);
  g_autofree char *to_header = signet_address_join (to, TRUE);
  g_autofree char *cc_header = signet_address_join (cc, TRUE);
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GMimeMessage) back = NULL;
  g_autofree char *names = NULL;
  const char *subject = signet_message_get_subject (m);

  CHECK (!has_forbidden (subject, FALSE), "the subject has a control character", uri, subject);
  CHECK (!has_forbidden (signet_message_get_body (m), TRUE), "the body has a control character", uri,
         signet_message_get_body (m));
  message = write_message (to_header, cc_header, subject, signet_message_get_body (m));
  names = header_names (message);
  CHECK (g_strcmp0 (names, expected_header_names (to->len > 0, cc->len > 0, *subject != '\0')) == 0, "the header lines changed",
         uri, names);
  back = parse_message (message);
  CHECK (back != NULL, "the written message does not parse", uri, NULL);
  CHECK (!has_forbidden (g_mime_message_get_subject (back), FALSE), "the subject as read has a control character",
         uri, g_mime_message_get_subject (back));
  if (to->len > 0)
    check_header_roundtrip (uri, to, "To", GMIME_ADDRESS_TYPE_TO, back);
  if (cc->len > 0)
    check_header_roundtrip (uri, cc, "Cc", GMIME_ADDRESS_TYPE_CC, back);
  for (guint k = 0; k < SIGNET_N_RECIPIENT_KINDS; k++)
    {
      g_autoptr(GPtrArray) list = signet_message_dup_recipients (m, k);

      check_addresses_valid (uri, list);
      check_display_roundtrip (uri, list);
    }
  /* Bcc recipients get copies of their own; their header is the To one. */
}

static void
fuzz_one_link (guint *accepted)
{
  Link link;
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) m = NULL;

  generate_link (&link);
  m = signet_mailto_parse (link.uri->str, &error);
  if (m == NULL)
    {
      CHECK (g_error_matches (error, SIGNET_MAILTO_ERROR, SIGNET_MAILTO_ERROR_INVALID) && *error->message != '\0' &&
             g_utf8_validate (error->message, -1, NULL), "a refusal without a message", link.uri->str, NULL);
      CHECK (link.may_refuse, "a link with valid fields was refused", link.uri->str, error->message);
      link_clear (&link);
      return;
    }
  (*accepted)++;
  if (!link.may_refuse)
    {
      for (guint k = 0; k < SIGNET_N_RECIPIENT_KINDS; k++)
        {
          g_autoptr(GPtrArray) got = signet_message_dup_recipients (m, k);
          check_same ("the link's recipients", link.uri->str, link.want[k], got,
                      link.any_names ? SAME_EXCEPT_NAMES : SAME_EXACTLY);
        }
      CHECK (strcmp (signet_message_get_subject (m), link.subject) == 0, "the link's subject changed", link.uri->str,
             signet_message_get_subject (m));
      CHECK (strcmp (signet_message_get_body (m), link.body) == 0, "the link's body changed", link.uri->str,
             signet_message_get_body (m));
    }
  check_link_message (link.uri->str, m);
  link_clear (&link);
}

static void
test_links (void)
{
  guint n = iterations - iterations * SHARE_OF_LISTS / 100;
  guint accepted = 0;

  g_rand_set_seed (rng, seed + 1);
  for (guint i = 0; i < n; i++)
    fuzz_one_link (&accepted);
  g_test_message ("%u of %u generated mailto: links accepted", accepted, n);
  g_assert_cmpuint (accepted, >=, n / 4);
}

static guint
env_uint (const char *name, guint fallback)
{
  const char *value = g_getenv (name);
  guint64 n;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT32, &n, NULL))
    return fallback;
  return (guint) n;
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_mime_init ();
  seed = env_uint ("SIGNET_FUZZ_SEED", DEFAULT_SEED);
  iterations = env_uint ("SIGNET_FUZZ_ITERATIONS", DEFAULT_ITERATIONS);
  rng = g_rand_new ();
  g_test_message ("seed %u, %u lists and links (SIGNET_FUZZ_SEED, SIGNET_FUZZ_ITERATIONS)", seed, iterations);
  g_test_add_func ("/address-fuzz/lists", test_lists);
  g_test_add_func ("/address-fuzz/mailto-links", test_links);
  {
    g_autofree char *dir = g_dir_make_tmp ("sg-fuzz.XXXXXX", NULL);
    g_autofree char *file = g_build_filename (dir, "fuzz.rcpt", NULL);

    envelope_dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint (envelope_dir_fd, >=, 0);
    status = g_test_run ();
    close (envelope_dir_fd);
    g_unlink (file);
    g_rmdir (dir);
  }
  g_rand_free (rng);
  return status;
}
