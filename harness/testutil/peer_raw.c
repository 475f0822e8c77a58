/* peer_raw.c - raw in-test servers for misbehaviour nginx cannot produce
 * (see peer.h).  One thread per server runs a poll() loop over the
 * listener, a wake-up pipe and every open connection, so a stalled client
 * never blocks the others or x7t_raw_stop. */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

#define MAX_CONNS 64
#define HEAD_MAX 16384
#define IDLE_MS 60000
#define DRAIN_MS 2000
/* Bytes sent to one connection per loop turn, so a fast reader of an
 * endless stream cannot starve the wake-up pipe. */
#define TURN_BUDGET (256 * 1024)

/* C_HEAD: reading a request head; C_BODY: discarding a keep-alive
 * request body before answering; C_WRITE: sending a whole response;
 * C_DRAIN: half-closed, reading until the client closes. */
enum cstate { C_HEAD, C_BODY, C_WRITE, C_DRAIN, C_STALL, C_ENDLESS, C_SLOW };

struct conn {
  int fd;
  enum cstate st;
  long id;   /* accept order, from 1 */
  long nreq; /* requests seen on this connection */
  char in[HEAD_MAX];
  size_t in_len;
  size_t body_left; /* keep-alive request body still to discard */
  int is_head;      /* keep-alive: answer without a body */
  char *out;
  size_t out_len, out_off, out_cap;
  int close_after;
  unsigned long long endless_n;
  size_t slow_sent;
  int64_t next_tick;
  int64_t deadline; /* 0: none */
};

struct x7t_raw {
  enum x7t_raw_behaviour b;
  char ip[INET6_ADDRSTRLEN];
  int v6;
  uint16_t port;
  int lfd;
  int wake[2];
  pthread_t th;
  char *arg;
  size_t arg_len;
  struct x7t_raw_slow slow;
  atomic_long conns, reqs;
  long next_id;
  struct conn *c[MAX_CONNS];
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* connection helpers                                                  */

static void conn_free(struct x7t_raw *r, int i) {
  struct conn *c = r->c[i];
  close(c->fd);
  free(c->out);
  free(c);
  r->c[i] = NULL;
}

/* SO_LINGER {1, 0} turns close() into an RST. */
static void rst_close_fd(int fd) {
  struct linger lg = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
}

static int out_append(struct conn *c, const void *p, size_t n) {
  if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + n) cap *= 2;
    char *np = realloc(c->out, cap);
    if (!np) return -1;
    c->out = np;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  return 0;
}

static int out_printf(struct conn *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int out_printf(struct conn *c, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof buf) return -1;
  return out_append(c, buf, (size_t)n);
}

static void consume_in(struct conn *c, size_t n) {
  memmove(c->in, c->in + n, c->in_len - n);
  c->in_len -= n;
}

static int ieq_prefix(const char *line, size_t len, const char *name) {
  size_t n = strlen(name);
  if (len < n) return 0;
  for (size_t i = 0; i < n; i++) {
    char a = line[i], b = name[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (a != b) return 0;
  }
  return 1;
}

static int icontains(const char *s, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; i++)
    if (ieq_prefix(s + i, len - i, needle)) return 1;
  return 0;
}

/* Just enough HTTP/1.1 to frame keep-alive requests. */
struct head_info {
  size_t content_length;
  int close;
  int is_head;
  int expect_continue;
};

