-- bin/coc-change run as a subprocess (by the interpreter running Busted)
-- against the local COC emulator: the exact bodies that reached the server,
-- --dry-run's redaction, --json, --help and every exit code.
local coc = require "coc"
local cjson = require "cjson"
local h = require "helpers"
local sub = require "subprocess"

local emu = h.emulator()

local ref = h.reference
local SUB = ref.sub_ticket
local REF_END, REF_RESULT, REF_CLOSE = ref.end_change(), ref.result(), ref.close()
local REF_RESULT_AS_PRINTED = ref.result_as_printed

-- The environment the CLI gets: nothing but this (env -i), so that the
-- caller's own HUAWEICLOUD_SDK_* never leak in. `false` removes a variable.
local function cli_env(overrides)
  local env = {
    HUAWEICLOUD_SDK_AK = emu.ak,
    HUAWEICLOUD_SDK_SK = emu.sk,
    HUAWEICLOUD_SDK_DOMAIN_ID = emu.domain_id,
    HUAWEICLOUD_SDK_REGION_COC_CN_NORTH_4 = emu.url,
  }
  for k, v in pairs(overrides or {}) do env[k] = v end
  return env
end

-- Runs coc-change with these arguments; returns exit code, stdout, stderr.
local function run(args, opts)
  opts = opts or {}
  return sub.run("bin/coc-change", args, { env = cli_env(opts.env), stdin = opts.stdin })
end

local write = sub.write

local bodies = emu.bodies

-- Asserts a run succeeded and printed the one-line summary.
local function ok_run(command, change_id, args, opts)
  local code, out, err = run(args, opts)
  assert.are.equal("", err)
  assert.are.equal(0, code)
  assert.matches("^" .. command .. " " .. change_id:gsub("%p", "%%%0") .. ": HTTP 200 GOM%.00000000 %(request id %x+%)\n$", out)
end

before_each(function() emu.reset() end)

