#define G_LOG_DOMAIN "signet-encrypt"
#define _GNU_SOURCE

#include "signet-encrypt.h"
#include "signet-thread-priority.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "signet-engine-process.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-key-directory-private.h"

/* Encryption and decryption with GPGME, in an event loop of our own
 * (gpgme_set_io_cbs).
 *
 * GPGME's own loop cannot be trusted to end. When gpg dies while GPGME waits
 * to write to it, GPGME 1.18 polls the dead pipe for ever at full speed (it
 * asks for POLLOUT and never looks at POLLERR); gpgme_cancel_async() is only
 * noticed when one of its pipes becomes ready; and a killed gpg can even look
 * like success, since a write that fails with EPIPE is taken as gpg having
 * read enough and gpg's status output simply ends.
 *
 * So this loop watches for itself: an error on gpg's input pipe (nothing
 * reads it any more), gpg's process (a pidfd; GPGME double-forks gpg, so it
 * is no child of ours: it is the process that holds the other end of GPGME's
 * pipes), and the GCancellable. A seal counts as done only when gpg said
 * END_ENCRYPTION, which it says once its output is complete; a decryption
 * only when gpg said DECRYPTION_OKAY, which it says once it has written all
 * of the plaintext and checked its integrity.
 *
 * GPGME is handed gpg's input only when the source (the plaintext to seal,
 * or the ciphertext to open) has data or its end, so it never blocks reading
 * from a slow writer, and gpg's input pipe is non-blocking, so it never
 * blocks writing to a stalled gpg: the loop always comes back to poll, where
 * Cancel and gpg's death are seen.
 *
 * The data itself does not pass through GPGME where the kernel can move it:
 * GPGME 1.18 copies every block it relays and formats each one for its
 * trace, even with tracing off, which costs more than gpg's encryption. So
 * the loop splices the source into gpg's input pipe and gpg's output pipe
 * (found as gpg's standard output in /proc) into the destination, and calls
 * GPGME's handlers only at the end of each, so that GPGME sees the end,
 * closes its pipes and finishes as it would otherwise. Where splicing is
 * not possible, GPGME relays as before. */

/* Once gpg is gone, how long what it wrote may take to arrive. */
#define DRAIN_USEC (3 * G_USEC_PER_SEC)
/* How often to look at gpg where the kernel cannot tell (no pidfd). */
#define ENGINE_CHECK_MSEC 250
/* Transfers between GPGME and gpg, larger than its 4 KiB default. */
#define IO_BUFFER_SIZE "262144"
#define PIPE_SIZE (1 << 20)
/* The most one splice() moves. */
#define SPLICE_SIZE (1 << 20)

typedef struct {
  int            fd;
  gboolean       from_engine;    /* GPGME reads gpg's output here; else writes gpg's input */
  gpgme_io_cb_t  fnc;
  void          *fnc_data;
  gboolean       active;
  gboolean       direct;         /* data moved by splice(), not by GPGME */
} Watch;

typedef struct {
  GPtrArray     *watches;        /* Watch *: GPGME's tags, freed at the end */
  gboolean       done;           /* GPGME's GPGME_EVENT_DONE */
  gpgme_error_t  err;
  const char    *completion;     /* the status gpg says once its output is complete */
  gboolean       completed;      /* gpg said it */
  gboolean       done_completes; /* gpgsm: its Assuan OK at the end is the word */
  const char * const *endings;   /* statuses gpg says when it gives up on its own, or NULL */
  gboolean       ended;          /* gpg said one */
  int            source_fd;      /* what gpg is to read */
  int            sink_fd;        /* where what gpg writes goes */
  gboolean       source_ready;   /* data from it, or its end, is waiting */
  gboolean       input_writable; /* gpg's input pipe has room */
  gboolean       input_closed;   /* nothing reads gpg's input any more */
  gint64         last_progress;  /* monotonic time data last moved */
  char           pipe_name[64];  /* "pipe:[inode]" of one of GPGME's pipes to gpg */
  pid_t          engine_pid;     /* 0: gpg was not found */
  int            engine_pidfd;
  guint64        engine_start;   /* its start time, against pid reuse */
  gint64         engine_gone;    /* monotonic time gpg was seen gone, or 0 */
  gboolean       lower_engine;   /* encrypting only: gpg starts no agent */
  gint64         next_check;
  int            poll_errno;
} Run;

