--- The nginx transport: inside an nginx worker (lua-nginx-module), sends
-- what the C core prepared over cosockets, so a call never blocks the
-- worker. The core still validates, encodes and signs (CPU only); only the
-- sending differs from the libcurl transport, and the answer goes through
-- the same `coc.response.classify`, so results and errors are the same.
--
-- Policy, as in src/http.c: bounded connect/attempt/total timeouts; retries
-- (opt-in) on 429, 502, 503, 504 and on network errors before an answer,
-- with exponential backoff, jitter, Retry-After and the total deadline;
-- each attempt prepared (so signed) afresh. Connections go back to nginx's
-- per-worker cosocket pool (`setkeepalive`).
-- @module coc.transport.ngx
local core = require "coc.core"
local response = require "coc.response"

local M = {}

-- The options the user left out are nil in the client's resolved
-- configuration; the C core says what they default to.
local DEFAULTS = core.defaults

-- Phases whose handlers may use cosockets (lua-nginx-module's docs).
M.cosocket_phases = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
}

local MAX_HEADER_BYTES = 102400 -- all header lines of one answer, as libcurl's limit
local CHUNK_LINE = 4096         -- read size for header and chunk-size lines

local warned = {} -- one warning per worker and subject

local function warn_once(client, key, message)
  if warned[key] then return end
  warned[key] = true
  if client._log then client._log("warn", message)
  else ngx.log(ngx.WARN, "lua-coc: ", message) end
end

local function new_error(kind, code, message, attempts)
  return setmetatable({ kind = kind, code = code, message = message, attempts = attempts }, core.error_mt)
end

local function now_ms()
  ngx.update_time() -- ngx.now() is cached per event-loop turn
  return ngx.now() * 1000
end

-- Seconds (as given to coc.new) to whole milliseconds, rounded up as the C
-- binding does.
local function ms(seconds) return math.ceil(seconds * 1000) end

--- Whether a call made now should use this transport.
-- @return true; or false to use libcurl; or nil and a config error
function M.usable(client)
  local phase = ngx.get_phase()
  if M.cosocket_phases[phase] then
    if client._cfg.proxy then -- only "auto" gets here: Client.new refuses "ngx" with a proxy
      warn_once(client, "proxy", "a proxy is configured: lua-coc sends with libcurl, which blocks this nginx worker")
      return false
    end
    return true
  end
  if client._transport == "ngx" then
    return nil, setmetatable({ kind = "config", code = "COC.CONFIG", message = ("transport \"ngx\" needs "
      .. "cosockets, which nginx does not allow in the %s phase: call from a timer (ngx.timer.at)"):format(phase) },
      core.error_mt)
  end
  if phase ~= "init" then -- in the master at start-up blocking harms no one
    warn_once(client, "phase:" .. phase, ("nginx allows no cosockets in the %s phase: lua-coc sends with libcurl, "
      .. "which blocks this worker; call from a timer (ngx.timer.at) instead"):format(phase))
  end
  return false
end

-- ---- per-client settings ------------------------------------------------

local function is_ip(host)
  return host:find("^%d+%.%d+%.%d+%.%d+$") ~= nil or host:find(":", 1, true) ~= nil
end

-- The numbers and the target of a client, worked out once.
local function settings(client)
  local s = client._ngx
  if s then return s end
  local cfg = client._cfg
  local function opt(k) if cfg[k] == nil then return DEFAULTS[k] end return cfg[k] end
  local scheme, authority = cfg.endpoint:match("^(https?)://([^/?#]+)")
  local host, port = authority:match("^%[(.+)%]:?(%d*)$") -- [v6]:port
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  s = {
    endpoint = scheme .. "://" .. authority,
    tls = scheme == "https",
    host = host,
    connect_host = host:find(":", 1, true) and ("[" .. host .. "]") or host, -- an IPv6 address
    port = tonumber(port) or (scheme == "https" and 443 or 80),
    verify = cfg.ssl_verify ~= false,
    connect_timeout = ms(opt "connect_timeout"),
    timeout = ms(opt "timeout"),
    deadline = ms(opt "deadline"),
    max_retries = opt "max_retries",
    retry_base = ms(opt "retry_base"),
    retry_max = ms(opt "retry_max"),
    max_response = opt "max_response",
  }
  if s.tls then
    -- SNI and the name the certificate must carry. ngx_lua checks it as a
    -- DNS name only (X509_check_host), so a certificate for an address in
    -- an IP SAN never matches: such an endpoint fails verification rather
    -- than being trusted on its chain alone.
    s.server_name = host
    s.ip = is_ip(host)
    if cfg.ca_file then
      warn_once(client, "ca_file", "ca_file is not used inside nginx: cosocket TLS trusts the CAs of the "
        .. "lua_ssl_trusted_certificate directive")
    end
  end
  -- Connections are only shared by calls that would have made the same one.
  s.pool = ("lua-coc|%s|%s|%d|%s|%s|%s"):format(scheme, host, s.port, s.tls and "tls" or "plain",
    s.verify and "verify" or "noverify", cfg.ca_file or "")
  client._ngx = s
  return s
