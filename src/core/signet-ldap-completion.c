/* Completion from the directory's servers, in their order: from LDAP
 * directories (ldap://, ldaps://) people (inetOrgPerson) whose name,
 * given name, surname or address starts with what was typed, asked
 * through libldap, in pages; from keyservers the user IDs of usable keys
 * with a word starting with it (asked through dirmngr once three
 * characters are typed: keyservers match whole words). All in a worker
 * thread that a new keystroke cancels. Each suggestion carries the key
 * status the keyring gives its address; one only on a keyserver is shown
 * as Send will treat it (valid from a trusted server, else to be
 * reviewed). Offline nothing is asked. */
#define G_LOG_DOMAIN "signet-completion"

#include "signet-ldap-completion.h"

#include <string.h>

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-key-directory-private.h"
#include "signet-ldap-api.h"

#define SOURCE_NAME "ldap"
#define KEYSERVER_SOURCE_NAME "keyserver"
/* Keyservers find whole words: shorter text finds nothing worth asking for. */
#define KEYSERVER_MIN_CHARS 3
#define PAGE_SIZE 20
#define POLL_MS 50
#define SEARCH_TIMEOUT_S 3
/* All the pages of one directory: one that keeps asking for another page
 * gives what it gave so far. */
#define SEARCH_TOTAL_S 10

struct _SignetLdapCompletion
{
  GObject                 parent_instance;

  SignetKeyDirectory     *directory;
  SignetDirectoryServers *servers;
};

static void signet_ldap_completion_provider_init (SignetCompletionProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SignetLdapCompletion, signet_ldap_completion, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_COMPLETION_PROVIDER,
                                                      signet_ldap_completion_provider_init))

typedef struct {
  char  *prefix;
  guint  max_results;
} Search;

static void
search_free (Search *search)
{
  g_free (search->prefix);
  g_free (search);
}

/* @text with the characters an LDAP filter gives meaning to escaped
 * (RFC 4515). */
static char *
escape_filter (const char *text)
{
  GString *escaped = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '*' || *p == '(' || *p == ')' || *p == '\\')
        g_string_append_printf (escaped, "\\%02x", (guchar) *p);
      else
        g_string_append_c (escaped, *p);
    }
  return g_string_free (escaped, FALSE);
}

static char *
first_value (LDAP *ld, LDAPMessage *entry, const char *attribute)
{
  struct berval **values = ldap_get_values_len (ld, entry, attribute);
  char *value = NULL;

  if (values != NULL && values[0] != NULL && values[0]->bv_len > 0 &&
      g_utf8_validate (values[0]->bv_val, values[0]->bv_len, NULL) &&
      memchr (values[0]->bv_val, '\0', values[0]->bv_len) == NULL)
    value = g_strndup (values[0]->bv_val, values[0]->bv_len);
  ldap_value_free_len (values);
  return value;
}

/* What is shown of a name: without control characters nor the marks that
 * reorder text (a right-to-left override would show the address after the
 * name backwards), or NULL when nothing is left. */
static char *
shown_name (char *owned)
{
  g_autofree char *name = owned;
  GString *out;

  if (name == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || signet_is_reordering_mark (c))
        continue;
      g_string_append_unichar (out, c);
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

typedef struct {
  char       *name;
  char       *email;
  const char *source;       /* SOURCE_NAME or KEYSERVER_SOURCE_NAME */
  char       *fingerprint;  /* a keyserver's usable key for it */
  gboolean    trusted;      /* from a server whose keys are the organisation's */
} Person;

static void
person_free (Person *person)
{
  g_free (person->name);
  g_free (person->email);
  g_free (person->fingerprint);
  g_free (person);
}

/* Waits for the answer to @msgid, polling so that @cancellable is seen. */
static LDAPMessage *
wait_result (LDAP *ld, int msgid, GCancellable *cancellable, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + SEARCH_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      struct timeval poll = { 0, POLL_MS * 1000 };
      LDAPMessage *result = NULL;
      int rc = ldap_result (ld, msgid, LDAP_MSG_ALL, &poll, &result);

      if (rc > 0)
        return result;
      if (rc < 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, ldap_err2string (rc));
          return NULL;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ldap_abandon_ext (ld, msgid, NULL, NULL);
          return NULL;
        }
      if (g_get_monotonic_time () > deadline)
        {
          ldap_abandon_ext (ld, msgid, NULL, NULL);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timeout");
          return NULL;
        }
    }
}

