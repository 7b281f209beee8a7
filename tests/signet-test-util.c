#include "signet-test-util.h"

#include "signet-gmime.h"
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "signet-core.h"
#include "signet-demo.h"

/* A network monitor whose availability the test sets. */
struct _SignetTestMonitor
{
  GObject  parent_instance;
  gboolean available;
};

static void signet_test_monitor_iface_init (GNetworkMonitorInterface *iface);
static void signet_test_monitor_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SignetTestMonitor, signet_test_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, signet_test_monitor_initable_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR, signet_test_monitor_iface_init))

static gboolean
signet_test_monitor_initable (GInitable *initable, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static void
signet_test_monitor_initable_init (GInitableIface *iface)
{
  iface->init = signet_test_monitor_initable;
}

enum { PROP_0, PROP_AVAILABLE, PROP_METERED, PROP_CONNECTIVITY };

static void
signet_test_monitor_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetTestMonitor *self = SIGNET_TEST_MONITOR (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case PROP_METERED:
      g_value_set_boolean (value, FALSE);
      break;
    case PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_test_monitor_class_init (SignetTestMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = signet_test_monitor_get_property;
  g_object_class_override_property (object_class, PROP_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, PROP_METERED, "network-metered");
  g_object_class_override_property (object_class, PROP_CONNECTIVITY, "connectivity");
}

static void
signet_test_monitor_iface_init (GNetworkMonitorInterface *iface)
{
}

static void
signet_test_monitor_init (SignetTestMonitor *self)
{
}

SignetTestMonitor *
signet_test_monitor_new (gboolean available)
{
  SignetTestMonitor *self = g_object_new (SIGNET_TYPE_TEST_MONITOR, NULL);

  self->available = available;
  return self;
}

void
signet_test_monitor_set_available (SignetTestMonitor *self,
                                   gboolean           available)
{
  self->available = available;
  g_object_notify (G_OBJECT (self), "network-available");
  g_signal_emit_by_name (self, "network-changed", available);
}

static void
run_or_fail (const char *const *argv, const char *homedir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err_out = NULL;
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "GNUPGHOME", homedir, TRUE);
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err_out, &status, &error))
    g_error ("%s: %s", argv[0], error->message);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err_out);
}

void
signet_test_services_init (SignetTestServices *s,
                           const char         *homedir,
                           gboolean            online)
{
  g_autofree char *dir = signet_test_make_tmpdir ();

  signet_test_services_init_at (s, homedir, dir, online);
  s->keep_dir = FALSE;
}

/* The same over the store in @dir, which outlives the services (a restart
 * finds what an earlier run left there). */
void
signet_test_services_init_at (SignetTestServices *s,
                              const char         *homedir,
                              const char         *dir,
                              gboolean            online)
{
  g_autofree char *local = NULL;

  s->dir = g_strdup (dir);
  s->keep_dir = TRUE;
  s->mail = g_build_filename (s->dir, "Mail", NULL);
  local = g_build_filename (s->dir, "Local", NULL);
  s->monitor = signet_test_monitor_new (online);
  s->network = signet_network_new (G_NETWORK_MONITOR (s->monitor));
  s->directory = signet_key_directory_new (homedir, s->network);
  s->store = signet_store_new (s->mail);
  s->transport = signet_local_transport_new (local);
  s->outbox = signet_outbox_new (s->network, s->store, SIGNET_TRANSPORT (s->transport));
  s->operation = signet_send_operation_new (s->directory, s->store, s->outbox);
}

static gboolean
outbox_not_busy (gpointer outbox)
{
  return !signet_outbox_get_busy (outbox);
}

void
signet_test_services_clear (SignetTestServices *s)
{
  /* A delivery still running would find its store gone. */
  if (s->outbox != NULL)
    signet_test_wait_until (outbox_not_busy, s->outbox);
  g_clear_object (&s->operation);
  g_clear_object (&s->outbox);
  g_clear_object (&s->transport);
  g_clear_object (&s->store);
  g_clear_object (&s->directory);
  g_clear_object (&s->network);
  g_clear_object (&s->monitor);
  if (!s->keep_dir)
    signet_test_remove_tree (s->dir);
  g_clear_pointer (&s->mail, g_free);
  g_clear_pointer (&s->dir, g_free);
}

