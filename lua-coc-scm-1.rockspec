rockspec_format = "3.0"
package = "lua-coc"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- local checkout: `luarocks make lua-coc-scm-1.rockspec`
}
description = {
  summary = "Update Huawei Cloud COC change tickets from Lua",
  detailed = [[
A C module (libcurl, OpenSSL's libcrypto) that validates update-change
requests against every rule of the API reference, signs them with
SDK-HMAC-SHA256 and sends them over kept-alive connections; with Lua helpers
for the common change workflows.
]],
  license = "MIT",
  labels = { "huaweicloud", "coc", "http" },
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
}
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
  OPENSSL = { header = "openssl/evp.h", library = "crypto" },
}
build = {
  type = "make",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    CURL_INCDIR = "$(CURL_INCDIR)",
    CURL_LIBDIR = "$(CURL_LIBDIR)",
    OPENSSL_INCDIR = "$(OPENSSL_INCDIR)",
    OPENSSL_LIBDIR = "$(OPENSSL_LIBDIR)",
    BUILD = "build/rock",
  },
  install_variables = {
    INST_LIBDIR = "$(LIBDIR)",
    INST_LUADIR = "$(LUADIR)",
    INST_BINDIR = "$(BINDIR)",
  },
}
