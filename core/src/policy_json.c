/*
 * policy_json.c - policy files: x07.run-os-policy@0.1.0 parsed with
 * cJSON and validated (the schema of workflow spec §3.1, then the
 * runner's validate_basic of §3.2), the http-client template (§3.3), and
 * derived policies (§4.3: x07 run --allow-host/--deny-host).
 *
 * Output JSON is written here, not by cJSON: the policies x07 writes are
 * canonical pretty JSON in serde_json's to_vec_pretty style (two-space
 * indent, "key": value, sorted keys, [] and {} when empty, non-ASCII
 * kept as UTF-8) plus a newline, and the digest input is the compact
 * form of the same; cJSON's printer uses tabs and keeps key order.
 *
 * cJSON allocates its parse tree with its own (process-wide) hooks: they
 * are left alone, since changing them would change them for the
 * application too.  The tree lives only inside one call.
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_int.h"

#define MSG_MAX 1024
#define PATH_MAX_TEXT 256

/* ---- messages ---- */

struct vctx {
  int oom; /* a failure was X7_ENOMEM, not a bad policy */
  const char *source;
  char path[PATH_MAX_TEXT]; /* "policy.net.allow_hosts[3].ports" */
  char msg[MSG_MAX];
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int vfail(struct vctx *c, const char *fmt, ...) {
  size_t n;
  va_list ap;
  /* "<source>: <reason>", both cut to fit */
  snprintf(c->msg, sizeof c->msg, "%.300s: ", c->source);
  n = strlen(c->msg);
  va_start(ap, fmt);
  vsnprintf(c->msg + n, sizeof c->msg - n, fmt, ap);
  va_end(ap);
  return -1;
}

static int voom(struct vctx *c) {
  c->oom = 1;
  return -1;
}

/* Hand c->msg (or text) to *perr with a NUL after it.  X7_EINVAL, or
 * X7_ENOMEM when even the message cannot be allocated. */
static x7_result give_msg(const char *text, struct x7_bytes *perr) {
  size_t n = strlen(text);
  if (!perr) return X7_EINVAL;
  perr->ptr = x7__malloc(n + 1);
  if (!perr->ptr) return X7_ENOMEM;
  memcpy(perr->ptr, text, n + 1);
  perr->len = n;
  return X7_EINVAL;
}

/* ---- small JSON helpers ---- */

static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((uint8_t)*s & 0xc0) != 0x80) n++;
  return n;
}

static int utf8_valid(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    size_t k;
    uint32_t cp;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) k = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) k = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) k = 3, cp = c & 0x07;
    else return 0;
    if (i + k >= n) return 0;
    for (size_t j = 1; j <= k; j++) {
      if ((p[i + j] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (p[i + j] & 0x3f);
    }
    if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return 0;
    i += k + 1;
  }
  return 1;
}

/* cJSON cannot hold a NUL inside a string (it would silently cut it), so
 * a "\u0000" escape anywhere in a string is refused up front. */
static int has_nul_escape(const uint8_t *p, size_t n) {
  int in_str = 0;
  for (size_t i = 0; i < n; i++) {
    if (!in_str) {
      if (p[i] == '"') in_str = 1;
      continue;
    }
    if (p[i] == '"') {
      in_str = 0;
    } else if (p[i] == '\\' && i + 1 < n) {
      if (p[i + 1] == 'u' && i + 5 < n && memcmp(p + i + 2, "0000", 4) == 0)
        return 1;
      i++;
    }
  }
  return 0;
}

/* An integral number in int64 range. */
static int json_int(const cJSON *v, int64_t *out) {
  double d;
  if (!cJSON_IsNumber(v)) return 0;
  d = v->valuedouble;
  if (!(d >= -9.2e18 && d <= 9.2e18)) return 0;
  if ((double)(int64_t)d != d) return 0;
  *out = (int64_t)d;
  return 1;
}

