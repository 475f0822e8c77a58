/*
 * be_cassette.c - struct x7_cassette: configuration, open and save,
 * replay (a hermetic backend: it never reaches a transport), the per-key
 * FIFO queues, and the hook that makes the registry's frozen backend a
 * cassette when X07_NET_CASSETTE is set or one was installed.
 *
 * Replay path: redact the live request exactly as recorded requests were
 * redacted, build its canonical key, find the key's queue through a hash
 * table, take the next unconsumed interaction (or apply the exhaustion
 * policy), and rebuild the response doc the request's caps ask for.  A
 * miss never produces a plausible response: it is NetErrDocV1 code 9 and
 * a report.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <x7/net_err.h>
#include <x7/net_http.h>
#include <x7/net_http_spec.h>
#include <x7/x7_policy.h>
#include <x7/x7_version.h>

#include "backend_int.h"
#include "cassette_int.h"
#include "http_int.h"
#include "net_int.h"

static _Thread_local char open_errmsg[512];

/* ---- configuration ---- */

x7_result x7_cassette_config_new(struct x7_cassette_config **pcfg) {
  struct x7_cassette_config *c;
  if (!pcfg) return X7_EINVAL;
  *pcfg = NULL;
  c = x7__malloc(sizeof *c);
  if (!c) return X7_ENOMEM;
  memset(c, 0, sizeof *c);
  c->mode = X7_RR_REPLAY;
  c->do_fsync = 1;
  x7__rr_settings_init(&c->settings);
  *pcfg = c;
  return X7_OK;
}

void x7_cassette_config_free(struct x7_cassette_config *cfg) {
  if (!cfg) return;
  x7__rr_settings_cleanup(&cfg->settings);
  for (size_t i = 0; i < cfg->n_matchers; i++) x7__free(cfg->matchers[i].name);
  x7__rr_strs_free(&cfg->secrets);
  x7__free(cfg->salt);
  x7__free(cfg->transport);
  x7__free(cfg->policy_hash);
  x7__free(cfg);
}

x7_result x7_cassette_config_set_mode(struct x7_cassette_config *cfg,
                                      enum x7_rr_mode mode) {
  if (!cfg || (unsigned)mode > X7_RR_ONCE) return X7_EINVAL;
  cfg->mode = mode;
  return X7_OK;
}

x7_result x7_cassette_config_set_match(struct x7_cassette_config *cfg,
                                       unsigned bits) {
  if (!cfg || (bits & ~(unsigned)X7_CASSETTE_MATCH_DEFAULT)) return X7_EINVAL;
  cfg->settings.match = bits;
  cfg->set |= X7__RR_SET_MATCH;
  return X7_OK;
}

static int token_ok(const char *s) {
  if (!s || !*s) return 0;
  for (const char *p = s; *p; p++) {
    uint8_t c = (uint8_t)*p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c))))
      return 0;
  }
  return 1;
}

static int printable_ok(const char *s) {
  if (!s || !*s) return 0;
  for (const char *p = s; *p; p++)
    if ((uint8_t)*p < 0x21 || (uint8_t)*p > 0x7e) return 0;
  return 1;
}

x7_result x7_cassette_config_match_header(struct x7_cassette_config *cfg,
                                          const char *name) {
  if (!cfg || !token_ok(name)) return X7_EINVAL;
  if (x7__rr_strs_add(&cfg->settings.match_headers, name, strlen(name), 1))
    return X7_ENOMEM;
  cfg->set |= X7__RR_SET_HEADERS;
  return X7_OK;
}

x7_result x7_cassette_config_ignore_query(struct x7_cassette_config *cfg,
                                          const char *name) {
  if (!cfg || !printable_ok(name)) return X7_EINVAL;
  if (x7__rr_strs_add(&cfg->settings.ignore_query, name, strlen(name), 0))
    return X7_ENOMEM;
  cfg->set |= X7__RR_SET_QUERY;
  return X7_OK;
}

x7_result x7_cassette_config_add_matcher(struct x7_cassette_config *cfg,
                                         const char *name,
                                         x7_cassette_matcher_fn *fn, void *ud) {
  char *copy;
  if (!cfg || !fn || !printable_ok(name)) return X7_EINVAL;
  if (cfg->n_matchers == X7__RR_MAX_MATCHERS) return X7_ERANGE;
  copy = x7__malloc(strlen(name) + 1);
  if (!copy) return X7_ENOMEM;
  memcpy(copy, name, strlen(name) + 1);
  if (x7__rr_strs_add(&cfg->settings.custom, name, strlen(name), 0)) {
    x7__free(copy);
    return X7_ENOMEM;
  }
  cfg->matchers[cfg->n_matchers++] = (struct x7__rr_matcher){copy, fn, ud};
  return X7_OK;
}

x7_result x7_cassette_config_set_exhaustion(struct x7_cassette_config *cfg,
                                            enum x7_cassette_exhaust policy) {
  if (!cfg || (unsigned)policy > X7_CASSETTE_EXHAUST_CYCLE) return X7_EINVAL;
  cfg->settings.exhaust = (int)policy;
  cfg->set |= X7__RR_SET_EXHAUST;
  return X7_OK;
}

x7_result x7_cassette_config_redact(struct x7_cassette_config *cfg,
                                    enum x7_cassette_redact kind,
                                    const char *name) {
  if (!cfg || (unsigned)kind >= X7__RR_RULES) return X7_EINVAL;
  if (kind == X7_CASSETTE_REDACT_HEADER ? !token_ok(name) : !printable_ok(name))
    return X7_EINVAL;
  if (x7__rr_strs_add(&cfg->settings.redact[kind], name, strlen(name), 1))
    return X7_ENOMEM;
  return X7_OK;
}

x7_result x7_cassette_config_add_secret(struct x7_cassette_config *cfg,
                                        struct x7_view secret) {
  if (!cfg || !x7__view_ok(secret) || secret.len < X7__RR_SECRET_MIN ||
      memchr(secret.ptr, 0, secret.len))
    return X7_EINVAL;
  if (x7__rr_strs_add(&cfg->secrets, (const char *)secret.ptr, secret.len, 0))
    return X7_ENOMEM;
  return X7_OK;
}

x7_result x7_cassette_config_set_strict(struct x7_cassette_config *cfg,
                                        int on) {
  if (!cfg) return X7_EINVAL;
  cfg->strict = on != 0;
  return X7_OK;
}

x7_result x7_cassette_config_set_salt(struct x7_cassette_config *cfg,
                                      struct x7_view salt) {
  uint8_t *p = NULL;
  if (!cfg || !x7__view_ok(salt)) return X7_EINVAL;
  if (salt.len) {
    p = x7__malloc(salt.len);
    if (!p) return X7_ENOMEM;
    memcpy(p, salt.ptr, salt.len);
  }
  x7__free(cfg->salt);
  cfg->salt = p;
  cfg->salt_len = salt.len;
  return X7_OK;
}

static x7_result set_string(char **dst, const char *s) {
  char *p = x7__malloc(strlen(s) + 1);
  if (!p) return X7_ENOMEM;
  memcpy(p, s, strlen(s) + 1);
  x7__free(*dst);
  *dst = p;
  return X7_OK;
}

x7_result x7_cassette_config_set_transport(struct x7_cassette_config *cfg,
                                           const char *backend_name) {
  if (!cfg || !backend_name || !backend_name[0]) return X7_EINVAL;
  return set_string(&cfg->transport, backend_name);
}