typedef enum {
  RUN_GOING,
  RUN_DONE,
  RUN_CANCELLED,
  RUN_ENGINE_GONE,
  RUN_POLL_FAILED,
} RunState;

static gpgme_error_t
add_watch (void *data, int fd, int dir, gpgme_io_cb_t fnc, void *fnc_data, void **tag)
{
  Run *run = data;
  Watch *watch = g_new0 (Watch, 1);

  watch->fd = fd;
  watch->from_engine = dir != 0;
  watch->fnc = fnc;
  watch->fnc_data = fnc_data;
  watch->active = TRUE;
  /* GPGME copes with short writes and EAGAIN; a blocking write would keep
   * the loop from seeing anything until a stalled gpg reads again. */
  if (!watch->from_engine)
    (void) fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  /* Fewer, larger transfers to and from gpg; best effort. */
  (void) fcntl (fd, F_SETPIPE_SZ, PIPE_SIZE);
  g_ptr_array_add (run->watches, watch);
  *tag = watch;
  return 0;
}

static void
remove_watch (void *tag)
{
  ((Watch *) tag)->active = FALSE;
}

static void
on_io_event (void *data, gpgme_event_io_t type, void *type_data)
{
  Run *run = data;
  gpgme_io_event_done_data_t done = type_data;

  if (type != GPGME_EVENT_DONE)
    return;
  run->done = TRUE;
  run->err = done->err != 0 ? done->err : done->op_err;
  if (run->done_completes && run->err == 0)
    run->completed = TRUE;
}

static gpgme_error_t
on_status (void *data, const char *keyword, const char *args)
{
  Run *run = data;

  if (g_strcmp0 (keyword, run->completion) == 0)
    run->completed = TRUE;
  if (run->endings != NULL && keyword != NULL && g_strv_contains (run->endings, keyword))
    run->ended = TRUE;
  return 0;
}

static gboolean
engine_alive (Run *run)
{
  guint64 start = 0;
  pid_t ppid = 0;
  char state = 'X';

  /* A zombie has stopped: pid 1 may take its time to reap it. */
  return signet_engine_read_process (run->engine_pid, &state, &ppid, &start) &&
         state != 'Z' && state != 'X' && start == run->engine_start;
}

static void
mark_engine_gone (Run *run)
{
  if (run->engine_gone == 0)
    run->engine_gone = g_get_monotonic_time ();
}

/* Moves the data by splice() between gpg and the source and the sink:
 * GPGME's only pipe to gpg (its input), and the one of GPGME's pipes from
 * gpg that is gpg's standard output. */
static void
choose_direct_watches (Run *run)
{
  char output[64];
  gboolean known = signet_engine_output_pipe (run->engine_pid, output, sizeof output);

  if (!known)
    g_debug ("gpg's output not found; GPGME relays it");

  for (guint i = 0; i < run->watches->len; i++)
    {
      Watch *watch = g_ptr_array_index (run->watches, i);
      char name[64];
      struct stat st;

      if (!watch->from_engine)
        {
          watch->direct = TRUE;
          continue;
        }
      if (!known || fstat (watch->fd, &st) != 0 || !S_ISFIFO (st.st_mode))
        continue;
      g_snprintf (name, sizeof name, "pipe:[%llu]", (unsigned long long) st.st_ino);
      watch->direct = strcmp (name, output) == 0;
    }
}