char *
signet_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("sg.XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* The demo directory plus keys the demo lacks: a second valid key for
 * dup@example.org (ambiguous), a key for stranger@example.org that no one
 * certified (untrusted), a disabled key (disabled@) and a key that can only
 * sign (signer@). */
char *
signet_test_make_gnupghome (void)
{
  g_autofree char *home = signet_test_make_tmpdir ();
  g_autofree char *other = signet_test_make_tmpdir ();
  g_autofree char *agent_conf = g_build_filename (home, "gpg-agent.conf", NULL);
  g_autofree char *export_path = g_build_filename (other, "stranger.asc", NULL);
  g_autoptr(GError) error = NULL;
  const char *gen[] = { "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                        "--quick-gen-key", NULL, "future-default", "default", "never", NULL };
  const char *export[] = { "gpg", "--batch", "--armor", "--output", export_path, "--export",
                           "stranger@example.org", NULL };
  const char *import[] = { "gpg", "--batch", "--import", export_path, NULL };
  const char *kill[] = { "gpgconf", "--kill", "all", NULL };
  /* --quick-set-... has no "disable"; the key editor's command does it. */
  const char *disable[] = { "sh", "-c", "printf 'disable\\nsave\\n' | gpg --batch --command-fd 0 --edit-key disabled@example.org", NULL };
  const char *sign_only[] = { "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                              "--quick-gen-key", "Signer <signer@example.org>", "ed25519", "sign", "never", NULL };

  g_assert_true (g_file_set_contents (agent_conf, "allow-loopback-pinentry\n", -1, NULL));
  g_assert_true (signet_demo_ensure_directory (home, NULL, &error));
  g_assert_no_error (error);

  gen[7] = "Dup One <dup@example.org>";
  run_or_fail (gen, home);
  gen[7] = "Dup Two <dup@example.org>";
  run_or_fail (gen, home);
  gen[7] = "Disabled <disabled@example.org>";
  run_or_fail (gen, home);
  run_or_fail (disable, home);
  run_or_fail (sign_only, home);
  gen[7] = "Stranger <stranger@example.org>";
  run_or_fail (gen, other);
  run_or_fail (export, other);
  run_or_fail (kill, other);
  run_or_fail (import, home);
  signet_test_remove_tree (other);
  return g_steal_pointer (&home);
}

/* A pinentry that answers every passphrase request with Cancel. */
static const char cancelling_pinentry[] =
  "#!/bin/sh\n"
  "echo 'OK Pleased to meet you'\n"
  "while read -r cmd rest; do\n"
  "  case \"$cmd\" in\n"
  "    GETPIN) echo 'ERR 83886179 Operation cancelled <Pinentry>' ;;\n"
  "    BYE) echo 'OK closing connection'; exit 0 ;;\n"
  "    *) echo OK ;;\n"
  "  esac\n"
  "done\n";

static void
run_gpg_in (const char *home, const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (char *) "gpg");
  g_ptr_array_add (argv, (char *) "--homedir");
  g_ptr_array_add (argv, (char *) home);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* A GnuPG home whose key for pass@example.org has a passphrase, and whose
 * agent asks for it through a pinentry that always cancels. */
char *
signet_test_make_cancelling_gnupghome (void)
{
  char *home = signet_test_make_tmpdir ();
  g_autofree char *pinentry = g_build_filename (home, "pinentry-cancel", NULL);
  g_autofree char *agent_conf = g_build_filename (home, "gpg-agent.conf", NULL);
  g_autofree char *conf_text = g_strdup_printf ("allow-loopback-pinentry\npinentry-program %s\n", pinentry);
  const char *with_passphrase[] = { "--batch", "--pinentry-mode", "loopback", "--passphrase", "correct horse",
                                    "--quick-gen-key", "Pass <pass@example.org>", "future-default", "default",
                                    "never", NULL };
  const char *alice[] = { "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                          "--quick-gen-key", "Alice <alice@example.org>", "future-default", "default",
                          "never", NULL };
  const char *kill[] = { "gpgconf", "--homedir", home, "--kill", "all", NULL };

  g_assert_true (g_file_set_contents (pinentry, cancelling_pinentry, -1, NULL));
  g_assert_cmpint (g_chmod (pinentry, 0700), ==, 0);
  g_assert_true (g_file_set_contents (agent_conf, conf_text, -1, NULL));
  run_gpg_in (home, with_passphrase);
  run_gpg_in (home, alice);
  /* A fresh agent: no passphrase cached from making the key. */
  g_assert_true (g_spawn_sync (NULL, (char **) kill, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL));
  return home;
}

/* A new valid key pair (ultimately trusted, as keys made here are) for
 * @user_id in @homedir. */
void
signet_test_add_key (const char *homedir,
                     const char *user_id)
{
  const char *gen[] = { "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                        "--quick-gen-key", user_id, "future-default", "default", "never", NULL };

  run_or_fail (gen, homedir);
}

void
signet_test_remove_gnupghome (char *homedir)
{
  const char *kill[] = { "gpgconf", "--kill", "all", NULL };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* A gpg that a window's background check started may still run: gone
   * first, or it would make the home again (gpg creates a missing home). */
  while (signet_gnupg_runs_on (homedir, FALSE) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  run_or_fail (kill, homedir);
  signet_test_remove_tree (homedir);
  g_free (homedir);
}

void
signet_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          signet_test_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

/* Runs gpg in @homedir on @input_path; returns its standard output. */
char *
signet_test_gpg_output (const char         *homedir,
                        const char * const *args,
                        const char         *input_path,
                        gboolean            expect_success)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err_out = NULL;
  char *out = NULL;
  int status = 0;

  g_ptr_array_add (argv, (char *) "gpg");
  g_ptr_array_add (argv, (char *) "--homedir");
  g_ptr_array_add (argv, (char *) homedir);
  g_ptr_array_add (argv, (char *) "--batch");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, (char *) input_path);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, &err_out, &status, &error));
  g_assert_no_error (error);
  if (expect_success && !g_spawn_check_wait_status (status, NULL))
    g_error ("gpg failed: %s", err_out);
  return out;
}

/* Writes the application/octet-stream part of a multipart/encrypted message
 * to a file next to it and returns that file's path. */
char *
signet_test_extract_ciphertext (const char *message_path)
{
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GMimeStream) out = NULL;
  g_autofree char *version_type = NULL;
  GMimeObject *part;
  GMimePart *cipher;
  char *out_path = g_strconcat (message_path, ".asc", NULL);

  signet_core_init ();
  stream = g_mime_stream_file_open (message_path, "r", NULL);
  g_assert_nonnull (stream);
  parser = g_mime_parser_new_with_stream (stream);
  message = g_mime_parser_construct_message (parser, NULL);
  g_assert_nonnull (message);
  part = g_mime_message_get_mime_part (message);
  g_assert_true (GMIME_IS_MULTIPART_ENCRYPTED (part));
  g_assert_cmpstr (g_mime_object_get_content_type_parameter (part, "protocol"), ==, "application/pgp-encrypted");
  g_assert_cmpint (g_mime_multipart_get_count (GMIME_MULTIPART (part)), ==, 2);
  version_type = g_mime_content_type_get_mime_type (g_mime_object_get_content_type (
                     g_mime_multipart_get_part (GMIME_MULTIPART (part), 0)));
  g_assert_cmpstr (version_type, ==, "application/pgp-encrypted");
  cipher = GMIME_PART (g_mime_multipart_get_part (GMIME_MULTIPART (part), 1));
  out = g_mime_stream_file_open (out_path, "w", NULL);
  g_assert_nonnull (out);
  g_mime_data_wrapper_write_to_stream (g_mime_part_get_content (cipher), out);
  g_mime_stream_flush (out);
  return out_path;
}