/* Binds anonymously, as the searches do: waited for as they are, so that
 * a directory that takes the connection and never answers neither holds
 * the worker past the timeout nor ignores a cancel. */
static gboolean
bind_anonymously (LDAP *ld, GCancellable *cancellable, GError **error)
{
  struct berval empty = { 0, NULL };
  LDAPMessage *result;
  int msgid = 0, code = LDAP_OTHER;

  if (ldap_sasl_bind (ld, NULL, LDAP_SASL_SIMPLE, &empty, NULL, NULL, &msgid) != LDAP_SUCCESS)
    return FALSE;
  result = wait_result (ld, msgid, cancellable, error);
  if (result == NULL)
    return FALSE;
  if (ldap_parse_result (ld, result, &code, NULL, NULL, NULL, NULL, 1) != LDAP_SUCCESS)
    return FALSE;
  return code == LDAP_SUCCESS;
}

/* Where to search when the URL names no base: the server's naming
 * contexts (its root DSE says them). */
static char *
naming_context (LDAP *ld)
{
  char *attributes[] = { (char *) "namingContexts", NULL };
  struct timeval timeout = { SEARCH_TIMEOUT_S, 0 };
  LDAPMessage *result = NULL;
  char *base = NULL;

  if (ldap_search_ext_s (ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attributes, 0, NULL, NULL, &timeout, 1,
                         &result) == LDAP_SUCCESS)
    {
      LDAPMessage *entry = ldap_first_entry (ld, result);

      if (entry != NULL)
        base = first_value (ld, entry, "namingContexts");
    }
  ldap_msgfree (result);
  return base;
}

/* A server that fails to answer leaves the other suggestions (the
 * keyring's, other servers'): only a cancellation is an error. Returns
 * whether the search goes on. */
static gboolean
only_cancel_fails (GError **error)
{
  if (error != NULL && *error != NULL && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("No suggestions from a directory server: %s", (*error)->message);
      g_clear_error (error);
    }
  return error == NULL || *error == NULL;
}

