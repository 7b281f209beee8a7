/* An address field (To, Cc, Bcc) that shows each recipient as a pill.
 *
 * The recipients are a GListStore of SignetRecipient; the pills are only a
 * view of it, rebuilt from "items-changed". Typed text becomes pills when it
 * is complete: a comma or semicolon typed or pasted (when the text then
 * parses), Enter, Tab while there is text, or focus leaving the field. Text
 * that does not parse stays text, and the field shows why (the "error"
 * style class, its tooltip and accessible description).
 *
 * Backspace in an empty text removes the last pill at once; each pill also
 * has a remove button. Editing is delegated to an inner GtkText, as in GTK's
 * tagged-entry demo, so the field is a GtkEditable and its "changed" signal
 * is emitted for every change of the text or of the pills. */
#define G_LOG_DOMAIN "signet-recipient-field"

#include "signet-recipient-field.h"

#include <string.h>

#include "signet-completion-provider.h"
#include "signet-recipient-pill.h"

#include "signet-i18n.h"
#include "signet-tooltip.h"

#define H_SPACING 4
#define V_SPACING 4
/* Rows of pills shown at most: more recipients than that scroll within
 * them, as in other mail programs, rather than make the window taller than
 * the screen (and every frame of it slower to draw). */
#define MAX_ROWS 4

struct _SignetRecipientField
{
  GtkWidget   parent_instance;

  GtkWidget  *text;
  GtkWidget  *message;

  GListStore *store;
  GPtrArray  *pills;        /* GtkWidget, in the model's order; children, not owned */
  char       *error_text;
  guint       commit_idle;

  /* Completion: suggestions while typing, from the providers. */
  GPtrArray    *providers;     /* SignetCompletionProvider */
  GtkWidget    *popover;
  GtkWidget    *suggestion_list;
  GtkWidget    *note;          /* above the suggestions: where they come from, when it matters */
  char         *note_text;
  GPtrArray    *suggestions;   /* SignetCompletion, as the rows show them */
  GCancellable *search_cancellable;
  guint         search_source;

  /* Rows beyond MAX_ROWS: which are shown. */
  guint         first_row;     /* when not following the end */
  gboolean      follow_end;    /* the last rows, where typing goes */
  GArray       *rows;          /* FlowRow, of the last allocation */
  int           shift;         /* how far up the rows were moved then */
  int           flow_height;   /* the height of the rows shown then */
  gboolean      more_above;    /* rows scrolled away above, and below */
  gboolean      more_below;
};

#define SEARCH_DELAY_MS 150
#define MAX_SUGGESTIONS 8

enum {
  CHOOSE_KEY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void signet_recipient_field_editable_init (GtkEditableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SignetRecipientField, signet_recipient_field, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_EDITABLE, signet_recipient_field_editable_init))

/* Layout: pills and the text flow in rows, the text filling the rest of
 * the last row (or a row of its own when too little is left); the message
 * takes the whole width below. */
typedef struct {
  GtkWidget *child;
  int        width;
  int        height;
} FlowItem;

typedef struct {
  int top;
  int height;
} FlowRow;

/* Which rows are shown, and how far up they move. */
typedef struct {
  guint first;
  guint last;
  int   shift;
} FlowWindow;

/* Rows scrolled away are laid out above or below the field, where it
 * neither draws them (overflow hidden, and clipped above the message) nor
 * lets them be clicked; they stay mapped, so the text keeps the focus. */
static void
flush_row (GArray *row, int y, int row_height, const FlowWindow *window, GArray *rows)
{
  int x = 0;

  for (guint i = 0; window != NULL && i < row->len; i++)
    {
      FlowItem *item = &g_array_index (row, FlowItem, i);
      GtkAllocation a = { x, y - window->shift + (row_height - item->height) / 2, item->width, item->height };

      gtk_widget_size_allocate (item->child, &a, -1);
      x += item->width + H_SPACING;
    }
  if (rows != NULL && row->len > 0)
    g_array_append_val (rows, ((FlowRow) { y, row_height }));
  g_array_set_size (row, 0);
}

/* The height of all the pills and the text laid out in @width, row by
 * row into @rows if not NULL; allocates the rows of @window too, if not
 * NULL. */
static int
layout_flow (SignetRecipientField *self, int width, const FlowWindow *window, GArray *rows)
{
  g_autoptr(GArray) row = g_array_new (FALSE, FALSE, sizeof (FlowItem));
  int x = 0, y = 0, row_height = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      FlowItem item = { child, 0, 0 };
      int min, nat;

      if (child == self->message || !gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      item.width = child == self->text ? min : MAX (min, MIN (nat, width));
      if (row->len > 0 && x + H_SPACING + item.width > width)
        {
          flush_row (row, y, row_height, window, rows);
          y += row_height + V_SPACING;
          x = row_height = 0;
        }
      x += row->len > 0 ? H_SPACING : 0;
      if (child == self->text)
        item.width = MAX (item.width, width - x);
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, item.width, NULL, &item.height, NULL, NULL);
      x += item.width;
      row_height = MAX (row_height, item.height);
      g_array_append_val (row, item);
    }
  flush_row (row, y, row_height, window, rows);
  return y + row_height;
}

