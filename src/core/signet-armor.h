#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* OpenPGP ASCII armor (RFC 4880, section 6) of a message, written as the
 * binary arrives: Base64 in lines of 64 characters and the CRC-24 of the
 * binary, between the BEGIN and END lines of a PGP MESSAGE. */

typedef struct {
  guint32 crc;
  guchar  pending[3];   /* bytes that do not yet make a group of three */
  guint   n_pending;
  guint   column;       /* characters on the current line */
} SignetArmorEncoder;

/* Room signet_armor_encoder_step() needs at most for @len bytes. */
#define SIGNET_ARMOR_STEP_MAX(len) (((len) + 2) / 3 * 4 + ((len) + 2) / 3 * 4 / 64 + 8)
/* Room the header and the end need, each. */
#define SIGNET_ARMOR_EDGE_MAX 64

void   signet_armor_encoder_init  (SignetArmorEncoder *encoder);
gsize  signet_armor_encoder_begin (SignetArmorEncoder *encoder,
                                   char               *out);
gsize  signet_armor_encoder_step  (SignetArmorEncoder *encoder,
                                   const guchar       *data,
                                   gsize               len,
                                   char               *out);
gsize  signet_armor_encoder_end   (SignetArmorEncoder *encoder,
                                   char               *out);

gboolean signet_armor_copy_fd     (int                 in_fd,
                                   int                 out_fd,
                                   int                *write_errno);

G_END_DECLS
