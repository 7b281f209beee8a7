#define G_SETTINGS_ENABLE_BACKEND

#include "config.h"

#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "signet-account.h"
#include "signet-delivery.h"
#include "signet-smtp-transport.h"
#include "signet-test-util.h"

/* A message on its way as a person sends it: SignetSendOperation seals and
 * queues it, the Outbox delivers it through SignetDelivery, configured only
 * through the account's settings (a memory GSettings backend) and its
 * passwords, to real servers on 127.0.0.1 (tests/servers/mailservers.py:
 * Postfix and Dovecot; tests/servers/faultsmtp.py for faults on cue). Each
 * test checks what the recipients and the sender would find: every
 * recipient's mailbox has the message exactly once, sealed mail opens with
 * that recipient's own key, a Bcc recipient is named nowhere the others can
 * look, and the sender's Sent folder on the IMAP server holds it once.
 *
 * The test runs on a session bus of its own (GTestDBus) with the XDG
 * directories below its work directory, so that a real gnome-keyring-daemon
 * can keep a password without touching the person's own keyring. */

static const char *workdir;    /* the servers' and the test's; removed at the end */
static GTestDBus *bus;
static char *xdg_root;           /* XDG_CONFIG_HOME, _DATA_, _CACHE_, _RUNTIME_DIR and HOME are below it */
static char *homedir;            /* the sender's: every demo key, secret parts too */
static GHashTable *own_homes;    /* address -> a GnuPG home with only that person's key pair */
static guint n_runs;

static const char *
env (const char *key)
{
  return signet_test_servers_env (key);
}

static guint
env_port (const char *key)
{
  return (guint) g_ascii_strtoull (env (key), NULL, 10);
}

static char *
user_maildir (const char *user, const char *folder)
{
  g_autofree char *maildir = signet_test_servers_user_env (user, "MAILDIR");

  return g_build_filename (maildir, folder, NULL);
}

/* A word found nowhere but where this message put it. */
static char *
make_marker (const char *what)
{
  return g_strdup_printf ("%s-%u-%08x", what, ++n_runs, g_random_int ());
}

/* ---- a server that is down, then back -------------------------------------------- */

/* A port on 127.0.0.1 that refuses every connection (bound, not listening:
 * a server that is down) until forwarder_up(); from then on each connection
 * is passed on to @target (the server is back). Served on the main
 * context, which the tests iterate whenever they wait. */
typedef struct {
  GSocket        *reserved;
  GSocketService *service;
  GCancellable   *cancellable;
  guint           port;
  guint           target;
} Forwarder;

static GSocketAddress *
loopback_address (guint port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  return g_inet_socket_address_new (loopback, port);
}

