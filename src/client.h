/* The client's state, shared by client.c (configuration, signing) and
 * http.c (the libcurl transport). */
#ifndef COC_CLIENT_H
#define COC_CLIENT_H

#include <curl/curl.h>

#include "coc.h"

struct coc_client {
  /* configuration, owned copies */
  char *endpoint, *host, *ak, *sk, *security_token, *auth_token;
  char *domain_id, *project_id, *user_agent, *ca_file, *proxy;
  size_t sk_len;
  coc_config cfg; /* numbers; its strings point at the copies above */

  /* the request being prepared */
  coc_buf url, path, query, canonical, signed_names, authorization;
  char date[17];
  coc_prepared prepared;

  /* the transport */
  CURL *curl;
  struct curl_slist *slist;
  char curl_error[CURL_ERROR_SIZE];
  coc_buf response;
  int response_too_large;
  char request_id[128];
  char content_type[128];
  char retry_after[64];
  unsigned long long rng;
};

void coc_error_set(coc_error *err, coc_error_kind kind, const char *code, const char *fmt, ...);
/* http.c: the easy handle and its fixed options. */
int coc_http_open(coc_client *c, coc_error *err);

#endif
