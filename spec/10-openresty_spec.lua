-- The module inside a real nginx (Debian's nginx-core and
-- libnginx-mod-http-lua, on loopback), started from the README's
-- examples/openresty/nginx.conf: the nginx transport (cosockets) gives the
-- same results and errors as libcurl, never holds up its worker, keeps
-- connections alive and verifies certificates against
-- lua_ssl_trusted_certificate.
--
-- nginx's Lua module is LuaJIT, so this file needs the LuaJIT build:
--   luajit /usr/bin/busted --cpath='build/luajit/?.so' spec/10-openresty_spec.lua
-- (scripts/stages/60-openresty.sh; the emulator's env must be exported).
if not rawget(_G, "jit") then
  pending("needs LuaJIT and its build: nginx's Lua module runs LuaJIT (scripts/stages/60-openresty.sh runs this file)")
  return
end

local cjson = require "cjson"
local coc = require "coc"
local h = require "helpers"
local nginx = require "support.nginx"

local emu = h.emulator()

local CLOSE = {
  history_info = { action = "change_complete_success" },
  ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
}

-- The emulator's URLs with the host name its certificates carry; nginx
-- resolves it through the specs' DNS responder (spec/support/dns.lua).
local function named(url) return (url:gsub("^(https?://)127%.0%.0%.1:", "%1localhost:")) end

local function cwd()
  local p = assert(io.popen("pwd"))
  local dir = p:read("*l")
  p:close()
  return dir
end

local server, dns, port, test_port

-- The extra server of the specs, added to the example's http block.
local function spec_server(dir)
  return ([[
    lua_shared_dict coc_spec 1m;
    access_log %s/access.log;
    client_body_temp_path %s/body;
    proxy_temp_path %s/proxy;
    fastcgi_temp_path %s/fastcgi;
    uwsgi_temp_path %s/uwsgi;
    scgi_temp_path %s/scgi;
    server {
        listen 127.0.0.1:%d;
        location = /call { content_by_lua_block { require("support.nginx_handlers").call() } }
        location = /later {
            content_by_lua_block { require("support.nginx_handlers").later() }
            log_by_lua_block { require("support.nginx_handlers").log() }
        }
        location = /result { content_by_lua_block { require("support.nginx_handlers").result() } }
    }
]]):format(dir, dir, dir, dir, dir, dir, test_port)
end

setup(function()
  local root = cwd()
  local dir = nginx.tmpdir()
  local so = assert(package.searchpath("coc.core", package.cpath), "coc.core is not on the cpath")
  if so:sub(1, 1) ~= "/" then so = root .. "/" .. so end
  dns = nginx.start_dns(dir)
  port = nginx.free_port()
  repeat test_port = nginx.free_port() until test_port ~= port

  -- The README's snippet, with this machine's paths, port, DNS and CA.
  local conf = assert(nginx.read("examples/openresty/nginx.conf"))
  local r = nginx.replace_once
  conf = r(conf, "\nworker_processes auto;", "\nworker_processes 1;") -- one worker: ordering is measured in it
  conf = r(conf, '\n    lua_package_path "[^"]*";',
    ('\n    lua_package_path "%s/lua/?.lua;%s/spec/?.lua;;";'):format(root, root))
  conf = r(conf, '\n    lua_package_cpath "[^"]*";', ('\n    lua_package_cpath "%s;;";'):format(so:gsub("coc/core%.so$", "?.so")))
  conf = r(conf, "\n    resolver [^;]*;", ("\n    resolver 127.0.0.1:%d ipv6=off;"):format(dns.port))
  conf = r(conf, "\n    lua_ssl_trusted_certificate [^;]*;", "\n    lua_ssl_trusted_certificate " .. emu.ca .. ";")
  conf = r(conf, "\n        listen 127%.0%.0%.1:8080;", ("\n        listen 127.0.0.1:%d;"):format(port))
  conf = r(conf, "\n}%s*$", "\n" .. spec_server(dir) .. "}\n")
  server = nginx.start(dir, conf, test_port, {
    HUAWEICLOUD_SDK_AK = emu.ak, HUAWEICLOUD_SDK_SK = emu.sk, HUAWEICLOUD_SDK_DOMAIN_ID = emu.domain_id,
    HUAWEICLOUD_SDK_REGION_COC_CN_NORTH_4 = named(emu.https_url),
  })
  assert(nginx.request(port, "GET", "/") == 404) -- the example's server answers too
end)

teardown(function()
  if server then server.stop() end
  if dns then dns.stop() end
  if server then nginx.remove(server.dir) end
end)

before_each(function() emu.reset() end)

-- ---- one call, over libcurl here and over cosockets in nginx -------------

local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

local function base_opts(extra)
  local opts = { endpoint = emu.url, ak = emu.ak, sk = emu.sk, domain_id = emu.domain_id }
  for k, v in pairs(extra or {}) do opts[k] = v end
  if opts.auth_token then opts.ak, opts.sk = nil, nil end
  return opts
end

-- A call in nginx's content phase; its outcome as JSON decodes it.
local function in_nginx(spec)
  local status, body = nginx.request(test_port, "POST", "/call", cjson.encode(spec))
  assert.are.equal(200, status, body)
  return cjson.decode(body)
end

-- The same call with libcurl in this process, through the same JSON.
local function here(spec)
  local client = assert(coc.new(copy(spec.opts)))
  local res, err
  if spec.path then res, err = client:request(spec.method, spec.path, spec.body)
  else res, err = client:update_change(spec.change_id, spec.body) end
  client:close()
  return cjson.decode(cjson.encode({ res = res, err = err }))
end

local FIELDS = { "kind", "code", "status", "error_code", "error_msg", "provider_code", "attempts", "errors" }

-- What must be equal between the transports: every field but the request
-- id (a fresh one per answer), new_connections (nginx's pool outlives a
-- client) and the wording of transport failures (libcurl's vs nginx's),
-- which must still name the endpoint.
local function shape(outcome, endpoint)
  local v = outcome.res or outcome.err
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = { outcome = outcome.res and "result" or "error", keys = table.concat(keys, " ") }
  for _, k in ipairs(FIELDS) do out[k] = v[k] end
  if v.request_id then out.request_id = v.request_id:match("^%x+$") and "hex" or v.request_id end
  if v.data then out.data = v.data end
  local message = v.message
  if message and (v.kind == "network" or v.kind == "timeout" or v.kind == "tls")
    and v.code ~= "COC.RESPONSE_TOO_LARGE" then
    message = message:find(endpoint, 1, true) and "(names the endpoint)" or message
  elseif message then -- the gateway echoes the request's date
    message = message:gsub("%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ", "<date>")
    out.error_msg = out.error_msg and out.error_msg:gsub("%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ", "<date>")
  end
  out.message = message
  return out
end

local function check_no_secrets(outcome)
  for _, s in ipairs(h.strings(outcome)) do
    for _, secret in ipairs({ emu.sk, emu.tmp_sk, emu.security_token, emu.token }) do
      assert.is_nil(s:find(secret, 1, true), "a secret leaked into: " .. s)
    end
  end
end

-- Scenarios: the call, the faults queued before it, and what it must give.
local SCENARIOS = {
  { "success", {}, nil, { outcome = "result", status = 200, error_code = "GOM.00000000", attempts = 1 } },
  { "success with an IAM token", { opts = { auth_token = "TOKEN" } }, nil, { outcome = "result", status = 200 } },
  { "success with temporary credentials", { opts = { ak = "TMP_AK", sk = "TMP_SK", security_token = "SECURITY_TOKEN" } },
    nil, { outcome = "result", status = 200 } },
  { "an answer sent one byte at a time (chunked)", {}, { { trickle_ms = 1 } }, { outcome = "result", status = 200 } },
  { "auth error", { opts = { sk = "not-the-secret" } }, nil, { kind = "auth", code = "APIGW.0301", status = 401 } },
  { "api error", {}, { { status = 400,
      body = '{"error_code":"GOM.00007256","error_msg":"Parameter error","provider_code":"049","data":null}' } },
    { kind = "api", code = "GOM.00007256", status = 400 } },
  { "api error without a JSON body", {}, { { status = 500, body = "<html>oops</html>", content_type = "text/html" } },
    { kind = "api", code = "HTTP.500", message = "HTTP 500 with a text/html body" } },
  { "a 200 with an empty body", {}, { { empty = true } }, { kind = "api", code = "COC.BAD_RESPONSE" } },
  { "validation error", { body = { history_info = { action = "done" } } }, nil, { kind = "validation" }, 0 },
  { "network error: nothing listens", { opts = { endpoint = "http://127.0.0.1:9" } }, nil,
    { kind = "network", code = "COC.CONNECT", attempts = 1 }, 0 },
  { "network error: the connection is dropped", {}, { { drop = true } },
    { kind = "network", code = "COC.CONNECTION", attempts = 1 } },
  { "network error: cut in the middle of the body, not retried", { opts = { max_retries = 2, retry_base = 0.001 } },
    { { reset_mid_body = true } }, { kind = "network", code = "COC.CONNECTION", attempts = 1 } },
  { "network error: the answer is too large", { opts = { max_response = 65536 } }, { { oversize_bytes = 300000 } },
    { kind = "network", code = "COC.RESPONSE_TOO_LARGE" } },
  { "timeout", { opts = { timeout = 0.3 } }, { { delay_ms = 3000 } }, { kind = "timeout", code = "COC.TIMEOUT" } },
  { "retries on 429, 502, 503 and 504", { opts = { max_retries = 10, retry_base = 0.001, retry_max = 0.01 } },
    { { status = 429, times = 2 }, { status = 502, times = 2 }, { status = 503, times = 2 }, { status = 504, times = 2 } },
    { outcome = "result", status = 200, attempts = 9 }, 9 },
  { "retries that run out", { opts = { max_retries = 2, retry_base = 0.001 } }, { { status = 503, times = -1 } },
    { kind = "api", status = 503, attempts = 3 }, 3 },
  { "a retry after a dropped connection", { opts = { max_retries = 1, retry_base = 0.001 } }, { { drop = true } },
    { outcome = "result", attempts = 2 }, 2 },
  { "a retry after Retry-After", { opts = { max_retries = 1, retry_base = 0.001 } },
    { { status = 429, retry_after = "1" } }, { outcome = "result", attempts = 2 }, 2 },
  { "TLS with the test CA trusted", { opts = { endpoint = "HTTPS", ca_file = "CA" } }, nil,
    { outcome = "result", status = 200 } },
  { "TLS error: unknown CA", { opts = { endpoint = "UNKNOWN_CA", ca_file = "CA" } }, nil,
    { kind = "tls", code = "COC.TLS" }, 0 },
  { "TLS error: self-signed", { opts = { endpoint = "SELF_SIGNED", ca_file = "CA" } }, nil,
    { kind = "tls", code = "COC.TLS" }, 0 },
  { "TLS error: expired", { opts = { endpoint = "EXPIRED", ca_file = "CA" } }, nil, { kind = "tls", code = "COC.TLS" }, 0 },
  { "TLS error: a certificate for another host", { opts = { endpoint = "WRONG_HOST", ca_file = "CA" } }, nil,
    { kind = "tls", code = "COC.TLS" }, 0 },
  { "request(): a 404", { method = "GET", path = "/v1/nothing-here" }, nil,
    { kind = "api", status = 404, code = "APIGW.0101" } },
  { "request(): a generic success", { method = "PUT", path = "/v2/changes/CHG-OR", body = '{"ticket_info":{}}' }, nil,
    { outcome = "result", status = 200 } },
}

-- Placeholders of the scenarios, filled in once the emulator is known.
local function fill(opts)
  local urls = { HTTPS = emu.https_url, UNKNOWN_CA = emu.unknown_ca_url, SELF_SIGNED = emu.self_signed_url,
    EXPIRED = emu.expired_url, WRONG_HOST = emu.wrong_host_url }
  local values = { TOKEN = emu.token, TMP_AK = emu.tmp_ak, TMP_SK = emu.tmp_sk,
    SECURITY_TOKEN = emu.security_token, CA = emu.ca }
  local out = {}
  for k, v in pairs(opts or {}) do
    out[k] = urls[v] and named(urls[v]) or values[v] or v
  end
  return base_opts(out)
end

describe("the nginx transport gives the libcurl transport's outcome:", function()
  for i, sc in ipairs(SCENARIOS) do
    local name, call, faults, expect, requests = sc[1], sc[2], sc[3], sc[4], sc[5]
    it(name, function()
      local spec = { opts = fill(call.opts), change_id = "CHG-OR-" .. i, body = call.body or CLOSE,
        method = call.method, path = call.path, drain = true } -- drain: a new connection, as a new libcurl client
      if call.path then spec.body = call.body end
      local got, seen = {}, {}
      for _, side in ipairs({ "libcurl", "nginx" }) do
        emu.reset()
        for _, f in ipairs(faults or {}) do
          f.match = spec.change_id
          emu.fault(f)
        end
        got[side] = side == "libcurl" and here(spec) or in_nginx(spec)
        seen[side] = emu.stats().requests
      end
      assert.are.equal("ngx", got.nginx.via)
      assert.are.equal("content", got.nginx.phase)
      local endpoint = spec.opts.endpoint
      local want = shape(got.libcurl, endpoint)
      assert.are.same(want, shape(got.nginx, endpoint))
      for k, v in pairs(expect) do assert.are.equal(v, want[k], k) end
      assert.are.equal(seen.libcurl, seen.nginx, "requests the emulator saw")
      if requests then assert.are.equal(requests, seen.nginx) end
      check_no_secrets(got.nginx)
    end)
  end
end)

-- ---- the README's handler ---------------------------------------------------

describe("the README's nginx.conf", function()
  it("is examples/openresty/nginx.conf, verbatim", function()
    local readme, example = assert(nginx.read("README.md")), assert(nginx.read("examples/openresty/nginx.conf"))
    assert.is_truthy(readme:find("```nginx\n" .. example .. "```\n", 1, true))
  end)

  it("updates a change with the client it configures from the environment", function()
    local status, body = nginx.request(port, "PUT", "/changes/CHG-README", cjson.encode(CLOSE))
    assert.are.equal(200, status, body)
    local res = cjson.decode(body)
    assert.are.equal("GOM.00000000", res.error_code)
    assert.are.equal(1, res.attempts)
    assert.are.equal("phase_change_end", emu.change("CHG-README").phase)
    assert.are.equal("https", emu.requests("CHG-README")[1].scheme)
  end)

  it("answers a validation error with 400 and sends nothing", function()
    local status, body = nginx.request(port, "PUT", "/changes/CHG-README-2",
      cjson.encode({ history_info = { action = "done" } }))
    assert.are.equal(400, status)
    local err = cjson.decode(body)
    assert.are.equal("validation", err.kind)
    assert.matches("history_info.action: \"done\" is not one of", err.message, 1, true)
    assert.are.equal(0, emu.stats().requests)
  end)

  it("keeps one connection alive over several calls in the worker", function()
    for i = 1, 5 do
      assert.are.equal(200, (nginx.request(port, "PUT", "/changes/CHG-KEEP", cjson.encode(CLOSE))), i)
    end
    local stats = emu.stats()
    assert.are.equal(5, stats.requests)
    assert.are.equal(1, stats.connections)
  end)
end)

-- ---- batches -------------------------------------------------------------------

describe("client:update_changes inside nginx", function()
  local function batch_spec(prefix)
    local list = {}
    for i = 1, 6 do list[i] = { prefix .. i, CLOSE } end
    return { opts = fill({}), batch = list, batch_opts = { concurrency = 3 } }
  end

  -- outcomes and summary without request ids, which differ per answer
  local function batch_shape(outcome)
    local v = outcome.res
    local out = { summary = v.summary, outcomes = {} }
    for i, o in ipairs(v.outcomes) do
      local r = o.ok and o.result or o.err
      out.outcomes[i] = { o.ok, r.kind, r.code, r.status, r.error_code, r.attempts }
    end
    return out
  end

  it("runs over cosockets with the libcurl batch's outcomes, over at most `concurrency` connections", function()
    local got = {}
    for _, side in ipairs({ "libcurl", "nginx" }) do
      local spec = batch_spec("CHG-BATCH-" .. side .. "-")
      emu.reset()
      emu.fault({ match = spec.batch[2][1], status = 400,
        body = '{"error_code":"GOM.00007256","error_msg":"Parameter error","provider_code":"049"}' })
      emu.fault({ match = spec.batch[5][1], status = 503 })
      if side == "libcurl" then
        local client = assert(coc.new(copy(spec.opts)))
        local outcomes, summary = client:update_changes(spec.batch, spec.batch_opts)
        client:close()
        got[side] = cjson.decode(cjson.encode({ res = { outcomes = outcomes, summary = summary } }))
      else
        got[side] = in_nginx(spec)
        assert.are.equal("ngx", got[side].via)
        assert.is_true(emu.stats().connections <= 3, "more connections than the concurrency")
      end
      assert.are.equal(6, emu.stats().requests)
    end
    assert.are.same(batch_shape(got.libcurl), batch_shape(got.nginx))
    assert.are.same({ succeeded = 4, failed = 2 }, got.nginx.res.summary)
    for i = 1, 6 do
      if i ~= 2 and i ~= 5 then assert.are.equal("phase_change_end", emu.change("CHG-BATCH-nginx-" .. i).phase) end
    end
  end)

  it("validates every item before sending any, as the libcurl batch does", function()
    local spec = batch_spec("CHG-BATCH-BAD-")
    spec.batch[3] = { "", CLOSE }
    local got = in_nginx(spec)
    assert.are.equal("validation", got.err.kind)
    assert.are.same({ { path = "list[3].change_id", rule = "length", message = "0 characters, at least 1 required" } },
      got.err.errors)
    assert.are.equal(0, emu.stats().requests)
  end)
end)

-- ---- keep-alive and TLS -------------------------------------------------------

describe("connections", function()
  it("are shared by the clients of a worker with the same settings, and only by them", function()
    local spec = { opts = fill({ endpoint = "HTTPS" }), body = CLOSE }
    for i = 1, 4 do
      spec.change_id = "CHG-POOL-" .. i
      assert.are.equal(200, in_nginx(spec).res.status)
    end
    assert.are.equal(1, emu.stats().connections)
    spec.opts.ssl_verify = false -- another pool: never a connection verified otherwise
    local got = in_nginx(spec)
    assert.are.equal(200, got.res.status)
    assert.are.same({ "warn: TLS certificate verification is off for " .. spec.opts.endpoint }, got.warnings)
    assert.are.equal(2, emu.stats().connections)
    assert.are.equal(5, emu.stats().requests)
  end)

  it("to an IP address fail verification: nginx checks certificate names as DNS names only", function()
    local got = in_nginx({ opts = base_opts({ endpoint = emu.https_url }), change_id = "CHG-IP", body = CLOSE })
    assert.are.equal("tls", got.err.kind)
    assert.are.equal("COC.TLS", got.err.code)
    assert.are.equal(0, emu.stats().requests)
    got = in_nginx({ opts = base_opts({ endpoint = emu.https_url, ssl_verify = false }), change_id = "CHG-IP", body = CLOSE })
    assert.are.equal(200, got.res.status)
  end)
end)

-- ---- never blocking the worker --------------------------------------------------

-- Starts a slow call (the emulator delays its answer) and, once the emulator
-- has it, makes a fast one in the same worker (worker_processes 1).
local function slow_then_fast(slow_transport)
  emu.fault({ match = "CHG-SLOW", delay_ms = 2000 })
  local slow = nginx.send(test_port, "POST", "/call", cjson.encode({
    opts = base_opts({ transport = slow_transport }), change_id = "CHG-SLOW", body = CLOSE }))
  local t0 = h.clock()
  repeat -- wait until the emulator has the slow request
    local reqs = emu.requests("CHG-SLOW")
    assert(h.clock() - t0 < 10, "the slow request never reached the emulator")
  until #reqs == 1
  local status, body = nginx.request(test_port, "POST", "/call",
    cjson.encode({ opts = base_opts(), change_id = "CHG-FAST", body = CLOSE }))
  local fast_first = nginx.nothing_yet(slow)
  local slow_status, slow_body = nginx.receive(slow)
  assert.are.equal(200, status)
  assert.are.equal(200, cjson.decode(body).res.status, body)
  assert.are.equal(200, slow_status)
  assert.are.equal(200, cjson.decode(slow_body).res.status, slow_body)
  return fast_first, emu.requests("CHG-SLOW")[1], emu.requests("CHG-FAST")[1]
end

describe("a slow answer", function()
  it("does not stop the worker from serving another request meanwhile", function()
    local fast_first, slow, fast = slow_then_fast(nil)
    assert.is_true(fast_first, "the fast call's answer came after the slow one's")
    assert.is_true(fast.seq > slow.seq) -- the emulator's arrival order
    assert.is_true(fast.answered_at < slow.answered_at)
  end)

  it("does stop it with transport \"curl\" (libcurl blocks): what the nginx transport avoids", function()
    local fast_first, slow, fast = slow_then_fast("curl")
    assert.is_false(fast_first)
    assert.is_true(fast.at >= slow.answered_at, "the fast call reached the emulator before the slow one was answered")
  end)
end)

-- ---- phases -------------------------------------------------------------------

-- Runs a call in the log phase or a timer (/later) and waits for its outcome.
local function later(phase, key, spec)
  assert.are.equal(200, (nginx.request(test_port, "POST", ("/later?key=%s&phase=%s"):format(key, phase), cjson.encode(spec))))
  local t0 = h.clock()
  while true do
    local status, body = nginx.request(test_port, "GET", "/result?key=" .. key)
    if status == 200 then return cjson.decode(body) end
    assert(h.clock() - t0 < 10, "no outcome for " .. key)
    require("socket").sleep(0.05)
  end
end

describe("the transport", function()
  it("is the nginx one in a timer, where cosockets are allowed", function()
    local got = later("timer", "timer-1", { opts = base_opts(), change_id = "CHG-TIMER", body = CLOSE })
    assert.are.equal("timer", got.phase)
    assert.are.equal("ngx", got.via)
    assert.are.equal(200, got.res.status)
  end)

  it("falls back to libcurl where nginx allows no cosockets, warning once per worker", function()
    local got = later("log", "log-1", { opts = base_opts(), change_id = "CHG-LOG", body = CLOSE })
    assert.are.equal("log", got.phase)
    assert.are.equal("curl", got.via)
    assert.are.equal(200, got.res.status)
    assert.are.same({ "warn: nginx allows no cosockets in the log phase: lua-coc sends with libcurl, which blocks "
      .. "this worker; call from a timer (ngx.timer.at) instead" }, got.warnings)
    got = later("log", "log-2", { opts = base_opts(), change_id = "CHG-LOG", body = CLOSE })
    assert.are.equal(200, got.res.status)
    assert.are.same({}, got.warnings)
  end)

  it("\"ngx\" is refused where nginx allows no cosockets, and nothing is sent", function()
    local got = later("log", "log-3", { opts = base_opts({ transport = "ngx" }), change_id = "CHG-LOG-NGX", body = CLOSE })
    assert.are.equal("config", got.err.kind)
    assert.are.equal("COC.CONFIG", got.err.code)
    assert.are.equal('transport "ngx" needs cosockets, which nginx does not allow in the log phase: '
      .. "call from a timer (ngx.timer.at)", got.err.message)
    assert.are.equal(0, emu.stats().requests)
  end)

  it("option is checked by coc.new", function()
    local cases = {
      { { transport = "ngx" }, 'transport "ngx" works only inside nginx (lua-nginx-module)' },
      { { transport = "fast" }, 'transport must be "auto", "curl" or "ngx", got fast' },
    }
    for _, c in ipairs(cases) do
      local client, err = coc.new(base_opts(c[1]))
      assert.is_nil(client)
      assert.are.equal("config", err.kind)
      assert.are.equal(c[2], err.message)
    end
  end)

  it("is libcurl with a proxy (the nginx transport has none), with a warning; \"ngx\" refuses a proxy", function()
    local proxy = "http://127.0.0.1:" .. nginx.free_port() -- nothing listens: libcurl cannot connect to it
    local got = in_nginx({ opts = base_opts({ proxy = proxy }), change_id = "CHG-PROXY", body = CLOSE })
    assert.are.equal("curl", got.via)
    assert.are.equal("COC.CONNECT", got.err.code)
    assert.are.same({ "warn: a proxy is configured: lua-coc sends with libcurl, which blocks this nginx worker" },
      got.warnings)
    got = in_nginx({ opts = base_opts({ transport = "ngx", proxy = proxy }), change_id = "CHG-PROXY", body = CLOSE })
    assert.are.equal("config", got.err.kind)
    assert.are.equal('transport "ngx" does not support proxy: use transport "curl"', got.err.message)
    assert.are.equal(0, emu.stats().requests)
  end)
end)
