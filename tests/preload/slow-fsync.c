/* Preloaded into Signet by tests/ui/test_demo_home_made.py: a slow disk
 * for the demo's GnuPG home only. Each fsync() or fdatasync() of a file or
 * directory whose path holds "demo-gnupg" first sleeps SIGNET_SLOW_FSYNC_MS
 * milliseconds. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int fsync (int fd);
int fdatasync (int fd);

static void
maybe_sleep (int fd)
{
  const char *ms = getenv ("SIGNET_SLOW_FSYNC_MS");
  char link[64], path[4096];
  ssize_t n;
  long delay;

  if (ms == NULL)
    return;
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink (link, path, sizeof path - 1);
  if (n <= 0)
    return;
  path[n] = '\0';
  if (strstr (path, "demo-gnupg") == NULL)
    return;
  delay = atol (ms);
  nanosleep (&(struct timespec) { delay / 1000, (delay % 1000) * 1000000L }, NULL);
}

int
fsync (int fd)
{
  int (*real) (int) = (int (*) (int)) dlsym (RTLD_NEXT, "fsync");

  maybe_sleep (fd);
  return real (fd);
}

int
fdatasync (int fd)
{
  int (*real) (int) = (int (*) (int)) dlsym (RTLD_NEXT, "fdatasync");

  maybe_sleep (fd);
  return real (fd);
}
