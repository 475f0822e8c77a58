/* test_be_live_sock.c - the live backend's DNS, TCP and UDP twins against
 * loopback peers this test makes itself (spec §5, vectors S1-S10, E6-E10):
 * exact docs, every error code that loopback can provoke, timeouts, the
 * 4096-handle table, close-on-exec and descriptor leaks. */
#define _GNU_SOURCE /* SOCK_CLOEXEC, SOCK_NONBLOCK, MSG_NOSIGNAL */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <x7/net.h>

#include "backend_int.h"
#include "be_live_sock_int.h"
#include "core_int.h"
#include "peer.h"
#include "x7_test.h"

#define ERR2 "000200000000000000"
#define ERR3 "000300000000000000"
#define ERR4 "000400000000000000"
#define ERR5 "000500000000000000"
#define ERR6 "000600000000000000"
#define ERR8 "000800000000000000"

static const struct x7_view none = {NULL, 0};
static long fds_at_start;

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static long count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  long n = 0;
  assert_non_null(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the DIR's own descriptor */
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static struct x7_bytes addr4(int port) {
  struct x7_bytes a = {0};
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, port, &a));
  return a;
}

static struct x7_bytes addr6(int port) {
  static const uint8_t lo[16] = {[15] = 1};
  struct x7_bytes a = {0};
  assert_x7_ok(x7_net_codec_addr_ipv6_v1(x7_view_of(lo, 16), port, &a));
  return a;
}

static struct x7_bytes addr_name(const char *name, int port) {
  struct x7_bytes a = {0};
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str(name), port, &a));
  return a;
}

/* NetAddrV1 of a kernel sockaddr, built with the public codec (an oracle
 * independent of the backend's own conversion). */
static struct x7_bytes addr_of(const struct sockaddr_storage *ss) {
  struct x7_bytes a = {0};
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
    const uint8_t *b = (const uint8_t *)&in->sin_addr;
    assert_x7_ok(x7_net_codec_addr_ipv4_v1(b[0], b[1], b[2], b[3],
                                           ntohs(in->sin_port), &a));
  } else {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    assert_x7_ok(x7_net_codec_addr_ipv6_v1(
        x7_view_of(&in6->sin6_addr, 16), ntohs(in6->sin6_port), &a));
  }
  assert_non_null(a.ptr);
  return a;
}

static struct x7_bytes caps(int32_t ct, int32_t io, int32_t rd, int32_t wr) {
  struct x7_bytes c = {0};
  assert_x7_ok(x7_net_codec_caps_v1(ct, io, rd, wr, &c));
  return c;
}

static int32_t err_code(const struct x7_bytes *d) {
  int32_t c = 0;
  assert_x7_ok(x7_net_err_err_code_v1(x7_bytes_view(d), &c));
  return c;
}

#define assert_err(d, code)                                              \
  do {                                                                   \
    if ((d).len != 9 || (d).ptr[0] != 0 || err_code(&(d)) != (code))    \
      fail_msg("expected error %d, got %zu bytes (byte0 %d, code %d)",   \
               (int)(code), (d).len, (d).len ? (d).ptr[0] : -1,          \
               (d).len ? err_code(&(d)) : -1);                           \
  } while (0)

#define assert_ok_doc(d)                                                  \
  do {                                                                    \
    if ((d).len < 8 || (d).ptr[0] != 1 || (d).ptr[1] != 1)                \
      fail_msg("expected an ok doc, got %zu bytes (code %d)", (d).len,    \
               (d).len >= 5 ? err_code(&(d)) : -1);                       \
  } while (0)

/* listen_v1 on addr; returns the handle and (optionally) the bound
 * address. */
static int32_t t_listen(struct x7_bytes addr, struct x7_bytes *pbound) {
  struct x7_bytes d = {0};
  int32_t h = 0;
  assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&addr), none, &d));
  assert_ok_doc(d);
  assert_x7_ok(x7_net_tcp_listen_listener_handle_v1(x7_bytes_view(&d), &h));
  assert_true(h >= 1);
  if (pbound)
    assert_x7_ok(x7_net_tcp_listen_bound_addr_v1(x7_bytes_view(&d), pbound));
  x7_bytes_free(&d);
  x7_bytes_free(&addr);
  return h;
}

static int32_t t_connect(struct x7_view addr, struct x7_view c) {
  struct x7_bytes d = {0};
  int32_t h = 0;
  assert_x7_ok(x7_net_tcp_connect_v1(addr, c, &d));
  assert_ok_doc(d);
  assert_int_equal(d.len, 8);
  assert_x7_ok(x7_net_tcp_connect_stream_handle_v1(x7_bytes_view(&d), &h));
  x7_bytes_free(&d);
  return h;
}

static int32_t t_accept(int32_t l, struct x7_bytes *ppeer) {
  struct x7_bytes d = {0};
  int32_t h = 0;
  assert_x7_ok(x7_net_tcp_accept_v1(l, none, &d));
  assert_ok_doc(d);
  assert_x7_ok(x7_net_tcp_accept_stream_handle_v1(x7_bytes_view(&d), &h));
  if (ppeer)
    assert_x7_ok(x7_net_tcp_accept_peer_addr_v1(x7_bytes_view(&d), ppeer));
  x7_bytes_free(&d);
  return h;
}

/* A connected pair of twin streams through a twin listener. */
static void t_pair(int32_t *pc, int32_t *ps, int32_t *pl) {
  struct x7_bytes bound = {0};
  int32_t l = t_listen(addr4(0), &bound);
  *pc = t_connect(x7_bytes_view(&bound), none);
  *ps = t_accept(l, NULL);
  x7_bytes_free(&bound);
  if (pl)
    *pl = l;
  else {
    int32_t v;
    assert_x7_ok(x7_net_tcp_listener_drop_v1(l, &v));
    assert_int_equal(v, 1);
  }
}

