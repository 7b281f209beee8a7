/* Message files as drafts, the Outbox and Sent hold them, which anything
 * with access to the mail store may have changed: either refused with a
 * message, or every address read is valid, the text is UTF-8, and the
 * message saved again as a draft opens as it was read. Sealed messages
 * stop where gpg would be started. */

#include "fuzz-check.h"

#include <unistd.h>

#include "signet-errors.h"
#include "signet-message-reader.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetMessage) message = NULL;
  g_autoptr(GPtrArray) from = g_ptr_array_new ();
  gboolean sealed = TRUE;
  int fd;

  fuzz_init ();
  fd = fuzz_memory_file (data, size);
  message = signet_message_reader_read (fuzz_get_directory (), fd, &sealed, NULL, &error);
  close (fd);
  if (message == NULL)
    {
      FUZZ_CHECK (error != NULL && *error->message != '\0' && g_utf8_validate (error->message, -1, NULL),
                  "a refusal without a message", input, NULL);
      /* What is not refused as a file is refused where gpg would start. */
      FUZZ_CHECK (error->domain == SIGNET_MESSAGE_READER_ERROR ||
                  g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED),
                  "a refusal of an unexpected kind", input, error->message);
      return 0;
    }
  FUZZ_CHECK (!sealed && !signet_message_get_seal (message), "a message read as sealed without gpg", input, NULL);
  FUZZ_CHECK (signet_message_get_from (message) != NULL, "a message read without a sender", input, NULL);
  g_ptr_array_add (from, (gpointer) signet_message_get_from (message));
  /* Valid; that they come back the same as typed is the address target's
   * property, and that they do from a draft the round trip's below. */
  fuzz_check_valid_addresses (input, from, TRUE);
  for (SignetRecipientKind k = SIGNET_RECIPIENT_TO; k < SIGNET_N_RECIPIENT_KINDS; k++)
    {
      g_autoptr(GPtrArray) list = signet_message_dup_recipients (message, k);

      fuzz_check_valid_addresses (input, list, TRUE);
    }
  FUZZ_CHECK (g_utf8_validate (signet_message_get_subject (message), -1, NULL), "the subject is not UTF-8", input,
              NULL);
  FUZZ_CHECK (g_utf8_validate (signet_message_get_body (message), -1, NULL), "the text is not UTF-8", input, NULL);
  fuzz_check_draft_roundtrip (input, message);
  return 0;
}