/* The last first row there can be of @n rows, and the first row shown. */
static guint
most_first_of (guint n)
{
  return n > MAX_ROWS ? n - MAX_ROWS : 0;
}

static guint
first_shown_of (SignetRecipientField *self, guint n)
{
  return self->follow_end ? most_first_of (n) : MIN (self->first_row, most_first_of (n));
}

/* The rows shown of @rows, and the height they take. */
static int
flow_window (SignetRecipientField *self, GArray *rows, FlowWindow *window)
{
  guint n = rows->len;
  const FlowRow *first, *last;

  window->first = first_shown_of (self, n);
  window->last = MIN (n, window->first + MAX_ROWS) - 1;
  if (n == 0)
    {
      window->first = window->last = 0;
      window->shift = 0;
      return 0;
    }
  first = &g_array_index (rows, FlowRow, window->first);
  last = &g_array_index (rows, FlowRow, window->last);
  window->shift = first->top;
  return last->top + last->height - first->top;
}

/* The height the pills and text take in @width: at most MAX_ROWS rows. */
static int
shown_flow_height (SignetRecipientField *self, int width)
{
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (FlowRow));
  FlowWindow window;

  layout_flow (self, width, NULL, rows);
  return flow_window (self, rows, &window);
}

/* Shows the rows from @first on (the last ones when it is past them). */
static void
scroll_to_row (SignetRecipientField *self, guint first)
{
  guint most_first = most_first_of (self->rows->len);

  self->first_row = MIN (first, most_first);
  self->follow_end = self->first_row == most_first;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* The wheel moves through the rows a row at a time; at either end it is
 * left to whatever holds the field. */
static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, SignetRecipientField *self)
{
  guint most_first = most_first_of (self->rows->len);
  guint first = first_shown_of (self, self->rows->len);

  if (dy < 0 && first > 0)
    scroll_to_row (self, first - 1);
  else if (dy > 0 && first < most_first)
    scroll_to_row (self, first + 1);
  else
    return FALSE;
  return TRUE;
}

/* The keyboard on a pill of a row scrolled away brings that row back. */
static void
show_row_of (SignetRecipientField *self, GtkWidget *child)
{
  graphene_rect_t bounds;
  guint first = first_shown_of (self, self->rows->len);
  float top;

  if (!gtk_widget_compute_bounds (child, GTK_WIDGET (self), &bounds))
    return;
  top = bounds.origin.y + self->shift;
  for (guint i = 0; i < self->rows->len; i++)
    {
      const FlowRow *row = &g_array_index (self->rows, FlowRow, i);

      if (top < row->top || top >= row->top + row->height + V_SPACING)
        continue;
      if (i < first)
        scroll_to_row (self, i);
      else if (i >= first + MAX_ROWS)
        scroll_to_row (self, i + 1 - MAX_ROWS);
      return;
    }
}

/* Typing, or pills coming and going, show the end again. */
static void
follow_end (SignetRecipientField *self)
{
  if (self->follow_end)
    return;
  self->follow_end = TRUE;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* The text, in the last row, is where the focus goes: that row is shown
 * again if it was scrolled away. */
static gboolean
focus_text (SignetRecipientField *self)
{
  follow_end (self);
  return gtk_widget_grab_focus (self->text);
}

static int
message_height (SignetRecipientField *self, int width)
{
  int nat = 0;

  if (!gtk_widget_should_layout (self->message))
    return 0;
  gtk_widget_measure (self->message, GTK_ORIENTATION_VERTICAL, width, NULL, &nat, NULL, NULL);
  return nat;
}

static void
measure_width (SignetRecipientField *self, int *minimum, int *natural)
{
  int flow_nat = 0;

  *minimum = *natural = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int min, nat;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      *minimum = MAX (*minimum, min);
      if (child == self->message)
        *natural = MAX (*natural, nat);
      else
        flow_nat += (flow_nat > 0 ? H_SPACING : 0) + nat;
    }
  *natural = MAX (*natural, flow_nat);
}

static void
signet_recipient_field_measure (GtkWidget      *widget,
                                GtkOrientation  orientation,
                                int             for_size,
                                int            *minimum,
                                int            *natural,
                                int            *minimum_baseline,
                                int            *natural_baseline)
{
  SignetRecipientField *self = SIGNET_RECIPIENT_FIELD (widget);
  int min_width, nat_width, width, height, below;

  measure_width (self, &min_width, &nat_width);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = min_width;
      *natural = nat_width;
      return;
    }
  width = for_size < 0 ? nat_width : MAX (for_size, min_width);
  height = shown_flow_height (self, width);
  below = message_height (self, width);
  if (below > 0)
    height += V_SPACING + below;
  *minimum = *natural = height;
}

#define SHADE_HEIGHT 6

