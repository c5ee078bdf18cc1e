/* UTF-8 checking, counting and cutting: lengths in the reference are
 * characters. One decoder for all three, so they can never disagree. */
#include <string.h>

#include "coc.h"

/* The length in bytes of the character at s[i] (i < len), strict per
 * RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF; 0 when
 * the bytes there are not valid UTF-8. */
static size_t char_len(const unsigned char *s, size_t i, size_t len) {
  unsigned c = s[i], lo = 0x80, hi = 0xBF;
  size_t need, k;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;      /* overlong */
    else if (c == 0xED) hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;      /* overlong */
    else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
  } else return 0;
  if (len - i <= need) return 0;
  if (s[i + 1] < lo || s[i + 1] > hi) return 0;
  for (k = 2; k <= need; k++)
    if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
  return need + 1;
}

long coc_utf8_len(const char *str, size_t len, size_t *bad) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, n;
  long chars = 0;
  while (i < len) {
    unsigned long long v;
    if (s[i] < 0x80 && i + 8 <= len && (memcpy(&v, s + i, 8), !(v & 0x8080808080808080ull))) {
      i += 8; /* eight ASCII characters at once */
      chars += 8;
      continue;
    }
    if (!(n = char_len(s, i, len))) {
      if (bad) *bad = i;
      return -1;
    }
    i += n;
    chars++;
  }
  return chars;
}

int coc_utf8_cut(const char *str, size_t len, size_t max_chars, coc_buf *out) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, chars = 0, n;
  for (; i < len && chars < max_chars; chars++) {
    if ((n = char_len(s, i, len))) {
      coc_buf_add(out, s + i, n);
      i += n;
    } else {
      coc_buf_addc(out, '?');
      i++;
    }
  }
  return out->oom ? -1 : 0;
}
