#define _GNU_SOURCE
#define G_LOG_DOMAIN "signet-thread-priority"

#include "signet-thread-priority.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* How far below the main thread sealing, key lookups and the Outbox run.
 * The main thread must win every contest for a CPU: a frame is 16 ms, and
 * on two cores a sealing thread, gpg and its armoring would otherwise take
 * turns with it. */
#define BACKGROUND_NICE 10

/* Lowers the calling thread, and whatever it starts from now on (GPGME's
 * gpg, gpgconf), to background priority: nice BACKGROUND_NICE and
 * SCHED_BATCH (woken, it does not preempt the main thread). Linux keeps
 * both per thread and a forked child inherits them from the thread that
 * forked. Worker threads are shared and come back to their pool lowered:
 * they only ever do background work. */
void
signet_thread_priority_lower (void)
{
  static GPrivate lowered = G_PRIVATE_INIT (NULL);
  struct sched_param param = { 0 };
  pid_t tid = gettid ();

  if (g_private_get (&lowered) != NULL)
    return;
  g_private_set (&lowered, GINT_TO_POINTER (TRUE));
  if (getpriority (PRIO_PROCESS, tid) < BACKGROUND_NICE &&
      setpriority (PRIO_PROCESS, tid, BACKGROUND_NICE) != 0)
    g_debug ("Could not lower the priority of a worker: %s", g_strerror (errno));
  if (sched_getscheduler (tid) == SCHED_OTHER && sched_setscheduler (tid, SCHED_BATCH, &param) != 0)
    g_debug ("Could not make a worker a batch thread: %s", g_strerror (errno));
}

/* The calling thread's nice value. */
int
signet_thread_priority_get_nice (void)
{
  return getpriority (PRIO_PROCESS, gettid ());
}
