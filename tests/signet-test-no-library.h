#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs @child in a subprocess whose library path finds a file that is not
 * a library under @soname, and asserts that it passed. In the subprocess
 * itself, runs @child. For the libraries Signet opens only when first
 * needed: what happens when one cannot be loaded. */
void signet_test_without_library (const char *soname,
                                  GTestFunc   child);

G_END_DECLS
