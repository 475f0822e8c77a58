/*
 * peer.h - loopback test peers for the x7net suites (test-only, never
 * installed).  Nothing here talks to anything but 127.0.0.1 / ::1.
 *
 *   - child processes that cannot outlive the test binary (x7t_proc_*),
 *   - a throw-away PKI made with the openssl CLI (x7t_pki_*),
 *   - an nginx peer with HTTP/1.1, HTTPS and HTTP/2 (x7t_nginx_*),
 *   - raw HTTP-ish servers on a thread for misbehaviour nginx cannot
 *     produce (x7t_raw_*).
 *
 * Results: functions returning int give X7T_PEER_OK, X7T_PEER_ERR, or
 * X7T_PEER_MISSING (a required program such as nginx or openssl is not
 * installed: tests should skip()).  On failure x7t_peer_error() has a
 * one-line reason for the calling thread.
 *
 * Ownership: every *_new / *_start hands the caller one object that its
 * matching *_free / *_stop releases (all NULL-safe).  Whatever the test
 * forgets, or abandons when a cmocka assertion fails, is killed and
 * deleted by an atexit handler; child processes additionally get
 * PR_SET_PDEATHSIG(SIGKILL), so even a SIGKILLed or aborted test binary
 * leaves no peer process behind.  The death signal fires when the THREAD
 * that spawned the child exits, so spawn peers from a thread that lives
 * as long as the peer (the cmocka main thread is fine).  Temporary
 * directories of a SIGKILLed binary do stay behind (under $TMPDIR).
 *
 * Not thread-safe per object; distinct objects may be used from distinct
 * threads.
 */
#ifndef X7_PEER_H
#define X7_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum x7t_peer_rc { X7T_PEER_OK = 0, X7T_PEER_ERR = -1, X7T_PEER_MISSING = -2 };

/* Paths handed out by this module fit in this many bytes (with NUL). */
#define X7T_PATH_MAX 512

/* Reason for the last failure on this thread ("" if none yet). */
const char *x7t_peer_error(void);
/* Record a failure reason (also printed to stderr) and return rc; for
 * peers written on top of this module. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int x7t_peer_fail(int rc, const char *fmt, ...);

/* ---- small utilities ---- */

/* Deterministic printable body pattern (letters and digits only) used by
 * the nginx docroot and the raw SLOW_BODY server.  offset is the position
 * of buf[0] in the stream, so a body can be checked piecewise. */
void x7t_pattern_fill(void *buf, size_t len, size_t offset);
/* Index of the first byte that differs from the pattern, or -1. */
long x7t_pattern_mismatch(const void *buf, size_t len, size_t offset);

/* Find an executable: argv0 containing '/' is taken as is; otherwise
 * $PATH and then /usr/local/sbin:/usr/sbin:/sbin are searched (nginx
 * lives in /usr/sbin, which is not on a normal user's PATH). */
int x7t_find_exe(const char *name, char *buf, size_t buflen);

/* mkdtemp under $TMPDIR (or /tmp) named x7t-<pid>-<tag>-XXXXXX, mode
 * 0700.  Deleted at exit unless x7t_tmpdir_remove ran first.  Dirs left
 * by a killed run (dead pid, older than 30 min) are swept on first use. */
int x7t_tmpdir_new(const char *tag, char *buf, size_t buflen);
/* Delete dir recursively (no symlink following) and forget it. */
int x7t_tmpdir_remove(const char *dir);

/* A free TCP port on ip ("127.0.0.1", "::1", ...) chosen by the kernel
 * (bind port 0, read it, close).  Another process may grab it before the
 * caller binds it: callers retry.  Returns 0 on failure. */
uint16_t x7t_free_port(const char *ip);
/* Poll-connect until ip:port accepts a TCP connection or timeout_ms
 * passes.  X7T_PEER_OK once it accepts. */
int x7t_wait_port(const char *ip, uint16_t port, int timeout_ms);
/* Write exactly len bytes to a new file (mode 0600). */
int x7t_write_file(const char *path, const void *data, size_t len);

/* ---- child processes ---- */

struct x7t_proc;

/* Start argv (NULL-terminated; argv[0] resolved with x7t_find_exe) in its
 * own process group with stdin from /dev/null and stdout+stderr appended
 * to log_path (NULL: /dev/null).  envp NULL keeps the environment.
 * X7T_PEER_MISSING if argv[0] does not exist; X7T_PEER_ERR if exec
 * fails. */
int x7t_proc_spawn(const char *const argv[], const char *const envp[],
                   const char *log_path, struct x7t_proc **pout);
