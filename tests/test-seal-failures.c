/* What happens when sealing cannot finish: gpg killed half-way (the OOM
 * killer on a big attachment), Cancel pressed while gpg works, and an
 * attachment that is no longer the regular file that was attached. Each case
 * must end promptly with a clear message and leave nothing behind. Every wait
 * has a deadline, so a regression fails instead of hanging the suite. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet-core.h"
#include "signet-encrypt.h"
#include "signet-errors.h"
#include "signet-key-directory-private.h"
#include "signet-sealer.h"
#include "signet-test-util.h"

#define GPG_STOPPED_MESSAGE "GnuPG stopped unexpectedly while sealing the message. Nothing was sent."
#define BIG_ATTACHMENT_SIZE ((goffset) 384 << 20)
/* A seal must give up this long after gpg was killed or Cancel was pressed. */
#define GIVE_UP_SECONDS 10

static char *homedir;

typedef SignetTestServices Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  signet_test_services_init (f, homedir, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_test_services_clear (f);
}

/* Iterates the default main context until @predicate holds; aborts the test
 * after @seconds, naming what it waited for. */
static void
wait_until (gboolean (*predicate) (gpointer), gpointer data, int seconds, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!predicate (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("still waiting after %d s: %s", seconds, what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* A large file that costs no disk: its blocks are holes. */
static char *
make_sparse_file (Fixture *f, const char *name, goffset size)
{
  char *path = g_build_filename (f->dir, name, NULL);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, size), ==, 0);
  close (fd);
  return path;
}

static char *
make_small_file (Fixture *f, const char *name, const char *contents)
{
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static SignetAttachment *
attachment_for (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  return signet_attachment_new (file, NULL, NULL, 0);
}

static SignetMessage *
new_message (gboolean seal, SignetAttachment *attachment)
{
  SignetMessage *message = signet_message_new ();
  g_autoptr(SignetAddress) from = signet_address_new ("Signet Demo", "demo@example.org");
  g_autoptr(SignetAddress) to = signet_address_new ("Alice Demo", "alice@example.org");

  signet_message_set_from (message, from);
  signet_message_add_to (message, to);
  signet_message_set_subject (message, "Scans");
  signet_message_set_body (message, "The scans are attached.\n");
  signet_message_set_seal (message, seal);
  if (attachment != NULL)
    signet_message_add_attachment (message, attachment);
  return message;
}

/* Processes other than this one running @program with, unless @arg is
 * NULL, @arg among their arguments. */
static GArray *
find_processes (const char *program, const char *arg)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree char *cmdline = NULL;
      g_autofree char *base = NULL;
      gboolean has_arg = arg == NULL;
      gsize len = 0;
      pid_t pid = (pid_t) g_ascii_strtoll (name, NULL, 10);

      if (pid <= 0 || pid == getpid () || !g_file_get_contents (path, &cmdline, &len, NULL) || len == 0)
        continue;
      for (const char *a = cmdline; a < cmdline + len; a += strlen (a) + 1)
        has_arg = has_arg || g_strcmp0 (a, arg) == 0;
      base = g_path_get_basename (cmdline);
      if (has_arg && g_str_equal (base, program))
        g_array_append_val (pids, pid);
    }
  return pids;
}

/* The gpg GPGME runs, as a path. */
static const char *
engine_path (void)
{
  gpgme_engine_info_t info = NULL;

  g_assert_cmpint (gpgme_get_engine_info (&info), ==, 0);
  while (info != NULL && info->protocol != GPGME_PROTOCOL_OpenPGP)
    info = info->next;
  g_assert_nonnull (info);
  return info->file_name;
}

/* The gpg processes (not gpg-agent) running on the test's GnuPG home. */
static GArray *
engine_pids (void)
{
  g_autofree char *program = g_path_get_basename (engine_path ());

  return find_processes (program, homedir);
}

static gboolean
process_gone (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  /* pid 1 here may be slow to reap: a zombie counts as stopped. */
  state = strrchr (stat, ')');
  return state == NULL || state[1] == '\0' || state[2] == 'Z' || state[2] == 'X';
}

static gboolean
engine_gone (gpointer data)
{
  g_autoptr(GArray) pids = engine_pids ();

  for (guint i = 0; i < pids->len; i++)
    if (!process_gone (g_array_index (pids, pid_t, i)))
      return FALSE;
  return TRUE;
}

