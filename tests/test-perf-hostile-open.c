/* Defects found and not fixed; each test fails until its defect is.
 *
 * GLib's shared workers when background work (sending, the Outbox, spell
 * checking: signet_thread_priority_run_in_background()) asks them for
 * something and waits, as a host name lookup while sending does
 * (GThreadedResolver runs each lookup with g_task_run_in_thread_sync()).
 * A worker GLib starts then is started by the lowered thread: it must not
 * stay lowered (it is shared, and the next lookup someone does wait for
 * would run on it), and nothing is logged as a critical error. Run as a
 * user without CAP_SYS_NICE, as Signet is. */
#define _GNU_SOURCE
#include <errno.h>
#include <gio/gio.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "signet-enchant-checker.h"
#include "signet-test-util.h"
#include "signet-thread-priority.h"

#define N_WORKERS 6

typedef struct {
  gint  started;
  gint  finished;
  int   nice[N_WORKERS];
  int   policy[N_WORKERS];
} Seen;

static guint criticals;

static void
count_criticals (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_printerr ("%s: %s\n", domain, message);
  criticals++;
}

/* As a user without privileges: no CAP_SYS_NICE, so a thread cannot be
 * raised again once lowered. FALSE if that cannot be arranged. */
static gboolean
drop_cap_sys_nice (void)
{
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };

  if (syscall (SYS_capget, &header, data) != 0)
    return FALSE;
  data[CAP_SYS_NICE / 32].effective &= ~(1u << (CAP_SYS_NICE % 32));
  data[CAP_SYS_NICE / 32].permitted &= ~(1u << (CAP_SYS_NICE % 32));
  data[CAP_SYS_NICE / 32].inheritable &= ~(1u << (CAP_SYS_NICE % 32));
  return syscall (SYS_capset, &header, data) == 0;
}

static void
shared_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Seen *seen = task_data;
  gint index = g_atomic_int_add (&seen->started, 1);

  seen->nice[index] = signet_thread_priority_get_nice ();
  seen->policy[index] = sched_getscheduler (0);
  /* Every worker busy at once, so that GLib starts new ones. */
  while (g_atomic_int_get (&seen->started) < N_WORKERS)
    g_usleep (1000);
  g_atomic_int_inc (&seen->finished);
  g_task_return_boolean (task, TRUE);
}

/* The background job: it asks the shared workers for several things at
 * once and waits for them, as sending does. */
static void
background_job (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Seen *seen = task_data;

  for (guint i = 0; i < N_WORKERS; i++)
    {
      g_autoptr(GTask) shared = g_task_new (NULL, NULL, NULL, NULL);

      g_task_set_task_data (shared, seen, NULL);
      g_task_run_in_thread (shared, shared_worker);
    }
  while (g_atomic_int_get (&seen->finished) < N_WORKERS)
    g_usleep (1000);
  g_task_return_boolean (task, TRUE);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
noop_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static void
test_shared_workers_started_from_background (void)
{
  int main_nice = signet_thread_priority_get_nice ();
  gboolean done = FALSE;
  Seen seen = { 0 };
  g_autoptr(GTask) first = NULL;
  g_autoptr(GTask) task = NULL;

  if (!drop_cap_sys_nice ())
    {
      g_test_skip ("CAP_SYS_NICE cannot be dropped here");
      return;
    }
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_handler ("GLib", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, count_criticals, NULL);

  /* The application's first shared work starts on the main thread. */
  first = g_task_new (NULL, NULL, on_done, &done);
  g_task_run_in_thread (first, noop_worker);
  g_clear_object (&first);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  done = FALSE;
  task = g_task_new (NULL, NULL, on_done, &done);
  g_task_set_task_data (task, &seen, NULL);
  signet_thread_priority_run_in_background (task, background_job);
  g_clear_object (&task);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < N_WORKERS; i++)
    {
      g_test_message ("shared worker %u: nice %d, policy %d", i, seen.nice[i], seen.policy[i]);
      g_assert_cmpint (seen.nice[i], ==, main_nice);
      g_assert_cmpint (seen.policy[i], ==, SCHED_OTHER);
    }
  g_assert_cmpuint (criticals, ==, 0);
}

/* The enchant providers Signet's brokers have loaded, as mapped now. */
static char *
providers_loaded (void)
{
  g_autofree char *maps = NULL;
  const char *names[] = { "enchant_aspell.so", "enchant_hspell.so", "enchant_hunspell.so" };
  GString *out = g_string_new (NULL);

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strstr (maps, names[i]) != NULL)
      g_string_append_printf (out, "%s%s", out->len ? " " : "", names[i]);
  return g_string_free (out, FALSE);
}

/* The last composer closes and Signet quits at once: its dictionary is
 * let go of in the background while the process exits. Freeing the last
 * broker there unloads enchant's provider modules (dlclose) from that
 * thread, which runs their destructors (__cxa_finalize) while exit()
 * runs the process's: Signet crashed on quit (SEGV in __cxa_finalize, in
 * a thread GLib started). Nothing may be unloaded by a thread the exit
 * does not wait for: the providers a checker loaded stay loaded after
 * it and its dictionaries are gone. */
static void
test_providers_stay_loaded (void)
{
  SignetSpellChecker *checker = signet_enchant_checker_new ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_true (signet_spell_checker_set_language (checker, "en_US", NULL));
  before = providers_loaded ();
  g_assert_cmpstr (before, !=, "");
  g_object_unref (checker);
  /* Long enough for the background free, several times over (it takes
   * tens of milliseconds). */
  signet_test_run_for (1000);
  after = providers_loaded ();
  g_assert_cmpstr (after, ==, before);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/perf-hostile-open/shared-workers-started-from-background",
                   test_shared_workers_started_from_background);
  g_test_add_func ("/perf-hostile-open/providers-stay-loaded", test_providers_stay_loaded);
  return g_test_run ();
}
