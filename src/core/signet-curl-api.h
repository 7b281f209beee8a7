#pragma once

/* libcurl, opened when mail is first delivered, a Sent folder written or a
 * server checked, not when Signet starts: with the TLS, Kerberos and SSH
 * libraries it brings, it is a quarter of what a composer would otherwise
 * map and relocate before its first frame. Code that talks to servers
 * includes this instead of <curl/curl.h> and calls libcurl as usual; the
 * calls go through the table below, filled the first time it is used (in
 * whichever thread that is). If libcurl cannot be opened, each call fails
 * as libcurl's own would (no handle, an error code) and says why. */

#include <glib.h>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

G_BEGIN_DECLS

typedef struct {
  CURLcode            (*global_init)         (long flags);
  CURL               *(*easy_init)           (void);
  CURLcode            (*easy_setopt)         (CURL *curl, CURLoption option, ...);
  CURLcode            (*easy_getinfo)        (CURL *curl, CURLINFO info, ...);
  void                (*easy_cleanup)        (CURL *curl);
  const char         *(*easy_strerror)       (CURLcode code);
  struct curl_slist  *(*slist_append)        (struct curl_slist *list, const char *string);
  void                (*slist_free_all)      (struct curl_slist *list);
  CURLM              *(*multi_init)          (void);
  CURLMcode           (*multi_add_handle)    (CURLM *multi, CURL *curl);
  CURLMcode           (*multi_remove_handle) (CURLM *multi, CURL *curl);
  CURLMcode           (*multi_perform)       (CURLM *multi, int *running);
  CURLMcode           (*multi_poll)          (CURLM *multi, struct curl_waitfd extra_fds[],
                                              unsigned int extra_nfds, int timeout_ms, int *ret);
  CURLMcode           (*multi_wakeup)        (CURLM *multi);
  CURLMsg            *(*multi_info_read)     (CURLM *multi, int *msgs_in_queue);
  CURLMcode           (*multi_cleanup)       (CURLM *multi);
} SignetCurlApi;

const SignetCurlApi *signet_curl_api (void);

/* <curl/curl.h> defines these two as themselves, to count their arguments. */
#undef curl_easy_setopt
#undef curl_easy_getinfo

#define curl_global_init         (signet_curl_api ()->global_init)
#define curl_easy_init           (signet_curl_api ()->easy_init)
#define curl_easy_setopt         (signet_curl_api ()->easy_setopt)
#define curl_easy_getinfo        (signet_curl_api ()->easy_getinfo)
#define curl_easy_cleanup        (signet_curl_api ()->easy_cleanup)
#define curl_easy_strerror       (signet_curl_api ()->easy_strerror)
#define curl_slist_append        (signet_curl_api ()->slist_append)
#define curl_slist_free_all      (signet_curl_api ()->slist_free_all)
#define curl_multi_init          (signet_curl_api ()->multi_init)
#define curl_multi_add_handle    (signet_curl_api ()->multi_add_handle)
#define curl_multi_remove_handle (signet_curl_api ()->multi_remove_handle)
#define curl_multi_perform       (signet_curl_api ()->multi_perform)
#define curl_multi_poll          (signet_curl_api ()->multi_poll)
#define curl_multi_wakeup        (signet_curl_api ()->multi_wakeup)
#define curl_multi_info_read     (signet_curl_api ()->multi_info_read)
#define curl_multi_cleanup       (signet_curl_api ()->multi_cleanup)

G_END_DECLS
