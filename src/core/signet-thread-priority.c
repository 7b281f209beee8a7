#define _GNU_SOURCE
#define G_LOG_DOMAIN "signet-thread-priority"

#include "signet-thread-priority.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct {
  GTask           *task;
  GTaskThreadFunc  func;
} Job;

/* SCHED_BATCH: woken, it does not preempt the main thread, whose frames
 * (16 ms) must not wait behind sealing, gpg and its armoring on two cores.
 * Linux keeps the policy per thread, and a forked child (GPGME's gpg)
 * inherits it from the thread that forked it.
 *
 * Not a higher nice value as well: a thread cannot lower its nice value
 * again without privileges, and GLib starts its shared workers from
 * whichever thread needs one, then gives them the main thread's settings.
 * From a thread at nice 10 that fails ("Failed to set scheduler
 * settings", a critical) and leaves a shared worker lowered for every
 * lookup after it. Back from SCHED_BATCH to SCHED_OTHER at the same nice
 * value is allowed to anyone. */
static void
lower_this_thread (void)
{
  struct sched_param param = { 0 };

  if (sched_setscheduler (gettid (), SCHED_BATCH, &param) != 0)
    g_debug ("Could not make a worker a batch thread: %s", g_strerror (errno));
}

static gpointer
run_job (gpointer data)
{
  Job *job = data;

  lower_this_thread ();
  job->func (job->task, g_task_get_source_object (job->task), g_task_get_task_data (job->task),
             g_task_get_cancellable (job->task));
  g_object_unref (job->task);
  g_free (job);
  return NULL;
}

/* Like g_task_run_in_thread(), for work nobody waits on with the window
 * open: on a thread of its own, lowered for its whole life. Not GLib's
 * shared pool: a pool thread, once lowered, cannot be raised again without
 * privileges, and would slow the next lookup someone does wait for. */
void
signet_thread_priority_run_in_background (GTask           *task,
                                          GTaskThreadFunc  task_func)
{
  Job *job = g_new0 (Job, 1);

  job->task = g_object_ref (task);
  job->func = task_func;
  /* Named (at most 15 bytes, or Linux keeps the process's name) so that
   * tools and tests can tell it apart. */
  g_thread_unref (g_thread_new ("signet-batch", run_job, job));
}

/* Nice 10 for the thread or process @id when the calling thread does
 * background work (SCHED_BATCH); never a higher priority than it has. */
static void
lower_if_background (pid_t id, const char *what)
{
  if (sched_getscheduler (0) != SCHED_BATCH)
    return;
  if (setpriority (PRIO_PROCESS, id, MAX (getpriority (PRIO_PROCESS, id), 10)) != 0)
    g_debug ("Could not lower the priority of %s: %s", what, g_strerror (errno));
}

/* For a thread that only computes and moves bytes, and never has GLib
 * start a shared worker (the armor encoder, the writer feeding gpg),
 * started by background work (whose SCHED_BATCH it inherits): nice 10 as
 * well, till it ends. Started by anything else (a draft being saved), it
 * keeps its priority. */
void
signet_thread_priority_lower_worker (void)
{
  lower_if_background (gettid (), "a worker");
}

/* For gpg (@pid) started by the calling thread: when that is background
 * work, nice 10 as well, like the threads that feed and armor for it. gpg
 * inherits SCHED_BATCH from the thread that forked it, but not a nice
 * value GLib's shared workers could not take; without one it takes as
 * much of the CPU as the main thread, which then waits for a core. Only
 * for a gpg that starts no daemon (gpg-agent would keep nice 10 for the
 * session): one that only encrypts. */
void
signet_thread_priority_lower_engine (pid_t pid)
{
  if (pid > 0)
    lower_if_background (pid, "gpg");
}

/* The calling thread's nice value. */
int
signet_thread_priority_get_nice (void)
{
  return getpriority (PRIO_PROCESS, gettid ());
}
