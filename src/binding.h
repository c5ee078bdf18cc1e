/* Shared by the Lua binding's files (l*.c). */
#ifndef COC_BINDING_H
#define COC_BINDING_H

#include "coc.h"
#include "compat.h"

#define COC_ERROR_MT "coc.error"
#define COC_ARRAY_MT "coc.array"
#define COC_WORKSPACE_MT "coc.workspace"
#define COC_CLIENT_MT "coc.client"

/* Every function of coc.core has the same three upvalues, so the hot path
 * finds them without looking a name up in the registry. */
#define COC_UV_WORKSPACE lua_upvalueindex(1)
#define COC_UV_ARRAY_MT lua_upvalueindex(2)
#define COC_UV_CLIENT_MT lua_upvalueindex(3)
#define COC_NUPVALUES 3
#define COC_WS(L) ((coc_workspace *)lua_touserdata(L, COC_UV_WORKSPACE))

/* Per-lua_State scratch space, reused by every call so the hot path does
 * not allocate. */
typedef struct coc_workspace {
  coc_doc *doc;
  coc_report *report;
  coc_buf body;
  coc_buf path;
  coc_buf tmp[3];
} coc_workspace;

/* ltable.c: fill d's change_id and body from the Lua values at the given
 * stack indexes. Raises a Lua error only for out of memory. */
void coc_lua_build(lua_State *L, coc_doc *d, int change_id, int body);
/* Options table at idx (or none) to core options; argerror on misuse. */
void coc_lua_options(lua_State *L, int idx, coc_options *opt);

/* lerror.c */
void coc_lua_error_open(lua_State *L);
/* Pushes nil and a validation error built from r; returns 2. */
int coc_lua_push_validation(lua_State *L, const coc_report *r);
/* Pushes nil and an error {kind, message, code?}; returns 2. */
int coc_lua_push_error(lua_State *L, const char *kind, const char *code, const char *message);

/* Validates and encodes the arguments at (change_id, body, opts) into
 * ws->body. Returns 0, or pushes (nil, err) and returns 2. */
int coc_lua_prepare_body(lua_State *L, coc_workspace *ws, int change_id, int body, int opts);

/* lclient.c: stack: module table, workspace, array metatable, client
 * metatable (left in place). Fills the client metatable and sets
 * module.client. */
void coc_lua_client_open(lua_State *L);
/* Pushes nil and the error a failed client call reported; returns 2. */
int coc_lua_push_client_error(lua_State *L, const coc_error *err);

#endif
