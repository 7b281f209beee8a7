#define _GNU_SOURCE
#define G_LOG_DOMAIN "signet-thread-priority"

#include "signet-thread-priority.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* How far below the main thread sealing, drafts and the Outbox run. The
 * main thread must win every contest for a CPU: a frame is 16 ms, and on
 * two cores a sealing thread, gpg and its armoring would otherwise take
 * turns with it. */
#define BACKGROUND_NICE 10

typedef struct {
  GTask           *task;
  GTaskThreadFunc  func;
} Job;

/* nice BACKGROUND_NICE and SCHED_BATCH (woken, it does not preempt the
 * main thread). Linux keeps both per thread, and a forked child (GPGME's
 * gpg) inherits them from the thread that forked it. */
static void
lower_this_thread (void)
{
  struct sched_param param = { 0 };
  pid_t tid = gettid ();

  if (setpriority (PRIO_PROCESS, tid, MAX (getpriority (PRIO_PROCESS, tid), BACKGROUND_NICE)) != 0)
    g_debug ("Could not lower the priority of a worker: %s", g_strerror (errno));
  if (sched_setscheduler (tid, SCHED_BATCH, &param) != 0)
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
  g_thread_unref (g_thread_new ("signet-background", run_job, job));
}

/* The calling thread's nice value. */
int
signet_thread_priority_get_nice (void)
{
  return getpriority (PRIO_PROCESS, gettid ());
}
