#define G_LOG_DOMAIN "signet-armor"

#include "signet-armor.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Signet armors sealed messages itself rather than have gpg do it: gpg then
 * only encrypts, and the armor is computed by another thread, on another
 * core, as the ciphertext streams into the message file. The result is
 * what gpg would write (no Version or Comment header). */

#define CRC24_INIT 0xB704CEu
#define CRC24_POLY 0x864CFBu
#define LINE_LENGTH 64
#define LINE_BYTES (LINE_LENGTH / 4 * 3)
#define READ_SIZE (256 * 1024)

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* CRC-24 eight bytes at a time: the register is kept in the top 24 bits of
 * a 32-bit word, so the tables are those of an MSB-first CRC-32. */
static guint32 crc_tables[8][256];
/* Two Base64 characters for each 12 bits. */
static char pair_table[4096][2];

static gpointer
init_tables (gpointer unused)
{
  (void) unused;
  for (guint i = 0; i < 256; i++)
    {
      guint32 c = (guint32) i << 24;

      for (guint bit = 0; bit < 8; bit++)
        c = (c & 0x80000000u) ? (c << 1) ^ (CRC24_POLY << 8) : c << 1;
      crc_tables[0][i] = c;
    }
  for (guint t = 1; t < 8; t++)
    for (guint i = 0; i < 256; i++)
      crc_tables[t][i] = (crc_tables[t - 1][i] << 8) ^ crc_tables[0][crc_tables[t - 1][i] >> 24];
  for (guint i = 0; i < 4096; i++)
    {
      pair_table[i][0] = alphabet[i >> 6];
      pair_table[i][1] = alphabet[i & 0x3f];
    }
  return NULL;
}

static guint32
crc24_update (guint32 crc, const guchar *data, gsize len)
{
  guint32 c = crc << 8;

  for (; len >= 8; data += 8, len -= 8)
    {
      c ^= (guint32) data[0] << 24 | (guint32) data[1] << 16 | (guint32) data[2] << 8 | data[3];
      c = crc_tables[7][c >> 24] ^ crc_tables[6][(c >> 16) & 0xff] ^
          crc_tables[5][(c >> 8) & 0xff] ^ crc_tables[4][c & 0xff] ^
          crc_tables[3][data[4]] ^ crc_tables[2][data[5]] ^ crc_tables[1][data[6]] ^ crc_tables[0][data[7]];
    }
  for (; len > 0; data++, len--)
    c = (c << 8) ^ crc_tables[0][(c >> 24) ^ *data];
  return c >> 8;
}

void
signet_armor_encoder_init (SignetArmorEncoder *encoder)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, init_tables, NULL);
  memset (encoder, 0, sizeof *encoder);
  encoder->crc = CRC24_INIT;
}

gsize
signet_armor_encoder_begin (SignetArmorEncoder *encoder,
                            char               *out)
{
  static const char begin[] = "-----BEGIN PGP MESSAGE-----\n\n";

  (void) encoder;

  memcpy (out, begin, sizeof begin - 1);
  return sizeof begin - 1;
}

static inline char *
put_group (SignetArmorEncoder *encoder, char *o, const guchar *g)
{
  o[0] = alphabet[g[0] >> 2];
  o[1] = alphabet[((g[0] & 0x03) << 4) | (g[1] >> 4)];
  o[2] = alphabet[((g[1] & 0x0f) << 2) | (g[2] >> 6)];
  o[3] = alphabet[g[2] & 0x3f];
  o += 4;
  encoder->column += 4;
  if (encoder->column == LINE_LENGTH)
    {
      *o++ = '\n';
      encoder->column = 0;
    }
  return o;
}

static inline char *
put_line (char *o, const guchar *d)
{
  for (guint i = 0; i < LINE_BYTES; i += 3, o += 4)
    {
      guint32 v = (guint32) d[i] << 16 | (guint32) d[i + 1] << 8 | d[i + 2];

      memcpy (o, pair_table[v >> 12], 2);
      memcpy (o + 2, pair_table[v & 0xfff], 2);
    }
  *o++ = '\n';
  return o;
}

/* Encodes @len bytes of @data into @out, which has room for
 * SIGNET_ARMOR_STEP_MAX (@len) characters; returns how many it wrote. */
