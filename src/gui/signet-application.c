#define G_LOG_DOMAIN "signet-application"

#include "signet-application.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "signet-account.h"
#include "signet-compose-window.h"
#include "signet-delivery.h"
#include "signet-demo.h"
#include "signet-dialogs.h"
#include "signet-drafts.h"
#include "signet-drafts-actions.h"
#include "signet-i18n.h"
#include "signet-key-directory.h"
#include "signet-local-transport.h"
#include "signet-mailto.h"
#include "signet-mainloop-probe.h"
#include "signet-network.h"
#include "signet-outbox.h"
#include "signet-outbox-actions.h"
#include "signet-preferences-window.h"
#include "signet-report-text.h"
#include "signet-send-operation.h"
#include "signet-store.h"

struct _SignetApplication
{
  AdwApplication       parent_instance;

  GSettings           *settings;
  SignetNetwork       *network;
  SignetOutbox        *outbox;
  SignetDelivery      *delivery;
  SignetAccount       *account;    /* one for delivery and Preferences: session passwords live here */
  SignetSendOperation *operation;
  SignetDrafts        *drafts;
  GCancellable        *cancellable;
  GPtrArray           *pending;   /* SignetMessage to open once services are up */
  gboolean             demo;
  gboolean             making_home;  /* the demo's GnuPG home, in a worker */
  gboolean             holding_for_outbox;
  gboolean             quitting;  /* app.quit is asking each composer in turn */
  gboolean             exiting;   /* SIGTERM or logout: saving drafts, then quit */
  guint                exit_deadline_id;
  guint                exit_step_id;
  guint                logout_cookie;
  guint                sigterm_id;
  guint                sigint_id;
  guint                sighup_id;
};

/* Long enough for gpg to seal a few drafts; short enough that a session
 * ending is not held up by one that hangs. */
#define EXIT_DEADLINE_SECONDS 10
/* A sealed draft waits for the demo's home while it is being made: the
 * ten seconds start once it is, unless making it hangs. */
#define HOME_DEADLINE_SECONDS 60

