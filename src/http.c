/* The libcurl transport. Each slot owns an easy handle, so its connection
 * is kept alive across calls; single calls use the client's main slot,
 * batches a pool of slots on one multi handle. Timeouts are bounded;
 * retries are opt-in, with exponential backoff, jitter, Retry-After and a
 * total deadline, and every attempt is signed afresh. */
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

/* ---- one slot ----------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  coc_slot *s = ud;
  size_t len = size * n;
  if (s->response.len + len > s->max_response) {
    s->too_large = 1;
    return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
  }
  return coc_buf_add(&s->response, data, len) ? 0 : len;
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
  coc_slot *s = ud;
  size_t len = size * n;
  if (len > 5 && !memcmp(line, "HTTP/", 5)) { /* a new response starts */
    s->request_id[0] = s->content_type[0] = s->retry_after[0] = '\0';
    coc_buf_reset(&s->response);
    return len;
  }
  switch (len ? line[0] | 0x20 : 0) { /* most lines are none of the three */
  case 'x': keep_header(line, len, "x-request-id", s->request_id, sizeof s->request_id); break;
  case 'c': keep_header(line, len, "content-type", s->content_type, sizeof s->content_type); break;
  case 'r': keep_header(line, len, "retry-after", s->retry_after, sizeof s->retry_after); break;
  default: break;
  }
  return len;
}

/* Whether libcurl could find a proxy in the environment: any of the
 * variables it reads, for any scheme, even set to "". */
static int env_proxy(void) {
  static const char *const names[] = { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                       "all_proxy", "ALL_PROXY" };
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (getenv(names[i])) return 1;
  return 0;
}

static int slot_open(coc_client *c, coc_slot *s) {
  CURL *h;
  memset(s, 0, sizeof *s);
  coc_buf_init(&s->header_text);
  coc_buf_init(&s->response);
  coc_buf_init(&s->url);
  s->max_response = c->cfg.max_response;
  if (!(h = s->easy = curl_easy_init()) || !(s->parsed_url = curl_url())) return -1;
  curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)s);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->curl_error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)s);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, (void *)s);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->cfg.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->cfg.ssl_verify ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->cfg.ssl_verify ? 2L : 0L);
  if (c->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
  if (c->proxy) {
    curl_easy_setopt(h, CURLOPT_PROXY, c->proxy);
  } else if (c->no_env_proxy) {
    /* what libcurl would find in the environment, said once rather than
     * looked up (six getenv calls) on every transfer */
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "");
  }
  return 0;
}

static void slot_close(coc_slot *s) {
  if (s->easy) curl_easy_cleanup(s->easy);
  s->easy = NULL;
  curl_url_cleanup(s->parsed_url); /* after the handle that used it */
  s->parsed_url = NULL;
  /* the header text held the token or the signature */
  if (s->header_text.ptr) OPENSSL_cleanse(s->header_text.ptr, s->header_text.cap);
  coc_buf_free(&s->header_text);
  coc_buf_free(&s->response);
  coc_buf_free(&s->url);
}

/* Signs the request afresh and points the slot's handle at it. The header
 * list is built from nodes in the slot over one text buffer, so a steady
 * stream of requests allocates nothing here. */
