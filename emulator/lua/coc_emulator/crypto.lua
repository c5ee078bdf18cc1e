-- SHA-256, HMAC-SHA256 and random bytes through LuaJIT FFI to libcrypto.
-- Plain LuaJIT (no ngx), so the signing code can be checked outside nginx.
-- Only OpenSSL one-shot APIs are used: no contexts to free, nothing to leak.

local ffi = require("ffi")

-- pcall: another module in the same VM may already have declared these.
pcall(ffi.cdef, [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
int EVP_Digest(const void *data, size_t count, unsigned char *md,
               unsigned int *size, const EVP_MD *type, void *impl);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
int RAND_bytes(unsigned char *buf, int num);
]])

local function load_libcrypto()
  local errs = {}
  for _, name in ipairs({ "libcrypto.so.3", "crypto", "libcrypto.so" }) do
    local ok, lib = pcall(ffi.load, name)
    if ok then return lib end
    errs[#errs + 1] = tostring(lib)
  end
  error("coc_emulator.crypto: cannot load libcrypto: " .. table.concat(errs, "; "))
end

local C = load_libcrypto()
local M = {}

local md_buf = ffi.new("unsigned char[64]")
local len_buf = ffi.new("unsigned int[1]")

local function to_hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
M.to_hex = to_hex

function M.sha256(data)
  if C.EVP_Digest(data, #data, md_buf, len_buf, C.EVP_sha256(), nil) ~= 1 then
    error("EVP_Digest failed")
  end
  return ffi.string(md_buf, len_buf[0])
end

function M.sha256_hex(data)
  return to_hex(M.sha256(data))
end

function M.hmac_sha256(key, data)
  if C.HMAC(C.EVP_sha256(), key, #key, data, #data, md_buf, len_buf) == nil then
    error("HMAC failed")
  end
  return ffi.string(md_buf, len_buf[0])
end

function M.hmac_sha256_hex(key, data)
  return to_hex(M.hmac_sha256(key, data))
end

-- n random bytes as 2n lowercase hex digits (request ids).
function M.random_hex(n)
  local buf = ffi.new("unsigned char[?]", n)
  if C.RAND_bytes(buf, n) ~= 1 then error("RAND_bytes failed") end
  return to_hex(ffi.string(buf, n))
end

return M
