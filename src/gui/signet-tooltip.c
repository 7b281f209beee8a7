/* Tooltips set without asking the X server where the pointer is.
 *
 * Each time a shown widget's tooltip text is set, GTK 4.8 asks the X
 * server for the pointer and the window under it (three round trips, about
 * 0.13 ms on a local server and a network round trip each on a remote
 * one), so that a tooltip on screen follows the new text. A widget not yet
 * on screen has no tooltip to follow, and GTK skips the question for a
 * hidden one: such a widget is hidden for the moment its text is set. A
 * composer sets ten tooltips before its first frame, and a recipient's
 * pill three when it is made. */

#include "config.h"

#include "signet-tooltip.h"

/* Whether @widget or a widget inside it is its window's focus, which
 * hiding it would take away (a window hidden while a send finishes). */
static gboolean
holds_focus (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

void
signet_tooltip_set_text (GtkWidget  *widget,
                         const char *text)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (gtk_widget_get_mapped (widget) || !gtk_widget_get_visible (widget) || holds_focus (widget))
    {
      gtk_widget_set_tooltip_text (widget, text);
      return;
    }
  gtk_widget_set_visible (widget, FALSE);
  gtk_widget_set_tooltip_text (widget, text);
  gtk_widget_set_visible (widget, TRUE);
}