gsize
signet_armor_encoder_step (SignetArmorEncoder *encoder,
                           const guchar       *data,
                           gsize               len,
                           char               *out)
{
  char *o = out;

  encoder->crc = crc24_update (encoder->crc, data, len);
  while (encoder->n_pending > 0 && encoder->n_pending < 3 && len > 0)
    {
      encoder->pending[encoder->n_pending++] = *data++;
      len--;
    }
  if (encoder->n_pending == 3)
    {
      o = put_group (encoder, o, encoder->pending);
      encoder->n_pending = 0;
    }
  /* Whole lines at once, where they start at a line's beginning. */
  for (; encoder->column == 0 && len >= LINE_BYTES; data += LINE_BYTES, len -= LINE_BYTES)
    o = put_line (o, data);
  for (; len >= 3; data += 3, len -= 3)
    o = put_group (encoder, o, data);
  memcpy (encoder->pending + encoder->n_pending, data, len);
  encoder->n_pending += len;
  return o - out;
}

/* The last bytes, the checksum and the END line; at most
 * SIGNET_ARMOR_EDGE_MAX characters. */
gsize
signet_armor_encoder_end (SignetArmorEncoder *encoder,
                          char               *out)
{
  static const char end[] = "-----END PGP MESSAGE-----\n";
  guchar crc[3] = { encoder->crc >> 16, encoder->crc >> 8, encoder->crc };
  char *o = out;

  if (encoder->n_pending > 0)
    {
      guint n = encoder->n_pending;

      memset (encoder->pending + n, 0, 3 - n);
      o = put_group (encoder, o, encoder->pending);
      if (encoder->column == 0)
        o--;  /* the line break comes below */
      memset (o - 3 + n, '=', 3 - n);
    }
  if (o > out && o[-1] != '\n')
    *o++ = '\n';
  else if (o == out && encoder->column > 0)
    *o++ = '\n';
  *o++ = '=';
  o[0] = alphabet[crc[0] >> 2];
  o[1] = alphabet[((crc[0] & 0x03) << 4) | (crc[1] >> 4)];
  o[2] = alphabet[((crc[1] & 0x0f) << 2) | (crc[2] >> 6)];
  o[3] = alphabet[crc[2] & 0x3f];
  o += 4;
  *o++ = '\n';
  memcpy (o, end, sizeof end - 1);
  o += sizeof end - 1;
  encoder->column = 0;
  encoder->n_pending = 0;
  return o - out;
}

static gboolean
write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

/* Copies @in_fd to @out_fd as it is, @data (@len bytes, read from it
 * already) first; like signet_armor_copy_fd() after a failed write. */
static gboolean
copy_verbatim (int in_fd, int out_fd, guchar *data, gsize len, int *write_errno)
{
  ssize_t n = (ssize_t) len;

  for (;;)
    {
      if (n > 0 && *write_errno == 0 && !write_all (out_fd, (const char *) data, n))
        *write_errno = errno != 0 ? errno : EIO;
      n = read (in_fd, data, READ_SIZE);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          *write_errno = errno;
          return FALSE;
        }
      if (n == 0)
        return *write_errno == 0;
    }
}

/* Reads a binary OpenPGP message from @in_fd until its end and writes it
 * armored to @out_fd. Once a write fails, what follows is read and thrown
 * away, so that whoever writes into @in_fd is never left blocked; FALSE
 * then, with the error's errno in @write_errno (also for a failed read).
 * Input that is no binary OpenPGP (its first byte is no packet tag, which
 * always has its high bit set) was armored by gpg already, as an "armor"
 * line in gpg.conf makes it do: it is copied as it is. */
gboolean
signet_armor_copy_fd (int  in_fd,
                      int  out_fd,
                      int *write_errno)
{
  g_autofree guchar *in = g_malloc (READ_SIZE);
  g_autofree char *out = g_malloc (SIGNET_ARMOR_STEP_MAX (READ_SIZE) + SIGNET_ARMOR_EDGE_MAX);
  SignetArmorEncoder encoder;
  gboolean writing = TRUE, first = TRUE;
  gsize n_out;

  *write_errno = 0;
  signet_armor_encoder_init (&encoder);
  n_out = signet_armor_encoder_begin (&encoder, out);
  for (;;)
    {
      ssize_t n = read (in_fd, in, READ_SIZE);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          *write_errno = errno;
          return FALSE;
        }
      if (n == 0)
        break;
      if (first && (in[0] & 0x80) == 0)
        return copy_verbatim (in_fd, out_fd, in, n, write_errno);
      first = FALSE;
      if (!writing)
        continue;
      n_out += signet_armor_encoder_step (&encoder, in, n, out + n_out);
      writing = write_all (out_fd, out, n_out);
      if (!writing)
        *write_errno = errno != 0 ? errno : EIO;
      n_out = 0;
    }
  if (!writing)
    return FALSE;
  n_out += signet_armor_encoder_end (&encoder, out + n_out);
  if (write_all (out_fd, out, n_out))
    return TRUE;
  *write_errno = errno != 0 ? errno : EIO;
  return FALSE;
}
