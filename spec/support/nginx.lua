-- Starts and stops a private nginx (the Debian packages, on loopback) for
-- the specs, and talks to it over plain sockets. Everything nginx writes
-- stays in a temporary directory.
local socket = require "socket"

local M = {}

local function sh(cmd)
  local ok = os.execute(cmd)
  return ok == true or ok == 0
end

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

M.read = read

local function capture(cmd)
  local p = assert(io.popen(cmd))
  local s = p:read("*a")
  p:close()
  return (s:gsub("%s+$", ""))
end

--- A fresh temporary directory.
function M.tmpdir()
  return capture("mktemp -d /tmp/lua-coc-nginx.XXXXXX")
end

--- Removes a directory made by M.tmpdir.
function M.remove(dir)
  assert(dir:find("^/tmp/lua%-coc%-nginx%.[%w]+$"), "not a directory of M.tmpdir: " .. dir)
  sh("rm -rf " .. quote(dir))
end

--- A TCP port on 127.0.0.1 that nothing listens on right now.
function M.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

--- Replaces `pattern` (a Lua pattern) in `text` by `repl`, and fails
-- unless it occurs exactly once: a config edited from an example must not
-- silently drift from it.
function M.replace_once(text, pattern, repl)
  local out, n = text:gsub(pattern, function() return repl end)
  assert(n == 1, ("expected exactly one match of %q in the config, found %d"):format(pattern, n))
  return out
end

local function wait(pred, seconds)
  local t0 = socket.gettime()
  repeat
    if pred() then return true end
    socket.sleep(0.02)
  until socket.gettime() - t0 > seconds
  return false
end

--- Starts the DNS responder of spec/support/dns.lua; returns {port, stop}.
function M.start_dns(dir)
  local portfile = dir .. "/dns.port"
  local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
  assert(sh(("sh -c 'echo $$ >%s; exec luajit %s %s' >%s/dns.log 2>&1 &"):format(
    quote(dir .. "/dns.pid"), quote(here .. "/dns.lua"), quote(portfile), quote(dir))))
  assert(wait(function() return read(portfile) end, 5), "the DNS responder did not start: " .. (read(dir .. "/dns.log") or ""))
  local dns = { port = tonumber(read(portfile)), pid = tonumber(read(dir .. "/dns.pid")) }
  function dns.stop() sh("kill " .. dns.pid .. " 2>/dev/null") end
  return dns
end

--- Starts nginx with `conf` (the text of nginx.conf) in `dir`, the
-- environment `env` (name -> value) given to the master, and waits until
-- `port` accepts connections. Returns {dir, port, stop(), log()}.
function M.start(dir, conf, port, env)
  write(dir .. "/nginx.conf", conf)
  local vars = {}
  for k, v in pairs(env or {}) do vars[#vars + 1] = k .. "=" .. quote(v) end
  local main = ("pid %s/nginx.pid; error_log %s/error.log warn;"):format(dir, dir)
  if capture("id -u") == "0" then main = main .. " user root;" end -- workers must read what root made
  local cmd = ("env %s nginx -p %s -c %s -e %s -g %s >%s/start.log 2>&1"):format(table.concat(vars, " "),
    quote(dir), quote(dir .. "/nginx.conf"), quote(dir .. "/error.log"), quote(main), quote(dir))
  assert(sh(cmd), "nginx did not start: " .. (read(dir .. "/start.log") or "") .. (read(dir .. "/error.log") or ""))
  local up = wait(function()
    local c = socket.tcp()
    c:settimeout(0.2)
    local ok = c:connect("127.0.0.1", port)
    c:close()
    return ok
  end, 5)
  local server = { dir = dir, port = port }
  function server.log() return read(dir .. "/error.log") or "" end
  function server.stop()
    local pid = tonumber(read(dir .. "/nginx.pid") or "")
    if not pid then return end
    sh("kill -TERM " .. pid)
    wait(function() return not sh("kill -0 " .. pid .. " 2>/dev/null") end, 5)
  end
  if not up then
    server.stop()
    error("nginx did not listen on " .. port .. ": " .. server.log())
  end
  return server
end

-- ---- a minimal HTTP/1.1 client (LuaSocket), for requests kept in flight

--- Sends a request on a new connection and returns the connection without
-- reading the answer.
function M.send(port, method, path, body)
  local c = assert(socket.tcp())
  c:settimeout(30)
  assert(c:connect("127.0.0.1", port))
  body = body or ""
  assert(c:send(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %d\r\n"
    .. "Content-Type: application/json\r\n\r\n%s"):format(method, path, #body, body)))
  return c
end

--- Reads the answer of M.send: status, body (nginx's chunked or not).
function M.receive(c)
  local status = tonumber(assert(c:receive("*l")):match("^HTTP/1%.%d (%d+)"))
  local headers = {}
  while true do
    local line = assert(c:receive("*l"))
    if line == "" then break end
    local k, v = line:match("^([^:]+):%s*(.*)$")
    headers[k:lower()] = v
  end
  local body
  if headers["content-length"] then
    body = assert(c:receive(tonumber(headers["content-length"])))
  elseif (headers["transfer-encoding"] or ""):find("chunked") then
    local parts = {}
    while true do
      local size = tonumber(assert(c:receive("*l")):match("^(%x+)"), 16)
      if size == 0 then break end
      parts[#parts + 1] = assert(c:receive(size))
      assert(c:receive(2))
    end
    body = table.concat(parts)
  else
    body = c:receive("*a")
  end
  c:close()
  return status, body
end

--- One request, answered: status, body.
function M.request(port, method, path, body)
  return M.receive(M.send(port, method, path, body))
end

--- True while nothing of the answer on a connection from M.send has
-- arrived (it does not wait, and reads nothing).
function M.nothing_yet(c)
  local readable = socket.select({ c }, nil, 0)
  return #readable == 0
end

return M
