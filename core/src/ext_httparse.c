/* ext_httparse.c - ext.httparse twins: HttpParseDocV1 (spec §2.12, §7.3). */
#include <x7/ext_httparse.h>

#include "core_int.h"

#define NPOS SIZE_MAX

/* Ok-doc layout (§2.12). */
#define OFF_VERSION 4
#define OFF_METHOD 12
#define OFF_TARGET 20
#define OFF_STATUS 28
#define OFF_REASON 32
#define OFF_COUNT 40
#define OFF_ENTRIES 44
#define ENTRY_LEN 16

static int is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

/* First CRLF at or after start, or NPOS. */
static size_t find_crlf(const uint8_t *p, size_t n, size_t start) {
  for (size_t i = start; i + 1 < n; i++)
    if (p[i] == '\r' && p[i + 1] == '\n') return i;
  return NPOS;
}

static size_t find_byte(const uint8_t *p, size_t start, size_t end,
                        uint8_t c) {
  for (size_t i = start; i < end; i++)
    if (p[i] == c) return i;
  return NPOS;
}

static size_t skip_ows(const uint8_t *p, size_t start, size_t end) {
  for (size_t i = start; i < end; i++)
    if (!is_ows(p[i])) return i;
  return end;
}

/* End of [start, end) once trailing SP/HT are dropped. */
static size_t trim_end_ows(const uint8_t *p, size_t start, size_t end) {
  while (end > start && is_ows(p[end - 1])) end--;
  return end;
}

static x7_result err_doc(int32_t code, struct x7_bytes *pout) {
  uint8_t doc[X7_EXT_HTTPARSE_ERR_DOC_LEN] = {0};
  x7__wr32(doc + 1, (uint32_t)code);
  return x7__bytes_dup(doc, sizeof doc, pout);
}

/*
 * The header block starting at pos, shared by both parsers.  Lines are
 * consumed until an empty one; each must end in CRLF (else 1) and hold a
 * colon after at least one name byte (else 3).  Entries are appended to b
 * as they are found, so a message is walked once.  Returns 0 with
 * *pbody_start and *pcount set, or the error code.
 */
static int32_t parse_headers(const uint8_t *p, size_t n, size_t pos,
                             struct x7__buf *b, size_t *pbody_start,
                             uint32_t *pcount) {
  uint32_t count = 0;
  for (;;) {
    size_t le, colon, vs, ve;
    if (pos >= n || n - pos < 2) return X7_EXT_HTTPARSE_ERR_INCOMPLETE;
    if (p[pos] == '\r' && p[pos + 1] == '\n') break;
    le = find_crlf(p, n, pos);
    if (le == NPOS) return X7_EXT_HTTPARSE_ERR_INCOMPLETE;
    colon = find_byte(p, pos, le, ':');
    if (colon == NPOS || colon == pos) return X7_EXT_HTTPARSE_ERR_HEADER;
    vs = skip_ows(p, colon + 1, le);
    ve = trim_end_ows(p, vs, le);
    x7__buf_u32(b, (uint32_t)pos);
    x7__buf_u32(b, (uint32_t)(colon - pos));
    x7__buf_u32(b, (uint32_t)vs);
    x7__buf_u32(b, (uint32_t)(ve - vs));
    count++;
    pos = le + 2;
  }
  *pbody_start = pos + 2;
  *pcount = count;
  return 0;
}

/* Start-line fields of an ok doc, in layout order. */
struct start_line {
  uint32_t version_start, version_len;
  uint32_t method_start, method_len;
  uint32_t target_start, target_len;
  uint32_t status;
  uint32_t reason_start, reason_len;
};

static int32_t request_line(const uint8_t *p, size_t le,
                            struct start_line *sl) {
  size_t method_end, ts, te, vs, ve;
  method_end = find_byte(p, 0, le, ' ');
  if (method_end == NPOS || method_end == 0)
    return X7_EXT_HTTPARSE_ERR_START_LINE;
  ts = skip_ows(p, method_end + 1, le);
  te = find_byte(p, ts, le, ' ');
  if (te == NPOS || te <= ts) return X7_EXT_HTTPARSE_ERR_START_LINE;
  vs = skip_ows(p, te + 1, le);
  if (vs >= le) return X7_EXT_HTTPARSE_ERR_START_LINE;
  ve = trim_end_ows(p, vs, le);
  sl->version_start = (uint32_t)vs;
  sl->version_len = (uint32_t)(ve - vs);
  sl->method_len = (uint32_t)method_end;
  sl->target_start = (uint32_t)ts;
  sl->target_len = (uint32_t)(te - ts);
  return 0;
}

