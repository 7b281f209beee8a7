/* One technology seals a message for all of its recipients: OpenPGP or
 * S/MIME, in the order the user prefers. S/MIME is looked at only when it
 * comes first or when OpenPGP cannot reach everyone, so that a user of
 * OpenPGP alone never waits for gpgsm. */
#define G_LOG_DOMAIN "signet-seal-choice"

#include "signet-seal-choice.h"

#include <string.h>

#include "signet-errors.h"
#include "signet-i18n.h"
#include "signet-smime.h"

void
signet_seal_choice_clear (SignetSealChoice *choice)
{
  g_clear_pointer (&choice->own_fingerprint, g_free);
  g_clear_pointer (&choice->key_results, g_ptr_array_unref);
}

static gboolean
reaches (const char *own, GPtrArray *results)
{
  return own != NULL && results != NULL && signet_key_results_all_ok (results);
}

static gboolean
reaches_one (GPtrArray *results, const char *email)
{
  const SignetKeyResult *r = results != NULL ? signet_key_results_lookup (results, email) : NULL;

  return r != NULL && r->status == SIGNET_KEY_STATUS_OK;
}

/* Who each technology cannot reach, when some recipients can be reached
 * only with OpenPGP and others only with S/MIME: a mix no single one can
 * serve. */
static gboolean
set_mix_error (const char * const *emails,
               const char         *sender,
               const char         *pgp_own,
               GPtrArray          *pgp,
               const char         *smime_own,
               GPtrArray          *smime,
               GError            **error)
{
  g_autoptr(GPtrArray) no_pgp = g_ptr_array_new ();
  g_autoptr(GPtrArray) no_smime = g_ptr_array_new ();
  gboolean only_pgp = FALSE, only_smime = FALSE;
  g_autofree char *pgp_list = NULL;
  g_autofree char *smime_list = NULL;

  for (guint i = 0; emails[i] != NULL; i++)
    {
      gboolean by_pgp = reaches_one (pgp, emails[i]), by_smime = reaches_one (smime, emails[i]);

      if (!by_pgp)
        g_ptr_array_add (no_pgp, (gpointer) emails[i]);
      if (!by_smime)
        g_ptr_array_add (no_smime, (gpointer) emails[i]);
      only_pgp |= by_pgp && !by_smime;
      only_smime |= by_smime && !by_pgp;
    }
  if (!only_pgp || !only_smime)
    return FALSE;
  if (pgp_own == NULL)
    g_ptr_array_add (no_pgp, (gpointer) sender);
  if (smime_own == NULL)
    g_ptr_array_add (no_smime, (gpointer) sender);
  g_ptr_array_add (no_pgp, NULL);
  g_ptr_array_add (no_smime, NULL);
  pgp_list = g_strjoinv (", ", (char **) no_pgp->pdata);
  smime_list = g_strjoinv (", ", (char **) no_smime->pdata);
  /* Translators: each %s is a list of mail addresses, separated by commas */
  g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
               _("No one way of sealing reaches everyone, and a message is sealed one way for all of its "
                 "recipients. OpenPGP cannot reach %s. S/MIME cannot reach %s."), pgp_list, smime_list);
  return TRUE;
}

static void
merge_known (GPtrArray *results, GPtrArray *other)
{
  for (guint i = 0; results != NULL && other != NULL && i < results->len; i++)
    {
      SignetKeyResult *r = g_ptr_array_index (results, i);
      const SignetKeyResult *o = signet_key_results_lookup (other, r->email);

      /* Only refusals: a key of the other technology does not make this one usable. */
      if (r->status != SIGNET_KEY_STATUS_MISSING || o == NULL || o->status == SIGNET_KEY_STATUS_MISSING ||
          o->status == SIGNET_KEY_STATUS_OK)
        continue;
      r->status = o->status;
      g_free (r->fingerprint);
      r->fingerprint = g_strdup (o->fingerprint);
      g_free (r->user_id);
      r->user_id = g_strdup (o->user_id);
    }
}

static void
take (SignetSealChoice *choice, gboolean smime, const char *own, GPtrArray *results)
{
  choice->smime = smime;
  choice->own_fingerprint = g_strdup (own);
  choice->key_results = results != NULL ? g_ptr_array_ref (results) : NULL;
}

