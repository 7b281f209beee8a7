#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-sent-folder.h"
#include "signet-test-util.h"

/* SignetSentFolder against the real Dovecot of tests/servers/mailservers.py
 * (IMAP with STARTTLS and IMAPS, Sent marked \Sent, Maildirs on disk):
 * what it stores is checked in the user's Maildir, file by file. */

static const char *workdir;
static guint n_messages;

typedef struct {
  char  *password;
  guint  calls;
} PasswordSource;

static char *
give_password (GObject *source, GCancellable *cancellable, GError **error, gpointer data)
{
  PasswordSource *password = data;

  password->calls++;
  return g_strdup (password->password);
}

static void
password_source_free (gpointer data)
{
  PasswordSource *password = data;

  g_free (password->password);
  g_free (password);
}

/* A Sent folder of @user's on Dovecot's @port_key port, with the test CA. */
static SignetSentFolder *
dovecot_folder (const char *port_key, const char *security, const char *user, const char *folder)
{
  const char *host = signet_test_servers_env ("HOST");
  SignetSentFolder *sent = signet_sent_folder_new (host, atoi (signet_test_servers_env (port_key)), security,
                                                   user, folder);
  PasswordSource *password = g_new0 (PasswordSource, 1);

  password->password = signet_test_servers_user_env (user, "PASSWORD");
  signet_sent_folder_set_password_func (sent, give_password, password, password_source_free);
  g_object_set (sent, "ca-file", signet_test_servers_env ("CA_FILE"), "timeout", 10, NULL);
  return sent;
}

/* A message file with @message_id (or a fresh one, returned in
 * @message_id) and @filler_bytes of text lines after its header, written
 * a block at a time. */
