/*
 * net.h - umbrella header for the std.net C twins.
 *
 * Convention (DESIGN §2.1): std.net.<mod>.<fn>_v1 is
 * x7_net_<mod>_<fn>_v1(args..., pout).  Borrowed inputs are struct
 * x7_view, owned outputs struct x7_bytes (free with x7_bytes_free).  The
 * return value is a library status (x7_result.h); the network-level
 * outcome (error doc, empty bytes, 0, -1) is in *pout, byte for byte what
 * upstream X07 returns.
 */
#ifndef X7_NET_H
#define X7_NET_H

#include <x7/x7_bytes.h>
#include <x7/x7_mem.h>
#include <x7/x7_result.h>
#include <x7/x7_version.h>

#include <x7/net_codec.h>
#include <x7/net_err.h>
#include <x7/net_dns.h>
#include <x7/net_tcp.h>
#include <x7/net_udp.h>
#include <x7/net_tls.h>
#include <x7/net_ws.h>
#include <x7/net_grpc.h>
#include <x7/net_form.h>
#include <x7/net_http_spec.h>
#include <x7/net_http.h>
#include <x7/net_http_client.h>
#include <x7/x7_backend.h>
#include <x7/ext_curl_http.h>
#include <x7/ext_httparse.h>
#include <x7/ext_http_types.h>
#include <x7/ext_url.h>
#include <x7/net_http_server.h>
#include <x7/net_io.h>
#include <x7/x7_policy.h>
#include <x7/x7_cassette.h>

#endif /* X7_NET_H */
