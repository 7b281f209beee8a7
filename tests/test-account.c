#define G_SETTINGS_ENABLE_BACKEND

#include "config.h"

#include <gio/gsettingsbackend.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <string.h>

#include "signet-account.h"
#include "signet-errors.h"
#include "signet-test-util.h"

/* Everything the test and the keyring daemon write goes below @root: the
 * XDG config, data, cache and runtime directories and HOME. The session bus
 * is the test's own (GTestDBus): no keyring of the person running the tests
 * is ever touched, and none is started by D-Bus activation. */
static char *root;
static GTestDBus *bus;

static GSettings *
new_settings (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  return g_settings_new_with_backend (APP_ID, backend);
}

static SignetAccount *
new_account (void)
{
  g_autoptr(GSettings) settings = new_settings ();

  return signet_account_new (settings);
}

/* A password no file could hold by chance. */
static char *
make_password (const char *what)
{
  return g_strdup_printf ("%s-%08x%08x-pässwörd", what, g_random_int (), g_random_int ());
}

static gboolean
store_password (SignetAccount *account, SignetAccountProtocol protocol, const char *password,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  signet_account_store_password_async (account, protocol, password, cancellable, signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  return signet_account_store_password_finish (account, result, error);
}

static char *
lookup_password (SignetAccount *account, SignetAccountProtocol protocol, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  signet_account_lookup_password_async (account, protocol, NULL, signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  return signet_account_lookup_password_finish (account, result, error);
}

static gboolean
clear_password (SignetAccount *account, SignetAccountProtocol protocol, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  signet_account_clear_password_async (account, protocol, NULL, signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  return signet_account_clear_password_finish (account, result, error);
}

typedef struct {
  SignetAccount         *account;
  SignetAccountProtocol  protocol;
  char                  *password;
  GError                *error;
} ThreadLookup;

static gpointer
lookup_thread (gpointer data)
{
  ThreadLookup *lookup = data;

  lookup->password = signet_account_lookup_password_sync (lookup->account, lookup->protocol, NULL,
                                                          &lookup->error);
  return NULL;
}

/* The same lookup from a worker thread, as a delivery makes it. */
static char *
lookup_password_in_thread (SignetAccount *account, SignetAccountProtocol protocol, GError **error)
{
  ThreadLookup lookup = { account, protocol, NULL, NULL };

  g_thread_join (g_thread_new ("lookup", lookup_thread, &lookup));
  if (lookup.error != NULL)
    g_propagate_error (error, lookup.error);
  return lookup.password;
}

/* Both ways of looking up find @expected (NULL: none, and no error). */
static void
assert_password (SignetAccount *account, SignetAccountProtocol protocol, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) thread_error = NULL;
  char *password = lookup_password (account, protocol, &error);
  char *in_thread = lookup_password_in_thread (account, protocol, &thread_error);

  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, expected);
  g_assert_no_error (thread_error);
  g_assert_cmpstr (in_thread, ==, expected);
  signet_account_password_free (password);
  signet_account_password_free (in_thread);
}

static void
assert_no_secret_service (SignetAccount *account, SignetAccountProtocol protocol)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) thread_error = NULL;
  char *password = lookup_password (account, protocol, &error);
  char *in_thread = lookup_password_in_thread (account, protocol, &thread_error);

  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
  g_assert_null (password);
  g_assert_error (thread_error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
  g_assert_null (in_thread);
}

/* Sets the servers and users the passwords belong to. */
static void
configure (SignetAccount *account)
{
  GSettings *settings = signet_account_get_settings (account);

  g_settings_set_string (settings, "smtp-host", "smtp.example.org");
  g_settings_set_uint (settings, "smtp-port", 587);
  g_settings_set_string (settings, "smtp-user", "alice");
  g_settings_set_string (settings, "imap-host", "imap.example.org");
  g_settings_set_uint (settings, "imap-port", 993);
  g_settings_set_string (settings, "imap-user", "alice");
}

/* No setting, of any key, holds @secret. */
static void
assert_not_in_settings (GSettings *settings, const char *secret)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i]);
      g_autofree char *text = g_variant_print (value, FALSE);

      g_assert_null (strstr (text, secret));
    }
}

/* Counts the regular files below @path; fails if one contains a secret. */
static guint
assert_no_file_contains (const char *path, const char *const *secrets)
{
  return signet_test_assert_no_file_contains (path, secrets);
}

/* Settings */