static void
watch_engine (Run *run, guint64 since)
{
  Watch *first = run->watches->len > 0 ? g_ptr_array_index (run->watches, 0) : NULL;
  struct stat st;

  if (first == NULL || fstat (first->fd, &st) != 0 || !S_ISFIFO (st.st_mode))
    return;
  g_snprintf (run->pipe_name, sizeof run->pipe_name, "pipe:[%llu]", (unsigned long long) st.st_ino);
  run->engine_pid = signet_engine_find (run->pipe_name, since, &run->engine_start);
  if (run->engine_pid == 0)
    {
      g_debug ("gpg not found in /proc; watching its pipes only");
      return;
    }
#ifdef SYS_pidfd_open
  run->engine_pidfd = (int) syscall (SYS_pidfd_open, run->engine_pid, 0);
#endif
  choose_direct_watches (run);
  /* Checked after the pidfd is open: the pid could have been reused. */
  if (!engine_alive (run))
    mark_engine_gone (run);
  /* Only a gpg that encrypts: one that signs or decrypts may start
   * gpg-agent, which would keep the lowered priority for the session. */
  else if (run->lower_engine)
    signet_thread_priority_lower_engine (run->engine_pid);
}

/* Asks gpg to stop, if it is still the process on the other end of our pipe. */
static void
stop_engine (Run *run)
{
#ifdef SYS_pidfd_send_signal
  if (run->engine_pidfd >= 0 && run->engine_gone == 0 && signet_engine_holds_pipe (run->engine_pid, run->pipe_name))
    (void) syscall (SYS_pidfd_send_signal, run->engine_pidfd, SIGTERM, NULL, 0);
#endif
}

static void
check_engine (Run *run)
{
  gint64 now = g_get_monotonic_time ();

  if (run->engine_pid == 0 || run->engine_pidfd >= 0 || run->engine_gone != 0 || now < run->next_check)
    return;
  run->next_check = now + ENGINE_CHECK_MSEC * 1000;
  if (!engine_alive (run))
    mark_engine_gone (run);
}

static Watch *
find_watch (Run *run, gboolean from_engine)
{
  for (guint i = 0; i < run->watches->len; i++)
    {
      Watch *watch = g_ptr_array_index (run->watches, i);
      if (watch->active && watch->from_engine == from_engine)
        return watch;
    }
  return NULL;
}

static RunState
run_state (Run *run, GCancellable *cancellable)
{
  if (g_cancellable_is_cancelled (cancellable))
    return RUN_CANCELLED;
  if (run->done)
    return RUN_DONE;
  if (run->poll_errno != 0)
    return RUN_POLL_FAILED;
  /* gpg closed all its output, yet GPGME waits to give it more input. */
  if (find_watch (run, TRUE) == NULL)
    return RUN_ENGINE_GONE;
  if (run->engine_gone != 0 &&
      g_get_monotonic_time () - MAX (run->engine_gone, run->last_progress) > DRAIN_USEC)
    return RUN_ENGINE_GONE;
  return RUN_GOING;
}

/* What one poll() waits for. */
typedef struct {
  GArray    *fds;      /* struct pollfd */
  GPtrArray *owners;   /* Watch *, or one of the markers */
} PollSet;

static char source_marker, pidfd_marker, cancel_marker;

static void
poll_set_add (PollSet *set, int fd, short events, gpointer owner)
{
  struct pollfd pfd = { fd, events, 0 };

  g_array_append_val (set->fds, pfd);
  g_ptr_array_add (set->owners, owner);
}

/* Fills @set; returns the timeout for poll(). */
static int
prepare_poll (Run *run, PollSet *set, int cancel_fd)
{
  Watch *input = find_watch (run, FALSE);
  gint64 now = g_get_monotonic_time ();

  g_array_set_size (set->fds, 0);
  g_ptr_array_set_size (set->owners, 0);
  for (guint i = 0; i < run->watches->len; i++)
    {
      Watch *watch = g_ptr_array_index (run->watches, i);
      if (watch->active && watch->from_engine)
        poll_set_add (set, watch->fd, POLLIN, watch);
    }
  if (input != NULL && !run->input_closed)
    {
      /* POLLERR and POLLHUP come whatever is asked for. */
      poll_set_add (set, input->fd, run->input_writable ? 0 : POLLOUT, input);
      if (!run->source_ready)
        poll_set_add (set, run->source_fd, POLLIN, &source_marker);
    }
  if (cancel_fd >= 0)
    poll_set_add (set, cancel_fd, POLLIN, &cancel_marker);
  if (run->engine_pidfd >= 0 && run->engine_gone == 0)
    poll_set_add (set, run->engine_pidfd, POLLIN, &pidfd_marker);

  if (run->engine_gone != 0)
    return (int) CLAMP ((MAX (run->engine_gone, run->last_progress) + DRAIN_USEC - now) / 1000 + 1, 0, G_MAXINT);
  if (run->engine_pid != 0 && run->engine_pidfd < 0)
    return ENGINE_CHECK_MSEC;
  return -1;
}

