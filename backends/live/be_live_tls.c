/*
 * be_live_tls.c - TLS client streams over OpenSSL 3 for the live backend
 * (spec §5.7), the handle kind X7_SOCK_TLS of the shared socket table.
 *
 * As upstream: a fresh SSL_CTX per connection, the TCP connect of §5.4,
 * then SSL_connect with every wait bounded by connect_timeout_ms; reads
 * map close_notify to an ok empty payload and anything else that ends the
 * stream (a peer closing without close_notify included) to TLS(7); writes
 * are all-or-nothing.
 *
 * Deliberately stricter than the shim (threat model §4.2):
 *  - TLS 1.2 is the minimum (the shim allowed 1.0 and 1.1);
 *  - the CA store is X07_NET_CA_FILE alone when that is set (the same
 *    variable the HTTP side honours), else OpenSSL's default paths, which
 *    honour SSL_CERT_FILE / SSL_CERT_DIR as the shim did;
 *  - OpenSSL reaches the socket through our own BIO, which sends with
 *    MSG_NOSIGNAL: the stock socket BIO write()s and can raise SIGPIPE.
 *
 * Threads: one SSL object must never be used by two threads at once, so
 * each stream has a mutex held around every SSL_* call (never around a
 * poll), letting one thread read while another writes.
 */
#define _GNU_SOURCE /* MSG_NOSIGNAL */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <x7/net_codec.h>
#include <x7/net_err.h>

#include "be_live_int.h"
#include "be_live_sock_int.h"
#include "sock_int.h"

/* OpenSSL hands out at most one record (16 KiB of plaintext) per read;
 * a larger buffer would only be given back. */
#define TLS_READ_MAX 65536

struct tls_conn {
  SSL *ssl;
  int fd;
  int eof;            /* the peer closed the TCP stream (BIO_CTRL_EOF) */
  pthread_mutex_t mu; /* serialises SSL_* calls */
};

/* ---- a socket BIO that cannot raise SIGPIPE ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static BIO_METHOD *bio_method;

static int bio_write(BIO *b, const char *buf, size_t len, size_t *pwritten) {
  struct tls_conn *c = BIO_get_data(b);
  ssize_t n;
  BIO_clear_retry_flags(b);
  do
    n = send(c->fd, buf, len, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n >= 0) {
    *pwritten = (size_t)n;
    return 1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(b);
  *pwritten = 0;
  return 0;
}

static int bio_read(BIO *b, char *buf, size_t len, size_t *pread) {
  struct tls_conn *c = BIO_get_data(b);
  ssize_t n;
  BIO_clear_retry_flags(b);
  *pread = 0;
  do
    n = recv(c->fd, buf, len, 0);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    *pread = (size_t)n;
    return 1;
  }
  if (n == 0)
    c->eof = 1;
  else if (errno == EAGAIN || errno == EWOULDBLOCK)
    BIO_set_retry_read(b);
  return 0;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  struct tls_conn *c = BIO_get_data(b);
  (void)num;
  (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1; /* nothing is buffered here */
  case BIO_CTRL_EOF:
    /* OpenSSL tells a truncated stream from a retry with this. */
    return c && c->eof;
  default:
    return 0;
  }
}

static void tls_init(void) {
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
  bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                            "x7 socket");
  if (bio_method &&
      (!BIO_meth_set_write_ex(bio_method, bio_write) ||
       !BIO_meth_set_read_ex(bio_method, bio_read) ||
       !BIO_meth_set_ctrl(bio_method, bio_ctrl))) {
    BIO_meth_free(bio_method);
    bio_method = NULL;
  }
}

/* ---- the connection ---- */

void x7__live_tls_free(void *ctx) {
  struct tls_conn *c = ctx;
  if (!c) return;
  if (c->ssl) {
    /* One close_notify if the socket takes it now; no waiting for the
     * peer's, as upstream. */
    if (SSL_is_init_finished(c->ssl)) (void)SSL_shutdown(c->ssl);
    SSL_free(c->ssl); /* frees the BIO too */
    ERR_clear_error();
  }
  pthread_mutex_destroy(&c->mu);
  x7__free(c);
}