static int32_t status_line(const uint8_t *p, size_t le,
                           struct start_line *sl) {
  size_t version_end, ss, se, rs, re;
  uint32_t status = 0;
  version_end = find_byte(p, 0, le, ' ');
  if (version_end == NPOS || version_end == 0)
    return X7_EXT_HTTPARSE_ERR_START_LINE;
  ss = skip_ows(p, version_end + 1, le);
  if (ss >= le) return X7_EXT_HTTPARSE_ERR_START_LINE;
  se = find_byte(p, ss, le, ' ');
  if (se == NPOS) se = le;
  if (se <= ss) return X7_EXT_HTTPARSE_ERR_STATUS;
  for (size_t i = ss; i < se; i++) {
    if (p[i] < '0' || p[i] > '9') return X7_EXT_HTTPARSE_ERR_STATUS;
    /* Upstream's unchecked i32 arithmetic, made defined: mod 2^32. */
    status = status * 10u + (uint32_t)(p[i] - '0');
  }
  rs = se < le ? skip_ows(p, se + 1, le) : se;
  re = trim_end_ows(p, rs, le);
  sl->version_len = (uint32_t)version_end;
  sl->status = status;
  sl->reason_start = (uint32_t)rs;
  sl->reason_len = (uint32_t)(re - rs);
  return 0;
}

static x7_result parse(struct x7_view msg, int kind, struct x7_bytes *pout) {
  struct start_line sl = {0};
  struct x7__buf b;
  size_t le, body_start = 0;
  uint32_t count = 0;
  int32_t code;

  X7__OUT_BYTES(pout);
  X7__IN_VIEW(msg);
  if (msg.len > INT32_MAX) return X7_ERANGE;

  le = find_crlf(msg.ptr, msg.len, 0);
  if (le == NPOS) return err_doc(X7_EXT_HTTPARSE_ERR_INCOMPLETE, pout);
  code = kind == X7_EXT_HTTPARSE_KIND_REQUEST ? request_line(msg.ptr, le, &sl)
                                              : status_line(msg.ptr, le, &sl);
  if (code) return err_doc(code, pout);

  x7__buf_init(&b);
  x7__buf_u8(&b, 1);
  x7__buf_u8(&b, (uint8_t)kind);
  x7__buf_u8(&b, 0);
  x7__buf_u8(&b, 0);
  x7__buf_u32(&b, sl.version_start);
  x7__buf_u32(&b, sl.version_len);
  x7__buf_u32(&b, sl.method_start);
  x7__buf_u32(&b, sl.method_len);
  x7__buf_u32(&b, sl.target_start);
  x7__buf_u32(&b, sl.target_len);
  x7__buf_u32(&b, sl.status);
  x7__buf_u32(&b, sl.reason_start);
  x7__buf_u32(&b, sl.reason_len);
  x7__buf_u32(&b, 0); /* header_count, patched below */
  code = parse_headers(msg.ptr, msg.len, le + 2, &b, &body_start, &count);
  if (code) {
    x7__buf_cleanup(&b);
    return err_doc(code, pout);
  }
  x7__buf_put32_at(&b, OFF_COUNT, count);
  x7__buf_u32(&b, (uint32_t)body_start);
  x7__buf_u32(&b, (uint32_t)(msg.len - body_start));
  return x7__buf_finish(&b, pout);
}

x7_result x7_ext_httparse_parse_request(struct x7_view msg,
                                        struct x7_bytes *pout) {
  return parse(msg, X7_EXT_HTTPARSE_KIND_REQUEST, pout);
}

x7_result x7_ext_httparse_parse_response(struct x7_view msg,
                                         struct x7_bytes *pout) {
  return parse(msg, X7_EXT_HTTPARSE_KIND_RESPONSE, pout);
}

/* ---- accessors ---- */

/*
 * u32 at off read as i32, or 0 when the four bytes are not all inside the
 * doc.  off comes from upstream's i32 offset arithmetic done modulo 2^32,
 * so a wrapped offset lands where upstream's would; one that would make
 * upstream read past the doc gives 0 here instead.
 */
static int32_t field_or_0(struct x7_view doc, uint32_t off) {
  if (off > doc.len || doc.len - off < 4) return 0;
  return x7__rdi32(doc.ptr + off);
}

static int32_t doc_kind(struct x7_view doc) {
  if (doc.len < 2 || doc.ptr[0] != 1) return 0;
  return doc.ptr[1];
}

static int32_t doc_count(struct x7_view doc) {
  return doc_kind(doc) ? field_or_0(doc, OFF_COUNT) : 0;
}

static int32_t entry_field(struct x7_view doc, int32_t idx, uint32_t field) {
  if (idx < 0 || idx >= doc_count(doc)) return 0;
  return field_or_0(doc, OFF_ENTRIES + (uint32_t)idx * ENTRY_LEN + field * 4);
}

static int slice_ok(struct x7_view msg, int32_t start, int32_t len) {
  return start >= 0 && len >= 0 && (size_t)start <= msg.len &&
         (size_t)len <= msg.len - (size_t)start;
}

/* msg[start, start+len) when that lies inside msg, else empty. */
static x7_result slice_out(struct x7_view msg, int32_t start, int32_t len,
                           struct x7_bytes *pout) {
  if (len == 0 || !slice_ok(msg, start, len)) return X7_OK;
  return x7__bytes_dup(msg.ptr + start, (size_t)len, pout);
}