static void
test_settings (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GVariant) ssl = g_variant_ref_sink (g_variant_new_string ("ssl"));
  g_autoptr(GVariant) none = g_variant_ref_sink (g_variant_new_string ("none"));
  g_autofree char *smtp_host = signet_account_get_smtp_host (account);
  g_autofree char *smtp_user = signet_account_get_smtp_user (account);
  g_autofree char *imap_host = signet_account_get_imap_host (account);
  g_autofree char *imap_user = signet_account_get_imap_user (account);
  g_autofree char *sent = signet_account_get_imap_sent_folder (account);
  g_auto(GStrv) pins = g_settings_get_strv (settings, "trusted-certificates");
  const char *keys[] = { "smtp-host", "smtp-port", "smtp-security", "smtp-user", "imap-host", "imap-port",
                         "imap-security", "imap-user", "imap-sent-folder", "trusted-certificates" };
  SignetAccountSecurity security;

  /* The defaults: local delivery, the usual ports and encryption. */
  g_assert_cmpstr (smtp_host, ==, "");
  g_assert_true (signet_account_is_local (account));
  g_assert_cmpuint (signet_account_get_smtp_port (account), ==, 587);
  g_assert_cmpint (signet_account_get_smtp_security (account), ==, SIGNET_ACCOUNT_SECURITY_STARTTLS);
  g_assert_cmpstr (smtp_user, ==, "");
  g_assert_cmpstr (imap_host, ==, "");
  g_assert_cmpuint (signet_account_get_imap_port (account), ==, 993);
  g_assert_cmpint (signet_account_get_imap_security (account), ==, SIGNET_ACCOUNT_SECURITY_TLS);
  g_assert_cmpstr (imap_user, ==, "");
  g_assert_cmpstr (sent, ==, "");
  g_assert_cmpuint (g_strv_length (pins), ==, 0);
  g_assert_true (signet_account_validate (account, NULL));

  /* Every key explains itself (dconf-editor and the like show this). */
  g_object_get (settings, "settings-schema", &schema, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GSettingsSchemaKey) key = g_settings_schema_get_key (schema, keys[i]);

      g_assert_nonnull (g_settings_schema_key_get_summary (key));
      g_assert_nonnull (g_settings_schema_key_get_description (key));
    }

  /* Security is one of three words, and the schema refuses others. */
  {
    g_autoptr(GSettingsSchemaKey) smtp_security = g_settings_schema_get_key (schema, "smtp-security");
    g_autoptr(GSettingsSchemaKey) imap_security = g_settings_schema_get_key (schema, "imap-security");

    g_assert_false (g_settings_schema_key_range_check (smtp_security, ssl));
    g_assert_true (g_settings_schema_key_range_check (imap_security, none));
  }
  g_settings_set_string (settings, "imap-security", "none");
  g_assert_cmpint (signet_account_get_imap_security (account), ==, SIGNET_ACCOUNT_SECURITY_NONE);
  g_assert_true (signet_account_security_from_string ("starttls", &security));
  g_assert_cmpint (security, ==, SIGNET_ACCOUNT_SECURITY_STARTTLS);
  g_assert_false (signet_account_security_from_string ("TLS", &security));
  g_assert_cmpstr (signet_account_security_to_string (SIGNET_ACCOUNT_SECURITY_NONE), ==, "none");

  g_settings_set_string (settings, "smtp-host", "smtp.example.org");
  g_assert_false (signet_account_is_local (account));
  g_settings_set_uint (settings, "smtp-port", 465);
  g_assert_cmpuint (signet_account_get_smtp_port (account), ==, 465);
}

/* Validation */

static void
assert_server (SignetAccountProtocol protocol, const char *host, guint port,
               SignetAccountSecurity security, gint expected)
{
  g_autoptr(GError) error = NULL;
  gboolean valid = signet_account_check_server (protocol, host, port, security, &error);

  if (expected < 0)
    {
      g_assert_no_error (error);
      g_assert_true (valid);
      return;
    }
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, expected);
  g_assert_false (valid);
  g_assert_cmpstr (error->message, !=, "");
}

