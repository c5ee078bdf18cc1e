/* Fuzzes the signer's canonicalization and the signature itself, and the
 * client's request preparation with fuzzed method, path and query.
 * Invariants: canonical paths and queries are fixed points
 * (canonical(canonical(x)) == canonical(x)) made only of unreserved
 * characters, %XX with uppercase hex, and '/' (paths) or '&' '=' (queries);
 * a signature is 64 lowercase hex digits, the HMAC-SHA256 (computed here with
 * OpenSSL's one-shot HMAC) of the string to sign over the canonical request
 * written; a prepared request carries no CR or LF in any header and its URL
 * is the endpoint, the canonical path (dot segments as %2E) and the
 * canonical query. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "fuzz.h"

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

static int upper_hex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

/* Only unreserved, %XX, and the separators given. */
static void check_charset(const coc_buf *b, const char *separators, const char *what) {
  size_t i;
  for (i = 0; i < b->len; i++) {
    unsigned char c = (unsigned char)b->ptr[i];
    if (unreserved(c) || (c && strchr(separators, c))) continue;
    FUZZ_ASSERT(c == '%' && i + 2 < b->len && upper_hex((unsigned char)b->ptr[i + 1]) && upper_hex((unsigned char)b->ptr[i + 2]), what);
    i += 2;
  }
}

static void check_fixed_point(coc_status (*canon)(coc_buf *, const char *, size_t), const char *s, size_t len,
                              const char *separators, coc_buf *once, coc_buf *twice, const char *what) {
  coc_buf_reset(once);
  coc_buf_reset(twice);
  FUZZ_ASSERT(canon(once, s, len) == COC_OK, "canonicalization failed");
  check_charset(once, separators, what);
  FUZZ_ASSERT(canon(twice, once->ptr ? once->ptr : "", once->len) == COC_OK, "canonicalization failed");
  FUZZ_ASSERT(once->len == twice->len && (!once->len || !memcmp(once->ptr, twice->ptr, once->len)),
              "canonicalization is not idempotent");
}

