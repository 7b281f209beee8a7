/* The address field of pills: typed and pasted text becomes recipients,
 * Backspace and the remove buttons take them away, bad text stays and says
 * why, and each pill tells its key status in words. The field runs in a real
 * window; keys reach it through its key controller. */
#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <string.h>

#include "signet-recipient-field.h"
#include "signet-recipient-pill.h"
#include "signet-test-util.h"

typedef struct {
  GtkWindow            *window;
  SignetRecipientField *field;
  GtkWidget            *text;
  GtkWidget            *other;
  guint                 changed;
} Fixture;

static void
pump (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
on_changed (Fixture *f)
{
  f->changed++;
}

static gboolean
is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 360, 200);
  f->field = SIGNET_RECIPIENT_FIELD (signet_recipient_field_new ());
  f->text = GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (f->field)));
  f->other = gtk_entry_new ();
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->field));
  gtk_box_append (GTK_BOX (box), f->other);
  gtk_window_set_child (f->window, box);
  g_signal_connect_swapped (f->field, "changed", G_CALLBACK (on_changed), f);
  gtk_window_present (f->window);
  signet_test_wait_until (is_mapped, f->field);
  gtk_widget_grab_focus (GTK_WIDGET (f->field));
  pump ();
  f->changed = 0;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  pump ();
}

/* Typed one character at a time, as a user types. */
static void
type (Fixture *f, const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      int position = gtk_editable_get_position (GTK_EDITABLE (f->text));

      gtk_editable_insert_text (GTK_EDITABLE (f->text), p, g_utf8_next_char (p) - p, &position);
      gtk_editable_set_position (GTK_EDITABLE (f->text), position);
      pump ();
    }
}

/* All at once, as a paste inserts it. */
static void
paste (Fixture *f, const char *text)
{
  int position = gtk_editable_get_position (GTK_EDITABLE (f->text));

  gtk_editable_insert_text (GTK_EDITABLE (f->text), text, -1, &position);
  pump ();
}

static gboolean
press (Fixture *f, guint keyval)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (f->text);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (g_strcmp0 (gtk_event_controller_get_name (controller), "signet-recipient-keys") == 0)
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, 0, &handled);
          pump ();
          return handled;
        }
    }
  g_assert_not_reached ();
}

static guint
n_pills (Fixture *f)
{
  return g_list_model_get_n_items (signet_recipient_field_get_model (f->field));
}

static const char *
email_at (Fixture *f, guint i)
{
  g_autoptr(SignetRecipient) recipient = g_list_model_get_item (signet_recipient_field_get_model (f->field), i);

  /* The model holds its own reference: the address outlives this one. */
  return signet_recipient_get_address (recipient)->email;
}

static GtkWidget *
pill_at (Fixture *f, guint i)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (f->field)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (gtk_widget_has_css_class (c, "signet-recipient-pill") && n++ == i)
      return c;
  g_assert_not_reached ();
}

static const char *
pending (Fixture *f)
{
  return gtk_editable_get_text (GTK_EDITABLE (f->field));
}

static GPtrArray *
addresses (const char *first_name, const char *first_email, ...)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  const char *name = first_name, *email = first_email;
  va_list args;

  va_start (args, first_email);
  while (email != NULL)
    {
      g_ptr_array_add (out, signet_address_new (name, email));
      name = va_arg (args, const char *);
      email = name != NULL || TRUE ? va_arg (args, const char *) : NULL;
    }
  va_end (args);
  return out;
}

static void
test_comma (Fixture *f, gconstpointer data)
{
  type (f, "alice@example.org,");
  g_assert_cmpuint (n_pills (f), ==, 1);
  g_assert_cmpstr (email_at (f, 0), ==, "alice@example.org");
  g_assert_cmpstr (pending (f), ==, "");

  type (f, "bob@example.org;");
  g_assert_cmpuint (n_pills (f), ==, 2);
  g_assert_cmpstr (email_at (f, 1), ==, "bob@example.org");
  g_assert_cmpstr (pending (f), ==, "");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (f->field), "error"));
}

/* A comma inside a quoted name is part of the name, not the end of it. */
static void
test_comma_in_quotes (Fixture *f, gconstpointer data)
{
  type (f, "\"Doe, John\" <john@example.org>");
  g_assert_cmpuint (n_pills (f), ==, 0);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (f->field), "error"));
  type (f, ",");
  g_assert_cmpuint (n_pills (f), ==, 1);
  g_assert_cmpstr (email_at (f, 0), ==, "john@example.org");
  g_assert_cmpstr (pending (f), ==, "");
}

