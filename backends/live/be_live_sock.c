/*
 * be_live_sock.c - the live backend's socket ops: DNS, TCP and UDP over
 * POSIX sockets, behaving as the upstream sockets_shim.c (spec §5.1,
 * §5.3-§5.6, §5.8), plus the handle table they share with TLS streams.
 *
 * Differences from the shim, none visible in the docs:
 *  - every socket is made with SOCK_NONBLOCK | SOCK_CLOEXEC (accept4 for
 *    accepted ones) so no descriptor leaks into a child process, and
 *    every send uses MSG_NOSIGNAL: a closed peer is CONNECT(6), never a
 *    SIGPIPE that kills the process;
 *  - a stream read or write tries the syscall first and polls only when
 *    it would block.  The shim polled first; for a ready socket both give
 *    the same result, and the fast path saves a syscall per call.  Empty
 *    reads and writes still wait, as the shim's did;
 *  - the table is thread-safe (handles_int.h): a close or drop from
 *    another thread wakes a blocked operation with shutdown(2) and the
 *    descriptor is closed when that operation lets go of it.
 */
#define _GNU_SOURCE /* accept4, SOCK_CLOEXEC, SOCK_NONBLOCK, MSG_NOSIGNAL */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <x7/net_codec.h>
#include <x7/net_err.h>
#include <x7/net_tcp.h>

#include "be_live_int.h"
#include "be_live_sock_int.h"
#include "net_sockaddr_int.h"
#include "policy_int.h"
#include "sock_int.h"

#define LISTEN_BACKLOG 128
/* No UDP datagram is longer, so a bigger receive buffer would be waste. */
#define UDP_MAX_DATAGRAM 65536
#define PORT_TEXT 8

/* ---- the handle table ---- */

static void sock_destroy(int fd, void *ctx) {
  if (ctx) x7__live_tls_free(ctx);
  if (fd >= 0) close(fd);
}

/* shutdown(2) makes a poll() on fd in another thread return at once and
 * leaves the descriptor number allocated, so it cannot be reused under
 * the blocked operation. */
static void sock_wake(int fd, void *ctx) {
  (void)ctx;
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
}

static const struct x7__handles_ops sock_res_ops = {sock_destroy, sock_wake};
struct x7__handles x7__live_socks = X7__HANDLES_INIT(&sock_res_ops);

/* ---- small helpers ---- */

