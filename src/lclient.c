/* The client userdata: coc.core.client(config) and its methods. Answers
 * are returned raw, as values (status, body, request id, ...), not a table:
 * lua/coc/response.lua decodes and classifies them, the same way for every
 * transport, and a table per call would only be read once and dropped. */
#include <string.h>
#include <time.h>

#include "binding.h"

typedef struct lclient {
  coc_client *c;
} lclient;


static const char *kind_name(coc_error_kind k) {
  switch (k) {
  case COC_ERR_CONFIG: return "config";
  case COC_ERR_NETWORK: return "network";
  case COC_ERR_TIMEOUT: return "timeout";
  case COC_ERR_TLS: return "tls";
  case COC_ERR_MEMORY: return "memory";
  default: return "internal";
  }
}

int coc_lua_push_client_error(lua_State *L, const coc_error *err) {
  coc_lua_push_error(L, kind_name(err->kind), err->code ? err->code : "COC.INTERNAL", err->message);
  if (err->attempts) {
    lua_pushinteger(L, err->attempts);
    lua_setfield(L, -2, "attempts");
  }
  return 2;
}

/* The metatable is compared with the upvalue; luaL_checkudata, which looks
 * it up by name, only words the error. */
static lclient *to_client(lua_State *L) {
  lclient *u = lua_touserdata(L, 1);
  int ok = u && lua_getmetatable(L, 1);
  if (ok) {
    ok = lua_rawequal(L, -1, COC_UV_CLIENT_MT);
    lua_pop(L, 1);
  }
  return ok ? u : luaL_checkudata(L, 1, COC_CLIENT_MT);
}

static lclient *check_client(lua_State *L) {
  lclient *u = to_client(L);
  if (!u->c) luaL_argerror(L, 1, "the client is closed");
  return u;
}

/* ---- configuration ---------------------------------------------------- */

static const char *opt_string(lua_State *L, int t, const char *name) {
  const char *s;
  lua_getfield(L, t, name);
  if (lua_isnil(L, -1)) s = NULL;
  else if (lua_type(L, -1) != LUA_TSTRING) {
    luaL_error(L, "lua-coc: option %s must be a string", name);
    return NULL;
  } else s = lua_tostring(L, -1); /* anchored by the config table */
  lua_pop(L, 1);
  return s;
}

/* Seconds (may be fractional) to milliseconds, rounded up. */
static void opt_ms(lua_State *L, int t, const char *name, long *out) {
  lua_getfield(L, t, name);
  if (!lua_isnil(L, -1)) {
    lua_Number s;
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "lua-coc: option %s must be a number of seconds", name);
    s = lua_tonumber(L, -1) * 1000;
    *out = s > 2e9 ? 2000000000L : s < 0 ? -1 : (long)(s + 0.999);
  }
  lua_pop(L, 1);
}

static void opt_int(lua_State *L, int t, const char *name, long *out) {
  lua_getfield(L, t, name);
  if (!lua_isnil(L, -1)) {
    lua_Number v;
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "lua-coc: option %s must be a number", name);
    v = lua_tonumber(L, -1);
    *out = v > 2e9 ? 2000000000L : v < -1 ? -1 : (long)v;
  }
  lua_pop(L, 1);
}