static coc_status slot_setup(coc_client *c, coc_slot *s, const coc_batch_item *it, long long deadline,
                             coc_error *err) {
  coc_prepared p;
  size_t i, off[COC_MAX_HEADERS], n;
  long long left = deadline - now_ms();
  coc_status st = coc_client_prepare(c, it->method, it->path, it->query, it->body, it->body_len,
                                     (long long)time(NULL), &p, err);
  if (st != COC_OK) return st;
  coc_buf_reset(&s->header_text);
  for (i = 0; i < p.nheaders; i++) {
    off[i] = s->header_text.len;
    coc_buf_adds(&s->header_text, p.headers[i].name);
    coc_buf_add(&s->header_text, ": ", 2);
    coc_buf_adds(&s->header_text, p.headers[i].value);
    coc_buf_addc(&s->header_text, '\0');
  }
  off[i] = s->header_text.len;
  coc_buf_add(&s->header_text, "Expect:", 8); /* never wait for 100 Continue */
  n = p.nheaders + 1;
  if (s->header_text.oom) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
    return COC_ENOMEM;
  }
  for (i = 0; i < n; i++) {
    s->nodes[i].data = s->header_text.ptr + off[i];
    s->nodes[i].next = i + 1 < n ? &s->nodes[i + 1] : NULL;
  }
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->nodes);
  /* Given a URL string, libcurl parses and normalizes it again on every
   * transfer, a tenth of its work for a small request; given a parsed URL
   * handle (CURLOPT_CURLU), it only copies it. The string is set too, so
   * that what libcurl reports (the effective URL) stays the same. */
  if (strcmp(s->url.ptr ? s->url.ptr : "", p.url)) {
    CURLUcode uc;
    coc_buf_reset(&s->url);
    if (coc_buf_adds(&s->url, p.url)) {
      coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
      return COC_ENOMEM;
    }
    if ((uc = curl_url_set(s->parsed_url, CURLUPART_URL, p.url, 0)) != CURLUE_OK) {
      coc_buf_reset(&s->url); /* parse it again next time */
      if (uc == CURLUE_OUT_OF_MEMORY) {
        coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
        return COC_ENOMEM;
      }
      coc_error_set(err, COC_ERR_CONFIG, "COC.CONFIG", "libcurl rejects the URL %s (CURLUcode %d)", p.url,
                    (int)uc);
      return COC_ECONFIG;
    }
    curl_easy_setopt(s->easy, CURLOPT_URL, p.url);
    curl_easy_setopt(s->easy, CURLOPT_CURLU, s->parsed_url);
  }
  if (it->body) {
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, it->body);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->body_len);
  } else {
    curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, it->method);
  curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS,
                   (long)(left < c->cfg.timeout_ms ? (left > 0 ? left : 1) : c->cfg.timeout_ms));
  coc_buf_reset(&s->response);
  s->too_large = 0;
  s->curl_error[0] = s->request_id[0] = s->content_type[0] = s->retry_after[0] = '\0';
  return COC_OK;
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
static int transfer_error(coc_client *c, coc_slot *s, CURLcode rc, long status, coc_error *err) {
  const char *detail = s->curl_error[0] ? s->curl_error : curl_easy_strerror(rc);
  if (s->too_large) {
    coc_error_set(err, COC_ERR_NETWORK, "COC.RESPONSE_TOO_LARGE",
                  "the response from %s is larger than %zu bytes", c->endpoint, s->max_response);
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

int coc_retryable_status(long s) { return s == 429 || s == 502 || s == 503 || s == 504; }

/* Retry-After in milliseconds (seconds or an HTTP date); -1 when absent. */
static long long retry_after_ms(const coc_slot *s) {
  char *end;
  long v;
  time_t when, now = time(NULL);
  /* anything past the longest deadline means "not before the deadline"; the
   * cap also keeps a hostile value (found by fuzz/fuzz_response.c) from
   * overflowing the multiplication */
  const long cap = COC_MAX_TIMEOUT_MS / 1000 + 1;
  if (!s->retry_after[0]) return -1;
  v = strtol(s->retry_after, &end, 10);
  if (end != s->retry_after && !*end && v >= 0) return (long long)(v < cap ? v : cap) * 1000;
  when = curl_getdate(s->retry_after, NULL);
  if (when == (time_t)-1) return -1;
  if (when <= now) return 0;
  return (long long)(when - now < cap ? when - now : cap) * 1000;
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

/* After a transfer: the outcome, and whether (and when) to try again.
 * Returns the wait in ms before a retry, or -1 when the item is done. */
static long long slot_outcome(coc_client *c, coc_slot *s, CURLcode rc, coc_status *st,
                              coc_response *out, coc_error *err) {
  long status = 0, n = 0;
  long long wait, ra;
  int retry;
  curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &n);
  s->connects += n;
  if (err) memset(err, 0, sizeof *err);
  if (rc == CURLE_OK && s->response.oom) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "not enough memory");
    retry = 0;
  } else {
    retry = rc == CURLE_OK ? coc_retryable_status(status) : transfer_error(c, s, rc, status, err);
  }
  wait = backoff_ms(c, s->attempt);
  ra = rc == CURLE_OK ? retry_after_ms(s) : -1;
  if (ra > wait) wait = ra;
  if (retry && s->attempt <= c->cfg.max_retries && now_ms() + wait < s->deadline) return wait;

  memset(out, 0, sizeof *out);
  if (err) err->attempts = s->attempt;
  if (rc != CURLE_OK || s->response.oom) {
    *st = COC_ESEND;
    return -1;
  }
  *st = COC_OK;
  out->status = status;
  out->body = coc_buf_cstr(&s->response);
  out->body_len = s->response.len;
  out->request_id = s->request_id;
  out->content_type = s->content_type;
  out->attempts = s->attempt;
  out->new_connections = s->connects;
  return -1;
}

