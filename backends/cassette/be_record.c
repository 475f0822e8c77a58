/*
 * be_record.c - the record wrapper: send the request to the transport
 * backend (live, or any registered one), keep what came back as an
 * interaction, answer exactly what the transport answered.
 *
 * Like SQLite's vfstrace around its root VFS, the wrapper owns nothing of
 * the transport: it calls the transport's own http_fetch and looks at the
 * doc it returns.  Two deliberate differences from a pure pass-through:
 *   - header capture is forced on for the transport (and stripped again
 *     from the caller's doc) so that the cassette keeps the wire headers
 *     even for callers that asked for none;
 *   - bodies larger than the inline limit go to the sidecar store; a
 *     to-file body is streamed there from the file the transport wrote,
 *     so recording a large download stays in bounded memory.
 * Secrets are redacted from the stored copy only: the caller gets the
 * live bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <x7/net_err.h>
#include <x7/net_http.h>

#include "../live/be_live_int.h"
#include "backend_int.h"
#include "cassette_int.h"
#include "http_int.h"
#include "net_int.h"

#define FORCED_MAX_HEADERS 65535u
#define FORCED_MAX_HEADER_BYTES (16u * 1024u * 1024u)

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The transport, resolved on first use so that opening a recording
 * cassette does not freeze the registry. */
static x7_result transport(struct x7_cassette *c,
                           const struct x7_backend_ops **pops) {
  const struct x7_backend_ops *ops = NULL;
  x7_result r = X7_OK;
  pthread_mutex_lock(&c->mu);
  ops = c->inner;
  pthread_mutex_unlock(&c->mu);
  if (ops) {
    *pops = ops;
    return X7_OK;
  }
  if (c->transport_name) {
    r = x7__backend_find(c->transport_name, &ops);
  } else {
    r = x7__backend_get(&ops);
    /* The registry may itself be frozen on a cassette: record through
     * that cassette's transport, never through a cassette. */
    if (!r && (strcmp(ops->name, "record") == 0 ||
               strcmp(ops->name, "cassette") == 0)) {
      struct x7_cassette *active = NULL;
      ops = NULL;
      if (!x7_cassette_current(&active) && active != c) ops = active->inner;
      if (!ops) r = X7_ENOTFOUND;
    }
  }
  if (!r && ops->global_init) r = ops->global_init();
  if (r) {
    pthread_mutex_lock(&c->mu);
    snprintf(c->errmsg, sizeof c->errmsg,
             "%s: no transport to record through (%s)", c->path,
             c->transport_name ? c->transport_name : "registry selection");
    pthread_mutex_unlock(&c->mu);
    return r;
  }
  pthread_mutex_lock(&c->mu);
  if (!c->inner) c->inner = ops;
  ops = c->inner;
  pthread_mutex_unlock(&c->mu);
  *pops = ops;
  return X7_OK;
}

static uint8_t *dup_view(struct x7_view v) {
  uint8_t *p = x7__malloc(v.len + 1);
  if (!p) return NULL;
  if (v.len) memcpy(p, v.ptr, v.len);
  p[v.len] = 0;
  return p;
}

/* Body bytes in memory -> inline copy, or the sidecar store when large. */
static x7_result keep_body(struct x7_cassette *c, struct x7_view b,
                           struct x7__rr_body *out, char *msg, size_t msglen) {
  memset(out, 0, sizeof *out);
  out->len = b.len;
  if (!b.len) return X7_OK;
  if (b.len > c->doc.settings.inline_max) {
    out->blob = 1;
    return x7__rr_blob_put(c->blob_dir, b.ptr, b.len, c->do_fsync, out->sha,
                           msg, msglen);
  }
  out->ptr = dup_view(b);
  return out->ptr ? X7_OK : X7_ENOMEM;
}

/* The parts of a response doc (ver 2 or 3, or an error doc). */
struct parsed {
  int32_t error;
  uint32_t status;
  struct x7_view headers; /* the whole HttpHeadersTableV1 region */
  struct x7_view body;    /* ver 2 */
  struct x7_view path;    /* ver 3 */
  uint32_t file_len;
  int ver;
};