/* A shade along an edge with rows beyond it, as a scrolled list shows. */
static void
shade_edge (GtkWidget *widget, GtkSnapshot *snapshot, float y, gboolean down)
{
  GdkRGBA color;
  GdkRGBA clear;
  float width = gtk_widget_get_width (widget);

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  color.alpha *= 0.25;
  clear = color;
  clear.alpha = 0;
  gtk_snapshot_append_linear_gradient (snapshot, &GRAPHENE_RECT_INIT (0, y, width, SHADE_HEIGHT),
                                       &GRAPHENE_POINT_INIT (0, down ? y : y + SHADE_HEIGHT),
                                       &GRAPHENE_POINT_INIT (0, down ? y + SHADE_HEIGHT : y),
                                       (GskColorStop[]) { { 0, color }, { 1, clear } }, 2);
}

/* The rows drawn only where they are shown, not over the message below;
 * a shade where more rows are scrolled away. */
static void
signet_recipient_field_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SignetRecipientField *self = SIGNET_RECIPIENT_FIELD (widget);

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget), self->flow_height));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (child != self->message)
      gtk_widget_snapshot_child (widget, child, snapshot);
  if (self->more_above)
    shade_edge (widget, snapshot, 0, TRUE);
  if (self->more_below)
    shade_edge (widget, snapshot, self->flow_height - SHADE_HEIGHT, FALSE);
  gtk_snapshot_pop (snapshot);
  gtk_widget_snapshot_child (widget, self->message, snapshot);
}

static void
signet_recipient_field_set_focus_child (GtkWidget *widget, GtkWidget *child)
{
  GTK_WIDGET_CLASS (signet_recipient_field_parent_class)->set_focus_child (widget, child);
  if (child != NULL)
    show_row_of (SIGNET_RECIPIENT_FIELD (widget), child);
}

static void
signet_recipient_field_size_allocate (GtkWidget *widget,
                                      int        width,
                                      int        height,
                                      int        baseline)
{
  SignetRecipientField *self = SIGNET_RECIPIENT_FIELD (widget);
  FlowWindow window;
  int flow_height;
  int below = message_height (self, width);

  g_array_set_size (self->rows, 0);
  layout_flow (self, width, NULL, self->rows);
  flow_height = flow_window (self, self->rows, &window);
  self->shift = window.shift;
  self->flow_height = flow_height;
  self->more_above = self->rows->len > 0 && window.first > 0;
  self->more_below = self->rows->len > 0 && window.last + 1 < self->rows->len;
  layout_flow (self, width, &window, NULL);

  if (below > 0)
    gtk_widget_size_allocate (self->message,
                              &(GtkAllocation) { 0, flow_height + V_SPACING, width, below }, -1);
  if (self->popover != NULL)
    gtk_popover_present (GTK_POPOVER (self->popover));
}

static GtkSizeRequestMode
signet_recipient_field_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

/* What the field says about itself besides its label: why the text is
 * not an address list, else the caller's message. */
static void
update_description (SignetRecipientField *self)
{
  const char *words = self->error_text != NULL ? self->error_text
                    : gtk_widget_get_visible (self->message) ? gtk_label_get_text (GTK_LABEL (self->message))
                    : NULL;

  if (words != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, words, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static void
set_error (SignetRecipientField *self, const char *message)
{
  if (g_strcmp0 (self->error_text, message) == 0)
    return;
  g_free (self->error_text);
  self->error_text = g_strdup (message);
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "error");
  signet_tooltip_set_text (GTK_WIDGET (self), message);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_INVALID,
                               message != NULL ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
  update_description (self);
}

/* TRUE when @text holds nothing but spaces and separators. */
static gboolean
is_blank (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p) && *p != ',' && *p != ';')
      return FALSE;
  return TRUE;
}

/* Semicolons separate addresses here, as many mail programs write lists;
 * the parser reads them as the end of a group. Those outside quoted names
 * become commas. */
static char *
semicolons_to_commas (const char *text)
{
  char *out = g_strdup (text);
  gboolean quoted = FALSE;

  for (char *p = out; *p != '\0'; p++)
    {
      if (quoted && *p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"')
        quoted = !quoted;
      else if (!quoted && *p == ';')
        *p = ',';
    }
  return out;
}

static void
append_addresses (SignetRecipientField *self, GPtrArray *addresses)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < addresses->len; i++)
    g_ptr_array_add (items, signet_recipient_new (g_ptr_array_index (addresses, i)));
  g_list_store_splice (self->store, g_list_model_get_n_items (G_LIST_MODEL (self->store)), 0,
                       items->pdata, items->len);
}

/* Turns the typed text into pills. When it does not parse, it stays, and
 * unless @quiet (the user may still be typing: a comma inside a quoted
 * name) the field says why. */
static gboolean
commit_text (SignetRecipientField *self, gboolean quiet)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->text));
  g_autofree char *list = semicolons_to_commas (text);
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->commit_idle, g_source_remove);
  if (!is_blank (text))
    {
      addresses = signet_address_parse_list (list, &error);
      if (addresses == NULL)
        {
          if (!quiet)
            set_error (self, error->message);
          return FALSE;
        }
      append_addresses (self, addresses);
    }
  if (*text != '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->text), "");
  set_error (self, NULL);
  return TRUE;
}