static void
forwarder_init (Forwarder *f, guint target)
{
  g_autoptr(GSocketAddress) any_port = loopback_address (0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  f->target = target;
  f->cancellable = g_cancellable_new ();
  f->reserved = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (f->reserved, any_port, TRUE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (f->reserved, &error);
  g_assert_no_error (error);
  f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
on_forwarded_connection (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  Forwarder *f = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) target = loopback_address (f->target);
  g_autoptr(GSocketConnection) upstream = NULL;
  g_autoptr(GError) error = NULL;

  upstream = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (target), NULL, &error);
  g_assert_no_error (error);
  g_io_stream_splice_async (G_IO_STREAM (connection), G_IO_STREAM (upstream),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, f->cancellable, NULL, NULL);
  return TRUE;
}

static void
forwarder_up (Forwarder *f)
{
  g_autoptr(GSocketAddress) address = loopback_address (f->port);
  g_autoptr(GError) error = NULL;

  g_socket_close (f->reserved, NULL);
  g_clear_object (&f->reserved);
  f->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (f->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (f->service, "incoming", G_CALLBACK (on_forwarded_connection), f);
}

static void
forwarder_clear (Forwarder *f)
{
  g_cancellable_cancel (f->cancellable);
  if (f->service != NULL)
    {
      g_socket_service_stop (f->service);
      g_socket_listener_close (G_SOCKET_LISTENER (f->service));
    }
  g_clear_object (&f->service);
  g_clear_object (&f->reserved);
  g_clear_object (&f->cancellable);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Forwarder, forwarder_clear)

/* ---- the application's side -------------------------------------------------------- */

/* One run of Signet: the core services over the store in its directory, the
 * account (its settings in memory, as a fresh start has them) and the
 * delivery that follows it. What the Outbox said is kept in @said. */
typedef struct {
  SignetTestServices  services;
  SignetAccount      *account;
  SignetDelivery     *delivery;
  GPtrArray          *said;
} Client;

static void
record (Client *c, char *line)
{
  g_test_message ("outbox: %s", line);
  g_ptr_array_add (c->said, line);
}

static char *
join_addresses (const char * const *addresses)
{
  return g_strjoinv (",", (char **) addresses);
}

static void
on_sent (SignetOutbox *outbox, const char *id, Client *c)
{
  record (c, g_strdup_printf ("sent %s", id));
}

static void
on_deferred (SignetOutbox *outbox, const char *id, const char * const *undelivered, const char *reason, Client *c)
{
  g_autofree char *who = join_addresses (undelivered);

  record (c, g_strdup_printf ("deferred %s %s: %s", id, who, reason));
}

static void
on_failed (SignetOutbox *outbox, const char *id, const char * const *undelivered, const char *reason, Client *c)
{
  g_autofree char *who = join_addresses (undelivered);

  record (c, g_strdup_printf ("failed %s %s: %s", id, who, reason));
}

static void
on_sent_folder_failed (SignetOutbox *outbox, const char *reason, Client *c)
{
  record (c, g_strdup_printf ("sent-folder-failed: %s", reason));
}

/* Signet over the store in @dir (made when NULL), configured by the caller
 * with client_set_*() before client_start(). */
static void
client_init (Client *c, const char *dir)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autofree char *made = dir == NULL ? g_strdup_printf ("%s/client-%u", workdir, ++n_runs) : NULL;

  if (made != NULL)
    g_assert_cmpint (g_mkdir (made, 0700), ==, 0);
  signet_test_services_init_at (&c->services, homedir, dir != NULL ? dir : made, TRUE);
  c->account = signet_account_new (settings);
  c->said = g_ptr_array_new_with_free_func (g_free);
  g_settings_set_string (settings, "identity", "Signet Demo <demo@example.org>");
}

/* The outgoing server: 127.0.0.1:@port; logged in as demo unless @security
 * is "none" (a scripted server on this computer); a TLS server's key
 * trusted as the user would trust it when asked. */
static void
client_set_smtp (Client *c, guint port, const char *security)
{
  GSettings *settings = signet_account_get_settings (c->account);
  g_autoptr(GError) error = NULL;
  gboolean login = g_strcmp0 (security, "none") != 0;

  g_settings_set_string (settings, "smtp-host", "127.0.0.1");
  g_settings_set_uint (settings, "smtp-port", port);
  g_settings_set_string (settings, "smtp-security", security);
  g_settings_set_string (settings, "smtp-user", login ? "demo" : "");
  if (login)
    {
      signet_account_add_trusted_certificate (c->account, "127.0.0.1", port, env ("SERVER_PIN"), &error);
      g_assert_no_error (error);
    }
}

static void
client_set_smtp_session_password (Client *c)
{
  signet_account_set_session_password (c->account, SIGNET_ACCOUNT_PROTOCOL_SMTP, env ("DEMO_PASSWORD"));
}

/* The IMAP server that keeps Sent copies: Dovecot over TLS (or whatever
 * forwards to it on @port), logged in as demo with this session's password;
 * the Sent folder is the one the server marks \Sent. */
static void
client_set_imap (Client *c, guint port)
{
  GSettings *settings = signet_account_get_settings (c->account);
  g_autoptr(GError) error = NULL;

  g_settings_set_string (settings, "imap-host", "127.0.0.1");
  g_settings_set_uint (settings, "imap-port", port);
  g_settings_set_string (settings, "imap-security", "tls");
  g_settings_set_string (settings, "imap-user", "demo");
  signet_account_add_trusted_certificate (c->account, "127.0.0.1", port, env ("SERVER_PIN"), &error);
  g_assert_no_error (error);
  signet_account_set_session_password (c->account, SIGNET_ACCOUNT_PROTOCOL_IMAP, env ("DEMO_PASSWORD"));
}

static char *
local_root (Client *c)
{
  return g_build_filename (c->services.dir, "Local", NULL);
}

static void client_flush (Client *c);

/* Retries come quickly (1 s, then 2 s, ...), but the tests mostly flush.
 * Returns once the run the new delivery asks for is over: from then on each
 * send, flush or retry of the test is one run. */
static void
client_start (Client *c)
{
  g_autofree char *local = local_root (c);
  SignetOutbox *outbox = c->services.outbox;

  g_object_set (outbox, "retry-delay", 1, "max-attempts", 100, NULL);
  g_signal_connect (outbox, "sent", G_CALLBACK (on_sent), c);
  g_signal_connect (outbox, "deferred", G_CALLBACK (on_deferred), c);
  g_signal_connect (outbox, "failed", G_CALLBACK (on_failed), c);
  g_signal_connect (outbox, "sent-folder-failed", G_CALLBACK (on_sent_folder_failed), c);
  c->delivery = signet_delivery_new (c->account, outbox, local);
  g_assert_false (signet_delivery_is_local (c->delivery));
  client_flush (c);
}

/* Signet quits: nothing of it runs on when this returns. A retry the
 * Outbox has scheduled holds a reference to it (its timeout's), so the
 * Outbox is disposed explicitly, as the end of the process would end it. */
static void
client_clear (Client *c)
{
  if (c->services.outbox != NULL)
    {
      g_signal_handlers_disconnect_by_data (c->services.outbox, c);
      g_object_run_dispose (G_OBJECT (c->services.outbox));
    }
  g_clear_object (&c->delivery);
  g_clear_object (&c->account);
  signet_test_services_clear (&c->services);
  g_clear_pointer (&c->said, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Client, client_clear)

/* Sends @message as the composer does; returns the send's ID in the Outbox. */
static char *
client_send (Client *c, SignetMessage *message)
{
  g_auto(SignetTestOutcome) outcome = { 0 };

  signet_send_operation_send_async (c->services.operation, message, NULL, signet_test_on_sent, &outcome);
  signet_test_wait_until (signet_test_outcome_done, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  return g_strdup (outcome.report->batch_id);
}

/* A delivery run that starts after this call has ended. */
static void
client_flush (Client *c)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  signet_outbox_flush_async (c->services.outbox, NULL, signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  g_assert_true (signet_outbox_flush_finish (c->services.outbox, result, NULL, &error));
  g_assert_no_error (error);
}

/* The first thing the Outbox said that starts with @prefix and contains
 * @words (NULL: anything), once it has. */
static const char *
client_wait_said (Client *c, const char *prefix, const char *words)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      for (guint i = 0; i < c->said->len; i++)
        {
          const char *line = g_ptr_array_index (c->said, i);
          if (g_str_has_prefix (line, prefix) && (words == NULL || strstr (line, words) != NULL))
            return line;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("the Outbox never said \"%s...%s\"", prefix, words != NULL ? words : "");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Until the Outbox has said "sent @id". */
static void
client_wait_sent (Client *c, const char *id)
{
  g_autofree char *prefix = g_strdup_printf ("sent %s", id);

  client_wait_said (c, prefix, NULL);
}

static guint
client_n_said (Client *c, const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < c->said->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (c->said, i), prefix);
  return n;
}

/* Until the Outbox has said something starting with @prefix @n times. */
static void
client_wait_n_said (Client *c, const char *prefix, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (client_n_said (c, prefix) < n)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the Outbox said \"%s...\" only %u times", prefix, client_n_said (c, prefix));
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* What the Outbox view shows of the send @id, or NULL when it is not there. */
static SignetOutboxItem *
client_find_item (Client *c, const char *id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  signet_outbox_list_async (c->services.outbox, NULL, signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  items = signet_outbox_list_finish (c->services.outbox, result, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < items->len; i++)
    {
      SignetOutboxItem *item = g_ptr_array_index (items, i);
      if (g_strcmp0 (item->id, id) == 0)
        return signet_outbox_item_copy (item);
    }
  return NULL;
}

/* ---- what arrived ------------------------------------------------------------------ */

/* Every regular file below @dir, into @files. */
static void
list_files (const char *dir, GHashTable *files)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        list_files (path, files);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_hash_table_add (files, g_steal_pointer (&path));
    }
}

/* The mail on the servers, before a test sends anything. */
static GHashTable *
mail_before (void)
{
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *mail = g_build_filename (env ("DIR"), "mail", NULL);

  list_files (mail, files);
  return files;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* The messages that arrived in @folder (a Maildir folder: cur/ and new/)
 * since @before, sorted, once Postfix has nothing left to deliver. */
static GPtrArray *
arrived (GHashTable *before, const char *folder)
{
  g_autoptr(GHashTable) now = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer path;

  while (signet_test_servers_queued () > 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Postfix never delivered what it queued");
      g_usleep (20000);
    }
  list_files (folder, now);
  g_hash_table_iter_init (&iter, now);
  while (g_hash_table_iter_next (&iter, &path, NULL))
    {
      g_autofree char *parent = g_path_get_dirname (path);
      g_autofree char *sub = g_path_get_basename (parent);
      g_autofree char *maildir = g_path_get_dirname (parent);

      if (!g_hash_table_contains (before, path) && g_strcmp0 (maildir, folder) == 0 &&
          (g_str_equal (sub, "new") || g_str_equal (sub, "cur")))
        g_ptr_array_add (found, g_strdup (path));
    }
  g_ptr_array_sort (found, compare_paths);
  return found;
}

/* Those of @paths whose file contains @text. */
static GPtrArray *
containing (GPtrArray *paths, const char *text)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *contents = signet_test_read_file (g_ptr_array_index (paths, i));
      if (strstr (contents, text) != NULL)
        g_ptr_array_add (found, g_strdup (g_ptr_array_index (paths, i)));
    }
  return found;
}

/* The one message that arrived for @user (in @folder of their Maildir, ""
 * for the inbox) since @before containing @text; fails unless there is
 * exactly one. */
static char *
arrived_once (GHashTable *before, const char *user, const char *folder, const char *text)
{
  g_autofree char *maildir = user_maildir (user, folder);
  g_autoptr(GPtrArray) all = arrived (before, maildir);
  g_autoptr(GPtrArray) found = containing (all, text);

  if (found->len != 1)
    g_error ("%s%s has %u messages with %s, expected one", user, folder, found->len, text);
  return g_strdup (g_ptr_array_index (found, 0));
}

/* The copy in the sender's Sent folder on the IMAP server: there once,
 * marked as read (Maildir flag S). */
static char *
sent_copy_once (GHashTable *before, const char *text)
{
  char *path = arrived_once (before, "demo", ".Sent", text);
  g_autofree char *name = g_path_get_basename (path);
  const char *flags = strstr (name, ":2,");

  g_assert_nonnull (strstr (path, "/.Sent/cur/"));
  g_assert_nonnull (flags);
  g_assert_nonnull (strchr (flags + 3, 'S'));
  return path;
}

static void
assert_none_arrived (GHashTable *before, const char *user, const char *folder)
{
  g_autofree char *maildir = user_maildir (user, folder);
  g_autoptr(GPtrArray) all = arrived (before, maildir);

  g_assert_cmpuint (all->len, ==, 0);
}

/* A copy of the message at @path in the work directory: what gpg is given
 * and writes next to it never lands in a mailbox. */
static char *
copy_out (const char *path)
{
  g_autofree char *contents = signet_test_read_file (path);
  char *copy = g_strdup_printf ("%s/copy-%u.eml", workdir, ++n_runs);

  g_assert_true (g_file_set_contents (copy, contents, -1, NULL));
  return copy;
}

static const char *
own_home (const char *user)
{
  g_autofree char *address = g_strdup_printf ("%s@example.org", user);
  const char *home = g_hash_table_lookup (own_homes, address);

  g_assert_nonnull (home);
  return home;
}

/* What @user's own key pair opens of the sealed message at @path. */
static char *
decrypt_as (const char *user, const char *path)
{
  g_autofree char *copy = copy_out (path);
  char *plain = signet_test_decrypt_message (own_home (user), copy);

  g_unlink (copy);
  return plain;
}

/* Whether @user's key pair cannot open it. */
static gboolean
cannot_decrypt_as (const char *user, const char *path)
{
  g_autofree char *copy = copy_out (path);
  g_autofree char *cipher = signet_test_extract_ciphertext (copy);
  const char *args[] = { "--decrypt", NULL };
  g_autofree char *plain = signet_test_gpg_output (own_home (user), args, cipher, FALSE);

  g_unlink (cipher);
  g_unlink (copy);
  return plain == NULL || *plain == '\0';
}

/* The key IDs the message at @path is sealed to, sorted. */
static GStrv
sealed_to (const char *path)
{
  g_autofree char *copy = copy_out (path);
  GStrv ids = signet_test_packet_keyids (homedir, copy);

  g_unlink (copy);
  return ids;
}

/* The value of the header @name (any case) of the message at @path. */
static char *
header_value (const char *path, const char *name)
{
  g_autofree char *contents = signet_test_read_file (path);
  g_autofree char *lower = g_ascii_strdown (contents, -1);
  g_autofree char *prefix = g_ascii_strdown (name, -1);
  g_autofree char *line = g_strdup_printf ("\n%s: ", prefix);
  const char *found = strstr (lower, line);
  const char *start;

  g_assert_nonnull (found);
  start = contents + (found - lower) + strlen (line);
  return g_strndup (start, strcspn (start, "\r\n"));
}

/* A GnuPG home with only @address's key pair, copied from the sender's
 * demo home (where every demo key pair is). */
static char *
make_own_home (const char *address)
{
  g_autofree char *home = signet_test_make_tmpdir ();
  g_autofree char *script = g_strdup_printf (
      "gpg --homedir '%s' --batch --pinentry-mode loopback --passphrase '' --export-secret-keys '<%s>' | "
      "gpg --homedir '%s' --batch --import", homedir, address, home);
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("could not copy the key pair of %s: %s", address, err);
  return g_steal_pointer (&home);
}

/* ---- the scripted server --------------------------------------------------------- */

static void
fault_server_start (SignetTestFaultServer *server, const char *scenario, guint port)
{
  g_autofree char *dir = g_strdup_printf ("%s/fault-%s-%u", workdir, scenario, ++n_runs);

  signet_test_fault_server_start (server, dir, scenario, port);
}

/* In how many of the messages the scripted server accepted @address was
 * among the recipients. */
static guint
times_accepted (SignetTestFaultServer *server, const char *address)
{
  g_autofree char *events = signet_test_fault_server_events (server);
  g_auto(GStrv) lines = g_strsplit (events, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) rcpts = NULL;

      if (!g_str_has_prefix (lines[i], "DELIVERED "))
        continue;
      rcpts = g_strsplit (lines[i] + strlen ("DELIVERED "), ",", -1);
      n += g_strv_contains ((const char * const *) rcpts, address);
    }
  return n;
}

