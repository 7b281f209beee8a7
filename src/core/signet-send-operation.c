#define G_LOG_DOMAIN "signet-send-operation"

#include "signet-send-operation.h"

#include "signet-key-directory-private.h"
#include "signet-sealer.h"
#include "signet-signer-private.h"
#include "signet-cms-sealer.h"
#include "signet-seal-choice.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-directory-servers.h"
#include "signet-draft-info.h"
#include "signet-envelope.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-thread-priority.h"

/* The only place that decides how a message leaves: validation, the offline
 * rule for sealed mail, key resolution, sealing, queueing in Outbox and
 * handing the queue to delivery. */
struct _SignetSendOperation
{
  GObject             parent_instance;

  SignetKeyDirectory *directory;
  SignetDirectoryServers *servers;  /* NULL: the keyring alone is the directory */
  SignetSealer       *sealer;
  SignetStore        *store;
  SignetOutbox       *outbox;
  gboolean            encrypt_subject;
  char               *own_key;
  gboolean            prefer_smime;  /* S/MIME before OpenPGP */
};

G_DEFINE_FINAL_TYPE (SignetSendOperation, signet_send_operation, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (SignetSendReport, signet_send_report, signet_send_report_copy, signet_send_report_free)

enum {
  PROP_0,
  PROP_ENCRYPT_SUBJECT,
  PROP_OWN_KEY,
  PROP_PREFER_SMIME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

SignetSendReport *
signet_send_report_copy (const SignetSendReport *report)
{
  SignetSendReport *copy = g_memdup2 (report, sizeof *report);

  copy->own_fingerprint = g_strdup (report->own_fingerprint);
  copy->undelivered = g_strdupv (report->undelivered);
  copy->batch_id = g_strdup (report->batch_id);
  copy->draft_name = g_strdup (report->draft_name);
  return copy;
}

void
signet_send_report_free (SignetSendReport *report)
{
  if (report == NULL)
    return;
  g_free (report->own_fingerprint);
  g_strfreev (report->undelivered);
  g_free (report->batch_id);
  g_free (report->draft_name);
  g_free (report);
}

/* What one operation works on, snapshotted on the main thread. */
typedef struct {
  SignetMessage    *message;
  gboolean          encrypt_subject;
  char             *own_key;        /* preferred fingerprint, or NULL */
  gboolean          prefer_smime;
  GPtrArray        *key_results;    /* set by the worker when recipients fail */
  SignetSendReport *report;
} SendData;

static void
send_data_free (SendData *data)
{
  g_clear_object (&data->message);
  g_free (data->own_key);
  g_clear_pointer (&data->key_results, g_ptr_array_unref);
  g_clear_pointer (&data->report, signet_send_report_free);
  g_free (data);
}

static GTask *
new_task (SignetSendOperation *self,
          SignetMessage       *message,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  SendData *data = g_new0 (SendData, 1);

  g_task_set_source_tag (task, source_tag);
  /* Once a message is committed it is reported as such, even if Cancel was
   * pressed a moment too late. */
  g_task_set_check_cancellable (task, FALSE);
  data->message = g_object_ref (message);
  data->encrypt_subject = self->encrypt_subject;
  data->own_key = g_strdup (self->own_key);
  data->prefer_smime = self->prefer_smime;
  data->report = g_new0 (SignetSendReport, 1);
  data->report->sealed = signet_message_get_seal (message);
  data->report->offline = !signet_network_get_online (signet_key_directory_get_network (self->directory));
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);
  return task;
}

/* One message file to write: who it is for and, when sealed, whose keys. */
typedef struct {
  GPtrArray *envelope;      /* char * addr-specs */
  GPtrArray *fingerprints;  /* char *, NULL-terminated; NULL for cleartext */
  gboolean   smime;         /* sealed or signed with S/MIME */
} Copy;

static void
copy_free (Copy *copy)
{
  g_ptr_array_unref (copy->envelope);
  g_clear_pointer (&copy->fingerprints, g_ptr_array_unref);
  g_free (copy);
}

static void add_fingerprint (Copy *copy, const char *fingerprint, gboolean hidden);

/* A copy; a sealed one (@own set) is sealed to the sender's own key too.
 * That key comes first: GPGME's "--hidden" applies to every key after it. */
static Copy *
copy_new (const SignetOwnKey *own)
{
  Copy *copy = g_new0 (Copy, 1);

  copy->envelope = g_ptr_array_new_with_free_func (g_free);
  if (own != NULL)
    {
      copy->fingerprints = g_ptr_array_new_with_free_func (g_free);
      add_fingerprint (copy, own->fingerprint, FALSE);
    }
  return copy;
}

static void
add_fingerprint (Copy *copy, const char *fingerprint, gboolean hidden)
{
  if (g_ptr_array_find_with_equal_func (copy->fingerprints, fingerprint, g_str_equal, NULL))
    return;
  if (hidden)
    g_ptr_array_add (copy->fingerprints, g_strdup ("--hidden"));
  g_ptr_array_add (copy->fingerprints, g_strdup (fingerprint));
}

/* The recipients of @message, each once (compared normalised): To and Cc,
 * then the Bcc recipients who are not already among them. */
static void
distinct_recipients (SignetMessage *message, GPtrArray *visible, GPtrArray *hidden)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (SignetRecipientKind k = SIGNET_RECIPIENT_TO; k <= SIGNET_RECIPIENT_BCC; k++)
    for (guint i = 0; i < signet_message_get_n_recipients (message, k); i++)
      {
        const char *email = signet_message_get_recipient (message, k, i)->email;

        if (g_hash_table_add (seen, signet_address_normalize (email)))
          g_ptr_array_add (k == SIGNET_RECIPIENT_BCC ? hidden : visible, g_strdup (email));
      }
}

