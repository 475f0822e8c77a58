/*
 * fuzz_ws_grpc_form.c - std.net.ws frame docs (spec §2.14), std.net.grpc
 * message framing (§2.15) and std.net.http.form_urlencoded (§3.11).
 *
 * Input: mode u8, a i32, b i32, s (u8 length + bytes), rest; by mode % 3:
 *   0 ws: rest is a frame doc.  The accessors agree with §2.14 (-1 / empty
 *     for an invalid doc) and a valid doc with opcode 0..15 and flags 0/1
 *     is exactly frame_v1(opcode, fin, payload).  frame_v1(a, b, s)
 *     refuses with 8201 / 8202 exactly when §6.1 says so, else builds a
 *     valid doc that reads back (a, b, s).
 *   1 grpc: msg_prefix_v1(a, rest) round-trips through msg_unprefix_v1
 *     (8401 for a flag other than 0/1); msg_unprefix_v1(rest) returns the
 *     §2.15 error in the documented order, and an accepted frame is
 *     exactly msg_prefix_v1(flag, message).
 *   2 form: append_kv_v1(s, k, v) with k = the first a % 64 bytes of rest
 *     and v = the others is s, '&' when s is not empty, then k and v
 *     encoded as §3.11 says, and decoding the new pair gives k and v back.
 */
#include <x7/net_form.h>
#include <x7/net_grpc.h>
#include <x7/net_ws.h>

#include "fuzz_common.h"

/* ---- ws ---- */

static void check_frame_doc(struct x7_view d) {
  struct x7_bytes payload = {0}, re = {0};
  int32_t valid, op, fin, err, n = -1;
  int ref_valid = d.len >= 20 && memcmp(d.ptr, "X7WS", 4) == 0 &&
                  fuzz_rdi32(d.ptr + 4) == 1;
  if (ref_valid) {
    n = fuzz_rdi32(d.ptr + 16);
    ref_valid = n >= 0 && d.len - 20 == (size_t)n;
  }
  FUZZ_OK(x7_net_ws_frame_is_valid_v1(d, &valid));
  FUZZ_OK(x7_net_ws_frame_opcode_v1(d, &op));
  FUZZ_OK(x7_net_ws_frame_fin_v1(d, &fin));
  FUZZ_OK(x7_net_ws_frame_payload_v1(d, &payload));
  FUZZ_CHECK(valid == ref_valid);
  if (!valid) {
    FUZZ_CHECK(op == -1 && fin == -1 && payload.len == 0);
    return;
  }
  FUZZ_CHECK(op == fuzz_rdi32(d.ptr + 8));
  FUZZ_CHECK(fin == (int32_t)(fuzz_rd32(d.ptr + 12) & 1));
  FUZZ_CHECK(fuzz_beq(&payload, fuzz_sub(d, 20, (size_t)n)));
  if (op >= 0 && op <= 15 && fuzz_rd32(d.ptr + 12) <= 1) {
    FUZZ_OK(x7_net_ws_frame_v1(op, fin, x7_bytes_view(&payload), &re, &err));
    FUZZ_CHECK(err == 0 && fuzz_beq(&re, d));
  }
  x7_bytes_free(&payload);
  x7_bytes_free(&re);
}

static void fuzz_ws(int32_t a, int32_t b, struct x7_view s,
                    struct x7_view rest) {
  struct x7_bytes f = {0};
  int32_t err, v;
  check_frame_doc(rest);
  FUZZ_OK(x7_net_ws_frame_v1(a, b, s, &f, &err));
  if (a < 0 || a > 15) {
    FUZZ_CHECK(err == X7_NET_WS_ERR_OPCODE && f.len == 0);
  } else if (b != 0 && b != 1) {
    FUZZ_CHECK(err == X7_NET_WS_ERR_FIN && f.len == 0);
  } else {
    FUZZ_CHECK(err == 0 && f.len == 20 + s.len);
    check_frame_doc(x7_bytes_view(&f));
    FUZZ_OK(x7_net_ws_frame_opcode_v1(x7_bytes_view(&f), &v));
    FUZZ_CHECK(v == a);
    FUZZ_OK(x7_net_ws_frame_fin_v1(x7_bytes_view(&f), &v));
    FUZZ_CHECK(v == b);
  }
  x7_bytes_free(&f);
}

/* ---- grpc ---- */