static gboolean
commit_idle_cb (gpointer data)
{
  SignetRecipientField *self = data;

  self->commit_idle = 0;
  commit_text (self, TRUE);
  return G_SOURCE_REMOVE;
}

/* A separator typed or pasted: the text may now be complete. The commit
 * waits for GtkText to finish the insertion it is in. */
static void
on_text_insert (SignetRecipientField *self,
                const char           *new_text,
                int                   length,
                int                  *position,
                GtkEditable          *text)
{
  g_autofree char *inserted = g_strndup (new_text, length < 0 ? strlen (new_text) : (gsize) length);

  if (strpbrk (inserted, ",;") != NULL && self->commit_idle == 0)
    self->commit_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, commit_idle_cb, self, NULL);
}

/* ---- completion --------------------------------------------------------- */

static void
hide_suggestions (SignetRecipientField *self)
{
  g_cancellable_cancel (self->search_cancellable);
  g_clear_handle_id (&self->search_source, g_source_remove);
  if (self->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
}

static gboolean
suggestions_shown (SignetRecipientField *self)
{
  return self->popover != NULL && gtk_widget_get_visible (self->popover) &&
         self->suggestions != NULL && self->suggestions->len > 0;
}

/* The suggestion becomes a pill, as if its address had been typed. */
static void
accept_suggestion (SignetRecipientField *self, guint index)
{
  const SignetCompletion *c;
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);

  if (self->suggestions == NULL || index >= self->suggestions->len)
    return;
  c = g_ptr_array_index (self->suggestions, index);
  g_ptr_array_add (addresses, signet_address_new (c->name, c->email));
  hide_suggestions (self);
  append_addresses (self, addresses);
  gtk_editable_set_text (GTK_EDITABLE (self->text), "");
  focus_text (self);
}

static void
on_suggestion_activated (GtkListBox *list, GtkListBoxRow *row, SignetRecipientField *self)
{
  accept_suggestion (self, (guint) gtk_list_box_row_get_index (row));
}

/* The completion note on the suggestions, once they are made. */
static void
show_note (SignetRecipientField *self)
{
  if (self->note == NULL)
    return;
  gtk_label_set_text (GTK_LABEL (self->note), self->note_text != NULL ? self->note_text : "");
  gtk_widget_set_visible (self->note, self->note_text != NULL);
  if (self->note_text != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->suggestion_list), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    self->note_text, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->suggestion_list), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

/* The list of suggestions, made when there is first something to show:
 * three fields' popovers would otherwise be built before the composer's
 * first frame, for nothing most of the time. */
static void
ensure_popover (SignetRecipientField *self)
{
  GtkWidget *scrolled;
  GtkWidget *box;

  if (self->popover != NULL)
    return;
  self->suggestion_list = gtk_list_box_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->suggestion_list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Suggested addresses"), -1);
  g_signal_connect (self->suggestion_list, "row-activated", G_CALLBACK (on_suggestion_activated), self);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 320);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->suggestion_list);

  /* A line above the suggestions, set before or after they are made. */
  self->note = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->note), 0);
  gtk_label_set_wrap (GTK_LABEL (self->note), TRUE);
  gtk_widget_set_margin_start (self->note, 6);
  gtk_widget_set_margin_end (self->note, 6);
  gtk_widget_set_margin_top (self->note, 6);
  gtk_widget_add_css_class (self->note, "caption");
  gtk_widget_add_css_class (self->note, "dim-label");
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (box), self->note);
  gtk_box_append (GTK_BOX (box), scrolled);

  self->popover = gtk_popover_new ();
  /* Typing goes on in the field while the suggestions show. */
  gtk_popover_set_autohide (GTK_POPOVER (self->popover), FALSE);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->popover), FALSE);
  gtk_popover_set_position (GTK_POPOVER (self->popover), GTK_POS_BOTTOM);
  gtk_widget_add_css_class (self->popover, "menu");
  gtk_popover_set_child (GTK_POPOVER (self->popover), box);
  gtk_widget_set_parent (self->popover, GTK_WIDGET (self));
  show_note (self);
}

