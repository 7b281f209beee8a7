#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"
#include "signet-message.h"

G_BEGIN_DECLS

#define SIGNET_MESSAGE_READER_ERROR (signet_message_reader_error_quark ())

typedef enum {
  /* The file is not an email message at all (empty, no sender, not text). */
  SIGNET_MESSAGE_READER_ERROR_NOT_A_MESSAGE,
  /* A message, but truncated or malformed. */
  SIGNET_MESSAGE_READER_ERROR_DAMAGED,
  /* Beyond what the reader takes on: too large, too deeply nested, too
   * many parts. */
  SIGNET_MESSAGE_READER_ERROR_TOO_COMPLEX,
  /* Sealed in a way Signet does not open (not PGP/MIME, or sealed twice). */
  SIGNET_MESSAGE_READER_ERROR_UNSUPPORTED,
  /* The file or a file in memory could not be read or made. */
  SIGNET_MESSAGE_READER_ERROR_FAILED,
} SignetMessageReaderError;

GQuark         signet_message_reader_error_quark (void);

SignetMessage *signet_message_reader_read (SignetKeyDirectory *directory,
                                           int                 fd,
                                           gboolean           *sealed,
                                           GCancellable       *cancellable,
                                           GError            **error);

G_END_DECLS
