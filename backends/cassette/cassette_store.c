/*
 * cassette_store.c - bytes on disk: sha256, the atomic save, the advisory
 * lock across processes, and the content-addressed sidecar store.
 *
 * Every anchor writes cassettes in place; a crash then leaves half a
 * file.  Here a save is temp file in the same directory, write, fsync,
 * rename over the target, fsync the directory, so the target is always
 * the old or the new version.  Temp files of writers that died are swept
 * on the next save.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cassette_int.h"

#define CHUNK 65536

void (*x7__rr_save_hook)(int step);

static void step(int n) {
  if (x7__rr_save_hook) x7__rr_save_hook(n);
}

/* ---- sha256 ---- */

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md;

/* Fetch the implementation once: the implicit fetch inside EVP_sha256()
 * users costs a lookup per digest. */
static void md_init(void) { md = EVP_MD_fetch(NULL, "SHA256", NULL); }

int x7__rr_crypto_init(void) {
  pthread_once(&md_once, md_init);
  return md ? 0 : -1;
}

int x7__rr_sha256(const void *p, size_t n, uint8_t out[32]) {
  unsigned len = 0;
  pthread_once(&md_once, md_init);
  if (!md) return -1;
  return EVP_Digest(p, n, out, &len, md, NULL) == 1 && len == 32 ? 0 : -1;
}

void x7__rr_hex(const uint8_t *p, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[p[i] >> 4];
    out[2 * i + 1] = hex[p[i] & 15];
  }
  out[2 * n] = '\0';
}

struct x7__rr_sha_ctx *x7__rr_sha_new(void) {
  EVP_MD_CTX *c;
  pthread_once(&md_once, md_init);
  if (!md) return NULL;
  c = EVP_MD_CTX_new();
  if (c && EVP_DigestInit_ex(c, md, NULL) != 1) {
    EVP_MD_CTX_free(c);
    c = NULL;
  }
  return (struct x7__rr_sha_ctx *)c;
}

int x7__rr_sha_update(struct x7__rr_sha_ctx *c, const void *p, size_t n) {
  return EVP_DigestUpdate((EVP_MD_CTX *)c, p, n) == 1 ? 0 : -1;
}

int x7__rr_sha_final(struct x7__rr_sha_ctx *c, uint8_t out[32]) {
  unsigned len = 0;
  int ok = EVP_DigestFinal_ex((EVP_MD_CTX *)c, out, &len) == 1 && len == 32;
  EVP_MD_CTX_free((EVP_MD_CTX *)c);
  return ok ? 0 : -1;
}

void x7__rr_sha_free(struct x7__rr_sha_ctx *c) {
  EVP_MD_CTX_free((EVP_MD_CTX *)c);
}

/* ---- small path helpers ---- */

static char *join(const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
  char *p = x7__malloc(la + lb + lc + 1);
  if (!p) return NULL;
  memcpy(p, a, la);
  memcpy(p + la, b, lb);
  if (lc) memcpy(p + la + lb, c, lc);
  p[la + lb + lc] = '\0';
  return p;
}

/* Directory part of path ("." when there is none); x7__free it. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  size_t n;
  char *d;
  if (!slash) return join(".", "", NULL);
  n = slash == path ? 1 : (size_t)(slash - path);
  d = x7__malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, path, n);
  d[n] = '\0';
  return d;
}

static const char *base_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static x7_result io_fail(char *msg, size_t msglen, const char *what,
                         const char *path, int err) {
  snprintf(msg, msglen, "%s %s: %s", what, path, strerror(err));
  return X7_ECASSETTE_IO;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc;
  if (fd < 0) return -1;
  rc = fsync(fd);
  close(fd);
  return rc;
}

/* ---- reading ---- */

x7_result x7__rr_file_read(const char *path, struct x7__buf *out, char *msg,
                           size_t msglen) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      snprintf(msg, msglen, "%s: no such file", path);
      return X7_ECASSETTE_NOFILE;
    }
    return io_fail(msg, msglen, "cannot open", path, errno);
  }
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return io_fail(msg, msglen, "cannot stat", path, e);
  }
  if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > X7__RR_FILE_MAX) {
    close(fd);
    snprintf(msg, msglen, "%s: not a regular file of at most 2 GiB", path);
    return X7_ECASSETTE_IO;
  }
  if (x7__buf_reserve(out, (size_t)st.st_size + 1)) {
    close(fd);
    return X7_ENOMEM;
  }
  for (;;) {
    ssize_t k;
    if (x7__buf_reserve(out, CHUNK)) {
      close(fd);
      return X7_ENOMEM;
    }
    k = read(fd, out->ptr + out->len, CHUNK);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      int e = errno;
      close(fd);
      return io_fail(msg, msglen, "cannot read", path, e);
    }
    if (k == 0) break;
    out->len += (size_t)k;
    if (out->len > X7__RR_FILE_MAX) {
      close(fd);
      snprintf(msg, msglen, "%s: larger than 2 GiB", path);
      return X7_ECASSETTE_IO;
    }
  }
  close(fd);
  return X7_OK;
}

