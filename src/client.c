/* Client configuration and request preparation: the headers, the URL and
 * the SDK-HMAC-SHA256 signature of one request. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "client.h"
#include "internal.h"

#define CONTENT_TYPE "application/json;charset=UTF-8"

void coc_error_set(coc_error *err, coc_error_kind kind, const char *code, const char *fmt, ...) {
  va_list ap;
  if (!err) return;
  err->kind = kind;
  err->code = code;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

void coc_config_defaults(coc_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->ssl_verify = 1;
  cfg->connect_timeout_ms = 60000;
  cfg->timeout_ms = 120000;
  cfg->deadline_ms = 300000;
  cfg->max_response = 1u << 20;
  cfg->retry_base_ms = 100;
  cfg->retry_max_ms = 60000;
}

/* Secrets are wiped before their memory goes back to the allocator. */
static void free_secret(char *s) {
  if (s) OPENSSL_cleanse(s, strlen(s));
  free(s);
}

void coc_client_free(coc_client *c) {
  if (!c) return;
  coc_http_close(c);
  coc_signer_free(c->signer);
  free_secret(c->sk);
  free_secret(c->security_token);
  free_secret(c->auth_token);
  free(c->endpoint);
  free(c->host);
  free(c->ak);
  free(c->domain_id);
  free(c->project_id);
  free(c->user_agent);
  free(c->ca_file);
  free(c->proxy);
  if (c->authorization.ptr) OPENSSL_cleanse(c->authorization.ptr, c->authorization.cap);
  coc_buf_free(&c->url);
  coc_buf_free(&c->path);
  coc_buf_free(&c->query);
  coc_buf_free(&c->canonical);
  coc_buf_free(&c->signed_names);
  coc_buf_free(&c->authorization);
  free(c);
}

void coc_client_secrets(const coc_client *c, const char *out[3]) {
  out[0] = c->sk;
  out[1] = c->security_token;
  out[2] = c->auth_token;
}

/* A value that goes into a header must not be able to add one. */
static int header_safe(const char *s) {
  for (; *s; s++)
    if (*s == '\r' || *s == '\n') return 0;
  return 1;
}

static int copy(char **dst, const char *src, const char *name, coc_error *err) {
  if (!src || !*src) return 0;
  if (!header_safe(src)) {
    coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "%s must not contain CR or LF", name);
    return -1;
  }
  if (!(*dst = strdup(src))) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
    return -1;
  }
  return 0;
}

/* endpoint: http(s)://host[:port] with at most a trailing slash. */
static int parse_endpoint(coc_client *c, const char *ep, coc_error *err) {
  const char *host;
  size_t len;
  if (!ep || !*ep) {
    coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "no endpoint: give region or endpoint");
    return -1;
  }
  if (!strncmp(ep, "https://", 8)) host = ep + 8;
  else if (!strncmp(ep, "http://", 7)) host = ep + 7;
  else {
    coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "endpoint must start with https:// or http://");
    return -1;
  }
  len = strcspn(host, "/?#");
  if (len == 0 || (host[len] && strcmp(host + len, "/")) || strpbrk(host, " \t\r\n@")) {
    coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "endpoint must be scheme://host[:port], got \"%.200s\"", ep);
    return -1;
  }
  c->endpoint = malloc((size_t)(host - ep) + len + 1);
  c->host = malloc(len + 1);
  if (!c->endpoint || !c->host) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
    return -1;
  }
  memcpy(c->endpoint, ep, (size_t)(host - ep) + len);
  c->endpoint[(host - ep) + len] = '\0';
  memcpy(c->host, host, len);
  c->host[len] = '\0';
  return 0;
}

static int check_range(long v, long lo, long hi, const char *name, coc_error *err) {
  if (v >= lo && v <= hi) return 0;
  coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "%s must be in %ld..%ld, got %ld", name, lo, hi, v);
  return -1;
}

