#pragma once

#include <gio/gio.h>

#include "signet-key-directory.h"

G_BEGIN_DECLS

/* One suggestion for an address being typed. */
#define SIGNET_TYPE_COMPLETION (signet_completion_get_type ())

typedef struct {
  char            *name;         /* display name; NULL if none */
  char            *email;        /* addr-spec */
  SignetKeyStatus  status;       /* the address's key status, as sending would see it */
  char            *fingerprint;  /* the key the status is about; NULL when AMBIGUOUS or unknown */
  char            *source;       /* where it was found: "keyring", later "ldap", "keyserver" */
} SignetCompletion;

GType             signet_completion_get_type (void) G_GNUC_CONST;
SignetCompletion *signet_completion_new      (const char             *name,
                                              const char             *email,
                                              SignetKeyStatus         status,
                                              const char             *fingerprint,
                                              const char             *source);
SignetCompletion *signet_completion_copy     (const SignetCompletion *completion);
void              signet_completion_free     (SignetCompletion       *completion);
int               signet_completion_compare  (const SignetCompletion *a,
                                              const SignetCompletion *b);
gboolean          signet_completion_matches  (const char             *folded_prefix,
                                              const char             *name,
                                              const char             *email);
char             *signet_completion_fold     (const char             *text);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetCompletion, signet_completion_free)

/* A source of suggestions: the local keyring, a directory server, a
 * keyserver. */
#define SIGNET_TYPE_COMPLETION_PROVIDER (signet_completion_provider_get_type ())
G_DECLARE_INTERFACE (SignetCompletionProvider, signet_completion_provider, SIGNET, COMPLETION_PROVIDER, GObject)

struct _SignetCompletionProviderInterface
{
  GTypeInterface parent_iface;

  /* Finds at most @max_results addresses (0: no limit) that @prefix
   * completes, best first (signet_completion_compare()), one per address.
   * Must not block the calling thread's main loop; when @cancellable is
   * cancelled it should finish promptly with G_IO_ERROR_CANCELLED. */
  void       (*search_async)  (SignetCompletionProvider *self,
                               const char               *prefix,
                               guint                     max_results,
                               GCancellable             *cancellable,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data);
  /* An array of SignetCompletion. */
  GPtrArray *(*search_finish) (SignetCompletionProvider *self,
                               GAsyncResult             *result,
                               GError                  **error);
};

void       signet_completion_provider_search_async  (SignetCompletionProvider *self,
                                                     const char               *prefix,
                                                     guint                     max_results,
                                                     GCancellable             *cancellable,
                                                     GAsyncReadyCallback       callback,
                                                     gpointer                  user_data);
GPtrArray *signet_completion_provider_search_finish (SignetCompletionProvider *self,
                                                     GAsyncResult             *result,
                                                     GError                  **error);

/* Asks every provider in @providers at once and merges their answers: one
 * suggestion per address (compared normalised), best status first, then by
 * name; at most @max_results (0: no limit). Where two providers know an
 * address, the better status wins, and of equals the earlier provider. */
void       signet_completion_search_all_async       (GPtrArray                *providers,
                                                     const char               *prefix,
                                                     guint                     max_results,
                                                     GCancellable             *cancellable,
                                                     GAsyncReadyCallback       callback,
                                                     gpointer                  user_data);
GPtrArray *signet_completion_search_all_finish      (GAsyncResult             *result,
                                                     GError                  **error);

G_END_DECLS