static void t_write_all(int32_t h, const void *p, size_t n, struct x7_view c) {
  struct x7_bytes d = {0};
  assert_x7_ok(x7_net_io_write_all_v1(h, x7_view_of(p, n), c, &d));
  assert_ok_doc(d);
  assert_int_equal(d.len, 8);
  assert_int_equal(x7__rd32(d.ptr + 4), n);
  x7_bytes_free(&d);
}

/* Read exactly n bytes through the twin (several reads). */
static void t_read_exact(int32_t h, uint8_t *out, size_t n) {
  size_t got = 0;
  while (got < n) {
    struct x7_bytes d = {0}, p = {0};
    assert_x7_ok(x7_net_tcp_stream_read_v1(h, 1 << 20, none, &d));
    assert_ok_doc(d);
    assert_x7_ok(x7_net_tcp_stream_read_payload_v1(x7_bytes_view(&d), &p));
    if (p.len == 0) fail_msg("EOF after %zu of %zu bytes", got, n);
    assert_true(p.len <= n - got);
    memcpy(out + got, p.ptr, p.len);
    got += p.len;
    x7_bytes_free(&p);
    x7_bytes_free(&d);
  }
}

/* Drop every handle of every kind (the tests leave nothing behind). */
static void drop_all(void) {
  for (int32_t h = 1; h <= X7_SOCK_HANDLES_MAX; h++) {
    int32_t v;
    (void)x7_net_tcp_stream_drop_v1(h, &v);
    (void)x7_net_tcp_listener_drop_v1(h, &v);
    (void)x7_net_udp_drop_v1(h, &v);
  }
  assert_int_equal(x7__handles_count(&x7__live_socks), 0);
}

static int fd_of(int32_t h) {
  struct x7__handle_ref ref;
  int fd;
  assert_int_equal(
      x7__handles_acquire(&x7__live_socks, (uint32_t)h, ~0u, &ref), 0);
  fd = ref.fd;
  x7__handles_release(&x7__live_socks, &ref);
  return fd;
}

/* ---- plain-socket peers ---- */

static int plain_listen(int family, int backlog, uint16_t *pport) {
  struct sockaddr_storage ss;
  socklen_t len;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    len = sizeof *in6;
  }
  assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
  assert_int_equal(listen(fd, backlog), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
  *pport = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                   : ((struct sockaddr_in6 *)&ss)->sin6_port);
  return fd;
}

static int plain_connect(const struct x7_bytes *bound,
                         struct sockaddr_storage *plocal) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int fd;
  memset(&ss, 0, sizeof ss);
  if (x7__rd32(bound->ptr + 4) == 1) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)x7__rd32(bound->ptr + 8));
    memcpy(&in->sin_addr, bound->ptr + 12, 4);
    len = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)x7__rd32(bound->ptr + 8));
    memcpy(&in6->sin6_addr, bound->ptr + 12, 16);
    len = sizeof *in6;
  }
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
  if (plocal) {
    len = sizeof *plocal;
    assert_int_equal(getsockname(fd, (struct sockaddr *)plocal, &len), 0);
  }
  return fd;
}

static void plain_write_all(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    assert_true(w > 0);
    b += w;
    n -= (size_t)w;
  }
}

/* An echo server on a thread: accepts one connection on lfd, echoes until
 * EOF, then closes it. */
struct echo {
  int lfd;
  pthread_t t;
  size_t echoed;
};

