/* peer_tls.c - throw-away test PKI made with the openssl CLI (see
 * peer.h). */
#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

extern char **environ;

/* A config of our own keeps the certificates independent of the host's
 * /etc/ssl/openssl.cnf (default extensions, policies). */
static const char openssl_cnf[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = unused\n"
    "[v3_ca]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n";

#define DAYS "30"
#define RUN_TIMEOUT_MS 20000

struct ossl_env {
  char conf_var[X7T_PATH_MAX + 32];
  const char **envp;
};

/* environ with OPENSSL_CONF pointing at our config (x509 -req has no
 * -config option but still loads a config at start-up). */
static int env_build(struct ossl_env *e, const char *dir) {
  size_t n = 0, j = 0;
  while (environ[n]) n++;
  e->envp = calloc(n + 2, sizeof *e->envp);
  if (!e->envp) return X7T_PEER_ERR;
  snprintf(e->conf_var, sizeof e->conf_var, "OPENSSL_CONF=%s/openssl.cnf",
           dir);
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "OPENSSL_CONF=", 13) != 0)
      e->envp[j++] = environ[i];
  e->envp[j++] = e->conf_var;
  e->envp[j] = NULL;
  return X7T_PEER_OK;
}

static int run_openssl(struct x7t_pki *p, const char *const argv[]) {
  struct ossl_env e;
  char log[X7T_PATH_MAX + 16];
  int rc;
  if (env_build(&e, p->dir) != X7T_PEER_OK)
    return x7t_peer_fail(X7T_PEER_ERR, "out of memory");
  snprintf(log, sizeof log, "%s/openssl.log", p->dir);
  rc = x7t_run(argv, e.envp, log, RUN_TIMEOUT_MS);
  free(e.envp);
  return rc;
}

/* Temp dirs leave 64 bytes of room (x7t_tmpdir_new) and names are at
 * most 36 bytes, so this cannot truncate. */
static void path_in(const struct x7t_pki *p, char *out, const char *name) {
  const char *dir = p->dir;
  if (snprintf(out, X7T_PATH_MAX, "%s/%s", dir, name) >= X7T_PATH_MAX)
    out[0] = '\0';
}

/* -subj is parsed by openssl: '/', '+', '=' and '\' would change the
 * name's structure, so they are simply refused. */
static int name_ok(const char *s) {
  return s && *s && !strpbrk(s, "/\\+=,\n\r\"");
}

static int make_ca(struct x7t_pki *p, const char *cn, const char *cert,
                   const char *key) {
  char subj[256], cnf[X7T_PATH_MAX];
  path_in(p, cnf, "openssl.cnf");
  snprintf(subj, sizeof subj, "/CN=%s", cn);
  const char *argv[] = {p->openssl, "req", "-x509", "-config", cnf,
                        "-extensions", "v3_ca", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-days", DAYS,
                        "-sha256", "-subj", subj, NULL};
  return run_openssl(p, argv);
}

