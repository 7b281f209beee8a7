/* Files reach a composer as attachments by drag and drop anywhere on the
 * window, and by pasting them into the body (Ctrl+V after copying files
 * in a file manager). Text dropped or pasted stays text. */
#define G_LOG_DOMAIN "signet-attachment-drop"

#include "signet-attachment-drop.h"

/* Returns whether there was any file to attach. */
static gboolean
attach_files (SignetComposeWindow *window, GdkFileList *list)
{
  g_autoptr(GSList) files = list != NULL ? gdk_file_list_get_files (list) : NULL;

  for (GSList *l = files; l != NULL; l = l->next)
    signet_compose_window_add_attachment (window, l->data);
  return files != NULL;
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, SignetComposeWindow *window)
{
  return attach_files (window, g_value_get_boxed (value));
}

static void
on_pasted_files (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SignetComposeWindow) window = g_weak_ref_get (user_data);
  g_autoptr(GError) error = NULL;
  const GValue *value;

  g_weak_ref_clear (user_data);
  g_free (user_data);
  value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (object), result, &error);
  if (window == NULL)
    return;
  if (value == NULL)
    {
      g_warning ("Pasted files could not be read: %s", error->message);
      return;
    }
  attach_files (window, g_value_get_boxed (value));
}

/* Files on the clipboard are attached instead of pasted as their names. */
static void
on_paste (GtkTextView *body, SignetComposeWindow *window)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (body));
  GWeakRef *ref;

  if (!gdk_content_formats_contain_gtype (gdk_clipboard_get_formats (clipboard), GDK_TYPE_FILE_LIST))
    return;
  g_signal_stop_emission_by_name (body, "paste-clipboard");
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, window);
  gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT, NULL, on_pasted_files, ref);
}

void
signet_attachment_drop_attach (SignetComposeWindow *window,
                               GtkTextView         *body)
{
  GtkDropTarget *target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  /* Before the body's own target, which would take the files' names as text. */
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (target), GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name (GTK_EVENT_CONTROLLER (target), "signet-attachment-drop");
  g_signal_connect_object (target, "drop", G_CALLBACK (on_drop), window, 0);
  gtk_widget_add_controller (GTK_WIDGET (window), GTK_EVENT_CONTROLLER (target));
  g_signal_connect_object (body, "paste-clipboard", G_CALLBACK (on_paste), window, 0);
}