static void
test_validation (void)
{
  const char *good_hosts[] = { "localhost", "mail.example.org", "MAIL.Example.ORG", "mail-1.example.org",
                               "xn--bcher-kva.example", "bücher.example", "192.0.2.1", "2001:db8::1", "::1" };
  const char *bad_hosts[] = { "", "mail example.org", "http://mail.example.org", "mail.example.org:587",
                              "-mail.example.org", "mail-.example.org", "mail..example.org", "mail.example.org.",
                              ".example.org", "999.1.1.1", "192.0.2", "[::1]", "mail_1.example.org",
                              "mail\n.example.org", "alice@example.org", "mail.example.org/",
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.org" };
  const char *loopback[] = { "localhost", "LOCALHOST", "127.0.0.1", "127.12.34.56", "127.255.255.254", "::1" };
  const char *remote[] = { "mail.example.org", "10.0.0.1", "128.0.0.1", "192.0.2.1", "2001:db8::1",
                           "localhost.example.org", "::2" };
  const guint bad_ports[] = { 0, 65536, 70000, G_MAXUINT };
  g_autoptr(GString) long_name = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (good_hosts); i++)
    assert_server (SIGNET_ACCOUNT_PROTOCOL_SMTP, good_hosts[i], 587, SIGNET_ACCOUNT_SECURITY_STARTTLS, -1);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_hosts); i++)
    {
      g_assert_false (signet_account_is_valid_host (bad_hosts[i]));
      assert_server (SIGNET_ACCOUNT_PROTOCOL_IMAP, bad_hosts[i], 993, SIGNET_ACCOUNT_SECURITY_TLS,
                     SIGNET_ACCOUNT_ERROR_INVALID_HOST);
    }
  g_assert_false (signet_account_is_valid_host (NULL));
  /* Over 253 characters in all, though each label is fine. */
  while (long_name->len < 254)
    g_string_append (long_name, "abcdefghi.");
  g_string_append (long_name, "org");
  g_assert_false (signet_account_is_valid_host (long_name->str));

  /* No encryption only to a server on this computer. */
  for (gsize i = 0; i < G_N_ELEMENTS (loopback); i++)
    {
      g_assert_true (signet_account_is_loopback_host (loopback[i]));
      assert_server (SIGNET_ACCOUNT_PROTOCOL_SMTP, loopback[i], 25, SIGNET_ACCOUNT_SECURITY_NONE, -1);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (remote); i++)
    {
      g_assert_false (signet_account_is_loopback_host (remote[i]));
      assert_server (SIGNET_ACCOUNT_PROTOCOL_SMTP, remote[i], 25, SIGNET_ACCOUNT_SECURITY_NONE,
                     SIGNET_ACCOUNT_ERROR_INSECURE);
      assert_server (SIGNET_ACCOUNT_PROTOCOL_SMTP, remote[i], 25, SIGNET_ACCOUNT_SECURITY_TLS, -1);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad_ports); i++)
    assert_server (SIGNET_ACCOUNT_PROTOCOL_SMTP, "mail.example.org", bad_ports[i],
                   SIGNET_ACCOUNT_SECURITY_TLS, SIGNET_ACCOUNT_ERROR_INVALID_PORT);
  assert_server (SIGNET_ACCOUNT_PROTOCOL_SMTP, "mail.example.org", 1, SIGNET_ACCOUNT_SECURITY_TLS, -1);
  assert_server (SIGNET_ACCOUNT_PROTOCOL_SMTP, "mail.example.org", 65535, SIGNET_ACCOUNT_SECURITY_TLS, -1);

  /* The message names what is wrong. */
  signet_account_check_server (SIGNET_ACCOUNT_PROTOCOL_SMTP, "mail.example.org", 25,
                               SIGNET_ACCOUNT_SECURITY_NONE, &error);
  g_assert_nonnull (strstr (error->message, "mail.example.org"));
  g_assert_nonnull (strstr (error->message, "SMTP"));
}

static void
test_validate_account (void)
{
  /* Each step changes one setting of the account the steps before made. */
  const struct {
    const char *key;
    const char *text;    /* for string keys */
    guint       number;  /* for ports */
    gint        expected;
  } steps[] = {
    /* Local delivery needs no server. */
    { "smtp-host", "", 0, -1 },
    { "smtp-host", "mail example.org", 0, SIGNET_ACCOUNT_ERROR_INVALID_HOST },
    { "smtp-host", "mail.example.org", 0, -1 },
    { "smtp-port", NULL, 0, SIGNET_ACCOUNT_ERROR_INVALID_PORT },
    { "smtp-port", NULL, 70000, SIGNET_ACCOUNT_ERROR_INVALID_PORT },
    { "smtp-port", NULL, 25, -1 },
    { "smtp-security", "none", 0, SIGNET_ACCOUNT_ERROR_INSECURE },
    { "smtp-host", "127.0.0.1", 0, -1 },
    /* An IMAP server, once set, must be usable too, and needs a user name. */
    { "imap-host", "imap.example.org", 0, SIGNET_ACCOUNT_ERROR_NO_USER },
    { "imap-user", "alice", 0, -1 },
    { "imap-port", NULL, 65536, SIGNET_ACCOUNT_ERROR_INVALID_PORT },
    { "imap-port", NULL, 993, -1 },
    { "imap-security", "none", 0, SIGNET_ACCOUNT_ERROR_INSECURE },
    { "imap-host", "::1", 0, -1 },
  };
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);

  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean valid;

      if (steps[i].text != NULL)
        g_settings_set_string (settings, steps[i].key, steps[i].text);
      else
        g_settings_set_uint (settings, steps[i].key, steps[i].number);
      valid = signet_account_validate (account, &error);
      if (steps[i].expected < 0)
        {
          g_assert_no_error (error);
          g_assert_true (valid);
        }
      else
        {
          g_assert_error (error, SIGNET_ACCOUNT_ERROR, steps[i].expected);
          g_assert_false (valid);
        }
    }
}

