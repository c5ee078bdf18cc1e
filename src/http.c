/* The libcurl transport: one easy handle per client, so its connection is
 * kept alive across calls; bounded timeouts; opt-in retries with
 * exponential backoff, jitter, Retry-After and a total deadline. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "client.h"

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms) {
  struct timespec ts;
  if (ms <= 0) return;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  coc_client *c = ud;
  size_t len = size * n;
  if (c->response.len + len > c->cfg.max_response) {
    c->response_too_large = 1;
    return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
  }
  return coc_buf_add(&c->response, data, len) ? 0 : len;
}

/* Copies a header's value if its name matches, trimmed, cut to the size. */
static void keep_header(const char *line, size_t len, const char *name, char *dst, size_t dstsz) {
  size_t nlen = strlen(name), i;
  if (len <= nlen || line[nlen] != ':') return;
  for (i = 0; i < nlen; i++)
    if (tolower((unsigned char)line[i]) != name[i]) return;
  line += nlen + 1;
  len -= nlen + 1;
  while (len && isspace((unsigned char)*line)) line++, len--;
  while (len && isspace((unsigned char)line[len - 1])) len--;
  if (len >= dstsz) len = dstsz - 1;
  memcpy(dst, line, len);
  dst[len] = '\0';
}

static size_t on_header(char *line, size_t size, size_t n, void *ud) {
  coc_client *c = ud;
  size_t len = size * n;
  if (len > 5 && !memcmp(line, "HTTP/", 5)) { /* a new response starts */
    c->request_id[0] = c->content_type[0] = c->retry_after[0] = '\0';
    coc_buf_reset(&c->response);
    return len;
  }
  keep_header(line, len, "x-request-id", c->request_id, sizeof c->request_id);
  keep_header(line, len, "content-type", c->content_type, sizeof c->content_type);
  keep_header(line, len, "retry-after", c->retry_after, sizeof c->retry_after);
  return len;
}

int coc_http_open(coc_client *c, coc_error *err) {
  static int initialized;
  CURL *h;
  if (!initialized) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "libcurl could not initialize");
      return -1;
    }
    initialized = 1;
  }
  if (!(h = c->curl = curl_easy_init())) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "libcurl could not create a handle");
    return -1;
  }
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->cfg.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->cfg.ssl_verify ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->cfg.ssl_verify ? 2L : 0L);
  if (c->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
  if (c->proxy) curl_easy_setopt(h, CURLOPT_PROXY, c->proxy);
  return 0;
}

/* One "Name: value" line per prepared header, plus "Expect:" so libcurl
 * never waits for a 100 Continue. */
static int set_headers(coc_client *c, const coc_prepared *p) {
  coc_buf line;
  size_t i;
  struct curl_slist *list = NULL, *next;
  coc_buf_init(&line);
  for (i = 0; i <= p->nheaders; i++) {
    coc_buf_reset(&line);
    if (i < p->nheaders) {
      coc_buf_adds(&line, p->headers[i].name);
      coc_buf_adds(&line, ": ");
      coc_buf_adds(&line, p->headers[i].value);
    } else {
      coc_buf_adds(&line, "Expect:");
    }
    if (line.oom || !(next = curl_slist_append(list, line.ptr))) {
      curl_slist_free_all(list);
      list = NULL;
      break;
    }
    list = next;
  }
  if (line.ptr) OPENSSL_cleanse(line.ptr, line.cap); /* it held the token */
  coc_buf_free(&line);
  if (!list) return -1;
  curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, list);
  curl_slist_free_all(c->slist);
  c->slist = list;
  return 0;
}

static int is_tls_error(CURLcode rc) {
  switch (rc) {
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
    return 1;
  default:
    return 0;
  }
}

