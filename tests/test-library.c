/* Libraries opened when first needed (signet-library.c): each symbol's
 * address lands where its table wants it, and a missing library or symbol
 * is said, never taken for success. */

#include <string.h>

#include "signet-library.h"

typedef struct {
  gsize (*length) (const char *s);
  int   (*compare) (const char *a, const char *b);
} Table;

static const SignetLibrarySymbol symbols[] = {
  SIGNET_LIBRARY_SYMBOL (Table, length, "strlen"),
  SIGNET_LIBRARY_SYMBOL (Table, compare, "strcmp"),
};

static void
test_found (void)
{
  Table table = { NULL, NULL };
  g_autofree char *reason = signet_library_open ("libc.so.6", symbols, G_N_ELEMENTS (symbols), &table);

  g_assert_null (reason);
  g_assert_nonnull (table.length);
  g_assert_nonnull (table.compare);
  g_assert_cmpuint (table.length ("sealed"), ==, 6);
  g_assert_cmpint (table.compare ("a", "b"), <, 0);
}

static void
test_missing_symbol (void)
{
  static const SignetLibrarySymbol missing[] = {
    SIGNET_LIBRARY_SYMBOL (Table, length, "strlen"),
    SIGNET_LIBRARY_SYMBOL (Table, compare, "signet_no_such_symbol"),
  };
  Table table = { NULL, NULL };
  g_autofree char *reason = signet_library_open ("libc.so.6", missing, G_N_ELEMENTS (missing), &table);

  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "signet_no_such_symbol"));
  g_assert_null (table.compare);
}

static void
test_missing_library (void)
{
  Table table = { NULL, NULL };
  g_autofree char *reason = signet_library_open ("libsignet-no-such-library.so.0", symbols,
                                                 G_N_ELEMENTS (symbols), &table);

  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "libsignet-no-such-library.so.0"));
  g_assert_null (table.length);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/library/found", test_found);
  g_test_add_func ("/library/missing-symbol", test_missing_symbol);
  g_test_add_func ("/library/missing-library", test_missing_library);
  return g_test_run ();
}