x7_result x7_cassette_config_set_inline_max(struct x7_cassette_config *cfg,
                                            size_t bytes) {
  if (!cfg) return X7_EINVAL;
  cfg->settings.inline_max = bytes;
  cfg->set |= X7__RR_SET_INLINE;
  return X7_OK;
}

x7_result x7_cassette_config_set_timings(struct x7_cassette_config *cfg,
                                         int on) {
  if (!cfg) return X7_EINVAL;
  cfg->settings.timings = on != 0;
  cfg->set |= X7__RR_SET_TIMINGS;
  return X7_OK;
}

x7_result x7_cassette_config_set_fsync(struct x7_cassette_config *cfg, int on) {
  if (!cfg) return X7_EINVAL;
  cfg->do_fsync = on != 0;
  return X7_OK;
}

x7_result x7_cassette_config_set_policy_hash(struct x7_cassette_config *cfg,
                                             const char *hash) {
  if (!cfg || !printable_ok(hash)) return X7_EINVAL;
  return set_string(&cfg->policy_hash, hash);
}

/* ---- modes ---- */

static const char *const mode_names[] = {
    "off", "record", "replay", "record_missing", "rewrite", "once"};

x7_result x7_cassette_mode_parse(const char *name, enum x7_rr_mode *pmode) {
  if (!name || !pmode) return X7_EINVAL;
  for (int i = 0; i <= X7_RR_ONCE; i++)
    if (strcmp(name, mode_names[i]) == 0) {
      *pmode = (enum x7_rr_mode)i;
      return X7_OK;
    }
  return X7_EINVAL;
}

const char *x7_cassette_mode_name(enum x7_rr_mode mode) {
  return (unsigned)mode <= X7_RR_ONCE ? mode_names[mode] : NULL;
}

static int recording(enum x7_rr_mode m) {
  return m == X7_RR_RECORD || m == X7_RR_RECORD_MISSING || m == X7_RR_REWRITE;
}

static int replaying(enum x7_rr_mode m) {
  return m == X7_RR_REPLAY || m == X7_RR_RECORD_MISSING;
}

/* ---- index: hash table of per-key FIFO queues ---- */

static int slots_rehash(struct x7_cassette *c, size_t n) {
  uint32_t *s = x7__malloc(n * sizeof *s);
  if (!s) return -1;
  memset(s, 0, n * sizeof *s);
  for (size_t q = 0; q < c->n_queues; q++) {
    size_t i = (size_t)c->queues[q].hash & (n - 1);
    while (s[i]) i = (i + 1) & (n - 1);
    s[i] = (uint32_t)q + 1;
  }
  x7__free(c->slots);
  c->slots = s;
  c->n_slots = n;
  return 0;
}

struct x7__rr_queue *x7__rr_queue_find(struct x7_cassette *c,
                                       const uint8_t *key, size_t n,
                                       uint64_t hash) {
  size_t i;
  if (!c->n_slots) return NULL;
  i = (size_t)hash & (c->n_slots - 1);
  while (c->slots[i]) {
    struct x7__rr_queue *q = &c->queues[c->slots[i] - 1];
    if (q->hash == hash && q->key_len == n && memcmp(q->key, key, n) == 0)
      return q;
    i = (i + 1) & (c->n_slots - 1);
  }
  return NULL;
}

static int ix_key(struct x7_cassette *c, struct x7__rr_ix *ix) {
  struct x7__rr_reqview v;
  struct x7__buf k;
  if (ix->key) return 0;
  x7__rr_ix_view(ix, &v);
  x7__buf_init(&k);
  x7__rr_key(&c->doc.settings, &v, &k);
  if (k.failed) return -1;
  if (!k.len) x7__buf_u8(&k, 0); /* an empty key still needs storage */
  if (k.failed) return -1;
  ix->key = k.ptr;
  ix->key_len = k.len;
  ix->hash = x7__rr_hash(k.ptr, k.len);
  return 0;
}

int x7__rr_index_add(struct x7_cassette *c, uint32_t i) {
  struct x7__rr_ix *ix = c->doc.ix[i];
  struct x7__rr_queue *q;
  if (ix_key(c, ix)) return -1;
  q = x7__rr_queue_find(c, ix->key, ix->key_len, ix->hash);
  if (!q) {
    size_t pos;
    if (c->n_queues == c->cap_queues) {
      size_t cap = c->cap_queues ? c->cap_queues * 2 : 64;
      struct x7__rr_queue *nq = x7__realloc(c->queues, cap * sizeof *nq);
      if (!nq) return -1;
      c->queues = nq;
      c->cap_queues = cap;
    }
    if ((c->n_queues + 1) * 2 > c->n_slots &&
        slots_rehash(c, c->n_slots ? c->n_slots * 2 : 128))
      return -1;
    q = &c->queues[c->n_queues++];
    memset(q, 0, sizeof *q);
    q->key = ix->key;
    q->key_len = ix->key_len;
    q->hash = ix->hash;
    q->last = UINT32_MAX;
    pos = (size_t)q->hash & (c->n_slots - 1);
    while (c->slots[pos]) pos = (pos + 1) & (c->n_slots - 1);
    c->slots[pos] = (uint32_t)c->n_queues;
  }
  if (q->n == q->cap) {
    uint32_t cap = q->cap ? q->cap * 2 : 2;
    uint32_t *v = x7__realloc(q->ix, cap * sizeof *v);
    if (!v) return -1;
    q->ix = v;
    q->cap = cap;
  }
  q->ix[q->n++] = i;
  ix->queue = (uint32_t)(q - c->queues);
  return 0;
}

/* ---- open / free ---- */

static void cassette_release(struct x7_cassette *c) {
  for (size_t q = 0; q < c->n_queues; q++) x7__free(c->queues[q].ix);
  x7__free(c->queues);
  x7__free(c->slots);
  x7__rr_doc_cleanup(&c->doc);
  x7__rr_redactor_cleanup(&c->red);
  for (size_t i = 0; i < c->n_matchers; i++) x7__free(c->matchers[i].name);
  x7__free(c->path);
  x7__free(c->blob_dir);
  x7__free(c->transport_name);
  x7__free(c->policy_hash);
  x7__free(c->miss_json);
  x7__free(c->miss_text);
  pthread_mutex_destroy(&c->mu);
  x7__free(c);
}

/* Settings precedence: what the config set explicitly, else what the file
 * says, else the defaults; redaction rules are the union (a rule is never
 * dropped because a config forgot it). */
static int merge_settings(struct x7__rr_settings *file,
                          const struct x7_cassette_config *cfg) {
  const struct x7__rr_settings *s = &cfg->settings;
  if (cfg->set & X7__RR_SET_MATCH) file->match = s->match;
  if (cfg->set & X7__RR_SET_HEADERS) {
    x7__rr_strs_free(&file->match_headers);
    if (x7__rr_strs_union(&file->match_headers, &s->match_headers)) return -1;
    file->match |= X7_CASSETTE_MATCH_HEADERS & s->match;
  }
  if (cfg->set & X7__RR_SET_QUERY) {
    x7__rr_strs_free(&file->ignore_query);
    if (x7__rr_strs_union(&file->ignore_query, &s->ignore_query)) return -1;
  }
  if (cfg->set & X7__RR_SET_EXHAUST) file->exhaust = s->exhaust;
  if (cfg->set & X7__RR_SET_INLINE) file->inline_max = s->inline_max;
  if (cfg->set & X7__RR_SET_TIMINGS) file->timings = s->timings;
  if (x7__rr_strs_union(&file->custom, &s->custom)) return -1;
  for (int i = 0; i < X7__RR_RULES; i++)
    if (x7__rr_strs_union(&file->redact[i], &s->redact[i])) return -1;
  return 0;
}

