#define G_LOG_DOMAIN "signet-address"

#include "signet-address.h"

#include "signet-gmime.h"
#include <string.h>

#include "signet-core.h"
#include "signet-errors.h"
#include "signet-i18n.h"

G_DEFINE_BOXED_TYPE (SignetAddress, signet_address, signet_address_copy, signet_address_free)

/* A name with each run of white space as one space, and none around it;
 * NULL for a blank name. A header may be folded at any space of a name and
 * unfolded into another white space character (GMime folds a space into a
 * tab), so only this form comes back the same from a header. */
static char *
canonical_name (const char *name)
{
  GString *out;

  if (name == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isspace (*p))
        g_string_append_c (out, *p);
      else if (out->len > 0 && out->str[out->len - 1] != ' ')
        g_string_append_c (out, ' ');
    }
  if (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

SignetAddress *
signet_address_new (const char *name,
                    const char *email)
{
  SignetAddress *address = g_new0 (SignetAddress, 1);

  address->name = canonical_name (name);
  address->email = g_strdup (email);
  return address;
}

SignetAddress *
signet_address_copy (const SignetAddress *address)
{
  return signet_address_new (address->name, address->email);
}

void
signet_address_free (SignetAddress *address)
{
  if (address == NULL)
    return;
  g_free (address->name);
  g_free (address->email);
  g_free (address);
}

char *
signet_address_to_string (const SignetAddress *address)
{
  g_autoptr(GPtrArray) one = g_ptr_array_new ();

  g_ptr_array_add (one, (gpointer) address);
  return signet_address_join (one, FALSE);
}

/* TRUE for a character that must never reach a header: C0 controls but TAB
 * (CR, LF and NUL among them), DEL and C1 controls, and the Unicode line and
 * paragraph separators. */
static gboolean
is_forbidden_char (gunichar c)
{
  return (c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
         c == 0x2028 || c == 0x2029;
}

static gboolean
check_characters (const char *text,
                  GError    **error)
{
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_CONTROL_CHARACTER,
                   _("The text is not valid UTF-8."));
      return FALSE;
    }
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (is_forbidden_char (g_utf8_get_char (p)))
        {
          g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_CONTROL_CHARACTER,
                       _("Line breaks and control characters are not allowed here."));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
append_as_q_word (const GMatchInfo *match,
                  GString          *out,
                  gpointer          user_data)
{
  g_autofree char *charset = g_match_info_fetch (match, 1);
  g_autofree char *base64 = g_match_info_fetch (match, 2);
  gsize len;
  g_autofree guchar *bytes = g_base64_decode (base64, &len);

  g_string_append_printf (out, "=?%s?Q?", charset);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, "=%02X", bytes[i]);
  g_string_append (out, "?=");
  return FALSE;
}

/* @text with each base64 ("B") encoded word rewritten as a Q encoded word
 * of the same bytes, for GMime to decode. GMime 3.2 decodes adjacent B
 * words of one charset as one base64 text, so the padding that ends the
 * first ends the name: "=?UTF-8?b?YQ==?= =?UTF-8?b?Yg==?=" reads as "a",
 * not "ab". GMime writes such words itself for any long name that is not
 * ASCII, and so do other mail programs; adjacent Q words it joins right. */
static char *
b_words_as_q (const char *text)
{
  static GRegex *b_word;

  if (g_once_init_enter (&b_word))
    g_once_init_leave (&b_word, g_regex_new ("=\\?([^?\\s]+)\\?[Bb]\\?([A-Za-z0-9+/=]*)\\?=", 0, 0, NULL));
  if (strstr (text, "?b?") == NULL && strstr (text, "?B?") == NULL)
    return g_strdup (text);
  return g_regex_replace_eval (b_word, text, -1, 0, 0, append_as_q_word, NULL, NULL);
}

