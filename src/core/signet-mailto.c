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

/* Percent-decodes @len bytes of @text; NULL for a bad escape or bad UTF-8. */
static char *
decode (const char *text, gsize len)
{
  g_autofree char *decoded = g_uri_unescape_segment (text, text + len, NULL);

  if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
    return NULL;
  return g_steal_pointer (&decoded);
}

static void
append_list (GString *list, const char *addresses)
{
  if (*addresses == '\0')
    return;
  if (list->len > 0)
    g_string_append (list, ", ");
  g_string_append (list, addresses);
}

static gboolean
add_addresses (SignetMessage *message,
               const char    *text,
               void         (*add) (SignetMessage *, const SignetAddress *),
               GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) list = signet_address_parse_list (text, &local_error);

  if (list == NULL)
    return fail (error, local_error->message);
  for (guint i = 0; i < list->len; i++)
    add (message, g_ptr_array_index (list, i));
  return TRUE;
}

/* The body may have line breaks; they arrive as %0D%0A. */
static char *
normalise_body (const char *body)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = body; *p != '\0'; p++)
    {
      if (*p == '\r')
        {
          g_string_append_c (out, '\n');
          if (p[1] == '\n')
            p++;
        }
      else if ((guchar) *p < 0x20 && *p != '\n' && *p != '\t')
        return NULL;
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

typedef struct {
  GString *to;
  GString *cc;
  GString *bcc;
  char    *subject;
  char    *body;
} Fields;

static gboolean
take_field (Fields *fields, const char *pair, GError **error)
{
  const char *eq = strchr (pair, '=');
  g_autofree char *name = NULL;
  g_autofree char *value = NULL;

  if (eq == NULL || eq == pair)
    return fail (error, _("A part of the link is not of the form name=value."));
  name = decode (pair, eq - pair);
  value = decode (eq + 1, strlen (eq + 1));
  if (name == NULL || value == NULL)
    return fail (error, _("The link is not correctly encoded."));

  if (g_ascii_strcasecmp (name, "to") == 0)
    append_list (fields->to, value);
  else if (g_ascii_strcasecmp (name, "cc") == 0)
    append_list (fields->cc, value);
  else if (g_ascii_strcasecmp (name, "bcc") == 0)
    append_list (fields->bcc, value);
  else if (g_ascii_strcasecmp (name, "subject") == 0)
    g_free (fields->subject), fields->subject = g_steal_pointer (&value);
  else if (g_ascii_strcasecmp (name, "body") == 0)
    g_free (fields->body), fields->body = g_steal_pointer (&value);
  /* Everything else (attach, in-reply-to, unknown headers) is ignored. */
  return TRUE;
}

static gboolean
fill_message (SignetMessage *message, Fields *fields, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!add_addresses (message, fields->to->str, signet_message_add_to, error) ||
      !add_addresses (message, fields->cc->str, signet_message_add_cc, error) ||
      !add_addresses (message, fields->bcc->str, signet_message_add_bcc, error))
    return FALSE;
  if (fields->subject != NULL)
    {
      if (!signet_header_check (fields->subject, &local_error))
        return fail (error, _("The link’s subject contains line breaks or control characters."));
      signet_message_set_subject (message, fields->subject);
    }
  if (fields->body != NULL)
    {
      g_autofree char *body = normalise_body (fields->body);
      if (body == NULL)
        return fail (error, _("The link’s text contains control characters."));
      signet_message_set_body (message, body);
    }
  return TRUE;
}

/* Parses a mailto: URI into a message to compose (addresses, subject, body). */
SignetMessage *
signet_mailto_parse (const char *uri,
                     GError    **error)
{
  g_autoptr(SignetMessage) message = NULL;
  g_auto(GStrv) pairs = NULL;
  Fields fields = { g_string_new (NULL), g_string_new (NULL), g_string_new (NULL), NULL, NULL };
  const char *rest, *query;
  gboolean ok = TRUE;

  g_return_val_if_fail (uri != NULL, NULL);

  if (strlen (uri) > SIGNET_MAILTO_MAX_LENGTH)
    ok = fail (error, _("The link is too long."));
  else if (g_ascii_strncasecmp (uri, "mailto:", 7) != 0)
    ok = fail (error, _("This is not a mailto: link."));
  if (ok)
    {
      g_autofree char *to = NULL;

      rest = uri + 7;
      query = strchr (rest, '?');
      to = decode (rest, query ? (gsize) (query - rest) : strlen (rest));
      if (to == NULL)
        ok = fail (error, _("The link is not correctly encoded."));
      else
        append_list (fields.to, to);
      if (ok && query != NULL)
        {
          pairs = g_strsplit (query + 1, "&", -1);
          for (guint i = 0; ok && pairs[i] != NULL; i++)
            if (pairs[i][0] != '\0')
              ok = take_field (&fields, pairs[i], error);
        }
    }
  if (ok)
    {
      message = signet_message_new ();
      ok = fill_message (message, &fields, error);
    }
  g_string_free (fields.to, TRUE);
  g_string_free (fields.cc, TRUE);
  g_string_free (fields.bcc, TRUE);
  g_free (fields.subject);
  g_free (fields.body);
  return ok ? g_steal_pointer (&message) : NULL;
}
