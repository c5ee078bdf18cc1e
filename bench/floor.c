/* The floor for sequential throughput: a plain C program doing the same
 * signed PUT as client:update_change, with one reused libcurl handle and
 * the cheapest signing libcrypto allows. The same PUT means the same header
 * set on the wire (Host, User-Agent and Accept as the module sends them), so
 * that the ratio measures the module, not a choice of headers.
 * Usage: floor URL N USER_AGENT */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char body[] =
  "{\"ticket_info\":{\"phase\":\"phase_change_end\",\"work_flow_status\":\"COMPLETE\"},"
  "\"history_info\":{\"action\":\"change_complete_success\"}}";

static size_t sink(char *p, size_t s, size_t n, void *ud) { (void)p; (void)ud; return s * n; }

static void hex(const unsigned char *in, size_t n, char *out) {
  static const char h[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) { out[2 * i] = h[in[i] >> 4]; out[2 * i + 1] = h[in[i] & 15]; }
  out[2 * n] = 0;
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : NULL;
  long n = argc > 2 ? atol(argv[2]) : 0, i;
  const char *ua = argc > 3 ? argv[3] : NULL;
  EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MD_CTX *mctx = EVP_MD_CTX_new();
  EVP_MAC_CTX *hctx = EVP_MAC_CTX_new(mac);
  OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                          OSSL_PARAM_construct_end() };
  char host[256], canonical[1024], sts[256], h1[65], h2[65], sig[65], date[17], hdr[4][512], host_h[300],
    ua_h[300];
  unsigned char d[64];
  unsigned int dl;
  size_t ml;
  struct timespec t0 = { 0, 0 }, t1;
  CURL *c;
  const char *p;
  if (!url || n <= 0 || !ua) { fprintf(stderr, "usage: floor URL N USER_AGENT\n"); return 2; }
  p = strstr(url, "://") + 3;
  snprintf(host, sizeof host, "%.*s", (int)strcspn(p, "/"), p);
  snprintf(host_h, sizeof host_h, "Host: %s", host);
  snprintf(ua_h, sizeof ua_h, "User-Agent: %s", ua);
  EVP_MAC_init(hctx, (const unsigned char *)"bench-secret-key", 16, params);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  /* 50 untimed requests first: the client side is warmed up the same way */
  for (i = -50; i < n; i++) {
    struct curl_slist *l = NULL;
    time_t now = time(NULL);
    struct tm tm;
    long status = 0;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
    EVP_DigestInit_ex2(mctx, md, NULL);
    EVP_DigestUpdate(mctx, body, strlen(body));
    EVP_DigestFinal_ex(mctx, d, &dl);
    hex(d, dl, h1);
    snprintf(canonical, sizeof canonical,
             "PUT\n/v2/changes/CHG-1/\n\ncontent-type:application/json;charset=UTF-8\nhost:%s\n"
             "x-domain-id:bench-domain\nx-sdk-date:%s\n\ncontent-type;host;x-domain-id;x-sdk-date\n%s",
             host, date, h1);
    EVP_DigestInit_ex2(mctx, md, NULL);
    EVP_DigestUpdate(mctx, canonical, strlen(canonical));
    EVP_DigestFinal_ex(mctx, d, &dl);
    hex(d, dl, h2);
    snprintf(sts, sizeof sts, "SDK-HMAC-SHA256\n%s\n%s", date, h2);
    EVP_MAC_init(hctx, NULL, 0, NULL);
    EVP_MAC_update(hctx, (const unsigned char *)sts, strlen(sts));
    EVP_MAC_final(hctx, d, &ml, sizeof d);
    hex(d, ml, sig);
    snprintf(hdr[0], sizeof hdr[0], "X-Sdk-Date: %s", date);
    snprintf(hdr[1], sizeof hdr[1], "Authorization: SDK-HMAC-SHA256 Access=bench-ak, "
             "SignedHeaders=content-type;host;x-domain-id;x-sdk-date, Signature=%s", sig);
    l = curl_slist_append(l, "Content-Type: application/json;charset=UTF-8");
    l = curl_slist_append(l, host_h);
    l = curl_slist_append(l, "X-Domain-Id: bench-domain");
    l = curl_slist_append(l, hdr[0]);
    l = curl_slist_append(l, ua_h);
    l = curl_slist_append(l, "Accept: application/json");
    l = curl_slist_append(l, hdr[1]);
    l = curl_slist_append(l, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
    if (curl_easy_perform(c) != CURLE_OK) { fprintf(stderr, "floor: request failed\n"); return 1; }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(l);
    if (status != 200) { fprintf(stderr, "floor: HTTP %ld\n", status); return 1; }
    if (i == -1) clock_gettime(CLOCK_MONOTONIC, &t0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  curl_easy_cleanup(c);
  EVP_MAC_CTX_free(hctx);
  EVP_MD_CTX_free(mctx);
  EVP_MAC_free(mac);
  EVP_MD_free(md);
  curl_global_cleanup();
  return 0;
}