static int check_config(const coc_config *cfg, coc_error *err) {
  int signing = cfg->ak && *cfg->ak;
  if (signing != (cfg->sk && *cfg->sk)) {
    coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "ak and sk go together: give both or neither");
    return -1;
  }
  if (signing == (cfg->auth_token && *cfg->auth_token)) {
    coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG",
                  signing ? "give either ak/sk or auth_token, not both"
                          : "no credentials: give ak and sk, or auth_token");
    return -1;
  }
  if (!signing && cfg->security_token && *cfg->security_token) {
    coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "security_token goes with ak and sk");
    return -1;
  }
  return check_range(cfg->connect_timeout_ms, 1, COC_MAX_TIMEOUT_MS, "connect_timeout (ms)", err) ||
         check_range(cfg->timeout_ms, 1, COC_MAX_TIMEOUT_MS, "timeout (ms)", err) ||
         check_range(cfg->deadline_ms, 1, COC_MAX_TIMEOUT_MS, "deadline (ms)", err) ||
         check_range(cfg->max_retries, 0, COC_MAX_RETRIES, "max_retries", err) ||
         check_range(cfg->retry_base_ms, 1, COC_MAX_TIMEOUT_MS, "retry_base (ms)", err) ||
         check_range(cfg->retry_max_ms, 1, COC_MAX_TIMEOUT_MS, "retry_max (ms)", err) ||
         check_range((long)(cfg->max_response >> 10), 1, 1L << 16, "max_response (KiB)", err);
}


coc_client *coc_client_new(const coc_config *cfg, coc_error *err) {
  coc_client *c;
  char ua[64];
  if (err) memset(err, 0, sizeof *err);
  if (check_config(cfg, err)) return NULL;
  if (!(c = calloc(1, sizeof *c))) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
    return NULL;
  }
  snprintf(ua, sizeof ua, "lua-coc/%s", COC_VERSION);
  if (parse_endpoint(c, cfg->endpoint, err) ||
      copy(&c->ak, cfg->ak, "ak", err) || copy(&c->sk, cfg->sk, "sk", err) ||
      copy(&c->security_token, cfg->security_token, "security_token", err) ||
      copy(&c->auth_token, cfg->auth_token, "auth_token", err) ||
      copy(&c->domain_id, cfg->domain_id, "domain_id", err) ||
      copy(&c->project_id, cfg->project_id, "project_id", err) ||
      copy(&c->user_agent, cfg->user_agent ? cfg->user_agent : ua, "user_agent", err) ||
      copy(&c->ca_file, cfg->ca_file, "ca_file", err) ||
      copy(&c->proxy, cfg->proxy, "proxy", err)) {
    coc_client_free(c);
    return NULL;
  }
  c->cfg = *cfg;
  c->sk_len = c->sk ? strlen(c->sk) : 0;
  c->ak_len = c->ak ? strlen(c->ak) : 0;
  c->endpoint_len = strlen(c->endpoint);
  if (c->sk && !(c->signer = coc_signer_new(c->sk, c->sk_len))) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "could not set up the signer");
    coc_client_free(c);
    return NULL;
  }
  c->rng = (unsigned long long)time(NULL) ^ (unsigned long long)(size_t)c;
  if (coc_http_open(c, err)) {
    coc_client_free(c);
    return NULL;
  }
  return c;
}

static void add_header(coc_prepared *p, const char *name, const char *value) {
  p->headers[p->nheaders].name = name;
  p->headers[p->nheaders].value = value;
  p->nheaders++;
}

/* The canonical path as it goes into the URL: a segment that is "." or ".."
 * (a change_id of ".." or "." included) goes as %2E / %2E%2E, or libcurl
 * would resolve it as a dot segment and send the request to another
 * resource. The server decodes it back, so the signature, over the
 * canonical "..", still holds. Found by spec/12-security_spec.lua. */
