-- Hostile input at the edges: header injection, path traversal through
-- change_id, secrets in any text the module writes, TLS verification.
local coc = require "coc"
local cjson = require "cjson"
local h = require "helpers"

local emu = h.emulator()

local CLOSE = { history_info = { action = "change_complete_success" } }
local unpack = table.unpack or unpack -- luacheck: ignore

before_each(function() emu.reset() end)

after_each(function() emu.settle() end)

-- Percent-encodes all but the unreserved characters, independently of the
-- module (RFC 3986), with the two dot segments encoded too.
local function segment(s)
  if s == "." or s == ".." then return (s:gsub("%.", "%%2E")) end
  return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

describe("CR or LF in anything that becomes a header", function()
  local base = { endpoint = "http://127.0.0.1:9", domain_id = "d", auth_token = "t" }
  local cases = {
    { "domain_id", {} }, { "project_id", {} }, { "auth_token", {} }, { "user_agent", {} },
    { "security_token", { ak = "a", sk = "s", auth_token = false } },
    { "ak", { ak = "a", sk = "s", auth_token = false } },
  }
  for _, c in ipairs(cases) do
    for _, bad in ipairs({ "x\r\nX-Evil: 1", "x\nX-Evil: 1", "x\r", "\n" }) do
      it(("is refused with kind config: %s = %q"):format(c[1], bad), function()
        local opts = {}
        for k, v in pairs(base) do opts[k] = v end
        for k, v in pairs(c[2]) do opts[k] = v or nil end
        opts[c[1]] = bad
        local client, err = coc.new(opts)
        assert.is_nil(client)
        assert.are.equal("config", err.kind)
        assert.are.equal("COC.CONFIG", err.code)
        assert.are.equal(c[1] .. " must not contain CR or LF", err.message)
      end)
    end
  end

  it("in the method, path or query of client:request is refused, and nothing is sent", function()
    local client = emu.client()
    for _, args in ipairs({
      { "GET\r\nX-Evil: 1", "/v1/x" }, { "GET\n", "/v1/x" }, { "GET X", "/v1/x" },
      { "GET", "/v1/x\r\nX-Evil: 1" }, { "GET", "/v1/x\n" },
      { "GET", "/v1/x", nil, { query = "a=1\r\nX-Evil: 1" } },
    }) do
      local res, err = client:request(unpack(args, 1, 4))
      assert.is_nil(res)
      assert.are.equal("config", err.kind)
      assert.are.equal("COC.CONFIG", err.code)
      assert.are.equal("bad method, path or query", err.message)
    end
    assert.are.equal(0, emu.stats().requests)
  end)
end)

