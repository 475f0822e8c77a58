/*
 * x7_cassette.h - record and replay of std.net.http fetches ("cassettes").
 *
 * A cassette is one JSON file (format: cassettes/FORMAT.md) plus a
 * content-addressed sidecar directory "<file>.blobs/" for large bodies.
 * Replay never touches the network: a request the cassette does not hold
 * fails hard with the NetErrDocV1 code X7_NET_ERR_NO_RECORDING (9) and a
 * miss report, never with a made-up response.  Recording wraps a transport
 * backend (the registry's choice, or x7_cassette_config_set_transport) the
 * way SQLite's vfstrace wraps a VFS.
 *
 * Two ways to use a cassette:
 *   - run time, no code: X07_NET_CASSETTE=<path> makes every std.net.http
 *     fetch of the process go through that cassette; X07_NET_RR_MODE picks
 *     the mode (default replay) and X07_NET_BACKEND the transport that
 *     recording uses.  The frozen backend is then named "cassette"
 *     (replay) or "record" (modes that may record).  See the README table
 *     of X07_NET_RR_* variables.
 *   - this API: open a cassette, then fetch through it directly
 *     (x7_cassette_fetch_v1 ...), or install it as the process backend
 *     before the first fetch (x7_cassette_install), which wins over the
 *     environment.
 *
 * Modes (numbers are upstream std.rr's, spec workflow §6.2):
 *   off            no cassette; the transport is used as is.
 *   replay         replay only; a missing file is "no cassette" (every
 *                  fetch misses, with that state in the report).  VCR none.
 *   record         every fetch goes to the transport and is appended to
 *                  what the file already holds.
 *   record_missing replay what matches; a miss (or an exhausted sequence)
 *                  goes to the transport and is appended.  VCR new_episodes.
 *   rewrite        every fetch goes to the transport; saving replaces the
 *                  file with this session's interactions.  VCR all.
 *   once           (x7 extension) replay when the file exists, else
 *                  rewrite.  VCR once.
 *
 * Ownership: x7_cassette_config_new / x7_cassette_open hand out objects
 * freed with x7_cassette_config_free / x7_cassette_free (NULL-safe).  A
 * config is copied by x7_cassette_open and may be freed right after.
 * Strings and views passed in are borrowed for the call.  Bytes outputs
 * belong to the caller (x7_bytes_free).  Returned const char * are
 * borrowed as documented per function.
 *
 * Thread safety: a cassette may be used from any number of threads at
 * once (fetches, reports, save).  A config is not thread-safe.
 *
 * Results common to every function: X7_EINVAL for a NULL object or
 * out-pointer (or a view with ptr NULL and len > 0); X7_ENOMEM when memory
 * runs out (outputs are then empty).
 */
#ifndef X7_CASSETTE_H
#define X7_CASSETTE_H

#include <stddef.h>
#include <stdint.h>
#include <x7/x7_backend.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The NetErrDocV1 code of a fetch the cassette cannot answer (never
 * recorded, sequence exhausted, no cassette file).  An x7 extension to
 * codes 1..8 of spec §2.1; the doc is the usual 9 bytes. */
#define X7_NET_ERR_NO_RECORDING 9

enum x7_rr_mode {
  X7_RR_OFF = 0,
  X7_RR_RECORD = 1,
  X7_RR_REPLAY = 2,
  X7_RR_RECORD_MISSING = 3,
  X7_RR_REWRITE = 4,
  X7_RR_ONCE = 5
};

/* What a sequence does once every recorded response of its key was
 * replayed. */
enum x7_cassette_exhaust {
  X7_CASSETTE_EXHAUST_ERROR = 0,       /* miss (default) */
  X7_CASSETTE_EXHAUST_REPEAT_LAST = 1, /* keep answering the last one */
  X7_CASSETTE_EXHAUST_CYCLE = 2        /* start again from the first */
};

/* Parts of the canonical request that make up the match key. */
enum x7_cassette_match {
  X7_CASSETTE_MATCH_METHOD = 1u << 0,
  X7_CASSETTE_MATCH_URL = 1u << 1,     /* scheme, host, port, path */
  X7_CASSETTE_MATCH_QUERY = 1u << 2,   /* order-insensitive multiset */
  X7_CASSETTE_MATCH_BODY = 1u << 3,    /* JSON semantically, else digest */
  X7_CASSETTE_MATCH_HEADERS = 1u << 4, /* only the names given to
                                          x7_cassette_config_match_header */
  X7_CASSETTE_MATCH_DEFAULT = 0x1fu
};

