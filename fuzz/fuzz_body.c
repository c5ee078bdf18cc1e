/* Fuzzes the validator and the serializer with structured bodies. The fuzz
 * bytes drive a small builder of document trees (types, keys from the
 * reference's field names or random, strings of random bytes, numbers at
 * the edges). Each tree is validated under every unknown-field policy;
 * the report must be bounded and printable, and a valid tree must encode to
 * JSON that a strict parser (json_check.h) reads back to the tree given,
 * with the documented normalizations: unknown fields dropped under DROP, an
 * empty table written [] for sub_tickets and {} elsewhere, fields in the
 * reference's order then unknown ones by name. An input that starts with
 * '{' is instead read as a JSON body (change_id "CHG-FUZZ"): the seed corpus
 * holds the reference's examples that way. */
#include <math.h>

#include "fuzz.h"
#include "json_check.h"

/* ---- the reference's shape, as the harness sees it -------------------- */

enum { P_NONE, P_BODY, P_TICKET, P_SUB, P_HISTORY }; /* places with a schema */
enum { K_STR, K_BOOL, K_INT, K_OBJ, K_ARR };

typedef struct field {
  const char *name;
  int kind, place; /* place: of the object (or of an array's items) */
  const char *const *choices;
} field;

static const char *const phases[] = { "phase_change_end", "phase_change_cancel", "phase_change_draft",
  "phase_change_implement", "phase_change_apply", "phase_change_approve", "phase_change_close", NULL };
static const char *const actions[] = { "change_start_change_success", "change_end_change_success",
  "change_set_change_result_success", "change_complete_success", NULL };

static const field body_fields[] = {
  { "ticket_info", K_OBJ, P_TICKET, NULL }, { "sub_tickets", K_ARR, P_SUB, NULL },
  { "history_info", K_OBJ, P_HISTORY, NULL }, { NULL, 0, 0, NULL } };
static const field ticket_fields[] = {
  { "phase", K_STR, 0, phases }, { "work_flow_status", K_STR, 0, NULL }, { NULL, 0, 0, NULL } };
static const field sub_fields[] = {
  { "ticket_id", K_STR, 0, NULL }, { "change_result", K_STR, 0, NULL },
  { "is_verified_in_change_time", K_BOOL, 0, NULL }, { "verified_docs", K_STR, 0, NULL },
  { "comment", K_STR, 0, NULL }, { "change_fail_type", K_STR, 0, NULL },
  { "rollback_start_time", K_INT, 0, NULL }, { "rollback_end_time", K_INT, 0, NULL },
  { "is_rollback_success", K_BOOL, 0, NULL }, { "is_monitor_found", K_BOOL, 0, NULL },
  { NULL, 0, 0, NULL } };
static const field history_fields[] = { { "action", K_STR, 0, actions }, { NULL, 0, 0, NULL } };

static const field *fields_of(int place) {
  switch (place) {
  case P_BODY: return body_fields;
  case P_TICKET: return ticket_fields;
  case P_SUB: return sub_fields;
  case P_HISTORY: return history_fields;
  }
  return NULL;
}

static int field_index(int place, const char *key, size_t len) {
  const field *f = fields_of(place);
  int i;
  for (i = 0; f && f[i].name; i++)
    if (strlen(f[i].name) == len && !memcmp(f[i].name, key, len)) return i;
  return -1;
}

/* Names a body may use wrongly: every field of the reference and a few more. */
static const char *const other_keys[] = { "ticket_info", "sub_tickets", "history_info", "phase", "action",
  "comment", "verified_docs1", "Phase", "ticket_id", "is_monitor_found", "", "\xc3\xa9t\xc3\xa9",
  "\xff\xfe", "a\"b\\c\n", "data" };

/* ---- the given tree ----------------------------------------------------- */

#define MAX_NODES 3000

typedef struct gnode {
  coc_type type;
  long long i;
  double d;
  int b;
  const char *s, *key;
  size_t slen, klen;
  struct gnode *kids, *tail, *next;
} gnode;

static gnode pool[MAX_NODES];
static size_t used;
static char keybuf[MAX_NODES + 1][12]; /* generated unique unknown keys */