static char *
write_message (char **message_id, goffset filler_bytes)
{
  g_autofree char *path = g_strdup_printf ("%s/sent-%u.eml", workdir, ++n_messages);
  g_autofree char *header = NULL;
  g_autoptr(GString) block = g_string_new (NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  if (*message_id == NULL)
    *message_id = g_strdup_printf ("<sent-%u-%d@example.org>", n_messages, getpid ());
  header = g_strdup_printf ("From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\n"
                            "Subject: kept %u\nMessage-ID: %s\n\nA copy for the Sent folder.\n",
                            n_messages, *message_id);
  g_assert_cmpint (write (fd, header, strlen (header)), ==, (gssize) strlen (header));
  while (block->len < 65536)
    g_string_append_printf (block, "filler %08zu of a message that has to be streamed\n", block->len);
  for (goffset left = filler_bytes; left > 0; left -= block->len)
    {
      gsize n = MIN ((goffset) block->len, left);
      g_assert_cmpint (write (fd, block->str, n), ==, (gssize) n);
    }
  g_assert_cmpint (close (fd), ==, 0);
  return g_steal_pointer (&path);
}

static gboolean
append_file (SignetSentFolder *sent, const char *path, const char *message_id,
             GCancellable *cancellable, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  gboolean ok;

  g_assert_cmpint (fd, >=, 0);
  ok = signet_sent_folder_append (sent, fd, message_id, cancellable, error);
  close (fd);
  return ok;
}

static void
expect_stored (SignetSentFolder *sent, const char *path, const char *message_id)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = append_file (sent, path, message_id, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

/* The copies in @user's Maildir folder @folder ("" for INBOX) holding @marker. */
static GPtrArray *
stored_copies (const char *user, const char *folder, const char *marker)
{
  g_autofree char *maildir = signet_test_servers_user_env (user, "MAILDIR");
  g_autofree char *dot_folder = g_strconcat (".", folder, NULL);
  g_autofree char *dir = g_build_filename (maildir, *folder != '\0' ? dot_folder : NULL, NULL);

  return signet_test_maildir_find (dir, marker);
}

/* Exactly one copy, flagged seen (Maildir's ":2,…S…" info), with the
 * bytes of @path (Dovecot keeps LF line ends). */
static void
assert_stored_once (const char *user, const char *folder, const char *marker, const char *path)
{
  g_autoptr(GPtrArray) copies = stored_copies (user, folder, marker);
  const char *copy;
  const char *info;
  g_autofree char *stored = NULL;
  g_autofree char *original = NULL;

  if (copies->len != 1)
    g_error ("%u copies of %s in %s's %s", copies->len, marker, user, folder);
  copy = g_ptr_array_index (copies, 0);
  info = strstr (copy, ":2,");
  g_assert_nonnull (info);
  g_assert_nonnull (strchr (info + 3, 'S'));
  g_assert_nonnull (strstr (copy, "/cur/"));
  stored = signet_test_read_file (copy);
  original = signet_test_read_file (path);
  g_assert_cmpstr (stored, ==, original);
}

static void
assert_not_stored (const char *user, const char *folder, const char *marker)
{
  g_autoptr(GPtrArray) copies = stored_copies (user, folder, marker);

  g_assert_cmpuint (copies->len, ==, 0);
}

/* ---- storing -------------------------------------------------------------------- */

/* A new message, stored once in @user's @folder, flagged seen; its
 * Message-ID. */
static char *
store_new_message (SignetSentFolder *sent, const char *user, const char *folder)
{
  g_autofree char *id = NULL;
  g_autofree char *path = write_message (&id, 0);

  expect_stored (sent, path, id);
  assert_stored_once (user, folder, id, path);
  return g_steal_pointer (&id);
}

/* No folder set: the one Dovecot marks \Sent, over STARTTLS and over TLS. */
static void
test_special_use (void)
{
  g_autoptr(SignetSentFolder) starttls = NULL;
  g_autoptr(SignetSentFolder) tls = NULL;
  g_autofree char *id = NULL;
  g_autofree char *tls_id = NULL;

  if (!signet_test_servers_need ())
    return;
  starttls = dovecot_folder ("IMAP_PORT", "starttls", "alice", NULL);
  id = store_new_message (starttls, "alice", "Sent");
  assert_not_stored ("alice", "", id);
  tls = dovecot_folder ("IMAPS_PORT", "tls", "alice", "");
  tls_id = store_new_message (tls, "alice", "Sent");
}

/* A folder named in the settings, which does not exist yet: created; its
 * name has a space. The \Sent one gets nothing. Once it exists, it is
 * used as it is. */
static void
test_named_folder (void)
{
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autofree char *id = NULL;
  g_autofree char *again = NULL;

  if (!signet_test_servers_need ())
    return;
  sent = dovecot_folder ("IMAPS_PORT", "tls", "bob", "Kept Mail");
  id = store_new_message (sent, "bob", "Kept Mail");
  assert_not_stored ("bob", "Sent", id);
  again = store_new_message (sent, "bob", "Kept Mail");
}

/* A retry with the same Message-ID (with or without its angle brackets)
 * stores nothing more; another Message-ID is another message. */
static void
test_same_message_id (void)
{
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *other_id = NULL;
  g_autofree char *bare = NULL;
  g_autofree char *path = NULL;
  g_autofree char *other = NULL;

  if (!signet_test_servers_need ())
    return;
  path = write_message (&id, 0);
  sent = dovecot_folder ("IMAPS_PORT", "tls", "carol", NULL);
  for (guint i = 0; i < 3; i++)
    expect_stored (sent, path, id);
  bare = g_strndup (id + 1, strlen (id) - 2);
  expect_stored (sent, path, bare);
  assert_stored_once ("carol", "Sent", id, path);

  other = write_message (&other_id, 0);
  expect_stored (sent, other, other_id);
  assert_stored_once ("carol", "Sent", other_id, other);
  assert_stored_once ("carol", "Sent", id, path);
}

/* No TLS to a server on this computer; demo's password has a space, a
 * colon, '%' and a non-ASCII letter. */
static void
test_none_on_loopback (void)
{
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autofree char *id = NULL;

  if (!signet_test_servers_need ())
    return;
  sent = dovecot_folder ("IMAP_PORT", "none", "demo", NULL);
  id = store_new_message (sent, "demo", "Sent");
}

/* Lets getrusage() report the peak from now on, not since the process
 * started (Linux: "5" resets the high-water mark to the current size). */
static void
reset_peak_rss (void)
{
  int fd = open ("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

  if (fd < 0 || write (fd, "5", 1) != 1)
    g_test_message ("the peak RSS could not be reset: it counts from the start");
  if (fd >= 0)
    close (fd);
}

/* 20 MB go through without being held in memory. The reading is the same
 * with or without TLS; without, the sanitizer build's quarantine of the
 * TLS library's freed record buffers does not count as if it were ours. */
static void
test_big_message (void)
{
  const goffset size = 20 * 1024 * 1024;
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  struct rusage before, after;
  GStatBuf original, stored;

  if (!signet_test_servers_need ())
    return;
  path = write_message (&id, size);
  sent = dovecot_folder ("IMAP_PORT", "none", "alice", NULL);
  reset_peak_rss ();
  g_assert_cmpint (getrusage (RUSAGE_SELF, &before), ==, 0);
  expect_stored (sent, path, id);
  g_assert_cmpint (getrusage (RUSAGE_SELF, &after), ==, 0);
  g_test_message ("peak RSS %ld kB before, %ld kB after", before.ru_maxrss, after.ru_maxrss);
  g_assert_cmpint ((after.ru_maxrss - before.ru_maxrss) * 1024, <, size / 8);

  copies = stored_copies ("alice", "Sent", id);
  g_assert_cmpuint (copies->len, ==, 1);
  g_assert_cmpint (g_stat (path, &original), ==, 0);
  g_assert_cmpint (g_stat (g_ptr_array_index (copies, 0), &stored), ==, 0);
  g_assert_cmpint (stored.st_size, ==, original.st_size);
}

/* ---- refused ---------------------------------------------------------------------- */

static GError *
expect_refused (SignetSentFolder *sent, const char *path, const char *id, int code)
{
  GError *error = NULL;

  g_assert_false (append_file (sent, path, id, NULL, &error));
  g_assert_error (error, SIGNET_TRANSPORT_ERROR, code);
  g_test_message ("%s", error->message);
  return error;
}

/* Dovecot's words; the password in no message; nothing stored. */
static void
test_wrong_password (void)
{
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  PasswordSource *wrong = g_new0 (PasswordSource, 1);

  if (!signet_test_servers_need ())
    {
      password_source_free (wrong);
      return;
    }
  path = write_message (&id, 0);
  sent = dovecot_folder ("IMAP_PORT", "starttls", "alice", NULL);
  wrong->password = g_strdup ("not-the-password");
  signet_sent_folder_set_password_func (sent, give_password, wrong, password_source_free);
  error = expect_refused (sent, path, id, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_nonnull (strstr (error->message, "[AUTHENTICATIONFAILED] Authentication failed."));
  g_assert_nonnull (strstr (error->message, signet_test_servers_env ("HOST")));
  g_assert_nonnull (strstr (error->message, "alice"));
  g_assert_null (strstr (error->message, "not-the-password"));
  g_assert_cmpuint (wrong->calls, ==, 1);
  assert_not_stored ("alice", "Sent", id);
}

/* A folder Dovecot will not create: permanent, in its words. */
static void
test_folder_not_created (void)
{
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;

  if (!signet_test_servers_need ())
    return;
  path = write_message (&id, 0);
  sent = dovecot_folder ("IMAPS_PORT", "tls", "bob", "~Kept");
  error = expect_refused (sent, path, id, SIGNET_TRANSPORT_ERROR_PERMANENT);
  g_assert_nonnull (strstr (error->message, "~Kept"));
  g_assert_nonnull (strstr (error->message, "Invalid mailbox name"));
}

/* Nothing listens: temporary, naming the host. */
static void
test_server_down (void)
{
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = write_message (&id, 0);

  sent = signet_sent_folder_new ("127.0.0.1", signet_test_closed_port (), "tls", NULL, NULL);
  error = expect_refused (sent, path, id, SIGNET_TRANSPORT_ERROR_TEMPORARY);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

typedef struct {
  const char *path;
  const char *id;
} UntrustedCase;

static gboolean
append_message (GObject *sent, gpointer data, GError **error)
{
  UntrustedCase *c = data;

  return append_file (SIGNET_SENT_FOLDER (sent), c->path, c->id, NULL, error);
}

static gboolean
dup_untrusted (GObject *sent, char **fingerprint, char **pin)
{
  return signet_sent_folder_dup_untrusted_certificate (SIGNET_SENT_FOLDER (sent), fingerprint, pin);
}

static char *
refuse_password (GObject *source, GCancellable *cancellable, GError **error, gpointer data)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the keyring is locked");
  return NULL;
}

/* No password to log in with: temporary, naming the user, the host and
 * why, and nothing connects (nothing listens there either). */
static void
test_no_password (void)
{
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) refused_error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = write_message (&id, 0);

  sent = signet_sent_folder_new ("127.0.0.1", signet_test_closed_port (), "tls", "alice", NULL);
  error = expect_refused (sent, path, id, SIGNET_TRANSPORT_ERROR_TEMPORARY);
  g_assert_cmpstr (error->message, ==, "No password for alice at 127.0.0.1: none was given");
  signet_sent_folder_set_password_func (sent, refuse_password, NULL, NULL);
  refused_error = expect_refused (sent, path, id, SIGNET_TRANSPORT_ERROR_TEMPORARY);
  g_assert_cmpstr (refused_error->message, ==, "No password for alice at 127.0.0.1: the keyring is locked");
}

/* Without the test CA: the fingerprint and pin of Dovecot's certificate;
 * the pin makes the next append work; a pin of another key does not. One
 * copy is stored, by the append with the pin. */
static void
test_untrusted_certificate (void)
{
  g_autoptr(SignetSentFolder) sent = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  UntrustedCase c = { NULL, NULL };

  if (!signet_test_servers_need ())
    return;
  path = write_message (&id, 0);
  c.path = path;
  c.id = id;
  sent = dovecot_folder ("IMAPS_PORT", "tls", "bob", NULL);
  signet_test_untrusted_story (G_OBJECT (sent), append_message, dup_untrusted, &c);
  assert_stored_once ("bob", "Sent", id, path);
}

/* "none" is for this computer only: refused at once for any other host,
 * before a connection or a password. */
static void
test_none_refused_for_remote (void)
{
  const char *hosts[] = { "192.0.2.1", "imap.example.org", "127.0.0.1.example.org" };
  g_autofree char *id = NULL;
  g_autofree char *path = write_message (&id, 0);

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autoptr(SignetSentFolder) sent = signet_sent_folder_new (hosts[i], 143, "none", "alice", NULL);
      g_autoptr(GError) error = NULL;
      PasswordSource *password = g_new0 (PasswordSource, 1);
      gint64 start = g_get_monotonic_time ();

      password->password = g_strdup ("secret");
      signet_sent_folder_set_password_func (sent, give_password, password, password_source_free);
      error = expect_refused (sent, path, id, SIGNET_TRANSPORT_ERROR_PERMANENT);
      g_assert_nonnull (strstr (error->message, hosts[i]));
      g_assert_nonnull (strstr (error->message, "without TLS"));
      g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
      g_assert_cmpuint (password->calls, ==, 0);
    }
}

typedef struct {
  guint       port;
  const char *security;
  const char *path;
} CancelCase;

static gboolean
append_until_cancelled (gpointer data, GCancellable *cancellable, GError **error)
{
  const CancelCase *c = data;
  g_autoptr(SignetSentFolder) sent = signet_sent_folder_new ("127.0.0.1", c->port, c->security, NULL, NULL);

  g_object_set (sent, "timeout", 60, NULL);
  return append_file (sent, c->path, "<cancelled@example.org>", cancellable, error);
}

/* A server that accepts and never says a word, with and without TLS:
 * cancelling ends the wait at once. */
static void
test_cancel (void)
{
  const char *securities[] = { "none", "tls" };
  guint port;
  g_autoptr(GSocket) silent = signet_test_silent_listener (&port);
  g_autofree char *id = NULL;
  g_autofree char *path = write_message (&id, 0);

  for (guint i = 0; i < G_N_ELEMENTS (securities); i++)
    {
      CancelCase c = { port, securities[i], path };
      signet_test_assert_cancels (append_until_cancelled, &c);
    }
}

int
main (int argc, char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  workdir = signet_test_servers_start ("sent");

  g_test_add_func ("/sent-folder/special-use", test_special_use);
  g_test_add_func ("/sent-folder/named-folder", test_named_folder);
  g_test_add_func ("/sent-folder/same-message-id", test_same_message_id);
  g_test_add_func ("/sent-folder/none-on-loopback", test_none_on_loopback);
  g_test_add_func ("/sent-folder/big-message", test_big_message);
  g_test_add_func ("/sent-folder/wrong-password", test_wrong_password);
  g_test_add_func ("/sent-folder/folder-not-created", test_folder_not_created);
  g_test_add_func ("/sent-folder/server-down", test_server_down);
  g_test_add_func ("/sent-folder/no-password", test_no_password);
  g_test_add_func ("/sent-folder/untrusted-certificate", test_untrusted_certificate);
  g_test_add_func ("/sent-folder/none-refused-for-remote", test_none_refused_for_remote);
  g_test_add_func ("/sent-folder/cancel", test_cancel);
  ret = g_test_run ();

  signet_test_servers_stop ();
  return ret;
}
