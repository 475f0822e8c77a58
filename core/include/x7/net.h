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

#endif /* X7_NET_H */