static uint32_t rd32be(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

static void fuzz_grpc(int32_t a, struct x7_view rest) {
  struct x7_bytes f = {0}, m = {0};
  int32_t err, v, want_err = 0;

  FUZZ_OK(x7_net_grpc_msg_prefix_v1(a, rest, &f, &err));
  if (a != 0 && a != 1) {
    FUZZ_CHECK(err == X7_NET_GRPC_ERR_PREFIX_FLAG && f.len == 0);
  } else {
    FUZZ_CHECK(err == 0 && f.len == 5 + rest.len && f.ptr[0] == a &&
               rd32be(f.ptr + 1) == rest.len);
    FUZZ_OK(x7_net_grpc_msg_unprefix_v1(x7_bytes_view(&f), &m, &err));
    FUZZ_CHECK(err == 0 && fuzz_beq(&m, rest));
    x7_bytes_free(&m);
    FUZZ_OK(x7_net_grpc_msg_compressed_flag_v1(x7_bytes_view(&f), &v));
    FUZZ_CHECK(v == a);
    FUZZ_OK(x7_net_grpc_msg_len_v1(x7_bytes_view(&f), &v));
    FUZZ_CHECK(v == (int32_t)rest.len);
  }
  x7_bytes_free(&f);

  /* rest as a frame. */
  FUZZ_OK(x7_net_grpc_msg_compressed_flag_v1(rest, &v));
  FUZZ_CHECK(v == (rest.len >= 1 && rest.ptr[0] <= 1 ? rest.ptr[0] : -1));
  FUZZ_OK(x7_net_grpc_msg_len_v1(rest, &v));
  FUZZ_CHECK(v == (rest.len >= 5 ? fuzz_as_i32(rd32be(rest.ptr + 1)) : -1));
  if (rest.len < 5)
    want_err = X7_NET_GRPC_ERR_UNPREFIX_SHORT;
  else if (rest.ptr[0] > 1)
    want_err = X7_NET_GRPC_ERR_UNPREFIX_FLAG;
  else if (rd32be(rest.ptr + 1) > INT32_MAX)
    want_err = X7_NET_GRPC_ERR_UNPREFIX_LENGTH;
  else if (rest.len - 5 != rd32be(rest.ptr + 1))
    want_err = X7_NET_GRPC_ERR_UNPREFIX_SIZE;
  FUZZ_OK(x7_net_grpc_msg_unprefix_v1(rest, &m, &err));
  FUZZ_CHECK(err == want_err);
  if (err) {
    FUZZ_CHECK(m.len == 0);
  } else {
    FUZZ_CHECK(fuzz_beq(&m, fuzz_sub(rest, 5, rest.len - 5)));
    FUZZ_OK(x7_net_grpc_msg_prefix_v1(rest.ptr[0], x7_bytes_view(&m), &f,
                                      &err));
    FUZZ_CHECK(err == 0 && fuzz_beq(&f, rest));
    x7_bytes_free(&f);
  }
  x7_bytes_free(&m);
}

/* ---- form ---- */

static int form_literal(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '*' || c == '-' || c == '.' ||
         c == '_';
}

static int hex_val(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1; /* the encoder writes uppercase only */
}

/* Decode one encoded component in [p, p + n) and compare it with want. */
static void check_component(const uint8_t *p, size_t n, struct x7_view want) {
  size_t j = 0;
  for (size_t i = 0; i < n; i++, j++) {
    uint8_t c = p[i];
    FUZZ_CHECK(j < want.len);
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      FUZZ_CHECK(i + 2 < n && hex_val(p[i + 1]) >= 0 && hex_val(p[i + 2]) >= 0);
      c = (uint8_t)(hex_val(p[i + 1]) * 16 + hex_val(p[i + 2]));
      /* A byte with a literal form never comes out escaped. */
      FUZZ_CHECK(c != ' ' && !form_literal(c));
      i += 2;
    } else {
      FUZZ_CHECK(form_literal(c));
    }
    FUZZ_CHECK(want.ptr[j] == c);
  }
  FUZZ_CHECK(j == want.len);
}

static void fuzz_form(struct fuzz_input *in, int32_t a, struct x7_view out,
                      struct x7_view rest) {
  struct x7_bytes r = {0};
  size_t klen = (uint32_t)a % 64u, eq, start;
  struct x7_view k, v;
  if (klen > rest.len) klen = rest.len;
  k = fuzz_own(in, rest.ptr, klen);
  v = fuzz_own(in, rest.ptr + klen, rest.len - klen);
  FUZZ_OK(x7_net_http_form_urlencoded_append_kv_v1(out, k, v, &r));
  start = out.len + (out.len > 0);
  FUZZ_CHECK(r.len >= start + 1);
  FUZZ_CHECK(out.len == 0 || (memcmp(r.ptr, out.ptr, out.len) == 0 &&
                              r.ptr[out.len] == '&'));
  /* Encoded components never contain '=' or '&'. */
  for (eq = start; eq < r.len && r.ptr[eq] != '='; eq++)
    FUZZ_CHECK(r.ptr[eq] != '&');
  FUZZ_CHECK(eq < r.len);
  check_component(r.ptr + start, eq - start, k);
  check_component(r.ptr + eq + 1, r.len - eq - 1, v);
  x7_bytes_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in;
  struct x7_view s, rest;
  uint8_t mode;
  int32_t a, b;

  fuzz_init(&in, data, size);
  mode = fuzz_u8(&in);
  a = fuzz_i32(&in);
  b = fuzz_i32(&in);
  s = fuzz_chunk8(&in);
  rest = fuzz_rest(&in);
  switch (mode % 3) {
  case 0:
    fuzz_ws(a, b, s, rest);
    break;
  case 1:
    fuzz_grpc(a, rest);
    break;
  default:
    fuzz_form(&in, a, s, rest);
    break;
  }
  fuzz_done(&in);
  return 0;
}
