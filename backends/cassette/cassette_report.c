/*
 * cassette_report.c - what a miss and an unused interaction look like to
 * a person (text) and to CI (one line of canonical JSON).
 *
 * A miss report names the cassette, the request (already redacted, then
 * masked once more for known secrets), the state - never recorded,
 * sequence exhausted (n of m consumed), or no cassette file - and the
 * three nearest interactions with their field diffs and the matcher
 * relaxation that would have matched.
 */
#include <stdio.h>
#include <string.h>

#include "cassette_int.h"

#define TOP 3

struct cand {
  size_t index;
  unsigned dist;
};

static const char *state_of(const struct x7_cassette *c, uint32_t total) {
  if (!c->file_existed && c->n_loaded == 0 && c->doc.n == 0)
    return "no_cassette";
  return total ? "exhausted" : "never_recorded";
}

static void add_str(cJSON *o, const char *k, const char *v) {
  (void)cJSON_AddStringToObject(o, k, v);
}

static void add_num(cJSON *o, const char *k, double v) {
  (void)cJSON_AddNumberToObject(o, k, v);
}

static cJSON *view_str(const void *p, size_t n) {
  char stack[512], *s = stack;
  cJSON *node;
  if (n >= sizeof stack) n = sizeof stack - 1;
  memcpy(s, p, n);
  s[n] = '\0';
  node = cJSON_CreateString(s);
  return node;
}

/* Names of the request headers (values may be secrets: never shown). */
static cJSON *names_of(struct x7_view t) {
  cJSON *arr = cJSON_CreateArray();
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0;
  size_t pos = 4;
  for (uint32_t i = 0; arr && i < count && pos + 4 <= t.len; i++) {
    uint32_t kl = x7__rd32(t.ptr + pos), vl;
    if (kl > t.len - pos - 4) break;
    cJSON_AddItemToArray(arr, view_str(t.ptr + pos + 4, kl));
    pos += 4 + kl;
    if (pos + 4 > t.len) break;
    vl = x7__rd32(t.ptr + pos);
    if (vl > t.len - pos - 4) break;
    pos += 4 + vl;
  }
  return arr;
}

static const char *bit_name(unsigned bit) {
  switch (bit) {
  case X7_CASSETTE_MATCH_METHOD: return "method";
  case X7_CASSETTE_MATCH_URL: return "url";
  case X7_CASSETTE_MATCH_QUERY: return "query";
  case X7_CASSETTE_MATCH_BODY: return "body";
  default: return "headers";
  }
}

/* The one relaxation that would have matched, if there is one. */
static void hint_for(const struct x7_cassette *c, const struct x7__rr_ix *ix,
                     unsigned fields, char *out, size_t n) {
  unsigned enabled = fields & c->doc.settings.match;
  const struct x7__rr_queue *q = &c->queues[ix->queue];
  out[0] = '\0';
  if (!enabled) {
    if (ix->used)
      snprintf(out, n,
               "this interaction matches but was already replayed "
               "(consumed %u/%u): record the extra response, or set "
               "exhaustion repeat_last or cycle, or rewind",
               q->next, q->n);
    else
      snprintf(out, n, "every key field matches: a custom matcher refused it");
    return;
  }
  if (enabled & (enabled - 1)) return; /* more than one field differs */
  if (enabled == X7_CASSETTE_MATCH_QUERY)
    snprintf(out, n,
             "would match with the query matcher off "
             "(X07_NET_RR_IGNORE_QUERY / ignore_query for the "
             "differing names)");
  else if (enabled == X7_CASSETTE_MATCH_HEADERS)
    snprintf(out, n,
             "would match without the header matcher "
             "(X07_NET_RR_MATCH_HEADERS)");
  else
    snprintf(out, n,
             "would match with the %s matcher off "
             "(x7_cassette_config_set_match)",
             bit_name(enabled));
}

static void text_line(struct x7__buf *t, const char *fmt_prefix,
                      const char *s) {
  x7__buf_add(t, fmt_prefix, strlen(fmt_prefix));
  x7__buf_add(t, s, strlen(s));
  x7__buf_u8(t, '\n');
}