/* Moves what gpg wrote into the sink. FALSE when GPGME is to read: at the
 * end of gpg's output, which GPGME must see, or where splicing fails. */
static gboolean
splice_output (Run *run, Watch *watch)
{
  ssize_t n = splice (watch->fd, NULL, run->sink_fd, NULL, SPLICE_SIZE, SPLICE_F_MOVE);

  if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)))
    return TRUE;
  if (n < 0)
    {
      g_debug ("GPGME relays gpg's output: %s", g_strerror (errno));
      watch->direct = FALSE;
    }
  return FALSE;
}

/* Moves the source into gpg's input. FALSE when GPGME is to write: at the
 * end of the source, which GPGME must see, or where splicing fails. */
static gboolean
splice_input (Run *run, Watch *input)
{
  ssize_t n = splice (run->source_fd, NULL, input->fd, NULL, SPLICE_SIZE, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

  if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)))
    return TRUE;
  if (n < 0 && errno == EPIPE)
    {
      /* Nothing reads gpg's input any more. */
      run->input_closed = TRUE;
      mark_engine_gone (run);
      return TRUE;
    }
  if (n < 0)
    {
      g_debug ("GPGME relays gpg's input: %s", g_strerror (errno));
      input->direct = FALSE;
    }
  return FALSE;
}

static void
dispatch_watch (Run *run, Watch *watch, short revents)
{
  if (!watch->active)
    return;  /* closed by a handler earlier in this round */
  if (watch->from_engine)
    {
      if (revents & POLLIN)
        run->last_progress = g_get_monotonic_time ();
      if (watch->direct && splice_output (run, watch))
        return;
      watch->fnc (watch->fnc_data, watch->fd);
    }
  else if (revents & (POLLERR | POLLHUP | POLLNVAL))
    {
      run->input_closed = TRUE;
      mark_engine_gone (run);
    }
  else if (revents & POLLOUT)
    run->input_writable = TRUE;
}

/* Hands gpg more of its input once there is some and gpg has room for it. */
static void
feed_engine (Run *run)
{
  Watch *input = find_watch (run, FALSE);

  if (input == NULL || run->input_closed || !run->source_ready || !run->input_writable)
    return;
  run->source_ready = FALSE;
  run->input_writable = FALSE;
  run->last_progress = g_get_monotonic_time ();
  if (input->direct && splice_input (run, input))
    return;
  input->fnc (input->fnc_data, input->fd);
}

static void
dispatch (Run *run, PollSet *set)
{
  for (guint i = 0; i < set->fds->len; i++)
    {
      const struct pollfd *pfd = &g_array_index (set->fds, struct pollfd, i);
      gpointer owner = g_ptr_array_index (set->owners, i);

      if (pfd->revents == 0 || owner == &cancel_marker)
        continue;
      if (owner == &source_marker)
        run->source_ready = TRUE;
      else if (owner == &pidfd_marker)
        mark_engine_gone (run);
      else
        dispatch_watch (run, owner, pfd->revents);
    }
  feed_engine (run);
}

static RunState
run_loop (Run *run, GCancellable *cancellable)
{
  PollSet set = { g_array_new (FALSE, FALSE, sizeof (struct pollfd)), g_ptr_array_new () };
  GPollFD cancel_fd = { .fd = -1 };
  gboolean cancel_pollable = cancellable != NULL && g_cancellable_make_pollfd (cancellable, &cancel_fd);
  RunState state;

  while ((state = run_state (run, cancellable)) == RUN_GOING)
    {
      int timeout = prepare_poll (run, &set, cancel_pollable ? cancel_fd.fd : -1);

      if (poll ((struct pollfd *) (gpointer) set.fds->data, set.fds->len, timeout) < 0)
        {
          if (errno != EINTR && errno != EAGAIN)
            run->poll_errno = errno;
          continue;
        }
      dispatch (run, &set);
      check_engine (run);
    }
  if (cancel_pollable)
    g_cancellable_release_fd (cancellable);
  g_array_unref (set.fds);
  g_ptr_array_unref (set.owners);
  return state;
}