static void
show_suggestions (SignetRecipientField *self, GPtrArray *found)
{
  GtkWidget *child;

  ensure_popover (self);
  while ((child = gtk_widget_get_first_child (self->suggestion_list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->suggestion_list), child);
  g_clear_pointer (&self->suggestions, g_ptr_array_unref);
  self->suggestions = g_ptr_array_ref (found);
  if (found->len == 0)
    {
      gtk_popover_popdown (GTK_POPOVER (self->popover));
      return;
    }
  for (guint i = 0; i < found->len; i++)
    {
      const SignetCompletion *c = g_ptr_array_index (found, i);
      g_autoptr(SignetAddress) address = signet_address_new (c->name, c->email);
      g_autofree char *shown = signet_address_to_string (address);
      g_autofree char *spoken = NULL;
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      GtkWidget *title = gtk_label_new (shown);
      g_autofree char *status_text = g_strcmp0 (c->source, "ldap") == 0
        /* Translators: what a suggested address's key allows, for an address found in the organisation's directory */
        ? g_strdup_printf (_("%s · from the directory"), signet_key_status_describe (c->status))
        : g_strcmp0 (c->source, "keyserver") == 0
        /* Translators: what a suggested address's key allows, for an address found on a keyserver */
        ? g_strdup_printf (_("%s · from a keyserver"), signet_key_status_describe (c->status))
        : g_strdup (signet_key_status_describe (c->status));
      GtkWidget *status = gtk_label_new (status_text);
      GtkWidget *row = gtk_list_box_row_new ();

      /* Translators: a suggested address, then what its key allows: "Alice <alice@example.org>, key valid" */
      spoken = g_strdup_printf (_("%s, %s"), shown, status_text);
      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
      gtk_label_set_xalign (GTK_LABEL (status), 0);
      gtk_widget_add_css_class (status, "caption");
      gtk_widget_add_css_class (status, "dim-label");
      gtk_box_append (GTK_BOX (box), title);
      gtk_box_append (GTK_BOX (box), status);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, spoken, -1);
      gtk_list_box_append (GTK_LIST_BOX (self->suggestion_list), row);
    }
  gtk_list_box_select_row (GTK_LIST_BOX (self->suggestion_list),
                           gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->suggestion_list), 0));
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

static void
on_searched (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetRecipientField) self = g_weak_ref_get (user_data);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;

  g_weak_ref_clear (user_data);
  g_free (user_data);
  found = signet_completion_search_all_finish (result, &error);
  if (self == NULL || found == NULL || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  show_suggestions (self, found);
}

static gboolean
on_search (gpointer user_data)
{
  SignetRecipientField *self = user_data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->text));
  GWeakRef *ref;

  self->search_source = 0;
  g_clear_object (&self->search_cancellable);
  self->search_cancellable = g_cancellable_new ();
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  signet_completion_search_all_async (self->providers, text, MAX_SUGGESTIONS, self->search_cancellable,
                                      on_searched, ref);
  return G_SOURCE_REMOVE;
}

/* A moment after typing stops, what is typed (two characters or more,
 * with no comma yet) is looked up; the next keystroke cancels it. */
static void
schedule_search (SignetRecipientField *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->text));

  hide_suggestions (self);
  if (self->providers == NULL || self->providers->len == 0 || g_utf8_strlen (text, -1) < 2 ||
      strpbrk (text, ",;") != NULL)
    return;
  self->search_source = g_timeout_add (SEARCH_DELAY_MS, on_search, self);
}

/* Where suggestions come from while typing (the keyring, later directory
 * servers); NULL or empty: none. */
void
signet_recipient_field_set_completion (SignetRecipientField *self,
                                       GPtrArray            *providers)
{
  g_return_if_fail (SIGNET_IS_RECIPIENT_FIELD (self));
  hide_suggestions (self);
  g_clear_pointer (&self->providers, g_ptr_array_unref);
  if (providers != NULL)
    self->providers = g_ptr_array_ref (providers);
}

/* Up, Down, Enter and Escape while suggestions show. */
static gboolean
suggestion_key (SignetRecipientField *self, guint keyval)
{
  GtkListBoxRow *row;
  int index;

  if (!suggestions_shown (self))
    return FALSE;
  row = gtk_list_box_get_selected_row (GTK_LIST_BOX (self->suggestion_list));
  index = row != NULL ? gtk_list_box_row_get_index (row) : -1;
  switch (keyval)
    {
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      index = MIN (index + 1, (int) self->suggestions->len - 1);
      break;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      index = MAX (index - 1, 0);
      break;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      accept_suggestion (self, (guint) MAX (index, 0));
      return TRUE;
    case GDK_KEY_Escape:
      hide_suggestions (self);
      return TRUE;
    default:
      return FALSE;
    }
  gtk_list_box_select_row (GTK_LIST_BOX (self->suggestion_list),
                           gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->suggestion_list), index));
  return TRUE;
}

static void
on_text_changed (SignetRecipientField *self)
{
  /* The user is correcting the text: what was wrong may not be any more. */
  set_error (self, NULL);
  schedule_search (self);
}

static void
on_text_activate (SignetRecipientField *self)
{
  commit_text (self, FALSE);
}

static void
remove_last (SignetRecipientField *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  if (n > 0)
    g_list_store_remove (self->store, n - 1);
}

static gboolean
on_key_pressed (SignetRecipientField *self,
                guint                 keyval,
                guint                 keycode,
                GdkModifierType       state,
                GtkEventControllerKey *controller)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->text));

  if (suggestion_key (self, keyval))
    return TRUE;
  if (keyval == GDK_KEY_BackSpace && *text == '\0' &&
      g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0)
    {
      remove_last (self);
      return TRUE;
    }
  /* Tab completes the text and stays in the field for the next address;
   * with no text, or text that is not an address, it moves on. */
  if (keyval == GDK_KEY_Tab && (state & GDK_SHIFT_MASK) == 0 && !is_blank (text))
    return commit_text (self, FALSE);
  return FALSE;
}