/* ---- the client's transport ------------------------------------------- */

int coc_http_open(coc_client *c, coc_error *err) {
  static int initialized;
  if (!initialized) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "libcurl could not initialize");
      return -1;
    }
    initialized = 1;
  }
  c->no_env_proxy = !env_proxy();
  if (slot_open(c, &c->main)) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "libcurl could not create a handle");
    return -1;
  }
  return 0;
}

void coc_http_close(coc_client *c) {
  size_t i;
  for (i = 0; i < c->npool; i++) {
    if (c->pool[i].running) curl_multi_remove_handle(c->multi, c->pool[i].easy);
    slot_close(&c->pool[i]);
  }
  free(c->pool);
  c->pool = NULL;
  c->npool = 0;
  if (c->multi) curl_multi_cleanup(c->multi);
  c->multi = NULL;
  slot_close(&c->main);
}

coc_status coc_client_send(coc_client *c, const char *method, const char *path,
                           const char *query, const char *body, size_t body_len,
                           coc_response *out, coc_error *err) {
  coc_slot *s = &c->main;
  coc_batch_item it;
  coc_status st = COC_OK;
  long long wait;
  it.method = method;
  it.path = path;
  it.query = query;
  it.body = body;
  it.body_len = body_len;
  s->deadline = now_ms() + c->cfg.deadline_ms;
  s->connects = 0;
  memset(out, 0, sizeof *out);
  if (err) memset(err, 0, sizeof *err);
  for (s->attempt = 1;; s->attempt++) {
    coc_status setup = slot_setup(c, s, &it, s->deadline, err);
    if (setup != COC_OK) return setup;
    wait = slot_outcome(c, s, curl_easy_perform(s->easy), &st, out, err);
    if (wait < 0) return st;
    sleep_ms(wait);
  }
}

/* ---- batches: the multi interface ------------------------------------- */

static int pool_grow(coc_client *c, size_t want) {
  coc_slot *pool;
  if (!c->multi && !(c->multi = curl_multi_init())) return -1;
  if (want <= c->npool) return 0;
  /* slots hold their own address (CURLOPT_PRIVATE, header nodes), so the
   * pool is reallocated only while no handle is in use */
  pool = realloc(c->pool, want * sizeof *pool);
  if (!pool) return -1;
  c->pool = pool;
  while (c->npool < want) {
    if (slot_open(c, &c->pool[c->npool])) {
      slot_close(&c->pool[c->npool]);
      return -1;
    }
    c->npool++;
  }
  {
    size_t i; /* fix the self-pointers of slots moved by realloc */
    for (i = 0; i < c->npool; i++) {
      curl_easy_setopt(c->pool[i].easy, CURLOPT_PRIVATE, (void *)&c->pool[i]);
      curl_easy_setopt(c->pool[i].easy, CURLOPT_WRITEDATA, (void *)&c->pool[i]);
      curl_easy_setopt(c->pool[i].easy, CURLOPT_HEADERDATA, (void *)&c->pool[i]);
      curl_easy_setopt(c->pool[i].easy, CURLOPT_ERRORBUFFER, c->pool[i].curl_error);
    }
  }
  curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)want);
  curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)want);
  return 0;
}

