#define G_LOG_DOMAIN "signet-drafts"

#include "config.h"

#include "signet-drafts.h"

#include <unistd.h>

#include "signet-draft-info.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-message-reader.h"

/* Drafts that save themselves. Each composer has a slot holding at most one
 * draft in Drafts: a save writes the new file first and removes the old one
 * only once the new one is stored, so a crash between the two never loses
 * the message. While a save runs, later saves wait; a newer one replaces a
 * waiting one, which is dropped.
 *
 * A small session index (a GVariant a{sv}: version, shutdown, drafts) says
 * which draft files belong to composers that are open; it names nothing
 * else, so it gives nothing of a sealed draft away. It is replaced
 * atomically whenever that set changes, with shutdown=false while Signet
 * runs and true once it ends cleanly: at the next start, false means Signet
 * did not end cleanly, and the drafts it names are offered back. */

#define INDEX_VERSION 1

typedef struct {
  guint         id;
  char         *name;             /* the composer's draft in Drafts, or NULL */
  char         *base;             /* the draft as last saved on purpose (or opened), kept until
                                   * that is replaced on purpose: Discard goes back to it */
  gboolean      base_sealed;
  gboolean      name_sealed;
  GTask        *running;          /* the save in flight */
  GTask        *waiting;          /* the save after it */
  gboolean      drop_running;     /* the draft was removed while the save ran */
  gboolean      closed;           /* the composer is gone */
  GCancellable *cancellable;
} Slot;

struct _SignetDrafts
{
  GObject              parent_instance;

  SignetSendOperation *operation;
  SignetStore         *store;
  char                *session_path;
  GHashTable          *slots;       /* id → Slot */
  guint                next_id;
  GStrv                recovered;   /* offered after a crash, not yet answered */
  gboolean             loaded;      /* the old index was read: it may be replaced */
  gboolean             shut;
  gboolean             writing;
  gboolean             write_again;
  GPtrArray           *deletes;     /* names to remove after the next index write */

  GMutex               write_lock;  /* the index file, between threads */
  GMutex               info_lock;   /* what the list read of each draft file, between threads */
  GHashTable          *infos;       /* file name → SignetDraftInfo */
  gint                 locked;      /* atomic: the passphrase was refused to the list */
  guint64              seq;
  guint64              written_seq;
};

G_DEFINE_FINAL_TYPE (SignetDrafts, signet_drafts, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void schedule_write (SignetDrafts *self);

static void
slot_free (Slot *slot)
{
  g_free (slot->name);
  g_free (slot->base);
  g_clear_object (&slot->cancellable);
  g_free (slot);
}

/* ---- the session index ------------------------------------------------- */

static GBytes *
build_index (SignetDrafts *self)
{
  g_autoptr(GVariant) index = NULL;
  g_auto(GVariantBuilder) drafts = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_STRING_ARRAY);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GHashTableIter iter;
  Slot *slot;

  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    if (!slot->closed && slot->name != NULL)
      g_variant_builder_add (&drafts, "s", slot->name);
  for (guint i = 0; self->recovered != NULL && self->recovered[i] != NULL; i++)
    g_variant_builder_add (&drafts, "s", self->recovered[i]);
  g_variant_dict_insert (&dict, "version", "u", INDEX_VERSION);
  g_variant_dict_insert (&dict, "shutdown", "b", self->shut);
  g_variant_dict_insert_value (&dict, "drafts", g_variant_builder_end (&drafts));
  index = g_variant_ref_sink (g_variant_dict_end (&dict));
  return g_variant_get_data_as_bytes (index);
}

typedef struct {
  GBytes    *index;    /* NULL: the old index is not read yet, leave it */
  guint64    seq;
  GPtrArray *deletes;
} WriteData;

static void
write_data_free (WriteData *data)
{
  g_clear_pointer (&data->index, g_bytes_unref);
  g_clear_pointer (&data->deletes, g_ptr_array_unref);
  g_free (data);
}

/* Writes the index (tmp file, fsync, rename: never half-written), unless a
 * newer one was written meanwhile; then removes what it no longer names. */