x7_result x7__rr_report_miss(struct x7_cassette *c,
                             const struct x7__rr_reqview *v, const uint8_t *key,
                             size_t key_len, uint32_t consumed, uint32_t total,
                             struct x7__buf *json, struct x7__buf *text) {
  struct cand top[TOP];
  size_t ntop = 0;
  cJSON *root = cJSON_CreateObject(), *req, *cands;
  const char *state = state_of(c, total);
  const char *method = x7__rr_method_name(v->method);
  char line[600];
  x7_result r;

  (void)key;
  (void)key_len;
  if (!root) return X7_ENOMEM;
  method = method ? method : "?";
  for (size_t i = 0; i < c->doc.n; i++) {
    struct x7__rr_reqview rv;
    unsigned fields, d;
    size_t k;
    x7__rr_ix_view(c->doc.ix[i], &rv);
    d = x7__rr_diff(&c->doc.settings, v, &rv, NULL, &fields);
    for (k = ntop; k > 0 && top[k - 1].dist > d; k--)
      if (k < TOP) top[k] = top[k - 1];
    if (k < TOP) {
      top[k] = (struct cand){i, d};
      if (ntop < TOP) ntop++;
    }
  }

  add_str(root, "cassette", c->path);
  add_str(root, "mode", x7_cassette_mode_name(c->mode));
  add_str(root, "state", state);
  add_str(root, "code",
          total ? x7_errname(X7_ECASSETTE_EXHAUSTED)
                : (strcmp(state, "no_cassette") == 0
                       ? x7_errname(X7_ECASSETTE_NOFILE)
                       : x7_errname(X7_ECASSETTE_MISS)));
  add_num(root, "net_err", X7_NET_ERR_NO_RECORDING);
  add_num(root, "interactions", (double)c->doc.n);
  add_num(root, "consumed", consumed);
  add_num(root, "recorded", total);
  req = cJSON_AddObjectToObject(root, "request");
  if (req) {
    add_str(req, "method", method);
    cJSON_AddItemToObject(req, "url", view_str(v->url.ptr, v->url.len));
    cJSON_AddItemToObject(req, "header_names", names_of(v->headers));
    add_num(req, "body_bytes", (double)v->body_len);
  }
  cands = cJSON_AddArrayToObject(root, "candidates");

  x7__buf_add(text, "x7net cassette: no recorded interaction for ", 44);
  snprintf(line, sizeof line, "%s %.*s\n", method,
           (int)(v->url.len > 400 ? 400 : v->url.len),
           v->url.ptr ? (const char *)v->url.ptr : "");
  x7__buf_add(text, line, strlen(line));
  snprintf(line, sizeof line, "  cassette: %s (mode %s, %zu interactions)",
           c->path, x7_cassette_mode_name(c->mode), c->doc.n);
  text_line(text, "", line);
  if (strcmp(state, "no_cassette") == 0)
    snprintf(line, sizeof line,
             "no cassette: the file does not exist (record it with "
             "X07_NET_RR_MODE=record_missing)");
  else if (total)
    snprintf(line, sizeof line,
             "sequence exhausted for this key (%u/%u consumed); exhaustion "
             "policy is error",
             consumed, total);
  else
    snprintf(line, sizeof line,
             "never recorded: no interaction has this request's key");
  text_line(text, "  state: ", line);
  if (ntop) text_line(text, "  nearest recorded interactions:", "");

  for (size_t k = 0; k < ntop; k++) {
    const struct x7__rr_ix *ix = c->doc.ix[top[k].index];
    const struct x7__rr_queue *q = &c->queues[ix->queue];
    struct x7__rr_reqview rv;
    cJSON *o = cJSON_CreateObject(), *diffs = cJSON_CreateArray();
    char st[64], hint[300];
    unsigned fields;
    const char *m = x7__rr_method_name(ix->method);
    x7__rr_ix_view(ix, &rv);
    (void)x7__rr_diff(&c->doc.settings, v, &rv, diffs, &fields);
    if (ix->used)
      snprintf(st, sizeof st, "consumed (%u/%u)", q->next, q->n);
    else
      snprintf(st, sizeof st, "unused");
    hint_for(c, ix, fields, hint, sizeof hint);
    if (o) {
      add_num(o, "index", (double)top[k].index);
      add_num(o, "distance", top[k].dist);
      add_str(o, "state", st);
      snprintf(line, sizeof line, "%s %.*s", m ? m : "?",
               (int)(ix->url_len > 400 ? 400 : ix->url_len),
               (const char *)ix->url);
      add_str(o, "request", line);
      if (hint[0]) add_str(o, "hint", hint);
      if (diffs) cJSON_AddItemToObject(o, "diffs", diffs);
      diffs = NULL;
      if (cands) cJSON_AddItemToArray(cands, o);
    }
    cJSON_Delete(diffs);
    snprintf(line, sizeof line, "    %zu. interaction %zu [%s]: %s %.*s", k + 1,
             top[k].index, st, m ? m : "?",
             (int)(ix->url_len > 300 ? 300 : ix->url_len),
             (const char *)ix->url);
    text_line(text, "", line);
    if (o) {
      const cJSON *ds = cJSON_GetObjectItemCaseSensitive(o, "diffs");
      for (const cJSON *d = ds ? ds->child : NULL; d; d = d->next) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(d, "field"),
                    *e = cJSON_GetObjectItemCaseSensitive(d, "expected"),
                    *a = cJSON_GetObjectItemCaseSensitive(d, "actual");
        snprintf(line, sizeof line,
                 "         %s: recorded \"%s\", requested \"%s\"",
                 f ? f->valuestring : "?", e ? e->valuestring : "",
                 a ? a->valuestring : "");
        text_line(text, "", line);
      }
    }
    if (hint[0]) text_line(text, "         hint: ", hint);
  }

  r = x7__rr_json_emit(root, 0, json, NULL, NULL);
  cJSON_Delete(root);
  if (r == X7_EINVAL) r = X7_OK; /* numbers are ours; never happens */
  if (r) return r;
  x7__rr_mask(&c->red, json);
  x7__rr_mask(&c->red, text);
  if (json->failed || text->failed) return X7_ENOMEM;
  return X7_OK;
}

