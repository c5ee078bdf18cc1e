/* Lua 5.1/LuaJIT, 5.3 and 5.4 differences, as static shims with our own
 * names (defining luaL_setfuncs ourselves would clash with LuaJIT's). */
#ifndef COC_COMPAT_H
#define COC_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
#define coc_rawlen(L, i) lua_objlen(L, (i))
static inline void coc_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  for (; l->name; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#else
#define coc_rawlen(L, i) lua_rawlen(L, (i))
#define coc_setfuncs(L, l, n) luaL_setfuncs(L, l, n)
#endif

#if LUA_VERSION_NUM >= 503
#define coc_isinteger(L, i) lua_isinteger(L, (i))
#else
#define coc_isinteger(L, i) 0
#endif

static inline void *coc_testudata(lua_State *L, int i, const char *tname) {
  void *p = lua_touserdata(L, i);
  if (p && lua_getmetatable(L, i)) {
    luaL_getmetatable(L, tname);
    if (!lua_rawequal(L, -1, -2)) p = NULL;
    lua_pop(L, 2);
    return p;
  }
  return NULL;
}

#endif