static gboolean
add_recipient_key (Copy *copy, GPtrArray *key_results, const char *email, gboolean hidden, GError **error)
{
  const SignetKeyResult *r = signet_key_results_lookup (key_results, email);

  if (r == NULL || r->status != SIGNET_KEY_STATUS_OK || r->fingerprint == NULL)
    {
      /* Translators: %s is an email address */
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
                   _("No usable sealing key was found for %s."), email);
      return FALSE;
    }
  add_fingerprint (copy, r->fingerprint, hidden);
  return TRUE;
}

/* Sealed mail: one copy for To+Cc (and the sender), one per Bcc recipient,
 * whose key ID is hidden too, so no Bcc recipient shows in what To/Cc
 * receive, nor in another Bcc copy. Cleartext: one copy, Bcc only in its
 * envelope. Every sealed copy is sealed to the sender's own key as well. */
static GPtrArray *
plan_copies (SignetMessage *message, GPtrArray *key_results, const SignetOwnKey *own, GError **error)
{
  g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func ((GDestroyNotify) copy_free);
  g_autoptr(GPtrArray) visible = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) hidden = g_ptr_array_new_with_free_func (g_free);
  gboolean sealed = own != NULL;
  Copy *main_copy = copy_new (own);

  distinct_recipients (message, visible, hidden);
  g_ptr_array_add (copies, main_copy);
  for (guint i = 0; i < visible->len; i++)
    {
      g_ptr_array_add (main_copy->envelope, g_strdup (g_ptr_array_index (visible, i)));
      if (sealed && !add_recipient_key (main_copy, key_results, g_ptr_array_index (visible, i), FALSE, error))
        return NULL;
    }
  for (guint i = 0; i < hidden->len; i++)
    {
      Copy *copy = main_copy;

      if (sealed)
        {
          copy = copy_new (own);
          g_ptr_array_add (copies, copy);
          if (!add_recipient_key (copy, key_results, g_ptr_array_index (hidden, i), TRUE, error))
            return NULL;
        }
      g_ptr_array_add (copy->envelope, g_strdup (g_ptr_array_index (hidden, i)));
    }
  if (main_copy->envelope->len == 0)
    g_ptr_array_remove_index (copies, 0);
  for (guint i = 0; sealed && i < copies->len; i++)
    g_ptr_array_add (((Copy *) g_ptr_array_index (copies, i))->fingerprints, NULL);
  return g_steal_pointer (&copies);
}

