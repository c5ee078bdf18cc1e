-- SDK-HMAC-SHA256 signing: the known answers of facts.md, and requests
-- prepared by a client, checked against an independent HMAC by openssl(1).
local coc = require "coc"
local core = require "coc.core"

local function run_openssl(args, text)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(text)
  f:close()
  local p = assert(io.popen("openssl dgst -sha256 -r " .. args .. " " .. name))
  local out = p:read("*a")
  p:close()
  os.remove(name)
  return out:match("^(%x+)")
end

local function openssl_hmac_hex(key, text)
  return run_openssl("-mac HMAC -macopt key:" .. key, text)
end

local function sha256_hex(text)
  return run_openssl("", text)
end

local EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

describe("the signer", function()
  it("reproduces the GET known answer of the Go SDK", function()
    local sig, canonical, names = core.sign("GET", "/path", "limit=1", { ["X-Sdk-Date"] = "20060102T150405Z" }, "",
      "20060102T150405Z", "SecretKey")
    assert.are.equal("GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n" .. EMPTY, canonical)
    assert.are.equal("x-sdk-date", names)
    assert.are.equal("5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624", sig)
  end)

  it("reproduces the POST known answer of the Go SDK", function()
    local sig = core.sign("POST", "/path", "key=value", { ["X-Sdk-Date"] = "20060102T150405Z" },
      '{"Name":"test","Id":1}\n', "20060102T150405Z", "SecretKey")
    assert.are.equal("cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59", sig)
  end)

  it("sorts headers by lowercase name and trims their values", function()
    local _, canonical, names = core.sign("PUT", "/a", "", { ["X-Sdk-Date"] = "D", Host = "  h.example ",
      ["content-type"] = "application/json" }, "", "20060102T150405Z", "k")
    assert.are.equal("PUT\n/a/\n\ncontent-type:application/json\nhost:h.example\nx-sdk-date:D\n\n"
      .. "content-type;host;x-sdk-date\n" .. EMPTY, canonical)
    assert.are.equal("content-type;host;x-sdk-date", names)
  end)
end)

describe("client:prepare_update_change", function()
  local NOW = 1136214245 -- 2006-01-02T15:04:05Z
  local client = assert(coc.new({
    endpoint = "https://example.huaweicloud.com", ak = "AccessKey", sk = "SecretKey",
    domain_id = "domain-1", project_id = "project-1",
  }))
  local body = { history_info = { action = "change_complete_success" },
    ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" } }

  it("returns the exact method, URL, headers and body, signed at the given time", function()
    local p = assert(client:prepare_update_change("CHG-1", body, { now = NOW }))
    assert.are.equal("PUT", p.method)
    assert.are.equal("https://example.huaweicloud.com/v2/changes/CHG-1", p.url)
    assert.are.equal('{"ticket_info":{"phase":"phase_change_end","work_flow_status":"COMPLETE"},'
      .. '"history_info":{"action":"change_complete_success"}}', p.body)
    assert.are.equal("example.huaweicloud.com", p.headers.Host)
    assert.are.equal("application/json;charset=UTF-8", p.headers["Content-Type"])
    assert.are.equal("20060102T150405Z", p.headers["X-Sdk-Date"])
    assert.are.equal("domain-1", p.headers["X-Domain-Id"])
    assert.are.equal("project-1", p.headers["X-Project-Id"])
    assert.matches("^lua%-coc/%d+%.%d+%.%d+$", p.headers["User-Agent"])
    assert.are.equal(table.concat({
      "PUT", "/v2/changes/CHG-1/", "",
      "content-type:application/json;charset=UTF-8", "host:example.huaweicloud.com",
      "x-domain-id:domain-1", "x-project-id:project-1", "x-sdk-date:20060102T150405Z", "",
      "content-type;host;x-domain-id;x-project-id;x-sdk-date", sha256_hex(p.body),
    }, "\n"), p.canonical_request)
  end)

  it("signs so that an independent HMAC (openssl) agrees", function()
    local p = assert(client:prepare_update_change("CHG-1", body, { now = NOW }))
    local sts = "SDK-HMAC-SHA256\n20060102T150405Z\n" .. sha256_hex(p.canonical_request)
    local expected = openssl_hmac_hex("SecretKey", sts)
    assert.are.equal("SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=content-type;host;x-domain-id;x-project-id;"
      .. "x-sdk-date, Signature=" .. expected, p.headers.Authorization)
  end)

  it("gives the same signature for the same input and time, another one a second later", function()
    local a = client:prepare_update_change("CHG-1", body, { now = NOW })
    local b = client:prepare_update_change("CHG-1", body, { now = NOW })
    local c = client:prepare_update_change("CHG-1", body, { now = NOW + 1 })
    assert.are.equal(a.headers.Authorization, b.headers.Authorization)
    assert.are_not.equal(a.headers.Authorization, c.headers.Authorization)
    assert.are.equal("20060102T150406Z", c.headers["X-Sdk-Date"])
  end)

  it("percent-encodes the change_id as one path segment", function()
    for id, path in pairs({
      ["../x"] = "/v2/changes/..%2Fx", ["a/b"] = "/v2/changes/a%2Fb", ["a?b"] = "/v2/changes/a%3Fb",
      ["a#b"] = "/v2/changes/a%23b", ["%2F"] = "/v2/changes/%252F", ["é 1"] = "/v2/changes/%C3%A9%201",
    }) do
      local p = assert(client:prepare_update_change(id, {}, { now = NOW }))
      assert.are.equal("https://example.huaweicloud.com" .. path, p.url)
      assert.are.equal(path .. "/", p.canonical_request:match("^PUT\n([^\n]*)"))
    end
  end)

  it("validates before preparing anything", function()
    local p, err = client:prepare_update_change("", { history_info = { action = "x" } })
    assert.is_nil(p)
    assert.are.equal("validation", err.kind)
    assert.are.equal(2, #err.errors)
  end)

  it("signs x-security-token with temporary credentials, and sends X-Auth-Token unsigned with a token", function()
    local tmp = assert(coc.new({ endpoint = "https://h.example", ak = "AK", sk = "SK", security_token = "ST-secret",
      domain_id = "d" }))
    local p = tmp:prepare_update_change("C1", {}, { now = NOW })
    assert.are.equal("ST-secret", p.headers["X-Security-Token"])
    assert.matches("SignedHeaders=content%-type;host;x%-domain%-id;x%-sdk%-date;x%-security%-token,",
      p.headers.Authorization)
    local tok = assert(coc.new({ endpoint = "https://h.example", auth_token = "IAM-token", domain_id = "d" }))
    p = tok:prepare_update_change("C1", {}, { now = NOW })
    assert.are.equal("IAM-token", p.headers["X-Auth-Token"])
    assert.is_nil(p.headers.Authorization)
    assert.is_nil(p.headers["X-Sdk-Date"])
    assert.is_nil(p.canonical_request)
  end)
end)

describe("the core's shared rules", function()
  it("give the reference's character limits by field name", function()
    assert.are.equal(100, core.max_chars("comment"))
    assert.are.equal(50, core.max_chars("change_id"))
    assert.are.equal(1000, core.max_chars("verified_docs"))
    assert.is_nil(core.max_chars("rollback_start_time"))
    assert.is_nil(core.max_chars("nope"))
  end)

  it("say which answers are retried, for every transport", function()
    for _, s in ipairs({ 429, 502, 503, 504 }) do assert.is_true(core.retryable(s)) end
    for _, s in ipairs({ 200, 400, 401, 500, 501 }) do assert.is_false(core.retryable(s)) end
  end)
end)
