/* net_http.c - std.net.http response-doc accessors (spec §2.10, §3.8) and
 * the x7 packers for HttpRespV2 / HttpRespToFileV1. */
#include <x7/net_http.h>

#include "http_int.h"

#define RESP_HDR 10     /* 01 ver status header_count */
#define RESP_MIN_TAIL 14 /* the header plus one u32 */

static int resp_ok(struct x7_view d, size_t min_len) {
  return d.len >= min_len && d.ptr[0] == 1;
}

/* Position just after the header entries of an ok doc whose ver is
 * `ver`, or -1.  This is upstream's "offset helper": a doc that is too
 * short, of another ver, with a negative count or with any entry running
 * off the end has no reachable tail. */
static int resp_tail(struct x7_view d, int ver, size_t *ppos) {
  int32_t count;
  if (!resp_ok(d, RESP_MIN_TAIL) || d.ptr[1] != ver) return -1;
  count = x7__rdi32(d.ptr + 6);
  *ppos = RESP_HDR;
  if (count < 0) return -1;
  return x7__http_skip_entries(d, ppos, (uint32_t)count);
}

x7_result x7_net_http_resp_is_err_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = doc.len < 1 || doc.ptr[0] == 0;
  return X7_OK;
}

x7_result x7_net_http_resp_err_code_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = x7__net_err_code(doc);
  return X7_OK;
}

x7_result x7_net_http_resp_ver_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  if (resp_ok(doc, 2)) *pout = doc.ptr[1];
  return X7_OK;
}

x7_result x7_net_http_resp_status_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  if (resp_ok(doc, 6)) *pout = x7__rdi32(doc.ptr + 2);
  return X7_OK;
}

x7_result x7_net_http_resp_header_count_v1(struct x7_view doc,
                                           int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  if (resp_ok(doc, RESP_HDR)) *pout = x7__rdi32(doc.ptr + 6);
  return X7_OK;
}

x7_result x7_net_http_resp_header_get_v1(struct x7_view doc,
                                         struct x7_view name,
                                         struct x7_bytes *pout) {
  struct x7_view n, v;
  size_t pos = RESP_HDR;
  int32_t count;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  X7__IN_VIEW(name);
  if (!resp_ok(doc, RESP_HDR) || (doc.ptr[1] != 2 && doc.ptr[1] != 3))
    return X7_OK;
  count = x7__rdi32(doc.ptr + 6);
  /* Entries are checked one at a time, so a match before a malformed
   * entry is still found, as upstream's walk does. */
  for (int32_t i = 0; i < count; i++) {
    if (x7__http_entry(doc, &pos, &n, &v)) return X7_OK;
    if (n.len == name.len && x7__ascii_casecmp_eq(n.ptr, name.ptr, n.len))
      return x7__bytes_dup(v.ptr, v.len, pout);
  }
  return X7_OK;
}

x7_result x7_net_http_resp_body_v1(struct x7_view doc,
                                   struct x7_bytes *pout) {
  struct x7_view body;
  size_t pos;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  if (resp_tail(doc, X7_NET_HTTP_RESP_V2, &pos) ||
      x7__http_field(doc, &pos, &body))
    return X7_OK;
  return x7__bytes_dup(body.ptr, body.len, pout);
}

x7_result x7_net_http_resp_file_path_v1(struct x7_view doc,
                                        struct x7_bytes *pout) {
  struct x7_view path;
  size_t pos;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  if (resp_tail(doc, X7_NET_HTTP_RESP_TO_FILE_V3, &pos) ||
      x7__http_field(doc, &pos, &path))
    return X7_OK;
  return x7__bytes_dup(path.ptr, path.len, pout);
}

x7_result x7_net_http_resp_file_len_v1(struct x7_view doc, int32_t *pout) {
  struct x7_view path;
  size_t pos;
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  if (resp_tail(doc, X7_NET_HTTP_RESP_TO_FILE_V3, &pos) ||
      x7__http_field(doc, &pos, &path) || doc.len - pos < 4)
    return X7_OK;
  *pout = x7__rdi32(doc.ptr + pos);
  return X7_OK;
}

/* ---- packers ---- */

/* Start a doc: 01 ver status, then the table's count and entries.  An
 * empty table view stands for count 0. */
static x7_result pack_head(int ver, int32_t status, struct x7_view table,
                           size_t tail, struct x7__buf *b) {
  static const uint8_t empty[4] = {0};
  size_t pos = 4;
  int32_t count;
  X7__IN_VIEW(table);
  if (table.len == 0) table = x7_view_of(empty, 4);
  if (table.len < 4) return X7_EINVAL;
  count = x7__rdi32(table.ptr);
  if (count < 0 || x7__http_skip_entries(table, &pos, (uint32_t)count) ||
      pos != table.len)
    return X7_EINVAL;
  if (table.len > SIZE_MAX - 6 - tail) return X7_ERANGE;
  x7__buf_reserve(b, 6 + table.len + tail);
  x7__buf_u8(b, 1);
  x7__buf_u8(b, (uint8_t)ver);
  x7__buf_u32(b, (uint32_t)status);
  x7__buf_add(b, table.ptr, table.len);
  return X7_OK;
}

x7_result x7_net_http_resp_pack_v2(int32_t status,
                                   struct x7_view headers_table,
                                   struct x7_view body,
                                   struct x7_bytes *pout) {
  struct x7__buf b;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(body);
  if (body.len > (size_t)INT32_MAX) return X7_ERANGE;
  x7__buf_init(&b);
  r = pack_head(X7_NET_HTTP_RESP_V2, status, headers_table, 4 + body.len,
                &b);
  if (r != X7_OK) return r;
  x7__buf_u32(&b, (uint32_t)body.len);
  x7__buf_add(&b, body.ptr, body.len);
  return x7__buf_finish(&b, pout);
}

x7_result x7_net_http_resp_pack_v3(int32_t status,
                                   struct x7_view headers_table,
                                   struct x7_view path, int32_t file_len,
                                   struct x7_bytes *pout) {
  struct x7__buf b;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(path);
  if (path.len > (size_t)INT32_MAX) return X7_ERANGE;
  x7__buf_init(&b);
  r = pack_head(X7_NET_HTTP_RESP_TO_FILE_V3, status, headers_table,
                8 + path.len, &b);
  if (r != X7_OK) return r;
  x7__buf_u32(&b, (uint32_t)path.len);
  x7__buf_add(&b, path.ptr, path.len);
  x7__buf_u32(&b, (uint32_t)file_len);
  return x7__buf_finish(&b, pout);
}
