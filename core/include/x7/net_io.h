/*
 * net_io.h - std.net.io: write_all_v1 (spec §3.7).
 *
 * write_all_v1(h, data, caps) loops std.net.tcp.stream_write_v1 over the
 * part of data not yet written until all of it is, and answers the
 * StreamWriteDocV1 01 01 00 00 total:u32.  Exactly upstream's loop:
 *   - empty data -> ok(0) at once, without looking at the handle (S8);
 *   - an error doc from stream_write_v1 is returned unchanged (so a bad
 *     handle is INVALID_REQ(2), a peer reset CONNECT(6) ...);
 *   - an ok write of 0 bytes -> CONNECT(6);
 *   - every call is handed the WHOLE remainder, so data longer than the
 *     caps' max_write_bytes (default 1 MiB) fails with TOO_LARGE(4) on the
 *     first call instead of being cut into chunks (spec §9.10: kept on
 *     purpose for byte compatibility; chunk it yourself to send more).
 * A backend that claims to have written more than it was given gets
 * INTERNAL(8).
 *
 * Results: X7_OK (the doc, ok or error, is in *pout, caller frees with
 * x7_bytes_free); X7_EINVAL (NULL pout, a view with ptr NULL and len > 0);
 * X7_ENOMEM; or the backend failures of x7_net_tcp_stream_write_v1
 * (X7_ENOTFOUND / X7_ENOTBUILT / a global_init error when no backend can
 * be selected, X7_ENOTSUPPORTED).  On failure *pout is empty.
 */
#ifndef X7_NET_IO_H
#define X7_NET_IO_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

X7_API x7_result x7_net_io_write_all_v1(int32_t handle, struct x7_view data,
                                        struct x7_view caps,
                                        struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_IO_H */
