-- Handlers of the nginx the OpenResty specs start (spec/10-openresty_spec.lua):
-- each runs one call described by the request body as JSON
--   {opts = <options of coc.new>, change_id =, body =}, {opts =, method =, path =, body =}
--   or {opts =, batch = <list of update_changes>, batch_opts =}
-- and reports its outcome as JSON {res, err, text, via, phase, warnings}.
local cjson = require "cjson"
local coc = require "coc"

local H = {}

-- Closes every idle connection of the client's pool, so that the next call
-- opens a new one (the specs need that to compare with a fresh libcurl client).
local function drain(client)
  local pool = require("coc.transport.ngx").pool(client)
  local host, port = pool.host, pool.port
  repeat
    local sock = ngx.socket.tcp()
    if not sock:connect(host, port, { pool = pool.name }) then return end -- nothing listens
    local reused = sock:getreusedtimes() > 0
    sock:close()
  until not reused
end

local function run(spec)
  local warnings = {}
  local opts = spec.opts or {}
  opts.log = function(level, message) warnings[#warnings + 1] = level .. ": " .. message end
  local client, err = coc.new(opts)
  local res
  if client then
    if spec.drain then drain(client) end
    if spec.batch then
      local outcomes, summary = client:update_changes(spec.batch, spec.batch_opts)
      res, err = outcomes and { outcomes = outcomes, summary = summary }, not outcomes and summary or nil
    elseif spec.path then
      res, err = client:request(spec.method, spec.path, spec.body)
    else
      res, err = client:update_change(spec.change_id, spec.body)
    end
  end
  local use_ngx = client and client:_use_ngx()
  return {
    res = res, err = err, text = err and tostring(err) or nil, phase = ngx.get_phase(),
    via = use_ngx and "ngx" or "curl", warnings = warnings,
  }
end

local function read_spec()
  ngx.req.read_body()
  return cjson.decode(ngx.req.get_body_data())
end

--- POST /call: the call, in the content phase.
function H.call()
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(run(read_spec())))
end

--- POST /later?key=K&phase=log|timer: the call in the log phase of this
-- request, or in a timer; its outcome is kept under K for GET /result?key=K.
function H.later()
  local spec, key = read_spec(), ngx.var.arg_key
  if ngx.var.arg_phase == "timer" then
    assert(ngx.timer.at(0, function()
      ngx.shared.coc_spec:set(key, cjson.encode(run(spec)))
    end))
  else
    ngx.ctx.later = { spec = spec, key = key }
  end
  ngx.say("accepted")
end

--- log_by_lua of /later.
function H.log()
  local later = ngx.ctx.later
  if later then ngx.shared.coc_spec:set(later.key, cjson.encode(run(later.spec))) end
end

--- GET /result?key=K: the outcome kept under K, or 404 while there is none.
function H.result()
  local v = ngx.shared.coc_spec:get(ngx.var.arg_key)
  if not v then return ngx.exit(404) end
  ngx.header["Content-Type"] = "application/json"
  ngx.say(v)
end

return H
