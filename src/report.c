/* The list of problems a validation found. Strings live in one buffer and
 * issues hold offsets into it, so adding never invalidates earlier ones
 * until the buffer moves; coc_report_get resolves them on demand. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct entry {
  size_t path, message; /* offsets into text */
  const char *rule;     /* static */
} entry;

struct coc_report {
  entry items[COC_MAX_ISSUES];
  size_t count;
  size_t omitted;
  coc_buf text;
};

coc_report *coc_report_new(void) {
  coc_report *r = calloc(1, sizeof *r);
  if (r) coc_buf_init(&r->text);
  return r;
}

void coc_report_free(coc_report *r) {
  if (!r) return;
  coc_buf_free(&r->text);
  free(r);
}

void coc_report_clear(coc_report *r) {
  r->count = r->omitted = 0;
  coc_buf_reset(&r->text);
}

size_t coc_report_count(const coc_report *r) { return r->count; }
size_t coc_report_omitted(const coc_report *r) { return r->omitted; }

int coc_report_get(const coc_report *r, size_t i, coc_issue *out) {
  if (i >= r->count || r->text.oom) return -1;
  out->path = r->text.ptr + r->items[i].path;
  out->rule = r->items[i].rule;
  out->message = r->text.ptr + r->items[i].message;
  return 0;
}

coc_status coc_report_add(coc_report *r, const char *path, const char *rule, const char *message) {
  entry *e;
  if (r->count == COC_MAX_ISSUES) {
    r->omitted++;
    return COC_OK;
  }
  e = &r->items[r->count];
  e->rule = rule;
  e->path = r->text.len;
  coc_buf_add(&r->text, path, strlen(path) + 1);
  e->message = r->text.len;
  coc_buf_add(&r->text, message, strlen(message) + 1);
  if (r->text.oom) return COC_ENOMEM;
  r->count++;
  return COC_OK;
}
