#pragma once

/* What every fuzz target checks of what Signet accepted: the properties a
 * user relies on, not only that nothing crashed. A broken property prints
 * the input and aborts, so that libFuzzer (or the replay runner) keeps the
 * input as a crash. */

#include <glib.h>
#include <stdint.h>
#include <stddef.h>

#include "signet-address.h"
#include "signet-key-directory.h"
#include "signet-message.h"

G_BEGIN_DECLS

int  LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

void fuzz_init                 (void);
void fuzz_fail                 (const char *what, const char *input, const char *detail) G_GNUC_NORETURN;
void fuzz_check_valid_addresses (const char *input, GPtrArray *list, gboolean stored);
void fuzz_check_addresses      (const char *input, GPtrArray *list);
void fuzz_check_written_fields (const char *input, const char *data, gsize len);
void fuzz_check_draft_roundtrip (const char *input, SignetMessage *message);
int  fuzz_memory_file          (const void *data, gsize len);
SignetKeyDirectory *fuzz_get_directory (void);

#define FUZZ_CHECK(cond, what, input, detail) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) \
      fuzz_fail ((what), (input), (detail)); \
  } G_STMT_END

G_END_DECLS