/* Writes @message to @fd with S/MIME: there, a certificate shows in the
 * envelope whatever is done, so no key is marked hidden. */
static gboolean
write_smime (SignetSendOperation     *self,
             SignetMessage           *message,
             const SignetSealOptions *options,
             GPtrArray               *fingerprints,
             int                      fd,
             GCancellable            *cancellable,
             GError                 **error)
{
  g_autoptr(GPtrArray) certificates = g_ptr_array_new ();

  if (fingerprints == NULL)
    return signet_cms_sealer_write_signed (self->sealer, self->directory, message, options, fd, cancellable, error);
  for (guint i = 0; i < fingerprints->len; i++)
    if (g_strcmp0 (g_ptr_array_index (fingerprints, i), "--hidden") != 0)
      g_ptr_array_add (certificates, g_ptr_array_index (fingerprints, i));
  return signet_cms_sealer_write_sealed (self->sealer, self->directory, message, options,
                                         (const char * const *) certificates->pdata, fd, cancellable, error);
}

/* Writes @message to @fd, sealed to @fingerprints or (NULL) in the clear. */
static gboolean
write_message (SignetSendOperation     *self,
               SignetMessage           *message,
               const SignetSealOptions *options,
               GPtrArray               *fingerprints,
               gboolean                 smime,
               int                      fd,
               GCancellable            *cancellable,
               GError                 **error)
{
  if (smime && (fingerprints != NULL || options->signer != NULL))
    return write_smime (self, message, options, fingerprints, fd, cancellable, error);
  if (fingerprints != NULL)
    return signet_sealer_write_sealed (self->sealer, message, options,
                                       (const char * const *) fingerprints->pdata, fd, cancellable, error);
  return signet_sealer_write_clear (self->sealer, message, options, fd, cancellable, error);
}

static gboolean
write_batch_file (SignetStoreBatch *batch, const char *name, const char *text, GError **error)
{
  int fd = signet_store_batch_create (batch, name, error);

  if (fd < 0)
    return FALSE;
  if (!signet_store_write_all (fd, text, strlen (text), error))
    {
      close (fd);
      return FALSE;
    }
  return signet_store_batch_finish_file (batch, fd, error);
}

static gboolean
write_copy (SignetSendOperation     *self,
            SignetMessage           *message,
            const SignetSealOptions *options,
            SignetStoreBatch        *batch,
            guint                    index,
            Copy                    *copy,
            GCancellable            *cancellable,
            GError                 **error)
{
  g_autofree char *eml = g_strdup_printf ("%03u" SIGNET_ENVELOPE_MESSAGE_SUFFIX, index);
  g_autofree char *rcpt = g_strdup_printf ("%03u" SIGNET_ENVELOPE_RECIPIENTS_SUFFIX, index);
  g_autofree char *envelope = NULL;
  int fd;

  g_ptr_array_add (copy->envelope, NULL);
  envelope = signet_envelope_format ((const char * const *) copy->envelope->pdata, error);
  g_ptr_array_remove_index (copy->envelope, copy->envelope->len - 1);
  if (envelope == NULL)
    return FALSE;
  fd = signet_store_batch_create (batch, eml, error);
  if (fd < 0)
    return FALSE;
  if (!write_message (self, message, options, copy->fingerprints, copy->smime, fd, cancellable, error))
    {
      close (fd);
      return FALSE;
    }
  return signet_store_batch_finish_file (batch, fd, error) &&
         write_batch_file (batch, rcpt, envelope, error);
}

/* The sender's own key, for a sealed message; NULL with an error when there
 * is none (nothing is written then). */
