/* The document tree. All nodes and copied strings live in an arena of
 * chunks owned by the doc: one free releases everything, and a cleared doc
 * reuses its chunks, so a steady stream of requests allocates nothing. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct chunk {
  struct chunk *next;
  size_t size, used;
  union { long double ld; long long ll; void *p; } data[]; /* aligned storage */
} chunk;

#define CHUNK_DATA(c) ((char *)(c)->data)
#define ALIGN 16u
#define MIN_CHUNK 8192u

struct coc_doc {
  chunk *first;   /* all chunks, in order */
  chunk *cur;     /* the one being filled */
  size_t nodes;
  coc_status status;
  coc_node change_id;
  coc_node body;
};

static void node_init(coc_node *n) {
  memset(n, 0, sizeof *n);
  n->type = COC_NULL;
  n->field = -1;
}

coc_doc *coc_doc_new(void) {
  coc_doc *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  coc_doc_clear(d);
  return d;
}

void coc_doc_free(coc_doc *d) {
  chunk *c, *next;
  if (!d) return;
  for (c = d->first; c; c = next) {
    next = c->next;
    free(c);
  }
  free(d);
}

void coc_doc_clear(coc_doc *d) {
  chunk *c;
  for (c = d->first; c; c = c->next) c->used = 0;
  d->cur = d->first;
  d->nodes = 0;
  d->status = COC_OK;
  node_init(&d->change_id);
  node_init(&d->body);
}

static void *alloc(coc_doc *d, size_t n) {
  chunk *c = d->cur;
  n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  while (c && c->size - c->used < n) {
    c = c->next; /* reuse a later chunk kept from an earlier request */
    if (c) c->used = 0;
  }
  if (!c) {
    size_t size = n > MIN_CHUNK ? n : MIN_CHUNK;
    chunk *last;
    c = malloc(offsetof(chunk, data) + size);
    if (!c) {
      d->status = COC_ENOMEM;
      return NULL;
    }
    c->next = NULL;
    c->size = size;
    c->used = 0;
    if (!d->first) d->first = c;
    else {
      for (last = d->cur ? d->cur : d->first; last->next; last = last->next) {}
      last->next = c;
    }
  }
  d->cur = c;
  c->used += n;
  return CHUNK_DATA(c) + c->used - n;
}

coc_node *coc_doc_change_id(coc_doc *d) { return &d->change_id; }
coc_node *coc_doc_body(coc_doc *d) { return &d->body; }
coc_status coc_doc_status(const coc_doc *d) { return d->status; }
coc_type coc_node_type(const coc_node *n) { return n->type; }

void coc_node_set_null(coc_node *n) { n->type = COC_NULL; }
void coc_node_set_bool(coc_node *n, int b) { n->type = COC_BOOL; n->u.boolean = b != 0; }
void coc_node_set_int(coc_node *n, long long i) { n->type = COC_INT; n->u.integer = i; }
void coc_node_set_double(coc_node *n, double v) { n->type = COC_DOUBLE; n->u.number = v; }

void coc_node_set_string_ref(coc_node *n, const char *s, size_t len) {
  n->type = COC_STRING;
  n->u.str.ptr = s;
  n->u.str.len = len;
}

coc_status coc_node_set_string(coc_doc *d, coc_node *n, const char *s, size_t len) {
  char *p = alloc(d, len + 1);
  if (!p) return COC_ENOMEM;
  memcpy(p, s, len);
  p[len] = '\0';
  coc_node_set_string_ref(n, p, len);
  return COC_OK;
}

const char *coc_doc_strdup(coc_doc *d, const char *s) {
  size_t len = strlen(s);
  char *p = alloc(d, len + 1);
  if (p) memcpy(p, s, len + 1);
  return p;
}

static void set_container(coc_node *n, coc_type t) {
  n->type = t;
  n->u.kids.head = n->u.kids.tail = NULL;
  n->u.kids.count = 0;
}

