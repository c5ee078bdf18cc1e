/* Lua values to the core's document tree. Lua-only shapes (functions,
 * sparse or mixed tables, cycles) become invalid nodes, so the core reports
 * them with their paths beside every other problem. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "binding.h"

typedef struct builder {
  lua_State *L;
  coc_doc *doc;
  const void *stack[COC_MAX_DEPTH + 1]; /* tables on the current path */
  int depth;
  int array_mt; /* pseudo-index of the array marker metatable */
  int stop;     /* a node could not be added: limit or out of memory */
} builder;

static void build(builder *b, int idx, coc_node *n);

static const char *no_json_form(int type) {
  switch (type) {
  case LUA_TFUNCTION: return "a function has no JSON form";
  case LUA_TUSERDATA: return "a userdata has no JSON form";
  case LUA_TLIGHTUSERDATA: return "a light userdata other than null has no JSON form";
  case LUA_TTHREAD: return "a coroutine has no JSON form";
  default: return "this value has no JSON form";
  }
}

static int is_index(lua_State *L, int idx, double *out) {
  double k;
  if (coc_isinteger(L, idx)) {
    k = (double)lua_tointeger(L, idx);
    *out = k;
    return lua_tointeger(L, idx) >= 1;
  }
  k = lua_tonumber(L, idx);
  *out = k;
  return k >= 1 && k == floor(k) && k < 9007199254740992.0;
}

/* The common case in one pass: a table whose keys are all strings. Returns
 * 0, having built nothing useful, when another key turns up, so the caller
 * classifies the table the slow way. */
static int build_object(builder *b, int idx, coc_node *n, const void *self) {
  lua_State *L = b->L;
  int any = 0;
  coc_node_set_object(n);
  b->stack[b->depth++] = self;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    size_t len;
    const char *key;
    coc_node *child;
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      b->depth--;
      return 0;
    }
    any = 1;
    key = lua_tolstring(L, -2, &len); /* a string already: no conversion */
    if (!(child = coc_object_add(b->doc, n, key, len))) {
      b->stop = 1;
      lua_pop(L, 2);
      break;
    }
    build(b, -1, child);
    lua_pop(L, 1);
  }
  b->depth--;
  if (!any) coc_node_set_empty(n);
  return 1;
}

static void build_table(builder *b, int idx, coc_node *n) {
  lua_State *L = b->L;
  const void *self = lua_topointer(L, idx);
  size_t nstr = 0, nint = 0, i;
  double maxk = 0, k;
  const char *bad = NULL;
  int is_array_mt = 0;

  for (i = 0; i < (size_t)b->depth; i++) {
    if (b->stack[i] == self) {
      coc_node_set_invalid(n, "type", "a table that contains itself (cycle) has no JSON form");
      return;
    }
  }
  if (b->depth >= COC_MAX_DEPTH) {
    coc_node_set_invalid(n, "limit", "nested deeper than 32 levels");
    return;
  }
  if (lua_getmetatable(L, idx)) {
    is_array_mt = lua_rawequal(L, -1, b->array_mt);
    lua_pop(L, 1);
  }
  if (!is_array_mt && coc_rawlen(L, idx) == 0 && build_object(b, idx, n, self)) return;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int kt = lua_type(L, -2);
    if (kt == LUA_TSTRING) nstr++;
    else if (kt == LUA_TNUMBER && is_index(L, -2, &k)) {
      nint++;
      if (k > maxk) maxk = k;
    } else if (!bad) {
      bad = kt == LUA_TNUMBER ? "a table with a number key that is not an array index has no JSON form"
          : kt == LUA_TBOOLEAN ? "a table with a boolean key has no JSON form"
          : "a table with a key that is not a string has no JSON form";
    }
    lua_pop(L, 1);
  }
  if (bad) {
    coc_node_set_invalid(n, "type", bad);
    return;
  }
  if (nstr && nint) {
    coc_node_set_invalid(n, "type", "a table that mixes array items and named fields has no JSON form");
    return;
  }
  if (nint && maxk != (double)nint) {
    char msg[96];
    snprintf(msg, sizeof msg, "sparse array: %zu items but the highest index is %.0f", nint, maxk);
    coc_node_set_invalid(n, "type", coc_doc_strdup(b->doc, msg));
    return;
  }
  b->stack[b->depth++] = self;
  if (nint) {
    coc_node_set_array(n);
    for (i = 1; i <= nint; i++) {
      coc_node *child = coc_array_push(b->doc, n);
      if (!child) {
        b->stop = 1;
        break;
      }
      lua_rawgeti(L, idx, (int)i);
      build(b, -1, child);
      lua_pop(L, 1);
    }
  } else if (nstr) {
    coc_node_set_object(n);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      size_t len;
      const char *key = lua_tolstring(L, -2, &len); /* a string already: no conversion */
      coc_node *child = coc_object_add(b->doc, n, key, len);
      if (!child) {
        b->stop = 1;
        lua_pop(L, 2);
        break;
      }
      build(b, -1, child);
      lua_pop(L, 1);
    }
  } else if (is_array_mt) {
    coc_node_set_array(n);
  } else {
    coc_node_set_empty(n);
  }
  b->depth--;
}