static guint
times_connected (SignetTestFaultServer *server)
{
  g_autofree char *events = signet_test_fault_server_events (server);
  g_auto(GStrv) lines = g_strsplit (events, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_equal (lines[i], "CONNECT");
  return n;
}

/* ---- messages ---------------------------------------------------------------------- */

/* From demo@; @subject and @body are markers to look for. */
static SignetMessage *
new_message (gboolean seal, const char *to, const char *cc, const char *bcc, const char *subject,
             const char *body)
{
  SignetMessage *message = signet_test_new_message (seal, to, cc, bcc);
  g_autofree char *text = g_strdup_printf ("%s\nThe figures are attached in spirit.\n", body);

  signet_message_set_subject (message, subject);
  signet_message_set_body (message, text);
  return message;
}

/* ---- the tests ----------------------------------------------------------------------- */

/* A sealed and a plain message, each To alice, Cc bob and Bcc carol,
 * through Postfix (STARTTLS, login, the server's key trusted by the user)
 * with the Sent copy stored by Dovecot. */
static void
test_sealed_and_plain (void)
{
  g_auto(Client) c = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *sealed_subject = make_marker ("sealed-subject");
  g_autofree char *sealed_body = make_marker ("sealed-body");
  g_autofree char *plain_subject = make_marker ("plain-subject");
  g_autofree char *plain_body = make_marker ("plain-body");
  g_autoptr(SignetMessage) sealed = NULL;
  g_autoptr(SignetMessage) plain = NULL;
  g_autofree char *sealed_id = NULL;
  g_autofree char *plain_id = NULL;
  g_autofree char *sealed_sent = NULL;
  g_autofree char *plain_sent = NULL;
  g_autofree char *local = NULL;
  const char *visible[] = { "alice", "bob" };
  const char *emails[] = { "alice@example.org", "bob@example.org", "demo@example.org", NULL };
  g_auto(GStrv) visible_keys = NULL;
  const char *const secrets[] = { sealed_subject, sealed_body, NULL };
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GHashTable) bcc_paths = NULL;
  GHashTableIter iter;
  gpointer path;

  if (!signet_test_servers_need ())
    return;
  client_init (&c, NULL);
  client_set_smtp (&c, env_port ("SMTP_PORT"), "starttls");
  client_set_smtp_session_password (&c);
  client_set_imap (&c, env_port ("IMAPS_PORT"));
  client_start (&c);
  before = mail_before ();

  sealed = new_message (TRUE, "Alice <alice@example.org>", "Bob <bob@example.org>", "Carol <carol@example.org>",
                        sealed_subject, sealed_body);
  plain = new_message (FALSE, "Alice <alice@example.org>", "Bob <bob@example.org>", "Carol <carol@example.org>",
                       plain_subject, plain_body);
  sealed_id = client_send (&c, sealed);
  plain_id = client_send (&c, plain);
  client_flush (&c);
  client_wait_sent (&c, sealed_id);
  client_wait_sent (&c, plain_id);
  g_assert_cmpuint (client_n_said (&c, "deferred"), ==, 0);
  g_assert_cmpuint (client_n_said (&c, "failed"), ==, 0);
  g_assert_cmpuint (client_n_said (&c, "sent-folder-failed"), ==, 0);
  g_assert_cmpuint (signet_outbox_get_n_queued (c.services.outbox), ==, 0);

  /* The plain message: once in each mailbox, carol's too, and the copies
   * of the others do not name her. */
  for (guint i = 0; i < G_N_ELEMENTS (visible); i++)
    {
      g_autofree char *copy = arrived_once (before, visible[i], "", plain_subject);
      g_autofree char *text = signet_test_read_file (copy);

      g_assert_nonnull (strstr (text, plain_body));
      g_assert_null (strstr (text, "carol"));
      g_assert_null (strstr (text, "Carol"));
    }
  g_free (arrived_once (before, "carol", "", plain_subject));
  plain_sent = sent_copy_once (before, plain_subject);

  /* The sealed one: each of alice and bob gets one copy, sealed to them and
   * the sender, that opens with their own key and shows the subject, the
   * body and nobody's address but theirs and the sender's. */
  visible_keys = signet_test_key_ids (homedir, emails);
  for (guint i = 0; i < G_N_ELEMENTS (visible); i++)
    {
      g_autofree char *copy = arrived_once (before, visible[i], "", "multipart/encrypted");
      g_autofree char *clear = signet_test_read_clear_text (copy);
      g_autofree char *opened = decrypt_as (visible[i], copy);
      g_auto(GStrv) keys = sealed_to (copy);

      g_assert_nonnull (strstr (opened, sealed_subject));
      g_assert_nonnull (strstr (opened, sealed_body));
      g_assert_null (strstr (opened, "carol"));
      g_assert_null (strstr (opened, "Carol"));
      g_assert_null (strstr (clear, "carol"));
      g_assert_null (strstr (clear, "Carol"));
      g_assert_null (strstr (clear, sealed_subject));
      g_assert_cmpstrv (keys, visible_keys);
      g_assert_true (cannot_decrypt_as ("carol", copy));
    }
  /* Carol's own copy opens with her key (its key IDs hidden), and with
   * nobody else's. */
  {
    g_autofree char *copy = arrived_once (before, "carol", "", "multipart/encrypted");
    g_autofree char *opened = decrypt_as ("carol", copy);

    g_assert_nonnull (strstr (opened, sealed_body));
    g_assert_true (cannot_decrypt_as ("alice", copy));
    g_assert_true (cannot_decrypt_as ("bob", copy));
  }
  /* The sender's Sent folder has the To/Cc copy once; the sender opens it. */
  sealed_sent = sent_copy_once (before, "multipart/encrypted");
  {
    g_autofree char *opened = decrypt_as ("demo", sealed_sent);
    g_autofree char *alice_copy = arrived_once (before, "alice", "", "multipart/encrypted");
    g_autofree char *sent_id = header_value (sealed_sent, "Message-ID");
    g_autofree char *alice_id = header_value (alice_copy, "Message-ID");

    g_assert_nonnull (strstr (opened, sealed_body));
    g_assert_cmpstr (sent_id, ==, alice_id);
  }
  assert_none_arrived (before, "demo", "");
  local = local_root (&c);
  g_assert_cmpuint (signet_test_count_files (local), ==, 0);

  /* The sealed message's subject and body are nowhere in the clear: not on
   * the servers (mail, queues, logs), not in Signet's own folders. */
  signet_test_assert_no_file_contains (env ("DIR"), secrets);
  signet_test_assert_no_file_contains (c.services.dir, secrets);

  /* Carol's address is in no new file on the servers but her own mail
   * (Postfix's log records envelopes, as any server's does). */
  after = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  bcc_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  {
    g_autofree char *mail = g_build_filename (env ("DIR"), "mail", NULL);
    g_autofree char *carol = user_maildir ("carol", "");
    list_files (mail, after);
    list_files (carol, bcc_paths);
  }
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &path, NULL))
    {
      const char *const carol[] = { "carol@example.org", NULL };

      if (!g_hash_table_contains (before, path) && !g_hash_table_contains (bcc_paths, path))
        signet_test_assert_no_file_contains (path, carol);
    }
}

