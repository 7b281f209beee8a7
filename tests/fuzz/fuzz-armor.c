/* libFuzzer harness for the armor encoder (src/core/signet-armor.c).
 *
 * The first four bytes of each input choose how the rest is cut into the
 * pieces the encoder is fed; the rest is the binary to armor. The armor is
 * then read back by a decoder written here, independently of the encoder:
 * the BEGIN line and the blank line after it, Base64 lines of at most 76
 * characters, the checksum line and the END line, nothing after; the
 * decoded bytes must be the input and the checksum their CRC-24 (RFC 4880,
 * section 6.1, computed bit by bit). Any difference aborts.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined with src/core/signet-armor.c
 * and GLib; run: fuzz-armor [-runs=N] [CORPUS_DIR]. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signet-armor.h"

#define MAX_LINE 76

static uint32_t
crc24_reference (const uint8_t *data, size_t len)
{
  uint32_t crc = 0xB704CE;

  for (size_t i = 0; i < len; i++)
    {
      crc ^= (uint32_t) data[i] << 16;
      for (int bit = 0; bit < 8; bit++)
        {
          crc <<= 1;
          if (crc & 0x1000000)
            crc ^= 0x1864CFB;
        }
    }
  return crc & 0xFFFFFF;
}

static int
value_of (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Decodes the Base64 of @text (@len characters, a multiple of four, '='
 * padding only at its end) into @out; returns the number of bytes. */
static size_t
decode_base64 (const char *text, size_t len, uint8_t *out)
{
  size_t n = 0;

  if (len % 4 != 0)
    abort ();
  for (size_t i = 0; i < len; i += 4)
    {
      int v[4];
      int pad = 0;

      for (int k = 0; k < 4; k++)
        {
          if (text[i + k] == '=' && i + 4 == len && k >= 2)
            {
              v[k] = 0;
              pad++;
              continue;
            }
          if (pad > 0 || (v[k] = value_of (text[i + k])) < 0)
            abort ();
        }
      out[n++] = (uint8_t) (v[0] << 2 | v[1] >> 4);
      if (pad < 2)
        out[n++] = (uint8_t) ((v[1] & 0xf) << 4 | v[2] >> 2);
      if (pad < 1)
        out[n++] = (uint8_t) ((v[2] & 0x3) << 6 | v[3]);
    }
  return n;
}

static const char *
expect_line (const char *p, const char *end, const char *line)
{
  size_t len = strlen (line);

  if ((size_t) (end - p) < len + 1 || memcmp (p, line, len) != 0 || p[len] != '\n')
    abort ();
  return p + len + 1;
}

static void
check_armor (const char *armor, size_t len, const uint8_t *data, size_t size)
{
  const char *p = armor, *end = armor + len;
  char *body = malloc (len + 1);
  uint8_t *decoded = malloc (len + 1);
  uint8_t crc_bytes[3];
  size_t body_len = 0, n;
  uint32_t crc;

  p = expect_line (p, end, "-----BEGIN PGP MESSAGE-----");
  p = expect_line (p, end, "");
  while (p < end && *p != '=')
    {
      const char *nl = memchr (p, '\n', end - p);

      if (nl == NULL || nl == p || nl - p > MAX_LINE)
        abort ();
      memcpy (body + body_len, p, nl - p);
      body_len += nl - p;
      p = nl + 1;
    }
  /* The checksum line: '=' and four characters. */
  if (end - p < 6 || p[5] != '\n' || decode_base64 (p + 1, 4, crc_bytes) != 3)
    abort ();
  p = expect_line (p + 6, end, "-----END PGP MESSAGE-----");
  if (p != end)
    abort ();
  n = decode_base64 (body, body_len, decoded);
  if (n != size || (size > 0 && memcmp (decoded, data, size) != 0))
    abort ();
  crc = (uint32_t) crc_bytes[0] << 16 | (uint32_t) crc_bytes[1] << 8 | crc_bytes[2];
  if (crc != crc24_reference (data, size))
    abort ();
  free (body);
  free (decoded);
}

int LLVMFuzzerTestOneInput (const uint8_t *input, size_t input_size);

int
LLVMFuzzerTestOneInput (const uint8_t *input, size_t input_size)
{
  uint32_t state = 0x13;
  const uint8_t *data;
  size_t size, done = 0, len = 0;
  SignetArmorEncoder encoder;
  char *armor;

  for (size_t i = 0; i < 4 && i < input_size; i++)
    state = state << 8 | input[i];
  data = input + (input_size < 4 ? input_size : 4);
  size = input_size < 4 ? 0 : input_size - 4;
  armor = malloc (SIGNET_ARMOR_STEP_MAX (size) + 2 * SIGNET_ARMOR_EDGE_MAX);

  signet_armor_encoder_init (&encoder);
  len += signet_armor_encoder_begin (&encoder, armor + len);
  while (done < size)
    {
      size_t piece;

      /* Mostly short pieces, sometimes empty ones, sometimes long ones. */
      state = state * 1103515245u + 12345u;
      piece = (state >> 16) % ((state & 0x100) ? 200 : 5);
      if (piece > size - done)
        piece = size - done;
      len += signet_armor_encoder_step (&encoder, data + done, piece, armor + len);
      done += piece;
    }
  len += signet_armor_encoder_end (&encoder, armor + len);
  check_armor (armor, len, data, size);
  free (armor);
  return 0;
}
