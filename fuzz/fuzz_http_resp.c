/*
 * fuzz_http_resp.c - the HTTP response docs (spec §2.10): every resp_*
 * accessor of std.net.http (and its std.net.http.client twins, which must
 * agree) on arbitrary bytes, and the x7 packers.
 *
 * Input: mode u8, status i32, name (u8 length + bytes), doc (rest).
 *
 * Every accessor is compared with an independent reading of §2.10.  When
 * resp_ver is 2 or 3 and the parts are readable, pack_v2 / pack_v3 from
 * them must re-read equal through every accessor, and must reproduce the
 * doc byte for byte when the doc ends exactly after its last field.  mode
 * bit 0 also packs a doc from the fuzzed status, the name bytes as a
 * headers table (X7_EINVAL unless well-formed) and the doc bytes as the
 * body (bit 1: as the path of a ver 3 doc).
 */
#include <x7/net_http.h>
#include <x7/net_http_client.h>

#include "fuzz_common.h"

/* Everything the accessors say about one doc. */
struct resp {
  int32_t is_err, err_code, ver, status, count, file_len;
  struct x7_bytes header, body, path;
};

static void read_resp(struct x7_view d, struct x7_view name, struct resp *r) {
  FUZZ_OK(x7_net_http_resp_is_err_v1(d, &r->is_err));
  FUZZ_OK(x7_net_http_resp_err_code_v1(d, &r->err_code));
  FUZZ_OK(x7_net_http_resp_ver_v1(d, &r->ver));
  FUZZ_OK(x7_net_http_resp_status_v1(d, &r->status));
  FUZZ_OK(x7_net_http_resp_header_count_v1(d, &r->count));
  FUZZ_OK(x7_net_http_resp_file_len_v1(d, &r->file_len));
  FUZZ_OK(x7_net_http_resp_header_get_v1(d, name, &r->header));
  FUZZ_OK(x7_net_http_resp_body_v1(d, &r->body));
  FUZZ_OK(x7_net_http_resp_file_path_v1(d, &r->path));
}

/* std.net.http.client exports the same accessors under its own name. */
static void read_resp_client(struct x7_view d, struct x7_view name,
                             struct resp *r) {
  FUZZ_OK(x7_net_http_client_resp_is_err_v1(d, &r->is_err));
  FUZZ_OK(x7_net_http_client_resp_err_code_v1(d, &r->err_code));
  FUZZ_OK(x7_net_http_client_resp_ver_v1(d, &r->ver));
  FUZZ_OK(x7_net_http_client_resp_status_v1(d, &r->status));
  FUZZ_OK(x7_net_http_client_resp_header_count_v1(d, &r->count));
  FUZZ_OK(x7_net_http_client_resp_file_len_v1(d, &r->file_len));
  FUZZ_OK(x7_net_http_client_resp_header_get_v1(d, name, &r->header));
  FUZZ_OK(x7_net_http_client_resp_body_v1(d, &r->body));
  FUZZ_OK(x7_net_http_client_resp_file_path_v1(d, &r->path));
}

static void free_resp(struct resp *r) {
  x7_bytes_free(&r->header);
  x7_bytes_free(&r->body);
  x7_bytes_free(&r->path);
}

static int resp_eq(const struct resp *a, const struct resp *b) {
  return a->is_err == b->is_err && a->err_code == b->err_code &&
         a->ver == b->ver && a->status == b->status && a->count == b->count &&
         a->file_len == b->file_len &&
         fuzz_beq(&a->header, x7_bytes_view(&b->header)) &&
         fuzz_beq(&a->body, x7_bytes_view(&b->body)) &&
         fuzz_beq(&a->path, x7_bytes_view(&b->path));
}

static int ok_doc(struct x7_view d, size_t min_len) {
  return d.len >= min_len && d.ptr[0] == 1;
}