describe("coc-change commands", function()
  it("start sends the start action for the sub-ticket", function()
    ok_run("start", "CHG-C1", { "start", "CHG-C1", "-s", "SUB-1" })
    assert.are.same({ { sub_tickets = { { ticket_id = "SUB-1" } }, history_info = { action = "change_start_change_success" } } },
      bodies("CHG-C1"))
  end)

  it("end sends the reference's first example", function()
    ok_run("end", "CHG-C2", { "end", "CHG-C2", "--sub-ticket", SUB })
    assert.are.same({ REF_END }, bodies("CHG-C2"))
  end)

  it("result sends the reference's second example, times in seconds or milliseconds", function()
    ok_run("result", "CHG-C3", { "result", "CHG-C3", "-s", "{{sub_ticket_id}}", "--failed",
      "--fail-type", "fr_dependent_service_issue", "--comment", "111", "--rollback-start", "1742888808",
      "--rollback-end", "1742975208000", "--rollback-success", "false", "--monitor-found", "true",
      "--null", "verified-docs" })
    assert.are.same({ REF_RESULT }, bodies("CHG-C3"))
  end)

  it("result maps every other flag, and --null any field", function()
    ok_run("result", "CHG-C4", { "result", "CHG-C4", "-s", "S", "--success", "--verified-in-window", "true",
      "--verified-docs", "DOC-1", "--rollback-success", "true" })
    ok_run("result", "CHG-C4", { "result", "CHG-C4", "-s", "S", "--success", "--result", "change_result_partial",
      "--null", "comment", "--null", "fail-type", "--null", "rollback-start", "--null", "monitor-found" })
    ok_run("result", "CHG-C4", { "result", "CHG-C4", "-s", "S" })
    local function result(fields)
      return { sub_tickets = { fields }, history_info = { action = "change_set_change_result_success" } }
    end
    assert.are.same({
      result({ ticket_id = "S", change_result = "change_result_success", is_verified_in_change_time = true,
        verified_docs = "DOC-1", is_rollback_success = true }),
      result({ ticket_id = "S", change_result = "change_result_partial", comment = cjson.null,
        change_fail_type = cjson.null, rollback_start_time = cjson.null, is_monitor_found = cjson.null }),
      result({ ticket_id = "S" }),
    }, bodies("CHG-C4"))
  end)

  it("close sends the reference's third example; --status sets the status", function()
    ok_run("close", "CHG-C5", { "close", "CHG-C5" })
    ok_run("close", "CHG-C5", { "close", "CHG-C5", "--status", "DONE" })
    assert.are.same({ REF_CLOSE, { history_info = { action = "change_complete_success" },
      ticket_info = { phase = "phase_change_end", work_flow_status = "DONE" } } }, bodies("CHG-C5"))
    assert.are.equal("DONE", emu.change("CHG-C5").work_flow_status)
  end)

  it("cancel cancels the change", function()
    ok_run("cancel", "CHG-C6", { "cancel", "CHG-C6" })
    assert.are.same({ { history_info = { action = "change_complete_success" },
      ticket_info = { phase = "phase_change_cancel", work_flow_status = "CANCELED" } } }, bodies("CHG-C6"))
    assert.are.equal("phase_change_cancel", emu.change("CHG-C6").phase)
  end)

  it("update sends a JSON body from a file, and from stdin with -", function()
    local file = os.tmpname()
    write(file, cjson.encode(REF_CLOSE))
    ok_run("update", "CHG-C7", { "update", "CHG-C7", "--body", file })
    os.remove(file)
    ok_run("update", "CHG-C7", { "update", "CHG-C7", "--body", "-" }, { stdin = cjson.encode(REF_END) })
    assert.are.same({ REF_CLOSE, REF_END }, bodies("CHG-C7"))
  end)

  it("update refuses the reference's printed second example, and sends it with --unknown-fields drop", function()
    local code, out, err = run({ "update", "CHG-C8", "--body", "-" }, { stdin = REF_RESULT_AS_PRINTED })
    assert.are.equal(3, code)
    assert.are.equal("", out)
    assert.matches("sub_tickets%[1%]%.sub_tickets: unknown field", err)
    assert.matches("sub_tickets%[1%]%.verified_docs1: unknown field", err)
    assert.are.same({}, emu.requests("CHG-C8"))
    ok_run("update", "CHG-C8", { "update", "CHG-C8", "--body", "-", "--unknown-fields", "drop" },
      { stdin = REF_RESULT_AS_PRINTED })
    assert.are.same({ REF_RESULT }, bodies("CHG-C8"))
  end)

  it("update sets field flags over the body, or sends them alone", function()
    ok_run("update", "CHG-C9", { "update", "CHG-C9", "--body", "-", "--phase", "phase_change_implement",
      "--work-flow-status", "RUNNING" }, { stdin = cjson.encode(REF_CLOSE) })
    ok_run("update", "CHG-C9", { "update", "CHG-C9", "--action", "change_complete_success" })
    assert.are.same({
      { ticket_info = { phase = "phase_change_implement", work_flow_status = "RUNNING" },
        history_info = { action = "change_complete_success" } },
      { history_info = { action = "change_complete_success" } },
    }, bodies("CHG-C9"))
  end)
end)

describe("coc-change --json", function()
  it("prints the result as one JSON object", function()
    local code, out, err = run({ "close", "CHG-J1", "--json" })
    assert.are.equal(0, code)
    assert.are.equal("", err)
    local doc = cjson.decode(out)
    local rid = doc.request_id
    assert.matches("^%x+$", rid)
    assert.are.same({ ok = true, command = "close", change_id = "CHG-J1", status = 200, error_code = "GOM.00000000",
      provider_code = "049", request_id = rid, attempts = 1 }, doc)
  end)

  it("prints an error as one JSON object, with its exit code and problems", function()
    local code, out, err = run({ "result", "CHG-J2", "-s", "S", "--comment", h.chars(101, "é"), "--json" })
    assert.are.equal(3, code)
    assert.are.equal("", err)
    assert.are.same({ ok = false, exit_code = 3, error = {
      kind = "validation", code = "COC.VALIDATION", message = "sub_tickets[1].comment: 101 characters, at most 100 allowed",
      errors = { { path = "sub_tickets[1].comment", rule = "length", message = "101 characters, at most 100 allowed" } },
    } }, cjson.decode(out))
    assert.are.equal(0, emu.stats().requests)
  end)

  it("prints usage errors as JSON too", function()
    local code, out, err = run({ "close", "CHG-J3", "--timeout", "soon", "--json" })
    assert.are.equal(2, code)
    assert.are.equal("", err)
    assert.are.same({ ok = false, exit_code = 2, error = { kind = "usage", code = "COC.USAGE",
      message = '--timeout: "soon" is not a number' } }, cjson.decode(out))
  end)
end)