static int new_socket(int family, int type) {
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#ifdef SO_NOSIGPIPE
  if (fd >= 0) {
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
  }
#endif
  return fd;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int x7__live_poll(int fd, short events, uint32_t timeout_ms,
                  short *prevents) {
  int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    struct pollfd p = {fd, events, 0};
    int64_t left = deadline - now_ms();
    int rc;
    if (left < 0) left = 0;
    rc = poll(&p, 1, (int)(left > INT32_MAX ? INT32_MAX : left));
    if (rc > 0) {
      *prevents = p.revents;
      return 1;
    }
    if (rc == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

/* Map a poll outcome to a NetErrDocV1 code: timeout 3, failure 8. */
static int32_t wait_code(int rc) {
  return rc == 0 ? X7_NET_ERR_TIMEOUT : rc < 0 ? X7_NET_ERR_INTERNAL : 0;
}

static int32_t wait_fd(int fd, short events, uint32_t timeout_ms) {
  short rev;
  return wait_code(x7__live_poll(fd, events, timeout_ms, &rev));
}

static int would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

/* A doc op's answer when it has only an error code. */
static x7_result err_doc(int32_t code, struct x7_bytes *pdoc) {
  return x7__net_err_doc(code, pdoc);
}

x7_result x7__live_read_doc_begin(size_t max, struct x7_bytes *doc) {
  x7__bytes_reset(doc);
  doc->ptr = x7__malloc(X7__SOCK_OK_HDR_LEN + 4 + max);
  if (!doc->ptr) return X7_ENOMEM;
  doc->len = X7__SOCK_OK_HDR_LEN + 4 + max;
  return X7_OK;
}

/* StreamReadDocV1 written in place rather than through
 * x7__sock_stream_read_doc: the packer would copy every payload byte once
 * more, which shows up when streaming megabytes. */
void x7__live_read_doc_end(struct x7_bytes *doc, size_t n) {
  size_t len = X7__SOCK_OK_HDR_LEN + 4 + n;
  uint8_t *p;
  doc->ptr[0] = 1;
  doc->ptr[1] = 1;
  doc->ptr[2] = 0;
  doc->ptr[3] = 0;
  x7__wr32(doc->ptr + X7__SOCK_OK_HDR_LEN, (uint32_t)n);
  /* Give back a large unused tail; a failed shrink keeps the block. */
  if (doc->len - len > 4096) {
    p = x7__realloc(doc->ptr, len);
    if (p) doc->ptr = p;
  }
  doc->len = len;
}

static x7_result add_with_addr(unsigned kind, int fd,
                               const struct sockaddr *sa, socklen_t salen,
                               struct x7_bytes *pdoc) {
  uint8_t na[X7__NETADDR_IP_MAX];
  size_t n = x7__sockaddr_to_netaddr(sa, salen, -1, na);
  uint32_t h;
  x7_result r;
  if (!n) {
    close(fd);
    return err_doc(X7_NET_ERR_INTERNAL, pdoc);
  }
  if (x7__handles_add(&x7__live_socks, kind, fd, NULL, &h)) {
    close(fd);
    return err_doc(X7_NET_ERR_INTERNAL, pdoc);
  }
  if (kind == X7_SOCK_LISTENER)
    r = x7__sock_tcp_listen_doc(h, x7_view_of(na, n), pdoc);
  else if (kind == X7_SOCK_UDP)
    r = x7__sock_udp_bind_doc(h, x7_view_of(na, n), pdoc);
  else
    r = x7__sock_tcp_accept_doc(h, x7_view_of(na, n), pdoc);
  if (r) (void)x7__handles_drop(&x7__live_socks, h, kind);
  return r;
}

x7_result x7__live_add_stream(unsigned kind, int fd, void *ctx,
                              struct x7_bytes *pdoc) {
  uint32_t h;
  x7_result r;
  if (x7__handles_add(&x7__live_socks, kind, fd, ctx, &h)) {
    sock_destroy(fd, ctx);
    return err_doc(X7_NET_ERR_INTERNAL, pdoc);
  }
  r = x7__sock_tcp_connect_doc(h, pdoc);
  if (r) (void)x7__handles_drop(&x7__live_socks, h, kind);
  return r;
}

/* getaddrinfo for a tag-3 NetAddrV1 or a bare name, through the policy
 * (policy.c): in the sandbox every answer is checked and the list holds
 * exactly the vetted addresses, so the loops below never reach another
 * one.  0 with *pres (free with x7__policy_freeaddrinfo), or the
 * NetErrDocV1 code: 1 denied, 5 no such name, 8 out of memory. */
static int32_t resolve(enum x7_policy_op op, const char *name, uint32_t port,
                       int socktype, struct addrinfo **pres) {
  return x7__policy_getaddrinfo(op, name, port, socktype, pres);
}

static int ip_family(int f) { return f == AF_INET || f == AF_INET6; }

/* ---- DNS (§5.3) ---- */

x7_result x7__live_dns_lookup(struct x7_view name, uint32_t port,
                              const struct x7_sock_caps *caps,
                              struct x7_bytes *pdoc) {
  char host[X7_NET_ADDR_DNS_MAX + 1];
  uint8_t addrs[X7__SOCK_DNS_MAX_ADDRS][X7__NETADDR_IP_MAX];
  struct x7_view views[X7__SOCK_DNS_MAX_ADDRS];
  struct addrinfo *res = NULL;
  size_t n = 0;
  int32_t code;
  x7_result r;
  (void)caps; /* the resolver has no timeout (spec §5.3, §9.20) */
  x7__bytes_reset(pdoc);
  if (name.len == 0 || name.len >= sizeof host)
    return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  memcpy(host, name.ptr, name.len);
  host[name.len] = '\0';
  code = resolve(X7_POLICY_DNS_LOOKUP, host, port, SOCK_STREAM, &res);
  if (code) return err_doc(code, pdoc);
  for (struct addrinfo *ai = res; ai && n < X7__SOCK_DNS_MAX_ADDRS;
       ai = ai->ai_next) {
    size_t len;
    if (!ip_family(ai->ai_family)) continue;
    len = x7__sockaddr_to_netaddr(ai->ai_addr, ai->ai_addrlen, (int32_t)port,
                                  addrs[n]);
    if (!len) continue;
    views[n] = x7_view_of(addrs[n], len);
    n++;
  }
  x7__policy_freeaddrinfo(res);
  r = x7__sock_dns_doc(views, n, pdoc);
  return r;
}

/* ---- TCP connect (§5.4) ---- */

/* One non-blocking connect bounded by timeout_ms: 0 with *pfd, or 3, 6,
 * 8. */
static int32_t connect_one(const struct sockaddr *sa, socklen_t salen,
                           uint32_t timeout_ms, int *pfd) {
  int fd = new_socket(sa->sa_family, SOCK_STREAM), err = 0, rc;
  socklen_t elen = sizeof err;
  short rev;
  if (fd < 0) return X7_NET_ERR_CONNECT;
  if (connect(fd, sa, salen) == 0) {
    *pfd = fd;
    return 0;
  }
  /* EINTR on a non-blocking connect: it goes on in the background. */
  if (errno != EINPROGRESS && errno != EINTR) {
    close(fd);
    return X7_NET_ERR_CONNECT;
  }
  rc = x7__live_poll(fd, POLLOUT, timeout_ms, &rev);
  if (rc <= 0) {
    close(fd);
    return wait_code(rc);
  }
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
    close(fd);
    return X7_NET_ERR_CONNECT;
  }
  *pfd = fd;
  return 0;
}

int32_t x7__live_tcp_open(struct x7_view addr, const struct x7_sock_caps *caps,
                          int *pfd) {
  char host[X7_NET_ADDR_DNS_MAX + 1];
  struct sockaddr_storage ss;
  struct addrinfo *res = NULL;
  socklen_t salen = x7__sockaddr_from_netaddr(addr, &ss);
  uint32_t port;
  int any_timeout = 0, any_internal = 0;
  *pfd = -1;
  if (salen)
    return connect_one((struct sockaddr *)&ss, salen,
                       caps->connect_timeout_ms, pfd);
  if (x7__netaddr_dns_name(addr, host, sizeof host, &port))
    return X7_NET_ERR_INVALID_REQ;
  {
    int32_t code = resolve(X7_POLICY_TCP_CONNECT, host, port, SOCK_STREAM,
                           &res);
    if (code) return code;
  }
  /* Each address gets the whole connect timeout; the first to connect
   * wins (no happy-eyeballs racing, as upstream). */
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    int32_t code;
    if (!ip_family(ai->ai_family)) continue;
    code = connect_one(ai->ai_addr, ai->ai_addrlen, caps->connect_timeout_ms,
                       pfd);
    if (!code) break;
    if (code == X7_NET_ERR_TIMEOUT) any_timeout = 1;
    if (code == X7_NET_ERR_INTERNAL) any_internal = 1;
  }
  x7__policy_freeaddrinfo(res);
  if (*pfd >= 0) return 0;
  return any_timeout    ? X7_NET_ERR_TIMEOUT
         : any_internal ? X7_NET_ERR_INTERNAL
                        : X7_NET_ERR_CONNECT;
}

x7_result x7__live_tcp_connect(struct x7_view addr,
                               const struct x7_sock_caps *caps,
                               struct x7_bytes *pdoc) {
  int fd;
  int32_t code = x7__live_tcp_open(addr, caps, &fd);
  x7__bytes_reset(pdoc);
  if (code) return err_doc(code, pdoc);
  return x7__live_add_stream(X7_SOCK_TCP, fd, NULL, pdoc);
}

/* ---- listen / bind / accept (§5.5, §5.8) ---- */

/* A bound socket of `type` on an IP NetAddrV1 and its table entry. */
static x7_result bind_common(struct x7_view addr, int type, unsigned kind,
                             struct x7_bytes *pdoc) {
  struct sockaddr_storage ss, bound;
  socklen_t salen = x7__sockaddr_from_netaddr(addr, &ss);
  socklen_t blen = sizeof bound;
  int fd, one = 1;
  x7__bytes_reset(pdoc);
  if (!salen) return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  fd = new_socket(ss.ss_family, type);
  if (fd < 0) return err_doc(X7_NET_ERR_CONNECT, pdoc);
  if (type == SOCK_STREAM)
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, salen) != 0 ||
      (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) != 0)) {
    close(fd);
    return err_doc(X7_NET_ERR_CONNECT, pdoc);
  }
  /* The bound address, with the real port when 0 was asked for. */
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
    close(fd);
    return err_doc(X7_NET_ERR_INTERNAL, pdoc);
  }
  return add_with_addr(kind, fd, (struct sockaddr *)&bound, blen, pdoc);
}