static int parse_doc(struct x7_view d, struct parsed *p) {
  size_t pos, h0;
  uint32_t count;
  memset(p, 0, sizeof *p);
  if (d.len >= 1 && d.ptr[0] == 0) {
    p->error = x7__net_err_code(d);
    if (!p->error) p->error = X7_NET_ERR_INTERNAL;
    return 0;
  }
  if (d.len < 10 || d.ptr[0] != 1) return -1;
  p->ver = d.ptr[1];
  p->status = x7__rd32(d.ptr + 2);
  count = x7__rd32(d.ptr + 6);
  h0 = 6;
  pos = 10;
  if (x7__http_skip_entries(d, &pos, count)) return -1;
  p->headers = x7_view_of(d.ptr + h0, pos - h0);
  if (p->ver == X7_NET_HTTP_RESP_V2) {
    if (x7__http_field(d, &pos, &p->body)) return -1;
    return 0;
  }
  if (p->ver == X7_NET_HTTP_RESP_TO_FILE_V3) {
    if (x7__http_field(d, &pos, &p->path) || d.len - pos < 4) return -1;
    p->file_len = x7__rd32(d.ptr + pos);
    return 0;
  }
  return -1;
}

static const char *curl_version_name(long v) {
  switch (v) {
  case CURL_HTTP_VERSION_1_0: return "1.0";
  case CURL_HTTP_VERSION_1_1: return "1.1";
  case CURL_HTTP_VERSION_2_0: return "2";
  case 30: /* CURL_HTTP_VERSION_3, newer than some headers */ return "3";
  default: return "unknown";
  }
}

static x7_result build_ix(struct x7_cassette *c,
                          const struct x7_http_fetch *req,
                          const struct x7__rr_reqview *v,
                          const struct parsed *p,
                          const struct x7_backend_ops *inner, uint64_t dur,
                          struct x7__rr_ix **pix, char *msg, size_t msglen) {
  struct x7__rr_ix *ix = x7__malloc(sizeof *ix);
  x7_result r = X7_OK;
  *pix = NULL;
  if (!ix) return X7_ENOMEM;
  memset(ix, 0, sizeof *ix);
  ix->method = req->method;
  ix->url = dup_view(v->url);
  ix->url_len = v->url.len;
  ix->req_headers = dup_view(v->headers);
  ix->req_headers_len = v->headers.len;
  if (!ix->url || !ix->req_headers) goto oom;
  r = keep_body(c, v->body, &ix->req_body, msg, msglen);
  if (r) goto fail;
  ix->follow_location = req->follow_location;
  ix->timeout_s = req->timeout_s;
  ix->max_redirects = req->max_redirects;
  ix->max_header_bytes = req->max_header_bytes;
  ix->max_headers = req->max_headers;
  ix->max_body_bytes = req->max_body_bytes;
  ix->to_file = req->out_path.len != 0;
  ix->fresh = 1;
  if (c->doc.settings.timings) {
    ix->has_duration = 1;
    ix->duration_us = dur;
  }
  snprintf(ix->http_version, sizeof ix->http_version, "unknown");
  if (inner && strcmp(inner->name, "live") == 0) {
    struct x7__live_diag diag;
    x7__live_last_diag(&diag);
    snprintf(ix->http_version, sizeof ix->http_version, "%s",
             curl_version_name(diag.http_version));
    ix->redirects = diag.redirect_count > 0 ? (uint32_t)diag.redirect_count : 0;
  }
  if (p->error) {
    ix->error = p->error;
    *pix = ix;
    return X7_OK;
  }
  ix->status = p->status;
  {
    /* HttpHeadersTableV1 = the count (already in the doc region) + the
     * entries: the doc stores exactly that layout. */
    ix->resp_headers = dup_view(p->headers);
    ix->resp_headers_len = p->headers.len;
    if (!ix->resp_headers) goto oom;
  }
  if (p->ver == X7_NET_HTTP_RESP_V2) {
    /* Inline first, so redaction sees it; large bodies move to the store
     * after redaction. */
    ix->resp_body.len = p->body.len;
    if (p->body.len) {
      ix->resp_body.ptr = dup_view(p->body);
      if (!ix->resp_body.ptr) goto oom;
    }
  } else {
    /* To-file: the transport wrote req->out_path (relative to the cwd). */
    char *path = x7__malloc(req->out_path.len + 1);
    if (!path) goto oom;
    memcpy(path, req->out_path.ptr, req->out_path.len);
    path[req->out_path.len] = '\0';
    if (p->file_len <= c->doc.settings.inline_max) {
      struct x7__buf b;
      x7__buf_init(&b);
      r = x7__rr_file_read(path, &b, msg, msglen);
      if (!r) {
        x7__buf_u8(&b, 0);
        if (b.failed) r = X7_ENOMEM;
      }
      if (!r) {
        ix->resp_body.ptr = b.ptr;
        ix->resp_body.len = b.len - 1;
        if (!ix->resp_body.len) {
          x7__free(b.ptr);
          ix->resp_body.ptr = NULL;
        }
      } else {
        x7__buf_cleanup(&b);
      }
    } else {
      uint64_t size = 0;
      r = x7__rr_blob_put_file(c->blob_dir, path, c->do_fsync,
                               ix->resp_body.sha, &size, msg, msglen);
      ix->resp_body.blob = 1;
      ix->resp_body.len = size;
    }
    x7__free(path);
    if (r) goto fail;
  }
  if (x7__rr_redact_ix(&c->red, ix)) goto oom;
  if (!ix->resp_body.blob && ix->resp_body.len > c->doc.settings.inline_max) {
    r = x7__rr_blob_put(c->blob_dir, ix->resp_body.ptr,
                        (size_t)ix->resp_body.len, c->do_fsync,
                        ix->resp_body.sha, msg, msglen);
    if (r) goto fail;
    x7__free(ix->resp_body.ptr);
    ix->resp_body.ptr = NULL;
    ix->resp_body.blob = 1;
  }
  *pix = ix;
  return X7_OK;
oom:
  r = X7_ENOMEM;
fail:
  x7__rr_ix_free(ix);
  return r;
}