static void parse_head(const char *h, size_t len, struct head_info *hi) {
  const char *end = h + len, *line = h;
  int first = 1, http10 = 0, keep_alive = 0;
  memset(hi, 0, sizeof *hi);
  while (line < end) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    size_t n = (size_t)((eol ? eol : end) - line);
    if (n && line[n - 1] == '\r') n--;
    if (first) {
      hi->is_head = n >= 5 && memcmp(line, "HEAD ", 5) == 0;
      http10 = n >= 8 && memcmp(line + n - 8, "HTTP/1.0", 8) == 0;
      first = 0;
    } else if (ieq_prefix(line, n, "content-length:")) {
      size_t v = 0;
      for (size_t i = 15; i < n; i++)
        if (line[i] >= '0' && line[i] <= '9')
          v = v * 10 + (size_t)(line[i] - '0');
      hi->content_length = v;
    } else if (ieq_prefix(line, n, "connection:")) {
      if (icontains(line + 11, n - 11, "close")) hi->close = 1;
      if (icontains(line + 11, n - 11, "keep-alive")) keep_alive = 1;
    } else if (ieq_prefix(line, n, "expect:")) {
      hi->expect_continue = icontains(line + 7, n - 7, "100-continue");
    } else if (ieq_prefix(line, n, "transfer-encoding:")) {
      /* Cannot frame a chunked request body: answer and hang up. */
      hi->close = 1;
    }
    if (!eol) break;
    line = eol + 1;
  }
  if (http10 && !keep_alive) hi->close = 1;
}

/* ------------------------------------------------------------------ */
/* per-connection state machine                                        */