static void add_url_path(coc_buf *url, const char *p, size_t len) {
  size_t i = 0;
  while (i < len) {
    const char *slash = memchr(p + i, '/', len - i);
    size_t end = slash ? (size_t)(slash - p) : len, n = end - i;
    if ((n == 1 && p[i] == '.') || (n == 2 && p[i] == '.' && p[i + 1] == '.'))
      coc_buf_adds(url, n == 1 ? "%2E" : "%2E%2E");
    else
      coc_buf_add(url, p + i, n);
    if (slash) coc_buf_addc(url, '/');
    i = end + 1;
  }
}

coc_status coc_client_prepare(coc_client *c, const char *method, const char *path,
                              const char *query, const char *body, size_t body_len,
                              long long now, coc_prepared *p, coc_error *err) {
  char signature[65];
  size_t nsigned;
  coc_status st;
  if (!method || !*method || strpbrk(method, " \r\n") || !path || !header_safe(path) ||
      (query && !header_safe(query))) {
    coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "bad method, path or query");
    return COC_ECONFIG;
  }
  coc_buf_reset(&c->path);
  coc_buf_reset(&c->query);
  coc_buf_reset(&c->url);
  if (coc_uri_canonical_path(&c->path, path, strlen(path)) ||
      (query && coc_uri_canonical_query(&c->query, query, strlen(query)))) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
    return COC_ENOMEM;
  }
  buf_put(&c->url, c->endpoint, c->endpoint_len);
  add_url_path(&c->url, c->path.ptr, c->path.len);
  if (c->query.len) {
    coc_buf_addc(&c->url, '?');
    coc_buf_add(&c->url, c->query.ptr, c->query.len);
  }

  memset(p, 0, sizeof *p);
  p->method = method;
  p->body = body;
  p->body_len = body_len;
  /* the signed headers first, already in the signer's (lowercase) order */
  if (body) add_header(p, "Content-Type", CONTENT_TYPE);
  add_header(p, "Host", c->host);
  if (c->domain_id) add_header(p, "X-Domain-Id", c->domain_id);
  if (c->project_id) add_header(p, "X-Project-Id", c->project_id);
  if (c->ak) {
    if (now != c->date_time || !c->date[0]) { /* strftime once a second, not per call */
      coc_sdk_date(now, c->date);
      c->date_time = now;
    }
    add_header(p, "X-Sdk-Date", c->date);
  }
  if (c->security_token) add_header(p, "X-Security-Token", c->security_token);
  nsigned = p->nheaders;
  add_header(p, "User-Agent", c->user_agent);
  add_header(p, "Accept", "application/json");
  if (c->auth_token) add_header(p, "X-Auth-Token", c->auth_token);
  if (c->ak) {
    st = coc_signer_sign(c->signer, method, c->path.ptr, c->query.len ? c->query.ptr : "", p->headers,
                         nsigned, body, body_len, c->date, &c->canonical, &c->signed_names, signature);
    if (st != COC_OK) {
      coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "signing failed");
      return st;
    }
    coc_buf_reset(&c->authorization);
    buf_put(&c->authorization, COC_SIGN_ALGORITHM " Access=", sizeof COC_SIGN_ALGORITHM " Access=" - 1);
    buf_put(&c->authorization, c->ak, c->ak_len);
    buf_put(&c->authorization, ", SignedHeaders=", sizeof ", SignedHeaders=" - 1);
    buf_put(&c->authorization, c->signed_names.ptr, c->signed_names.len);
    buf_put(&c->authorization, ", Signature=", sizeof ", Signature=" - 1);
    buf_put(&c->authorization, signature, 64);
    add_header(p, "Authorization", coc_buf_cstr(&c->authorization));
    p->canonical_request = coc_buf_cstr(&c->canonical);
  }
  p->url = coc_buf_cstr(&c->url);
  if (c->url.oom || c->authorization.oom) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
    return COC_ENOMEM;
  }
  return COC_OK;
}
