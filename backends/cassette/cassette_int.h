/*
 * cassette_int.h - what the cassette modules share: the in-memory model
 * of a cassette, the codec, matching, redaction, the file store and the
 * reports.  Never installed; every name is x7__rr_*.
 *
 *   cassette_codec.c   canonical JSON to and from struct x7__rr_doc
 *   cassette_match.c   canonical request view, match keys, field diffs
 *   cassette_redact.c  redaction rules, placeholders, the secret scan
 *   cassette_store.c   sha256, atomic save, lock, sidecar blob store
 *   cassette_report.c  miss and unused-interaction reports
 *   be_cassette.c      struct x7_cassette, replay, env, registry hook
 *   be_record.c        the record wrapper around a transport backend
 */
#ifndef X7_CASSETTE_INT_H
#define X7_CASSETTE_INT_H

#include <pthread.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <x7/x7_backend.h>
#include <x7/x7_cassette.h>

#include "core_int.h"

#define X7__RR_FORMAT_NAME "x7net-cassette"
#define X7__RR_FORMAT_VERSION 1
#define X7__RR_INLINE_MAX_DEFAULT 65536u
/* Shorter "secrets" would match everywhere by accident. */
#define X7__RR_SECRET_MIN 6
#define X7__RR_MAX_MATCHERS 8
/* Cassette files larger than this are refused rather than read. */
#define X7__RR_FILE_MAX ((size_t)1 << 31)

/* ---- sorted, duplicate-free string sets (names are ASCII) ---- */
struct x7__rr_strs {
  char **v;
  size_t n, cap;
};
/* Add a copy of s[0..n) (lower-cased when fold); keeps v sorted.  0, or -1
 * on OOM. */
int x7__rr_strs_add(struct x7__rr_strs *l, const char *s, size_t n, int fold);
/* 1 when s[0..n) is in the set (ASCII case-insensitive when fold). */
int x7__rr_strs_has(const struct x7__rr_strs *l, const void *s, size_t n,
                    int fold);
int x7__rr_strs_union(struct x7__rr_strs *dst, const struct x7__rr_strs *src);
void x7__rr_strs_free(struct x7__rr_strs *l);

/* ---- settings stored in the cassette ---- */
enum {
  X7__RR_RULE_HEADER,
  X7__RR_RULE_QUERY,
  X7__RR_RULE_FORM,
  X7__RR_RULE_JSON,
  X7__RR_RULES
};

struct x7__rr_settings {
  unsigned match;                   /* enum x7_cassette_match bits */
  struct x7__rr_strs match_headers; /* lower case */
  struct x7__rr_strs ignore_query;
  struct x7__rr_strs custom; /* custom matcher names */
  int exhaust;               /* enum x7_cassette_exhaust */
  uint64_t inline_max;
  int timings;
  struct x7__rr_strs redact[X7__RR_RULES]; /* extra rules, lower case */
};
void x7__rr_settings_init(struct x7__rr_settings *s);
void x7__rr_settings_cleanup(struct x7__rr_settings *s);
int x7__rr_settings_copy(struct x7__rr_settings *dst,
                         const struct x7__rr_settings *src);

/* ---- one interaction ---- */
struct x7__rr_body {
  uint8_t *ptr; /* inline bytes (owned), NULL when empty or a blob */
  uint64_t len; /* length in every case */
  int blob;     /* 1: the bytes are in the sidecar store */
  char sha[65]; /* blob: lower-case hex sha256 */
};