static SignetOwnKey *
own_key_for (SignetSendOperation *self, SendData *data, GCancellable *cancellable, GError **error)
{
  const SignetAddress *from = signet_message_get_from (data->message);
  SignetOwnKey *own;

  own = signet_key_directory_choose_own_key (self->directory, from->email, data->own_key, cancellable, error);
  if (own != NULL)
    data->report->own_fingerprint = g_strdup (own->fingerprint);
  return own;
}

/* Before any key is used, the directory's servers are asked about every
 * recipient and the sender (revocations, new expiry dates, keys the
 * keyring lacks). A key located on a trusted server is the
 * organisation's: it is accepted for its address at once; one from any
 * other server waits for the user. A server that does not answer fails
 * the whole send or check (SIGNET_KEY_MANAGEMENT_ERROR_UNREACHABLE). */
static gboolean
update_from_directory (SignetSendOperation *self,
                       SignetMessage       *message,
                       GPtrArray           *emails,
                       GCancellable        *cancellable,
                       GError             **error)
{
  g_autoptr(GPtrArray) asked = g_ptr_array_new ();
  g_autoptr(GPtrArray) finds = NULL;
  const SignetAddress *from = signet_message_get_from (message);

  if (self->servers == NULL || !signet_directory_servers_is_configured (self->servers))
    return TRUE;
  for (guint i = 0; i < emails->len && g_ptr_array_index (emails, i) != NULL; i++)
    g_ptr_array_add (asked, g_ptr_array_index (emails, i));
  if (from != NULL && from->email != NULL)
    g_ptr_array_add (asked, from->email);
  g_ptr_array_add (asked, NULL);
  finds = signet_directory_servers_update_sync (self->servers, (const char * const *) asked->pdata,
                                                cancellable, error);
  if (finds == NULL)
    return FALSE;
  for (guint i = 0; i < finds->len; i++)
    {
      const SignetDirectoryFind *find = g_ptr_array_index (finds, i);

      if (!find->found || !signet_directory_servers_is_trusted (self->servers, find->origin))
        continue;
      for (guint k = 0; find->fingerprints[k] != NULL; k++)
        signet_key_directory_accept (self->directory, find->fingerprints[k], find->email);
    }
  return TRUE;
}

/* @emails' keys, when every one can be sealed to; else NULL with
 * SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS and the statuses in
 * @data->key_results. */
static GPtrArray *
resolve_recipients (SignetSendOperation *self,
                    SendData            *data,
                    GPtrArray           *emails,
                    GCancellable        *cancellable,
                    GError             **error)
{
  g_autoptr(GPtrArray) results = NULL;

  results = signet_key_directory_resolve_sync (self->directory, (const char * const *) emails->pdata,
                                               cancellable, error);
  if (results == NULL)
    return NULL;
  if (!signet_key_results_all_ok (results))
    {
      data->key_results = g_ptr_array_ref (results);
      g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
                   _("Some recipients cannot receive sealed mail."));
      return NULL;
    }
  return g_steal_pointer (&results);
}

/* OpenPGP or S/MIME (signet-seal-choice.c): the sender's own key or
 * certificate in @own, the recipients' in @key_results. */