/* What gpg decrypts from the sealed message at @message_path. */
char *
signet_test_decrypt_message (const char *homedir,
                             const char *message_path)
{
  g_autofree char *cipher = signet_test_extract_ciphertext (message_path);
  const char *args[] = { "--decrypt", NULL };
  char *plain = signet_test_gpg_output (homedir, args, cipher, TRUE);

  g_unlink (cipher);
  return plain;
}

static int
compare_strings (const void *a, const void *b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* The long key IDs a sealed message was encrypted to, sorted. */
GStrv
signet_test_packet_keyids (const char *homedir,
                           const char *message_path)
{
  g_autofree char *cipher = signet_test_extract_ciphertext (message_path);
  const char *args[] = { "--list-packets", "--pinentry-mode", "cancel", NULL };
  g_autofree char *packets = signet_test_gpg_output (homedir, args, cipher, FALSE);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = g_strsplit (packets, "\n", -1);
  GStrv ids;

  g_unlink (cipher);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *keyid = strstr (lines[i], "keyid ");
      if (g_str_has_prefix (lines[i], ":pubkey enc packet:") && keyid != NULL)
        g_strv_builder_add (builder, keyid + 6);
    }
  ids = g_strv_builder_end (builder);
  qsort (ids, g_strv_length (ids), sizeof (char *), compare_strings);
  return ids;
}

/* The encryption subkey IDs of @emails' keys, sorted like packet_keyids. */
GStrv
signet_test_key_ids (const char         *homedir,
                     const char * const *emails)
{
  guint n = g_strv_length ((char **) emails);
  GStrv ids = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    ids[i] = signet_test_key_id (homedir, emails[i]);
  qsort (ids, n, sizeof (char *), compare_strings);
  return ids;
}

/* The key ID of the encryption subkey of @email's key. */
char *
signet_test_key_id (const char *homedir,
                    const char *email)
{
  const char *args[] = { "--with-colons", "--list-keys", NULL };
  g_autofree char *listing = signet_test_gpg_output (homedir, args, email, TRUE);
  g_auto(GStrv) lines = g_strsplit (listing, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ":", -1);
      if (g_strcmp0 (fields[0], "sub") == 0 && g_strv_length (fields) > 11 && strchr (fields[11], 'e'))
        return g_strdup (fields[4]);
    }
  g_error ("no encryption subkey for %s", email);
}