static gnode *gnew(coc_type t) {
  gnode *g;
  if (used == MAX_NODES) return NULL;
  g = &pool[used++];
  memset(g, 0, sizeof *g);
  g->type = t;
  return g;
}

static void gadd(gnode *parent, gnode *kid) {
  if (parent->tail) parent->tail->next = kid; else parent->kids = kid;
  parent->tail = kid;
}

static int has_key(const gnode *obj, const char *k, size_t len) {
  const gnode *m;
  for (m = obj->kids; m; m = m->next)
    if (m->klen == len && !memcmp(m->key, k, len)) return 1;
  return 0;
}

static const long long edge_ints[] = { 0, 1, -1, 9999999999999LL, 10000000000000LL, 1742888808000LL,
  -9223372036854775807LL - 1, 9223372036854775807LL, 255, 256 };

static gnode *gen(fuzz_reader *r, int kind, int place, const char *const *choices, int depth);

static void gen_members(fuzz_reader *r, gnode *obj, int place, int depth) {
  unsigned n = fuzz_pick(r, 9), i;
  const field *f = fields_of(place);
  for (i = 0; i < n && r->n; i++) {
    const char *key;
    size_t klen;
    unsigned how = fuzz_pick(r, 8);
    int idx = -1;
    gnode *v;
    if (f && how < 5) { /* a field of this place (may repeat: a duplicate) */
      unsigned count = 0;
      while (f[count].name) count++;
      idx = (int)fuzz_pick(r, count);
      key = f[idx].name;
      klen = strlen(key);
    } else if (how < 7) {
      key = other_keys[fuzz_pick(r, sizeof other_keys / sizeof *other_keys)];
      klen = strlen(key);
      idx = field_index(place, key, klen);
    } else {
      key = fuzz_bytes(r, 20, &klen);
      idx = field_index(place, key, klen);
    }
    /* unknown keys are unique: Lua tables, the binding's only source, can't
     * repeat a key; a repeated known field must be reported as duplicate */
    if (idx < 0 && has_key(obj, key, klen)) {
      snprintf(keybuf[used], sizeof keybuf[used], "k%zu", used);
      key = keybuf[used];
      klen = strlen(key);
      if (has_key(obj, key, klen)) continue;
    }
    if (idx >= 0 && fuzz_pick(r, 4)) v = gen(r, f[idx].kind, f[idx].place, f[idx].choices, depth + 1);
    else v = gen(r, -1, P_NONE, NULL, depth + 1);
    if (!v) return;
    v->key = key;
    v->klen = klen;
    gadd(obj, v);
  }
}

/* A value: of the kind a field expects (kind >= 0) most of the time, else anything. */
static gnode *gen(fuzz_reader *r, int kind, int place, const char *const *choices, int depth) {
  static const coc_type any[] = { COC_NULL, COC_BOOL, COC_INT, COC_DOUBLE, COC_STRING, COC_ARRAY,
    COC_OBJECT, COC_EMPTY, COC_INVALID, COC_STRING, COC_OBJECT, COC_ARRAY };
  coc_type t;
  gnode *g;
  if (kind == K_STR) t = COC_STRING;
  else if (kind == K_BOOL) t = COC_BOOL;
  else if (kind == K_INT) t = COC_INT;
  else if (kind == K_OBJ) t = COC_OBJECT;
  else if (kind == K_ARR) t = COC_ARRAY;
  else t = any[fuzz_pick(r, sizeof any / sizeof *any)];
  if (depth > 40 && (t == COC_ARRAY || t == COC_OBJECT)) t = COC_EMPTY;
  if (!(g = gnew(t))) return NULL;
  switch (t) {
  case COC_BOOL: g->b = (int)fuzz_pick(r, 2); break;
  case COC_INT:
    g->i = fuzz_pick(r, 2) ? edge_ints[fuzz_pick(r, sizeof edge_ints / sizeof *edge_ints)] : (long long)fuzz_u64(r);
    break;
  case COC_DOUBLE: {
    uint64_t bits = fuzz_u64(r);
    memcpy(&g->d, &bits, sizeof g->d);
    if (fuzz_pick(r, 2)) g->d = (double)(int)fuzz_pick(r, 256) / 8.0 + 0.1; /* everyday numbers */
    break;
  }
  case COC_STRING:
    if (choices && fuzz_pick(r, 2)) {
      unsigned count = 0;
      while (choices[count]) count++;
      g->s = choices[fuzz_pick(r, count)];
      g->slen = strlen(g->s);
    } else {
      g->s = fuzz_bytes(r, 1200, &g->slen);
    }
    break;
  case COC_ARRAY: {
    unsigned n = fuzz_pick(r, 5), i;
    for (i = 0; i < n && r->n; i++) {
      gnode *k = kind == K_ARR && fuzz_pick(r, 4) ? gen(r, K_OBJ, place, NULL, depth + 1)
                                                   : gen(r, -1, P_NONE, NULL, depth + 1);
      if (!k) break;
      gadd(g, k);
    }
    break;
  }
  case COC_OBJECT: gen_members(r, g, kind == K_OBJ ? place : P_NONE, depth); break;
  default: break;
  }
  return g;
}

