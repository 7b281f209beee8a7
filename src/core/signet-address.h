#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SIGNET_TYPE_ADDRESS (signet_address_get_type ())

typedef struct {
  char *name;   /* display name, trimmed and single-spaced; NULL if none */
  char *email;  /* addr-spec as typed */
} SignetAddress;

GType          signet_address_get_type   (void) G_GNUC_CONST;
SignetAddress *signet_address_new        (const char    *name,
                                          const char    *email);
SignetAddress *signet_address_copy       (const SignetAddress *address);
void           signet_address_free       (SignetAddress *address);
char          *signet_address_to_string  (const SignetAddress *address);

SignetAddress *signet_address_parse      (const char    *text,
                                          GError       **error);
GPtrArray     *signet_address_parse_list (const char    *text,
                                          GError       **error);
GPtrArray     *signet_address_parse_list_stored (const char *text,
                                                 GError    **error);
gboolean       signet_address_is_valid_email (const char *email);
gboolean       signet_address_is_valid_stored_email (const char *email);
gboolean       signet_is_reordering_mark (gunichar c);
gboolean       signet_text_has_reordering_marks (const char *text);
char          *signet_address_join       (GPtrArray     *addresses,
                                          gboolean       for_header);
char          *signet_address_normalize  (const char    *email);
gboolean       signet_address_equal_email (const char   *a,
                                          const char   *b);
gboolean       signet_address_name_is_sendable (const char *name);
gboolean       signet_address_published_name_is_shown (const char *name);
gboolean       signet_header_check       (const char    *text,
                                          GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignetAddress, signet_address_free)

G_END_DECLS