/* coc.core.client(config) -> client | nil, err */
static int l_client_new(lua_State *L) {
  coc_config cfg;
  coc_error err;
  long retries, max_response;
  lclient *u;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  /* the userdata and its __gc exist before the C object: nothing can leak */
  u = lua_newuserdata(L, sizeof *u);
  u->c = NULL;
  lua_pushvalue(L, COC_UV_CLIENT_MT);
  lua_setmetatable(L, -2);

  coc_config_defaults(&cfg);
  cfg.endpoint = opt_string(L, 1, "endpoint");
  cfg.ak = opt_string(L, 1, "ak");
  cfg.sk = opt_string(L, 1, "sk");
  cfg.security_token = opt_string(L, 1, "security_token");
  cfg.auth_token = opt_string(L, 1, "auth_token");
  cfg.domain_id = opt_string(L, 1, "domain_id");
  cfg.project_id = opt_string(L, 1, "project_id");
  cfg.user_agent = opt_string(L, 1, "user_agent");
  cfg.ca_file = opt_string(L, 1, "ca_file");
  cfg.proxy = opt_string(L, 1, "proxy");
  lua_getfield(L, 1, "ssl_verify");
  if (!lua_isnil(L, -1)) {
    if (!lua_isboolean(L, -1)) luaL_error(L, "lua-coc: option ssl_verify must be a boolean");
    cfg.ssl_verify = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  opt_ms(L, 1, "connect_timeout", &cfg.connect_timeout_ms);
  opt_ms(L, 1, "timeout", &cfg.timeout_ms);
  opt_ms(L, 1, "deadline", &cfg.deadline_ms);
  opt_ms(L, 1, "retry_base", &cfg.retry_base_ms);
  opt_ms(L, 1, "retry_max", &cfg.retry_max_ms);
  retries = cfg.max_retries;
  opt_int(L, 1, "max_retries", &retries);
  cfg.max_retries = (int)retries;
  max_response = (long)cfg.max_response;
  opt_int(L, 1, "max_response", &max_response);
  cfg.max_response = max_response > 0 ? (size_t)max_response : 0;

  if (!(u->c = coc_client_new(&cfg, &err))) return coc_lua_push_client_error(L, &err);
  return 1;
}

static int l_close(lua_State *L) {
  lclient *u = to_client(L);
  coc_client_free(u->c);
  u->c = NULL;
  return 0;
}

/* ---- results ---------------------------------------------------------- */

static void set_str(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

/* A body from a buffer the client reuses: when it holds no NUL (always so
 * for encoded JSON, and for COC's answers), lua_pushstring's cache, by
 * address then content, hands back the previous string for the same bytes
 * (the same body prepared again, COC's ever-identical success answer)
 * instead of allocating and copying a new one. */
static void push_text(lua_State *L, const char *s, size_t len) {
  if (strlen(s) == len) lua_pushstring(L, s);
  else lua_pushlstring(L, s, len);
}

static void push_prepared(lua_State *L, const coc_prepared *p) {
  size_t i;
  lua_createtable(L, 0, 6);
  set_str(L, "method", p->method);
  set_str(L, "url", p->url);
  if (p->body) {
    push_text(L, p->body, p->body_len);
    lua_setfield(L, -2, "body");
  }
  lua_createtable(L, 0, (int)p->nheaders);
  for (i = 0; i < p->nheaders; i++) set_str(L, p->headers[i].name, p->headers[i].value);
  lua_setfield(L, -2, "headers");
  if (p->canonical_request) set_str(L, "canonical_request", p->canonical_request);
}

/* status, body, request_id, content_type, attempts, new_connections */
#define RESPONSE_VALUES 6
static int push_response(lua_State *L, const coc_response *r) {
  lua_pushinteger(L, r->status);
  push_text(L, r->body, r->body_len);
  lua_pushstring(L, r->request_id);
  lua_pushstring(L, r->content_type);
  lua_pushinteger(L, r->attempts);
  lua_pushinteger(L, r->new_connections);
  return RESPONSE_VALUES;
}

static long long opt_now(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return (long long)time(NULL);
  return (long long)luaL_checknumber(L, idx);
}

/* The body and path of an update: validated, encoded, escaped. */
static int update_body(lua_State *L, coc_workspace *ws) {
  size_t len;
  const char *id;
  int n = coc_lua_prepare_body(L, ws, 2, 3, 4);
  if (n) return n;
  id = lua_tolstring(L, 2, &len); /* a valid string once validation passed */
  coc_buf_reset(&ws->path);
  coc_buf_adds(&ws->path, "/v2/changes/");
  coc_uri_escape(&ws->path, id, len);
  if (ws->path.oom) return luaL_error(L, "lua-coc: not enough memory");
  return 0;
}

/* client:prepare_update_change(change_id, body [, opts [, now]]) -> prepared | nil, err */
static int l_prepare_update_change(lua_State *L) {
  lclient *u = check_client(L);
  coc_workspace *ws = COC_WS(L);
  coc_prepared p;
  coc_error err;
  int n;
  lua_settop(L, 5);
  if ((n = update_body(L, ws))) return n;
  if (coc_client_prepare(u->c, "PUT", ws->path.ptr, NULL, ws->body.ptr, ws->body.len, opt_now(L, 5), &p, &err))
    return coc_lua_push_client_error(L, &err);
  push_prepared(L, &p);
  return 1;
}

/* client:update_change(change_id, body [, opts])
 *   -> status, body, request_id, content_type, attempts, new_connections | nil, err */
static int l_update_change(lua_State *L) {
  lclient *u = check_client(L);
  coc_workspace *ws = COC_WS(L);
  coc_response r;
  coc_error err;
  int n;
  lua_settop(L, 4);
  if ((n = update_body(L, ws))) return n;
  if (coc_client_send(u->c, "PUT", ws->path.ptr, NULL, ws->body.ptr, ws->body.len, &r, &err))
    return coc_lua_push_client_error(L, &err);
  return push_response(L, &r);
}

/* client:prepare(method, path [, query [, body [, now]]]) -> prepared | nil, err */
static lclient *request_args(lua_State *L, coc_batch_item *it) {
  lclient *u = check_client(L);
  it->body_len = 0;
  it->method = luaL_checkstring(L, 2);
  it->path = luaL_checkstring(L, 3);
  it->query = luaL_optstring(L, 4, NULL);
  it->body = luaL_optlstring(L, 5, NULL, &it->body_len);
  return u;
}

static int l_prepare(lua_State *L) {
  coc_batch_item it;
  lclient *u = request_args(L, &it);
  coc_prepared p;
  coc_error err;
  if (coc_client_prepare(u->c, it.method, it.path, it.query, it.body, it.body_len, opt_now(L, 6), &p, &err))
    return coc_lua_push_client_error(L, &err);
  push_prepared(L, &p);
  return 1;
}

/* client:request(method, path [, query [, body]]) -> the values of update_change | nil, err */
static int l_request(lua_State *L) {
  coc_batch_item it;
  lclient *u = request_args(L, &it);
  coc_response r;
  coc_error err;
  if (coc_client_send(u->c, it.method, it.path, it.query, it.body, it.body_len, &r, &err))
    return coc_lua_push_client_error(L, &err);
  return push_response(L, &r);
}

/* client:redact(text) -> text with every secret of this client replaced by
 * "***": error messages from the gateway can echo what it received. */
static int l_redact(lua_State *L) {
  lclient *u = check_client(L);
  size_t len, i = 0, k;
  const char *s = luaL_checklstring(L, 2, &len);
  const char *secrets[3];
  luaL_Buffer b;
  coc_client_secrets(u->c, secrets);
  luaL_buffinit(L, &b);
  while (i < len) {
    for (k = 0; k < 3; k++) {
      size_t n = secrets[k] ? strlen(secrets[k]) : 0;
      if (n && n <= len - i && !memcmp(s + i, secrets[k], n)) {
        luaL_addstring(&b, "***");
        i += n;
        break;
      }
    }
    if (k == 3) luaL_addchar(&b, s[i++]);
  }
  luaL_pushresult(&b);
  return 1;
}

/* ---- batches ------------------------------------------------------------ */

typedef struct batch_ctx {
  lua_State *L;
  int on_item;        /* stack index of the Lua callback */
  int errslot;        /* stack index where a callback error is kept */
  size_t index;       /* the item being reported */
  coc_status st;
  const coc_response *res;
  const coc_error *err;
} batch_ctx;

/* Runs under lua_pcall: a Lua error (even out of memory) must not unwind
 * through libcurl's frames. Calls on_item(i, status, body, ...) with the
 * values of update_change, or on_item(i, nil, err). */
static int report_item(lua_State *L) {
  batch_ctx *b = lua_touserdata(L, 2);
  lua_pushvalue(L, 1); /* on_item */
  lua_pushinteger(L, (lua_Integer)b->index + 1);
  if (b->st == COC_OK) {
    lua_call(L, 1 + push_response(L, b->res), 0);
  } else {
    lua_pushnil(L);
    coc_lua_push_client_error(L, b->err);
    lua_remove(L, -2); /* the nil that push_client_error put first */
    lua_call(L, 3, 0);
  }
  return 0;
}

static int batch_done(void *ud, size_t index, coc_status st, const coc_response *res, const coc_error *err) {
  batch_ctx *b = ud;
  lua_State *L = b->L;
  b->index = index;
  b->st = st;
  b->res = res;
  b->err = err;
  lua_pushcfunction(L, report_item);
  lua_pushvalue(L, b->on_item);
  lua_pushlightuserdata(L, b);
  if (lua_pcall(L, 2, 0, 0) != 0) {
    lua_replace(L, b->errslot);
    return 1; /* cancel the rest */
  }
  return 0;
}

/* Appends the problems of one invalid item to the batch's validation error
 * (at the stack top), paths prefixed with the item: list[3].change_id. */
static void add_item_problems(lua_State *L, coc_report *r, size_t item, size_t *count) {
  size_t i, n = coc_report_count(r);
  coc_issue is;
  lua_getfield(L, -1, "errors");
  for (i = 0; i < n && *count < COC_MAX_ISSUES; i++) {
    if (coc_report_get(r, i, &is)) break;
    lua_createtable(L, 0, 3);
    lua_pushfstring(L, "list[%d].%s", (int)item, is.path);
    lua_setfield(L, -2, "path");
    set_str(L, "rule", is.rule);
    set_str(L, "message", is.message);
    lua_rawseti(L, -2, (int)++*count);
  }
  lua_pop(L, 1);
}

/* Validates and encodes every item of the list at index 2 (each
 * {change_id, body} or {change_id = , body = }) before anything is sent.
 * strings (a table at that index) gets each body at 2i-1 and its path at
 * 2i; items, when given, points at them. Returns 0, or pushes nil and one
 * validation error naming each bad item (list[3].change_id) and returns 2. */
static int encode_list(lua_State *L, coc_workspace *ws, int opts, int strings, coc_batch_item *items) {
  size_t n = coc_rawlen(L, 2), i, problems = 0;
  int base;
  lua_pushnil(L); /* the validation error, once there is one */
  base = lua_gettop(L);
  for (i = 0; i < n; i++) {
    int r;
    lua_rawgeti(L, 2, (int)i + 1);
    if (!lua_istable(L, -1)) return luaL_argerror(L, 2, "each item must be a table {change_id, body}");
    lua_rawgeti(L, -1, 1);
    if (lua_isnil(L, -1)) { lua_pop(L, 1); lua_getfield(L, -1, "change_id"); }
    lua_rawgeti(L, -2, 2);
    if (lua_isnil(L, -1)) { lua_pop(L, 1); lua_getfield(L, -2, "body"); }
    /* stack: ... item change_id body; a validation error is pushed as nil, err */
    r = coc_lua_prepare_body(L, ws, base + 2, base + 3, opts);
    if (r) {
      if (lua_isnil(L, base)) {
        lua_createtable(L, 0, 4);
        set_str(L, "kind", "validation");
        set_str(L, "code", "COC.VALIDATION");
        lua_newtable(L);
        lua_setfield(L, -2, "errors");
        luaL_getmetatable(L, COC_ERROR_MT);
        lua_setmetatable(L, -2);
        lua_replace(L, base);
      }
      lua_pushvalue(L, base);
      add_item_problems(L, ws->report, i + 1, &problems);
      lua_pop(L, 1 + r);
    } else if (lua_isnil(L, base)) {
      const char *id = lua_tostring(L, base + 2);
      lua_pushlstring(L, ws->body.ptr, ws->body.len);
      lua_rawseti(L, strings, (int)(2 * i + 1));
      coc_buf_reset(&ws->path);
      coc_buf_adds(&ws->path, "/v2/changes/");
      coc_uri_escape(&ws->path, id, strlen(id));
      lua_pushlstring(L, ws->path.ptr, ws->path.len);
      lua_rawseti(L, strings, (int)(2 * i + 2));
      if (items) { /* the strings stay anchored in the strings table */
        lua_rawgeti(L, strings, (int)(2 * i + 1));
        items[i].body = lua_tolstring(L, -1, &items[i].body_len);
        lua_rawgeti(L, strings, (int)(2 * i + 2));
        items[i].path = lua_tostring(L, -1);
        items[i].method = "PUT";
        items[i].query = NULL;
      }
    }
    lua_settop(L, base);
  }
  if (!lua_isnil(L, base)) {
    lua_pushfstring(L, "%d problems in the list; nothing was sent", (int)problems);
    lua_setfield(L, base, "message");
    lua_pushnil(L);
    lua_pushvalue(L, base);
    return 2;
  }
  lua_pop(L, 1);
  return 0;
}

/* client:encode_changes(list [, opts]) -> {body1, path1, body2, path2, ...} | nil, err
 * The validated, encoded list for transports of their own (nginx's). */
static int l_encode_changes(lua_State *L) {
  int r;
  check_client(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 3);
  lua_createtable(L, (int)(2 * coc_rawlen(L, 2)), 0);
  if ((r = encode_list(L, COC_WS(L), 3, 4, NULL))) return r;
  lua_settop(L, 4);
  return 1;
}

/* client:update_changes(list, concurrency, on_item [, opts]) -> true | nil, err */
static int l_update_changes(lua_State *L) {
  lclient *u = check_client(L);
  size_t n;
  int concurrency = (int)luaL_checkinteger(L, 3), r;
  coc_batch_item *items;
  batch_ctx b;
  coc_status st;
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  lua_settop(L, 5);
  n = coc_rawlen(L, 2);
  luaL_argcheck(L, concurrency >= 1 && concurrency <= COC_MAX_CONCURRENCY, 3, "concurrency must be in 1..256");
  /* items live in a userdata and their strings in a table: the GC frees
   * both whatever happens */
  items = lua_newuserdata(L, (n ? n : 1) * sizeof *items);
  lua_createtable(L, (int)(2 * n), 0);
  if ((r = encode_list(L, COC_WS(L), 5, 7, items))) return r;
  lua_pushnil(L); /* errslot: a callback's error */
  b.L = L;
  b.on_item = 4;
  b.errslot = lua_gettop(L);
  st = coc_client_send_batch(u->c, items, n, concurrency, batch_done, &b);
  if (st == COC_ECANCELED) { /* re-raise the callback's error, now that libcurl is done */
    lua_pushvalue(L, b.errslot);
    return lua_error(L);
  }
  if (st != COC_OK) return luaL_error(L, "lua-coc: not enough memory for the batch");
  lua_pushboolean(L, 1);
  return 1;
}

static int l_tostring(lua_State *L) {
  lclient *u = to_client(L);
  lua_pushfstring(L, "coc.client (%s)", u->c ? "open" : "closed");
  return 1;
}

static const luaL_Reg methods[] = {
  { "update_change", l_update_change },
  { "prepare_update_change", l_prepare_update_change },
  { "request", l_request },
  { "prepare", l_prepare },
  { "update_changes", l_update_changes },
  { "encode_changes", l_encode_changes },
  { "redact", l_redact },
  { "close", l_close },
  { "__gc", l_close },
  { "__close", l_close },
  { "__tostring", l_tostring },
  { NULL, NULL }
};

static void push_upvalues(lua_State *L, int top) {
  lua_pushvalue(L, top - 2);
  lua_pushvalue(L, top - 1);
  lua_pushvalue(L, top);
}

void coc_lua_client_open(lua_State *L) {
  int top = lua_gettop(L);
  lua_pushvalue(L, top);
  push_upvalues(L, top);
  coc_setfuncs(L, methods, COC_NUPVALUES);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "coc.client");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  push_upvalues(L, top);
  lua_pushcclosure(L, l_client_new, COC_NUPVALUES);
  lua_setfield(L, top - 3, "client");
}