/* ---- atomic save ---- */

static unsigned long temp_counter;
static pthread_mutex_t temp_mu = PTHREAD_MUTEX_INITIALIZER;

/* Temp files are ".<base>.tmp-<pid>-<n>"; remove those whose writer is
 * gone (a crash between create and rename leaves one). */
static void sweep_stale(const char *dir, const char *base) {
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t bl = strlen(base);
  if (!d) return;
  for (e = readdir(d); e; e = readdir(d)) {
    const char *n = e->d_name;
    long pid;
    char *end, *full;
    if (n[0] != '.' || strncmp(n + 1, base, bl) != 0 ||
        strncmp(n + 1 + bl, ".tmp-", 5) != 0)
      continue;
    pid = strtol(n + 1 + bl + 5, &end, 10);
    if (end == n + 1 + bl + 5 || *end != '-' || pid <= 0) continue;
    if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
      continue;
    full = join(dir, "/", n);
    if (full) unlink(full);
    x7__free(full);
  }
  closedir(d);
}

static char *temp_name(const char *dir, const char *base) {
  char tail[64];
  unsigned long k;
  pthread_mutex_lock(&temp_mu);
  k = ++temp_counter;
  pthread_mutex_unlock(&temp_mu);
  snprintf(tail, sizeof tail, ".tmp-%ld-%lu", (long)getpid(), k);
  {
    char *a = join(dir, "/.", base), *b;
    if (!a) return NULL;
    b = join(a, tail, NULL);
    x7__free(a);
    return b;
  }
}

/* Write into a fresh temp file next to `path`; the caller renames. */
static x7_result write_temp(const char *dir, const char *base, const uint8_t *p,
                            size_t n, int do_fsync, char **ptmp, char *msg,
                            size_t msglen) {
  char *tmp = temp_name(dir, base);
  int fd;
  *ptmp = NULL;
  if (!tmp) return X7_ENOMEM;
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    x7_result r = io_fail(msg, msglen, "cannot create", tmp, errno);
    x7__free(tmp);
    return r;
  }
  step(1);
  if (write_all(fd, p, n) != 0) goto fail;
  step(2);
  if (do_fsync && fsync(fd) != 0) goto fail;
  step(3);
  if (close(fd) != 0) {
    fd = -1;
    goto fail;
  }
  *ptmp = tmp;
  return X7_OK;
fail : {
  x7_result r = io_fail(msg, msglen, "cannot write", tmp, errno);
  if (fd >= 0) close(fd);
  unlink(tmp);
  x7__free(tmp);
  return r;
}
}

x7_result x7__rr_file_write_atomic(const char *path, const uint8_t *p, size_t n,
                                   int do_fsync, char *msg, size_t msglen) {
  char *dir = dir_of(path), *tmp = NULL;
  const char *base = base_of(path);
  x7_result r;
  if (!dir) return X7_ENOMEM;
  sweep_stale(dir, base);
  r = write_temp(dir, base, p, n, do_fsync, &tmp, msg, msglen);
  if (r) goto out;
  if (rename(tmp, path) != 0) {
    r = io_fail(msg, msglen, "cannot rename over", path, errno);
    unlink(tmp);
    goto out;
  }
  step(4);
  /* The rename is durable only once the directory entry is. */
  if (do_fsync && fsync_dir(dir) != 0) {
    r = io_fail(msg, msglen, "cannot fsync directory", dir, errno);
    goto out;
  }
  step(5);
out:
  x7__free(tmp);
  x7__free(dir);
  return r;
}

/* ---- lock ---- */

/* fcntl locks belong to the process, so threads of one process are kept
 * apart by this mutex and processes by the lock. */
static pthread_mutex_t lock_mu = PTHREAD_MUTEX_INITIALIZER;

x7_result x7__rr_lock(const char *path, int *pfd, char *msg, size_t msglen) {
  char *lp = join(path, ".lock", NULL);
  struct flock fl;
  int fd;
  *pfd = -1;
  if (!lp) return X7_ENOMEM;
  pthread_mutex_lock(&lock_mu);
  fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    x7_result r = io_fail(msg, msglen, "cannot open lock", lp, errno);
    pthread_mutex_unlock(&lock_mu);
    x7__free(lp);
    return r;
  }
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  while (fcntl(fd, F_SETLKW, &fl) != 0) {
    if (errno == EINTR) continue;
    {
      x7_result r = io_fail(msg, msglen, "cannot lock", lp, errno);
      close(fd);
      pthread_mutex_unlock(&lock_mu);
      x7__free(lp);
      return r;
    }
  }
  x7__free(lp);
  *pfd = fd;
  return X7_OK;
}

