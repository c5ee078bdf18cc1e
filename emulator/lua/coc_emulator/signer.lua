-- SDK-HMAC-SHA256 request signing, the server side's own implementation
-- (facts.md, "AK/SK signing"). Pure Lua + crypto FFI, no ngx, so
-- test_known_answers.lua can check it against the SDKs' known answers.

local crypto = require("coc_emulator.crypto")

local M = {}

M.ALGORITHM = "SDK-HMAC-SHA256"
M.EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

-- Percent-encode everything except the unreserved set A-Z a-z 0-9 - _ . ~
function M.uri_encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- Percent-decode; nil + error on a malformed escape ("%G1", trailing "%").
function M.uri_decode(s)
  if s:find("%%%X") or s:find("%%%x%X") or s:find("%%.?$") then
    return nil, "malformed percent-encoding"
  end
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- Canonical URI from the raw path as received: every segment decoded then
-- re-encoded (so "%7e" and "~" sign alike), and a trailing "/" added.
function M.canonical_uri(raw_path)
  local segs = {}
  for seg in (raw_path .. "/"):gmatch("([^/]*)/") do
    local dec = M.uri_decode(seg) or seg
    segs[#segs + 1] = M.uri_encode(dec)
  end
  local uri = table.concat(segs, "/")
  if uri:sub(1, 1) ~= "/" then uri = "/" .. uri end
  if uri:sub(-1) ~= "/" then uri = uri .. "/" end
  return uri
end

-- Canonical query: pairs decoded, re-encoded, sorted by key then value.
function M.canonical_query(raw_query)
  if not raw_query or raw_query == "" then return "" end
  local pairs_ = {}
  for part in raw_query:gmatch("[^&]+") do
    local k, v = part:match("^([^=]*)=?(.*)$")
    -- query strings use "+" for space (form encoding), as the SDKs' parsers do
    k = M.uri_decode((k:gsub("+", " "))) or k
    v = M.uri_decode((v:gsub("+", " "))) or v
    pairs_[#pairs_ + 1] = { M.uri_encode(k), M.uri_encode(v) }
  end
  table.sort(pairs_, function(a, b)
    if a[1] == b[1] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  local out = {}
  for i, p in ipairs(pairs_) do out[i] = p[1] .. "=" .. p[2] end
  return table.concat(out, "&")
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Signed header names from the Authorization header: lowercased, sorted.
function M.normalize_signed_headers(list)
  local names = {}
  for _, n in ipairs(list) do names[#names + 1] = n:lower() end
  table.sort(names)
  return names
end

--[[ Canonical request. req = {
  method = "PUT", path = raw path, query = raw query or "",
  headers = { [lowercase name] = value or list of values },
  signed_headers = { lowercase names, sorted },
  body = exact body bytes }
Returns the canonical request, or nil + the name of a signed header that is
missing from the request. ]]
function M.canonical_request(req)
  local lines = {}
  for _, name in ipairs(req.signed_headers) do
    local v = req.headers[name]
    if v == nil then return nil, name end
    if type(v) == "table" then v = table.concat(v, ",") end
    lines[#lines + 1] = name .. ":" .. trim(v) .. "\n"
  end
  return table.concat({
    req.method:upper(),
    M.canonical_uri(req.path),
    M.canonical_query(req.query),
    table.concat(lines),
    table.concat(req.signed_headers, ";"),
    crypto.sha256_hex(req.body or ""),
  }, "\n")
end

function M.string_to_sign(sdk_date, canonical_request)
  return M.ALGORITHM .. "\n" .. sdk_date .. "\n" .. crypto.sha256_hex(canonical_request)
end

function M.signature(sk, string_to_sign)
  return crypto.hmac_sha256_hex(sk, string_to_sign)
end

-- Convenience for clients/tests: signature of req with the date taken from
-- its x-sdk-date header. Returns signature, canonical request.
function M.sign(sk, req)
  local cr, missing = M.canonical_request(req)
  if not cr then error("signed header missing from request: " .. missing) end
  return M.signature(sk, M.string_to_sign(req.headers["x-sdk-date"], cr)), cr
end

-- "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex"
-- Returns { access=, signed_headers={...}, signature= } or nil + reason.
function M.parse_authorization(value)
  local alg, rest = value:match("^%s*(%S+)%s+(.*)$")
  if alg ~= M.ALGORITHM then return nil, "unsupported algorithm (want " .. M.ALGORITHM .. ")" end
  local fields = {}
  for item in rest:gmatch("[^,]+") do
    local k, v = item:match("^%s*([%w]+)%s*=%s*(.-)%s*$")
    if not k then return nil, "malformed Authorization header" end
    fields[k] = v
  end
  local access, sh, sig = fields.Access, fields.SignedHeaders, fields.Signature
  if not access or access == "" then return nil, "Access missing in Authorization header" end
  if not sh or sh == "" then return nil, "SignedHeaders missing in Authorization header" end
  if not sig or sig == "" then return nil, "Signature missing in Authorization header" end
  local names = {}
  for n in sh:gmatch("[^;]+") do names[#names + 1] = trim(n) end
  return { access = access, signed_headers = names, signature = sig }
end

-- Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
-- days_from_civil); avoids os.time(), which works in local time.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- X-Sdk-Date "YYYYMMDDTHHMMSSZ" -> seconds since the epoch, or nil.
function M.parse_sdk_date(s)
  local y, mo, d, h, mi, se = (s or ""):match("^(%d%d%d%d)(%d%d)(%d%d)T(%d%d)(%d%d)(%d%d)Z$")
  if not y then return nil end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(se)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or se > 60 then return nil end
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se
end

-- Constant-time comparison of two hex strings.
function M.equal(a, b)
  if #a ~= #b then return false end
  local diff = 0
  for i = 1, #a do
    if a:byte(i) ~= b:byte(i) then diff = diff + 1 end
  end
  return diff == 0
end

return M
