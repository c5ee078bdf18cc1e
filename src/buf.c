/* Growable byte buffer with a sticky out-of-memory flag, so callers append
 * freely and check once at the end. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void coc_buf_init(coc_buf *b) {
  b->ptr = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}

void coc_buf_free(coc_buf *b) {
  free(b->ptr);
  coc_buf_init(b);
}

void coc_buf_reset(coc_buf *b) {
  b->len = 0;
  b->oom = 0;
  if (b->ptr) b->ptr[0] = '\0';
}

static int grow(coc_buf *b, size_t need) {
  size_t cap = b->cap ? b->cap : 256;
  char *p;
  if (need > ((size_t)-1) / 2) return b->oom = 1, -1;
  while (cap < need) cap *= 2;
  p = realloc(b->ptr, cap);
  if (!p) return b->oom = 1, -1;
  b->ptr = p;
  b->cap = cap;
  return 0;
}

int coc_buf_add(coc_buf *b, const void *p, size_t n) {
  if (b->oom) return -1;
  if (b->len + n + 1 > b->cap && grow(b, b->len + n + 1)) return -1;
  if (n) memcpy(b->ptr + b->len, p, n);
  b->len += n;
  b->ptr[b->len] = '\0';
  return 0;
}

int coc_buf_reserve(coc_buf *b, size_t n) {
  if (b->oom) return -1;
  return b->len + n + 1 > b->cap ? grow(b, b->len + n + 1) : 0;
}

int coc_buf_addc(coc_buf *b, char c) { return coc_buf_add(b, &c, 1); }

int coc_buf_adds(coc_buf *b, const char *s) { return coc_buf_add(b, s, strlen(s)); }

const char *coc_buf_cstr(coc_buf *b) {
  if (b->oom || !b->ptr) return "";
  return b->ptr;
}