/* ---- or the tree of a JSON text (the seed corpus: the reference's examples) */

static gnode *from_json(const jnode *j) {
  const jnode *k;
  gnode *g;
  char num[64];
  coc_type t = j->type == J_NULL ? COC_NULL : j->type == J_STRING ? COC_STRING : j->type == J_ARRAY ? COC_ARRAY
             : j->type == J_OBJECT ? COC_OBJECT : j->type == J_NUMBER ? COC_INT : COC_BOOL;
  if (!(g = gnew(t))) return NULL;
  switch (j->type) {
  case J_TRUE: case J_FALSE: g->b = j->type == J_TRUE; break;
  case J_STRING: g->s = j->text; g->slen = j->len; break;
  case J_NUMBER: {
    char *end;
    size_t len = j->len < sizeof num - 1 ? j->len : sizeof num - 1;
    memcpy(num, j->text, len);
    num[len] = '\0';
    g->i = strtoll(num, &end, 10);
    if (*end || len != j->len || (g->i == 0 && num[0] == '-')) { /* not an exact integer: a number */
      g->type = COC_DOUBLE;
      g->d = strtod(num, NULL);
    }
    break;
  }
  case J_ARRAY: case J_OBJECT:
    for (k = j->kids; k; k = k->next) {
      gnode *c;
      if (j->type == J_OBJECT && has_key(g, k->key, k->key_len)) continue; /* first one wins */
      if (!(c = from_json(k))) return NULL;
      c->key = k->key;
      c->klen = k->key_len;
      gadd(g, c);
    }
    break;
  default: break;
  }
  return g;
}

/* ---- the tree as a coc_doc ---------------------------------------------- */

static int build(coc_doc *d, coc_node *n, const gnode *g) {
  const gnode *k;
  switch (g->type) {
  case COC_NULL: coc_node_set_null(n); return 0;
  case COC_BOOL: coc_node_set_bool(n, g->b); return 0;
  case COC_INT: coc_node_set_int(n, g->i); return 0;
  case COC_DOUBLE: coc_node_set_double(n, g->d); return 0;
  case COC_STRING: coc_node_set_string_ref(n, g->s, g->slen); return 0;
  case COC_EMPTY: coc_node_set_empty(n); return 0;
  case COC_INVALID: coc_node_set_invalid(n, "type", "a function has no JSON form"); return 0;
  case COC_ARRAY:
    coc_node_set_array(n);
    for (k = g->kids; k; k = k->next) {
      coc_node *c = coc_array_push(d, n);
      if (!c || build(d, c, k)) return -1;
    }
    return 0;
  case COC_OBJECT:
    coc_node_set_object(n);
    for (k = g->kids; k; k = k->next) {
      coc_node *c = coc_object_add(d, n, k->key, k->klen);
      if (!c || build(d, c, k)) return -1;
    }
    return 0;
  }
  return -1;
}

/* ---- comparing what was written with what was given ---------------------- */

static int key_cmp(const char *a, size_t la, const char *b, size_t lb) {
  int c = memcmp(a, b, la < lb ? la : lb);
  return c ? c : (la > lb) - (la < lb);
}