/* First header named `name` (ASCII case-insensitive), walking entries one
 * at a time so a match before a malformed entry still counts. */
static struct x7_view ref_header(struct x7_view d, struct x7_view name) {
  struct x7_view n, v, none = {0};
  size_t pos = 10;
  int32_t count;
  if (!ok_doc(d, 10) || (d.ptr[1] != 2 && d.ptr[1] != 3)) return none;
  count = fuzz_rdi32(d.ptr + 6);
  for (int32_t i = 0; i < count; i++) {
    if (fuzz_field(d, &pos, &n) || fuzz_field(d, &pos, &v)) return none;
    if (fuzz_eq_ci(n, name)) return v;
  }
  return none;
}

/* Offset after the header entries of a doc of version ver, or -1. */
static int ref_tail(struct x7_view d, int ver, size_t *ppos) {
  struct x7_view n, v;
  int32_t count;
  if (!ok_doc(d, 14) || d.ptr[1] != ver) return -1;
  count = fuzz_rdi32(d.ptr + 6);
  if (count < 0) return -1;
  *ppos = 10;
  for (int32_t i = 0; i < count; i++)
    if (fuzz_field(d, ppos, &n) || fuzz_field(d, ppos, &v)) return -1;
  return 0;
}

static void check_against_spec(struct x7_view d, struct x7_view name,
                               const struct resp *r) {
  struct x7_view f;
  size_t pos;
  FUZZ_CHECK(r->is_err == (d.len < 1 || d.ptr[0] == 0));
  FUZZ_CHECK(r->err_code ==
             (d.len >= 5 && d.ptr[0] == 0 ? fuzz_rdi32(d.ptr + 1) : 0));
  FUZZ_CHECK(r->ver == (ok_doc(d, 2) ? d.ptr[1] : 0));
  FUZZ_CHECK(r->status == (ok_doc(d, 6) ? fuzz_rdi32(d.ptr + 2) : 0));
  FUZZ_CHECK(r->count == (ok_doc(d, 10) ? fuzz_rdi32(d.ptr + 6) : 0));
  FUZZ_CHECK(fuzz_beq(&r->header, ref_header(d, name)));
  if (ref_tail(d, 2, &pos) == 0 && fuzz_field(d, &pos, &f) == 0)
    FUZZ_CHECK(fuzz_beq(&r->body, f));
  else
    FUZZ_CHECK(r->body.len == 0);
  if (ref_tail(d, 3, &pos) == 0 && fuzz_field(d, &pos, &f) == 0) {
    FUZZ_CHECK(fuzz_beq(&r->path, f));
    FUZZ_CHECK(r->file_len ==
               (d.len - pos >= 4 ? fuzz_rdi32(d.ptr + pos) : 0));
  } else {
    FUZZ_CHECK(r->path.len == 0 && r->file_len == 0);
  }
}

/* The table of a doc's header region: count, then the entry bytes. */
static struct x7_view table_of(struct fuzz_input *in, struct x7_view d,
                               size_t end) {
  uint8_t *t = malloc(4 + (end - 10));
  struct x7_view v;
  FUZZ_CHECK(t != NULL);
  memcpy(t, d.ptr + 6, 4);
  memcpy(t + 4, d.ptr + 10, end - 10);
  v = fuzz_own(in, t, 4 + (end - 10));
  free(t);
  return v;
}

