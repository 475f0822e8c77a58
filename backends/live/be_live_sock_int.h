/*
 * be_live_sock_int.h - what the live backend's socket files share:
 * be_live_sock.c (POSIX sockets: DNS, TCP, UDP, the handle table) and
 * be_live_tls.c (OpenSSL client streams on top of a TCP connect).
 *
 * Every descriptor is created non-blocking and close-on-exec; every wait
 * is one poll() on one descriptor; nothing sends without MSG_NOSIGNAL.
 */
#ifndef X7_BE_LIVE_SOCK_INT_H
#define X7_BE_LIVE_SOCK_INT_H

#include <stdint.h>

#include <x7/x7_backend.h>

#include "handles_int.h"

/* The one socket table of the live backend (handles 1..4096, every kind).
 * A slot's fd is the socket; its ctx is NULL for TCP/UDP and the TLS
 * state (be_live_tls.c) for TLS streams. */
extern struct x7__handles x7__live_socks;

/* poll() one descriptor for `events` up to timeout_ms, restarting after
 * signals with the time that is left.  1 ready (*prevents set), 0 timed
 * out, -1 poll failed. */
int x7__live_poll(int fd, short events, uint32_t timeout_ms, short *prevents);

/* A connected, non-blocking TCP socket to addr (tag 1, 2 or 3), made the
 * way spec §5.4 says: names resolved and tried in order, each attempt
 * bounded by connect_timeout_ms.  Returns 0 with *pfd, or the NetErrDocV1
 * code (3, 5, 6, 8). */
int32_t x7__live_tcp_open(struct x7_view addr, const struct x7_sock_caps *caps,
                          int *pfd);

/* Put a new socket in the table and answer its TcpConnectDocV1.  On a
 * full table the socket (fd and ctx) is destroyed and the doc is
 * INTERNAL(8), as upstream; on X7_ENOMEM it is destroyed too. */
x7_result x7__live_add_stream(unsigned kind, int fd, void *ctx,
                              struct x7_bytes *pdoc);

/* A StreamReadDocV1 filled in place, so a read lands in the caller's doc
 * without another copy: begin allocates the doc with room for max bytes
 * at ptr + 8 (X7_OK / X7_ENOMEM); end writes the header for n <= max
 * bytes and gives back the unused room. */
x7_result x7__live_read_doc_begin(size_t max, struct x7_bytes *doc);
void x7__live_read_doc_end(struct x7_bytes *doc, size_t n);

/* ---- be_live_tls.c ---- */

/* The stream ops on a pinned TLS slot (ref->ctx is the TLS state). */
x7_result x7__live_tls_read(const struct x7__handle_ref *ref,
                            uint32_t max_bytes,
                            const struct x7_sock_caps *caps,
                            struct x7_bytes *pdoc);
x7_result x7__live_tls_write(const struct x7__handle_ref *ref,
                             struct x7_view data,
                             const struct x7_sock_caps *caps,
                             struct x7_bytes *pdoc);
/* 1 when decrypted bytes are buffered (a read will not block). */
int x7__live_tls_pending(const struct x7__handle_ref *ref);
/* Send one close_notify if possible and free the TLS state (the table's
 * destroy callback closes the fd afterwards). */
void x7__live_tls_free(void *ctx);

#endif /* X7_BE_LIVE_SOCK_INT_H */