/* How many bytes gpg has read so far: proof that sealing is under way. */
static guint64
engine_bytes_read (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/io", (int) pid);
  g_autofree char *io = NULL;
  const char *rchar;

  if (!g_file_get_contents (path, &io, NULL, NULL) || (rchar = strstr (io, "rchar: ")) == NULL)
    return 0;
  return g_ascii_strtoull (rchar + 7, NULL, 10);
}

static gboolean
engine_busy (gpointer data)
{
  g_autoptr(GArray) pids = engine_pids ();

  for (guint i = 0; i < pids->len; i++)
    if (engine_bytes_read (g_array_index (pids, pid_t, i)) > (4 << 20))
      return TRUE;
  return FALSE;
}

static guint
signal_engine (int signo)
{
  g_autoptr(GArray) pids = engine_pids ();

  for (guint i = 0; i < pids->len; i++)
    g_assert_cmpint (kill (g_array_index (pids, pid_t, i), signo), ==, 0);
  return pids->len;
}

/* Open descriptors of this process whose target contains @what. */
static guint
count_fds (const char *what)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (path, NULL);
      if (target != NULL && strstr (target, what) != NULL)
        n++;
    }
  return n;
}

static const char *
fingerprint_of (Fixture *f, const char *email)
{
  const char *emails[] = { email, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = signet_key_directory_resolve_sync (f->directory, emails, NULL, &error);
  static char fpr[2][41];
  static guint slot;

  g_assert_no_error (error);
  g_assert_cmpint (((SignetKeyResult *) g_ptr_array_index (results, 0))->status, ==, SIGNET_KEY_STATUS_OK);
  slot = (slot + 1) % G_N_ELEMENTS (fpr);
  g_strlcpy (fpr[slot], ((SignetKeyResult *) g_ptr_array_index (results, 0))->fingerprint, sizeof fpr[slot]);
  return fpr[slot];
}

/* signet_sealer_write_sealed() of a large attachment in a thread of its
 * own, so the test can act while gpg works and notice when it does not
 * return. */
typedef struct {
  SignetSealer  *sealer;
  SignetMessage *message;
  const char    *fingerprints[3];
  int            fd;
  GCancellable  *cancellable;
  gboolean       ok;
  GError        *error;
  gint           done;
} SealJob;

static gpointer
seal_thread (gpointer user_data)
{
  SealJob *job = user_data;
  const SignetSealOptions options = { FALSE, TRUE };

  job->ok = signet_sealer_write_sealed (job->sealer, job->message, &options, job->fingerprints,
                                        job->fd, job->cancellable, &job->error);
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

static gboolean
seal_done (gpointer data)
{
  return g_atomic_int_get (&((SealJob *) data)->done);
}

static GThread *
seal_job_start (Fixture *f, SealJob *job, const char *out_path)
{
  g_autofree char *big = make_sparse_file (f, "scan.tiff", BIG_ATTACHMENT_SIZE);
  g_autoptr(SignetAttachment) attachment = attachment_for (big);
  GThread *thread;

  job->sealer = signet_sealer_new (f->directory);
  job->message = new_message (TRUE, attachment);
  job->fingerprints[0] = fingerprint_of (f, "alice@example.org");
  job->fingerprints[1] = fingerprint_of (f, "demo@example.org");
  job->cancellable = g_cancellable_new ();
  job->fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (job->fd, >=, 0);
  thread = g_thread_new ("test-seal", seal_thread, job);
  wait_until (engine_busy, NULL, GIVE_UP_SECONDS, "gpg reading the message");
  return thread;
}

static void
seal_job_finish (SealJob *job, GThread *thread)
{
  g_thread_join (thread);
  close (job->fd);
  g_clear_object (&job->sealer);
  g_clear_object (&job->message);
  g_clear_object (&job->cancellable);
  g_clear_error (&job->error);
}

/* Pipes and pidfds this process has open. */
static guint
count_seal_fds (void)
{
  return count_fds ("pipe:") + count_fds ("pidfd");
}

/* Nothing was written to @out_path, and no pipe, pidfd or temporary file of
 * the seal is still open. */
static void
assert_nothing_left (const char *out_path, guint fds_before)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (out_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 0);
  g_assert_cmpuint (count_seal_fds (), ==, fds_before);
  g_assert_cmpuint (count_fds ("(deleted)"), ==, 0);
}

/* gpg is killed (SIGKILL, like the OOM killer) while it seals a large
 * attachment: the seal fails within seconds with a clear message, writes
 * nothing, and keeps no pipe or temporary file open. */
static void
test_engine_killed (Fixture *f, gconstpointer data)
{
  g_autofree char *out_path = g_build_filename (f->dir, "sealed.eml", NULL);
  SealJob job = { 0 };
  guint fds_before = count_seal_fds ();
  GThread *thread;
  gint64 killed_at;

  thread = seal_job_start (f, &job, out_path);
  g_assert_cmpuint (signal_engine (SIGKILL), >, 0);
  killed_at = g_get_monotonic_time ();
  wait_until (seal_done, &job, GIVE_UP_SECONDS, "the seal to fail after gpg was killed");
  g_test_message ("seal returned %.2f s after gpg was killed",
                  (g_get_monotonic_time () - killed_at) / (double) G_USEC_PER_SEC);

  g_assert_false (job.ok);
  g_assert_error (job.error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED);
  g_assert_cmpstr (job.error->message, ==, GPG_STOPPED_MESSAGE);
  seal_job_finish (&job, thread);
  assert_nothing_left (out_path, fds_before);
}

/* Cancel while gpg seals: the seal returns G_IO_ERROR_CANCELLED at once,
 * writes nothing, and gpg does not keep running. With @data, gpg makes no
 * progress at all (stopped with SIGSTOP, as a stalled gpg would be): nothing
 * from gpg can wake the seal then, Cancel must. */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  gboolean stalled = GPOINTER_TO_INT (data);
  g_autofree char *out_path = g_build_filename (f->dir, "sealed.eml", NULL);
  SealJob job = { 0 };
  guint fds_before = count_seal_fds ();
  GThread *thread;

  thread = seal_job_start (f, &job, out_path);
  if (stalled)
    g_assert_cmpuint (signal_engine (SIGSTOP), >, 0);
  g_cancellable_cancel (job.cancellable);
  wait_until (seal_done, &job, 3, "the seal to return after Cancel");
  if (stalled)
    signal_engine (SIGCONT);

  g_assert_false (job.ok);
  g_assert_error (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  seal_job_finish (&job, thread);
  assert_nothing_left (out_path, fds_before);
  wait_until (engine_gone, NULL, GIVE_UP_SECONDS, "gpg to stop after Cancel");
}

/* Stand-ins for gpg that fail in ways a real gpg is hard to catch in. They
 * answer --version as the real gpg (%s) does, find their input and status
 * descriptors in the arguments GPGME passes, and then misbehave. */
static const char fake_engine_prologue[] =
  "#!/bin/bash\n"
  "for arg; do [ \"$arg\" = --version ] && exec '%s' --version; done\n"
  "status=2; input=0; prev=\n"
  "for arg; do\n"
  "  [ \"$prev\" = --status-fd ] && status=$arg\n"
  "  case $arg in -\\&*) input=${arg#-&};; esac\n"
  "  prev=$arg\n"
  "done\n";

/* Reads all of its input and writes half a message, then is killed: GPGME
 * sees every pipe end normally and reports success. */
static const char truncating_engine[] =
  "cat <&\"$input\" >/dev/null\n"
  "echo '[GNUPG:] BEGIN_ENCRYPTION 2 9' >&\"$status\"\n"
  "printf -- '-----BEGIN PGP MESSAGE-----\\n\\nhF4DAAAAAAAAAAASAQdA\\n'\n"
  "kill -KILL $$\n";

/* Dies a second after it started, leaving behind a process (named by %s)
 * that holds its pipes open: only the process itself tells that gpg is
 * gone. */
static const char orphaning_engine[] =
  "(exec -a %s sleep 60) &\n"
  "sleep 1\n"
  "kill -KILL $$\n";

static char *
write_fake_engine (Fixture *f, const char *body)
{
  char *path = g_build_filename (f->dir, "fake-gpg", NULL);
  g_autofree char *prologue = g_strdup_printf (fake_engine_prologue, engine_path ());
  g_autofree char *script = g_strconcat (prologue, body, NULL);

  g_assert_true (g_file_set_contents (path, script, -1, NULL));
  g_assert_cmpint (g_chmod (path, 0700), ==, 0);
  return path;
}

/* A context on the test's GnuPG home, armored, with @engine as gpg (NULL:
 * the real one). */
static gpgme_ctx_t
engine_context (const char *engine)
{
  gpgme_ctx_t ctx = NULL;

  g_assert_cmpint (gpgme_new (&ctx), ==, 0);
  g_assert_cmpint (gpgme_set_protocol (ctx, GPGME_PROTOCOL_OpenPGP), ==, 0);
  g_assert_cmpint (gpgme_ctx_set_engine_info (ctx, GPGME_PROTOCOL_OpenPGP, engine, homedir), ==, 0);
  gpgme_set_armor (ctx, 1);
  return ctx;
}

typedef struct {
  gpgme_ctx_t  ctx;
  const char  *recipient;
  int          plain_fd;
  int          cipher_fd;
  GError      *error;
  gboolean     ok;
  gint         done;
} EncryptJob;

static gpointer
encrypt_thread (gpointer user_data)
{
  EncryptJob *job = user_data;

  job->ok = signet_encrypt_stream (job->ctx, job->recipient, GPGME_ENCRYPT_NO_COMPRESS,
                                   job->plain_fd, job->cipher_fd, NULL, &job->error);
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

static gboolean
encrypt_done (gpointer data)
{
  return g_atomic_int_get (&((EncryptJob *) data)->done);
}

/* signet_encrypt_stream() of a short text with @script as gpg. */
static void
encrypt_with_fake_engine (Fixture *f, const char *script, GError **error)
{
  g_autofree char *engine = write_fake_engine (f, script);
  g_autofree char *out_path = g_build_filename (f->dir, "cipher.asc", NULL);
  g_auto(gpgme_ctx_t) ctx = engine_context (engine);
  const char plain[] = "Content-Type: text/plain\r\n\r\nThe secret.\r\n";
  EncryptJob job = { ctx, fingerprint_of (f, "alice@example.org"), -1, -1, NULL, FALSE, 0 };
  GThread *thread;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  g_assert_cmpint (write (fds[1], plain, sizeof plain - 1), ==, sizeof plain - 1);
  close (fds[1]);
  job.plain_fd = fds[0];
  job.cipher_fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  thread = g_thread_new ("test-encrypt", encrypt_thread, &job);
  wait_until (encrypt_done, &job, GIVE_UP_SECONDS, "the seal to fail after gpg died");
  g_thread_join (thread);
  close (job.plain_fd);
  close (job.cipher_fd);
  g_assert_false (job.ok);
  g_propagate_error (error, job.error);
}

/* gpg read everything and wrote part of its output before it was killed:
 * not a seal, although GPGME saw nothing wrong. */
static void
test_engine_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  encrypt_with_fake_engine (f, truncating_engine, &error);
  g_assert_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, GPG_STOPPED_MESSAGE);
}

