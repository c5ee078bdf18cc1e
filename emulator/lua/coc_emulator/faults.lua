-- Fault injection: parsing POST /__emulator/faults bodies and acting them
-- out on API requests (after logging, before auth and validation).

local json = require("coc_emulator.json")
local reply = require("coc_emulator.reply")

local M = {}

-- field -> JSON type it must have
local FIELDS = {
  match = "string", times = "number", status = "number", retry_after = "string",
  delay_ms = "number", drop = "boolean", reset_mid_body = "boolean", trickle_ms = "number",
  body = "string", content_type = "string", oversize_bytes = "number", empty = "boolean",
}

-- Validates a fault description; returns the fault or nil + reason.
function M.parse(doc)
  if json.type(doc) ~= "object" then return nil, "fault must be a JSON object" end
  local f = json.object()
  for k, v in pairs(doc) do
    local want = FIELDS[k]
    if not want then return nil, "unknown fault field " .. k end
    if k == "retry_after" and type(v) == "number" then v = tostring(v) end
    if v ~= json.null then
      if json.type(v) ~= want then return nil, k .. " must be a " .. want end
      if want == "number" and (v ~= math.floor(v)) then return nil, k .. " must be an integer" end
      f[k] = v
    end
  end
  f.match = f.match or "*"
  f.times = f.times or 1
  if f.times == 0 or f.times < -1 then return nil, "times must be -1 (forever) or >= 1" end
  if f.status and (f.status < 100 or f.status > 599) then return nil, "status must be 100..599" end
  return f
end

local function default_body(status)
  return json.encode(json.object({ error_code = "EMU." .. status, error_msg = "injected" },
    { "error_code", "error_msg" }))
end

-- Sends headers announcing the full body, then only part of it, then closes
-- the connection: the client sees a truncated response.
local function reset_mid_body(status, body)
  reply.finish(status)
  reply.headers(status, #body)
  ngx.print(body:sub(1, math.floor(#body / 2)))
  ngx.flush(true)
  return ngx.exit(444)
end

local function trickle(status, body, pause_ms)
  reply.finish(status)
  reply.headers(status, #body)
  for i = 1, #body do
    local ok = ngx.print(body:sub(i, i))
    if not ok or not ngx.flush(true) then return end -- client went away
    if i < #body then ngx.sleep(pause_ms / 1000) end
  end
end

-- A valid success answer padded to n bytes, sent in chunks.
local function oversize(status, n)
  local head = '{"provider_code":"049","error_code":"GOM.00000000","error_msg":null,"padding":"'
  local tail = '"}'
  local pad = math.max(0, n - #head - #tail)
  reply.finish(status)
  reply.headers(status, #head + pad + #tail)
  ngx.print(head)
  local chunk = string.rep("x", 65536)
  while pad > 0 do
    local ok = ngx.print(pad >= #chunk and chunk or chunk:sub(1, pad))
    if not ok then return end
    pad = pad - #chunk
  end
  ngx.print(tail)
end

-- Acts out fault f. Returns true if the request has been answered (or
-- dropped); false if normal processing should continue (delay_ms alone,
-- or only extra headers such as Retry-After / Content-Type).
function M.apply(f)
  local ctx = ngx.ctx
  if f.delay_ms and f.delay_ms > 0 then ngx.sleep(f.delay_ms / 1000) end
  if f.retry_after then
    ctx.extra_headers = ctx.extra_headers or {}
    ctx.extra_headers["Retry-After"] = f.retry_after
  end
  if f.content_type then ctx.content_type_override = f.content_type end

  if f.drop then
    reply.finish(444) -- nginx's "close without answering"
    ngx.exit(444)
    return true
  end
  local status = f.status or 200
  local body = f.body or (f.status and default_body(f.status)) or reply.SUCCESS_BODY
  if f.reset_mid_body then reset_mid_body(status, body); return true end
  if f.trickle_ms then trickle(status, body, f.trickle_ms); return true end
  if f.oversize_bytes then oversize(status, f.oversize_bytes); return true end
  if f.empty then reply.send(status, ""); return true end
  if f.status then reply.send(status, body); return true end
  return false
end

return M