static void
write_now (SignetDrafts *self, WriteData *data)
{
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&self->write_lock);
  if (data->index != NULL && data->seq > self->written_seq)
    {
      gsize len;
      const char *bytes = g_bytes_get_data (data->index, &len);

      if (g_file_set_contents_full (self->session_path, bytes, len,
                                    G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                    0600, &error))
        self->written_seq = data->seq;
      else
        g_warning ("Could not write the list of open drafts: %s", error->message);
    }
  /* Under the lock too: signet_drafts_shutdown() waits for them. */
  for (guint i = 0; i < data->deletes->len; i++)
    signet_draft_info_remove_file (self->store, g_ptr_array_index (data->deletes, i));
  g_mutex_unlock (&self->write_lock);
}

static void
write_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  write_now (source, task_data);
  g_task_return_boolean (task, TRUE);
}

static WriteData *
take_write (SignetDrafts *self)
{
  WriteData *data = g_new0 (WriteData, 1);

  if (self->loaded || self->shut)
    data->index = build_index (self);
  data->seq = ++self->seq;
  data->deletes = g_steal_pointer (&self->deletes);
  self->deletes = g_ptr_array_new_with_free_func (g_free);
  return data;
}

static void
on_written (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignetDrafts *self = SIGNET_DRAFTS (object);
  WriteData *data = g_task_get_task_data (G_TASK (result));
  gboolean deleted = data->deletes->len > 0;

  self->writing = FALSE;
  if (self->write_again)
    schedule_write (self);
  if (deleted)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
schedule_write (SignetDrafts *self)
{
  g_autoptr(GTask) task = NULL;

  /* After signet_drafts_shutdown() the main loop is done (composers closed
   * as the application goes): written now, before the process ends. */
  if (self->shut)
    {
      WriteData *data = take_write (self);

      write_now (self, data);
      write_data_free (data);
      return;
    }
  if (self->writing)
    {
      self->write_again = TRUE;
      return;
    }
  self->write_again = FALSE;
  self->writing = TRUE;
  task = g_task_new (self, NULL, on_written, NULL);
  g_task_set_task_data (task, take_write (self), (GDestroyNotify) write_data_free);
  g_task_run_in_thread (task, write_thread);
}

static void
delete_later (SignetDrafts *self, const char *name)
{
  if (name != NULL)
    g_ptr_array_add (self->deletes, g_strdup (name));
}

/* ---- slots ------------------------------------------------------------- */

static Slot *
get_slot (SignetDrafts *self, guint id)
{
  return g_hash_table_lookup (self->slots, GUINT_TO_POINTER (id));
}

static void
remove_recovered (SignetDrafts *self, const char *name)
{
  g_autoptr(GStrvBuilder) rest = g_strv_builder_new ();

  if (self->recovered == NULL || !g_strv_contains ((const char * const *) self->recovered, name))
    return;
  for (guint i = 0; self->recovered[i] != NULL; i++)
    if (g_strcmp0 (self->recovered[i], name) != 0)
      g_strv_builder_add (rest, self->recovered[i]);
  g_strfreev (self->recovered);
  self->recovered = g_strv_builder_end (rest);
}

/* A composer opens: @name is the draft it was opened from (it now belongs
 * to the composer), or NULL. Returns the slot, never 0. */
guint
signet_drafts_open (SignetDrafts *self, const char *name)
{
  Slot *slot = g_new0 (Slot, 1);

  g_return_val_if_fail (SIGNET_IS_DRAFTS (self), 0);

  slot->id = ++self->next_id;
  slot->name = g_strdup (name);
  slot->base = g_strdup (name);
  slot->base_sealed = name != NULL && signet_draft_info_is_sealed (self->store, name);
  slot->name_sealed = slot->base_sealed;
  slot->cancellable = g_cancellable_new ();
  g_hash_table_insert (self->slots, GUINT_TO_POINTER (slot->id), slot);
  if (name != NULL)
    {
      remove_recovered (self, name);
      schedule_write (self);
      g_signal_emit (self, signals[CHANGED], 0);
    }
  return slot->id;
}

const char *
signet_drafts_get_name (SignetDrafts *self, guint id)
{
  Slot *slot = get_slot (self, id);

  return slot != NULL && !slot->closed ? slot->name : NULL;
}

/* The open slot whose draft is @name, or 0. */
guint
signet_drafts_find (SignetDrafts *self, const char *name)
{
  GHashTableIter iter;
  Slot *slot;

  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    if (!slot->closed && g_strcmp0 (slot->name, name) == 0)
      return slot->id;
  return 0;
}

static void on_saved (GObject *object, GAsyncResult *result, gpointer user_data);

static void
start_save (SignetDrafts *self, Slot *slot, GTask *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  slot->running = task;
  slot->drop_running = FALSE;
  signet_send_operation_save_draft_async (self->operation, g_task_get_task_data (task),
                                          cancellable != NULL ? cancellable : slot->cancellable,
                                          on_saved, task);
}

static void
finish_slot (SignetDrafts *self, Slot *slot)
{
  GTask *next = g_steal_pointer (&slot->waiting);

  slot->running = NULL;
  if (next != NULL)
    start_save (self, slot, next);
  else if (slot->closed)
    g_hash_table_remove (self->slots, GUINT_TO_POINTER (slot->id));
}

static void
on_saved (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SignetDrafts *self = g_task_get_source_object (task);
  Slot *slot = get_slot (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "signet-slot")));
  g_autoptr(SignetSendReport) report = NULL;
  GError *error = NULL;

  if (!signet_send_operation_save_draft_finish (SIGNET_SEND_OPERATION (object), result, &report, &error))
    {
      g_task_return_error (task, error);
      finish_slot (self, slot);
      return;
    }
  if (slot->drop_running)
    delete_later (self, report->draft_name);
  else
    {
      /* An automatic save replaces the last one, never the draft as it
       * was last saved on purpose; but once the message is sealed, no
       * plain draft of it stays behind. */
      if (g_strcmp0 (slot->name, report->draft_name) != 0 && g_strcmp0 (slot->name, slot->base) != 0)
        delete_later (self, slot->name);
      if (slot->base != NULL && !slot->base_sealed && signet_message_get_seal (g_task_get_task_data (task)) &&
          g_strcmp0 (slot->base, report->draft_name) != 0)
        {
          delete_later (self, slot->base);
          g_free (slot->base);
          slot->base = g_strdup (report->draft_name);
          slot->base_sealed = TRUE;
        }
      g_free (slot->name);
      slot->name = g_strdup (report->draft_name);
      slot->name_sealed = signet_message_get_seal (g_task_get_task_data (task));
    }
  /* Sending this very message removes its draft as it is queued. */
  if (!slot->drop_running)
    signet_message_set_draft_name (g_task_get_task_data (task), report->draft_name);
  schedule_write (self);
  g_signal_emit (self, signals[CHANGED], 0);
  g_task_return_pointer (task, g_steal_pointer (&report), (GDestroyNotify) signet_send_report_free);
  finish_slot (self, slot);
}