/* Every RFC 2047 encoded word in @text, each on its own, wherever one could
 * start: lenient mail programs decode them even inside words and quoted
 * strings, and where one starts depends on how a program reads the text
 * before it ("=?^=?utf-8?q?=0A?=" holds one to GMime only sometimes). */
static GPtrArray *
find_encoded_words (const char *text)
{
  static GRegex *encoded_word;
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);

  if (g_once_init_enter (&encoded_word))
    g_once_init_leave (&encoded_word, g_regex_new ("=\\?[^?\\s]+\\?[BbQq]\\?[^?\\s]*\\?=", 0, 0, NULL));
  for (const char *p = strstr (text, "=?"); p != NULL; p = strstr (p + 1, "=?"))
    {
      g_autoptr(GMatchInfo) match = NULL;

      if (g_regex_match_full (encoded_word, text, -1, p - text, G_REGEX_MATCH_ANCHORED, &match, NULL))
        g_ptr_array_add (words, g_match_info_fetch (match, 0));
    }
  return words;
}

/* Rejects text that is not UTF-8 or has a control character: in a header
 * it would let a user (or a mailto: link) inject extra headers. The text is
 * checked as it is and as a mail program shows it, with RFC 2047 encoded
 * words decoded: GMime writes a header of ASCII words as it is, so an
 * encoded word typed into it reaches the reader, who decodes it. Each word
 * is decoded on its own, and the whole text as GMime decodes it, joining
 * adjacent words (which may split a character between them). */
gboolean
signet_header_check (const char *text,
                     GError    **error)
{
  g_autoptr(GPtrArray) words = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *as_text = NULL;
  g_autofree char *as_phrase = NULL;

  if (!check_characters (text, error))
    return FALSE;
  if (strstr (text, "=?") == NULL)
    return TRUE;
  signet_core_init ();
  words = find_encoded_words (text);
  for (guint i = 0; i < words->len; i++)
    {
      g_autofree char *decoded = g_mime_utils_header_decode_text (NULL, g_ptr_array_index (words, i));
      g_autofree char *valid = g_utf8_make_valid (decoded, -1);

      if (!check_characters (valid, error))
        return FALSE;
    }
  encoded = b_words_as_q (text);
  as_text = g_mime_utils_header_decode_text (NULL, encoded);
  as_phrase = g_mime_utils_header_decode_phrase (NULL, encoded);
  return check_characters (as_text, error) && check_characters (as_phrase, error);
}

static gboolean
is_atext (gunichar c)
{
  if (c >= 0x80)
    return TRUE; /* RFC 6532: UTF-8 in addresses */
  return g_ascii_isalnum (c) || strchr ("!#$%&'*+-/=?^_`{|}~", (int) c) != NULL;
}

static gboolean
is_valid_local_part (const char *local, gsize len)
{
  if (len == 0 || len > 64 || local[0] == '.' || local[len - 1] == '.')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (local[i] == '.')
        {
          if (local[i + 1] == '.')
            return FALSE;
          continue;
        }
      if (!is_atext ((guchar) local[i]))
        return FALSE;
    }
  return TRUE;
}

/* @domain as GMime writes it into a header, in lower case. An ASCII domain
 * (punycode too) GMime writes as it is. */
static char *
domain_to_ascii (const char *domain)
{
  g_autofree char *address = NULL;
  g_autoptr(InternetAddress) mailbox = NULL;
  const char *idn;

  if (!g_hostname_is_non_ascii (domain))
    return g_ascii_strdown (domain, -1);
  signet_core_init ();
  address = g_strconcat ("x@", domain, NULL);
  mailbox = internet_address_mailbox_new (NULL, address);
  idn = internet_address_mailbox_get_idn_addr (INTERNET_ADDRESS_MAILBOX (mailbox));
  if (idn == NULL || strrchr (idn, '@') == NULL)
    return g_utf8_strdown (domain, -1);
  return g_ascii_strdown (strrchr (idn, '@') + 1, -1);
}

