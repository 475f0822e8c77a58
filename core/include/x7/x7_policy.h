/*
 * x7_policy.h - the run-os-sandboxed policy (workflow spec §3-§4):
 * policy files, derived policies, the X07_* environment contract and the
 * reason of the last denial.
 *
 * A program linked with x7net is sandboxed when it starts with
 * X07_OS_SANDBOXED=1 (or X07_WORLD=run-os-sandboxed) in its environment:
 * every std.net operation then checks its destination against the policy
 * carried by the X07_OS_* variables, read once per process.  Without them
 * it runs as `os`: no checks, as upstream.  A denied operation returns
 * NetErrDocV1 code 1 (policy_denied) and never sends a DNS query or opens
 * a socket; x7_policy_last_denial() says why.  With X07_NET_LOG=1 every
 * denial is also logged to stderr (one line).
 *
 * Ownership: struct x7_policy objects are made by x7_policy_parse / _load
 * / _env_read and released with x7_policy_free (NULL-safe); they are
 * immutable, so one object may be shared by threads.  Every struct
 * x7_bytes output is owned by the caller (x7_bytes_free); on any result
 * other than X7_OK the outputs are left empty, except *perrmsg, which
 * holds the message of an X7_EINVAL (a NUL follows the bytes, not counted
 * in len, so ptr may be used as a C string).  perrmsg may be NULL.
 */
#ifndef X7_POLICY_H
#define X7_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X7_POLICY_SCHEMA_VERSION "x07.run-os-policy@0.1.0"
/* Where x07 run puts derived policies, relative to the policy root. */
#define X7_POLICY_GENERATED_DIR ".x07/policies/_generated"

struct x7_policy;

/* ---- policy files (x07.run-os-policy@0.1.0) ---- */

/* Parse and validate policy JSON: the schema of workflow spec §3.1
 * (required sections, no unknown keys, types, ranges, lengths, patterns)
 * and then the runner's checks of §3.2.  source names the input in
 * messages ("<source>: policy.limits.cpu_ms must be 1..600000 (got 0)");
 * NULL means "policy".
 * X7_OK (*ppolicy set); X7_EINVAL (NULL argument or invalid policy:
 * *perrmsg says where and why); X7_ENOMEM. */
X7_API x7_result x7_policy_parse(struct x7_view json, const char *source,
                                 struct x7_policy **ppolicy,
                                 struct x7_bytes *perrmsg);

/* x7_policy_parse of a file's contents; the path is the source.
 * X7_OK; X7_EINVAL (also when the file cannot be read: *perrmsg names
 * the errno); X7_ENOMEM. */
X7_API x7_result x7_policy_load(const char *path, struct x7_policy **ppolicy,
                                struct x7_bytes *perrmsg);

/* NULL-safe. */
X7_API void x7_policy_free(struct x7_policy *p);

/* 1 when the policy is a sandbox (every policy from a file is), 0 for the
 * `os` policy that x7_policy_env_read gives without X07_OS_SANDBOXED=1. */
X7_API int x7_policy_is_sandboxed(const struct x7_policy *p);

/* The policy_id (a NUL-terminated string owned by p; "" when the policy
 * came from the environment, which does not carry it). */
X7_API const char *x7_policy_id(const struct x7_policy *p);

/* The http-client base policy that `x07 policy init --template
 * http-client` writes, byte for byte (spec §3.3).  X7_OK, X7_EINVAL,
 * X7_ENOMEM. */
X7_API x7_result x7_policy_template_http_client(struct x7_bytes *pout);

/* ---- derived policies (x07 run --allow-host / --deny-host, §4.3) ---- */

/* The overrides of one `x07 run`.  Each list is an array of NUL-terminated
 * strings (NULL allowed when its count is 0).  Host specs are
 * "HOST:PORT[,PORT...]" ("[v6]:PORTS" for IPv6); deny specs may also be
 * "HOST:*".  *_file_texts are the contents of --allow-host-file /
 * --deny-host-file files (UTF-8; one spec per line, blank lines and
 * `#` comments skipped); their specs come before the command-line ones. */
struct x7_policy_overrides {
  const char *const *allow_hosts;
  size_t allow_hosts_len;
  const char *const *deny_hosts;
  size_t deny_hosts_len;
  const struct x7_view *allow_host_file_texts;
  size_t allow_host_file_texts_len;
  const struct x7_view *deny_host_file_texts;
  size_t deny_host_file_texts_len;
  const char *const *allow_read_roots;
  size_t allow_read_roots_len;
  const char *const *allow_write_roots;
  size_t allow_write_roots_len;
};

