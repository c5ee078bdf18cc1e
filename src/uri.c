/* Percent-encoding the way the SDK-HMAC-SHA256 signer wants it: only the
 * unreserved characters stay as they are, everything else is %XX. */
#include <stdlib.h>
#include <string.h>

#include "coc.h"

/* A-Z a-z 0-9 - _ . ~ (RFC 3986's unreserved set), looked up per byte */
static const unsigned char unreserved_table[256] = {
  ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
  ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
  ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
  ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
  ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
  ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static int unreserved(unsigned char c) { return unreserved_table[c]; }

int coc_uri_escape(coc_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i, run = 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[3];
    if (unreserved(c)) continue;
    coc_buf_add(out, s + run, i - run);
    esc[0] = '%';
    esc[1] = hex[c >> 4];
    esc[2] = hex[c & 15];
    coc_buf_add(out, esc, 3);
    run = i + 1;
  }
  return coc_buf_add(out, s + run, len - run);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes %XX (a malformed % stays literal) and escapes the result. */
static void reescape(coc_buf *out, const char *s, size_t len) {
  char tmp[256];
  size_t i = 0, n = 0;
  while (i < len) {
    char c = s[i];
    if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 3;
    } else {
      i++;
    }
    tmp[n++] = c;
    if (n == sizeof tmp) {
      coc_uri_escape(out, tmp, n);
      n = 0;
    }
  }
  coc_uri_escape(out, tmp, n);
}

coc_status coc_uri_canonical_path(coc_buf *out, const char *path, size_t len) {
  size_t i = 0;
  /* already canonical when it is only unreserved characters and slashes:
   * the usual case, as the update path is built escaped */
  for (i = 0; i < len && (unreserved((unsigned char)path[i]) || path[i] == '/'); i++) {}
  if (i == len && len && path[0] == '/') return coc_buf_add(out, path, len) ? COC_ENOMEM : COC_OK;
  i = 0;
  if (len == 0 || path[0] != '/') coc_buf_addc(out, '/');
  while (i < len) {
    const char *slash = memchr(path + i, '/', len - i);
    size_t end = slash ? (size_t)(slash - path) : len;
    reescape(out, path + i, end - i);
    if (slash) coc_buf_addc(out, '/');
    i = end + 1;
  }
  return out->oom ? COC_ENOMEM : COC_OK;
}

typedef struct param {
  size_t key, key_len, val, val_len; /* offsets into the scratch buffer */
  const char *k, *v;                 /* set once the buffer stops moving */
} param;

static int bytes_cmp(const char *a, size_t la, const char *b, size_t lb) {
  int c = memcmp(a, b, la < lb ? la : lb);
  return c ? c : (la > lb) - (la < lb);
}

static int param_cmp(const void *a, const void *b) {
  const param *x = a, *y = b;
  int c = bytes_cmp(x->k, x->key_len, y->k, y->key_len);
  return c ? c : bytes_cmp(x->v, x->val_len, y->v, y->val_len);
}

coc_status coc_uri_canonical_query(coc_buf *out, const char *query, size_t len) {
  coc_buf scratch;
  param *params = NULL;
  size_t count = 1, i, n = 0, start = 0;
  coc_status st = COC_OK;
  if (len == 0) return COC_OK;
  for (i = 0; i < len; i++) count += query[i] == '&';
  params = malloc(count * sizeof *params);
  if (!params) return COC_ENOMEM;
  coc_buf_init(&scratch);
  for (i = 0; i <= len; i++) {
    if (i < len && query[i] != '&') continue;
    if (i > start) {
      const char *eq = memchr(query + start, '=', i - start);
      size_t kend = eq ? (size_t)(eq - query) : i;
      param *p = &params[n++];
      p->key = scratch.len;
      reescape(&scratch, query + start, kend - start);
      p->key_len = scratch.len - p->key;
      p->val = scratch.len;
      if (eq) reescape(&scratch, eq + 1, i - kend - 1);
      p->val_len = scratch.len - p->val;
    }
    start = i + 1;
  }
  if (scratch.oom) st = COC_ENOMEM;
  else {
    for (i = 0; i < n; i++) {
      params[i].k = scratch.ptr + params[i].key;
      params[i].v = scratch.ptr + params[i].val;
    }
    qsort(params, n, sizeof *params, param_cmp);
    for (i = 0; i < n; i++) {
      if (i) coc_buf_addc(out, '&');
      coc_buf_add(out, scratch.ptr + params[i].key, params[i].key_len);
      coc_buf_addc(out, '=');
      coc_buf_add(out, scratch.ptr + params[i].val, params[i].val_len);
    }
    if (out->oom) st = COC_ENOMEM;
  }
  coc_buf_free(&scratch);
  free(params);
  return st;
}
