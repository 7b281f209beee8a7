#define G_LOG_DOMAIN "signet-sign-availability"

#include "config.h"

#include "signet-sign-availability.h"

#include "signet-address.h"
#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-signer.h"

/* Whether the sender (the From address) has a secret key that can sign, so
 * that the composer can offer Sign or say why not. Looked up in a worker
 * thread each time the sender changes; a lookup still running for an
 * earlier sender is cancelled, and its answer never shown. */
struct _SignetSignAvailability
{
  GObject             parent_instance;

  SignetKeyDirectory *directory;
  GCancellable       *cancellable;   /* the lookup in flight */
  char               *sender;        /* the From text last looked up */
  char               *preferred;
  gboolean            known;
  gboolean            available;
  char               *reason;        /* why Sign cannot be used, or NULL */
};

G_DEFINE_FINAL_TYPE (SignetSignAvailability, signet_sign_availability, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KNOWN,
  PROP_AVAILABLE,
  PROP_REASON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_state (SignetSignAvailability *self, gboolean known, gboolean available, const char *reason)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->known != known)
    {
      self->known = known;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KNOWN]);
    }
  if (self->available != available)
    {
      self->available = available;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
    }
  if (g_strcmp0 (self->reason, reason) != 0)
    {
      g_free (self->reason);
      self->reason = g_strdup (reason);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
on_key_chosen (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetSignAvailability) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = signet_signer_choose_key_finish (result, &error);
  g_autofree char *reason = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (fingerprint != NULL)
    {
      set_state (self, TRUE, TRUE, NULL);
      return;
    }
  if (g_error_matches (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY))
    reason = g_strdup (error->message);
  else
    /* Translators: %s is GnuPG's or the system's description of the problem */
    reason = g_strdup_printf (_("Sign cannot be used: your keyring could not be read (%s)."), error->message);
  set_state (self, TRUE, FALSE, reason);
}

/* Looks up whether @from (a From address, as typed) can sign; with
 * @preferred_key (a fingerprint, or NULL) as the key chosen in Preferences. */
void
signet_sign_availability_set_sender (SignetSignAvailability *self,
                                     const char             *from,
                                     const char             *preferred_key)
{
  g_autoptr(SignetAddress) address = NULL;

  g_return_if_fail (SIGNET_IS_SIGN_AVAILABILITY (self));
  if (self->known && g_strcmp0 (self->sender, from) == 0 && g_strcmp0 (self->preferred, preferred_key) == 0)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_free (self->sender);
  self->sender = g_strdup (from);
  g_free (self->preferred);
  self->preferred = g_strdup (preferred_key);
  address = from != NULL ? signet_address_parse (from, NULL) : NULL;
  if (address == NULL)
    {
      set_state (self, TRUE, FALSE, _("Sign needs a valid From address."));
      return;
    }
  set_state (self, FALSE, self->available, self->reason);
  self->cancellable = g_cancellable_new ();
  signet_signer_choose_key_async (self->directory, address->email, preferred_key, self->cancellable,
                                  on_key_chosen, g_object_ref (self));
}

gboolean
signet_sign_availability_get_known (SignetSignAvailability *self)
{
  g_return_val_if_fail (SIGNET_IS_SIGN_AVAILABILITY (self), FALSE);
  return self->known;
}

gboolean
signet_sign_availability_get_available (SignetSignAvailability *self)
{
  g_return_val_if_fail (SIGNET_IS_SIGN_AVAILABILITY (self), FALSE);
  return self->available;
}

/* Why the sender cannot sign, in words for the user; NULL when they can
 * (or it is not known yet). */
const char *
signet_sign_availability_get_reason (SignetSignAvailability *self)
{
  g_return_val_if_fail (SIGNET_IS_SIGN_AVAILABILITY (self), NULL);
  return self->reason;
}

static void
signet_sign_availability_dispose (GObject *object)
{
  SignetSignAvailability *self = SIGNET_SIGN_AVAILABILITY (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->directory);
  G_OBJECT_CLASS (signet_sign_availability_parent_class)->dispose (object);
}

static void
signet_sign_availability_finalize (GObject *object)
{
  SignetSignAvailability *self = SIGNET_SIGN_AVAILABILITY (object);

  g_free (self->sender);
  g_free (self->preferred);
  g_free (self->reason);
  G_OBJECT_CLASS (signet_sign_availability_parent_class)->finalize (object);
}

static void
signet_sign_availability_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetSignAvailability *self = SIGNET_SIGN_AVAILABILITY (object);

  switch (prop_id)
    {
    case PROP_KNOWN:
      g_value_set_boolean (value, self->known);
      break;
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case PROP_REASON:
      g_value_set_string (value, self->reason);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_sign_availability_class_init (SignetSignAvailabilityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = signet_sign_availability_dispose;
  object_class->finalize = signet_sign_availability_finalize;
  object_class->get_property = signet_sign_availability_get_property;

  /* The lookup for the current sender has answered. */
  properties[PROP_KNOWN] =
    g_param_spec_boolean ("known", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The sender has a secret key that can sign. */
  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REASON] =
    g_param_spec_string ("reason", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_sign_availability_init (SignetSignAvailability *self)
{
}

SignetSignAvailability *
signet_sign_availability_new (SignetKeyDirectory *directory)
{
  SignetSignAvailability *self = g_object_new (SIGNET_TYPE_SIGN_AVAILABILITY, NULL);

  self->directory = g_object_ref (directory);
  return self;
}
