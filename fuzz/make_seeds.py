#!/usr/bin/env python3
"""make_seeds.py - (re)write the hand-made seeds of fuzz/corpus/<target>/.

The seeds are the conformance vectors of spec/net-abi-v1.md §8 plus edge
cases, wrapped in the selector bytes each target reads first (see the top
comment of fuzz/fuzz_<target>.c).  Files are named after what they hold.
Only the files listed here are written; anything else in a corpus
directory (regress-* crashers, minimised inputs named by SHA-256) is left
alone.

    python3 fuzz/make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack("<B", v & 0xFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def chunk8(b):
    assert len(b) < 256
    return u8(len(b)) + b


def chunk16(b):
    assert len(b) < 65536
    return struct.pack("<H", len(b)) + b


def field(b):
    return u32(len(b)) + b


def table(entries):
    return u32(len(entries)) + b"".join(field(k) + field(v) for k, v in entries)


def h(s):
    return bytes.fromhex(s)


SEEDS = {}


def seed(target, name, data):
    SEEDS.setdefault(target, {})[name] = data


# ---- fuzz_net_docs: mode u8, arg i32, fallback chunk8, doc ----
def net_doc(name, doc, mode=0, arg=0, fallback=b""):
    seed("net_docs", name, u8(mode) + u32(arg) + chunk8(fallback) + doc)


net_doc("v01-err-doc-timeout", h("000300000000000000"))
net_doc("v02-err-doc-policy-denied", h("000100000000000000"))
net_doc("v03-caps-default", h("010000003075000030750000000010000000100000000000"))
net_doc("v04-caps-60000-65536", h("0100000060ea000060ea0000000001000000010000000000"))
net_doc("v05-caps-poll-from-default", h("010000000100000001000000000010000000100000000000"))
net_doc("v06-addr-ipv4-127.0.0.1-30000", h("0100000001000000307500007f000001"))
net_doc("v07-addr-ipv6-loopback-443", h("0100000002000000bb01000000000000000000000000000000000001"))
net_doc("v08-addr-dns-localhost-80", h("010000000300000050000000090000006c6f63616c686f7374"))
net_doc("v24-tls-cfg-noverify-nosni", h("01000000000000000000000000000000"))
net_doc("v25-tls-cfg-verify-example.com", h("01000000010000000b0000006578616d706c652e636f6d00000000"))
net_doc("s01-dns-localhost-127.0.0.1", h("0101000001000000100000000100000001000000500000007f000001"))
net_doc("s02-dns-ipv6-and-ipv4", h("01010000020000001c00000001000000020000005000000000000000000000000000000000000001100000000100000001000000500000007f000001"), arg=1)
net_doc("s03-tcp-listen-handle-1", h("0101000001000000100000000100000001000000307500007f000001"))
net_doc("s04-tcp-connect-handle-2", h("0101000002000000"))
net_doc("s05-stream-read-ping", h("010100000400000070696e67"))
net_doc("s06-stream-read-eof", h("0101000000000000"))
net_doc("s09-stream-wait-writable", h("0101000002000000"))
net_doc("s10-udp-recv-hello-udp", h("01010000100000000100000001000000317500007f0000010900000068656c6c6f2d756470"))
net_doc("e05-caps-connect-timeout-600001", h("01000000c127090030750000000010000000100000000000"))
net_doc("e05-caps-25-bytes", h("01000000307500003075000000001000000010000000000000"))
net_doc("edge-caps-ver-2", h("020000003075000030750000000010000000100000000000"))
net_doc("edge-caps-negative-fields", h("01000000ffffffff00000080ffffffff0000008000000000"))
net_doc("edge-addr-dns-with-nul", h("0100000003000000500000000300000061006200"))
net_doc("edge-addr-port-65536", h("0100000001000000000001007f000001"))
net_doc("edge-dns-negative-count", h("01010000ffffffff"))
net_doc("edge-dns-count-past-entries", h("0101000005000000100000000100000001000000500000007f000001"), arg=4)
net_doc("edge-tls-cfg-empty-with-fallback", b"", fallback=b"localhost")
net_doc("edge-tls-cfg-verify-no-sni-ip", h("01000000010000000000000000000000"))
net_doc("edge-tls-cfg-reserved-nonzero", h("01000000000000000000000001000000"))
net_doc("build-addr-octets-127.0.0.1-80", b"\x7f\x00\x00\x01" + chunk8(b"\x00" * 15 + b"\x01") + b"localhost", mode=1, arg=80)
net_doc("build-addr-raw-i32-octets-256", u32(256) + u32(0) + u32(0) + u32(1) + chunk8(b"") + b"a\x00b", mode=5, arg=80)
net_doc("build-caps-60000-65536", u32(60000) + u32(60000) + u32(65536) + u32(65536), mode=2)
net_doc("build-caps-negative", u32(-1) + u32(0) + u32(-5) + u32(7), mode=2)
net_doc("build-tls-verify-example.com", b"example.com", mode=3, arg=1)
net_doc("build-tls-verify-empty-sni", b"", mode=3, arg=1)

# ---- fuzz_http_headers: mode u8, k chunk8, v chunk8, table ----
V11 = h("0200000006000000582d54657374010000006206000000782d746573740100000061")
V14 = h("03000000010000004101000000310100000042010000003201000000610100000033")
V17_IN = table([(b"B", b"2"), (b"a", b"z"), (b"A", b"y"), (b"a", b"y")])


def hdr(name, t, k=b"", v=b"", mode=0):
    seed("http_headers", name, u8(mode) + chunk8(k) + chunk8(v) + t)


hdr("v11-v12-v13-x-test-set-c", V11, b"X-Test", b"c")
hdr("v14-v15-v16-set-A-9", V14, b"A", b"9")
hdr("v17-canon-merge-three", V17_IN, b"b", b"3")
hdr("v11-push-duplicate-x-test", V11, b"x-TEST", b"z", mode=1)
hdr("edge-empty-table", h("00000000"), b"Host", b"example.com")
hdr("edge-short-table", h("0100"), b"k", b"v")
hdr("edge-negative-count", h("ffffffff"), b"K", b"v")
hdr("edge-count-past-entries", table([(b"a", b"1")])[:-1], b"a", b"2")
hdr("edge-trailing-bytes", table([(b"b", b"1"), (b"A", b"2")]) + b"xyz", b"B", b"")
hdr("edge-prefix-names", table([(b"ab", b"1"), (b"a", b"2"), (b"", b"3"), (b"AB", b"0")]), b"", b"e")

# ---- fuzz_http_req: mode u8, then doc or builder arguments ----
V10 = h("01000000000000001e00000000000000001000004000000000000100")
V18 = h("010000000100000013000000687474703a2f2f6578616d706c652e636f6d2f0400000000000000000000001c00000001000000000000001e00000000000000001000004000000000000100")
V19 = h("01000000020000000b00000068747470733a2f2f682f7822000000010000000c000000636f6e74656e742d747970650a000000746578742f706c61696e0200000068691c00000001000000000000001e00000000000000001000004000000000000100")


def req(name, data, mode=0):
    seed("http_req", name, u8(mode) + data)


def req_doc(ver, method, url, headers, body, caps):
    return u32(ver) + u32(method) + field(url) + field(headers) + field(body) + field(caps)


req("v18-get-example.com", V18)
req("v19-post-content-type", V19)
req("e04-four-bytes", h("01000000"))
req("e04-ver-2", h("02") + V18[1:])
req("e04-trailing-byte", V18 + b"\x00")
req("e04-get-with-body", req_doc(1, 1, b"http://h/", h("00000000"), b"x", V10))
req("edge-method-head-no-body", req_doc(1, 3, b"http://h/", h("00000000"), b"", V10))
req("edge-method-8", req_doc(1, 8, b"http://h/", h("00000000"), b"", V10))
req("edge-url-with-nul", req_doc(1, 1, b"http://h/\x00x", h("00000000"), b"", V10))
req("edge-unsorted-headers-short-caps", req_doc(1, 2, b"http://h/", V14, b"body", b"\x01\x00"))
req("edge-caps-ver-2-long", req_doc(1, 2, b"http://h/", V11, b"", h("02") + V10[1:] + b"extra"))
req("build-post-v11-v10", u8(2) + chunk16(b"https://h/x") + chunk16(V11) + chunk16(b"hi") + V10, mode=1)
req("build-get-malformed-headers", u8(1) + chunk16(b"http://example.com/") + chunk16(h("0500")) + chunk16(b"") + b"", mode=1)
req("build-method-i32-negative", u8(0x80) + u32(-1) + chunk16(b"u") + chunk16(b"") + chunk16(b"") + V10, mode=1)

# ---- fuzz_http_resp: mode u8, status i32, name chunk8, doc ----
V22 = h("0102c8000000010000000c000000436f6e74656e742d547970650a000000746578742f706c61696e020000006f6b")
V23 = h("0103c80000000000000005000000746d702f7805000000")


def resp(name, doc, hname=b"", status=0, mode=0):
    seed("http_resp", name, u8(mode) + u32(status) + chunk8(hname) + doc)


resp("v22-resp-v2-content-type-ok", V22, b"content-type")
resp("v23-resp-v3-to-file", V23, b"x")
resp("edge-err-doc", h("000400000000000000"))
resp("edge-empty-doc", b"")
resp("edge-legacy-ver-1", h("0101c80000000000000002000000") + b"ok")
resp("edge-v2-trailing-bytes", V22 + b"zz", b"CONTENT-TYPE")
resp("edge-v2-count-past-entries", V22[:6] + u32(2) + V22[10:], b"content-type")
resp("edge-v2-negative-count", V22[:6] + u32(-1) + V22[10:])
resp("edge-v3-short-file-len", V23[:-2])
resp("pack-v2-table-body", b"hello", table([(b"A", b"1"), (b"b", b"")]), 404, mode=1)
resp("pack-v3-path", b"tmp/out.bin", b"", 200, mode=3)
resp("pack-malformed-table", b"x", h("010000000500"), 200, mode=1)

# ---- fuzz_curl_req: mode u8 (% 3), then doc / path / builder args ----
V20 = h("02020b00000068747470733a2f2f682f78010000000c000000636f6e74656e742d747970650a000000746578742f706c61696e020000006869000000001e000000000000000010000040000000")
V21 = h("030113000000687474703a2f2f6578616d706c652e636f6d2f0000000000000000000000001e0000000000000000100000400000000b000000746d702f6f75742e62696e")


def curl(name, data, mode=0):
    seed("curl_req", name, u8(mode) + data)


def curl_v2(method, url, entries, body, nums):
    return (u8(2) + u8(method) + field(url) + table(entries) + field(body)
            + b"".join(u32(n) for n in nums))


curl("v20-post-v2-content-type", V20)
curl("v21-get-v3-to-file", V21)
curl("e13-timeout-601", curl_v2(1, b"http://h/", [], b"", [0, 601, 0, 4096, 64]))
curl("edge-ver-1-get", u8(1) + u8(1) + field(b"http://h/") + u32(0) + field(b""))
curl("edge-timeout-0-flags-3", curl_v2(2, b"http://h/", [(b"a", b"b")], b"x", [3, 0, 100, 16777216, 65535]))
curl("edge-empty-header-name", curl_v2(1, b"http://h/", [(b"", b"v")], b"", [0, 30, 0, 0, 0]))
curl("edge-get-with-body", curl_v2(1, b"http://h/", [], b"x", [0, 30, 0, 0, 0]))
curl("edge-v3-unsafe-path", V21[:-15] + field(b"../out.bin"))
curl("edge-header-count-huge", u8(2) + u8(1) + field(b"u") + u32(0xFFFFFFFF) + field(b"a"))
for pname, p in [("ok-nested", b"tmp/out.bin"), ("absolute", b"/etc/x"),
                 ("dotdot", b"a/../b"), ("dot", b"./a"), ("double-slash", b"a//b"),
                 ("trailing-slash", b"a/"), ("x07-prefix", b"d/.x07_state"),
                 ("backslash", b"a\\b"), ("nul", b"a\x00b"), ("empty", b""),
                 ("dotfile-ok", b".hidden/x"), ("x07-short-ok", b".x07")]:
    curl("path-" + pname, p, mode=1)


def curl_build(flags, nums, url, entries_or_raw, body, path):
    t = entries_or_raw if isinstance(entries_or_raw, bytes) else table(entries_or_raw)
    return (u8(flags) + b"".join(u32(n) for n in nums) + chunk16(url)
            + chunk16(t) + chunk16(body) + path)


curl("build-post-v2", curl_build(2, [0, 30, 0, 4096, 64], b"https://h/x", [(b"content-type", b"text/plain")], b"hi", b""), mode=2)
curl("build-get-v3-file", curl_build(1, [1, 0, 5, 0, 0], b"http://example.com/", [], b"", b"tmp/out.bin"), mode=2)
curl("build-negative-numbers", curl_build(3, [-1, -1, -1, -1, -1], b"u", b"\x01", b"b", b"p"), mode=2)

# ---- fuzz_httparse: mode u8, idx i32, name chunk8, then by mode % 4 ----
H1 = b"GET /path?x=1 HTTP/1.1\r\nHost: Example.COM\r\nContent-Type: text/plain\r\n\r\nhello"
H1_DOC = h("010100000e00000008000000000000000300000004000000090000000000000000000000000000000200000018000000040000001e0000000b0000002b0000000c000000390000000a0000004700000005000000")


def hp(name, data, mode=0, idx=0, hname=b""):
    seed("httparse", name, u8(mode) + u32(idx) + chunk8(hname) + data)


hp("h01-request-two-headers", H1, 0, 1, b"host")
hp("h02-request-no-headers-body", b"GET / HTTP/1.1\r\n\r\nhi")
hp("h03-response-content-type", b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok", 1, 0, b"CONTENT-TYPE")
hp("h04-request-no-blank-line", b"GET / HTTP/1.1\r\nHost: x\r\n")
hp("h05-request-header-no-colon", b"GET / HTTP/1.1\r\nBadHeader\r\n\r\n")
hp("h06-request-line-two-parts", b"GET /\r\n\r\n")
hp("h07-response-status-2x0", b"HTTP/1.1 2x0 OK\r\n\r\n", 1)
hp("h08-response-204-no-reason", b"HTTP/1.1 204\r\n\r\n", 1)
hp("edge-request-ows-everywhere", b"GET \t /a\tb  HTTP/1.1 \t\r\nX:\t v \t\r\n:bad\r\n\r\n", 0x10)
hp("edge-request-version-with-space", b"GET / HTTP/1.1 extra\r\nA:\r\n\r\n")
hp("edge-response-status-overflow", b"HTTP/1.1 4294967297 Big\r\n\r\n", 1)
hp("edge-obs-fold", b"GET / HTTP/1.1\r\nA: 1\r\n  folded\r\n\r\n")
hp("edge-bare-lf", b"GET / HTTP/1.1\nHost: x\n\n")
hp("raw-h01-doc-with-message", chunk16(H1_DOC) + H1, 2, 1, b"content-type")
hp("raw-h01-doc-short-message", chunk16(H1_DOC) + H1[:20], 2, 0, b"host")
hp("raw-corrupt-count", chunk16(H1_DOC[:40] + u32(0x10000001) + H1_DOC[44:]) + H1, 2, 5, b"")
hp("h09-h10-builders", chunk8(b"POST") + chunk8(b"/x") + chunk8(b"1") + chunk8(b"OK") + b"body", 3, 200, b"A")
hp("build-raw-headers-crlfcrlf", chunk8(b"GET") + chunk8(b"/") + chunk8(b"A: 1\r\n\r\n") + chunk8(b"") + b"", 0x13, -1, b"")

# ---- fuzz_url: mode u8, bytes ----
for uname, u in [("v33-hello-world", b"hello world"), ("v34-reserved-and-ff", b"a~b*c/\xff"),
                 ("v35-bad-escapes", b"%zz%4"), ("v35-mixed-case-escapes", b"%4a%4A+"),
                 ("v36-full-url", b"https://example.com:8080/path?query=1#frag"),
                 ("v37-userinfo", b"http://user:pw@host/x"), ("v38-ipv6-brackets", b"http://[::1]:8080/"),
                 ("v39-path-only", b"/just/path?q#f"), ("v40-trailing-question", b"http://h?"),
                 ("v41-fragment-before-query", b"http://h#f?x"), ("edge-query-trailing-hash", b"http://h?q#"),
                 ("edge-colon-first", b":x//y"), ("edge-empty", b""), ("edge-scheme-digit", b"1http://x")]:
    seed("url", uname, u8(0) + u)

# ---- fuzz_http_server: mode u8, n i32, name chunk8, then by mode % 3 ----
H11_REQ = b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"
H11_DOC = h("0101000044000000010100000b00000008000000000000000300000004000000060000000000000000000000000000000100000015000000040000001b00000009000000280000000000000028000000474554202f68656c6c6f20485454502f312e310d0a486f73743a206c6f63616c686f73740d0a0d0a")


def srv(name, data, mode=0, n=0, hname=b""):
    seed("http_server", name, u8(mode) + u32(n) + chunk8(hname) + data)


srv("h11-frame-get-hello", H11_REQ, 0, 0, b"host")
srv("frame-post-content-length-5", b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloEXTRA", 0, 0, b"content-length")
srv("frame-post-body-incomplete", b"POST /x HTTP/1.1\r\ncontent-length: 10\r\n\r\nabc", 0, 65536)
srv("frame-headers-incomplete", b"GET / HTTP/1.1\r\nHost: x\r\n", 0, 0)
srv("frame-too-large-small-max", b"GET / HTTP/1.1\r\nHost: xxxxxxxx\r\n\r\n", 0, 16)
srv("frame-content-length-not-digits", b"POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", 0, 0)
srv("frame-content-length-int32-overflow", b"POST / HTTP/1.1\r\nContent-Length: 2147483648\r\n\r\n", 0, 0)
srv("frame-content-length-over-max", b"POST / HTTP/1.1\r\nContent-Length: 2147483647\r\n\r\n", 0, -1)
srv("frame-bad-request-line", b"GARBAGE\r\n\r\n", 0, 0)
srv("frame-chunked-ignored", b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0, 0)
srv("h11-req-doc-accessors", H11_DOC, 1, 0, b"HOST")
srv("req-doc-trailing-byte", H11_DOC + b"\x00", 1, 0, b"host")
srv("req-doc-err", h("000200000000000000"), 1)
srv("h12-response-200-hello", chunk16(b"") + b"hello", 2, 200)
srv("h13-response-404-filtered", chunk16(table([(b"X-A", b"1"), (b"content-length", b"99"), (b"Connection", b"keep"), (b"bad", b"a\r\nb")])) + b"", 2, 404)
srv("response-negative-status-colon-name", chunk16(table([(b":path", b"/"), (b"", b"e")])) + b"x", 2, -5)
srv("response-malformed-table-keeps-prefix", chunk16(table([(b"A", b"1")]) + h("0500")) + b"", 2, 201)

# ---- fuzz_ws_grpc_form: mode u8, a i32, b i32, s chunk8, rest ----
def wgf(name, data, mode, a=0, b=0, s=b""):
    seed("ws_grpc_form", name, u8(mode) + u32(a) + u32(b) + chunk8(s) + data)


wgf("v26-ws-text-fin-hello", h("583757530100000001000000010000000500000068656c6c6f"), 0, 1, 1, b"hello")
wgf("v27-ws-close-empty", h("5837575301000000080000000000000000000000"), 0, 8, 0)
wgf("ws-opcode-16-refused", h("58375753010000001000000002000000000000"), 0, 16, 0)
wgf("ws-fin-2-refused", h("5837575302000000010000000100000000000000"), 0, 1, 2)
wgf("ws-length-mismatch", h("583757530100000001000000010000000600000068656c6c6f"), 0, -1, 0)
wgf("v28-grpc-prefix-hello", h("000000000568656c6c6f"), 1, 0)
wgf("v29-grpc-compressed-empty", h("0100000000"), 1, 1)
wgf("v30-grpc-unprefix-extra-byte", h("000000000568656c6c6f00"), 1, 2)
wgf("grpc-bad-flag", h("0200000000"), 1, 0)
wgf("grpc-negative-length", h("0080000000"), 1, 0)
wgf("grpc-short", h("00000000"), 1, 0)
wgf("v31-form-a-b-c-d", b"a bc d", 2, 3)
wgf("v31-form-second-pair", b"a+bc&d", 2, 3, 0, b"a+b=c+d")
wgf("v32-form-specials", b"~!*'()" + h("e282ac2f"), 2, 6)


def main():
    for target, files in sorted(SEEDS.items()):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(files.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()
