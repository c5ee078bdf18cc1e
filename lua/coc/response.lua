--- Turns a raw HTTP answer into a result or an error, the same way for every
-- transport (libcurl in the core, cosockets in nginx).
-- @module coc.response
local cjson = require "cjson.safe"
local core = require "coc.core"

local response = {}

--- The codes COC answers on success (older documents say "0").
response.success_codes = { ["GOM.00000000"] = true, ["0"] = true }
local success_codes = response.success_codes

local decode, null = cjson.decode, cjson.null

local function text(v)
  if type(v) == "string" or v == nil then return v end
  if v == null then return nil end
  return tostring(v)
end

local function new_error(fields)
  return setmetatable(fields, core.error_mt)
end

-- What a body says: whether it is a JSON object, and its code, message,
-- provider code and request id as text.
local function read_body(doc)
  if not doc then return false end
  -- newer answers say error_code/error_msg, older ones code/message
  local code, msg, provider, rid = doc.error_code, doc.error_msg, doc.provider_code, doc.request_id
  if code == nil or code == null then code = doc.code end
  if msg == nil or msg == null then msg = doc.message end
  -- strings as a rule; anything else is made text, null is nil
  if type(code) ~= "string" then code = text(code) end
  if msg ~= nil and type(msg) ~= "string" then msg = text(msg) end
  if provider ~= nil and type(provider) ~= "string" then provider = text(provider) end
  if rid ~= nil and type(rid) ~= "string" then rid = text(rid) end
  return true, code, msg, provider, rid
end

-- The last small body read, and what it said. COC answers every successful
-- update with the same bytes, so most answers are read without decoding.
-- Only text is kept, never a table a caller could change.
local MEMO_MAX = 1024
local memo_body, memo_is_doc, memo_code, memo_msg, memo_provider, memo_rid

--- Classifies an answer given as values, the form the core returns it in.
-- @tparam[opt] function redact removes the client's secrets from text
-- @tparam[opt] boolean generic true for calls other than update_change:
--   any 2xx is then a success, carrying the decoded body as `data`
-- @tparam integer status
-- @tparam string body
-- @tparam[opt] string request_id from the X-Request-Id header ("" or nil: none)
-- @tparam[opt] string content_type ("" or nil: none)
-- @tparam[opt] integer attempts
-- @tparam[opt] integer new_connections
-- @return a result table, or `nil` and an error
function response.classify_values(redact, generic, status, body, request_id, content_type, attempts,
                                  new_connections)
  local doc, is_doc, code, msg, provider, rid
  if not generic and body == memo_body then
    is_doc, code, msg, provider, rid = memo_is_doc, memo_code, memo_msg, memo_provider, memo_rid
  else
    doc = body ~= "" and decode(body) or nil
    if type(doc) ~= "table" then doc = nil end
    is_doc, code, msg, provider, rid = read_body(doc)
    if not generic and #body <= MEMO_MAX then
      memo_body, memo_is_doc, memo_code, memo_msg, memo_provider, memo_rid = body, is_doc, code, msg, provider, rid
    end
  end
  if request_id and request_id ~= "" then rid = request_id end -- the header wins over the body
  local ok2xx = status >= 200 and status < 300

  if ok2xx and (generic or (code and success_codes[code])) then
    return {
      status = status, error_code = code, error_msg = msg, provider_code = provider,
      request_id = rid, attempts = attempts, new_connections = new_connections,
      data = generic and doc or nil,
    }
  end

  redact = redact or function(s) return s end
  local kind = (status == 401 or status == 403) and "auth" or "api"
  local what = body == "" and "an empty body" or
    ("a %s body"):format(content_type and content_type ~= "" and content_type or "non-JSON")
  local message
  if msg then
    message = redact(msg)
  elseif ok2xx and not is_doc then
    message = ("HTTP %d with %s where a JSON object was expected"):format(status, what)
  elseif ok2xx then
    message = "the answer has no success code"
  else
    message = ("HTTP %d%s"):format(status, is_doc and "" or " with " .. what)
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
    attempts = attempts,
  })
end

local classify_values = response.classify_values

--- Classifies a raw answer given as a table (the nginx transport's form).
-- @tparam table raw `{status, body, request_id, content_type, attempts, new_connections}`
-- @tparam[opt] function redact
-- @tparam[opt] boolean generic
-- @return as `classify_values`
function response.classify(raw, redact, generic)
  return classify_values(redact, generic, raw.status, raw.body, raw.request_id, raw.content_type,
    raw.attempts, raw.new_connections)
end

return response