/* Where a redaction rule applies. */
enum x7_cassette_redact {
  X7_CASSETTE_REDACT_HEADER = 0, /* request and response header name */
  X7_CASSETTE_REDACT_QUERY = 1,  /* URL query parameter name */
  X7_CASSETTE_REDACT_FORM = 2,   /* x-www-form-urlencoded field name */
  X7_CASSETTE_REDACT_JSON = 3    /* JSON object member name, any depth */
};

enum x7_cassette_report_format {
  X7_CASSETTE_REPORT_TEXT = 0,
  X7_CASSETTE_REPORT_JSON = 1 /* one line, canonical JSON */
};

/* A request as a custom matcher sees it: views borrowed for the call.
 * Both sides are redacted the same way, so secrets compare as their
 * placeholders. */
struct x7_cassette_request {
  struct x7_view method;  /* "GET", "POST", ... */
  struct x7_view url;     /* as recorded / as requested */
  struct x7_view headers; /* HttpHeadersTableV1, names lower case */
  struct x7_view body;    /* empty when the body is in the sidecar store */
  uint64_t body_len;      /* true length in every case */
};

/* Return 1 when `recorded` may answer `live`, else 0.  Called with the
 * cassette locked: do not call back into the cassette. */
typedef int x7_cassette_matcher_fn(const struct x7_cassette_request *live,
                                   const struct x7_cassette_request *recorded,
                                   void *ud);

struct x7_cassette_config;
struct x7_cassette;

/* ---- configuration ---- */

/* A config with every default: mode replay, match
 * X7_CASSETTE_MATCH_DEFAULT, exhaustion error, default redactions, bodies
 * above 65536 bytes in the sidecar store, fsync on, timings off.
 * X7_OK, X7_EINVAL, X7_ENOMEM (*pcfg NULL). */
X7_API x7_result x7_cassette_config_new(struct x7_cassette_config **pcfg);
X7_API void x7_cassette_config_free(struct x7_cassette_config *cfg);

/* X7_OK; X7_EINVAL (NULL cfg, unknown mode). */
X7_API x7_result x7_cassette_config_set_mode(struct x7_cassette_config *cfg,
                                             enum x7_rr_mode mode);
/* Key parts (enum x7_cassette_match bits); overrides the cassette's
 * stored settings.  X7_OK; X7_EINVAL (NULL cfg, unknown bits). */
X7_API x7_result x7_cassette_config_set_match(struct x7_cassette_config *cfg,
                                              unsigned bits);
/* Opt a request header into the key (case-insensitive).  X7_OK; X7_EINVAL
 * (NULL, empty or non-token name); X7_ENOMEM. */
X7_API x7_result x7_cassette_config_match_header(struct x7_cassette_config *cfg,
                                                 const char *name);
/* Leave a query parameter out of the key.  X7_OK; X7_EINVAL; X7_ENOMEM. */
X7_API x7_result x7_cassette_config_ignore_query(struct x7_cassette_config *cfg,
                                                 const char *name);
/* Add a predicate that must also accept a candidate.  `name` is stored
 * in the cassette; opening a cassette that names a matcher the config
 * does not provide fails (X7_EINVAL) rather than match loosely.  At most
 * 8 matchers.  X7_OK; X7_EINVAL (NULL fn or name, bad name); X7_ERANGE
 * (too many); X7_ENOMEM. */
X7_API x7_result x7_cassette_config_add_matcher(struct x7_cassette_config *cfg,
                                                const char *name,
                                                x7_cassette_matcher_fn *fn,
                                                void *ud);
/* X7_OK; X7_EINVAL. */
X7_API x7_result x7_cassette_config_set_exhaustion(
    struct x7_cassette_config *cfg, enum x7_cassette_exhaust policy);
/* Add a redaction rule on top of the defaults (cassettes/FORMAT.md §7).
 * X7_OK; X7_EINVAL (unknown kind, empty name); X7_ENOMEM. */
X7_API x7_result x7_cassette_config_redact(struct x7_cassette_config *cfg,
                                           enum x7_cassette_redact kind,
                                           const char *name);
