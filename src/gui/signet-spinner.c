#include "signet-spinner.h"

#define SIZE 16
#define TURN_USEC G_USEC_PER_SEC

struct _SignetSpinner {
  GtkWidget         parent_instance;
  gboolean          spinning;
  guint             tick_id;
  gint64            start;
  GtkIconPaintable *icon;
};

G_DEFINE_FINAL_TYPE (SignetSpinner, signet_spinner, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SPINNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

/* Turning only while it is on screen: a hidden spinner costs nothing. */
static void
update_tick (SignetSpinner *self)
{
  gboolean turn = self->spinning && gtk_widget_get_mapped (GTK_WIDGET (self));

  if (turn && self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_tick, NULL, NULL);
  else if (!turn && self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
}

/* Looked up the same way each time, preloading (GTK's loader threads read
 * it), so that a lookup after css_changed() dropped the icon is one the
 * theme's cache answers with the icon read before. */
static GtkIconPaintable *
get_icon (SignetSpinner *self)
{
  GtkWidget *widget = GTK_WIDGET (self);

  if (self->icon == NULL)
    self->icon = gtk_icon_theme_lookup_icon (gtk_icon_theme_get_for_display (gtk_widget_get_display (widget)),
                                             "process-working-symbolic", NULL, SIZE,
                                             gtk_widget_get_scale_factor (widget), GTK_TEXT_DIR_NONE,
                                             GTK_ICON_LOOKUP_PRELOAD);
  return self->icon;
}

static void
signet_spinner_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SignetSpinner *self = SIGNET_SPINNER (widget);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  float width = gtk_widget_get_width (widget);
  float height = gtk_widget_get_height (widget);
  gint64 now;
  GdkRGBA color;
  float angle;

  if (!self->spinning || clock == NULL)
    return;
  now = gdk_frame_clock_get_frame_time (clock);
  if (self->start == 0)
    self->start = now;
  angle = (float) ((now - self->start) % TURN_USEC) * 360.f / TURN_USEC;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (width / 2.f, height / 2.f));
  gtk_snapshot_rotate (snapshot, angle);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (-SIZE / 2.f, -SIZE / 2.f));
  gtk_symbolic_paintable_snapshot_symbolic (GTK_SYMBOLIC_PAINTABLE (get_icon (self)), snapshot, SIZE, SIZE,
                                            &color, 1);
  gtk_snapshot_restore (snapshot);
}

static void
signet_spinner_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = *natural = SIZE;
}

static void
signet_spinner_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (signet_spinner_parent_class)->map (widget);
  update_tick (SIGNET_SPINNER (widget));
}

static void
signet_spinner_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (signet_spinner_parent_class)->unmap (widget);
  update_tick (SIGNET_SPINNER (widget));
}

/* The theme, the scale or the direction may give another icon. */
static void
signet_spinner_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (signet_spinner_parent_class)->css_changed (widget, change);
  g_clear_object (&SIGNET_SPINNER (widget)->icon);
}

static void
signet_spinner_dispose (GObject *object)
{
  SignetSpinner *self = SIGNET_SPINNER (object);

  g_clear_object (&self->icon);
  G_OBJECT_CLASS (signet_spinner_parent_class)->dispose (object);
}

static void
signet_spinner_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SPINNING:
      g_value_set_boolean (value, SIGNET_SPINNER (object)->spinning);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_spinner_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SPINNING:
      signet_spinner_set_spinning (SIGNET_SPINNER (object), g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
signet_spinner_class_init (SignetSpinnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = signet_spinner_dispose;
  object_class->get_property = signet_spinner_get_property;
  object_class->set_property = signet_spinner_set_property;
  widget_class->snapshot = signet_spinner_snapshot;
  widget_class->measure = signet_spinner_measure;
  widget_class->map = signet_spinner_map;
  widget_class->unmap = signet_spinner_unmap;
  widget_class->css_changed = signet_spinner_css_changed;

  properties[PROP_SPINNING] = g_param_spec_boolean ("spinning", NULL, NULL, FALSE,
                                                    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "signet-spinner");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PROGRESS_BAR);
}

static void
signet_spinner_init (SignetSpinner *self)
{
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
}

GtkWidget *
signet_spinner_new (void)
{
  return g_object_new (SIGNET_TYPE_SPINNER, NULL);
}

void
signet_spinner_set_spinning (SignetSpinner *self,
                             gboolean       spinning)
{
  g_return_if_fail (SIGNET_IS_SPINNER (self));

  spinning = !!spinning;
  if (self->spinning == spinning)
    return;
  self->spinning = spinning;
  self->start = 0;
  update_tick (self);
  /* Not turning, it draws nothing, and screen readers are not told of it. */
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_BUSY, spinning,
                               GTK_ACCESSIBLE_STATE_HIDDEN, !spinning, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPINNING]);
}

/* Has GTK's loader threads read the icon now, ahead of the first time it
 * turns: the first icon drawn from the theme's SVGs sets up their loader,
 * which would hold that frame up by several milliseconds. */
void
signet_spinner_preload (SignetSpinner *self)
{
  g_return_if_fail (SIGNET_IS_SPINNER (self));

  get_icon (self);
}

gboolean
signet_spinner_get_spinning (SignetSpinner *self)
{
  g_return_val_if_fail (SIGNET_IS_SPINNER (self), FALSE);

  return self->spinning;
}
