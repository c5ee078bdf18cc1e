/* Shared between the core's own files; not part of the public API. */
#ifndef COC_INTERNAL_H
#define COC_INTERNAL_H

#include "coc.h"

struct coc_node {
  coc_type type;
  int field;            /* index in the parent's schema, -1 when unknown */
  const char *key;      /* member name when the parent is an object */
  size_t key_len;
  coc_node *next;       /* next sibling */
  union {
    int boolean;
    long long integer;
    double number;
    struct { const char *ptr; size_t len; } str;
    struct { const char *rule; const char *message; } invalid;
    struct { coc_node *head; coc_node *tail; size_t count; } kids;
  } u;
};

#include <string.h>

/* Room for n more bytes and the NUL: 0, or -1 (and the oom flag). */
int coc_buf_reserve(coc_buf *b, size_t n);

/* Appends on the hot path: inline when the buffer has room, the checked
 * functions of buf.c otherwise (which also set the sticky oom flag). */
static inline void buf_putc(coc_buf *b, char c) {
  if (b->len + 1 < b->cap) {
    b->ptr[b->len++] = c;
    b->ptr[b->len] = '\0';
  } else {
    coc_buf_addc(b, c);
  }
}

static inline void buf_put(coc_buf *b, const void *p, size_t n) {
  if (b->len + n < b->cap) {
    if (n) memcpy(b->ptr + b->len, p, n); /* p may be an empty buffer's NULL */
    b->len += n;
    b->ptr[b->len] = '\0';
  } else {
    coc_buf_add(b, p, n);
  }
}

static inline void buf_puts(coc_buf *b, const char *s) { buf_put(b, s, strlen(s)); }

/* ---- the model: Tables 1-5 of the reference as data ------------------- */

typedef enum coc_kind { COC_K_STRING, COC_K_BOOL, COC_K_INT, COC_K_OBJECT, COC_K_ARRAY } coc_kind;

typedef struct coc_schema coc_schema;

typedef struct coc_field {
  const char *name;
  size_t name_len;
  coc_kind kind;
  long min_chars, max_chars;        /* strings */
  const char *const *choices;       /* strings: NULL-terminated enum or NULL */
  long long min, max;               /* integers */
  const coc_schema *object;         /* objects, and the items of arrays */
} coc_field;

struct coc_schema {
  const coc_field *fields;
  size_t count;
};

extern const coc_field coc_change_id_field;
/* Where each object schema sits, for "it belongs in ..." hints. */
typedef struct coc_place { const coc_schema *schema; const char *where; } coc_place;
extern const coc_place coc_places[];
extern const coc_field coc_body_field;

const char *coc_kind_name(coc_kind k);
const char *coc_type_name(coc_type t);

/* Orders members: known fields (by ->field) first, the rest by name. */
void coc_node_sort_members(coc_node *obj);

/* Report building, used by the validator. */
coc_status coc_report_add(coc_report *r, const char *path, const char *rule, const char *message);

#endif
