#include "signet-network.h"
#include "signet-test-util.h"

static void
count_notify (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_follows_monitor (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (FALSE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  guint notified = 0;

  g_signal_connect (network, "notify::online", G_CALLBACK (count_notify), &notified);
  g_assert_false (signet_network_get_online (network));
  signet_test_monitor_set_available (monitor, TRUE);
  g_assert_true (signet_network_get_online (network));
  g_assert_cmpuint (notified, ==, 1);
  /* Repeated network-changed emissions do not repeat the notification. */
  signet_test_monitor_set_available (monitor, TRUE);
  g_assert_cmpuint (notified, ==, 1);
  signet_test_monitor_set_available (monitor, FALSE);
  g_assert_false (signet_network_get_online (network));
  g_assert_cmpuint (notified, ==, 2);
}

static void
test_work_offline (void)
{
  g_autoptr(SignetTestMonitor) monitor = signet_test_monitor_new (TRUE);
  g_autoptr(SignetNetwork) network = signet_network_new (G_NETWORK_MONITOR (monitor));
  gboolean online = TRUE;

  g_assert_true (signet_network_get_online (network));
  g_object_set (network, "work-offline", TRUE, NULL);
  g_object_get (network, "online", &online, NULL);
  g_assert_false (online);
  g_assert_true (signet_network_get_network_available (network));
  /* The network coming back does not override the user's choice. */
  signet_test_monitor_set_available (monitor, TRUE);
  g_assert_false (signet_network_get_online (network));
  signet_network_set_work_offline (network, FALSE);
  g_assert_true (signet_network_get_online (network));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/network/follows-monitor", test_follows_monitor);
  g_test_add_func ("/network/work-offline", test_work_offline);
  return g_test_run ();
}
