#define G_LOG_DOMAIN "signet-ldap"

#include "config.h"

/* Here the names are libldap's own, to look them up. */
#define SIGNET_LDAP_API_TABLE 1
#include "signet-ldap-api.h"

#include "signet-i18n.h"
#include "signet-library.h"

static SignetLdapApi api;
static char *failure;  /* why libldap could not be opened; NULL if it was */

#define SYMBOL(field, symbol) SIGNET_LIBRARY_SYMBOL (SignetLdapApi, field, #symbol)
static const SignetLibrarySymbol symbols[] = {
  SYMBOL (initialize, ldap_initialize),
  SYMBOL (url_parse, ldap_url_parse),
  SYMBOL (free_urldesc, ldap_free_urldesc),
  SYMBOL (set_option, ldap_set_option),
  SYMBOL (sasl_bind, ldap_sasl_bind),
  SYMBOL (result, ldap_result),
  SYMBOL (parse_result, ldap_parse_result),
  SYMBOL (abandon_ext, ldap_abandon_ext),
  SYMBOL (unbind_ext_s, ldap_unbind_ext_s),
  SYMBOL (search_ext, ldap_search_ext),
  SYMBOL (search_ext_s, ldap_search_ext_s),
  SYMBOL (first_entry, ldap_first_entry),
  SYMBOL (next_entry, ldap_next_entry),
  SYMBOL (get_values_len, ldap_get_values_len),
  SYMBOL (value_free_len, ldap_value_free_len),
  SYMBOL (msgfree, ldap_msgfree),
  SYMBOL (err2string, ldap_err2string),
  SYMBOL (create_page_control, ldap_create_page_control),
  SYMBOL (parse_pageresponse_control, ldap_parse_pageresponse_control),
  SYMBOL (control_find, ldap_control_find),
  SYMBOL (control_free, ldap_control_free),
  SYMBOL (controls_free, ldap_controls_free),
  SYMBOL (ber_memfree, ber_memfree),
};
#undef SYMBOL

static gboolean
open_ldap (void)
{
  g_autofree char *reason = signet_library_open (SIGNET_LIBLDAP_SONAME, symbols, G_N_ELEMENTS (symbols), &api);

  if (reason == NULL)
    return TRUE;
  /* Translators: %s is the library's file name, then why it failed */
  failure = g_strdup_printf (_("The directory library %s could not be loaded: %s"), SIGNET_LIBLDAP_SONAME, reason);
  g_warning ("%s", failure);
  return FALSE;
}

/* Opens libldap the first time (any thread); FALSE, with why, if it
 * cannot be. */
gboolean
signet_ldap_api_load (GError **error)
{
  static gsize opened = 0;

  if (g_once_init_enter (&opened))
    g_once_init_leave (&opened, open_ldap () ? 1 : 2);
  if (opened == 1)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, failure);
  return FALSE;
}

/* The table, once signet_ldap_api_load() has succeeded. */
const SignetLdapApi *
signet_ldap_api (void)
{
  gboolean loaded = signet_ldap_api_load (NULL);

  /* Not inside g_assert(): the load must happen even where asserts do not. */
  g_assert (loaded);
  return &api;
}
