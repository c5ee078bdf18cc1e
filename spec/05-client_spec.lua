-- The client end to end against the local COC emulator: success, every
-- kind of error, retries counted on the server, keep-alive, TLS, timeouts,
-- custom transports and secrets.
local coc = require "coc"
local cjson = require "cjson"
local h = require "helpers"

local emu = h.emulator()

local CLOSE = {
  history_info = { action = "change_complete_success" },
  ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
}

-- Sends a prepared request with LuaSocket: what a custom transport does.
local function send_prepared(p)
  local http, ltn12 = require "socket.http", require "ltn12"
  local out, headers = {}, {}
  for k, v in pairs(p.headers) do headers[k:lower()] = v end
  headers["content-length"] = #p.body
  local _, status = http.request({ url = p.url, method = p.method, headers = headers,
    source = ltn12.source.string(p.body), sink = ltn12.sink.table(out) })
  return status, cjson.decode(table.concat(out))
end

before_each(function() emu.reset() end)
after_each(function() emu.settle() end)

describe("client:update_change", function()
  it("updates a ticket and returns the documented answer", function()
    local client = emu.client()
    local res = assert(client:update_change("CHG-100", CLOSE))
    assert.are.equal(200, res.status)
    assert.are.equal("GOM.00000000", res.error_code)
    assert.are.equal("049", res.provider_code)
    assert.is_nil(res.error_msg)
    assert.matches("^%x+$", res.request_id)
    assert.are.equal(1, res.attempts)
    local state = emu.change("CHG-100")
    assert.are.equal("phase_change_end", state.phase)
    assert.are.equal("COMPLETE", state.work_flow_status)
    assert.are.equal("change_complete_success", state.history[1].action)
  end)

  it("sends exactly the encoded body, signed, with the documented headers", function()
    emu.client():update_change("CHG-101", CLOSE)
    local req = emu.requests("CHG-101")[1]
    assert.are.equal("PUT", req.method)
    assert.are.equal("/v2/changes/CHG-101", req.uri)
    assert.are.equal(coc.encode("CHG-101", CLOSE), req.body)
    assert.are.equal("application/json;charset=UTF-8", req.headers["content-type"])
    assert.are.equal(emu.domain_id, req.headers["x-domain-id"])
    assert.matches("^%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ$", req.headers["x-sdk-date"])
    assert.matches("^SDK%-HMAC%-SHA256 Access=" .. emu.ak .. ", SignedHeaders=content%-type;host;x%-domain%-id;"
      .. "x%-sdk%-date, Signature=%x+$", req.headers.authorization)
    assert.matches("^lua%-coc/", req.headers["user-agent"])
  end)

  it("authenticates with an IAM token, and with temporary credentials", function()
    assert(emu.client({ auth_token = emu.token }):update_change("CHG-102", CLOSE))
    assert.are.equal(emu.token, emu.requests("CHG-102")[1].headers["x-auth-token"])
    assert(emu.client({ ak = emu.tmp_ak, sk = emu.tmp_sk, security_token = emu.security_token })
      :update_change("CHG-103", CLOSE))
  end)

  it("sends an odd change_id as one percent-encoded segment the server decodes back", function()
    assert(emu.client():update_change("a/b?c#d %2F", CLOSE))
    assert.are.equal("phase_change_end", emu.change("a%2Fb%3Fc%23d%20%252F").phase)
  end)
end)

describe("a request prepared without sending", function()
  it("is accepted when a custom transport sends it as is", function()
    local p = assert(emu.client():prepare_update_change("CHG-110", CLOSE))
    local status, body = send_prepared(p)
    assert.are.equal(200, status)
    assert.are.equal("GOM.00000000", body.error_code)
  end)

  it("is refused once tampered with", function()
    local p = assert(emu.client():prepare_update_change("CHG-111", CLOSE))
    p.body = p.body:gsub("COMPLETE", "CANCELED")
    local status, body = send_prepared(p)
    assert.are.equal(401, status)
    assert.are.equal("APIGW.0301", body.error_code)
    assert.is_nil(emu.change("CHG-111"))
  end)

  it("is refused when its date is stale", function()
    local p = assert(emu.client():prepare_update_change("CHG-112", CLOSE, { now = os.time() - 3600 }))
    assert.are.equal(401, (send_prepared(p)))
  end)
end)