/* Provenance: X07_OS_POLICY_HASH when the runner gives one; else, under
 * a sandbox policy, "sha256:" + the digest of the policy's environment
 * contract (x7_policy_env_write: every X07_OS_* variable in the runner's
 * order); "none" when not sandboxed.  *pout is x7__malloc'd. */
static x7_result policy_hash(char **pout) {
  const char *h = getenv("X07_OS_POLICY_HASH");
  struct x7_policy *p = NULL;
  char text[7 + 65] = "none";
  if (h && h[0]) return set_string(pout, h);
  if (x7_policy_env_read(NULL, &p) == X7_OK && x7_policy_is_sandboxed(p)) {
    struct x7_bytes env = {0};
    uint8_t sum[32];
    if (x7_policy_env_write(p, &env) == X7_OK &&
        x7__rr_sha256(env.ptr, env.len, sum) == 0) {
      memcpy(text, "sha256:", 7);
      x7__rr_hex(sum, 32, text + 7);
    }
    x7_bytes_free(&env);
  }
  x7_policy_free(p);
  return set_string(pout, text);
}

static x7_result load(struct x7_cassette *c, int *pexists) {
  struct x7__buf file;
  x7_result r;
  char why[400];
  x7__buf_init(&file);
  *pexists = 0;
  r = x7__rr_file_read(c->path, &file, why, sizeof why);
  if (r == X7_ECASSETTE_NOFILE) {
    x7__buf_cleanup(&file);
    return X7_OK;
  }
  if (r) {
    snprintf(c->errmsg, sizeof c->errmsg, "%s", why);
    x7__buf_cleanup(&file);
    return r;
  }
  *pexists = 1;
  if (x7__rr_sha256(file.ptr, file.len, c->file_sha) == 0) c->file_sha_ok = 1;
  x7__rr_doc_cleanup(&c->doc);
  r = x7__rr_decode(file.ptr, file.len, 1, c->blob_dir, &c->doc, why,
                    sizeof why);
  x7__buf_cleanup(&file);
  if (r) snprintf(c->errmsg, sizeof c->errmsg, "%s:%s", c->path, why);
  return r;
}

x7_result x7_cassette_open(const char *path,
                           const struct x7_cassette_config *cfg_in,
                           struct x7_cassette **pc) {
  struct x7_cassette_config *defaults = NULL;
  const struct x7_cassette_config *cfg = cfg_in;
  struct x7_cassette *c = NULL;
  x7_result r;
  int exists = 0;

  open_errmsg[0] = '\0';
  if (!pc) return X7_EINVAL;
  *pc = NULL;
  if (!path || !path[0]) {
    snprintf(open_errmsg, sizeof open_errmsg, "empty cassette path");
    return X7_EINVAL;
  }
  if (!cfg) {
    r = x7_cassette_config_new(&defaults);
    if (r) return r;
    cfg = defaults;
  }
  c = x7__malloc(sizeof *c);
  if (!c) {
    r = X7_ENOMEM;
    goto fail_early;
  }
  memset(c, 0, sizeof *c);
  if (pthread_mutex_init(&c->mu, NULL) != 0) {
    x7__free(c);
    c = NULL;
    r = X7_ENOMEM;
    goto fail_early;
  }
  c->refs = 1;
  x7__rr_doc_init(&c->doc);
  /* The redactor is initialised before anything can fail so that the
   * release path may always clean it up. */
  if (x7__rr_redactor_init(&c->red, NULL)) goto oom;
  c->mode = cfg->mode;
  c->do_fsync = cfg->do_fsync;
  if (set_string(&c->path, path) || !(c->blob_dir = x7__rr_blob_dir(path)) ||
      (cfg->transport && set_string(&c->transport_name, cfg->transport)) ||
      (cfg->policy_hash ? set_string(&c->policy_hash, cfg->policy_hash)
                        : policy_hash(&c->policy_hash)))
    goto oom;
  if (c->mode != X7_RR_OFF && c->mode != X7_RR_REWRITE) {
    r = load(c, &exists);
    if (r) goto fail;
  } else {
    /* Remember what is on disk so a concurrent writer is noticed. */
    struct x7__buf f;
    char why[200];
    x7__buf_init(&f);
    if (!x7__rr_file_read(path, &f, why, sizeof why)) {
      exists = 1;
      if (!x7__rr_sha256(f.ptr, f.len, c->file_sha)) c->file_sha_ok = 1;
    }
    x7__buf_cleanup(&f);
  }
  if (c->mode == X7_RR_ONCE) c->mode = exists ? X7_RR_REPLAY : X7_RR_REWRITE;
  if (c->mode == X7_RR_REWRITE) x7__rr_doc_cleanup(&c->doc);
  c->file_existed = exists;
  c->n_loaded = c->doc.n;
  if (merge_settings(&c->doc.settings, cfg)) goto oom;
  /* Fail closed: a cassette matched with a custom predicate must not be
   * replayed without it. */
  for (size_t i = 0; i < c->doc.settings.custom.n; i++) {
    size_t k;
    for (k = 0; k < cfg->n_matchers; k++)
      if (strcmp(cfg->matchers[k].name, c->doc.settings.custom.v[i]) == 0)
        break;
    if (k == cfg->n_matchers) {
      snprintf(c->errmsg, sizeof c->errmsg,
               "%s: the cassette needs the custom matcher \"%s\" "
               "(x7_cassette_config_add_matcher)",
               path, c->doc.settings.custom.v[i]);
      r = X7_EINVAL;
      goto fail;
    }
  }
  for (size_t i = 0; i < cfg->n_matchers; i++) {
    c->matchers[i] = cfg->matchers[i];
    c->matchers[i].name = NULL;
    if (set_string(&c->matchers[i].name, cfg->matchers[i].name)) goto oom;
    c->n_matchers = i + 1;
  }
  x7__rr_redactor_cleanup(&c->red);
  if (x7__rr_redactor_init(&c->red, &c->doc.settings)) goto oom;
  if (x7__rr_strs_union(&c->red.secrets, &cfg->secrets)) goto oom;
  c->red.strict = cfg->strict;
  if (cfg->salt_len) {
    c->red.salt = x7__malloc(cfg->salt_len);
    if (!c->red.salt) goto oom;
    memcpy(c->red.salt, cfg->salt, cfg->salt_len);
    c->red.salt_len = cfg->salt_len;
  }
  for (size_t i = 0; i < c->doc.n; i++)
    if (x7__rr_index_add(c, (uint32_t)i)) goto oom;
  x7_cassette_config_free(defaults);
  *pc = c;
  return X7_OK;
oom:
  r = X7_ENOMEM;
  snprintf(c->errmsg, sizeof c->errmsg, "out of memory");
fail:
  snprintf(open_errmsg, sizeof open_errmsg, "%s", c->errmsg);
  cassette_release(c);
  x7_cassette_config_free(defaults);
  return r;
fail_early:
  x7_cassette_config_free(defaults);
  return r;
}

void x7_cassette_free(struct x7_cassette *c) {
  int last;
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  last = --c->refs == 0;
  pthread_mutex_unlock(&c->mu);
  if (last) cassette_release(c);
}

enum x7_rr_mode x7_cassette_mode(const struct x7_cassette *c) {
  return c ? c->mode : X7_RR_OFF;
}

const char *x7_cassette_errmsg(const struct x7_cassette *c) {
  return c ? c->errmsg : open_errmsg;
}

/* ---- save ---- */

static void set_errmsg(struct x7_cassette *c, const char *msg) {
  pthread_mutex_lock(&c->mu);
  snprintf(c->errmsg, sizeof c->errmsg, "%s", msg);
  pthread_mutex_unlock(&c->mu);
}