/* Trusted certificates */

static char *
make_pin (const char *seed)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize length = sizeof digest;
  g_autofree char *encoded = NULL;

  g_checksum_update (checksum, (const guchar *) seed, -1);
  g_checksum_get_digest (checksum, digest, &length);
  encoded = g_base64_encode (digest, length);
  return g_strconcat ("sha256//", encoded, NULL);
}

static void
assert_pin (SignetAccount *account, const char *host, guint port, const char *expected)
{
  g_autofree char *pin = signet_account_lookup_trusted_certificate (account, host, port);

  g_assert_cmpstr (pin, ==, expected);
}

static void
test_trusted_certificates (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);
  g_autofree char *pin = make_pin ("one");
  g_autofree char *other = make_pin ("two");
  g_auto(GStrv) entries = NULL;
  g_autoptr(GError) error = NULL;

  assert_pin (account, "mail.example.org", 465, NULL);
  g_assert_true (signet_account_add_trusted_certificate (account, "mail.example.org", 465, pin, &error));
  g_assert_no_error (error);
  entries = g_settings_get_strv (settings, "trusted-certificates");
  g_assert_cmpuint (g_strv_length (entries), ==, 1);
  g_assert_true (g_str_has_prefix (entries[0], "mail.example.org:465=sha256//"));
  assert_pin (account, "mail.example.org", 465, pin);
  assert_pin (account, "Mail.Example.ORG", 465, pin);
  assert_pin (account, "mail.example.org", 993, NULL);
  assert_pin (account, "example.org", 465, NULL);

  /* Trusting another certificate for the same server replaces the first. */
  g_assert_true (signet_account_add_trusted_certificate (account, "mail.example.org", 465, other, NULL));
  assert_pin (account, "mail.example.org", 465, other);
  g_assert_true (signet_account_add_trusted_certificate (account, "mail.example.org", 993, pin, NULL));
  g_assert_true (signet_account_add_trusted_certificate (account, "::1", 993, pin, NULL));
  g_clear_pointer (&entries, g_strfreev);
  entries = g_settings_get_strv (settings, "trusted-certificates");
  g_assert_cmpuint (g_strv_length (entries), ==, 3);
  assert_pin (account, "::1", 993, pin);
  assert_pin (account, "0:0:0:0:0:0:0:1", 993, pin);
  assert_pin (account, "mail.example.org", 465, other);

  g_assert_true (signet_account_remove_trusted_certificate (account, "mail.example.org", 465));
  g_assert_false (signet_account_remove_trusted_certificate (account, "mail.example.org", 465));
  assert_pin (account, "mail.example.org", 465, NULL);
  assert_pin (account, "mail.example.org", 993, pin);
  g_assert_true (signet_account_remove_trusted_certificate (account, "::1", 993));
  g_assert_true (signet_account_remove_trusted_certificate (account, "mail.example.org", 993));
  g_clear_pointer (&entries, g_strfreev);
  entries = g_settings_get_strv (settings, "trusted-certificates");
  g_assert_cmpuint (g_strv_length (entries), ==, 0);
}

static void
assert_add_fails (SignetAccount *account, const char *host, guint port, const char *pin, gint expected)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) entries = NULL;

  g_assert_false (signet_account_add_trusted_certificate (account, host, port, pin, &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, expected);
  entries = g_settings_get_strv (signet_account_get_settings (account), "trusted-certificates");
  g_assert_cmpuint (g_strv_length (entries), ==, 0);
}