/* The people of the directory at @url matching @prefix, at most @max. */
static gboolean
search_server (const char *url, const char *prefix, guint max, GPtrArray *people,
               GCancellable *cancellable, GError **error)
{
  LDAPURLDesc *desc = NULL;
  LDAP *ld = NULL;
  g_autofree char *server = NULL;
  g_autofree char *escaped = escape_filter (prefix);
  g_autofree char *filter = NULL;
  char *attributes[] = { (char *) "cn", (char *) "mail", NULL };
  struct berval cookie = { 0, NULL };
  int version = LDAP_VERSION3;
  struct timeval network_timeout = { 3, 0 };
  g_autofree char *base = NULL;
  gboolean ok = FALSE;
  gint64 deadline = g_get_monotonic_time () + SEARCH_TOTAL_S * G_USEC_PER_SEC;

  if (!signet_ldap_api_load (error))
    return FALSE;
  if (ldap_url_parse (url, &desc) != LDAP_SUCCESS)
    return TRUE;  /* not an LDAP URL: nothing to ask */
  server = g_strdup_printf ("%s://%s:%d", desc->lud_scheme, desc->lud_host != NULL ? desc->lud_host : "",
                            desc->lud_port);
  filter = g_strdup_printf ("(&(mail=*)(|(cn=%s*)(givenName=%s*)(sn=%s*)(mail=%s*)))",
                            escaped, escaped, escaped, escaped);
  if (ldap_initialize (&ld, server) != LDAP_SUCCESS)
    goto out;
  ldap_set_option (ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option (ld, LDAP_OPT_NETWORK_TIMEOUT, &network_timeout);
  ldap_set_option (ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  if (!bind_anonymously (ld, cancellable, error))
    goto out;
  base = desc->lud_dn != NULL && *desc->lud_dn != '\0' ? g_strdup (desc->lud_dn) : naming_context (ld);
  if (base == NULL)
    goto out;
  do
    {
      LDAPControl *page = NULL;
      LDAPControl *controls[2] = { NULL, NULL };
      LDAPControl **returned = NULL;
      LDAPMessage *result;
      int msgid = 0, rc, code = LDAP_SUCCESS;

      if (ldap_create_page_control (ld, PAGE_SIZE, &cookie, 0, &page) != LDAP_SUCCESS)
        goto out;
      controls[0] = page;
      rc = ldap_search_ext (ld, base, LDAP_SCOPE_SUBTREE, filter,
                            attributes, 0, controls, NULL, NULL, 0, &msgid);
      ldap_control_free (page);
      ber_memfree (cookie.bv_val);
      cookie.bv_val = NULL;
      cookie.bv_len = 0;
      if (rc != LDAP_SUCCESS || (result = wait_result (ld, msgid, cancellable, error)) == NULL)
        goto out;
      for (LDAPMessage *entry = ldap_first_entry (ld, result); entry != NULL; entry = ldap_next_entry (ld, entry))
        {
          Person *person = g_new0 (Person, 1);

          person->source = SOURCE_NAME;
          person->name = shown_name (first_value (ld, entry, "cn"));
          person->email = first_value (ld, entry, "mail");
          /* A "mail" that is not one address (two of them, a line break)
           * would put a recipient nobody sees into one pill. */
          if (person->email != NULL && signet_address_is_valid_email (person->email) &&
              (max == 0 || people->len < max))
            g_ptr_array_add (people, person);
          else
            person_free (person);
        }
      rc = ldap_parse_result (ld, result, &code, NULL, NULL, NULL, &returned, 1);
      if (rc == LDAP_SUCCESS && returned != NULL)
        {
          LDAPControl *response = ldap_control_find (LDAP_CONTROL_PAGEDRESULTS, returned, NULL);
          ber_int_t estimate = 0;

          if (response != NULL)
            ldap_parse_pageresponse_control (ld, response, &estimate, &cookie);
        }
      ldap_controls_free (returned);
      if (rc != LDAP_SUCCESS || (code != LDAP_SUCCESS && code != LDAP_SIZELIMIT_EXCEEDED))
        goto out;
      /* Pages that come at once, one after the other, still end on a
       * cancel. */
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
    }
  while (cookie.bv_len > 0 && (max == 0 || people->len < max) && g_get_monotonic_time () < deadline);
  ok = TRUE;

out:
  ber_memfree (cookie.bv_val);
  if (ld != NULL)
    ldap_unbind_ext_s (ld, NULL, NULL);
  ldap_free_urldesc (desc);
  return ok || only_cancel_fails (error);
}

/* The user IDs on the keyserver @server that @prefix starts a word of. */
static gboolean
search_keyserver (SignetLdapCompletion *self, const char *server, const char *prefix, guint max,
                  GPtrArray *people, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  g_autoptr(GPtrArray) fingerprints = g_ptr_array_new_with_free_func (g_free);
  gboolean trusted = signet_directory_servers_is_trusted (self->servers, server);

  if (g_utf8_strlen (prefix, -1) < KEYSERVER_MIN_CHARS)
    return TRUE;
  if (!signet_directory_servers_search_sync (self->servers, server, prefix, max, found, fingerprints,
                                             cancellable, error))
    return only_cancel_fails (error);
  for (guint i = 0; i < found->len && (max == 0 || people->len < max); i++)
    {
      SignetAddress *address = g_ptr_array_index (found, i);
      Person *person = g_new0 (Person, 1);

      person->name = shown_name (g_strdup (address->name));
      person->email = g_strdup (address->email);
      person->source = KEYSERVER_SOURCE_NAME;
      person->fingerprint = g_strdup (g_ptr_array_index (fingerprints, i));
      person->trusted = trusted;
      g_ptr_array_add (people, person);
    }
  return TRUE;
}

/* One person per address: the first found (servers in their order). */
static void
drop_repeated (GPtrArray *people)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < people->len;)
    {
      char *normal = signet_address_normalize (((Person *) g_ptr_array_index (people, i))->email);

      if (normal == NULL || g_hash_table_contains (seen, normal))
        {
          g_free (normal);
          g_ptr_array_remove_index (people, i);
          continue;
        }
      g_hash_table_add (seen, normal);
      i++;
    }
}

static int
compare_completions (gconstpointer a, gconstpointer b)
{
  return signet_completion_compare (*(SignetCompletion * const *) a, *(SignetCompletion * const *) b);
}

