/*
 * policy_env.c - struct x7_policy and the environment contract (workflow
 * spec §4.5): the runner flattens a policy into X07_* variables, the
 * program reads them back.
 *
 * The policy keeps every field exactly as the environment carries it
 * (booleans and integers as numbers, lists already joined with ';' or
 * ','), so writing, reading and writing again gives the same bytes, and a
 * policy that came from a file and one that came from the environment
 * are the same object: in particular the allow list is compiled from the
 * X07_OS_NET_ALLOW_HOSTS text in both cases.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "policy_int.h"

extern char **environ;

const struct x7__pf_desc x7__pf_table[X7__PF_COUNT] = {
#define X7__PF(id, env, path, type, dflt) {env, path, X7__PFT_##type, dflt},
#include "policy_fields.h"
#undef X7__PF
};

#define WORLD_SANDBOXED "run-os-sandboxed"
#define WORLD_OS "run-os"

static char *dup_n(const char *s, size_t n) {
  char *d = x7__malloc(n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

x7_result x7__policy_new_default(struct x7_policy **pp) {
  struct x7_policy *p = x7__malloc(sizeof *p);
  *pp = NULL;
  if (!p) return X7_ENOMEM;
  memset(p, 0, sizeof *p);
  p->sandboxed = 1;
  for (int i = 0; i < X7__PF_COUNT; i++) p->f[i].num = x7__pf_table[i].dflt;
  *pp = p;
  return X7_OK;
}

x7_result x7__policy_set_str(struct x7_policy *p, enum x7__pf id,
                             const char *s, size_t n) {
  char *d = NULL;
  if (n) {
    d = dup_n(s, n);
    if (!d) return X7_ENOMEM;
  }
  x7__free(p->f[id].str);
  p->f[id].str = d;
  return X7_OK;
}

x7_result x7__policy_finish(struct x7_policy *p) {
  const char *h = p->f[X7__PF_NET_ALLOW_HOSTS].str;
  x7__netmatch_free(p->net);
  p->net = NULL;
  return x7__netmatch_build(h, h ? strlen(h) : 0, &p->net);
}

void x7_policy_free(struct x7_policy *p) {
  if (!p) return;
  for (int i = 0; i < X7__PF_COUNT; i++) x7__free(p->f[i].str);
  x7__free(p->world);
  x7__free(p->policy_id);
  x7__netmatch_free(p->net);
  x7__free(p);
}

int x7_policy_is_sandboxed(const struct x7_policy *p) {
  return p && p->sandboxed;
}

const char *x7_policy_id(const struct x7_policy *p) {
  return p && p->policy_id ? p->policy_id : "";
}

/* ---- writer ---- */

static void put_var(struct x7__buf *b, const char *key, const char *val) {
  x7__buf_add(b, key, strlen(key));
  x7__buf_u8(b, '=');
  if (val) x7__buf_add(b, val, strlen(val));
  x7__buf_u8(b, 0);
}

static const char *world_of(const struct x7_policy *p) {
  if (p->world) return p->world;
  return p->sandboxed ? WORLD_SANDBOXED : WORLD_OS;
}

x7_result x7_policy_env_write(const struct x7_policy *p,
                              struct x7_bytes *penv) {
  struct x7__buf b;
  X7__OUT_BYTES(penv);
  if (!p) return X7_EINVAL;
  x7__buf_init(&b);
  put_var(&b, "X07_WORLD", world_of(p));
  if (p->sandboxed) {
    put_var(&b, "X07_OS_SANDBOXED", "1");
    for (int i = 0; i < X7__PF_COUNT; i++) {
      const struct x7__pf_desc *d = &x7__pf_table[i];
      char num[24];
      if (d->type == X7__PFT_BOOL) {
        put_var(&b, d->env, p->f[i].num ? "1" : "0");
      } else if (d->type == X7__PFT_NUM) {
        snprintf(num, sizeof num, "%" PRIu64, p->f[i].num);
        put_var(&b, d->env, num);
      } else {
        put_var(&b, d->env, p->f[i].str);
      }
    }
  }
  return x7__buf_finish(&b, penv);
}

/* ---- reader ---- */

/* The value of key in envp (NULL: the process environment), or NULL. */
static const char *env_get(const char *const *envp, const char *key) {
  size_t kn = strlen(key);
  const char *const *e = envp ? envp : (const char *const *)environ;
  for (; e && *e; e++)
    if (strncmp(*e, key, kn) == 0 && (*e)[kn] == '=') return *e + kn + 1;
  return NULL;
}

/* Decimal, no sign, fits in 64 bits; else the default. */
static uint64_t parse_num(const char *s, uint64_t dflt) {
  uint64_t v = 0;
  if (!s || !*s) return dflt;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return dflt;
    if (v > (UINT64_MAX - 9) / 10) return dflt;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  return v;
}

x7_result x7_policy_env_read(const char *const *envp,
                             struct x7_policy **ppolicy) {
  struct x7_policy *p;
  const char *world, *sb;
  x7_result r;
  if (!ppolicy) return X7_EINVAL;
  *ppolicy = NULL;
  r = x7__policy_new_default(&p);
  if (r) return r;
  world = env_get(envp, "X07_WORLD");
  sb = env_get(envp, "X07_OS_SANDBOXED");
  /* The shims asked for exactly "1"; the runtime also took the world
   * name.  Both mean sandboxed here, so a half-set environment fails
   * closed rather than open. */
  p->sandboxed = (sb && strcmp(sb, "1") == 0) ||
                 (world && strcmp(world, WORLD_SANDBOXED) == 0);
  if (world) {
    p->world = dup_n(world, strlen(world));
    if (!p->world) goto oom;
  }
  if (p->sandboxed) {
    for (int i = 0; i < X7__PF_COUNT; i++) {
      const struct x7__pf_desc *d = &x7__pf_table[i];
      const char *v = env_get(envp, d->env);
      if (d->type == X7__PFT_BOOL) {
        if (v) p->f[i].num = strcmp(v, "1") == 0;
      } else if (d->type == X7__PFT_NUM) {
        p->f[i].num = parse_num(v, d->dflt);
      } else if (v && x7__policy_set_str(p, (enum x7__pf)i, v, strlen(v))) {
        goto oom;
      }
    }
  }
  if (x7__policy_finish(p)) goto oom;
  *ppolicy = p;
  return X7_OK;
oom:
  x7_policy_free(p);
  return X7_ENOMEM;
}
