#pragma once

/* Libraries Signet opens when they are first needed rather than when it
 * starts (libsecret, libcurl, libldap), by the name the linker would have
 * recorded, and keeps open for the life of the process, as if linked. */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;    /* the symbol */
  gsize       offset;  /* where its address goes in the table */
} SignetLibrarySymbol;

#define SIGNET_LIBRARY_SYMBOL(Table, field, symbol) { symbol, G_STRUCT_OFFSET (Table, field) }

char *signet_library_open (const char                *soname,
                           const SignetLibrarySymbol *symbols,
                           gsize                      n_symbols,
                           gpointer                   table);

G_END_DECLS