static void
test_trusted_certificates_refused (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  g_autofree char *pin = make_pin ("one");
  g_autofree char *short_hash = g_base64_encode ((const guchar *) "twenty bytes of sha1", 20);
  g_autofree char *sha1_pin = g_strconcat ("sha256//", short_hash, NULL);
  g_autofree char *unpadded = g_strndup (pin, strlen (pin) - 1);
  g_autofree char *garbage = g_strconcat (pin, "x", NULL);
  g_autofree char *md5 = g_strconcat ("md5//", pin + strlen ("sha256//"), NULL);
  g_autofree char *spaced = g_strdup (pin);

  spaced[20] = ' ';
  assert_add_fails (account, "mail example.org", 465, pin, SIGNET_ACCOUNT_ERROR_INVALID_HOST);
  assert_add_fails (account, "", 465, pin, SIGNET_ACCOUNT_ERROR_INVALID_HOST);
  assert_add_fails (account, "mail.example.org", 0, pin, SIGNET_ACCOUNT_ERROR_INVALID_PORT);
  assert_add_fails (account, "mail.example.org", 65536, pin, SIGNET_ACCOUNT_ERROR_INVALID_PORT);
  assert_add_fails (account, "mail.example.org", 465, "", SIGNET_ACCOUNT_ERROR_INVALID_PIN);
  assert_add_fails (account, "mail.example.org", 465, sha1_pin, SIGNET_ACCOUNT_ERROR_INVALID_PIN);
  assert_add_fails (account, "mail.example.org", 465, unpadded, SIGNET_ACCOUNT_ERROR_INVALID_PIN);
  assert_add_fails (account, "mail.example.org", 465, garbage, SIGNET_ACCOUNT_ERROR_INVALID_PIN);
  assert_add_fails (account, "mail.example.org", 465, md5, SIGNET_ACCOUNT_ERROR_INVALID_PIN);
  assert_add_fails (account, "mail.example.org", 465, spaced, SIGNET_ACCOUNT_ERROR_INVALID_PIN);
  g_assert_true (signet_account_is_valid_pin (pin));
}

/* The lookup warns once for each of the @warnings malformed entries. */
static void
assert_pin_warned (SignetAccount *account, const char *host, guint port, const char *expected,
                   gsize warnings)
{
  for (gsize i = 0; i < warnings; i++)
    g_test_expect_message ("signet-account", G_LOG_LEVEL_WARNING, "*malformed trusted certificate*");
  assert_pin (account, host, port, expected);
  g_test_assert_expected_messages ();
}

static void
test_trusted_certificates_malformed (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);
  g_autofree char *pin = make_pin ("one");
  g_autofree char *other = make_pin ("two");
  g_autofree char *no_colon = g_strconcat ("mail.example.org=", pin, NULL);
  g_autofree char *big_port = g_strconcat ("mail.example.org:99999=", pin, NULL);
  g_autofree char *signed_port = g_strconcat ("mail.example.org:+465=", pin, NULL);
  g_autofree char *bad_host = g_strconcat ("mail example.org:465=", pin, NULL);
  g_autofree char *sha1 = g_strconcat ("mail.example.org:465=sha1//", pin + strlen ("sha256//"), NULL);
  g_autofree char *spaced = g_strconcat ("  mail.example.org : 465 = ", other, " ", NULL);
  g_autofree char *bracketed = g_strconcat ("[::1]:993=", pin, NULL);
  g_autofree char *bare_ipv6 = g_strconcat ("::1:995=", other, NULL);
  const char *malformed[] = { "", "garbage", "mail.example.org:465", no_colon, big_port, signed_port,
                              bad_host, sha1 };
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  g_auto(GStrv) after = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    g_ptr_array_add (entries, (char *) malformed[i]);
  g_ptr_array_add (entries, spaced);
  g_ptr_array_add (entries, bracketed);
  g_ptr_array_add (entries, bare_ipv6);
  g_ptr_array_add (entries, NULL);
  g_settings_set_strv (settings, "trusted-certificates", (const char *const *) entries->pdata);

  /* Each malformed entry is skipped with a warning; the good ones count. */
  assert_pin_warned (account, "mail.example.org", 465, other, G_N_ELEMENTS (malformed));
  assert_pin_warned (account, "::1", 993, pin, G_N_ELEMENTS (malformed));
  assert_pin_warned (account, "::1", 995, other, G_N_ELEMENTS (malformed));

  /* Adding and removing leave what they do not understand alone. */
  g_assert_true (signet_account_add_trusted_certificate (account, "mail.example.org", 465, pin, NULL));
  g_assert_true (signet_account_remove_trusted_certificate (account, "::1", 993));
  after = g_settings_get_strv (settings, "trusted-certificates");
  g_assert_cmpuint (g_strv_length (after), ==, G_N_ELEMENTS (malformed) + 2);
  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    g_assert_cmpstr (after[i], ==, malformed[i]);
  g_assert_cmpstr (after[G_N_ELEMENTS (malformed)], ==, bare_ipv6);
  g_assert_true (g_str_has_prefix (after[G_N_ELEMENTS (malformed) + 1], "mail.example.org:465=sha256//"));
}

