#define _GNU_SOURCE
#define G_LOG_DOMAIN "signet-mainloop-probe"

#include "signet-mainloop-probe.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>

/* A measuring aid for the benchmark (build-aux/benchmark.py), off unless
 * SIGNET_MAINLOOP_PROBE names a file: a high-priority 2 ms timer notes the
 * longest time between two of its runs, that is the longest the main loop
 * was kept from turning, and what the main thread did meanwhile: its time
 * on a CPU, and how often it gave the CPU up (blocked) or had it taken
 * (preempted). SIGUSR1 writes "GAP CPU BLOCKED PREEMPTED" (µs, µs, counts)
 * to the file and starts a new measurement; so does the end of the
 * process. */

#define PROBE_INTERVAL_MS 2

static char   *probe_path;
static gint64  last_run;
static gint64  longest_gap;
static struct rusage last_usage;
static gint64  longest_cpu;      /* during the longest gap */
static long    longest_blocked;
static long    longest_preempted;
static guint   timer_id;
static guint   signal_id;

static gint64
cpu_time (const struct rusage *usage)
{
  return (usage->ru_utime.tv_sec + usage->ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage->ru_utime.tv_usec + usage->ru_stime.tv_usec;
}

static gboolean
on_tick (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  struct rusage usage;

  getrusage (RUSAGE_THREAD, &usage);
  if (now - last_run > 16 * 1000)
    g_debug ("The main loop was held for %" G_GINT64_FORMAT " ms", (now - last_run) / 1000);
  if (now - last_run > longest_gap)
    {
      longest_gap = now - last_run;
      longest_cpu = cpu_time (&usage) - cpu_time (&last_usage);
      longest_blocked = usage.ru_nvcsw - last_usage.ru_nvcsw;
      longest_preempted = usage.ru_nivcsw - last_usage.ru_nivcsw;
    }
  last_run = now;
  last_usage = usage;
  return G_SOURCE_CONTINUE;
}

static void
write_gap (void)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %ld %ld\n",
                                           longest_gap, longest_cpu, longest_blocked, longest_preempted);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (probe_path, text, -1, &error))
    g_warning ("Could not write the main-loop probe: %s", error->message);
}

static gboolean
on_report (gpointer user_data)
{
  /* The signal's own dispatch was a turn of the loop: count from here. */
  on_tick (NULL);
  write_gap ();
  longest_gap = 0;
  return G_SOURCE_CONTINUE;
}

void
signet_mainloop_probe_start (void)
{
  const char *path = g_getenv ("SIGNET_MAINLOOP_PROBE");

  if (path == NULL || *path == '\0' || timer_id != 0)
    return;
  probe_path = g_strdup (path);
  last_run = g_get_monotonic_time ();
  getrusage (RUSAGE_THREAD, &last_usage);
  longest_gap = 0;
  timer_id = g_timeout_add_full (G_PRIORITY_HIGH, PROBE_INTERVAL_MS, on_tick, NULL, NULL);
  signal_id = g_unix_signal_add_full (G_PRIORITY_HIGH, SIGUSR1, on_report, NULL, NULL);
}

void
signet_mainloop_probe_stop (void)
{
  if (timer_id == 0)
    return;
  on_tick (NULL);
  write_gap ();
  g_clear_handle_id (&timer_id, g_source_remove);
  g_clear_handle_id (&signal_id, g_source_remove);
  g_clear_pointer (&probe_path, g_free);
}
