/* The validator: walks the tree against the model of schema.c and reports
 * every problem with its path. It also marks each member with its field
 * index so the serializer can write fields in table order. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define PATH_MAX_LEN 1024

#define MAX_FRAMES (2 * COC_MAX_DEPTH + 8)

typedef struct frame {
  const char *key; /* NULL for an array index */
  size_t len;      /* key length, or the 1-based index */
} frame;

typedef struct vctx {
  coc_report *report;
  coc_unknown_policy unknown;
  frame frames[MAX_FRAMES];
  size_t depth;
  size_t bytes; /* lower bound of the encoded size */
  coc_status status;
} vctx;

static void render_frame(char *out, size_t outsz, size_t *o, const frame *f);

static void problem(vctx *c, const char *rule, const char *fmt, ...) {
  char msg[512], path[PATH_MAX_LEN];
  size_t i, o = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  path[0] = '\0';
  for (i = 0; i < c->depth; i++) render_frame(path, sizeof path, &o, &c->frames[i]);
  if (coc_report_add(c->report, o ? path : "body", rule, msg) != COC_OK)
    c->status = COC_ENOMEM;
  else if (c->status == COC_OK)
    c->status = COC_EINVALID;
}

/* Shows a caller's string safely: escaped, cut to max bytes. */
static void show(char *out, size_t outsz, const char *s, size_t len, size_t max) {
  size_t o = 0, i;
  for (i = 0; i < len && i < max && o + 8 < outsz; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\') {
      out[o++] = '\\';
      out[o++] = (char)ch;
    } else if (ch >= 0x80) {
      /* copy a valid UTF-8 character whole; show stray bytes as \xNN */
      size_t n = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : 2;
      if (i + n <= len && coc_utf8_len(s + i, n, NULL) == 1) {
        memcpy(out + o, s + i, n);
        o += n;
        i += n - 1;
      } else {
        o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", ch);
      }
    } else if (ch < 0x20 || ch == 0x7f) {
      o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", ch);
    } else {
      out[o++] = (char)ch;
    }
  }
  if (i < len && o + 4 < outsz) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

/* Paths are kept as a stack of frames and written out only when a problem
 * is reported: the valid case, the common one, formats nothing. */
static size_t path_key(vctx *c, const char *key, size_t len) {
  size_t mark = c->depth;
  if (c->depth < MAX_FRAMES) {
    c->frames[c->depth].key = key;
    c->frames[c->depth].len = len;
    c->depth++;
  }
  return mark;
}

static size_t path_index(vctx *c, size_t i) {
  size_t mark = c->depth;
  if (c->depth < MAX_FRAMES) {
    c->frames[c->depth].key = NULL;
    c->frames[c->depth].len = i;
    c->depth++;
  }
  return mark;
}

static void path_pop(vctx *c, size_t mark) { c->depth = mark; }

/* name, .name, ["odd name"] or [3], appended to out */
static void render_frame(char *out, size_t outsz, size_t *o, const frame *f) {
  char seg[PATH_MAX_LEN];
  size_t i;
  int ident = f->key && f->len > 0 && f->len <= 64;
  for (i = 0; ident && i < f->len; i++) {
    unsigned char ch = (unsigned char)f->key[i];
    ident = ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (i > 0 && ch >= '0' && ch <= '9');
  }
  if (!f->key) snprintf(seg, sizeof seg, "[%zu]", f->len);
  else if (ident) snprintf(seg, sizeof seg, "%s%.*s", *o ? "." : "", (int)f->len, f->key);
  else {
    char shown[300];
    show(shown, sizeof shown, f->key, f->len, 64);
    snprintf(seg, sizeof seg, "[\"%s\"]", shown);
  }
  *o += (size_t)snprintf(out + *o, outsz - *o, "%s", seg);
  if (*o >= outsz) *o = outsz - 1;
}

static void describe(char *out, size_t outsz, const coc_node *n) {
  if (n->type == COC_DOUBLE) snprintf(out, outsz, "%.17g", n->u.number);
  else if (n->type == COC_EMPTY) snprintf(out, outsz, "an empty table");
  else snprintf(out, outsz, "%s", coc_type_name(n->type));
}

static void wrong_type(vctx *c, const char *expected, const coc_node *n) {
  char got[64];
  describe(got, sizeof got, n);
  problem(c, "type", "expected %s, got %s", expected, got);
}