/* Number of entries in @dir and, for a Maildir folder, its new/, cur/ and tmp/. */
guint
signet_test_count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        n += signet_test_count_files (child);
      else
        n++;
    }
  return n;
}

char *
signet_test_read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

void
signet_test_outcome_clear (SignetTestOutcome *o)
{
  g_clear_pointer (&o->report, signet_send_report_free);
  g_clear_pointer (&o->key_results, g_ptr_array_unref);
  g_clear_error (&o->error);
}

/* A GAsyncReadyCallback for signet_send_operation_send_async(). */
void
signet_test_on_sent (GObject *object, GAsyncResult *result, gpointer outcome)
{
  SignetTestOutcome *o = outcome;

  o->ok = signet_send_operation_send_finish (SIGNET_SEND_OPERATION (object), result,
                                             &o->report, &o->key_results, &o->error);
  o->done = TRUE;
}

/* A GAsyncReadyCallback for signet_send_operation_save_draft_async(). */
void
signet_test_on_draft (GObject *object, GAsyncResult *result, gpointer outcome)
{
  SignetTestOutcome *o = outcome;

  o->ok = signet_send_operation_save_draft_finish (SIGNET_SEND_OPERATION (object), result, &o->report, &o->error);
  o->done = TRUE;
}

gboolean
signet_test_outcome_done (gpointer outcome)
{
  return ((SignetTestOutcome *) outcome)->done;
}

/* From demo@, with a confidential subject and body; each field a typed list. */
SignetMessage *
signet_test_new_message (gboolean seal, const char *to, const char *cc, const char *bcc)
{
  SignetMessage *message = signet_message_new ();
  g_autoptr(SignetAddress) from = signet_address_new ("Signet Demo", "demo@example.org");
  struct { const char *text; void (*add) (SignetMessage *, const SignetAddress *); } fields[] = {
    { to, signet_message_add_to }, { cc, signet_message_add_cc }, { bcc, signet_message_add_bcc },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autoptr(GPtrArray) list = NULL;
      g_autoptr(GError) error = NULL;

      if (fields[i].text == NULL)
        continue;
      list = signet_address_parse_list (fields[i].text, &error);
      g_assert_no_error (error);
      for (guint j = 0; j < list->len; j++)
        fields[i].add (message, g_ptr_array_index (list, j));
    }
  signet_message_set_from (message, from);
  signet_message_set_subject (message, "Board minutes");
  signet_message_set_body (message, "Confidential: the merger is on.\n");
  signet_message_set_seal (message, seal);
  return message;
}

/* What of the file at @path anyone can read: everything but the armored
 * ciphertext (in which any short word may appear by chance). */
char *
signet_test_read_clear_text (const char *path)
{
  g_autofree char *raw = signet_test_read_file (path);
  const char *begin = strstr (raw, "-----BEGIN PGP MESSAGE-----");
  const char *end = begin ? strstr (begin, "-----END PGP MESSAGE-----") : NULL;

  g_autofree char *before = NULL;

  if (begin == NULL || end == NULL)
    return g_steal_pointer (&raw);
  before = g_strndup (raw, begin - raw);
  return g_strconcat (before, end + strlen ("-----END PGP MESSAGE-----"), NULL);
}

