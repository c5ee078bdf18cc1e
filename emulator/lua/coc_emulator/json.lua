-- Strict JSON codec for the emulator (plain Lua, no ngx, no C).
--
-- Why not lua-cjson: cjson 2.1.0 decodes `{}` and `[]` to the same empty
-- table, so a validator built on it cannot tell `"ticket_info": []` from an
-- object, and it encodes an empty list as `{}`. This codec tags every decoded
-- container with its JSON type, keeps JSON null as a distinct value, rejects
-- invalid UTF-8, and can encode with a fixed key order so fixed answers look
-- exactly like the service's.

local M = {}

local OBJECT_MT = { __jsontype = "object" }
local ARRAY_MT = { __jsontype = "array" }

-- JSON null. A unique table so it survives being stored in Lua tables.
M.null = setmetatable({}, { __tostring = function() return "null" end, __jsontype = "null" })

local MAX_DEPTH = 64

function M.object(t, order)
  t = t or {}
  if order then
    return setmetatable(t, { __jsontype = "object", __jsonorder = order })
  end
  return setmetatable(t, OBJECT_MT)
end

function M.array(t)
  return setmetatable(t or {}, ARRAY_MT)
end

-- "object", "array", "string", "number", "boolean", "null" (or "nil").
function M.type(v)
  if v == M.null then return "null" end
  local lt = type(v)
  if lt == "table" then
    local mt = getmetatable(v)
    return mt and mt.__jsontype or "object"
  end
  return lt
end

---------------------------------------------------------------- decoding

local byte, sub, find, char = string.byte, string.sub, string.find, string.char
local concat = table.concat
local floor = math.floor