/* The scan of everything a save is about to write. */
static x7_result scan_before_write(struct x7_cassette *c,
                                   const struct x7__rr_doc *d,
                                   const struct x7__buf *bytes, char *msg,
                                   size_t msglen) {
  char where[200];
  for (size_t i = 0; i < d->n; i++) {
    const struct x7__rr_ix *ix = d->ix[i];
    if (!ix->fresh || ix->saved) continue;
    if (c->red.strict && x7__rr_scan_entropy(ix, where, sizeof where)) {
      snprintf(msg, msglen,
               "%s: strict mode: interactions[%zu]: possible secret in %s "
               "(add a redaction rule, or x7_cassette_config_set_strict(0))",
               c->path, i, where);
      return X7_ECASSETTE_SECRET;
    }
    if (!ix->resp_body.blob && ix->resp_body.len &&
        x7__rr_scan(&c->red, ix->resp_body.ptr, (size_t)ix->resp_body.len, 1,
                    where, sizeof where) == 1) {
      snprintf(msg, msglen, "%s: interactions[%zu].response.body holds %s",
               c->path, i, where);
      return X7_ECASSETTE_SECRET;
    }
    /* Sidecar bodies are never redacted in place (a to-file body can be
     * any size): one holding a known secret stops the save. */
    for (int side = 0; side < 2; side++) {
      const struct x7__rr_body *b = side ? &ix->resp_body : &ix->req_body;
      int hit;
      if (!b->blob) continue;
      hit = x7__rr_scan_blob(&c->red, c->blob_dir, b->sha, where, sizeof where);
      if (hit == 1) {
        snprintf(msg, msglen,
                 "%s: interactions[%zu].%s.body (sidecar sha256:%.16s...) "
                 "holds %s; nothing written",
                 c->path, i, side ? "response" : "request", b->sha, where);
        return X7_ECASSETTE_SECRET;
      }
      if (hit < 0) {
        snprintf(msg, msglen, "%s: cannot scan sidecar sha256:%s", c->path,
                 b->sha);
        return X7_ECASSETTE_IO;
      }
    }
  }
  if (x7__rr_scan(&c->red, bytes->ptr, bytes->len, 0, where, sizeof where) ==
      1) {
    snprintf(msg, msglen, "%s: the cassette text holds %s; nothing written",
             c->path, where);
    return X7_ECASSETTE_SECRET;
  }
  return X7_OK;
}

x7_result x7_cassette_save(struct x7_cassette *c) {
  struct x7__rr_doc disk;
  struct x7__buf file, out;
  struct x7__rr_ix **fresh = NULL;
  size_t n_fresh = 0;
  char msg[512];
  int lockfd = -1, merged = 0;
  uint8_t sum[32];
  x7_result r;

  if (!c) return X7_EINVAL;
  if (c->mode == X7_RR_OFF || c->mode == X7_RR_REPLAY) return X7_OK;
  msg[0] = '\0';
  x7__rr_doc_init(&disk);
  x7__buf_init(&file);
  x7__buf_init(&out);
  r = x7__rr_lock(c->path, &lockfd, msg, sizeof msg);
  if (r) goto out;
  pthread_mutex_lock(&c->mu);
  if (!c->dirty) {
    pthread_mutex_unlock(&c->mu);
    goto out;
  }
  fresh = x7__malloc((c->doc.n ? c->doc.n : 1) * sizeof *fresh);
  if (!fresh) {
    pthread_mutex_unlock(&c->mu);
    r = X7_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < c->doc.n; i++)
    if (c->doc.ix[i]->fresh && !c->doc.ix[i]->saved)
      fresh[n_fresh++] = c->doc.ix[i];
  pthread_mutex_unlock(&c->mu);

  /* What is on disk now: another process may have saved since we read. */
  r = x7__rr_file_read(c->path, &file, msg, sizeof msg);
  if (r && r != X7_ECASSETTE_NOFILE) goto out;
  if (r == X7_OK) {
    if (x7__rr_sha256(file.ptr, file.len, sum)) {
      r = X7_ENOMEM;
      goto out;
    }
    if (c->mode == X7_RR_REWRITE) {
      if (!c->file_sha_ok || memcmp(sum, c->file_sha, 32) != 0) {
        snprintf(msg, sizeof msg,
                 "%s: changed by another writer since this rewrite "
                 "started; not overwritten",
                 c->path);
        r = X7_ECASSETTE_CONFLICT;
        goto out;
      }
    } else {
      char why[400];
      r = x7__rr_decode(file.ptr, file.len, 1, c->blob_dir, &disk, why,
                        sizeof why);
      if (r) {
        snprintf(msg, sizeof msg, "%s:%s (not overwritten)", c->path, why);
        goto out;
      }
      merged = 1;
    }
  } else if (c->mode == X7_RR_REWRITE && c->file_sha_ok) {
    snprintf(msg, sizeof msg,
             "%s: removed by another writer since this rewrite started",
             c->path);
    r = X7_ECASSETTE_CONFLICT;
    goto out;
  }
  r = X7_OK;

  /* The document to write: what the file holds (re-read), or in rewrite
   * mode what this session already saved, plus the new interactions. */
  pthread_mutex_lock(&c->mu);
  x7__rr_settings_cleanup(&disk.settings);
  if (x7__rr_settings_copy(&disk.settings, &c->doc.settings)) {
    pthread_mutex_unlock(&c->mu);
    r = X7_ENOMEM;
    goto out;
  }
  pthread_mutex_unlock(&c->mu);
  x7__free(disk.x7net_version);
  x7__free(disk.policy_hash);
  x7__free(disk.transport);
  disk.x7net_version = NULL;
  disk.policy_hash = NULL;
  disk.transport = NULL;
  if (set_string(&disk.x7net_version, X7_VERSION_STR) ||
      set_string(&disk.policy_hash, c->policy_hash) ||
      set_string(&disk.transport,
                 c->inner ? c->inner->name
                          : (c->transport_name ? c->transport_name : "none"))) {
    r = X7_ENOMEM;
    goto out;
  }
  if (!merged) {
    /* Rewrite: earlier saves of this session are on disk and ours. */
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->doc.n; i++)
      if (c->doc.ix[i]->saved && x7__rr_doc_push(&disk, c->doc.ix[i])) {
        pthread_mutex_unlock(&c->mu);
        r = X7_ENOMEM;
        goto out;
      }
    pthread_mutex_unlock(&c->mu);
  }
  {
    size_t owned = disk.n;
    for (size_t i = 0; i < n_fresh; i++)
      if (x7__rr_doc_push(&disk, fresh[i])) {
        r = X7_ENOMEM;
        break;
      }
    if (!r) r = x7__rr_encode(&disk, &out);
    if (!r) r = scan_before_write(c, &disk, &out, msg, sizeof msg);
    /* Hand the borrowed interactions back before disk is cleaned up. */
    disk.n = merged ? owned : 0;
  }
  if (r) goto out;
  r = x7__rr_file_write_atomic(c->path, out.ptr, out.len, c->do_fsync, msg,
                               sizeof msg);
  if (r) goto out;
  pthread_mutex_lock(&c->mu);
  for (size_t i = 0; i < n_fresh; i++) fresh[i]->saved = 1;
  if (!x7__rr_sha256(out.ptr, out.len, c->file_sha)) c->file_sha_ok = 1;
  c->dirty = 0;
  for (size_t i = 0; i < c->doc.n; i++)
    if (c->doc.ix[i]->fresh && !c->doc.ix[i]->saved) c->dirty = 1;
  pthread_mutex_unlock(&c->mu);