G_DEFINE_FINAL_TYPE (SignetApplication, signet_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Use the demo directory and the local store"), NULL },
  { "offline", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Start in Work Offline mode"), NULL },
  { "to", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
    N_("Add a recipient"), N_("ADDRESS") },
  { "cc", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
    N_("Add a Cc recipient"), N_("ADDRESS") },
  { "subject", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Set the subject"), N_("TEXT") },
  { "attach", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL,
    N_("Attach a file"), N_("FILE") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and quit"), NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
    NULL, N_("[MAILTO-LINK…]") },
  { NULL }
};

static char *
data_path (const char *name)
{
  return g_build_filename (g_get_user_data_dir (), "signet", name, NULL);
}

static SignetComposeWindow *
open_compose_window (SignetApplication *self, SignetMessage *message)
{
  g_autofree char *identity = NULL;
  SignetComposeWindow *window;

  identity = self->demo ? g_strdup (SIGNET_DEMO_IDENTITY)
                        : g_settings_get_string (self->settings, "identity");
  window = signet_compose_window_new (GTK_APPLICATION (self), self->operation, self->network, identity);
  g_object_set (window, "seal", g_settings_get_boolean (self->settings, "seal-by-default"), NULL);
  /* On once the sender is known to have a key that signs. */
  signet_compose_window_set_sign_by_default (window, g_settings_get_boolean (self->settings, "sign-by-default"));
  /* Each composer keeps one draft of itself, saved as typing stops. */
  if (self->drafts != NULL)
    signet_compose_window_set_drafts (window, self->drafts, NULL);
  if (message != NULL)
    signet_compose_window_load_message (window, message);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static GtkWindow *
open_message (GtkApplication *application, SignetMessage *message)
{
  return GTK_WINDOW (open_compose_window (SIGNET_APPLICATION (application), message));
}

static void
open_pending (SignetApplication *self)
{
  g_autoptr(GPtrArray) pending = g_steal_pointer (&self->pending);

  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < pending->len; i++)
    open_compose_window (self, g_ptr_array_index (pending, i));
}

static void
on_startup_flush (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!signet_outbox_flush_finish (SIGNET_OUTBOX (object), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Outbox delivery failed: %s", error->message);
}

/* Like Evolution, keep running while mail waits in Outbox, so it leaves when
 * the network comes back even after the last window was closed. */
static void
on_queue_changed (SignetOutbox      *outbox,
                  GParamSpec        *pspec,
                  SignetApplication *self)
{
  gboolean queued = signet_outbox_get_n_queued (outbox) > 0 || signet_outbox_get_busy (outbox);

  if (queued == self->holding_for_outbox)
    return;
  self->holding_for_outbox = queued;
  if (queued)
    g_application_hold (G_APPLICATION (self));
  else
    g_application_release (G_APPLICATION (self));
}

static gboolean on_exit_deadline (gpointer user_data);

static void
demo_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (signet_demo_ensure_directory (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_demo_home_made (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignetApplication *self = SIGNET_APPLICATION (object);
  g_autoptr(SignetKeyDirectory) directory = user_data;
  g_autoptr(GError) error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  self->making_home = FALSE;
  signet_key_directory_release_home (directory, error);
  if (self->exiting && self->exit_deadline_id != 0)
    {
      g_source_remove (self->exit_deadline_id);
      self->exit_deadline_id = g_timeout_add_seconds (EXIT_DEADLINE_SECONDS, on_exit_deadline, self);
    }
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      AdwMessageDialog *dialog;

      g_printerr ("%s\n", error->message);
      /* The composer stays, with what was typed: only key management
       * fails, with this same message. */
      dialog = signet_dialogs_error (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                     _("The Demo Directory Could Not Be Created"), error->message);
      gtk_window_set_application (GTK_WINDOW (dialog), GTK_APPLICATION (self));
    }
  g_application_release (G_APPLICATION (self));
}

/* Makes the demo's GnuPG home off the main loop (on first use it is
 * written from the resources; later it is only looked at). */
static void
make_demo_home (SignetApplication *self, SignetKeyDirectory *directory, const char *homedir)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, on_demo_home_made, g_object_ref (directory));

  signet_key_directory_hold_home (directory);
  self->making_home = TRUE;
  g_application_hold (G_APPLICATION (self));
  g_task_set_task_data (task, g_strdup (homedir), g_free);
  g_task_run_in_thread (task, demo_thread);
}

static void
create_services (SignetApplication *self)
{
  g_autofree char *homedir = self->demo ? data_path ("demo-gnupg") : NULL;
  g_autofree char *mail = data_path ("Mail");
  g_autofree char *local = data_path ("Local");
  g_autofree char *session = data_path ("session.gvariant");
  g_autoptr(SignetKeyDirectory) directory = signet_key_directory_new (homedir, self->network);
  g_autoptr(SignetStore) store = signet_store_new (mail);
  g_autoptr(SignetLocalTransport) transport = signet_local_transport_new (local);

  /* The key chosen for an address that has several is remembered. */
  signet_key_directory_set_settings (directory, self->settings);
  /* The demo's home is made (on first use) while the composer is shown;
   * GnuPG work in it waits until then. */
  if (self->demo)
    make_demo_home (self, directory, homedir);
  self->outbox = signet_outbox_new (self->network, store, SIGNET_TRANSPORT (transport));
  /* The demo always delivers on this computer; otherwise the account says. */
  if (!self->demo)
    self->delivery = signet_delivery_new (self->account, self->outbox, local);
  self->operation = signet_send_operation_new (directory, store, self->outbox);
  /* The organisation's directory and keyservers, when set up. */
  {
    g_autoptr(SignetDirectoryServers) servers = signet_directory_servers_new (directory, homedir);

    signet_directory_servers_set_settings (servers, self->settings);
    signet_send_operation_set_directory_servers (self->operation, servers);
  }
  signet_outbox_actions_install (GTK_APPLICATION (self), self->outbox, self->delivery, self->account, directory,
                                 open_message);
  g_settings_bind (self->settings, "encrypt-subject", self->operation, "encrypt-subject", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "own-key", self->operation, "own-key", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "prefer-smime", self->operation, "prefer-smime", G_SETTINGS_BIND_GET);
  self->drafts = signet_drafts_new (self->operation, store, session);
  signet_drafts_actions_install (GTK_APPLICATION (self), self->drafts, open_message);
  /* Drafts of composers still open when an earlier run ended badly. */
  signet_drafts_actions_offer_recovery (GTK_APPLICATION (self));
  g_signal_connect_object (self->outbox, "notify::n-queued", G_CALLBACK (on_queue_changed), self, 0);
  g_signal_connect_object (self->outbox, "notify::busy", G_CALLBACK (on_queue_changed), self, 0);
  /* Whatever waited in Outbox from an earlier run leaves now if it can. */
  signet_outbox_flush_async (self->outbox, self->cancellable, on_startup_flush, NULL);
}

/* Opens a composer for each pending message; the services start with the
 * first. */
static void
open_when_ready (SignetApplication *self)
{
  if (self->operation == NULL)
    create_services (self);
  open_pending (self);
}

static void
signet_application_activate (GApplication *app)
{
  SignetApplication *self = SIGNET_APPLICATION (app);

  g_ptr_array_add (self->pending, signet_message_new ());
  open_when_ready (self);
}

static void
show_link_error (SignetApplication *self, GApplicationCommandLine *cmdline, const GError *error)
{
  AdwMessageDialog *dialog;

  g_application_command_line_printerr (cmdline, "%s\n", error->message);
  dialog = signet_dialogs_error (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                 _("Cannot Open Mail Link"), error->message);
  gtk_window_set_application (GTK_WINDOW (dialog), GTK_APPLICATION (self));
}

/* `signet --demo` while this instance uses the user's own keyring: the two
 * cannot share one process, and quietly opening a composer on the real
 * keyring would be worse than saying no. */
static void
refuse_demo (SignetApplication *self, GApplicationCommandLine *cmdline)
{
  const char *reason = _("Signet is already running with your own keyring. Quit it to use the demo directory.");
  AdwMessageDialog *dialog;

  g_application_command_line_printerr (cmdline, "%s\n", reason);
  dialog = signet_dialogs_error (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                 _("Signet Is Already Running"), reason);
  gtk_window_set_application (GTK_WINDOW (dialog), GTK_APPLICATION (self));
}

/* Adds the addresses of every --to (or --cc) option to @message. */
static gboolean
add_option_addresses (GVariantDict  *opts,
                      const char    *option,
                      SignetMessage *message,
                      void         (*add) (SignetMessage *, const SignetAddress *),
                      gboolean      *any,
                      GError       **error)
{
  g_autofree const char **values = NULL;

  if (!g_variant_dict_lookup (opts, option, "^a&s", &values))
    return TRUE;
  for (guint i = 0; values[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) list = signet_address_parse_list (values[i], error);

      if (list == NULL)
        return FALSE;
      for (guint j = 0; j < list->len; j++)
        add (message, g_ptr_array_index (list, j));
      *any = TRUE;
    }
  return TRUE;
}

/* --to/--cc/--subject/--attach as one message; NULL if none was given. */
static SignetMessage *
message_from_options (GVariantDict *opts, GApplicationCommandLine *cmdline, GError **error)
{
  g_autoptr(SignetMessage) message = signet_message_new ();
  g_auto(GStrv) attach = NULL;
  const char *subject = NULL;
  gboolean any = FALSE;

  if (!add_option_addresses (opts, "to", message, signet_message_add_to, &any, error) ||
      !add_option_addresses (opts, "cc", message, signet_message_add_cc, &any, error))
    return NULL;
  if (g_variant_dict_lookup (opts, "subject", "&s", &subject))
    {
      if (!signet_header_check (subject, error))
        return NULL;
      signet_message_set_subject (message, subject);
      any = TRUE;
    }
  if (g_variant_dict_lookup (opts, "attach", "^aay", &attach))
    for (guint i = 0; attach[i] != NULL; i++, any = TRUE)
      {
        g_autoptr(GFile) file = g_application_command_line_create_file_for_arg (cmdline, attach[i]);
        g_autoptr(SignetAttachment) attachment = signet_attachment_new (file, NULL, NULL, 0);

        signet_message_add_attachment (message, attachment);
      }
  return any ? g_steal_pointer (&message) : NULL;
}

/* Each invocation (this one or a later one, forwarded to this instance) opens
 * a composer per mailto: link, or one from the options, or a blank one. */
static int
signet_application_command_line (GApplication *app, GApplicationCommandLine *cmdline)
{
  SignetApplication *self = SIGNET_APPLICATION (app);
  GVariantDict *opts = g_application_command_line_get_options_dict (cmdline);
  g_autoptr(SignetMessage) from_options = NULL;
  g_autofree const char **links = NULL;
  g_autoptr(GError) error = NULL;
  guint before = self->pending->len;
  int status = 0;

  /* This invocation may be a second one, forwarded here: what it asks of
   * the running instance is done, or refused out loud. */
  if (g_variant_dict_contains (opts, "demo") && !self->demo)
    {
      refuse_demo (self, cmdline);
      return 1;
    }
  if (g_variant_dict_contains (opts, "offline"))
    g_settings_set_boolean (self->settings, "work-offline", TRUE);

  from_options = message_from_options (opts, cmdline, &error);
  if (error != NULL)
    {
      show_link_error (self, cmdline, error);
      return 1;
    }
  if (from_options != NULL)
    g_ptr_array_add (self->pending, g_steal_pointer (&from_options));
  if (g_variant_dict_lookup (opts, G_OPTION_REMAINING, "^a&s", &links))
    for (guint i = 0; links[i] != NULL; i++)
      {
        g_autoptr(GError) link_error = NULL;
        SignetMessage *message = signet_mailto_parse (links[i], &link_error);

        if (message == NULL)
          {
            show_link_error (self, cmdline, link_error);
            status = 1;
            continue;
          }
        g_ptr_array_add (self->pending, message);
      }
  if (self->pending->len == before && status == 0)
    g_ptr_array_add (self->pending, signet_message_new ());
  open_when_ready (self);
  return status;
}

static int
signet_application_handle_local_options (GApplication *app, GVariantDict *opts)
{
  SignetApplication *self = SIGNET_APPLICATION (app);

  if (g_variant_dict_contains (opts, "version"))
    {
      g_print ("signet %s\n", PACKAGE_VERSION);
      return 0;
    }
  /* Here, in the process that was started. If another instance already
   * runs, it gets these options with the command line and decides. */
  self->demo = g_variant_dict_contains (opts, "demo");
  return -1;
}

static void
about_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  const char *developers[] = { "The Signet developers", NULL };

  adw_show_about_window (gtk_application_get_active_window (app),
                         "application-name", _("Signet"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Compose and send sealed mail"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}

static void
preferences_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  SignetApplication *self = SIGNET_APPLICATION (user_data);
  SignetPreferencesWindow *window;

  window = signet_preferences_window_new_for_account (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                                      self->account,
                                                      self->operation ? signet_send_operation_get_directory (self->operation) : NULL,
                                                      self->demo ? SIGNET_DEMO_IDENTITY : NULL);
  gtk_window_present (GTK_WINDOW (window));
}

static void
new_message_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  /* Activating the application is exactly "open a blank composer". */
  g_application_activate (G_APPLICATION (user_data));
}

/* Quitting on purpose leaves queued mail for the next start: let go of the
 * Outbox's hold, and do not take it again while shutting down. */
static void
stop_holding_for_outbox (SignetApplication *self)
{
  if (self->outbox != NULL)
    g_signal_handlers_disconnect_by_func (self->outbox, on_queue_changed, self);
  if (self->holding_for_outbox)
    {
      self->holding_for_outbox = FALSE;
      g_application_release (G_APPLICATION (self));
    }
}

/* Every window but composers that are finishing a send out of sight; those
 * close themselves when it is done (and come back if it fails). */
static void
destroy_windows (SignetApplication *self, gboolean spare_busy)
{
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  for (GList *l = windows; l != NULL; l = l->next)
    {
      if (spare_busy && SIGNET_IS_COMPOSE_WINDOW (l->data) &&
          signet_compose_window_get_busy (l->data))
        continue;
      gtk_window_destroy (l->data);
    }
}

static void quit_next (SignetApplication *self);

static void
on_closed_for_quit (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetApplication) self = user_data;

  if (!self->quitting)
    return;
  if (!signet_compose_window_request_close_finish (NULL, result, NULL))
    {
      /* Cancel, or a draft that could not be saved: Signet keeps running. */
      self->quitting = FALSE;
      return;
    }
  quit_next (self);
}

/* Asks each composer in turn, as closing it would (Save Draft, Discard,
 * Cancel), showing the one it asks about; Cancel in any stops the quit. One
 * question at a time keeps each answer next to the message it is about. */
static void
quit_next (SignetApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      if (!SIGNET_IS_COMPOSE_WINDOW (l->data) || !gtk_widget_get_visible (l->data))
        continue;
      signet_compose_window_request_close_async (l->data, on_closed_for_quit, g_object_ref (self));
      return;
    }
  self->quitting = FALSE;
  stop_holding_for_outbox (self);
  destroy_windows (self, TRUE);
}

