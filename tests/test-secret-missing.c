/* Passwords when libsecret cannot be loaded: Signet opens it only when a
 * password is first needed, so a broken or missing libsecret must cost the
 * keyring and nothing else. Saving or reading a password then fails as it
 * does with no Secret Service, and a password given for the session is
 * still kept for it.
 *
 * This test does not link libsecret (the others talk to the keyring
 * through it); each case runs in a child whose library path finds a file
 * that is not a library under libsecret's name. */

#define G_SETTINGS_ENABLE_BACKEND

#include "config.h"

#include <gio/gsettingsbackend.h>
#include <string.h>

#include "signet-account.h"
#include "signet-errors.h"
#include "signet-test-no-library.h"

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static SignetAccount *
new_account (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);

  g_settings_set_string (settings, "smtp-host", "smtp.example.org");
  g_settings_set_uint (settings, "smtp-port", 587);
  g_settings_set_string (settings, "smtp-user", "alice");
  return signet_account_new (settings);
}

static char *
lookup (SignetAccount *account, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  signet_account_lookup_password_async (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, NULL, store_result, &result);
  return signet_account_lookup_password_finish (account, wait_result (&result), error);
}

static void
child (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GAsyncResult) cleared = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  /* Said once, when a password is first needed. */
  g_test_expect_message ("signet-secret", G_LOG_LEVEL_WARNING,
                         "The keyring library " SIGNET_LIBSECRET_SONAME " could not be loaded: *");
  signet_account_store_password_async (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, "saved-pässwörd", NULL,
                                       store_result, &stored);
  g_assert_false (signet_account_store_password_finish (account, wait_result (&stored), &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
  g_assert_nonnull (strstr (error->message, "for this session only"));
  g_clear_error (&error);

  g_assert_null (lookup (account, &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
  g_clear_error (&error);
  g_assert_null (signet_account_lookup_password_sync (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, NULL, &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
  g_clear_error (&error);

  /* What the error offers: the password kept for this session. */
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, "session-pässwörd");
  password = lookup (account, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "session-pässwörd");
  signet_account_password_free (password);
  password = signet_account_lookup_password_sync (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "session-pässwörd");
  signet_account_password_free (password);
  /* Replaced, then forgotten with the rest. */
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, "second");
  password = lookup (account, &error);
  g_assert_cmpstr (password, ==, "second");
  signet_account_password_free (password);

  signet_account_clear_password_async (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, NULL, store_result, &cleared);
  g_assert_false (signet_account_clear_password_finish (account, wait_result (&cleared), &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
  g_clear_error (&error);
  g_assert_null (lookup (account, &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
}

static void
test_not_a_library (void)
{
  signet_test_without_library (SIGNET_LIBSECRET_SONAME, child);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/secret-missing/not-a-library", test_not_a_library);
  return g_test_run ();
}