/* A value that must never reach disk in any encoding (raw,
 * percent-encoded, base64, inside gzip bodies).  At least 6 bytes.
 * X7_OK; X7_EINVAL (shorter); X7_ENOMEM. */
X7_API x7_result x7_cassette_config_add_secret(struct x7_cassette_config *cfg,
                                               struct x7_view secret);
/* Strict mode: an unknown high-entropy token in a header, query value or
 * JSON string blocks the save (X7_ECASSETTE_SECRET) instead of being
 * written.  X7_OK; X7_EINVAL. */
X7_API x7_result x7_cassette_config_set_strict(struct x7_cassette_config *cfg,
                                               int on);
/* Keyed placeholders: with a salt, a redacted value becomes
 * "<redacted:NAME:HMAC12>" (distinct secrets stay distinct) instead of
 * "<redacted:NAME>".  X7_OK; X7_EINVAL; X7_ENOMEM. */
X7_API x7_result x7_cassette_config_set_salt(struct x7_cassette_config *cfg,
                                             struct x7_view salt);
/* Backend that recording sends requests to (default: the registry's
 * selection, i.e. X07_NET_BACKEND or "live").  X7_OK; X7_EINVAL;
 * X7_ENOMEM. */
X7_API x7_result x7_cassette_config_set_transport(
    struct x7_cassette_config *cfg, const char *backend_name);
/* Bodies longer than this go to the sidecar store.  X7_OK; X7_EINVAL. */
X7_API x7_result
x7_cassette_config_set_inline_max(struct x7_cassette_config *cfg, size_t bytes);
/* Keep per-interaction durations (then two recordings of the same server
 * differ in those fields).  X7_OK; X7_EINVAL. */
X7_API x7_result x7_cassette_config_set_timings(struct x7_cassette_config *cfg,
                                                int on);
/* fsync files and directories on save (default on; turn off on tmpfs
 * only).  X7_OK; X7_EINVAL. */
X7_API x7_result x7_cassette_config_set_fsync(struct x7_cassette_config *cfg,
                                              int on);
/* Policy hash recorded in the provenance (default: X07_OS_POLICY_HASH or
 * "none").  X7_OK; X7_EINVAL; X7_ENOMEM. */
X7_API x7_result x7_cassette_config_set_policy_hash(
    struct x7_cassette_config *cfg, const char *hash);

/* ---- the cassette ---- */

/* Open `path` (cfg NULL: defaults).  Loads and verifies the file in every
 * mode that replays or appends.
 * X7_OK; X7_EINVAL (bad path or config, e.g. a custom matcher the
 * cassette needs is missing); X7_ECASSETTE_FORMAT (corrupt, truncated,
 * empty, edited: the message is "path:offset: reason");
 * X7_ECASSETTE_VERSION (newer format); X7_ECASSETTE_BLOB (a sidecar body
 * is missing); X7_ECASSETTE_IO; X7_ENOTFOUND (the transport named in the
 * config does not exist); X7_ENOMEM.  A missing file is not an error: in
 * replay every fetch then misses with state "no cassette".  On failure
 * *pc is NULL and x7_cassette_errmsg(NULL) explains. */
X7_API x7_result x7_cassette_open(const char *path,
                                  const struct x7_cassette_config *cfg,
                                  struct x7_cassette **pc);
/* Free without saving (unsaved recordings are dropped).  NULL-safe.  An
 * installed cassette stays alive until the process exits. */
X7_API void x7_cassette_free(struct x7_cassette *c);
/* Write the cassette if this session recorded anything: blobs first,
 * then the file atomically (temp file, fsync, rename, fsync dir) under an
 * advisory lock "<path>.lock".  Interactions another process appended
 * meanwhile are kept (record, record_missing); in rewrite a concurrent
 * change is X7_ECASSETTE_CONFLICT.  X7_OK; X7_ECASSETTE_IO;
 * X7_ECASSETTE_SECRET (the scan found a secret: nothing written);
 * X7_ECASSETTE_CONFLICT; X7_ECASSETTE_FORMAT (the file on disk became
 * corrupt); X7_ENOMEM. */
X7_API x7_result x7_cassette_save(struct x7_cassette *c);