static void same(const jnode *j, const gnode *g, int kind, int place, coc_unknown_policy pol);

static void same_object(const jnode *j, const gnode *g, int place, coc_unknown_policy pol) {
  const field *f = fields_of(place);
  const gnode *m;
  const jnode *k, *prev = NULL;
  size_t expected = 0;
  FUZZ_ASSERT(j->type == J_OBJECT, "an object was written as something else");
  for (m = g->kids; m; m = m->next) {
    int idx = field_index(place, m->key, m->klen);
    if (idx >= 0 || !f || pol == COC_UNKNOWN_KEEP) expected++;
  }
  FUZZ_ASSERT(j->count == expected, "an object lost or gained members");
  for (k = j->kids; k; prev = k, k = k->next) {
    int idx = field_index(place, k->key, k->key_len);
    for (m = g->kids; m; m = m->next)
      if (m->klen == k->key_len && !memcmp(m->key, k->key, m->klen)) break;
    FUZZ_ASSERT(m != NULL, "a member was written that was not given");
    if (f && prev) { /* the reference's order, then unknown fields by name */
      int pidx = field_index(place, prev->key, prev->key_len);
      if (idx >= 0) FUZZ_ASSERT(pidx >= 0 && pidx < idx, "known fields out of order (or repeated)");
      else FUZZ_ASSERT(pidx >= 0 || key_cmp(prev->key, prev->key_len, k->key, k->key_len) < 0,
                       "unknown fields not sorted by name");
    }
    if (idx >= 0 && f) same(k, m, f[idx].kind, f[idx].place, pol);
    else same(k, m, -1, P_NONE, pol);
  }
}

static void same(const jnode *j, const gnode *g, int kind, int place, coc_unknown_policy pol) {
  const gnode *m;
  const jnode *k;
  switch (g->type) {
  case COC_NULL: FUZZ_ASSERT(j->type == J_NULL, "null changed"); return;
  case COC_BOOL: FUZZ_ASSERT(j->type == (g->b ? J_TRUE : J_FALSE), "boolean changed"); return;
  case COC_INT: {
    char num[32];
    snprintf(num, sizeof num, "%lld", g->i);
    FUZZ_ASSERT(j->type == J_NUMBER && j->len == strlen(num) && !memcmp(j->text, num, j->len),
                "integer changed");
    return;
  }
  case COC_DOUBLE: {
    char num[64];
    FUZZ_ASSERT(j->type == J_NUMBER && j->len < sizeof num, "number changed");
    memcpy(num, j->text, j->len);
    num[j->len] = '\0';
    FUZZ_ASSERT(strtod(num, NULL) == g->d, "a number does not read back exactly");
    return;
  }
  case COC_STRING:
    FUZZ_ASSERT(j->type == J_STRING && j->len == g->slen && !memcmp(j->text, g->s, g->slen), "text changed");
    return;
  case COC_EMPTY:
    FUZZ_ASSERT(j->count == 0 && j->type == (kind == K_ARR ? J_ARRAY : J_OBJECT),
                "an empty table must be [] for sub_tickets and {} elsewhere");
    return;
  case COC_ARRAY:
    FUZZ_ASSERT(j->type == J_ARRAY, "an array was written as something else");
    for (m = g->kids, k = j->kids; m && k; m = m->next, k = k->next)
      same(k, m, kind == K_ARR ? K_OBJ : -1, kind == K_ARR ? place : P_NONE, pol);
    FUZZ_ASSERT(!m && !k, "an array lost or gained items");
    return;
  case COC_OBJECT: same_object(j, g, kind == K_OBJ ? place : P_NONE, pol); return;
  case COC_INVALID: FUZZ_ASSERT(0, "a value with no JSON form passed validation"); return;
  }
}

/* ---- the harness -------------------------------------------------------- */

static const char *const rules[] = { "type", "utf8", "length", "enum", "range", "unknown_field",
  "duplicate", "limit", NULL };

