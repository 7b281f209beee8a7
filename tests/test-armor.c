/* The OpenPGP armor Signet writes around a sealed message: whatever the
 * binary and however it arrives, gpg reads back exactly the bytes that went
 * in, and a message gpg armored itself comes out byte for byte as gpg
 * wrote it. */

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "signet-armor.h"
#include "signet-demo.h"
#include "signet-test-util.h"

typedef struct {
  char *home;
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  /* The demo's keys: gpg needs one to encrypt to, nothing more. */
  f->home = signet_test_make_tmpdir ();
  g_assert_true (signet_demo_ensure_directory (f->home, NULL, &error));
  g_assert_no_error (error);
  f->dir = signet_test_make_tmpdir ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  signet_test_remove_gnupghome (f->home);
  signet_test_remove_tree (f->dir);
  g_free (f->dir);
}

static GBytes *
random_bytes (GRand *rand, gsize len)
{
  guchar *data = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    data[i] = (guchar) g_rand_int_range (rand, 0, 256);
  return g_bytes_new_take (data, len);
}

/* @data armored, fed to the encoder in pieces of random sizes. */
static GString *
armor_in_pieces (GRand *rand, GBytes *data)
{
  gsize len = 0;
  const guchar *p = g_bytes_get_data (data, &len);
  GString *out = g_string_sized_new (SIGNET_ARMOR_STEP_MAX (len) + 2 * SIGNET_ARMOR_EDGE_MAX);
  SignetArmorEncoder encoder;
  gsize done = 0;

  signet_armor_encoder_init (&encoder);
  out->len += signet_armor_encoder_begin (&encoder, out->str + out->len);
  while (done < len)
    {
      gsize max = g_rand_boolean (rand) ? 7 : 70000;
      gsize n = (gsize) g_rand_int_range (rand, 0, (gint32) max + 1);

      n = MIN (n, len - done);

      out->len += signet_armor_encoder_step (&encoder, p + done, n, out->str + out->len);
      done += n;
    }
  out->len += signet_armor_encoder_end (&encoder, out->str + out->len);
  out->str[out->len] = '\0';
  return out;
}

static void
assert_lines_short (const char *armor)
{
  gsize column = 0;

  /* A scan of its own: g_strsplit() is quadratic under AddressSanitizer. */
  for (const char *p = armor; *p != '\0'; p++)
    {
      column = *p == '\n' ? 0 : column + 1;
      g_assert_cmpuint (column, <=, 76);
    }
}

/* What `gpg --dearmor` makes of @armor. */
static GBytes *
dearmor (Fixture *f, const char *armor, gsize len)
{
  g_autofree char *in = g_build_filename (f->dir, "in.asc", NULL);
  g_autofree char *out = g_build_filename (f->dir, "out.bin", NULL);
  const char *args[] = { "--yes", "--output", out, "--dearmor", NULL };
  g_autofree char *ignored = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize contents_len = 0;

  g_assert_true (g_file_set_contents (in, armor, len, &error));
  ignored = signet_test_gpg_output (f->home, args, in, TRUE);
  g_assert_true (g_file_get_contents (out, &contents, &contents_len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, contents_len);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  static const gsize sizes[] = { 0, 1, 2, 3, 4, 5, 6, 46, 47, 48, 49, 50, 95, 96, 97, 98, 143, 144, 145,
                                 100 * 1024, 3 * 1024 * 1024 + 1, 5 * 1024 * 1024 + 2 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) input = random_bytes (rand, sizes[i]);
      g_autoptr(GString) armor = armor_in_pieces (rand, input);
      g_autoptr(GBytes) back = NULL;

      g_test_message ("%" G_GSIZE_FORMAT " bytes", sizes[i]);
      g_assert_true (g_str_has_prefix (armor->str, "-----BEGIN PGP MESSAGE-----\n\n"));
      g_assert_true (g_str_has_suffix (armor->str, "\n-----END PGP MESSAGE-----\n"));
      assert_lines_short (armor->str);
      back = dearmor (f, armor->str, armor->len);
      g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back),
                       g_bytes_get_data (input, NULL), g_bytes_get_size (input));
    }
}

/* A message gpg encrypted and armored: dearmored and armored again, it is
 * the same text, checksum included. */