/* Each of @users (a NULL-terminated list) has exactly one message with
 * @text in their inbox since @before. */
static void
assert_each_once (GHashTable *before, const char * const *users, const char *text)
{
  for (guint i = 0; users[i] != NULL; i++)
    g_free (arrived_once (before, users[i], "", text));
}

/* The outgoing server is down (its port refuses connections): the send
 * waits in the Outbox saying why, and nobody gets anything. Once the
 * server is there again, the next run delivers it once to each recipient,
 * and the Sent copy is stored once. */
static void
test_server_down_then_up (void)
{
  g_auto(Client) c = { 0 };
  g_auto(Forwarder) smtp = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("down-subject");
  g_autofree char *body = make_marker ("down-body");
  g_autoptr(SignetMessage) message = NULL;
  g_autoptr(SignetOutboxItem) item = NULL;
  g_autofree char *id = NULL;
  g_autofree char *deferred = NULL;
  g_autofree char *sent = NULL;
  const char *to[] = { "alice@example.org", "bob@example.org", NULL };
  const char *users[] = { "alice", "bob", NULL };

  if (!signet_test_servers_need ())
    return;
  forwarder_init (&smtp, env_port ("SMTP_PORT"));
  client_init (&c, NULL);
  client_set_smtp (&c, smtp.port, "starttls");
  client_set_smtp_session_password (&c);
  client_set_imap (&c, env_port ("IMAPS_PORT"));
  client_start (&c);
  before = mail_before ();

  message = new_message (TRUE, "Alice <alice@example.org>", "Bob <bob@example.org>", NULL, subject, body);
  id = client_send (&c, message);
  client_flush (&c);
  deferred = g_strdup_printf ("deferred %s alice@example.org,bob@example.org: ", id);
  client_wait_said (&c, deferred, "Could not connect to 127.0.0.1");
  item = client_find_item (&c, id);
  g_assert_nonnull (item);
  g_assert_cmpint (item->state, ==, SIGNET_OUTBOX_ITEM_QUEUED);
  g_assert_cmpstrv (item->undelivered, to);
  g_assert_nonnull (strstr (item->reason, "Could not connect to 127.0.0.1"));
  assert_none_arrived (before, "alice", "");
  assert_none_arrived (before, "bob", "");
  assert_none_arrived (before, "demo", ".Sent");

  forwarder_up (&smtp);
  client_flush (&c);
  client_wait_sent (&c, id);
  g_clear_pointer (&item, signet_outbox_item_free);
  item = client_find_item (&c, id);
  g_assert_null (item);
  /* Another run finds nothing left to do. */
  client_flush (&c);
  for (guint i = 0; users[i] != NULL; i++)
    {
      g_autofree char *copy = arrived_once (before, users[i], "", "multipart/encrypted");
      g_autofree char *opened = decrypt_as (users[i], copy);

      g_assert_nonnull (strstr (opened, body));
    }
  sent = sent_copy_once (before, "multipart/encrypted");
  g_assert_cmpuint (client_n_said (&c, "failed"), ==, 0);
}

