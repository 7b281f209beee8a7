#define G_LOG_DOMAIN "signet-message"

#include "signet-message.h"

#include <string.h>

#include "signet-errors.h"
#include "signet-i18n.h"

G_DEFINE_BOXED_TYPE (SignetAttachment, signet_attachment, signet_attachment_copy, signet_attachment_free)

SignetAttachment *
signet_attachment_new (GFile      *file,
                       const char *name,
                       const char *content_type,
                       goffset     size)
{
  SignetAttachment *attachment = g_new0 (SignetAttachment, 1);

  attachment->file = g_object_ref (file);
  attachment->name = name ? g_strdup (name) : g_file_get_basename (file);
  attachment->content_type = g_strdup (content_type ? content_type : "application/octet-stream");
  attachment->size = size;
  return attachment;
}

SignetAttachment *
signet_attachment_copy (const SignetAttachment *attachment)
{
  return signet_attachment_new (attachment->file, attachment->name,
                                attachment->content_type, attachment->size);
}

void
signet_attachment_free (SignetAttachment *attachment)
{
  if (attachment == NULL)
    return;
  g_clear_object (&attachment->file);
  g_free (attachment->name);
  g_free (attachment->content_type);
  g_free (attachment);
}

struct _SignetMessage
{
  GObject        parent_instance;

  SignetAddress *from;
  GPtrArray     *to;
  GPtrArray     *cc;
  GPtrArray     *bcc;
  char          *subject;
  char          *body;
  GPtrArray     *attachments;
  gboolean       seal;
};

G_DEFINE_FINAL_TYPE (SignetMessage, signet_message, G_TYPE_OBJECT)

static void
signet_message_finalize (GObject *object)
{
  SignetMessage *self = SIGNET_MESSAGE (object);

  g_clear_pointer (&self->from, signet_address_free);
  g_clear_pointer (&self->to, g_ptr_array_unref);
  g_clear_pointer (&self->cc, g_ptr_array_unref);
  g_clear_pointer (&self->bcc, g_ptr_array_unref);
  g_clear_pointer (&self->attachments, g_ptr_array_unref);
  g_free (self->subject);
  /* The body of a sealed message is a secret: do not leave it in freed memory. */
  if (self->body != NULL)
    {
      explicit_bzero (self->body, strlen (self->body));
      g_free (self->body);
    }

  G_OBJECT_CLASS (signet_message_parent_class)->finalize (object);
}

static void
signet_message_class_init (SignetMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = signet_message_finalize;
}

static void
signet_message_init (SignetMessage *self)
{
  self->to = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  self->cc = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  self->bcc = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  self->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_attachment_free);
  self->subject = g_strdup ("");
  self->body = g_strdup ("");
}

SignetMessage *
signet_message_new (void)
{
  return g_object_new (SIGNET_TYPE_MESSAGE, NULL);
}

const SignetAddress *
signet_message_get_from (SignetMessage *self)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), NULL);
  return self->from;
}

void
signet_message_set_from (SignetMessage       *self,
                         const SignetAddress *from)
{
  g_return_if_fail (SIGNET_IS_MESSAGE (self));
  g_clear_pointer (&self->from, signet_address_free);
  self->from = from ? signet_address_copy (from) : NULL;
}

GPtrArray *
signet_message_get_to (SignetMessage *self)
{
  return self->to;
}

GPtrArray *
signet_message_get_cc (SignetMessage *self)
{
  return self->cc;
}

GPtrArray *
signet_message_get_bcc (SignetMessage *self)
{
  return self->bcc;
}

void
signet_message_add_to (SignetMessage *self, const SignetAddress *address)
{
  g_ptr_array_add (self->to, signet_address_copy (address));
}

void
signet_message_add_cc (SignetMessage *self, const SignetAddress *address)
{
  g_ptr_array_add (self->cc, signet_address_copy (address));
}

void
signet_message_add_bcc (SignetMessage *self, const SignetAddress *address)
{
  g_ptr_array_add (self->bcc, signet_address_copy (address));
}

const char *
signet_message_get_subject (SignetMessage *self)
{
  return self->subject;
}

void
signet_message_set_subject (SignetMessage *self, const char *subject)
{
  g_free (self->subject);
  self->subject = g_strdup (subject ? subject : "");
}

const char *
signet_message_get_body (SignetMessage *self)
{
  return self->body;
}

void
signet_message_set_body (SignetMessage *self, const char *body)
{
  g_free (self->body);
  self->body = g_strdup (body ? body : "");
}

GPtrArray *
signet_message_get_attachments (SignetMessage *self)
{
  return self->attachments;
}

void
signet_message_add_attachment (SignetMessage *self, const SignetAttachment *attachment)
{
  g_ptr_array_add (self->attachments, signet_attachment_copy (attachment));
}

gboolean
signet_message_get_seal (SignetMessage *self)
{
  return self->seal;
}

void
signet_message_set_seal (SignetMessage *self, gboolean seal)
{
  self->seal = !!seal;
}

/* To, Cc and Bcc in that order, duplicates (by address) removed. */
GPtrArray *
signet_message_dup_all_recipients (SignetMessage *self)
{
  GPtrArray *lists[] = { self->to, self->cc, self->bcc };
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; i < lists[l]->len; i++)
      {
        const SignetAddress *a = g_ptr_array_index (lists[l], i);
        char *key = g_utf8_strdown (a->email, -1);

        if (g_hash_table_add (seen, key))
          g_ptr_array_add (all, signet_address_copy (a));
      }
  return all;
}

gboolean
signet_message_validate (SignetMessage *self,
                         gboolean       need_recipients,
                         GError       **error)
{
  if (self->from == NULL)
    {
      g_set_error (error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_NO_IDENTITY,
                   _("Choose who the message is from before sending."));
      return FALSE;
    }
  if (need_recipients && self->to->len + self->cc->len + self->bcc->len == 0)
    {
      g_set_error (error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_NO_RECIPIENTS,
                   _("Add at least one recipient in To, Cc or Bcc."));
      return FALSE;
    }
  if (!signet_header_check (self->subject, NULL))
    {
      g_set_error (error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_INVALID_HEADER,
                   _("The subject must not contain line breaks or control characters."));
      return FALSE;
    }
  return TRUE;
}
