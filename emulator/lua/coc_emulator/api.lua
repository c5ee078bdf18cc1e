-- The emulated service API: PUT /v2/changes/{change_id}.
-- Order of processing, as in front of the real service:
--   log + count -> injected fault -> route (404) -> gateway auth (401)
--   -> parameter validation (400) -> ticket update (200).

local json = require("coc_emulator.json")
local store = require("coc_emulator.store")
local reply = require("coc_emulator.reply")
local faults = require("coc_emulator.faults")
local auth = require("coc_emulator.auth")
local signer = require("coc_emulator.signer")
local validate = require("coc_emulator.validate")

local M = {}

local function read_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body then return body end
  -- bigger than client_body_buffer_size: nginx spooled it to a file
  local path = ngx.req.get_body_file()
  if not path then return "" end
  local f = assert(io.open(path, "rb"))
  body = f:read("*a")
  f:close()
  return body
end

local function plain_headers(h)
  local out = json.object()
  for k, v in pairs(h) do
    out[k] = type(v) == "table" and json.array(v) or v
  end
  return out
end

function M.handle(raw_path, raw_query)
  local method = ngx.req.get_method()
  local headers = ngx.req.get_headers(0)
  local body = read_body()

  -- {change_id} is exactly one non-empty raw path segment
  local raw_id = raw_path:match("^/v2/changes/([^/]+)$")
  local change_id = raw_id and (signer.uri_decode(raw_id) or raw_id)

  ngx.ctx.log_seq = store.log_request({
    method = method,
    uri = ngx.var.request_uri,
    headers = plain_headers(headers),
    body = body,
    status = json.null,
    connection = tonumber(ngx.var.connection),
    connection_requests = tonumber(ngx.var.connection_requests),
    change_id = change_id,
    scheme = ngx.var.scheme,
    server_port = tonumber(ngx.var.server_port),
    at = store.now_ms(),
  })

  local fault = store.take_fault(change_id)
  if fault and faults.apply(fault) then return end

  if not raw_id or method ~= "PUT" then return reply.not_found() end

  local ok, why = auth.check({
    method = method, path = raw_path, query = raw_query, headers = headers,
    body = body, now = ngx.time(),
  })
  if not ok then return reply.auth_error(why) end

  if not signer.uri_decode(raw_id) then return reply.parameter_error("change_id: malformed percent-encoding") end
  local err = validate.change_id(change_id)
  if err then return reply.parameter_error(err) end

  local ct = headers["content-type"]
  if type(ct) ~= "string" or not ct:lower():find("^application/json") then
    return reply.parameter_error("Content-Type: must be application/json")
  end

  local upd
  upd, err = validate.update_body(body)
  if not upd then return reply.parameter_error(err) end

  store.apply_update(change_id, upd)
  return reply.success()
end

return M