/* Saves @message as the slot's draft, replacing the one it had. A save
 * that was waiting for the one in flight is dropped (it finishes with
 * G_IO_ERROR_CANCELLED): only the newest is written. */
void
signet_drafts_save_async (SignetDrafts        *self,
                          guint                id,
                          SignetMessage       *message,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Slot *slot = get_slot (self, id);
  GTask *task;

  g_return_if_fail (SIGNET_IS_DRAFTS (self));
  g_return_if_fail (SIGNET_IS_MESSAGE (message));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, signet_drafts_save_async);
  /* A save that landed before Cancel says so: the draft is there. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, g_object_ref (message), g_object_unref);
  g_object_set_data (G_OBJECT (task), "signet-slot", GUINT_TO_POINTER (id));
  if (slot == NULL || slot->closed)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED, "The composer is gone");
      g_object_unref (task);
      return;
    }
  if (slot->running == NULL)
    {
      start_save (self, slot, task);
      return;
    }
  if (slot->waiting != NULL)
    {
      g_task_return_new_error (slot->waiting, G_IO_ERROR, G_IO_ERROR_CANCELLED, "A newer save replaced it");
      g_object_unref (slot->waiting);
    }
  slot->waiting = task;
}

/* @report: (out) (optional): what the save did, its file name included. */
gboolean
signet_drafts_save_finish (SignetDrafts      *self,
                           GAsyncResult      *result,
                           SignetSendReport **report,
                           GError           **error)
{
  g_autoptr(SignetSendReport) done = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  done = g_task_propagate_pointer (G_TASK (result), error);
  if (done == NULL)
    return FALSE;
  if (report != NULL)
    *report = g_steal_pointer (&done);
  return TRUE;
}