static char *
pipe_holder_name (void)
{
  return g_strdup_printf ("signet-test-pipe-holder-%d", (int) getpid ());
}

static void
stop_pipe_holders (void)
{
  g_autofree char *holder = pipe_holder_name ();
  g_autoptr(GArray) pids = find_processes (holder, NULL);

  for (guint i = 0; i < pids->len; i++)
    kill (g_array_index (pids, pid_t, i), SIGKILL);
}

/* gpg died, but another process keeps its pipes open: no pipe ever says
 * so, the process watch must. */
static void
test_engine_gone_pipes_open (Fixture *f, gconstpointer data)
{
  g_autofree char *holder = pipe_holder_name ();
  g_autofree char *script = g_strdup_printf (orphaning_engine, holder);
  g_autoptr(GError) error = NULL;

  encrypt_with_fake_engine (f, script, &error);
  stop_pipe_holders ();
  g_assert_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, GPG_STOPPED_MESSAGE);
}


typedef struct {
  EncryptJob job;
  gboolean   background;
} PriorityJob;

/* The calling thread runs as background work does
 * (signet_thread_priority_run_in_background()). */
static void
become_background (void)
{
  struct sched_param param = { 0 };

  g_assert_cmpint (sched_setscheduler (gettid (), SCHED_BATCH, &param), ==, 0);
}

