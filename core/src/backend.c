/*
 * backend.c - the backend registry: compiled-in backends, user backends,
 * selection (API > X07_NET_BACKEND > "live") and the freeze on first use.
 *
 * The registry keeps private copies of the ops so it can fill in default
 * slots once; dispatch then never checks for NULL.  A mutex guards the
 * table because the first fetch may come from any thread.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x7/x7_backend.h>

#include "backend_int.h"
#include "core_int.h"

#define MAX_BACKENDS 16
#define DEFAULT_BACKEND "live"

struct slot {
  struct x7_backend_ops ops;
  int initialised; /* global_init ran and succeeded */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot table[MAX_BACKENDS];
static size_t count;
static int builtins_loaded;
static struct slot *frozen;
#ifdef X7_HAVE_CASSETTE
/* The cassette wrapper that replaces the transport when X07_NET_CASSETTE
 * (or an installed cassette) turns record/replay on. */
static struct slot rr_slot;
#endif
static char chosen[X7_BACKEND_NAME_MAX + 1];
/* Per thread: both are read after the lock is released, so a shared
 * buffer could be rewritten by another thread while a caller reads it. */
static _Thread_local char names[MAX_BACKENDS * (X7_BACKEND_NAME_MAX + 1) + 1];
static _Thread_local char errmsg[sizeof names + 128];

static x7_result no_http_fetch(const struct x7_http_fetch *req,
                               struct x7_bytes *presp) {
  (void)req;
  x7__bytes_reset(presp);
  return X7_ENOTSUPPORTED;
}

/* Socket defaults for a backend without sockets: doc ops have nothing to
 * say (X7_ENOTSUPPORTED, like http_fetch); no handle is ever open, so the
 * core answers handle ops with INVALID_REQ before reaching them. */
static x7_result no_dns_lookup(struct x7_view name, uint32_t port,
                               const struct x7_sock_caps *caps,
                               struct x7_bytes *pdoc) {
  (void)name, (void)port, (void)caps;
  x7__bytes_reset(pdoc);
  return X7_ENOTSUPPORTED;
}

static x7_result no_tcp_connect(struct x7_view addr,
                                const struct x7_sock_caps *caps,
                                struct x7_bytes *pdoc) {
  (void)addr, (void)caps;
  x7__bytes_reset(pdoc);
  return X7_ENOTSUPPORTED;
}

static x7_result no_tls_connect(struct x7_view addr,
                                const struct x7_tls_client *tls,
                                const struct x7_sock_caps *caps,
                                struct x7_bytes *pdoc) {
  (void)addr, (void)tls, (void)caps;
  x7__bytes_reset(pdoc);
  return X7_ENOTSUPPORTED;
}

static x7_result no_accept(uint32_t listener, const struct x7_sock_caps *caps,
                           struct x7_bytes *pdoc) {
  (void)listener, (void)caps;
  x7__bytes_reset(pdoc);
  return X7_ENOTSUPPORTED;
}

static x7_result no_read(uint32_t handle, uint32_t max_bytes,
                         const struct x7_sock_caps *caps,
                         struct x7_bytes *pdoc) {
  (void)handle, (void)max_bytes, (void)caps;
  x7__bytes_reset(pdoc);
  return X7_ENOTSUPPORTED;
}

static x7_result no_write(uint32_t handle, struct x7_view data,
                          const struct x7_sock_caps *caps,
                          struct x7_bytes *pdoc) {
  (void)handle, (void)data, (void)caps;
  x7__bytes_reset(pdoc);
  return X7_ENOTSUPPORTED;
}

static x7_result no_wait(uint32_t handle, uint32_t events,
                         uint32_t timeout_ms, struct x7_bytes *pdoc) {
  (void)handle, (void)events, (void)timeout_ms;
  x7__bytes_reset(pdoc);
  return X7_ENOTSUPPORTED;
}

static int32_t no_shutdown(uint32_t handle, int how) {
  (void)handle, (void)how;
  return 0;
}

static int32_t no_release(uint32_t handle, unsigned kinds) {
  (void)handle, (void)kinds;
  return 0;
}

static unsigned no_kind(uint32_t handle) {
  (void)handle;
  return 0;
}

static x7_result no_sendto(uint32_t handle, struct x7_view addr,
                           struct x7_view payload,
                           const struct x7_sock_caps *caps,
                           struct x7_bytes *pdoc) {
  (void)handle, (void)addr, (void)payload, (void)caps;
  x7__bytes_reset(pdoc);
  return X7_ENOTSUPPORTED;
}

