#include "signet-address.h"
#include "signet-errors.h"

static void
test_parse_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const SignetAddress *a;

  list = signet_address_parse_list ("Alice Demo <alice@example.org>, bob@example.org,\"Carol, C.\" <carol@example.org>", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  a = g_ptr_array_index (list, 0);
  g_assert_cmpstr (a->name, ==, "Alice Demo");
  g_assert_cmpstr (a->email, ==, "alice@example.org");
  a = g_ptr_array_index (list, 1);
  g_assert_null (a->name);
  g_assert_cmpstr (a->email, ==, "bob@example.org");
  a = g_ptr_array_index (list, 2);
  g_assert_cmpstr (a->name, ==, "Carol, C.");
  g_assert_cmpstr (a->email, ==, "carol@example.org");
}

static void
test_parse_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = signet_address_parse_list ("   ", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
}

static void
test_invalid (void)
{
  const char *bad[] = { "bob", "bob@", "@example.org", "a..b@example.org", ".a@example.org",
                        "a@example..org", "a@-example.org", "a@exa mple.org", "alice@example.org, carol",
                        "a@b@c", "ali\tce@example.org" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = signet_address_parse_list (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (list);
      g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID);
      g_assert_true (g_str_has_suffix (error->message, "is not a valid email address."));
    }
}

static void
test_header_injection (void)
{
  const char *bad[] = { "alice@example.org\r\nBcc: eve@example.org", "alice@example.org\nX: y",
                        "alice@example.org\r", "a\x7f@example.org", "a\xc2\x85@example.org" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = signet_address_parse_list (bad[i], &error);

      g_assert_null (list);
      g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_CONTROL_CHARACTER);
      g_assert_cmpstr (error->message, ==, "Line breaks and control characters are not allowed here.");
    }
  g_assert_false (signet_header_check ("Hello\r\nBcc: eve@example.org", NULL));
  g_assert_false (signet_header_check ("\xff\xfe", NULL));
  g_assert_true (signet_header_check ("Grüße — ok", NULL));
}

static void
test_parse_single (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SignetAddress) a = signet_address_parse ("Signet Demo <demo@example.org>", &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = signet_address_to_string (a);
  g_assert_cmpstr (text, ==, "Signet Demo <demo@example.org>");

  g_assert_null (signet_address_parse ("a@example.org, b@example.org", &error));
  g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (signet_address_parse ("", &error));
  g_assert_error (error, SIGNET_ADDRESS_ERROR, SIGNET_ADDRESS_ERROR_EMPTY);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/address/parse-list", test_parse_list);
  g_test_add_func ("/address/parse-empty", test_parse_empty);
  g_test_add_func ("/address/invalid", test_invalid);
  g_test_add_func ("/address/header-injection", test_header_injection);
  g_test_add_func ("/address/parse-single", test_parse_single);
  return g_test_run ();
}