out:
  x7__rr_unlock(lockfd);
  if (r) set_errmsg(c, msg[0] ? msg : x7_strerror(r));
  x7__free(fresh);
  x7__rr_doc_cleanup(&disk);
  x7__buf_cleanup(&file);
  x7__buf_cleanup(&out);
  return r;
}

/* ---- replay ---- */

static int matchers_accept(struct x7_cassette *c,
                           const struct x7__rr_reqview *v,
                           const struct x7__rr_ix *ix) {
  struct x7_cassette_request live, rec;
  struct x7__rr_reqview rv;
  const char *m;
  if (!c->n_matchers) return 1;
  m = x7__rr_method_name(v->method);
  live.method = x7_view_str(m ? m : "");
  live.url = v->url;
  live.headers = v->headers;
  live.body = v->body;
  live.body_len = v->body_len;
  x7__rr_ix_view(ix, &rv);
  m = x7__rr_method_name(rv.method);
  rec.method = x7_view_str(m ? m : "");
  rec.url = rv.url;
  rec.headers = rv.headers;
  rec.body = rv.body;
  rec.body_len = rv.body_len;
  for (size_t i = 0; i < c->n_matchers; i++)
    if (!c->matchers[i].fn(&live, &rec, c->matchers[i].ud)) return 0;
  return 1;
}

void x7__rr_lookup(struct x7_cassette *c, const struct x7__rr_reqview *v,
                   const uint8_t *key, size_t key_len,
                   const struct x7__rr_ix **pix, uint32_t *pconsumed,
                   uint32_t *ptotal) {
  uint64_t h = x7__rr_hash(key, key_len);
  struct x7__rr_queue *q;
  struct x7__rr_ix *ix = NULL;
  uint32_t pick = UINT32_MAX, accepted = 0, used = 0;

  *pix = NULL;
  *pconsumed = *ptotal = 0;
  pthread_mutex_lock(&c->mu);
  q = x7__rr_queue_find(c, key, key_len, h);
  if (!q) goto out;
  /* FIFO: the first entry not yet consumed that every matcher accepts. */
  for (uint32_t k = q->next; k < q->n; k++) {
    struct x7__rr_ix *e = c->doc.ix[q->ix[k]];
    if (e->used || !matchers_accept(c, v, e)) continue;
    pick = k;
    break;
  }
  if (pick == UINT32_MAX) {
    for (uint32_t k = 0; k < q->n; k++) {
      struct x7__rr_ix *e = c->doc.ix[q->ix[k]];
      if (!matchers_accept(c, v, e)) continue;
      accepted++;
      used += e->used != 0;
    }
    if (accepted &&
        c->doc.settings.exhaust == X7_CASSETTE_EXHAUST_REPEAT_LAST &&
        q->last != UINT32_MAX) {
      ix = c->doc.ix[q->ix[q->last]];
    } else if (accepted &&
               c->doc.settings.exhaust == X7_CASSETTE_EXHAUST_CYCLE) {
      for (uint32_t k = 0; k < q->n; k++) c->doc.ix[q->ix[k]]->used = 0;
      q->next = 0;
      for (uint32_t k = 0; k < q->n; k++)
        if (matchers_accept(c, v, c->doc.ix[q->ix[k]])) {
          pick = k;
          break;
        }
    }
    *pconsumed = used;
    *ptotal = accepted ? accepted : q->n;
  }
  if (pick != UINT32_MAX) {
    ix = c->doc.ix[q->ix[pick]];
    ix->used = 1;
    q->last = pick;
    while (q->next < q->n && c->doc.ix[q->ix[q->next]]->used) q->next++;
  }
  if (ix) {
    ix->plays++;
    c->replayed++;
    c->virtual_us += ix->duration_us;
    *pix = ix;
  }
out:
  pthread_mutex_unlock(&c->mu);
}

static int capture_on(const struct x7_http_fetch *req) {
  return req->max_headers != 0 && req->max_header_bytes != 0;
}

/* The recorded headers under the request's capture caps, exactly the
 * live backend's rule: an entry may use up what is left, not exceed it.
 * 0 ok, X7_NET_ERR_TOO_LARGE. */
static int32_t headers_fit(const struct x7__rr_ix *ix,
                           const struct x7_http_fetch *req) {
  struct x7_view t = x7_view_of(ix->resp_headers, ix->resp_headers_len);
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0, left;
  size_t pos = 4;
  if (!capture_on(req)) return 0;
  if (count > req->max_headers) return X7_NET_ERR_TOO_LARGE;
  left = req->max_header_bytes;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t nl = x7__rd32(t.ptr + pos), vl;
    pos += 4 + nl;
    vl = x7__rd32(t.ptr + pos);
    pos += 4 + vl;
    if ((uint64_t)8 + nl + vl > left) return X7_NET_ERR_TOO_LARGE;
    left -= 8 + nl + vl;
  }
  return 0;
}

x7_result x7__rr_respond(struct x7_cassette *c, const struct x7__rr_ix *ix,
                         const struct x7_http_fetch *req,
                         struct x7_bytes *presp) {
  static const uint8_t no_headers[4] = {0};
  struct x7_view table;
  struct x7__buf blob;
  char msg[400];
  int32_t code;
  x7_result r = X7_OK;

  if (ix->error) return x7__net_err_doc(ix->error, presp);
  code = headers_fit(ix, req);
  if (!code && ix->resp_body.len > req->max_body_bytes)
    code = X7_NET_ERR_TOO_LARGE;
  if (code) return x7__net_err_doc(code, presp);
  table = capture_on(req) ? x7_view_of(ix->resp_headers, ix->resp_headers_len)
                          : x7_view_of(no_headers, sizeof no_headers);
  if (req->out_path.len) {
    char *path = x7__malloc(req->out_path.len + 1);
    if (!path) return X7_ENOMEM;
    memcpy(path, req->out_path.ptr, req->out_path.len);
    path[req->out_path.len] = '\0';
    if (ix->resp_body.blob) {
      r = x7__rr_blob_copy_to(c->blob_dir, ix->resp_body.sha, ix->resp_body.len,
                              path, msg, sizeof msg);
    } else {
      FILE *f = fopen(path, "wb");
      r = X7_ECASSETTE_IO;
      if (f) {
        size_t n = (size_t)ix->resp_body.len;
        int ok = (n == 0 || fwrite(ix->resp_body.ptr, 1, n, f) == n);
        ok = (fclose(f) == 0) && ok;
        r = ok ? X7_OK : X7_ECASSETTE_IO;
        if (!ok) remove(path);
      }
      snprintf(msg, sizeof msg, "cannot write %s", path);
    }
    x7__free(path);
    if (r == X7_ENOMEM) return r;
    if (r) {
      /* As live: the output file not writable is INTERNAL; a damaged
       * sidecar body is reported on the cassette too. */
      set_errmsg(c, msg);
      return x7__net_err_doc(X7_NET_ERR_INTERNAL, presp);
    }
    return x7_net_http_resp_pack_v3((int32_t)ix->status, table, req->out_path,
                                    (int32_t)ix->resp_body.len, presp);
  }
  if (!ix->resp_body.blob)
    return x7_net_http_resp_pack_v2(
        (int32_t)ix->status, table,
        x7_view_of(ix->resp_body.ptr, (size_t)ix->resp_body.len), presp);
  x7__buf_init(&blob);
  r = x7__rr_blob_read(c->blob_dir, ix->resp_body.sha, ix->resp_body.len, &blob,
                       msg, sizeof msg);
  if (!r)
    r = x7_net_http_resp_pack_v2((int32_t)ix->status, table,
                                 x7_view_of(blob.ptr, blob.len), presp);
  x7__buf_cleanup(&blob);
  if (r && r != X7_ENOMEM) {
    set_errmsg(c, msg);
    return x7__net_err_doc(X7_NET_ERR_INTERNAL, presp);
  }
  return r;
}

