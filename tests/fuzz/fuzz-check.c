/* The properties the fuzz targets check of what Signet accepted from
 * untrusted text: addresses that come back the same from a field and from a
 * header, header fields that no input can add to, and a message that reads
 * back as it was written. */
#define _GNU_SOURCE

#include "fuzz-check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "signet-core.h"
#include "signet-gmime.h"

void
fuzz_init (void)
{
  signet_core_init ();
  /* A critical is a broken precondition: a bug the input found. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

void
fuzz_fail (const char *what, const char *input, const char *detail)
{
  g_autofree char *escaped = g_strescape (input != NULL ? input : "", NULL);
  g_autofree char *escaped_detail = detail != NULL ? g_strescape (detail, NULL) : NULL;

  fprintf (stderr, "PROPERTY BROKEN: %s\ninput: \"%s\"\n", what, escaped);
  if (escaped_detail != NULL)
    fprintf (stderr, "detail: \"%s\"\n", escaped_detail);
  abort ();
}

static char *
describe (GPtrArray *list)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (list == NULL)
    return g_strdup ("(refused)");
  for (guint i = 0; i < list->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (list, i);

      g_string_append_printf (out, "%s{%s | %s}", i ? ", " : "", a->name ? a->name : "(none)", a->email);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* @got has the names of @want exactly, and its addresses exactly or (when
 * !@exact) in their comparison form. */
static void
check_same (const char *what, const char *input, GPtrArray *want, GPtrArray *got, gboolean exact)
{
  gboolean same = got != NULL && want->len == got->len;

  for (guint i = 0; same && i < want->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (want, i);
      const SignetAddress *b = g_ptr_array_index (got, i);

      same = g_strcmp0 (a->name, b->name) == 0 &&
             (strcmp (a->email, b->email) == 0 || (!exact && signet_address_equal_email (a->email, b->email)));
    }
  if (!same)
    {
      g_autofree char *w = describe (want);
      g_autofree char *h = describe (got);
      g_autofree char *detail = g_strdup_printf ("wanted %s, got %s", w, h);

      fuzz_fail (what, input, detail);
    }
}

/* A name as the parser keeps it: not blank, single-spaced, trimmed, and
 * with nothing a header must not hold. */
static gboolean
is_canonical_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || name[0] == ' ' || name[len - 1] == ' ' || strstr (name, "  ") != NULL)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (g_ascii_isspace (*p) && *p != ' ')
      return FALSE;
  return signet_header_check (name, NULL);
}

/* The names of the header fields of @data, one per unfolded line, up to the
 * blank line, each followed by a colon; NULL if a line is neither a field
 * nor the continuation of one, or too long for SMTP. */
static char *
header_names (const char *data, gsize len)
{
  g_autofree char *text = g_strndup (data, len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0' && strcmp (lines[i], "\r") != 0; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (strlen (lines[i]) > 998)
        return NULL;
      if (lines[i][0] == ' ' || lines[i][0] == '\t')
        {
          if (i == 0)
            return NULL;
          continue;
        }
      if (colon == NULL || colon == lines[i])
        return NULL;
      for (const char *p = lines[i]; p < colon; p++)
        if (*p <= ' ' || *p > '~')
          return NULL;
      g_string_append_len (names, lines[i], colon - lines[i] + 1);
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* A message with a To header of @header, written as GMime writes one. */
static GBytes *
write_to_header (const char *header)
{
  g_autoptr(GMimeMessage) message = g_mime_message_new (TRUE);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
  GMimeTextPart *text = g_mime_text_part_new_with_subtype ("plain");
  GByteArray *bytes;

  if (*header != '\0')
    g_mime_object_set_header (GMIME_OBJECT (message), "To", header, "utf-8");
  g_mime_object_set_header (GMIME_OBJECT (message), "Subject", "Fuzz", "utf-8");
  g_mime_text_part_set_text (text, "Body\n");
  g_mime_message_set_mime_part (message, GMIME_OBJECT (text));
  g_object_unref (text);
  g_mime_object_write_to_stream (GMIME_OBJECT (message), NULL, stream);
  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (bytes->data, bytes->len);
}

static char *
unfolded_to_header (GMimeMessage *message)
{
  GMimeHeader *header = g_mime_header_list_get_header (g_mime_object_get_header_list (GMIME_OBJECT (message)), "To");
  g_autoptr(GString) out = g_string_new (NULL);

  if (header == NULL)
    return NULL;
  for (const char *p = g_mime_header_get_raw_value (header); *p != '\0'; p++)
    if (*p != '\r' && *p != '\n')
      g_string_append_c (out, *p);
  return g_strstrip (g_string_free (g_steal_pointer (&out), FALSE));
}

/* As a To header: the same header lines as for one plain address, and both
 * GMime and signet_address_parse_list() read the same recipients back. */
static void
check_header_roundtrip (const char *input, GPtrArray *list)
{
  static char *plain_names;
  g_autofree char *header = signet_address_join (list, TRUE);
  g_autoptr(GBytes) bytes = write_to_header (header);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autofree char *names = header_names (data, len);
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) back = NULL;
  g_autofree char *raw = NULL;
  g_autoptr(GPtrArray) reparsed = NULL;
  g_autoptr(GError) error = NULL;
  InternetAddressList *from_gmime;

  if (plain_names == NULL)
    {
      g_autoptr(GBytes) plain = write_to_header ("a@example.org");
      const char *plain_data = g_bytes_get_data (plain, &len);
      plain_names = header_names (plain_data, len);
      data = g_bytes_get_data (bytes, &len);
    }
  if (list->len == 0)
    return;
  FUZZ_CHECK (g_strcmp0 (names, plain_names) == 0, "the addresses as a header changed the header lines", input,
              data);
  stream = g_mime_stream_mem_new_with_buffer (data, len);
  parser = g_mime_parser_new_with_stream (stream);
  back = g_mime_parser_construct_message (parser, NULL);
  FUZZ_CHECK (back != NULL, "the message with the addresses does not parse", input, data);
  raw = unfolded_to_header (back);
  FUZZ_CHECK (raw != NULL, "the To header is missing", input, data);
  reparsed = signet_address_parse_list (raw, &error);
  FUZZ_CHECK (reparsed != NULL, "the header written does not parse", input, raw);
  check_same ("the header read by signet_address_parse_list", input, list, reparsed, FALSE);
  from_gmime = g_mime_message_get_addresses (back, GMIME_ADDRESS_TYPE_TO);
  FUZZ_CHECK (internet_address_list_length (from_gmime) == (int) list->len, "GMime reads another number of addresses",
              input, raw);
  for (guint i = 0; i < list->len; i++)
    {
      InternetAddress *ia = internet_address_list_get_address (from_gmime, (int) i);
      const SignetAddress *a = g_ptr_array_index (list, i);

      FUZZ_CHECK (INTERNET_ADDRESS_IS_MAILBOX (ia), "GMime reads a group", input, raw);
      FUZZ_CHECK (signet_address_equal_email (a->email,
                                              internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia))),
                  "GMime reads another address", input, raw);
    }
}