/* The caller asked for no headers: give it the doc without them. */
static x7_result strip_headers(const struct parsed *p, struct x7_bytes *doc) {
  static const uint8_t none[4] = {0};
  struct x7_bytes out = {0};
  x7_result r;
  if (p->error) return X7_OK;
  if (p->ver == X7_NET_HTTP_RESP_V2)
    r = x7_net_http_resp_pack_v2((int32_t)p->status, x7_view_of(none, 4),
                                 p->body, &out);
  else
    r = x7_net_http_resp_pack_v3((int32_t)p->status, x7_view_of(none, 4),
                                 p->path, (int32_t)p->file_len, &out);
  if (r) return r;
  x7_bytes_free(doc);
  *doc = out;
  return X7_OK;
}

x7_result x7__rr_record_fetch(struct x7_cassette *c,
                              const struct x7_http_fetch *req,
                              const struct x7__rr_reqview *v,
                              struct x7__buf *arena, struct x7_bytes *presp) {
  const struct x7_backend_ops *inner = NULL;
  struct x7_http_fetch fwd = *req;
  struct x7__rr_ix *ix = NULL;
  struct parsed p;
  char msg[400];
  uint64_t t0, dur;
  int forced = 0;
  x7_result r;

  (void)arena;
  msg[0] = '\0';
  r = transport(c, &inner);
  if (r) return r;
  if (fwd.max_headers == 0 || fwd.max_header_bytes == 0) {
    fwd.max_headers = FORCED_MAX_HEADERS;
    fwd.max_header_bytes = FORCED_MAX_HEADER_BYTES;
    forced = 1;
  }
  t0 = now_us();
  r = inner->http_fetch(&fwd, presp);
  dur = now_us() - t0;
  if (r) return r; /* a library failure of the transport: nothing to keep */
  if (parse_doc(x7_bytes_view(presp), &p)) {
    /* Not a doc we can store faithfully: refuse to record a guess. */
    pthread_mutex_lock(&c->mu);
    snprintf(c->errmsg, sizeof c->errmsg,
             "%s: transport '%s' returned a malformed response doc", c->path,
             inner->name);
    pthread_mutex_unlock(&c->mu);
    x7_bytes_free(presp);
    return X7_EINTERNAL;
  }
  r = build_ix(c, req, v, &p, inner, dur, &ix, msg, sizeof msg);
  if (r) {
    pthread_mutex_lock(&c->mu);
    snprintf(c->errmsg, sizeof c->errmsg, "%s: not recorded: %s", c->path,
             msg[0] ? msg : x7_strerror(r));
    pthread_mutex_unlock(&c->mu);
    x7_bytes_free(presp);
    return r;
  }
  pthread_mutex_lock(&c->mu);
  if (x7__rr_doc_push(&c->doc, ix)) {
    pthread_mutex_unlock(&c->mu);
    x7__rr_ix_free(ix);
    x7_bytes_free(presp);
    return X7_ENOMEM;
  }
  if (x7__rr_index_add(c, (uint32_t)(c->doc.n - 1))) {
    /* Keep it stored even if it cannot be indexed for this session. */
    ix->used = 1;
  } else {
    /* Served live already: the sequence continues after it. */
    struct x7__rr_queue *q = &c->queues[ix->queue];
    ix->used = 1;
    q->last = q->n - 1;
    while (q->next < q->n && c->doc.ix[q->ix[q->next]]->used) q->next++;
  }
  c->dirty = 1;
  pthread_mutex_unlock(&c->mu);
  if (forced) {
    r = strip_headers(&p, presp);
    if (r) x7_bytes_free(presp);
  }
  return r;
}