static const cJSON *get(const cJSON *obj, const char *key) {
  return obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* ---- the schema (workflow spec §3.1) ---- */

enum kind {
  K_BOOL,
  K_INT,
  K_STR,
  K_STRS,    /* array of strings */
  K_INTS,    /* array of integers */
  K_OBJ,
  K_HOSTS,   /* net.allow_hosts */
  K_VERSION, /* const "x07.run-os-policy@0.1.0" */
  K_ID       /* ^[a-zA-Z0-9_.-]{1,64}$ */
};

struct sfield {
  const char *key;
  unsigned char kind, required;
  int64_t min, max;   /* value (ints) or length in characters (strings),
                         of the field or of each item */
  unsigned max_items; /* arrays */
  const struct sfield *sub;
};

#define F_B(k, r) {k, K_BOOL, r, 0, 0, 0, NULL}
#define F_I(k, r, lo, hi) {k, K_INT, r, lo, hi, 0, NULL}
#define F_S(k, r, lo, hi) {k, K_STR, r, lo, hi, 0, NULL}
#define F_SA(k, r, n, lo, hi) {k, K_STRS, r, lo, hi, n, NULL}
#define F_IA(k, r, n, lo, hi) {k, K_INTS, r, lo, hi, n, NULL}
#define F_O(k, r, sub) {k, K_OBJ, r, 0, 0, 0, sub}
#define F_END {NULL, 0, 0, 0, 0, 0, NULL}
#define U32MAX 4294967295LL

static const struct sfield s_limits[] = {
    F_I("cpu_ms", 1, 1, 600000), F_I("wall_ms", 1, 1, 600000),
    F_I("mem_bytes", 1, 1048576, 17179869184LL), F_I("fds", 1, 0, 1024),
    F_I("procs", 1, 0, 1024), F_B("core_dumps", 0), F_END};

static const struct sfield s_fs[] = {
    F_B("enabled", 1), F_SA("read_roots", 1, 128, 1, 4096),
    F_SA("write_roots", 1, 128, 1, 4096), F_B("deny_hidden", 1),
    F_B("allow_symlinks", 0), F_B("allow_mkdir", 0), F_B("allow_remove", 0),
    F_B("allow_rename", 0), F_B("allow_walk", 0), F_B("allow_glob", 0),
    F_I("max_read_bytes", 0, 0, U32MAX), F_I("max_write_bytes", 0, 0, U32MAX),
    F_I("max_entries", 0, 0, U32MAX), F_I("max_depth", 0, 0, U32MAX), F_END};

static const struct sfield s_net[] = {
    F_B("enabled", 1), F_B("allow_dns", 1), F_B("allow_tcp", 1),
    F_B("allow_udp", 1), {"allow_hosts", K_HOSTS, 1, 0, 0, 256, NULL}, F_END};

static const struct sfield s_db_drivers[] = {
    F_B("sqlite", 1), F_B("postgres", 1), F_B("mysql", 1), F_B("redis", 0),
    F_END};

static const struct sfield s_db_sqlite[] = {
    F_SA("allow_paths", 0, 256, 1, 4096), F_B("readonly_only", 0),
    F_B("allow_create", 0), F_B("allow_in_memory", 0), F_END};

static const struct sfield s_db_net[] = {
    F_SA("allow_dns", 0, 256, 1, 255), F_SA("allow_cidrs", 0, 256, 1, 64),
    F_IA("allow_ports", 0, 256, 0, 65535), F_B("require_tls", 0),
    F_B("require_verify", 0), F_END};

static const struct sfield s_db[] = {
    F_B("enabled", 1), F_O("drivers", 1, s_db_drivers),
    F_I("max_live_conns", 0, 0, 1024), F_I("max_queries", 0, 0, 1000000),
    F_I("connect_timeout_ms", 0, 0, 600000),
    F_I("query_timeout_ms", 0, 0, 600000),
    F_I("max_sql_bytes", 0, 0, 10485760), F_I("max_rows", 0, 0, 1000000),
    F_I("max_resp_bytes", 0, 0, 134217728), F_O("sqlite", 0, s_db_sqlite),
    F_O("net", 0, s_db_net), F_END};

static const struct sfield s_env[] = {
    F_B("enabled", 1), F_SA("allow_keys", 1, 256, 1, 256),
    F_SA("deny_keys", 1, 256, 1, 256), F_END};

static const struct sfield s_time[] = {
    F_B("enabled", 1), F_B("allow_monotonic", 1), F_B("allow_wall_clock", 1),
    F_B("allow_sleep", 1), F_I("max_sleep_ms", 1, 0, 86400000),
    F_B("allow_local_tzid", 1), F_END};

static const struct sfield s_language[] = {
    F_B("allow_unsafe", 1), F_B("allow_ffi", 1), F_END};

static const struct sfield s_threads[] = {
    F_B("enabled", 1), F_I("max_workers", 1, 0, 256),
    F_I("max_blocking", 1, 0, 4096), F_I("max_queue", 1, 0, 1000000), F_END};

static const struct sfield s_process[] = {
    F_B("enabled", 1), F_B("allow_spawn", 1), F_I("max_live", 1, 0, 1024),
    F_I("max_spawns", 1, 0, 1024), F_B("allow_exec", 1), F_B("allow_exit", 1),
    F_SA("allow_execs", 0, 256, 1, 4096),
    F_SA("allow_exec_prefixes", 0, 256, 1, 4096),
    F_SA("allow_args_regex_lite", 0, 128, 0, 256),
    F_SA("allow_env_keys", 0, 256, 1, 256),
    F_I("max_exe_bytes", 0, 0, U32MAX), F_I("max_args", 0, 0, U32MAX),
    F_I("max_arg_bytes", 0, 0, U32MAX), F_I("max_env", 0, 0, U32MAX),
    F_I("max_env_key_bytes", 0, 0, U32MAX),
    F_I("max_env_val_bytes", 0, 0, U32MAX),
    F_I("max_runtime_ms", 0, 0, U32MAX),
    F_I("max_stdout_bytes", 0, 0, 268435456),
    F_I("max_stderr_bytes", 0, 0, 268435456),
    F_I("max_total_bytes", 0, 0, 536870912),
    F_I("max_stdin_bytes", 0, 0, 268435456), F_B("kill_on_drop", 0),
    F_B("kill_tree", 0), F_B("allow_cwd", 0),
    F_SA("allow_cwd_roots", 0, 256, 1, 4096), F_END};

static const struct sfield s_top[] = {
    {"schema_version", K_VERSION, 1, 0, 0, 0, NULL},
    {"policy_id", K_ID, 1, 0, 0, 0, NULL},
    F_S("notes", 0, 0, 4096),
    F_O("limits", 1, s_limits),
    F_O("fs", 1, s_fs),
    F_O("net", 1, s_net),
    F_O("env", 1, s_env),
    F_O("time", 1, s_time),
    F_O("process", 1, s_process),
    F_O("db", 0, s_db),
    F_O("language", 0, s_language),
    F_O("threads", 0, s_threads),
    F_END};

static size_t path_push(struct vctx *c, const char *key, long index) {
  size_t old = strlen(c->path);
  if (key)
    snprintf(c->path + old, sizeof c->path - old, ".%s", key);
  else
    snprintf(c->path + old, sizeof c->path - old, "[%ld]", index);
  return old;
}

static void path_pop(struct vctx *c, size_t old) { c->path[old] = '\0'; }

static int check_int(struct vctx *c, const cJSON *v, int64_t lo, int64_t hi) {
  int64_t x;
  if (!json_int(v, &x)) return vfail(c, "%s must be an integer", c->path);
  if (x < lo || x > hi)
    return vfail(c, "%s must be %" PRId64 "..%" PRId64 " (got %" PRId64 ")",
                 c->path, lo, hi, x);
  return 0;
}

static int check_str(struct vctx *c, const cJSON *v, int64_t lo, int64_t hi) {
  size_t n;
  if (!cJSON_IsString(v)) return vfail(c, "%s must be a string", c->path);
  n = utf8_chars(v->valuestring);
  if ((int64_t)n < lo || (int64_t)n > hi)
    return vfail(c, "%s must be %" PRId64 "..%" PRId64
                    " characters long (got %zu)",
                 c->path, lo, hi, n);
  return 0;
}

static int check_array(struct vctx *c, const cJSON *v, unsigned max_items) {
  int n;
  if (!cJSON_IsArray(v)) return vfail(c, "%s must be an array", c->path);
  n = cJSON_GetArraySize(v);
  if ((unsigned)n > max_items)
    return vfail(c, "%s must have <= %u items", c->path, max_items);
  return 0;
}

/* Unicode White_Space, which the schema's \s matches. */
static int unicode_space(const char *s, size_t *adv) {
  static const uint32_t ws[] = {0x85,   0xa0,   0x1680, 0x2028, 0x2029,
                                0x202f, 0x205f, 0x3000};
  uint8_t c = (uint8_t)s[0];
  uint32_t cp;
  *adv = 1;
  if (c == ' ' || (c >= 0x09 && c <= 0x0d)) return 1;
  if (c < 0x80) return 0;
  if ((c & 0xe0) == 0xc0) *adv = 2, cp = c & 0x1f;
  else if ((c & 0xf0) == 0xe0) *adv = 3, cp = c & 0x0f;
  else *adv = 4, cp = c & 0x07;
  for (size_t i = 1; i < *adv; i++) cp = cp << 6 | ((uint8_t)s[i] & 0x3f);
  if (cp >= 0x2000 && cp <= 0x200a) return 1;
  for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
    if (cp == ws[i]) return 1;
  return 0;
}

static int check_hosts(struct vctx *c, const cJSON *v, unsigned max_items) {
  const cJSON *e;
  long i = 0;
  if (check_array(c, v, max_items)) return -1;
  cJSON_ArrayForEach(e, v) {
    size_t old = path_push(c, NULL, i++);
    const cJSON *h, *ports, *k, *p;
    long j = 0;
    if (!cJSON_IsObject(e)) return vfail(c, "%s must be an object", c->path);
    h = get(e, "host");
    ports = get(e, "ports");
    cJSON_ArrayForEach(k, e) {
      if (strcmp(k->string, "host") && strcmp(k->string, "ports"))
        return vfail(c, "%s.%s is not allowed (unknown key)", c->path,
                     k->string);
    }
    if (!h) return vfail(c, "%s.host is required", c->path);
    if (!ports) return vfail(c, "%s.ports is required", c->path);
    {
      size_t o2 = path_push(c, "host", 0);
      const char *s;
      if (check_str(c, h, 1, 255)) return -1;
      for (s = h->valuestring; *s;) {
        size_t adv;
        if (*s == ';' || unicode_space(s, &adv))
          return vfail(c, "%s must match ^[^;\\s]+$", c->path);
        s += adv;
      }
      path_pop(c, o2);
    }
    {
      size_t o2 = path_push(c, "ports", 0);
      if (check_array(c, ports, 64)) return -1;
      cJSON_ArrayForEach(p, ports) {
        size_t o3 = path_push(c, NULL, j++);
        if (check_int(c, p, 1, 65535)) return -1;
        path_pop(c, o3);
      }
      path_pop(c, o2);
    }
    path_pop(c, old);
  }
  return 0;
}

static int check_obj(struct vctx *c, const cJSON *obj,
                     const struct sfield *fields);

static int check_field(struct vctx *c, const cJSON *v, const struct sfield *f) {
  const cJSON *e;
  long i = 0;
  switch (f->kind) {
  case K_BOOL:
    if (!cJSON_IsBool(v)) return vfail(c, "%s must be a boolean", c->path);
    return 0;
  case K_INT: return check_int(c, v, f->min, f->max);
  case K_STR: return check_str(c, v, f->min, f->max);
  case K_VERSION:
    if (!cJSON_IsString(v) || strcmp(v->valuestring, X7_POLICY_SCHEMA_VERSION))
      return vfail(c, "%s must be \"%s\"", c->path, X7_POLICY_SCHEMA_VERSION);
    return 0;
  case K_ID: {
    const char *s;
    if (!cJSON_IsString(v)) return vfail(c, "%s must be a string", c->path);
    for (s = v->valuestring; *s; s++)
      if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
            (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
        break;
    if (*s || s == v->valuestring || s - v->valuestring > 64)
      return vfail(c, "%s must match ^[a-zA-Z0-9_.-]{1,64}$", c->path);
    return 0;
  }
  case K_STRS:
  case K_INTS:
    if (check_array(c, v, f->max_items)) return -1;
    cJSON_ArrayForEach(e, v) {
      size_t old = path_push(c, NULL, i++);
      if (f->kind == K_STRS ? check_str(c, e, f->min, f->max)
                            : check_int(c, e, f->min, f->max))
        return -1;
      path_pop(c, old);
    }
    return 0;
  case K_HOSTS: return check_hosts(c, v, f->max_items);
  case K_OBJ: return check_obj(c, v, f->sub);
  default: return vfail(c, "%s: internal schema error", c->path);
  }
}

static int check_obj(struct vctx *c, const cJSON *obj,
                     const struct sfield *fields) {
  const cJSON *k, *k2;
  if (!cJSON_IsObject(obj)) return vfail(c, "%s must be an object", c->path);
  cJSON_ArrayForEach(k, obj) {
    const struct sfield *f;
    /* serde keeps the last of duplicate keys, cJSON's lookup the first:
     * rather than pick one, refuse an ambiguous file. */
    for (k2 = obj->child; k2 != k; k2 = k2->next)
      if (strcmp(k2->string, k->string) == 0)
        return vfail(c, "%s has the key \"%s\" twice", c->path, k->string);
    for (f = fields; f->key; f++)
      if (strcmp(f->key, k->string) == 0) break;
    if (!f->key)
      return vfail(c, "%s.%s is not allowed (unknown key)", c->path,
                   k->string);
  }
  for (const struct sfield *f = fields; f->key; f++) {
    const cJSON *v = get(obj, f->key);
    size_t old;
    if (!v) {
      if (f->required)
        return vfail(c, "%s.%s is required", c->path, f->key);
      continue;
    }
    old = path_push(c, f->key, 0);
    if (check_field(c, v, f)) return -1;
    path_pop(c, old);
  }
  return 0;
}

/* ---- the runner's checks (validate_basic, spec §3.2) ---- */

static int no_semicolons(struct vctx *c, const cJSON *arr, const char *path) {
  const cJSON *e;
  long i = 0;
  cJSON_ArrayForEach(e, arr) {
    if (strchr(e->valuestring, ';'))
      return vfail(c, "%s[%ld] is invalid: value must not contain ';'", path,
                   i);
    i++;
  }
  return 0;
}

static int flag(const cJSON *obj, const char *key, int dflt) {
  const cJSON *v = get(obj, key);
  return v ? cJSON_IsTrue(v) : dflt;
}

static int64_t num(const cJSON *obj, const char *key, int64_t dflt) {
  int64_t x;
  const cJSON *v = get(obj, key);
  return v && json_int(v, &x) ? x : dflt;
}

static int nonempty(const cJSON *obj, const char *key) {
  const cJSON *v = get(obj, key);
  return v && cJSON_GetArraySize(v) > 0;
}

/* One regex-lite pattern: literals, \x escapes, postfix '*'. */
static const char *regex_lite_error(const char *pat) {
  size_t n = strlen(pat), i = 0;
  if (strchr(pat, ';')) return "pattern must not contain ';'";
  if (n == 0) return "pattern must be non-empty";
  while (i < n) {
    if (pat[i] == '*') return "pattern has '*' with nothing to repeat";
    if (pat[i] == '\\') {
      if (i + 1 >= n) return "pattern has trailing '\\\\'";
      i += 2;
    } else {
      i++;
    }
    if (i < n && pat[i] == '*') i++;
  }
  return NULL;
}

static int check_runner(struct vctx *c, const cJSON *root) {
  const cJSON *proc = get(root, "process"), *fs = get(root, "fs"),
              *env = get(root, "env"), *db = get(root, "db"),
              *net = get(root, "net"), *e;
  const cJSON *sqlite = get(db, "sqlite"), *dbnet = get(db, "net");
  const char *id = get(root, "policy_id")->valuestring;
  int spawn = flag(proc, "allow_spawn", 0);
  long i = 0;
  static const struct {
    const char *sect, *key;
  } lists[] = {{"fs", "read_roots"},           {"fs", "write_roots"},
               {"env", "allow_keys"},          {"env", "deny_keys"},
               {"process", "allow_execs"},     {"process", "allow_exec_prefixes"},
               {"process", "allow_env_keys"},  {"process", "allow_cwd_roots"}};

  while (*id == ' ' || *id == '\t' || *id == '\n' || *id == '\r') id++;
  if (!*id) return vfail(c, "policy.policy_id must be non-empty");
  if (spawn && !nonempty(proc, "allow_execs") &&
      !nonempty(proc, "allow_exec_prefixes"))
    return vfail(c, "policy.process.allow_execs or "
                    "policy.process.allow_exec_prefixes must be non-empty "
                    "when allow_spawn is true");
  if (spawn && num(proc, "max_live", 0) == 0)
    return vfail(c, "policy.process.max_live must be non-zero when "
                    "allow_spawn is true");
  if (spawn && num(proc, "max_spawns", 0) == 0)
    return vfail(c, "policy.process.max_spawns must be non-zero when "
                    "allow_spawn is true");
  if (spawn && num(proc, "max_runtime_ms", 0) == 0)
    return vfail(c, "policy.process.max_runtime_ms must be non-zero when "
                    "allow_spawn is true");
  if (flag(proc, "allow_cwd", 0) && !nonempty(proc, "allow_cwd_roots"))
    return vfail(c, "policy.process.allow_cwd_roots must be non-empty when "
                    "allow_cwd is true");
  for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
    char path[64];
    const cJSON *sect = strcmp(lists[k].sect, "fs") == 0    ? fs
                        : strcmp(lists[k].sect, "env") == 0 ? env
                                                            : proc;
    snprintf(path, sizeof path, "policy.%s.%s", lists[k].sect, lists[k].key);
    if (no_semicolons(c, get(sect, lists[k].key), path)) return -1;
  }
  if (flag(db, "enabled", 0)) {
    const cJSON *d = get(db, "drivers");
    if (!flag(d, "sqlite", 0) && !flag(d, "postgres", 0) &&
        !flag(d, "mysql", 0) && !flag(d, "redis", 0))
      return vfail(c, "policy.db.drivers must allow at least one driver "
                      "when policy.db.enabled is true");
  }
  if (no_semicolons(c, get(sqlite, "allow_paths"),
                    "policy.db.sqlite.allow_paths") ||
      no_semicolons(c, get(dbnet, "allow_dns"), "policy.db.net.allow_dns") ||
      no_semicolons(c, get(dbnet, "allow_cidrs"), "policy.db.net.allow_cidrs"))
    return -1;
  cJSON_ArrayForEach(e, get(dbnet, "allow_ports")) {
    if (e->valuedouble == 0)
      return vfail(c, "policy.db.net.allow_ports[%ld] must be 1..65535", i);
    i++;
  }
  i = 0;
  cJSON_ArrayForEach(e, get(net, "allow_hosts")) {
    const char *h = get(e, "host")->valuestring;
    const cJSON *ports = get(e, "ports");
    size_t n;
    while (*h == ' ' || (*h >= 0x09 && *h <= 0x0d)) h++;
    n = strlen(h);
    while (n && (h[n - 1] == ' ' || (h[n - 1] >= 0x09 && h[n - 1] <= 0x0d)))
      n--;
    if (n == 0)
      return vfail(c, "policy.net.allow_hosts[%ld].host must be non-empty", i);
    if (cJSON_GetArraySize(ports) == 0)
      return vfail(c, "policy.net.allow_hosts[%ld].ports must be non-empty",
                   i);
    i++;
  }
  i = 0;
  cJSON_ArrayForEach(e, get(proc, "allow_args_regex_lite")) {
    const char *err = regex_lite_error(e->valuestring);
    if (err)
      return vfail(c, "policy.process.allow_args_regex_lite[%ld] is invalid: "
                      "%s",
                   i, err);
    i++;
  }
  return 0;
}

/* Parse bytes into a tree and check it (runner checks if runner != 0).
 * 0 with *proot, or -1 with c->msg. */
static int parse_checked(struct vctx *c, struct x7_view json, int runner,
                         cJSON **proot) {
  const char *end = NULL;
  cJSON *root;
  *proot = NULL;
  if (!utf8_valid(json.ptr, json.len))
    return vfail(c, "parse policy JSON: the file is not valid UTF-8");
  if (has_nul_escape(json.ptr, json.len))
    return vfail(c, "parse policy JSON: \\u0000 in a string is not "
                    "supported");
  root = cJSON_ParseWithLengthOpts((const char *)json.ptr, json.len, &end, 0);
  if (!root) {
    size_t at = end ? (size_t)(end - (const char *)json.ptr) : 0;
    return vfail(c, "parse policy JSON: invalid JSON at byte %zu", at);
  }
  for (; end && end < (const char *)json.ptr + json.len; end++)
    if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
      cJSON_Delete(root);
      return vfail(c, "parse policy JSON: trailing characters at byte %zu",
                   (size_t)(end - (const char *)json.ptr));
    }
  snprintf(c->path, sizeof c->path, "policy");
  if (check_obj(c, root, s_top) || (runner && check_runner(c, root))) {
    cJSON_Delete(root);
    return -1;
  }
  *proot = root;
  return 0;
}

