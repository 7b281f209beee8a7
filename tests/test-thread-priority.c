/* Background work yields to the window: it runs at nice 10 under
 * SCHED_BATCH, so does a program it starts (GPGME's gpg is forked from the
 * worker), and the main thread and GLib's shared workers keep their
 * priority. */
#define _GNU_SOURCE

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gio/gio.h>

#include "signet-thread-priority.h"

typedef struct {
  int nice;
  int policy;
  int child_nice;
  int child_policy;
} Seen;

/* A started program's nice value and scheduling policy, as it sees them
 * itself (fields 19 and 41 of /proc/self/stat). */
static void
child_priority (int *nice, int *policy)
{
  const char *argv[] = { "/bin/sh", "-c", "cat /proc/self/stat", NULL };
  g_autofree char *out = NULL;
  g_auto(GStrv) fields = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                               &error));
  g_assert_no_error (error);
  /* "PID (COMM) STATE …": count from after the command's name. */
  fields = g_strsplit (strrchr (out, ')') + 2, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >, 39);
  *nice = atoi (fields[16]);
  *policy = atoi (fields[38]);
}

static void
worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Seen *seen = task_data;

  seen->nice = signet_thread_priority_get_nice ();
  seen->policy = sched_getscheduler (0);
  child_priority (&seen->child_nice, &seen->child_policy);
  g_task_return_boolean (task, TRUE);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  *(gboolean *) user_data = TRUE;
}

static void
run (gboolean background, Seen *seen)
{
  gboolean done = FALSE;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_done, &done);

  g_task_set_task_data (task, seen, NULL);
  if (background)
    signet_thread_priority_run_in_background (task, worker);
  else
    g_task_run_in_thread (task, worker);
  g_clear_object (&task);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_background_lowered (void)
{
  int main_nice = signet_thread_priority_get_nice ();
  Seen seen = { 0 };
  int nice, policy;

  run (TRUE, &seen);
  g_assert_cmpint (seen.nice, ==, main_nice);
  g_assert_cmpint (seen.policy, ==, SCHED_BATCH);
  g_assert_cmpint (seen.child_nice, ==, seen.nice);
  g_assert_cmpint (seen.child_policy, ==, SCHED_BATCH);

  /* The main thread, and what it starts, are untouched. */
  g_assert_cmpint (signet_thread_priority_get_nice (), ==, main_nice);
  g_assert_cmpint (sched_getscheduler (0), ==, SCHED_OTHER);
  child_priority (&nice, &policy);
  g_assert_cmpint (nice, ==, main_nice);
  g_assert_cmpint (policy, ==, SCHED_OTHER);
}

/* A lookup someone waits for (GLib's shared workers) keeps full priority,
 * however much background work ran before it. */
static void
test_shared_workers_untouched (void)
{
  int main_nice = signet_thread_priority_get_nice ();

  for (int i = 0; i < 8; i++)
    {
      Seen background = { 0 }, shared = { 0 };

      run (TRUE, &background);
      run (FALSE, &shared);
      g_assert_cmpint (background.policy, ==, SCHED_BATCH);
      g_assert_cmpint (shared.nice, ==, main_nice);
      g_assert_cmpint (shared.policy, ==, SCHED_OTHER);
    }
}

static gpointer
lowered_worker (gpointer data)
{
  int *nice = data;

  signet_thread_priority_lower_worker ();
  nice[0] = signet_thread_priority_get_nice ();
  nice[1] = sched_getscheduler (0);
  return NULL;
}

static void
worker_started_here (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_thread_join (g_thread_new ("worker", lowered_worker, task_data));
  g_task_return_boolean (task, TRUE);
}

/* A thread that only moves bytes for background work (the armor encoder)
 * goes lower still; one a draft being saved starts keeps its priority. */
static void
test_lowered_worker (void)
{
  int main_nice = signet_thread_priority_get_nice ();
  int seen[2] = { -1, -1 };
  gboolean done = FALSE;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_done, &done);

  g_task_set_task_data (task, seen, NULL);
  signet_thread_priority_run_in_background (task, worker_started_here);
  g_clear_object (&task);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (seen[0], ==, MAX (main_nice, 10));
  g_assert_cmpint (seen[1], ==, SCHED_BATCH);

  g_thread_join (g_thread_new ("worker", lowered_worker, seen));
  g_assert_cmpint (seen[0], ==, main_nice);
  g_assert_cmpint (seen[1], ==, SCHED_OTHER);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thread-priority/background-lowered", test_background_lowered);
  g_test_add_func ("/thread-priority/shared-workers-untouched", test_shared_workers_untouched);
  g_test_add_func ("/thread-priority/lowered-worker", test_lowered_worker);
  return g_test_run ();
}
