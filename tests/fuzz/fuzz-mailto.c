/* mailto: links, which any web page can hand to Signet: either refused with
 * a message, or what they fill in is valid (addresses that come back the
 * same, a subject without line breaks, a text without control characters)
 * and, saved as a draft, has only the header fields Signet writes and opens
 * again as it was. */

#include "fuzz-check.h"

#include <string.h>

#include "signet-errors.h"
#include "signet-mailto.h"

static gboolean
is_clean_body (const char *body)
{
  if (!g_utf8_validate (body, -1, NULL))
    return FALSE;
  for (const char *p = body; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) && c != '\n' && c != '\t')
        return FALSE;
    }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *uri = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) message = NULL;
  g_autoptr(SignetAddress) from = NULL;

  fuzz_init ();
  message = signet_mailto_parse (uri, &error);
  if (message == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, SIGNET_MAILTO_ERROR, SIGNET_MAILTO_ERROR_INVALID) &&
                  *error->message != '\0' && g_utf8_validate (error->message, -1, NULL),
                  "a refusal without a message", uri, NULL);
      return 0;
    }
  FUZZ_CHECK (signet_header_check (signet_message_get_subject (message), NULL),
              "the subject has a line break or a control character", uri, signet_message_get_subject (message));
  FUZZ_CHECK (is_clean_body (signet_message_get_body (message)), "the text has a control character", uri,
              signet_message_get_body (message));
  for (SignetRecipientKind k = SIGNET_RECIPIENT_TO; k < SIGNET_N_RECIPIENT_KINDS; k++)
    {
      g_autoptr(GPtrArray) list = signet_message_dup_recipients (message, k);

      fuzz_check_addresses (uri, list);
    }
  /* The composer fills in the sender. */
  from = signet_address_new ("Fuzz", "fuzz@example.org");
  signet_message_set_from (message, from);
  fuzz_check_draft_roundtrip (uri, message);
  return 0;
}
