/* The JSON serializer: compact, fields in the reference's table order, then
 * any kept unknown fields sorted by name, so the same input always gives
 * the same bytes (and the same signature). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct ectx {
  coc_buf *out;
  coc_unknown_policy unknown;
} ectx;

static const char hex[] = "0123456789abcdef";

static void put_string(coc_buf *b, const char *s, size_t len) {
  size_t i, run = 0;
  coc_buf_addc(b, '"');
  for (i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    const char *esc = NULL;
    char u[6];
    if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
    coc_buf_add(b, s + run, i - run); /* the safe bytes before this one */
    run = i + 1;
    switch (ch) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    default:
      memcpy(u, "\\u00", 4);
      u[4] = hex[ch >> 4];
      u[5] = hex[ch & 15];
      coc_buf_add(b, u, 6);
    }
    if (esc) coc_buf_adds(b, esc);
  }
  coc_buf_add(b, s + run, len - run);
  coc_buf_addc(b, '"');
}

/* Shortest of %.15g..%.17g that reads back exactly; '.' whatever the locale. */
static void put_double(coc_buf *b, double v) {
  char num[40];
  int prec;
  char *p;
  for (prec = 15; prec <= 17; prec++) {
    snprintf(num, sizeof num, "%.*g", prec, v);
    if (strtod(num, NULL) == v) break;
  }
  for (p = num; *p; p++)
    if (*p == ',') *p = '.';
  coc_buf_adds(b, num);
}

static void put_value(ectx *c, const coc_node *n, const coc_field *f);

static void put_member(ectx *c, const coc_node *m, const coc_field *f, int *first) {
  if (!*first) coc_buf_addc(c->out, ',');
  *first = 0;
  put_string(c->out, m->key, m->key_len);
  coc_buf_addc(c->out, ':');
  put_value(c, m, f);
}

/* Members are already in their final order (see coc_node_sort_members);
 * unknown ones are written only when kept, duplicates never. */
static void put_object(ectx *c, const coc_node *n, const coc_schema *s) {
  const coc_node *m;
  int first = 1;
  coc_buf_addc(c->out, '{');
  for (m = n->u.kids.head; m; m = m->next) {
    if (m->field >= 0) put_member(c, m, &s->fields[m->field], &first);
    else if (m->field == -1 && (!s || c->unknown == COC_UNKNOWN_KEEP)) put_member(c, m, NULL, &first);
  }
  coc_buf_addc(c->out, '}');
}

static void put_value(ectx *c, const coc_node *n, const coc_field *f) {
  char num[32];
  const coc_node *k;
  switch (n->type) {
  case COC_NULL: coc_buf_add(c->out, "null", 4); return;
  case COC_BOOL: coc_buf_adds(c->out, n->u.boolean ? "true" : "false"); return;
  case COC_INT:
    snprintf(num, sizeof num, "%lld", n->u.integer);
    coc_buf_adds(c->out, num);
    return;
  case COC_DOUBLE: put_double(c->out, n->u.number); return;
  case COC_STRING: put_string(c->out, n->u.str.ptr, n->u.str.len); return;
  case COC_EMPTY: /* a known array stays an array; anything else is {} like cjson */
    coc_buf_adds(c->out, f && f->kind == COC_K_ARRAY ? "[]" : "{}");
    return;
  case COC_ARRAY: {
    coc_field item = { "", COC_K_OBJECT, 0, 0, NULL, 0, 0, f ? f->object : NULL };
    coc_buf_addc(c->out, '[');
    for (k = n->u.kids.head; k; k = k->next) {
      if (k != n->u.kids.head) coc_buf_addc(c->out, ',');
      put_value(c, k, f ? &item : NULL);
    }
    coc_buf_addc(c->out, ']');
    return;
  }
  case COC_OBJECT: put_object(c, n, f ? f->object : NULL); return;
  case COC_INVALID: coc_buf_add(c->out, "null", 4); return; /* unreachable after validation */
  }
}

coc_status coc_encode(const coc_doc *d, const coc_options *opt, coc_buf *out) {
  ectx c;
  size_t start = out->len;
  c.out = out;
  c.unknown = opt ? opt->unknown : COC_UNKNOWN_ERROR;
  put_value(&c, coc_doc_body((coc_doc *)d), &coc_body_field);
  if (out->oom) return COC_ENOMEM;
  if (out->len - start > COC_MAX_BODY) return COC_ELIMIT;
  return COC_OK;
}