/* A domain whose form on the wire, ASCII after IDNA for an internationalised
 * one, is a host name: IDNA maps some characters to nothing ("\u200b" is
 * no domain at all) and leaves others it refuses as they are. */
static gboolean
is_valid_domain (const char *domain)
{
  g_autofree char *ascii = domain_to_ascii (domain);
  g_auto(GStrv) labels = NULL;
  gsize len = strlen (ascii);

  if (len == 0 || len > 253)
    return FALSE;
  labels = g_strsplit (ascii, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      gsize l = strlen (labels[i]);

      if (l == 0 || l > 63 || labels[i][0] == '-' || labels[i][l - 1] == '-')
        return FALSE;
      for (gsize j = 0; j < l; j++)
        {
          guchar c = labels[i][j];
          if (!(g_ascii_isalnum (c) || c == '-'))
            return FALSE;
        }
    }
  return TRUE;
}

/* The marks that change the direction of the text after them (U+200E,
 * U+200F, U+202A to U+202E, U+2066 to U+2069): a right-to-left override
 * in a name shows the address after it backwards, as another address. */
gboolean
signet_is_reordering_mark (gunichar c)
{
  return c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

gboolean
signet_text_has_reordering_marks (const char *text)
{
  for (const char *p = text; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    if (signet_is_reordering_mark (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/* Which text may start an encoded word. Signet refuses "=?" anywhere in
 * what is typed; it used to refuse only whole encoded words
 * ("=?charset?q?text?="), and reads back what it wrote then
 * (signet_address_parse_list_stored()). */
typedef enum {
  RULE_TYPED,
  RULE_STORED,
} Rule;

static gboolean
has_encoded_word (const char *text)
{
  g_autoptr(GPtrArray) words = find_encoded_words (text);

  return words->len > 0;
}

static gboolean
starts_encoded_word (const char *text, Rule rule)
{
  return rule == RULE_TYPED ? strstr (text, "=?") != NULL : has_encoded_word (text);
}

/* An RFC 5322 dot-atom addr-spec: local@domain. Quoted local parts are
 * deliberately refused; no key server or MTA a user meets handles them well.
 * So is the start of an RFC 2047 encoded word ("=?"), which is atext too:
 * to a lenient mail program "b=?utf-8?q?=0A?=@example.org" has a line
 * break, and a word started in one address may end in the next one. */
static gboolean
is_valid_email (const char *email, Rule rule)
{
  const char *at;

  /* RFC 5321: a path holds at most 254 characters of address. */
  if (email == NULL || !g_utf8_validate (email, -1, NULL) || starts_encoded_word (email, rule) ||
      strlen (email) > 254)
    return FALSE;
  at = strrchr (email, '@');
  if (at == NULL)
    return FALSE;
  return is_valid_local_part (email, at - email) && is_valid_domain (at + 1);
}

gboolean
signet_address_is_valid_email (const char *email)
{
  return is_valid_email (email, RULE_TYPED);
}

/* An address as an earlier Signet may have written it into a message, a
 * draft or the Outbox: valid, or with "=?" in it but no whole encoded
 * word. Sending it again asks for it to be corrected. */
gboolean
signet_address_is_valid_stored_email (const char *email)
{
  return is_valid_email (email, RULE_STORED);
}

typedef enum {
  TOKEN_OK,
  TOKEN_UNBALANCED,
  TOKEN_BACKSLASH,
  TOKEN_GROUP,
} TokenProblem;

/* Splits @text at the commas that separate addresses (outside quoted
 * strings, comments and angle brackets). Refuses what RFC 5322 does not
 * allow in a typed list and what GMime would otherwise read leniently, so
 * that no part of the text can silently vanish: a backslash outside quotes
 * ("bob\\@example.org"), a group ("friends: a@b;"), unbalanced quotes,
 * parentheses or brackets. @bad_token receives the offending part. */
static GPtrArray *
split_tokens (const char *text, TokenProblem *problem, char **bad_token)
{
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  gboolean quoted = FALSE;
  int comment = 0, angle = 0;
  const char *start = text;
  const char *p;

  *problem = TOKEN_OK;
  for (p = text; ; p++)
    {
      if (*p == '\0' || (*p == ',' && !quoted && comment == 0 && angle == 0))
        {
          g_autofree char *token = g_strstrip (g_strndup (start, p - start));

          if (*problem != TOKEN_OK || quoted || comment != 0 || angle != 0)
            {
              if (*problem == TOKEN_OK)
                *problem = TOKEN_UNBALANCED;
              *bad_token = g_steal_pointer (&token);
              return NULL;
            }
          if (*token != '\0')
            g_ptr_array_add (tokens, g_steal_pointer (&token));
          if (*p == '\0')
            break;
          start = p + 1;
          continue;
        }
      if (*problem != TOKEN_OK)
        continue;
      if (*p == '\\')
        {
          if (!quoted && comment == 0)
            *problem = TOKEN_BACKSLASH;
          else if (p[1] != '\0')
            p++;
        }
      else if (*p == '"' && comment == 0)
        quoted = !quoted;
      else if (quoted)
        continue;
      else if (*p == '(')
        comment++;
      else if (*p == ')')
        {
          if (comment == 0)
            *problem = TOKEN_UNBALANCED;
          else
            comment--;
        }
      else if (comment > 0)
        continue;
      else if (*p == '<')
        {
          if (++angle > 1)
            *problem = TOKEN_UNBALANCED;
        }
      else if (*p == '>')
        {
          if (angle == 0)
            *problem = TOKEN_UNBALANCED;
          else
            angle--;
        }
      else if ((*p == ':' || *p == ';') && angle == 0)
        *problem = TOKEN_GROUP;
    }
  return g_steal_pointer (&tokens);
}

static void
set_invalid (GError **error, const char *part)
{
  /* Translators: %s is what the user typed where an address was expected */
  g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID,
               _("“%s” is not a valid email address."), part);
}

/* The first of @chars in @p outside quoted strings and comments, or NULL. */
static const char *
next_top_level (const char *p, const char *chars)
{
  gboolean quoted = FALSE;
  int comment = 0;

  for (; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"' && comment == 0)
        quoted = !quoted;
      else if (quoted)
        continue;
      else if (*p == '(')
        comment++;
      else if (*p == ')' && comment > 0)
        comment--;
      else if (comment == 0 && strchr (chars, *p) != NULL)
        return p;
    }
  return NULL;
}

/* The number of '@' outside quoted strings and comments: exactly one per
 * address. GMime's lenient parser silently drops what it cannot read
 * ("a@b@c" becomes "a@b"), so the count catches text that would vanish. */
static guint
count_at_signs (const char *text)
{
  guint n = 0;

  for (const char *p = next_top_level (text, "@"); p != NULL; p = next_top_level (p + 1, "@"))
    n++;
  return n;
}

/* Skips white space and comments; NULL if a comment is not closed. */
static const char *
skip_cfws (const char *p)
{
  int comment = 0;

  for (; *p != '\0'; p++)
    {
      if (comment > 0 && *p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '(')
        comment++;
      else if (comment > 0 && *p == ')')
        comment--;
      else if (comment == 0 && !g_ascii_isspace (*p))
        return p;
    }
  return comment == 0 ? p : NULL;
}

/* The addr-spec of one address as typed: "Name <addr>" or a bare "addr",
 * with comments around it if the user likes. Anything else there (a second
 * address without a comma, words after the '>' or around a bare address, a
 * comment inside the brackets) makes it NULL: GMime would drop it silently.
 * The addr-spec is kept as typed; GMime turns a punycode domain into
 * Unicode, so its reading is only compared with this one. */
static char *
find_addr_spec (const char *token)
{
  const char *open = next_top_level (token, "<");
  const char *start, *end, *rest;

  if (open != NULL)
    {
      start = open + 1;
      end = strchr (start, '>');
      if (end == NULL)
        return NULL;
      rest = end + 1;
    }
  else
    {
      start = skip_cfws (token);
      if (start == NULL)
        return NULL;
      for (end = start; *end != '\0' && !g_ascii_isspace (*end) && *end != '('; end++)
        ;
      rest = end;
    }
  rest = skip_cfws (rest);
  if (rest == NULL || *rest != '\0')
    return NULL;
  return g_strndup (start, end - start);
}

static gboolean
reads_as_name (const char *text, const char *name)
{
  g_autofree char *encoded = b_words_as_q (text);
  g_autoptr(InternetAddressList) back = internet_address_list_parse (NULL, encoded);
  g_autofree char *read = NULL;

  if (back == NULL || internet_address_list_length (back) != 1)
    return FALSE;
  read = canonical_name (internet_address_get_name (internet_address_list_get_address (back, 0)));
  return g_strcmp0 (read, name) == 0;
}

/* TRUE if @name comes back the same from a header and from a field, joined
 * as signet_address_join() joins it. GMime 3.2 leaves a '=' unescaped in Q
 * encoded words ("Émile=41" arrives as "ÉmileA"), and it parses and
 * re-encodes whatever text is set as an address header, so no way of
 * joining can protect such a name: it is refused when typed. */
static gboolean
name_round_trips (const char *name)
{
  g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  g_autofree char *header = NULL;
  g_autofree char *display = NULL;

  g_ptr_array_add (one, signet_address_new (name, "a@example.org"));
  header = signet_address_join (one, TRUE);
  display = signet_address_join (one, FALSE);
  return reads_as_name (header, name) && reads_as_name (display, name);
}

/* TRUE if @name, already decoded, can be written into a header and shown in
 * a field and come back the same (as signet_address_new() keeps it, with
 * its white space made single spaces), with nothing a mail program would
 * decode or show as a line break; FALSE for a blank name. So no name holds
 * the start of an encoded word ("=?"), not even from a doubly encoded name
 * ("=?utf-8?q?abc?="): GMime writes ASCII words as they are, and mail
 * programs decode encoded words wherever they find them, even inside
 * quoted strings and words and across spaces and addresses
 * ("=?x?q?=8A <a@example.org>, b?=@example.org"). */
gboolean
signet_address_name_is_sendable (const char *name)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (name != NULL, FALSE);

  if (!signet_header_check (name, NULL))
    return FALSE;
  canonical = canonical_name (name);
  return canonical != NULL && strstr (canonical, "=?") == NULL && name_round_trips (canonical);
}

/* TRUE if @name, from a user ID anyone may have published (on a keyserver,
 * in a directory, imported into the keyring), may be shown beside its
 * address: it could be sent, and it has no mark that would show the
 * address after it reordered, as another address. */
gboolean
signet_address_published_name_is_shown (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);

  return signet_address_name_is_sendable (name) && !signet_text_has_reordering_marks (name);
}

/* The one mailbox GMime reads in @token, if it is the address found there.
 * GMime reads a punycode domain into Unicode: then its ASCII form is the
 * one typed. */
static InternetAddress *
read_mailbox (InternetAddressList *list, const char *email)
{
  InternetAddressMailbox *mailbox;

  if (list == NULL || internet_address_list_length (list) != 1 ||
      !INTERNET_ADDRESS_IS_MAILBOX (internet_address_list_get_address (list, 0)))
    return NULL;
  mailbox = INTERNET_ADDRESS_MAILBOX (internet_address_list_get_address (list, 0));
  if (strcmp (internet_address_mailbox_get_addr (mailbox), email) != 0 &&
      g_ascii_strcasecmp (internet_address_mailbox_get_idn_addr (mailbox), email) != 0)
    return NULL;
  return INTERNET_ADDRESS (mailbox);
}

/* One address as typed: exactly one mailbox with a valid addr-spec and
 * nothing else, read by GMime (which decodes RFC 2047 encoded words in the
 * name); the name, decoded, still has no control character and comes back
 * the same from a header and from a field. */
static SignetAddress *
parse_token (const char *token, Rule rule, GError **error)
{
  g_autofree char *email = find_addr_spec (token);
  g_autofree char *encoded = NULL;
  g_autoptr(InternetAddressList) list = NULL;
  g_autofree char *name = NULL;
  InternetAddress *ia;

  if (email == NULL || count_at_signs (token) != 1 || !is_valid_email (email, rule))
    {
      set_invalid (error, token);
      return NULL;
    }
  if (!signet_header_check (token, NULL))
    {
      /* Translators: %s is an address as the user typed it */
      g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_CONTROL_CHARACTER,
                   _("The name in “%s” contains line breaks or control characters."), token);
      return NULL;
    }
  encoded = b_words_as_q (token);
  list = internet_address_list_parse (NULL, encoded);
  ia = read_mailbox (list, email);
  if (ia == NULL)
    {
      set_invalid (error, token);
      return NULL;
    }
  name = canonical_name (internet_address_get_name (ia));
  if (name != NULL && (starts_encoded_word (name, rule) || !name_round_trips (name)))
    {
      /* Translators: %s is an address as the user typed it */
      g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID,
                   _("The name in “%s” cannot be sent as it is: mail programs would read a “=” in it as encoded text."),
                   token);
      return NULL;
    }
  /* An encoded word can decode to what could not be typed. */
  if (name != NULL && !signet_header_check (name, NULL))
    {
      /* Translators: %s is an address as the user typed it */
      g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_CONTROL_CHARACTER,
                   _("The name in “%s” contains line breaks or control characters."), token);
      return NULL;
    }
  return signet_address_new (name, email);
}

