/*
 * lua-coc core: the update-change model, its validator and JSON serializer.
 *
 * This header is the whole public C API of the core. It knows nothing about
 * Lua: a binding (the Lua one in lcoc.c, or a future LuaJIT FFI one) builds a
 * document tree with the coc_node_* calls, validates it against the reference
 * tables, and encodes it.
 *
 * Memory: a coc_doc owns every node; strings set with coc_node_set_string_ref
 * are borrowed and must outlive the calls that read them. Nothing here
 * allocates after the first few calls of a reused doc/report/buffer.
 */
#ifndef COC_H
#define COC_H

#include <stddef.h>

#define COC_VERSION "0.1.0"

typedef enum coc_status {
  COC_OK = 0,
  COC_EINVALID, /* validation found problems: see the report */
  COC_ENOMEM,   /* an allocation failed */
  COC_ELIMIT    /* a document limit (nodes, depth, size) was reached */
} coc_status;

/* ---- growable byte buffer -------------------------------------------- */

typedef struct coc_buf {
  char *ptr;   /* NUL-terminated when len > 0 or after coc_buf_cstr */
  size_t len;
  size_t cap;
  int oom;     /* sticky: an append failed; contents are then incomplete */
} coc_buf;

void coc_buf_init(coc_buf *b);
void coc_buf_free(coc_buf *b);
void coc_buf_reset(coc_buf *b); /* keeps the memory */
int coc_buf_add(coc_buf *b, const void *p, size_t n);
int coc_buf_addc(coc_buf *b, char c);
int coc_buf_adds(coc_buf *b, const char *s);
const char *coc_buf_cstr(coc_buf *b); /* "" on OOM */

/* ---- document tree ---------------------------------------------------- */

typedef enum coc_type {
  COC_NULL,    /* explicit JSON null */
  COC_BOOL,
  COC_INT,
  COC_DOUBLE,  /* a number that is not an integer */
  COC_STRING,
  COC_ARRAY,
  COC_OBJECT,
  COC_EMPTY,   /* empty container of unknown kind (an empty Lua table) */
  COC_INVALID  /* a value with no JSON form; carries rule and message */
} coc_type;

typedef struct coc_doc coc_doc;
typedef struct coc_node coc_node;

/* Limits that keep hostile input bounded. */
#define COC_MAX_DEPTH 32          /* nesting of containers */
#define COC_MAX_NODES 200000      /* values in one document */
#define COC_MAX_BODY (8u << 20)   /* bytes of encoded JSON */

coc_doc *coc_doc_new(void);
void coc_doc_free(coc_doc *d);
/* Forget the tree but keep the memory for the next request. */
void coc_doc_clear(coc_doc *d);
/* The request's two inputs: the change_id path parameter and the body. */
coc_node *coc_doc_change_id(coc_doc *d);
coc_node *coc_doc_body(coc_doc *d);

void coc_node_set_null(coc_node *n);
void coc_node_set_bool(coc_node *n, int b);
void coc_node_set_int(coc_node *n, long long i);
void coc_node_set_double(coc_node *n, double v);
/* Borrowed: s must stay valid while the doc is validated/encoded. */
void coc_node_set_string_ref(coc_node *n, const char *s, size_t len);
/* Copied into the doc. */
coc_status coc_node_set_string(coc_doc *d, coc_node *n, const char *s, size_t len);
void coc_node_set_array(coc_node *n);
void coc_node_set_object(coc_node *n);
void coc_node_set_empty(coc_node *n);
/* rule and message must be static strings or outlive the doc's use
 * (e.g. copied with coc_doc_strdup). */
void coc_node_set_invalid(coc_node *n, const char *rule, const char *message);
const char *coc_doc_strdup(coc_doc *d, const char *s);

/* Append a child: NULL when out of memory or past COC_MAX_NODES
 * (coc_doc_status tells which). Keys are borrowed like string refs. */
coc_node *coc_array_push(coc_doc *d, coc_node *array);
coc_node *coc_object_add(coc_doc *d, coc_node *object, const char *key, size_t key_len);
coc_status coc_doc_status(const coc_doc *d);

coc_type coc_node_type(const coc_node *n);

/* ---- validation ------------------------------------------------------- */

typedef enum coc_unknown_policy {
  COC_UNKNOWN_ERROR = 0, /* fields no table defines are problems */
  COC_UNKNOWN_KEEP,      /* passed through as given (still must be JSON) */
  COC_UNKNOWN_DROP       /* left out of the encoded body */
} coc_unknown_policy;

typedef struct coc_options {
  coc_unknown_policy unknown;
} coc_options;

/* One problem: where, which rule (a stable word), and what was wrong. */
typedef struct coc_issue {
  const char *path;    /* e.g. "sub_tickets[2].comment" (1-based indexes) */
  const char *rule;    /* type, utf8, length, enum, range, unknown_field, limit */
  const char *message; /* e.g. "101 characters, at most 100 allowed" */
} coc_issue;

#define COC_MAX_ISSUES 100 /* further problems are only counted */

typedef struct coc_report coc_report;

coc_report *coc_report_new(void);
void coc_report_free(coc_report *r);
void coc_report_clear(coc_report *r);
size_t coc_report_count(const coc_report *r);
/* Problems found beyond COC_MAX_ISSUES. */
size_t coc_report_omitted(const coc_report *r);
/* Pointers stay valid until the report is cleared, freed or added to. */
int coc_report_get(const coc_report *r, size_t i, coc_issue *out);

/* Checks change_id and body against Tables 1-5 of the reference and adds
 * every problem to r. COC_OK, COC_EINVALID or COC_ENOMEM. */
coc_status coc_validate(coc_doc *d, const coc_options *opt, coc_report *r);

/* Writes the body as compact JSON. The doc must have passed coc_validate
 * with the same options. Appends to out. */
coc_status coc_encode(const coc_doc *d, const coc_options *opt, coc_buf *out);

/* Counts the UTF-8 characters of s; -1 if s is not valid UTF-8 (then *bad,
 * if given, is the 0-based offset of the first bad byte). */
long coc_utf8_len(const char *s, size_t len, size_t *bad);

#endif