/* Returns -1 when the connection must be closed by the caller. */
static int on_head(struct x7t_raw *r, struct conn *c, size_t head_len) {
  atomic_fetch_add(&r->reqs, 1);
  c->nreq++;
  switch (r->b) {
  case X7T_RAW_SCRIPTED:
    consume_in(c, head_len);
    if (out_append(c, r->arg, r->arg_len) != 0) return -1;
    c->st = C_WRITE;
    c->close_after = 1;
    return 0;
  case X7T_RAW_RESET_AFTER_HEAD:
    rst_close_fd(c->fd);
    c->fd = -1;
    return -1;
  case X7T_RAW_STALL:
    c->st = C_STALL;
    c->in_len = 0;
    c->deadline = 0;
    return 0;
  case X7T_RAW_ENDLESS_HEADERS:
    c->st = C_ENDLESS;
    c->deadline = 0;
    return out_printf(c, "HTTP/1.1 200 OK\r\n");
  case X7T_RAW_SLOW_BODY:
    c->st = C_SLOW;
    c->deadline = 0;
    c->next_tick = now_ms();
    return out_printf(c,
                      "HTTP/1.1 200 OK\r\n"
                      "Content-Type: application/octet-stream\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      r->slow.content_length);
  case X7T_RAW_KEEPALIVE: {
    struct head_info hi;
    parse_head(c->in, head_len, &hi);
    consume_in(c, head_len);
    c->body_left = hi.content_length;
    c->close_after = hi.close;
    c->is_head = hi.is_head;
    c->st = C_BODY;
    /* The body is read before answering so that a client waiting for
     * 100 Continue sends it and the next request head stays aligned. */
    if (hi.expect_continue && hi.content_length &&
        out_printf(c, "HTTP/1.1 100 Continue\r\n\r\n") != 0)
      return -1;
    return 0;
  }
  case X7T_RAW_RESET:
    break;
  }
  return -1;
}

static int keepalive_answer(struct x7t_raw *r, struct conn *c) {
  if (out_printf(c,
                 "HTTP/1.1 200 OK\r\n"
                 "Content-Type: application/octet-stream\r\n"
                 "Content-Length: %zu\r\n"
                 "X-Conn: %ld\r\n"
                 "X-Req: %ld\r\n"
                 "%s\r\n",
                 r->arg_len, c->id, c->nreq,
                 c->close_after ? "Connection: close\r\n" : "") != 0)
    return -1;
  if (!c->is_head && out_append(c, r->arg, r->arg_len) != 0) return -1;
  c->st = C_WRITE;
  c->deadline = now_ms() + IDLE_MS;
  return 0;
}

/* Consume buffered input while in C_HEAD or C_BODY (pipelined keep-alive
 * requests arrive in one read). */
static int process_input(struct x7t_raw *r, struct conn *c) {
  while (c->st == C_HEAD || c->st == C_BODY) {
    size_t head_len = 0;
    if (c->st == C_BODY) {
      size_t n = c->body_left < c->in_len ? c->body_left : c->in_len;
      consume_in(c, n);
      c->body_left -= n;
      if (c->body_left) return 0;
      if (keepalive_answer(r, c) != 0) return -1;
      return 0;
    }
    for (size_t i = 0; i + 4 <= c->in_len; i++) {
      if (memcmp(c->in + i, "\r\n\r\n", 4) == 0) {
        head_len = i + 4;
        break;
      }
    }
    if (!head_len && c->in_len == HEAD_MAX) head_len = HEAD_MAX;
    if (!head_len) return 0;
    if (on_head(r, c, head_len) != 0) return -1;
  }
  return 0;
}

/* Read what is there.  -1: EOF or error (close), 0: ok.  In states that
 * do not parse, input is discarded. */
static int do_read(struct x7t_raw *r, struct conn *c) {
  char sink[4096];
  for (;;) {
    char *dst = sink;
    size_t room = sizeof sink;
    ssize_t n;
    if (c->st == C_WRITE) return 0; /* pipelined input waits */
    if (c->st == C_HEAD || c->st == C_BODY) {
      dst = c->in + c->in_len;
      room = HEAD_MAX - c->in_len;
      if (!room) return process_input(r, c);
    }
    n = recv(c->fd, dst, room, 0);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
    if (c->st == C_HEAD || c->st == C_BODY) {
      c->in_len += (size_t)n;
      c->deadline = now_ms() + IDLE_MS;
      if (process_input(r, c) != 0) return -1;
    }
  }
}

static int refill(struct x7t_raw *r, struct conn *c) {
  if (c->st == C_ENDLESS) {
    char val[49];
    x7t_pattern_fill(val, 48, 0);
    val[48] = '\0';
    /* About 4 KiB of header lines per refill. */
    for (int i = 0; i < 48; i++)
      if (out_printf(c, "X-Endless-%llu: %s\r\n", ++c->endless_n, val) != 0)
        return -1;
    return 0;
  }
  if (c->st == C_SLOW && c->slow_sent < r->slow.content_length &&
      now_ms() >= c->next_tick) {
    char buf[4096];
    size_t n = r->slow.content_length - c->slow_sent;
    if (n > r->slow.step) n = r->slow.step;
    if (n > sizeof buf) n = sizeof buf;
    x7t_pattern_fill(buf, n, c->slow_sent);
    c->slow_sent += n;
    c->next_tick += r->slow.interval_ms;
    return out_append(c, buf, n);
  }
  return 0;
}

/* Send pending output.  -1: close the connection. */
static int do_write(struct x7t_raw *r, struct conn *c) {
  size_t budget = TURN_BUDGET;
  for (;;) {
    while (c->out_off < c->out_len) {
      ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                       MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
      }
      c->out_off += (size_t)n;
      if (c->st == C_WRITE) c->deadline = now_ms() + IDLE_MS;
      if ((size_t)n >= budget) return 0;
      budget -= (size_t)n;
    }
    switch (c->st) {
    case C_WRITE:
      if (c->close_after) {
        shutdown(c->fd, SHUT_WR);
        c->st = C_DRAIN;
        c->deadline = now_ms() + DRAIN_MS;
        return 0;
      }
      c->st = C_HEAD;
      c->deadline = now_ms() + IDLE_MS;
      if (process_input(r, c) != 0) return -1;
      if (c->st != C_WRITE) return 0;
      break;
    case C_ENDLESS:
      if (refill(r, c) != 0) return -1;
      break;
    case C_SLOW:
      if (c->slow_sent == r->slow.content_length) {
        shutdown(c->fd, SHUT_WR);
        c->st = C_DRAIN;
        c->deadline = now_ms() + DRAIN_MS;
        return 0;
      }
      if (refill(r, c) != 0) return -1;
      if (c->out_off == c->out_len) return 0; /* wait for the next tick */
      break;
    default:
      return 0;
    }
  }
}

static short want_events(const struct conn *c) {
  short ev = c->st == C_WRITE ? 0 : POLLIN;
  if (c->out_off < c->out_len || c->st == C_ENDLESS) ev |= POLLOUT;
  return ev;
}

/* States whose progress does not depend on input. */
static int needs_write(const struct conn *c) {
  return c->out_off < c->out_len || c->st == C_WRITE || c->st == C_SLOW ||
         c->st == C_ENDLESS;
}

