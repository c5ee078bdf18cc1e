--- lua-coc: update Huawei Cloud COC change tickets from Lua.
-- The C core (`coc.core`) validates, encodes, signs and sends; this module
-- is the friendly face over it.
-- @module coc
local core = require "coc.core"
local Client = require "coc.client"

local coc = {
  _VERSION = core._VERSION,
  --- The JSON null, the same value as `cjson.null`.
  null = core.null,
}

--- Checks a request against every rule of the API reference.
-- @tparam string change_id the change ticket number (1..50 characters)
-- @tparam table body the request body
-- @tparam[opt] table opts `unknown_fields = "error"|"keep"|"drop"`
-- @return `true`, or `nil` and a validation error listing every problem
coc.validate = core.validate

--- The JSON body that would be sent, validated first.
-- @tparam string change_id
-- @tparam table body
-- @tparam[opt] table opts as for `validate`
-- @return the JSON text, or `nil` and an error
coc.encode = core.encode

--- Creates a client (see `coc.client`).
-- @tparam table opts region or endpoint, credentials, timeouts, retries
-- @return a client, or `nil` and a config error
coc.new = Client.new

local default_client

--- Updates a change ticket with a client configured from the environment
-- (`HUAWEICLOUD_SDK_AK`, `..._SK`, `..._DOMAIN_ID`, ...), created on first use.
-- @return as `client:update_change`
function coc.update_change(change_id, body, opts)
  if not default_client then
    local err
    default_client, err = Client.new({})
    if not default_client then return nil, err end
  end
  return default_client:update_change(change_id, body, opts)
end

--- Marks a table as a JSON array, so that an empty one encodes as `[]`.
-- @tparam[opt] table t
-- @treturn table t
function coc.array(t)
  return setmetatable(t or {}, core.array_mt)
end

--- Tells whether a value is an error returned by this module.
function coc.is_error(v)
  return type(v) == "table" and getmetatable(v) == core.error_mt
end

return coc