pid_t x7t_proc_pid(const struct x7t_proc *p);
/* 1 while running; 0 once exited (reaped here; *pstatus, if not NULL,
 * gets the waitpid status). */
int x7t_proc_alive(struct x7t_proc *p, int *pstatus);
/* Send sig to the process group, wait up to timeout_ms, then SIGKILL the
 * group and reap.  Frees p (NULL-safe).  X7T_PEER_ERR only if the process
 * needed the SIGKILL. */
int x7t_proc_stop(struct x7t_proc *p, int sig, int timeout_ms);
/* Spawn, wait up to timeout_ms, kill on timeout.  X7T_PEER_OK only for
 * exit status 0; otherwise the error names the status and quotes the end
 * of the log. */
int x7t_run(const char *const argv[], const char *const envp[],
            const char *log_path, int timeout_ms);

/* ---- test PKI (openssl CLI, EC P-256, SHA-256, valid 30 days) ---- */

struct x7t_pki {
  char dir[X7T_PATH_MAX];
  char ca_cert[X7T_PATH_MAX]; /* "x7t CA": trust this one */
  char ca_key[X7T_PATH_MAX];
  /* CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1; by the CA */
  char server_cert[X7T_PATH_MAX];
  char server_key[X7T_PATH_MAX];
  /* CN=wrong.test, SAN DNS:wrong.test only; by the CA */
  char wrong_cert[X7T_PATH_MAX];
  char wrong_key[X7T_PATH_MAX];
  /* "x7t untrusted CA", a second root nobody trusts */
  char untrusted_ca_cert[X7T_PATH_MAX];
  char untrusted_ca_key[X7T_PATH_MAX];
  /* same names as server_cert, signed by the untrusted CA */
  char untrusted_cert[X7T_PATH_MAX];
  char untrusted_key[X7T_PATH_MAX];
  char openssl[X7T_PATH_MAX]; /* the CLI that made them */
  int next_serial;
};

/* Create the four key pairs above in a fresh temp dir (~0.1 s).
 * $X7T_OPENSSL, if set, names the CLI to use instead of openssl. */
int x7t_pki_new(struct x7t_pki **pout);
/* Issue one more leaf: <dir>/<stem>.pem + <stem>.key with subject CN=cn
 * and extension subjectAltName=san (openssl syntax, e.g.
 * "DNS:allowed.test,DNS:*.wild.test,IP:127.0.0.1"), signed by the trusted
 * CA, or by the untrusted one if untrusted != 0.  cert/key (either may
 * be NULL) receive the paths; each buffer is X7T_PATH_MAX bytes. */
int x7t_pki_issue(struct x7t_pki *p, const char *stem, const char *cn,
                  const char *san, int untrusted, char *cert, char *key);
/* Delete the directory and free (NULL-safe). */
void x7t_pki_free(struct x7t_pki *p);

/* ---- nginx peer ----
 * Listens on 127.0.0.1 only, single process (master_process off), all of
 * its files in its own temp dir.  Every server block serves:
 *   /1k (1024 pattern bytes)  /big (1 MiB pattern)  /hello.txt "hello\n"
 *   /empty (0 bytes)  /slow (the 1 MiB pattern at 16 KiB/s: limit_rate)
 *   /status/<c> for c in 200 201 202 204 304 400 401 403 404 429 500 502
 *     503: that status; body "status <c>\n" except for 204 and 304.  Any
 *     method (POST bodies are discarded), unlike static files (405).
 *   /redirect/<n> (1 <= n <= X7T_NGINX_MAX_REDIRECT): 302 to
 *     /redirect/<n-1>; /redirect/0 is 200 "done\n".  Locations are
 *     relative (absolute_redirect off).
 *   /loop: 302 to /loop
 *   /dup-headers: 200 "dup\n" with X-Dup: a, X-Dup: b, Set-Cookie: a=1,
 *     Set-Cookie: b=2
 *   /big-headers: 200 "big\n" with X-Big: <8192 pattern bytes>
 *   /chunked: 200 "chunk-a\nhello\nchunk-b\n" sent with
 *     Transfer-Encoding: chunked to HTTP/1.1 clients (made by SSI)
 * Keep-alive: keepalive_requests 100000, keepalive_timeout 60s.  The
 * docroot may be written to while nginx runs. */
#define X7T_NGINX_MAX_REDIRECT 30
#define X7T_NGINX_BIG_HEADER_LEN 8192

struct x7t_nginx_opts {
  /* Certificates for the https ports; NULL: plain http only.  nginx
   * reads them at start, so the PKI may be freed after start (but the
   * client still needs ca_cert). */
  const struct x7t_pki *pki;
  int with_wrong;     /* add "https-wrong" (wrong.test cert) */
  int with_untrusted; /* add "https-untrusted" (untrusted CA) */
  /* Text appended inside http{} and inside every server{} (optional). */
  const char *extra_http_conf;
  const char *extra_server_conf;
  int start_timeout_ms; /* per attempt; 0: 10000 */
};