static gpointer
priority_encrypt_thread (gpointer user_data)
{
  PriorityJob *p = user_data;

  if (p->background)
    become_background ();
  return encrypt_thread (&p->job);
}

/* Field @n (1-based, as in proc(5)) of /proc/PID/stat. */
static long
stat_field (pid_t pid, guint n)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;

  g_assert_true (g_file_get_contents (path, &stat, NULL, NULL));
  /* "PID (COMM) STATE …": field 3 on, from after the command's name. */
  fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >, n - 3);
  return g_ascii_strtoll (fields[n - 3], NULL, 10);
}

static gboolean
one_engine_running (gpointer data)
{
  g_autoptr(GArray) pids = engine_pids ();

  if (pids->len != 1)
    return FALSE;
  *(pid_t *) data = g_array_index (pids, pid_t, 0);
  return TRUE;
}

static gboolean
engine_lowered (gpointer data)
{
  return stat_field (*(pid_t *) data, 19) == 10;
}

/* gpg sealing for background work (Send) runs at nice 10 under SCHED_BATCH,
 * so the window's frames do not wait for a core behind it; sealing that
 * someone waits for (a draft being saved) keeps the caller's priority. The
 * seal is the same either way. */
static void
test_engine_priority (Fixture *f, gconstpointer data)
{
  gboolean background = GPOINTER_TO_INT (data);
  g_autofree char *out_path = g_build_filename (f->dir, "cipher.asc", NULL);
  g_auto(gpgme_ctx_t) ctx = engine_context (NULL);
  const char plain[] = "Content-Type: text/plain\r\n\r\nThe secret.\r\n";
  PriorityJob p = { { ctx, fingerprint_of (f, "alice@example.org"), -1, -1, NULL, FALSE, 0 }, background };
  g_autofree char *sealed = NULL;
  GThread *thread;
  pid_t gpg = 0;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  p.job.plain_fd = fds[0];
  p.job.cipher_fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  thread = g_thread_new ("test-encrypt", priority_encrypt_thread, &p);
  /* gpg waits for the message, which is not written yet. */
  wait_until (one_engine_running, &gpg, GIVE_UP_SECONDS, "gpg to start");
  if (background)
    wait_until (engine_lowered, &gpg, GIVE_UP_SECONDS, "gpg to run at nice 10");
  else
    {
      /* Long after a background seal would have lowered it. */
      g_usleep (300 * 1000);
      g_assert_cmpint (stat_field (gpg, 19), ==, getpriority (PRIO_PROCESS, 0));
    }
  g_assert_cmpint (stat_field (gpg, 41), ==, background ? SCHED_BATCH : SCHED_OTHER);
  g_assert_cmpint (write (fds[1], plain, sizeof plain - 1), ==, sizeof plain - 1);
  close (fds[1]);
  wait_until (encrypt_done, &p.job, GIVE_UP_SECONDS, "the seal");
  g_thread_join (thread);
  close (p.job.plain_fd);
  close (p.job.cipher_fd);
  g_assert_no_error (p.job.error);
  g_assert_true (p.job.ok);
  g_assert_true (g_file_get_contents (out_path, &sealed, NULL, NULL));
  g_assert_true (g_str_has_prefix (sealed, "-----BEGIN PGP MESSAGE-----"));
  g_assert_null (strstr (sealed, "The secret."));
}