describe("change_id", function()
  local ids = { "../x", "a/b", "a?b", "a#b", "%2F", "..", ".", "a/../b", "./", "é/ü", "a b", "a+b",
    "a;b=c", "\u{1F600}", "~.-_", "%", "%%2e%2E" }
  for _, id in ipairs(ids) do
    it(("%q always travels as one percent-encoded path segment"):format(id), function()
      local client = emu.client()
      local p = assert(client:prepare_update_change(id, CLOSE))
      assert.are.equal(emu.url .. "/v2/changes/" .. segment(id), p.url)
      assert(client:update_change(id, CLOSE))
      local reqs = emu.requests()
      assert.are.equal(1, #reqs)
      assert.are.equal("/v2/changes/" .. segment(id), reqs[1].uri)
      assert.are.equal(id, reqs[1].change_id) -- the server decodes exactly the id given
      assert.are.equal(200, reqs[1].status)   -- and the signature, over the canonical path, holds
    end)
  end

  it("of . or .. in client:request paths is a segment, never a step up", function()
    local client = emu.client()
    local res = assert(client:request("PUT", "/v2/changes/..", { history_info = CLOSE.history_info }))
    assert.are.equal(200, res.status)
    assert.are.equal("/v2/changes/%2E%2E", emu.requests()[1].uri)
    assert.are.equal("..", emu.requests()[1].change_id)
  end)
end)

describe("secrets", function()
  -- Every text the module hands out, across every kind of error, must be
  -- free of the SK, the security token and the IAM token.
  it("appear in no error of any kind, log line, tostring or prepared request's SK", function()
    local secrets = { emu.sk, emu.tmp_sk, emu.security_token, emu.token }
    local texts, kinds, logs, owned = {}, {}, {}, setmetatable({}, { __mode = "k" })
    local function log(level, msg) logs[#logs + 1] = level .. " " .. msg end
    local function scan(...)
      for i = 1, select("#", ...) do
        local v = select(i, ...)
        for _, s in ipairs(h.strings(v)) do texts[#texts + 1] = s end
        if v ~= nil then texts[#texts + 1] = tostring(v) end
        if coc.is_error(v) then kinds[v.kind] = true end
      end
    end
    local function clients(overrides)
      local list = {}
      for _, creds in ipairs({
        { ak = emu.tmp_ak, sk = emu.tmp_sk, security_token = emu.security_token },
        { auth_token = emu.token }, { ak = emu.ak, sk = emu.sk },
      }) do
        local o = { log = log }
        for k, v in pairs(creds) do o[k] = v end
        for k, v in pairs(overrides or {}) do o[k] = v end
        local c = emu.client(o)
        owned[c] = { creds.sk or creds.auth_token, creds.security_token } -- what a gateway may echo
        list[#list + 1] = c
      end
      return list
    end
    for _, c in ipairs(clients()) do
      scan(tostring(c), c)
      scan(c:update_change("S-1", { history_info = { action = "done" } }))           -- validation
      scan(c:update_change("S-1", CLOSE))                                             -- success
      -- a gateway that echoes the client's own secrets back
      local own = table.concat(owned[c], " ")
      emu.fault({ status = 503, body = '{"error_code":"X","error_msg":"echo ' .. own .. '"}' })
      scan(c:update_change("S-1", CLOSE))                                             -- api, echoing secrets
      emu.fault({ status = 403, body = '{"error_code":"APIGW.0305","error_msg":"echo ' .. own .. '"}' })
      scan(c:update_change("S-1", CLOSE))                                             -- auth
      emu.fault({ drop = true })
      scan(c:update_change("S-1", CLOSE))                                             -- network
      emu.fault({ oversize_bytes = 2 * 1024 * 1024 })
      scan(c:update_change("S-1", CLOSE))                                             -- network, too large
      scan(c:request("GET", "/v1/none"))                                              -- api 404
      scan(c:request("GET\n", "/v1/none"))                                            -- config
      local p = assert(c:prepare_update_change("S-1", CLOSE, { now = 1742888808 }))
      for _, s in ipairs(h.strings(p)) do assert.is_nil(s:find(emu.sk, 1, true)) end -- an SK is never sent
      assert.is_nil(tostring(p):find(emu.sk, 1, true))
      c:close()
    end
    -- signed with the wrong secret: the gateway echoes its canonical request
    scan(emu.client({ ak = emu.tmp_ak, sk = "wrong", security_token = emu.security_token }):update_change("S-1", CLOSE))
    for _, c in ipairs(clients({ timeout = 0.3 })) do
      emu.fault({ delay_ms = 800 })
      scan(c:update_change("S-2", CLOSE))                                             -- timeout
    end
    for _, c in ipairs(clients({ endpoint = emu.self_signed_url })) do
      scan(c:update_change("S-3", CLOSE))                                             -- tls
    end
    for _, c in ipairs(clients({ endpoint = emu.self_signed_url, ssl_verify = false })) do
      scan(c:update_change("S-3", CLOSE))                                             -- verification off: logs
    end
    scan(coc.new({ endpoint = emu.url, domain_id = "d", ak = "a", sk = emu.sk, auth_token = emu.token }))
    scan(coc.new({ endpoint = "ftp://x", domain_id = "d", ak = "a", sk = emu.sk, security_token = emu.security_token }))
    scan(coc.new({ endpoint = emu.url, domain_id = "d", auth_token = emu.token .. "\n" }))
    scan(coc.new({ endpoint = emu.url, domain_id = "d", ak = "a", sk = emu.sk, timeout = -1 }))
    scan(unpack(logs))
    assert.are.same({ validation = true, api = true, auth = true, network = true, timeout = true, tls = true,
      config = true }, kinds)
    assert.is_true(#logs >= 3, "the TLS warnings were logged")
    assert.is_true(#texts > 100)
    for _, s in ipairs(texts) do
      for _, secret in ipairs(secrets) do
        assert.is_nil(s:find(secret, 1, true), "a secret leaked into: " .. s)
      end
    end
    -- the echoed secrets were there to be redacted
    local echoed = false
    for _, s in ipairs(texts) do echoed = echoed or s:find("***", 1, true) ~= nil end
    assert.is_true(echoed, "no redaction marker: the echo case did not run")
  end)
end)

describe("TLS verification", function()
  it("is on by default: a self-signed certificate fails with kind tls, and nothing is logged", function()
    local logs = {}
    local client = emu.client({ endpoint = emu.self_signed_url, log = function(...) logs[#logs + 1] = { ... } end })
    local _, err = client:update_change("T-1", CLOSE)
    assert.are.equal("tls", err.kind)
    assert.are.same({}, logs)
  end)

  it("is off only with ssl_verify = false exactly (other values are refused), which logs one warning", function()
    for _, v in ipairs({ 0, "false", "no", cjson.null, true }) do
      local logs = {}
      local ok, client = pcall(coc.new, { endpoint = emu.self_signed_url, ak = emu.ak, sk = emu.sk,
        domain_id = emu.domain_id, ssl_verify = v, log = function(level, msg) logs[#logs + 1] = level .. ": " .. msg end })
      assert.is_true(v == true or not ok or client == nil, "a non-boolean ssl_verify was accepted: " .. tostring(v))
      if ok and client then -- only true is accepted: verification stays on
        local _, err = client:update_change("T-2", CLOSE)
        assert.are.equal("tls", err and err.kind, tostring(v))
        assert.are.same({}, logs)
      end
    end
    local logs = {}
    local client = emu.client({ endpoint = emu.self_signed_url, ssl_verify = false,
      log = function(level, msg) logs[#logs + 1] = level .. ": " .. msg end })
    assert(client:update_change("T-3", CLOSE))
    assert.are.same({ "warn: TLS certificate verification is off for " .. emu.self_signed_url }, logs)
  end)
end)