/* Fetch through the cassette: the doc twins of std.net.http.fetch_v1 and
 * fetch_to_file_v1 (same validation, same docs).  The sandbox policy gate
 * of the std.net twins is not applied here; install the cassette to get
 * it.  X7_OK with the response doc (or a NetErrDocV1: code 9 on a miss,
 * see x7_cassette_miss_report); X7_ENOTSUPPORTED (mode off); X7_ENOMEM;
 * a transport failure while recording. */
X7_API x7_result x7_cassette_fetch_v1(struct x7_cassette *c, struct x7_view req,
                                      struct x7_bytes *pout);
X7_API x7_result x7_cassette_fetch_to_file_v1(struct x7_cassette *c,
                                              struct x7_view req,
                                              struct x7_view out_rel_path,
                                              struct x7_bytes *pout);
/* The backend-level fetch: a request the core already decoded. */
X7_API x7_result x7_cassette_http_fetch(struct x7_cassette *c,
                                        const struct x7_http_fetch *req,
                                        struct x7_bytes *presp);

/* Make c the process backend (wrapping the transport when recording).
 * Must run before the first std.net call.  X7_OK; X7_ETOOLATE (the
 * backend is already frozen, or another cassette is installed);
 * X7_EINVAL. */
X7_API x7_result x7_cassette_install(struct x7_cassette *c);
/* The cassette behind the frozen backend (installed or from
 * X07_NET_CASSETTE), borrowed.  X7_OK; X7_ENOTFOUND (none in use);
 * X7_EINVAL. */
X7_API x7_result x7_cassette_current(struct x7_cassette **pc);

/* Start every sequence from its first response again.  X7_OK, X7_EINVAL. */
X7_API x7_result x7_cassette_rewind(struct x7_cassette *c);

/* The report of the most recent miss: cassette, request (secrets
 * masked), state (never recorded / exhausted n of m / no cassette), the
 * three nearest candidates with field diffs and a relaxation hint.
 * X7_OK; X7_ENOTFOUND (no miss yet); X7_EINVAL; X7_ENOMEM. */
X7_API x7_result x7_cassette_miss_report(struct x7_cassette *c,
                                         enum x7_cassette_report_format f,
                                         struct x7_bytes *pout);
/* Interactions never replayed since open (or the last rewind), as text
 * or JSON.  X7_OK; X7_EINVAL; X7_ENOMEM. */
X7_API x7_result x7_cassette_unused_report(struct x7_cassette *c,
                                           enum x7_cassette_report_format f,
                                           struct x7_bytes *pout);

struct x7_cassette_stats {
  uint64_t interactions; /* loaded + recorded this session */
  uint64_t recorded;     /* recorded this session */
  uint64_t replayed;     /* answers served from the cassette */
  uint64_t misses;       /* code-9 answers */
  uint64_t unused;       /* interactions never replayed */
  uint64_t virtual_us;   /* virtual clock: sum of replayed durations */
};
/* X7_OK; X7_EINVAL. */
X7_API x7_result x7_cassette_stats(struct x7_cassette *c,
                                   struct x7_cassette_stats *ps);

/* The mode in effect (once resolves to replay or rewrite at open). */
X7_API enum x7_rr_mode x7_cassette_mode(const struct x7_cassette *c);

/* Human text for the last failure of c, or with c NULL the calling
 * thread's last failed x7_cassette_open.  Borrowed, valid until the next
 * call on c (or on this thread); "" when there is none. */
X7_API const char *x7_cassette_errmsg(const struct x7_cassette *c);

/* "replay" <-> X7_RR_REPLAY ... (names as in X07_NET_RR_MODE).  parse:
 * X7_OK; X7_EINVAL (NULL or unknown name).  name: NULL if unknown. */
X7_API x7_result x7_cassette_mode_parse(const char *name,
                                        enum x7_rr_mode *pmode);
X7_API const char *x7_cassette_mode_name(enum x7_rr_mode mode);

/* Re-write a hand-edited cassette in canonical form with a fresh
 * checksum (the edit must still be valid JSON of the format).  X7_OK;
 * X7_ECASSETTE_FORMAT; X7_ECASSETTE_VERSION; X7_ECASSETTE_IO;
 * X7_ECASSETTE_NOFILE; X7_ENOMEM. */
X7_API x7_result x7_cassette_file_reseal(const char *path);

#ifdef __cplusplus
}
#endif
#endif /* X7_CASSETTE_H */