/* A client that sends through the scripted server on @port (no TLS, no
 * login: a server on this computer) and keeps Sent copies in Dovecot. */
static void
client_init_for_fault_server (Client *c, const char *dir, guint smtp_port, guint imap_port)
{
  client_init (c, dir);
  client_set_smtp (c, smtp_port, "none");
  client_set_imap (c, imap_port);
  client_start (c);
}

/* The connection ends in the middle of the message: the send waits in the
 * Outbox; the next try delivers it once to each recipient. */
static void
test_dropped_in_data (void)
{
  g_auto(SignetTestFaultServer) server = { 0 };
  g_auto(Client) c = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("dropped-subject");
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *id = NULL;
  g_autofree char *deferred = NULL;
  g_autofree char *events = NULL;

  if (!signet_test_servers_need ())
    return;
  fault_server_start (&server, "drop-once", 0);
  client_init_for_fault_server (&c, NULL, server.port, env_port ("IMAPS_PORT"));
  before = mail_before ();
  message = new_message (FALSE, "alice@example.org", "bob@example.org", NULL, subject, "dropped");
  id = client_send (&c, message);
  client_flush (&c);
  deferred = g_strdup_printf ("deferred %s alice@example.org,bob@example.org: ", id);
  client_wait_said (&c, deferred, "127.0.0.1");
  events = signet_test_fault_server_wait_event (&server, "DATA-BYTES ");

  client_flush (&c);
  client_wait_sent (&c, id);
  client_flush (&c);
  g_assert_cmpuint (times_accepted (&server, "alice@example.org"), ==, 1);
  g_assert_cmpuint (times_accepted (&server, "bob@example.org"), ==, 1);
  g_assert_cmpuint (signet_test_fault_server_n_messages (&server), ==, 1);
  g_free (sent_copy_once (before, subject));
}

/* 421 instead of a greeting, then 451 after the message: each time the
 * send waits with the server's words; the third try delivers it, once. */
static void
test_temporary_then_delivered (void)
{
  g_auto(SignetTestFaultServer) server = { 0 };
  g_auto(Client) c = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("temporary-subject");
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *id = NULL;
  g_autofree char *deferred = NULL;

  if (!signet_test_servers_need ())
    return;
  fault_server_start (&server, "temporary", 0);
  client_init_for_fault_server (&c, NULL, server.port, env_port ("IMAPS_PORT"));
  before = mail_before ();
  message = new_message (FALSE, "alice@example.org", "bob@example.org", NULL, subject, "temporary");
  id = client_send (&c, message);
  deferred = g_strdup_printf ("deferred %s alice@example.org,bob@example.org: ", id);
  client_flush (&c);
  client_wait_said (&c, deferred, "421 4.3.2 Service shutting down");
  client_flush (&c);
  client_wait_said (&c, deferred, "451 4.3.0 Temporary lookup failure");
  client_flush (&c);
  client_wait_sent (&c, id);
  client_flush (&c);
  g_assert_cmpuint (times_accepted (&server, "alice@example.org"), ==, 1);
  g_assert_cmpuint (times_accepted (&server, "bob@example.org"), ==, 1);
  g_assert_cmpuint (signet_test_fault_server_n_messages (&server), ==, 1);
  g_free (sent_copy_once (before, subject));
}