/* Passwords without a Secret Service */

/* No keyring: storing fails with the distinct error; a password given for
 * the session serves lookups for exactly that server, port and user. */
static void
check_session_only (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);
  g_autofree char *password = make_password ("session");
  const char *const secrets[] = { password, NULL };
  g_autoptr(GError) error = NULL;

  configure (account);
  g_assert_false (store_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, password, NULL, &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
  g_assert_nonnull (strstr (error->message, "Secret Service"));
  g_clear_error (&error);
  assert_no_secret_service (account, SIGNET_ACCOUNT_PROTOCOL_SMTP);

  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, password);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, password);
  assert_no_secret_service (account, SIGNET_ACCOUNT_PROTOCOL_IMAP);
  g_settings_set_string (settings, "smtp-user", "bob");
  assert_no_secret_service (account, SIGNET_ACCOUNT_PROTOCOL_SMTP);
  g_settings_set_string (settings, "smtp-user", "alice");
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, password);
  assert_not_in_settings (settings, password);
  assert_no_file_contains (root, secrets);

  /* Forgetting it works although the keyring cannot be reached. */
  g_assert_false (clear_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
  assert_no_secret_service (account, SIGNET_ACCOUNT_PROTOCOL_SMTP);
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, password);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, password);
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, NULL);
  assert_no_secret_service (account, SIGNET_ACCOUNT_PROTOCOL_IMAP);
}

/* The test's own session bus, on which no Secret Service runs or can be
 * started. */
static void
test_bus_without_service (void)
{
  check_session_only ();
}

/* No session bus at all. */
static void
test_no_session_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *runtime = g_build_filename (root, "no-bus", NULL);

      /* Nowhere to find a bus: no address, no $XDG_RUNTIME_DIR/bus, no X
       * display to autolaunch one on. */
      g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);
      g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
      g_unsetenv ("DISPLAY");
      g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
      check_session_only ();
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_incomplete_login (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);
  g_autoptr(GError) error = NULL;
  char *password;

  /* Nothing is asked of the keyring before there is a server and a user. */
  g_assert_false (store_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, "x", NULL, &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_HOST);
  g_clear_error (&error);
  g_settings_set_string (settings, "imap-host", "imap.example.org");
  password = lookup_password (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, &error);
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_USER);
  g_assert_null (password);
  g_clear_error (&error);
  password = lookup_password_in_thread (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, &error);
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_USER);
  g_assert_null (password);
  g_clear_error (&error);
  g_settings_set_string (settings, "imap-user", "alice");
  g_settings_set_uint (settings, "imap-port", 0);
  g_assert_false (clear_password (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, &error));
  g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_INVALID_PORT);
}

typedef struct {
  SignetAccount *account;
  const char    *password;
  gint           running;
  guint          found;
} Hammer;

static gpointer
hammer_lookups (gpointer data)
{
  Hammer *hammer = data;

  while (g_atomic_int_get (&hammer->running))
    {
      g_autoptr(GError) error = NULL;
      char *password = signet_account_lookup_password_sync (hammer->account, SIGNET_ACCOUNT_PROTOCOL_SMTP,
                                                            NULL, &error);

      /* The session's password, or (between two of them) the keyring's
       * answer, which here is that there is none. */
      if (password != NULL)
        {
          g_assert_cmpstr (password, ==, hammer->password);
          hammer->found++;
        }
      else
        g_assert_error (error, SIGNET_ACCOUNT_ERROR, SIGNET_ACCOUNT_ERROR_NO_SECRET_SERVICE);
      signet_account_password_free (password);
    }
  return NULL;
}

/* A delivery thread looks passwords up while the main thread sets and
 * forgets the session's password and changes other settings: each lookup
 * finds the password or none, never a torn one (the sanitizer build
 * watches the memory). */
static void
test_lookup_from_threads (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);
  g_autofree char *password = make_password ("threads");
  Hammer hammer = { account, password, 1, 0 };
  GThread *thread;

  configure (account);
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, password);
  thread = g_thread_new ("hammer", hammer_lookups, &hammer);
  for (guint i = 0; i < 300; i++)
    {
      signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, i % 3 == 2 ? NULL : password);
      g_settings_set_string (settings, "identity", i % 2 ? "Alice <alice@example.org>" : "");
      g_settings_set_uint (settings, "imap-port", 900 + i);
      g_usleep (200);
    }
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, password);
  g_usleep (10000);
  g_atomic_int_set (&hammer.running, 0);
  g_thread_join (thread);
  g_assert_cmpuint (hammer.found, >, 0);
}

