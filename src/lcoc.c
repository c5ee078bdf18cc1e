/* coc.core: the Lua binding. Turns Lua values into core calls and core
 * results into Lua conventions: (nil, err) for every runtime failure,
 * luaL_argerror only for programmer errors such as a bad option. */
#include "binding.h"

#define WORKSPACE_MT "coc.workspace"

static int workspace_gc(lua_State *L) {
  coc_workspace *ws = luaL_checkudata(L, 1, WORKSPACE_MT);
  coc_doc_free(ws->doc);
  coc_report_free(ws->report);
  coc_buf_free(&ws->body);
  ws->doc = NULL;
  ws->report = NULL;
  return 0;
}

/* The userdata exists, with its __gc, before anything is allocated, so an
 * allocation failure can't leak. */
static coc_workspace *workspace_new(lua_State *L) {
  coc_workspace *ws = lua_newuserdata(L, sizeof *ws);
  ws->doc = NULL;
  ws->report = NULL;
  coc_buf_init(&ws->body);
  if (luaL_newmetatable(L, WORKSPACE_MT)) {
    lua_pushcfunction(L, workspace_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  ws->doc = coc_doc_new();
  ws->report = coc_report_new();
  if (!ws->doc || !ws->report) luaL_error(L, "lua-coc: not enough memory");
  return ws;
}

#define WS(L) ((coc_workspace *)lua_touserdata(L, lua_upvalueindex(1)))

int coc_lua_prepare_body(lua_State *L, coc_workspace *ws, int change_id, int body, int opts) {
  coc_options opt;
  coc_status st;
  coc_lua_options(L, opts, &opt);
  coc_lua_build(L, ws->doc, change_id, body);
  coc_report_clear(ws->report);
  coc_buf_reset(&ws->body);
  st = coc_validate(ws->doc, &opt, ws->report);
  if (st == COC_OK) st = coc_encode(ws->doc, &opt, &ws->body);
  switch (st) {
  case COC_OK: return 0;
  case COC_EINVALID: return coc_lua_push_validation(L, ws->report);
  case COC_ELIMIT:
    return coc_lua_push_error(L, "validation", "COC.VALIDATION",
                              "body: the encoded body is larger than 8 MiB");
  default: return luaL_error(L, "lua-coc: not enough memory");
  }
}

/* coc.validate(change_id, body [, opts]) -> true | nil, err */
static int l_validate(lua_State *L) {
  int n;
  lua_settop(L, 3);
  if ((n = coc_lua_prepare_body(L, WS(L), 1, 2, 3))) return n;
  lua_pushboolean(L, 1);
  return 1;
}

/* coc.encode(change_id, body [, opts]) -> json | nil, err */
static int l_encode(lua_State *L) {
  coc_workspace *ws = WS(L);
  int n;
  lua_settop(L, 3);
  if ((n = coc_lua_prepare_body(L, ws, 1, 2, 3))) return n;
  lua_pushlstring(L, ws->body.ptr, ws->body.len);
  return 1;
}

static const luaL_Reg functions[] = {
  { "validate", l_validate },
  { "encode", l_encode },
  { NULL, NULL }
};

int luaopen_coc_core(lua_State *L);

int luaopen_coc_core(lua_State *L) {
  coc_lua_error_open(L);
  luaL_newmetatable(L, COC_ARRAY_MT); /* marks a table as a JSON array */
  lua_pushliteral(L, "coc.array");
  lua_setfield(L, -2, "__name");
  lua_newtable(L);
  workspace_new(L);
  coc_setfuncs(L, functions, 1);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "array_mt");
  luaL_getmetatable(L, COC_ERROR_MT);
  lua_setfield(L, -2, "error_mt");
  lua_pushlightuserdata(L, NULL); /* the same value as cjson.null */
  lua_setfield(L, -2, "null");
  lua_pushliteral(L, COC_VERSION);
  lua_setfield(L, -2, "_VERSION");
  lua_remove(L, -2);
  return 1;
}