static int check_utf8(vctx *c, const char *s, size_t len, const char *what, long *chars) {
  size_t bad = 0;
  long n = coc_utf8_len(s, len, &bad);
  if (n < 0) {
    problem(c, "utf8", "%s is not valid UTF-8 (bad byte 0x%02x at offset %zu)", what,
            (unsigned char)s[bad], bad);
    return -1;
  }
  if (chars) *chars = n;
  return 0;
}

/* Levenshtein distance, case-insensitive, for "did you mean" hints. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb) {
  size_t row[65], i, j;
  if (la > 64 || lb > 64) return (size_t)-1;
  for (j = 0; j <= lb; j++) row[j] = j;
  for (i = 1; i <= la; i++) {
    size_t diag = row[0], up;
    row[0] = i;
    for (j = 1; j <= lb; j++) {
      char x = a[i - 1], y = b[j - 1];
      size_t best;
      if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
      if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
      up = row[j];
      best = diag + (x != y);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

static int field_index(const coc_schema *s, const char *key, size_t len) {
  size_t i;
  for (i = 0; i < s->count; i++)
    if (s->fields[i].name_len == len && s->fields[i].name[0] == key[0] && memcmp(s->fields[i].name, key, len) == 0)
      return (int)i;
  return -1;
}

static void unknown_field(vctx *c, const coc_schema *s, const coc_node *m) {
  const char *best = NULL;
  size_t best_d = 3, i;
  const coc_place *p;
  for (i = 0; i < s->count; i++) {
    const char *name = s->fields[i].name;
    size_t d = distance(m->key, m->key_len, name, strlen(name));
    if (d < best_d && d * 3 <= strlen(name)) {
      best_d = d;
      best = name;
    }
  }
  if (best) {
    problem(c, "unknown_field", "unknown field (did you mean %s?)", best);
    return;
  }
  for (p = coc_places; p->schema; p++) {
    if (p->schema != s && field_index(p->schema, m->key, m->key_len) >= 0) {
      problem(c, "unknown_field", "unknown field here (it belongs %s)", p->where);
      return;
    }
  }
  problem(c, "unknown_field", "unknown field");
}

/* Anything kept as given must still have a JSON form. */
static void check_any(vctx *c, const coc_node *n, int depth) {
  const coc_node *k;
  size_t i = 0, mark;
  c->bytes += n->key_len + 4;
  switch (n->type) {
  case COC_INVALID:
    problem(c, n->u.invalid.rule, "%s", n->u.invalid.message);
    return;
  case COC_DOUBLE:
    if (!isfinite(n->u.number)) wrong_type(c, "a finite number", n);
    return;
  case COC_STRING:
    c->bytes += n->u.str.len;
    check_utf8(c, n->u.str.ptr, n->u.str.len, "text", NULL);
    return;
  case COC_ARRAY:
  case COC_OBJECT:
    if (depth >= COC_MAX_DEPTH) {
      problem(c, "limit", "nested deeper than %d levels", COC_MAX_DEPTH);
      return;
    }
    coc_node_sort_members((coc_node *)n);
    for (k = n->u.kids.head; k; k = k->next) {
      if (n->type == COC_ARRAY) mark = path_index(c, ++i);
      else {
        mark = path_key(c, k->key, k->key_len);
        if (check_utf8(c, k->key, k->key_len, "field name", NULL)) {
          path_pop(c, mark);
          continue;
        }
      }
      check_any(c, k, depth + 1);
      path_pop(c, mark);
    }
    return;
  default:
    return;
  }
}

static void check_value(vctx *c, coc_node *n, const coc_field *f, int depth);

static void check_object(vctx *c, coc_node *n, const coc_schema *s, int depth) {
  coc_node *m, *prev = NULL;
  for (m = n->u.kids.head; m; m = m->next) m->field = field_index(s, m->key, m->key_len);
  coc_node_sort_members(n);
  for (m = n->u.kids.head; m; prev = m, m = m->next) {
    size_t mark = path_key(c, m->key, m->key_len);
    if (m->field >= 0 && prev && prev->field == m->field) {
      problem(c, "duplicate", "field given more than once");
      m->field = -2; /* never encoded */
    } else if (m->field >= 0) {
      check_value(c, m, &s->fields[m->field], depth + 1);
    } else if (c->unknown == COC_UNKNOWN_ERROR) {
      unknown_field(c, s, m);
    } else if (c->unknown == COC_UNKNOWN_KEEP &&
               !check_utf8(c, m->key, m->key_len, "field name", NULL)) {
      check_any(c, m, depth + 1);
    }
    path_pop(c, mark);
  }
}