describe("errors", function()
  it("of kind validation send nothing", function()
    local res, err = emu.client():update_change("CHG-120", { history_info = { action = "done" } })
    assert.is_nil(res)
    assert.are.equal("validation", err.kind)
    assert.are.equal(0, emu.stats().requests)
  end)

  it("of kind auth carry the status, code, message and request id", function()
    local res, err = emu.client({ sk = "not-the-secret" }):update_change("CHG-121", CLOSE)
    assert.is_nil(res)
    assert.are.equal("auth", err.kind)
    assert.are.equal(401, err.status)
    assert.are.equal("APIGW.0301", err.code)
    assert.matches("verify aksk signature fail", err.message)
    assert.matches("^%x+$", err.request_id)
    assert.matches("^lua%-coc: auth error %(HTTP 401%) APIGW%.0301: ", tostring(err))
  end)

  it("of kind api carry the service's code and message", function()
    emu.fault({ match = "CHG-122", status = 400,
      body = '{"error_code":"GOM.00007256","error_msg":"Parameter error","provider_code":"049","data":null}' })
    local _, err = emu.client():update_change("CHG-122", CLOSE)
    assert.are.equal("api", err.kind)
    assert.are.equal(400, err.status)
    assert.are.equal("GOM.00007256", err.code)
    assert.are.equal("Parameter error", err.message)
    assert.are.equal("049", err.provider_code)
  end)

  it("of kind api use the HTTP status as the code when the body has none", function()
    emu.fault({ match = "CHG-123", status = 500, body = "<html>oops</html>", content_type = "text/html" })
    local _, err = emu.client():update_change("CHG-123", CLOSE)
    assert.are.equal("api", err.kind)
    assert.are.equal("HTTP.500", err.code)
    assert.are.equal("HTTP 500 with a text/html body", err.message)
  end)

  it("of kind api when a 200 has no success code or is not JSON", function()
    emu.fault({ match = "CHG-124", status = 200, body = '{"error_code":"GOM.00000001","error_msg":"busy"}' })
    local _, err = emu.client():update_change("CHG-124", CLOSE)
    assert.are.equal("api", err.kind)
    assert.are.equal("GOM.00000001", err.code)
    emu.fault({ match = "CHG-124", empty = true })
    _, err = emu.client():update_change("CHG-124", CLOSE)
    assert.are.equal("COC.BAD_RESPONSE", err.code)
  end)

  it("of kind network when nothing listens or the connection drops", function()
    local client = assert(coc.new({ endpoint = "http://127.0.0.1:9", auth_token = "t", domain_id = "d" }))
    local _, err = client:update_change("CHG-125", CLOSE)
    assert.are.equal("network", err.kind)
    assert.are.equal("COC.CONNECT", err.code)
    emu.fault({ match = "CHG-125", drop = true })
    _, err = emu.client():update_change("CHG-125", CLOSE)
    assert.are.equal("network", err.kind)
    assert.are.equal("COC.CONNECTION", err.code)
  end)

  it("of kind network when the response is larger than allowed", function()
    emu.fault({ match = "CHG-126", oversize_bytes = 300000 })
    local _, err = emu.client({ max_response = 65536 }):update_change("CHG-126", CLOSE)
    assert.are.equal("network", err.kind)
    assert.are.equal("COC.RESPONSE_TOO_LARGE", err.code)
  end)

  it("of kind timeout fire within their bound", function()
    emu.fault({ match = "CHG-127", delay_ms = 3000 })
    local t0 = h.clock()
    local _, err = emu.client({ timeout = 0.3 }):update_change("CHG-127", CLOSE)
    assert.are.equal("timeout", err.kind)
    assert.are.equal("COC.TIMEOUT", err.code)
    assert.is_true(h.clock() - t0 < 2.5, "the timeout did not fire in time")
  end)

  it("of kind config for bad options, before anything is sent", function()
    local cases = {
      { { endpoint = emu.url, domain_id = "d" }, "no credentials: give ak and sk, or auth_token" },
      { { endpoint = emu.url, ak = "a", domain_id = "d" }, "ak and sk go together: give both or neither" },
      { { endpoint = "ftp://x", auth_token = "t", domain_id = "d" }, "endpoint must start with https:// or http://" },
      { { endpoint = emu.url, auth_token = "t", domain_id = "d", timeout = 0 }, "timeout (ms) must be in 1..3600000, got 0" },
      { { endpoint = emu.url, auth_token = "t", domain_id = "d\r\nX-Evil: 1" }, "domain_id must not contain CR or LF" },
      { { endpoint = emu.url, auth_token = "t" },
        "no domain_id: COC is a global service and needs the account id (option domain_id or HUAWEICLOUD_SDK_DOMAIN_ID)" },
      { { region = "mars-1", auth_token = "t", domain_id = "d" },
        'unknown region "mars-1": use one of ap-southeast-3, cn-north-4, eu-west-101, or give endpoint' },
    }
    for _, c in ipairs(cases) do
      local client, err = coc.new(c[1])
      assert.is_nil(client)
      assert.are.equal("config", err.kind)
      assert.are.equal(c[2], err.message)
    end
  end)
end)