x7_result x7__rr_report_unused(struct x7_cassette *c, int as_json,
                               struct x7_bytes *pout) {
  struct x7__buf out;
  cJSON *root = NULL, *arr = NULL;
  size_t unused = 0;
  char line[600];
  x7_result r = X7_OK;
  x7__buf_init(&out);
  pthread_mutex_lock(&c->mu);
  if (as_json) {
    root = cJSON_CreateObject();
    if (!root) {
      pthread_mutex_unlock(&c->mu);
      return X7_ENOMEM;
    }
    add_str(root, "cassette", c->path);
    add_num(root, "interactions", (double)c->doc.n);
    arr = cJSON_AddArrayToObject(root, "unused");
  }
  for (size_t i = 0; i < c->doc.n; i++) {
    const struct x7__rr_ix *ix = c->doc.ix[i];
    const char *m = x7__rr_method_name(ix->method);
    if (ix->plays || ix->fresh) continue;
    unused++;
    snprintf(line, sizeof line, "%s %.*s", m ? m : "?",
             (int)(ix->url_len > 400 ? 400 : ix->url_len),
             (const char *)ix->url);
    if (as_json) {
      cJSON *o = cJSON_CreateObject();
      if (o) {
        add_num(o, "index", (double)i);
        add_str(o, "request", line);
        cJSON_AddItemToArray(arr, o);
      }
    } else {
      char idx[48];
      snprintf(idx, sizeof idx, "  interaction %zu: ", i);
      text_line(&out, idx, line);
    }
  }
  if (as_json) {
    add_num(root, "count", (double)unused);
    r = x7__rr_json_emit(root, 0, &out, NULL, NULL);
    if (r == X7_EINVAL) r = X7_OK;
    cJSON_Delete(root);
  } else {
    snprintf(line, sizeof line, "%s: %zu of %zu interactions never replayed\n",
             c->path, unused, c->doc.n);
    {
      struct x7__buf head;
      x7__buf_init(&head);
      x7__buf_add(&head, line, strlen(line));
      x7__buf_add(&head, out.ptr, out.len);
      x7__buf_cleanup(&out);
      out = head;
    }
  }
  pthread_mutex_unlock(&c->mu);
  if (r) {
    x7__buf_cleanup(&out);
    return r;
  }
  x7__rr_mask(&c->red, &out);
  return x7__buf_finish(&out, pout);
}