/* ---- tree -> struct x7_policy ---- */

static const cJSON *walk(const cJSON *root, const char *path) {
  char part[64];
  const cJSON *v = root;
  while (v && *path) {
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    memcpy(part, path, n);
    part[n] = '\0';
    v = get(v, part);
    path += n + (dot ? 1 : 0);
  }
  return v;
}

static x7_result join_field(struct x7_policy *p, enum x7__pf id,
                            const cJSON *v, enum x7__pf_type t) {
  struct x7__buf b;
  const cJSON *e;
  int first = 1;
  x7_result r;
  x7__buf_init(&b);
  cJSON_ArrayForEach(e, v) {
    char num[24];
    if (!first) x7__buf_u8(&b, t == X7__PFT_PORTS ? ',' : ';');
    first = 0;
    if (t == X7__PFT_LIST) {
      x7__buf_add(&b, e->valuestring, strlen(e->valuestring));
    } else if (t == X7__PFT_PORTS) {
      snprintf(num, sizeof num, "%" PRId64, (int64_t)e->valuedouble);
      x7__buf_add(&b, num, strlen(num));
    } else {
      /* "host:p1,p2", the host trimmed as the runner does */
      const char *h = get(e, "host")->valuestring;
      size_t n;
      const cJSON *pe;
      int pfirst = 1;
      while (*h == ' ' || (*h >= 0x09 && *h <= 0x0d)) h++;
      n = strlen(h);
      while (n && (h[n - 1] == ' ' || (h[n - 1] >= 0x09 && h[n - 1] <= 0x0d)))
        n--;
      x7__buf_add(&b, h, n);
      x7__buf_u8(&b, ':');
      cJSON_ArrayForEach(pe, get(e, "ports")) {
        if (!pfirst) x7__buf_u8(&b, ',');
        pfirst = 0;
        snprintf(num, sizeof num, "%" PRId64, (int64_t)pe->valuedouble);
        x7__buf_add(&b, num, strlen(num));
      }
    }
  }
  if (b.failed) {
    x7__buf_cleanup(&b);
    return X7_ENOMEM;
  }
  r = x7__policy_set_str(p, id, (const char *)b.ptr, b.len);
  x7__buf_cleanup(&b);
  return r;
}