describe("TLS", function()
  it("succeeds with the test CA given", function()
    assert(emu.client({ endpoint = emu.https_url, ca_file = emu.ca }):update_change("CHG-130", CLOSE))
  end)

  it("fails with kind tls for an unknown CA, a self-signed, expired or wrong-host certificate", function()
    for _, url in ipairs({ emu.https_url, emu.unknown_ca_url, emu.self_signed_url, emu.expired_url, emu.wrong_host_url }) do
      local ca = url ~= emu.https_url and emu.ca or nil
      local _, err = emu.client({ endpoint = url, ca_file = ca }):update_change("CHG-131", CLOSE)
      assert.are.equal("tls", err.kind, url)
      assert.are.equal("COC.TLS", err.code)
    end
    assert.are.equal(0, emu.stats().requests)
  end)

  it("can be turned off only explicitly, with a warning", function()
    local warnings = {}
    local client = emu.client({ endpoint = emu.self_signed_url, ssl_verify = false,
      log = function(level, msg) warnings[#warnings + 1] = level .. ": " .. msg end })
    assert(client:update_change("CHG-132", CLOSE))
    assert.are.same({ "warn: TLS certificate verification is off for " .. emu.self_signed_url }, warnings)
  end)
end)

describe("retries", function()
  it("are off by default", function()
    emu.fault({ match = "CHG-140", status = 503 })
    local _, err = emu.client():update_change("CHG-140", CLOSE)
    assert.are.equal("api", err.kind)
    assert.are.equal(503, err.status)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, emu.stats().by_change["CHG-140"])
  end)

  it("retry 429, 502, 503 and 504, counted on the server", function()
    for _, status in ipairs({ 429, 502, 503, 504 }) do
      emu.fault({ match = "CHG-141", status = status, times = 2 })
    end
    -- 8 faults queued, consumed in order; max_retries 10 lets the 9th attempt succeed
    local res = assert(emu.client({ max_retries = 10, retry_base = 0.001, retry_max = 0.01 })
      :update_change("CHG-141", CLOSE))
    assert.are.equal(9, res.attempts)
    assert.are.equal(9, emu.stats().by_change["CHG-141"])
  end)

  it("never exceed the configured limit", function()
    emu.fault({ match = "CHG-142", status = 503, times = -1 })
    local _, err = emu.client({ max_retries = 2, retry_base = 0.001 }):update_change("CHG-142", CLOSE)
    assert.are.equal(503, err.status)
    assert.are.equal(3, err.attempts)
    assert.are.equal(3, emu.stats().by_change["CHG-142"])
  end)

  it("honour Retry-After", function()
    emu.fault({ match = "CHG-143", status = 429, retry_after = "1" })
    local t0 = h.clock()
    local res = assert(emu.client({ max_retries = 1, retry_base = 0.001 }):update_change("CHG-143", CLOSE))
    assert.are.equal(2, res.attempts)
    assert.is_true(h.clock() - t0 >= 0.9, "Retry-After was not honoured")
  end)

  it("stop at the deadline rather than wait past it", function()
    emu.fault({ match = "CHG-144", status = 503, retry_after = "30", times = -1 })
    local t0 = h.clock()
    local _, err = emu.client({ max_retries = 5, deadline = 1 }):update_change("CHG-144", CLOSE)
    assert.are.equal(503, err.status)
    assert.are.equal(1, emu.stats().by_change["CHG-144"])
    assert.is_true(h.clock() - t0 < 2, "waited past the deadline")
  end)

  it("retry a dropped connection, signing each attempt afresh", function()
    emu.fault({ match = "CHG-145", drop = true })
    local res = assert(emu.client({ max_retries = 1, retry_base = 0.001 }):update_change("CHG-145", CLOSE))
    assert.are.equal(2, res.attempts)
    local reqs = emu.requests("CHG-145")
    assert.are.equal(2, #reqs)
    assert.are.equal(444, reqs[1].status)
    assert.are.equal(200, reqs[2].status)
  end)
end)

describe("keep-alive", function()
  it("sends several calls over one connection", function()
    local client = emu.client()
    for i = 1, 5 do assert(client:update_change("CHG-150", { history_info = { action = "change_start_change_success" } }), i) end
    local stats = emu.stats()
    assert.are.equal(5, stats.requests)
    assert.are.equal(1, stats.connections)
    local reqs = emu.requests("CHG-150")
    assert.are.equal(5, reqs[5].connection_requests)
  end)

  it("sends each call to its own change, still over one connection", function()
    -- the parsed URL the transfers share is replaced when the path changes
    local client = emu.client()
    for _, id in ipairs({ "CHG-152", "CHG-153", "CHG-152", "CHG-154" }) do
      assert(client:update_change(id, CLOSE), id)
    end
    assert.are.equal(2, #emu.requests("CHG-152"))
    assert.are.equal(1, #emu.requests("CHG-153"))
    assert.are.equal(1, #emu.requests("CHG-154"))
    assert.are.equal(1, emu.stats().connections)
    assert.are.equal("phase_change_end", emu.change("CHG-154").phase)
  end)

  it("opens a new connection after close", function()
    local client = emu.client()
    assert(client:update_change("CHG-151", CLOSE))
    client:close()
    client:close() -- idempotent
    assert.has_error(function() client:update_change("CHG-151", CLOSE) end)
    assert(emu.client():update_change("CHG-151", CLOSE))
    assert.are.equal(2, emu.stats().connections)
  end)
end)

describe("proxies from the environment", function()
  local sub = require "subprocess"
  local PROXY_VARS = { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
    "no_proxy", "NO_PROXY" }
  -- A client made in a fresh process whose environment has no proxy
  -- variable but the given ones. The rest of the environment is inherited
  -- (not env -i), so that a sanitizer runtime preloaded into this suite is
  -- preloaded there too.
  local function update_in_process(vars)
    local script = os.tmpname()
    sub.write(script, [[
      local coc = require "coc"
      local c = assert(coc.new({ endpoint = arg[1], ak = arg[2], sk = arg[3], domain_id = arg[4] }))
      local res, err = c:update_change("CHG-160", { history_info = { action = "change_start_change_success" } })
      io.write(res and res.error_code or (err.code .. " " .. err.message))]])
    local cmd = { "env" }
    for _, name in ipairs(PROXY_VARS) do cmd[#cmd + 1] = "-u " .. name end
    vars.LUA_PATH, vars.LUA_CPATH = package.path, package.cpath
    for k, v in pairs(vars) do cmd[#cmd + 1] = k .. "=" .. sub.quote(v) end
    for _, word in ipairs({ sub.interpreter(), script, emu.url, emu.ak, emu.sk, emu.domain_id }) do
      cmd[#cmd + 1] = sub.quote(word)
    end
    local p = assert(io.popen(table.concat(cmd, " ") .. " 2>&1"))
    local out = p:read("*a")
    p:close()
    os.remove(script)
    return out
  end

  it("are used as libcurl uses them, read when the client is made", function()
    local dead = "http://127.0.0.1:1" -- nothing listens there
    assert.are.equal("GOM.00000000", update_in_process({}))
    assert.matches("^COC.CONNECT .*port 1 after", update_in_process({ http_proxy = dead }))
    assert.matches("^COC.CONNECT .*port 1 after", update_in_process({ all_proxy = dead }))
    assert.are.equal("GOM.00000000", update_in_process({ http_proxy = dead, no_proxy = "127.0.0.1" }))
    assert.are.equal(2, #emu.requests("CHG-160"))
  end)
end)

describe("client:request", function()
  it("signs and sends any other call, classifying its answer", function()
    local res, err = emu.client():request("GET", "/v1/nothing-here")
    assert.is_nil(res)
    assert.are.equal("api", err.kind)
    assert.are.equal(404, err.status)
    assert.are.equal("APIGW.0101", err.code)
    res = assert(emu.client():request("PUT", "/v2/changes/CHG-160", { ticket_info = { phase = "phase_change_close" } }))
    assert.are.equal(200, res.status)
    assert.are.equal("GOM.00000000", res.data.error_code)
    assert.are.equal("phase_change_close", emu.change("CHG-160").phase)
  end)
end)

describe("secrets", function()
  it("appear in no error, tostring or result", function()
    local secrets = { emu.sk, emu.tmp_sk, emu.security_token, emu.token }
    local results = {}
    local function collect(...) results[#results + 1] = { ... } end
    local tmp = emu.client({ ak = emu.tmp_ak, sk = emu.tmp_sk, security_token = emu.security_token })
    local bad_tmp = emu.client({ ak = emu.tmp_ak, sk = "wrong-" .. emu.tmp_sk, security_token = emu.security_token })
    local tok = emu.client({ auth_token = emu.token })
    collect(tmp:update_change("CHG-170", CLOSE))
    collect(bad_tmp:update_change("CHG-170", CLOSE)) -- the gateway echoes its canonical request
    collect(tok:update_change("", CLOSE))
    emu.fault({ match = "*", status = 503, times = 1 })
    collect(tok:update_change("CHG-170", CLOSE))
    collect(emu.client({ endpoint = emu.unknown_ca_url, auth_token = emu.token }):update_change("CHG-170", CLOSE))
    collect(coc.new({ endpoint = emu.url, auth_token = emu.token .. "\n", domain_id = "d" }))
    collect(coc.new({ endpoint = "bogus", ak = "a", sk = emu.sk, domain_id = "d" }))
    collect(tostring(tmp), tostring(tok))
    assert.matches("canonicalRequest", tostring(results[2][2]))
    assert.matches("x%-security%-token:%*%*%*", tostring(results[2][2]))
    for _, r in ipairs(results) do
      for _, v in ipairs(r) do
        local texts = h.strings(v)
        if type(v) == "table" then texts[#texts + 1] = tostring(v) end
        for _, s in ipairs(texts) do
          for _, secret in ipairs(secrets) do
            assert.is_nil(s:find(secret, 1, true), "a secret leaked into: " .. s)
          end
        end
      end
    end
  end)
end)