x7_result x7__live_tcp_listen(struct x7_view addr,
                              const struct x7_sock_caps *caps,
                              struct x7_bytes *pdoc) {
  (void)caps;
  return bind_common(addr, SOCK_STREAM, X7_SOCK_LISTENER, pdoc);
}

x7_result x7__live_udp_bind(struct x7_view addr,
                            const struct x7_sock_caps *caps,
                            struct x7_bytes *pdoc) {
  (void)caps;
  return bind_common(addr, SOCK_DGRAM, X7_SOCK_UDP, pdoc);
}

static int accept_nb(int lfd, struct sockaddr_storage *ss, socklen_t *plen) {
  int fd;
  do {
    *plen = sizeof *ss;
    fd = accept4(lfd, (struct sockaddr *)ss, plen,
                 SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

x7_result x7__live_tcp_accept(uint32_t listener,
                              const struct x7_sock_caps *caps,
                              struct x7_bytes *pdoc) {
  struct x7__handle_ref ref;
  struct sockaddr_storage ss;
  socklen_t len;
  int fd;
  int32_t code = 0;
  x7__bytes_reset(pdoc);
  if (x7__handles_acquire(&x7__live_socks, listener, X7_SOCK_LISTENER, &ref))
    return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  fd = accept_nb(ref.fd, &ss, &len);
  if (fd < 0 && would_block(errno)) {
    code = wait_fd(ref.fd, POLLIN, caps->io_timeout_ms);
    if (!code) fd = accept_nb(ref.fd, &ss, &len);
  }
  x7__handles_release(&x7__live_socks, &ref);
  if (code) return err_doc(code, pdoc);
  if (fd < 0) return err_doc(X7_NET_ERR_CONNECT, pdoc);
  return add_with_addr(X7_SOCK_TCP, fd, (struct sockaddr *)&ss, len, pdoc);
}

/* ---- stream read / write / wait / shutdown (§5.6) ---- */

static x7_result tcp_read(int fd, uint32_t max, const struct x7_sock_caps *c,
                          struct x7_bytes *pdoc) {
  ssize_t n;
  int32_t code;
  x7_result r;
  if (max == 0) {
    /* The shim still waited for readability before its 0-byte recv. */
    code = wait_fd(fd, POLLIN, c->io_timeout_ms);
    if (code) return err_doc(code, pdoc);
    return x7__sock_stream_read_doc(x7_view_of(NULL, 0), pdoc);
  }
  r = x7__live_read_doc_begin(max, pdoc);
  if (r) return r;
  do
    n = recv(fd, pdoc->ptr + 8, max, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0 && would_block(errno)) {
    code = wait_fd(fd, POLLIN, c->io_timeout_ms);
    if (code) goto fail;
    do
      n = recv(fd, pdoc->ptr + 8, max, 0);
    while (n < 0 && errno == EINTR);
  }
  if (n < 0) {
    code = would_block(errno) ? X7_NET_ERR_TIMEOUT : X7_NET_ERR_CONNECT;
    goto fail;
  }
  /* n == 0 is EOF: an ok doc with an empty payload, stream left open. */
  x7__live_read_doc_end(pdoc, (size_t)n);
  return X7_OK;
fail:
  x7_bytes_free(pdoc);
  return err_doc(code, pdoc);
}

x7_result x7__live_stream_read(uint32_t handle, uint32_t max_bytes,
                               const struct x7_sock_caps *caps,
                               struct x7_bytes *pdoc) {
  struct x7__handle_ref ref;
  x7_result r;
  x7__bytes_reset(pdoc);
  if (x7__handles_acquire(&x7__live_socks, handle, X7_SOCK_STREAM, &ref))
    return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  if (ref.kind == X7_SOCK_TLS)
    r = x7__live_tls_read(&ref, max_bytes, caps, pdoc);
  else
    r = tcp_read(ref.fd, max_bytes, caps, pdoc);
  x7__handles_release(&x7__live_socks, &ref);
  return r;
}

static x7_result tcp_write(int fd, struct x7_view data,
                           const struct x7_sock_caps *c,
                           struct x7_bytes *pdoc) {
  ssize_t n;
  int32_t code;
  if (data.len == 0) {
    code = wait_fd(fd, POLLOUT, c->io_timeout_ms);
    if (code) return err_doc(code, pdoc);
    return x7__sock_stream_write_doc(0, pdoc);
  }
  do
    n = send(fd, data.ptr, data.len, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0 && would_block(errno)) {
    code = wait_fd(fd, POLLOUT, c->io_timeout_ms);
    if (code) return err_doc(code, pdoc);
    do
      n = send(fd, data.ptr, data.len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
  }
  if (n < 0)
    return err_doc(would_block(errno) ? X7_NET_ERR_TIMEOUT
                                      : X7_NET_ERR_CONNECT,
                   pdoc);
  return x7__sock_stream_write_doc((size_t)n, pdoc);
}

x7_result x7__live_stream_write(uint32_t handle, struct x7_view data,
                                const struct x7_sock_caps *caps,
                                struct x7_bytes *pdoc) {
  struct x7__handle_ref ref;
  x7_result r;
  x7__bytes_reset(pdoc);
  if (x7__handles_acquire(&x7__live_socks, handle, X7_SOCK_STREAM, &ref))
    return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  if (ref.kind == X7_SOCK_TLS)
    r = x7__live_tls_write(&ref, data, caps, pdoc);
  else
    r = tcp_write(ref.fd, data, caps, pdoc);
  x7__handles_release(&x7__live_socks, &ref);
  return r;
}

x7_result x7__live_stream_wait(uint32_t handle, uint32_t events,
                               uint32_t timeout_ms, struct x7_bytes *pdoc) {
  struct x7__handle_ref ref;
  short want = 0, rev = 0;
  uint32_t out = 0;
  int rc;
  x7__bytes_reset(pdoc);
  if (x7__handles_acquire(&x7__live_socks, handle, X7_SOCK_STREAM, &ref))
    return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  /* Bytes OpenSSL has already decrypted are invisible to poll(). */
  if ((events & X7_NET_TCP_WAIT_READABLE) && ref.kind == X7_SOCK_TLS &&
      x7__live_tls_pending(&ref)) {
    x7__handles_release(&x7__live_socks, &ref);
    return x7__sock_stream_wait_doc(X7_NET_TCP_WAIT_READABLE, pdoc);
  }
  if (events & X7_NET_TCP_WAIT_READABLE) want |= POLLIN;
  if (events & X7_NET_TCP_WAIT_WRITABLE) want |= POLLOUT;
  rc = x7__live_poll(ref.fd, want, timeout_ms, &rev);
  x7__handles_release(&x7__live_socks, &ref);
  if (rc < 0) return err_doc(X7_NET_ERR_INTERNAL, pdoc);
  if (rc > 0) {
    if (rev & POLLIN) out |= X7_NET_TCP_WAIT_READABLE;
    if (rev & POLLOUT) out |= X7_NET_TCP_WAIT_WRITABLE;
    if (rev & (POLLHUP | POLLERR | POLLNVAL)) out |= X7_NET_TCP_WAIT_HANGUP;
  }
  return x7__sock_stream_wait_doc(out, pdoc);
}

int32_t x7__live_stream_shutdown(uint32_t handle, int how) {
  static const int map[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
  struct x7__handle_ref ref;
  int rc;
  if (how < 0 || how > 2) return 0;
  if (x7__handles_acquire(&x7__live_socks, handle, X7_SOCK_TCP, &ref))
    return 0;
  rc = shutdown(ref.fd, map[how]);
  x7__handles_release(&x7__live_socks, &ref);
  return rc == 0;
}

int32_t x7__live_sock_close(uint32_t handle, unsigned kinds) {
  return x7__handles_close(&x7__live_socks, handle, kinds);
}

int32_t x7__live_sock_drop(uint32_t handle, unsigned kinds) {
  return x7__handles_drop(&x7__live_socks, handle, kinds);
}

unsigned x7__live_sock_kind(uint32_t handle) {
  return x7__handles_kind(&x7__live_socks, handle);
}

/* ---- UDP send / receive (§5.8) ---- */

static ssize_t sendto_nb(int fd, struct x7_view p, const struct sockaddr *sa,
                         socklen_t salen) {
  ssize_t n;
  do
    n = sendto(fd, p.ptr, p.len, MSG_NOSIGNAL, sa, salen);
  while (n < 0 && errno == EINTR);
  return n;
}

static x7_result udp_send_dns(int fd, struct x7_view addr,
                              struct x7_view payload,
                              const struct x7_sock_caps *c,
                              struct x7_bytes *pdoc) {
  char host[X7_NET_ADDR_DNS_MAX + 1];
  struct addrinfo *res = NULL;
  uint32_t port;
  int tried = 0;
  int32_t code;
  if (x7__netaddr_dns_name(addr, host, sizeof host, &port))
    return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  code = resolve(X7_POLICY_UDP_SENDTO, host, port, SOCK_DGRAM, &res);
  if (code) return err_doc(code, pdoc);
  code = wait_fd(fd, POLLOUT, c->io_timeout_ms);
  for (struct addrinfo *ai = res; ai && !code; ai = ai->ai_next) {
    ssize_t n;
    if (!ip_family(ai->ai_family)) continue;
    tried = 1;
    n = sendto_nb(fd, payload, ai->ai_addr, ai->ai_addrlen);
    if (n >= 0) {
      x7__policy_freeaddrinfo(res);
      return x7__sock_udp_send_doc((size_t)n, pdoc);
    }
    /* A full buffer ends the attempt; a wrong family or an unreachable
     * address moves on to the next one. */
    if (would_block(errno)) code = X7_NET_ERR_TIMEOUT;
  }
  x7__policy_freeaddrinfo(res);
  if (code) return err_doc(code, pdoc);
  return err_doc(tried ? X7_NET_ERR_CONNECT : X7_NET_ERR_DNS, pdoc);
}

x7_result x7__live_udp_sendto(uint32_t handle, struct x7_view addr,
                              struct x7_view payload,
                              const struct x7_sock_caps *caps,
                              struct x7_bytes *pdoc) {
  struct x7__handle_ref ref;
  struct sockaddr_storage ss;
  socklen_t salen = x7__sockaddr_from_netaddr(addr, &ss);
  x7_result r;
  int32_t code;
  ssize_t n;
  x7__bytes_reset(pdoc);
  if (x7__handles_acquire(&x7__live_socks, handle, X7_SOCK_UDP, &ref))
    return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  if (!salen) {
    r = udp_send_dns(ref.fd, addr, payload, caps, pdoc);
    x7__handles_release(&x7__live_socks, &ref);
    return r;
  }
  code = wait_fd(ref.fd, POLLOUT, caps->io_timeout_ms);
  n = code ? -1 : sendto_nb(ref.fd, payload, (struct sockaddr *)&ss, salen);
  if (!code && n < 0)
    code = would_block(errno) ? X7_NET_ERR_TIMEOUT : X7_NET_ERR_CONNECT;
  x7__handles_release(&x7__live_socks, &ref);
  if (code) return err_doc(code, pdoc);
  return x7__sock_udp_send_doc((size_t)n, pdoc);
}

x7_result x7__live_udp_recvfrom(uint32_t handle, uint32_t max_bytes,
                                const struct x7_sock_caps *caps,
                                struct x7_bytes *pdoc) {
  struct x7__handle_ref ref;
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  uint8_t na[X7__NETADDR_IP_MAX];
  size_t cap = max_bytes < UDP_MAX_DATAGRAM ? max_bytes : UDP_MAX_DATAGRAM;
  size_t nalen;
  uint8_t *buf;
  int32_t code;
  ssize_t n = -1;
  x7_result r;
  x7__bytes_reset(pdoc);
  if (x7__handles_acquire(&x7__live_socks, handle, X7_SOCK_UDP, &ref))
    return err_doc(X7_NET_ERR_INVALID_REQ, pdoc);
  buf = x7__malloc(cap ? cap : 1);
  if (!buf) {
    x7__handles_release(&x7__live_socks, &ref);
    return X7_ENOMEM;
  }
  code = wait_fd(ref.fd, POLLIN, caps->io_timeout_ms);
  if (!code) {
    /* A datagram longer than cap is cut to cap without a word (no
     * MSG_TRUNC), as upstream. */
    do
      n = recvfrom(ref.fd, buf, cap, 0, (struct sockaddr *)&ss, &sslen);
    while (n < 0 && errno == EINTR);
    if (n < 0)
      code = would_block(errno) ? X7_NET_ERR_TIMEOUT : X7_NET_ERR_CONNECT;
  }
  x7__handles_release(&x7__live_socks, &ref);
  nalen = code ? 0 : x7__sockaddr_to_netaddr((struct sockaddr *)&ss, sslen,
                                             -1, na);
  if (!code && !nalen) code = X7_NET_ERR_INTERNAL;
  if (code)
    r = err_doc(code, pdoc);
  else
    r = x7__sock_udp_recv_doc(x7_view_of(na, nalen),
                              x7_view_of(buf, (size_t)n), pdoc);
  x7__free(buf);
  return r;
}