static x7_result policy_from_tree(const cJSON *root, struct x7_policy **pp) {
  struct x7_policy *p;
  const char *id = get(root, "policy_id")->valuestring;
  x7_result r = x7__policy_new_default(&p);
  if (r) return r;
  p->policy_id = x7__malloc(strlen(id) + 1);
  if (!p->policy_id) goto oom;
  memcpy(p->policy_id, id, strlen(id) + 1);
  for (int i = 0; i < X7__PF_COUNT; i++) {
    const struct x7__pf_desc *d = &x7__pf_table[i];
    const cJSON *v = walk(root, d->path);
    int64_t x;
    if (!v) continue; /* the default stays */
    if (d->type == X7__PFT_BOOL)
      p->f[i].num = cJSON_IsTrue(v);
    else if (d->type == X7__PFT_NUM)
      p->f[i].num = json_int(v, &x) && x > 0 ? (uint64_t)x : 0;
    else if (join_field(p, (enum x7__pf)i, v, d->type))
      goto oom;
  }
  if (x7__policy_finish(p)) goto oom;
  *pp = p;
  return X7_OK;
oom:
  x7_policy_free(p);
  return X7_ENOMEM;
}

x7_result x7_policy_parse(struct x7_view json, const char *source,
                          struct x7_policy **ppolicy,
                          struct x7_bytes *perrmsg) {
  struct vctx c;
  cJSON *root;
  x7_result r;
  if (perrmsg) x7__bytes_reset(perrmsg);
  if (!ppolicy) return X7_EINVAL;
  *ppolicy = NULL;
  if (!x7__view_ok(json)) return X7_EINVAL;
  memset(&c, 0, sizeof c);
  c.source = source ? source : "policy";
  if (parse_checked(&c, json, 1, &root)) return give_msg(c.msg, perrmsg);
  r = policy_from_tree(root, ppolicy);
  cJSON_Delete(root);
  return r;
}

static x7_result read_file(const char *path, struct x7_bytes *pout,
                           char *why, size_t whylen) {
  struct x7__buf b;
  FILE *f = fopen(path, "rb");
  x7__buf_init(&b);
  if (!f) {
    snprintf(why, whylen, "%s", strerror(errno));
    return X7_EINVAL;
  }
  for (;;) {
    size_t n;
    if (x7__buf_reserve(&b, 65536)) break;
    n = fread(b.ptr + b.len, 1, 65536, f);
    b.len += n;
    if (n < 65536) break;
  }
  if (ferror(f) && !b.failed) {
    snprintf(why, whylen, "read error");
    fclose(f);
    x7__buf_cleanup(&b);
    return X7_EINVAL;
  }
  fclose(f);
  return x7__buf_finish(&b, pout);
}

x7_result x7_policy_load(const char *path, struct x7_policy **ppolicy,
                         struct x7_bytes *perrmsg) {
  struct x7_bytes bytes = {0};
  char why[256], msg[MSG_MAX];
  x7_result r;
  if (perrmsg) x7__bytes_reset(perrmsg);
  if (!ppolicy) return X7_EINVAL;
  *ppolicy = NULL;
  if (!path) return X7_EINVAL;
  r = read_file(path, &bytes, why, sizeof why);
  if (r == X7_EINVAL) {
    snprintf(msg, sizeof msg, "%s: cannot read the policy file: %s", path,
             why);
    return give_msg(msg, perrmsg);
  }
  if (r) return r;
  r = x7_policy_parse(x7_bytes_view(&bytes), path, ppolicy, perrmsg);
  x7_bytes_free(&bytes);
  return r;
}

/* ---- the canonical writer (serde_json style) ---- */

static void put_str(struct x7__buf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  x7__buf_u8(b, '"');
  for (; *s; s++) {
    uint8_t ch = (uint8_t)*s;
    switch (ch) {
    case '"': x7__buf_add(b, "\\\"", 2); break;
    case '\\': x7__buf_add(b, "\\\\", 2); break;
    case '\b': x7__buf_add(b, "\\b", 2); break;
    case '\f': x7__buf_add(b, "\\f", 2); break;
    case '\n': x7__buf_add(b, "\\n", 2); break;
    case '\r': x7__buf_add(b, "\\r", 2); break;
    case '\t': x7__buf_add(b, "\\t", 2); break;
    default:
      if (ch < 0x20) {
        char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
        x7__buf_add(b, esc, 6);
      } else {
        x7__buf_u8(b, ch);
      }
    }
  }
  x7__buf_u8(b, '"');
}

static int key_cmp(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  return strcmp(x->string, y->string);
}

static void put_indent(struct x7__buf *b, int pretty, int depth) {
  if (!pretty) return;
  x7__buf_u8(b, '\n');
  for (int i = 0; i < depth; i++) x7__buf_add(b, "  ", 2);
}

