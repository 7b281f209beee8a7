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
  g_autoptr(InternetAddress) mailbox = NULL;

  signet_core_init ();
  mailbox = internet_address_mailbox_new (address->name, address->email);
  return internet_address_to_string (mailbox, NULL, FALSE);
}

/* Rejects CR, LF and every other control character: in a header they would
 * let a user (or a mailto: link) inject extra headers. */
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
  for (const char *p = text; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
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

static gboolean
collect_mailboxes (InternetAddressList *list,
                   GPtrArray           *out,
                   GError             **error)
{
  int n = internet_address_list_length (list);

  for (int i = 0; i < n; i++)
    {
      InternetAddress *ia = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_GROUP (ia))
        {
          InternetAddressList *members = internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia));
          if (!collect_mailboxes (members, out, error))
            return FALSE;
          continue;
        }

      const char *email = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
      if (!signet_address_is_valid_email (email))
        {
          /* Translators: %s is what the user typed where an address was expected */
          g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID,
                       _("“%s” is not a valid email address."), email ? email : "");
          return FALSE;
        }
      g_ptr_array_add (out, signet_address_new (internet_address_get_name (ia), email));
    }
  return TRUE;
}

/* The number of '@' outside quoted strings and comments: one per address.
 * GMime's lenient parser silently drops what it cannot read ("a@b@c" becomes
 * "a@b"), so the count catches text that would otherwise vanish unseen. */
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

/* Parses a comma-separated address list as typed into a To/Cc/Bcc field.
 * Empty or blank text yields an empty array. */
GPtrArray *
signet_address_parse_list (const char *text,
                           GError    **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  g_autoptr(InternetAddressList) list = NULL;
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  if (!signet_header_check (text, error))
    return NULL;
  stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0')
    return g_steal_pointer (&out);

  signet_core_init ();
  list = internet_address_list_parse (NULL, stripped);
  if (list == NULL || internet_address_list_length (list) == 0)
    {
      g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID,
                   _("“%s” is not a valid email address."), stripped);
      return NULL;
    }
  if (!collect_mailboxes (list, out, error))
    return NULL;
  if (count_at_signs (stripped) != out->len)
    {
      g_set_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID,
                   _("“%s” is not a valid email address."), stripped);
      return NULL;
    }
  return g_steal_pointer (&out);
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
