/*
 * be_live_int.h - what the live backend shares with its tests.  Never
 * installed; the names are hidden in the shared library.
 */
#ifndef X7_BE_LIVE_INT_H
#define X7_BE_LIVE_INT_H

#include <x7/x7_backend.h>

/* The vtable (backends_builtin.c lists it when X7_HAVE_LIVE is set). */
extern const struct x7_backend_ops x7__backend_live;

/* What libcurl said about the calling thread's last fetch, for
 * diagnostics: the docs only carry the mapped NetErrDocV1 code. */
struct x7__live_diag {
  int curlcode;        /* raw CURLcode; -1 if no transfer ran (invalid
                          request, output file not openable, OOM) */
  long num_connects;   /* CURLINFO_NUM_CONNECTS: 0 when a connection was
                          reused */
  long http_version;   /* CURLINFO_HTTP_VERSION (CURL_HTTP_VERSION_*) */
  long redirect_count; /* CURLINFO_REDIRECT_COUNT */
  char errbuf[256];    /* CURLOPT_ERRORBUFFER text (CURL_ERROR_SIZE) */
};

/* Copy the calling thread's diagnostics to *pd (all zero / -1 before the
 * first fetch on this thread). */
void x7__live_last_diag(struct x7__live_diag *pd);

/* Close the calling thread's cached easy handle and its connections now
 * rather than at thread exit; the next fetch starts afresh.  Safe to call
 * when the thread has none. */
void x7__live_thread_release(void);

#endif /* X7_BE_LIVE_INT_H */