/* Values of a validated tree only: integers, never fractions. */
static void put_value(struct x7__buf *b, const cJSON *v, int pretty,
                      int depth) {
  char num[32];
  if (cJSON_IsTrue(v)) {
    x7__buf_add(b, "true", 4);
  } else if (cJSON_IsFalse(v)) {
    x7__buf_add(b, "false", 5);
  } else if (cJSON_IsNull(v)) {
    x7__buf_add(b, "null", 4);
  } else if (cJSON_IsNumber(v)) {
    snprintf(num, sizeof num, "%" PRId64, (int64_t)v->valuedouble);
    x7__buf_add(b, num, strlen(num));
  } else if (cJSON_IsString(v)) {
    put_str(b, v->valuestring);
  } else if (cJSON_IsArray(v)) {
    const cJSON *e;
    int first = 1;
    x7__buf_u8(b, '[');
    cJSON_ArrayForEach(e, v) {
      if (!first) x7__buf_u8(b, ',');
      first = 0;
      put_indent(b, pretty, depth + 1);
      put_value(b, e, pretty, depth + 1);
    }
    if (!first) put_indent(b, pretty, depth);
    x7__buf_u8(b, ']');
  } else if (cJSON_IsObject(v)) {
    const cJSON *e;
    const cJSON **keys;
    size_t n = 0;
    cJSON_ArrayForEach(e, v) n++;
    x7__buf_u8(b, '{');
    if (n) {
      keys = x7__malloc(n * sizeof *keys);
      if (!keys) {
        b->failed = 1;
        return;
      }
      n = 0;
      cJSON_ArrayForEach(e, v) keys[n++] = e;
      qsort(keys, n, sizeof *keys, key_cmp);
      for (size_t i = 0; i < n; i++) {
        if (i) x7__buf_u8(b, ',');
        put_indent(b, pretty, depth + 1);
        put_str(b, keys[i]->string);
        x7__buf_add(b, pretty ? ": " : ":", pretty ? 2 : 1);
        put_value(b, keys[i], pretty, depth + 1);
      }
      x7__free(keys);
      put_indent(b, pretty, depth);
    }
    x7__buf_u8(b, '}');
  }
}

/* ---- the http-client template (spec §3.3, exact bytes) ---- */

static const char http_client_base[] =
    "{\n"
    "  \"env\": {\n"
    "    \"allow_keys\": [],\n"
    "    \"deny_keys\": [],\n"
    "    \"enabled\": false\n"
    "  },\n"
    "  \"fs\": {\n"
    "    \"allow_glob\": false,\n"
    "    \"allow_mkdir\": true,\n"
    "    \"allow_remove\": false,\n"
    "    \"allow_rename\": true,\n"
    "    \"allow_symlinks\": false,\n"
    "    \"allow_walk\": true,\n"
    "    \"deny_hidden\": true,\n"
    "    \"enabled\": true,\n"
    "    \"max_depth\": 32,\n"
    "    \"max_entries\": 20000,\n"
    "    \"max_read_bytes\": 67108864,\n"
    "    \"max_write_bytes\": 268435456,\n"
    "    \"read_roots\": [\n"
    "      \".\"\n"
    "    ],\n"
    "    \"write_roots\": [\n"
    "      \"out\"\n"
    "    ]\n"
    "  },\n"
    "  \"language\": {\n"
    "    \"allow_ffi\": true,\n"
    "    \"allow_unsafe\": true\n"
    "  },\n"
    "  \"limits\": {\n"
    "    \"core_dumps\": false,\n"
    "    \"cpu_ms\": 180000,\n"
    "    \"fds\": 256,\n"
    "    \"mem_bytes\": 1073741824,\n"
    "    \"procs\": 32,\n"
    "    \"wall_ms\": 300000\n"
    "  },\n"
    "  \"net\": {\n"
    "    \"allow_dns\": true,\n"
    "    \"allow_hosts\": [],\n"
    "    \"allow_tcp\": true,\n"
    "    \"allow_udp\": false,\n"
    "    \"enabled\": true\n"
    "  },\n"
    "  \"notes\": \"Base policy for outbound HTTP/TLS. net.allow_hosts is "
    "intentionally empty. Use x07 run --allow-host to derive a policy with "
    "explicit destinations.\",\n"
    "  \"policy_id\": \"sandbox.http-client.base\",\n"
    "  \"process\": {\n"
    "    \"allow_args_regex_lite\": [],\n"
    "    \"allow_cwd\": false,\n"
    "    \"allow_cwd_roots\": [],\n"
    "    \"allow_env_keys\": [],\n"
    "    \"allow_exec\": false,\n"
    "    \"allow_exec_prefixes\": [],\n"
    "    \"allow_execs\": [],\n"
    "    \"allow_exit\": true,\n"
    "    \"allow_spawn\": false,\n"
    "    \"enabled\": true,\n"
    "    \"kill_on_drop\": true,\n"
    "    \"kill_tree\": true,\n"
    "    \"max_arg_bytes\": 4096,\n"
    "    \"max_args\": 64,\n"
    "    \"max_env\": 64,\n"
    "    \"max_env_key_bytes\": 256,\n"
    "    \"max_env_val_bytes\": 4096,\n"
    "    \"max_exe_bytes\": 4096,\n"
    "    \"max_live\": 0,\n"
    "    \"max_runtime_ms\": 0,\n"
    "    \"max_spawns\": 0,\n"
    "    \"max_stderr_bytes\": 10485760,\n"
    "    \"max_stdin_bytes\": 1048576,\n"
    "    \"max_stdout_bytes\": 10485760,\n"
    "    \"max_total_bytes\": 16777216\n"
    "  },\n"
    "  \"schema_version\": \"x07.run-os-policy@0.1.0\",\n"
    "  \"threads\": {\n"
    "    \"enabled\": true,\n"
    "    \"max_blocking\": 4,\n"
    "    \"max_queue\": 1024,\n"
    "    \"max_workers\": 0\n"
    "  },\n"
    "  \"time\": {\n"
    "    \"allow_local_tzid\": false,\n"
    "    \"allow_monotonic\": true,\n"
    "    \"allow_sleep\": true,\n"
    "    \"allow_wall_clock\": true,\n"
    "    \"enabled\": true,\n"
    "    \"max_sleep_ms\": 5000\n"
    "  }\n"
    "}\n";

x7_result x7_policy_template_http_client(struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  return x7__bytes_dup(http_client_base, sizeof http_client_base - 1, pout);
}

/* ---- derivation (spec §4.3, x07 run's policy_overrides.rs) ---- */

#define MAX_SPEC_PORTS 64

struct host_ports {
  char *host;
  uint8_t all; /* deny "*" */
  uint16_t ports[MAX_SPEC_PORTS * 4 + 1]; /* sorted set */
  size_t n;
};

struct host_map {
  struct host_ports *v;
  size_t n, cap;
};

static void map_free(struct host_map *m) {
  for (size_t i = 0; i < m->n; i++) x7__free(m->v[i].host);
  x7__free(m->v);
  memset(m, 0, sizeof *m);
}

static struct host_ports *map_find(struct host_map *m, const char *h) {
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->v[i].host, h) == 0) return &m->v[i];
  return NULL;
}

/* The entry for h, created empty when missing; NULL on OOM. */
static struct host_ports *map_get(struct host_map *m, const char *h) {
  struct host_ports *e = map_find(m, h);
  if (e) return e;
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 8;
    struct host_ports *v = x7__realloc(m->v, cap * sizeof *v);
    if (!v) return NULL;
    m->v = v;
    m->cap = cap;
  }
  e = &m->v[m->n];
  memset(e, 0, sizeof *e);
  e->host = x7__malloc(strlen(h) + 1);
  if (!e->host) return NULL;
  memcpy(e->host, h, strlen(h) + 1);
  m->n++;
  return e;
}

/* Insert into a sorted set; -1 when it would exceed max. */
static int set_add(uint16_t *set, size_t *n, size_t max, uint16_t v) {
  size_t i = 0;
  while (i < *n && set[i] < v) i++;
  if (i < *n && set[i] == v) return 0;
  if (*n >= max) return -1;
  memmove(set + i + 1, set + i, (*n - i) * sizeof *set);
  set[i] = v;
  (*n)++;
  return 0;
}

