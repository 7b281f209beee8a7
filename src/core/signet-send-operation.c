#define G_LOG_DOMAIN "signet-send-operation"

#include "signet-send-operation.h"

#include "signet-key-directory-private.h"
#include "signet-sealer.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "signet-errors.h"
#include "signet-i18n.h"

/* The only place that decides how a message leaves: validation, the offline
 * rule for sealed mail, key resolution, sealing, queueing in Outbox and
 * handing the queue to delivery. */
struct _SignetSendOperation
{
  GObject             parent_instance;

  SignetKeyDirectory *directory;
  SignetSealer       *sealer;
  SignetStore        *store;
  SignetOutbox       *outbox;
  gboolean            encrypt_subject;
  char               *own_key;
};

G_DEFINE_FINAL_TYPE (SignetSendOperation, signet_send_operation, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (SignetSendReport, signet_send_report, signet_send_report_copy, signet_send_report_free)

enum {
  PROP_0,
  PROP_ENCRYPT_SUBJECT,
  PROP_OWN_KEY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

SignetSendReport *
signet_send_report_copy (const SignetSendReport *report)
{
  SignetSendReport *copy = g_memdup2 (report, sizeof *report);

  copy->own_fingerprint = g_strdup (report->own_fingerprint);
  copy->undelivered = g_strdupv (report->undelivered);
  return copy;
}

void
signet_send_report_free (SignetSendReport *report)
{
  if (report == NULL)
    return;
  g_free (report->own_fingerprint);
  g_strfreev (report->undelivered);
  g_free (report);
}

typedef struct {
  SignetMessage *message;
  GPtrArray     *key_results;
  SignetFolder   folder;
  gboolean       delivered;
} SendData;

static void
send_data_free (SendData *data)
{
  g_clear_object (&data->message);
  g_clear_pointer (&data->key_results, g_ptr_array_unref);
  g_free (data);
}

static GTask *
new_task (SignetSendOperation *self,
          SignetMessage       *message,
          SignetFolder         folder,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  SendData *data = g_new0 (SendData, 1);

  g_task_set_source_tag (task, source_tag);
  data->message = g_object_ref (message);
  data->folder = folder;
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);
  return task;
}

/* One message file to write: who it is for and, when sealed, whose keys. */
typedef struct {
  GPtrArray *envelope;      /* char * addr-specs */
  GPtrArray *fingerprints;  /* char *, NULL-terminated; NULL for cleartext */
  char      *tmp_path;
  char      *final_path;
} Copy;

static void copy_free (Copy *copy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Copy, copy_free)

static void
copy_free (Copy *copy)
{
  g_ptr_array_unref (copy->envelope);
  g_clear_pointer (&copy->fingerprints, g_ptr_array_unref);
  if (copy->tmp_path != NULL)
    signet_store_discard (copy->tmp_path);
  g_free (copy->tmp_path);
  g_free (copy->final_path);
  g_free (copy);
}

static Copy *
copy_new (gboolean sealed)
{
  Copy *copy = g_new0 (Copy, 1);

  copy->envelope = g_ptr_array_new_with_free_func (g_free);
  if (sealed)
    copy->fingerprints = g_ptr_array_new_with_free_func (g_free);
  return copy;
}

static void
copy_add (Copy *copy, const SignetAddress *address, GPtrArray *key_results)
{
  g_ptr_array_add (copy->envelope, g_strdup (address->email));
  if (copy->fingerprints != NULL)
    {
      const SignetKeyResult *r = signet_key_results_lookup (key_results, address->email);
      g_ptr_array_add (copy->fingerprints, g_strdup (r->fingerprint));
    }
}

/* Sealed copies are sealed to the sender too, so Sent stays readable. */
static void
copy_add_self (Copy *copy, SignetMessage *message, GPtrArray *key_results)
{
  const SignetKeyResult *r;

  if (copy->fingerprints == NULL)
    return;
  r = signet_key_results_lookup (key_results, signet_message_get_from (message)->email);
  g_ptr_array_add (copy->fingerprints, g_strdup (r->fingerprint));
}

/* Sealed mail: one copy for To+Cc (and the sender), one per Bcc recipient,
 * so no Bcc key ID ever appears in what To/Cc receive. Cleartext: one copy,
 * Bcc only in the envelope. */
static GPtrArray *
plan_copies (SignetMessage *message, GPtrArray *key_results)
{
  gboolean sealed = signet_message_get_seal (message);
  GPtrArray *copies = g_ptr_array_new_with_free_func ((GDestroyNotify) copy_free);
  g_autoptr(GPtrArray) to = signet_message_dup_recipients (message, SIGNET_RECIPIENT_TO);
  g_autoptr(GPtrArray) cc = signet_message_dup_recipients (message, SIGNET_RECIPIENT_CC);
  g_autoptr(GPtrArray) bcc = signet_message_dup_recipients (message, SIGNET_RECIPIENT_BCC);
  Copy *main_copy = copy_new (sealed);

  for (guint i = 0; i < to->len; i++)
    copy_add (main_copy, g_ptr_array_index (to, i), key_results);
  for (guint i = 0; i < cc->len; i++)
    copy_add (main_copy, g_ptr_array_index (cc, i), key_results);
  if (!sealed)
    for (guint i = 0; i < bcc->len; i++)
      copy_add (main_copy, g_ptr_array_index (bcc, i), key_results);
  if (main_copy->envelope->len > 0)
    {
      copy_add_self (main_copy, message, key_results);
      g_ptr_array_add (copies, main_copy);
    }
  else
    copy_free (main_copy);

  for (guint i = 0; sealed && i < bcc->len; i++)
    {
      Copy *bcc_copy = copy_new (TRUE);
      copy_add (bcc_copy, g_ptr_array_index (bcc, i), key_results);
      copy_add_self (bcc_copy, message, key_results);
      g_ptr_array_add (copies, bcc_copy);
    }
  for (guint i = 0; i < copies->len; i++)
    {
      Copy *c = g_ptr_array_index (copies, i);
      if (c->fingerprints != NULL)
        g_ptr_array_add (c->fingerprints, NULL);
    }
  return copies;
}

static gboolean
write_copy (SignetSendOperation *self,
            SignetMessage       *message,
            SignetFolder         folder,
            Copy                *copy,
            GCancellable        *cancellable,
            GError             **error)
{
  gboolean ok;
  int fd;

  fd = signet_store_open_tmp (self->store, folder, &copy->tmp_path, error);
  if (fd < 0)
    return FALSE;
  if (copy->fingerprints != NULL)
    ok = signet_sealer_write_sealed (self->sealer, message, copy->envelope,
                                     (const char * const *) copy->fingerprints->pdata,
                                     fd, cancellable, error);
  else
    ok = signet_sealer_write_clear (self->sealer, message, copy->envelope, fd, cancellable, error);
  if (!ok)
    {
      close (fd);
      return FALSE;
    }
  ok = signet_store_commit (self->store, folder, copy->tmp_path, fd, &copy->final_path, error);
  g_clear_pointer (&copy->tmp_path, g_free);  /* committed or already removed */
  return ok;
}

/* Writes every copy; if any fails, none is left behind. */
static gboolean
write_copies (SignetSendOperation *self,
              SignetMessage       *message,
              SignetFolder         folder,
              GPtrArray           *copies,
              GCancellable        *cancellable,
              GError             **error)
{
  for (guint i = 0; i < copies->len; i++)
    {
      if (write_copy (self, message, folder, g_ptr_array_index (copies, i), cancellable, error))
        continue;
      for (guint j = 0; j < i; j++)
        {
          Copy *done = g_ptr_array_index (copies, j);
          g_unlink (done->final_path);
        }
      return FALSE;
    }
  return TRUE;
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SendData *data = task_data;
  g_autoptr(GPtrArray) copies = plan_copies (data->message, data->key_results);
  GError *error = NULL;

  if (write_copies (source_object, data->message, data->folder, copies, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_flushed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint n_sent = 0;

  /* A delivery problem is not a send failure: the message waits in Outbox. */
  if (!signet_outbox_flush_finish (SIGNET_OUTBOX (object), result, &n_sent, &error))
    g_debug ("Delivery deferred: %s", error->message);
  data->delivered = error == NULL && n_sent > 0;
  g_task_return_boolean (task, TRUE);
}

static void
on_queued (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) outer = user_data;
  SignetSendOperation *self = g_task_get_source_object (outer);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, error);
      return;
    }
  cancellable = g_task_get_cancellable (outer);
  signet_outbox_flush_async (self->outbox, cancellable, on_flushed, g_steal_pointer (&outer));
}