end

--- The cosocket pool of a client's connections: `{name, host, port}`
-- (`ngx.socket.tcp():connect(host, port, {pool = name})` takes one of them).
function M.pool(client)
  local s = settings(client)
  return { name = s.pool, host = s.connect_host, port = s.port }
end

-- ---- the exchange ---------------------------------------------------------

-- A failure of one attempt: the error, and whether a retry may help (only
-- when no answer had started, as in the C transport).
local function failure(kind, code, message, retry)
  return { kind = kind, code = code, message = message, retry = retry }
end

local function io_failure(s, err, what, answered)
  if err == "timeout" then
    return failure("timeout", "COC.TIMEOUT", ("%s: timed out %s"):format(s.endpoint, what), not answered)
  end
  return failure("network", "COC.CONNECTION", ("%s: %s %s"):format(s.endpoint, err, what), not answered)
end

local function too_large(s)
  return failure("network", "COC.RESPONSE_TOO_LARGE",
    ("the response from %s is larger than %d bytes"):format(s.endpoint, s.max_response), false)
end

-- Reads one CRLF-terminated line of at most `max` bytes.
local function read_line(reader, max)
  local parts, n = {}, 0
  while true do
    local data, err = reader(CHUNK_LINE)
    if err then return nil, err end
    if not data then return table.concat(parts) end
    n = n + #data
    if n > max then return nil, "too large" end
    parts[#parts + 1] = data
  end
end

local function read_headers(reader, budget)
  local headers = {}
  while true do
    local line, err = read_line(reader, budget.left)
    if not line then return nil, err end
    budget.left = budget.left - #line - 2
    if line == "" then return headers end
    local name, value = line:match("^([^:%s]+):%s*(.-)%s*$")
    if name then
      name = name:lower()
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
    end
  end
end

-- The body after the headers. Returns body, keep (whether the connection
-- may be reused), or nil and a failure.
local function read_body(s, sock, reader, method, status, headers)
  if method == "HEAD" or status == 204 or status == 304 then return "", true end
  local te = headers["transfer-encoding"]
  if te and te:lower():find("chunked%s*$") then
    local parts, total = {}, 0
    while true do
      local line, err = read_line(reader, CHUNK_LINE)
      if not line then return nil, err == "too large" and too_large(s) or io_failure(s, err, "reading the body", true) end
      local size = tonumber(line:match("^%s*(%x+)"), 16)
      if not size then return nil, failure("network", "COC.CONNECTION", s.endpoint .. ": a malformed chunk", false) end
      if size == 0 then
        local _, terr = read_headers(reader, { left = MAX_HEADER_BYTES }) -- trailers
        if terr then return nil, io_failure(s, terr, "reading the body", true) end
        return table.concat(parts), true
      end
      total = total + size
      if total > s.max_response then return nil, too_large(s) end
      local data, rerr = sock:receive(size)
      if not data then return nil, io_failure(s, rerr, "reading the body", true) end
      parts[#parts + 1] = data
      local crlf
      crlf, rerr = sock:receive(2)
      if crlf ~= "\r\n" then return nil, io_failure(s, rerr or "a malformed chunk", "reading the body", true) end
    end
  end
  local length = headers["content-length"]
  if length then
    local n = tonumber(length:match("^(%d+)$"))
    if not n then
      return nil, failure("network", "COC.CONNECTION", s.endpoint .. ": a malformed Content-Length", false)
    end
    if n > s.max_response then return nil, too_large(s) end
    if n == 0 then return "", true end
    local data, err = sock:receive(n)
    if not data then return nil, io_failure(s, err, "reading the body", true) end
    return data, true
  end
  -- Neither: the body ends when the server closes.
  local parts, total = {}, 0
  while true do
    local data, err, partial = sock:receive(8192)
    data = data or partial or ""
    total = total + #data
    if total > s.max_response then return nil, too_large(s) end
    parts[#parts + 1] = data
    if err == "closed" then return table.concat(parts), false end
    if err then return nil, io_failure(s, err, "reading the body", true) end
  end
end

local function handshake(s, sock)
  -- `nil` (not `false`) as the session: lua-resty-core 0.1.25 returns true
  -- for a handshake that completed at once even when verification failed
  -- if the session is `false`; with `nil` it checks the result (and its
  -- assert may raise instead, hence the pcall).
  local ok, session, err = pcall(sock.sslhandshake, sock, nil, s.server_name, s.verify)
  if not ok then
    return failure("tls", "COC.TLS", ("TLS with %s failed: certificate verification failed "
      .. "(the nginx error log says why)"):format(s.endpoint), false)
  end
  if session then return nil end
  if err == "timeout" then
    return failure("timeout", "COC.TIMEOUT", s.endpoint .. ": timed out in the TLS handshake", true)
  end
  local hint = ""
  if s.ip and err == "certificate host mismatch" then
    hint = " (nginx checks the certificate for the address as a DNS name: use the endpoint's host name)"
  end
  return failure("tls", "COC.TLS", ("TLS with %s failed: %s%s"):format(s.endpoint, err, hint), false)
end

local function connect_failure(s, err)
  if err == "timeout" then
    return failure("timeout", "COC.TIMEOUT", s.endpoint .. ": timed out connecting", true)
  end
  if err:find("resolve", 1, true) or err:find("resolver", 1, true) then
    return failure("network", "COC.RESOLVE", ("%s: %s"):format(s.endpoint, err), true)
  end
  return failure("network", "COC.CONNECT", ("%s: could not connect: %s"):format(s.endpoint, err), true)
end

local function request_text(p)
  local path = p.url:match("^https?://[^/?#]+(.*)$")
  if path == "" then path = "/" end
  local out = { p.method, " ", path, " HTTP/1.1\r\n" }
  for name, value in pairs(p.headers) do
    out[#out + 1] = name .. ": " .. value .. "\r\n"
  end
  if p.body then
    out[#out + 1] = "Content-Length: " .. #p.body .. "\r\n"
  elseif p.method ~= "GET" and p.method ~= "HEAD" and p.method ~= "DELETE" then
    out[#out + 1] = "Content-Length: 0\r\n"
  end
  out[#out + 1] = "\r\n"
  out[#out + 1] = p.body
  return out
end

-- One exchange on one connection. Returns raw, nil; or nil, failure, and
-- whether the failure came from a reused connection before any answer (the
-- server closed it meanwhile: try once more on another).
local function exchange(s, p, stop_at, counts)
  local function left() return math.max(1, math.floor(stop_at - now_ms())) end
  local sock = ngx.socket.tcp()
  sock:settimeouts(math.min(s.connect_timeout, left()), left(), left())
  local ok, err = sock:connect(s.connect_host, s.port, { pool = s.pool })
  if not ok then return nil, connect_failure(s, err) end
  local reused = sock:getreusedtimes() > 0
  if not reused then counts.connections = counts.connections + 1 end
  if s.tls and not reused then
    sock:settimeout(left())
    local f = handshake(s, sock)
    if f then sock:close(); return nil, f end
  end

  sock:settimeout(left())
  ok, err = sock:send(request_text(p))
  if not ok then sock:close(); return nil, io_failure(s, err, "sending the request", false), reused and err ~= "timeout" end

  local reader = sock:receiveuntil("\r\n")
  local budget = { left = MAX_HEADER_BYTES }
  local status, headers, line
  repeat -- skips interim 1xx answers
    sock:settimeout(left())
    line, err = read_line(reader, CHUNK_LINE)
    if not line then
      sock:close()
      if err == "too large" then return nil, too_large(s) end
      return nil, io_failure(s, err, "waiting for the answer", false), reused and err ~= "timeout"
    end
    status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
    if not status then
      sock:close()
      return nil, failure("network", "COC.CONNECTION", s.endpoint .. ": the answer is not HTTP", false)
    end
    headers, err = read_headers(reader, budget)
    if not headers then
      sock:close()
      if err == "too large" then return nil, too_large(s) end
      return nil, io_failure(s, err, "reading the answer's headers", true)
    end
  until status >= 200 or status == 101

  local body, keep = read_body(s, sock, reader, p.method, status, headers)
  if not body then sock:close(); return nil, keep end
  local conn = (headers.connection or ""):lower()
  if keep and line:sub(1, 8) == "HTTP/1.1" and not conn:find("close", 1, true) then
    sock:setkeepalive() -- idle time and pool size: lua_socket_keepalive_timeout, lua_socket_pool_size
  else
    sock:close()
  end
  return {
    status = status,
    body = body,
    request_id = (headers["x-request-id"] or ""):sub(1, 127),
    content_type = (headers["content-type"] or ""):sub(1, 127),
    retry_after = headers["retry-after"],
  }
end

-- ---- retries ---------------------------------------------------------------

local seed
local function random(n) -- 0..n-1; a per-worker Park-Miller generator
  if not seed then seed = (ngx.worker.pid() * 7919 + math.floor(ngx.now() * 1000)) % 2147483646 + 1 end
  seed = seed * 16807 % 2147483647
  return seed % n
end

-- Exponential backoff with equal jitter: half fixed, half random.
local function backoff(s, attempt)
  local d = s.retry_base
  for _ = 2, attempt do
    if d >= s.retry_max then break end
    d = d * 2
  end
  d = math.min(d, s.retry_max)
  local half = math.floor(d / 2)
  return half + random(half + 1)
end

-- Retry-After in ms (seconds or an HTTP date), or nil.
local function retry_after(value)
  if not value then return nil end
  local secs = tonumber(value:match("^%s*(%d+)%s*$"))
  if secs then return secs * 1000 end
  local when = ngx.parse_http_time(value)
  if not when then return nil end
  return math.max(0, when - ngx.time()) * 1000
end

local retryable = core.retryable -- the libcurl transport's rule

-- Sends with retries; `prepare(now)` returns a freshly signed request.
local function send(client, prepare, generic)
  local s = settings(client)
  local deadline = now_ms() + s.deadline
  local attempt, counts = 0, { connections = 0 }
  while true do
    attempt = attempt + 1
    local p, perr = prepare(ngx.time())
    if not p then return nil, perr end
    local stop_at = math.min(now_ms() + s.timeout, deadline)
    local raw, f, stale = exchange(s, p, stop_at, counts)
    if stale and now_ms() < stop_at then raw, f = exchange(s, p, stop_at, counts) end

    local retry
    if raw then retry = retryable(raw.status) else retry = f.retry end
    local wait = backoff(s, attempt)
    local ra = raw and retry_after(raw.retry_after)
    if ra and ra > wait then wait = ra end
    if retry and attempt <= s.max_retries and now_ms() + wait < deadline then
      ngx.sleep(wait / 1000)
    elseif raw then
      raw.attempts, raw.new_connections, raw.retry_after = attempt, counts.connections, nil
      return response.classify(raw, client:_redactor(), generic)
    else
      return nil, new_error(f.kind, f.code, f.message, attempt)
    end
  end
end

--- As `client:update_change`, over cosockets.
function M.update_change(client, change_id, body, opts)
  return send(client, function(now)
    return client._c:prepare_update_change(change_id, body, opts, now)
  end)
end

--- As `client:update_changes`, over cosockets: up to `concurrency` light
-- threads (ngx.thread) take the validated items in turn, so the worker keeps
-- serving other requests meanwhile. An error raised by `on_item` stops the
-- threads from taking new items and is raised again once they are done.
-- @tparam table client
-- @tparam table list as for `client:update_changes`
-- @tparam table opts `concurrency` (1..256, default 8), `unknown_fields`
-- @tparam function on_item called as `on_item(index, result, err)` per item
-- @return true, or nil and the validation error naming each bad item
function M.update_changes(client, list, opts, on_item)
  local concurrency = opts.concurrency or 8
  if type(concurrency) ~= "number" or concurrency < 1 or concurrency > 256 or concurrency % 1 ~= 0 then
    error("bad argument: concurrency must be in 1..256", 2)
  end
  local encoded, err = client._c:encode_changes(list, opts)
  if not encoded then return nil, err end
  local n, next_item, raised = #encoded / 2, 1, nil
  local function worker()
    while not raised and next_item <= n do
      local i = next_item
      next_item = i + 1
      local body, path = encoded[2 * i - 1], encoded[2 * i]
      local res, e = send(client, function(now) return client._c:prepare("PUT", path, nil, body, now) end)
      local ok, cerr = pcall(on_item, i, res, e)
      if not ok and not raised then raised = { cerr } end
    end
  end
  local threads = {}
  for t = 1, math.min(concurrency, n) do threads[t] = ngx.thread.spawn(worker) end
  for _, t in ipairs(threads) do ngx.thread.wait(t) end
  if raised then error(raised[1], 0) end
  return true
end

--- As `client:request`, over cosockets (`body` already a string or nil).
function M.request(client, method, path, body, opts)
  local query = opts and opts.query
  return send(client, function(now)
    return client._c:prepare(method, path, query, body, now)
  end, true)
end

return M