static void check_string(vctx *c, const coc_node *n, const coc_field *f) {
  const char *const *choice;
  char shown[128];
  long chars;
  c->bytes += n->u.str.len;
  if (check_utf8(c, n->u.str.ptr, n->u.str.len, "text", &chars)) return;
  if (chars < f->min_chars) {
    problem(c, "length", "%ld characters, at least %ld required", chars, f->min_chars);
    return;
  }
  if (chars > f->max_chars) {
    problem(c, "length", "%ld characters, at most %ld allowed", chars, f->max_chars);
    return;
  }
  if (!f->choices) return;
  for (choice = f->choices; *choice; choice++)
    if (strlen(*choice) == n->u.str.len && memcmp(*choice, n->u.str.ptr, n->u.str.len) == 0)
      return;
  {
    char list[512];
    size_t o = 0;
    for (choice = f->choices; *choice && o < sizeof list; choice++)
      o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", *choice);
    show(shown, sizeof shown, n->u.str.ptr, n->u.str.len, 40);
    problem(c, "enum", "\"%s\" is not one of: %s", shown, list);
  }
}

static void check_value(vctx *c, coc_node *n, const coc_field *f, int depth) {
  c->bytes += n->key_len + 4;
  if (n->type == COC_INVALID) {
    problem(c, n->u.invalid.rule, "%s", n->u.invalid.message);
    return;
  }
  if (n->type == COC_NULL) return; /* every field is optional; null is sent as null */
  switch (f->kind) {
  case COC_K_STRING:
    if (n->type != COC_STRING) wrong_type(c, "string", n);
    else check_string(c, n, f);
    return;
  case COC_K_BOOL:
    if (n->type != COC_BOOL) wrong_type(c, "boolean", n);
    return;
  case COC_K_INT:
    if (n->type != COC_INT) wrong_type(c, "integer", n);
    else if (n->u.integer < f->min || n->u.integer > f->max)
      problem(c, "range", "%lld is out of range %lld..%lld", n->u.integer, f->min, f->max);
    return;
  case COC_K_OBJECT:
    if (n->type == COC_EMPTY) return;
    if (n->type != COC_OBJECT) wrong_type(c, "object", n);
    else if (depth >= COC_MAX_DEPTH) problem(c, "limit", "nested deeper than %d levels", COC_MAX_DEPTH);
    else check_object(c, n, f->object, depth);
    return;
  case COC_K_ARRAY:
    if (n->type == COC_EMPTY) return;
    if (n->type != COC_ARRAY) wrong_type(c, "array", n);
    else if (depth >= COC_MAX_DEPTH) problem(c, "limit", "nested deeper than %d levels", COC_MAX_DEPTH);
    else {
      coc_field item = { f->name, f->name_len, COC_K_OBJECT, 0, 0, NULL, 0, 0, f->object };
      coc_node *k;
      size_t i = 0;
      for (k = n->u.kids.head; k; k = k->next) {
        size_t mark = path_index(c, ++i);
        check_value(c, k, &item, depth + 1);
        path_pop(c, mark);
      }
    }
    return;
  }
}

coc_status coc_validate(coc_doc *d, const coc_options *opt, coc_report *r) {
  vctx c;
  c.report = r;
  c.unknown = opt ? opt->unknown : COC_UNKNOWN_ERROR;
  c.depth = 0;
  c.bytes = 0;
  c.status = COC_OK;
  if (coc_doc_status(d) == COC_ENOMEM) return COC_ENOMEM;

  /* Both inputs are required, so null (absent) is a type problem here. */
  path_key(&c, "change_id", 9);
  if (coc_doc_change_id(d)->type == COC_NULL) wrong_type(&c, "string", coc_doc_change_id(d));
  else check_value(&c, coc_doc_change_id(d), &coc_change_id_field, 0);
  path_pop(&c, 0);

  if (coc_doc_status(d) == COC_ELIMIT)
    problem(&c, "limit", "more than %d values", COC_MAX_NODES);
  if (coc_doc_body(d)->type == COC_NULL) wrong_type(&c, "object", coc_doc_body(d));
  else check_value(&c, coc_doc_body(d), &coc_body_field, 0);
  if (c.bytes > COC_MAX_BODY)
    problem(&c, "limit", "at least %zu bytes of JSON, at most %u allowed", c.bytes, COC_MAX_BODY);
  return c.status;
}