/* Parses a comma-separated address list as typed into a To/Cc/Bcc field,
 * a mailto: link or an option. Either every part is an address, or the
 * whole list is refused with a message naming the bad part: nothing that
 * was typed can silently disappear. Empty or blank text yields an empty
 * array. */
static GPtrArray *
parse_list (const char *text,
            Rule        rule,
            GError    **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  g_autoptr(GPtrArray) tokens = NULL;
  g_autofree char *bad = NULL;
  TokenProblem problem;

  g_return_val_if_fail (text != NULL, NULL);

  if (!check_characters (text, error))
    return NULL;
  signet_core_init ();
  tokens = split_tokens (text, &problem, &bad);
  if (tokens == NULL)
    {
      if (problem == TOKEN_GROUP)
        /* Translators: %s is what the user typed */
        g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID,
                     _("“%s” is a group of addresses; type each address instead."), bad);
      else
        set_invalid (error, bad);
      return NULL;
    }
  for (guint i = 0; i < tokens->len; i++)
    {
      SignetAddress *address = parse_token (g_ptr_array_index (tokens, i), rule, error);

      if (address == NULL)
        return NULL;
      g_ptr_array_add (out, address);
    }
  return g_steal_pointer (&out);
}

GPtrArray *
signet_address_parse_list (const char *text,
                           GError    **error)
{
  return parse_list (text, RULE_TYPED, error);
}