/* pack_v2 / pack_v3 from the parts of a readable doc. */
static void repack(struct fuzz_input *in, struct x7_view d,
                   struct x7_view name, const struct resp *r) {
  struct x7_bytes re = {0};
  struct resp r2 = {0};
  struct x7_view table, f;
  size_t pos, end;
  int ver = r->ver;
  if ((ver != 2 && ver != 3) || ref_tail(d, ver, &end)) return;
  pos = end;
  if (fuzz_field(d, &pos, &f)) return;
  table = table_of(in, d, end);
  if (ver == 2) {
    FUZZ_OK(x7_net_http_resp_pack_v2(r->status, table, f, &re));
  } else {
    if (d.len - pos < 4) return;
    FUZZ_OK(x7_net_http_resp_pack_v3(r->status, table, f, r->file_len, &re));
    pos += 4;
  }
  if (pos == d.len) FUZZ_CHECK(fuzz_beq(&re, d));
  read_resp(x7_bytes_view(&re), name, &r2);
  check_against_spec(x7_bytes_view(&re), name, &r2);
  FUZZ_CHECK(resp_eq(&r2, r));
  free_resp(&r2);
  x7_bytes_free(&re);
}

/* 1 when t is a headers table that ends exactly after its entries. */
static int table_exact(struct x7_view t) {
  struct x7_view n, v;
  size_t pos = 4;
  int32_t count;
  if (t.len < 4) return 0;
  count = fuzz_rdi32(t.ptr);
  if (count < 0) return 0;
  for (int32_t i = 0; i < count; i++)
    if (fuzz_field(t, &pos, &n) || fuzz_field(t, &pos, &v)) return 0;
  return pos == t.len;
}

static void pack_fuzzed(int32_t status, struct x7_view table,
                        struct x7_view tail, int to_file,
                        struct x7_view name) {
  struct x7_bytes re = {0};
  struct resp r = {0};
  x7_result rc;
  int32_t want_count = table.len >= 4 ? fuzz_rdi32(table.ptr) : 0;
  if (to_file)
    rc = x7_net_http_resp_pack_v3(status, table, tail, status, &re);
  else
    rc = x7_net_http_resp_pack_v2(status, table, tail, &re);
  FUZZ_CHECK(rc == (table.len == 0 || table_exact(table) ? X7_OK
                                                          : X7_EINVAL));
  if (rc) {
    FUZZ_CHECK(re.len == 0);
    return;
  }
  read_resp(x7_bytes_view(&re), name, &r);
  check_against_spec(x7_bytes_view(&re), name, &r);
  FUZZ_CHECK(r.is_err == 0 && r.ver == (to_file ? 3 : 2));
  FUZZ_CHECK(r.status == status && r.count == want_count);
  FUZZ_CHECK(fuzz_beq(to_file ? &r.path : &r.body, tail));
  if (to_file) FUZZ_CHECK(r.file_len == status);
  free_resp(&r);
  x7_bytes_free(&re);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in;
  struct resp r = {0}, rc = {0};
  struct x7_view name, doc;
  uint8_t mode;
  int32_t status;

  fuzz_init(&in, data, size);
  mode = fuzz_u8(&in);
  status = fuzz_i32(&in);
  name = fuzz_chunk8(&in);
  doc = fuzz_rest(&in);

  read_resp(doc, name, &r);
  check_against_spec(doc, name, &r);
  read_resp_client(doc, name, &rc);
  FUZZ_CHECK(resp_eq(&rc, &r));
  repack(&in, doc, name, &r);
  free_resp(&r);
  free_resp(&rc);

  /* Each of the first headers is found by its own name (or an earlier
   * entry with the same name). */
  if (ok_doc(doc, 10) && (doc.ptr[1] == 2 || doc.ptr[1] == 3)) {
    struct x7_view n, v;
    size_t pos = 10;
    for (int32_t i = 0; i < fuzz_rdi32(doc.ptr + 6) && i < 8; i++) {
      struct x7_bytes got = {0};
      if (fuzz_field(doc, &pos, &n) || fuzz_field(doc, &pos, &v)) break;
      FUZZ_OK(x7_net_http_resp_header_get_v1(doc, n, &got));
      FUZZ_CHECK(fuzz_beq(&got, ref_header(doc, n)));
      x7_bytes_free(&got);
    }
  }

  if (mode & 1) pack_fuzzed(status, name, doc, mode & 2, name);
  fuzz_done(&in);
  return 0;
}