static void
test_enter (Fixture *f, gconstpointer data)
{
  type (f, "Bob Example <bob@example.org>");
  g_assert_cmpuint (n_pills (f), ==, 0);
  g_signal_emit_by_name (f->text, "activate");
  pump ();
  g_assert_cmpuint (n_pills (f), ==, 1);
  g_assert_cmpstr (email_at (f, 0), ==, "bob@example.org");
  g_assert_cmpstr (pending (f), ==, "");
}

static void
test_tab (Fixture *f, gconstpointer data)
{
  type (f, "carol@example.org");
  g_assert_true (press (f, GDK_KEY_Tab));
  g_assert_cmpuint (n_pills (f), ==, 1);
  g_assert_cmpstr (pending (f), ==, "");
  /* With nothing typed, Tab moves on as everywhere else. */
  g_assert_false (press (f, GDK_KEY_Tab));
  g_assert_cmpuint (n_pills (f), ==, 1);
}

static void
test_focus_out (Fixture *f, gconstpointer data)
{
  type (f, "dave@example.org");
  g_assert_true (gtk_widget_has_focus (f->text));
  gtk_widget_grab_focus (f->other);
  pump ();
  g_assert_cmpuint (n_pills (f), ==, 1);
  g_assert_cmpstr (email_at (f, 0), ==, "dave@example.org");
  g_assert_cmpstr (pending (f), ==, "");
}

static void
test_paste_ten (Fixture *f, gconstpointer data)
{
  paste (f, "a0@example.org, B One <b1@example.org>, \"Doe, Jane\" <c2@example.org>; d3@example.org,"
            "e4@example.org, f5@example.org, g6@example.org, h7@example.org, i8@example.org, j9@example.org");
  g_assert_cmpuint (n_pills (f), ==, 10);
  g_assert_cmpstr (pending (f), ==, "");
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *expected = g_strdup_printf ("%c%u@example.org", 'a' + i, i);
      g_assert_cmpstr (email_at (f, i), ==, expected);
    }
}

/* A pill is made without waiting on the X server: a tooltip set on a
 * shown widget makes GTK ask for the pointer (three round trips): a pill
 * made ten requests, pasting a hundred addresses a thousand. Its status is
 * still in its tooltip, once made and once checked. */
static void
test_pill_without_round_trips (Fixture *f, gconstpointer data)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (f->field));
  g_autoptr(SignetAddress) address = signet_address_new ("Alice", "alice@example.org");
  g_autoptr(SignetRecipient) recipient = signet_recipient_new (address);
  g_autoptr(GtkWidget) first = NULL;
  g_autoptr(GtkWidget) pill = NULL;
  unsigned long before;

  if (!GDK_IS_X11_DISPLAY (display))
    {
      g_test_skip ("not on X11");
      return;
    }
  /* The first one also sets up what every pill shares. */
  first = g_object_ref_sink (signet_recipient_pill_new (recipient));
  before = XNextRequest (gdk_x11_display_get_xdisplay (display));
  pill = g_object_ref_sink (signet_recipient_pill_new (recipient));
  /* Fewer than one tooltip's questions (it was 10 requests). */
  g_assert_cmpuint (XNextRequest (gdk_x11_display_get_xdisplay (display)) - before, <, 3);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill), ==, "Alice <alice@example.org>");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (signet_recipient_pill_get_remove (pill)), ==,
                   "Remove alice@example.org");
  g_assert_true (gtk_widget_get_visible (pill));
  g_assert_true (gtk_widget_get_visible (signet_recipient_pill_get_remove (pill)));
  signet_recipient_set_status (recipient, SIGNET_KEY_STATUS_OK, "Valid sealing key");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill), ==, "alice@example.org: Valid sealing key");
}

/* Many pills wrap onto several lines, the text after the last one. */
static gboolean
is_laid_out (gpointer data)
{
  Fixture *f = data;

  return gtk_widget_get_width (pill_at (f, 0)) > 0 && gtk_widget_get_width (pill_at (f, n_pills (f) - 1)) > 0;
}

