-- Sending answers. Every answer, on every endpoint and status, carries an
-- X-Request-Id and (unless a fault overrides it) the service's content type.

local json = require("coc_emulator.json")
local store = require("coc_emulator.store")

local M = {}

M.CONTENT_TYPE = "application/json;charset=UTF-8"

-- Fixed bodies, in the service's key order.
M.SUCCESS_BODY = '{"provider_code":"049","error_code":"GOM.00000000","error_msg":null}'

-- Headers for the answer: request id, content type, fault extras.
function M.headers(status, content_length)
  local ctx = ngx.ctx
  ngx.status = status
  ngx.header["X-Request-Id"] = ctx.request_id
  ngx.header["Content-Type"] = ctx.content_type_override or M.CONTENT_TYPE
  if content_length then ngx.header["Content-Length"] = content_length end
  for k, v in pairs(ctx.extra_headers or {}) do ngx.header[k] = v end
end

-- Marks the logged API request (if any) as answered with status. Once only.
function M.finish(status)
  local ctx = ngx.ctx
  if ctx.log_seq and not ctx.finished then
    ctx.finished = true
    store.finish_request(ctx.log_seq, status)
  end
end

function M.send(status, body)
  M.finish(status)
  M.headers(status, #body)
  ngx.print(body)
end

function M.json(status, value)
  return M.send(status, json.encode(value))
end

-- Gateway-style errors (APIGW.*) carry the request id in the body too.
function M.gateway_error(status, code, msg)
  return M.json(status, json.object({ error_code = code, error_msg = msg, request_id = ngx.ctx.request_id },
    { "error_code", "error_msg", "request_id" }))
end

function M.not_found()
  return M.gateway_error(404, "APIGW.0101", "The API does not exist or has not been published in the environment")
end

function M.auth_error(msg)
  return M.gateway_error(401, "APIGW.0301", "Incorrect IAM authentication information: " .. msg)
end

-- The service's "Parameter error", plus a "detail" naming the field.
function M.parameter_error(detail)
  return M.json(400, json.object({
    error_code = "GOM.00007256", error_msg = "Parameter error", provider_code = "049",
    data = json.null, detail = detail,
  }, { "error_code", "error_msg", "provider_code", "data", "detail" }))
end

function M.success()
  return M.send(200, M.SUCCESS_BODY)
end

return M
