/* peer_nginx.c - child-process plumbing shared by the peers, and the
 * nginx peer (see peer.h). */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "peer.h"

extern char **environ;

/* ------------------------------------------------------------------ */
/* errors                                                              */

static _Thread_local char err_msg[1024];

const char *x7t_peer_error(void) { return err_msg; }

/* Every failure path goes through here, so the reason also lands in the
 * test log even if the caller only checks the return code. */
int x7t_peer_fail(int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err_msg, sizeof err_msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "x7t peer: %s\n", err_msg);
  return rc;
}

/* ------------------------------------------------------------------ */
/* pattern                                                             */

static const char pattern_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* The higher bits feed in so that a body shifted by a multiple of the
 * alphabet length still mismatches. */
static char pattern_at(size_t i) {
  return pattern_alphabet[(i + (i >> 6) + (i >> 12) + (i >> 18)) % 62];
}

void x7t_pattern_fill(void *buf, size_t len, size_t offset) {
  char *p = buf;
  for (size_t i = 0; i < len; i++) p[i] = pattern_at(offset + i);
}

long x7t_pattern_mismatch(const void *buf, size_t len, size_t offset) {
  const char *p = buf;
  for (size_t i = 0; i < len; i++)
    if (p[i] != pattern_at(offset + i)) return (long)i;
  return -1;
}

/* ------------------------------------------------------------------ */
/* time                                                                */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* ------------------------------------------------------------------ */
/* files                                                               */

int x7t_find_exe(const char *name, char *buf, size_t buflen) {
  const char *path = getenv("PATH");
  char dirs[4096];
  if (!name || !*name) return x7t_peer_fail(X7T_PEER_ERR, "empty program name");
  if (strchr(name, '/')) {
    if (access(name, X_OK) != 0)
      return x7t_peer_fail(X7T_PEER_MISSING, "%s: not executable", name);
    if ((size_t)snprintf(buf, buflen, "%s", name) >= buflen)
      return x7t_peer_fail(X7T_PEER_ERR, "path too long: %s", name);
    return X7T_PEER_OK;
  }
  snprintf(dirs, sizeof dirs, "%s:/usr/local/sbin:/usr/sbin:/sbin",
           path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
       d = strtok_r(NULL, ":", &save)) {
    if ((size_t)snprintf(buf, buflen, "%s/%s", d, name) >= buflen) continue;
    if (access(buf, X_OK) == 0) return X7T_PEER_OK;
  }
  return x7t_peer_fail(X7T_PEER_MISSING,
                       "%s is not installed (searched PATH and sbin)", name);
}

int x7t_write_file(const char *path, const void *data, size_t len) {
  const char *p = data;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return x7t_peer_fail(X7T_PEER_ERR, "open %s: %s", path, strerror(errno));
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      return x7t_peer_fail(X7T_PEER_ERR, "write %s: %s", path, strerror(e));
    }
    p += n;
    len -= (size_t)n;
  }
  if (close(fd) != 0)
    return x7t_peer_fail(X7T_PEER_ERR, "close %s: %s", path, strerror(errno));
  return X7T_PEER_OK;
}

/* Last bytes of a log, on one line, for error messages. */
static void log_tail(const char *path, char *out, size_t outlen) {
  char buf[400];
  ssize_t n = 0;
  int fd;
  out[0] = '\0';
  if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return;
  off_t end = lseek(fd, 0, SEEK_END);
  if (end > (off_t)sizeof buf - 1)
    lseek(fd, end - (off_t)sizeof buf + 1, SEEK_SET);
  else
    lseek(fd, 0, SEEK_SET);
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\n' || buf[i] == '\r') buf[i] = ' ';
  snprintf(out, outlen, "%s", buf);
}

static int file_contains(const char *path, const char *needle) {
  char buf[8192];
  ssize_t n;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  return strstr(buf, needle) != NULL;
}

/* ------------------------------------------------------------------ */
/* exit-time registry                                                  */

struct x7t_proc {
  pid_t pid;
  pid_t owner; /* getpid() of the spawner: a fork must not kill them */
  int reaped;
  int status;
  struct x7t_proc *next;
};

struct tmpdir_ent {
  char path[X7T_PATH_MAX];
  pid_t owner;
  struct tmpdir_ent *next;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static struct x7t_proc *live_procs;
static struct tmpdir_ent *live_dirs;

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  if (remove(path) != 0 && errno != ENOENT) return -1;
  return 0;
}