/* Iterates the default main context until @predicate holds; fails after 20 s. */
void
signet_test_wait_until (gboolean (*predicate) (gpointer),
                        gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!predicate (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for a condition");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Iterates the default main context for @ms milliseconds: what is
 * expected not to happen has had its chance to. */
void
signet_test_run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

#include "signet-key-directory-private.h"

/* The fingerprint of the one usable key @directory has for @email. */
char *
signet_test_fingerprint (SignetKeyDirectory *directory,
                         const char         *email)
{
  const char *one[] = { email, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = signet_key_directory_resolve_sync (directory, one, NULL, &error);
  const SignetKeyResult *result = found != NULL ? g_ptr_array_index (found, 0) : NULL;

  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_cmpint (result->status, ==, SIGNET_KEY_STATUS_OK);
  return g_strdup (result->fingerprint);
}

/* ---- real mail servers ----------------------------------------------------- */

#include <fcntl.h>
#include <glib-unix.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signet-errors.h"

static struct {
  char       *workdir;
  GHashTable *env;    /* KEY=VALUE from mailservers.py; NULL: not running */
  char       *skip;   /* why not */
  int         guard_fd;
  GPid        guard_pid;
  const char *script;  /* in tests/servers */
} mail_servers = { NULL, NULL, NULL, -1, 0, "mailservers.py" };

char *
signet_test_servers_script (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "servers", name, NULL);
}

void
signet_test_servers_run (const char *script_name, const char *command, const char *name)
{
  g_autofree char *script = signet_test_servers_script (script_name);
  const char *argv[] = { "/usr/bin/python3", script, command, signet_test_servers_env ("DIR"), name, NULL };
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s %s: %s", script_name, command, err);
}

SignetKeyStatus
signet_test_key_status (SignetKeyDirectory *directory, const char *email)
{
  const char *emails[] = { email, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = signet_key_directory_resolve_sync (directory, emails, NULL, &error);

  g_assert_no_error (error);
  return ((SignetKeyResult *) g_ptr_array_index (results, 0))->status;
}

guint
signet_test_count_messages (const char *mail, const char *folder)
{
  g_autofree char *new_dir = g_build_filename (mail, folder, "new", NULL);
  g_autofree char *cur_dir = g_build_filename (mail, folder, "cur", NULL);

  return signet_test_count_files (new_dir) + signet_test_count_files (cur_dir);
}

static gboolean
has_files (gpointer data)
{
  return signet_test_count_files (data) > 0;
}

char *
signet_test_received_plain (const char *dir, const char *email)
{
  g_autofree char *inbox = g_build_filename (dir, "Local", email, "Inbox", "new", NULL);
  g_autoptr(GDir) listing = NULL;
  g_autofree char *path = NULL;

  signet_test_wait_until (has_files, inbox);
  listing = g_dir_open (inbox, 0, NULL);
  path = g_build_filename (inbox, g_dir_read_name (listing), NULL);
  return signet_test_decrypt_message (signet_test_servers_env ("KEYS_HOME"), path);
}

static GHashTable *
parse_servers_env (const char *text)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *eq = strchr (lines[i], '=');
      g_autoptr(GError) error = NULL;
      char *value;

      if (eq == NULL)
        continue;
      value = g_shell_unquote (eq + 1, &error);
      g_assert_no_error (error);
      g_hash_table_insert (table, g_strndup (lines[i], eq - lines[i]), value);
    }
  return table;
}

/* A child in its own session waits for the pipe to close, which happens
 * when this process ends, however it ends (a failed assertion aborts,
 * meson's timeout kills): then it stops the servers and removes @workdir. */
static void
start_servers_guard (const char *servers_dir)
{
  g_autofree char *script = signet_test_servers_script (mail_servers.script);
  const char *argv[] = { "/bin/sh", "-c", "/usr/bin/python3 \"$0\" stop \"$1\" >/dev/null 2>&1; rm -rf \"$2\"",
                         script, servers_dir, mail_servers.workdir, NULL };
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  mail_servers.guard_pid = fork ();
  g_assert_cmpint (mail_servers.guard_pid, >=, 0);
  if (mail_servers.guard_pid == 0)
    {
      char byte;
      close (fds[1]);
      setsid ();
      while (read (fds[0], &byte, 1) != 0)
        ;
      execv (argv[0], (char **) argv);
      _exit (127);
    }
  close (fds[0]);
  mail_servers.guard_fd = fds[1];
}

const char *
signet_test_servers_start (const char *name)
{
  return signet_test_servers_start_script ("mailservers.py", name);
}

/* As signet_test_servers_start(), with the servers of tests/servers/@script
 * (which takes the same "start DIR" and "stop DIR"). */
const char *
signet_test_servers_start_script (const char *script_name, const char *name)
{
  g_autofree char *script = signet_test_servers_script (script_name);
  g_autofree char *dir = NULL;
  const char *argv[] = { "/usr/bin/python3", script, "start", NULL, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;
  gint64 start = g_get_monotonic_time ();

  mail_servers.script = script_name;
  /* Short, and traversable by the mail daemons' users. */
  mail_servers.workdir = g_strdup_printf ("/tmp/signet-%s-XXXXXX", name);
  g_assert_nonnull (g_mkdtemp_full (mail_servers.workdir, 0755));
  dir = g_build_filename (mail_servers.workdir, "servers", NULL);
  argv[3] = dir;
  start_servers_guard (dir);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77)
    {
      mail_servers.skip = g_strstrip (g_steal_pointer (&err));
      return mail_servers.workdir;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("the servers of %s did not start: %s", script_name, err);
  mail_servers.env = parse_servers_env (out);
  g_test_message ("Postfix and Dovecot ready in %.2f s", (g_get_monotonic_time () - start) / 1e6);
  return mail_servers.workdir;
}

void
signet_test_servers_stop (void)
{
  int status;

  g_clear_pointer (&mail_servers.env, g_hash_table_unref);
  close (mail_servers.guard_fd);
  mail_servers.guard_fd = -1;
  g_assert_cmpint (waitpid (mail_servers.guard_pid, &status, 0), ==, mail_servers.guard_pid);
  g_clear_pointer (&mail_servers.skip, g_free);
  g_clear_pointer (&mail_servers.workdir, g_free);
}

gboolean
signet_test_servers_need (void)
{
  if (mail_servers.env != NULL)
    return TRUE;
  g_test_skip (mail_servers.skip);
  return FALSE;
}

/* Whether the servers run (outside a test: no skip is recorded). */
gboolean
signet_test_servers_available (void)
{
  return mail_servers.env != NULL;
}

const char *
signet_test_servers_env (const char *key)
{
  const char *value = g_hash_table_lookup (mail_servers.env, key);

  g_assert_nonnull (value);
  return value;
}

char *
signet_test_servers_user_env (const char *user,
                              const char *suffix)
{
  g_autofree char *upper = g_ascii_strup (user, -1);
  g_autofree char *key = g_strconcat (upper, "_", suffix, NULL);

  return g_strdup (signet_test_servers_env (key));
}

GPtrArray *
signet_test_maildir_find (const char *maildir,
                          const char *marker)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  const char *subs[] = { "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *dir = g_build_filename (maildir, subs[i], NULL);
      g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_autofree char *text = signet_test_read_file (path);
          if (strstr (text, marker) != NULL)
            g_ptr_array_add (found, g_steal_pointer (&path));
        }
    }
  return found;
}