static gboolean
choose_seal (SignetSendOperation *self,
             SendData            *data,
             SignetOwnKey       **own,
             GPtrArray          **key_results,
             gboolean            *smime,
             GCancellable        *cancellable,
             GError             **error)
{
  g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(SignetOwnKey) pgp_own = NULL;
  g_autoptr(GPtrArray) pgp_results = NULL;
  g_autoptr(GError) own_error = NULL;
  g_autoptr(GError) resolve_error = NULL;
  g_auto(SignetSealChoice) choice = { 0 };

  distinct_recipients (data->message, emails, emails);
  g_ptr_array_add (emails, NULL);
  /* The directory's word on every recipient and the sender first, before
   * any key is chosen: the sender's own key too may have been revoked
   * there. */
  if (!update_from_directory (self, data->message, emails, cancellable, error))
    return FALSE;
  pgp_own = own_key_for (self, data, cancellable, &own_error);
  if (pgp_own == NULL && !g_error_matches (own_error, SIGNET_KEY_MANAGEMENT_ERROR,
                                           SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY))
    {
      g_propagate_error (error, g_steal_pointer (&own_error));
      return FALSE;
    }
  pgp_results = resolve_recipients (self, data, emails, cancellable, &resolve_error);
  if (pgp_results == NULL && !g_error_matches (resolve_error, SIGNET_KEY_MANAGEMENT_ERROR,
                                               SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS))
    {
      g_propagate_error (error, g_steal_pointer (&resolve_error));
      return FALSE;
    }
  g_clear_pointer (&data->report->own_fingerprint, g_free);
  if (!signet_seal_choice_decide (self->directory, self->servers, signet_message_get_from (data->message)->email,
                                  (const char * const *) emails->pdata, data->prefer_smime,
                                  pgp_own != NULL ? pgp_own->fingerprint : NULL, own_error,
                                  pgp_results != NULL ? pgp_results : data->key_results, &choice,
                                  cancellable, error))
    {
      g_clear_pointer (&data->key_results, g_ptr_array_unref);
      data->key_results = g_steal_pointer (&choice.key_results);
      return FALSE;
    }
  *own = g_new0 (SignetOwnKey, 1);
  (*own)->fingerprint = g_strdup (choice.own_fingerprint);
  (*own)->status = SIGNET_KEY_STATUS_OK;
  data->report->own_fingerprint = g_strdup (choice.own_fingerprint);
  *key_results = g_steal_pointer (&choice.key_results);
  *smime = choice.smime;
  return TRUE;
}

/* Everything of a send that is not the main thread's: keys, sealing, and
 * the one commit that puts all copies into the Outbox together. */
static gboolean
send_in_worker (SignetSendOperation *self, SendData *data, GCancellable *cancellable, GError **error)
{
  SignetSealOptions options = { FALSE, data->encrypt_subject };
  g_autoptr(SignetOwnKey) own = NULL;
  g_autoptr(GPtrArray) key_results = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(SignetStoreBatch) batch = NULL;
  g_autoptr(GStrvBuilder) everyone = g_strv_builder_new ();

  g_autofree char *signer = NULL;

  gboolean smime = FALSE;

  if (signet_message_get_seal (data->message) &&
      !choose_seal (self, data, &own, &key_results, &smime, cancellable, error))
    return FALSE;
  /* S/MIME signs what S/MIME seals, and a clear message when S/MIME comes
   * first and the sender has a certificate. */
  if (signet_message_get_sign (data->message) && smime)
    signer = g_strdup (own->fingerprint);
  else if (signet_message_get_sign (data->message) && !signet_message_get_seal (data->message))
    {
      signer = signet_seal_choice_smime_signer (self->directory, signet_message_get_from (data->message)->email,
                                                data->prefer_smime, cancellable);
      smime = signer != NULL;
    }
  /* Every copy, Bcc ones too, is signed by the sender's own key. */
  if (signet_message_get_sign (data->message) && signer == NULL)
    {
      signer = signet_signer_choose_key_sync (self->directory, signet_message_get_from (data->message)->email,
                                              data->own_key, cancellable, error);
      if (signer == NULL)
        return FALSE;
    }
  options.signer = signer;
  copies = plan_copies (data->message, key_results, own, error);
  if (copies == NULL)
    return FALSE;
  for (guint i = 0; i < copies->len; i++)
    ((Copy *) g_ptr_array_index (copies, i))->smime = smime;
  data->report->smime = smime;
  batch = signet_store_batch_new (self->store, error);
  if (batch == NULL)
    return FALSE;
  for (guint i = 0; i < copies->len; i++)
    {
      Copy *copy = g_ptr_array_index (copies, i);

      if (!write_copy (self, data->message, &options, batch, i + 1, copy, cancellable, error))
        return FALSE;
      for (guint j = 0; j < copy->envelope->len; j++)
        g_strv_builder_add (everyone, g_ptr_array_index (copy->envelope, j));
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      !signet_store_batch_commit (batch, error))
    return FALSE;
  /* Queued: its draft goes at once, in this same step, so that nothing
   * can offer the message back as unsent (after a crash, say). */
  if (signet_message_get_draft_name (data->message) != NULL)
    signet_draft_info_remove_file (self->store, signet_message_get_draft_name (data->message));
  data->report->n_copies = copies->len;
  data->report->undelivered = g_strv_builder_end (everyone);
  data->report->n_recipients = g_strv_length (data->report->undelivered);
  data->report->batch_id = g_strdup (signet_store_batch_get_id (batch));
  signet_outbox_queue_flush (self->outbox);
  return TRUE;
}

