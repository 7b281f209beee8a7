/* The composer under a translated locale: a German user sees German, the KB
 * dialog included. */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "config.h"
#include "signet-compose-window.h"
#include "signet-dialogs.h"
#include "signet-test-util.h"
#include "signet-ui-test.h"

static void
test_german (void)
{
  SignetTestServices s;
  SignetComposeWindow *window;
  AdwMessageDialog *dialog;
  GtkWidget *label;

  /* Offline: no key lookup happens, so no GnuPG home is needed. */
  signet_test_services_init (&s, "/nonexistent", FALSE);
  window = signet_compose_window_new (NULL, s.operation, s.network, "Signet Demo <demo@example.org>");
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Neue Nachricht");
  label = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, "offline_label"));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (label)), ==,
                   "Sie sind offline. Versiegelte Nachrichten können nicht gesendet werden; andere Nachrichten warten im Postausgang.");

  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, "to_entry")),
                         "alice@example.org");
  g_object_set (window, "seal", TRUE, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "compose.send", NULL));
  signet_test_wait_until (signet_ui_dialog_shown, NULL);
  dialog = signet_ui_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==,
                   "Der Clientvorgang ist fehlgeschlagen. Die Empfänger konnten nicht überprüft werden.");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_SAVE_DRAFT), ==, "_Entwurf speichern");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_CLOSE), ==, "_Schließen");
  g_assert_cmpuint (signet_test_count_files (s.mail), ==, 0);

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  signet_test_services_clear (&s);
}

/* The question asked before an unsaved message closes, in German. */
static void
test_german_close_prompt (void)
{
  SignetTestServices s;
  SignetComposeWindow *window;
  AdwMessageDialog *dialog;

  signet_test_services_init (&s, "/nonexistent", FALSE);
  window = signet_compose_window_new (NULL, s.operation, s.network, "Signet Demo <demo@example.org>");
  gtk_window_present (GTK_WINDOW (window));
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, "subject_entry")),
                         "Fusion");
  gtk_window_close (GTK_WINDOW (window));
  signet_test_wait_until (signet_ui_dialog_shown, NULL);
  dialog = signet_ui_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Nachricht als Entwurf speichern?");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "„Fusion“ wurde weder gesendet noch gespeichert. Wenn Sie es verwerfen, geht das Geschriebene verloren.");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_SAVE_DRAFT), ==, "_Entwurf speichern");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_DISCARD), ==, "_Verwerfen");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, SIGNET_RESPONSE_CANCEL), ==, "_Abbrechen");

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (signet_ui_find_dialog ());
  signet_test_services_clear (&s);
}

/* In each language, no two controls of the composer (working offline: its
 * banner's button too), of its main menu, of the KB dialog or of the
 * question asked before closing share an Alt key. */
static void
test_mnemonics (gconstpointer data)
{
  const char *language = data;
  SignetTestServices s;
  SignetComposeWindow *window;
  AdwMessageDialog *dialog;
  GtkMenuButton *menu_button;

  g_setenv ("LANGUAGE", language, TRUE);
  /* gettext forgets the translations it looked up when the locale
   * changes (not when it is set to the same again). */
  setlocale (LC_ALL, "C.UTF-8");
  setlocale (LC_ALL, "de_DE.UTF-8");
  signet_test_services_init (&s, "/nonexistent", FALSE);
  signet_network_set_work_offline (s.network, TRUE);
  window = signet_compose_window_new (NULL, s.operation, s.network, "Signet Demo <demo@example.org>");
  gtk_window_present (GTK_WINDOW (window));
  /* Working offline: the banner and its Work Online button. */
  signet_test_wait_until ((GSourceFunc) gtk_widget_get_mapped,
                          gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW,
                                                         "work_online_button"));
  if (g_str_equal (language, "de"))
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Neue Nachricht");
  else if (g_str_equal (language, "fr"))
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Nouveau message");
  else
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "New Message");
  /* Send, Seal, Sign, Attach, Check Names, From, To, Cc, Bcc, Subject, and
   * Work Online. */
  g_assert_cmpuint (signet_ui_assert_mnemonics_unique (GTK_WIDGET (window)), ==, 11);

  /* The main menu: its twelve items on its first page. */
  menu_button = GTK_MENU_BUTTON (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW,
                                                                "menu_button"));
  gtk_menu_button_popup (menu_button);
  signet_test_wait_until ((GSourceFunc) gtk_widget_get_mapped, gtk_menu_button_get_popover (menu_button));
  g_assert_cmpuint (signet_ui_assert_mnemonics_unique (GTK_WIDGET (gtk_menu_button_get_popover (menu_button))), ==, 12);
  gtk_menu_button_popdown (menu_button);

  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (window), SIGNET_TYPE_COMPOSE_WINDOW, "to_entry")),
                         "alice@example.org");
  g_object_set (window, "seal", TRUE, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "compose.send", NULL));
  dialog = signet_ui_wait_for_dialog ();
  /* Save Draft and Close. */
  g_assert_cmpuint (signet_ui_assert_mnemonics_unique (GTK_WIDGET (dialog)), ==, 2);
  gtk_window_destroy (GTK_WINDOW (dialog));
  while (g_main_context_iteration (NULL, FALSE))
    ;

  gtk_window_close (GTK_WINDOW (window));
  dialog = signet_ui_wait_for_dialog ();
  /* Save Draft, Discard and Cancel. */
  g_assert_cmpuint (signet_ui_assert_mnemonics_unique (GTK_WIDGET (dialog)), ==, 3);

  signet_ui_destroy_all_windows ();
  signet_test_services_clear (&s);
  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  setlocale (LC_ALL, "de_DE.UTF-8");
}

int
main (int argc, char *argv[])
{
  g_autofree char *localedir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "po", NULL);

  if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL)
    g_error ("The de_DE.UTF-8 locale is not available (build-aux/install-deps.sh --tests generates it)");
  g_setenv ("LC_ALL", "de_DE.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "de", TRUE);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/translated-ui/german", test_german);
  g_test_add_func ("/translated-ui/german-close-prompt", test_german_close_prompt);
  g_test_add_data_func ("/translated-ui/mnemonics/en", "en", test_mnemonics);
  g_test_add_data_func ("/translated-ui/mnemonics/de", "de", test_mnemonics);
  g_test_add_data_func ("/translated-ui/mnemonics/fr", "fr", test_mnemonics);
  return g_test_run ();
}