/* Where miss reports go besides the cassette (environment mode). */
static int report_sink_stderr = 0;
static char *report_sink_path;

x7_result x7__rr_miss(struct x7_cassette *c, const struct x7__rr_reqview *v,
                      const uint8_t *key, size_t key_len, uint32_t consumed,
                      uint32_t total, struct x7_bytes *presp) {
  struct x7__buf json, text;
  x7_result r;
  x7__buf_init(&json);
  x7__buf_init(&text);
  pthread_mutex_lock(&c->mu);
  c->misses++;
  r = x7__rr_report_miss(c, v, key, key_len, consumed, total, &json, &text);
  if (!r) {
    x7__free(c->miss_json);
    x7__free(c->miss_text);
    c->miss_json = json.ptr;
    c->miss_json_len = json.len;
    c->miss_text = text.ptr;
    c->miss_text_len = text.len;
    x7__buf_init(&json);
    x7__buf_init(&text);
  }
  pthread_mutex_unlock(&c->mu);
  x7__buf_cleanup(&json);
  x7__buf_cleanup(&text);
  if (r) return r;
  return x7__net_err_doc(X7_NET_ERR_NO_RECORDING, presp);
}

/* The request as the cassette stores it: redacted copies in `arena`. */
static int redacted_view(struct x7_cassette *c, const struct x7_http_fetch *req,
                         struct x7__rr_reqview *v, struct x7__buf *arena) {
  v->method = req->method;
  v->url = req->url;
  v->headers = req->headers;
  v->body = req->body;
  if (x7__rr_redact_request(&c->red, &v->url, &v->headers, &v->body, arena))
    return -1;
  v->body_len = v->body.len;
  v->body_sha = NULL;
  return 0;
}

static void emit_report(struct x7_cassette *c) {
  FILE *f;
  if (!report_sink_stderr && !report_sink_path) return;
  pthread_mutex_lock(&c->mu);
  if (report_sink_stderr && c->miss_text)
    fprintf(stderr, "%.*s", (int)c->miss_text_len, (const char *)c->miss_text);
  if (report_sink_path && c->miss_json) {
    f = fopen(report_sink_path, "a");
    if (f) {
      fprintf(f, "%.*s\n", (int)c->miss_json_len, (const char *)c->miss_json);
      fclose(f);
    }
  }
  pthread_mutex_unlock(&c->mu);
}

x7_result x7_cassette_http_fetch(struct x7_cassette *c,
                                 const struct x7_http_fetch *req,
                                 struct x7_bytes *presp) {
  struct x7__rr_reqview v;
  struct x7__buf arena, key;
  const struct x7__rr_ix *ix = NULL;
  uint32_t consumed = 0, total = 0;
  x7_result r;

  if (!presp) return X7_EINVAL;
  x7__bytes_reset(presp);
  if (!c || !req) return X7_EINVAL;
  if (c->mode == X7_RR_OFF) return X7_ENOTSUPPORTED;
  x7__buf_init(&arena);
  x7__buf_init(&key);
  if (redacted_view(c, req, &v, &arena)) {
    r = X7_ENOMEM;
    goto out;
  }
  if (replaying(c->mode)) {
    x7__rr_key(&c->doc.settings, &v, &key);
    if (key.failed) {
      r = X7_ENOMEM;
      goto out;
    }
    x7__rr_lookup(c, &v, key.ptr, key.len, &ix, &consumed, &total);
    if (ix) {
      r = x7__rr_respond(c, ix, req, presp);
      goto out;
    }
    if (c->mode == X7_RR_REPLAY) {
      r = x7__rr_miss(c, &v, key.ptr, key.len, consumed, total, presp);
      if (!r) emit_report(c);
      goto out;
    }
  }
  r = x7__rr_record_fetch(c, req, &v, &arena, presp);
out:
  x7__rr_arena_free(&arena);
  x7__buf_cleanup(&key);
  return r;
}

/* ---- the doc-level twins ---- */

static int header_bytes_ok(struct x7_view b, int is_name) {
  if (is_name && b.len == 0) return 0;
  for (size_t i = 0; i < b.len; i++)
    if (b.ptr[i] == 0 || b.ptr[i] == '\r' || b.ptr[i] == '\n') return 0;
  return 1;
}

static int table_ok(struct x7_view t) {
  size_t pos = 4;
  uint32_t count;
  if (t.len < 4) return 0;
  count = x7__rd32(t.ptr);
  for (uint32_t i = 0; i < count; i++) {
    struct x7_view n, v;
    if (x7__http_entry(t, &pos, &n, &v)) return 0;
    if (!header_bytes_ok(n, 1) || !header_bytes_ok(v, 0)) return 0;
  }
  return pos == t.len;
}

/* The checks of std.net.http.fetch_v1 before a backend runs (the same
 * rules as net_http_client.c, spec §2.8 / §4.2). */
static x7_result fetch_doc(struct x7_cassette *c, struct x7_view doc,
                           struct x7_view out_path, int to_file,
                           struct x7_bytes *pout) {
  struct x7__http_req req;
  struct x7_http_fetch f;
  struct x7_bytes canon = {0};
  int32_t code = 0;
  x7_result r;

  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  X7__IN_VIEW(out_path);
  if (!c) return X7_EINVAL;
  r = x7__http_req_decode(doc, &req, &code);
  if (r) return r;
  if (!code && to_file && !x7__curl_safe_rel_path(out_path))
    code = X7_NET_ERR_INVALID_REQ;
  if (!code) {
    const struct x7__http_caps *k = &req.caps_val;
    if (k->timeout_s > 600 || k->max_redirects > 100 ||
        (uint32_t)k->max_header_bytes > 16u * 1024u * 1024u ||
        k->max_headers > 65535)
      code = X7_NET_ERR_INVALID_REQ;
  }
  if (code) return x7__net_err_doc(code, pout);
  r = x7_net_http_spec_headers_canon_join_sorted_v1(req.headers, &canon);
  if (r) return r;
  if (!table_ok(x7_bytes_view(&canon))) {
    r = x7__net_err_doc(X7_NET_ERR_INVALID_REQ, pout);
    goto out;
  }
  memset(&f, 0, sizeof f);
  f.method = (uint32_t)req.method;
  f.url = req.url;
  f.headers = x7_bytes_view(&canon);
  f.body = req.body;
  f.follow_location = req.caps_val.follow_location != 0;
  f.timeout_s = req.caps_val.timeout_s ? (uint32_t)req.caps_val.timeout_s : 30;
  f.max_redirects =
      f.follow_location
          ? (req.caps_val.max_redirects ? (uint32_t)req.caps_val.max_redirects
                                        : 5)
          : 0;
  f.max_header_bytes = (uint32_t)req.caps_val.max_header_bytes;
  f.max_headers = (uint32_t)req.caps_val.max_headers;
  f.max_body_bytes = (uint32_t)req.caps_val.max_body_bytes;
  f.out_path = to_file ? out_path : x7_view_of(NULL, 0);
  r = x7_cassette_http_fetch(c, &f, pout);
out:
  x7_bytes_free(&canon);
  return r;
}

