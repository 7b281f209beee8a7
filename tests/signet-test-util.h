#pragma once

#include <gio/gio.h>

#include "signet-local-transport.h"
#include "signet-send-operation.h"

G_BEGIN_DECLS

#define SIGNET_TYPE_TEST_MONITOR (signet_test_monitor_get_type ())
G_DECLARE_FINAL_TYPE (SignetTestMonitor, signet_test_monitor, SIGNET, TEST_MONITOR, GObject)

SignetTestMonitor *signet_test_monitor_new           (gboolean available);
void               signet_test_monitor_set_available (SignetTestMonitor *self,
                                                      gboolean           available);

/* The core services over a fresh temporary store, as the application wires
 * them, with a network monitor the test controls. */
typedef struct {
  char                 *dir;
  char                 *mail;    /* the store's root */
  SignetTestMonitor    *monitor;
  SignetNetwork        *network;
  SignetKeyDirectory   *directory;
  SignetStore          *store;
  SignetLocalTransport *transport;
  SignetOutbox         *outbox;
  SignetSendOperation  *operation;
  gboolean              keep_dir;  /* the caller owns dir */
} SignetTestServices;

/* What a send, a draft or a check came back with. */
typedef struct {
  gboolean          done;
  gboolean          ok;
  SignetSendReport *report;
  GPtrArray        *key_results;
  GError           *error;
} SignetTestOutcome;

void       signet_test_outcome_clear    (SignetTestOutcome *outcome);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SignetTestOutcome, signet_test_outcome_clear)
void       signet_test_on_sent          (GObject      *object,
                                         GAsyncResult *result,
                                         gpointer      outcome);
void       signet_test_on_draft         (GObject      *object,
                                         GAsyncResult *result,
                                         gpointer      outcome);
gboolean   signet_test_outcome_done     (gpointer      outcome);

void       signet_test_services_init    (SignetTestServices *services,
                                         const char         *homedir,
                                         gboolean            online);
void       signet_test_services_init_at (SignetTestServices *services,
                                         const char         *homedir,
                                         const char         *dir,
                                         gboolean            online);
void       signet_test_services_clear   (SignetTestServices *services);

char      *signet_test_make_gnupghome   (void);
/* A GnuPG home with a key pair for pass@example.org whose passphrase is
 * asked for by a pinentry that always answers Cancel, and a key pair for
 * alice@example.org. */
char      *signet_test_make_cancelling_gnupghome (void);
void       signet_test_remove_gnupghome (char       *homedir);
void       signet_test_add_key          (const char *homedir,
                                         const char *user_id);
char      *signet_test_make_tmpdir      (void);
void       signet_test_remove_tree      (const char *path);
char      *signet_test_gpg_output       (const char *homedir,
                                         const char *const *args,
                                         const char *input_path,
                                         gboolean    expect_success);
char      *signet_test_extract_ciphertext (const char *message_path);
char      *signet_test_decrypt_message  (const char *homedir,
                                         const char *message_path);
GStrv      signet_test_packet_keyids    (const char *homedir,
                                         const char *message_path);
GStrv      signet_test_key_ids          (const char *homedir,
                                         const char *const *emails);
char      *signet_test_key_id           (const char *homedir,
                                         const char *email);
guint      signet_test_count_files      (const char *dir);
char      *signet_test_read_file        (const char *path);
SignetMessage *signet_test_new_message  (gboolean    seal,
                                         const char *to,
                                         const char *cc,
                                         const char *bcc);
char      *signet_test_read_clear_text  (const char *path);
void       signet_test_run_for          (guint       ms);
void       signet_test_wait_until       (gboolean  (*predicate) (gpointer),
                                         gpointer    data);
char      *signet_test_fingerprint      (SignetKeyDirectory *directory,
                                         const char         *email);

/* Real mail servers (tests/servers/mailservers.py: Postfix and Dovecot on
 * 127.0.0.1), started once for the test program below a new directory
 * /tmp/signet-@name-XXXXXX, which is returned (the test may keep its files
 * there too). They stop, and the directory is removed, when the process
 * ends however it ends. When they cannot run here (not root, not
 * installed) signet_test_servers_need() skips the test. */
const char *signet_test_servers_start    (const char *name);
const char *signet_test_servers_start_script (const char *script_name,
                                          const char *name);
void        signet_test_servers_stop     (void);
gboolean    signet_test_servers_need     (void);
gboolean    signet_test_servers_available (void);
const char *signet_test_servers_env      (const char *key);
char       *signet_test_servers_user_env (const char *user,
                                          const char *suffix);
