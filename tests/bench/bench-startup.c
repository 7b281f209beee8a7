/* Time from exec to a painted window: runs a program and looks at the X
 * screen every 5 ms until the strip where its header bar will be shows
 * what a drawn header bar does (changed, and more than one flat colour).
 * Prints the milliseconds and the program's VmHWM (KiB) at that moment, then
 * ends the program with SIGTERM.
 *
 * usage: bench-startup WIDTH HEIGHT PROGRAM [ARGS…]   (the strip at 0,0) */

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS   (5 * 1000 * 1000L)
#define GIVE_UP_S 30

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Number of pixels that differ from @before, and whether the strip holds at
 * least three colours (a window cleared to its background holds one). */
static int
looks_painted (XImage *now, XImage *before, int width, int height)
{
  unsigned long colours[3];
  int n_colours = 0;
  long changed = 0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        unsigned long pixel = XGetPixel (now, x, y);
        int known = 0;

        changed += pixel != XGetPixel (before, x, y);
        for (int i = 0; i < n_colours; i++)
          known |= colours[i] == pixel;
        if (!known && n_colours < 3)
          colours[n_colours++] = pixel;
      }
  return changed > (long) width * height / 4 && n_colours >= 3;
}

static long
vm_hwm_kib (pid_t pid)
{
  char path[64], line[256];
  long kib = -1;
  FILE *status;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  status = fopen (path, "r");
  if (status == NULL)
    return -1;
  while (fgets (line, sizeof line, status) != NULL)
    if (strncmp (line, "VmHWM:", 6) == 0)
      kib = strtol (line + 6, NULL, 10);
  fclose (status);
  return kib;
}

static void
stop (pid_t pid)
{
  kill (pid, SIGTERM);
  for (int i = 0; i < 1000; i++)
    {
      if (waitpid (pid, NULL, WNOHANG) == pid)
        return;
      usleep (10 * 1000);
    }
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

int
main (int argc, char *argv[])
{
  struct timespec tick = { 0, POLL_NS };
  Display *display;
  XImage *before;
  int width, height;
  double start;
  pid_t pid;

  if (argc < 4)
    {
      fprintf (stderr, "usage: %s WIDTH HEIGHT PROGRAM [ARGS…]\n", argv[0]);
      return 2;
    }
  width = atoi (argv[1]);
  height = atoi (argv[2]);
  display = XOpenDisplay (NULL);
  if (display == NULL)
    {
      fprintf (stderr, "cannot open the display\n");
      return 2;
    }
  before = XGetImage (display, DefaultRootWindow (display), 0, 0, width, height, AllPlanes, ZPixmap);
  start = now_s ();
  pid = fork ();
  if (pid == 0)
    {
      execvp (argv[3], argv + 3);
      _exit (127);
    }
  while (now_s () - start < GIVE_UP_S)
    {
      XImage *now = XGetImage (display, DefaultRootWindow (display), 0, 0, width, height, AllPlanes, ZPixmap);
      int painted = looks_painted (now, before, width, height);

      XDestroyImage (now);
      if (painted)
        {
          double elapsed = now_s () - start;

          printf ("%.1f %ld\n", elapsed * 1000, vm_hwm_kib (pid));
          stop (pid);
          return 0;
        }
      if (waitpid (pid, NULL, WNOHANG) == pid)
        {
          fprintf (stderr, "%s exited before its window was painted\n", argv[3]);
          return 1;
        }
      nanosleep (&tick, NULL);
    }
  fprintf (stderr, "no window painted within %d s\n", GIVE_UP_S);
  stop (pid);
  return 1;
}