static void *echo_main(void *arg) {
  struct echo *e = arg;
  uint8_t *buf = malloc(65536);
  int fd = accept(e->lfd, NULL, NULL);
  if (fd < 0 || !buf) {
    free(buf);
    return NULL;
  }
  for (;;) {
    ssize_t n = recv(fd, buf, 65536, 0);
    const uint8_t *p = buf;
    if (n <= 0) break;
    e->echoed += (size_t)n;
    while (n > 0) {
      ssize_t w = send(fd, p, (size_t)n, MSG_NOSIGNAL);
      if (w <= 0) goto out;
      p += w;
      n -= w;
    }
  }
out:
  close(fd);
  free(buf);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* fixture                                                             */

static int group_setup(void **state) {
  struct rlimit rl;
  (void)state;
  if (x7_backend_select("live") != X7_OK) return -1;
  /* The exhaustion test needs 4096 sockets plus the peers'. */
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 8192) {
    rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  fds_at_start = count_fds();
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  drop_all();
  if (count_fds() != fds_at_start) {
    fprintf(stderr, "descriptor leak: %ld open at start, %ld at end\n",
            fds_at_start, count_fds());
    return -1;
  }
  return 0;
}

/* Each test starts and ends with an empty table and no new descriptors. */
static long fds_before;

static int setup(void **state) {
  (void)state;
  fds_before = count_fds();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  drop_all();
  if (count_fds() != fds_before) {
    fprintf(stderr, "descriptor leak in test: %ld before, %ld after\n",
            fds_before, count_fds());
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* tests                                                               */

/* S3-S7: must run first, in a process whose table is still empty. */
static void handles_should_number_from_one(void **state) {
  struct x7_bytes d = {0}, bound = {0}, peer = {0}, a;
  char hex[128];
  uint16_t port = 0;
  int32_t v;
  (void)state;
  assert_int_equal(x7__handles_count(&x7__live_socks), 0);
  /* S3: a free port can be taken by someone else meanwhile: retry */
  for (int tries = 0; tries < 20; tries++) {
    port = x7t_free_port("127.0.0.1");
    assert_true(port != 0);
    a = addr4(port);
    assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&a), none, &d));
    x7_bytes_free(&a);
    if (d.ptr[0] == 1) break;
    assert_err(d, 6); /* EADDRINUSE */
    x7_bytes_free(&d);
  }
  snprintf(hex, sizeof hex,
           "0101000001000000100000000100000001000000%02x%02x00007f000001",
           port & 0xff, port >> 8);
  assert_bytes_hex(d, hex);
  assert_x7_ok(x7_net_tcp_listen_bound_addr_v1(x7_bytes_view(&d), &bound));
  x7_bytes_free(&d);
  /* S4 */
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&bound), none, &d));
  assert_bytes_hex(d, "0101000002000000");
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_accept_v1(1, none, &d));
  assert_int_equal(d.len, 28);
  x7t_assert_hex(d.ptr, 12, "010100000300000010000000", __FILE__, __LINE__);
  assert_x7_ok(x7_net_tcp_accept_peer_addr_v1(x7_bytes_view(&d), &peer));
  x7t_assert_hex(peer.ptr, 8, "0100000001000000", __FILE__, __LINE__);
  assert_true(x7__rd32(peer.ptr + 8) != 0);
  x7t_assert_hex(peer.ptr + 12, 4, "7f000001", __FILE__, __LINE__);
  x7_bytes_free(&peer);
  x7_bytes_free(&d);
  /* S7 then S5 */
  assert_x7_ok(x7_net_io_write_all_v1(2, x7_view_str("ping"), none, &d));
  assert_bytes_hex(d, "0101000004000000");
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_read_v1(3, 100, none, &d));
  assert_bytes_hex(d, "010100000400000070696e67");
  x7_bytes_free(&d);
  /* S6: EOF is an ok doc with an empty payload; the stream stays open */
  assert_x7_ok(x7_net_tcp_stream_close_v1(2, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_stream_read_v1(3, 100, none, &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_read_v1(3, 100, none, &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  /* S8 */
  assert_x7_ok(x7_net_io_write_all_v1(999, none, none, &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  x7_bytes_free(&bound);
  drop_all();
  /* Dropped slots are reused from the lowest. */
  assert_int_equal(t_listen(addr4(0), NULL), 1);
}

static void *writer_main(void *arg) {
  int32_t h = *(int32_t *)arg;
  size_t n = 1u << 20, chunk = 65536;
  uint8_t *p = malloc(n);
  x7t_pattern_fill(p, n, 0);
  for (size_t off = 0; off < n; off += chunk) {
    struct x7_bytes d = {0};
    if (x7_net_io_write_all_v1(h, x7_view_of(p + off, chunk), none, &d) ||
        d.len != 8 || d.ptr[0] != 1)
      abort();
    x7_bytes_free(&d);
  }
  free(p);
  return NULL;
}

static void tcp_echo_should_round_trip(void **state) {
  struct echo e = {0};
  struct x7_bytes a, d = {0};
  uint16_t port;
  uint8_t *got = malloc(1u << 20);
  pthread_t w;
  int32_t h, v;
  (void)state;
  e.lfd = plain_listen(AF_INET, 4, &port);
  assert_int_equal(pthread_create(&e.t, NULL, echo_main, &e), 0);
  a = addr4(port);
  h = t_connect(x7_bytes_view(&a), none);
  x7_bytes_free(&a);
  /* One thread writes while this one reads the echo: the same handle is
   * used from two threads at once. */
  assert_int_equal(pthread_create(&w, NULL, writer_main, &h), 0);
  t_read_exact(h, got, 1u << 20);
  pthread_join(w, NULL);
  assert_int_equal(x7t_pattern_mismatch(got, 1u << 20, 0), -1);
  /* Half-close: the server sees EOF, closes, and we read EOF. */
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(h, 1, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_stream_read_v1(h, 100, none, &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  pthread_join(e.t, NULL);
  assert_int_equal(e.echoed, 1u << 20);
  close(e.lfd);
  free(got);
}

static void listen_should_report_bound_and_peer_addresses(void **state) {
  struct x7_bytes b4 = {0}, b6 = {0}, peer = {0}, want = {0}, a, d = {0};
  struct sockaddr_storage local;
  int32_t l4, l6;
  int fd;
  (void)state;
  l4 = t_listen(addr4(0), &b4);
  l6 = t_listen(addr6(0), &b6);
  assert_int_equal(b4.len, 16);
  assert_int_equal(b6.len, 28);
  x7t_assert_hex(b4.ptr, 8, "0100000001000000", __FILE__, __LINE__);
  x7t_assert_hex(b6.ptr, 8, "0100000002000000", __FILE__, __LINE__);
  assert_true(x7__rd32(b4.ptr + 8) != 0 && x7__rd32(b6.ptr + 8) != 0);
  /* The peer address of an accept is the client's own local address. */
  fd = plain_connect(&b4, &local);
  {
    int32_t s = t_accept(l4, &peer);
    uint8_t got[3];
    want = addr_of(&local);
    assert_bytes_eq(peer, x7_bytes_view(&want));
    plain_write_all(fd, "abc", 3);
    t_read_exact(s, got, 3);
    assert_memory_equal(got, "abc", 3);
  }
  x7_bytes_free(&peer);
  x7_bytes_free(&want);
  close(fd);
  fd = plain_connect(&b6, &local);
  t_accept(l6, &peer);
  want = addr_of(&local);
  assert_int_equal(peer.len, 28);
  assert_bytes_eq(peer, x7_bytes_view(&want));
  x7_bytes_free(&peer);
  x7_bytes_free(&want);
  close(fd);
  /* The same port twice while the first listens: bind fails -> 6. */
  assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&b4), none, &d));
  assert_err(d, 6);
  x7_bytes_free(&d);
  /* E9: names cannot be listened on. */
  a = addr_name("localhost", 0);
  assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  x7_bytes_free(&a);
  /* SO_REUSEADDR: a closed listener's port is free again at once even
   * with a connection of it in TIME_WAIT. */
  {
    int32_t c, s, v;
    struct x7_bytes again = {0};
    int32_t l = t_listen(addr4(0), &again);
    c = t_connect(x7_bytes_view(&again), none);
    s = t_accept(l, NULL);
    assert_x7_ok(x7_net_tcp_stream_drop_v1(s, &v)); /* server closes first */
    assert_x7_ok(x7_net_tcp_stream_drop_v1(c, &v));
    assert_x7_ok(x7_net_tcp_listener_drop_v1(l, &v));
    assert_int_equal(v, 1);
    assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&again), none, &d));
    assert_ok_doc(d);
    x7_bytes_free(&d);
    x7_bytes_free(&again);
  }
  x7_bytes_free(&b4);
  x7_bytes_free(&b6);
}

static void stream_write_should_be_partial_and_time_out(void **state) {
  const size_t big = 32u << 20;
  struct x7_bytes c = caps(0, 100, 0, 64 << 20), d = {0};
  uint8_t *p = calloc(big, 1);
  int32_t cl, sv, n = 0;
  size_t sent = 0;
  int64_t t0;
  (void)state;
  t_pair(&cl, &sv, NULL);
  /* One send: the kernel takes what fits, the doc says how much. */
  assert_x7_ok(x7_net_tcp_stream_write_v1(cl, x7_view_of(p, big),
                                          x7_bytes_view(&c), &d));
  assert_ok_doc(d);
  assert_x7_ok(x7_net_tcp_stream_write_bytes_written_v1(x7_bytes_view(&d),
                                                        &n));
  assert_true(n > 0 && (size_t)n < big);
  x7_bytes_free(&d);
  sent = (size_t)n;
  /* Nobody reads: the next write waits io_timeout_ms, then TIMEOUT. */
  t0 = now_ms();
  for (;;) {
    assert_x7_ok(x7_net_tcp_stream_write_v1(cl, x7_view_of(p, 65536),
                                            x7_bytes_view(&c), &d));
    if (d.ptr[0] == 0) break;
    sent += x7__rd32(d.ptr + 4);
    x7_bytes_free(&d);
    assert_true(now_ms() - t0 < 10000);
  }
  assert_err(d, 3);
  assert_true(now_ms() - t0 >= 90);
  x7_bytes_free(&d);
  /* More than max_write_bytes -> 4 before any send. */
  {
    struct x7_bytes small = caps(0, 100, 0, 10);
    assert_x7_ok(x7_net_tcp_stream_write_v1(cl, x7_view_of(p, 11),
                                            x7_bytes_view(&small), &d));
    assert_bytes_hex(d, ERR4);
    x7_bytes_free(&d);
    x7_bytes_free(&small);
  }
  /* Drain what was sent: every byte arrives. */
  {
    size_t got = 0;
    while (got < sent) {
      assert_x7_ok(x7_net_tcp_stream_read_v1(sv, 1 << 22, none, &d));
      assert_ok_doc(d);
      assert_true(x7__rd32(d.ptr + 4) > 0);
      got += x7__rd32(d.ptr + 4);
      x7_bytes_free(&d);
    }
    assert_int_equal(got, sent);
  }
  x7_bytes_free(&c);
  free(p);
}

static void wait_should_report_events(void **state) {
  struct x7_bytes d = {0};
  int32_t cl, sv, v;
  int fd;
  struct linger lg = {1, 0};
  int64_t t0;
  (void)state;
  t_pair(&cl, &sv, NULL);
  /* S9: writable now, nothing to read */
  assert_x7_ok(x7_net_tcp_stream_wait_v1(cl, 2, 0, &d));
  assert_bytes_hex(d, "0101000002000000");
  x7_bytes_free(&d);
  /* timeout: ok with events 0, after about the time asked for */
  t0 = now_ms();
  assert_x7_ok(x7_net_tcp_stream_wait_v1(cl, 1, 100, &d));
  assert_bytes_hex(d, "0101000000000000");
  assert_true(now_ms() - t0 >= 90);
  x7_bytes_free(&d);
  /* E7 */
  assert_x7_ok(x7_net_tcp_stream_wait_v1(cl, 1, -1, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  /* readable once the peer wrote */
  t_write_all(sv, "x", 1, none);
  assert_x7_ok(x7_net_tcp_stream_wait_v1(cl, 1, 5000, &d));
  assert_bytes_hex(d, "0101000001000000");
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_wait_v1(cl, 3, 5000, &d));
  assert_bytes_hex(d, "0101000003000000");
  x7_bytes_free(&d);
  /* a reset peer: hangup (bit 4) is reported even if not asked for */
  fd = fd_of(sv);
  assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
  assert_x7_ok(x7_net_tcp_stream_drop_v1(sv, &v));
  t0 = now_ms();
  for (;;) {
    assert_x7_ok(x7_net_tcp_stream_wait_v1(cl, 0, 1000, &d));
    assert_ok_doc(d);
    if (x7__rd32(d.ptr + 4) & 4) break;
    x7_bytes_free(&d);
    assert_true(now_ms() - t0 < 5000);
  }
  x7_bytes_free(&d);
  /* E10 and friends */
  assert_x7_ok(x7_net_tcp_stream_wait_v1(0, 1, 0, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
}

static void shutdown_should_half_close_tcp_only(void **state) {
  struct x7_bytes d = {0}, u = {0}, a = addr4(0);
  int32_t cl, sv, l, v;
  (void)state;
  t_pair(&cl, &sv, &l);
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(cl, 3, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(cl, -1, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(l, 1, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &u));
  assert_ok_doc(u);
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1((int32_t)x7__rd32(u.ptr + 4), 1,
                                             &v));
  assert_int_equal(v, 0);
  /* write side: the peer reads EOF, and can still write to us */
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(cl, 1, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_stream_read_v1(sv, 10, none, &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  t_write_all(sv, "late", 4, none);
  assert_x7_ok(x7_net_tcp_stream_read_v1(cl, 10, none, &d));
  assert_bytes_hex(d, "01010000040000006c617465");
  x7_bytes_free(&d);
  /* both ways */
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(sv, 2, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_stream_close_v1(cl, &v));
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(cl, 2, &v));
  assert_int_equal(v, 0); /* closed */
  x7_bytes_free(&u);
  x7_bytes_free(&a);
}

static void close_and_drop_should_follow_slot_rules(void **state) {
  struct x7_bytes d = {0}, a = addr4(0);
  int32_t cl, sv, l, u, v;
  (void)state;
  t_pair(&cl, &sv, &l);
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
  u = (int32_t)x7__rd32(d.ptr + 4);
  x7_bytes_free(&d);
  assert_int_equal(l, 1);
  assert_int_equal(cl, 2);
  assert_int_equal(sv, 3);
  assert_int_equal(u, 4);
  /* wrong kinds */
  assert_x7_ok(x7_net_tcp_listener_close_v1(cl, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_stream_close_v1(l, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_udp_close_v1(cl, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_stream_drop_v1(u, &v));
  assert_int_equal(v, 0);
  /* close keeps the slot: later use is INVALID_REQ, the number is not
   * reused */
  assert_x7_ok(x7_net_tcp_stream_close_v1(cl, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_stream_close_v1(cl, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_stream_read_v1(cl, 10, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_write_v1(cl, x7_view_str("x"), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_io_write_all_v1(cl, x7_view_str("x"), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_wait_v1(cl, 1, 0, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
  assert_int_equal(x7__rd32(d.ptr + 4), 5);
  x7_bytes_free(&d);
  /* drop frees it (closed or not); the next socket takes it */
  assert_x7_ok(x7_net_tcp_stream_drop_v1(cl, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_stream_drop_v1(cl, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_listener_close_v1(l, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_accept_v1(l, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_listener_drop_v1(l, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_udp_close_v1(u, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_udp_drop_v1(u, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
  assert_int_equal(x7__rd32(d.ptr + 4), 1);
  x7_bytes_free(&d);
  assert_int_equal(t_listen(addr4(0), NULL), 2);
  x7_bytes_free(&a);
}

static int32_t udp_bind(struct x7_bytes addr, struct x7_bytes *pbound) {
  struct x7_bytes d = {0};
  int32_t h = 0;
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&addr), none, &d));
  assert_ok_doc(d);
  assert_x7_ok(x7_net_udp_bind_sock_handle_v1(x7_bytes_view(&d), &h));
  assert_x7_ok(x7_net_udp_bind_bound_addr_v1(x7_bytes_view(&d), pbound));
  assert_non_null(pbound->ptr);
  x7_bytes_free(&d);
  x7_bytes_free(&addr);
  return h;
}

static void udp_round_trip(struct x7_bytes (*mk)(int)) {
  struct x7_bytes ba = {0}, bb = {0}, d = {0}, p = {0}, from = {0};
  struct x7__buf want;
  struct x7_bytes w = {0};
  int32_t a = udp_bind(mk(0), &ba), b = udp_bind(mk(0), &bb);
  assert_x7_ok(x7_net_udp_sendto_v1(a, x7_bytes_view(&bb),
                                    x7_view_str("hello-udp"), none, &d));
  assert_bytes_hex(d, "0101000009000000");
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_recvfrom_v1(b, 100, none, &d));
  /* S10's shape: from = the sender's bound address */
  x7__buf_init(&want);
  x7__buf_add(&want, "\x01\x01\x00\x00", 4);
  x7__buf_u32(&want, (uint32_t)ba.len);
  x7__buf_add(&want, ba.ptr, ba.len);
  x7__buf_u32(&want, 9);
  x7__buf_add(&want, "hello-udp", 9);
  assert_x7_ok(x7__buf_finish(&want, &w));
  assert_bytes_eq(d, x7_bytes_view(&w));
  assert_x7_ok(x7_net_udp_recv_payload_v1(x7_bytes_view(&d), &p));
  assert_bytes_str(p, "hello-udp");
  assert_x7_ok(x7_net_udp_recv_from_addr_v1(x7_bytes_view(&d), &from));
  assert_bytes_eq(from, x7_bytes_view(&ba));
  x7_bytes_free(&p);
  x7_bytes_free(&from);
  x7_bytes_free(&w);
  x7_bytes_free(&d);
  /* a long datagram is cut to max_bytes without a word */
  assert_x7_ok(x7_net_udp_sendto_v1(a, x7_bytes_view(&bb),
                                    x7_view_str("0123456789abcdef"), none,
                                    &d));
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_recvfrom_v1(b, 10, none, &d));
  assert_x7_ok(x7_net_udp_recv_payload_v1(x7_bytes_view(&d), &p));
  assert_bytes_str(p, "0123456789");
  x7_bytes_free(&p);
  x7_bytes_free(&d);
  /* max_bytes 0 takes the datagram and returns nothing of it */
  assert_x7_ok(x7_net_udp_sendto_v1(a, x7_bytes_view(&bb), x7_view_str("z"),
                                    none, &d));
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_recvfrom_v1(b, 0, none, &d));
  assert_ok_doc(d);
  assert_int_equal(d.len, 12 + ba.len);
  x7_bytes_free(&d);
  x7_bytes_free(&ba);
  x7_bytes_free(&bb);
}

static void udp_should_round_trip_on_ipv4(void **state) {
  (void)state;
  udp_round_trip(addr4);
}

static void udp_should_round_trip_on_ipv6(void **state) {
  (void)state;
  udp_round_trip(addr6);
}

static void udp_sendto_should_resolve_names(void **state) {
  struct x7_bytes ba = {0}, bb = {0}, d = {0}, p = {0}, n;
  int32_t a = udp_bind(addr4(0), &ba), b = udp_bind(addr4(0), &bb);
  (void)state;
  /* Whatever localhost resolves to first, the IPv4 socket reaches the
   * IPv4 receiver (a wrong family moves on to the next address). */
  n = addr_name("localhost", (int)x7__rd32(bb.ptr + 8));
  assert_x7_ok(x7_net_udp_sendto_v1(a, x7_bytes_view(&n), x7_view_str("hi"),
                                    none, &d));
  assert_bytes_hex(d, "0101000002000000");
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_recvfrom_v1(b, 10, none, &d));
  assert_x7_ok(x7_net_udp_recv_payload_v1(x7_bytes_view(&d), &p));
  assert_bytes_str(p, "hi");
  x7_bytes_free(&p);
  x7_bytes_free(&d);
  x7_bytes_free(&n);
  x7_bytes_free(&ba);
  x7_bytes_free(&bb);
}

/* A name the resolver refuses without asking any server: a 64-byte label
 * cannot be encoded in a DNS query. */
static const char *unresolvable(void) {
  static char name[80];
  memset(name, 'a', 64);
  strcpy(name + 64, ".invalid");
  return name;
}

static void udp_errors_should_have_their_codes(void **state) {
  struct x7_bytes ba = {0}, d = {0}, n, c = caps(0, 50, 0, 0);
  int32_t a = udp_bind(addr4(0), &ba);
  int64_t t0;
  (void)state;
  /* nothing arrives: TIMEOUT after io_timeout_ms */
  t0 = now_ms();
  assert_x7_ok(x7_net_udp_recvfrom_v1(a, 10, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, ERR3);
  assert_true(now_ms() - t0 >= 40);
  x7_bytes_free(&d);
  /* the port is taken */
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&ba), none, &d));
  assert_bytes_hex(d, ERR6);
  x7_bytes_free(&d);
  /* names cannot be bound */
  n = addr_name("localhost", 0);
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&n), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  x7_bytes_free(&n);
  /* the resolver fails */
  n = addr_name(unresolvable(), 9);
  assert_x7_ok(x7_net_udp_sendto_v1(a, x7_bytes_view(&n), x7_view_str("x"),
                                    none, &d));
  assert_bytes_hex(d, ERR5);
  x7_bytes_free(&d);
  x7_bytes_free(&n);
  /* an IPv4 socket cannot send to an IPv6 address */
  n = addr6(9);
  assert_x7_ok(x7_net_udp_sendto_v1(a, x7_bytes_view(&n), x7_view_str("x"),
                                    none, &d));
  assert_bytes_hex(d, ERR6);
  x7_bytes_free(&d);
  x7_bytes_free(&n);
  /* E8 on a live handle too */
  {
    uint8_t *big = calloc(1048577, 1);
    assert_x7_ok(x7_net_udp_sendto_v1(a, x7_bytes_view(&ba),
                                      x7_view_of(big, 1048577), none, &d));
    assert_bytes_hex(d, ERR4);
    x7_bytes_free(&d);
    free(big);
  }
  /* a stream handle is not a UDP socket */
  assert_x7_ok(x7_net_udp_recvfrom_v1(a + 1, 10, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  x7_bytes_free(&ba);
  x7_bytes_free(&c);
}

static void dns_lookup_should_resolve_localhost(void **state) {
  struct x7_bytes d = {0}, e = {0};
  struct x7__buf want;
  struct x7_bytes w = {0};
  int32_t count = 0;
  (void)state;
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_str("localhost"), 80, none, &d));
  assert_ok_doc(d);
  assert_x7_ok(x7_net_dns_count_v1(x7_bytes_view(&d), &count));
  assert_true(count >= 1 && count <= 64);
  /* Each entry is a loopback address with the requested port; the doc is
   * exactly the entries in order (S1 when the resolver gives 127.0.0.1
   * only, S2 for [::1, 127.0.0.1]). */
  x7__buf_init(&want);
  x7__buf_add(&want, "\x01\x01\x00\x00", 4);
  x7__buf_u32(&want, (uint32_t)count);
  for (int32_t i = 0; i < count; i++) {
    assert_x7_ok(x7_net_dns_addr_at_v1(x7_bytes_view(&d), i, &e));
    if (e.len == 16)
      x7t_assert_hex(e.ptr, 16, "0100000001000000500000007f000001",
                     __FILE__, __LINE__);
    else
      x7t_assert_hex(e.ptr, 28,
                     "010000000200000050000000"
                     "00000000000000000000000000000001",
                     __FILE__, __LINE__);
    x7__buf_u32(&want, (uint32_t)e.len);
    x7__buf_add(&want, e.ptr, e.len);
    x7_bytes_free(&e);
  }
  assert_x7_ok(x7__buf_finish(&want, &w));
  assert_bytes_eq(d, x7_bytes_view(&w));
  if (count == 1)
    assert_bytes_hex(d, "0101000001000000100000000100000001000000500000007f"
                        "000001");
  x7_bytes_free(&w);
  x7_bytes_free(&d);
  /* numeric names resolve to themselves */
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_str("::1"), 443, none, &d));
  assert_bytes_hex(d, "01010000010000001c0000000100000002000000bb010000000000"
                      "00000000000000000000000001");
  x7_bytes_free(&d);
  /* E6 and the resolver's failure */
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_str("localhost"), 0, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(
      x7_net_dns_lookup_v1(x7_view_str(unresolvable()), 80, none, &d));
  assert_bytes_hex(d, ERR5);
  x7_bytes_free(&d);
}

static void connect_errors_should_have_their_codes(void **state) {
  struct x7_bytes a, d = {0}, c = caps(200, 0, 0, 0), bound = {0};
  uint16_t port;
  int lfd, fill[2];
  int32_t l, h;
  int64_t t0;
  (void)state;
  /* refused */
  lfd = plain_listen(AF_INET, 1, &port);
  close(lfd); /* nobody listens there now */
  a = addr4(port);
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR6);
  x7_bytes_free(&d);
  x7_bytes_free(&a);
  /* the resolver fails */
  a = addr_name(unresolvable(), 80);
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR5);
  x7_bytes_free(&d);
  x7_bytes_free(&a);
  /* a name: its addresses are tried until one connects */
  l = t_listen(addr4(0), &bound);
  a = addr_name("localhost", (int)x7__rd32(bound.ptr + 8));
  h = t_connect(x7_bytes_view(&a), none);
  assert_true(h > l);
  x7_bytes_free(&a);
  x7_bytes_free(&bound);
  /* all refused through a name: 6 */
  lfd = plain_listen(AF_INET, 1, &port);
  close(lfd);
  a = addr_name("localhost", port);
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR6);
  x7_bytes_free(&d);
  x7_bytes_free(&a);
  /* timeout: a listener with a full accept queue drops further SYNs */
  lfd = plain_listen(AF_INET, 0, &port);
  a = addr4(port);
  for (int i = 0; i < 2; i++) {
    struct sockaddr_in in = {0};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    (void)connect(fill[i], (struct sockaddr *)&in, sizeof in);
    sleep_ms(50);
  }
  t0 = now_ms();
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), x7_bytes_view(&c),
                                     &d));
  if (d.len == 8) {
    /* This kernel queued it anyway: nothing to learn here. */
    x7_bytes_free(&d);
  } else {
    assert_bytes_hex(d, ERR3);
    assert_true(now_ms() - t0 >= 190);
    assert_true(now_ms() - t0 < 5000);
    x7_bytes_free(&d);
  }
  close(fill[0]);
  close(fill[1]);
  close(lfd);
  x7_bytes_free(&a);
  x7_bytes_free(&c);
}

static void read_and_accept_should_time_out(void **state) {
  struct x7_bytes c = caps(0, 60, 0, 0), d = {0};
  int32_t cl, sv, l;
  int64_t t0;
  (void)state;
  t_pair(&cl, &sv, &l);
  t0 = now_ms();
  assert_x7_ok(x7_net_tcp_accept_v1(l, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, ERR3);
  assert_true(now_ms() - t0 >= 50);
  x7_bytes_free(&d);
  t0 = now_ms();
  assert_x7_ok(x7_net_tcp_stream_read_v1(cl, 10, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, ERR3);
  assert_true(now_ms() - t0 >= 50);
  x7_bytes_free(&d);
  /* max_bytes 0 still waits for readability, as the shim did */
  assert_x7_ok(x7_net_tcp_stream_read_v1(cl, 0, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, ERR3);
  x7_bytes_free(&d);
  t_write_all(sv, "abc", 3, none);
  assert_x7_ok(x7_net_tcp_stream_read_v1(cl, 0, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  /* the bytes are still there, and max_read_bytes caps a read */
  {
    struct x7_bytes small = caps(0, 60, 2, 0);
    assert_x7_ok(
        x7_net_tcp_stream_read_v1(cl, 100, x7_bytes_view(&small), &d));
    assert_bytes_hex(d, "01010000020000006162");
    x7_bytes_free(&d);
    assert_x7_ok(x7_net_tcp_stream_read_v1(cl, -1, x7_bytes_view(&small), &d));
    assert_bytes_hex(d, "010100000100000063");
    x7_bytes_free(&d);
    x7_bytes_free(&small);
  }
  x7_bytes_free(&c);
}

static void peer_reset_should_be_connect_error_without_sigpipe(void **state) {
  struct x7_bytes d = {0};
  struct linger lg = {1, 0};
  uint8_t buf[4096] = {0};
  int32_t cl, sv, v;
  int64_t t0;
  int code = 0;
  (void)state;
  /* The default action of SIGPIPE kills the process: no handler may hide
   * a send without MSG_NOSIGNAL. */
  signal(SIGPIPE, SIG_DFL);
  t_pair(&cl, &sv, NULL);
  assert_int_equal(
      setsockopt(fd_of(sv), SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
  assert_x7_ok(x7_net_tcp_stream_drop_v1(sv, &v));
  t0 = now_ms();
  while (!code) {
    assert_x7_ok(x7_net_tcp_stream_write_v1(cl, x7_view_of(buf, sizeof buf),
                                            none, &d));
    if (d.ptr[0] == 0) code = err_code(&d);
    x7_bytes_free(&d);
    assert_true(now_ms() - t0 < 5000);
  }
  assert_int_equal(code, 6);
  /* and again, now on a socket the kernel knows is dead (EPIPE) */
  assert_x7_ok(x7_net_tcp_stream_write_v1(cl, x7_view_of(buf, 10), none, &d));
  assert_bytes_hex(d, ERR6);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_io_write_all_v1(cl, x7_view_of(buf, 10), none, &d));
  assert_bytes_hex(d, ERR6);
  x7_bytes_free(&d);
}

static void read_after_reset_should_be_connect_error(void **state) {
  struct x7_bytes d = {0};
  struct linger lg = {1, 0};
  int32_t cl, sv, v;
  (void)state;
  t_pair(&cl, &sv, NULL);
  assert_int_equal(
      setsockopt(fd_of(sv), SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
  assert_x7_ok(x7_net_tcp_stream_drop_v1(sv, &v));
  assert_x7_ok(x7_net_tcp_stream_read_v1(cl, 10, none, &d));
  assert_bytes_hex(d, ERR6);
  x7_bytes_free(&d);
}

static int is_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFD);
  return fl >= 0 && (fl & FD_CLOEXEC);
}

static int is_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK);
}

static void descriptors_should_be_cloexec_and_nonblocking(void **state) {
  struct x7_bytes a = addr4(0), d = {0};
  int32_t cl, sv, l, u;
  (void)state;
  t_pair(&cl, &sv, &l);
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
  u = (int32_t)x7__rd32(d.ptr + 4);
  x7_bytes_free(&d);
  {
    const int32_t hs[] = {cl, sv, l, u};
    for (int i = 0; i < 4; i++) {
      int fd = fd_of(hs[i]);
      assert_true(is_cloexec(fd));
      assert_true(is_nonblocking(fd));
    }
  }
  x7_bytes_free(&a);
}

static void error_paths_should_not_leak_descriptors(void **state) {
  long before = count_fds();
  struct x7_bytes c = caps(100, 30, 0, 0), d = {0};
  uint16_t port;
  (void)state;
  for (int round = 0; round < 20; round++) {
    struct x7_bytes a, b4 = {0};
    int lfd = plain_listen(AF_INET, 1, &port);
    int32_t l;
    close(lfd);
    a = addr4(port);
    assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
    assert_bytes_hex(d, ERR6);
    x7_bytes_free(&d);
    x7_bytes_free(&a);
    l = t_listen(addr4(0), &b4);
    assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&b4), none, &d));
    assert_bytes_hex(d, ERR6);
    x7_bytes_free(&d);
    assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&b4), none, &d));
    assert_ok_doc(d); /* UDP and TCP ports are separate */
    x7_bytes_free(&d);
    assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&b4), none, &d));
    assert_bytes_hex(d, ERR6);
    x7_bytes_free(&d);
    assert_x7_ok(x7_net_tcp_accept_v1(l, x7_bytes_view(&c), &d));
    assert_bytes_hex(d, ERR3);
    x7_bytes_free(&d);
    x7_bytes_free(&b4);
    drop_all();
  }
  assert_int_equal(count_fds(), before);
  x7_bytes_free(&c);
}