static void build(builder *b, int idx, coc_node *n) {
  lua_State *L = b->L;
  if (b->stop) return; /* limit or OOM: stop early */
  switch (lua_type(L, idx)) {
  case LUA_TNIL: coc_node_set_invalid(n, "type", "expected a value, got nil"); return;
  case LUA_TBOOLEAN: coc_node_set_bool(n, lua_toboolean(L, idx)); return;
  case LUA_TNUMBER: {
    double v;
    if (coc_isinteger(L, idx)) {
      coc_node_set_int(n, (long long)lua_tointeger(L, idx));
      return;
    }
    /* Integral floats count as integers: Lua 5.1 and LuaJIT have no others. */
    v = lua_tonumber(L, idx);
    if (v == floor(v) && v >= -9007199254740992.0 && v <= 9007199254740992.0)
      coc_node_set_int(n, (long long)v);
    else
      coc_node_set_double(n, v);
    return;
  }
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    coc_node_set_string_ref(n, s, len);
    return;
  }
  case LUA_TTABLE: build_table(b, idx < 0 ? lua_gettop(L) + idx + 1 : idx, n); return;
  case LUA_TLIGHTUSERDATA:
    if (lua_touserdata(L, idx) == NULL) { /* cjson.null */
      coc_node_set_null(n);
      return;
    }
    /* fall through */
  default: coc_node_set_invalid(n, "type", no_json_form(lua_type(L, idx))); return;
  }
}

void coc_lua_build(lua_State *L, coc_doc *d, int change_id, int body) {
  builder b;
  b.L = L;
  b.doc = d;
  b.depth = 0;
  b.stop = 0;
  /* every level of nesting holds at most three slots: checked once here */
  luaL_checkstack(L, 3 * COC_MAX_DEPTH + 8, "lua-coc: not enough Lua stack");
  coc_doc_clear(d);
  b.array_mt = COC_UV_ARRAY_MT;
  if (lua_isnil(L, change_id))
    coc_node_set_invalid(coc_doc_change_id(d), "type", "expected string, got nil");
  else
    build(&b, change_id, coc_doc_change_id(d));
  if (lua_isnil(L, body))
    coc_node_set_invalid(coc_doc_body(d), "type", "expected object, got nil");
  else
    build(&b, body, coc_doc_body(d));
  if (coc_doc_status(d) == COC_ENOMEM) luaL_error(L, "lua-coc: not enough memory");
}

void coc_lua_options(lua_State *L, int idx, coc_options *opt) {
  opt->unknown = COC_UNKNOWN_ERROR;
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_getfield(L, idx, "unknown_fields");
  if (!lua_isnil(L, -1)) {
    static const char *const names[] = { "error", "keep", "drop", NULL };
    const char *s = lua_tostring(L, -1);
    int i;
    for (i = 0; s && names[i] && strcmp(s, names[i]); i++) {}
    if (!s || !names[i])
      luaL_argerror(L, idx, "unknown_fields must be \"error\", \"keep\" or \"drop\"");
    opt->unknown = (coc_unknown_policy)i;
  }
  lua_pop(L, 1);
}
