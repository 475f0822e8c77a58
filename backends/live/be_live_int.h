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

/* Tests only: make the calling thread's sandboxed fetches also set
 * CURLOPT_CONNECT_TO to spec ("" or NULL: off).  It stands for any knob
 * that would move a connection behind the policy's back, to prove the
 * OPENSOCKET backstop refuses the address (threat model §6 #15). */
void x7__live_set_connect_to_for_tests(const char *spec);

/* ---- socket ops (be_live_sock.c, be_live_tls.c), listed in
 * x7__backend_live; behaviour in be_live_sock_int.h and x7_backend.h ---- */
x7_backend_dns_lookup_fn x7__live_dns_lookup;
x7_backend_tcp_connect_fn x7__live_tcp_connect;
x7_backend_tls_connect_fn x7__live_tls_connect;
x7_backend_sock_bind_fn x7__live_tcp_listen;
x7_backend_tcp_accept_fn x7__live_tcp_accept;
x7_backend_sock_read_fn x7__live_stream_read;
x7_backend_stream_write_fn x7__live_stream_write;
x7_backend_stream_wait_fn x7__live_stream_wait;
x7_backend_stream_shutdown_fn x7__live_stream_shutdown;
x7_backend_sock_release_fn x7__live_sock_close;
x7_backend_sock_release_fn x7__live_sock_drop;
x7_backend_sock_kind_fn x7__live_sock_kind;
x7_backend_sock_bind_fn x7__live_udp_bind;
x7_backend_udp_sendto_fn x7__live_udp_sendto;
x7_backend_sock_read_fn x7__live_udp_recvfrom;

#endif /* X7_BE_LIVE_INT_H */
