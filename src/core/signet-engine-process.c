#define G_LOG_DOMAIN "signet-engine"
#define _GNU_SOURCE

#include "signet-engine-process.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The gpg process GPGME runs, as the kernel shows it in /proc: GPGME
 * double-forks gpg and tells nobody its process ID, yet the event loop of
 * signet-encrypt.c must notice when gpg dies, stop it on Cancel, and know
 * which of GPGME's pipes is gpg's output. */

/* Clock ticks since boot: the unit of the start time in /proc/PID/stat. */
guint64
signet_engine_ticks_since_boot (void)
{
  struct timespec now;
  guint64 hz = (guint64) sysconf (_SC_CLK_TCK);

  clock_gettime (CLOCK_BOOTTIME, &now);
  return (guint64) now.tv_sec * hz + (guint64) now.tv_nsec * hz / G_GUINT64_CONSTANT (1000000000);
}

/* From /proc/PID/stat: the state, the parent and the start time. FALSE when
 * there is no such process. */
gboolean
signet_engine_read_process (pid_t pid, char *state, pid_t *ppid, guint64 *start)
{
  char path[64];
  char buf[1024];
  g_auto(GStrv) fields = NULL;
  const char *after_name;
  ssize_t len;
  int fd;

  g_snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  len = read (fd, buf, sizeof buf - 1);
  close (fd);
  /* The name, in parentheses, may hold spaces and parentheses itself. */
  buf[MAX (len, 0)] = '\0';
  after_name = strrchr (buf, ')');
  if (after_name == NULL || after_name[1] != ' ')
    return FALSE;
  /* Fields 3 (state), 4 (parent) ... 22 (start time). */
  fields = g_strsplit (after_name + 2, " ", 21);
  if (g_strv_length (fields) < 20)
    return FALSE;
  *state = fields[0][0];
  *ppid = (pid_t) g_ascii_strtoll (fields[1], NULL, 10);
  *start = g_ascii_strtoull (fields[19], NULL, 10);
  return TRUE;
}

gboolean
signet_engine_holds_pipe (pid_t pid, const char *pipe_name)
{
  char path[64];
  gboolean found = FALSE;
  struct dirent *entry;
  DIR *dir;

  g_snprintf (path, sizeof path, "/proc/%d/fd", (int) pid);
  dir = opendir (path);
  while (dir != NULL && !found && (entry = readdir (dir)) != NULL)
    {
      char target[64];
      ssize_t len = readlinkat (dirfd (dir), entry->d_name, target, sizeof target - 1);

      if (len > 0)
        {
          target[len] = '\0';
          found = strcmp (target, pipe_name) == 0;
        }
    }
  if (dir != NULL)
    closedir (dir);
  return found;
}

/* gpg: the first process started after @since that holds the other end of
 * one of GPGME's pipes (processes gpg starts itself come later). A process
 * whose parent is us is not it, as GPGME double-forks gpg, but a fork of
 * another thread that still carries our descriptors. */
pid_t
signet_engine_find (const char *pipe_name, guint64 since, guint64 *start)
{
  DIR *proc = opendir ("/proc");
  struct dirent *entry;
  pid_t found = 0;

  while (proc != NULL && (entry = readdir (proc)) != NULL)
    {
      pid_t pid = (pid_t) g_ascii_strtoll (entry->d_name, NULL, 10);
      guint64 started = 0;
      pid_t ppid = 0;
      char state;

      if (pid <= 0 || pid == getpid () || !signet_engine_read_process (pid, &state, &ppid, &started) ||
          started + 1 < since || ppid == getpid () || (found != 0 && started >= *start))
        continue;
      if (signet_engine_holds_pipe (pid, pipe_name))
        {
          found = pid;
          *start = started;
        }
    }
  if (proc != NULL)
    closedir (proc);
  return found;
}

/* The pipe that is gpg's standard output ("--output -"), where it writes
 * the data, as "pipe:[inode]" in @name. */
gboolean
signet_engine_output_pipe (pid_t pid, char *name, gsize size)
{
  char path[64];
  ssize_t len;

  g_snprintf (path, sizeof path, "/proc/%d/fd/1", (int) pid);
  len = readlink (path, name, size - 1);
  if (len <= 0)
    return FALSE;
  name[len] = '\0';
  return g_str_has_prefix (name, "pipe:[");
}