/* Addresses as an earlier Signet may have written them into a message, a
 * draft or the Outbox (signet_address_is_valid_stored_email()): what it
 * wrote is read back, not lost; signet_message_validate() asks for it to
 * be corrected before it is sent. */
GPtrArray *
signet_address_parse_list_stored (const char *text,
                                  GError    **error)
{
  return parse_list (text, RULE_STORED, error);
}

/* A name as shown in a field: as it is when it is words of atext and
 * non-ASCII letters, else a quoted string. GMime's own display form leaves
 * '"' and '\' unescaped, and the name would not parse back the same. */
static void
append_display_name (GString *out, const char *name)
{
  gboolean plain = TRUE;

  for (const char *p = name; *p != '\0' && plain; p++)
    plain = *p == ' ' || is_atext ((guchar) *p);
  if (plain)
    {
      g_string_append (out, name);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static char *
join_for_display (GPtrArray *addresses)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (addresses, i);

      if (i > 0)
        g_string_append (out, ", ");
      if (a->name == NULL)
        {
          g_string_append (out, a->email);
          continue;
        }
      append_display_name (out, a->name);
      g_string_append_printf (out, " <%s>", a->email);
    }
  return g_string_free (out, FALSE);
}

/* The one way addresses are joined into text: for a header (@for_header,
 * RFC 2047-encoded and folded by GMime) or for display in a field. Either
 * form parses back to the same names and addresses.
 *
 * GMime parses the text set as an address header and writes it anew, and
 * its parser misreads the adjacent base64 words its own encoder writes for
 * a long name (see b_words_as_q()): the header text has them as Q words,
 * which may be longer than RFC 2047's 75 characters but read right. */