void x7__rr_unlock(int fd) {
  if (fd < 0) return;
  close(fd); /* drops the fcntl lock */
  pthread_mutex_unlock(&lock_mu);
}

/* ---- sidecar blobs ---- */

char *x7__rr_blob_dir(const char *cassette_path) {
  return join(cassette_path, ".blobs", NULL);
}

char *x7__rr_blob_path(const char *blob_dir, const char *sha) {
  return join(blob_dir, "/", sha);
}

int x7__rr_blob_exists(const char *blob_dir, const char *sha, uint64_t size) {
  struct stat st;
  char *p = x7__rr_blob_path(blob_dir, sha);
  int ok;
  if (!p) return 0;
  ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
  x7__free(p);
  return ok;
}

static x7_result ensure_dir(const char *dir, char *msg, size_t msglen) {
  if (mkdir(dir, 0755) == 0 || errno == EEXIST) return X7_OK;
  return io_fail(msg, msglen, "cannot create", dir, errno);
}

/* Move a finished temp file to its content address. */
static x7_result publish(const char *blob_dir, char *tmp, const char *sha,
                         int do_fsync, char *msg, size_t msglen) {
  char *dst = x7__rr_blob_path(blob_dir, sha);
  x7_result r = X7_OK;
  if (!dst) {
    unlink(tmp);
    return X7_ENOMEM;
  }
  if (rename(tmp, dst) != 0) {
    r = io_fail(msg, msglen, "cannot rename to", dst, errno);
    unlink(tmp);
  } else if (do_fsync && fsync_dir(blob_dir) != 0) {
    r = io_fail(msg, msglen, "cannot fsync", blob_dir, errno);
  }
  x7__free(dst);
  return r;
}

x7_result x7__rr_blob_put(const char *blob_dir, const uint8_t *p, size_t n,
                          int do_fsync, char sha[65], char *msg,
                          size_t msglen) {
  uint8_t sum[32];
  char *tmp = NULL;
  x7_result r;
  if (x7__rr_sha256(p, n, sum)) return X7_ENOMEM;
  x7__rr_hex(sum, 32, sha);
  if (x7__rr_blob_exists(blob_dir, sha, n)) return X7_OK;
  r = ensure_dir(blob_dir, msg, msglen);
  if (r) return r;
  r = write_temp(blob_dir, sha, p, n, do_fsync, &tmp, msg, msglen);
  if (r) return r;
  r = publish(blob_dir, tmp, sha, do_fsync, msg, msglen);
  x7__free(tmp);
  return r;
}

x7_result x7__rr_blob_put_file(const char *blob_dir, const char *src,
                               int do_fsync, char sha[65], uint64_t *psize,
                               char *msg, size_t msglen) {
  struct x7__rr_sha_ctx *h = NULL;
  uint8_t *buf = NULL, sum[32];
  char *tmp = NULL;
  int in = -1, out = -1;
  uint64_t size = 0;
  x7_result r;

  r = ensure_dir(blob_dir, msg, msglen);
  if (r) return r;
  buf = x7__malloc(CHUNK);
  h = x7__rr_sha_new();
  tmp = temp_name(blob_dir, "stream");
  if (!buf || !h || !tmp) {
    r = X7_ENOMEM;
    goto out;
  }
  in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    r = io_fail(msg, msglen, "cannot open", src, errno);
    goto out;
  }
  out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    r = io_fail(msg, msglen, "cannot create", tmp, errno);
    goto out;
  }
  for (;;) {
    ssize_t k = read(in, buf, CHUNK);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      r = io_fail(msg, msglen, "cannot read", src, errno);
      goto out;
    }
    if (k == 0) break;
    if (x7__rr_sha_update(h, buf, (size_t)k) ||
        write_all(out, buf, (size_t)k)) {
      r = io_fail(msg, msglen, "cannot write", tmp, errno);
      goto out;
    }
    size += (uint64_t)k;
  }
  if ((do_fsync && fsync(out) != 0) || close(out) != 0) {
    out = -1;
    r = io_fail(msg, msglen, "cannot write", tmp, errno);
    goto out;
  }
  out = -1;
  if (x7__rr_sha_final(h, sum)) {
    h = NULL;
    r = X7_ENOMEM;
    goto out;
  }
  h = NULL;
  x7__rr_hex(sum, 32, sha);
  *psize = size;
  if (x7__rr_blob_exists(blob_dir, sha, size)) {
    unlink(tmp);
  } else {
    r = publish(blob_dir, tmp, sha, do_fsync, msg, msglen);
  }
  x7__free(tmp);
  tmp = NULL;
