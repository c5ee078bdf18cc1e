/* A small strict JSON parser (RFC 8259) for the round-trip harness: it owns
 * no code with the serializer it checks. Numbers keep their text; strings
 * are decoded to bytes (\u escapes to UTF-8, surrogate pairs joined). */
#ifndef COC_FUZZ_JSON_CHECK_H
#define COC_FUZZ_JSON_CHECK_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_TRUE, J_FALSE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } jtype;

typedef struct jnode {
  jtype type;
  const char *text; /* number text (in the input) or decoded string bytes */
  size_t len;
  const char *key;  /* decoded, for members */
  size_t key_len;
  struct jnode *kids, *next;
  size_t count;
} jnode;

typedef struct jparser {
  const char *s, *end;
  jnode *nodes;
  size_t used, cap;
  char *strings; /* decoded text: never longer than the input */
  size_t slen;
  int depth;
} jparser;

static inline void j_ws(jparser *p) {
  while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static inline int j_hex4(const char *s, unsigned *out) {
  unsigned v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static inline void j_put_utf8(jparser *p, unsigned cp) {
  char *o = p->strings + p->slen;
  if (cp < 0x80) { o[0] = (char)cp; p->slen += 1; }
  else if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 63)); p->slen += 2; }
  else if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 63)); o[2] = (char)(0x80 | (cp & 63));
    p->slen += 3;
  } else {
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 63));
    o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63));
    p->slen += 4;
  }
}

/* A string at p->s (on the quote); its decoded bytes into *out. */
static inline int j_string(jparser *p, const char **out, size_t *len) {
  size_t start = p->slen;
  p->s++;
  while (p->s < p->end && *p->s != '"') {
    unsigned char c = (unsigned char)*p->s;
    if (c < 0x20) return -1;
    if (c != '\\') { p->strings[p->slen++] = (char)c; p->s++; continue; }
    if (p->end - p->s < 2) return -1;
    switch (p->s[1]) {
    case '"': case '\\': case '/': p->strings[p->slen++] = p->s[1]; break;
    case 'b': p->strings[p->slen++] = '\b'; break;
    case 'f': p->strings[p->slen++] = '\f'; break;
    case 'n': p->strings[p->slen++] = '\n'; break;
    case 'r': p->strings[p->slen++] = '\r'; break;
    case 't': p->strings[p->slen++] = '\t'; break;
    case 'u': {
      unsigned cp, lo;
      if (p->end - p->s < 6 || j_hex4(p->s + 2, &cp)) return -1;
      if (cp >= 0xD800 && cp < 0xDC00) { /* a high surrogate needs its low half */
        if (p->end - p->s < 12 || p->s[6] != '\\' || p->s[7] != 'u' || j_hex4(p->s + 8, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
          return -1;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p->s += 6;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return -1;
      }
      j_put_utf8(p, cp);
      p->s += 4;
      break;
    }
    default: return -1;
    }
    p->s += 2;
  }
  if (p->s >= p->end) return -1;
  p->s++;
  *out = p->strings + start;
  *len = p->slen - start;
  return 0;
}

static inline int j_digits(jparser *p) {
  const char *start = p->s;
  while (p->s < p->end && *p->s >= '0' && *p->s <= '9') p->s++;
  return p->s > start ? 0 : -1;
}

static inline jnode *j_value(jparser *p);

static inline jnode *j_new(jparser *p, jtype t) {
  jnode *n;
  if (p->used == p->cap) return NULL;
  n = &p->nodes[p->used++];
  memset(n, 0, sizeof *n);
  n->type = t;
  return n;
}

static inline jnode *j_container(jparser *p, int object) {
  jnode *n = j_new(p, object ? J_OBJECT : J_ARRAY), *tail = NULL, *k;
  if (!n || ++p->depth > 200) return NULL;
  p->s++;
  j_ws(p);
  if (p->s < p->end && *p->s == (object ? '}' : ']')) {
    p->s++;
    p->depth--;
    return n;
  }
  for (;;) {
    const char *key = NULL;
    size_t key_len = 0;
    j_ws(p);
    if (object) {
      if (p->s >= p->end || *p->s != '"' || j_string(p, &key, &key_len)) return NULL;
      j_ws(p);
      if (p->s >= p->end || *p->s++ != ':') return NULL;
    }
    if (!(k = j_value(p))) return NULL;
    k->key = key;
    k->key_len = key_len;
    if (tail) tail->next = k; else n->kids = k;
    tail = k;
    n->count++;
    j_ws(p);
    if (p->s >= p->end) return NULL;
    if (*p->s == ',') { p->s++; continue; }
    if (*p->s++ != (object ? '}' : ']')) return NULL;
    p->depth--;
    return n;
  }
}

static inline jnode *j_value(jparser *p) {
  jnode *n;
  j_ws(p);
  if (p->s >= p->end) return NULL;
  switch (*p->s) {
  case '{': return j_container(p, 1);
  case '[': return j_container(p, 0);
  case '"':
    if (!(n = j_new(p, J_STRING)) || j_string(p, &n->text, &n->len)) return NULL;
    return n;
  case 'n': case 't': case 'f': {
    static const char *const words[] = { "null", "true", "false" };
    static const jtype types[] = { J_NULL, J_TRUE, J_FALSE };
    int i = *p->s == 'n' ? 0 : *p->s == 't' ? 1 : 2;
    size_t wl = strlen(words[i]);
    if ((size_t)(p->end - p->s) < wl || memcmp(p->s, words[i], wl)) return NULL;
    p->s += wl;
    return j_new(p, types[i]);
  }
  default: {
    const char *start = p->s;
    if (!(n = j_new(p, J_NUMBER))) return NULL;
    if (*p->s == '-') p->s++;
    if (p->s < p->end && *p->s == '0') p->s++; /* no leading zeros */
    else if (j_digits(p)) return NULL;
    if (p->s < p->end && *p->s == '.') { p->s++; if (j_digits(p)) return NULL; }
    if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
      p->s++;
      if (p->s < p->end && (*p->s == '+' || *p->s == '-')) p->s++;
      if (j_digits(p)) return NULL;
    }
    n->text = start;
    n->len = (size_t)(p->s - start);
    return n;
  }
  }
}

/* Parses the whole text (nothing may follow the value); NULL if it is not
 * JSON. Free the parser's memory with j_free. */
static inline jnode *j_parse(jparser *p, const char *s, size_t len) {
  jnode *root;
  memset(p, 0, sizeof *p);
  p->s = s;
  p->end = s + len;
  p->cap = len + 1; /* every value takes at least one byte */
  p->nodes = malloc(p->cap * sizeof *p->nodes);
  p->strings = malloc(len + 1);
  if (!p->nodes || !p->strings) return NULL;
  root = j_value(p);
  j_ws(p);
  return root && p->s == p->end ? root : NULL;
}

static inline void j_free(jparser *p) {
  free(p->nodes);
  free(p->strings);
}

#endif
