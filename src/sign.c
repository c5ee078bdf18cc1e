/* SDK-HMAC-SHA256, the Huawei Cloud API gateway's AK/SK signature, with
 * OpenSSL's libcrypto doing the hashing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "client.h"
#include "internal.h"

/* OpenSSL 3 looks algorithms up by name on every implicit use; each signer
 * fetches them once (a client lives long) and frees them with itself, so
 * nothing is left behind when the module is unloaded. */
struct coc_signer {
  EVP_MD *sha256;
  EVP_MAC *hmac;
  EVP_MD_CTX *md;
  EVP_MAC_CTX *mac; /* keyed once with the SK */
};

/* Two hex digits a byte, looked up: "00" "01" ... "ff". */
static const char hex_pairs[513] =
  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
  "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
  "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
  "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
  "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static void to_hex(const unsigned char *in, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++) memcpy(out + 2 * i, hex_pairs + 2 * in[i], 2);
  out[2 * n] = '\0';
}

static int digest_hex(EVP_MD_CTX *ctx, const EVP_MD *sha256, const void *data, size_t len, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_DigestInit_ex2(ctx, sha256, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
      !EVP_DigestFinal_ex(ctx, md, &mdlen))
    return -1;
  to_hex(md, mdlen, out);
  return 0;
}

int coc_sha256_hex(const void *data, size_t len, char out[65]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = ctx ? digest_hex(ctx, EVP_sha256(), data, len, out) : -1;
  EVP_MD_CTX_free(ctx);
  return rc;
}

void coc_signer_free(coc_signer *s) {
  if (!s) return;
  EVP_MD_CTX_free(s->md);
  EVP_MAC_CTX_free(s->mac); /* OpenSSL wipes the key */
  EVP_MAC_free(s->hmac);
  EVP_MD_free(s->sha256);
  free(s);
}

coc_signer *coc_signer_new(const char *sk, size_t sk_len) {
  OSSL_PARAM params[2];
  coc_signer *s;
  if (!(s = calloc(1, sizeof *s))) return NULL;
  if (!(s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) || !(s->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL))) {
    coc_signer_free(s);
    return NULL;
  }
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
  params[1] = OSSL_PARAM_construct_end();
  if (!(s->md = EVP_MD_CTX_new()) || !(s->mac = EVP_MAC_CTX_new(s->hmac)) ||
      !EVP_MAC_init(s->mac, (const unsigned char *)sk, sk_len, params)) {
    coc_signer_free(s);
    return NULL;
  }
  return s;
}

void coc_sdk_date(long long unix_time, char out[17]) {
  time_t t = (time_t)unix_time;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* Header names compared lowercase, without building copies. */
static int name_cmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = lower((unsigned char)*a), y = lower((unsigned char)*b);
    if (x != y || !x) return x - y;
  }
}

/* Header names are ASCII: copied and lowercased in one pass. */
static void add_lower(coc_buf *b, const char *s, size_t n) {
  char *o;
  size_t i;
  if (b->len + n >= b->cap && coc_buf_reserve(b, n)) return;
  o = b->ptr + b->len;
  for (i = 0; i < n; i++) o[i] = (char)lower((unsigned char)s[i]);
  b->len += n;
  b->ptr[b->len] = '\0';
}

static int space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

/* The value with leading and trailing white space trimmed. */
static void add_trimmed(coc_buf *b, const char *s) {
  size_t len = strlen(s);
  while (len && space(*s)) s++, len--;
  while (len && space(s[len - 1])) len--;
  buf_put(b, s, len);
}

coc_status coc_signer_sign(coc_signer *s, const char *method, const char *path, const char *query,
                           const coc_header *headers, size_t nheaders,
                           const char *body, size_t body_len, const char *sdk_date,
                           coc_buf *canonical, coc_buf *signed_names, char signature[65]) {
  size_t order[COC_MAX_SIGNED_HEADERS], i, j, plen = strlen(path), maclen = 0;
  char hash[65], text[sizeof COC_SIGN_ALGORITHM + 1 + 16 + 1 + 64 + 1];
  unsigned char mac[EVP_MAX_MD_SIZE];
  int n;

  if (nheaders > COC_MAX_SIGNED_HEADERS) return COC_ECONFIG;
  for (i = 0; i < nheaders; i++) { /* insertion sort: a handful of headers */
    for (j = i; j > 0 && name_cmp(headers[order[j - 1]].name, headers[i].name) > 0; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }

  coc_buf_reset(canonical);
  coc_buf_reset(signed_names);
  buf_puts(canonical, method);
  buf_putc(canonical, '\n');
  buf_put(canonical, path, plen);
  if (plen == 0 || path[plen - 1] != '/') buf_putc(canonical, '/');
  buf_putc(canonical, '\n');
  buf_puts(canonical, query ? query : "");
  buf_putc(canonical, '\n');
  for (i = 0; i < nheaders; i++) {
    const coc_header *h = &headers[order[i]];
    size_t start;
    if (i) buf_putc(signed_names, ';');
    start = signed_names->len;
    add_lower(signed_names, h->name, strlen(h->name));
    buf_put(canonical, signed_names->ptr + start, signed_names->len - start);
    buf_putc(canonical, ':');
    add_trimmed(canonical, h->value);
    buf_putc(canonical, '\n');
  }
  buf_putc(canonical, '\n');
  buf_put(canonical, signed_names->ptr, signed_names->len);
  buf_putc(canonical, '\n');
  if (digest_hex(s->md, s->sha256, body ? body : "", body_len, hash)) return COC_ENOMEM;
  buf_put(canonical, hash, 64);
  if (canonical->oom || signed_names->oom) return COC_ENOMEM;

  /* string to sign: algorithm, date, hash of the canonical request */
  if (digest_hex(s->md, s->sha256, canonical->ptr, canonical->len, hash)) return COC_ENOMEM;
  if (strlen(sdk_date) != 16) return COC_ECONFIG;
  n = sizeof COC_SIGN_ALGORITHM - 1;
  memcpy(text, COC_SIGN_ALGORITHM "\n", (size_t)n + 1);
  memcpy(text + n + 1, sdk_date, 16);
  text[n + 17] = '\n';
  memcpy(text + n + 18, hash, 64);
  n += 18 + 64;
  /* a NULL key restarts the MAC with the key it already holds */
  if (!EVP_MAC_init(s->mac, NULL, 0, NULL) || !EVP_MAC_update(s->mac, (const unsigned char *)text, (size_t)n) ||
      !EVP_MAC_final(s->mac, mac, &maclen, sizeof mac))
    return COC_ENOMEM;
  to_hex(mac, maclen, signature);
  return COC_OK;
}

coc_status coc_sign(const char *method, const char *path, const char *query,
                    const coc_header *headers, size_t nheaders,
                    const char *body, size_t body_len, const char *sdk_date,
                    const char *sk, size_t sk_len,
                    coc_buf *canonical, coc_buf *signed_names, char signature[65]) {
  coc_signer *s = coc_signer_new(sk, sk_len);
  coc_status st;
  if (!s) return COC_ENOMEM;
  st = coc_signer_sign(s, method, path, query, headers, nheaders, body, body_len, sdk_date,
                       canonical, signed_names, signature);
  coc_signer_free(s);
  return st;
}