/* The failed send as the Outbox view shows it: refused for nobody@, in
 * Postfix's words, naming nobody else. */
static void
assert_refused_item (Client *c, const char *id)
{
  const char *nobody[] = { "nobody@example.org", NULL };
  g_autoptr(SignetOutboxItem) item = client_find_item (c, id);

  g_assert_nonnull (item);
  g_assert_cmpint (item->state, ==, SIGNET_OUTBOX_ITEM_FAILED);
  g_assert_cmpstrv (item->undelivered, nobody);
  g_assert_nonnull (strstr (item->reason, "nobody@example.org"));
  g_assert_nonnull (strstr (item->reason, "User unknown in virtual mailbox table"));
  g_assert_null (strstr (item->reason, "alice"));
  g_assert_null (strstr (item->reason, "bob"));
}

/* Postfix refuses one recipient (550): the others get the message once; it
 * stays among the failed sends, in the server's words, for that one only;
 * Retry asks again for that one and sends nothing to the others. */
static void
test_refused_recipient (void)
{
  g_auto(Client) c = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("refused-subject");
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *id = NULL;
  g_autofree char *failed = NULL;
  const char *users[] = { "alice", "bob", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (!signet_test_servers_need ())
    return;
  client_init (&c, NULL);
  client_set_smtp (&c, env_port ("SMTPS_PORT"), "tls");
  client_set_smtp_session_password (&c);
  client_set_imap (&c, env_port ("IMAPS_PORT"));
  client_start (&c);
  before = mail_before ();
  message = new_message (FALSE, "alice@example.org, nobody@example.org", NULL, "bob@example.org", subject,
                         "refused");
  id = client_send (&c, message);
  client_flush (&c);
  failed = g_strdup_printf ("failed %s nobody@example.org: ", id);
  client_wait_said (&c, failed, "User unknown in virtual mailbox table");
  g_assert_cmpuint (client_n_said (&c, "deferred"), ==, 0);
  assert_refused_item (&c, id);
  assert_each_once (before, users, subject);

  signet_outbox_retry_async (c.services.outbox, id, NULL, signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  g_assert_true (signet_outbox_retry_finish (c.services.outbox, result, &error));
  g_assert_no_error (error);
  client_wait_n_said (&c, failed, 2);
  client_flush (&c);
  assert_refused_item (&c, id);
  assert_each_once (before, users, subject);
  g_assert_cmpuint (client_n_said (&c, "sent"), ==, 0);
}

/* A server whose certificate nobody vouches for: the send stops at once
 * (no password is sent), the delivery names the server and the
 * certificate; trusting exactly that one and retrying delivers it once. */
static void
test_untrusted_then_trusted (void)
{
  g_auto(Client) c = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("untrusted-subject");
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *id = NULL;
  g_autofree char *failed = NULL;
  g_autofree char *host = NULL, *fingerprint = NULL, *pin = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *users[] = { "alice", NULL };
  const char *nobody[] = { NULL };
  GSettings *settings;
  guint port = 0;

  if (!signet_test_servers_need ())
    return;
  client_init (&c, NULL);
  client_set_smtp (&c, env_port ("SMTPS_PORT"), "tls");
  settings = signet_account_get_settings (c.account);
  g_settings_set_strv (settings, "trusted-certificates", nobody);
  client_set_smtp_session_password (&c);
  client_start (&c);
  before = mail_before ();
  message = new_message (TRUE, "alice@example.org", NULL, NULL, subject, "untrusted first");
  id = client_send (&c, message);
  client_flush (&c);
  failed = g_strdup_printf ("failed %s alice@example.org: ", id);
  client_wait_said (&c, failed, env ("SERVER_FINGERPRINT"));
  g_assert_true (signet_delivery_dup_untrusted_certificate (c.delivery, &host, &port, &fingerprint, &pin));
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpuint (port, ==, env_port ("SMTPS_PORT"));
  g_assert_cmpstr (fingerprint, ==, env ("SERVER_FINGERPRINT"));
  g_assert_cmpstr (pin, ==, env ("SERVER_PIN"));

  /* What the application does when the user chooses Trust. */
  g_assert_true (signet_account_add_trusted_certificate (c.account, host, port, pin, &error));
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  signet_outbox_retry_async (c.services.outbox, id, NULL, signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  g_assert_true (signet_outbox_retry_finish (c.services.outbox, result, &error));
  g_assert_no_error (error);
  client_wait_sent (&c, id);
  assert_each_once (before, users, "BEGIN PGP MESSAGE");
}

/* A server that never answers the end of the message: the send waits,
 * after the transport's timeout, with words that say so; the next try
 * delivers it once. The account has no setting for the timeout, so the
 * test shortens it on the transport the delivery made. */
static void
test_stalled (void)
{
  g_auto(SignetTestFaultServer) server = { 0 };
  g_auto(Client) c = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(SignetTransport) transport = NULL;
  g_autofree char *subject = make_marker ("stalled-subject");
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *id = NULL;
  g_autofree char *deferred = NULL;
  gint64 start;

  if (!signet_test_servers_need ())
    return;
  fault_server_start (&server, "stall-once", 0);
  client_init_for_fault_server (&c, NULL, server.port, env_port ("IMAPS_PORT"));
  transport = signet_outbox_dup_transport (c.services.outbox);
  g_assert_true (SIGNET_IS_SMTP_TRANSPORT (transport));
  g_object_set (transport, "timeout", 2, NULL);
  before = mail_before ();
  message = new_message (FALSE, "alice@example.org", "bob@example.org", NULL, subject, "stalled");
  start = g_get_monotonic_time ();
  id = client_send (&c, message);
  client_flush (&c);
  deferred = g_strdup_printf ("deferred %s alice@example.org,bob@example.org: ", id);
  client_wait_said (&c, deferred, "127.0.0.1 did not answer in time.");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  client_flush (&c);
  client_wait_sent (&c, id);
  client_flush (&c);
  g_assert_cmpuint (times_accepted (&server, "alice@example.org"), ==, 1);
  g_assert_cmpuint (times_accepted (&server, "bob@example.org"), ==, 1);
  g_assert_cmpuint (signet_test_fault_server_n_messages (&server), ==, 1);
  g_free (sent_copy_once (before, subject));
}

/* How many Sent copies wait to be stored on the IMAP server. */
static guint
sent_copies_waiting (Client *c)
{
  g_autofree char *folder = signet_store_get_folder_path (c->services.store, SIGNET_FOLDER_SENT_UPLOADS);
  g_autofree char *waiting = g_build_filename (folder, "new", NULL);

  return signet_test_count_files (waiting);
}

/* The IMAP server is down while the SMTP server works: the message is
 * delivered once; the Sent copy waits, saying why, and is stored once when
 * the IMAP server is back, without a second delivery. */
static void
test_imap_down (void)
{
  g_auto(Client) c = { 0 };
  g_auto(Forwarder) imap = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("imap-down-subject");
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *id = NULL;
  const char *users[] = { "alice", "bob", NULL };

  if (!signet_test_servers_need ())
    return;
  forwarder_init (&imap, env_port ("IMAPS_PORT"));
  client_init (&c, NULL);
  client_set_smtp (&c, env_port ("SMTP_PORT"), "starttls");
  client_set_smtp_session_password (&c);
  client_set_imap (&c, imap.port);
  client_start (&c);
  before = mail_before ();
  message = new_message (FALSE, "alice@example.org", "bob@example.org", NULL, subject, "imap down");
  id = client_send (&c, message);
  client_flush (&c);
  client_wait_sent (&c, id);
  client_wait_said (&c, "sent-folder-failed: ", "127.0.0.1");
  assert_each_once (before, users, subject);
  assert_none_arrived (before, "demo", ".Sent");
  g_assert_cmpuint (sent_copies_waiting (&c), ==, 1);

  forwarder_up (&imap);
  client_flush (&c);
  g_free (sent_copy_once (before, subject));
  g_assert_cmpuint (sent_copies_waiting (&c), ==, 0);
  client_flush (&c);
  g_free (sent_copy_once (before, subject));
  assert_each_once (before, users, subject);
  g_assert_cmpuint (client_n_said (&c, "sent "), ==, 1);
}

static gboolean
is_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The IMAP server refuses the login for good: the mail goes out, the Sent
 * copy waits, and the server is not asked again and again (a wrong
 * password tried every few seconds gets accounts locked); once the
 * password is right, the next send stores both copies. */
static void
test_imap_wrong_password (void)
{
  g_auto(Client) c = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("imap-refused-subject");
  g_autofree char *later = make_marker ("imap-later-subject");
  g_autoptr(SignetMessage) message = NULL;
  g_autoptr(SignetMessage) second = NULL;
  g_autofree char *id = NULL;
  g_autofree char *second_id = NULL;
  gboolean waited = FALSE;
  guint n_failed;

  if (!signet_test_servers_need ())
    return;
  client_init (&c, NULL);
  client_set_smtp (&c, env_port ("SMTP_PORT"), "starttls");
  client_set_smtp_session_password (&c);
  client_set_imap (&c, env_port ("IMAPS_PORT"));
  signet_account_set_session_password (c.account, SIGNET_ACCOUNT_PROTOCOL_IMAP, "not the password");
  client_start (&c);
  before = mail_before ();
  message = new_message (FALSE, "alice@example.org", NULL, NULL, subject, "imap refused");
  id = client_send (&c, message);
  client_flush (&c);
  client_wait_sent (&c, id);
  client_wait_said (&c, "sent-folder-failed: ", "refused the login");
  n_failed = client_n_said (&c, "sent-folder-failed");
  /* Retries come after 1 s, 2 s, ... for a failure that may pass: none
   * for this one. */
  g_timeout_add_seconds (4, timed_out, &waited);
  signet_test_wait_until (is_set, &waited);
  g_assert_cmpuint (client_n_said (&c, "sent-folder-failed"), ==, n_failed);
  g_assert_cmpuint (sent_copies_waiting (&c), ==, 1);

  signet_account_set_session_password (c.account, SIGNET_ACCOUNT_PROTOCOL_IMAP, env ("DEMO_PASSWORD"));
  second = new_message (FALSE, "alice@example.org", NULL, NULL, later, "imap right again");
  second_id = client_send (&c, second);
  client_flush (&c);
  client_wait_sent (&c, second_id);
  g_free (sent_copy_once (before, subject));
  g_free (sent_copy_once (before, later));
  g_assert_cmpuint (sent_copies_waiting (&c), ==, 0);
}

/* Signet quits with a send half done (one recipient still busy) and the
 * IMAP server down, and starts again on the same Outbox, twice: each
 * recipient gets the message once, the server is not even asked again
 * once everybody has it, and the Sent copy is stored once. */
static void
test_restart (void)
{
  g_auto(SignetTestFaultServer) server = { 0 };
  g_auto(Forwarder) imap = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("restart-subject");
  g_autofree char *dir = g_strdup_printf ("%s/restart-%u", workdir, ++n_runs);
  g_autofree char *id = NULL;
  guint connections;

  if (!signet_test_servers_need ())
    return;
  fault_server_start (&server, "busy-once", 0);
  forwarder_init (&imap, env_port ("IMAPS_PORT"));
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  before = mail_before ();
  {
    g_auto(Client) c = { 0 };
    g_autoptr(SignetMessage) message = NULL;
    g_autofree char *deferred = NULL;

    client_init_for_fault_server (&c, dir, server.port, imap.port);
    message = new_message (FALSE, "alice@example.org", "busy@example.org", NULL, subject, "restart");
    /* The run the send itself asks for; Signet quits right after it. */
    id = client_send (&c, message);
    deferred = g_strdup_printf ("deferred %s busy@example.org: ", id);
    client_wait_said (&c, deferred, "450 4.2.1");
    g_assert_cmpuint (times_accepted (&server, "alice@example.org"), ==, 1);
    g_assert_cmpuint (times_accepted (&server, "busy@example.org"), ==, 0);
  }
  {
    g_auto(Client) c = { 0 };

    client_init_for_fault_server (&c, dir, server.port, imap.port);
    client_flush (&c);
    client_wait_sent (&c, id);
    client_wait_said (&c, "sent-folder-failed: ", "127.0.0.1");
    g_assert_cmpuint (times_accepted (&server, "alice@example.org"), ==, 1);
    g_assert_cmpuint (times_accepted (&server, "busy@example.org"), ==, 1);
    g_assert_cmpuint (sent_copies_waiting (&c), ==, 1);
    assert_none_arrived (before, "demo", ".Sent");
  }
  forwarder_up (&imap);
  connections = times_connected (&server);
  {
    g_auto(Client) c = { 0 };

    client_init_for_fault_server (&c, dir, server.port, imap.port);
    g_assert_cmpuint (sent_copies_waiting (&c), ==, 0);
    client_flush (&c);
    g_assert_cmpuint (client_n_said (&c, "sent "), ==, 0);
    g_assert_cmpuint (client_n_said (&c, "sent-folder-failed"), ==, 0);
  }
  g_free (sent_copy_once (before, subject));
  g_assert_cmpuint (times_accepted (&server, "alice@example.org"), ==, 1);
  g_assert_cmpuint (times_accepted (&server, "busy@example.org"), ==, 1);
  g_assert_cmpuint (signet_test_fault_server_n_messages (&server), ==, 2);
  /* Everybody had it: the SMTP server was not even asked. */
  g_assert_cmpuint (times_connected (&server), ==, connections);
}

/* The password saved in a real keyring (gnome-keyring-daemon on the test's
 * own session bus) is what logs in to Postfix; no file Signet, the keyring
 * or the servers write holds it in the clear. */
static void
test_keyring_password (void)
{
  g_auto(Client) c = { 0 };
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *subject = make_marker ("keyring-subject");
  g_autofree char *log = g_build_filename (workdir, "gnome-keyring.log", NULL);
  g_autoptr(SignetMessage) message = NULL;
  g_autofree char *id = NULL;
  const char *users[] = { "alice", NULL };
  const char *logs[] = { "POSTFIX_LOG", "DOVECOT_LOG" };
  const char *secrets[] = { NULL, NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *daemon;

  if (!signet_test_servers_need ())
    return;
  secrets[0] = env ("DEMO_PASSWORD");
  daemon = signet_test_start_keyring (log);
  client_init (&c, NULL);
  client_set_smtp (&c, env_port ("SMTP_PORT"), "starttls");
  signet_account_store_password_async (c.account, SIGNET_ACCOUNT_PROTOCOL_SMTP, secrets[0], NULL,
                                       signet_test_store_result, &result);
  signet_test_wait_until (signet_test_has_result, &result);
  g_assert_true (signet_account_store_password_finish (c.account, result, &error));
  g_assert_no_error (error);
  client_start (&c);
  before = mail_before ();
  message = new_message (FALSE, "alice@example.org", NULL, NULL, subject, "keyring");
  id = client_send (&c, message);
  client_flush (&c);
  client_wait_sent (&c, id);
  assert_each_once (before, users, subject);

  signet_test_stop_keyring (daemon);
  g_assert_cmpuint (signet_test_assert_no_file_contains (xdg_root, secrets), >, 0);
  g_assert_cmpuint (signet_test_assert_no_file_contains (c.services.dir, secrets), >, 0);
  signet_test_assert_no_file_contains (log, secrets);
  for (guint i = 0; i < G_N_ELEMENTS (logs); i++)
    g_assert_cmpuint (signet_test_assert_no_file_contains (env (logs[i]), secrets), ==, 1);
}

int
main (int argc, char *argv[])
{
  const char *people[] = { "alice@example.org", "bob@example.org", "carol@example.org", "demo@example.org" };
  const char *xdg[][2] = { { "XDG_CONFIG_HOME", "config" }, { "XDG_DATA_HOME", "data" },
                           { "XDG_CACHE_HOME", "cache" }, { "HOME", "home" } };
  g_autofree char *runtime = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* Before any thread exists: the environment is set once, here. */
  xdg_root = signet_test_make_tmpdir ();
  for (guint i = 0; i < G_N_ELEMENTS (xdg); i++)
    {
      g_autofree char *path = g_build_filename (xdg_root, xdg[i][1], NULL);
      g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
      g_setenv (xdg[i][0], path, TRUE);
    }
  /* It unsets XDG_RUNTIME_DIR, so that nothing finds another bus. */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  runtime = g_build_filename (xdg_root, "runtime", NULL);
  g_assert_cmpint (g_mkdir (runtime, 0700), ==, 0);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  /* After the bus: its watcher process (forked, not executed) must not
   * hold the pipe that tells the servers' guard this process has ended. */
  workdir = signet_test_servers_start ("delivery");

  homedir = signet_test_make_gnupghome ();
  own_homes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) signet_test_remove_gnupghome);
  for (guint i = 0; i < G_N_ELEMENTS (people); i++)
    g_hash_table_insert (own_homes, (char *) people[i], make_own_home (people[i]));

  g_test_add_func ("/delivery/sealed-and-plain", test_sealed_and_plain);
  g_test_add_func ("/delivery/fault/server-down-then-up", test_server_down_then_up);
  g_test_add_func ("/delivery/fault/dropped-in-data", test_dropped_in_data);
  g_test_add_func ("/delivery/fault/temporary-then-delivered", test_temporary_then_delivered);
  g_test_add_func ("/delivery/fault/refused-recipient", test_refused_recipient);
  g_test_add_func ("/delivery/untrusted-then-trusted", test_untrusted_then_trusted);
  g_test_add_func ("/delivery/fault/stalled", test_stalled);
  g_test_add_func ("/delivery/sent-folder/imap-down", test_imap_down);
  g_test_add_func ("/delivery/sent-folder/wrong-password", test_imap_wrong_password);
  g_test_add_func ("/delivery/restart", test_restart);
  g_test_add_func ("/delivery/keyring-password", test_keyring_password);
  ret = g_test_run ();

  g_clear_pointer (&own_homes, g_hash_table_unref);
  signet_test_remove_gnupghome (homedir);
  {
    g_autoptr(GDBusConnection) connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

    /* libsecret keeps its connection for the life of the process, so
     * g_test_dbus_down() would wait for it in vain: stop the bus under it. */
    secret_service_disconnect ();
    if (connection != NULL)
      g_dbus_connection_set_exit_on_close (connection, FALSE);
    g_test_dbus_stop (bus);
  }
  signet_test_remove_tree (xdg_root);
  g_free (xdg_root);
  /* Stops the servers and removes the work directory. */
  signet_test_servers_stop ();
  return ret;
}
