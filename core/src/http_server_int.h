/*
 * http_server_int.h - the pure steps of std.net.http.server.read_req_v1
 * (spec §7.1), so the stream loop around them stays trivial:
 *
 *   for (;;) {
 *     x7__http_server_frame(buf, caps_max_read_bytes, &f);
 *     DONE -> return x7__http_server_req_doc(buf[0, f.need));
 *     ERR  -> return NetErrDocV1(f.err);
 *     MORE -> stream_read_v1(h, f.want, caps): error doc -> return it;
 *             empty payload -> CONNECT(6); else append to buf.
 *   }
 *
 * Never installed.
 */
#ifndef X7_HTTP_SERVER_INT_H
#define X7_HTTP_SERVER_INT_H

#include "net_int.h"

#define X7__HTTP_SERVER_READ_CHUNK 4096     /* max bytes per stream read */
#define X7__HTTP_SERVER_DEFAULT_MAX 1048576 /* max_total when caps say <= 0 \
                                             */

enum x7__http_frame_state {
  X7__HTTP_FRAME_MORE, /* read up to `want` more bytes, then ask again */
  X7__HTTP_FRAME_DONE, /* buf[0, need) is the request; the rest is dropped */
  X7__HTTP_FRAME_ERR   /* give up with NetErrDocV1(err) */
};

struct x7__http_frame {
  enum x7__http_frame_state state;
  size_t need; /* DONE: request length; MORE: the same once the headers
                  are in, 0 while they are not */
  size_t want; /* MORE: 1..4096, the size of the next read */
  int32_t err; /* ERR: X7_NET_ERR_INVALID_REQ or X7_NET_ERR_TOO_LARGE */
};

/*
 * One framing step over the bytes read so far.  max_read_bytes is
 * caps_max_read_bytes_v1(caps) (<= 0 means 1 MiB).  Until the first CRLFCRLF
 * the next read is capped by what is left of max_total (none left ->
 * TOO_LARGE).  Once it is there the buffer is parsed as a request (error ->
 * INVALID_REQ), content-length is taken from the first such header
 * (case-insensitive; empty or absent -> 0; anything but ASCII digits up to
 * 2147483647 -> INVALID_REQ), and need = header_end + content_length must
 * not exceed max_total (else TOO_LARGE).  The result depends only on buf,
 * so the caller keeps no state between calls.
 * Returns X7_OK, X7_EINVAL (NULL pf, invalid view) or X7_ENOMEM.
 */
x7_result x7__http_server_frame(struct x7_view buf, int32_t max_read_bytes,
                                struct x7__http_frame *pf);

/*
 * The doc read_req_v1 returns for a complete request msg: msg is parsed
 * again and wrapped as HttpServerReqDocV1, or becomes NetErrDocV1(2) when
 * it does not parse.  Returns X7_OK, X7_EINVAL, X7_ENOMEM or X7_ERANGE
 * (msg longer than INT32_MAX).
 */
x7_result x7__http_server_req_doc(struct x7_view msg, struct x7_bytes *pout);

#endif /* X7_HTTP_SERVER_INT_H */