/* The identity setting's bare address, following the setting. */
static void
test_identity_address (void)
{
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);
  struct {
    const char *identity;
    const char *address;
  } cases[] = {
    { "", NULL },
    { "Alice Example <alice@example.org>", "alice@example.org" },
    { "\"Example, Alice\" <alice@example.org>", "alice@example.org" },
    { "bob@example.org", "bob@example.org" },
    { "=?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>", "joerg@example.org" },
    { "not an address", NULL },
    { "alice@example.org, bob@example.org", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *address = NULL;

      g_settings_set_string (settings, "identity", cases[i].identity);
      address = signet_account_dup_identity_address (account);
      g_assert_cmpstr (address, ==, cases[i].address);
    }
}

/* Passwords in a real keyring */

static GSubprocess *
start_keyring (void)
{
  g_autofree char *log = g_build_filename (root, "gnome-keyring.log", NULL);

  return signet_test_start_keyring (log);
}

static void
stop_keyring (GSubprocess *daemon)
{
  signet_test_stop_keyring (daemon);
}

/* What the secret-tool command finds: its output, or NULL if it fails. */
static char *
secret_tool (const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;

  g_ptr_array_add (argv, (char *) "secret-tool");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_free (out);
      return NULL;
    }
  return out;
}

static void
assert_secret_tool_finds (const char *protocol, const char *server, const char *port, const char *expected)
{
  const char *args[] = { "lookup", "protocol", protocol, "server", server, "port", port, "user", "alice", NULL };
  g_autofree char *found = secret_tool (args);

  if (expected == NULL)
    g_assert_true (found == NULL || *found == '\0');
  else
    g_assert_cmpstr (found, ==, expected);
}