static void
on_focus_leave (SignetRecipientField *self)
{
  if (gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  /* Clicking a suggestion moves the focus into the list: that is not
   * leaving the field. */
  if (self->popover != NULL && gtk_widget_get_visible (self->popover))
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
      GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

      if (focus != NULL && gtk_widget_is_ancestor (focus, self->popover))
        return;
      hide_suggestions (self);
    }
  commit_text (self, FALSE);
}

/* A click between the pills is a click in the field. */
static void
on_click_released (SignetRecipientField *self)
{
  focus_text (self);
}

static void
on_remove_clicked (SignetRecipientField *self, GtkButton *button)
{
  guint index;

  if (!g_ptr_array_find (self->pills, gtk_widget_get_parent (GTK_WIDGET (button)), &index))
    return;
  /* Before the button goes, so that focus stays in the field. */
  focus_text (self);
  g_list_store_remove (self->store, index);
}

static void
on_choose_clicked (SignetRecipientField *self, GtkButton *button)
{
  SignetRecipient *recipient = signet_recipient_pill_get_recipient (gtk_widget_get_parent (GTK_WIDGET (button)));

  g_signal_emit (self, signals[CHOOSE_KEY], 0, recipient);
}

static GtkWidget *
add_pill (SignetRecipientField *self, SignetRecipient *recipient, GtkWidget *next_sibling)
{
  g_autoptr(GtkWidget) pill = signet_recipient_pill_new (recipient);

  g_signal_connect_object (signet_recipient_pill_get_remove (pill), "clicked",
                           G_CALLBACK (on_remove_clicked), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (signet_recipient_pill_get_choose (pill), "clicked",
                           G_CALLBACK (on_choose_clicked), self, G_CONNECT_SWAPPED);
  gtk_widget_insert_before (pill, GTK_WIDGET (self), next_sibling);
  return pill;
}

static void
on_items_changed (SignetRecipientField *self,
                  guint                 position,
                  guint                 removed,
                  guint                 added,
                  GListModel           *model)
{
  for (guint i = 0; i < removed; i++)
    {
      gtk_widget_unparent (g_ptr_array_index (self->pills, position));
      g_ptr_array_remove_index (self->pills, position);
    }
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(SignetRecipient) recipient = g_list_model_get_item (model, position + i);
      GtkWidget *next = position + i < self->pills->len ? g_ptr_array_index (self->pills, position + i)
                                                        : self->text;

      g_ptr_array_insert (self->pills, position + i, add_pill (self, recipient, next));
    }
  follow_end (self);
  g_signal_emit_by_name (self, "changed");
}

static GtkEditable *
signet_recipient_field_get_delegate (GtkEditable *editable)
{
  return GTK_EDITABLE (SIGNET_RECIPIENT_FIELD (editable)->text);
}

static void
signet_recipient_field_editable_init (GtkEditableInterface *iface)
{
  iface->get_delegate = signet_recipient_field_get_delegate;
}

/* Like GtkEntry: the keyboard moves through what is in the field (the
 * pills' remove buttons, the text), never onto the field itself. */
static gboolean
signet_recipient_field_focus (GtkWidget *widget, GtkDirectionType direction)
{
  gboolean backward = direction == GTK_DIR_TAB_BACKWARD || direction == GTK_DIR_UP || direction == GTK_DIR_LEFT;
  GtkWidget *current = gtk_widget_get_focus_child (widget);
  GtkWidget *child;

  if (current != NULL && gtk_widget_child_focus (current, direction))
    return TRUE;
  if (current != NULL)
    child = backward ? gtk_widget_get_prev_sibling (current) : gtk_widget_get_next_sibling (current);
  else
    child = backward ? gtk_widget_get_last_child (widget) : gtk_widget_get_first_child (widget);
  for (; child != NULL; child = backward ? gtk_widget_get_prev_sibling (child) : gtk_widget_get_next_sibling (child))
    if (gtk_widget_child_focus (child, direction))
      return TRUE;
  return FALSE;
}

static gboolean
signet_recipient_field_grab_focus (GtkWidget *widget)
{
  return focus_text (SIGNET_RECIPIENT_FIELD (widget));
}

static void
signet_recipient_field_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  if (!gtk_editable_delegate_get_property (object, prop_id, value, pspec))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
signet_recipient_field_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  if (!gtk_editable_delegate_set_property (object, prop_id, value, pspec))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
signet_recipient_field_dispose (GObject *object)
{
  SignetRecipientField *self = SIGNET_RECIPIENT_FIELD (object);

  g_clear_handle_id (&self->commit_idle, g_source_remove);
  g_clear_handle_id (&self->search_source, g_source_remove);
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_pointer (&self->providers, g_ptr_array_unref);
  g_clear_pointer (&self->suggestions, g_ptr_array_unref);
  g_clear_pointer (&self->popover, gtk_widget_unparent);
  if (self->text != NULL)
    gtk_editable_finish_delegate (GTK_EDITABLE (self));
  for (guint i = 0; i < self->pills->len; i++)
    gtk_widget_unparent (g_ptr_array_index (self->pills, i));
  g_ptr_array_set_size (self->pills, 0);
  gtk_widget_dispose_template (GTK_WIDGET (self), SIGNET_TYPE_RECIPIENT_FIELD);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (signet_recipient_field_parent_class)->dispose (object);
}