static int rmtree(const char *dir) {
  if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0 &&
      errno != ENOENT)
    return -1;
  return 0;
}

/* Runs after a failed cmocka suite too (main returns normally), so no
 * nginx outlives the binary; PDEATHSIG covers abort and SIGKILL. */
static void cleanup_at_exit(void) {
  pid_t me = getpid();
  pthread_mutex_lock(&reg_mu);
  for (struct x7t_proc *p = live_procs; p; p = p->next) {
    if (p->owner != me || p->reaped) continue;
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
    while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR) {
    }
    p->reaped = 1;
  }
  for (struct tmpdir_ent *d = live_dirs; d; d = d->next)
    if (d->owner == me) rmtree(d->path);
  pthread_mutex_unlock(&reg_mu);
}

static const char *tmp_base(void) {
  const char *base = getenv("TMPDIR");
  return base && *base ? base : "/tmp";
}

/* A test killed by SIGKILL (ctest timeout) or SIGPIPE cannot delete its
 * temp dirs; the next run does, once their creator is gone and they are
 * old enough that a creator in another pid namespace would have hit its
 * ctest timeout long ago. */
#define STALE_AGE_S (30 * 60)

static void sweep_stale_dirs(void) {
  char path[X7T_PATH_MAX];
  struct stat sb;
  struct dirent *de;
  DIR *d = opendir(tmp_base());
  if (!d) return;
  while ((de = readdir(d)) != NULL) {
    char *end;
    long pid;
    if (strncmp(de->d_name, "x7t-", 4) != 0) continue;
    pid = strtol(de->d_name + 4, &end, 10);
    if (end == de->d_name + 4 || *end != '-' || pid <= 0) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    if (snprintf(path, sizeof path, "%s/%s", tmp_base(), de->d_name) >=
        (int)sizeof path)
      continue;
    if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
        sb.st_uid != geteuid() || time(NULL) - sb.st_mtime < STALE_AGE_S)
      continue;
    rmtree(path);
  }
  closedir(d);
}

static void reg_init(void) {
  atexit(cleanup_at_exit);
  sweep_stale_dirs();
}

int x7t_tmpdir_new(const char *tag, char *buf, size_t buflen) {
  struct tmpdir_ent *e;
  pthread_once(&reg_once, reg_init);
  /* The pid in the name lets sweep_stale_dirs find orphans. */
  if ((size_t)snprintf(buf, buflen, "%s/x7t-%ld-%s-XXXXXX", tmp_base(),
                       (long)getpid(), tag ? tag : "tmp") >= buflen ||
      strlen(buf) >= X7T_PATH_MAX - 64)
    return x7t_peer_fail(X7T_PEER_ERR, "temp dir name too long");
  if (!mkdtemp(buf))
    return x7t_peer_fail(X7T_PEER_ERR, "mkdtemp %s: %s", buf, strerror(errno));
  e = calloc(1, sizeof *e);
  if (!e) {
    rmtree(buf);
    return x7t_peer_fail(X7T_PEER_ERR, "out of memory");
  }
  snprintf(e->path, sizeof e->path, "%s", buf);
  e->owner = getpid();
  pthread_mutex_lock(&reg_mu);
  e->next = live_dirs;
  live_dirs = e;
  pthread_mutex_unlock(&reg_mu);
  return X7T_PEER_OK;
}

int x7t_tmpdir_remove(const char *dir) {
  int rc;
  pthread_mutex_lock(&reg_mu);
  for (struct tmpdir_ent **pp = &live_dirs; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->path, dir) == 0) {
      struct tmpdir_ent *e = *pp;
      *pp = e->next;
      free(e);
      break;
    }
  }
  pthread_mutex_unlock(&reg_mu);
  rc = rmtree(dir);
  if (rc != 0)
    return x7t_peer_fail(X7T_PEER_ERR, "rm -r %s: %s", dir, strerror(errno));
  return X7T_PEER_OK;
}

/* ------------------------------------------------------------------ */
/* ports                                                               */

static int parse_ip(const char *ip, struct sockaddr_storage *ss,
                    socklen_t *plen) {
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    *plen = sizeof *a4;
    return 0;
  }
  if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    *plen = sizeof *a6;
    return 0;
  }
  return -1;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port) {
  if (ss->ss_family == AF_INET)
    ((struct sockaddr_in *)ss)->sin_port = htons(port);
  else
    ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Bound (not listening) socket on ip:0; its port in *pport. */
static int bind_any_port(const char *ip, uint16_t *pport) {
  struct sockaddr_storage ss;
  socklen_t len;
  int fd;
  if (parse_ip(ip, &ss, &len) != 0) return -1;
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
      getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
    close(fd);
    return -1;
  }
  *pport =
      ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
  return fd;
}