struct x7__rr_ix {
  /* request (already redacted) */
  uint32_t method; /* X7_NET_HTTP_METHOD_* */
  uint8_t *url;
  size_t url_len;
  uint8_t *req_headers; /* HttpHeadersTableV1 */
  size_t req_headers_len;
  struct x7__rr_body req_body;
  uint32_t follow_location, timeout_s, max_redirects, max_header_bytes,
      max_headers, max_body_bytes;
  int to_file;
  /* response: error != 0 is a NetErrDocV1, the rest is then unused */
  int32_t error;
  uint32_t status;
  uint8_t *resp_headers; /* HttpHeadersTableV1 */
  size_t resp_headers_len;
  struct x7__rr_body resp_body;
  char http_version[8]; /* "1.0", "1.1", "2", "3", "unknown" */
  uint32_t redirects, hop;
  uint64_t duration_us;
  int has_duration;
  /* replay state, never stored */
  uint8_t *key; /* canonical match key */
  size_t key_len;
  uint64_t hash;
  uint32_t queue;
  uint32_t plays;
  int used;
  int fresh; /* recorded in this session */
  int saved; /* fresh and already written by a save */
};
void x7__rr_ix_free(struct x7__rr_ix *ix);
const char *x7__rr_method_name(uint32_t method);
uint32_t x7__rr_method_code(const char *name, size_t n); /* 0: unknown */

struct x7__rr_doc {
  char *x7net_version;
  char *policy_hash;
  char *transport;
  struct x7__rr_settings settings;
  struct x7__rr_ix **ix; /* stable pointers: the array may grow */
  size_t n, cap;
};
void x7__rr_doc_init(struct x7__rr_doc *d);
void x7__rr_doc_cleanup(struct x7__rr_doc *d);
int x7__rr_doc_push(struct x7__rr_doc *d, struct x7__rr_ix *ix);

/* ---- codec (cassette_codec.c) ---- */
/* Parse and validate a cassette file.  verify = 1 checks the size and
 * checksum first (reseal passes 0).  blob_dir (may be NULL) is where
 * sidecar bodies must exist.  On failure msg gets "offset: reason" and
 * the result is X7_ECASSETTE_FORMAT, X7_ECASSETTE_VERSION,
 * X7_ECASSETTE_BLOB or X7_ENOMEM; *doc is left empty. */
x7_result x7__rr_decode(const uint8_t *p, size_t n, int verify,
                        const char *blob_dir, struct x7__rr_doc *doc, char *msg,
                        size_t msglen);
/* The canonical bytes of doc, checksum included.  X7_OK / X7_ENOMEM. */
x7_result x7__rr_encode(const struct x7__rr_doc *doc, struct x7__buf *out);
/* Canonical JSON of a cJSON tree (cassettes/FORMAT.md §3).  pretty = 0
 * writes one line without spaces and accepts any number (keys, reports);
 * pretty = 1 is the file layout and accepts only integers 0..2^53.  When
 * target is not NULL, *ptarget_off gets the offset of its value.
 * X7_OK, X7_EINVAL (a number the mode does not accept), X7_ENOMEM. */
x7_result x7__rr_json_emit(const cJSON *root, int pretty, struct x7__buf *out,
                           const cJSON *target, size_t *ptarget_off);
void x7__rr_json_string(struct x7__buf *b, const uint8_t *p, size_t n);
int x7__rr_utf8_ok(const uint8_t *p, size_t n);
/* Standard base64 with padding. */
void x7__rr_b64_encode(struct x7__buf *b, const uint8_t *p, size_t n);
/* Strict decode; 0 or -1 (malformed or OOM: *poom says which). */
int x7__rr_b64_decode(const char *s, size_t n, struct x7__buf *out);

/* ---- canonical request view and keys (cassette_match.c) ---- */
struct x7__rr_reqview {
  uint32_t method;
  struct x7_view url;
  struct x7_view headers; /* HttpHeadersTableV1 */
  struct x7_view body;    /* in-memory bytes; empty for a blob body */
  uint64_t body_len;
  const char *body_sha; /* blob hex, or NULL when body holds the bytes */
};
struct x7__rr_url {
  struct x7_view scheme, userinfo, host, path, query; /* views of url */
  uint32_t port; /* explicit port, or the scheme default; 0 unknown */
  int has_port;
};
/* Split an absolute URL.  0, or -1 when it is not scheme://authority... */
int x7__rr_url_split(struct x7_view url, struct x7__rr_url *pu);
/* Append the canonical key of r under the settings to out. */
void x7__rr_key(const struct x7__rr_settings *s, const struct x7__rr_reqview *r,
                struct x7__buf *out);
