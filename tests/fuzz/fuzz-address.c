/* Address lists as typed into To, Cc and Bcc or pasted from a header: either
 * refused with a message, or every address valid and the list the same when
 * shown in a field and when written as a header, with no header line of its
 * own. */

#include "fuzz-check.h"

#include <string.h>

#include "signet-errors.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) one_error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(SignetAddress) one = NULL;

  fuzz_init ();
  list = signet_address_parse_list (text, &error);
  one = signet_address_parse (text, &one_error);
  if (list == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == SIGNET_ADDRESS_ERROR && *error->message != '\0' &&
                  g_utf8_validate (error->message, -1, NULL), "a refusal without a message", text, NULL);
      FUZZ_CHECK (one == NULL, "one address accepted where the list was refused", text, NULL);
      return 0;
    }
  FUZZ_CHECK (error == NULL, "an error set for a list accepted", text, error->message);
  fuzz_check_addresses (text, list);
  FUZZ_CHECK ((one != NULL) == (list->len == 1), "one address read otherwise than a list of one", text, NULL);
  if (one != NULL)
    {
      const SignetAddress *first = g_ptr_array_index (list, 0);

      FUZZ_CHECK (g_strcmp0 (one->name, first->name) == 0 && strcmp (one->email, first->email) == 0,
                  "one address read otherwise than a list of one", text, one->email);
    }
  return 0;
}