/* A blocked read is woken by a close from another thread instead of
 * sitting out its io timeout. */
struct blocked {
  int32_t h;
  struct x7_bytes doc;
  int64_t took;
};

static void *blocked_read(void *arg) {
  struct blocked *b = arg;
  struct x7_bytes c = {0};
  int64_t t0 = now_ms();
  if (x7_net_codec_caps_v1(0, 20000, 0, 0, &c)) abort();
  if (x7_net_tcp_stream_read_v1(b->h, 10, x7_bytes_view(&c), &b->doc))
    abort();
  b->took = now_ms() - t0;
  x7_bytes_free(&c);
  return NULL;
}

static void close_should_wake_a_blocked_read(void **state) {
  struct blocked b = {0};
  pthread_t t;
  int32_t cl, sv, v;
  (void)state;
  t_pair(&cl, &sv, NULL);
  b.h = cl;
  assert_int_equal(pthread_create(&t, NULL, blocked_read, &b), 0);
  sleep_ms(200);
  assert_x7_ok(x7_net_tcp_stream_close_v1(cl, &v));
  assert_int_equal(v, 1);
  pthread_join(t, NULL);
  assert_true(b.took < 10000);
  /* the woken read saw the end of its stream */
  assert_true(b.doc.len >= 8);
  x7_bytes_free(&b.doc);
  assert_x7_ok(x7_net_tcp_stream_read_v1(cl, 10, none, &b.doc));
  assert_bytes_hex(b.doc, ERR2);
  x7_bytes_free(&b.doc);
}