static gpgme_error_t
start_sign (gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out, gpointer data)
{
  return gpgme_op_sign_start (ctx, in, out, GPGME_SIG_MODE_DETACH);
}

typedef struct {
  gpgme_ctx_t ctx;
  int         in_fd;
  int         out_fd;
  gboolean    ok;
  gint        done;
} SignJob;

static gpointer
background_sign_thread (gpointer user_data)
{
  SignJob *job = user_data;
  gpgme_error_t gpg_error = 0;
  g_autoptr(GError) error = NULL;

  become_background ();
  job->ok = signet_gpg_run_stream (job->ctx, start_sign, NULL, "SIG_CREATED", job->in_fd, job->out_fd, NULL,
                                   &gpg_error, &error);
  g_assert_no_error (error);
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

static gboolean
sign_done (gpointer data)
{
  return g_atomic_int_get (&((SignJob *) data)->done);
}

/* A gpg that signs for background work may start gpg-agent, which then
 * serves everything the user waits for: it keeps its priority, and so
 * does the agent it starts. */
static void
test_engine_priority_signing (Fixture *f, gconstpointer data)
{
  const char *kill_agent[] = { "gpgconf", "--homedir", homedir, "--kill", "gpg-agent", NULL };
  g_autofree char *out_path = g_build_filename (f->dir, "signature.asc", NULL);
  g_auto(gpgme_ctx_t) ctx = NULL;
  g_autoptr(GArray) agents = NULL;
  gpgme_key_t key = NULL;
  const char plain[] = "Signed, not lowered.\r\n";
  SignJob job = { NULL, -1, -1, FALSE, 0 };
  GThread *thread;
  pid_t gpg = 0;
  int fds[2];

  g_assert_true (g_spawn_sync (NULL, (char **) kill_agent, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                               NULL));
  ctx = engine_context (NULL);
  g_assert_cmpint (gpgme_get_key (ctx, fingerprint_of (f, "demo@example.org"), &key, 1), ==, 0);
  g_assert_cmpint (gpgme_signers_add (ctx, key), ==, 0);
  gpgme_key_unref (key);
  job.ctx = ctx;
  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  job.in_fd = fds[0];
  job.out_fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  thread = g_thread_new ("test-sign", background_sign_thread, &job);
  wait_until (one_engine_running, &gpg, GIVE_UP_SECONDS, "gpg to start");
  g_usleep (300 * 1000);
  g_assert_cmpint (stat_field (gpg, 19), ==, getpriority (PRIO_PROCESS, 0));
  g_assert_cmpint (write (fds[1], plain, sizeof plain - 1), ==, sizeof plain - 1);
  close (fds[1]);
  wait_until (sign_done, &job, GIVE_UP_SECONDS, "the signature");
  g_thread_join (thread);
  close (job.in_fd);
  close (job.out_fd);
  g_assert_true (job.ok);
  agents = find_processes ("gpg-agent", homedir);
  g_assert_cmpuint (agents->len, ==, 1);
  g_assert_cmpint (stat_field (g_array_index (agents, pid_t, 0), 19), ==, getpriority (PRIO_PROCESS, 0));
}

/* No message file anywhere: Outbox, Sent, Drafts (tmp/ included) and the
 * local transport's mailboxes. */
static void
assert_nothing_written (Fixture *f)
{
  g_autofree char *local = g_build_filename (f->dir, "Local", NULL);
  const char *folders[] = { "Outbox", "Sent", "Drafts" };

  for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autofree char *tmp = g_build_filename (f->mail, folders[i], "tmp", NULL);
      g_assert_cmpuint (signet_test_count_files (tmp), ==, 0);
    }
  g_assert_cmpuint (signet_test_count_files (f->mail), ==, 0);
  g_assert_cmpuint (signet_test_count_files (local), ==, 0);
}