uint64_t x7__rr_hash(const uint8_t *p, size_t n);
/* JSON body view: 1 and *ptree (cJSON_Delete) when the body is a JSON
 * object or array (first non-space byte '{' or '['). */
int x7__rr_body_json(struct x7_view body, cJSON **ptree);
/* Canonical one-line field diffs between a live request and a recorded
 * one, appended to arr as {"field","expected","actual"} objects; returns
 * a distance (0 = every enabled field equal) and sets *pfields to the
 * enum x7_cassette_match bits that differ. */
unsigned x7__rr_diff(const struct x7__rr_settings *s,
                     const struct x7__rr_reqview *live,
                     const struct x7__rr_reqview *rec, cJSON *arr,
                     unsigned *pfields);
void x7__rr_ix_view(const struct x7__rr_ix *ix, struct x7__rr_reqview *v);

/* ---- redaction and the secret scan (cassette_redact.c) ---- */
struct x7__rr_redactor {
  struct x7__rr_strs rules[X7__RR_RULES]; /* defaults + extras */
  struct x7__rr_strs secrets;             /* exact values, never folded */
  uint8_t *salt;
  size_t salt_len;
  int strict;
  pthread_mutex_t mu; /* guards secrets: fetches add to it */
};
int x7__rr_redactor_init(struct x7__rr_redactor *r,
                         const struct x7__rr_settings *s);
void x7__rr_redactor_cleanup(struct x7__rr_redactor *r);
/* 1 when the header name is secret by rule (defaults or extras). */
int x7__rr_secret_header(const struct x7__rr_redactor *r, const uint8_t *name,
                         size_t n);
/* Redact a request in place (views into owned copies in *parena):
 * header values, URL userinfo and query values, form and JSON fields.
 * The values removed are added to the secret set.  0 or -1 (OOM). */
int x7__rr_redact_request(struct x7__rr_redactor *r, struct x7_view *url,
                          struct x7_view *headers, struct x7_view *body,
                          struct x7__buf *arena);
/* Free the blocks x7__rr_redact_request kept in an arena. */
void x7__rr_arena_free(struct x7__buf *arena);
/* Redact a recorded response in place: header values by rule, JSON
 * fields, then every known secret anywhere in header values and inline
 * bodies.  0 or -1 (OOM). */
int x7__rr_redact_ix(struct x7__rr_redactor *r, struct x7__rr_ix *ix);
/* Scan bytes about to be written (raw, percent-encoded, base64 forms,
 * gzip/deflate content).  0 clean; 1 found (*where names it); -1 OOM. */
int x7__rr_scan(struct x7__rr_redactor *r, const uint8_t *p, size_t n,
                int decode_gzip, char *where, size_t wlen);
/* Bytes a streaming scan must carry from one chunk to the next (0 when
 * no secret is known). */
size_t x7__rr_scan_overlap(struct x7__rr_redactor *r);
/* Stream one sidecar blob through x7__rr_scan.  0 clean, 1 found, -1 I/O
 * or OOM. */
int x7__rr_scan_blob(struct x7__rr_redactor *r, const char *blob_dir,
                     const char *sha, char *where, size_t wlen);
/* Strict mode's detector over one interaction's text fields. */
int x7__rr_scan_entropy(const struct x7__rr_ix *ix, char *where, size_t wlen);
/* The text that replaces a secret value of rule `name`. */
void x7__rr_placeholder(const struct x7__rr_redactor *r, const char *name,
                        size_t nlen, const uint8_t *value, size_t vlen,
                        struct x7__buf *out);
/* Mask known secrets in diagnostic text (reports). */
void x7__rr_mask(struct x7__rr_redactor *r, struct x7__buf *text);

