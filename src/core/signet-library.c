#include "config.h"

#include "signet-library.h"

#include <dlfcn.h>

/* Opens @soname and stores the address of each of @symbols in @table, at
 * its offset. Returns %NULL when the library and all the symbols are
 * there, else why not (to be freed). Any thread. */
char *
signet_library_open (const char                *soname,
                     const SignetLibrarySymbol *symbols,
                     gsize                      n_symbols,
                     gpointer                   table)
{
  void *handle = dlopen (soname, RTLD_NOW | RTLD_LOCAL);

  if (handle == NULL)
    {
      const char *reason = dlerror ();

      return g_strdup (reason != NULL ? reason : soname);
    }
  for (gsize i = 0; i < n_symbols; i++)
    {
      void *address = dlsym (handle, symbols[i].name);

      if (address == NULL)
        {
          const char *reason = dlerror ();

          return g_strdup (reason != NULL ? reason : symbols[i].name);
        }
      G_STRUCT_MEMBER (void *, table, symbols[i].offset) = address;
    }
  return NULL;
}