/* A backend that claims sockets must implement every socket op: a
 * half-done set would fail in ways no caller can predict. */
static int socket_ops_complete(const struct x7_backend_ops *o) {
  return o->dns_lookup && o->tcp_connect && o->tcp_listen && o->tcp_accept &&
         o->stream_read && o->stream_write && o->stream_wait &&
         o->stream_shutdown && o->sock_close && o->sock_drop && o->sock_kind &&
         o->udp_bind && o->udp_sendto && o->udp_recvfrom;
}

static void fill_socket_defaults(struct x7_backend_ops *o) {
  if (!o->dns_lookup) o->dns_lookup = no_dns_lookup;
  if (!o->tcp_connect) o->tcp_connect = no_tcp_connect;
  if (!o->tls_connect) o->tls_connect = no_tls_connect;
  if (!o->tcp_listen) o->tcp_listen = no_tcp_connect;
  if (!o->tcp_accept) o->tcp_accept = no_accept;
  if (!o->stream_read) o->stream_read = no_read;
  if (!o->stream_write) o->stream_write = no_write;
  if (!o->stream_wait) o->stream_wait = no_wait;
  if (!o->stream_shutdown) o->stream_shutdown = no_shutdown;
  if (!o->sock_close) o->sock_close = no_release;
  if (!o->sock_drop) o->sock_drop = no_release;
  if (!o->sock_kind) o->sock_kind = no_kind;
  if (!o->udp_bind) o->udp_bind = no_tcp_connect;
  if (!o->udp_sendto) o->udp_sendto = no_sendto;
  if (!o->udp_recvfrom) o->udp_recvfrom = no_read;
}

static int name_ok(const char *name) {
  size_t n;
  if (!name) return 0;
  n = strlen(name);
  if (n == 0 || n > X7_BACKEND_NAME_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return 0;
  }
  return 1;
}

static struct slot *find(const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < count; i++)
    if (strlen(table[i].ops.name) == n &&
        x7__ascii_casecmp_eq((const uint8_t *)table[i].ops.name,
                             (const uint8_t *)name, n))
      return &table[i];
  return NULL;
}

static x7_result add_locked(const struct x7_backend_ops *ops) {
  struct slot *s;
  if (!ops || ops->version < 1 || !name_ok(ops->name)) return X7_EINVAL;
  if (ops->version > X7_BACKEND_OPS_MAX) return X7_ENOTSUPPORTED;
  if ((ops->caps & X7_BACKEND_CAP_HTTP) && !ops->http_fetch) return X7_EINVAL;
  if ((ops->caps & (X7_BACKEND_CAP_SOCKETS | X7_BACKEND_CAP_TLS_STREAMS)) &&
      !socket_ops_complete(ops))
    return X7_EINVAL;
  if ((ops->caps & X7_BACKEND_CAP_TLS_STREAMS) && !ops->tls_connect)
    return X7_EINVAL;
  if (find(ops->name)) return X7_EEXIST;
  if (count == MAX_BACKENDS) return X7_ERANGE;
  s = &table[count++];
  memset(s, 0, sizeof *s);
  s->ops = *ops;
  if (!s->ops.http_fetch) s->ops.http_fetch = no_http_fetch;
  fill_socket_defaults(&s->ops);
  return X7_OK;
}

static void load_builtins_locked(void) {
  if (builtins_loaded) return;
  builtins_loaded = 1;
  for (const struct x7_backend_ops *const *b = x7__builtin_backends; *b; b++)
    (void)add_locked(*b); /* built-ins are valid by construction */
}

x7_result x7_backend_register(const struct x7_backend_ops *ops) {
  x7_result r;
  pthread_mutex_lock(&lock);
  load_builtins_locked();
  r = frozen ? X7_ETOOLATE : add_locked(ops);
  pthread_mutex_unlock(&lock);
  return r;
}

static const char *names_locked(void);

x7_result x7_backend_select(const char *name) {
  x7_result r = X7_OK;
  if (!name) return X7_EINVAL;
  pthread_mutex_lock(&lock);
  load_builtins_locked();
  if (!find(name)) {
    snprintf(errmsg, sizeof errmsg,
             "selected backend '%.64s' is not available (registered: %s)",
             name, names_locked()[0] ? names : "none");
    r = X7_ENOTFOUND;
  } else if (frozen) {
    if (strcmp(frozen->ops.name, find(name)->ops.name) != 0) r = X7_ETOOLATE;
  } else {
    snprintf(chosen, sizeof chosen, "%s", find(name)->ops.name);
  }
  pthread_mutex_unlock(&lock);
  return r;
}

