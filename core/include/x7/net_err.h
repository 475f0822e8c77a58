/*
 * net_err.h - std.net.err: the 9-byte NetErrDocV1 and its codes.
 *
 * NetErrDocV1 = tag u8 0, code u32 LE, reserved u32 0 (spec §2.1).
 *
 * All functions: X7_OK on success; X7_EINVAL when an out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when an output buffer
 * cannot be allocated.  On any failure a bytes output is left empty.
 * Bytes outputs are owned by the caller (x7_bytes_free).
 */
#ifndef X7_NET_ERR_H
#define X7_NET_ERR_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

enum x7_net_err_code {
  X7_NET_ERR_POLICY_DENIED = 1,
  X7_NET_ERR_INVALID_REQ = 2,
  X7_NET_ERR_TIMEOUT = 3,
  X7_NET_ERR_TOO_LARGE = 4,
  X7_NET_ERR_DNS = 5,
  X7_NET_ERR_CONNECT = 6,
  X7_NET_ERR_TLS = 7,
  X7_NET_ERR_INTERNAL = 8
};

#define X7_NET_ERR_DOC_LEN 9

X7_API x7_result x7_net_err_code_policy_denied_v1(int32_t *pout);
X7_API x7_result x7_net_err_code_invalid_req_v1(int32_t *pout);
X7_API x7_result x7_net_err_code_timeout_v1(int32_t *pout);
X7_API x7_result x7_net_err_code_too_large_v1(int32_t *pout);
X7_API x7_result x7_net_err_code_dns_v1(int32_t *pout);
X7_API x7_result x7_net_err_code_connect_v1(int32_t *pout);
X7_API x7_result x7_net_err_code_tls_v1(int32_t *pout);
X7_API x7_result x7_net_err_code_internal_v1(int32_t *pout);

/* The 9-byte error doc for `code`, stored as given (any i32, like
 * upstream; negative values are stored as their u32 bit pattern). */
X7_API x7_result x7_net_err_make_doc_v1(int32_t code, struct x7_bytes *pout);

/* 1 iff doc is at least 1 byte long and byte 0 is 0 (empty -> 0). */
X7_API x7_result x7_net_err_is_err_doc_v1(struct x7_view doc, int32_t *pout);

/* The code of an error doc (len >= 5, byte 0 == 0), else 0. */
X7_API x7_result x7_net_err_err_code_v1(struct x7_view doc, int32_t *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_ERR_H */
