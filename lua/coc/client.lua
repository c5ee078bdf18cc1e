--- A COC client: one configured endpoint and credentials, one kept-alive
-- connection, and the calls that use them.
-- @classmod coc.client
local core = require "coc.core"
local config = require "coc.config"
local response = require "coc.response"
local classify_values = response.classify_values

local Client = {}
Client.__index = Client

local function warn(log, message)
  if log then log("warn", message) else io.stderr:write("lua-coc: warning: ", message, "\n") end
end

--- Creates a client. See the README for every option.
-- @tparam table opts
-- @return a client, or `nil` and a config error
function Client.new(opts)
  local cfg, err = config.resolve(opts or {})
  if not cfg then return nil, err end
  local transport, terr = Client._transport_option(opts and opts.transport, cfg)
  if not transport then return nil, terr end
  if cfg.ssl_verify == false then
    warn(opts.log, "TLS certificate verification is off for " .. cfg.endpoint)
  end
  local c
  c, err = core.client(cfg)
  if not c then return nil, err end
  -- The resolved options without the secrets, which only the C client holds
  -- (the nginx transport reads timeouts, retries and TLS settings here).
  local public = {}
  for k, v in pairs(cfg) do
    if k ~= "ak" and k ~= "sk" and k ~= "security_token" and k ~= "auth_token" then public[k] = v end
  end
  return setmetatable({ _c = c, _cfg = public, _transport = transport, _log = opts and opts.log,
    endpoint = cfg.endpoint, region = cfg.region }, Client)
end

-- `transport = "auto" | "curl" | "ngx"`: "auto" (the default) sends over
-- nginx's cosockets where they are allowed (lua/coc/transport/ngx.lua), and
-- with libcurl elsewhere.
function Client._transport_option(transport, cfg)
  local function fail(message)
    return nil, setmetatable({ kind = "config", code = "COC.CONFIG", message = message }, core.error_mt)
  end
  transport = transport or "auto"
  if transport ~= "auto" and transport ~= "curl" and transport ~= "ngx" then
    return fail(('transport must be "auto", "curl" or "ngx", got %s'):format(tostring(transport)))
  end
  if transport == "ngx" and rawget(_G, "ngx") == nil then
    return fail('transport "ngx" works only inside nginx (lua-nginx-module)')
  end
  if transport == "ngx" and cfg.proxy then
    return fail('transport "ngx" does not support proxy: use transport "curl"')
  end
  return transport
end

-- Whether this call goes over the nginx transport: true, false (libcurl),
-- or nil and an error (transport "ngx" where nginx allows no cosockets).
function Client:_use_ngx()
  if self._transport == "curl" or rawget(_G, "ngx") == nil then return false end
  return require("coc.transport.ngx").usable(self)
end

-- The client's secrets are only in C; error texts are cleaned there.
function Client:_redactor()
  local r = self._redact
  if not r then
    local c = self._c
    r = function(s) return c:redact(s) end
    self._redact = r
  end
  return r
end

--- Updates a change ticket: `PUT /v2/changes/{change_id}`.
-- @tparam string change_id
-- @tparam table body the request body, validated before anything is sent
-- @tparam[opt] table opts `unknown_fields`
-- @return `{status, error_code, error_msg, provider_code, request_id, attempts}`,
--   or `nil` and an error whose `kind` is validation, api, auth, network, timeout or tls
function Client:update_change(change_id, body, opts)
  local use_ngx, uerr = self:_use_ngx()
  if use_ngx then return require("coc.transport.ngx").update_change(self, change_id, body, opts) end
  if uerr then return nil, uerr end
  local status, answer, rid, ctype, attempts, conns = self._c:update_change(change_id, body, opts)
  if not status then return nil, answer end
  return classify_values(self._redact or self:_redactor(), false, status, answer, rid, ctype, attempts, conns)
end

--- What `update_change` would send, signed, without sending it.
-- @tparam string change_id
-- @tparam table body
-- @tparam[opt] table opts `unknown_fields`, and `now` (Unix seconds) for a
--   reproducible signature
-- @return `{method, url, headers, body, canonical_request}`, or `nil` and an error
function Client:prepare_update_change(change_id, body, opts)
  return self._c:prepare_update_change(change_id, body, opts, opts and opts.now)
end

--- Signs and sends any other COC call.
-- @tparam string method
-- @tparam string path e.g. "/v1/..."; segments are percent-encoded as needed
-- @tparam[opt] string|table body a JSON string, or a table encoded with cjson
-- @tparam[opt] table opts `query` (a raw query string)
-- @return `{status, data, request_id, ...}` for any 2xx, or `nil` and an error
function Client:request(method, path, body, opts)
  if type(body) == "table" then body = require("cjson").encode(body) end
  local use_ngx, uerr = self:_use_ngx()
  if use_ngx then return require("coc.transport.ngx").request(self, method, path, body, opts) end
  if uerr then return nil, uerr end
  local status, answer, rid, ctype, attempts, conns = self._c:request(method, path, opts and opts.query, body)
  if not status then return nil, answer end
  return classify_values(self:_redactor(), true, status, answer, rid, ctype, attempts, conns)
end

--- Updates many change tickets at once, over up to `concurrency`
-- connections (libcurl's multi interface in the core; inside nginx, light
-- threads over cosockets).
-- Every item is validated before any is sent; results come back in input
-- order; one failure never loses the others' results; each item is retried
-- as configured.
-- @tparam table list items `{change_id, body}` (or `{change_id = , body = }`)
-- @tparam[opt] table opts `concurrency` (default 8, at most 256),
--   `on_progress = function(done, total, index, outcome)`, `unknown_fields`
-- @return a list of outcomes `{ok = true, result = ...}` or
--   `{ok = false, err = ...}`, and a summary `{succeeded = n, failed = m}`;
--   or `nil` and a validation error naming each bad item (`list[3].comment`)
function Client:update_changes(list, opts)
  opts = opts or {}
  local outcomes, summary = {}, { succeeded = 0, failed = 0 }
  local total, done = #list, 0
  local on_progress = opts.on_progress
  local function record(i, res, e)
    local outcome = res and { ok = true, result = res } or { ok = false, err = e }
    outcomes[i] = outcome
    summary[res and "succeeded" or "failed"] = summary[res and "succeeded" or "failed"] + 1
    done = done + 1
    if on_progress then on_progress(done, total, i, outcome) end
  end
  local use_ngx, uerr = self:_use_ngx()
  local ok, err
  if use_ngx then
    ok, err = require("coc.transport.ngx").update_changes(self, list, opts, record)
  elseif uerr then
    return nil, uerr
  else
    local redact = self:_redactor()
    ok, err = self._c:update_changes(list, opts.concurrency or 8,
      function(i, status, answer, rid, ctype, attempts, conns)
        if status then
          record(i, classify_values(redact, false, status, answer, rid, ctype, attempts, conns))
        else
          record(i, nil, answer)
        end
      end, opts)
  end
  if not ok then return nil, err end
  return outcomes, summary
end

--- Closes the connection; the client can't be used afterwards. Idempotent.
function Client:close()
  self._c:close()
end

Client.__close = Client.close

function Client:__tostring()
  return ("coc.client(%s)"):format(self.endpoint)
end

-- start_change, end_change, set_change_result, close_change, cancel_change, run_change
require("coc.workflow").install(Client)

return Client