static int issue(struct x7t_pki *p, const char *stem, const char *cn,
                 const char *san, int untrusted, char *cert_out,
                 char *key_out) {
  char cert[X7T_PATH_MAX], key[X7T_PATH_MAX], csr[X7T_PATH_MAX],
      ext[X7T_PATH_MAX], cnf[X7T_PATH_MAX], subj[256], serial[24], tmp[64];
  char extbody[1024];
  int rc;
  if (!name_ok(stem) || !name_ok(cn) || !san || strpbrk(san, "\n\r") ||
      strlen(stem) > 32)
    return x7t_peer_fail(X7T_PEER_ERR, "pki: bad stem, cn or san");
  snprintf(tmp, sizeof tmp, "%s.pem", stem);
  path_in(p, cert, tmp);
  snprintf(tmp, sizeof tmp, "%s.key", stem);
  path_in(p, key, tmp);
  snprintf(tmp, sizeof tmp, "%s.csr", stem);
  path_in(p, csr, tmp);
  snprintf(tmp, sizeof tmp, "%s.ext", stem);
  path_in(p, ext, tmp);
  path_in(p, cnf, "openssl.cnf");
  snprintf(subj, sizeof subj, "/CN=%s", cn);
  snprintf(serial, sizeof serial, "%d", p->next_serial++);
  if ((size_t)snprintf(extbody, sizeof extbody,
                       "basicConstraints = critical,CA:FALSE\n"
                       "keyUsage = critical,digitalSignature\n"
                       "extendedKeyUsage = serverAuth\n"
                       "subjectAltName = %s\n"
                       "subjectKeyIdentifier = hash\n"
                       "authorityKeyIdentifier = keyid\n",
                       san) >= sizeof extbody)
    return x7t_peer_fail(X7T_PEER_ERR, "pki: san too long");
  if ((rc = x7t_write_file(ext, extbody, strlen(extbody))) != X7T_PEER_OK)
    return rc;
  {
    const char *argv[] = {p->openssl, "req", "-new", "-config", cnf,
                          "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                          key, "-out", csr, "-subj", subj, NULL};
    if ((rc = run_openssl(p, argv)) != X7T_PEER_OK) return rc;
  }
  {
    const char *argv[] = {p->openssl, "x509", "-req", "-in", csr, "-CA",
                          untrusted ? p->untrusted_ca_cert : p->ca_cert,
                          "-CAkey",
                          untrusted ? p->untrusted_ca_key : p->ca_key,
                          "-set_serial", serial, "-days", DAYS, "-sha256",
                          "-extfile", ext, "-out", cert, NULL};
    if ((rc = run_openssl(p, argv)) != X7T_PEER_OK) return rc;
  }
  if (cert_out) snprintf(cert_out, X7T_PATH_MAX, "%s", cert);
  if (key_out) snprintf(key_out, X7T_PATH_MAX, "%s", key);
  return X7T_PEER_OK;
}

int x7t_pki_issue(struct x7t_pki *p, const char *stem, const char *cn,
                  const char *san, int untrusted, char *cert, char *key) {
  if (!p) return x7t_peer_fail(X7T_PEER_ERR, "pki is NULL");
  return issue(p, stem, cn, san, untrusted, cert, key);
}

int x7t_pki_new(struct x7t_pki **pout) {
  struct x7t_pki *p;
  char cnf[X7T_PATH_MAX];
  int rc;
  if (!pout) return x7t_peer_fail(X7T_PEER_ERR, "pout is NULL");
  *pout = NULL;
  p = calloc(1, sizeof *p);
  if (!p) return x7t_peer_fail(X7T_PEER_ERR, "out of memory");
  p->next_serial = 2;
  if ((rc = x7t_find_exe(getenv("X7T_OPENSSL") ? getenv("X7T_OPENSSL")
                                                : "openssl",
                         p->openssl, sizeof p->openssl)) != X7T_PEER_OK ||
      (rc = x7t_tmpdir_new("pki", p->dir, sizeof p->dir)) != X7T_PEER_OK) {
    free(p);
    return rc;
  }
  path_in(p, cnf, "openssl.cnf");
  path_in(p, p->ca_cert, "ca.pem");
  path_in(p, p->ca_key, "ca.key");
  path_in(p, p->untrusted_ca_cert, "untrusted_ca.pem");
  path_in(p, p->untrusted_ca_key, "untrusted_ca.key");
  if ((rc = x7t_write_file(cnf, openssl_cnf, sizeof openssl_cnf - 1)) ||
      (rc = make_ca(p, "x7t CA", p->ca_cert, p->ca_key)) ||
      (rc = make_ca(p, "x7t untrusted CA", p->untrusted_ca_cert,
                    p->untrusted_ca_key)) ||
      (rc = issue(p, "server", "localhost",
                  "DNS:localhost,IP:127.0.0.1,IP:::1", 0, p->server_cert,
                  p->server_key)) ||
      (rc = issue(p, "wrong", "wrong.test", "DNS:wrong.test", 0,
                  p->wrong_cert, p->wrong_key)) ||
      (rc = issue(p, "untrusted", "localhost",
                  "DNS:localhost,IP:127.0.0.1,IP:::1", 1, p->untrusted_cert,
                  p->untrusted_key))) {
    x7t_pki_free(p);
    return rc;
  }
  *pout = p;
  return X7T_PEER_OK;
}

void x7t_pki_free(struct x7t_pki *p) {
  if (!p) return;
  x7t_tmpdir_remove(p->dir);
  free(p);
}
