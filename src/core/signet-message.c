#define G_LOG_DOMAIN "signet-message"

#include "signet-message.h"

#include <string.h>

#include "signet-errors.h"
#include "signet-i18n.h"

/* The message model: who it is from and for (name and address kept apart),
 * subject, body, attachments and whether it is sealed and signed. Getters hand out
 * read-only views; changes go through the setters. */
struct _SignetMessage
{
  GObject        parent_instance;

  SignetAddress *from;
  GPtrArray     *recipients[SIGNET_N_RECIPIENT_KINDS];  /* SignetAddress */
  char          *subject;
  char          *body;
  GListStore    *attachments;
  gboolean       seal;
  gboolean       sign;
  char          *draft_name;  /* the draft in Drafts that holds this message, if any */
};

G_DEFINE_FINAL_TYPE (SignetMessage, signet_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FROM,
  PROP_SUBJECT,
  PROP_BODY,
  PROP_SEAL,
  PROP_SIGN,
  PROP_ATTACHMENTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
wipe_string (char **text)
{
  /* The body of a sealed message is a secret: do not leave it in freed memory. */
  if (*text != NULL)
    explicit_bzero (*text, strlen (*text));
  g_clear_pointer (text, g_free);
}

static void
signet_message_finalize (GObject *object)
{
  SignetMessage *self = SIGNET_MESSAGE (object);

  g_clear_pointer (&self->from, signet_address_free);
  for (guint k = 0; k < SIGNET_N_RECIPIENT_KINDS; k++)
    g_clear_pointer (&self->recipients[k], g_ptr_array_unref);
  g_clear_object (&self->attachments);
  wipe_string (&self->subject);
  wipe_string (&self->body);
  g_free (self->draft_name);

  G_OBJECT_CLASS (signet_message_parent_class)->finalize (object);
}

static void
signet_message_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetMessage *self = SIGNET_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_FROM:
      g_value_set_boxed (value, self->from);
      break;
    case PROP_SUBJECT:
      g_value_set_string (value, self->subject);
      break;
    case PROP_BODY:
      g_value_set_string (value, self->body);
      break;
    case PROP_SEAL:
      g_value_set_boolean (value, self->seal);
      break;
    case PROP_SIGN:
      g_value_set_boolean (value, self->sign);
      break;
    case PROP_ATTACHMENTS:
      g_value_set_object (value, self->attachments);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_message_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetMessage *self = SIGNET_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_FROM:
      signet_message_set_from (self, g_value_get_boxed (value));
      break;
    case PROP_SUBJECT:
      signet_message_set_subject (self, g_value_get_string (value));
      break;
    case PROP_BODY:
      signet_message_set_body (self, g_value_get_string (value));
      break;
    case PROP_SEAL:
      signet_message_set_seal (self, g_value_get_boolean (value));
      break;
    case PROP_SIGN:
      signet_message_set_sign (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_message_class_init (SignetMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = signet_message_finalize;
  object_class->get_property = signet_message_get_property;
  object_class->set_property = signet_message_set_property;

  properties[PROP_FROM] = g_param_spec_boxed ("from", NULL, NULL, SIGNET_TYPE_ADDRESS, flags);
  properties[PROP_SUBJECT] = g_param_spec_string ("subject", NULL, NULL, "", flags);
  properties[PROP_BODY] = g_param_spec_string ("body", NULL, NULL, "", flags);
  properties[PROP_SEAL] = g_param_spec_boolean ("seal", NULL, NULL, FALSE, flags);
  properties[PROP_SIGN] = g_param_spec_boolean ("sign", NULL, NULL, FALSE, flags);
  properties[PROP_ATTACHMENTS] =
    g_param_spec_object ("attachments", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_message_init (SignetMessage *self)
{
  for (guint k = 0; k < SIGNET_N_RECIPIENT_KINDS; k++)
    self->recipients[k] = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  self->attachments = g_list_store_new (SIGNET_TYPE_ATTACHMENT);
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FROM]);
}

guint
signet_message_get_n_recipients (SignetMessage      *self,
                                 SignetRecipientKind kind)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), 0);
  g_return_val_if_fail (kind < SIGNET_N_RECIPIENT_KINDS, 0);
  return self->recipients[kind]->len;
}

const SignetAddress *
signet_message_get_recipient (SignetMessage      *self,
                              SignetRecipientKind kind,
                              guint               index)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (kind < SIGNET_N_RECIPIENT_KINDS, NULL);
  g_return_val_if_fail (index < self->recipients[kind]->len, NULL);
  return g_ptr_array_index (self->recipients[kind], index);
}

static gpointer
copy_address (gconstpointer address, gpointer unused)
{
  return signet_address_copy (address);
}

/* A copy of the addresses of one field (transfer full). */
GPtrArray *
signet_message_dup_recipients (SignetMessage      *self,
                               SignetRecipientKind kind)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (kind < SIGNET_N_RECIPIENT_KINDS, NULL);
  return g_ptr_array_copy (self->recipients[kind], copy_address, NULL);
}

void
signet_message_add_recipient (SignetMessage      *self,
                              SignetRecipientKind kind,
                              const SignetAddress *address)
{
  g_return_if_fail (SIGNET_IS_MESSAGE (self));
  g_return_if_fail (kind < SIGNET_N_RECIPIENT_KINDS);
  g_return_if_fail (address != NULL && address->email != NULL);
  g_ptr_array_add (self->recipients[kind], signet_address_copy (address));
}

void
signet_message_add_to (SignetMessage *self, const SignetAddress *address)
{
  signet_message_add_recipient (self, SIGNET_RECIPIENT_TO, address);
}