static void
search_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SignetLdapCompletion *self = source;
  Search *search = task_data;
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) person_free);
  g_autoptr(GPtrArray) emails = g_ptr_array_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) completions = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_completion_free);
  g_auto(GStrv) servers = signet_directory_servers_dup_servers (self->servers);
  GError *error = NULL;

  if (!signet_network_get_online (signet_key_directory_get_network (self->directory)))
    {
      g_task_return_pointer (task, g_steal_pointer (&completions), (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  for (guint i = 0; servers[i] != NULL; i++)
    {
      gboolean ldap = g_str_has_prefix (servers[i], "ldap://") || g_str_has_prefix (servers[i], "ldaps://");

      if (ldap ? !search_server (servers[i], search->prefix, search->max_results, people, cancellable, &error)
               : !search_keyserver (self, servers[i], search->prefix, search->max_results, people,
                                    cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  drop_repeated (people);
  for (guint i = 0; i < people->len; i++)
    g_ptr_array_add (emails, ((Person *) g_ptr_array_index (people, i))->email);
  g_ptr_array_add (emails, NULL);
  if (people->len > 0)
    {
      results = signet_key_directory_resolve_sync (self->directory, (const char * const *) emails->pdata,
                                                   cancellable, &error);
      if (results == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  for (guint i = 0; i < people->len; i++)
    {
      Person *person = g_ptr_array_index (people, i);
      SignetKeyResult *result = g_ptr_array_index (results, i);
      SignetKeyStatus status = result->status;
      const char *fingerprint = status == SIGNET_KEY_STATUS_AMBIGUOUS ? NULL : result->fingerprint;

      /* A key the keyserver has and the keyring not yet: Send finds it,
       * and uses it at once only when the server is trusted. */
      if (status == SIGNET_KEY_STATUS_MISSING && person->fingerprint != NULL)
        {
          status = person->trusted ? SIGNET_KEY_STATUS_OK : SIGNET_KEY_STATUS_UNTRUSTED;
          fingerprint = person->fingerprint;
        }
      g_ptr_array_add (completions,
                       signet_completion_new (person->name, person->email, status, fingerprint, person->source));
    }
  g_ptr_array_sort (completions, compare_completions);
  g_task_return_pointer (task, g_steal_pointer (&completions), (GDestroyNotify) g_ptr_array_unref);
}

static void
signet_ldap_completion_search_async (SignetCompletionProvider *provider,
                                     const char               *prefix,
                                     guint                     max_results,
                                     GCancellable             *cancellable,
                                     GAsyncReadyCallback       callback,
                                     gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  Search *search = g_new0 (Search, 1);

  search->prefix = g_strdup (prefix);
  search->max_results = max_results;
  g_task_set_source_tag (task, signet_ldap_completion_search_async);
  g_task_set_task_data (task, search, (GDestroyNotify) search_free);
  g_task_run_in_thread (task, search_thread);
}

static GPtrArray *
signet_ldap_completion_search_finish (SignetCompletionProvider *provider,
                                      GAsyncResult             *result,
                                      GError                  **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
signet_ldap_completion_provider_init (SignetCompletionProviderInterface *iface)
{
  iface->search_async = signet_ldap_completion_search_async;
  iface->search_finish = signet_ldap_completion_search_finish;
}

static void
signet_ldap_completion_finalize (GObject *object)
{
  SignetLdapCompletion *self = SIGNET_LDAP_COMPLETION (object);

  g_clear_object (&self->directory);
  g_clear_object (&self->servers);
  G_OBJECT_CLASS (signet_ldap_completion_parent_class)->finalize (object);
}

static void
signet_ldap_completion_class_init (SignetLdapCompletionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = signet_ldap_completion_finalize;
}

static void
signet_ldap_completion_init (SignetLdapCompletion *self)
{
}

/* Suggestions from the LDAP servers among @servers; key statuses from
 * @directory's keyring. */
SignetCompletionProvider *
signet_ldap_completion_new (SignetKeyDirectory     *directory,
                            SignetDirectoryServers *servers)
{
  SignetLdapCompletion *self;

  g_return_val_if_fail (SIGNET_IS_KEY_DIRECTORY (directory), NULL);
  g_return_val_if_fail (SIGNET_IS_DIRECTORY_SERVERS (servers), NULL);

  self = g_object_new (SIGNET_TYPE_LDAP_COMPLETION, NULL);
  self->directory = g_object_ref (directory);
  self->servers = g_object_ref (servers);
  return SIGNET_COMPLETION_PROVIDER (self);
}
