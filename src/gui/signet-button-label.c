/* Labels with a mnemonic on plain buttons, named as they read.
 *
 * GTK 4.8 names a button whose label has a mnemonic by that label,
 * underscore and all, followed by its text (the label the button is
 * labelled by): a screen reader says "underscore Cancel Cancel". Such a
 * button is named by its text alone here. Buttons with an icon use
 * AdwButtonContent, which GTK names rightly. */

#include "config.h"

#include "signet-button-label.h"

/* @label: with "_" before the mnemonic ("__" for an underscore); NULL to
 * keep the button's own (from its template). Call it again, not
 * gtk_button_set_label(), to change it. */
void
signet_button_set_mnemonic_label (GtkButton  *button,
                                  const char *label)
{
  g_autoptr(GString) plain = g_string_new (NULL);

  g_return_if_fail (GTK_IS_BUTTON (button));

  if (label != NULL)
    gtk_button_set_label (button, label);
  gtk_button_set_use_underline (button, TRUE);
  label = gtk_button_get_label (button);
  g_return_if_fail (label != NULL);
  for (const char *p = label; *p != '\0'; p++)
    {
      if (*p == '_' && p[1] != '\0')
        p++;
      g_string_append_c (plain, *p);
    }
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, plain->str, -1);
}

/* Names every plain button with a mnemonic under @root so, as those of an
 * AdwMessageDialog's responses, which libadwaita 1.2 labels that way. */
void
signet_button_label_name_all (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_button_get_use_underline (GTK_BUTTON (child)) &&
          gtk_button_get_label (GTK_BUTTON (child)) != NULL)
        signet_button_set_mnemonic_label (GTK_BUTTON (child), NULL);
      signet_button_label_name_all (child);
    }
}

static void
on_mapped (GtkWidget *root)
{
  signet_button_label_name_all (root);
}

/* The same, each time @root is shown: for a dialog whose responses are
 * added after it is made. */
void
signet_button_label_name_all_when_mapped (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  g_signal_connect (root, "map", G_CALLBACK (on_mapped), NULL);
}

/* @text (an address, a dictionary's name, a word) for a label that has a
 * mnemonic: its underscores doubled, shown as they are and none taken for
 * the mnemonic. */
char *
signet_mnemonic_escape (const char *text)
{
  GString *escaped = g_string_new (NULL);

  g_return_val_if_fail (text != NULL, NULL);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '_')
        g_string_append_c (escaped, '_');
      g_string_append_c (escaped, *p);
    }
  return g_string_free (escaped, FALSE);
}