static void
signet_recipient_field_finalize (GObject *object)
{
  SignetRecipientField *self = SIGNET_RECIPIENT_FIELD (object);

  g_ptr_array_unref (self->pills);
  g_array_unref (self->rows);
  g_free (self->error_text);
  g_free (self->note_text);
  G_OBJECT_CLASS (signet_recipient_field_parent_class)->finalize (object);
}

static void
signet_recipient_field_class_init (SignetRecipientFieldClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = signet_recipient_field_dispose;
  object_class->finalize = signet_recipient_field_finalize;
  object_class->get_property = signet_recipient_field_get_property;
  object_class->set_property = signet_recipient_field_set_property;
  gtk_editable_install_properties (object_class, 1);

  /**
   * SignetRecipientField::choose-key:
   * @recipient: the SignetRecipient whose address several usable keys match
   *
   * The user asked to choose which of them to seal to (the pill's button).
   */
  signals[CHOOSE_KEY] =
    g_signal_new ("choose-key", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, SIGNET_TYPE_RECIPIENT);

  widget_class->measure = signet_recipient_field_measure;
  widget_class->size_allocate = signet_recipient_field_size_allocate;
  widget_class->snapshot = signet_recipient_field_snapshot;
  widget_class->set_focus_child = signet_recipient_field_set_focus_child;
  widget_class->get_request_mode = signet_recipient_field_get_request_mode;
  widget_class->grab_focus = signet_recipient_field_grab_focus;
  widget_class->focus = signet_recipient_field_focus;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/signetmail/Signet/signet-recipient-field.ui");
  gtk_widget_class_bind_template_child (widget_class, SignetRecipientField, text);
  gtk_widget_class_bind_template_child (widget_class, SignetRecipientField, message);
  gtk_widget_class_bind_template_callback (widget_class, on_text_insert);
  gtk_widget_class_bind_template_callback (widget_class, on_text_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_text_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_key_pressed);
  gtk_widget_class_bind_template_callback (widget_class, on_focus_leave);
  gtk_widget_class_bind_template_callback (widget_class, on_click_released);
  gtk_widget_class_set_css_name (widget_class, "entry");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
signet_recipient_field_init (SignetRecipientField *self)
{
  GtkEventController *scroll;

  self->pills = g_ptr_array_new ();
  self->store = g_list_store_new (SIGNET_TYPE_RECIPIENT);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_editable_init_delegate (GTK_EDITABLE (self));
  /* Like GtkEntry: focusable as a whole, for screen readers; the focus
   * itself goes to the text (grab_focus). */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self), "signet-recipient-field");
  g_signal_connect_object (self->store, "items-changed", G_CALLBACK (on_items_changed), self,
                           G_CONNECT_SWAPPED);
  self->follow_end = TRUE;
  self->rows = g_array_new (FALSE, FALSE, sizeof (FlowRow));
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  g_signal_connect_swapped (self->text, "changed", G_CALLBACK (follow_end), self);
  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL |
                                            GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
}

GtkWidget *
signet_recipient_field_new (void)
{
  return g_object_new (SIGNET_TYPE_RECIPIENT_FIELD, NULL);
}

/* The recipients, in order: SignetRecipient items. Read it, and watch it;
 * change it through the field. */
GListModel *
signet_recipient_field_get_model (SignetRecipientField *self)
{
  g_return_val_if_fail (SIGNET_IS_RECIPIENT_FIELD (self), NULL);

  return G_LIST_MODEL (self->store);
}

/* Replaces the recipients with @addresses (SignetAddress; NULL for none)
 * and drops any typed text, as when a draft is opened. */
void
signet_recipient_field_set_addresses (SignetRecipientField *self,
                                      GPtrArray            *addresses)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (SIGNET_IS_RECIPIENT_FIELD (self));

  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    g_ptr_array_add (items, signet_recipient_new (g_ptr_array_index (addresses, i)));
  g_clear_handle_id (&self->commit_idle, g_source_remove);
  gtk_editable_set_text (GTK_EDITABLE (self->text), "");
  set_error (self, NULL);
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
}

/* The recipients' addresses (SignetAddress), and when @include_pending
 * those of the typed text too; NULL with the parser's error when that text
 * is not an address list. The field itself is left as it is. */
