-- Entry point for every request (content_by_lua in nginx.conf): gives it a
-- request id and sends it to the control API or the emulated service.

local crypto = require("coc_emulator.crypto")
local api = require("coc_emulator.api")
local reply = require("coc_emulator.reply")
local control = require("coc_emulator.control")

local M = {}

function M.handle()
  ngx.ctx.request_id = crypto.random_hex(16)
  -- The raw request target: signatures cover the path exactly as sent, so
  -- ngx.var.uri (decoded, normalised) must not be used.
  local target = ngx.var.request_uri
  target = target:gsub("^%a[%w+.-]*://[^/]*", "") -- absolute-form target
  local path, query = target:match("^([^?#]*)%??([^#]*)")
  if path:sub(1, 12) == "/__emulator/" then return control.handle(path) end
  return api.handle(path, query)
end

-- error_page target for errors nginx detects before the app runs.
function M.nginx_error()
  ngx.ctx.request_id = ngx.ctx.request_id or crypto.random_hex(16)
  local status = ngx.status
  if not status or status < 400 then status = 400 end
  return reply.gateway_error(status, "EMU." .. status, "rejected by the HTTP server (status " .. status .. ")")
end

return M