static void set_del(uint16_t *set, size_t *n, uint16_t v) {
  for (size_t i = 0; i < *n; i++)
    if (set[i] == v) {
      memmove(set + i, set + i + 1, (*n - i - 1) * sizeof *set);
      (*n)--;
      return;
    }
}

static int rs_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
         ch == '\v';
}

static void rs_trim(const char **p, size_t *n) {
  while (*n && rs_space(**p)) (*p)++, (*n)--;
  while (*n && rs_space((*p)[*n - 1])) (*n)--;
}

/* normalize_host_token: 0 with out (NUL-terminated, lowercased). */
static int host_token(struct vctx *c, const char *p, size_t n, char *out) {
  rs_trim(&p, &n);
  if (n == 0) return vfail(c, "host must be non-empty");
  if (n > 255) return vfail(c, "host must be <= 255 chars");
  for (size_t i = 0; i < n; i++) {
    if (p[i] == ';' || rs_space(p[i]))
      return vfail(c, "host must not contain whitespace or semicolons");
    out[i] = (char)x7__lower((uint8_t)p[i]);
  }
  out[n] = '\0';
  return 0;
}

/* split_host_ports: host and ports views, or -1 (caller's message). */
static int split_spec(const char *raw, const char **h, size_t *hn,
                      const char **ps, size_t *pn) {
  size_t n = strlen(raw);
  const char *t;
  rs_trim(&raw, &n);
  if (n == 0) return -1;
  if (raw[0] == '[') {
    const char *close = memchr(raw, ']', n);
    if (!close || (size_t)(close - raw) + 1 >= n || close[1] != ':')
      return -1;
    *h = raw + 1;
    *hn = (size_t)(close - raw) - 1;
    *ps = close + 2;
    *pn = n - (size_t)(close - raw) - 2;
    t = *ps;
    {
      size_t tn = *pn;
      rs_trim(&t, &tn);
      if (*hn == 0 || tn == 0) return -1;
    }
    return 0;
  }
  for (size_t i = n; i > 0; i--)
    if (raw[i - 1] == ':') {
      const char *hh = raw, *pp = raw + i;
      size_t hl = i - 1, pl = n - i;
      *h = raw;
      *hn = i - 1;
      *ps = raw + i;
      *pn = n - i;
      rs_trim(&hh, &hl);
      rs_trim(&pp, &pl);
      return hl && pl ? 0 : -1;
    }
  return -1;
}

/* parse_ports_list into a sorted set. */
static int port_list(struct vctx *c, const char *p, size_t n, uint16_t *set,
                     size_t *pn) {
  const char *bad = "Expected HOST:PORTS (ports are 1..65535).";
  *pn = 0;
  for (;;) {
    const char *comma = memchr(p, ',', n);
    size_t k = comma ? (size_t)(comma - p) : n, i = 0;
    const char *q = p;
    uint32_t v = 0;
    rs_trim(&q, &k);
    if (k == 0) return vfail(c, "%s", bad);
    /* Rust's u16::from_str: an optional '+', then digits, <= 65535. */
    if (q[0] == '+') i = 1;
    if (i == k) return vfail(c, "%s", bad);
    for (; i < k; i++) {
      if (q[i] < '0' || q[i] > '9') return vfail(c, "%s", bad);
      v = v * 10 + (uint32_t)(q[i] - '0');
      if (v > 65535) return vfail(c, "%s", bad);
    }
    if (v == 0) return vfail(c, "ports are 1..65535");
    (void)set_add(set, pn, MAX_SPEC_PORTS + 1, (uint16_t)v);
    if (*pn > MAX_SPEC_PORTS)
      return vfail(c, "ports list would exceed 64 entries");
    if (!comma) break;
    n -= (size_t)(comma - p) + 1;
    p = comma + 1;
  }
  return 0;
}

static int allow_spec(struct vctx *c, const char *raw, struct host_map *m) {
  const char *h, *ps;
  size_t hn, pn, np;
  char host[256];
  uint16_t set[MAX_SPEC_PORTS + 1];
  struct host_ports *e;
  if (split_spec(raw, &h, &hn, &ps, &pn))
    return vfail(c, "Expected HOST:PORTS (ports are 1..65535).");
  {
    const char *t = ps;
    size_t tn = pn;
    rs_trim(&t, &tn);
    if (tn == 1 && t[0] == '*')
      return vfail(c, "Expected HOST:PORTS (ports are 1..65535; '*' is only "
                      "valid for --deny-host).");
  }
  if (host_token(c, h, hn, host) || port_list(c, ps, pn, set, &np)) return -1;
  e = map_get(m, host);
  if (!e) return voom(c);
  for (size_t i = 0; i < np; i++)
    (void)set_add(e->ports, &e->n, sizeof e->ports / sizeof e->ports[0] - 1,
                  set[i]);
  return 0;
}

static int deny_spec(struct vctx *c, const char *raw, struct host_map *m) {
  const char *h, *ps;
  size_t hn, pn, np = 0;
  char host[256];
  uint16_t set[MAX_SPEC_PORTS + 1];
  struct host_ports *e;
  int all;
  if (split_spec(raw, &h, &hn, &ps, &pn))
    return vfail(c, "Expected HOST:PORTS (ports are 1..65535 or *).");
  if (host_token(c, h, hn, host)) return -1;
  rs_trim(&ps, &pn);
  all = pn == 1 && ps[0] == '*';
  if (!all && port_list(c, ps, pn, set, &np)) return -1;
  e = map_find(m, host);
  if (!e) {
    e = map_get(m, host);
    if (!e) return voom(c);
    e->all = (uint8_t)all;
    for (size_t i = 0; i < np; i++) (void)set_add(e->ports, &e->n, 64, set[i]);
    return 0;
  }
  if (all) {
    e->all = 1;
    e->n = 0;
  } else if (!e->all) {
    for (size_t i = 0; i < np; i++)
      (void)set_add(e->ports, &e->n, sizeof e->ports / sizeof e->ports[0] - 1,
                    set[i]);
  }
  return 0;
}

/* read_host_specs_from_file: feed every spec line of text to fn. */
static int file_specs(struct vctx *c, struct x7_view text,
                      int (*fn)(struct vctx *, const char *, struct host_map *),
                      struct host_map *m) {
  size_t pos = 0;
  char line[4096];
  if (!utf8_valid(text.ptr, text.len))
    return vfail(c, "host spec file must be utf-8");
  while (pos < text.len) {
    const char *s = (const char *)text.ptr + pos, *nl, *hash;
    size_t n;
    nl = memchr(s, '\n', text.len - pos);
    n = nl ? (size_t)(nl - s) : text.len - pos;
    pos += n + 1;
    rs_trim(&s, &n);
    if (n == 0 || s[0] == '#') continue;
    hash = memchr(s, '#', n);
    if (hash) {
      n = (size_t)(hash - s);
      rs_trim(&s, &n);
      if (n == 0) continue;
    }
    if (n >= sizeof line) return vfail(c, "host spec line too long");
    memcpy(line, s, n);
    line[n] = '\0';
    if (fn(c, line, m)) return -1;
  }
  return 0;
}

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int hp_cmp(const void *a, const void *b) {
  return strcmp(((const struct host_ports *)a)->host,
                ((const struct host_ports *)b)->host);
}

/* Trimmed, checked root overrides (normalize_roots). */
static int roots(struct vctx *c, const char *const *in, size_t n,
                 char ***pout, size_t *pn) {
  char **v;
  *pout = NULL;
  *pn = 0;
  if (n == 0) return 0;
  v = x7__malloc(n * sizeof *v);
  if (!v) return voom(c);
  memset(v, 0, n * sizeof *v);
  *pout = v;
  for (size_t i = 0; i < n; i++) {
    const char *s = in[i] ? in[i] : "";
    size_t len = strlen(s);
    rs_trim(&s, &len);
    if (len == 0) return vfail(c, "root path must be non-empty");
    if (len > 4096) return vfail(c, "root path must be <= 4096 chars");
    v[i] = x7__malloc(len + 1);
    if (!v[i]) return voom(c);
    memcpy(v[i], s, len);
    v[i][len] = '\0';
    (*pn)++;
  }
  return 0;
}

