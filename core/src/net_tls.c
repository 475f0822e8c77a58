/* net_tls.c - std.net.tls cfg helpers and accessor (spec §2.5, §3.5). */
#include <x7/net_tls.h>

#include "sock_int.h"

#define CFG_HDR 12 /* ver, verify_peer, sni_len */
#define CFG_MIN 16 /* header + reserved */
#define CONNECT_DOC 8

x7_result x7_net_tls_client_cfg_v1(int32_t verify_peer, struct x7_view sni,
                                   struct x7_bytes *pout) {
  struct x7__buf b;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(sni);
  if (sni.len > X7_NET_TLS_SNI_MAX || (sni.len && memchr(sni.ptr, 0, sni.len)))
    return X7_OK;
  x7__buf_init(&b);
  if (x7__buf_reserve(&b, CFG_MIN + sni.len)) return x7__buf_finish(&b, pout);
  x7__buf_u32(&b, 1);
  x7__buf_u32(&b, verify_peer != 0);
  x7__buf_u32(&b, (uint32_t)sni.len);
  x7__buf_add(&b, sni.ptr, sni.len);
  x7__buf_u32(&b, 0);
  return x7__buf_finish(&b, pout);
}

static int cfg_head_ok(struct x7_view cfg) {
  return cfg.len >= CFG_MIN && x7__rdi32(cfg.ptr) == 1;
}

x7_result x7_net_tls_client_cfg_verify_peer_v1(struct x7_view cfg,
                                               int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(cfg);
  /* Anything unreadable means "verify": failing closed is the default. */
  *pout = !cfg_head_ok(cfg) || x7__rd32(cfg.ptr + 4) != 0;
  return X7_OK;
}

x7_result x7_net_tls_client_cfg_sni_v1(struct x7_view cfg,
                                       struct x7_bytes *pout) {
  int32_t n;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(cfg);
  if (!cfg_head_ok(cfg)) return X7_OK;
  n = x7__rdi32(cfg.ptr + 8);
  if (n < 0 || n > X7_NET_TLS_SNI_MAX || cfg.len != CFG_MIN + (size_t)n)
    return X7_OK;
  return x7__bytes_dup(cfg.ptr + CFG_HDR, (size_t)n, pout);
}

x7_result x7_net_tls_connect_stream_handle_v1(struct x7_view doc,
                                              int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = x7__sock_doc_i32(doc, CONNECT_DOC);
  return X7_OK;
}