gboolean
signet_seal_choice_decide (SignetKeyDirectory     *directory,
                           SignetDirectoryServers *servers,
                           const char             *sender,
                           const char * const     *emails,
                           gboolean                prefer_smime,
                           const char             *pgp_own,
                           const GError           *pgp_own_error,
                           GPtrArray              *pgp_results,
                           SignetSealChoice       *choice,
                           GCancellable           *cancellable,
                           GError                **error)
{
  g_autoptr(GPtrArray) smime = NULL;
  g_autofree char *smime_own = NULL;
  g_autoptr(GError) own_error = NULL;

  if (!prefer_smime && reaches (pgp_own, pgp_results))
    {
      take (choice, FALSE, pgp_own, pgp_results);
      return TRUE;
    }
  smime = signet_smime_resolve_sync (directory, servers, emails, cancellable, error);
  if (smime == NULL)
    return FALSE;
  smime_own = signet_smime_choose_own_sync (directory, sender, cancellable, &own_error);
  if (smime_own == NULL && !g_error_matches (own_error, SIGNET_KEY_MANAGEMENT_ERROR,
                                             SIGNET_KEY_MANAGEMENT_ERROR_NO_OWN_KEY))
    {
      g_propagate_error (error, g_steal_pointer (&own_error));
      return FALSE;
    }
  if (prefer_smime && reaches (smime_own, smime))
    take (choice, TRUE, smime_own, smime);
  else if (reaches (pgp_own, pgp_results))
    take (choice, FALSE, pgp_own, pgp_results);
  else if (reaches (smime_own, smime))
    take (choice, TRUE, smime_own, smime);
  else
    {
      /* Nothing works. The results of the technology the sender has a key
       * or certificate for (the preferred one if both) say why, or the
       * other's where it knows more (a revoked certificate rather than
       * no OpenPGP key at all). */
      gboolean use_smime = prefer_smime ? smime_own != NULL || pgp_own == NULL : pgp_own == NULL && smime_own != NULL;

      /* A mix has no per-recipient answer: each one can be reached, only
       * not all the same way; the error's words say it all. */
      if (set_mix_error (emails, sender, pgp_own, pgp_results, smime_own, smime, error))
        return FALSE;
      take (choice, use_smime, NULL, use_smime ? smime : pgp_results);
      merge_known (choice->key_results, use_smime ? pgp_results : smime);
      if (pgp_own == NULL && smime_own == NULL && prefer_smime)
        g_propagate_error (error, g_steal_pointer (&own_error));
      else if (pgp_own == NULL && smime_own == NULL && pgp_own_error != NULL)
        g_propagate_error (error, g_error_copy (pgp_own_error));
      else
        g_set_error (error, SIGNET_KEY_MANAGEMENT_ERROR, SIGNET_KEY_MANAGEMENT_ERROR_RECIPIENTS,
                     _("Some recipients cannot receive sealed mail."));
      return FALSE;
    }
  return TRUE;
}

char *
signet_seal_choice_smime_signer (SignetKeyDirectory *directory,
                                 const char         *sender,
                                 gboolean            prefer_smime,
                                 GCancellable       *cancellable)
{
  if (!prefer_smime)
    return NULL;
  return signet_smime_choose_own_sync (directory, sender, cancellable, NULL);
}

gboolean
signet_seal_choice_complete (SignetKeyDirectory     *directory,
                             SignetDirectoryServers *servers,
                             const char * const     *emails,
                             gboolean                prefer_smime,
                             GPtrArray              *results,
                             gboolean               *sealed_smime,
                             GCancellable           *cancellable,
                             GError                **error)
{
  g_autoptr(GPtrArray) smime = NULL;
  gboolean pgp_all = signet_key_results_all_ok (results);

  *sealed_smime = FALSE;
  if (!prefer_smime && pgp_all)
    return TRUE;
  smime = signet_smime_resolve_sync (directory, servers, emails, cancellable, error);
  if (smime == NULL)
    return FALSE;
  /* The first technology in the order that reaches everyone. */
  *sealed_smime = signet_key_results_all_ok (smime) && (prefer_smime || !pgp_all);
  for (guint i = 0; i < results->len; i++)
    {
      SignetKeyResult *r = g_ptr_array_index (results, i);
      const SignetKeyResult *o = signet_key_results_lookup (smime, r->email);

      /* A usable certificate, or a refusal where OpenPGP knows nothing. */
      if (r->status == SIGNET_KEY_STATUS_OK || o == NULL ||
          (o->status != SIGNET_KEY_STATUS_OK && (r->status != SIGNET_KEY_STATUS_MISSING ||
                                                 o->status == SIGNET_KEY_STATUS_MISSING)))
        continue;
      r->status = o->status;
      g_free (r->fingerprint);
      r->fingerprint = g_strdup (o->fingerprint);
      g_free (r->user_id);
      r->user_id = g_strdup (o->user_id);
    }
  return TRUE;
}
