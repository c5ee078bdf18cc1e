-- Every example of examples/ run as a subprocess against the local COC
-- emulator, so that none of them rots: their output, exit status, the
-- bodies that reached the server and the state they left.
local coc = require "coc"
local cjson = require "cjson"
local h = require "helpers"
local sub = require "subprocess"

local emu = h.emulator()

local CLOSE = {
  history_info = { action = "change_complete_success" },
  ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
}

local function run(script, args, env)
  local vars = {
    HUAWEICLOUD_SDK_AK = emu.ak, HUAWEICLOUD_SDK_SK = emu.sk, HUAWEICLOUD_SDK_DOMAIN_ID = emu.domain_id,
    HUAWEICLOUD_SDK_REGION_COC_CN_NORTH_4 = emu.url,
  }
  for k, v in pairs(env or {}) do vars[k] = v end
  return sub.run("examples/" .. script, args, { env = vars })
end

local function lines(text)
  local out = {}
  for line in text:gmatch("(.-)\n") do out[#out + 1] = line end
  return out
end

local bodies = emu.bodies

local function history(change_id)
  local out = {}
  for i, e in ipairs(emu.change(change_id).history) do out[i] = e.action end
  return out
end

local function step_body(action, ticket)
  return { sub_tickets = { ticket }, history_info = { action = action } }
end

local ALL_STEPS = { "change_start_change_success", "change_end_change_success",
  "change_set_change_result_success", "change_complete_success" }

-- "  <name> ok     HTTP 200 GOM.00000000 (request id <hex>)"
local function http_step(name)
  return "^  " .. name .. " +ok +HTTP 200 GOM%.00000000 %(request id %x+%)$"
end

before_each(function() emu.reset() end)

describe("examples/update_change.lua", function()
  it("drives a change through the reference's three steps", function()
    local code, out, err = run("update_change.lua", { "CHG-EX1" })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    local l = lines(out)
    assert.are.equal(4, #l)
    assert.are.equal("updating change CHG-EX1 at " .. emu.url, l[1])
    assert.matches("^1%. end the change +HTTP 200 GOM%.00000000 %(request id %x+%)$", l[2])
    assert.matches("^2%. record its result +HTTP 200 GOM%.00000000 %(request id %x+%)$", l[3])
    assert.matches("^3%. close it +HTTP 200 GOM%.00000000 %(request id %x+%)$", l[4])
    local t = "92f0c22f-4ca4-4cbe-89cf-281aed331f50"
    assert.are.same({
      step_body("change_end_change_success", { ticket_id = t }),
      step_body("change_set_change_result_success", { ticket_id = t, change_result = "change_result_failed",
        verified_docs = cjson.null, comment = "111", change_fail_type = "fr_dependent_service_issue",
        rollback_start_time = 1742888808000, rollback_end_time = 1742975208000, is_rollback_success = false,
        is_monitor_found = true }),
      CLOSE,
    }, bodies("CHG-EX1"))
    assert.are.equal("phase_change_end", emu.change("CHG-EX1").phase)
  end)

  it("stops with status 1 and the error when a step fails", function()
    emu.fault({ match = "CHG-EX2", status = 400, times = 3 })
    local code, out, err = run("update_change.lua", { "CHG-EX2" })
    assert.are.equal(1, code)
    assert.are.equal(1, #lines(out))
    assert.matches("^step 1 %(end the change%) failed:\nlua%-coc: api error %(HTTP 400%) EMU%.400: injected", err)
  end)
end)

describe("examples/validate_examples.lua", function()
  it("prints what each of the reference's examples sends, and the second one's problems", function()
    local code, out, err = run("validate_examples.lua", {}, { HUAWEICLOUD_SDK_AK = false })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    local id = "CHG-20261204-0001"
    local second = {
      sub_tickets = { { ticket_id = "{{sub_ticket_id}}", change_result = "change_result_failed", verified_docs = coc.null,
        comment = "111", change_fail_type = "fr_dependent_service_issue", rollback_start_time = 1742888808000,
        rollback_end_time = 1742975208000, is_rollback_success = false, is_monitor_found = true } },
      history_info = { action = "change_set_change_result_success" },
    }
    -- the second example as printed, stray fields included: its problems are the core's
    local as_printed = { sub_tickets = { { sub_tickets = {}, verified_docs1 = "e67a0d67-310e-4abd-9b35-43eacf681358" } } }
    for k, v in pairs(second.sub_tickets[1]) do as_printed.sub_tickets[1][k] = v end
    as_printed.history_info = second.history_info
    local ok, problems = coc.validate(id, as_printed)
    assert.is_nil(ok)
    assert.are.same({ "sub_tickets[1].sub_tickets", "sub_tickets[1].verified_docs1" },
      { problems.errors[1].path, problems.errors[2].path })
    local report = lines("   " .. tostring(problems):gsub("\n", "\n   ") .. "\n")
    assert.are.same({
      "1. The change is complete",
      "   valid, sends: " .. assert(coc.encode(id, { history_info = { action = "change_end_change_success" },
        sub_tickets = { { ticket_id = " 92f0c22f-4ca4-4cbe-89cf-281aed331f50" } } })),
      "2. Add change result after the change plan is executed (as printed, with its stray fields)",
      report[1], report[2], report[3],
      '   with unknown_fields = "drop", sends: ' .. assert(coc.encode(id, second)),
      "3. Close the change after all change plans are executed",
      "   valid, sends: " .. assert(coc.encode(id, CLOSE)),
    }, lines(out))
    assert.are.equal(0, emu.stats().requests)
  end)
end)

describe("examples/release.lua", function()
  it("runs a change end to end, printing each step, and leaves it closed", function()
    local code, out, err = run("release.lua", { "CHG-REL1", "SUB-1" })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    local l = lines(out)
    assert.are.equal(8, #l)
    assert.are.equal("release: change CHG-REL1, sub-ticket SUB-1, at " .. emu.url, l[1])
    assert.matches(http_step("start"), l[2])
    assert.are.equal("deploying release 1.4.2 ... done", l[3])
    assert.are.equal("  run     ok     the deploy command succeeded", l[4])
    assert.matches(http_step("end"), l[5])
    assert.matches(http_step("result"), l[6])
    assert.matches(http_step("close"), l[7])
    assert.are.equal("release: the change succeeded and the ticket is closed", l[8])
    assert.are.same({
      step_body("change_start_change_success", { ticket_id = "SUB-1" }),
      step_body("change_end_change_success", { ticket_id = "SUB-1" }),
      step_body("change_set_change_result_success", { ticket_id = "SUB-1", change_result = "change_result_success" }),
      CLOSE,
    }, bodies("CHG-REL1"))
    local state = emu.change("CHG-REL1")
    assert.are.same({ "phase_change_end", "COMPLETE" }, { state.phase, state.work_flow_status })
    assert.are.same(ALL_STEPS, history("CHG-REL1"))
    assert.are.equal("change_result_success", state.sub_tickets["SUB-1"].change_result)
  end)

  it("records a failed deploy command as a failed change, closes it and exits 1", function()
    local code, out = run("release.lua", { "CHG-REL2", "SUB-1", "echo oops; exit 3" })
    assert.are.equal(1, code)
    local l = lines(out)
    assert.are.equal("oops", l[3])
    assert.are.equal("  run     FAILED the deploy failed: deploy command failed (exit 3)", l[4])
    assert.are.equal("release: the change failed and the ticket is closed", l[8])
    assert.are.same(step_body("change_set_change_result_success", { ticket_id = "SUB-1",
      change_result = "change_result_failed", comment = "deploy command failed (exit 3)" }), bodies("CHG-REL2")[3])
    assert.are.same(ALL_STEPS, history("CHG-REL2"))
  end)

  it("exits 2 naming the step that could not be sent", function()
    emu.fault({ match = "CHG-REL3", status = 401, body = '{"error_code":"APIGW.0301","error_msg":"bad signature"}' })
    local code, out, err = run("release.lua", { "CHG-REL3", "SUB-1" })
    assert.are.equal(2, code)
    assert.matches("^  start   FAILED lua%-coc: auth error %(HTTP 401%) APIGW%.0301: bad signature", lines(out)[2])
    assert.matches('^release: stopped at step "start":\nlua%-coc: auth error %(HTTP 401%) APIGW%.0301: '
      .. 'step "start" failed: bad signature', err)
    assert.are.equal(1, #emu.requests("CHG-REL3"))
  end)

  it("exits 2 with its usage when arguments are missing", function()
    local code, out, err = run("release.lua", { "CHG-REL4" })
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.are.equal("usage: release.lua CHANGE_ID SUB_TICKET_ID [DEPLOY_COMMAND]\n", err)
  end)
end)

describe("examples/rollback.lua", function()
  it("records the failed deploy with its timed, successful rollback, and closes the change", function()
    local before = os.time()
    local code, out, err = run("rollback.lua", { "CHG-RB1", "SUB-1" })
    local after = os.time()
    assert.are.equal("health check failed\n", err)
    assert.are.equal(0, code)
    local l = lines(out)
    assert.are.equal("rollback run: change CHG-RB1, sub-ticket SUB-1, at " .. emu.url, l[1])
    assert.are.equal("deploying release 1.4.3", l[3])
    assert.are.equal("  run      FAILED deploy command failed (exit 1)", l[4])
    assert.are.equal("  rolling back because: deploy command failed (exit 1)", l[5])
    assert.are.equal("rolling back to release 1.4.2 ... done", l[6])
    assert.matches("^  rollback ok     from %d+ to %d+ %(Unix seconds%)$", l[7])
    assert.are.equal('recorded: success=false comment="deploy command failed (exit 1)" rollback success=true', l[11])
    local sent = bodies("CHG-RB1")[3].sub_tickets[1]
    local started, ended = sent.rollback_start_time, sent.rollback_end_time
    assert.is_true(started >= before * 1000 and started <= ended and ended <= after * 1000)
    sent.rollback_start_time, sent.rollback_end_time = nil, nil
    assert.are.same({ ticket_id = "SUB-1", change_result = "change_result_failed",
      comment = "deploy command failed (exit 1)", change_fail_type = "fr_dependent_service_issue",
      is_rollback_success = true }, sent)
    assert.are.same(ALL_STEPS, history("CHG-RB1"))
    assert.are.equal("phase_change_end", emu.change("CHG-RB1").phase)
  end)

  it("records a failed rollback as such", function()
    local code, out = run("rollback.lua", { "CHG-RB2", "SUB-1", "exit 1", "echo 'rollback broke' >&2; exit 4" })
    assert.are.equal(0, code)
    assert.matches('rollback success=false\n$', out)
    assert.is_false(bodies("CHG-RB2")[3].sub_tickets[1].is_rollback_success)
  end)
end)

describe("examples/batch_close.lua", function()
  it("closes every change of the file at once, reporting each, and exits 1 when one was refused", function()
    local file = os.tmpname()
    local bad = h.chars(51, "x")
    sub.write(file, "# changes of release 1.4.2\nCHG-B1\n\n   CHG-B2  \n" .. bad .. "\nCHG-B3\n")
    local code, out, err = run("batch_close.lua", { file })
    os.remove(file)
    assert.are.equal("", err)
    assert.are.equal(1, code)
    local l = lines(out)
    assert.are.equal(6, #l)
    assert.are.equal("closing 4 change(s) at " .. emu.url .. ", 8 at a time", l[1])
    assert.are.equal("skipped " .. bad .. ": lua-coc: validation error: 1 problem; "
      .. "change_id: 51 characters, at most 50 allowed [length]", l[2])
    -- progress comes in completion order: [1/3], [2/3], [3/3] for the three ids in some order
    local seen = {}
    for n = 1, 3 do
      local id = l[2 + n]:match("^%[" .. n .. "/3%] (CHG%-B%d) closed %(HTTP 200, request id %x+%)$")
      assert.is_truthy(id, l[2 + n])
      seen[#seen + 1] = id
    end
    table.sort(seen)
    assert.are.same({ "CHG-B1", "CHG-B2", "CHG-B3" }, seen)
    assert.are.equal("closed 3 of 4", l[6])
    for _, id in ipairs({ "CHG-B1", "CHG-B2", "CHG-B3" }) do
      assert.are.same({ CLOSE }, bodies(id))
      assert.are.equal("phase_change_end", emu.change(id).phase)
    end
    assert.are.equal(3, emu.stats().requests)
  end)

  it("reports a change the server refuses without losing the others", function()
    local file = os.tmpname()
    sub.write(file, "CHG-B5\nCHG-B6\nCHG-B7\n")
    emu.fault({ match = "CHG-B6", status = 400,
      body = '{"error_code":"GOM.00007256","error_msg":"Parameter error","provider_code":"049"}' })
    local code, out = run("batch_close.lua", { file, "COMPLETE", "2" })
    os.remove(file)
    assert.are.equal(1, code)
    assert.matches("%] CHG%-B6 FAILED: lua%-coc: api error %(HTTP 400%) GOM%.00007256: Parameter error", out)
    assert.matches("\nclosed 2 of 3\n$", out)
    assert.are.equal("phase_change_end", emu.change("CHG-B5").phase)
    assert.are.equal("phase_change_end", emu.change("CHG-B7").phase)
  end)

  it("closes with the given status and exits 0 when all are closed", function()
    local file = os.tmpname()
    sub.write(file, "CHG-B4\n")
    local code, out = run("batch_close.lua", { file, "DONE" })
    os.remove(file)
    assert.are.equal(0, code)
    assert.matches("\nclosed 1 of 1\n$", out)
    assert.are.equal("DONE", emu.change("CHG-B4").work_flow_status)
  end)

  it("exits 2 when the file cannot be read", function()
    local file = os.tmpname()
    os.remove(file)
    local code, out, err = run("batch_close.lua", { file })
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.are.equal("batch_close: " .. file .. ": No such file or directory\n", err)
  end)
end)