static void hex(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

/* NUL-terminated copy of up to max fuzz bytes (cut at a NUL). */
static char *take_cstr(fuzz_reader *r, size_t max) {
  size_t len;
  const char *s = fuzz_bytes(r, max, &len);
  char *c = malloc(len + 1);
  if (!c) abort();
  memcpy(c, s, len);
  c[len] = '\0';
  return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static coc_buf once, twice, canonical, names;
  static coc_client *client;
  static const char *const names_pool[] = { "Host", "X-Sdk-Date", "content-type", "X-Domain-Id", "x-a", "X-A",
    "", "b", "X-Security-Token", "Z" };
  fuzz_reader r = { data, size };
  char *method, *path, *query, *body, *value[COC_MAX_SIGNED_HEADERS], signature[65], date[17], expect[65];
  coc_header headers[COC_MAX_SIGNED_HEADERS];
  size_t nh, i;
  coc_status st;

  if (!client) {
    coc_config cfg;
    coc_error err;
    coc_config_defaults(&cfg);
    cfg.endpoint = "https://coc.example.com";
    cfg.ak = "AK";
    cfg.sk = "fuzz-secret";
    cfg.domain_id = "d";
    client = coc_client_new(&cfg, &err);
    FUZZ_ASSERT(client != NULL, "the client could not be created");
  }

  method = take_cstr(&r, 16);
  path = take_cstr(&r, 200);
  query = take_cstr(&r, 200);
  body = take_cstr(&r, 200);
  nh = fuzz_pick(&r, COC_MAX_SIGNED_HEADERS + 1);
  for (i = 0; i < nh; i++) {
    headers[i].name = names_pool[fuzz_pick(&r, sizeof names_pool / sizeof *names_pool)];
    headers[i].value = value[i] = take_cstr(&r, 40);
  }

  /* canonicalization */
  check_fixed_point(coc_uri_canonical_path, path, strlen(path), "/", &once, &twice, "canonical path charset");
  FUZZ_ASSERT(once.len > 0 && once.ptr[0] == '/', "a canonical path starts with /");
  check_fixed_point(coc_uri_canonical_query, query, strlen(query), "&=", &once, &twice, "canonical query charset");

  /* the signature over the canonical request it wrote */
  coc_sdk_date((long long)(fuzz_u64(&r) % 4102444800ull), date);
  FUZZ_ASSERT(strlen(date) == 16 && date[8] == 'T' && date[15] == 'Z', "X-Sdk-Date shape");
  coc_buf_reset(&once);
  coc_buf_reset(&twice);
  coc_uri_canonical_path(&once, path, strlen(path));
  coc_uri_canonical_query(&twice, query, strlen(query));
  st = coc_sign(method, coc_buf_cstr(&once), coc_buf_cstr(&twice), headers, nh, body, strlen(body), date,
                "fuzz-secret", 11, &canonical, &names, signature);
  FUZZ_ASSERT(st == COC_OK, "signing failed");
  for (i = 0; i < 64; i++) FUZZ_ASSERT(strchr("0123456789abcdef", signature[i]) && signature[i], "signature shape");
  FUZZ_ASSERT(signature[64] == '\0', "signature not terminated");
  {
    unsigned char digest[SHA256_DIGEST_LENGTH], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char hash[65], sts[128];
    int n;
    SHA256((const unsigned char *)canonical.ptr, canonical.len, digest);
    hex(digest, sizeof digest, hash);
    n = snprintf(sts, sizeof sts, "%s\n%s\n%s", COC_SIGN_ALGORITHM, date, hash);
    HMAC(EVP_sha256(), "fuzz-secret", 11, (const unsigned char *)sts, (size_t)n, mac, &maclen);
    hex(mac, maclen, expect);
    FUZZ_ASSERT(!strcmp(expect, signature), "the signature is not the HMAC of the canonical request written");
    FUZZ_ASSERT(!strncmp(canonical.ptr, method, strlen(method)) && canonical.ptr[strlen(method)] == '\n',
                "the canonical request starts with the method");
  }

  /* a whole request prepared by the client */
  {
    coc_prepared p;
    coc_error err;
    st = coc_client_prepare(client, method, path, fuzz_pick(&r, 2) ? query : NULL, body, strlen(body), 1742888808,
                            &p, &err);
    if (!*method || strpbrk(method, " \r\n") || strpbrk(path, "\r\n") || strpbrk(query, "\r\n")) {
      /* the query may not have been passed: then CR/LF there is harmless */
      FUZZ_ASSERT(st == COC_ECONFIG || (!strpbrk(method, " \r\n") && *method && !strpbrk(path, "\r\n")),
                  "a method or path with CR, LF or space was accepted");
    }
    if (st == COC_OK) {
      /* endpoint + canonical path, a segment "." or ".." written %2E / %2E%2E */
      coc_buf_reset(&twice);
      coc_uri_canonical_path(&twice, path, strlen(path));
      coc_buf_reset(&once);
      coc_buf_adds(&once, "https://coc.example.com");
      for (i = 0; i < twice.len;) {
        size_t end = i;
        while (end < twice.len && twice.ptr[end] != '/') end++;
        if (end - i == 1 && twice.ptr[i] == '.') coc_buf_adds(&once, "%2E");
        else if (end - i == 2 && twice.ptr[i] == '.' && twice.ptr[i + 1] == '.') coc_buf_adds(&once, "%2E%2E");
        else coc_buf_add(&once, twice.ptr + i, end - i);
        if (end < twice.len) coc_buf_addc(&once, '/');
        i = end + 1;
      }
      FUZZ_ASSERT(!strncmp(p.url, coc_buf_cstr(&once), once.len), "the URL is not endpoint + canonical path");
      FUZZ_ASSERT(!strstr(p.url, "/./") && !strstr(p.url, "/../"), "a dot segment in the URL");
      FUZZ_ASSERT(p.url[once.len] == '\0' || p.url[once.len] == '?', "the URL has more than a query after the path");
      for (i = 0; i < p.nheaders; i++) {
        FUZZ_ASSERT(!strpbrk(p.headers[i].name, "\r\n") && !strpbrk(p.headers[i].value, "\r\n"),
                    "CR or LF in a header");
        fuzz_check_text(p.headers[i].value, "header value");
      }
      FUZZ_ASSERT(!strpbrk(p.url, "\r\n #"), "CR, LF, space or # in the URL");
    } else {
      FUZZ_ASSERT(st == COC_ECONFIG && err.kind == COC_ERR_CONFIG, "prepare failed otherwise than as config");
    }
  }

  free(method);
  free(path);
  free(query);
  free(body);
  for (i = 0; i < nh; i++) free(value[i]);
  return 0;
}