static void
test_same_as_gpg (Fixture *f, gconstpointer data)
{
  g_autofree char *plain = g_build_filename (f->dir, "plain.txt", NULL);
  g_autofree char *armored = g_build_filename (f->dir, "gpg.asc", NULL);
  const char *args[] = { "--yes", "--armor", "--trust-model", "always", "-r", "alice@example.org",
                         "--output", armored, "--encrypt", NULL };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4880);
  g_autofree char *ignored = NULL;
  g_autofree char *gpg_armor = NULL;
  g_autoptr(GString) ours = NULL;
  g_autoptr(GBytes) binary = NULL;

  for (guint round = 0; round < 4; round++)
    {
      g_autoptr(GBytes) text = random_bytes (rand, 1000 + round * 70001);

      g_assert_true (g_file_set_contents (plain, g_bytes_get_data (text, NULL), g_bytes_get_size (text), NULL));
      g_free (signet_test_gpg_output (f->home, args, plain, TRUE));
      gpg_armor = signet_test_read_file (armored);
      binary = dearmor (f, gpg_armor, strlen (gpg_armor));
      ours = armor_in_pieces (rand, binary);
      g_assert_cmpstr (ours->str, ==, gpg_armor);
      g_clear_pointer (&gpg_armor, g_free);
      g_clear_pointer (&binary, g_bytes_unref);
      g_string_free (g_steal_pointer (&ours), TRUE);
    }
  (void) ignored;
}

static void
write_file (const char *path, GBytes *bytes)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
}

/* From one descriptor to another, as the sealer runs it. */
static void
test_copy_fd (Fixture *f, gconstpointer data)
{
  g_autofree char *in_path = g_build_filename (f->dir, "cipher.bin", NULL);
  g_autofree char *out_path = g_build_filename (f->dir, "cipher.asc", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (24);
  g_autoptr(GBytes) input = random_bytes (rand, 2 * 1024 * 1024 + 17);
  g_autoptr(GBytes) back = NULL;
  g_autofree char *armor = NULL;
  int in_fd, out_fd, saved_errno = -1;

  write_file (in_path, input);
  in_fd = g_open (in_path, O_RDONLY | O_CLOEXEC, 0);
  out_fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_true (signet_armor_copy_fd (in_fd, out_fd, &saved_errno));
  g_assert_cmpint (saved_errno, ==, 0);
  close (in_fd);
  close (out_fd);
  armor = signet_test_read_file (out_path);
  assert_lines_short (armor);
  back = dearmor (f, armor, strlen (armor));
  g_assert_true (g_bytes_equal (back, input));
}

/* What gpg armored itself ("armor" in gpg.conf) is not armored twice. */
static void
test_armored_already (Fixture *f, gconstpointer data)
{
  static const char armored[] = "-----BEGIN PGP MESSAGE-----\n\nhF4DOthBatwo9BgSAQdA\n=luwt\n-----END PGP MESSAGE-----\n";
  g_autofree char *in_path = g_build_filename (f->dir, "gpg.asc", NULL);
  g_autofree char *out_path = g_build_filename (f->dir, "copy.asc", NULL);
  g_autofree char *copy = NULL;
  int in_fd, out_fd, saved_errno = -1;

  g_assert_true (g_file_set_contents (in_path, armored, -1, NULL));
  in_fd = g_open (in_path, O_RDONLY | O_CLOEXEC, 0);
  out_fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_true (signet_armor_copy_fd (in_fd, out_fd, &saved_errno));
  g_assert_cmpint (saved_errno, ==, 0);
  close (in_fd);
  close (out_fd);
  copy = signet_test_read_file (out_path);
  g_assert_cmpstr (copy, ==, armored);
}

/* A full disk is reported, and the writer on the other end of the pipe is
 * not left blocked: everything is still read. */
static void
test_full_disk (Fixture *f, gconstpointer data)
{
  g_autofree char *in_path = g_build_filename (f->dir, "cipher.bin", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (28);
  g_autoptr(GBytes) input = random_bytes (rand, 1024 * 1024);
  int in_fd, out_fd, saved_errno = 0;

  out_fd = g_open ("/dev/full", O_WRONLY | O_CLOEXEC, 0);
  if (out_fd < 0)
    {
      g_test_skip ("no /dev/full");
      return;
    }
  write_file (in_path, input);
  in_fd = g_open (in_path, O_RDONLY | O_CLOEXEC, 0);
  g_assert_false (signet_armor_copy_fd (in_fd, out_fd, &saved_errno));
  g_assert_cmpint (saved_errno, ==, ENOSPC);
  g_assert_cmpint (lseek (in_fd, 0, SEEK_CUR), ==, (off_t) g_bytes_get_size (input));
  close (in_fd);
  close (out_fd);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/armor/round-trip", Fixture, NULL, fixture_setup, test_round_trip, fixture_teardown);
  g_test_add ("/armor/same-as-gpg", Fixture, NULL, fixture_setup, test_same_as_gpg, fixture_teardown);
  g_test_add ("/armor/copy-fd", Fixture, NULL, fixture_setup, test_copy_fd, fixture_teardown);
  g_test_add ("/armor/armored-already", Fixture, NULL, fixture_setup, test_armored_already, fixture_teardown);
  g_test_add ("/armor/full-disk", Fixture, NULL, fixture_setup, test_full_disk, fixture_teardown);
  return g_test_run ();
}