/* Every address is valid (as typed, or as an earlier Signet may have
 * written it when @stored) and its name canonical. */
void
fuzz_check_valid_addresses (const char *input, GPtrArray *list, gboolean stored)
{
  for (guint i = 0; i < list->len; i++)
    {
      const SignetAddress *a = g_ptr_array_index (list, i);

      FUZZ_CHECK (stored ? signet_address_is_valid_stored_email (a->email) : signet_address_is_valid_email (a->email),
                  "an accepted address is not valid", input, a->email);
      FUZZ_CHECK (signet_address_equal_email (a->email, a->email), "an address differs from itself", input, a->email);
      if (a->name != NULL)
        FUZZ_CHECK (is_canonical_name (a->name), "an accepted name is not canonical", input, a->name);
    }
}

/* Every address accepted is valid, its name canonical, and the list comes
 * back the same shown in a field and written as a header. */
void
fuzz_check_addresses (const char *input, GPtrArray *list)
{
  g_autofree char *shown = NULL;
  g_autoptr(GPtrArray) reparsed = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_check_valid_addresses (input, list, FALSE);
  shown = signet_address_join (list, FALSE);
  reparsed = signet_address_parse_list (shown, &error);
  FUZZ_CHECK (reparsed != NULL, "the addresses shown in a field do not parse", input, shown);
  check_same ("the addresses shown in a field", input, list, reparsed, TRUE);
  check_header_roundtrip (input, list);
}

/* What the sealer may write at the top of a message: each at most once. */
static const char *allowed_fields[] = {
  "From", "To", "Cc", "Bcc", "Subject", "Date", "Message-Id", "User-Agent", "MIME-Version", "Content-Type",
  "Content-Transfer-Encoding", "X-Signet-Sign",
};

/* The header of a message written by Signet has only fields Signet writes,
 * none twice: nothing that was typed became a field of its own. */
void
fuzz_check_written_fields (const char *input, const char *data, gsize len)
{
  g_autofree char *names = header_names (data, len);
  g_auto(GStrv) fields = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  FUZZ_CHECK (names != NULL, "the message written has a line that is no header field", input, data);
  fields = g_strsplit (names, ":", -1);
  for (guint i = 0; fields[i] != NULL && *fields[i] != '\0'; i++)
    {
      gboolean allowed = FALSE;

      for (guint j = 0; j < G_N_ELEMENTS (allowed_fields) && !allowed; j++)
        allowed = g_ascii_strcasecmp (fields[i], allowed_fields[j]) == 0;
      FUZZ_CHECK (allowed, "the message written has a header field Signet does not write", input, fields[i]);
      FUZZ_CHECK (g_hash_table_add (seen, g_ascii_strdown (fields[i], -1)),
                  "the message written has a header field twice", input, fields[i]);
    }
}