struct x7t_nginx;

/* Start nginx (up to 3 attempts with fresh ports if a port was taken
 * meanwhile) and return once every port accepts connections.
 * X7T_PEER_MISSING if nginx is not installed.  $X7T_NGINX, if set, names
 * the binary to use instead (a path that does not exist gives
 * X7T_PEER_MISSING: handy to check that suites skip). */
int x7t_nginx_start(const struct x7t_nginx_opts *o, struct x7t_nginx **pout);
/* kind: "http", "https", "https-wrong", "https-untrusted".  Port 0 if
 * that kind is not configured or unknown. */
uint16_t x7t_nginx_port(const struct x7t_nginx *n, const char *kind);
/* "<scheme>://127.0.0.1:<port><path>" (path NULL: "/").  The certs carry
 * IP:127.0.0.1, so https verifies without name tricks. */
int x7t_nginx_url(const struct x7t_nginx *n, const char *kind, const char *path,
                  char *buf, size_t buflen);
const char *x7t_nginx_ca(const struct x7t_nginx *n); /* "" without PKI */
const char *x7t_nginx_docroot(const struct x7t_nginx *n);
const char *x7t_nginx_error_log(const struct x7t_nginx *n);
pid_t x7t_nginx_pid(const struct x7t_nginx *n);
/* SIGTERM, wait up to 5 s, SIGKILL fallback; removes the temp dir.
 * NULL-safe. */
void x7t_nginx_stop(struct x7t_nginx *n);

/* ---- raw in-test servers ----
 * One thread per server with its own listening socket on ip:0.  The
 * "request head" is everything up to the first CRLFCRLF (or 16 KiB).
 * Connection and request counters cover every behaviour. */
enum x7t_raw_behaviour {
  /* After the head, send arg verbatim, half-close, drain, close. */
  X7T_RAW_SCRIPTED,
  /* Accept and read forever; never answer until stopped. */
  X7T_RAW_STALL,
  /* Accept, then close with SO_LINGER 0 at once (RST). */
  X7T_RAW_RESET,
  /* Read the head, then close with SO_LINGER 0 (RST). */
  X7T_RAW_RESET_AFTER_HEAD,
  /* After the head, "HTTP/1.1 200 OK" then header lines forever until
   * the client goes away. */
  X7T_RAW_ENDLESS_HEADERS,
  /* After the head, headers with a large Content-Length, then pattern
   * bytes trickled; arg: NULL or a struct x7t_raw_slow. */
  X7T_RAW_SLOW_BODY,
  /* HTTP/1.1: answer every request with 200 and body arg, framed by
   * Content-Length, plus "X-Conn: <connection number, from 1>" and
   * "X-Req: <request number on this connection, from 1>"; keep the
   * connection open (until "Connection: close" or 60 s idle).  Request
   * bodies must be Content-Length framed; HEAD gets no body. */
  X7T_RAW_KEEPALIVE
};

struct x7t_raw_slow {
  size_t content_length; /* default 1048576 */
  size_t step;           /* bytes per tick, default 1 */
  int interval_ms;       /* default 50 */
};

struct x7t_raw;

/* On 127.0.0.1. */
int x7t_raw_server_start(enum x7t_raw_behaviour b, const void *arg,
                         size_t arg_len, struct x7t_raw **pout);
/* On another loopback address, e.g. "127.0.0.2" or "::1" (oracles). */
int x7t_raw_server_start_on(const char *ip, enum x7t_raw_behaviour b,
                            const void *arg, size_t arg_len,
                            struct x7t_raw **pout);
uint16_t x7t_raw_port(const struct x7t_raw *r);
/* "http://<ip>:<port><path>" with brackets for IPv6. */
int x7t_raw_url(const struct x7t_raw *r, const char *path, char *buf,
                size_t buflen);
long x7t_raw_connections(const struct x7t_raw *r); /* accepted so far */
long x7t_raw_requests(const struct x7t_raw *r);    /* heads seen so far */
/* Wait until at least n connections were accepted; X7T_PEER_OK or
 * X7T_PEER_ERR on timeout. */
int x7t_raw_wait_connections(const struct x7t_raw *r, long n, int timeout_ms);
/* Wake the thread, close every socket, join, free.  NULL-safe. */
void x7t_raw_stop(struct x7t_raw *r);

#ifdef __cplusplus
}
#endif

#endif /* X7_PEER_H */