static void
quit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  SignetApplication *self = SIGNET_APPLICATION (user_data);

  if (self->quitting || self->exiting)
    return;
  self->quitting = TRUE;
  quit_next (self);
}

static void
finish_exit (SignetApplication *self)
{
  g_clear_handle_id (&self->exit_deadline_id, g_source_remove);
  g_clear_handle_id (&self->exit_step_id, g_source_remove);
  destroy_windows (self, FALSE);
  if (self->logout_cookie != 0)
    gtk_application_uninhibit (GTK_APPLICATION (self), self->logout_cookie);
  self->logout_cookie = 0;
  g_application_quit (G_APPLICATION (self));
}

/* Saves each unsaved composer once, waits for every send and save in
 * flight, then quits. */
static gboolean
exit_step (gpointer user_data)
{
  SignetApplication *self = user_data;
  gboolean waiting = FALSE;

  self->exit_step_id = 0;
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      SignetComposeWindow *window = l->data;

      if (!SIGNET_IS_COMPOSE_WINDOW (window))
        continue;
      if (!signet_compose_window_get_busy (window) &&
          signet_compose_window_get_modified (window) &&
          g_object_get_data (G_OBJECT (window), "signet-exit-saved") == NULL)
        {
          g_object_set_data (G_OBJECT (window), "signet-exit-saved", GINT_TO_POINTER (TRUE));
          signet_compose_window_save_for_exit (window);
        }
      waiting |= signet_compose_window_get_busy (window);
    }
  if (!waiting)
    finish_exit (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_exit_step (SignetApplication *self)
{
  if (self->exit_step_id == 0)
    self->exit_step_id = g_idle_add (exit_step, self);
}

static gboolean
on_exit_deadline (gpointer user_data)
{
  SignetApplication *self = user_data;

  self->exit_deadline_id = 0;
  g_warning ("Exiting before every draft was saved: saving took longer than %d seconds", EXIT_DEADLINE_SECONDS);
  finish_exit (self);
  return G_SOURCE_REMOVE;
}

/* The session ends (SIGTERM, logout) and no one can be asked: every
 * composer with unsaved changes is saved as a draft (sealed to the sender's
 * own key when Seal is on), sends in flight finish, then Signet quits. A
 * draft that cannot be saved is logged and does not hold up the exit. */
static void
start_exit (SignetApplication *self)
{
  if (self->exiting)
    return;
  self->exiting = TRUE;
  self->quitting = FALSE;
  stop_holding_for_outbox (self);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (SIGNET_IS_COMPOSE_WINDOW (l->data))
      g_signal_connect_object (l->data, "notify::busy", G_CALLBACK (schedule_exit_step), self, G_CONNECT_SWAPPED);
  self->exit_deadline_id = g_timeout_add_seconds (self->making_home ? HOME_DEADLINE_SECONDS : EXIT_DEADLINE_SECONDS,
                                                  on_exit_deadline, self);
  schedule_exit_step (self);
}

static gboolean
needs_saving (SignetApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (SIGNET_IS_COMPOSE_WINDOW (l->data) &&
        (signet_compose_window_get_modified (l->data) || signet_compose_window_get_busy (l->data)))
      return TRUE;
  return FALSE;
}

/* The session manager asks whether the session may end: hold it off while
 * unsaved messages are saved as drafts. */
static void
on_query_end (GtkApplication *app, SignetApplication *self)
{
  if (self->exiting || !needs_saving (self))
    return;
  self->logout_cookie = gtk_application_inhibit (app, NULL, GTK_APPLICATION_INHIBIT_LOGOUT,
                                                 _("Saving unsent messages as drafts"));
  start_exit (self);
}

/* SIGTERM (session end, `kill`), SIGINT and SIGHUP: save drafts, then
 * quit. A second signal does not cut short the drafts being saved (the exit
 * deadline still bounds them): Ctrl+C pressed twice must not lose them. */
static gboolean
on_quit_signal (gpointer user_data)
{
  SignetApplication *self = user_data;

  if (!self->exiting)
    start_exit (self);
  return G_SOURCE_CONTINUE;
}

static void
signet_application_startup (GApplication *app)
{
  SignetApplication *self = SIGNET_APPLICATION (app);
  static const GActionEntry actions[] = {
    { .name = "about", .activate = about_action },
    { .name = "new-message", .activate = new_message_action },
    { .name = "preferences", .activate = preferences_action },
    { .name = "quit", .activate = quit_action },
  };
  g_autoptr(GAction) work_offline = NULL;
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (signet_application_parent_class)->startup (app);
  /* Off unless the benchmark asks for it. */
  signet_mainloop_probe_start ();

  self->settings = g_settings_new (APP_ID);
  self->account = signet_account_new (self->settings);
  self->network = signet_network_new (NULL);
  g_settings_bind (self->settings, "work-offline", self->network, "work-offline", G_SETTINGS_BIND_DEFAULT);

  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  work_offline = g_settings_create_action (self->settings, "work-offline");
  g_action_map_add_action (G_ACTION_MAP (app), work_offline);

  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.new-message", (const char *[]) { "<Control>n", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay",
                                         (const char *[]) { "<Control>question", NULL });
  self->sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, app);
  self->sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, app);
  /* The terminal Signet was started from is closed. */
  self->sighup_id = g_unix_signal_add (SIGHUP, on_quit_signal, app);
  g_signal_connect (app, "query-end", G_CALLBACK (on_query_end), self);

  gtk_css_provider_load_from_resource (css, "/io/github/signetmail/Signet/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

/* Waits until @deadline (monotonic time) while GnuPG programs (or its
 * daemons) run on @homedir; TRUE if none is left. */
static gboolean
wait_for_gnupg_on (const char *homedir, gboolean daemons, gint64 deadline)
{
  while (signet_gnupg_runs_on (homedir, daemons))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (10 * 1000);
    }
  return TRUE;
}

