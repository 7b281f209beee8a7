#include <string.h>

#include "signet-completion-provider.h"
#include "signet-key-directory-private.h"
#include "signet-keyring-completion.h"
#include "signet-test-util.h"

static char *homedir;

/* A completion source of the test's own: a fixed list, filtered by the
 * same matching rule, answered from an idle like a network source would. */
#define TEST_TYPE_PROVIDER (test_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestProvider, test_provider, TEST, PROVIDER, GObject)

struct _TestProvider
{
  GObject    parent_instance;
  GPtrArray *entries;
  gboolean   fail;
};

static void test_provider_iface_init (SignetCompletionProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestProvider, test_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIGNET_TYPE_COMPLETION_PROVIDER, test_provider_iface_init))

static void
test_provider_search_async (SignetCompletionProvider *provider,
                            const char               *prefix,
                            guint                     max_results,
                            GCancellable             *cancellable,
                            GAsyncReadyCallback       callback,
                            gpointer                  user_data)
{
  TestProvider *self = TEST_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *folded = signet_completion_fold (prefix);
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_completion_free);

  if (self->fail)
    {
      g_ptr_array_unref (found);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE, "directory down");
      return;
    }
  for (guint i = 0; i < self->entries->len; i++)
    {
      const SignetCompletion *c = g_ptr_array_index (self->entries, i);

      if (signet_completion_matches (folded, c->name, c->email))
        g_ptr_array_add (found, signet_completion_copy (c));
    }
  g_task_return_pointer (task, found, (GDestroyNotify) g_ptr_array_unref);
}

static GPtrArray *
test_provider_search_finish (SignetCompletionProvider *provider, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_provider_iface_init (SignetCompletionProviderInterface *iface)
{
  iface->search_async = test_provider_search_async;
  iface->search_finish = test_provider_search_finish;
}

static void
test_provider_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_PROVIDER (object)->entries);
  G_OBJECT_CLASS (test_provider_parent_class)->finalize (object);
}

static void
test_provider_class_init (TestProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_provider_finalize;
}

static void
test_provider_init (TestProvider *self)
{
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_completion_free);
}

static void
test_provider_add (TestProvider *self, const char *name, const char *email, SignetKeyStatus status)
{
  g_ptr_array_add (self->entries, signet_completion_new (name, email, status, NULL, "ldap"));
}

/* The keyring source over the test's GnuPG home. */
typedef struct {
  SignetTestMonitor       *monitor;
  SignetNetwork           *network;
  SignetKeyDirectory      *directory;
  SignetKeyringCompletion *keyring;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->monitor = signet_test_monitor_new (TRUE);
  f->network = signet_network_new (G_NETWORK_MONITOR (f->monitor));
  f->directory = signet_key_directory_new (homedir, f->network);
  f->keyring = signet_keyring_completion_new (f->directory);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->keyring);
  g_clear_object (&f->directory);
  g_clear_object (&f->network);
  g_clear_object (&f->monitor);
}

static GPtrArray *
search (gpointer provider, const char *prefix, guint max_results, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  signet_completion_provider_search_async (provider, prefix, max_results, NULL,
                                           signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  return signet_completion_provider_search_finish (provider, result, error);
}

static GPtrArray *
search_ok (Fixture *f, const char *prefix, guint max_results)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *found = search (f->keyring, prefix, max_results, &error);

  g_assert_no_error (error);
  g_assert_nonnull (found);
  for (guint i = 0; i < found->len; i++)
    {
      const SignetCompletion *c = g_ptr_array_index (found, i);
      g_test_message ("%s: %s <%s> %s", prefix, c->name, c->email, signet_key_status_describe (c->status));
    }
  return found;
}

/* The one suggestion @prefix gives, which must be @email with @status. */
static void
assert_single (Fixture *f, const char *prefix, const char *email, SignetKeyStatus status)
{
  g_autoptr(GPtrArray) found = search_ok (f, prefix, 0);
  const SignetCompletion *c;

  g_assert_cmpuint (found->len, ==, 1);
  c = g_ptr_array_index (found, 0);
  g_assert_cmpstr (c->email, ==, email);
  g_assert_cmpint (c->status, ==, status);
  g_assert_cmpstr (c->source, ==, "keyring");
}