static void
start_writing (GTask *outer, GAsyncReadyCallback done)
{
  SignetSendOperation *self = g_task_get_source_object (outer);
  g_autoptr(GTask) task = g_task_new (self, g_task_get_cancellable (outer), done, g_object_ref (outer));

  g_task_set_task_data (task, g_task_get_task_data (outer), NULL);
  g_task_run_in_thread (task, write_thread);
}

static GPtrArray *
all_emails (SignetMessage *message, gboolean include_self)
{
  g_autoptr(GPtrArray) recipients = signet_message_dup_all_recipients (message);
  GPtrArray *emails = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < recipients->len; i++)
    g_ptr_array_add (emails, g_strdup (((SignetAddress *) g_ptr_array_index (recipients, i))->email));
  if (include_self && signet_message_get_from (message) != NULL &&
      !g_ptr_array_find_with_equal_func (emails, signet_message_get_from (message)->email,
                                         (GEqualFunc) g_str_equal, NULL))
    g_ptr_array_add (emails, g_strdup (signet_message_get_from (message)->email));
  return emails;
}

static void
on_resolved_for_send (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->key_results = signet_key_directory_resolve_finish (SIGNET_KEY_DIRECTORY (object), result, &error);
  if (data->key_results == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!signet_key_results_all_ok (data->key_results))
    {
      g_task_return_new_error (task, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
                               _("Some recipients cannot receive sealed mail."));
      return;
    }
  start_writing (task, on_queued);
}

