#define G_LOG_DOMAIN "signet-address"

#include "signet-address.h"

#include "signet-gmime.h"
#include <string.h>

#include "signet-core.h"
#include "signet-errors.h"
#include "signet-i18n.h"

G_DEFINE_BOXED_TYPE (SignetAddress, signet_address, signet_address_copy, signet_address_free)

SignetAddress *
signet_address_new (const char *name,
                    const char *email)
{
  SignetAddress *address = g_new0 (SignetAddress, 1);

  address->name = (name != NULL && *name != '\0') ? g_strdup (name) : NULL;
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

/* Rejects text that is not UTF-8 or has a control character: in a header
 * it would let a user (or a mailto: link) inject extra headers. Check text
 * after every decoding step too, not only as typed. */
gboolean
signet_header_check (const char *text,
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

static gboolean
is_valid_domain (const char *domain)
{
  g_auto(GStrv) labels = NULL;
  gsize len = strlen (domain);

  if (len == 0 || len > 253)
    return FALSE;
  labels = g_strsplit (domain, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      gsize l = strlen (labels[i]);

      if (l == 0 || l > 63 || labels[i][0] == '-' || labels[i][l - 1] == '-')
        return FALSE;
      for (gsize j = 0; j < l; j++)
        {
          guchar c = labels[i][j];
          if (!(g_ascii_isalnum (c) || c == '-' || c >= 0x80))
            return FALSE;
        }
    }
  return TRUE;
}

/* An RFC 5322 dot-atom addr-spec: local@domain. Quoted local parts are
 * deliberately refused; no key server or MTA a user meets handles them well. */
gboolean
signet_address_is_valid_email (const char *email)
{
  const char *at;

  if (email == NULL || !g_utf8_validate (email, -1, NULL))
    return FALSE;
  at = strrchr (email, '@');
  if (at == NULL)
    return FALSE;
  return is_valid_local_part (email, at - email) && is_valid_domain (at + 1);
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

/* The number of '@' outside quoted strings and comments: exactly one per
 * address. GMime's lenient parser silently drops what it cannot read
 * ("a@b@c" becomes "a@b"), so the count catches text that would vanish. */
static guint
count_at_signs (const char *text)
{
  gboolean quoted = FALSE;
  int comment = 0;
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"' && comment == 0)
        quoted = !quoted;
      else if (!quoted && *p == '(')
        comment++;
      else if (!quoted && *p == ')' && comment > 0)
        comment--;
      else if (!quoted && comment == 0 && *p == '@')
        n++;
    }
  return n;
}

/* One address as typed, with GMime (which decodes RFC 2047 encoded words in
 * the name): exactly one mailbox, a valid addr-spec, and a name that after
 * decoding still has no control character. */
static SignetAddress *
parse_token (const char *token, GError **error)
{
  g_autoptr(InternetAddressList) list = NULL;
  InternetAddress *ia;
  const char *email, *name;

  if (count_at_signs (token) != 1)
    {
      set_invalid (error, token);
      return NULL;
    }
  list = internet_address_list_parse (NULL, token);
  if (list == NULL || internet_address_list_length (list) != 1 ||
      !INTERNET_ADDRESS_IS_MAILBOX ((ia = internet_address_list_get_address (list, 0))))
    {
      set_invalid (error, token);
      return NULL;
    }
  email = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
  if (!signet_address_is_valid_email (email) || strstr (token, email) == NULL)
    {
      set_invalid (error, token);
      return NULL;
    }
  name = internet_address_get_name (ia);
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
GPtrArray *
signet_address_parse_list (const char *text,
                           GError    **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  g_autoptr(GPtrArray) tokens = NULL;
  g_autofree char *bad = NULL;
  TokenProblem problem;

  g_return_val_if_fail (text != NULL, NULL);

  if (!signet_header_check (text, error))
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
      SignetAddress *address = parse_token (g_ptr_array_index (tokens, i), error);

      if (address == NULL)
        return NULL;
      g_ptr_array_add (out, address);
    }
  return g_steal_pointer (&out);
}

/* The one way addresses are joined into text: for a header (@for_header,
 * RFC 2047-encoded and folded by GMime) or for display in a field. Either
 * form parses back to the same names and addresses. */
char *
signet_address_join (GPtrArray *addresses,
                     gboolean   for_header)
{
  g_autoptr(InternetAddressList) list = NULL;
  char *text;

  signet_core_init ();
  list = internet_address_list_new ();
  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (addresses, i);
      g_autoptr(InternetAddress) ia = internet_address_mailbox_new (a->name, a->email);
      internet_address_list_add (list, ia);
    }
  text = internet_address_list_to_string (list, NULL, for_header);
  return text != NULL ? text : g_strdup ("");
}

/* The one form in which addresses are compared, wherever they are: Unicode
 * NFC, then case folding of the whole address; an internationalised domain
 * that IDNA accepts is compared in its ASCII (punycode) form, so
 * "émile@bücher.example" and "ÉMILE@xn--bcher-kva.example" are the same.
 * Never NULL. */
char *
signet_address_normalize (const char *email)
{
  g_autofree char *nfc = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *domain_ascii = NULL;
  char *at;

  if (email == NULL || !g_utf8_validate (email, -1, NULL))
    return g_strdup ("");
  nfc = g_utf8_normalize (email, -1, G_NORMALIZE_NFC);
  folded = g_utf8_casefold (nfc, -1);
  /* Case folding can decompose (ß -> ss is fine, but İ -> i̇): recompose. */
  g_free (nfc);
  nfc = g_utf8_normalize (folded, -1, G_NORMALIZE_NFC);
  at = strrchr (nfc, '@');
  if (at == NULL)
    return g_steal_pointer (&nfc);
  domain_ascii = g_hostname_to_ascii (at + 1);
  if (domain_ascii == NULL)
    return g_steal_pointer (&nfc);
  *at = '\0';
  {
    g_autofree char *lower = g_ascii_strdown (domain_ascii, -1);
    return g_strdup_printf ("%s@%s", nfc, lower);
  }
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