static void
test_keyring (void)
{
  GSubprocess *daemon = start_keyring ();
  g_autoptr(SignetAccount) account = new_account ();
  GSettings *settings = signet_account_get_settings (account);
  g_autofree char *smtp = make_password ("smtp");
  g_autofree char *imap = make_password ("imap");
  g_autofree char *session = make_password ("session");
  g_autofree char *keyring_file = NULL;
  g_autofree char *listing = NULL;
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  const char *search[] = { "search", "protocol", "smtp", "server", "smtp.example.org", NULL };
  const char *const secrets[] = { smtp, imap, session, NULL };

  configure (account);
  g_assert_true (store_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, smtp, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (store_password (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, imap, NULL, &error));
  g_assert_no_error (error);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, smtp);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, imap);

  /* Where other programs (and the user, in Seahorse) look for it. */
  assert_secret_tool_finds ("smtp", "smtp.example.org", "587", smtp);
  assert_secret_tool_finds ("imap", "imap.example.org", "993", imap);
  listing = secret_tool (search);
  g_assert_nonnull (listing);
  g_assert_nonnull (strstr (listing, "label = Signet: SMTP password for alice@smtp.example.org\n"));

  /* Another account, a freshly started application: the keyring has it. */
  {
    g_autoptr(SignetAccount) again = new_account ();

    configure (again);
    assert_password (again, SIGNET_ACCOUNT_PROTOCOL_SMTP, smtp);
  }

  /* One stored the way the README says, with secret-tool (which does not
   * name the schema), is found too; the password goes in on stdin. */
  {
    g_autofree char *typed = make_password ("typed");
    g_autoptr(GSubprocess) tool = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, "secret-tool", "store",
                                                    "--label=SMTP", "protocol", "smtp", "server", "typed.example.org",
                                                    "port", "587", "user", "alice", NULL);
    g_autofree char *found = NULL;

    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (tool, typed, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_subprocess_get_successful (tool));
    found = signet_account_lookup_password_for_sync (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, "typed.example.org",
                                                     587, "alice", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (found, ==, typed);

    /* A password saved from Signet replaces it, and Forget removes it. */
    {
      g_autoptr(SignetAccount) other = new_account ();
      GSettings *other_settings = signet_account_get_settings (other);
      g_autofree char *replacing = make_password ("replacing");

      g_settings_set_string (other_settings, "smtp-host", "typed.example.org");
      g_settings_set_uint (other_settings, "smtp-port", 587);
      g_settings_set_string (other_settings, "smtp-user", "alice");
      g_assert_true (store_password (other, SIGNET_ACCOUNT_PROTOCOL_SMTP, replacing, NULL, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < 5; i++)
        assert_password (other, SIGNET_ACCOUNT_PROTOCOL_SMTP, replacing);
      g_assert_true (clear_password (other, SIGNET_ACCOUNT_PROTOCOL_SMTP, &error));
      g_assert_no_error (error);
      assert_password (other, SIGNET_ACCOUNT_PROTOCOL_SMTP, NULL);
      assert_secret_tool_finds ("smtp", "typed.example.org", "587", NULL);
    }
  }

  /* A session password comes first, until a password is saved. */
  signet_account_set_session_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, session);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, session);
  g_assert_true (store_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, smtp, NULL, NULL));
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, smtp);
  assert_secret_tool_finds ("smtp", "smtp.example.org", "587", smtp);

  /* The password belongs to the server, port and user. */
  g_settings_set_uint (settings, "smtp-port", 465);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, NULL);
  g_settings_set_uint (settings, "smtp-port", 587);

  /* A cancelled store stores nothing. */
  g_cancellable_cancel (cancelled);
  g_assert_false (store_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, session, cancelled, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, smtp);

  /* Nothing holds a password in plain text: not the settings, not a file
   * of the test's or the keyring's. */
  assert_not_in_settings (settings, smtp);
  assert_not_in_settings (settings, imap);
  g_assert_cmpuint (assert_no_file_contains (root, secrets), >, 0);

  g_assert_true (clear_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, &error));
  g_assert_no_error (error);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, NULL);
  assert_secret_tool_finds ("smtp", "smtp.example.org", "587", NULL);
  assert_password (account, SIGNET_ACCOUNT_PROTOCOL_IMAP, imap);
  /* Clearing what is not there is no error. */
  g_assert_true (clear_password (account, SIGNET_ACCOUNT_PROTOCOL_SMTP, &error));
  g_assert_no_error (error);

  stop_keyring (daemon);
  keyring_file = g_build_filename (g_get_user_data_dir (), "keyrings", "login.keyring", NULL);
  g_assert_true (g_file_test (keyring_file, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (assert_no_file_contains (keyring_file, secrets), ==, 1);
  assert_no_file_contains (root, secrets);
}

static void
make_dir (const char *variable, const char *name)
{
  g_autofree char *path = g_build_filename (root, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  g_setenv (variable, path, TRUE);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  if (g_test_subprocess ())
    {
      root = g_strdup (g_getenv ("SIGNET_TEST_ACCOUNT_ROOT"));
    }
  else
    {
      /* Before any thread exists: the environment is set once, here. */
      root = signet_test_make_tmpdir ();
      g_setenv ("SIGNET_TEST_ACCOUNT_ROOT", root, TRUE);
      make_dir ("XDG_CONFIG_HOME", "config");
      make_dir ("XDG_DATA_HOME", "data");
      make_dir ("XDG_CACHE_HOME", "cache");
      make_dir ("HOME", "home");
      /* It unsets XDG_RUNTIME_DIR (and DISPLAY), so that nothing finds
       * another bus. */
      bus = g_test_dbus_new (G_TEST_DBUS_NONE);
      g_test_dbus_up (bus);
      make_dir ("XDG_RUNTIME_DIR", "runtime");
    }

  g_test_add_func ("/account/settings", test_settings);
  g_test_add_func ("/account/validation", test_validation);
  g_test_add_func ("/account/validate-account", test_validate_account);
  g_test_add_func ("/account/trusted-certificates", test_trusted_certificates);
  g_test_add_func ("/account/trusted-certificates-refused", test_trusted_certificates_refused);
  g_test_add_func ("/account/trusted-certificates-malformed", test_trusted_certificates_malformed);
  g_test_add_func ("/account/incomplete-login", test_incomplete_login);
  g_test_add_func ("/account/identity-address", test_identity_address);
  g_test_add_func ("/account/lookup-from-threads", test_lookup_from_threads);
  g_test_add_func ("/account/bus-without-service", test_bus_without_service);
  g_test_add_func ("/account/no-session-bus", test_no_session_bus);
  g_test_add_func ("/account/keyring", test_keyring);
  status = g_test_run ();

  if (bus != NULL)
    {
      g_autoptr(GDBusConnection) connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

      /* libsecret 0.20 keeps its backend, and with it the connection, for
       * the life of the process (secret_service_disconnect() leaves it), so
       * g_test_dbus_down(), which waits for the connection to go, would
       * wait in vain: stop the bus under it instead, and keep @bus, whose
       * disposal would wait the same way. */
      secret_service_disconnect ();
      if (connection != NULL)
        g_dbus_connection_set_exit_on_close (connection, FALSE);
      g_test_dbus_stop (bus);
      signet_test_remove_tree (root);
    }
  g_free (root);
  return status;
}