static GSocket *
loopback_listener (guint *port)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any_port, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

GSocket *
signet_test_silent_listener (guint *port)
{
  GSocket *socket = loopback_listener (port);

  g_assert_true (g_socket_listen (socket, NULL));
  return socket;
}

/* Bound and closed again: the kernel refuses connections to it. */
guint
signet_test_closed_port (void)
{
  guint port;
  g_autoptr(GSocket) socket = loopback_listener (&port);

  g_assert_true (g_socket_close (socket, NULL));
  return port;
}

typedef struct {
  GCancellable *cancellable;
  guint         delay_ms;
} Canceller;

static gpointer
cancel_later (gpointer data)
{
  Canceller *canceller = data;

  g_usleep (canceller->delay_ms * 1000);
  g_cancellable_cancel (canceller->cancellable);
  g_object_unref (canceller->cancellable);
  g_free (canceller);
  return NULL;
}

GThread *
signet_test_cancel_later (GCancellable *cancellable,
                          guint         delay_ms)
{
  Canceller *canceller = g_new0 (Canceller, 1);

  canceller->cancellable = g_object_ref (cancellable);
  canceller->delay_ms = delay_ms;
  return g_thread_new ("cancel", cancel_later, canceller);
}

/* A well-formed pin of a key no server has. */
char *
signet_test_other_pin (void)
{
  guint8 zeros[32] = { 0 };
  g_autofree char *zeros64 = g_base64_encode (zeros, sizeof zeros);

  return g_strconcat ("sha256//", zeros64, NULL);
}

/* @error, an untrusted-certificate error, names the fixture's host and its
 * certificate's fingerprint; @fingerprint and @pin, as the code under test
 * gave them, are the fixture certificate's. */
void
signet_test_assert_untrusted (const GError *error,
                              const char   *fingerprint,
                              const char   *pin)
{
  const char *expected = signet_test_servers_env ("SERVER_FINGERPRINT");

  g_assert_nonnull (strstr (error->message, signet_test_servers_env ("HOST")));
  g_assert_nonnull (strstr (error->message, expected));
  g_assert_cmpstr (fingerprint, ==, expected);
  g_assert_cmpstr (pin, ==, signet_test_servers_env ("SERVER_PIN"));
}

void
signet_test_store_result (GObject      *source,
                          GAsyncResult *result,
                          gpointer      result_out)
{
  *(GAsyncResult **) result_out = g_object_ref (result);
}

gboolean
signet_test_has_result (gpointer result_out)
{
  return *(GAsyncResult **) result_out != NULL;
}

/* Runs @run while another thread cancels it 300 ms in: it must fail with
 * G_IO_ERROR_CANCELLED within a second of its start. */
