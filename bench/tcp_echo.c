/*
 * bench/tcp_echo.c - 64 MiB through a loopback TCP echo, twins against a
 * plain sockets loop in the same run.
 *
 * Both sides run the same shape: an echo server thread (read a chunk,
 * write it back whole) and a client with one thread writing the data in
 * chunks while the main thread reads the echo back.  "twins" does every
 * step through x7_net_tcp_* / x7_net_io_write_all_v1 (listen, connect,
 * accept included); "plain" uses blocking recv()/send() on the same
 * loopback.  Rounds alternate between the two so drift hits both; the
 * first round of each is a warm-up that also checks every byte.
 *
 * Output: one JSON object on stdout; ratio = twins / plain throughput
 * (goal >= 0.9).
 *
 * Usage: bench_tcp_echo [rounds [chunk_bytes]]   (default 11, 65536)
 */
#define _GNU_SOURCE /* MSG_NOSIGNAL */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <x7/net.h>

#define TOTAL (64u << 20)

static size_t chunk = 65536;
static uint8_t *src;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "bench_tcp_echo: %s failed\n", what);
  exit(1);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- twins ---- */

static const struct x7_view no_caps = {NULL, 0};

/* The u32 after the 4-byte header of an ok doc, or die. */
static uint32_t ok_u32(const struct x7_bytes *d, const char *what) {
  if (d->len < 8 || d->ptr[0] != 1) die(what);
  return (uint32_t)d->ptr[4] | (uint32_t)d->ptr[5] << 8 |
         (uint32_t)d->ptr[6] << 16 | (uint32_t)d->ptr[7] << 24;
}

static void *twin_server(void *arg) {
  int32_t l = *(int32_t *)arg, h, v;
  struct x7_bytes d = {0};
  if (x7_net_tcp_accept_v1(l, no_caps, &d)) die("accept");
  h = (int32_t)ok_u32(&d, "accept");
  x7_bytes_free(&d);
  for (;;) {
    struct x7_bytes w = {0};
    uint32_t n;
    if (x7_net_tcp_stream_read_v1(h, (int32_t)chunk, no_caps, &d))
      die("read");
    n = ok_u32(&d, "read");
    if (n == 0) break;
    /* echo straight from the read doc's payload: no copy */
    if (x7_net_io_write_all_v1(h, x7_view_of(d.ptr + 8, n), no_caps, &w))
      die("write_all");
    (void)ok_u32(&w, "write_all");
    x7_bytes_free(&w);
    x7_bytes_free(&d);
  }
  x7_bytes_free(&d);
  (void)x7_net_tcp_stream_drop_v1(h, &v);
  return NULL;
}

static void *twin_writer(void *arg) {
  int32_t h = *(int32_t *)arg, v;
  for (size_t off = 0; off < TOTAL; off += chunk) {
    struct x7_bytes w = {0};
    size_t n = TOTAL - off < chunk ? TOTAL - off : chunk;
    if (x7_net_io_write_all_v1(h, x7_view_of(src + off, n), no_caps, &w))
      die("client write_all");
    (void)ok_u32(&w, "client write_all");
    x7_bytes_free(&w);
  }
  if (x7_net_tcp_stream_shutdown_v1(h, 1, &v) || v != 1) die("shutdown");
  return NULL;
}

static double run_twins(int check) {
  struct x7_bytes a = {0}, d = {0}, bound = {0};
  pthread_t srv, wr;
  int32_t l, h, v;
  size_t got = 0;
  double t0;
  if (x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, 0, &a)) die("addr");
  if (x7_net_tcp_listen_v1(x7_bytes_view(&a), no_caps, &d)) die("listen");
  l = (int32_t)ok_u32(&d, "listen");
  if (x7_net_tcp_listen_bound_addr_v1(x7_bytes_view(&d), &bound))
    die("bound");
  x7_bytes_free(&d);
  t0 = now_s();
  if (pthread_create(&srv, NULL, twin_server, &l)) die("thread");
  if (x7_net_tcp_connect_v1(x7_bytes_view(&bound), no_caps, &d))
    die("connect");
  h = (int32_t)ok_u32(&d, "connect");
  x7_bytes_free(&d);
  if (pthread_create(&wr, NULL, twin_writer, &h)) die("thread");
  for (;;) {
    uint32_t n;
    if (x7_net_tcp_stream_read_v1(h, (int32_t)chunk, no_caps, &d))
      die("client read");
    n = ok_u32(&d, "client read");
    if (n == 0) break;
    if (check && (got + n > TOTAL || memcmp(d.ptr + 8, src + got, n)))
      die("echo check");
    got += n;
    x7_bytes_free(&d);
  }
  x7_bytes_free(&d);
  pthread_join(wr, NULL);
  pthread_join(srv, NULL);
  t0 = now_s() - t0;
  if (got != TOTAL) die("echo length");
  (void)x7_net_tcp_stream_drop_v1(h, &v);
  (void)x7_net_tcp_listener_drop_v1(l, &v);
  x7_bytes_free(&a);
  x7_bytes_free(&bound);
  return t0;
}