static void
test_wraps (Fixture *f, gconstpointer data)
{
  graphene_rect_t first, last, text, field;

  paste (f, "a0@example.org, b1@example.org, c2@example.org, d3@example.org,");
  g_assert_cmpuint (n_pills (f), ==, 4);
  signet_test_wait_until (is_laid_out, f);
  g_assert_true (gtk_widget_compute_bounds (pill_at (f, 0), GTK_WIDGET (f->field), &first));
  g_assert_true (gtk_widget_compute_bounds (pill_at (f, 3), GTK_WIDGET (f->field), &last));
  g_assert_true (gtk_widget_compute_bounds (f->text, GTK_WIDGET (f->field), &text));
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (f->field), GTK_WIDGET (f->field), &field));
  g_test_message ("first %g,%g %gx%g last %g,%g text %g,%g %gx%g field %gx%g", first.origin.x, first.origin.y, first.size.width, first.size.height, last.origin.x, last.origin.y, text.origin.x, text.origin.y, text.size.width, text.size.height, field.size.width, field.size.height);
  g_assert_cmpfloat (last.origin.y, >, first.origin.y);
  g_assert_cmpfloat (text.origin.y, >=, last.origin.y);
  g_assert_true (text.origin.y > last.origin.y || text.origin.x > last.origin.x);
  g_assert_cmpfloat (text.origin.x + text.size.width, <=, field.size.width);
  g_assert_cmpfloat (text.origin.y + text.size.height, <=, field.size.height);
}

/* Inside the rows the field shows (rows scrolled away are laid out
 * above or below it, where it neither draws nor picks them). */
static gboolean
shown (Fixture *f, GtkWidget *child)
{
  graphene_rect_t b;
  int height = gtk_widget_get_height (GTK_WIDGET (f->field));

  return gtk_widget_get_width (child) > 0 &&
         gtk_widget_compute_bounds (child, GTK_WIDGET (f->field), &b) &&
         b.origin.y >= 0 && b.origin.y + b.size.height <= height &&
         gtk_widget_pick (GTK_WIDGET (f->field), b.origin.x + b.size.width / 2, b.origin.y + b.size.height / 2,
                          GTK_PICK_DEFAULT) != NULL;
}

static gboolean
last_pill_shown (gpointer data)
{
  Fixture *f = data;

  return shown (f, pill_at (f, n_pills (f) - 1));
}

static gboolean
not_last_pill_shown (gpointer data)
{
  return !last_pill_shown (data);
}

static gboolean
first_pill_shown (gpointer data)
{
  Fixture *f = data;

  return shown (f, pill_at (f, 0));
}

static gboolean
scroll_field (Fixture *f, double dy)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->field));
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_SCROLL (controller))
        g_signal_emit_by_name (controller, "scroll", 0.0, dy, &handled);
    }
  pump ();
  return handled;
}

/* How many rows of pills and text are shown, and that they are inside
 * the field. */
static guint
rows_shown (Fixture *f)
{
  g_autoptr(GArray) tops = g_array_new (FALSE, FALSE, sizeof (float));
  int height = gtk_widget_get_height (GTK_WIDGET (f->field));

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (f->field)); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      graphene_rect_t b;
      gboolean known = FALSE;

      if (!gtk_widget_get_visible (c) || c == gtk_widget_get_last_child (GTK_WIDGET (f->field)))
        continue;
      g_assert_true (gtk_widget_compute_bounds (c, GTK_WIDGET (f->field), &b));
      if (b.origin.y < 0 || b.origin.y + b.size.height > height)
        continue;
      for (guint i = 0; i < tops->len; i++)
        known |= ABS (g_array_index (tops, float, i) - b.origin.y) < b.size.height / 2;
      if (!known)
        g_array_append_val (tops, b.origin.y);
    }
  return tops->len;
}

/* Thirty recipients take four rows, not thirty: the field stops growing
 * (the window would otherwise outgrow the screen), shows its last rows
 * where typing goes, and the wheel brings the first ones back. Typing, or
 * a new pill, shows the end again. */