void
signet_test_assert_cancels (SignetTestCancellableFunc  run,
                            gpointer                   data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  GThread *thread = signet_test_cancel_later (cancellable, 300);
  gboolean ok = run (data, cancellable, &error);

  g_thread_join (thread);
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_test_message ("cancelled after %.2f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

/* The story of an untrusted certificate, for a client of the fixture with
 * "ca-file" and "pinned-public-key" properties: without the test CA the
 * attempt fails and names the host and the certificate, whose fingerprint
 * and pin @dup then gives; with that pin it works, and @dup has nothing;
 * with the pin of another key it fails again, even with the CA. */
void
signet_test_untrusted_story (GObject                    *client,
                             SignetTestAttemptFunc       attempt,
                             SignetTestDupUntrustedFunc  dup,
                             gpointer                    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) other_error = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *other_pin = signet_test_other_pin ();

  g_object_set (client, "ca-file", NULL, "pinned-public-key", NULL, NULL);
  g_assert_false (dup (client, NULL, NULL));
  g_assert_false (attempt (client, data, &error));
  g_assert_error (error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_true (dup (client, &fingerprint, &pin));
  signet_test_assert_untrusted (error, fingerprint, pin);

  g_object_set (client, "pinned-public-key", pin, NULL);
  g_assert_true (attempt (client, data, NULL));
  g_assert_false (dup (client, NULL, NULL));

  /* A pinned key wins over the certificate authorities too. */
  g_object_set (client, "pinned-public-key", other_pin, "ca-file", signet_test_servers_env ("CA_FILE"), NULL);
  g_assert_false (attempt (client, data, &other_error));
  g_assert_error (other_error, SIGNET_TRANSPORT_ERROR, SIGNET_TRANSPORT_ERROR_UNTRUSTED_CERTIFICATE);
  g_assert_nonnull (strstr (other_error->message, fingerprint));
}

/* ---- a session and a keyring of the test's own ---------------------------- */

static void
make_session_dir (const char *root, const char *variable, const char *name)
{
  g_autofree char *path = g_build_filename (root, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  g_setenv (variable, path, TRUE);
}

/* Call before any thread exists (it sets the environment): HOME and the
 * XDG directories below @root, and a session bus of the test's own, so
 * that no keyring of the person running the tests is touched and none is
 * started by D-Bus activation. DISPLAY stays, for GTK. */
GTestDBus *
signet_test_private_session_up (const char *root)
{
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));
  GTestDBus *bus;

  make_session_dir (root, "XDG_CONFIG_HOME", "config");
  make_session_dir (root, "XDG_DATA_HOME", "data");
  make_session_dir (root, "XDG_CACHE_HOME", "cache");
  make_session_dir (root, "HOME", "home");
  /* It unsets XDG_RUNTIME_DIR and DISPLAY, so that nothing finds another
   * bus. */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  make_session_dir (root, "XDG_RUNTIME_DIR", "runtime");
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);
  return bus;
}

/* libsecret keeps its connection to the bus for the life of the process
 * (secret_service_disconnect() leaves it), so g_test_dbus_down(), which
 * waits for the connection to go, would wait in vain: the bus is stopped
 * under it, and @bus, whose disposal would wait the same way, is kept. */
void
signet_test_private_session_down (GTestDBus *bus)
{
  g_autoptr(GDBusConnection) connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

  secret_service_disconnect ();
  if (connection != NULL)
    g_dbus_connection_set_exit_on_close (connection, FALSE);
  g_test_dbus_stop (bus);
}

static void
on_name_appeared (GDBusConnection *connection, const char *name, const char *owner, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/* Starts gnome-keyring-daemon (its secrets component, its login keyring
 * unlocked) on the session bus, which must be the test's own (GTestDBus,
 * with XDG_DATA_HOME and XDG_RUNTIME_DIR below a temporary directory): the
 * daemon leaves when that bus goes. */
void
signet_test_start_session_keyring (void)
{
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  gboolean owned = FALSE;
  guint watch;

  daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                             | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
                             "gnome-keyring-daemon", "--daemonize", "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  /* --unlock reads the keyring's password from standard input. */
  g_subprocess_communicate_utf8 (daemon, "throwaway keyring password", NULL, &output, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (daemon))
    g_error ("gnome-keyring-daemon did not start: %s", output);
  watch = g_bus_watch_name (G_BUS_TYPE_SESSION, "org.freedesktop.secrets", G_BUS_NAME_WATCHER_FLAGS_NONE,
                            on_name_appeared, NULL, &owned, NULL);
  signet_test_wait_until (is_true, &owned);
  g_bus_unwatch_name (watch);
}

/* ---- Postfix's queue ----------------------------------------------------- */

guint
signet_test_servers_queued (void)
{
  const char *queues[] = { "maildrop", "incoming", "active", "deferred", "hold" };
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (queues); i++)
    {
      g_autofree char *dir = g_build_filename (signet_test_servers_env ("DIR"), "queue", queues[i], NULL);
      n += signet_test_count_files (dir);
    }
  return n;
}

/* ---- scripted SMTP faults -------------------------------------------------- */

#include <signal.h>
#include <sys/prctl.h>

/* Starts faultsmtp.py in the new directory @dir, listening on @port (0: any
 * free one). Its stdin is a pipe from here: it ends when this process does. */
void
signet_test_fault_server_start (SignetTestFaultServer *server,
                                const char            *dir,
                                const char            *scenario,
                                guint                  port)
{
  g_autofree char *script = signet_test_servers_script ("faultsmtp.py");
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *log = NULL;

  server->dir = g_strdup (dir);
  g_assert_cmpint (g_mkdir (server->dir, 0700), ==, 0);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  log = g_build_filename (server->dir, "log", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  server->process = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", script, server->dir,
                                                 scenario, port_text, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL || !g_str_has_prefix (line, "PORT="))
    g_error ("the fault server did not start (is python3-aiosmtpd installed?)");
  server->port = atoi (line + 5);
}

