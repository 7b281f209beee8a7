/* Delivery when libcurl cannot be loaded: Signet opens it only when a
 * message first goes to a mail server, so a broken or missing libcurl must
 * cost delivery and nothing else. A message then fails to go, at once and
 * with a message that says why; it does not hang, and it is not taken for
 * cancelled (which would keep it waiting in silence).
 *
 * Each case runs in a child whose library path finds a file that is not a
 * library under libcurl's name. */

#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-test-no-library.h"
#include "signet-smtp-transport.h"

static void
on_delivered (const char *recipient, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
child (void)
{
  const char *to[] = { "alice@example.org", NULL };
  g_autoptr(SignetSmtpTransport) transport = signet_smtp_transport_new ("127.0.0.1", 1, "none");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint delivered = 0;
  int fd;

  fd = g_file_open_tmp ("signet-curl-missing-XXXXXX.eml", &path, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, "From: demo@example.org\r\nTo: alice@example.org\r\n"
                                            "Subject: x\r\n\r\nx\r\n", -1, NULL));
  g_object_set (transport, "sender", "demo@example.org", NULL);

  /* Said once, when a message first goes out. */
  g_test_expect_message ("signet-curl", G_LOG_LEVEL_WARNING,
                         "The mail library " SIGNET_LIBCURL_SONAME " could not be loaded: *");
  for (guint i = 0; i < 2; i++)
    {
      g_assert_false (signet_transport_deliver (SIGNET_TRANSPORT (transport), fd, "batch.001", to, on_delivered,
                                                NULL, &delivered, NULL, &error));
      g_assert_nonnull (error);
      g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      g_assert_nonnull (strstr (error->message, "The mail library " SIGNET_LIBCURL_SONAME " could not be loaded"));
      g_clear_error (&error);
      g_assert_cmpuint (delivered, ==, 0);
      g_assert_cmpint (lseek (fd, 0, SEEK_SET), ==, 0);
    }
  g_test_assert_expected_messages ();
  close (fd);
  g_unlink (path);
}

static void
test_not_a_library (void)
{
  signet_test_without_library (SIGNET_LIBCURL_SONAME, child);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/curl-missing/not-a-library", test_not_a_library);
  return g_test_run ();
}
