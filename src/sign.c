/* SDK-HMAC-SHA256, the Huawei Cloud API gateway's AK/SK signature, with
 * OpenSSL's libcrypto doing the hashing. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "coc.h"

static void to_hex(const unsigned char *in, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = hex[in[i] >> 4];
    out[2 * i + 1] = hex[in[i] & 15];
  }
  out[2 * n] = '\0';
}

int coc_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL)) return -1;
  to_hex(md, mdlen, out);
  return 0;
}

void coc_sdk_date(long long unix_time, char out[17]) {
  time_t t = (time_t)unix_time;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Header names compared lowercase, without building copies. */
static int name_cmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
    if (x != y || !x) return x - y;
  }
}

static void add_lower(coc_buf *b, const char *s) {
  for (; *s; s++) coc_buf_addc(b, (char)tolower((unsigned char)*s));
}

/* The value with leading and trailing white space trimmed. */
static void add_trimmed(coc_buf *b, const char *s) {
  size_t len = strlen(s);
  while (len && isspace((unsigned char)*s)) s++, len--;
  while (len && isspace((unsigned char)s[len - 1])) len--;
  coc_buf_add(b, s, len);
}

coc_status coc_sign(const char *method, const char *path, const char *query,
                    const coc_header *headers, size_t nheaders,
                    const char *body, size_t body_len, const char *sdk_date,
                    const char *sk, size_t sk_len,
                    coc_buf *canonical, coc_buf *signed_names, char signature[65]) {
  size_t order[COC_MAX_SIGNED_HEADERS], i, j, plen = strlen(path);
  char hash[65];
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;

  if (nheaders > COC_MAX_SIGNED_HEADERS) return COC_ECONFIG;
  for (i = 0; i < nheaders; i++) { /* insertion sort: a handful of headers */
    for (j = i; j > 0 && name_cmp(headers[order[j - 1]].name, headers[i].name) > 0; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }

  coc_buf_reset(canonical);
  coc_buf_reset(signed_names);
  coc_buf_adds(canonical, method);
  coc_buf_addc(canonical, '\n');
  coc_buf_add(canonical, path, plen);
  if (plen == 0 || path[plen - 1] != '/') coc_buf_addc(canonical, '/');
  coc_buf_addc(canonical, '\n');
  coc_buf_adds(canonical, query ? query : "");
  coc_buf_addc(canonical, '\n');
  for (i = 0; i < nheaders; i++) {
    const coc_header *h = &headers[order[i]];
    add_lower(canonical, h->name);
    coc_buf_addc(canonical, ':');
    add_trimmed(canonical, h->value);
    coc_buf_addc(canonical, '\n');
    if (i) coc_buf_addc(signed_names, ';');
    add_lower(signed_names, h->name);
  }
  coc_buf_addc(canonical, '\n');
  coc_buf_add(canonical, signed_names->ptr, signed_names->len);
  coc_buf_addc(canonical, '\n');
  if (coc_sha256_hex(body ? body : "", body_len, hash)) return COC_ENOMEM;
  coc_buf_add(canonical, hash, 64);
  if (canonical->oom || signed_names->oom) return COC_ENOMEM;

  /* string to sign: algorithm, date, hash of the canonical request */
  if (coc_sha256_hex(canonical->ptr, canonical->len, hash)) return COC_ENOMEM;
  {
    char text[sizeof COC_SIGN_ALGORITHM + 1 + 16 + 1 + 64 + 1];
    int n = snprintf(text, sizeof text, "%s\n%s\n%s", COC_SIGN_ALGORITHM, sdk_date, hash);
    if (n < 0 || (size_t)n >= sizeof text) return COC_ECONFIG; /* a malformed date */
    if (!HMAC(EVP_sha256(), sk, (int)sk_len, (const unsigned char *)text, (size_t)n, mac, &maclen))
      return COC_ENOMEM;
  }
  to_hex(mac, maclen, signature);
  return COC_OK;
}
