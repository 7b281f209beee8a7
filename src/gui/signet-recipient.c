/* One recipient of a message as an address field holds it: the address and,
 * once the key directory has been asked, what it said about the key. */
#define G_LOG_DOMAIN "signet-recipient"

#include "signet-recipient.h"

struct _SignetRecipient
{
  GObject          parent_instance;

  SignetAddress   *address;
  gboolean         checked;
  SignetKeyStatus  status;
  char            *status_text;
};

G_DEFINE_FINAL_TYPE (SignetRecipient, signet_recipient, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_CHECKED,
  PROP_STATUS,
  PROP_STATUS_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
signet_recipient_finalize (GObject *object)
{
  SignetRecipient *self = SIGNET_RECIPIENT (object);

  g_clear_pointer (&self->address, signet_address_free);
  g_clear_pointer (&self->status_text, g_free);
  G_OBJECT_CLASS (signet_recipient_parent_class)->finalize (object);
}

static void
signet_recipient_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SignetRecipient *self = SIGNET_RECIPIENT (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      g_value_set_boxed (value, self->address);
      break;
    case PROP_CHECKED:
      g_value_set_boolean (value, self->checked);
      break;
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;
    case PROP_STATUS_TEXT:
      g_value_set_string (value, self->status_text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_recipient_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SignetRecipient *self = SIGNET_RECIPIENT (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      /* Construct-only: a recipient with another address is another item. */
      g_clear_pointer (&self->address, signet_address_free);
      self->address = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_recipient_class_init (SignetRecipientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = signet_recipient_finalize;
  object_class->get_property = signet_recipient_get_property;
  object_class->set_property = signet_recipient_set_property;

  properties[PROP_ADDRESS] =
    g_param_spec_boxed ("address", NULL, NULL, SIGNET_TYPE_ADDRESS,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* FALSE until the key directory has answered for this address: "status"
   * means nothing before that. */
  properties[PROP_CHECKED] =
    g_param_spec_boolean ("checked", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* A SignetKeyStatus (the core registers no enum type for it). */
  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL, SIGNET_KEY_STATUS_OK, SIGNET_KEY_STATUS_AMBIGUOUS,
                      SIGNET_KEY_STATUS_OK,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS_TEXT] =
    g_param_spec_string ("status-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_recipient_init (SignetRecipient *self)
{
}

SignetRecipient *
signet_recipient_new (const SignetAddress *address)
{
  g_return_val_if_fail (address != NULL, NULL);

  return g_object_new (SIGNET_TYPE_RECIPIENT, "address", address, NULL);
}

const SignetAddress *
signet_recipient_get_address (SignetRecipient *self)
{
  g_return_val_if_fail (SIGNET_IS_RECIPIENT (self), NULL);

  return self->address;
}

gboolean
signet_recipient_get_checked (SignetRecipient *self)
{
  g_return_val_if_fail (SIGNET_IS_RECIPIENT (self), FALSE);

  return self->checked;
}

SignetKeyStatus
signet_recipient_get_status (SignetRecipient *self)
{
  g_return_val_if_fail (SIGNET_IS_RECIPIENT (self), SIGNET_KEY_STATUS_OK);

  return self->status;
}

/* The words for the status; NULL while unchecked. */
const char *
signet_recipient_get_status_text (SignetRecipient *self)
{
  g_return_val_if_fail (SIGNET_IS_RECIPIENT (self), NULL);

  return self->status_text;
}

/* Notifies once, after all three properties hold the new state, so that a
 * view never shows a new status with the old words. */
static void
notify_status (SignetRecipient *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_TEXT]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* @text: the words shown for @status; NULL for the directory's own
 * (signet_key_status_describe()). */
void
signet_recipient_set_status (SignetRecipient *self,
                             SignetKeyStatus  status,
                             const char      *text)
{
  g_return_if_fail (SIGNET_IS_RECIPIENT (self));

  if (text == NULL)
    text = signet_key_status_describe (status);
  /* Told again what it already shows: its pill is not redrawn. */
  if (self->checked && self->status == status && g_strcmp0 (self->status_text, text) == 0)
    return;
  self->checked = TRUE;
  self->status = status;
  g_free (self->status_text);
  self->status_text = g_strdup (text);
  notify_status (self);
}

void
signet_recipient_clear_status (SignetRecipient *self)
{
  g_return_if_fail (SIGNET_IS_RECIPIENT (self));

  if (!self->checked)
    return;
  self->checked = FALSE;
  self->status = SIGNET_KEY_STATUS_OK;
  g_clear_pointer (&self->status_text, g_free);
  notify_status (self);
}
