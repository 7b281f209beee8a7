#define G_LOG_DOMAIN "signet-report-text"

#include "signet-report-text.h"

#include "signet-i18n.h"

/* The words that tell the user what a send or a draft really did. They come
 * from the SignetSendReport, never from what the window asked for: a draft
 * the core could not seal must not be called sealed. */

/* "1234 5678 …": the start of a fingerprint, as gpg prints it, enough to
 * tell one's own keys apart at a glance. */
char *
signet_short_fingerprint (const char *fingerprint)
{
  g_autoptr(GString) text = g_string_new (NULL);
  const char *p = fingerprint;
  guint digits = 0;

  if (fingerprint == NULL)
    return g_strdup ("");
  for (; *p != '\0' && digits < 8; p++)
    {
      if (!g_ascii_isxdigit (*p))
        continue;
      if (digits == 4)
        g_string_append_c (text, ' ');
      g_string_append_c (text, g_ascii_toupper (*p));
      digits++;
    }
  for (; *p != '\0'; p++)
    if (g_ascii_isxdigit (*p))
      {
        g_string_append (text, " …");
        break;
      }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
signet_report_text_draft_saved (const SignetSendReport *report)
{
  g_autofree char *key = NULL;

  if (report == NULL || !report->sealed)
    return g_strdup (_("Draft saved (not sealed)"));
  if (report->own_fingerprint == NULL || *report->own_fingerprint == '\0')
    return g_strdup (_("Draft saved, sealed to your own key"));
  key = signet_short_fingerprint (report->own_fingerprint);
  /* Translators: %s is the start of a key fingerprint, e.g. "1234 5678 …" */
  return g_strdup_printf (_("Draft saved, sealed to your key %s"), key);
}

static gboolean
has_undelivered (const SignetSendReport *report)
{
  return report->undelivered != NULL && report->undelivered[0] != NULL;
}

char *
signet_report_text_sent_title (const SignetSendReport *report)
{
  if (report->failed)
    return g_strdup (_("Message not delivered to everyone"));
  if (report->delivered && !has_undelivered (report))
    return g_strdup (_("Message sent"));
  return g_strdup (_("Message waiting in the Outbox"));
}

/* A send has entered the Outbox (all its copies, sealed if Seal was on);
 * online, it is being delivered now, and the Outbox tells how that ends. */
char *
signet_report_text_queued (const SignetSendReport *report)
{
  if (report->offline)
    return signet_report_text_sent_title (report);
  if (report->sealed && report->smime)
    /* Translators: %u is a number of recipients */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Sealed with S/MIME and sending to %u recipient",
                                         "Sealed with S/MIME and sending to %u recipients", report->n_recipients),
                            report->n_recipients);
  if (report->sealed)
    /* Translators: %u is a number of recipients */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Sealed and sending to %u recipient",
                                         "Sealed and sending to %u recipients", report->n_recipients),
                            report->n_recipients);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Sending to %u recipient",
                                       "Sending to %u recipients", report->n_recipients),
                          report->n_recipients);
}

/* NULL when the title says it all. */
char *
signet_report_text_sent_body (const SignetSendReport *report)
{
  g_autofree char *names = NULL;

  if (report->offline && !report->failed)
    return g_strdup (_("It will be sent when you are back online."));
  if (!has_undelivered (report))
    return report->delivered ? NULL : g_strdup (_("It will be sent when you are back online."));
  names = g_strjoinv (", ", report->undelivered);
  if (report->failed)
    /* Translators: %s is a list of email addresses */
    return g_strdup_printf (_("Not received by %s."), names);
  /* Translators: %s is a list of email addresses */
  return g_strdup_printf (_("Not received yet by %s. It leaves the Outbox as soon as it can be delivered."), names);
}
