/* net_tcp.c - std.net.tcp doc accessors and constants (spec §2.4, §3.4). */
#include <x7/net_tcp.h>

#include "sock_int.h"

#define SHORT_DOC 8 /* header + one u32 */
#define ADDR_DOC 12 /* header + handle + addr_len */
#define ADDR_LEN_OFF 8
#define PAYLOAD_LEN_OFF 4

#define TCP_CONST(fn, value)    \
  x7_result fn(int32_t *pout) { \
    X7__OUT_I32(pout);          \
    *pout = (value);            \
    return X7_OK;               \
  }
TCP_CONST(x7_net_tcp_wait_readable_v1, X7_NET_TCP_WAIT_READABLE)
TCP_CONST(x7_net_tcp_wait_writable_v1, X7_NET_TCP_WAIT_WRITABLE)
TCP_CONST(x7_net_tcp_wait_hangup_v1, X7_NET_TCP_WAIT_HANGUP)
TCP_CONST(x7_net_tcp_shutdown_read_v1, X7_NET_TCP_SHUTDOWN_READ)
TCP_CONST(x7_net_tcp_shutdown_write_v1, X7_NET_TCP_SHUTDOWN_WRITE)
TCP_CONST(x7_net_tcp_shutdown_both_v1, X7_NET_TCP_SHUTDOWN_BOTH)

#define TCP_I32(fn, min_len)                        \
  x7_result fn(struct x7_view doc, int32_t *pout) { \
    X7__OUT_I32(pout);                              \
    X7__IN_VIEW(doc);                               \
    *pout = x7__sock_doc_i32(doc, (min_len));       \
    return X7_OK;                                   \
  }
TCP_I32(x7_net_tcp_connect_stream_handle_v1, SHORT_DOC)
TCP_I32(x7_net_tcp_listen_listener_handle_v1, ADDR_DOC)
TCP_I32(x7_net_tcp_accept_stream_handle_v1, ADDR_DOC)
TCP_I32(x7_net_tcp_stream_write_bytes_written_v1, SHORT_DOC)
TCP_I32(x7_net_tcp_stream_wait_events_v1, SHORT_DOC)

#define TCP_TAIL(fn, len_off)                               \
  x7_result fn(struct x7_view doc, struct x7_bytes *pout) { \
    X7__OUT_BYTES(pout);                                    \
    X7__IN_VIEW(doc);                                       \
    return x7__sock_doc_tail(doc, (len_off), pout);         \
  }
TCP_TAIL(x7_net_tcp_listen_bound_addr_v1, ADDR_LEN_OFF)
TCP_TAIL(x7_net_tcp_accept_peer_addr_v1, ADDR_LEN_OFF)
TCP_TAIL(x7_net_tcp_stream_read_payload_v1, PAYLOAD_LEN_OFF)