/* Wait for what OpenSSL asked for after a failed call; 0 to retry, or
 * the code to fail with: 3 timeout, 8 poll failure, 7 anything else. */
static int32_t tls_wait(struct tls_conn *c, int ret, uint32_t timeout_ms) {
  int err = SSL_get_error(c->ssl, ret);
  short ev, rev;
  int rc;
  if (err == SSL_ERROR_WANT_READ)
    ev = POLLIN;
  else if (err == SSL_ERROR_WANT_WRITE)
    ev = POLLOUT;
  else
    return X7_NET_ERR_TLS;
  pthread_mutex_unlock(&c->mu);
  rc = x7__live_poll(c->fd, ev, timeout_ms, &rev);
  pthread_mutex_lock(&c->mu);
  return rc == 0 ? X7_NET_ERR_TIMEOUT : rc < 0 ? X7_NET_ERR_INTERNAL : 0;
}

/* The reference identity: the SNI text without surrounding brackets, as
 * a C string; *pis_ip says whether it is an IP literal. */
static void tls_name(struct x7_view sni, char *buf, int *pis_ip) {
  unsigned char tmp[sizeof(struct in6_addr)];
  if (sni.len >= 2 && sni.ptr[0] == '[' && sni.ptr[sni.len - 1] == ']')
    sni = x7_view_of(sni.ptr + 1, sni.len - 2);
  memcpy(buf, sni.ptr, sni.len);
  buf[sni.len] = '\0';
  *pis_ip = inet_pton(AF_INET, buf, tmp) == 1 ||
            inet_pton(AF_INET6, buf, tmp) == 1;
}

static int load_trust(SSL_CTX *ctx) {
  const char *f = getenv("X07_NET_CA_FILE");
  if (f && f[0]) return SSL_CTX_load_verify_locations(ctx, f, NULL) == 1;
  return SSL_CTX_set_default_verify_paths(ctx) == 1;
}

/* Set up c->ssl for tls; 0 or a NetErrDocV1 code. */
static int32_t tls_setup(struct tls_conn *c, const struct x7_tls_client *tls) {
  char name[X7__SOCK_TLS_SNI_MAX + 1];
  int is_ip = 0;
  SSL_CTX *ctx;
  BIO *bio;
  ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return X7_NET_ERR_INTERNAL;
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) goto tls_fail;
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (tls->verify_peer) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (!load_trust(ctx)) goto tls_fail;
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  }
  c->ssl = SSL_new(ctx);
  SSL_CTX_free(ctx); /* the SSL holds its own reference */
  ctx = NULL;
  if (!c->ssl) return X7_NET_ERR_INTERNAL;
  bio = BIO_new(bio_method);
  if (!bio) return X7_NET_ERR_INTERNAL;
  BIO_set_data(bio, c);
  BIO_set_init(bio, 1);
  SSL_set_bio(c->ssl, bio, bio);
  if (tls->sni.len) {
    tls_name(tls->sni, name, &is_ip);
    /* SNI carries host names only (RFC 6066 §3); OpenSSL would happily
     * send an IP literal, so the check is ours. */
    if (!is_ip && !SSL_set_tlsext_host_name(c->ssl, name))
      return X7_NET_ERR_TLS;
    if (tls->verify_peer) {
      /* Without a reference identity OpenSSL checks the chain only. */
      if (is_ip) {
        if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name))
          return X7_NET_ERR_TLS;
      } else {
        SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (!SSL_set1_host(c->ssl, name)) return X7_NET_ERR_TLS;
      }
    }
  }
  return 0;
tls_fail:
  SSL_CTX_free(ctx);
  return X7_NET_ERR_TLS;
}

static int32_t tls_handshake(struct tls_conn *c, uint32_t timeout_ms) {
  int32_t code = 0;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    int ret;
    ERR_clear_error();
    ret = SSL_connect(c->ssl);
    if (ret == 1) break;
    code = tls_wait(c, ret, timeout_ms);
    if (code) break;
  }
  ERR_clear_error();
  pthread_mutex_unlock(&c->mu);
  return code;
}