/* Fills err for a failed transfer; says whether a retry may help. */
static int transfer_error(coc_client *c, CURLcode rc, long status, coc_error *err) {
  const char *detail = c->curl_error[0] ? c->curl_error : curl_easy_strerror(rc);
  if (c->response_too_large) {
    coc_error_set(err, COC_ERR_NETWORK, "COC.RESPONSE_TOO_LARGE",
                  "the response from %s is larger than %zu bytes", c->endpoint, c->cfg.max_response);
    return 0;
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    coc_error_set(err, COC_ERR_TIMEOUT, "COC.TIMEOUT", "%s: %s", c->endpoint, detail);
    return status == 0;
  }
  if (is_tls_error(rc)) {
    coc_error_set(err, COC_ERR_TLS, "COC.TLS", "TLS with %s failed: %s", c->endpoint, detail);
    return 0;
  }
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    coc_error_set(err, COC_ERR_NETWORK, "COC.RESOLVE", "%s: %s", c->endpoint, detail);
    return 1;
  case CURLE_COULDNT_CONNECT:
    coc_error_set(err, COC_ERR_NETWORK, "COC.CONNECT", "%s: %s", c->endpoint, detail);
    return 1;
  case CURLE_OUT_OF_MEMORY:
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
    return 0;
  default:
    coc_error_set(err, COC_ERR_NETWORK, "COC.CONNECTION", "%s: %s", c->endpoint, detail);
    return status == 0; /* only when no answer had started */
  }
}

static int retryable_status(long s) { return s == 429 || s == 502 || s == 503 || s == 504; }

/* Retry-After in milliseconds (seconds or an HTTP date); -1 when absent. */
static long long retry_after_ms(const coc_client *c) {
  char *end;
  long v;
  time_t when;
  if (!c->retry_after[0]) return -1;
  v = strtol(c->retry_after, &end, 10);
  if (end != c->retry_after && !*end && v >= 0) return (long long)v * 1000;
  when = curl_getdate(c->retry_after, NULL);
  if (when == (time_t)-1) return -1;
  return when > time(NULL) ? (long long)(when - time(NULL)) * 1000 : 0;
}

/* Exponential backoff with equal jitter: half fixed, half random. */
static long long backoff_ms(coc_client *c, int attempt) {
  long long d = c->cfg.retry_base_ms;
  int i;
  for (i = 1; i < attempt && d < c->cfg.retry_max_ms; i++) d *= 2;
  if (d > c->cfg.retry_max_ms) d = c->cfg.retry_max_ms;
  c->rng ^= c->rng << 13;
  c->rng ^= c->rng >> 7;
  c->rng ^= c->rng << 17;
  return d / 2 + (long long)(c->rng % (unsigned long long)(d / 2 + 1));
}

coc_status coc_client_send(coc_client *c, const char *method, const char *path,
                           const char *query, const char *body, size_t body_len,
                           coc_response *out, coc_error *err) {
  long long deadline = now_ms() + c->cfg.deadline_ms;
  long connects = 0;
  int attempt;
  memset(out, 0, sizeof *out);
  if (err) memset(err, 0, sizeof *err);
  for (attempt = 1;; attempt++) {
    coc_prepared p;
    CURLcode rc;
    long status = 0, n = 0;
    long long left = deadline - now_ms(), wait;
    int retry;
    if (coc_client_prepare(c, method, path, query, body, body_len, (long long)time(NULL), &p, err) != COC_OK)
      return COC_ECONFIG;
    if (set_headers(c, &p)) {
      coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
      return COC_ENOMEM;
    }
    curl_easy_setopt(c->curl, CURLOPT_URL, p.url);
    if (body) {
      curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else {
      curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS,
                     (long)(left < c->cfg.timeout_ms ? (left > 0 ? left : 1) : c->cfg.timeout_ms));
    coc_buf_reset(&c->response);
    c->response_too_large = 0;
    c->curl_error[0] = c->request_id[0] = c->content_type[0] = c->retry_after[0] = '\0';

    rc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &n);
    connects += n;
    if (rc == CURLE_OK && c->response.oom) {
      coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
      return COC_ENOMEM;
    }
    retry = rc == CURLE_OK ? retryable_status(status) : transfer_error(c, rc, status, err);
    wait = backoff_ms(c, attempt);
    if (rc == CURLE_OK && retry_after_ms(c) > wait) wait = retry_after_ms(c);
    if (!retry || attempt > c->cfg.max_retries || now_ms() + wait >= deadline) {
      if (err) err->attempts = attempt;
      if (rc != CURLE_OK) return COC_ESEND;
      out->status = status;
      out->body = coc_buf_cstr(&c->response);
      out->body_len = c->response.len;
      out->request_id = c->request_id;
      out->content_type = c->content_type;
      out->attempts = attempt;
      out->new_connections = connects;
      return COC_OK;
    }
    sleep_ms(wait);
  }
}