static void full_table_should_be_internal_error(void **state) {
  struct x7_bytes d = {0}, a = addr4(0), bound = {0};
  struct rlimit rl;
  long before;
  int32_t l;
  int fd;
  (void)state;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 4096 + 64)
    skip();
  /* a listener first, then UDP sockets up to the 4096th handle */
  l = t_listen(addr4(0), &bound);
  for (int32_t i = 2; i <= X7_SOCK_HANDLES_MAX; i++) {
    assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
    if (d.ptr[0] != 1 || x7__rd32(d.ptr + 4) != (uint32_t)i)
      fail_msg("udp bind %d failed", i);
    x7_bytes_free(&d);
  }
  assert_int_equal(x7__handles_count(&x7__live_socks), X7_SOCK_HANDLES_MAX);
  before = count_fds();
  /* every way to make a handle now fails with INTERNAL and keeps no
   * descriptor */
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR8);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR8);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&bound), none, &d));
  assert_bytes_hex(d, ERR8);
  x7_bytes_free(&d);
  /* that connect reached the listener's queue; accepting it fails too */
  assert_x7_ok(x7_net_tcp_accept_v1(l, none, &d));
  assert_bytes_hex(d, ERR8);
  x7_bytes_free(&d);
  fd = plain_connect(&bound, NULL);
  assert_x7_ok(x7_net_tcp_accept_v1(l, none, &d));
  assert_bytes_hex(d, ERR8);
  x7_bytes_free(&d);
  close(fd);
  assert_int_equal(count_fds(), before);
  /* one drop makes room at exactly that handle */
  {
    int32_t v;
    assert_x7_ok(x7_net_udp_drop_v1(77, &v));
    assert_int_equal(v, 1);
    assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
    assert_int_equal(x7__rd32(d.ptr + 4), 77);
    x7_bytes_free(&d);
  }
  x7_bytes_free(&a);
  x7_bytes_free(&bound);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      /* first: it pins the numbering of a fresh table */
      cmocka_unit_test_setup_teardown(handles_should_number_from_one, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(tcp_echo_should_round_trip, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          listen_should_report_bound_and_peer_addresses, setup, teardown),
      cmocka_unit_test_setup_teardown(
          stream_write_should_be_partial_and_time_out, setup, teardown),
      cmocka_unit_test_setup_teardown(wait_should_report_events, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(shutdown_should_half_close_tcp_only,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(close_and_drop_should_follow_slot_rules,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(udp_should_round_trip_on_ipv4, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(udp_should_round_trip_on_ipv6, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(udp_sendto_should_resolve_names, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(udp_errors_should_have_their_codes,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(dns_lookup_should_resolve_localhost,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(connect_errors_should_have_their_codes,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(read_and_accept_should_time_out, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          peer_reset_should_be_connect_error_without_sigpipe, setup,
          teardown),
      cmocka_unit_test_setup_teardown(read_after_reset_should_be_connect_error,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          descriptors_should_be_cloexec_and_nonblocking, setup, teardown),
      cmocka_unit_test_setup_teardown(error_paths_should_not_leak_descriptors,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(close_should_wake_a_blocked_read, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(full_table_should_be_internal_error,
                                      setup, teardown),
  };
  return cmocka_run_group_tests_name("be_live_sock", tests, group_setup,
                                     group_teardown);
}