static const char *names_locked(void) {
  size_t off = 0;
  names[0] = '\0';
  for (size_t i = 0; i < count; i++)
    off += (size_t)snprintf(names + off, sizeof names - off, "%s%s",
                            i ? "," : "", table[i].ops.name);
  return names;
}

static x7_result freeze_locked(struct slot **ps) {
  const char *want, *env;
  struct slot *s;
  load_builtins_locked();
  if (!frozen) {
    env = getenv("X07_NET_BACKEND");
    want = chosen[0] ? chosen : (env && env[0]) ? env : DEFAULT_BACKEND;
    s = find(want);
    if (!s) {
      snprintf(errmsg, sizeof errmsg,
               "%s backend '%.64s' is not available (registered: %s)",
               chosen[0] ? "selected" : (env && env[0]) ? "X07_NET_BACKEND"
                                                        : "default",
               want, names_locked()[0] ? names : "none");
      return strcmp(want, DEFAULT_BACKEND) == 0 && !(env && env[0]) &&
                     !chosen[0]
                 ? X7_ENOTBUILT
                 : X7_ENOTFOUND;
    }
#ifdef X7_HAVE_CASSETTE
    {
      const struct x7_backend_ops *wrap = NULL;
      x7_result r = x7__rr_wrap(&s->ops, &wrap, errmsg, sizeof errmsg);
      if (r) return r;
      if (wrap) {
        memset(&rr_slot, 0, sizeof rr_slot);
        rr_slot.ops = *wrap;
        if (!rr_slot.ops.http_fetch) rr_slot.ops.http_fetch = no_http_fetch;
        fill_socket_defaults(&rr_slot.ops);
        s = &rr_slot;
      }
    }
#endif
    frozen = s;
  }
  if (!frozen->initialised && frozen->ops.global_init) {
    x7_result r = frozen->ops.global_init();
    if (r) {
      snprintf(errmsg, sizeof errmsg, "backend '%s' failed to start: %s",
               frozen->ops.name, x7_strerror(r));
      return r;
    }
  }
  frozen->initialised = 1;
  *ps = frozen;
  return X7_OK;
}

x7_result x7__backend_find(const char *name,
                           const struct x7_backend_ops **pops) {
  struct slot *s;
  pthread_mutex_lock(&lock);
  load_builtins_locked();
  s = find(name);
  pthread_mutex_unlock(&lock);
  *pops = s ? &s->ops : NULL;
  return s ? X7_OK : X7_ENOTFOUND;
}

x7_result x7__backend_get(const struct x7_backend_ops **pops) {
  struct slot *s = NULL;
  x7_result r;
  pthread_mutex_lock(&lock);
  r = freeze_locked(&s);
  pthread_mutex_unlock(&lock);
  *pops = r ? NULL : &s->ops;
  return r;
}

x7_result x7_backend_current(const char **pname) {
  const struct x7_backend_ops *ops;
  x7_result r;
  if (!pname) return X7_EINVAL;
  *pname = NULL;
  r = x7__backend_get(&ops);
  if (!r) *pname = ops->name;
  return r;
}

x7_result x7_backend_caps(const char *name, unsigned *pcaps) {
  struct slot *s;
  if (!name || !pcaps) return X7_EINVAL;
  pthread_mutex_lock(&lock);
  load_builtins_locked();
  s = find(name);
  *pcaps = s ? s->ops.caps : 0;
  pthread_mutex_unlock(&lock);
  return s ? X7_OK : X7_ENOTFOUND;
}

const char *x7_backend_names(void) {
  const char *n;
  pthread_mutex_lock(&lock);
  load_builtins_locked();
  n = names_locked();
  pthread_mutex_unlock(&lock);
  return n;
}

const char *x7_backend_errmsg(void) { return errmsg; }

/* Tests need a fresh registry per case.  Hidden (x7__), never exported. */
void x7__backend_reset_for_tests(void) {
  pthread_mutex_lock(&lock);
  count = 0;
  builtins_loaded = 0;
  frozen = NULL;
  chosen[0] = '\0';
  errmsg[0] = '\0';
  pthread_mutex_unlock(&lock);
}