local function utf8_encode(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40) end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 0x1000), 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return char(0xF0 + floor(cp / 0x40000), 0x80 + floor(cp / 0x1000) % 0x40,
    0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

-- Length of the valid UTF-8 sequence starting at i, or nil.
local function utf8_seq_len(s, i)
  local c = byte(s, i)
  local n, min
  if c < 0x80 then return 1
  elseif c >= 0xC2 and c <= 0xDF then n, min = 2, 0x80
  elseif c >= 0xE0 and c <= 0xEF then n, min = 3, 0x800
  elseif c >= 0xF0 and c <= 0xF4 then n, min = 4, 0x10000
  else return nil end
  local cp = c % (2 ^ (7 - n))
  for k = 1, n - 1 do
    local cc = byte(s, i + k)
    if not cc or cc < 0x80 or cc > 0xBF then return nil end
    cp = cp * 64 + cc % 64
  end
  if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return nil end
  return n
end
M.utf8_seq_len = utf8_seq_len

-- Number of UTF-8 characters in s, or nil if s is not valid UTF-8.
function M.utf8_len(s)
  local i, n, len = 1, #s, 0
  while i <= n do
    local l = utf8_seq_len(s, i)
    if not l then return nil end
    i, len = i + l, len + 1
  end
  return len
end

local decode_value

local function skip_ws(s, i)
  local _, e = find(s, "^[ \t\r\n]*", i)
  return e + 1
end

local function fail(i, msg)
  error({ json_error = msg .. " at byte " .. i }, 0)
end

local ESCAPES = { [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f",
  [110] = "\n", [114] = "\r", [116] = "\t" }

local function decode_string(s, i)
  -- s[i] is the opening quote
  local parts, j = {}, i + 1
  while true do
    local c = byte(s, j)
    if not c then fail(j, "unterminated string") end
    if c == 34 then
      return concat(parts), j + 1
    elseif c == 92 then
      local e = byte(s, j + 1)
      if e == 117 then
        local hex = sub(s, j + 2, j + 5)
        if not find(hex, "^%x%x%x%x$") then fail(j, "bad \\u escape") end
        local cp = tonumber(hex, 16)
        j = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          local lo = find(s, "^\\u[dD][c-fC-F]%x%x", j) and tonumber(sub(s, j + 2, j + 5), 16)
          if not lo then fail(j, "unpaired surrogate") end
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
          j = j + 6
        elseif cp >= 0xDC00 and cp <= 0xDFFF then
          fail(j, "unpaired surrogate")
        end
        parts[#parts + 1] = utf8_encode(cp)
      elseif e and ESCAPES[e] then
        parts[#parts + 1] = ESCAPES[e]
        j = j + 2
      else
        fail(j, "bad escape")
      end
    elseif c < 0x20 then
      fail(j, "control character in string")
    else
      -- copy a run of plain bytes, validating UTF-8 as we go
      local k = j
      while true do
        local cc = byte(s, k)
        if not cc or cc == 34 or cc == 92 or cc < 0x20 then break end
        local l = utf8_seq_len(s, k)
        if not l then fail(k, "invalid UTF-8") end
        k = k + l
      end
      parts[#parts + 1] = sub(s, j, k - 1)
      j = k
    end
  end
end

local function decode_number(s, i)
  local _, e = find(s, "^-?0", i)
  if not e then _, e = find(s, "^-?[1-9]%d*", i) end
  if not e then fail(i, "bad number") end
  local _, fe = find(s, "^%.%d+", e + 1)
  if fe then e = fe end
  local _, ee = find(s, "^[eE][+-]?%d+", e + 1)
  if ee then e = ee end
  return tonumber(sub(s, i, e)), e + 1
end

local function decode_array(s, i, depth)
  local t, n = M.array(), 0
  i = skip_ws(s, i + 1)
  if byte(s, i) == 93 then return t, i + 1 end
  while true do
    local v
    v, i = decode_value(s, i, depth)
    n = n + 1
    t[n] = v
    i = skip_ws(s, i)
    local c = byte(s, i)
    if c == 93 then return t, i + 1 end
    if c ~= 44 then fail(i, "expected ',' or ']'") end
    i = skip_ws(s, i + 1)
  end
end

local function decode_object(s, i, depth)
  local t = M.object()
  i = skip_ws(s, i + 1)
  if byte(s, i) == 125 then return t, i + 1 end
  while true do
    if byte(s, i) ~= 34 then fail(i, "expected object key") end
    local k
    k, i = decode_string(s, i)
    i = skip_ws(s, i)
    if byte(s, i) ~= 58 then fail(i, "expected ':'") end
    local v
    v, i = decode_value(s, skip_ws(s, i + 1), depth)
    t[k] = v -- duplicate keys: last wins, as Jackson does by default
    i = skip_ws(s, i)
    local c = byte(s, i)
    if c == 125 then return t, i + 1 end
    if c ~= 44 then fail(i, "expected ',' or '}'") end
    i = skip_ws(s, i + 1)
  end
end

function decode_value(s, i, depth)
  if depth > MAX_DEPTH then fail(i, "nesting too deep") end
  local c = byte(s, i)
  if c == 123 then return decode_object(s, i, depth + 1) end
  if c == 91 then return decode_array(s, i, depth + 1) end
  if c == 34 then return decode_string(s, i) end
  if c == 45 or (c and c >= 48 and c <= 57) then return decode_number(s, i) end
  if find(s, "^true", i) then return true, i + 4 end
  if find(s, "^false", i) then return false, i + 5 end
  if find(s, "^null", i) then return M.null, i + 4 end
  fail(i, c and "unexpected character" or "unexpected end of input")
end

-- Returns the decoded value, or nil and an error message.
function M.decode(s)
  if type(s) ~= "string" then return nil, "no JSON text" end
  local ok, v, i = pcall(function()
    local v, j = decode_value(s, skip_ws(s, 1), 0)
    return v, skip_ws(s, j)
  end)
  if not ok then
    if type(v) == "table" and v.json_error then return nil, v.json_error end
    error(v, 0)
  end
  if i <= #s then return nil, "trailing characters at byte " .. i end
  return v
end

---------------------------------------------------------------- encoding

local format, gsub = string.format, string.gsub

local ESC_OUT = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- Invalid UTF-8 bytes become U+FFFD so the output is always valid JSON
-- (raw request bytes end up in the request log).
local function sanitize_utf8(s)
  if not find(s, "[\128-\255]") or M.utf8_len(s) then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local l = utf8_seq_len(s, i)
    if l then out[#out + 1] = sub(s, i, i + l - 1); i = i + l
    else out[#out + 1] = "\239\191\189"; i = i + 1 end
  end
  return concat(out)
end
M.sanitize_utf8 = sanitize_utf8

local function encode_string(s)
  return '"' .. gsub(sanitize_utf8(s), '[%c"\\]', function(c)
    return ESC_OUT[c] or format("\\u%04x", byte(c))
  end) .. '"'
end

local function is_sequence(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local encode_value

local function encode_table(t, out, depth)
  if depth > MAX_DEPTH then error("JSON encode: nesting too deep", 0) end
  local mt = getmetatable(t)
  local jt = mt and mt.__jsontype
  if jt == "array" or (jt == nil and is_sequence(t)) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], out, depth + 1)
    end
    out[#out + 1] = "]"
    return
  end
  local keys = {}
  if mt and mt.__jsonorder then
    local seen = {}
    for _, k in ipairs(mt.__jsonorder) do
      if t[k] ~= nil then keys[#keys + 1] = k; seen[k] = true end
    end
    local rest = {}
    for k in pairs(t) do if not seen[k] then rest[#rest + 1] = tostring(k) end end
    table.sort(rest)
    for _, k in ipairs(rest) do keys[#keys + 1] = k end
  else
    for k in pairs(t) do keys[#keys + 1] = tostring(k) end
    table.sort(keys) -- deterministic output
  end
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then out[#out + 1] = "," end
    out[#out + 1] = encode_string(k)
    out[#out + 1] = ":"
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    encode_value(v, out, depth + 1)
  end
  out[#out + 1] = "}"
end

function encode_value(v, out, depth)
  local lt = type(v)
  if v == nil or v == M.null then
    out[#out + 1] = "null"
  elseif lt == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif lt == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then
      out[#out + 1] = format("%d", v)
    else
      out[#out + 1] = format("%.17g", v)
    end
  elseif lt == "string" then
    out[#out + 1] = encode_string(v)
  elseif lt == "table" then
    encode_table(v, out, depth)
  else
    error("JSON encode: unsupported type " .. lt, 0)
  end
end

function M.encode(v)
  local out = {}
  encode_value(v, out, 0)
  return concat(out)
end

return M
