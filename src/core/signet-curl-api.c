#define G_LOG_DOMAIN "signet-curl"

#include "config.h"

#include "signet-curl-api.h"

#include "signet-i18n.h"
#include "signet-library.h"

/* What calls get when libcurl could not be opened: what libcurl itself
 * answers when it cannot start (no handle, CURLE_FAILED_INIT), and why in
 * the error text. */
static char *failure;

static CURLcode stub_global_init (long flags) { return CURLE_FAILED_INIT; }
static CURL *stub_easy_init (void) { return NULL; }
static CURLcode stub_easy_setopt (CURL *curl, CURLoption option, ...) { return CURLE_FAILED_INIT; }
static CURLcode stub_easy_getinfo (CURL *curl, CURLINFO info, ...) { return CURLE_FAILED_INIT; }
static void stub_easy_cleanup (CURL *curl) { }
static const char *stub_easy_strerror (CURLcode code) { return failure; }
static struct curl_slist *stub_slist_append (struct curl_slist *list, const char *string) { return NULL; }
static void stub_slist_free_all (struct curl_slist *list) { }
static CURLM *stub_multi_init (void) { return NULL; }
static CURLMcode stub_multi_handle (CURLM *multi, CURL *curl) { return CURLM_BAD_HANDLE; }
static CURLMcode stub_multi_perform (CURLM *multi, int *running) { return CURLM_BAD_HANDLE; }
static CURLMcode stub_multi_poll (CURLM *multi, struct curl_waitfd extra_fds[], unsigned int extra_nfds,
                                  int timeout_ms, int *ret) { return CURLM_BAD_HANDLE; }
static CURLMcode stub_multi_wakeup (CURLM *multi) { return CURLM_BAD_HANDLE; }
static CURLMsg *stub_multi_info_read (CURLM *multi, int *msgs_in_queue) { return NULL; }
static CURLMcode stub_multi_cleanup (CURLM *multi) { return CURLM_BAD_HANDLE; }

static const SignetCurlApi stubs = {
  stub_global_init, stub_easy_init, stub_easy_setopt, stub_easy_getinfo, stub_easy_cleanup,
  stub_easy_strerror, stub_slist_append, stub_slist_free_all, stub_multi_init, stub_multi_handle,
  stub_multi_handle, stub_multi_perform, stub_multi_poll, stub_multi_wakeup, stub_multi_info_read,
  stub_multi_cleanup,
};

#define SYMBOL(field, symbol) SIGNET_LIBRARY_SYMBOL (SignetCurlApi, field, symbol)
static const SignetLibrarySymbol symbols[] = {
  SYMBOL (global_init, "curl_global_init"),
  SYMBOL (easy_init, "curl_easy_init"),
  SYMBOL (easy_setopt, "curl_easy_setopt"),
  SYMBOL (easy_getinfo, "curl_easy_getinfo"),
  SYMBOL (easy_cleanup, "curl_easy_cleanup"),
  SYMBOL (easy_strerror, "curl_easy_strerror"),
  SYMBOL (slist_append, "curl_slist_append"),
  SYMBOL (slist_free_all, "curl_slist_free_all"),
  SYMBOL (multi_init, "curl_multi_init"),
  SYMBOL (multi_add_handle, "curl_multi_add_handle"),
  SYMBOL (multi_remove_handle, "curl_multi_remove_handle"),
  SYMBOL (multi_perform, "curl_multi_perform"),
  SYMBOL (multi_poll, "curl_multi_poll"),
  SYMBOL (multi_wakeup, "curl_multi_wakeup"),
  SYMBOL (multi_info_read, "curl_multi_info_read"),
  SYMBOL (multi_cleanup, "curl_multi_cleanup"),
};
#undef SYMBOL

static gboolean
open_curl (SignetCurlApi *api)
{
  g_autofree char *reason = signet_library_open (SIGNET_LIBCURL_SONAME, symbols, G_N_ELEMENTS (symbols), api);

  if (reason == NULL && api->global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    reason = g_strdup (_("it did not start"));
  if (reason == NULL)
    return TRUE;
  /* Translators: %s is the library's file name, then why it failed */
  failure = g_strdup_printf (_("The mail library %s could not be loaded: %s"), SIGNET_LIBCURL_SONAME, reason);
  g_warning ("%s", failure);
  return FALSE;
}

const SignetCurlApi *
signet_curl_api (void)
{
  static SignetCurlApi api;
  static const SignetCurlApi *chosen;

  if (g_once_init_enter (&chosen))
    g_once_init_leave (&chosen, open_curl (&api) ? &api : &stubs);
  return chosen;
}