static void
test_many_rows (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) list = g_string_new (NULL);
  graphene_rect_t text, field;
  guint steps;

  for (guint i = 0; i < 36; i++)
    g_string_append_printf (list, "person%u@example.org, ", i);
  paste (f, list->str);
  g_assert_cmpuint (n_pills (f), ==, 36);
  signet_test_wait_until (last_pill_shown, f);
  g_assert_cmpuint (rows_shown (f), ==, 4);
  g_assert_false (shown (f, pill_at (f, 0)));
  g_assert_true (gtk_widget_compute_bounds (f->text, GTK_WIDGET (f->field), &text));
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (f->field), GTK_WIDGET (f->field), &field));
  g_assert_cmpfloat (text.origin.y + text.size.height, <=, field.size.height);
  g_assert_cmpfloat (text.origin.y, >=, 0);

  /* At the end already: down is not the field's to take. */
  g_assert_false (scroll_field (f, 1));
  /* Up, row by row (each shown at the next frame), to the first
   * recipient; then no further. */
  for (steps = 0; steps < 40 && scroll_field (f, -1); steps++)
    ;
  g_assert_cmpuint (steps, >, 0);
  g_assert_cmpuint (steps, <, 40);
  signet_test_wait_until (first_pill_shown, f);
  g_assert_false (shown (f, pill_at (f, 35)));
  /* The text keeps the focus, scrolled away. */
  g_assert_true (gtk_widget_has_focus (f->text));
  g_assert_false (scroll_field (f, -1));
  g_assert_cmpuint (rows_shown (f), ==, 4);

  /* The keyboard on a pill scrolled away brings its row back. */
  g_assert_true (gtk_widget_grab_focus (signet_recipient_pill_get_remove (pill_at (f, 35))));
  signet_test_wait_until (last_pill_shown, f);
  g_assert_false (shown (f, pill_at (f, 0)));
  g_assert_true (scroll_field (f, -1));
  signet_test_wait_until (not_last_pill_shown, f);

  /* Typing shows the end again, with what is typed. */
  type (f, "z");
  signet_test_wait_until (last_pill_shown, f);
  g_assert_true (shown (f, f->text));
  g_assert_false (shown (f, pill_at (f, 0)));
  g_assert_cmpuint (n_pills (f), ==, 36);
}

static void
test_backspace (Fixture *f, gconstpointer data)
{
  type (f, "alice@example.org,bob@example.org,");
  g_assert_cmpuint (n_pills (f), ==, 2);

  /* With text, Backspace edits the text. */
  type (f, "c");
  g_assert_false (press (f, GDK_KEY_BackSpace));
  g_assert_cmpuint (n_pills (f), ==, 2);
  gtk_editable_set_text (GTK_EDITABLE (f->field), "");

  g_assert_true (press (f, GDK_KEY_BackSpace));
  g_assert_cmpuint (n_pills (f), ==, 1);
  g_assert_cmpstr (email_at (f, 0), ==, "alice@example.org");
  g_assert_true (press (f, GDK_KEY_BackSpace));
  g_assert_cmpuint (n_pills (f), ==, 0);
  g_assert_false (press (f, GDK_KEY_BackSpace));
}

static void
test_remove_button (Fixture *f, gconstpointer data)
{
  GtkWidget *button;

  paste (f, "alice@example.org, Bob <bob@example.org>, carol@example.org,");
  g_assert_cmpuint (n_pills (f), ==, 3);
  button = gtk_widget_get_last_child (pill_at (f, 1));
  g_assert_true (GTK_IS_BUTTON (button));
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (button)), ==, "window-close-symbolic");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Remove bob@example.org");
  gtk_test_accessible_assert_property (button, GTK_ACCESSIBLE_PROPERTY_LABEL, "Remove bob@example.org");
  gtk_test_accessible_assert_property (pill_at (f, 1), GTK_ACCESSIBLE_PROPERTY_LABEL, "Bob <bob@example.org>");

  g_signal_emit_by_name (button, "clicked");
  pump ();
  g_assert_cmpuint (n_pills (f), ==, 2);
  g_assert_cmpstr (email_at (f, 0), ==, "alice@example.org");
  g_assert_cmpstr (email_at (f, 1), ==, "carol@example.org");
  g_assert_true (gtk_widget_has_focus (f->text));
}