static void accept_all(struct x7t_raw *r) {
  for (;;) {
    int slot = -1, fd;
    for (int i = 0; i < MAX_CONNS; i++) {
      if (!r->c[i]) {
        slot = i;
        break;
      }
    }
    if (slot < 0) return;
    fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return; /* EAGAIN or a connection that died queued */
    atomic_fetch_add(&r->conns, 1);
    r->next_id++;
    if (r->b == X7T_RAW_RESET) {
      rst_close_fd(fd);
      continue;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    c->id = r->next_id;
    c->st = C_HEAD;
    c->deadline = now_ms() + IDLE_MS;
    r->c[slot] = c;
  }
}

static void *server_main(void *arg) {
  struct x7t_raw *r = arg;
  struct pollfd pfd[MAX_CONNS + 2];
  int idx[MAX_CONNS + 2];
  for (;;) {
    int n = 0, timeout = 1000, room = 0;
    int64_t now = now_ms();
    pfd[n++] = (struct pollfd){r->wake[0], POLLIN, 0};
    for (int i = 0; i < MAX_CONNS; i++) room |= r->c[i] == NULL;
    pfd[n++] = (struct pollfd){r->lfd, (short)(room ? POLLIN : 0), 0};
    for (int i = 0; i < MAX_CONNS; i++) {
      struct conn *c = r->c[i];
      if (!c) continue;
      idx[n] = i;
      pfd[n++] = (struct pollfd){c->fd, want_events(c), 0};
      if (c->deadline && c->deadline - now < timeout)
        timeout = (int)(c->deadline - now);
      if (c->st == C_SLOW && c->out_off == c->out_len &&
          c->next_tick - now < timeout)
        timeout = (int)(c->next_tick - now);
    }
    if (timeout < 0) timeout = 0;
    if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) break;
    if (pfd[0].revents) break;
    if (pfd[1].revents & POLLIN) accept_all(r);
    now = now_ms();
    for (int k = 2; k < n; k++) {
      int i = idx[k], bad = 0;
      struct conn *c = r->c[i];
      short ev = pfd[k].revents;
      if (!c) continue;
      if (ev & POLLNVAL) bad = 1;
      if (!bad && (ev & (POLLIN | POLLHUP | POLLERR))) bad = do_read(r, c);
      if (!bad && needs_write(c)) bad = do_write(r, c);
      if (!bad && c->deadline && now >= c->deadline) bad = 1;
      if (bad) {
        if (c->fd < 0) {
          free(c->out);
          free(c);
          r->c[i] = NULL;
        } else {
          conn_free(r, i);
        }
      }
    }
  }
  for (int i = 0; i < MAX_CONNS; i++)
    if (r->c[i]) conn_free(r, i);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* public                                                              */

int x7t_raw_server_start_on(const char *ip, enum x7t_raw_behaviour b,
                            const void *arg, size_t arg_len,
                            struct x7t_raw **pout) {
  struct sockaddr_storage ss;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  socklen_t len;
  struct x7t_raw *r;
  int e;

  if (!pout) return x7t_peer_fail(X7T_PEER_ERR, "pout is NULL");
  *pout = NULL;
  if (!ip ||
      (b != X7T_RAW_SCRIPTED && b != X7T_RAW_STALL && b != X7T_RAW_RESET &&
       b != X7T_RAW_RESET_AFTER_HEAD && b != X7T_RAW_ENDLESS_HEADERS &&
       b != X7T_RAW_SLOW_BODY && b != X7T_RAW_KEEPALIVE))
    return x7t_peer_fail(X7T_PEER_ERR, "raw: bad ip or behaviour");
  if (arg_len && !arg) return x7t_peer_fail(X7T_PEER_ERR, "raw: arg is NULL");
  if (b == X7T_RAW_SLOW_BODY && arg && arg_len != sizeof(struct x7t_raw_slow))
    return x7t_peer_fail(X7T_PEER_ERR,
                         "raw: SLOW_BODY arg must be struct x7t_raw_slow");
  r = calloc(1, sizeof *r);
  if (!r) return x7t_peer_fail(X7T_PEER_ERR, "out of memory");
  r->b = b;
  r->lfd = r->wake[0] = r->wake[1] = -1;
  atomic_init(&r->conns, 0);
  atomic_init(&r->reqs, 0);
  r->slow = (struct x7t_raw_slow){1048576, 1, 50};
  if (b == X7T_RAW_SLOW_BODY && arg) {
    const struct x7t_raw_slow *s = arg;
    if (s->content_length) r->slow.content_length = s->content_length;
    if (s->step) r->slow.step = s->step;
    if (s->interval_ms > 0) r->slow.interval_ms = s->interval_ms;
  } else if (arg_len) {
    r->arg = malloc(arg_len);
    if (!r->arg) goto oom;
    memcpy(r->arg, arg, arg_len);
    r->arg_len = arg_len;
  }
  snprintf(r->ip, sizeof r->ip, "%s", ip);
  memset(&ss, 0, sizeof ss);
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    len = sizeof *a4;
  } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    len = sizeof *a6;
    r->v6 = 1;
  } else {
    free(r->arg);
    free(r);
    return x7t_peer_fail(X7T_PEER_ERR, "raw: not an IP address: %s", ip);
  }
  r->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&ss, len) != 0 ||
      listen(r->lfd, 128) != 0 ||
      getsockname(r->lfd, (struct sockaddr *)&ss, &len) != 0 ||
      pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) != 0)
    goto sys;
  r->port = ntohs(r->v6 ? a6->sin6_port : a4->sin_port);
  if ((e = pthread_create(&r->th, NULL, server_main, r)) != 0) {
    errno = e;
    goto sys;
  }
  *pout = r;
  return X7T_PEER_OK;
