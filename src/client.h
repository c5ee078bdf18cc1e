/* The client's state, shared by client.c (configuration, signing), sign.c
 * and http.c (the libcurl transport). */
#ifndef COC_CLIENT_H
#define COC_CLIENT_H

#include <curl/curl.h>

#include "coc.h"

/* A signer bound to one SK: digests fetched once, contexts reused. */
typedef struct coc_signer coc_signer;
coc_signer *coc_signer_new(const char *sk, size_t sk_len);
void coc_signer_free(coc_signer *s);
coc_status coc_signer_sign(coc_signer *s, const char *method, const char *path, const char *query,
                           const coc_header *headers, size_t nheaders,
                           const char *body, size_t body_len, const char *sdk_date,
                           coc_buf *canonical, coc_buf *signed_names, char signature[65]);

#define COC_MAX_HEADERS (COC_MAX_SIGNED_HEADERS + 2)

/* One transfer's state: an easy handle (and so a kept-alive connection),
 * its header list and its answer. Reused call after call. */
typedef struct coc_slot {
  CURL *easy;
  struct curl_slist nodes[COC_MAX_HEADERS]; /* our own list: no allocation */
  coc_buf header_text;
  coc_buf response;
  coc_buf url;          /* the URL last given to libcurl */
  CURLU *parsed_url;    /* ... parsed once, not on every transfer */
  size_t max_response;
  int too_large;
  char curl_error[CURL_ERROR_SIZE];
  char request_id[128];
  char content_type[128];
  char retry_after[64];
  /* batch bookkeeping */
  size_t item;
  int attempt;
  int busy;             /* bound to an item */
  int running;          /* added to the multi handle */
  long long next_at;    /* when to retry, ms on the monotonic clock */
  long long deadline;   /* the item's deadline */
  long connects;
} coc_slot;

struct coc_client {
  /* configuration, owned copies */
  char *endpoint, *host, *ak, *sk, *security_token, *auth_token;
  char *domain_id, *project_id, *user_agent, *ca_file, *proxy;
  size_t sk_len, ak_len, endpoint_len;
  coc_config cfg; /* numbers; its strings point at the copies above */
  coc_signer *signer;

  /* the request being prepared */
  coc_buf url, path, query, canonical, signed_names, authorization;
  char date[17];
  long long date_time;

  /* the transport */
  int no_env_proxy;  /* no proxy variable was set when the client was made */
  coc_slot main;     /* single calls */
  coc_slot *pool;    /* batch transfers */
  size_t npool;
  CURLM *multi;
  unsigned long long rng;
};

void coc_error_set(coc_error *err, coc_error_kind kind, const char *code, const char *fmt, ...);
/* http.c */
int coc_http_open(coc_client *c, coc_error *err);
void coc_http_close(coc_client *c);

#endif
