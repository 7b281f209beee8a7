#define G_LOG_DOMAIN "signet-mailto"

#include "signet-mailto.h"

#include <string.h>

#include "signet-errors.h"
#include "signet-i18n.h"

/* mailto: links (RFC 6068): what a browser or another application hands us
 * when the user clicks an address. The link is untrusted input: anything
 * that could smuggle a header (CR/LF), is not UTF-8, is badly escaped or is
 * unreasonably long is refused; attachments are ignored, since a link must
 * never make us read and send a local file. */

/* @reason is a whole sentence; the caller's heading says which link. */
static gboolean
fail (GError **error, const char *reason)
{
  g_set_error_literal (error, SIGNET_MAILTO_ERROR, SIGNET_MAILTO_ERROR_INVALID, reason);
  return FALSE;
}

/* Each list of addresses (the path, every to=, cc= and bcc=) is parsed on
 * its own: joined first, a quote opened in one field could swallow the
 * next one. */
static gboolean
add_addresses (SignetMessage      *message,
               SignetRecipientKind kind,
               const char         *text,
               GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) list = signet_address_parse_list (text, &local_error);

  if (list == NULL)
    return fail (error, local_error->message);
  for (guint i = 0; i < list->len; i++)
    signet_message_add_recipient (message, kind, g_ptr_array_index (list, i));
  return TRUE;
}

/* The body may have line breaks; they arrive as %0D%0A. No other control
 * character is text. */
static char *
normalise_body (const char *body)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = body; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\r')
        {
          g_string_append_c (out, '\n');
          if (p[1] == '\n')
            p++;
        }
      else if (g_unichar_iscntrl (c) && c != '\n' && c != '\t')
        return NULL;
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
take_field (SignetMessage *message,
            const char    *name,
            const char    *value,
            GError       **error)
{
  g_autofree char *body = NULL;

  if (*name == '\0')
    return fail (error, _("A part of the link is not of the form name=value."));
  if (g_ascii_strcasecmp (name, "to") == 0)
    return add_addresses (message, SIGNET_RECIPIENT_TO, value, error);
  if (g_ascii_strcasecmp (name, "cc") == 0)
    return add_addresses (message, SIGNET_RECIPIENT_CC, value, error);
  if (g_ascii_strcasecmp (name, "bcc") == 0)
    return add_addresses (message, SIGNET_RECIPIENT_BCC, value, error);
  if (g_ascii_strcasecmp (name, "subject") == 0)
    {
      if (!signet_header_check (value, NULL))
        return fail (error, _("The link’s subject contains line breaks or control characters."));
      signet_message_set_subject (message, value);
    }
  else if (g_ascii_strcasecmp (name, "body") == 0)
    {
      body = normalise_body (value);
      if (body == NULL)
        return fail (error, _("The link’s text contains control characters."));
      signet_message_set_body (message, body);
    }
  /* Everything else (attach, in-reply-to, unknown headers) is ignored. */
  return TRUE;
}

/* The query: name=value fields separated by '&', each name and value
 * percent-decoded by GUriParamsIter, which refuses bad escapes, an encoded
 * NUL and text that is not UTF-8. G_URI_PARAMS_NONE: a '+' stays a '+'. */
static gboolean
take_query (SignetMessage *message,
            const char    *query,
            GError       **error)
{
  GUriParamsIter iter;

  g_uri_params_iter_init (&iter, query, -1, "&", G_URI_PARAMS_NONE);
  while (TRUE)
    {
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      g_autoptr(GError) local_error = NULL;

      if (!g_uri_params_iter_next (&iter, &name, &value, &local_error))
        {
          if (local_error != NULL)
            return fail (error, _("The link is not correctly encoded."));
          return TRUE;
        }
      if (!take_field (message, name, value, error))
        return FALSE;
    }
}

/* Parses a mailto: URI into a message to compose (addresses, subject, body). */
SignetMessage *
signet_mailto_parse (const char *uri,
                     GError    **error)
{
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *host = NULL;
  g_autofree char *path = NULL;
  g_autofree char *query = NULL;
  g_autofree char *fragment = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  if (strlen (uri) > SIGNET_MAILTO_MAX_LENGTH)
    {
      fail (error, _("The link is too long."));
      return NULL;
    }
  if (g_strcmp0 (g_uri_peek_scheme (uri), "mailto") != 0)
    {
      fail (error, _("This is not a mailto: link."));
      return NULL;
    }
  /* g_uri_split(), not g_uri_parse(): a mailto: path is opaque, a list of
   * addresses, and g_uri_parse() would remove "dot segments" from it as
   * from a file path, sending "a/./b@example.org" to "a/b@example.org".
   * The path comes back decoded (bad escapes, an encoded NUL and text that
   * is not UTF-8 are refused), the query still encoded. A link has no
   * authority, and a '#' must be encoded: what follows one would be lost. */
  if (!g_uri_split (uri, G_URI_FLAGS_ENCODED_QUERY, NULL, NULL, &host, NULL, &path, &query, &fragment, NULL) ||
      host != NULL || fragment != NULL)
    {
      fail (error, _("The link is not correctly encoded."));
      return NULL;
    }

  message = signet_message_new ();
  /* GUri cannot split the path into addresses; the address parser does. */
  if (!add_addresses (message, SIGNET_RECIPIENT_TO, path, error))
    return NULL;
  if (query != NULL && !take_query (message, query, error))
    return NULL;
  return g_steal_pointer (&message);
}