describe("coc-change --dry-run", function()
  local TMP = { HUAWEICLOUD_SDK_AK = emu.tmp_ak, HUAWEICLOUD_SDK_SK = emu.tmp_sk,
    HUAWEICLOUD_SDK_SECURITY_TOKEN = emu.security_token }

  it("prints the signed request with the security token redacted, and sends nothing", function()
    local code, out, err = run({ "close", "CHG-D1", "--dry-run" }, { env = TMP })
    assert.are.equal(0, code)
    assert.are.equal("", err)
    local lines = {}
    for line in out:gmatch("(.-)\n") do lines[#lines + 1] = line end
    assert.are.equal("PUT " .. emu.url .. "/v2/changes/CHG-D1", lines[1])
    local headers = {}
    for i = 2, #lines - 2 do
      local name, value = lines[i]:match("^([%w%-]+): (.*)$")
      headers[name] = value
    end
    assert.are.equal("", lines[#lines - 1])
    assert.are.equal(coc.encode("CHG-D1", REF_CLOSE), lines[#lines])
    assert.are.equal("<redacted>", headers["X-Security-Token"])
    assert.matches("^SDK%-HMAC%-SHA256 Access=" .. emu.tmp_ak .. ", SignedHeaders=content%-type;host;x%-domain%-id;"
      .. "x%-sdk%-date;x%-security%-token, Signature=%x+$", headers.Authorization)
    assert.are.equal(emu.domain_id, headers["X-Domain-Id"])
    assert.is_nil(out:find(emu.security_token, 1, true))
    assert.is_nil(out:find(emu.tmp_sk, 1, true))
    assert.are.equal(0, emu.stats().requests)
  end)

  it("shows the body each command would send", function()
    local code, out = run({ "result", "CHG-D2", "-s", "{{sub_ticket_id}}", "--failed", "--fail-type",
      "fr_dependent_service_issue", "--comment", "111", "--rollback-start", "1742888808000", "--rollback-end",
      "1742975208", "--rollback-success", "false", "--monitor-found", "true", "--null", "verified-docs",
      "--dry-run", "--json" })
    assert.are.equal(0, code)
    assert.are.same(REF_RESULT, cjson.decode(cjson.decode(out).request.body))
    assert.are.equal(0, emu.stats().requests)
  end)

  it("redacts in --json output too, canonical request included", function()
    local code, out = run({ "end", "CHG-D3", "-s", SUB, "--dry-run", "--json" }, { env = TMP })
    assert.are.equal(0, code)
    local doc = cjson.decode(out)
    assert.is_true(doc.ok and doc.dry_run)
    local r = doc.request
    assert.are.equal("PUT", r.method)
    assert.are.equal(emu.url .. "/v2/changes/CHG-D3", r.url)
    assert.are.same(REF_END, cjson.decode(r.body))
    assert.are.equal("<redacted>", r.headers["X-Security-Token"])
    assert.matches("\nx%-security%-token:<redacted>\n", r.canonical_request)
    assert.matches("^PUT\n/v2/changes/CHG%-D3/\n", r.canonical_request)
    for _, s in ipairs(h.strings(doc)) do
      assert.is_nil(s:find(emu.security_token, 1, true))
      assert.is_nil(s:find(emu.tmp_sk, 1, true))
    end
    assert.are.equal(0, emu.stats().requests)
  end)

  it("redacts an IAM token from COC_AUTH_TOKEN", function()
    local code, out = run({ "close", "CHG-D4", "--dry-run" },
      { env = { HUAWEICLOUD_SDK_AK = false, HUAWEICLOUD_SDK_SK = false, COC_AUTH_TOKEN = emu.token } })
    assert.are.equal(0, code)
    assert.matches("\nX%-Auth%-Token: <redacted>\n", out)
    assert.is_nil(out:find("Authorization", 1, true))
    assert.is_nil(out:find(emu.token, 1, true))
    -- and the token really authenticates when sent
    ok_run("close", "CHG-D4", { "close", "CHG-D4" },
      { env = { HUAWEICLOUD_SDK_AK = false, HUAWEICLOUD_SDK_SK = false, COC_AUTH_TOKEN = emu.token } })
    assert.are.equal(emu.token, emu.requests("CHG-D4")[1].headers["x-auth-token"])
  end)
end)

describe("coc-change --help", function()
  it("lists the commands, the environment and the exit codes", function()
    local code, out, err = run({ "--help" })
    assert.are.equal(0, code)
    assert.are.equal("", err)
    assert.matches("^Usage: coc%-change ", out)
    for _, c in ipairs({ "start", "end", "result", "close", "cancel", "update" }) do
      assert.matches("\n   " .. c .. " ", out)
    end
    assert.matches("HUAWEICLOUD_SDK_AK", out)
    assert.matches("3 validation", out)
  end)

  local FLAGS = {
    start = { "--sub-ticket" }, ["end"] = { "--sub-ticket" },
    result = { "--sub-ticket", "--success", "--failed", "--result", "--fail-type", "--comment", "--rollback-start",
      "--rollback-end", "--rollback-success", "--verified-in-window", "--verified-docs", "--monitor-found", "--null" },
    close = { "--status" }, cancel = { "--status" },
    update = { "--body", "--phase", "--work-flow-status", "--action", "--unknown-fields" },
  }
  for command, flags in pairs(FLAGS) do
    it("describes every flag of " .. command, function()
      local code, out, err = run({ command, "--help" })
      assert.are.equal(0, code)
      assert.are.equal("", err)
      assert.matches("^Usage: coc%-change " .. command .. " ", out)
      for _, flag in ipairs(flags) do assert.matches("\n%s+" .. flag:gsub("%-", "%%-") .. "[ ,\n]", out) end
      for _, flag in ipairs({ "--region", "--endpoint", "--domain-id", "--ca-file", "--timeout", "--retries",
        "--dry-run", "--json", "--help" }) do
        assert.matches(flag:gsub("%-", "%%-") .. "[ ,\n]", out)
      end
    end)
  end
end)

describe("coc-change exit codes", function()
  it("2 for usage errors, sending nothing", function()
    local file = os.tmpname()
    os.remove(file)
    local cases = {
      { {}, "a command is required" },
      { { "close" }, "missing argument 'change_id'" },
      { { "frobnicate", "C" }, "unknown command 'frobnicate'" },
      { { "start", "C" }, "missing option '-s'" },
      { { "result", "C", "-s", "S", "--success", "--failed" },
        "option '--failed' can not be used together with option '--success'" },
      { { "result", "C", "-s", "S", "--monitor-found", "yes" }, "argument for option '--monitor-found' must be one of" },
      { { "result", "C", "-s", "S", "--comment", "x", "--null", "comment" }, "--comment and --null comment both given" },
      { { "result", "C", "-s", "S", "--rollback-end", "noon" }, '--rollback-end: "noon" is not a number' },
      { { "close", "C", "--retries", "many" }, '--retries: "many" is not a number' },
      { { "update", "C" }, "update needs --body FILE" },
      { { "update", "C", "--body", file }, "--body: " .. file },
    }
    for _, case in ipairs(cases) do
      local code, out, err = run(case[1])
      assert.are.equal(2, code, table.concat(case[1], " "))
      assert.are.equal("", out)
      assert.is_truthy(err:find(case[2], 1, true), err)
    end
    assert.are.equal(0, emu.stats().requests)
  end)

  it("3 for validation errors, also of a body that is not JSON, sending nothing", function()
    local code, out, err = run({ "close", h.chars(51) })
    assert.are.equal(3, code)
    assert.are.equal("", out)
    assert.are.equal("lua-coc: validation error: 1 problem\n  change_id: 51 characters, at most 50 allowed [length]\n", err)
    code, out, err = run({ "update", "C", "--body", "-" }, { stdin = '{"ticket_info": ' })
    assert.are.equal(3, code)
    assert.are.equal("", out)
    assert.matches("^lua%-coc: validation error: 1 problem\n  body: not JSON: ", err)
    code = run({ "update", "C", "--body", "-" }, { stdin = '"close it"' })
    assert.are.equal(3, code)
    assert.are.equal(0, emu.stats().requests)
  end)

  it("4 for auth errors", function()
    local code, out, err = run({ "close", "CHG-E4" }, { env = { HUAWEICLOUD_SDK_SK = "not-the-secret" } })
    assert.are.equal(4, code)
    assert.are.equal("", out)
    assert.matches("^lua%-coc: auth error %(HTTP 401%) APIGW%.0301: ", err)
    assert.is_nil(err:find("not-the-secret", 1, true))
  end)

  it("5 for API errors", function()
    emu.fault({ match = "CHG-E5", status = 400,
      body = '{"error_code":"GOM.00007256","error_msg":"Parameter error","provider_code":"049","data":null}' })
    local code, out = run({ "close", "CHG-E5", "--json" })
    assert.are.equal(5, code)
    local e = cjson.decode(out).error
    assert.are.same({ "api", "GOM.00007256", "Parameter error", 400 }, { e.kind, e.code, e.message, e.status })
    assert.matches("^%x+$", e.request_id)
  end)

  it("6 for network, TLS and timeout errors; --ca-file and --retries are used", function()
    local code, _, err = run({ "close", "CHG-E6", "--endpoint", emu.https_url })
    assert.are.equal(6, code)
    assert.matches("^lua%-coc: tls error COC%.TLS: ", err)
    ok_run("close", "CHG-E6", { "close", "CHG-E6", "--endpoint", emu.https_url, "--ca-file", emu.ca })

    emu.fault({ match = "CHG-E7", drop = true })
    code, _, err = run({ "close", "CHG-E7" })
    assert.are.equal(6, code)
    assert.matches("^lua%-coc: network error COC%.CONNECTION: ", err)

    emu.fault({ match = "CHG-E8", delay_ms = 3000 })
    code, _, err = run({ "close", "CHG-E8", "--timeout", "1" })
    assert.are.equal(6, code)
    assert.matches("^lua%-coc: timeout error COC%.TIMEOUT: ", err)
    emu.settle()
    assert.are.equal(200, emu.requests("CHG-E8")[1].status)

    emu.fault({ match = "CHG-E9", status = 503 })
    ok_run("close", "CHG-E9", { "close", "CHG-E9", "--retries", "1" })
    assert.are.same({ 503, 200 }, { emu.requests("CHG-E9")[1].status, emu.requests("CHG-E9")[2].status })
  end)

  it("7 for configuration errors", function()
    local code, _, err = run({ "close", "C" }, { env = { HUAWEICLOUD_SDK_DOMAIN_ID = false } })
    assert.are.equal(7, code)
    assert.matches("^lua%-coc: config error COC%.CONFIG: no domain_id", err)
    code, _, err = run({ "close", "C", "--region", "mars-1" })
    assert.are.equal(7, code)
    assert.matches('unknown region "mars%-1"', err)
    code = run({ "close", "C", "--dry-run" }, { env = { HUAWEICLOUD_SDK_AK = false, HUAWEICLOUD_SDK_SK = false } })
    assert.are.equal(7, code)
    assert.are.equal(0, emu.stats().requests)
  end)

  it("takes the region from HUAWEICLOUD_SDK_REGION, and --domain-id over the environment", function()
    local code, out = run({ "close", "C", "--dry-run", "--domain-id", "0000" },
      { env = { HUAWEICLOUD_SDK_REGION = "ap-southeast-3", HUAWEICLOUD_SDK_REGION_COC_CN_NORTH_4 = false } })
    assert.are.equal(0, code)
    assert.matches("^PUT https://coc%-intl%.myhuaweicloud%.com/v2/changes/C\n", out)
    assert.matches("\nX%-Domain%-Id: 0000\n", out)
  end)
end)