static void roots_free(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) x7__free(v[i]);
  x7__free(v);
}

static void put_ports(struct x7__buf *b, const uint16_t *p, size_t n) {
  char num[8];
  x7__buf_u8(b, '[');
  for (size_t i = 0; i < n; i++) {
    if (i) x7__buf_u8(b, ',');
    snprintf(num, sizeof num, "%u", (unsigned)p[i]);
    x7__buf_add(b, num, strlen(num));
  }
  x7__buf_u8(b, ']');
}

static void put_roots(struct x7__buf *b, char **v, size_t n) {
  char **s = NULL;
  size_t k = 0;
  x7__buf_u8(b, '[');
  if (n) {
    s = x7__malloc(n * sizeof *s);
    if (!s) {
      b->failed = 1;
      return;
    }
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, str_cmp);
    for (size_t i = 0; i < n; i++) {
      if (i && strcmp(s[i], s[i - 1]) == 0) continue; /* dedup */
      if (k++) x7__buf_u8(b, ',');
      put_str(b, s[i]);
    }
    x7__free(s);
  }
  x7__buf_u8(b, ']');
}

/* The compact, key-sorted digest input of step 5. */
static void digest_json(struct x7__buf *b, struct host_map *allow,
                        struct host_map *deny, char **rr, size_t nrr,
                        char **wr, size_t nwr) {
  x7__buf_add(b, "{\"allow_hosts\":[", 16);
  for (size_t i = 0; i < allow->n; i++) {
    if (i) x7__buf_u8(b, ',');
    x7__buf_add(b, "{\"host\":", 8);
    put_str(b, allow->v[i].host);
    x7__buf_add(b, ",\"ports\":", 9);
    put_ports(b, allow->v[i].ports, allow->v[i].n);
    x7__buf_u8(b, '}');
  }
  x7__buf_add(b, "],\"allow_read_roots\":", 21);
  put_roots(b, rr, nrr);
  x7__buf_add(b, ",\"allow_write_roots\":", 21);
  put_roots(b, wr, nwr);
  x7__buf_add(b, ",\"deny_hosts\":[", 15);
  for (size_t i = 0; i < deny->n; i++) {
    if (i) x7__buf_u8(b, ',');
    x7__buf_add(b, "{\"all_ports\":", 13);
    if (deny->v[i].all)
      x7__buf_add(b, "true", 4);
    else
      x7__buf_add(b, "false", 5);
    x7__buf_add(b, ",\"host\":", 8);
    put_str(b, deny->v[i].host);
    x7__buf_add(b, ",\"ports\":", 9);
    put_ports(b, deny->v[i].ports, deny->v[i].n);
    x7__buf_u8(b, '}');
  }
  x7__buf_add(b, "]}", 2);
}

/* Replace obj[key] (added when missing). */
static int set_item(cJSON *obj, const char *key, cJSON *item) {
  if (!item) return -1;
  if (get(obj, key)) {
    if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
      cJSON_Delete(item);
      return -1;
    }
    return 0;
  }
  if (!cJSON_AddItemToObject(obj, key, item)) {
    cJSON_Delete(item);
    return -1;
  }
  return 0;
}

/* Step 7: allow_hosts and allow_dns of the derived tree. */
static int apply_net(struct vctx *c, cJSON *root, struct host_map *allow,
                     struct host_map *deny) {
  cJSON *net = cJSON_GetObjectItemCaseSensitive(root, "net"), *arr, *e;
  struct host_map cur = {0};
  int dns = cJSON_IsTrue(get(net, "allow_dns")), rc = -1;
  const cJSON *he;

  cJSON_ArrayForEach(he, get(net, "allow_hosts")) {
    const char *hs = get(he, "host")->valuestring;
    char host[256];
    struct host_ports *hp;
    const cJSON *pe;
    if (host_token(c, hs, strlen(hs), host)) goto out;
    hp = map_get(&cur, host);
    if (!hp) {
      voom(c);
      goto out;
    }
    cJSON_ArrayForEach(pe, get(he, "ports")) {
      if (set_add(hp->ports, &hp->n, MAX_SPEC_PORTS, (uint16_t)pe->valuedouble)) {
        vfail(c, "Host %s would exceed 64 allowed ports", host);
        goto out;
      }
    }
  }
  /* New hosts in sorted order: upstream iterated a hash map here. */
  for (size_t i = 0; i < allow->n; i++) {
    struct host_ports *hp = map_find(&cur, allow->v[i].host);
    if (!hp) {
      hp = map_get(&cur, allow->v[i].host);
      if (!hp) {
        voom(c);
        goto out;
      }
      if (cur.n > 256) {
        vfail(c, "Policy net.allow_hosts would exceed 256 entries");
        goto out;
      }
    }
    for (size_t k = 0; k < allow->v[i].n; k++)
      if (set_add(hp->ports, &hp->n, MAX_SPEC_PORTS, allow->v[i].ports[k])) {
        vfail(c, "Host %s would exceed 64 allowed ports", hp->host);
        goto out;
      }
  }
  /* Deny wins: "*" removes the host, ports remove ports (and the host
   * once it has none). */
  for (size_t i = 0; i < deny->n; i++) {
    struct host_ports *hp = map_find(&cur, deny->v[i].host);
    if (!hp) continue;
    if (deny->v[i].all) {
      hp->n = 0;
      continue;
    }
    for (size_t k = 0; k < deny->v[i].n; k++)
      set_del(hp->ports, &hp->n, deny->v[i].ports[k]);
  }
  arr = cJSON_CreateArray();
  if (!arr) goto oom;
  for (size_t i = 0; i < cur.n; i++) {
    cJSON *ports;
    if (cur.v[i].n == 0) continue;
    for (const char *s = cur.v[i].host; *s; s++)
      if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) dns = 1;
    e = cJSON_CreateObject();
    if (!e || !cJSON_AddItemToArray(arr, e)) {
      cJSON_Delete(e);
      goto oom_arr;
    }
    /* from here on e belongs to arr */
    ports = cJSON_AddArrayToObject(e, "ports");
    if (!ports || !cJSON_AddStringToObject(e, "host", cur.v[i].host))
      goto oom_arr;
    for (size_t k = 0; k < cur.v[i].n; k++) {
      cJSON *pn = cJSON_CreateNumber(cur.v[i].ports[k]);
      if (!pn || !cJSON_AddItemToArray(ports, pn)) {
        cJSON_Delete(pn);
        goto oom_arr;
      }
    }
  }
  if (set_item(net, "allow_hosts", arr) ||
      set_item(net, "allow_dns", cJSON_CreateBool(dns)))
    goto oom;
  rc = 0;
  goto out;
oom_arr:
  cJSON_Delete(arr);
oom:
  voom(c);
out:
  map_free(&cur);
  return rc;
}

/* Step 8: append new roots (trimmed, deduplicated, order kept). */
static int apply_roots(struct vctx *c, cJSON *fs, const char *key,
                       char **add, size_t n, const char *what) {
  cJSON *arr = cJSON_GetObjectItemCaseSensitive(fs, key);
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    const cJSON *e;
    int seen = 0;
    cJSON_ArrayForEach(e, arr) {
      if (strcmp(e->valuestring, add[i]) == 0) seen = 1;
    }
    if (seen) continue;
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(add[i])))
      return voom(c);
  }
  if (cJSON_GetArraySize(arr) > 128)
    return vfail(c, "fs.%s would exceed 128 entries", what);
  return 0;
}