/* ---- plain sockets ---- */

static void send_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) die("send");
    p += w;
    n -= (size_t)w;
  }
}

static void *plain_server(void *arg) {
  int l = *(int *)arg, fd = accept(l, NULL, NULL);
  uint8_t *buf = malloc(chunk);
  if (fd < 0 || !buf) die("plain accept");
  for (;;) {
    ssize_t n = recv(fd, buf, chunk, 0);
    if (n < 0) die("plain recv");
    if (n == 0) break;
    send_all(fd, buf, (size_t)n);
  }
  close(fd);
  free(buf);
  return NULL;
}

static void *plain_writer(void *arg) {
  int fd = *(int *)arg;
  for (size_t off = 0; off < TOTAL; off += chunk)
    send_all(fd, src + off, TOTAL - off < chunk ? TOTAL - off : chunk);
  shutdown(fd, SHUT_WR);
  return NULL;
}

static double run_plain(int check) {
  struct sockaddr_in in;
  socklen_t len = sizeof in;
  pthread_t srv, wr;
  uint8_t *buf = malloc(chunk);
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;
  size_t got = 0;
  double t0;
  if (l < 0 || !buf) die("plain socket");
  memset(&in, 0, sizeof in);
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr *)&in, sizeof in) || listen(l, 128) ||
      getsockname(l, (struct sockaddr *)&in, &len))
    die("plain listen");
  t0 = now_s();
  if (pthread_create(&srv, NULL, plain_server, &l)) die("thread");
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&in, sizeof in))
    die("plain connect");
  if (pthread_create(&wr, NULL, plain_writer, &fd)) die("thread");
  for (;;) {
    ssize_t n = recv(fd, buf, chunk, 0);
    if (n < 0) die("plain client recv");
    if (n == 0) break;
    if (check &&
        (got + (size_t)n > TOTAL || memcmp(buf, src + got, (size_t)n)))
      die("plain echo check");
    got += (size_t)n;
  }
  pthread_join(wr, NULL);
  pthread_join(srv, NULL);
  t0 = now_s() - t0;
  if (got != TOTAL) die("plain echo length");
  close(fd);
  close(l);
  free(buf);
  return t0;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 11;
  double *tp, *tt, mp, mt;
  if (argc > 2) chunk = (size_t)strtoul(argv[2], NULL, 10);
  if (rounds < 1) rounds = 1;
  if (chunk < 1 || chunk > (1u << 20)) die("chunk size (1..1048576)");
  src = malloc(TOTAL);
  tp = calloc((size_t)rounds, sizeof *tp);
  tt = calloc((size_t)rounds, sizeof *tt);
  if (!src || !tp || !tt) die("malloc");
  for (size_t i = 0; i < TOTAL; i++) src[i] = (uint8_t)(i * 131u + (i >> 16));
  /* warm-up with byte checks, untimed */
  (void)run_plain(1);
  (void)run_twins(1);
  for (int r = 0; r < rounds; r++) {
    tp[r] = run_plain(0);
    tt[r] = run_twins(0);
  }
  qsort(tp, (size_t)rounds, sizeof *tp, cmp_double);
  qsort(tt, (size_t)rounds, sizeof *tt, cmp_double);
  mp = TOTAL / tp[rounds / 2] / (1 << 20);
  mt = TOTAL / tt[rounds / 2] / (1 << 20);
  printf("{\"bench\":\"tcp_echo\",\"bytes\":%u,\"chunk\":%zu,"
         "\"rounds\":%d,\"plain_mib_s\":%.1f,\"twins_mib_s\":%.1f,"
         "\"ratio\":%.3f,\"goal\":0.9}\n",
         TOTAL, chunk, rounds, mp, mt, mt / mp);
  free(src);
  free(tp);
  free(tt);
  return 0;
}