static void
test_invalid (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parsed = signet_address_parse_list ("alice@example.org, not an address", &expected);
  g_autoptr(GPtrArray) got = NULL;
  g_autoptr(GPtrArray) without = NULL;

  g_assert_null (parsed);
  type (f, "zoe@example.org,");
  paste (f, "alice@example.org, not an address");
  /* A separator in text that does not parse: the user may be mid-way. */
  g_assert_cmpuint (n_pills (f), ==, 1);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (f->field), "error"));

  g_signal_emit_by_name (f->text, "activate");
  pump ();
  g_assert_cmpuint (n_pills (f), ==, 1);
  g_assert_cmpstr (pending (f), ==, "alice@example.org, not an address");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (f->field), "error"));
  g_assert_cmpstr (signet_recipient_field_get_error_text (f->field), ==, expected->message);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (f->field)), ==, expected->message);
  gtk_test_accessible_assert_property (f->field, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, expected->message);

  /* Focus leaving, Tab and signet_recipient_field_commit() keep it too. */
  g_assert_false (press (f, GDK_KEY_Tab));
  g_assert_false (signet_recipient_field_commit (f->field));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (f->field), "error"));

  got = signet_recipient_field_dup_addresses (f->field, TRUE, &error);
  g_assert_null (got);
  g_assert_error (error, expected->domain, expected->code);
  g_assert_cmpstr (error->message, ==, expected->message);
  without = signet_recipient_field_dup_addresses (f->field, FALSE, NULL);
  g_assert_cmpuint (without->len, ==, 1);

  /* Correcting the text clears the complaint; Enter then takes it. */
  gtk_editable_set_text (GTK_EDITABLE (f->field), "alice@example.org, nat@example.org");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (f->field), "error"));
  g_assert_null (signet_recipient_field_get_error_text (f->field));
  g_signal_emit_by_name (f->text, "activate");
  pump ();
  g_assert_cmpuint (n_pills (f), ==, 3);
}

static void
assert_same_addresses (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      SignetAddress *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpstr (x->email, ==, y->email);
    }
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) in = addresses ("Doe, John", "john@example.org",
                                       NULL, "alice@example.org",
                                       "Zoë \"Z\" Ünïcode", "zoe@example.org",
                                       NULL, NULL);
  g_autoptr(GPtrArray) out = NULL;
  g_autoptr(GPtrArray) reparsed = NULL;
  g_autoptr(GPtrArray) with_pending = NULL;
  g_autofree char *joined = signet_address_join (in, FALSE);
  g_autofree char *text = NULL;
  g_autofree char *text_pending = NULL;

  type (f, "dropped@example.org");
  signet_recipient_field_set_addresses (f->field, in);
  g_assert_cmpstr (pending (f), ==, "");
  g_assert_cmpuint (n_pills (f), ==, 3);
  out = signet_recipient_field_dup_addresses (f->field, TRUE, NULL);
  assert_same_addresses (in, out);
  text = signet_recipient_field_dup_text (f->field);
  g_assert_cmpstr (text, ==, joined);
  reparsed = signet_address_parse_list (text, NULL);
  assert_same_addresses (in, reparsed);

  /* What is typed counts too, and dup_text keeps it as typed. */
  type (f, "x@example.org");
  with_pending = signet_recipient_field_dup_addresses (f->field, TRUE, NULL);
  g_assert_cmpuint (with_pending->len, ==, 4);
  g_assert_cmpstr (((SignetAddress *) g_ptr_array_index (with_pending, 3))->email, ==, "x@example.org");
  text_pending = signet_recipient_field_dup_text (f->field);
  g_assert_true (g_str_has_prefix (text_pending, joined));
  g_assert_true (g_str_has_suffix (text_pending, ", x@example.org"));

  signet_recipient_field_set_addresses (f->field, NULL);
  g_assert_cmpuint (n_pills (f), ==, 0);
}