static void
send_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (send_in_worker (source_object, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Sends @message: validated here; then, off the main thread, the recipients'
 * keys and the sender's own key are looked up (sealed mail: offline this
 * fails at once with SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE), every copy is
 * written and all enter the Outbox in one commit; delivery follows (see
 * SignetOutbox's signals). Nothing reaches the Outbox unless all of it does. */
void
signet_send_operation_send_async (SignetSendOperation *self,
                                  SignetMessage       *message,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = new_task (self, message, cancellable, callback, user_data,
                                    signet_send_operation_send_async);
  GError *error = NULL;

  if (!signet_message_validate (message, TRUE, &error) ||
      (signet_message_get_seal (message) && !signet_key_directory_check_available (self->directory, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  /* Sealing must not take the CPU from the window. */
  signet_thread_priority_run_in_background (task, send_thread);
}

static SignetSendReport *
take_report (GAsyncResult *result)
{
  SendData *data = g_task_get_task_data (G_TASK (result));
  SignetSendReport *report = g_steal_pointer (&data->report);

  if (report->undelivered == NULL)
    report->undelivered = g_new0 (char *, 1);
  return report;
}

/* @report: (out) (optional) (transfer full): what was done, on success.
 * @key_results: (out) (optional) (transfer container): per-recipient key
 *   status when the error is SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS. */
gboolean
signet_send_operation_send_finish (SignetSendOperation *self,
                                   GAsyncResult        *result,
                                   SignetSendReport   **report,
                                   GPtrArray          **key_results,
                                   GError             **error)
{
  SendData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  data = g_task_get_task_data (G_TASK (result));
  if (key_results != NULL)
    *key_results = data->key_results ? g_ptr_array_ref (data->key_results) : NULL;
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (report != NULL)
    *report = take_report (result);
  return TRUE;
}

static void
check_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  SignetSendOperation *self = source_object;
  g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  GPtrArray *results;
  gboolean smime = FALSE;

  distinct_recipients (task_data, emails, emails);
  g_ptr_array_add (emails, NULL);
  if (!update_from_directory (self, task_data, emails, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  results = signet_key_directory_resolve_sync (self->directory, (const char * const *) emails->pdata,
                                               cancellable, &error);
  /* S/MIME is asked only where it is in use: first in the order, or with
   * a directory to find certificates in; a check stays as quick as before
   * for everyone else. */
  if (results != NULL &&
      (self->prefer_smime || (self->servers != NULL && signet_directory_servers_is_configured (self->servers))) &&
      !signet_seal_choice_complete (self->directory, self->servers, (const char * const *) emails->pdata,
                                    self->prefer_smime, results, &smime, cancellable, &error))
    g_clear_pointer (&results, g_ptr_array_unref);
  if (results == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_object_set_data (G_OBJECT (task), "signet-sealed-smime", GINT_TO_POINTER (smime));
  g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

/* Looks up every recipient's sealing key. Offline this fails with
 * SIGNET_KEY_MANAGEMENT_ERROR_OFFLINE, like sending; with no recipient,
 * with SIGNET_SEND_ERROR_NO_RECIPIENTS. */
void
signet_send_operation_check_names_async (SignetSendOperation *self,
                                         SignetMessage       *message,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GPtrArray) all = signet_message_dup_all_recipients (message);
  GError *error = NULL;

  g_task_set_source_tag (task, signet_send_operation_check_names_async);
  if (!signet_key_directory_check_available (self->directory, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (all->len == 0)
    {
      g_task_return_new_error (task, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_NO_RECIPIENTS,
                               _("Add at least one recipient to check."));
      return;
    }
  g_task_set_task_data (task, g_object_ref (message), g_object_unref);
  g_task_run_in_thread (task, check_thread);
}

GPtrArray *
signet_send_operation_check_names_finish (SignetSendOperation *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* After a check that found every recipient reachable: whether the message
 * would be sealed with S/MIME (else OpenPGP). */
gboolean
signet_send_operation_check_names_smime (SignetSendOperation *self,
                                         GAsyncResult        *result)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (result), "signet-sealed-smime"));
}

static gboolean
draft_in_worker (SignetSendOperation *self, SendData *data, GCancellable *cancellable, GError **error)
{
  SignetSealOptions options = { TRUE, TRUE };
  g_autoptr(SignetOwnKey) own = NULL;
  g_autoptr(GPtrArray) fingerprints = NULL;
  g_autofree char *name = NULL;
  int fd;

  /* A sealed draft is sealed to the sender alone, whose key pair is in the
   * local keyring: the directory is not needed, so this works offline. */
  if (signet_message_get_seal (data->message))
    {
      own = own_key_for (self, data, cancellable, error);
      if (own == NULL)
        return FALSE;
      fingerprints = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (fingerprints, g_strdup (own->fingerprint));
      g_ptr_array_add (fingerprints, NULL);
    }
  fd = signet_store_open_tmp (self->store, SIGNET_FOLDER_DRAFTS, &name, error);
  if (fd < 0)
    return FALSE;
  if (!write_message (self, data->message, &options, fingerprints, FALSE, fd, cancellable, error) ||
      g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      close (fd);
      signet_store_discard (self->store, SIGNET_FOLDER_DRAFTS, name);
      return FALSE;
    }
  data->report->n_copies = 1;
  if (!signet_store_commit (self->store, SIGNET_FOLDER_DRAFTS, name, fd, error))
    return FALSE;
  data->report->draft_name = g_steal_pointer (&name);
  return TRUE;
}

static void
draft_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (draft_in_worker (source_object, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Saves @message in Drafts; sealed to the sender's own key when Seal is on,
 * with every recipient and the subject inside the ciphertext only. */
void
signet_send_operation_save_draft_async (SignetSendOperation *self,
                                        SignetMessage       *message,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = new_task (self, message, cancellable, callback, user_data,
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
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (report != NULL)
    *report = take_report (result);
  return TRUE;
}

static void
signet_send_operation_dispose (GObject *object)
{
  SignetSendOperation *self = SIGNET_SEND_OPERATION (object);

  g_clear_object (&self->directory);
  g_clear_object (&self->servers);
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
    case PROP_PREFER_SMIME:
      g_value_set_boolean (value, self->prefer_smime);
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
    case PROP_PREFER_SMIME:
      self->prefer_smime = g_value_get_boolean (value);
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
  /* S/MIME is tried before OpenPGP (see signet-seal-choice.c). */
  properties[PROP_PREFER_SMIME] =
    g_param_spec_boolean ("prefer-smime", NULL, NULL, FALSE,
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



/* The directory's servers, asked before every sealed send and check;
 * NULL: the keyring alone. */
void
signet_send_operation_set_directory_servers (SignetSendOperation    *self,
                                             SignetDirectoryServers *servers)
{
  g_return_if_fail (SIGNET_IS_SEND_OPERATION (self));
  g_set_object (&self->servers, servers);
}

SignetDirectoryServers *
signet_send_operation_get_directory_servers (SignetSendOperation *self)
{
  g_return_val_if_fail (SIGNET_IS_SEND_OPERATION (self), NULL);
  return self->servers;
}