x7_result x7__live_tls_connect(struct x7_view addr,
                               const struct x7_tls_client *tls,
                               const struct x7_sock_caps *caps,
                               struct x7_bytes *pdoc) {
  struct tls_conn *c;
  int fd;
  int32_t code;
  x7__bytes_reset(pdoc);
  pthread_once(&init_once, tls_init);
  if (!bio_method) return x7__net_err_doc(X7_NET_ERR_INTERNAL, pdoc);
  code = x7__live_tcp_open(addr, caps, &fd);
  if (code) return x7__net_err_doc(code, pdoc);
  c = x7__malloc(sizeof *c);
  if (!c) {
    close(fd);
    return X7_ENOMEM;
  }
  memset(c, 0, sizeof *c);
  c->fd = fd;
  pthread_mutex_init(&c->mu, NULL);
  code = tls_setup(c, tls);
  if (!code) code = tls_handshake(c, caps->connect_timeout_ms);
  if (code) {
    ERR_clear_error();
    x7__live_tls_free(c);
    close(fd);
    return x7__net_err_doc(code, pdoc);
  }
  return x7__live_add_stream(X7_SOCK_TLS, fd, c, pdoc);
}

/* ---- stream I/O on a pinned slot ---- */

x7_result x7__live_tls_read(const struct x7__handle_ref *ref,
                            uint32_t max_bytes,
                            const struct x7_sock_caps *caps,
                            struct x7_bytes *pdoc) {
  struct tls_conn *c = ref->ctx;
  size_t cap = max_bytes < TLS_READ_MAX ? max_bytes : TLS_READ_MAX;
  size_t n = 0;
  int32_t code = 0;
  x7_result r;
  if (max_bytes == 0)
    return x7__sock_stream_read_doc(x7_view_of(NULL, 0), pdoc);
  r = x7__live_read_doc_begin(cap, pdoc);
  if (r) return r;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    int ret;
    ERR_clear_error();
    ret = SSL_read_ex(c->ssl, pdoc->ptr + 8, cap, &n);
    if (ret == 1) break;
    /* close_notify is the clean end of the stream: ok, empty. */
    if (SSL_get_error(c->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
      n = 0;
      break;
    }
    code = tls_wait(c, ret, caps->io_timeout_ms);
    if (code) break;
  }
  ERR_clear_error();
  pthread_mutex_unlock(&c->mu);
  if (code) {
    x7_bytes_free(pdoc);
    return x7__net_err_doc(code, pdoc);
  }
  x7__live_read_doc_end(pdoc, n);
  return X7_OK;
}

x7_result x7__live_tls_write(const struct x7__handle_ref *ref,
                             struct x7_view data,
                             const struct x7_sock_caps *caps,
                             struct x7_bytes *pdoc) {
  struct tls_conn *c = ref->ctx;
  size_t n = 0;
  int32_t code = 0;
  short rev;
  if (data.len == 0) {
    /* SSL_write cannot send nothing; wait like a TCP stream does. */
    int rc = x7__live_poll(c->fd, POLLOUT, caps->io_timeout_ms, &rev);
    if (rc <= 0)
      return x7__net_err_doc(rc ? X7_NET_ERR_INTERNAL : X7_NET_ERR_TIMEOUT,
                             pdoc);
    return x7__sock_stream_write_doc(0, pdoc);
  }
  pthread_mutex_lock(&c->mu);
  for (;;) {
    int ret;
    ERR_clear_error();
    /* After WANT_WRITE the same bytes go to the next SSL_write_ex. */
    ret = SSL_write_ex(c->ssl, data.ptr, data.len, &n);
    if (ret == 1) break;
    code = tls_wait(c, ret, caps->io_timeout_ms);
    if (code) break;
  }
  ERR_clear_error();
  pthread_mutex_unlock(&c->mu);
  if (code) return x7__net_err_doc(code, pdoc);
  return x7__sock_stream_write_doc(n, pdoc);
}

int x7__live_tls_pending(const struct x7__handle_ref *ref) {
  struct tls_conn *c = ref->ctx;
  int n;
  pthread_mutex_lock(&c->mu);
  n = SSL_pending(c->ssl);
  pthread_mutex_unlock(&c->mu);
  return n > 0;
}
