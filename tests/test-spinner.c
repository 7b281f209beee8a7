/* The spinner Send and Check Names show, in process: it turns in every
 * frame while it spins and is on screen, and costs nothing otherwise; a
 * frame of it only draws, it never lays its window out again (GTK 4.8's
 * GtkSpinner does, and on X11 asks the X server where the window is,
 * in every frame). */
#include <adwaita.h>

#include "signet-spinner.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

typedef struct {
  GtkWindow     *window;
  SignetSpinner *spinner;
  guint          layouts;
  guint          paints;
} Fixture;

static void
on_layout (GdkFrameClock *clock, Fixture *f)
{
  f->layouts++;
}

static void
on_paint (GdkFrameClock *clock, Fixture *f)
{
  f->paints++;
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  f->window = GTK_WINDOW (gtk_window_new ());
  f->spinner = SIGNET_SPINNER (signet_spinner_new ());
  gtk_box_append (GTK_BOX (box), gtk_label_new ("Sending…"));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->spinner));
  gtk_window_set_child (f->window, box);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_present (f->window);
  signet_test_wait_until (is_mapped, f->spinner);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_ui_destroy_all_windows ();
  g_assert_null (f->window);
}

/* Counts the frame clock's layout and paint phases for @ms milliseconds. */
static void
count_frames (Fixture *f, guint ms)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (f->window));
  gint64 end = g_get_monotonic_time () + ms * 1000;
  gulong layout_id = g_signal_connect (clock, "layout", G_CALLBACK (on_layout), f);
  gulong paint_id = g_signal_connect (clock, "paint", G_CALLBACK (on_paint), f);

  f->layouts = f->paints = 0;
  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_signal_handler_disconnect (clock, layout_id);
  g_signal_handler_disconnect (clock, paint_id);
}

/* Let what starting to spin queued (its first frame) settle. */
static void
settle (Fixture *f)
{
  count_frames (f, 100);
}

static void
test_turns_without_layout (Fixture *f, gconstpointer data)
{
  g_assert_false (signet_spinner_get_spinning (f->spinner));
  signet_spinner_set_spinning (f->spinner, TRUE);
  g_assert_true (signet_spinner_get_spinning (f->spinner));
  settle (f);
  count_frames (f, 500);
  g_test_message ("%u paints, %u layouts in 500 ms", f->paints, f->layouts);
  /* It turns: a frame drawn again and again. */
  g_assert_cmpuint (f->paints, >=, 10);
  /* Only drawn: the window is not laid out again for it. */
  g_assert_cmpuint (f->layouts, <=, 1);
}

static void
test_still_when_stopped (Fixture *f, gconstpointer data)
{
  signet_spinner_set_spinning (f->spinner, TRUE);
  settle (f);
  signet_spinner_set_spinning (f->spinner, FALSE);
  settle (f);
  count_frames (f, 300);
  g_assert_cmpuint (f->paints, ==, 0);
}

/* Spinning while hidden: nothing to draw, no frames; shown again, it
 * turns again. */
static void
test_still_when_hidden (Fixture *f, gconstpointer data)
{
  signet_spinner_set_spinning (f->spinner, TRUE);
  settle (f);
  gtk_widget_set_visible (GTK_WIDGET (f->spinner), FALSE);
  settle (f);
  count_frames (f, 300);
  g_assert_cmpuint (f->paints, ==, 0);
  gtk_widget_set_visible (GTK_WIDGET (f->spinner), TRUE);
  settle (f);
  count_frames (f, 300);
  g_assert_cmpuint (f->paints, >=, 5);
}

/* Assistive technologies hear of it as a progress indicator. */
static void
test_accessible (Fixture *f, gconstpointer data)
{
  GtkAccessibleRole role;

  g_object_get (f->spinner, "accessible-role", &role, NULL);
  g_assert_cmpint (role, ==, GTK_ACCESSIBLE_ROLE_PROGRESS_BAR);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add ("/spinner/turns-without-layout", Fixture, NULL, fixture_setup, test_turns_without_layout,
              fixture_teardown);
  g_test_add ("/spinner/still-when-stopped", Fixture, NULL, fixture_setup, test_still_when_stopped,
              fixture_teardown);
  g_test_add ("/spinner/still-when-hidden", Fixture, NULL, fixture_setup, test_still_when_hidden,
              fixture_teardown);
  g_test_add ("/spinner/accessible", Fixture, NULL, fixture_setup, test_accessible, fixture_teardown);
  return g_test_run ();
}