void
signet_message_add_cc (SignetMessage *self, const SignetAddress *address)
{
  signet_message_add_recipient (self, SIGNET_RECIPIENT_CC, address);
}

void
signet_message_add_bcc (SignetMessage *self, const SignetAddress *address)
{
  signet_message_add_recipient (self, SIGNET_RECIPIENT_BCC, address);
}

const char *
signet_message_get_subject (SignetMessage *self)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), NULL);
  return self->subject;
}

void
signet_message_set_subject (SignetMessage *self, const char *subject)
{
  g_return_if_fail (SIGNET_IS_MESSAGE (self));
  wipe_string (&self->subject);
  self->subject = g_strdup (subject ? subject : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBJECT]);
}

const char *
signet_message_get_body (SignetMessage *self)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), NULL);
  return self->body;
}

void
signet_message_set_body (SignetMessage *self, const char *body)
{
  g_return_if_fail (SIGNET_IS_MESSAGE (self));
  wipe_string (&self->body);
  self->body = g_strdup (body ? body : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BODY]);
}

/* The attachments, as a read-only list of SignetAttachment. */
GListModel *
signet_message_get_attachments (SignetMessage *self)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), NULL);
  return G_LIST_MODEL (self->attachments);
}

void
signet_message_add_attachment (SignetMessage    *self,
                               SignetAttachment *attachment)
{
  g_return_if_fail (SIGNET_IS_MESSAGE (self));
  g_return_if_fail (SIGNET_IS_ATTACHMENT (attachment));
  g_list_store_append (self->attachments, attachment);
}

gboolean
signet_message_get_seal (SignetMessage *self)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), FALSE);
  return self->seal;
}

void
signet_message_set_seal (SignetMessage *self, gboolean seal)
{
  g_return_if_fail (SIGNET_IS_MESSAGE (self));
  if (self->seal == !!seal)
    return;
  self->seal = !!seal;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEAL]);
}

gboolean
signet_message_get_sign (SignetMessage *self)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), FALSE);
  return self->sign;
}

void
signet_message_set_sign (SignetMessage *self, gboolean sign)
{
  g_return_if_fail (SIGNET_IS_MESSAGE (self));
  if (self->sign == !!sign)
    return;
  self->sign = !!sign;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGN]);
}

/* The file name in Drafts of the draft that holds this message (it was
 * saved there, or opened from there): sending the message removes it in
 * the same step that queues it. NULL: none. */
const char *
signet_message_get_draft_name (SignetMessage *self)
{
  g_return_val_if_fail (SIGNET_IS_MESSAGE (self), NULL);
  return self->draft_name;
}

void
signet_message_set_draft_name (SignetMessage *self,
                               const char    *name)
{
  g_return_if_fail (SIGNET_IS_MESSAGE (self));
  g_return_if_fail (name == NULL || (strchr (name, '/') == NULL && *name != '.'));
  g_free (self->draft_name);
  self->draft_name = g_strdup (name);
}

/* To, Cc and Bcc in that order, each address once (compared normalised). */
GPtrArray *
signet_message_dup_all_recipients (SignetMessage *self)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);

  for (guint k = 0; k < SIGNET_N_RECIPIENT_KINDS; k++)
    for (guint i = 0; i < self->recipients[k]->len; i++)
      {
        const SignetAddress *a = g_ptr_array_index (self->recipients[k], i);

        if (g_hash_table_add (seen, signet_address_normalize (a->email)))
          g_ptr_array_add (all, signet_address_copy (a));
      }
  return all;
}

/* What signet_address_parse_list() accepts as typed. */
static gboolean
is_sendable (const SignetAddress *address, GError **error)
{
  if (!signet_address_is_valid_email (address->email))
    {
      /* Translators: %s is an address as the user typed it */
      g_set_error (error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_INVALID_HEADER,
                   _("“%s” is not a valid email address."), address->email);
      return FALSE;
    }
  if (address->name != NULL && !signet_address_name_is_sendable (address->name))
    {
      g_autofree char *shown = signet_address_to_string (address);

      /* Translators: %s is an address as the user typed it */
      g_set_error (error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_INVALID_HEADER,
                   _("The name in “%s” cannot be sent as it is: mail programs would read a “=” in it as encoded text."),
                   shown);
      return FALSE;
    }
  return TRUE;
}

gboolean
signet_message_validate (SignetMessage *self,
                         gboolean       need_recipients,
                         GError       **error)
{
  guint n = 0;

  for (guint k = 0; k < SIGNET_N_RECIPIENT_KINDS; k++)
    n += self->recipients[k]->len;
  /* A plain draft may wait for its sender; a send, or anything sealed to
   * the sender's own key, may not. */
  if (self->from == NULL && (need_recipients || self->seal))
    {
      g_set_error (error, SIGNET_SEND_ERROR, SIGNET_SEND_ERROR_NO_IDENTITY,
                   _("Choose who the message is from before sending."));
      return FALSE;
    }
  if (need_recipients && n == 0)
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
  /* A draft or a queued message an earlier Signet wrote may hold an
   * address it no longer sends (signet_address_parse_list_stored()): it
   * is kept, and corrected before it goes out. */
  if (need_recipients)
    {
      g_autoptr(GPtrArray) all = signet_message_dup_all_recipients (self);

      g_ptr_array_add (all, signet_address_copy (self->from));
      for (guint i = 0; i < all->len; i++)
        if (!is_sendable (g_ptr_array_index (all, i), error))
          return FALSE;
    }
  return TRUE;
}
