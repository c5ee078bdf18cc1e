/* UTF-8 checking and counting: lengths in the reference are characters. */
#include <string.h>

#include "coc.h"

/* Strict per RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF. */
long coc_utf8_len(const char *str, size_t len, size_t *bad) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  long chars = 0;
  while (i < len) {
    unsigned c = s[i];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      unsigned long long v;
      if (i + 8 <= len && (memcpy(&v, s + i, 8), !(v & 0x8080808080808080ull))) {
        i += 8; /* eight ASCII characters at once */
        chars += 8;
      } else {
        i++;
        chars++;
      }
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;      /* overlong */
      else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;      /* overlong */
      else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else goto fail;
    if (len - i <= need) goto fail;
    if (s[i + 1] < lo || s[i + 1] > hi) goto fail;
    for (size_t k = 2; k <= need; k++)
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) goto fail;
    i += need + 1;
    chars++;
  }
  return chars;
fail:
  if (bad) *bad = i;
  return -1;
}