/* Send failed with @message and left nothing behind. */
static void
assert_send_failed (Fixture *f, SignetTestOutcome *o, GQuark domain, int code, const char *message)
{
  g_assert_false (o->ok);
  g_assert_error (o->error, domain, code);
  g_assert_cmpstr (o->error->message, ==, message);
  assert_nothing_written (f);
}

/* Starts Send of a sealed message with a large attachment; returns once gpg
 * is busy sealing it. */
static SignetMessage *
start_big_send (Fixture *f, GCancellable *cancellable, SignetTestOutcome *o)
{
  g_autofree char *big = make_sparse_file (f, "scan.tiff", BIG_ATTACHMENT_SIZE);
  g_autoptr(SignetAttachment) attachment = attachment_for (big);
  SignetMessage *message = new_message (TRUE, attachment);

  signet_send_operation_send_async (f->operation, message, cancellable, signet_test_on_sent, o);
  wait_until (engine_busy, NULL, GIVE_UP_SECONDS, "gpg reading the message");
  return message;
}

/* Send: gpg is killed half-way through the seal. */
static void
test_send_engine_killed (Fixture *f, gconstpointer data)
{
  g_auto(SignetTestOutcome) o = { 0 };
  g_autoptr(SignetMessage) message = start_big_send (f, NULL, &o);

  g_assert_cmpuint (signal_engine (SIGKILL), >, 0);
  wait_until (signet_test_outcome_done, &o, GIVE_UP_SECONDS, "Send to fail after gpg was killed");
  assert_send_failed (f, &o, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_FAILED, GPG_STOPPED_MESSAGE);
}