char       *signet_test_servers_script   (const char *name);
/* Runs "SCRIPT COMMAND DIR [NAME]" of tests/servers/ on the servers that
 * are running (their DIR); a failure fails the test. */
void        signet_test_servers_run      (const char *script_name,
                                          const char *command,
                                          const char *name);
/* @email's key status in @directory, asked as Send asks. */
SignetKeyStatus signet_test_key_status   (SignetKeyDirectory *directory,
                                          const char         *email);
/* How many messages @folder of the Maildir @mail holds (new/ and cur/). */
guint       signet_test_count_messages   (const char *mail,
                                          const char *folder);
/* The copy @email received in the mail servers under @dir, once it is
 * there, decrypted with the servers' KEYS_HOME. */
char       *signet_test_received_plain   (const char *dir,
                                          const char *email);
/* The paths of the messages in @maildir's new/ and cur/ that contain @marker. */
GPtrArray  *signet_test_maildir_find     (const char *maildir,
                                          const char *marker);
/* A socket on 127.0.0.1 whose connections the kernel completes and nobody
 * ever speaks on; and a port nothing listens on. */
GSocket    *signet_test_silent_listener  (guint      *port);
guint       signet_test_closed_port      (void);
/* Cancels @cancellable from another thread after @delay_ms; join it. */
GThread    *signet_test_cancel_later     (GCancellable *cancellable,
                                          guint         delay_ms);

char       *signet_test_other_pin        (void);
void        signet_test_assert_untrusted (const GError *error,
                                          const char   *fingerprint,
                                          const char   *pin);
/* A GAsyncReadyCallback that keeps the result in *(GAsyncResult **)
 * @result_out, and a predicate for signet_test_wait_until(). */
void        signet_test_store_result     (GObject      *source,
                                          GAsyncResult *result,
                                          gpointer      result_out);
gboolean    signet_test_has_result       (gpointer      result_out);
typedef gboolean (*SignetTestCancellableFunc) (gpointer       data,
                                               GCancellable  *cancellable,
                                               GError       **error);
void        signet_test_assert_cancels   (SignetTestCancellableFunc  run,
                                          gpointer                   data);

typedef gboolean (*SignetTestAttemptFunc) (GObject  *client,
                                           gpointer  data,
                                           GError  **error);
typedef gboolean (*SignetTestDupUntrustedFunc) (GObject  *client,
                                                char    **fingerprint,
                                                char    **pin);
void        signet_test_untrusted_story  (GObject                    *client,
                                          SignetTestAttemptFunc       attempt,
                                          SignetTestDupUntrustedFunc  dup,
                                          gpointer                    data);

GTestDBus *signet_test_private_session_up   (const char *root);
void       signet_test_private_session_down (GTestDBus  *bus);
void       signet_test_start_session_keyring        (void);

/* How many messages Postfix has yet to deliver. */
guint       signet_test_servers_queued          (void);

/* A scripted SMTP server (tests/servers/faultsmtp.py, see its scenarios)
 * in the new directory @dir, on @port of 127.0.0.1 (0: any free one). It
 * ends when stopped or when this process ends. */
typedef struct {
  GSubprocess *process;
  char        *dir;
  guint        port;
} SignetTestFaultServer;

void        signet_test_fault_server_start      (SignetTestFaultServer *server,
                                                 const char            *dir,
                                                 const char            *scenario,
                                                 guint                  port);
void        signet_test_fault_server_stop       (SignetTestFaultServer *server);
/* One line per thing that happened: "CONNECT", "DATA-BYTES n", "DELIVERED a,b". */
char       *signet_test_fault_server_events     (SignetTestFaultServer *server);
char       *signet_test_fault_server_wait_event (SignetTestFaultServer *server,
                                                 const char            *what);
guint       signet_test_fault_server_n_messages (SignetTestFaultServer *server);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SignetTestFaultServer, signet_test_fault_server_stop)

/* A gnome-keyring-daemon (secrets only, unlocked) on the session bus, which
 * must be the test's own; its messages go to @log_path. */
GSubprocess *signet_test_start_keyring          (const char            *log_path);
void        signet_test_stop_keyring            (GSubprocess           *daemon);
/* Counts the regular files below @path; fails if one contains a secret. */
guint       signet_test_assert_no_file_contains (const char            *path,
                                                 const char * const    *secrets);

GStrv       signet_test_gpg_fingerprints (const char *homedir,
                                          const char *email,
                                          gboolean    secret);

G_END_DECLS
