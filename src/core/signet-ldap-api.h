#pragma once

/* libldap, opened the first time the organisation's directory is searched
 * for an address, not when Signet starts (it brings the TLS and SASL
 * libraries with it). Code that searches the directory includes this
 * instead of <ldap.h>, calls signet_ldap_api_load() before anything else
 * and libldap as usual afterwards: the calls go through the table below. */

#include <gio/gio.h>
#include <ldap.h>

G_BEGIN_DECLS

typedef struct {
  __typeof__ (ldap_initialize)                 *initialize;
  __typeof__ (ldap_url_parse)                  *url_parse;
  __typeof__ (ldap_free_urldesc)               *free_urldesc;
  __typeof__ (ldap_set_option)                 *set_option;
  __typeof__ (ldap_sasl_bind)                  *sasl_bind;
  __typeof__ (ldap_result)                     *result;
  __typeof__ (ldap_parse_result)               *parse_result;
  __typeof__ (ldap_abandon_ext)                *abandon_ext;
  __typeof__ (ldap_unbind_ext_s)               *unbind_ext_s;
  __typeof__ (ldap_search_ext)                 *search_ext;
  __typeof__ (ldap_search_ext_s)               *search_ext_s;
  __typeof__ (ldap_first_entry)                *first_entry;
  __typeof__ (ldap_next_entry)                 *next_entry;
  __typeof__ (ldap_get_values_len)             *get_values_len;
  __typeof__ (ldap_value_free_len)             *value_free_len;
  __typeof__ (ldap_msgfree)                    *msgfree;
  __typeof__ (ldap_err2string)                 *err2string;
  __typeof__ (ldap_create_page_control)        *create_page_control;
  __typeof__ (ldap_parse_pageresponse_control) *parse_pageresponse_control;
  __typeof__ (ldap_control_find)               *control_find;
  __typeof__ (ldap_control_free)               *control_free;
  __typeof__ (ldap_controls_free)              *controls_free;
  __typeof__ (ber_memfree)                     *ber_memfree;
} SignetLdapApi;

gboolean             signet_ldap_api_load (GError **error);
const SignetLdapApi *signet_ldap_api      (void);

#ifndef SIGNET_LDAP_API_TABLE
#define ldap_initialize                 (signet_ldap_api ()->initialize)
#define ldap_url_parse                  (signet_ldap_api ()->url_parse)
#define ldap_free_urldesc               (signet_ldap_api ()->free_urldesc)
#define ldap_set_option                 (signet_ldap_api ()->set_option)
#define ldap_sasl_bind                  (signet_ldap_api ()->sasl_bind)
#define ldap_result                     (signet_ldap_api ()->result)
#define ldap_parse_result               (signet_ldap_api ()->parse_result)
#define ldap_abandon_ext                (signet_ldap_api ()->abandon_ext)
#define ldap_unbind_ext_s               (signet_ldap_api ()->unbind_ext_s)
#define ldap_search_ext                 (signet_ldap_api ()->search_ext)
#define ldap_search_ext_s               (signet_ldap_api ()->search_ext_s)
#define ldap_first_entry                (signet_ldap_api ()->first_entry)
#define ldap_next_entry                 (signet_ldap_api ()->next_entry)
#define ldap_get_values_len             (signet_ldap_api ()->get_values_len)
#define ldap_value_free_len             (signet_ldap_api ()->value_free_len)
#define ldap_msgfree                    (signet_ldap_api ()->msgfree)
#define ldap_err2string                 (signet_ldap_api ()->err2string)
#define ldap_create_page_control        (signet_ldap_api ()->create_page_control)
#define ldap_parse_pageresponse_control (signet_ldap_api ()->parse_pageresponse_control)
#define ldap_control_find               (signet_ldap_api ()->control_find)
#define ldap_control_free               (signet_ldap_api ()->control_free)
#define ldap_controls_free              (signet_ldap_api ()->controls_free)
#define ber_memfree                     (signet_ldap_api ()->ber_memfree)
#endif

G_END_DECLS
