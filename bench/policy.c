/*
 * bench/policy.c - what the sandbox costs per connect: the whole decision
 * for one destination (operation switches, canonical host, name or
 * address lookup, the check of a resolved address) through
 * x7_policy_check, with allow lists of 10, 1 000 and 100 000 entries.
 *
 * Each list is half names, a quarter exact IPv4 addresses and a quarter
 * /24 CIDRs (the environment carries any number of entries; a policy
 * file at most 256).  Queries mix allowed names with a public answer,
 * allowed addresses, addresses inside a CIDR and misses of each kind, in
 * a fixed pseudo-random order.  Goal (issue #5): median <= 1 us at 1 000
 * entries, and growth well below linear.
 *
 * Output: one JSON object on stdout (medians over rounds of BATCH calls;
 * machines are noisy, so compare ratios across machines, not numbers).
 * Exit status 1 if a decision comes out wrong.
 *
 * Usage: bench_policy [rounds]   (default 201)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <x7/net.h>

#define BATCH 1000
#define QUERIES 4096

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

struct query {
  char host[48];
  const char *addr; /* the resolved address of a name, or NULL */
  uint32_t port;
  int want;
};

static void die(const char *what) {
  fprintf(stderr, "bench_policy: %s\n", what);
  exit(1);
}

/* Entry i of a list of n: name, exact address or CIDR.  The same i always
 * gives the same entry, so queries can aim at entries that exist. */
static void entry(size_t i, size_t n, char *buf, size_t len) {
  size_t q = n / 4 ? n / 4 : 1;
  if (i < n / 2)
    snprintf(buf, len, "host%zu.example", i);
  else if (i < n / 2 + q)
    snprintf(buf, len, "1.%zu.%zu.%zu", (i >> 16) & 255, (i >> 8) & 255,
             i & 255);
  else
    snprintf(buf, len, "8.%zu.%zu.0/24", (i >> 8) & 255, i & 255);
}

static struct x7_policy *make_policy(size_t n, double *pbuild_ms) {
  size_t cap = n * 40 + 64, len = 0;
  char *env = malloc(cap), e[64];
  const char *envp[] = {"X07_OS_SANDBOXED=1",     "X07_OS_NET=1",
                        "X07_OS_NET_ALLOW_TCP=1", "X07_OS_NET_ALLOW_DNS=1",
                        env,                      NULL};
  struct x7_policy *p = NULL;
  double t0;
  if (!env) die("out of memory");
  len = (size_t)snprintf(env, cap, "X07_OS_NET_ALLOW_HOSTS=");
  for (size_t i = 0; i < n; i++) {
    entry(i, n, e, sizeof e);
    len += (size_t)snprintf(env + len, cap - len, "%s%s:443", i ? ";" : "", e);
  }
  t0 = now_ns();
  if (x7_policy_env_read(envp, &p) != X7_OK) die("x7_policy_env_read");
  *pbuild_ms = (now_ns() - t0) / 1e6;
  free(env);
  return p;
}

static void make_queries(struct query *q, size_t n) {
  size_t quarter = n / 4 ? n / 4 : 1;
  for (size_t k = 0; k < QUERIES; k++) {
    uint32_t r = next_rand(), kind = r % 6;
    size_t i;
    q[k].port = 443;
    q[k].addr = NULL;
    q[k].want = 1;
    switch (kind) {
    case 0: /* an allowed name, resolved to a public address */
    case 1:
      i = (size_t)next_rand() % (n / 2 ? n / 2 : 1);
      snprintf(q[k].host, sizeof q[k].host, "HOST%zu.example.", i);
      q[k].addr = "93.184.216.34";
      if (n / 2 == 0) q[k].want = 0;
      break;
    case 2: /* an exact address entry */
      i = n / 2 + (size_t)next_rand() % quarter;
      snprintf(q[k].host, sizeof q[k].host, "1.%zu.%zu.%zu", (i >> 16) & 255,
               (i >> 8) & 255, i & 255);
      break;
    case 3: /* inside a CIDR entry */
      i = n / 2 + quarter + (size_t)next_rand() % quarter;
      if (i >= n) i = n - 1;
      snprintf(q[k].host, sizeof q[k].host, "8.%zu.%zu.%u", (i >> 8) & 255,
               i & 255, (unsigned)(next_rand() % 256));
      break;
    case 4: /* a name that is not listed: denied before DNS */
      snprintf(q[k].host, sizeof q[k].host, "other%u.example",
               (unsigned)next_rand());
      q[k].want = 0;
      break;
    default: /* an allowed name on a port that is not */
      i = (size_t)next_rand() % (n / 2 ? n / 2 : 1);
      snprintf(q[k].host, sizeof q[k].host, "host%zu.example", i);
      q[k].port = 8443;
      q[k].want = 0;
    }
  }
}

static void run(size_t n, int rounds, int first) {
  struct query *q = calloc(QUERIES, sizeof *q);
  double *t = calloc((size_t)rounds, sizeof *t), build_ms;
  struct x7_policy *p;
  size_t k = 0;
  if (!q || !t) die("out of memory");
  p = make_policy(n, &build_ms);
  make_queries(q, n);
  /* correctness first: every query once */
  for (size_t i = 0; i < QUERIES; i++) {
    int ok = -1;
    const char *a[1] = {q[i].addr};
    if (x7_policy_check(p, X7_POLICY_TCP_CONNECT, q[i].host, q[i].port,
                        q[i].addr ? a : NULL, q[i].addr ? 1 : 0,
                        &ok) != X7_OK ||
        ok != q[i].want) {
      fprintf(stderr, "bench_policy: %s:%u gave %d, want %d\n", q[i].host,
              (unsigned)q[i].port, ok, q[i].want);
      exit(1);
    }
  }
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns();
    for (int b = 0; b < BATCH; b++, k = (k + 1) % QUERIES) {
      int ok;
      const char *a[1] = {q[k].addr};
      (void)x7_policy_check(p, X7_POLICY_TCP_CONNECT, q[k].host, q[k].port,
                            q[k].addr ? a : NULL, q[k].addr ? 1 : 0, &ok);
    }
    t[r] = (now_ns() - t0) / BATCH;
  }
  qsort(t, (size_t)rounds, sizeof *t, cmp_double);
  printf("%s    {\"entries\": %zu, \"median_ns\": %.1f, \"p10_ns\": %.1f, "
         "\"p90_ns\": %.1f, \"build_ms\": %.2f}",
         first ? "" : ",\n", n, t[rounds / 2], t[rounds / 10],
         t[rounds * 9 / 10], build_ms);
  x7_policy_free(p);
  free(q);
  free(t);
}

int main(int argc, char **argv) {
  static const size_t sizes[] = {10, 1000, 100000};
  int rounds = argc > 1 ? atoi(argv[1]) : 201;
  if (rounds < 3) rounds = 3;
  printf("{\n  \"bench\": \"policy\",\n  \"what\": \"x7_policy_check, one "
         "destination and its resolved address, per call\",\n  \"goal\": "
         "\"median_ns <= 1000 at 1000 entries\",\n  \"rounds\": %d,\n  "
         "\"batch\": %d,\n  \"results\": [\n",
         rounds, BATCH);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    run(sizes[i], rounds, i == 0);
  printf("\n  ]\n}\n");
  return 0;
}
