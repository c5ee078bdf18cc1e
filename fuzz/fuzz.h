/* Shared by the libFuzzer harnesses: a reader that turns the fuzz bytes into
 * choices, and the checks every harness makes on strings the core returns. */
#ifndef COC_FUZZ_H
#define COC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coc.h"

/* Fails the run: libFuzzer saves the input that got here. */
#define FUZZ_ASSERT(cond, what)                                                   \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "invariant broken at %s:%d: %s\n", __FILE__, __LINE__, what); \
      abort();                                                                    \
    }                                                                             \
  } while (0)

typedef struct fuzz_reader {
  const uint8_t *p;
  size_t n;
} fuzz_reader;

/* One choice in 0..max-1 (0 once the bytes run out, so inputs end quietly). */
static inline unsigned fuzz_pick(fuzz_reader *r, unsigned max) {
  if (max == 0 || r->n == 0) return 0;
  r->n--;
  return (unsigned)*r->p++ % max;
}

/* Up to max bytes, borrowed from the input. */
static inline const char *fuzz_bytes(fuzz_reader *r, size_t max, size_t *len) {
  size_t want = fuzz_pick(r, 256);
  const char *s = (const char *)r->p;
  if (want > max) want = max;
  if (want > r->n) want = r->n;
  r->p += want;
  r->n -= want;
  *len = want;
  return s;
}

/* Eight bytes as an unsigned number (fewer when the input ends). */
static inline uint64_t fuzz_u64(fuzz_reader *r) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < 8 && r->n; i++) v = v << 8 | fuzz_pick(r, 256);
  return v;
}

/* A NUL-terminated string the core returned: valid UTF-8. */
static inline void fuzz_check_text(const char *s, const char *what) {
  FUZZ_ASSERT(s != NULL, what);
  FUZZ_ASSERT(coc_utf8_len(s, strlen(s), NULL) >= 0, what);
}

#endif
