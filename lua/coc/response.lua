--- Turns a raw HTTP answer into a result or an error, the same way for every
-- transport (libcurl in the core, cosockets in nginx).
-- @module coc.response
local cjson = require "cjson.safe"
local core = require "coc.core"

local response = {}

--- The codes COC answers on success (older documents say "0").
response.success_codes = { ["GOM.00000000"] = true, ["0"] = true }

local function text(v)
  if v == nil or v == cjson.null then return nil end
  return tostring(v)
end

local function new_error(fields)
  return setmetatable(fields, core.error_mt)
end

--- Classifies a raw answer.
-- @tparam table raw `{status, body, request_id, content_type, attempts}`
-- @tparam[opt] function redact removes the client's secrets from text
-- @tparam[opt] boolean generic true for calls other than update_change:
--   any 2xx is then a success, carrying the decoded body as `data`
-- @return a result table, or `nil` and an error
function response.classify(raw, redact, generic)
  redact = redact or function(s) return s end
  local doc = raw.body ~= "" and cjson.decode(raw.body) or nil
  if type(doc) ~= "table" then doc = nil end
  local code, msg, provider, rid
  if doc then
    code = text(doc.error_code) or text(doc.code)
    msg = text(doc.error_msg) or text(doc.message)
    provider = text(doc.provider_code)
    rid = text(doc.request_id)
  end
  if raw.request_id and raw.request_id ~= "" then rid = raw.request_id end
  local status = raw.status
  local ok2xx = status >= 200 and status < 300

  if ok2xx and (generic or (code and response.success_codes[code])) then
    return {
      status = status, error_code = code, error_msg = msg, provider_code = provider,
      request_id = rid, attempts = raw.attempts, new_connections = raw.new_connections,
      data = generic and doc or nil,
    }
  end

  local kind = (status == 401 or status == 403) and "auth" or "api"
  local message
  if msg then
    message = redact(msg)
  elseif ok2xx and not doc then
    message = ("HTTP %d with %s where a JSON object was expected"):format(status,
      raw.body == "" and "an empty body" or ("a %s body"):format(raw.content_type ~= "" and raw.content_type or "non-JSON"))
  elseif ok2xx then
    message = "the answer has no success code"
  else
    message = ("HTTP %d%s"):format(status, doc and "" or
      (raw.body == "" and " with an empty body" or (" with a %s body"):format(
        raw.content_type ~= "" and raw.content_type or "non-JSON")))
  end
  return nil, new_error({
    kind = kind,
    code = code or (ok2xx and "COC.BAD_RESPONSE" or ("HTTP." .. status)),
    message = message,
    status = status,
    error_code = code,
    error_msg = msg and redact(msg) or nil,
    provider_code = provider,
    request_id = rid,
    attempts = raw.attempts,
  })
end

return response
