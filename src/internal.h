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

/* ---- the model: Tables 1-5 of the reference as data ------------------- */

typedef enum coc_kind { COC_K_STRING, COC_K_BOOL, COC_K_INT, COC_K_OBJECT, COC_K_ARRAY } coc_kind;

typedef struct coc_schema coc_schema;

typedef struct coc_field {
  const char *name;
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