/* ---- files, blobs, sha256 (cassette_store.c) ---- */
/* Initialise OpenSSL's digest now.  OpenSSL tears itself down in an
 * atexit handler registered at its first use, so a handler that hashes at
 * exit must be registered after this.  0 or -1. */
int x7__rr_crypto_init(void);
int x7__rr_sha256(const void *p, size_t n, uint8_t out[32]);
void x7__rr_hex(const uint8_t *p, size_t n, char *out); /* 2n + NUL */
struct x7__rr_sha_ctx;
struct x7__rr_sha_ctx *x7__rr_sha_new(void);
int x7__rr_sha_update(struct x7__rr_sha_ctx *c, const void *p, size_t n);
int x7__rr_sha_final(struct x7__rr_sha_ctx *c, uint8_t out[32]); /* frees */
void x7__rr_sha_free(struct x7__rr_sha_ctx *c);

/* Whole file into *out.  X7_OK, X7_ECASSETTE_NOFILE, X7_ECASSETTE_IO
 * (msg says why), X7_ENOMEM. */
x7_result x7__rr_file_read(const char *path, struct x7__buf *out, char *msg,
                           size_t msglen);
/* Temp file in the same directory, write, fsync, rename, fsync dir. */
x7_result x7__rr_file_write_atomic(const char *path, const uint8_t *p, size_t n,
                                   int do_fsync, char *msg, size_t msglen);
/* Advisory lock on "<path>.lock" (blocks).  X7_OK / X7_ECASSETTE_IO. */
x7_result x7__rr_lock(const char *path, int *pfd, char *msg, size_t msglen);
void x7__rr_unlock(int fd);
/* "<cassette>.blobs" (x7__free it).  NULL on OOM. */
char *x7__rr_blob_dir(const char *cassette_path);
/* Path of one blob (x7__free it). */
char *x7__rr_blob_path(const char *blob_dir, const char *sha);
int x7__rr_blob_exists(const char *blob_dir, const char *sha, uint64_t size);
x7_result x7__rr_blob_put(const char *blob_dir, const uint8_t *p, size_t n,
                          int do_fsync, char sha[65], char *msg, size_t msglen);
/* Stream a file into the store (bounded memory). */
x7_result x7__rr_blob_put_file(const char *blob_dir, const char *src,
                               int do_fsync, char sha[65], uint64_t *psize,
                               char *msg, size_t msglen);
/* Read a blob into memory, checking size and hash. */
x7_result x7__rr_blob_read(const char *blob_dir, const char *sha, uint64_t size,
                           struct x7__buf *out, char *msg, size_t msglen);
/* Stream a blob to dst (created/truncated), checking size and hash; dst
 * is removed on failure. */
x7_result x7__rr_blob_copy_to(const char *blob_dir, const char *sha,
                              uint64_t size, const char *dst, char *msg,
                              size_t msglen);
/* Test hook: called at each step of an atomic save with the step number
 * (1 temp created, 2 written, 3 fsynced, 4 renamed, 5 dir fsynced). */
extern void (*x7__rr_save_hook)(int step);

/* ---- the cassette object (be_cassette.c) ---- */
struct x7__rr_matcher {
  char *name;
  x7_cassette_matcher_fn *fn;
  void *ud;
};

struct x7__rr_queue {
  uint8_t *key; /* borrowed from the first interaction of the key */
  size_t key_len;
  uint64_t hash;
  uint32_t *ix; /* indexes into doc.ix, recorded order */
  uint32_t n, cap;
  uint32_t next; /* first entry not yet consumed */
  uint32_t last; /* last entry answered (repeat_last), UINT32_MAX none */
};

struct x7_cassette_config {
  enum x7_rr_mode mode;
  struct x7__rr_settings settings;
  unsigned set; /* which settings were given explicitly (SET_* bits) */
  struct x7__rr_matcher matchers[X7__RR_MAX_MATCHERS];
  size_t n_matchers;
  struct x7__rr_strs secrets;
  uint8_t *salt;
  size_t salt_len;
  int strict;
  int do_fsync;
  char *transport;
  char *policy_hash;
};
enum {
  X7__RR_SET_MATCH = 1,
  X7__RR_SET_HEADERS = 2,
  X7__RR_SET_QUERY = 4,
  X7__RR_SET_EXHAUST = 8,
  X7__RR_SET_INLINE = 16,
  X7__RR_SET_TIMINGS = 32
};

