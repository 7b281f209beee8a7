#define G_LOG_DOMAIN "signet-network"

#include "signet-network.h"

/* The single answer to "can we reach the directory and the mail server?":
 * the system's network monitor and the user's Work Offline switch combined. */
struct _SignetNetwork
{
  GObject          parent_instance;

  GNetworkMonitor *monitor;
  gboolean         work_offline;
  gboolean         online;
};

G_DEFINE_FINAL_TYPE (SignetNetwork, signet_network, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MONITOR,
  PROP_WORK_OFFLINE,
  PROP_ONLINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_online (SignetNetwork *self)
{
  gboolean online = !self->work_offline && signet_network_get_network_available (self);

  if (online == self->online)
    return;
  self->online = online;
  g_debug ("online: %s", online ? "yes" : "no");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
}

static void
on_network_changed (GNetworkMonitor *monitor,
                    gboolean         available,
                    SignetNetwork   *self)
{
  update_online (self);
}

static void
signet_network_constructed (GObject *object)
{
  SignetNetwork *self = SIGNET_NETWORK (object);

  G_OBJECT_CLASS (signet_network_parent_class)->constructed (object);

  if (self->monitor == NULL)
    self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect_object (self->monitor, "network-changed",
                           G_CALLBACK (on_network_changed), self, 0);
  self->online = !self->work_offline && signet_network_get_network_available (self);
}

static void
signet_network_dispose (GObject *object)
{
  SignetNetwork *self = SIGNET_NETWORK (object);

  g_clear_object (&self->monitor);
  G_OBJECT_CLASS (signet_network_parent_class)->dispose (object);
}

static void
signet_network_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SignetNetwork *self = SIGNET_NETWORK (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      g_value_set_object (value, self->monitor);
      break;
    case PROP_WORK_OFFLINE:
      g_value_set_boolean (value, self->work_offline);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_network_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SignetNetwork *self = SIGNET_NETWORK (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      self->monitor = g_value_dup_object (value);
      break;
    case PROP_WORK_OFFLINE:
      signet_network_set_work_offline (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_network_class_init (SignetNetworkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = signet_network_constructed;
  object_class->dispose = signet_network_dispose;
  object_class->get_property = signet_network_get_property;
  object_class->set_property = signet_network_set_property;

  properties[PROP_MONITOR] =
    g_param_spec_object ("monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WORK_OFFLINE] =
    g_param_spec_boolean ("work-offline", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
signet_network_init (SignetNetwork *self)
{
}

/* @monitor: (nullable): the monitor to follow; %NULL for the system default. */
SignetNetwork *
signet_network_new (GNetworkMonitor *monitor)
{
  return g_object_new (SIGNET_TYPE_NETWORK, "monitor", monitor, NULL);
}

gboolean
signet_network_get_network_available (SignetNetwork *self)
{
  g_return_val_if_fail (SIGNET_IS_NETWORK (self), FALSE);
  return self->monitor != NULL && g_network_monitor_get_network_available (self->monitor);
}

gboolean
signet_network_get_online (SignetNetwork *self)
{
  g_return_val_if_fail (SIGNET_IS_NETWORK (self), FALSE);
  return self->online;
}

gboolean
signet_network_get_work_offline (SignetNetwork *self)
{
  g_return_val_if_fail (SIGNET_IS_NETWORK (self), FALSE);
  return self->work_offline;
}

void
signet_network_set_work_offline (SignetNetwork *self,
                                 gboolean       work_offline)
{
  g_return_if_fail (SIGNET_IS_NETWORK (self));

  work_offline = !!work_offline;
  if (self->work_offline == work_offline)
    return;
  self->work_offline = work_offline;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORK_OFFLINE]);
  if (self->monitor != NULL)
    update_online (self);
}
