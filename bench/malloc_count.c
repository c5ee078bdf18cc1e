/* LD_PRELOAD shim counting heap allocations (malloc, calloc, realloc,
 * posix_memalign) for the memory benchmark; prints the count to the file
 * named by MALLOC_COUNT_OUT at exit. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern int __posix_memalign(void **, size_t, size_t);

static unsigned long long count;

void *malloc(size_t n) { count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count++; return __libc_realloc(p, n); }

__attribute__((destructor)) static void report(void) {
  const char *out = getenv("MALLOC_COUNT_OUT");
  FILE *f;
  if (!out || !(f = fopen(out, "w"))) return;
  fprintf(f, "%llu\n", count);
  fclose(f);
}