char *
signet_address_join (GPtrArray *addresses,
                     gboolean   for_header)
{
  g_autoptr(InternetAddressList) list = NULL;
  g_autofree char *text = NULL;

  if (!for_header)
    return join_for_display (addresses);
  signet_core_init ();
  list = internet_address_list_new ();
  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (addresses, i);
      g_autoptr(InternetAddress) ia = internet_address_mailbox_new (a->name, a->email);
      internet_address_list_add (list, ia);
    }
  text = internet_address_list_to_string (list, NULL, TRUE);
  return text != NULL ? b_words_as_q (text) : g_strdup ("");
}

/* The one form in which addresses are compared, wherever they are (the
 * same address however it is written): Unicode NFC, then case folding of
 * the whole address (so "STRASSE", "straße" and "STRAẞE" are one), then NFC
 * again; the domain, when IDNA accepts it (g_hostname_to_ascii), in its
 * ASCII form, so "bücher.example", "BÜCHER.example" and
 * "xn--bcher-kva.example" are one domain (a punycode domain is decoded
 * first, so that it is folded like the same domain written in Unicode).
 * Never NULL. */
static char *
fold (const char *text)
{
  g_autofree char *nfc = g_utf8_normalize (text, -1, G_NORMALIZE_NFC);
  g_autofree char *folded = g_utf8_casefold (nfc, -1);

  return g_utf8_normalize (folded, -1, G_NORMALIZE_NFC);
}

