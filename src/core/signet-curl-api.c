#define G_LOG_DOMAIN "signet-curl"

#include "config.h"

#include "signet-curl-api.h"

#include <dlfcn.h>

#include "signet-i18n.h"

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

static gboolean
open_curl (SignetCurlApi *api)
{
  void *handle = dlopen (SIGNET_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  gboolean ok = handle != NULL;

#define LOOK_UP(field, symbol) \
  if (ok && (*(void **) &api->field = dlsym (handle, symbol)) == NULL) \
    ok = FALSE
  LOOK_UP (global_init, "curl_global_init");
  LOOK_UP (easy_init, "curl_easy_init");
  LOOK_UP (easy_setopt, "curl_easy_setopt");
  LOOK_UP (easy_getinfo, "curl_easy_getinfo");
  LOOK_UP (easy_cleanup, "curl_easy_cleanup");
  LOOK_UP (easy_strerror, "curl_easy_strerror");
  LOOK_UP (slist_append, "curl_slist_append");
  LOOK_UP (slist_free_all, "curl_slist_free_all");
  LOOK_UP (multi_init, "curl_multi_init");
  LOOK_UP (multi_add_handle, "curl_multi_add_handle");
  LOOK_UP (multi_remove_handle, "curl_multi_remove_handle");
  LOOK_UP (multi_perform, "curl_multi_perform");
  LOOK_UP (multi_poll, "curl_multi_poll");
  LOOK_UP (multi_wakeup, "curl_multi_wakeup");
  LOOK_UP (multi_info_read, "curl_multi_info_read");
  LOOK_UP (multi_cleanup, "curl_multi_cleanup");
#undef LOOK_UP
  if (ok && api->global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    ok = FALSE;
  if (!ok)
    {
      const char *reason = dlerror ();

      /* Translators: %s is the library's file name, then why it failed */
      failure = g_strdup_printf (_("The mail library %s could not be loaded: %s"), SIGNET_LIBCURL_SONAME,
                                 reason != NULL ? reason : _("it did not start"));
      g_warning ("%s", failure);
    }
  /* Kept open for the life of the process, as if linked. */
  return ok;
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