static void
assert_emails (GPtrArray *found, const char *const *emails)
{
  for (guint i = 0; i < found->len && emails[i] != NULL; i++)
    g_assert_cmpstr (((SignetCompletion *) g_ptr_array_index (found, i))->email, ==, emails[i]);
  g_assert_cmpuint (found->len, ==, g_strv_length ((GStrv) emails));
}

static void
test_name_word (Fixture *f, gconstpointer data)
{
  const char *demo[] = { "alice@example.org", "bob@example.org", "carol@example.org", "demo@example.org", NULL };
  g_autoptr(GPtrArray) found = search_ok (f, "ali", 0);
  const SignetCompletion *alice = g_ptr_array_index (found, 0);
  g_autoptr(GPtrArray) all_demo = NULL;
  g_autoptr(GPtrArray) inside = NULL;

  /* Alice Demo, Alice L. and Alice Pleasance Liddell, by name. */
  g_assert_cmpuint (found->len, ==, 3);
  g_assert_cmpstr (alice->name, ==, "Alice Demo");
  g_assert_cmpstr (alice->email, ==, "alice@example.org");
  g_assert_cmpint (alice->status, ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpuint (strlen (alice->fingerprint), ==, 40);
  g_autofree char *fpr = signet_test_fingerprint (f->directory, "alice@example.org");
  g_assert_cmpstr (alice->fingerprint, ==, fpr);

  /* A later word of the name, and several words. */
  assert_single (f, "lidd", "liddell@example.net", SIGNET_KEY_STATUS_OK);
  assert_single (f, "pleasance lid", "liddell@example.net", SIGNET_KEY_STATUS_OK);
  assert_single (f, "alice l", "alice.l@example.net", SIGNET_KEY_STATUS_OK);

  /* Every address whose name has the word, by name. */
  all_demo = search_ok (f, "demo", 0);
  assert_emails (all_demo, demo);
  g_assert_cmpstr (((SignetCompletion *) g_ptr_array_index (all_demo, 3))->name, ==, "Signet Demo");

  /* Not inside a word. */
  inside = search_ok (f, "ice", 0);
  g_assert_cmpuint (inside->len, ==, 0);
}

static void
test_address (Fixture *f, gconstpointer data)
{
  assert_single (f, "bob@", "bob@example.org", SIGNET_KEY_STATUS_OK);
  assert_single (f, "BOB@EXAMPLE.O", "bob@example.org", SIGNET_KEY_STATUS_OK);
  assert_single (f, "carol@example.org", "carol@example.org", SIGNET_KEY_STATUS_OK);
  /* An address that is not the key's first user ID. */
  assert_single (f, "alice.l", "alice.l@example.net", SIGNET_KEY_STATUS_OK);
}

static void
test_case_and_accents (Fixture *f, gconstpointer data)
{
  /* The key's user ID is NFC; typed decomposed, or in capitals. */
  assert_single (f, "E\xcc\x81lo", "eloise@example.org", SIGNET_KEY_STATUS_OK);
  assert_single (f, "\xc3\x89LO\xc3\x8f", "eloise@example.org", SIGNET_KEY_STATUS_OK);
  assert_single (f, "bront\xc3\xab", "eloise@example.org", SIGNET_KEY_STATUS_OK);
  assert_single (f, "  bront\xc3\xab", "eloise@example.org", SIGNET_KEY_STATUS_OK);
  {
    g_autoptr(GPtrArray) found = search_ok (f, "\xc3\xa9loise@", 0);
    g_assert_cmpuint (found->len, ==, 0);
  }
}

static void
test_no_match (Fixture *f, gconstpointer data)
{
  const char *prefixes[] = { "zzz", "", "   ", "@", "\xff\xfe", NULL };

  for (guint i = 0; prefixes[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) found = search_ok (f, prefixes[i], 0);
      g_assert_cmpuint (found->len, ==, 0);
    }
}

static void
test_max_results (Fixture *f, gconstpointer data)
{
  const char *first_two[] = { "alice@example.org", "bob@example.org", NULL };
  g_autoptr(GPtrArray) found = search_ok (f, "demo", 2);
  g_autoptr(GPtrArray) one = search_ok (f, "d", 1);

  assert_emails (found, first_two);
  g_assert_cmpuint (one->len, ==, 1);
}

/* The same status as resolving the address for a send. */
static void
test_statuses (Fixture *f, gconstpointer data)
{
  const char *emails[] = { "erin@example.org", "rex@example.org", "stranger@example.org", "dup@example.org",
                           "disabled@example.org", "signer@example.org", NULL };
  const SignetKeyStatus expected[] = { SIGNET_KEY_STATUS_EXPIRED, SIGNET_KEY_STATUS_REVOKED,
                                       SIGNET_KEY_STATUS_UNTRUSTED, SIGNET_KEY_STATUS_AMBIGUOUS,
                                       SIGNET_KEY_STATUS_DISABLED, SIGNET_KEY_STATUS_CANNOT_ENCRYPT };
  g_autoptr(GPtrArray) resolved = signet_key_directory_resolve_sync (f->directory, emails, NULL, NULL);
  g_autoptr(GPtrArray) mixed = NULL;

  for (guint i = 0; emails[i] != NULL; i++)
    {
      g_autofree char *local = g_strndup (emails[i], strchr (emails[i], '@') - emails[i]);
      const SignetKeyResult *r = g_ptr_array_index (resolved, i);

      assert_single (f, local, emails[i], expected[i]);
      g_assert_cmpint (r->status, ==, expected[i]);
    }
  /* Ambiguous though the user ID typed is on one key only: the other key
   * has the address too. Neither key is offered as the one. */
  {
    g_autoptr(GPtrArray) two = search_ok (f, "dup two", 0);
    const SignetCompletion *c = g_ptr_array_index (two, 0);

    g_assert_cmpuint (two->len, ==, 1);
    g_assert_cmpint (c->status, ==, SIGNET_KEY_STATUS_AMBIGUOUS);
    g_assert_null (c->fingerprint);
  }
  /* Best status first: valid, ambiguous, then the unusable. */
  mixed = search_ok (f, "d", 0);
  g_assert_cmpuint (mixed->len, ==, 6);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (((SignetCompletion *) g_ptr_array_index (mixed, i))->status, ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpstr (((SignetCompletion *) g_ptr_array_index (mixed, 4))->email, ==, "dup@example.org");
  g_assert_cmpstr (((SignetCompletion *) g_ptr_array_index (mixed, 5))->email, ==, "disabled@example.org");
}

/* The keyring is local: offline it still completes, with its statuses. */
static void
test_offline (Fixture *f, gconstpointer data)
{
  signet_test_monitor_set_available (f->monitor, FALSE);
  g_assert_false (signet_network_get_online (f->network));
  assert_single (f, "alice@", "alice@example.org", SIGNET_KEY_STATUS_OK);
  assert_single (f, "erin", "erin@example.org", SIGNET_KEY_STATUS_EXPIRED);
}

static void
test_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) before = g_cancellable_new ();
  g_autoptr(GCancellable) typed = g_cancellable_new ();
  g_autoptr(GCancellable) next = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_cancellable_cancel (before);
  signet_completion_provider_search_async (SIGNET_COMPLETION_PROVIDER (f->keyring), "ali", 0, before,
                                           signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  g_assert_null (signet_completion_provider_search_finish (SIGNET_COMPLETION_PROVIDER (f->keyring), result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* A keystroke cancels the search for the previous text and starts one
   * for the new text: the first is answered at once, cancelled. */
  signet_completion_provider_search_async (SIGNET_COMPLETION_PROVIDER (f->keyring), "al", 0, typed,
                                           signet_test_store_result, &first);
  start = g_get_monotonic_time ();
  g_cancellable_cancel (typed);
  signet_completion_provider_search_async (SIGNET_COMPLETION_PROVIDER (f->keyring), "alice@", 0, next,
                                           signet_test_store_result, &second);
  signet_test_wait_until (signet_test_has_result, &first);
  /* Answered without waiting for gpg: before the search that runs it. */
  g_assert_null (second);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 4);
  g_assert_null (signet_completion_provider_search_finish (SIGNET_COMPLETION_PROVIDER (f->keyring), first, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  signet_test_wait_until (signet_test_has_result, &second);
  found = signet_completion_provider_search_finish (SIGNET_COMPLETION_PROVIDER (f->keyring), second, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
}

static GPtrArray *
search_all (GPtrArray *providers, const char *prefix, guint max_results, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  signet_completion_search_all_async (providers, prefix, max_results, cancellable,
                                      signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  return signet_completion_search_all_finish (result, error);
}

static void
test_merged (Fixture *f, gconstpointer data)
{
  g_autoptr(TestProvider) ldap = g_object_new (TEST_TYPE_PROVIDER, NULL);
  g_autoptr(GPtrArray) providers = g_ptr_array_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  const SignetCompletion *c;

  g_ptr_array_add (providers, f->keyring);
  g_ptr_array_add (providers, ldap);
  test_provider_add (ldap, "Alice Remote", "ALICE@Example.ORG", SIGNET_KEY_STATUS_UNTRUSTED);
  test_provider_add (ldap, "Ada Remote", "ada@example.net", SIGNET_KEY_STATUS_MISSING);
  test_provider_add (ldap, "Erin Renewed", "erin@example.org", SIGNET_KEY_STATUS_OK);
  test_provider_add (ldap, NULL, "bob@example.org", SIGNET_KEY_STATUS_OK);

  {
    /* One suggestion per address; the keyring's better status wins. */
    g_autoptr(GPtrArray) found = search_all (providers, "a", 0, NULL, &error);
    const char *emails[] = { "alice@example.org", "alice.l@example.net", "liddell@example.net",
                             "ada@example.net", NULL };

    g_assert_no_error (error);
    assert_emails (found, emails);
    c = g_ptr_array_index (found, 0);
    g_assert_cmpstr (c->name, ==, "Alice Demo");
    g_assert_cmpint (c->status, ==, SIGNET_KEY_STATUS_OK);
    g_assert_cmpstr (c->source, ==, "keyring");
    c = g_ptr_array_index (found, 3);
    g_assert_cmpstr (c->source, ==, "ldap");
    g_assert_cmpint (c->status, ==, SIGNET_KEY_STATUS_MISSING);
  }
  {
    /* A better status from elsewhere replaces the keyring's. */
    g_autoptr(GPtrArray) found = search_all (providers, "erin", 0, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 1);
    c = g_ptr_array_index (found, 0);
    g_assert_cmpstr (c->name, ==, "Erin Renewed");
    g_assert_cmpint (c->status, ==, SIGNET_KEY_STATUS_OK);
    g_assert_cmpstr (c->source, ==, "ldap");
  }
  {
    /* Of equals, the earlier source, with the name one of them has. */
    g_autoptr(GPtrArray) found = search_all (providers, "bob", 0, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 1);
    c = g_ptr_array_index (found, 0);
    g_assert_cmpstr (c->source, ==, "keyring");
    g_assert_cmpstr (c->name, ==, "Bob Demo");
  }
  {
    g_autoptr(GPtrArray) found = search_all (providers, "a", 2, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 2);
  }
  {
    /* A source that fails leaves the others' suggestions. */
    g_autoptr(GPtrArray) found = NULL;

    ldap->fail = TRUE;
    found = search_all (providers, "alice@", 0, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 1);
    g_ptr_array_remove_index (providers, 0);
    g_assert_null (search_all (providers, "ali", 0, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE);
    g_clear_error (&error);
    g_ptr_array_insert (providers, 0, f->keyring);
    ldap->fail = FALSE;
  }
  {
    g_autoptr(GPtrArray) none = g_ptr_array_new ();
    g_autoptr(GPtrArray) found = search_all (none, "a", 0, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 0);
  }
  g_cancellable_cancel (cancellable);
  g_assert_null (search_all (providers, "a", 0, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

#define ADD(path, func) \
  g_test_add ("/completion/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  homedir = signet_test_make_gnupghome ();
  signet_test_add_key (homedir, "\xc3\x89lo\xc3\xafse Bront\xc3\xab <eloise@example.org>");
  /* Two user IDs on one key: each is a candidate. */
  signet_test_add_key (homedir, "Alice Pleasance Liddell <liddell@example.net>");
  {
    const char *adduid[] = { "gpg", "--batch", "--quick-add-uid", "liddell@example.net",
                             "Alice L. <alice.l@example.net>", NULL };
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "GNUPGHOME", homedir, TRUE);
    int status = 0;

    g_spawn_sync (NULL, (char **) adduid, env, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL
                  | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  ADD ("name-word", test_name_word);
  ADD ("address", test_address);
  ADD ("case-and-accents", test_case_and_accents);
  ADD ("no-match", test_no_match);
  ADD ("max-results", test_max_results);
  ADD ("statuses", test_statuses);
  ADD ("offline", test_offline);
  ADD ("cancelled", test_cancelled);
  ADD ("merged", test_merged);
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