/* Send: Cancel pressed half-way through the seal. */
static void
test_send_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(SignetTestOutcome) o = { 0 };
  g_autoptr(SignetMessage) message = start_big_send (f, cancellable, &o);

  g_cancellable_cancel (cancellable);
  wait_until (signet_test_outcome_done, &o, 3, "Send to return after Cancel");
  g_assert_false (o.ok);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_nothing_written (f);
  wait_until (engine_gone, NULL, GIVE_UP_SECONDS, "gpg to stop after Cancel");
}

typedef struct {
  const char        *outbox_tmp;
  goffset            largest;   /* the largest file seen being written */
  SignetTestOutcome *outcome;
} Writing;

static goffset
largest_file (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  goffset largest = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (g_lstat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        largest = MAX (largest, largest_file (path));
      else if (S_ISREG (st.st_mode))
        largest = MAX (largest, st.st_size);
    }
  return largest;
}

static gboolean
writing_started (gpointer data)
{
  Writing *w = data;

  w->largest = MAX (w->largest, largest_file (w->outbox_tmp));
  return w->largest > (1 << 20);
}

static gboolean
writing_done (gpointer data)
{
  Writing *w = data;

  writing_started (w);
  return signet_test_outcome_done (w->outcome);
}

/* Send, not sealed: Cancel pressed while the message with a large
 * attachment is being written into the Outbox. The writing stops at once,
 * not once the whole message is out, and nothing is left. */
static void
test_send_clear_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(SignetTestOutcome) o = { 0 };
  g_autofree char *big = make_sparse_file (f, "scan.tiff", BIG_ATTACHMENT_SIZE);
  g_autoptr(SignetAttachment) attachment = attachment_for (big);
  g_autoptr(SignetMessage) message = new_message (FALSE, attachment);
  g_autofree char *outbox_tmp = g_build_filename (f->mail, "Outbox", "tmp", NULL);
  Writing writing = { outbox_tmp, 0, &o };

  signet_send_operation_send_async (f->operation, message, cancellable, signet_test_on_sent, &o);
  wait_until (writing_started, &writing, GIVE_UP_SECONDS, "the message being written into the Outbox");
  g_cancellable_cancel (cancellable);
  wait_until (writing_done, &writing, 3, "Send to return after Cancel");
  g_assert_false (o.ok);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The whole message would be a third larger than the attachment. */
  g_assert_cmpint (writing.largest, <, BIG_ATTACHMENT_SIZE / 8);
  assert_nothing_written (f);
}

/* Attachments that are no longer the regular file that was attached. Each
 * case makes the attachment and returns the name the message must give. */
typedef char *(*MakeAttachment) (Fixture *f, SignetAttachment **attachment);