void
signet_send_operation_send_async (SignetSendOperation *self,
                                  SignetMessage       *message,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = new_task (self, message, SIGNET_FOLDER_OUTBOX, cancellable, callback, user_data,
                                    signet_send_operation_send_async);
  GError *error = NULL;

  if (!signet_message_validate (message, TRUE, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (signet_message_get_seal (message))
    {
      g_autoptr(GPtrArray) emails = all_emails (message, TRUE);
      signet_key_directory_resolve_async (self->directory, emails, cancellable,
                                          on_resolved_for_send, g_steal_pointer (&task));
      return;
    }
  start_writing (task, on_queued);
}

/* @delivered: (out) (optional): %TRUE when the message already left Outbox.
 * @key_results: (out) (optional) (transfer container): per-recipient key
 *   status when the error is SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS. */
gboolean
signet_send_operation_send_finish (SignetSendOperation *self,
                                   GAsyncResult        *result,
                                   SignetSendReport   **report,
                                   GPtrArray          **key_results,
                                   GError             **error)
{
  SendData *data = g_task_get_task_data (G_TASK (result));

  if (report != NULL)
    {
      *report = g_new0 (SignetSendReport, 1);
      (*report)->delivered = data->delivered;
      (*report)->undelivered = g_new0 (char *, 1);
    }
  if (key_results != NULL)
    *key_results = data->key_results ? g_ptr_array_ref (data->key_results) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_resolved_for_check (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GPtrArray *results = signet_key_directory_resolve_finish (SIGNET_KEY_DIRECTORY (object), result, &error);

  if (results == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

/* Looks up every recipient's sealing key. Offline this fails with
 * SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE, like sending. */
void
signet_send_operation_check_names_async (SignetSendOperation *self,
                                         SignetMessage       *message,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GPtrArray) emails = all_emails (message, FALSE);

  g_task_set_source_tag (task, signet_send_operation_check_names_async);
  signet_key_directory_resolve_async (self->directory, emails, cancellable,
                                      on_resolved_for_check, g_steal_pointer (&task));
}

GPtrArray *
signet_send_operation_check_names_finish (SignetSendOperation *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
draft_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SignetSendOperation *self = source_object;
  SendData *data = task_data;
  g_autoptr(GPtrArray) all = signet_message_dup_all_recipients (data->message);
  g_autoptr(Copy) copy = copy_new (signet_message_get_seal (data->message));
  const SignetAddress *from = signet_message_get_from (data->message);
  GError *error = NULL;

  /* A sealed draft is sealed to the sender alone, whose key is in the local
   * keyring: the directory is not needed, so this works offline too. */
  if (copy->fingerprints != NULL)
    {
      const char *self_email[] = { from->email, NULL };
      data->key_results = signet_key_directory_resolve_sync (self->directory, self_email, cancellable, &error);
      if (data->key_results == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      if (!signet_key_results_all_ok (data->key_results))
        {
          g_task_return_new_error (task, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
                                   _("The draft cannot be stored sealed: your own key for %s is not usable (%s)."),
                                   from->email,
                                   signet_key_status_describe (((SignetKeyResult *) g_ptr_array_index (data->key_results, 0))->status));
          return;
        }
      copy_add_self (copy, data->message, data->key_results);
      g_ptr_array_add (copy->fingerprints, NULL);
    }
  for (guint i = 0; i < all->len; i++)
    g_ptr_array_add (copy->envelope, g_strdup (((SignetAddress *) g_ptr_array_index (all, i))->email));
  if (write_copy (self, data->message, SIGNET_FOLDER_DRAFTS, copy, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
signet_send_operation_save_draft_async (SignetSendOperation *self,
                                        SignetMessage       *message,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = new_task (self, message, SIGNET_FOLDER_DRAFTS, cancellable, callback, user_data,
                                    signet_send_operation_save_draft_async);
  GError *error = NULL;

  if (!signet_message_validate (message, FALSE, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_run_in_thread (task, draft_thread);
}

gboolean
signet_send_operation_save_draft_finish (SignetSendOperation *self,
                                         GAsyncResult        *result,
                                         SignetSendReport   **report,
                                         GError             **error)
{
  if (report != NULL)
    {
      *report = g_new0 (SignetSendReport, 1);
      (*report)->undelivered = g_new0 (char *, 1);
    }
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
signet_send_operation_dispose (GObject *object)
{
  SignetSendOperation *self = SIGNET_SEND_OPERATION (object);

  g_clear_object (&self->directory);
  g_clear_object (&self->sealer);
  g_clear_object (&self->store);
  g_clear_object (&self->outbox);
  G_OBJECT_CLASS (signet_send_operation_parent_class)->dispose (object);
}

static void
signet_send_operation_finalize (GObject *object)
{
  g_free (SIGNET_SEND_OPERATION (object)->own_key);
  G_OBJECT_CLASS (signet_send_operation_parent_class)->finalize (object);
}

static void
signet_send_operation_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetSendOperation *self = SIGNET_SEND_OPERATION (object);

  switch (prop_id)
    {
    case PROP_ENCRYPT_SUBJECT:
      g_value_set_boolean (value, self->encrypt_subject);
      break;
    case PROP_OWN_KEY:
      g_value_set_string (value, self->own_key);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_send_operation_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetSendOperation *self = SIGNET_SEND_OPERATION (object);

  switch (prop_id)
    {
    case PROP_ENCRYPT_SUBJECT:
      self->encrypt_subject = g_value_get_boolean (value);
      break;
    case PROP_OWN_KEY:
      g_free (self->own_key);
      self->own_key = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_send_operation_class_init (SignetSendOperationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = signet_send_operation_dispose;
  object_class->finalize = signet_send_operation_finalize;
  object_class->get_property = signet_send_operation_get_property;
  object_class->set_property = signet_send_operation_set_property;

  /* The outer Subject of a sealed message is "..." (the real one is inside
   * the ciphertext, as a protected header) unless this is turned off. */
  properties[PROP_ENCRYPT_SUBJECT] =
    g_param_spec_boolean ("encrypt-subject", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /* The fingerprint of the own key to seal to; empty: the newest usable. */
  properties[PROP_OWN_KEY] =
    g_param_spec_string ("own-key", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_send_operation_init (SignetSendOperation *self)
{
  self->encrypt_subject = TRUE;
}

SignetSendOperation *
signet_send_operation_new (SignetKeyDirectory *directory,
                           SignetStore        *store,
                           SignetOutbox       *outbox)
{
  SignetSendOperation *self = g_object_new (SIGNET_TYPE_SEND_OPERATION, NULL);

  self->directory = g_object_ref (directory);
  self->sealer = signet_sealer_new (directory);
  self->store = g_object_ref (store);
  self->outbox = g_object_ref (outbox);
  return self;
}

SignetKeyDirectory *
signet_send_operation_get_directory (SignetSendOperation *self)
{
  return self->directory;
}