/* The demo directory is ours: stop the daemons GnuPG started in it (the
 * agent, and dirmngr for its keyservers), so nothing of Signet outlives it
 * (in a Flatpak they would keep the sandbox running). The user's own are
 * left alone. A gpg still running may start the agent again after it was
 * stopped: it is waited for, and the agent stopped again until neither is
 * left. Three seconds at most: a gpg the user started by hand on the demo
 * keyring does not hold up the quit. */
static void
stop_demo_gnupg (void)
{
  g_autofree char *data = data_path ("demo-gnupg");
  g_autofree char *homedir = g_canonicalize_filename (data, NULL);
  const char *argv[] = { "gpgconf", "--homedir", homedir, "--kill", "all", NULL };
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gint64 clients = MIN (deadline, g_get_monotonic_time () + 2 * G_USEC_PER_SEC);

      wait_for_gnupg_on (homedir, FALSE, clients);
      if (!g_spawn_sync (NULL, (char **) argv, NULL,
                         G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                         NULL, NULL, NULL, NULL, NULL, &error))
        {
          g_debug ("Could not stop the demo gpg-agent: %s", error->message);
          return;
        }
      if (wait_for_gnupg_on (homedir, TRUE, MIN (deadline, g_get_monotonic_time () + G_USEC_PER_SEC)) &&
          !signet_gnupg_runs_on (homedir, FALSE))
        return;
      if (g_get_monotonic_time () >= deadline)
        {
          g_debug ("GnuPG still runs on the demo keyring");
          return;
        }
    }
}