x7_result x7_ext_httparse_is_err(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = doc.len < 1 || doc.ptr[0] == 0;
  return X7_OK;
}

x7_result x7_ext_httparse_err_code(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  if (doc.len >= 5 && doc.ptr[0] == 0) *pout = x7__rdi32(doc.ptr + 1);
  return X7_OK;
}

x7_result x7_ext_httparse_kind(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = doc_kind(doc);
  return X7_OK;
}

x7_result x7_ext_httparse_status_code(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  if (doc_kind(doc) == X7_EXT_HTTPARSE_KIND_RESPONSE)
    *pout = field_or_0(doc, OFF_STATUS);
  return X7_OK;
}

x7_result x7_ext_httparse_header_count(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = doc_count(doc);
  return X7_OK;
}

/* A (start, len) pair at off of a doc of the wanted kind (0 = any). */
static x7_result pair_slice(struct x7_view doc, struct x7_view msg,
                            int32_t want_kind, uint32_t off,
                            struct x7_bytes *pout) {
  int32_t kind;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  X7__IN_VIEW(msg);
  kind = doc_kind(doc);
  if (kind == 0 || (want_kind && kind != want_kind)) return X7_OK;
  return slice_out(msg, field_or_0(doc, off), field_or_0(doc, off + 4), pout);
}

x7_result x7_ext_httparse_version(struct x7_view doc, struct x7_view msg,
                                  struct x7_bytes *pout) {
  return pair_slice(doc, msg, 0, OFF_VERSION, pout);
}

x7_result x7_ext_httparse_method(struct x7_view doc, struct x7_view msg,
                                 struct x7_bytes *pout) {
  return pair_slice(doc, msg, X7_EXT_HTTPARSE_KIND_REQUEST, OFF_METHOD, pout);
}

x7_result x7_ext_httparse_target(struct x7_view doc, struct x7_view msg,
                                 struct x7_bytes *pout) {
  return pair_slice(doc, msg, X7_EXT_HTTPARSE_KIND_REQUEST, OFF_TARGET, pout);
}

x7_result x7_ext_httparse_reason(struct x7_view doc, struct x7_view msg,
                                 struct x7_bytes *pout) {
  return pair_slice(doc, msg, X7_EXT_HTTPARSE_KIND_RESPONSE, OFF_REASON, pout);
}

x7_result x7_ext_httparse_body(struct x7_view doc, struct x7_view msg,
                               struct x7_bytes *pout) {
  /* Upstream computes 44 + count * 16 in i32; a corrupted count wraps. */
  uint32_t base = OFF_ENTRIES + (uint32_t)doc_count(doc) * ENTRY_LEN;
  return pair_slice(doc, msg, 0, base, pout);
}

static x7_result entry_slice(struct x7_view doc, struct x7_view msg,
                             int32_t idx, uint32_t field,
                             struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  X7__IN_VIEW(msg);
  if (!doc_kind(doc)) return X7_OK;
  return slice_out(msg, entry_field(doc, idx, field),
                   entry_field(doc, idx, field + 1), pout);
}

x7_result x7_ext_httparse_header_name(struct x7_view doc, struct x7_view msg,
                                      int32_t idx, struct x7_bytes *pout) {
  return entry_slice(doc, msg, idx, 0, pout);
}

x7_result x7_ext_httparse_header_value(struct x7_view doc, struct x7_view msg,
                                       int32_t idx, struct x7_bytes *pout) {
  return entry_slice(doc, msg, idx, 2, pout);
}

/*
 * Entries past the end of the doc read as all-zero fields: such an entry
 * matches only an empty name and then yields an empty value, which is
 * also the result when nothing matches.  So the walk can stop at the end
 * of the doc instead of looping over a corrupted count of up to 2^31.
 * (With count >= 2^28 upstream's offsets wrap and revisit the same
 * entries, which cannot change the first match either.)
 */
x7_result x7_ext_httparse_header_get(struct x7_view doc, struct x7_view msg,
                                     struct x7_view name,
                                     struct x7_bytes *pout) {
  int32_t count;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  X7__IN_VIEW(msg);
  X7__IN_VIEW(name);
  if (!doc_kind(doc)) return X7_OK;
  count = doc_count(doc);
  for (int32_t i = 0; i < count && i < (1 << 28); i++) {
    int32_t ns, nl;
    if (OFF_ENTRIES + (size_t)i * ENTRY_LEN >= doc.len) break;
    ns = entry_field(doc, i, 0);
    nl = entry_field(doc, i, 1);
    if (nl < 0 || (size_t)nl != name.len || !slice_ok(msg, ns, nl)) continue;
    if (nl && !x7__ascii_casecmp_eq(msg.ptr + ns, name.ptr, name.len))
      continue;
    return slice_out(msg, entry_field(doc, i, 2), entry_field(doc, i, 3),
                     pout);
  }
  return X7_OK;
}
