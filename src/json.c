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

/* Bytes that JSON strings must escape: controls, '"' and '\\'. */
static const unsigned char needs_escape[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Eight bytes at a time: whether any is below 0x20, '"' or '\\'. */
static int chunk_needs_escape(const char *p) {
  unsigned long long v, q, bs;
  memcpy(&v, p, 8);
  q = v ^ (ONES * '"');
  bs = v ^ (ONES * '\\');
  return (((v - ONES * 0x20) & ~v) | ((q - ONES) & ~q) | ((bs - ONES) & ~bs)) & HIGHS ? 1 : 0;
}

/* Room for the worst case (every byte as \u00XX) is made once, then the
 * string is written without further checks; most strings need no escape
 * and go in with one copy. */
static void put_string(coc_buf *b, const char *s, size_t len) {
  size_t i = 0;
  char *o;
  if (len > ((size_t)-1 - 8) / 6 || coc_buf_reserve(b, 6 * len + 2)) {
    b->oom = 1;
    return;
  }
  o = b->ptr + b->len;
  *o++ = '"';
  while (i + 8 <= len && !chunk_needs_escape(s + i)) i += 8; /* the common case: nothing to escape */
  while (i < len && !needs_escape[(unsigned char)s[i]]) i++;
  memcpy(o, s, i);
  o += i;
  for (; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!needs_escape[ch]) {
      *o++ = (char)ch;
      continue;
    }
    *o++ = '\\';
    switch (ch) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default:
      memcpy(o, "u00", 3);
      o[3] = hex[ch >> 4];
      o[4] = hex[ch & 15];
      o += 5;
    }
  }
  *o++ = '"';
  *o = '\0';
  b->len = (size_t)(o - b->ptr);
}

/* A known field's name needs no escaping: "name": in one copy. */
static void put_name(coc_buf *b, const char *name, size_t len) {
  char *o;
  if (coc_buf_reserve(b, len + 3)) return;
  o = b->ptr + b->len;
  o[0] = '"';
  memcpy(o + 1, name, len);
  o[len + 1] = '"';
  o[len + 2] = ':';
  o[len + 3] = '\0';
  b->len += len + 3;
}

/* Integers without printf: this runs for every number of every body. */
static void put_int(coc_buf *b, long long v) {
  char num[24];
  size_t i = sizeof num;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  do {
    num[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) num[--i] = '-';
  buf_put(b, num + i, sizeof num - i);
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
  buf_puts(b, num);
}

static void put_value(ectx *c, const coc_node *n, const coc_field *f);

static void put_member(ectx *c, const coc_node *m, const coc_field *f, int *first) {
  if (!*first) buf_putc(c->out, ',');
  *first = 0;
  if (f) {
    put_name(c->out, f->name, f->name_len);
  } else {
    put_string(c->out, m->key, m->key_len);
    buf_putc(c->out, ':');
  }
  put_value(c, m, f);
}

/* Members are already in their final order (see coc_node_sort_members);
 * unknown ones are written only when kept, duplicates never. */
static void put_object(ectx *c, const coc_node *n, const coc_schema *s) {
  const coc_node *m;
  int first = 1;
  buf_putc(c->out, '{');
  for (m = n->u.kids.head; m; m = m->next) {
    if (m->field >= 0) put_member(c, m, &s->fields[m->field], &first);
    else if (m->field == -1 && (!s || c->unknown == COC_UNKNOWN_KEEP)) put_member(c, m, NULL, &first);
  }
  buf_putc(c->out, '}');
}

static void put_value(ectx *c, const coc_node *n, const coc_field *f) {
  const coc_node *k;
  switch (n->type) {
  case COC_NULL: buf_put(c->out, "null", 4); return;
  case COC_BOOL: buf_puts(c->out, n->u.boolean ? "true" : "false"); return;
  case COC_INT: put_int(c->out, n->u.integer); return;
  case COC_DOUBLE: put_double(c->out, n->u.number); return;
  case COC_STRING: put_string(c->out, n->u.str.ptr, n->u.str.len); return;
  case COC_EMPTY: /* a known array stays an array; anything else is {} like cjson */
    buf_puts(c->out, f && f->kind == COC_K_ARRAY ? "[]" : "{}");
    return;
  case COC_ARRAY: {
    coc_field item = { "", 0, COC_K_OBJECT, 0, 0, NULL, 0, 0, f ? f->object : NULL };
    buf_putc(c->out, '[');
    for (k = n->u.kids.head; k; k = k->next) {
      if (k != n->u.kids.head) buf_putc(c->out, ',');
      put_value(c, k, f ? &item : NULL);
    }
    buf_putc(c->out, ']');
    return;
  }
  case COC_OBJECT: put_object(c, n, f ? f->object : NULL); return;
  case COC_INVALID: buf_put(c->out, "null", 4); return; /* unreachable after validation */
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
