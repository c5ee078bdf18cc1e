/* coc.core: the Lua binding. Turns Lua values into core calls and core
 * results into Lua conventions: (nil, err) for every runtime failure,
 * luaL_argerror only for programmer errors such as a bad option. */
#include <string.h>

#include "binding.h"


static int workspace_gc(lua_State *L) {
  coc_workspace *ws = luaL_checkudata(L, 1, COC_WORKSPACE_MT);
  coc_doc_free(ws->doc);
  coc_report_free(ws->report);
  coc_buf_free(&ws->body);
  coc_buf_free(&ws->path);
  coc_buf_free(&ws->tmp[0]);
  coc_buf_free(&ws->tmp[1]);
  coc_buf_free(&ws->tmp[2]);
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
  coc_buf_init(&ws->path);
  coc_buf_init(&ws->tmp[0]);
  coc_buf_init(&ws->tmp[1]);
  coc_buf_init(&ws->tmp[2]);
  if (luaL_newmetatable(L, COC_WORKSPACE_MT)) {
    lua_pushcfunction(L, workspace_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  ws->doc = coc_doc_new();
  ws->report = coc_report_new();
  if (!ws->doc || !ws->report) luaL_error(L, "lua-coc: not enough memory");
  return ws;
}


/* Builds and validates the arguments; encodes the body into ws->body when
 * encode is set. Returns 0, or pushes (nil, err) and returns 2. */
static int check_body(lua_State *L, coc_workspace *ws, int change_id, int body, int opts, int encode) {
  coc_options opt;
  coc_status st;
  coc_lua_options(L, opts, &opt);
  coc_lua_build(L, ws->doc, change_id, body);
  coc_report_clear(ws->report);
  coc_buf_reset(&ws->body);
  st = coc_validate(ws->doc, &opt, ws->report);
  if (st == COC_OK && encode) st = coc_encode(ws->doc, &opt, &ws->body);
  switch (st) {
  case COC_OK: return 0;
  case COC_EINVALID: return coc_lua_push_validation(L, ws->report);
  case COC_ELIMIT:
    return coc_lua_push_error(L, "validation", "COC.VALIDATION",
                              "body: the encoded body is larger than 8 MiB");
  default: return luaL_error(L, "lua-coc: not enough memory");
  }
}

int coc_lua_prepare_body(lua_State *L, coc_workspace *ws, int change_id, int body, int opts) {
  return check_body(L, ws, change_id, body, opts, 1);
}

/* coc.validate(change_id, body [, opts]) -> true | nil, err */
static int l_validate(lua_State *L) {
  int n;
  lua_settop(L, 3);
  if ((n = check_body(L, COC_WS(L), 1, 2, 3, 0))) return n;
  lua_pushboolean(L, 1);
  return 1;
}

/* coc.encode(change_id, body [, opts]) -> json | nil, err */
static int l_encode(lua_State *L) {
  coc_workspace *ws = COC_WS(L);
  int n;
  lua_settop(L, 3);
  if ((n = coc_lua_prepare_body(L, ws, 1, 2, 3))) return n;
  lua_pushlstring(L, ws->body.ptr, ws->body.len);
  return 1;
}

/* coc.core.sign(method, path, query, headers, body, sdk_date, sk)
 *   -> signature, canonical_request, signed_headers
 * The bare signer, for tests against known answers and for custom use.
 * headers: a table name -> value of the headers to sign. */
static int l_sign(lua_State *L) {
  const char *method = luaL_checkstring(L, 1), *path = luaL_checkstring(L, 2);
  size_t qlen = 0, blen = 0, sklen = 0, n = 0;
  const char *query = luaL_optlstring(L, 3, "", &qlen);
  const char *body = luaL_optlstring(L, 5, "", &blen);
  const char *date = luaL_checkstring(L, 6), *sk = luaL_checklstring(L, 7, &sklen);
  coc_header headers[COC_MAX_SIGNED_HEADERS];
  coc_workspace *ws = COC_WS(L);
  /* workspace buffers: a Lua error below can't leak them */
  coc_buf *cpath = &ws->path, *cquery = &ws->tmp[0], *canonical = &ws->tmp[1], *names = &ws->tmp[2];
  char sig[65];
  coc_status st;
  luaL_checktype(L, 4, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 4)) {
    if (n == COC_MAX_SIGNED_HEADERS) return luaL_argerror(L, 4, "too many headers");
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      return luaL_argerror(L, 4, "header names and values must be strings");
    headers[n].name = lua_tostring(L, -2);
    headers[n].value = lua_tostring(L, -1);
    n++;
    lua_pop(L, 1);
  }
  coc_buf_reset(cpath);
  coc_buf_reset(cquery);
  st = coc_uri_canonical_path(cpath, path, strlen(path));
  if (st == COC_OK) st = coc_uri_canonical_query(cquery, query, qlen);
  if (st == COC_OK)
    st = coc_sign(method, coc_buf_cstr(cpath), coc_buf_cstr(cquery), headers, n, body, blen, date, sk, sklen,
                  canonical, names, sig);
  if (st != COC_OK) return luaL_error(L, "lua-coc: signing failed");
  lua_pushstring(L, sig);
  lua_pushlstring(L, canonical->ptr, canonical->len);
  lua_pushlstring(L, names->ptr, names->len);
  return 3;
}

/* coc.core.max_chars(field) -> the reference's maximum, or nil */
static int l_max_chars(lua_State *L) {
  long max = coc_field_max_chars(luaL_checkstring(L, 1));
  if (max < 0) return 0;
  lua_pushinteger(L, max);
  return 1;
}

/* coc.core.retryable(status) -> whether the core's transport would retry it */
/* coc.core.cut(text, n) -> text cut to at most n characters, bad bytes as "?" */
static int l_cut(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_Number n = luaL_checknumber(L, 2);
  coc_workspace *ws = COC_WS(L);
  coc_buf_reset(&ws->tmp[0]);
  if (coc_utf8_cut(s, len, n > 0 ? (n < (lua_Number)len ? (size_t)n : len) : 0, &ws->tmp[0]))
    return luaL_error(L, "lua-coc: not enough memory");
  lua_pushlstring(L, ws->tmp[0].ptr ? ws->tmp[0].ptr : "", ws->tmp[0].len);
  return 1;
}

static int l_retryable(lua_State *L) {
  lua_pushboolean(L, coc_retryable_status((long)luaL_checkinteger(L, 1)));
  return 1;
}

static const luaL_Reg functions[] = {
  { "max_chars", l_max_chars },
  { "cut", l_cut },
  { "retryable", l_retryable },
  { "sign", l_sign },
  { "validate", l_validate },
  { "encode", l_encode },
  { NULL, NULL }
};

/* The client's defaults, in the units of coc.new's options, so that other
 * transports (lua/coc/transport/ngx.lua) follow the core's. */
static void push_defaults(lua_State *L) {
  coc_config cfg;
  coc_config_defaults(&cfg);
  lua_createtable(L, 0, 8);
  lua_pushnumber(L, cfg.connect_timeout_ms / 1000.0);
  lua_setfield(L, -2, "connect_timeout");
  lua_pushnumber(L, cfg.timeout_ms / 1000.0);
  lua_setfield(L, -2, "timeout");
  lua_pushnumber(L, cfg.deadline_ms / 1000.0);
  lua_setfield(L, -2, "deadline");
  lua_pushnumber(L, cfg.retry_base_ms / 1000.0);
  lua_setfield(L, -2, "retry_base");
  lua_pushnumber(L, cfg.retry_max_ms / 1000.0);
  lua_setfield(L, -2, "retry_max");
  lua_pushinteger(L, cfg.max_retries);
  lua_setfield(L, -2, "max_retries");
  lua_pushinteger(L, (lua_Integer)cfg.max_response);
  lua_setfield(L, -2, "max_response");
  lua_pushboolean(L, cfg.ssl_verify);
  lua_setfield(L, -2, "ssl_verify");
}

int luaopen_coc_core(lua_State *L);

int luaopen_coc_core(lua_State *L) {
  coc_lua_error_open(L);
  lua_newtable(L);
  workspace_new(L);
  luaL_newmetatable(L, COC_ARRAY_MT); /* marks a table as a JSON array */
  lua_pushliteral(L, "coc.array");
  lua_setfield(L, -2, "__name");
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, "array_mt");
  luaL_newmetatable(L, COC_CLIENT_MT);
  coc_lua_client_open(L);
  coc_setfuncs(L, functions, COC_NUPVALUES); /* pops the three upvalues */
  luaL_getmetatable(L, COC_ERROR_MT);
  lua_setfield(L, -2, "error_mt");
  lua_pushlightuserdata(L, NULL); /* the same value as cjson.null */
  lua_setfield(L, -2, "null");
  lua_pushliteral(L, COC_VERSION);
  lua_setfield(L, -2, "_VERSION");
  push_defaults(L);
  lua_setfield(L, -2, "defaults");
  return 1;
}