x7_result x7_cassette_fetch_v1(struct x7_cassette *c, struct x7_view req,
                               struct x7_bytes *pout) {
  return fetch_doc(c, req, x7_view_of(NULL, 0), 0, pout);
}

x7_result x7_cassette_fetch_to_file_v1(struct x7_cassette *c,
                                       struct x7_view req,
                                       struct x7_view out_rel_path,
                                       struct x7_bytes *pout) {
  return fetch_doc(c, req, out_rel_path, 1, pout);
}

/* ---- reports and state ---- */

x7_result x7_cassette_rewind(struct x7_cassette *c) {
  if (!c) return X7_EINVAL;
  pthread_mutex_lock(&c->mu);
  for (size_t q = 0; q < c->n_queues; q++) {
    c->queues[q].next = 0;
    c->queues[q].last = UINT32_MAX;
  }
  for (size_t i = 0; i < c->doc.n; i++) {
    c->doc.ix[i]->used = 0;
    c->doc.ix[i]->plays = 0;
  }
  pthread_mutex_unlock(&c->mu);
  return X7_OK;
}

x7_result x7_cassette_miss_report(struct x7_cassette *c,
                                  enum x7_cassette_report_format f,
                                  struct x7_bytes *pout) {
  x7_result r;
  X7__OUT_BYTES(pout);
  if (!c || (unsigned)f > X7_CASSETTE_REPORT_JSON) return X7_EINVAL;
  pthread_mutex_lock(&c->mu);
  if (!c->miss_json)
    r = X7_ENOTFOUND;
  else if (f == X7_CASSETTE_REPORT_JSON)
    r = x7__bytes_dup(c->miss_json, c->miss_json_len, pout);
  else
    r = x7__bytes_dup(c->miss_text, c->miss_text_len, pout);
  pthread_mutex_unlock(&c->mu);
  return r;
}

x7_result x7_cassette_unused_report(struct x7_cassette *c,
                                    enum x7_cassette_report_format f,
                                    struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  if (!c || (unsigned)f > X7_CASSETTE_REPORT_JSON) return X7_EINVAL;
  return x7__rr_report_unused(c, f == X7_CASSETTE_REPORT_JSON, pout);
}

x7_result x7_cassette_stats(struct x7_cassette *c,
                            struct x7_cassette_stats *ps) {
  if (!c || !ps) return X7_EINVAL;
  memset(ps, 0, sizeof *ps);
  pthread_mutex_lock(&c->mu);
  ps->interactions = c->doc.n;
  for (size_t i = 0; i < c->doc.n; i++) {
    if (c->doc.ix[i]->fresh) ps->recorded++;
    if (!c->doc.ix[i]->plays && !c->doc.ix[i]->fresh) ps->unused++;
  }
  ps->replayed = c->replayed;
  ps->misses = c->misses;
  ps->virtual_us = c->virtual_us;
  pthread_mutex_unlock(&c->mu);
  return X7_OK;
}

x7_result x7_cassette_file_reseal(const char *path) {
  struct x7__rr_doc doc;
  struct x7__buf in, out;
  char why[400], msg[512];
  x7_result r;
  if (!path) return X7_EINVAL;
  x7__buf_init(&in);
  x7__buf_init(&out);
  r = x7__rr_file_read(path, &in, why, sizeof why);
  if (r) goto out;
  r = x7__rr_decode(in.ptr, in.len, 0, NULL, &doc, why, sizeof why);
  if (r) goto out;
  r = x7__rr_encode(&doc, &out);
  x7__rr_doc_cleanup(&doc);
  if (!r)
    r = x7__rr_file_write_atomic(path, out.ptr, out.len, 1, msg, sizeof msg);
out:
  if (r) snprintf(open_errmsg, sizeof open_errmsg, "%s:%s", path, why);
  x7__buf_cleanup(&in);
  x7__buf_cleanup(&out);
  return r;
}

/* ---- the process backend: installed or from the environment ---- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct x7_cassette *g_installed; /* x7_cassette_install */
static struct x7_cassette *g_env;       /* X07_NET_CASSETTE */
static struct x7_cassette *g_active;    /* behind the frozen backend */
static struct x7_backend_ops g_ops;
static int g_atexit;
static x7_result g_env_err; /* a failed environment open, kept */
static char g_env_errmsg[600];

static x7_result active_fetch(const struct x7_http_fetch *req,
                              struct x7_bytes *presp) {
  return x7_cassette_http_fetch(g_active, req, presp);
}

static x7_result active_init(void) {
  const struct x7_backend_ops *inner = g_active ? g_active->inner : NULL;
  if (inner && inner->global_init) return inner->global_init();
  return X7_OK;
}

static void save_at_exit(void) {
  struct x7_cassette *c;
  x7_result r;
  pthread_mutex_lock(&g_mu);
  c = g_active;
  pthread_mutex_unlock(&g_mu);
  if (!c) return;
  r = x7_cassette_save(c);
  if (r)
    fprintf(stderr, "x7net: cassette %s was NOT saved: %s (%s)\n", c->path,
            x7_cassette_errmsg(c), x7_errname(r));
}

static int env_flag(const char *name, int dflt) {
  const char *v = getenv(name);
  if (!v || !v[0]) return dflt;
  return !(strcmp(v, "0") == 0 || strcmp(v, "off") == 0 ||
           strcmp(v, "false") == 0 || strcmp(v, "no") == 0);
}

/* Apply a comma separated list to the config with fn. */
static x7_result env_list(const char *var, struct x7_cassette_config *cfg,
                          x7_result (*fn)(struct x7_cassette_config *,
                                          const char *)) {
  const char *v = getenv(var);
  char item[256];
  if (!v) return X7_OK;
  while (*v) {
    size_t n = strcspn(v, ",");
    if (n && n < sizeof item) {
      x7_result r;
      memcpy(item, v, n);
      item[n] = '\0';
      r = fn(cfg, item);
      if (r) {
        snprintf(g_env_errmsg, sizeof g_env_errmsg, "%s: bad item '%s'", var,
                 item);
        return r;
      }
    }
    v += n;
    if (*v == ',') v++;
  }
  return X7_OK;
}

static x7_result env_redact(struct x7_cassette_config *cfg, const char *it) {
  static const char *const kinds[] = {"header:", "query:", "form:", "json:"};
  for (int k = 0; k < X7__RR_RULES; k++)
    if (strncmp(it, kinds[k], strlen(kinds[k])) == 0)
      return x7_cassette_config_redact(cfg, (enum x7_cassette_redact)k,
                                       it + strlen(kinds[k]));
  return X7_EINVAL;
}

static x7_result env_secret_var(struct x7_cassette_config *cfg,
                                const char *it) {
  const char *val = getenv(it);
  if (!val || strlen(val) < X7__RR_SECRET_MIN) return X7_OK;
  return x7_cassette_config_add_secret(cfg, x7_view_str(val));
}

/* Open the cassette X07_NET_CASSETTE names, or leave *pc NULL when record
 * and replay are off.  g_mu held. */