static void
test_status (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) in = addresses ("Alice", "alice@example.org", NULL, "erin@example.org",
                                       NULL, "ALICE@Example.ORG", NULL, NULL);
  GtkWidget *icon;
  g_autoptr(SignetRecipient) alice = NULL;

  signet_recipient_field_set_addresses (f->field, in);
  icon = gtk_widget_get_first_child (pill_at (f, 0));
  g_assert_false (gtk_widget_get_visible (icon));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill_at (f, 0)), ==, "Alice <alice@example.org>");
  alice = g_list_model_get_item (signet_recipient_field_get_model (f->field), 0);
  g_assert_false (signet_recipient_get_checked (alice));
  f->changed = 0;

  signet_recipient_field_set_status (f->field, "alice@example.org", SIGNET_KEY_STATUS_OK, "key valid");
  signet_recipient_field_set_status (f->field, "erin@example.org", SIGNET_KEY_STATUS_EXPIRED, "key expired");
  g_assert_cmpuint (f->changed, ==, 0);
  g_assert_true (signet_recipient_get_checked (alice));
  g_assert_cmpint (signet_recipient_get_status (alice), ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpstr (signet_recipient_get_status_text (alice), ==, "key valid");

  g_assert_true (gtk_widget_get_visible (icon));
  g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (icon)), ==, "emblem-ok-symbolic");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill_at (f, 0)), ==, "alice@example.org: key valid");
  gtk_test_accessible_assert_property (pill_at (f, 0), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "alice@example.org: key valid");
  /* The same address however it is written. */
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill_at (f, 2)), ==, "ALICE@Example.ORG: key valid");
  gtk_test_accessible_assert_property (pill_at (f, 1), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "erin@example.org: key expired");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill_at (f, 1)), ==, "erin@example.org: key expired");
  g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (gtk_widget_get_first_child (pill_at (f, 1)))), ==,
                   "dialog-error-symbolic");
  g_assert_true (gtk_widget_has_css_class (pill_at (f, 1), "signet-key-error"));

  /* Without words of the caller's, the directory's own. */
  signet_recipient_field_set_status (f->field, "erin@example.org", SIGNET_KEY_STATUS_MISSING, NULL);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill_at (f, 1)), ==,
                   "erin@example.org: No sealing key was found in the directory");
  g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (gtk_widget_get_first_child (pill_at (f, 1)))), ==,
                   "action-unavailable-symbolic");

  signet_recipient_field_clear_status (f->field);
  g_assert_false (signet_recipient_get_checked (alice));
  g_assert_false (gtk_widget_get_visible (icon));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill_at (f, 1)), ==, "erin@example.org");
  g_assert_false (gtk_widget_has_css_class (pill_at (f, 1), "signet-key-error"));
}

static SignetKeyResult *
key_result (const char *email, SignetKeyStatus status)
{
  SignetKeyResult *r = g_new0 (SignetKeyResult, 1);

  r->email = g_strdup (email);
  r->status = status;
  return r;
}

static void
count_notify (SignetRecipient *recipient, GParamSpec *pspec, guint *n)
{
  (*n)++;
}

/* A directory's answer for many recipients at once: each pill takes the
 * result for its own address however either is written, a pill the answer
 * does not name keeps what it shows, and a pill told again what it already
 * shows is not touched (a hundred pills are not all redrawn for every
 * answer). */
static void
test_key_results (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) in = addresses (NULL, "alice@example.org", NULL, "Erin@Example.org",
                                       NULL, "frank@example.org", NULL, "ALICE@example.ORG", NULL, NULL);
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_key_result_free);
  GListModel *model;
  g_autoptr(SignetRecipient) alice = NULL;
  g_autoptr(SignetRecipient) erin = NULL;
  g_autoptr(SignetRecipient) frank = NULL;
  g_autoptr(SignetRecipient) alice_again = NULL;
  guint notified = 0;

  signet_recipient_field_set_addresses (f->field, in);
  model = signet_recipient_field_get_model (f->field);
  alice = g_list_model_get_item (model, 0);
  erin = g_list_model_get_item (model, 1);
  frank = g_list_model_get_item (model, 2);
  alice_again = g_list_model_get_item (model, 3);
  signet_recipient_set_status (frank, SIGNET_KEY_STATUS_REVOKED, NULL);

  g_ptr_array_add (results, key_result ("ALICE@EXAMPLE.ORG", SIGNET_KEY_STATUS_OK));
  g_ptr_array_add (results, key_result ("erin@example.org", SIGNET_KEY_STATUS_EXPIRED));
  g_ptr_array_add (results, key_result ("zoe@example.org", SIGNET_KEY_STATUS_MISSING));
  signet_recipient_field_show_key_results (f->field, results);

  g_assert_cmpint (signet_recipient_get_status (alice), ==, SIGNET_KEY_STATUS_OK);
  g_assert_cmpint (signet_recipient_get_status (alice_again), ==, SIGNET_KEY_STATUS_OK);
  g_assert_true (signet_recipient_get_checked (alice_again));
  g_assert_cmpint (signet_recipient_get_status (erin), ==, SIGNET_KEY_STATUS_EXPIRED);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pill_at (f, 1)), ==,
                   "Erin@Example.org: The sealing key has expired");
  g_assert_cmpint (signet_recipient_get_status (frank), ==, SIGNET_KEY_STATUS_REVOKED);
  g_assert_cmpuint (n_pills (f), ==, 4);

  /* The same answer again changes nothing, and says nothing. */
  g_signal_connect (alice, "notify::status-text", G_CALLBACK (count_notify), &notified);
  g_signal_connect (erin, "notify::status-text", G_CALLBACK (count_notify), &notified);
  signet_recipient_field_show_key_results (f->field, results);
  g_assert_cmpuint (notified, ==, 0);

  /* A different answer does. */
  ((SignetKeyResult *) g_ptr_array_index (results, 1))->status = SIGNET_KEY_STATUS_OK;
  signet_recipient_field_show_key_results (f->field, results);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpint (signet_recipient_get_status (erin), ==, SIGNET_KEY_STATUS_OK);
}

