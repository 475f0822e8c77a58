/*
 * bench/replay.c - cassettes: load time of a 10 000-interaction cassette
 * (1 KiB bodies), single-thread replay throughput with p50/p99 per
 * request, record overhead against live in the same run, and the peak
 * RSS of recording and replaying one large body through
 * fetch_to_file_v1.  One JSON object on stdout.
 *
 * The peer is an in-process keep-alive HTTP/1.1 server on 127.0.0.1
 * (every request: 200 and 1024 pattern bytes; /huge/<n>: n bytes,
 * streamed), so live and record talk to the same, cheap server.  The
 * large-body phase runs in a child forked before anything big is
 * allocated (and before any thread), so its ru_maxrss is its own.
 *
 * Usage: bench_replay [interactions] [huge_MiB] [replay_passes]
 *        (defaults 10000, 256, 5).  Goals (issue #6): load <= 50 ms,
 *        replay >= 200000 req/s, record >= 0.9 x live, large body
 *        < 32 MiB peak RSS.  Numbers from sanitized builds are not
 *        meaningful; the run still checks every response.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <x7/net.h>
#include <x7/x7_cassette.h>

#define BODY 1024
#define ROUNDS 9

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "bench_replay: %s\n", what);
  exit(1);
}

/* ---- the loopback server ---- */

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

static void *serve_conn(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[16384], body[BODY];
  size_t have = 0;
  for (size_t i = 0; i < BODY; i++) body[i] = (char)('a' + i % 26);
  for (;;) {
    char *end, head[256], *cl;
    size_t hl, need = 0, huge = 0;
    ssize_t k;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
      if (have == sizeof buf) goto out;
      k = recv(fd, buf + have, sizeof buf - have, 0);
      if (k <= 0) goto out;
      have += (size_t)k;
    }
    hl = (size_t)(end - buf) + 4;
    cl = memmem(buf, hl, "Content-Length:", 15);
    if (cl) need = (size_t)strtoul(cl + 15, NULL, 10);
    if (strncmp(buf, "GET /huge/", 10) == 0)
      huge = (size_t)strtoul(buf + 10, NULL, 10);
    while (have < hl + need) {
      k = recv(fd, buf + have, sizeof buf - have, 0);
      if (k <= 0) goto out;
      have += (size_t)k;
    }
    memmove(buf, buf + hl + need, have - hl - need);
    have -= hl + need;
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
             "Content-Length: %zu\r\n\r\n",
             huge ? huge : (size_t)BODY);
    if (write_all(fd, head, strlen(head))) goto out;
    if (!huge) {
      if (write_all(fd, body, BODY)) goto out;
    } else {
      static char chunk[65536];
      for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (char)('A' + i % 23);
      for (size_t sent = 0; sent < huge; sent += sizeof chunk) {
        size_t n = huge - sent < sizeof chunk ? huge - sent : sizeof chunk;
        if (write_all(fd, chunk, n)) goto out;
      }
    }
  }
out:
  close(fd);
  return NULL;
}

static void *serve(void *arg) {
  int ls = (int)(intptr_t)arg;
  for (;;) {
    pthread_t t;
    int one = 1, fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd) != 0)
      close(fd);
    else
      pthread_detach(t);
  }
}

static uint16_t server_start(void) {
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  pthread_t t;
  int one = 1, ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 64) ||
      getsockname(ls, (struct sockaddr *)&a, &al))
    die("bind");
  if (pthread_create(&t, NULL, serve, (void *)(intptr_t)ls)) die("thread");
  pthread_detach(t);
  return ntohs(a.sin_port);
}

/* ---- requests ---- */

static struct x7_bytes request(uint16_t port, const char *path,
                               int32_t max_body) {
  struct x7_bytes h = {0}, caps = {0}, d = {0};
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
  if (x7_net_http_spec_headers_empty_v1(&h) ||
      x7_net_http_spec_caps_v1(0, 60, 0, 4096, 64, max_body, &caps) ||
      x7_net_http_spec_req_v1(1, x7_view_str(url), x7_bytes_view(&h),
                              x7_view_of(NULL, 0), x7_bytes_view(&caps), &d))
    die("request");
  x7_bytes_free(&h);
  x7_bytes_free(&caps);
  return d;
}

static void check_doc(const struct x7_bytes *d, int32_t want_len) {
  int32_t status = 0;
  struct x7_bytes body = {0};
  x7_net_http_resp_status_v1(x7_bytes_view(d), &status);
  if (status != 200) die("a response was not 200");
  if (want_len >= 0) {
    x7_net_http_resp_body_v1(x7_bytes_view(d), &body);
    if ((int32_t)body.len != want_len) die("a body has the wrong length");
    x7_bytes_free(&body);
  }
}