static x7_result env_open(struct x7_cassette **pc) {
  const char *path = getenv("X07_NET_CASSETTE");
  const char *mode_s = getenv("X07_NET_RR_MODE");
  const char *v;
  struct x7_cassette_config *cfg = NULL;
  enum x7_rr_mode mode = X7_RR_REPLAY;
  x7_result r;

  *pc = NULL;
  if (!path || !path[0]) return X7_OK;
  if (mode_s && mode_s[0] && x7_cassette_mode_parse(mode_s, &mode)) {
    snprintf(g_env_errmsg, sizeof g_env_errmsg,
             "X07_NET_RR_MODE='%.40s' is not one of off, replay, record, "
             "record_missing, rewrite, once",
             mode_s);
    return X7_EINVAL;
  }
  if (mode == X7_RR_OFF) return X7_OK;
  r = x7_cassette_config_new(&cfg);
  if (r) return r;
  (void)x7_cassette_config_set_mode(cfg, mode);
  r = env_list("X07_NET_RR_MATCH_HEADERS", cfg,
               x7_cassette_config_match_header);
  if (!r)
    r = env_list("X07_NET_RR_IGNORE_QUERY", cfg,
                 x7_cassette_config_ignore_query);
  if (!r) r = env_list("X07_NET_RR_REDACT", cfg, env_redact);
  if (!r) r = env_list("X07_NET_RR_SECRET_ENV", cfg, env_secret_var);
  v = getenv("X07_NET_RR_EXHAUSTION");
  if (!r && v && v[0]) {
    if (strcmp(v, "error") == 0)
      r = x7_cassette_config_set_exhaustion(cfg, X7_CASSETTE_EXHAUST_ERROR);
    else if (strcmp(v, "repeat_last") == 0)
      r = x7_cassette_config_set_exhaustion(cfg,
                                            X7_CASSETTE_EXHAUST_REPEAT_LAST);
    else if (strcmp(v, "cycle") == 0)
      r = x7_cassette_config_set_exhaustion(cfg, X7_CASSETTE_EXHAUST_CYCLE);
    else {
      snprintf(g_env_errmsg, sizeof g_env_errmsg,
               "X07_NET_RR_EXHAUSTION='%.40s' is not error, repeat_last or "
               "cycle",
               v);
      r = X7_EINVAL;
    }
  }
  v = getenv("X07_NET_RR_INLINE_MAX");
  if (!r && v && v[0]) {
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    r = *end ? X7_EINVAL : x7_cassette_config_set_inline_max(cfg, (size_t)n);
    if (r)
      snprintf(g_env_errmsg, sizeof g_env_errmsg,
               "X07_NET_RR_INLINE_MAX='%.40s' is not a byte count", v);
  }
  v = getenv("X07_NET_RR_SALT");
  if (!r && v && v[0]) r = x7_cassette_config_set_salt(cfg, x7_view_str(v));
  if (!r && getenv("X07_NET_RR_TIMINGS"))
    r = x7_cassette_config_set_timings(cfg, env_flag("X07_NET_RR_TIMINGS", 0));
  if (!r)
    r = x7_cassette_config_set_strict(cfg, env_flag("X07_NET_RR_STRICT", 0));
  if (!r)
    r = x7_cassette_config_set_fsync(cfg, env_flag("X07_NET_RR_FSYNC", 1));
  if (r) {
    if (!g_env_errmsg[0])
      snprintf(g_env_errmsg, sizeof g_env_errmsg,
               "X07_NET_RR_*: invalid setting");
    x7_cassette_config_free(cfg);
    return r;
  }
  r = x7_cassette_open(path, cfg, pc);
  x7_cassette_config_free(cfg);
  if (r)
    snprintf(g_env_errmsg, sizeof g_env_errmsg, "X07_NET_CASSETTE: %s",
             x7_cassette_errmsg(NULL));
  v = getenv("X07_NET_RR_REPORT");
  report_sink_stderr = !v || !v[0] || strcmp(v, "stderr") == 0;
  if (v && v[0] && strcmp(v, "stderr") != 0 && strcmp(v, "off") != 0) {
    x7__free(report_sink_path);
    report_sink_path = NULL;
    if (set_string(&report_sink_path, v)) report_sink_path = NULL;
  }
  return r;
}

x7_result x7__rr_wrap(const struct x7_backend_ops *transport,
                      const struct x7_backend_ops **pwrap, char *msg,
                      size_t msglen) {
  struct x7_cassette *c;
  x7_result r = X7_OK;
  *pwrap = NULL;
  pthread_mutex_lock(&g_mu);
  c = g_installed;
  if (!c && g_env_err) {
    r = g_env_err;
    goto out;
  }
  if (!c && !g_env) {
    r = env_open(&g_env);
    if (r) {
      g_env_err = r;
      goto out;
    }
  }
  if (!c) c = g_env;
  if (!c) goto out;
  if (recording(c->mode) && !c->inner) {
    if (c->transport_name && strcmp(c->transport_name, transport->name) != 0) {
      snprintf(g_env_errmsg, sizeof g_env_errmsg,
               "cassette %s records through '%s', but the registry selected "
               "'%s'",
               c->path, c->transport_name, transport->name);
      r = X7_EINVAL;
      goto out;
    }
    c->inner = transport;
  }
  memset(&g_ops, 0, sizeof g_ops);
  g_ops.version = X7_BACKEND_OPS_V1;
  g_active = c;
  if (recording(c->mode)) {
    /* vfstrace: forward every slot the transport has; only HTTP fetches
     * are recorded. */
    g_ops = *transport;
    g_ops.name = "record";
    g_ops.caps = transport->caps | X7_BACKEND_CAP_RECORDS;
    /* After OpenSSL's own exit handler, so ours runs first. */
    if (!g_atexit && x7__rr_crypto_init() == 0 && atexit(save_at_exit) == 0)
      g_atexit = 1;
  } else {
    g_ops.name = "cassette";
    g_ops.caps = X7_BACKEND_CAP_HTTP | X7_BACKEND_CAP_TLS |
                 X7_BACKEND_CAP_FILE | X7_BACKEND_CAP_HERMETIC;
  }
  g_ops.global_init = active_init;
  g_ops.http_fetch = active_fetch;
  *pwrap = &g_ops;
out:
  if (r) snprintf(msg, msglen, "%s", g_env_errmsg);
  pthread_mutex_unlock(&g_mu);
  return r;
}

x7_result x7_cassette_install(struct x7_cassette *c) {
  const char *name;
  x7_result r = X7_OK;
  if (!c) return X7_EINVAL;
  pthread_mutex_lock(&g_mu);
  if (g_installed || g_active) r = X7_ETOOLATE;
  if (!r) {
    pthread_mutex_lock(&c->mu);
    c->refs++;
    pthread_mutex_unlock(&c->mu);
    g_installed = c;
  }
  pthread_mutex_unlock(&g_mu);
  if (r) return r;
  /* Freeze now so that a registry frozen earlier on a plain transport is
   * reported instead of silently bypassing the cassette. */
  r = x7_backend_current(&name);
  if (!r && g_active != c) r = X7_ETOOLATE;
  if (r) {
    pthread_mutex_lock(&g_mu);
    if (g_installed == c && g_active != c) {
      g_installed = NULL;
      pthread_mutex_unlock(&g_mu);
      x7_cassette_free(c);
      return r;
    }
    pthread_mutex_unlock(&g_mu);
  }
  return r;
}

x7_result x7_cassette_current(struct x7_cassette **pc) {
  if (!pc) return X7_EINVAL;
  pthread_mutex_lock(&g_mu);
  *pc = g_active;
  pthread_mutex_unlock(&g_mu);
  return *pc ? X7_OK : X7_ENOTFOUND;
}

void x7__rr_reset_for_tests(void) {
  struct x7_cassette *env, *inst;
  pthread_mutex_lock(&g_mu);
  env = g_env;
  inst = g_installed;
  g_env = g_installed = g_active = NULL;
  g_env_err = X7_OK;
  g_env_errmsg[0] = '\0';
  report_sink_stderr = 0;
  x7__free(report_sink_path);
  report_sink_path = NULL;
  pthread_mutex_unlock(&g_mu);
  x7_cassette_free(env);
  x7_cassette_free(inst);
}