/* Step 9: policy_id and notes. */
static int apply_id_notes(struct vctx *c, cJSON *root, const char *base_id,
                          const char *hex8, const char *base_path) {
  char id[80], *line, *both;
  const cJSON *notes = get(root, "notes");
  size_t keep = strlen(base_id) > 54 ? 54 : strlen(base_id), ln;
  int bad = 0;
  snprintf(id, sizeof id, "%.*s.g%s", (int)keep, base_id, hex8);
  if (set_item(root, "policy_id", cJSON_CreateString(id))) return voom(c);
  ln = strlen(base_path) + 64;
  line = x7__malloc(ln);
  if (!line) return voom(c);
  snprintf(line, ln, "Derived by x07 run from `%s` (g%s)", base_path, hex8);
  if (!notes || !cJSON_IsString(notes) || !notes->valuestring[0]) {
    bad = set_item(root, "notes", cJSON_CreateString(line));
  } else if (strlen(notes->valuestring) + 1 + strlen(line) <= 4096) {
    /* 4096 bytes, as upstream's String::len (the schema counts
     * characters, so this never makes the notes invalid) */
    size_t n = strlen(notes->valuestring) + 1 + strlen(line) + 1;
    both = x7__malloc(n);
    if (both) {
      snprintf(both, n, "%s\n%s", notes->valuestring, line);
      bad = set_item(root, "notes", cJSON_CreateString(both));
      x7__free(both);
    } else {
      bad = 1;
    }
  }
  x7__free(line);
  return bad ? voom(c) : 0;
}

x7_result x7_policy_derive(struct x7_view base, const char *base_path,
                           const struct x7_policy_overrides *ov,
                           struct x7_bytes *pjson, struct x7_bytes *pname,
                           struct x7_bytes *perrmsg) {
  struct vctx c;
  cJSON *root = NULL;
  struct host_map allow = {0}, deny = {0};
  char **rr = NULL, **wr = NULL, hex8[9], base_id[80];
  size_t nrr = 0, nwr = 0;
  struct x7__buf dj, out;
  unsigned char md[SHA256_DIGEST_LENGTH];
  int host_ov, root_ov, bad = 1;
  x7_result r = X7_EINVAL;

  if (perrmsg) x7__bytes_reset(perrmsg);
  X7__OUT_BYTES(pjson);
  X7__OUT_BYTES(pname);
  if (!ov || !base_path || !x7__view_ok(base)) return X7_EINVAL;
  memset(&c, 0, sizeof c);
  c.source = base_path;
  x7__buf_init(&dj);
  x7__buf_init(&out);

  /* 1: parse and schema-validate the base */
  if (parse_checked(&c, base, 0, &root)) goto fail;
  snprintf(base_id, sizeof base_id, "%s", get(root, "policy_id")->valuestring);
  /* 2: the base must permit what the overrides ask for */
  host_ov = ov->allow_hosts_len || ov->deny_hosts_len ||
            ov->allow_host_file_texts_len || ov->deny_host_file_texts_len;
  root_ov = ov->allow_read_roots_len || ov->allow_write_roots_len;
  if (host_ov && !cJSON_IsTrue(walk(root, "net.enabled"))) {
    vfail(&c, "base policy disables networking (net.enabled=false)");
    goto fail;
  }
  if (host_ov && !cJSON_IsTrue(walk(root, "net.allow_tcp"))) {
    vfail(&c, "base policy forbids TCP (net.allow_tcp=false)");
    goto fail;
  }
  if (root_ov && !cJSON_IsTrue(walk(root, "fs.enabled"))) {
    vfail(&c, "base policy disables filesystem access (fs.enabled=false)");
    goto fail;
  }
  /* 3: host specs, files first */
  for (size_t i = 0; i < ov->allow_host_file_texts_len; i++)
    if (!x7__view_ok(ov->allow_host_file_texts[i]) ||
        file_specs(&c, ov->allow_host_file_texts[i], allow_spec, &allow))
      goto fail;
  for (size_t i = 0; i < ov->allow_hosts_len; i++)
    if (allow_spec(&c, ov->allow_hosts[i] ? ov->allow_hosts[i] : "", &allow))
      goto fail;
  for (size_t i = 0; i < ov->deny_host_file_texts_len; i++)
    if (!x7__view_ok(ov->deny_host_file_texts[i]) ||
        file_specs(&c, ov->deny_host_file_texts[i], deny_spec, &deny))
      goto fail;
  for (size_t i = 0; i < ov->deny_hosts_len; i++)
    if (deny_spec(&c, ov->deny_hosts[i] ? ov->deny_hosts[i] : "", &deny))
      goto fail;
  /* 4: roots */
  if (roots(&c, ov->allow_read_roots, ov->allow_read_roots_len, &rr, &nrr) ||
      roots(&c, ov->allow_write_roots, ov->allow_write_roots_len, &wr, &nwr))
    goto fail;
  /* 5: digest of base bytes || canonical overrides */
  if (allow.n) qsort(allow.v, allow.n, sizeof *allow.v, hp_cmp);
  if (deny.n) qsort(deny.v, deny.n, sizeof *deny.v, hp_cmp);
  x7__buf_add(&dj, base.ptr, base.len);
  digest_json(&dj, &allow, &deny, rr, nrr, wr, nwr);
  if (dj.failed) goto oom;
  SHA256(dj.ptr, dj.len, md);
  snprintf(hex8, sizeof hex8, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
  /* 7-9: apply */
  if (apply_net(&c, root, &allow, &deny)) goto fail;
  {
    cJSON *fs = cJSON_GetObjectItemCaseSensitive(root, "fs");
    if (apply_roots(&c, fs, "read_roots", rr, nrr, "read_roots") ||
        apply_roots(&c, fs, "write_roots", wr, nwr, "write_roots"))
      goto fail;
  }
  if (apply_id_notes(&c, root, base_id, hex8, base_path)) goto fail;
  /* 10: the derived policy must still be valid */
  {
    struct vctx c2;
    memset(&c2, 0, sizeof c2);
    c2.source = "derived policy";
    snprintf(c2.path, sizeof c2.path, "policy");
    if (check_obj(&c2, root, s_top)) {
      memcpy(c.msg, c2.msg, sizeof c.msg);
      goto fail;
    }
  }
  /* 11: canonical pretty bytes and the file name */
  put_value(&out, root, 1, 0);
  x7__buf_u8(&out, '\n');
  if (out.failed) goto oom;
  r = x7__buf_finish(&out, pjson);
  if (!r) {
    char name[160];
    snprintf(name, sizeof name, "%s.g%s.policy.json", base_id, hex8);
    r = x7__bytes_dup(name, strlen(name), pname);
    if (r) x7_bytes_free(pjson);
  }
  bad = 0;
  goto done;
oom:
  r = X7_ENOMEM;
  bad = 0;
  goto done;
fail:
  bad = 1;
done:
  if (bad) r = c.oom ? X7_ENOMEM : give_msg(c.msg, perrmsg);
  cJSON_Delete(root);
  map_free(&allow);
  map_free(&deny);
  roots_free(rr, nrr);
  roots_free(wr, nwr);
  x7__buf_cleanup(&dj);
  x7__buf_cleanup(&out);
  return r;
}

/* ---- writing a policy file ---- */

x7_result x7_policy_write_file(const char *path, struct x7_view bytes,
                               int *pwritten) {
  static atomic_uint counter;
  struct x7_bytes old = {0};
  char why[64], tmp[4096];
  const char *slash;
  FILE *f;
  int ok;
  if (pwritten) *pwritten = 0;
  if (!path || !x7__view_ok(bytes)) return X7_EINVAL;
  if (read_file(path, &old, why, sizeof why) == X7_OK) {
    int same = old.len == bytes.len &&
               (bytes.len == 0 || memcmp(old.ptr, bytes.ptr, bytes.len) == 0);
    x7_bytes_free(&old);
    if (same) return X7_OK;
  }
  slash = strrchr(path, '/');
  if (slash)
    snprintf(tmp, sizeof tmp, "%.*s/.%s.%ld.%u.tmp", (int)(slash - path),
             path, slash + 1, (long)getpid(), atomic_fetch_add(&counter, 1));
  else
    snprintf(tmp, sizeof tmp, ".%s.%ld.%u.tmp", path, (long)getpid(),
             atomic_fetch_add(&counter, 1));
  f = fopen(tmp, "wb");
  if (!f) return X7_EINTERNAL;
  ok = (bytes.len == 0 || fwrite(bytes.ptr, 1, bytes.len, f) == bytes.len);
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return X7_EINTERNAL;
  }
  if (pwritten) *pwritten = 1;
  return X7_OK;
}