GPtrArray *
signet_recipient_field_dup_addresses (SignetRecipientField *self,
                                      gboolean              include_pending,
                                      GError              **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) signet_address_free);
  const char *text;

  g_return_val_if_fail (SIGNET_IS_RECIPIENT_FIELD (self), NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->store)); i++)
    {
      g_autoptr(SignetRecipient) recipient = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      g_ptr_array_add (out, signet_address_copy (signet_recipient_get_address (recipient)));
    }
  text = gtk_editable_get_text (GTK_EDITABLE (self->text));
  if (include_pending && !is_blank (text))
    {
      g_autofree char *list = semicolons_to_commas (text);
      g_autoptr(GPtrArray) pending = signet_address_parse_list (list, error);

      if (pending == NULL)
        return NULL;
      for (guint i = 0; i < pending->len; i++)
        g_ptr_array_add (out, signet_address_copy (g_ptr_array_index (pending, i)));
    }
  return g_steal_pointer (&out);
}

/* Everything in the field as one line of text: the recipients joined as
 * signet_address_join() shows them, then the typed text as it is (so that
 * nothing typed is lost, even when it does not parse). */
char *
signet_recipient_field_dup_text (SignetRecipientField *self)
{
  g_autoptr(GPtrArray) addresses = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *pending = NULL;

  g_return_val_if_fail (SIGNET_IS_RECIPIENT_FIELD (self), NULL);

  addresses = signet_recipient_field_dup_addresses (self, FALSE, NULL);
  joined = signet_address_join (addresses, FALSE);
  pending = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->text))));
  if (is_blank (pending))
    return g_steal_pointer (&joined);
  if (*joined == '\0')
    return g_steal_pointer (&pending);
  return g_strconcat (joined, ", ", pending, NULL);
}

/* Turns any typed text into pills now, as Enter does; FALSE (and the
 * field shows why) when it does not parse. */
gboolean
signet_recipient_field_commit (SignetRecipientField *self)
{
  g_return_val_if_fail (SIGNET_IS_RECIPIENT_FIELD (self), FALSE);

  return commit_text (self, FALSE);
}

/* Why the typed text is not an address list, as the field shows it; NULL
 * when it is fine. */
const char *
signet_recipient_field_get_error_text (SignetRecipientField *self)
{
  g_return_val_if_fail (SIGNET_IS_RECIPIENT_FIELD (self), NULL);

  return self->error_text;
}

/* Sets the key status of every recipient with the address @email (however
 * it is written); @text: the words shown, NULL for the directory's own. */
void
signet_recipient_field_set_status (SignetRecipientField *self,
                                   const char           *email,
                                   SignetKeyStatus       status,
                                   const char           *text)
{
  GListModel *model;

  g_return_if_fail (SIGNET_IS_RECIPIENT_FIELD (self));
  g_return_if_fail (email != NULL);

  model = G_LIST_MODEL (self->store);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SignetRecipient) recipient = g_list_model_get_item (model, i);

      if (signet_address_equal_email (signet_recipient_get_address (recipient)->email, email))
        signet_recipient_set_status (recipient, status, text);
    }
}

/* Shows each of @key_results (#SignetKeyResult) on the pills of its
 * address; other pills keep what they show. One pass over the pills, so
 * a hundred recipients cost a hundred lookups, not ten thousand
 * comparisons. */
void
signet_recipient_field_show_key_results (SignetRecipientField *self,
                                         GPtrArray            *key_results)
{
  g_autoptr(GHashTable) by_email = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GListModel *model;

  g_return_if_fail (SIGNET_IS_RECIPIENT_FIELD (self));
  g_return_if_fail (key_results != NULL);

  for (guint i = 0; i < key_results->len; i++)
    {
      const SignetKeyResult *r = g_ptr_array_index (key_results, i);
      g_hash_table_insert (by_email, signet_address_normalize (r->email), (gpointer) r);
    }
  model = G_LIST_MODEL (self->store);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SignetRecipient) recipient = g_list_model_get_item (model, i);
      g_autofree char *email = signet_address_normalize (signet_recipient_get_address (recipient)->email);
      const SignetKeyResult *r = g_hash_table_lookup (by_email, email);

      if (r != NULL)
        signet_recipient_set_status (recipient, r->status, NULL);
    }
}

void
signet_recipient_field_clear_status (SignetRecipientField *self)
{
  GListModel *model;

  g_return_if_fail (SIGNET_IS_RECIPIENT_FIELD (self));

  model = G_LIST_MODEL (self->store);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SignetRecipient) recipient = g_list_model_get_item (model, i);
      signet_recipient_clear_status (recipient);
    }
}

/* A line under the pills about the field as a whole ("Keys cannot be
 * checked while offline"); NULL or "" hides it. */
void
signet_recipient_field_set_message (SignetRecipientField *self,
                                    const char           *text)
{
  g_return_if_fail (SIGNET_IS_RECIPIENT_FIELD (self));

  gtk_label_set_text (GTK_LABEL (self->message), text != NULL ? text : "");
  gtk_widget_set_visible (self->message, text != NULL && *text != '\0');
  update_description (self);
}

/* A line above the suggestions (say, that only the keyring was searched
 * because the computer is offline); NULL: none. */
void
signet_recipient_field_set_completion_note (SignetRecipientField *self,
                                            const char           *note)
{
  g_return_if_fail (SIGNET_IS_RECIPIENT_FIELD (self));
  g_free (self->note_text);
  self->note_text = g_strdup (note);
  show_note (self);
}
