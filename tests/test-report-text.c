/* The words for what a send or a draft really did, from the report the core
 * returns. */
#include <glib.h>

#include "signet-report-text.h"

static void
test_short_fingerprint (void)
{
  g_autofree char *a = signet_short_fingerprint ("0123456789abcdef0123456789ABCDEF01234567");
  g_autofree char *b = signet_short_fingerprint ("0123 4567 89AB");
  g_autofree char *c = signet_short_fingerprint ("01234567");
  g_autofree char *d = signet_short_fingerprint (NULL);
  g_autofree char *e = signet_short_fingerprint ("0123 4567 ");

  g_assert_cmpstr (a, ==, "0123 4567 …");
  g_assert_cmpstr (b, ==, "0123 4567 …");
  g_assert_cmpstr (c, ==, "0123 4567");
  g_assert_cmpstr (d, ==, "");
  g_assert_cmpstr (e, ==, "0123 4567");
}

static void
test_draft (void)
{
  char *none[] = { NULL };
  SignetSendReport sealed = { .sealed = TRUE, .own_fingerprint = (char *) "1234567890ABCDEF1234567890ABCDEF12345678",
                              .undelivered = none };
  SignetSendReport sealed_unknown_key = { .sealed = TRUE, .undelivered = none };
  SignetSendReport clear = { .sealed = FALSE, .undelivered = none };
  g_autofree char *a = signet_report_text_draft_saved (&sealed);
  g_autofree char *b = signet_report_text_draft_saved (&sealed_unknown_key);
  g_autofree char *c = signet_report_text_draft_saved (&clear);

  g_assert_cmpstr (a, ==, "Draft saved, sealed to your key 1234 5678 …");
  g_assert_cmpstr (b, ==, "Draft saved, sealed to your own key");
  g_assert_cmpstr (c, ==, "Draft saved (not sealed)");
}

/* The words say which way a sealed message was sealed when it was S/MIME. */
static void
test_queued (void)
{
  char *none[] = { NULL };
  SignetSendReport pgp = { .sealed = TRUE, .n_recipients = 2, .undelivered = none };
  SignetSendReport smime = { .sealed = TRUE, .smime = TRUE, .n_recipients = 1, .undelivered = none };
  SignetSendReport clear = { .n_recipients = 3, .undelivered = none };
  g_autofree char *a = signet_report_text_queued (&pgp);
  g_autofree char *b = signet_report_text_queued (&smime);
  g_autofree char *c = signet_report_text_queued (&clear);

  g_assert_cmpstr (a, ==, "Sealed and sending to 2 recipients");
  g_assert_cmpstr (b, ==, "Sealed with S/MIME and sending to 1 recipient");
  g_assert_cmpstr (c, ==, "Sending to 3 recipients");
}

static void
test_sent (void)
{
  char *none[] = { NULL };
  char *two[] = { (char *) "bob@example.org", (char *) "carol@example.org", NULL };
  SignetSendReport delivered = { .delivered = TRUE, .undelivered = none };
  SignetSendReport queued = { .delivered = FALSE, .undelivered = none };
  SignetSendReport partly = { .delivered = FALSE, .undelivered = two };
  SignetSendReport failed = { .delivered = FALSE, .failed = TRUE, .undelivered = two };
  struct { SignetSendReport *report; const char *title; const char *body; } cases[] = {
    { &delivered, "Message sent", NULL },
    { &queued, "Message waiting in the Outbox", "It will be sent when you are back online." },
    { &partly, "Message waiting in the Outbox",
      "Not received yet by bob@example.org, carol@example.org. It leaves the Outbox as soon as it can be delivered." },
    { &failed, "Message not delivered to everyone", "Not received by bob@example.org, carol@example.org." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *title = signet_report_text_sent_title (cases[i].report);
      g_autofree char *body = signet_report_text_sent_body (cases[i].report);

      g_assert_cmpstr (title, ==, cases[i].title);
      g_assert_cmpstr (body, ==, cases[i].body);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-text/short-fingerprint", test_short_fingerprint);
  g_test_add_func ("/report-text/draft", test_draft);
  g_test_add_func ("/report-text/sent", test_sent);
  g_test_add_func ("/report-text/queued", test_queued);
  return g_test_run ();
}