static struct x7_cassette *open_c(const char *path, enum x7_rr_mode mode,
                                  double *psecs) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c = NULL;
  double t0;
  if (x7_cassette_config_new(&cfg) || x7_cassette_config_set_mode(cfg, mode) ||
      x7_cassette_config_set_transport(cfg, "live"))
    die("config");
  t0 = now_s();
  if (x7_cassette_open(path, cfg, &c)) {
    fprintf(stderr, "%s\n", x7_cassette_errmsg(NULL));
    die("open");
  }
  if (psecs) *psecs = now_s() - t0;
  x7_cassette_config_free(cfg);
  return c;
}

static long maxrss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* The large body, in a child: record through the live backend into the
 * sidecar store, then replay to a file.  Writes "<rss_kib> <rec_s>
 * <rep_s>" to fd. */
static void huge_child(int fd, const char *dir, uint16_t port, size_t mib) {
  char cas[512], path[64], line[128];
  struct x7_cassette *c;
  struct x7_bytes req, d;
  double t0, trec, trep;
  int32_t flen = 0;
  snprintf(cas, sizeof cas, "%s/huge.json", dir);
  snprintf(path, sizeof path, "/huge/%zu", mib << 20);
  if (chdir(dir)) die("chdir");
  req = request(port, path, INT32_MAX);
  c = open_c(cas, X7_RR_REWRITE, NULL);
  t0 = now_s();
  if (x7_cassette_fetch_to_file_v1(c, x7_bytes_view(&req),
                                   x7_view_str("huge.rec"), &d))
    die("huge record");
  trec = now_s() - t0;
  x7_net_http_resp_file_len_v1(x7_bytes_view(&d), &flen);
  if ((size_t)flen != mib << 20) die("huge record length");
  x7_bytes_free(&d);
  if (x7_cassette_save(c)) die("huge save");
  x7_cassette_free(c);
  unlink("huge.rec");
  c = open_c(cas, X7_RR_REPLAY, NULL);
  t0 = now_s();
  if (x7_cassette_fetch_to_file_v1(c, x7_bytes_view(&req),
                                   x7_view_str("huge.rep"), &d))
    die("huge replay");
  trep = now_s() - t0;
  x7_net_http_resp_file_len_v1(x7_bytes_view(&d), &flen);
  if ((size_t)flen != mib << 20) die("huge replay length");
  x7_bytes_free(&d);
  x7_cassette_free(c);
  unlink("huge.rep");
  x7_bytes_free(&req);
  snprintf(line, sizeof line, "%ld %.6f %.6f", maxrss_kib(), trec, trep);
  if (write(fd, line, strlen(line)) < 0) die("pipe");
  _exit(0);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
  size_t huge_mib = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 256;
  int passes = argc > 3 ? atoi(argv[3]) : 5;
  char dir[] = "/tmp/bench-replay-XXXXXX", cas[128], cmd[160];
  struct x7_bytes *reqs, *rec, *live;
  struct x7_cassette *c;
  double t0, live_s, rec_s, save_s, load_s = 1e9, rep_s, *lat;
  long huge_rss = -1;
  double huge_rec = 0, huge_rep = 0;
  uint16_t port;
  struct stat st;
  int pfd[2];

  if (n == 0 || passes <= 0) die("usage: bench_replay [n] [huge_MiB] [passes]");
  if (!mkdtemp(dir)) die("mkdtemp");
  snprintf(cas, sizeof cas, "%s/bench.json", dir);

  /* Fork before any thread exists (a lock held by another thread at fork
   * time would stay held in the child forever); the child starts its own
   * server. */
  if (huge_mib) {
    pid_t pid;
    char line[128] = {0};
    if (pipe(pfd)) die("pipe");
    pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      close(pfd[0]);
      huge_child(pfd[1], dir, server_start(), huge_mib);
    }
    close(pfd[1]);
    if (read(pfd[0], line, sizeof line - 1) <= 0) die("huge child failed");
    close(pfd[0]);
    waitpid(pid, NULL, 0);
    if (sscanf(line, "%ld %lf %lf", &huge_rss, &huge_rec, &huge_rep) != 3)
      die("huge child output");
  }
  port = server_start();

  reqs = calloc(n, sizeof *reqs);
  rec = calloc(n, sizeof *rec);
  live = calloc(n, sizeof *live);
  lat = calloc(n * (size_t)passes, sizeof *lat);
  if (!reqs || !rec || !live || !lat) die("oom");
  for (size_t i = 0; i < n; i++) {
    char path[32];
    snprintf(path, sizeof path, "/i/%zu", i);
    reqs[i] = request(port, path, 65536);
  }

  /* Live and record alternate in rounds over disjoint slices of the
   * requests, so drift on a noisy machine hits both sides; each side's
   * rate is the median of its rounds. */
  {
    struct x7_bytes d;
    if (x7_backend_select("live") ||
        x7_net_http_fetch_v1(x7_bytes_view(&reqs[0]), &d))
      die("live");
    x7_bytes_free(&d);
  }
  c = open_c(cas, X7_RR_REWRITE, NULL);
  {
    struct x7_bytes d;
    /* the recording side's first fetch resolves and warms its transport */
    if (x7_cassette_http_fetch(c, NULL, &d) != X7_EINVAL) die("warm");
  }
  live_s = rec_s = 0;
  {
    double lr[ROUNDS], rr[ROUNDS];
    size_t per = n / ROUNDS;
    for (int k = 0; k < ROUNDS; k++) {
      size_t a = (size_t)k * per, b = k == ROUNDS - 1 ? n : a + per;
      double t = now_s();
      /* Both sides keep their docs (the recorded ones are compared with
       * the replay later), so both pay the same memory growth. */
      for (size_t i = a; i < b; i++) {
        if (x7_net_http_fetch_v1(x7_bytes_view(&reqs[i]), &live[i]))
          die("live fetch");
        check_doc(&live[i], BODY);
      }
      lr[k] = (double)(b - a) / (now_s() - t);
      t = now_s();
      for (size_t i = a; i < b; i++) {
        if (x7_cassette_fetch_v1(c, x7_bytes_view(&reqs[i]), &rec[i]))
          die("record fetch");
        check_doc(&rec[i], BODY);
      }
      rr[k] = (double)(b - a) / (now_s() - t);
    }
    qsort(lr, ROUNDS, sizeof *lr, cmp_double);
    qsort(rr, ROUNDS, sizeof *rr, cmp_double);
    live_s = (double)n / lr[ROUNDS / 2];
    rec_s = (double)n / rr[ROUNDS / 2];
  }
  t0 = now_s();
  if (x7_cassette_save(c)) die("save");
  save_s = now_s() - t0;
  x7_cassette_free(c);

  /* load: best of 5 */
  for (int k = 0; k < 5; k++) {
    double s;
    c = open_c(cas, X7_RR_REPLAY, &s);
    if (s < load_s) load_s = s;
    if (k < 4) x7_cassette_free(c);
  }

  /* replay: `passes` passes over every interaction */
  t0 = now_s();
  for (int p = 0; p < passes; p++) {
    x7_cassette_rewind(c);
    for (size_t i = 0; i < n; i++) {
      struct x7_bytes d;
      double a = now_s();
      if (x7_cassette_fetch_v1(c, x7_bytes_view(&reqs[i]), &d))
        die("replay fetch");
      lat[(size_t)p * n + i] = now_s() - a;
      if (d.len != rec[i].len || memcmp(d.ptr, rec[i].ptr, d.len) != 0)
        die("replay differs from the recording");
      x7_bytes_free(&d);
    }
  }
  rep_s = now_s() - t0;
  x7_cassette_free(c);
  qsort(lat, n * (size_t)passes, sizeof *lat, cmp_double);

  if (stat(cas, &st)) die("stat");
  {
    double live_rps = (double)n / live_s, rec_rps = (double)n / rec_s;
    double rep_rps = (double)n * passes / rep_s;
    double p50 = lat[n * (size_t)passes / 2] * 1e6;
    double p99 = lat[n * (size_t)passes * 99 / 100] * 1e6;
    printf("{\"interactions\":%zu,\"body_bytes\":%d,\"cassette_bytes\":%lld,"
           "\"load_ms\":%.3f,\"replay_rps\":%.0f,\"replay_p50_us\":%.2f,"
           "\"replay_p99_us\":%.2f,\"live_rps\":%.0f,\"record_rps\":%.0f,"
           "\"record_vs_live\":%.3f,\"save_ms\":%.3f,"
           "\"huge_mib\":%zu,\"huge_record_s\":%.3f,\"huge_replay_s\":%.3f,"
           "\"huge_peak_rss_mib\":%.1f,"
           "\"goals\":{\"load_le_50ms\":%s,\"replay_ge_200k\":%s,"
           "\"record_ge_0.9_live\":%s,\"huge_rss_lt_32mib\":%s}}\n",
           n, BODY, (long long)st.st_size, load_s * 1e3, rep_rps, p50, p99,
           live_rps, rec_rps, rec_rps / live_rps, save_s * 1e3, huge_mib,
           huge_rec, huge_rep, huge_rss / 1024.0,
           load_s <= 0.050 ? "true" : "false",
           rep_rps >= 200000 ? "true" : "false",
           rec_rps >= 0.9 * live_rps ? "true" : "false",
           huge_mib == 0 ? "null" : (huge_rss < 32 * 1024 ? "true" : "false"));
  }
  for (size_t i = 0; i < n; i++) {
    x7_bytes_free(&reqs[i]);
    x7_bytes_free(&rec[i]);
    x7_bytes_free(&live[i]);
  }
  free(live);
  free(reqs);
  free(rec);
  free(lat);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (!getenv("BENCH_KEEP") && system(cmd) != 0) die("cleanup");
  return 0;
}