static void
set_engine_error (gpgme_ctx_t ctx, gpgme_error_t err, GError **error)
{
  gpgme_encrypt_result_t result = gpgme_op_encrypt_result (ctx);

  if (result != NULL && result->invalid_recipients != NULL)
    g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
                 _("GnuPG refused the sealing key %s."), result->invalid_recipients->fpr);
  else
    signet_set_gpgme_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED, err);
}

/* The ends every operation reports alike: Cancel, and a loop that could not
 * wait. FALSE with @error set; TRUE when the operation's own outcome decides. */
static gboolean
check_run (Run *run, RunState state, GQuark domain, int code, GCancellable *cancellable, GError **error)
{
  if (state == RUN_CANCELLED)
    {
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return FALSE;
    }
  if (state == RUN_POLL_FAILED)
    {
      g_set_error (error, domain, code, _("Could not wait for GnuPG: %s"), g_strerror (run->poll_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
finish (Run *run, RunState state, gpgme_ctx_t ctx, GCancellable *cancellable, GError **error)
{
  if (!check_run (run, state, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED, cancellable, error))
    return FALSE;
  if (state == RUN_DONE && run->err != 0)
    {
      set_engine_error (ctx, run->err, error);
      return FALSE;
    }
  if (state == RUN_DONE && run->completed)
    return TRUE;
  g_debug ("gpg ended without END_ENCRYPTION (pid %d)", (int) run->engine_pid);
  g_set_error_literal (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                       _("GnuPG stopped unexpectedly while sealing the message. Nothing was sent."));
  return FALSE;
}

static gpgme_error_t
new_stream_data (gpgme_data_t *data, int fd)
{
  gpgme_error_t err = gpgme_data_new_from_fd (data, fd);

  if (err == 0)
    (void) gpgme_data_set_flag (*data, "io-buffer-size", IO_BUFFER_SIZE);
  return err;
}

typedef SignetGpgStartFunc StartFunc;

static gpgme_error_t
start (gpgme_ctx_t ctx, Run *run, StartFunc start_op, gpointer op_data, gpgme_data_t in, gpgme_data_t out)
{
  struct gpgme_io_cbs io_cbs = { add_watch, run, remove_watch, on_io_event, run };
  gpgme_error_t err = gpgme_set_ctx_flag (ctx, "full-status", "1");

  if (err != 0)
    return err;
  /* GPGME passes none of gpgsm's status lines to a status callback; gpgsm
   * answers each command on its Assuan connection, and says OK only once
   * its output is complete: GPGME's DONE without an error is that OK. */
  run->done_completes = gpgme_get_protocol (ctx) == GPGME_PROTOCOL_CMS;
  gpgme_set_status_cb (ctx, on_status, run);
  gpgme_set_io_cbs (ctx, &io_cbs);
  return start_op (ctx, in, out, op_data);
}

/* Runs one operation from @run->source_fd into @out_fd until it ends, gpg
 * dies or @cancellable is cancelled; then gpg is stopped if it still runs,
 * and GPGME lets go of @run. @start_err: an error starting it, or 0. */
static RunState
run_operation (gpgme_ctx_t     ctx,
               Run            *run,
               int             out_fd,
               StartFunc       start_op,
               gpointer        op_data,
               GCancellable   *cancellable,
               gpgme_error_t  *start_err)
{
  g_auto(gpgme_data_t) in = NULL;
  g_auto(gpgme_data_t) out = NULL;
  guint64 since = signet_engine_ticks_since_boot ();
  RunState state = RUN_DONE;
  gpgme_error_t err;

  run->sink_fd = out_fd;
  err = new_stream_data (&in, run->source_fd);
  if (err == 0)
    err = new_stream_data (&out, out_fd);
  if (err == 0)
    err = start (ctx, run, start_op, op_data, in, out);
  if (err == 0)
    {
      watch_engine (run, since);
      state = run_loop (run, cancellable);
    }
  if (!run->done && run->watches->len > 0)
    {
      stop_engine (run);
      /* Closes GPGME's pipes to gpg; the loop's callbacks see them go. */
      gpgme_cancel (ctx);
    }
  if (run->engine_pidfd >= 0)
    close (run->engine_pidfd);
  /* @run lives on the caller's stack: GPGME must not call it any more. */
  gpgme_set_io_cbs (ctx, NULL);
  gpgme_set_status_cb (ctx, NULL, NULL);
  *start_err = err;
  return state;
}

typedef struct {
  const char            *recipients;
  gpgme_encrypt_flags_t  flags;
} EncryptArgs;

static gpgme_error_t
start_encrypt (gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out, gpointer data)
{
  const EncryptArgs *args = data;

  return gpgme_op_encrypt_ext_start (ctx, NULL, args->recipients, args->flags, in, out);
}

/* Encrypts what @plain_fd delivers until its end into @cipher_fd, for
 * @recipients (as for gpgme_op_encrypt_ext()). Fails when gpg dies, within
 * seconds, and returns at once when @cancellable is cancelled; in both cases
 * gpg is asked to stop and the caller must discard what @cipher_fd holds.
 * The caller closes @plain_fd afterwards, which also stops its writer. */
gboolean
signet_encrypt_stream (gpgme_ctx_t            ctx,
                       const char            *recipients,
                       gpgme_encrypt_flags_t  flags,
                       int                    plain_fd,
                       int                    cipher_fd,
                       GCancellable          *cancellable,
                       GError               **error)
{
  g_autoptr(GPtrArray) watches = g_ptr_array_new_with_free_func (g_free);
  Run run = { .watches = watches, .completion = "END_ENCRYPTION", .source_fd = plain_fd, .engine_pidfd = -1,
              .lower_engine = TRUE };
  EncryptArgs args = { recipients, flags };
  gpgme_error_t err;
  RunState state;

  state = run_operation (ctx, &run, cipher_fd, start_encrypt, &args, cancellable, &err);
  if (err != 0)
    {
      set_engine_error (ctx, err, error);
      return FALSE;
    }
  return finish (&run, state, ctx, cancellable, error);
}

static gpgme_error_t
start_decrypt (gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out, gpointer data)
{
  return gpgme_op_decrypt_start (ctx, in, out);
}

/* TRUE when gpg found no secret key for any key the message is sealed to. */
static gboolean
lacks_secret_key (gpgme_ctx_t ctx, gpgme_error_t err)
{
  gpgme_decrypt_result_t result = gpgme_op_decrypt_result (ctx);
  gboolean any = FALSE;

  if (gpgme_err_code (err) == GPG_ERR_NO_SECKEY)
    return TRUE;
  for (gpgme_recipient_t r = result != NULL ? result->recipients : NULL; r != NULL; r = r->next)
    {
      if (gpgme_err_code (r->status) != GPG_ERR_NO_SECKEY)
        return FALSE;
      any = TRUE;
    }
  return any;
}

static void
set_decrypt_error (gpgme_ctx_t ctx, gpgme_error_t err, GError **error)
{
  char reason[256] = "";

  if (lacks_secret_key (ctx, err))
    {
      g_set_error_literal (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY,
                           _("The message is sealed, and no secret key in your keyring can open it."));
      return;
    }
  /* Cancelled by the user (the passphrase prompt, through gpg-agent); a
   * cancel of GPGME's own, as gpg ended on damaged input, is the damage. */
  if ((gpgme_err_code (err) == GPG_ERR_CANCELED || gpgme_err_code (err) == GPG_ERR_FULLY_CANCELED) &&
      gpgme_err_source (err) != GPG_ERR_SOURCE_GPGME)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           _("Opening the sealed message was cancelled."));
      return;
    }
  gpgme_strerror_r (err, reason, sizeof reason);
  /* Translators: %s is GnuPG's own description of the problem */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("GnuPG could not open the sealed message: %s"), reason);
}

/* What gpg says when it stops decrypting on its own, having failed. A gpg
 * that is killed says none of them, though GPGME then reports an error of
 * its own ("No data"), as it would for input that holds no ciphertext. */
static const char * const decrypt_endings[] = {
  "END_DECRYPTION", "DECRYPTION_FAILED", "NODATA", "FAILURE", "CANCELED_BY_USER", NULL
};

/* Decrypts what @cipher_fd delivers until its end into @plain_fd, with the
 * secret keys of @ctx's GnuPG home. Like signet_encrypt_stream(), it fails
 * within seconds when gpg dies and returns at once when @cancellable is
 * cancelled; then what @plain_fd holds must be discarded. Errors: no
 * secret key for the message, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY; gpg
 * gone, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE; ciphertext that is damaged or
 * none, G_IO_ERROR_INVALID_DATA; Cancel, G_IO_ERROR_CANCELLED. The caller
 * closes @cipher_fd afterwards, which also stops its writer. */
gboolean
signet_decrypt_stream (gpgme_ctx_t    ctx,
                       int            cipher_fd,
                       int            plain_fd,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(GPtrArray) watches = g_ptr_array_new_with_free_func (g_free);
  Run run = { .watches = watches, .completion = "DECRYPTION_OKAY", .endings = decrypt_endings,
              .source_fd = cipher_fd, .engine_pidfd = -1 };
  gpgme_error_t err;
  RunState state;

  state = run_operation (ctx, &run, plain_fd, start_decrypt, NULL, cancellable, &err);
  if (err != 0)
    {
      set_decrypt_error (ctx, err, error);
      return FALSE;
    }
  if (!check_run (&run, state, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE, cancellable, error))
    return FALSE;
  if (state == RUN_DONE && run.err == 0 && run.completed)
    return TRUE;
  if (state == RUN_DONE && run.err != 0 && run.ended)
    {
      set_decrypt_error (ctx, run.err, error);
      return FALSE;
    }
  g_debug ("gpg ended without DECRYPTION_OKAY (pid %d)", (int) run.engine_pid);
  g_set_error_literal (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_ENGINE,
                       _("GnuPG stopped unexpectedly while opening the sealed message."));
  return FALSE;
}

/* Runs the operation @start_op starts from @in_fd until its end into
 * @out_fd, in the same loop as signet_encrypt_stream(): it fails within
 * seconds when gpg dies and returns at once when @cancellable is cancelled.
 * TRUE once gpg said @completion without error. On FALSE, either GnuPG's
 * own error is in @gpg_error for the caller to explain, or (@gpg_error 0)
 * @error says what else went wrong. */
gboolean
signet_gpg_run_stream (gpgme_ctx_t         ctx,
                       SignetGpgStartFunc  start_op,
                       gpointer            op_data,
                       const char         *completion,
                       int                 in_fd,
                       int                 out_fd,
                       GCancellable       *cancellable,
                       gpgme_error_t      *gpg_error,
                       GError            **error)
{
  g_autoptr(GPtrArray) watches = g_ptr_array_new_with_free_func (g_free);
  Run run = { .watches = watches, .completion = completion, .source_fd = in_fd, .engine_pidfd = -1 };
  gpgme_error_t err;
  RunState state;

  *gpg_error = 0;
  state = run_operation (ctx, &run, out_fd, start_op, op_data, cancellable, &err);
  if (err == 0 && state == RUN_DONE)
    err = run.err;
  if (err != 0)
    {
      *gpg_error = err;
      return FALSE;
    }
  if (!check_run (&run, state, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED, cancellable, error))
    return FALSE;
  if (state == RUN_DONE && run.completed)
    return TRUE;
  g_debug ("gpg ended without %s (pid %d)", completion, (int) run.engine_pid);
  g_set_error_literal (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED,
                       _("GnuPG stopped unexpectedly while signing the message. Nothing was sent."));
  return FALSE;
}