/* Starts (or restarts) the transfer of the slot's item. */
static coc_status slot_start(coc_client *c, coc_slot *s, const coc_batch_item *items, coc_error *err) {
  coc_status st = slot_setup(c, s, &items[s->item], s->deadline, err);
  if (st != COC_OK) return st;
  if (curl_multi_add_handle(c->multi, s->easy) != CURLM_OK) {
    coc_error_set(err, COC_ERR_MEMORY, "COC.MEMORY", "libcurl could not add a transfer");
    return COC_ENOMEM;
  }
  s->running = 1;
  return COC_OK;
}

static void stop_all(coc_client *c, size_t active) {
  size_t i;
  for (i = 0; i < active; i++) {
    if (c->pool[i].running) curl_multi_remove_handle(c->multi, c->pool[i].easy);
    c->pool[i].running = c->pool[i].busy = 0;
  }
}

coc_status coc_client_send_batch(coc_client *c, const coc_batch_item *items, size_t n,
                                 int concurrency, coc_batch_done done, void *ud) {
  size_t next = 0, finished = 0, active, i;
  coc_response res;
  coc_error err;
  coc_status st;
  if (concurrency < 1) concurrency = 1;
  if (concurrency > COC_MAX_CONCURRENCY) concurrency = COC_MAX_CONCURRENCY;
  active = (size_t)concurrency < n ? (size_t)concurrency : n;
  if (n == 0) return COC_OK;
  if (pool_grow(c, active)) return COC_ENOMEM;

  while (finished < n) {
    long long now = now_ms(), soonest = -1;
    int still, queued;
    CURLMsg *msg;
    /* bind free slots to the next items; restart retries that are due */
    for (i = 0; i < active; i++) {
      coc_slot *s = &c->pool[i];
      int start = 0;
      if (!s->busy && next < n) {
        s->busy = 1;
        s->item = next++;
        s->attempt = 1;
        s->connects = 0;
        s->deadline = now + c->cfg.deadline_ms;
        start = 1;
      } else if (s->busy && !s->running && s->next_at <= now) {
        s->attempt++;
        start = 1;
      }
      if (start && (st = slot_start(c, s, items, &err)) != COC_OK) {
        s->busy = 0;
        finished++;
        if (done(ud, s->item, COC_ESEND, NULL, &err)) {
          stop_all(c, active);
          return COC_ECANCELED;
        }
      }
      if (s->busy && !s->running && (soonest < 0 || s->next_at < soonest)) soonest = s->next_at;
    }
    if (curl_multi_perform(c->multi, &still) != CURLM_OK) {
      stop_all(c, active);
      return COC_ENOMEM;
    }
    while ((msg = curl_multi_info_read(c->multi, &queued))) {
      coc_slot *s = NULL;
      long long wait;
      if (msg->msg != CURLMSG_DONE) continue;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
      curl_multi_remove_handle(c->multi, s->easy);
      s->running = 0;
      wait = slot_outcome(c, s, msg->data.result, &st, &res, &err);
      if (wait >= 0) {
        s->next_at = now_ms() + wait;
        if (soonest < 0 || s->next_at < soonest) soonest = s->next_at;
        continue;
      }
      s->busy = 0;
      finished++;
      if (done(ud, s->item, st, st == COC_OK ? &res : NULL, &err)) {
        stop_all(c, active);
        return COC_ECANCELED;
      }
    }
    if (finished < n) {
      long long wait = soonest < 0 ? 1000 : soonest - now_ms();
      int has_free = 0;
      for (i = 0; i < active; i++) has_free |= !c->pool[i].busy && next < n;
      if (has_free) wait = 0;
      if (wait > 0) curl_multi_poll(c->multi, NULL, 0, (int)(wait > 1000 ? 1000 : wait), NULL);
    }
  }
  return COC_OK;
}