/* What is being saved, or waits to be, must not land any more. */
static void
stop_saves (Slot *slot)
{
  if (slot->running != NULL)
    {
      /* Stopped if it can be; removed when it lands if not. */
      slot->drop_running = TRUE;
      g_cancellable_cancel (slot->cancellable);
      g_object_unref (slot->cancellable);
      slot->cancellable = g_cancellable_new ();
    }
  if (slot->waiting != NULL)
    {
      g_task_return_new_error (slot->waiting, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The draft was removed");
      g_clear_object (&slot->waiting);
    }
}

/* The composer's message was sent or discarded: its draft goes, and so
 * does whatever a save in flight or waiting writes. The slot stays. */
void
signet_drafts_remove (SignetDrafts *self, guint id)
{
  Slot *slot = get_slot (self, id);

  g_return_if_fail (SIGNET_IS_DRAFTS (self));
  if (slot == NULL)
    return;
  delete_later (self, slot->name);
  if (g_strcmp0 (slot->base, slot->name) != 0)
    delete_later (self, slot->base);
  g_clear_pointer (&slot->name, g_free);
  g_clear_pointer (&slot->base, g_free);
  stop_saves (slot);
  schedule_write (self);
}

/* The composer's changes since its draft was last saved on purpose (or
 * opened) are discarded: the draft goes back to that one; a composer that
 * never saved on purpose keeps no draft. */
void
signet_drafts_discard_changes (SignetDrafts *self, guint id)
{
  Slot *slot = get_slot (self, id);

  g_return_if_fail (SIGNET_IS_DRAFTS (self));
  if (slot == NULL)
    return;
  if (g_strcmp0 (slot->name, slot->base) != 0)
    delete_later (self, slot->name);
  g_free (slot->name);
  slot->name = g_strdup (slot->base);
  slot->name_sealed = slot->base_sealed;
  stop_saves (slot);
  schedule_write (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* The composer's draft was saved on purpose (Save Draft, or at exit): it
 * is the one kept from now on, and the one it replaced goes. */
void
signet_drafts_keep (SignetDrafts *self, guint id)
{
  Slot *slot = get_slot (self, id);

  g_return_if_fail (SIGNET_IS_DRAFTS (self));
  if (slot == NULL || g_strcmp0 (slot->base, slot->name) == 0)
    return;
  delete_later (self, slot->base);
  g_free (slot->base);
  slot->base = g_strdup (slot->name);
  slot->base_sealed = slot->name_sealed;
  schedule_write (self);
}

/* The composer is gone; its draft stays in Drafts, no longer open. */
void
signet_drafts_close (SignetDrafts *self, guint id)
{
  Slot *slot = get_slot (self, id);
  gboolean had_draft;

  g_return_if_fail (SIGNET_IS_DRAFTS (self));
  if (slot == NULL || slot->closed)
    return;
  slot->closed = TRUE;
  had_draft = slot->name != NULL;
  if (slot->running == NULL)
    g_hash_table_remove (self->slots, GUINT_TO_POINTER (id));
  schedule_write (self);
  if (had_draft)
    g_signal_emit (self, signals[CHANGED], 0);
}

/* Removes draft @name (the user asked), unless a composer has it. */
void
signet_drafts_delete (SignetDrafts *self, const char *name)
{
  g_return_if_fail (SIGNET_IS_DRAFTS (self));
  if (!signet_draft_info_valid_name (name) || signet_drafts_find (self, name) != 0)
    return;
  remove_recovered (self, name);
  delete_later (self, name);
  schedule_write (self);
}

/* No save and no index write is in flight. */
gboolean
signet_drafts_get_idle (SignetDrafts *self)
{
  GHashTableIter iter;
  Slot *slot;

  if (self->writing)
    return FALSE;
  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    if (slot->running != NULL)
      return FALSE;
  return TRUE;
}

/* ---- reading ----------------------------------------------------------- */

static void
list_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SignetDrafts *self = source;
  GError *error = NULL;
  GPtrArray *infos = signet_draft_info_list (self->store, signet_send_operation_get_directory (self->operation),
                                             self->infos, &self->info_lock, &self->locked, cancellable, &error);

  if (infos == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
}

void
signet_drafts_list_async (SignetDrafts        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, signet_drafts_list_async);
  g_task_run_in_thread (task, list_thread);
}

/* Returns: (element-type SignetDraftInfo): every draft, newest first. */
GPtrArray *
signet_drafts_list_finish (SignetDrafts *self, GAsyncResult *result, GError **error)
{
  GPtrArray *infos;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  infos = g_task_propagate_pointer (G_TASK (result), error);
  for (guint i = 0; infos != NULL && i < infos->len; i++)
    {
      SignetDraftInfo *info = g_ptr_array_index (infos, i);
      info->open = signet_drafts_find (self, info->name) != 0;
    }
  return infos;
}

static gboolean
emit_changed_idle (gpointer data)
{
  g_signal_emit (data, signals[CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
read_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SignetDrafts *self = source;
  GError *error = NULL;
  SignetMessage *message;
  int fd = signet_draft_info_open_file (self->store, task_data, &error);

  if (fd < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  message = signet_message_reader_read (signet_send_operation_get_directory (self->operation), fd,
                                        NULL, cancellable, &error);
  close (fd);
  if (message == NULL)
    g_task_return_error (task, error);
  else
    {
      /* Opened on purpose, and the passphrase given: the list may read
       * sealed drafts again. */
      if (g_atomic_int_compare_and_exchange (&self->locked, TRUE, FALSE))
        g_idle_add_full (G_PRIORITY_DEFAULT, emit_changed_idle, g_object_ref (self), g_object_unref);
      g_task_return_pointer (task, message, g_object_unref);
    }
}

/* Reads draft @name back: every field, Seal and Sign, and the attachments
 * (in memory only: nothing of a sealed draft is written out in clear). */
void
signet_drafts_read_async (SignetDrafts        *self,
                          const char          *name,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, signet_drafts_read_async);
  if (!signet_draft_info_valid_name (name))
    {
      g_task_return_new_error (task, SIGNET_STORE_ERROR, SIGNET_STORE_ERROR_NOT_FOUND,
                               _("The draft is no longer there."));
      return;
    }
  g_task_set_task_data (task, g_strdup (name), g_free);
  g_task_run_in_thread (task, read_thread);
}

SignetMessage *
signet_drafts_read_finish (SignetDrafts *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- crash recovery ---------------------------------------------------- */

static GStrv
read_index (SignetDrafts *self)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) index = NULL;
  g_autoptr(GVariant) drafts = NULL;
  g_autofree char *contents = NULL;
  gboolean shutdown = TRUE;
  gsize len;

  if (!g_file_get_contents (self->session_path, &contents, &len, NULL))
    return g_strv_builder_end (names);
  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
  index = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  /* A damaged index offers nothing (and loses nothing: the drafts stay). */
  if (!g_variant_is_normal_form (index) ||
      !g_variant_lookup (index, "shutdown", "b", &shutdown) || shutdown)
    return g_strv_builder_end (names);
  drafts = g_variant_lookup_value (index, "drafts", G_VARIANT_TYPE_STRING_ARRAY);
  for (gsize i = 0; drafts != NULL && i < g_variant_n_children (drafts); i++)
    {
      const char *name = NULL;
      int fd;

      g_variant_get_child (drafts, i, "&s", &name);
      if (!signet_draft_info_valid_name (name))
        continue;
      fd = signet_draft_info_open_file (self->store, name, NULL);
      if (fd < 0)
        continue;
      close (fd);
      g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

static void
recover_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_task_return_pointer (task, read_index (source), (GDestroyNotify) g_strfreev);
}

/* Reads the index the last run left: the drafts that were open in
 * composers when it did not end cleanly. Until this is done, the index
 * is left as it is. */
void
signet_drafts_recover_async (SignetDrafts        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, signet_drafts_recover_async);
  g_task_run_in_thread (task, recover_thread);
}

/* Returns: (transfer full): the drafts to offer (empty after a clean end). */
GStrv
signet_drafts_recover_finish (SignetDrafts *self, GAsyncResult *result, GError **error)
{
  GStrv names;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  names = g_task_propagate_pointer (G_TASK (result), error);
  if (names == NULL)
    return NULL;
  g_strfreev (self->recovered);
  self->recovered = g_strdupv (names);
  for (guint i = 0; names[i] != NULL; i++)
    if (signet_drafts_find (self, names[i]) != 0)
      remove_recovered (self, names[i]);
  self->loaded = TRUE;
  schedule_write (self);
  return names;
}

/* Restore: the offered drafts, to be opened (each then belongs to its
 * composer). They stay in Drafts meanwhile. */
GStrv
signet_drafts_take_recovered (SignetDrafts *self)
{
  GStrv names = g_steal_pointer (&self->recovered);

  schedule_write (self);
  return names != NULL ? names : g_new0 (char *, 1);
}

/* Discard: the offered drafts are removed, as the user chose. */
void
signet_drafts_discard_recovered (SignetDrafts *self)
{
  g_auto(GStrv) names = g_steal_pointer (&self->recovered);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    delete_later (self, names[i]);
  schedule_write (self);
}

/* Signet ends cleanly: the index says so, written now (the main loop is
 * done), with what is still open. */
void
signet_drafts_shutdown (SignetDrafts *self)
{
  WriteData *data;

  g_return_if_fail (SIGNET_IS_DRAFTS (self));
  self->shut = TRUE;
  data = take_write (self);
  write_now (self, data);
  write_data_free (data);
}

/* ---- the object -------------------------------------------------------- */

static void
signet_drafts_finalize (GObject *object)
{
  SignetDrafts *self = SIGNET_DRAFTS (object);

  g_clear_object (&self->operation);
  g_clear_object (&self->store);
  g_free (self->session_path);
  g_hash_table_unref (self->slots);
  g_strfreev (self->recovered);
  g_ptr_array_unref (self->deletes);
  g_mutex_clear (&self->write_lock);
  g_mutex_clear (&self->info_lock);
  g_hash_table_unref (self->infos);
  G_OBJECT_CLASS (signet_drafts_parent_class)->finalize (object);
}

static void
signet_drafts_class_init (SignetDraftsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = signet_drafts_finalize;

  /* Something in Drafts changed: a save landed or a draft went. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
signet_drafts_init (SignetDrafts *self)
{
  self->slots = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) slot_free);
  self->deletes = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&self->write_lock);
  g_mutex_init (&self->info_lock);
  self->infos = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) signet_draft_info_free);
}

/* Drafts of the store's Drafts folder, saved through @operation (sealed
 * ones to the sender's own key), with the index at @session_path. */
SignetDrafts *
signet_drafts_new (SignetSendOperation *operation,
                   SignetStore         *store,
                   const char          *session_path)
{
  SignetDrafts *self;

  g_return_val_if_fail (SIGNET_IS_SEND_OPERATION (operation), NULL);
  g_return_val_if_fail (SIGNET_IS_STORE (store), NULL);
  g_return_val_if_fail (session_path != NULL, NULL);

  self = g_object_new (SIGNET_TYPE_DRAFTS, NULL);
  self->operation = g_object_ref (operation);
  self->store = g_object_ref (store);
  self->session_path = g_strdup (session_path);
  return self;
}