void coc_node_set_array(coc_node *n) { set_container(n, COC_ARRAY); }
void coc_node_set_object(coc_node *n) { set_container(n, COC_OBJECT); }
void coc_node_set_empty(coc_node *n) { set_container(n, COC_EMPTY); }

void coc_node_set_invalid(coc_node *n, const char *rule, const char *message) {
  n->type = COC_INVALID;
  n->u.invalid.rule = rule;
  n->u.invalid.message = message;
}

static coc_node *add_child(coc_doc *d, coc_node *parent) {
  coc_node *n;
  if (d->nodes >= COC_MAX_NODES) {
    d->status = COC_ELIMIT;
    return NULL;
  }
  n = alloc(d, sizeof *n);
  if (!n) return NULL;
  node_init(n);
  d->nodes++;
  if (parent->u.kids.tail) parent->u.kids.tail->next = n;
  else parent->u.kids.head = n;
  parent->u.kids.tail = n;
  parent->u.kids.count++;
  return n;
}

coc_node *coc_array_push(coc_doc *d, coc_node *array) {
  return array->type == COC_ARRAY ? add_child(d, array) : NULL;
}

coc_node *coc_object_add(coc_doc *d, coc_node *object, const char *key, size_t key_len) {
  coc_node *n = object->type == COC_OBJECT ? add_child(d, object) : NULL;
  if (n) {
    n->key = key;
    n->key_len = key_len;
  }
  return n;
}

/* Stable merge sort of an object's members: known fields in table order,
 * then the rest by name. In place, without allocating, so the validator
 * reports and the serializer writes in an order that never depends on Lua's
 * table iteration. */
static int member_before(const coc_node *a, const coc_node *b) {
  unsigned ra = a->field >= 0 ? (unsigned)a->field : 0xFFFFu;
  unsigned rb = b->field >= 0 ? (unsigned)b->field : 0xFFFFu;
  size_t n;
  int c;
  if (ra != rb) return ra < rb;
  if (ra != 0xFFFFu) return 1; /* same known field: keep the given order */
  n = a->key_len < b->key_len ? a->key_len : b->key_len;
  c = memcmp(a->key, b->key, n);
  return c ? c < 0 : a->key_len <= b->key_len;
}

static coc_node *merge_sort(coc_node *head, size_t n) {
  coc_node *left, *right, *cut, merged, *tail = &merged;
  size_t i, half = n / 2;
  if (n < 2) return head;
  for (cut = head, i = 1; i < half; i++) cut = cut->next;
  right = cut->next;
  cut->next = NULL;
  left = merge_sort(head, half);
  right = merge_sort(right, n - half);
  while (left && right) {
    if (member_before(left, right)) { tail->next = left; left = left->next; }
    else { tail->next = right; right = right->next; }
    tail = tail->next;
  }
  tail->next = left ? left : right;
  return merged.next;
}

/* The usual object: known fields only, each once. They are placed by
 * field index, with no comparisons. Returns 0 when another member turns up. */
#define PLACE_MAX 64
static int place_known(coc_node *obj) {
  coc_node *slot[PLACE_MAX], *k, **link = &obj->u.kids.head;
  unsigned long long seen = 0;
  int i, top = -1;
  for (k = obj->u.kids.head; k; k = k->next) {
    if (k->field < 0 || k->field >= PLACE_MAX || (seen >> k->field & 1u)) return 0;
    seen |= 1ull << k->field;
    slot[k->field] = k;
    if (k->field > top) top = k->field;
  }
  for (i = 0; i <= top; i++) {
    if (!(seen >> i & 1u)) continue;
    *link = slot[i];
    link = &slot[i]->next;
    obj->u.kids.tail = slot[i];
  }
  *link = NULL;
  return 1;
}

void coc_node_sort_members(coc_node *obj) {
  coc_node *k;
  if (obj->type != COC_OBJECT || obj->u.kids.count < 2 || place_known(obj)) return;
  obj->u.kids.head = merge_sort(obj->u.kids.head, obj->u.kids.count);
  for (k = obj->u.kids.head; k->next; k = k->next) {}
  obj->u.kids.tail = k;
}