static void
signet_application_shutdown (GApplication *app)
{
  SignetApplication *self = SIGNET_APPLICATION (app);

  signet_mainloop_probe_stop ();
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->exit_deadline_id, g_source_remove);
  g_clear_handle_id (&self->exit_step_id, g_source_remove);
  /* Nothing starts GnuPG from now on; what runs ends (or is given two
   * seconds) before the demo's agent is stopped, so it stays stopped. */
  if (self->operation != NULL && signet_send_operation_get_directory (self->operation) != NULL)
    signet_key_directory_close (signet_send_operation_get_directory (self->operation));
  /* A clean end: the drafts still open are not offered at the next start. */
  if (self->drafts != NULL)
    signet_drafts_shutdown (self->drafts);
  if (self->demo)
    stop_demo_gnupg ();
  /* Until here a SIGTERM (the session ending, as Signet already is) only
   * waits in GLib's watch; from here on Signet is done and ignores it,
   * rather than being killed on its way out with what is left undone. */
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sighup_id, g_source_remove);
  signal (SIGTERM, SIG_IGN);
  signal (SIGINT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  G_APPLICATION_CLASS (signet_application_parent_class)->shutdown (app);
}

static void
signet_application_dispose (GObject *object)
{
  SignetApplication *self = SIGNET_APPLICATION (object);

  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_object (&self->drafts);
  g_clear_object (&self->operation);
  g_clear_object (&self->delivery);
  g_clear_object (&self->account);
  g_clear_object (&self->outbox);
  g_clear_object (&self->network);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (signet_application_parent_class)->dispose (object);
}

static void
signet_application_class_init (SignetApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = signet_application_dispose;
  app_class->activate = signet_application_activate;
  app_class->startup = signet_application_startup;
  app_class->shutdown = signet_application_shutdown;
  app_class->handle_local_options = signet_application_handle_local_options;
  app_class->command_line = signet_application_command_line;
}

static void
signet_application_init (SignetApplication *self)
{
  self->cancellable = g_cancellable_new ();
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

SignetApplication *
signet_application_new (void)
{
  /* No resource base path: Signet loads its style sheet itself, and has no
   * icons, menus or help overlay for GTK and libadwaita to look for there.
   * With one, libadwaita would load the style sheet a second time, and GTK
   * would add a path to the icon theme, which throws away the theme GTK has
   * just read in a thread: the window's first icon would read it again,
   * before the first frame. */
  return g_object_new (SIGNET_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "resource-base-path", NULL,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "register-session", TRUE,
                       NULL);
}