struct x7_cassette {
  pthread_mutex_t mu;
  int refs; /* 1 + 1 while installed */
  char *path;
  char *blob_dir;
  enum x7_rr_mode mode;
  int file_existed;
  uint8_t file_sha[32]; /* of the file when loaded (conflict check) */
  int file_sha_ok;
  struct x7__rr_doc doc;
  size_t n_loaded;
  struct x7__rr_queue *queues;
  size_t n_queues, cap_queues;
  uint32_t *slots; /* open addressing: queue index + 1, 0 empty */
  size_t n_slots;
  struct x7__rr_matcher matchers[X7__RR_MAX_MATCHERS];
  size_t n_matchers;
  struct x7__rr_redactor red;
  int do_fsync;
  const struct x7_backend_ops *inner; /* transport when recording */
  char *transport_name;
  char *policy_hash;
  int dirty;
  uint64_t replayed, misses, virtual_us;
  /* last miss: canonical JSON report (secrets masked) */
  uint8_t *miss_json;
  size_t miss_json_len;
  uint8_t *miss_text;
  size_t miss_text_len;
  char errmsg[512];
};

/* Index a new interaction (computes its key).  Called with c->mu held.
 * 0 or -1 (OOM). */
int x7__rr_index_add(struct x7_cassette *c, uint32_t i);
/* Find the queue of a key; NULL if none.  c->mu held. */
struct x7__rr_queue *x7__rr_queue_find(struct x7_cassette *c,
                                       const uint8_t *key, size_t n,
                                       uint64_t hash);
/* Build the response doc a request gets from a recorded interaction,
 * applying the request's caps the way the live backend would. */
x7_result x7__rr_respond(struct x7_cassette *c, const struct x7__rr_ix *ix,
                         const struct x7_http_fetch *req,
                         struct x7_bytes *presp);
/* Replay lookup for a request view (redacted), consuming on success.
 * *pix gets the interaction or NULL on a miss (*pconsumed, *ptotal then
 * describe an exhausted queue, total 0 when never recorded).  Takes
 * c->mu itself. */
void x7__rr_lookup(struct x7_cassette *c, const struct x7__rr_reqview *v,
                   const uint8_t *key, size_t key_len,
                   const struct x7__rr_ix **pix, uint32_t *pconsumed,
                   uint32_t *ptotal);
/* Record the miss report and answer code 9. */
x7_result x7__rr_miss(struct x7_cassette *c, const struct x7__rr_reqview *v,
                      const uint8_t *key, size_t key_len, uint32_t consumed,
                      uint32_t total, struct x7_bytes *presp);

/* Tests: forget the installed / environment cassette (the registry is
 * reset separately with x7__backend_reset_for_tests). */
void x7__rr_reset_for_tests(void);

/* ---- record (be_record.c) ---- */
/* Send the request to c->inner, record the interaction, answer as the
 * transport did. */
x7_result x7__rr_record_fetch(struct x7_cassette *c,
                              const struct x7_http_fetch *req,
                              const struct x7__rr_reqview *v,
                              struct x7__buf *arena, struct x7_bytes *presp);

/* ---- reports (cassette_report.c) ---- */
/* Build both forms of a miss report; c->mu held. */
x7_result x7__rr_report_miss(struct x7_cassette *c,
                             const struct x7__rr_reqview *v, const uint8_t *key,
                             size_t key_len, uint32_t consumed, uint32_t total,
                             struct x7__buf *json, struct x7__buf *text);
x7_result x7__rr_report_unused(struct x7_cassette *c, int json,
                               struct x7_bytes *pout);

#endif /* X7_CASSETTE_INT_H */