out:
  if (in >= 0) close(in);
  if (out >= 0) close(out);
  if (tmp) {
    unlink(tmp);
    x7__free(tmp);
  }
  x7__rr_sha_free(h);
  x7__free(buf);
  return r;
}

/* Stream a blob through sha256 into fd (or memory when out != NULL). */
static x7_result blob_stream(const char *blob_dir, const char *sha,
                             uint64_t size, int fd, struct x7__buf *mem,
                             char *msg, size_t msglen) {
  char *path = x7__rr_blob_path(blob_dir, sha), hex[65];
  struct x7__rr_sha_ctx *h = NULL;
  uint8_t *buf = NULL, sum[32];
  uint64_t got = 0;
  int in = -1;
  x7_result r = X7_OK;
  if (!path) return X7_ENOMEM;
  h = x7__rr_sha_new();
  buf = mem ? NULL : x7__malloc(CHUNK);
  if (!h || (!mem && !buf)) {
    r = X7_ENOMEM;
    goto out;
  }
  in = open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    snprintf(msg, msglen, "sidecar body sha256:%s is missing (%s: %s)", sha,
             path, strerror(errno));
    r = X7_ECASSETTE_BLOB;
    goto out;
  }
  for (;;) {
    uint8_t *dst;
    ssize_t k;
    if (mem) {
      if (x7__buf_reserve(mem, CHUNK)) {
        r = X7_ENOMEM;
        goto out;
      }
      dst = mem->ptr + mem->len;
    } else {
      dst = buf;
    }
    k = read(in, dst, CHUNK);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      r = io_fail(msg, msglen, "cannot read", path, errno);
      goto out;
    }
    if (k == 0) break;
    got += (uint64_t)k;
    if (got > size) break;
    if (x7__rr_sha_update(h, dst, (size_t)k)) {
      r = X7_ENOMEM;
      goto out;
    }
    if (mem)
      mem->len += (size_t)k;
    else if (write_all(fd, dst, (size_t)k)) {
      r = io_fail(msg, msglen, "cannot write", "output file", errno);
      goto out;
    }
  }
  if (x7__rr_sha_final(h, sum)) {
    h = NULL;
    r = X7_ENOMEM;
    goto out;
  }
  h = NULL;
  x7__rr_hex(sum, 32, hex);
  if (got != size || strcmp(hex, sha) != 0) {
    snprintf(msg, msglen,
             "sidecar body sha256:%s does not match its content (%s)", sha,
             path);
    r = X7_ECASSETTE_BLOB;
  }
out:
  if (in >= 0) close(in);
  x7__rr_sha_free(h);
  x7__free(buf);
  x7__free(path);
  return r;
}

x7_result x7__rr_blob_read(const char *blob_dir, const char *sha, uint64_t size,
                           struct x7__buf *out, char *msg, size_t msglen) {
  if (size > X7__RR_FILE_MAX) {
    snprintf(msg, msglen, "sidecar body sha256:%s is too large for memory",
             sha);
    return X7_ERANGE;
  }
  return blob_stream(blob_dir, sha, size, -1, out, msg, msglen);
}

x7_result x7__rr_blob_copy_to(const char *blob_dir, const char *sha,
                              uint64_t size, const char *dst, char *msg,
                              size_t msglen) {
  int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  x7_result r;
  if (fd < 0) return io_fail(msg, msglen, "cannot create", dst, errno);
  r = blob_stream(blob_dir, sha, size, fd, NULL, msg, msglen);
  if (close(fd) != 0 && !r)
    r = io_fail(msg, msglen, "cannot write", dst, errno);
  if (r) unlink(dst);
  return r;
}

int x7__rr_scan_blob(struct x7__rr_redactor *r, const char *blob_dir,
                     const char *sha, char *where, size_t wlen) {
  size_t keep = x7__rr_scan_overlap(r), have = 0;
  char *path;
  uint8_t *buf;
  int fd, hit = 0;
  if (!keep) return 0; /* no known secret: nothing to look for */
  path = x7__rr_blob_path(blob_dir, sha);
  buf = x7__malloc(CHUNK + keep);
  if (!path || !buf) {
    x7__free(path);
    x7__free(buf);
    return -1;
  }
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) hit = -1;
  /* Chunks with the tail of the previous one in front, so a secret that
   * straddles a chunk boundary is still seen whole. */
  while (!hit) {
    ssize_t k = read(fd, buf + have, CHUNK);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      hit = -1;
      break;
    }
    if (k == 0) break;
    have += (size_t)k;
    hit = x7__rr_scan(r, buf, have, 0, where, wlen);
    if (have > keep) {
      memmove(buf, buf + have - keep, keep);
      have = keep;
    }
  }
  if (fd >= 0) close(fd);
  x7__free(buf);
  x7__free(path);
  return hit;
}
