-- Test-only control API under /__emulator/ (no auth, JSON in and out).
-- Control requests are not logged, counted or faulted.

local json = require("coc_emulator.json")
local store = require("coc_emulator.store")
local reply = require("coc_emulator.reply")
local faults = require("coc_emulator.faults")
local signer = require("coc_emulator.signer")

local M = {}

local function bad_request(msg)
  return reply.json(400, json.object({ error_code = "EMU.400", error_msg = msg }))
end

local function read_json()
  ngx.req.read_body()
  local body = ngx.req.get_body_data() or ""
  if body == "" then return json.object() end
  local doc, err = json.decode(body)
  if doc == nil then return nil, "invalid JSON: " .. err end
  return doc
end

local function ticket(method, raw_id)
  local id = signer.uri_decode(raw_id)
  if not id then return bad_request("malformed percent-encoding in change id") end
  if method == "GET" then
    local t = store.get_ticket(id)
    if not t then
      return reply.json(404, json.object({ error_code = "EMU.404", error_msg = "unknown change " .. id }))
    end
    return reply.json(200, t)
  elseif method == "PUT" then
    local doc, err = read_json()
    if not doc then return bad_request(err) end
    if json.type(doc) ~= "object" then return bad_request("ticket must be a JSON object") end
    return reply.json(200, store.put_ticket(id, doc))
  elseif method == "DELETE" then
    store.delete_ticket(id)
    return reply.json(200, json.object({ deleted = id }))
  end
  return reply.not_found()
end

local function add_fault()
  local doc, err = read_json()
  if not doc then return bad_request(err) end
  local f
  f, err = faults.parse(doc)
  if not f then return bad_request(err) end
  local n = store.add_fault(f)
  return reply.json(200, json.object({ queued = n, fault = f }))
end

-- method .. " " .. path -> handler
local ROUTES = {
  ["GET /__emulator/health"] = function() return reply.json(200, json.object({ ok = true })) end,
  ["GET /__emulator/stats"] = function()
    local s = store.stats()
    local active = tonumber(ngx.var.connections_active or "")
    if active then s.active_connections = active end
    return reply.json(200, s)
  end,
  ["GET /__emulator/requests"] = function()
    local id = ngx.req.get_uri_args().change_id
    if type(id) == "table" then id = id[1] end
    if id == true then id = "" end
    return reply.json(200, store.requests(id))
  end,
  ["GET /__emulator/changes"] = function() return reply.json(200, store.ticket_ids()) end,
  ["POST /__emulator/reset"] = function()
    store.reset()
    return reply.json(200, json.object({ reset = true }))
  end,
  ["GET /__emulator/faults"] = function() return reply.json(200, store.faults()) end,
  ["POST /__emulator/faults"] = add_fault,
  ["DELETE /__emulator/faults"] = function()
    store.clear_faults()
    return reply.json(200, json.object({ cleared = true }))
  end,
}

function M.handle(raw_path)
  local method = ngx.req.get_method()
  local route = ROUTES[method .. " " .. raw_path]
  if route then return route() end
  local raw_id = raw_path:match("^/__emulator/changes/([^/]+)$")
  if raw_id then return ticket(method, raw_id) end
  return reply.not_found()
end

return M