static void check_report(const coc_report *rep, coc_status st) {
  size_t i, n = coc_report_count(rep);
  FUZZ_ASSERT(n <= COC_MAX_ISSUES, "more issues than COC_MAX_ISSUES");
  FUZZ_ASSERT((st == COC_OK) == (n == 0 && coc_report_omitted(rep) == 0), "status and report disagree");
  FUZZ_ASSERT(coc_report_omitted(rep) == 0 || n == COC_MAX_ISSUES, "issues omitted before the cap");
  for (i = 0; i < n; i++) {
    coc_issue is;
    const char *const *r;
    FUZZ_ASSERT(coc_report_get(rep, i, &is) == 0, "an issue could not be read");
    fuzz_check_text(is.path, "issue path");
    fuzz_check_text(is.message, "issue message");
    fuzz_check_text(is.rule, "issue rule");
    for (r = rules; *r && strcmp(*r, is.rule); r++) {}
    FUZZ_ASSERT(*r != NULL, "an undocumented rule");
  }
  FUZZ_ASSERT(coc_report_get(rep, n, &(coc_issue){ 0, 0, 0 }) != 0, "an issue past the count");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static coc_doc *doc;
  static coc_report *rep;
  static coc_buf out, again;
  fuzz_reader r = { data, size };
  jparser seed = { 0 };
  gnode *body;
  const char *cid;
  size_t cid_len;
  int pol;

  if (!doc) {
    doc = coc_doc_new();
    rep = coc_report_new();
    coc_buf_init(&out);
    coc_buf_init(&again);
  }
  used = 0;
  if (size && data[0] == '{') { /* a JSON body: the seeds, and what grows from them */
    jnode *root = j_parse(&seed, (const char *)data, size);
    cid = "CHG-FUZZ";
    cid_len = 8;
    body = root ? from_json(root) : NULL;
  } else {
    cid = fuzz_bytes(&r, 60, &cid_len);
    body = fuzz_pick(&r, 16) ? gen(&r, K_OBJ, P_BODY, NULL, 0) : gen(&r, -1, P_NONE, NULL, 0);
  }
  if (!body) {
    j_free(&seed);
    return 0;
  }
  coc_doc_clear(doc);
  coc_node_set_string_ref(coc_doc_change_id(doc), cid, cid_len);
  if (build(doc, coc_doc_body(doc), body)) {
    FUZZ_ASSERT(coc_doc_status(doc) != COC_OK, "a node could not be added, yet the doc reports no error");
    j_free(&seed);
    return 0;
  }
  for (pol = COC_UNKNOWN_ERROR; pol <= COC_UNKNOWN_DROP; pol++) {
    coc_options opt;
    coc_status st;
    jparser jp;
    jnode *root;
    opt.unknown = (coc_unknown_policy)pol;
    coc_report_clear(rep);
    st = coc_validate(doc, &opt, rep);
    FUZZ_ASSERT(st == COC_OK || st == COC_EINVALID, "validation failed otherwise than with problems");
    check_report(rep, st);
    if (st != COC_OK) continue;
    coc_buf_reset(&out);
    coc_buf_reset(&again);
    st = coc_encode(doc, &opt, &out);
    if (st == COC_ELIMIT) continue; /* more than 8 MiB: refused, not written */
    FUZZ_ASSERT(st == COC_OK, "a valid document did not encode");
    FUZZ_ASSERT(coc_encode(doc, &opt, &again) == COC_OK && again.len == out.len &&
                !memcmp(again.ptr, out.ptr, out.len), "encoding is not deterministic");
    root = j_parse(&jp, coc_buf_cstr(&out), out.len);
    if (!root) fprintf(stderr, "not JSON: %.*s\n", (int)(out.len > 2000 ? 2000 : out.len), coc_buf_cstr(&out));
    FUZZ_ASSERT(root != NULL, "the serializer wrote something that is not JSON");
    FUZZ_ASSERT(coc_utf8_len(out.ptr, out.len, NULL) >= 0, "the serializer wrote invalid UTF-8");
    same(root, body, K_OBJ, P_BODY, opt.unknown); /* the body is always checked as one */
    j_free(&jp);
  }
  j_free(&seed); /* the JSON seed's strings were borrowed until here */
  return 0;
}