char *
signet_address_normalize (const char *email)
{
  g_autofree char *typed_local = NULL;
  g_autofree char *local = NULL;
  g_autofree char *unicode = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *ascii = NULL;
  const char *at;

  if (email == NULL || !g_utf8_validate (email, -1, NULL))
    return g_strdup ("");
  at = strrchr (email, '@');
  if (at == NULL)
    return fold (email);
  typed_local = g_strndup (email, at - email);
  local = fold (typed_local);
  unicode = g_hostname_is_ascii_encoded (at + 1) ? g_hostname_to_unicode (at + 1) : NULL;
  domain = fold (unicode != NULL ? unicode : at + 1);
  ascii = g_hostname_to_ascii (domain);
  return g_strdup_printf ("%s@%s", local, ascii != NULL ? ascii : domain);
}

gboolean
signet_address_equal_email (const char *a,
                            const char *b)
{
  g_autofree char *na = signet_address_normalize (a);
  g_autofree char *nb = signet_address_normalize (b);

  return g_strcmp0 (na, nb) == 0;
}

/* Parses exactly one address, as used for the sender identity. */
SignetAddress *
signet_address_parse (const char *text,
                      GError    **error)
{
  g_autoptr(GPtrArray) list = signet_address_parse_list (text, error);

  if (list == NULL)
    return NULL;
  if (list->len != 1)
    {
      if (list->len == 0)
        g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_EMPTY,
                     _("No email address was given."));
      else
        g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID,
                     _("Only one email address is allowed here."));
      return NULL;
    }
  return signet_address_copy (g_ptr_array_index (list, 0));
}