uint16_t x7t_free_port(const char *ip) {
  uint16_t port = 0;
  int fd = bind_any_port(ip, &port);
  if (fd < 0) {
    x7t_peer_fail(X7T_PEER_ERR, "no free port on %s: %s", ip, strerror(errno));
    return 0;
  }
  close(fd);
  return port;
}

/* One nonblocking connect attempt bounded by wait_ms: 1 if accepted. */
static int try_connect(const struct sockaddr_storage *ss, socklen_t len,
                       int wait_ms) {
  int ok = 0;
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return 0;
  if (connect(fd, (const struct sockaddr *)ss, len) == 0) {
    ok = 1;
  } else if (errno == EINPROGRESS) {
    struct pollfd pfd = {fd, POLLOUT, 0};
    int err = 0;
    socklen_t el = sizeof err;
    if (poll(&pfd, 1, wait_ms) == 1 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
      ok = 1;
  }
  close(fd);
  return ok;
}

int x7t_wait_port(const char *ip, uint16_t port, int timeout_ms) {
  struct sockaddr_storage ss;
  socklen_t len;
  int64_t deadline = now_ms() + timeout_ms;
  if (parse_ip(ip, &ss, &len) != 0)
    return x7t_peer_fail(X7T_PEER_ERR, "bad ip %s", ip);
  set_port(&ss, port);
  for (;;) {
    if (try_connect(&ss, len, 200)) return X7T_PEER_OK;
    if (now_ms() >= deadline) break;
    sleep_ms(10);
  }
  return x7t_peer_fail(X7T_PEER_ERR, "%s:%u did not accept within %d ms", ip,
                       (unsigned)port, timeout_ms);
}

/* ------------------------------------------------------------------ */
/* processes                                                           */

/* Only async-signal-safe calls between fork and exec: the parent may
 * have threads (raw servers, ASan) holding locks. */
static void child_exec(const char *exe, char *const argv[], char *const envp[],
                       int in_fd, int log_fd, int err_fd, pid_t parent) {
  struct sigaction sa;
  sigset_t none;
  int e;
  setpgid(0, 0);
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  /* The parent may have died before prctl took effect. */
  if (getppid() != parent) _exit(127);
#else
  (void)parent;
#endif
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  /* Ignored dispositions survive exec; a peer must see SIGTERM. */
  for (int s = 1; s < NSIG; s++) sigaction(s, &sa, NULL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (dup2(in_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
    goto out;
  /* Keep stray non-CLOEXEC descriptors of the test (listening sockets
   * of other peers) out of the child. */
  if (err_fd > 3 && close_range(3, (unsigned)err_fd - 1, 0) != 0)
    for (int fd = 3; fd < err_fd; fd++) close(fd);
  if (close_range((unsigned)err_fd + 1, ~0U, 0) != 0)
    for (int fd = err_fd + 1; fd < 4096; fd++) close(fd);
  execve(exe, argv, envp);
out:
  e = errno;
  if (write(err_fd, &e, sizeof e) < 0) {
  }
  _exit(127);
}

int x7t_proc_spawn(const char *const argv[], const char *const envp[],
                   const char *log_path, struct x7t_proc **pout) {
  char exe[X7T_PATH_MAX];
  int in_fd, log_fd, ep[2], rc, child_errno = 0;
  ssize_t n;
  sigset_t all, old;
  pid_t pid, parent = getpid();
  struct x7t_proc *p;

  if (!pout || !argv || !argv[0])
    return x7t_peer_fail(X7T_PEER_ERR, "bad arguments");
  *pout = NULL;
  if ((rc = x7t_find_exe(argv[0], exe, sizeof exe)) != X7T_PEER_OK) return rc;
  p = calloc(1, sizeof *p);
  if (!p) return x7t_peer_fail(X7T_PEER_ERR, "out of memory");
  pthread_once(&reg_once, reg_init);
  in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  log_fd = open(log_path ? log_path : "/dev/null",
                O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (in_fd < 0 || log_fd < 0 || pipe2(ep, O_CLOEXEC) != 0) {
    int e = errno;
    if (in_fd >= 0) close(in_fd);
    if (log_fd >= 0) close(log_fd);
    free(p);
    return x7t_peer_fail(X7T_PEER_ERR, "spawn %s: %s", exe, strerror(e));
  }
  /* Block everything so no handler of the parent runs in the child
   * before child_exec resets the dispositions. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = fork();
  if (pid == 0)
    child_exec(exe, (char *const *)argv,
               (char *const *)(envp ? envp : (const char *const *)environ),
               in_fd, log_fd, ep[1], parent);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(in_fd);
  close(log_fd);
  close(ep[1]);
  if (pid < 0) {
    int e = errno;
    close(ep[0]);
    free(p);
    return x7t_peer_fail(X7T_PEER_ERR, "fork: %s", strerror(e));
  }
  /* Both sides call setpgid so kill(-pid) works whoever runs first. */
  setpgid(pid, pid);
  do {
    n = read(ep[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(ep[0]);
  if (n > 0) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    free(p);
    return x7t_peer_fail(X7T_PEER_ERR, "exec %s: %s", exe,
                         strerror(child_errno));
  }
  p->pid = pid;
  p->owner = parent;
  pthread_mutex_lock(&reg_mu);
  p->next = live_procs;
  live_procs = p;
  pthread_mutex_unlock(&reg_mu);
  *pout = p;
  return X7T_PEER_OK;
}

pid_t x7t_proc_pid(const struct x7t_proc *p) { return p ? p->pid : -1; }

/* Exited, but left a zombie (WNOWAIT) so its pid and process group stay
 * ours until we reap: killing the group then cannot hit a recycled id. */
static int exited_nowait(struct x7t_proc *p) {
  siginfo_t si;
  if (p->reaped) return 1;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
    return errno == ECHILD;
  return si.si_pid == p->pid;
}

static void reap(struct x7t_proc *p) {
  if (p->reaped) return;
  /* Stragglers of the group (forked workers) go down with the leader. */
  kill(-p->pid, SIGKILL);
  while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR) {
  }
  p->reaped = 1;
}

int x7t_proc_alive(struct x7t_proc *p, int *pstatus) {
  if (!p) return 0;
  if (!p->reaped && exited_nowait(p)) reap(p);
  if (p->reaped && pstatus) *pstatus = p->status;
  return !p->reaped;
}

static int wait_exit(struct x7t_proc *p, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  int step = 1;
  while (!exited_nowait(p)) {
    if (now_ms() >= deadline) return 0;
    sleep_ms(step);
    if (step < 20) step *= 2;
  }
  return 1;
}

static void unregister(struct x7t_proc *p) {
  pthread_mutex_lock(&reg_mu);
  for (struct x7t_proc **pp = &live_procs; *pp; pp = &(*pp)->next) {
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  }
  pthread_mutex_unlock(&reg_mu);
}

int x7t_proc_stop(struct x7t_proc *p, int sig, int timeout_ms) {
  int rc = X7T_PEER_OK;
  if (!p) return X7T_PEER_OK;
  if (!p->reaped) {
    if (kill(-p->pid, sig) != 0) kill(p->pid, sig);
    if (!wait_exit(p, timeout_ms)) {
      kill(-p->pid, SIGKILL);
      kill(p->pid, SIGKILL);
      rc = x7t_peer_fail(X7T_PEER_ERR,
                         "pid %ld ignored signal %d for %d ms; killed",
                         (long)p->pid, sig, timeout_ms);
    }
    reap(p);
  }
  unregister(p);
  free(p);
  return rc;
}

int x7t_run(const char *const argv[], const char *const envp[],
            const char *log_path, int timeout_ms) {
  struct x7t_proc *p;
  char tail[400];
  int rc = x7t_proc_spawn(argv, envp, log_path, &p), st;
  if (rc != X7T_PEER_OK) return rc;
  if (!wait_exit(p, timeout_ms)) {
    x7t_proc_stop(p, SIGKILL, 1000);
    return x7t_peer_fail(X7T_PEER_ERR, "%s timed out after %d ms", argv[0],
                         timeout_ms);
  }
  reap(p);
  st = p->status;
  x7t_proc_stop(p, SIGKILL, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return X7T_PEER_OK;
  log_tail(log_path, tail, sizeof tail);
  if (WIFEXITED(st))
    return x7t_peer_fail(X7T_PEER_ERR, "%s %s exited with %d: %s", argv[0],
                         argv[1] ? argv[1] : "", WEXITSTATUS(st), tail);
  return x7t_peer_fail(X7T_PEER_ERR, "%s killed by signal %d: %s", argv[0],
                       WTERMSIG(st), tail);
}

/* ------------------------------------------------------------------ */
/* nginx                                                               */

/* dir/name into an X7T_PATH_MAX buffer.  Temp dirs leave 64 bytes of
 * room (x7t_tmpdir_new), so the short fixed names always fit. */
static void path_join(char *out, const char *dir, const char *name) {
  if (snprintf(out, X7T_PATH_MAX, "%s/%s", dir, name) >= X7T_PATH_MAX)
    out[0] = '\0';
}

enum { K_HTTP, K_HTTPS, K_WRONG, K_UNTRUSTED, K_COUNT };
static const char *const kind_names[K_COUNT] = {"http", "https", "https-wrong",
                                                "https-untrusted"};

struct x7t_nginx {
  char dir[X7T_PATH_MAX];
  char docroot[X7T_PATH_MAX];
  char conf[X7T_PATH_MAX];
  char error_log[X7T_PATH_MAX];
  char pid_file[X7T_PATH_MAX];
  char ca[X7T_PATH_MAX];
  uint16_t port[K_COUNT];
  struct x7t_proc *proc;
};

/* Growable text with a sticky failure flag, so the config builder checks
 * once at the end. */
struct sbuf {
  char *p;
  size_t len, cap;
  int bad;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  if (b->bad) return;
  for (;;) {
    size_t room = b->cap - b->len;
    va_start(ap, fmt);
    n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->bad = 1;
      return;
    }
    if ((size_t)n < room) {
      b->len += (size_t)n;
      return;
    }
    size_t ncap = b->cap ? b->cap * 2 : 4096;
    while (ncap - b->len <= (size_t)n) ncap *= 2;
    char *np = realloc(b->p, ncap);
    if (!np) {
      b->bad = 1;
      return;
    }
    b->p = np;
    b->cap = ncap;
  }
}

static int kind_index(const char *kind) {
  if (!kind) return -1;
  for (int i = 0; i < K_COUNT; i++)
    if (strcmp(kind, kind_names[i]) == 0) return i;
  return -1;
}

/* nginx would expand '$' in root/alias and has no escape for '"'. */
static int conf_safe(const char *s) { return strpbrk(s, "\"\\$;{}\n") == NULL; }

static int make_docroot(struct x7t_nginx *n) {
  static const char chunked[] =
      "chunk-a\n<!--# include virtual=\"/hello.txt\" -->chunk-b\n";
  char path[X7T_PATH_MAX + 32];
  char *big = malloc(1 << 20);
  int rc = X7T_PEER_OK;
  if (!big) return x7t_peer_fail(X7T_PEER_ERR, "out of memory");
  x7t_pattern_fill(big, 1 << 20, 0);
  path_join(n->docroot, n->dir, "www");
  if (mkdir(n->docroot, 0700) != 0) {
    free(big);
    return x7t_peer_fail(X7T_PEER_ERR, "mkdir %s: %s", n->docroot,
                         strerror(errno));
  }
  snprintf(path, sizeof path, "%s/1k", n->docroot);
  if (rc == X7T_PEER_OK) rc = x7t_write_file(path, big, 1024);
  snprintf(path, sizeof path, "%s/big", n->docroot);
  if (rc == X7T_PEER_OK) rc = x7t_write_file(path, big, 1 << 20);
  snprintf(path, sizeof path, "%s/hello.txt", n->docroot);
  if (rc == X7T_PEER_OK) rc = x7t_write_file(path, "hello\n", 6);
  snprintf(path, sizeof path, "%s/empty", n->docroot);
  if (rc == X7T_PEER_OK) rc = x7t_write_file(path, "", 0);
  snprintf(path, sizeof path, "%s/chunked", n->docroot);
  if (rc == X7T_PEER_OK) rc = x7t_write_file(path, chunked, sizeof chunked - 1);
  free(big);
  return rc;
}

static void conf_locations(struct sbuf *b, const struct x7t_nginx *n,
                           const char *extra) {
  static const int codes[] = {200, 201, 202, 204, 304, 400, 401,
                              403, 404, 429, 500, 502, 503};
  /* One config token may not exceed nginx's 4 KiB parse buffer, so the
   * 8 KiB header is four copies of a 2 KiB variable. */
  char quarter[X7T_NGINX_BIG_HEADER_LEN / 4 + 1];
  x7t_pattern_fill(quarter, sizeof quarter - 1, 0);
  quarter[sizeof quarter - 1] = '\0';

  sb_printf(b, "    root \"%s\";\n", n->docroot);
  sb_printf(b,
            "    location = /chunked { ssi on; ssi_types *; "
            "default_type text/plain; }\n");
  sb_printf(b, "    location = /slow { limit_rate 16k; alias \"%s/big\"; }\n",
            n->docroot);
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    if (codes[i] == 204 || codes[i] == 304)
      sb_printf(b, "    location = /status/%d { return %d; }\n", codes[i],
                codes[i]);
    else
      sb_printf(b,
                "    location = /status/%d { return %d \"status %d\\n\"; }\n",
                codes[i], codes[i], codes[i]);
  }
  sb_printf(b, "    location = /redirect/0 { return 200 \"done\\n\"; }\n");
  for (int i = 1; i <= X7T_NGINX_MAX_REDIRECT; i++)
    sb_printf(b, "    location = /redirect/%d { return 302 /redirect/%d; }\n",
              i, i - 1);
  sb_printf(b, "    location = /loop { return 302 /loop; }\n");
  sb_printf(b,
            "    location = /dup-headers {\n"
            "      add_header X-Dup a always;\n"
            "      add_header X-Dup b always;\n"
            "      add_header Set-Cookie \"a=1\" always;\n"
            "      add_header Set-Cookie \"b=2\" always;\n"
            "      return 200 \"dup\\n\";\n"
            "    }\n");
  sb_printf(b,
            "    location = /big-headers {\n"
            "      set $x7t_q \"%s\";\n"
            "      add_header X-Big \"$x7t_q$x7t_q$x7t_q$x7t_q\" always;\n"
            "      return 200 \"big\\n\";\n"
            "    }\n",
            quarter);
  if (extra) sb_printf(b, "%s\n", extra);
}

/* One server{}: a plain port and/or a TLS port (0: none). */
static void conf_server(struct sbuf *b, const struct x7t_nginx *n,
                        const struct x7t_nginx_opts *o, uint16_t plain,
                        uint16_t tls, const char *cert, const char *key) {
  sb_printf(b, "  server {\n    server_name localhost;\n");
  if (plain) sb_printf(b, "    listen 127.0.0.1:%u;\n", (unsigned)plain);
  if (tls) {
    sb_printf(b, "    listen 127.0.0.1:%u ssl http2;\n", (unsigned)tls);
    sb_printf(b, "    ssl_certificate \"%s\";\n", cert);
    sb_printf(b, "    ssl_certificate_key \"%s\";\n", key);
  }
  conf_locations(b, n, o->extra_server_conf);
  sb_printf(b, "  }\n");
}

static int write_conf(struct x7t_nginx *n, const struct x7t_nginx_opts *o) {
  struct sbuf b = {0};
  const struct x7t_pki *k = o->pki;
  int rc;
  sb_printf(&b,
            "daemon off;\n"
            "master_process off;\n"
            "worker_processes 1;\n"
            "pid \"%s\";\n"
            "lock_file \"%s/nginx.lock\";\n"
            "error_log \"%s\" notice;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "  access_log \"%s/access.log\";\n"
            "  client_body_temp_path \"%s/tmp_body\";\n"
            "  proxy_temp_path \"%s/tmp_proxy\";\n"
            "  fastcgi_temp_path \"%s/tmp_fastcgi\";\n"
            "  uwsgi_temp_path \"%s/tmp_uwsgi\";\n"
            "  scgi_temp_path \"%s/tmp_scgi\";\n"
            "  types { text/plain txt; text/html html; }\n"
            "  default_type application/octet-stream;\n"
            "  keepalive_requests 100000;\n"
            "  keepalive_timeout 60s;\n"
            "  absolute_redirect off;\n"
            "  ssl_protocols TLSv1.2 TLSv1.3;\n",
            n->pid_file, n->dir, n->error_log, n->dir, n->dir, n->dir, n->dir,
            n->dir, n->dir);
  if (o->extra_http_conf) sb_printf(&b, "%s\n", o->extra_http_conf);

  /* The plain port shares the good certificate's server block. */
  conf_server(&b, n, o, n->port[K_HTTP], k ? n->port[K_HTTPS] : 0,
              k ? k->server_cert : NULL, k ? k->server_key : NULL);
  if (k && o->with_wrong)
    conf_server(&b, n, o, 0, n->port[K_WRONG], k->wrong_cert, k->wrong_key);
  if (k && o->with_untrusted)
    conf_server(&b, n, o, 0, n->port[K_UNTRUSTED], k->untrusted_cert,
                k->untrusted_key);
  sb_printf(&b, "}\n");
  if (b.bad) {
    free(b.p);
    return x7t_peer_fail(X7T_PEER_ERR, "out of memory building nginx.conf");
  }
  rc = x7t_write_file(n->conf, b.p, b.len);
  free(b.p);
  return rc;
}

/* Distinct kernel-chosen ports: all sockets stay bound until every port
 * is picked, so two kinds never get the same one. */
static int pick_ports(struct x7t_nginx *n, const int want[K_COUNT]) {
  int fds[K_COUNT];
  int ok = 1;
  for (int i = 0; i < K_COUNT; i++) {
    fds[i] = -1;
    n->port[i] = 0;
    if (want[i] && ok) {
      fds[i] = bind_any_port("127.0.0.1", &n->port[i]);
      if (fds[i] < 0) ok = 0;
    }
  }
  for (int i = 0; i < K_COUNT; i++)
    if (fds[i] >= 0) close(fds[i]);
  return ok ? X7T_PEER_OK
            : x7t_peer_fail(X7T_PEER_ERR, "no free port on 127.0.0.1: %s",
                            strerror(errno));
}

enum { TRY_OK, TRY_AGAIN, TRY_FAIL };

/* One start attempt.  TRY_AGAIN: a port was taken between pick and
 * bind, worth another round with new ports. */
static int try_start(struct x7t_nginx *n, const char *exe, int timeout_ms) {
  const char *argv[] = {exe,     "-p", n->dir,       "-c",
                        n->conf, "-e", n->error_log, NULL};
  char tail[400], log_path[X7T_PATH_MAX + 16];
  int64_t deadline = now_ms() + timeout_ms;
  int st = 0;

  unlink(n->error_log);
  snprintf(log_path, sizeof log_path, "%s/stderr.log", n->dir);
  if (x7t_proc_spawn(argv, NULL, log_path, &n->proc) != X7T_PEER_OK)
    return TRY_FAIL;
  for (;;) {
    int ready = access(n->pid_file, F_OK) == 0;
    if (!x7t_proc_alive(n->proc, &st)) {
      x7t_proc_stop(n->proc, SIGKILL, 0);
      n->proc = NULL;
      if (file_contains(n->error_log, "Address already in use"))
        return TRY_AGAIN;
      log_tail(n->error_log, tail, sizeof tail);
      if (!tail[0]) log_tail(log_path, tail, sizeof tail);
      x7t_peer_fail(X7T_PEER_ERR, "nginx exited (status %d) during start: %s",
                    st, tail);
      return TRY_FAIL;
    }
    /* nginx writes its pid file only after every listen() succeeded;
     * before that a connect could reach a stranger on a reused port. */
    for (int i = 0; ready && i < K_COUNT; i++) {
      struct sockaddr_storage ss;
      socklen_t len;
      if (!n->port[i]) continue;
      parse_ip("127.0.0.1", &ss, &len);
      set_port(&ss, n->port[i]);
      if (!try_connect(&ss, len, 100)) ready = 0;
    }
    if (ready) return TRY_OK;
    /* nginx retries a busy port for 2.5 s before giving up; new ports
     * are quicker. */
    if (file_contains(n->error_log, "Address already in use")) {
      x7t_proc_stop(n->proc, SIGKILL, 1000);
      n->proc = NULL;
      return TRY_AGAIN;
    }
    if (now_ms() >= deadline) break;
    sleep_ms(5);
  }
  x7t_proc_stop(n->proc, SIGKILL, 1000);
  n->proc = NULL;
  log_tail(n->error_log, tail, sizeof tail);
  x7t_peer_fail(X7T_PEER_ERR, "nginx not ready within %d ms: %s", timeout_ms,
                tail);
  return TRY_FAIL;
}

int x7t_nginx_start(const struct x7t_nginx_opts *o, struct x7t_nginx **pout) {
  char exe[X7T_PATH_MAX];
  int want[K_COUNT] = {1, 0, 0, 0};
  int rc, timeout_ms;
  struct x7t_nginx *n;

  if (!pout) return x7t_peer_fail(X7T_PEER_ERR, "pout is NULL");
  *pout = NULL;
  if (!o) return x7t_peer_fail(X7T_PEER_ERR, "opts is NULL");
  if ((o->with_wrong || o->with_untrusted) && !o->pki)
    return x7t_peer_fail(X7T_PEER_ERR,
                         "https-wrong/https-untrusted need opts->pki");
  if ((rc = x7t_find_exe(getenv("X7T_NGINX") ? getenv("X7T_NGINX") : "nginx",
                         exe, sizeof exe)) != X7T_PEER_OK)
    return rc;
  timeout_ms = o->start_timeout_ms > 0 ? o->start_timeout_ms : 10000;
  want[K_HTTPS] = o->pki != NULL;
  want[K_WRONG] = o->pki && o->with_wrong;
  want[K_UNTRUSTED] = o->pki && o->with_untrusted;

  n = calloc(1, sizeof *n);
  if (!n) return x7t_peer_fail(X7T_PEER_ERR, "out of memory");
  if ((rc = x7t_tmpdir_new("nginx", n->dir, sizeof n->dir)) != X7T_PEER_OK) {
    free(n);
    return rc;
  }
  if (!conf_safe(n->dir) || (o->pki && (!conf_safe(o->pki->server_cert) ||
                                        !conf_safe(o->pki->wrong_cert) ||
                                        !conf_safe(o->pki->untrusted_cert)))) {
    rc = x7t_peer_fail(X7T_PEER_ERR, "path unusable in nginx.conf: %s", n->dir);
    goto bad;
  }
  path_join(n->conf, n->dir, "nginx.conf");
  path_join(n->error_log, n->dir, "error.log");
  path_join(n->pid_file, n->dir, "nginx.pid");
  if (o->pki) snprintf(n->ca, sizeof n->ca, "%s", o->pki->ca_cert);
  if ((rc = make_docroot(n)) != X7T_PEER_OK) goto bad;

  for (int attempt = 1;; attempt++) {
    int r;
    if ((rc = pick_ports(n, want)) != X7T_PEER_OK) goto bad;
    if ((rc = write_conf(n, o)) != X7T_PEER_OK) goto bad;
    r = try_start(n, exe, timeout_ms);
    if (r == TRY_OK) break;
    if (r == TRY_FAIL || attempt == 3) {
      if (r == TRY_AGAIN)
        x7t_peer_fail(X7T_PEER_ERR,
                      "nginx could not bind its ports in 3 attempts");
      rc = X7T_PEER_ERR;
      goto bad;
    }
  }
  *pout = n;
  return X7T_PEER_OK;
bad:
  x7t_tmpdir_remove(n->dir);
  free(n);
  return rc;
}

uint16_t x7t_nginx_port(const struct x7t_nginx *n, const char *kind) {
  int k = kind_index(kind);
  return n && k >= 0 ? n->port[k] : 0;
}

int x7t_nginx_url(const struct x7t_nginx *n, const char *kind, const char *path,
                  char *buf, size_t buflen) {
  uint16_t port = x7t_nginx_port(n, kind);
  if (!port || !buf)
    return x7t_peer_fail(X7T_PEER_ERR, "nginx has no \"%s\" port",
                         kind ? kind : "");
  if ((size_t)snprintf(buf, buflen, "%s://127.0.0.1:%u%s",
                       strcmp(kind, "http") == 0 ? "http" : "https",
                       (unsigned)port, path ? path : "/") >= buflen)
    return x7t_peer_fail(X7T_PEER_ERR, "url buffer too small");
  return X7T_PEER_OK;
}

const char *x7t_nginx_ca(const struct x7t_nginx *n) { return n ? n->ca : ""; }

const char *x7t_nginx_docroot(const struct x7t_nginx *n) {
  return n ? n->docroot : "";
}

const char *x7t_nginx_error_log(const struct x7t_nginx *n) {
  return n ? n->error_log : "";
}

pid_t x7t_nginx_pid(const struct x7t_nginx *n) {
  return n ? x7t_proc_pid(n->proc) : -1;
}

void x7t_nginx_stop(struct x7t_nginx *n) {
  if (!n) return;
  /* SIGTERM is nginx's fast shutdown: it does not wait for idle
   * keep-alive clients the way SIGQUIT does. */
  x7t_proc_stop(n->proc, SIGTERM, 5000);
  x7t_tmpdir_remove(n->dir);
  free(n);
}