/* Derive a policy from the base policy file bytes and the overrides.
 * base_path is the absolute path of the base file, quoted in the notes.
 * *pjson gets the derived policy (canonical pretty JSON, sorted keys, a
 * final newline) and *pname its file name "<base_id>.g<hex8>.policy.json"
 * (the caller writes it under <policy root>/X7_POLICY_GENERATED_DIR, e.g.
 * with x7_policy_write_file).  Deterministic: the same inputs always give
 * the same bytes (hosts new to the base are appended in sorted order).
 * X7_OK; X7_EINVAL (NULL argument, invalid base or derived policy, bad
 * spec: *perrmsg says why, in the words of x07 run); X7_ENOMEM. */
X7_API x7_result x7_policy_derive(struct x7_view base, const char *base_path,
                                  const struct x7_policy_overrides *ov,
                                  struct x7_bytes *pjson,
                                  struct x7_bytes *pname,
                                  struct x7_bytes *perrmsg);

/* Write bytes to path atomically (a temp file ".<name>.<pid>.<n>.tmp"
 * next to it, then rename) unless the file already holds exactly these
 * bytes.  *pwritten (may be NULL) gets 1 if the file was written, 0 if it
 * was kept.  Parent directories are not created.
 * X7_OK; X7_EINVAL (NULL path or bad view); X7_EINTERNAL (I/O error). */
X7_API x7_result x7_policy_write_file(const char *path, struct x7_view bytes,
                                      int *pwritten);

/* ---- the environment contract (§4.5) ---- */

/* The variables that carry p to a program: "KEY=VALUE\0" entries, one
 * after the other (split at the NULs to build an envp).  A sandbox policy
 * gives X07_WORLD=run-os-sandboxed, X07_OS_SANDBOXED=1 and every X07_OS_*
 * variable of the spec in the runner's order; an `os` policy gives only
 * X07_WORLD.  X7_OK, X7_EINVAL, X7_ENOMEM. */
X7_API x7_result x7_policy_env_write(const struct x7_policy *p,
                                     struct x7_bytes *penv);

/* The policy those variables describe.  envp is a NULL-terminated
 * "KEY=VALUE" array, or NULL for the process environment.  Missing
 * variables take the runtime's sandbox defaults (deny; THREADS and
 * DENY_HIDDEN 1); booleans are true only for exactly "1".
 * X7_OK; X7_EINVAL (NULL ppolicy); X7_ENOMEM. */
X7_API x7_result x7_policy_env_read(const char *const *envp,
                                    struct x7_policy **ppolicy);

/* ---- decisions and denials ---- */

/* What an operation does with its destination. */
enum x7_policy_op {
  X7_POLICY_HTTP = 1,        /* an HTTP(S) fetch (each redirect hop) */
  X7_POLICY_DNS_LOOKUP = 2,  /* std.net.dns.lookup_v1 */
  X7_POLICY_TCP_CONNECT = 3, /* std.net.tcp.connect_v1 */
  X7_POLICY_TLS_CONNECT = 4, /* std.net.tls.connect_v1 */
  X7_POLICY_TCP_LISTEN = 5,  /* std.net.tcp.listen_v1 */
  X7_POLICY_UDP_BIND = 6,    /* std.net.udp.bind_v1 */
  X7_POLICY_UDP_SENDTO = 7   /* std.net.udp.sendto_v1 */
};

/* The whole decision for one destination without any network access:
 * host (a name or an IP literal, as a program would give it) and port
 * checked as op would check them, then, for a name, the addresses it
 * resolved to (text, e.g. "127.0.0.1" or "::1"; naddrs may be 0 to check
 * only the name stage).  *pallowed gets 1 or 0; a denial is recorded for
 * x7_policy_last_denial (but not logged).  A NULL p means the process
 * policy.  X7_OK; X7_EINVAL (NULL host or pallowed, bad op). */
X7_API x7_result x7_policy_check(const struct x7_policy *p,
                                 enum x7_policy_op op, const char *host,
                                 uint32_t port, const char *const *addrs,
                                 size_t naddrs, int *pallowed);

/* 1 when the process runs sandboxed (reads the environment on first
 * use). */
X7_API int x7_policy_process_sandboxed(void);

/* Why the calling thread's last denied operation was denied.  Strings are
 * NUL-terminated and truncated to fit. */
struct x7_policy_denial {
  enum x7_policy_op op;
  char rule[32];     /* short id: "not-allowed", "special-range", ... */
  char reason[160];  /* one English sentence */
  char host[256];    /* the destination as given (or canonical) */
  uint32_t port;     /* 0 when none */
  char address[48];  /* the resolved address that failed, or "" */
};

/* X7_OK (*pout filled); X7_ENOTFOUND (no denial on this thread since it
 * started or since x7_policy_clear_denial); X7_EINVAL (NULL). */
X7_API x7_result x7_policy_last_denial(struct x7_policy_denial *pout);
X7_API void x7_policy_clear_denial(void);

#ifdef __cplusplus
}
#endif
#endif /* X7_POLICY_H */