sys:
  e = errno;
  if (r->lfd >= 0) close(r->lfd);
  if (r->wake[0] >= 0) close(r->wake[0]);
  if (r->wake[1] >= 0) close(r->wake[1]);
  free(r->arg);
  free(r);
  return x7t_peer_fail(X7T_PEER_ERR, "raw server on %s: %s", ip, strerror(e));
oom:
  free(r);
  return x7t_peer_fail(X7T_PEER_ERR, "out of memory");
}

int x7t_raw_server_start(enum x7t_raw_behaviour b, const void *arg,
                         size_t arg_len, struct x7t_raw **pout) {
  return x7t_raw_server_start_on("127.0.0.1", b, arg, arg_len, pout);
}

uint16_t x7t_raw_port(const struct x7t_raw *r) { return r ? r->port : 0; }

int x7t_raw_url(const struct x7t_raw *r, const char *path, char *buf,
                size_t buflen) {
  if (!r || !buf) return x7t_peer_fail(X7T_PEER_ERR, "raw_url: NULL");
  if ((size_t)snprintf(buf, buflen,
                       r->v6 ? "http://[%s]:%u%s" : "http://%s:%u%s", r->ip,
                       (unsigned)r->port, path ? path : "/") >= buflen)
    return x7t_peer_fail(X7T_PEER_ERR, "url buffer too small");
  return X7T_PEER_OK;
}

long x7t_raw_connections(const struct x7t_raw *r) {
  return r ? atomic_load(&((struct x7t_raw *)r)->conns) : 0;
}

long x7t_raw_requests(const struct x7t_raw *r) {
  return r ? atomic_load(&((struct x7t_raw *)r)->reqs) : 0;
}

int x7t_raw_wait_connections(const struct x7t_raw *r, long n, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  while (x7t_raw_connections(r) < n) {
    struct timespec ts = {0, 2000000};
    if (now_ms() >= deadline)
      return x7t_peer_fail(X7T_PEER_ERR,
                           "raw: %ld connections after %d ms, wanted %ld",
                           x7t_raw_connections(r), timeout_ms, n);
    nanosleep(&ts, NULL);
  }
  return X7T_PEER_OK;
}

void x7t_raw_stop(struct x7t_raw *r) {
  if (!r) return;
  while (write(r->wake[1], "x", 1) < 0 && errno == EINTR) {
  }
  pthread_join(r->th, NULL);
  close(r->lfd);
  close(r->wake[0]);
  close(r->wake[1]);
  free(r->arg);
  free(r);
}