static char *
make_fifo (Fixture *f, SignetAttachment **attachment)
{
  g_autofree char *path = make_small_file (f, "notes.txt", "notes\n");

  *attachment = attachment_for (path);
  /* Swapped after it was attached; opening it for reading would block. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  return g_strdup ("notes.txt");
}

static char *
make_symlink (Fixture *f, SignetAttachment **attachment)
{
  g_autofree char *path = make_small_file (f, "report.pdf", "%PDF-1.4 report\n");
  g_autofree char *other = make_small_file (f, "other.pdf", "%PDF-1.4 something else\n");

  *attachment = attachment_for (path);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (symlink (other, path), ==, 0);
  return g_strdup ("report.pdf");
}

static char *
make_device (Fixture *f, SignetAttachment **attachment)
{
  *attachment = attachment_for ("/dev/zero");
  return g_strdup ("zero");
}

static char *
make_directory (Fixture *f, SignetAttachment **attachment)
{
  g_autofree char *path = g_build_filename (f->dir, "Photos", NULL);

  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  *attachment = attachment_for (path);
  return g_strdup ("Photos");
}

typedef struct {
  const char     *name;
  MakeAttachment  make;
  gboolean        seal;
} NotRegularCase;

static void
test_not_regular (Fixture *f, gconstpointer data)
{
  const NotRegularCase *c = data;
  g_autoptr(SignetAttachment) attachment = NULL;
  g_autofree char *name = c->make (f, &attachment);
  g_autoptr(SignetMessage) message = new_message (c->seal, attachment);
  g_autofree char *expected = g_strdup_printf ("The attachment “%s” is no longer a regular file and was not sent.", name);
  g_auto(SignetTestOutcome) o = { 0 };

  signet_send_operation_send_async (f->operation, message, NULL, signet_test_on_sent, &o);
  wait_until (signet_test_outcome_done, &o, GIVE_UP_SECONDS, "Send to refuse the attachment");
  assert_send_failed (f, &o, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT, expected);
}

/* The safe open itself: a regular file opens in blocking mode; a missing one
 * names the attachment and the reason. */
static void
test_open_regular (Fixture *f, gconstpointer data)
{
  g_autofree char *path = make_small_file (f, "letter.txt", "Dear Alice\n");
  g_autofree char *missing = g_build_filename (f->dir, "gone.txt", NULL);
  g_autoptr(SignetAttachment) attachment = attachment_for (path);
  g_autoptr(SignetAttachment) gone = attachment_for (missing);
  g_autoptr(GError) error = NULL;
  char buf[32] = { 0 };
  int fd;

  fd = signet_attachment_open (attachment, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fcntl (fd, F_GETFL) & O_NONBLOCK, ==, 0);
  g_assert_cmpint (fcntl (fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
  g_assert_cmpint (read (fd, buf, sizeof buf - 1), ==, 11);
  g_assert_cmpstr (buf, ==, "Dear Alice\n");
  close (fd);

  g_assert_cmpint (signet_attachment_open (gone, &error), ==, -1);
  g_assert_error (error, SIGNET_SEALER_ERROR, SIGNET_SEALER_ERROR_ATTACHMENT);
  g_assert_cmpstr (error->message, ==, "The attachment “gone.txt” cannot be read: No such file or directory");
}

static const NotRegularCase not_regular_cases[] = {
  { "fifo", make_fifo, TRUE },           { "fifo", make_fifo, FALSE },
  { "symlink", make_symlink, TRUE },     { "symlink", make_symlink, FALSE },
  { "device", make_device, TRUE },       { "device", make_device, FALSE },
  { "directory", make_directory, TRUE }, { "directory", make_directory, FALSE },
};

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  signet_core_init ();
  homedir = signet_test_make_gnupghome ();
#define ADD(path, fn) g_test_add ("/seal-failures/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("engine-killed", test_engine_killed);
  g_test_add ("/seal-failures/cancel-running", Fixture, GINT_TO_POINTER (FALSE), fixture_setup, test_cancel, fixture_teardown);
  g_test_add ("/seal-failures/cancel-stalled", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_cancel, fixture_teardown);
  ADD ("engine-truncated", test_engine_truncated);
  ADD ("engine-gone-pipes-open", test_engine_gone_pipes_open);
  ADD ("send-engine-killed", test_send_engine_killed);
  ADD ("send-cancelled", test_send_cancelled);
  ADD ("send-clear-cancelled", test_send_clear_cancelled);
  ADD ("open-regular", test_open_regular);
  g_test_add ("/seal-failures/engine-priority/background", Fixture, GINT_TO_POINTER (TRUE), fixture_setup,
              test_engine_priority, fixture_teardown);
  g_test_add ("/seal-failures/engine-priority/foreground", Fixture, GINT_TO_POINTER (FALSE), fixture_setup,
              test_engine_priority, fixture_teardown);
  ADD ("engine-priority/signing", test_engine_priority_signing);
#undef ADD
  for (guint i = 0; i < G_N_ELEMENTS (not_regular_cases); i++)
    {
      const NotRegularCase *c = &not_regular_cases[i];
      g_autofree char *path = g_strdup_printf ("/seal-failures/not-regular/%s/%s", c->name,
                                               c->seal ? "sealed" : "clear");
      g_test_add (path, Fixture, c, fixture_setup, test_not_regular, fixture_teardown);
    }
  ret = g_test_run ();
  signet_test_remove_gnupghome (homedir);
  return ret;
}
