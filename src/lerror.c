/* Error objects: tables with a kind, a stable code and a message, whose
 * tostring reads well. Validation errors also carry every problem. They
 * never hold secrets: nothing secret is ever put into them. */
#include <stdio.h>
#include <string.h>

#include "binding.h"

/* A string field of the table at idx, or NULL. The pointer stays valid
 * after the pop because the table still holds the string. */
static const char *str_field(lua_State *L, int idx, const char *name) {
  const char *s;
  lua_getfield(L, idx, name);
  s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 1);
  return s;
}

static int num_field(lua_State *L, int idx, const char *name, long *out) {
  int ok;
  lua_getfield(L, idx, name);
  ok = lua_type(L, -1) == LUA_TNUMBER;
  if (ok) *out = (long)lua_tonumber(L, -1);
  lua_pop(L, 1);
  return ok;
}

/* The table at errors[i], read while the stack stays balanced between the
 * luaL_Buffer calls of the caller. */
static int problem_at(lua_State *L, long i, const char **path, const char **msg, const char **rule) {
  int ok = 0;
  lua_getfield(L, 1, "errors");
  if (lua_istable(L, -1)) {
    lua_rawgeti(L, -1, (int)i);
    if ((ok = lua_istable(L, -1))) {
      *path = str_field(L, -1, "path");
      *msg = str_field(L, -1, "message");
      *rule = str_field(L, -1, "rule");
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return ok;
}

static void add(luaL_Buffer *b, const char *prefix, const char *s, const char *suffix) {
  if (!s) return;
  luaL_addstring(b, prefix);
  luaL_addstring(b, s);
  luaL_addstring(b, suffix);
}

/* "lua-coc: <kind> error ..." then, for validation errors, one problem a line. */
static int error_tostring(lua_State *L) {
  luaL_Buffer b;
  char num[64];
  long i, n = 0, status, omitted;
  const char *path, *msg, *rule;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "errors");
  if (lua_istable(L, -1)) n = (long)coc_rawlen(L, -1);
  lua_pop(L, 1);

  luaL_buffinit(L, &b);
  add(&b, "lua-coc: ", str_field(L, 1, "kind"), " error");
  if (n) {
    snprintf(num, sizeof num, ": %ld problem%s", n, n == 1 ? "" : "s");
    luaL_addstring(&b, num);
    for (i = 1; i <= n; i++) {
      path = msg = rule = NULL;
      if (!problem_at(L, i, &path, &msg, &rule)) continue;
      add(&b, "\n  ", path, ": ");
      add(&b, "", msg, "");
      add(&b, " [", rule, "]");
    }
    if (num_field(L, 1, "omitted", &omitted)) {
      snprintf(num, sizeof num, "\n  ... and %ld more", omitted);
      luaL_addstring(&b, num);
    }
  } else {
    if (num_field(L, 1, "status", &status)) {
      snprintf(num, sizeof num, " (HTTP %ld)", status);
      luaL_addstring(&b, num);
    }
    add(&b, " ", str_field(L, 1, "code"), "");
    add(&b, ": ", str_field(L, 1, "message"), "");
    add(&b, " (request id ", str_field(L, 1, "request_id"), ")");
  }
  luaL_pushresult(&b);
  return 1;
}

void coc_lua_error_open(lua_State *L) {
  if (luaL_newmetatable(L, COC_ERROR_MT)) {
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "coc.error");
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
}

static void set_string(lua_State *L, const char *name, const char *value) {
  lua_pushstring(L, value);
  lua_setfield(L, -2, name);
}

int coc_lua_push_error(lua_State *L, const char *kind, const char *code, const char *message) {
  lua_pushnil(L);
  lua_createtable(L, 0, 4);
  set_string(L, "kind", kind);
  if (code) set_string(L, "code", code);
  set_string(L, "message", message);
  luaL_getmetatable(L, COC_ERROR_MT);
  lua_setmetatable(L, -2);
  return 2;
}

int coc_lua_push_validation(lua_State *L, const coc_report *r) {
  size_t i, n = coc_report_count(r);
  coc_issue is;
  coc_lua_push_error(L, "validation", "COC.VALIDATION", "");
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    if (coc_report_get(r, i, &is)) break;
    lua_createtable(L, 0, 3);
    set_string(L, "path", is.path);
    set_string(L, "rule", is.rule);
    set_string(L, "message", is.message);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "errors");
  if (coc_report_omitted(r)) {
    lua_pushnumber(L, (lua_Number)coc_report_omitted(r));
    lua_setfield(L, -2, "omitted");
  }
  /* message: the first problem, and how many more */
  if (n && !coc_report_get(r, 0, &is)) {
    size_t more = n - 1 + coc_report_omitted(r);
    if (more) lua_pushfstring(L, "%s: %s (and %d more)", is.path, is.message, (int)more);
    else lua_pushfstring(L, "%s: %s", is.path, is.message);
    lua_setfield(L, -2, "message");
  }
  return 2;
}
