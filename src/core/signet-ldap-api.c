#define G_LOG_DOMAIN "signet-ldap"

#include "config.h"

/* Here the names are libldap's own, to look them up. */
#define SIGNET_LDAP_API_TABLE 1
#include "signet-ldap-api.h"

#include <dlfcn.h>

#include "signet-i18n.h"

static SignetLdapApi api;
static char *failure;  /* why libldap could not be opened; NULL if it was */

static gboolean
open_ldap (void)
{
  void *handle = dlopen (SIGNET_LIBLDAP_SONAME, RTLD_NOW | RTLD_LOCAL);
  gboolean ok = handle != NULL;

#define LOOK_UP(field, symbol) \
  if (ok && (*(void **) &api.field = dlsym (handle, #symbol)) == NULL) \
    ok = FALSE
  LOOK_UP (initialize, ldap_initialize);
  LOOK_UP (url_parse, ldap_url_parse);
  LOOK_UP (free_urldesc, ldap_free_urldesc);
  LOOK_UP (set_option, ldap_set_option);
  LOOK_UP (sasl_bind, ldap_sasl_bind);
  LOOK_UP (result, ldap_result);
  LOOK_UP (parse_result, ldap_parse_result);
  LOOK_UP (abandon_ext, ldap_abandon_ext);
  LOOK_UP (unbind_ext_s, ldap_unbind_ext_s);
  LOOK_UP (search_ext, ldap_search_ext);
  LOOK_UP (search_ext_s, ldap_search_ext_s);
  LOOK_UP (first_entry, ldap_first_entry);
  LOOK_UP (next_entry, ldap_next_entry);
  LOOK_UP (get_values_len, ldap_get_values_len);
  LOOK_UP (value_free_len, ldap_value_free_len);
  LOOK_UP (msgfree, ldap_msgfree);
  LOOK_UP (err2string, ldap_err2string);
  LOOK_UP (create_page_control, ldap_create_page_control);
  LOOK_UP (parse_pageresponse_control, ldap_parse_pageresponse_control);
  LOOK_UP (control_find, ldap_control_find);
  LOOK_UP (control_free, ldap_control_free);
  LOOK_UP (controls_free, ldap_controls_free);
  LOOK_UP (ber_memfree, ber_memfree);
#undef LOOK_UP
  if (!ok)
    {
      const char *reason = dlerror ();

      /* Translators: %s is the library's file name, then why it failed */
      failure = g_strdup_printf (_("The directory library %s could not be loaded: %s"), SIGNET_LIBLDAP_SONAME,
                                 reason != NULL ? reason : "");
      g_warning ("%s", failure);
    }
  /* Kept open for the life of the process, as if linked. */
  return ok;
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