/* The composer's line about the whole field. */
static GtkWidget *
find_label (GtkWidget *root, const char *text)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LABEL (c) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (c)), text) == 0)
      return c;
  return NULL;
}

static void
test_message (Fixture *f, gconstpointer data)
{
  const char *words = "Keys cannot be checked while offline";
  GtkWidget *label;

  signet_recipient_field_set_message (f->field, words);
  label = find_label (GTK_WIDGET (f->field), words);
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_get_visible (label));
  gtk_test_accessible_assert_property (f->field, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, words);
  signet_recipient_field_set_message (f->field, NULL);
  g_assert_false (gtk_widget_get_visible (label));
}

static void
test_changed (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) two = addresses (NULL, "a@example.org", NULL, "b@example.org", NULL, NULL);
  guint before;

  type (f, "ab");
  g_assert_cmpuint (f->changed, ==, 2);
  before = f->changed;
  type (f, "@example.org,");
  /* One per character, then the pill, then the emptied text. */
  g_assert_cmpuint (f->changed, ==, before + strlen ("@example.org,") + 2);

  f->changed = 0;
  signet_recipient_field_set_addresses (f->field, two);
  g_assert_cmpuint (f->changed, ==, 1);
  f->changed = 0;
  g_assert_true (press (f, GDK_KEY_BackSpace));
  g_assert_cmpuint (f->changed, ==, 1);
  f->changed = 0;
  g_signal_emit_by_name (gtk_widget_get_last_child (pill_at (f, 0)), "clicked");
  pump ();
  g_assert_cmpuint (f->changed, ==, 1);
  g_assert_cmpuint (n_pills (f), ==, 0);
}

static void
on_css_error (GtkCssProvider *provider, GtkCssSection *section, GError *error)
{
  g_autofree char *where = gtk_css_section_to_string (section);

  g_error ("style.css: %s: %s", where, error->message);
}

/* The pills are laid out with the application's own style. */
static void
load_style (void)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  g_signal_connect (css, "parsing-error", G_CALLBACK (on_css_error), NULL);
  gtk_css_provider_load_from_resource (css, "/io/github/signetmail/Signet/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

int
main (int argc, char *argv[])
{
  /* GTK's test accessibility backend keeps what the widgets tell assistive
   * technologies, for gtk_test_accessible_assert_property(). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  load_style ();
#define ADD(path, fn) \
  g_test_add ("/recipient-field/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("comma", test_comma);
  ADD ("pill-without-round-trips", test_pill_without_round_trips);
  ADD ("comma-in-quotes", test_comma_in_quotes);
  ADD ("enter", test_enter);
  ADD ("tab", test_tab);
  ADD ("focus-out", test_focus_out);
  ADD ("paste-ten", test_paste_ten);
  ADD ("wraps", test_wraps);
  ADD ("many-rows", test_many_rows);
  ADD ("backspace", test_backspace);
  ADD ("remove-button", test_remove_button);
  ADD ("invalid", test_invalid);
  ADD ("round-trip", test_round_trip);
  ADD ("status", test_status);
  ADD ("key-results", test_key_results);
  ADD ("message", test_message);
  ADD ("changed", test_changed);
#undef ADD
  return g_test_run ();
}