void
signet_test_fault_server_stop (SignetTestFaultServer *server)
{
  g_autoptr(GError) error = NULL;

  if (server->process == NULL)
    return;
  g_output_stream_close (g_subprocess_get_stdin_pipe (server->process), NULL, NULL);
  g_subprocess_wait_check (server->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&server->process);
  g_clear_pointer (&server->dir, g_free);
}

/* One line per thing that happened: "CONNECT", "DATA-BYTES n", "DELIVERED a,b". */
char *
signet_test_fault_server_events (SignetTestFaultServer *server)
{
  g_autofree char *path = g_build_filename (server->dir, "events", NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text != NULL ? text : g_strdup ("");
}

/* The events once one contains @what (the server writes them as it goes). */
char *
signet_test_fault_server_wait_event (SignetTestFaultServer *server,
                                     const char            *what)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      char *events = signet_test_fault_server_events (server);
      if (strstr (events, what) != NULL)
        return events;
      g_free (events);
      if (g_get_monotonic_time () > deadline)
        g_error ("the fault server never recorded %s", what);
      g_usleep (20000);
    }
}

/* How many messages it accepted. */
guint
signet_test_fault_server_n_messages (SignetTestFaultServer *server)
{
  g_autofree char *dir = g_build_filename (server->dir, "Maildir", "new", NULL);

  return signet_test_count_files (dir);
}

/* ---- a keyring of the test's own ------------------------------------------ */

/* In the daemon, before exec: a test that dies takes it along. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocess *
signet_test_start_keyring (const char *log_path)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  const char *unlock = "throwaway keyring password";
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  GOutputStream *input;
  GError *error = NULL;

  /* In the foreground, so that it stays our child and stops when told;
   * never on the test's standard output (the TAP stream). */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                        "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  input = g_subprocess_get_stdin_pipe (daemon);
  g_output_stream_write_all (input, unlock, strlen (unlock), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, &error);
  g_assert_no_error (error);

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  for (;;)
    {
      g_autoptr(GVariant) reply = NULL;
      gboolean owned = FALSE;

      reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner",
                                           g_variant_new ("(s)", "org.freedesktop.secrets"),
                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      g_assert_no_error (error);
      g_variant_get (reply, "(b)", &owned);
      if (owned)
        break;
      g_main_context_iteration (NULL, FALSE);
      /* No identifier: it has ended (asked here, not by a callback that
       * could come after this function has returned). */
      if (g_subprocess_get_identifier (daemon) == NULL || g_get_monotonic_time () > deadline)
        {
          g_autofree char *output = signet_test_read_file (log_path);
          g_error ("gnome-keyring-daemon did not start: %s", output);
        }
      g_usleep (20 * 1000);
    }
  return g_steal_pointer (&daemon);
}

void
signet_test_stop_keyring (GSubprocess *daemon)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (daemon);
}

/* memmem() without _GNU_SOURCE: files may hold NUL bytes. */
static gboolean
contains_bytes (const char *haystack, gsize length, const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; n > 0 && i + n <= length; i++)
    {
      if (haystack[i] == needle[0] && memcmp (haystack + i, needle, n) == 0)
        return TRUE;
    }
  return FALSE;
}

guint
signet_test_assert_no_file_contains (const char         *path,
                                     const char * const *secrets)
{
  g_autoptr(GDir) dir = NULL;
  g_autofree char *contents = NULL;
  const char *name;
  gsize length = 0;
  guint files = 0;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return 0;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      dir = g_dir_open (path, 0, NULL);
      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          files += signet_test_assert_no_file_contains (child, secrets);
        }
      return files;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return 0;  /* a socket */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  for (guint i = 0; secrets[i] != NULL; i++)
    {
      if (contains_bytes (contents, length, secrets[i]))
        g_error ("%s holds \"%s\"", path, secrets[i]);
    }
  return 1;
}

/* The fingerprints of the keys gpg lists for @email (secret keys when
 * @secret), in its order. */
GStrv
signet_test_gpg_fingerprints (const char *homedir,
                              const char *email,
                              gboolean    secret)
{
  const char *args[] = { "--with-colons", secret ? "--list-secret-keys" : "--list-keys", NULL };
  g_autofree char *listing = signet_test_gpg_output (homedir, args, email, TRUE);
  g_auto(GStrv) lines = g_strsplit (listing, "\n", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gboolean want = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], secret ? "sec:" : "pub:"))
        want = TRUE;
      else if (want && g_str_has_prefix (lines[i], "fpr:"))
        {
          g_auto(GStrv) fields = g_strsplit (lines[i], ":", -1);
          g_strv_builder_add (builder, fields[9]);
          want = FALSE;
        }
    }
  return g_strv_builder_end (builder);
}
