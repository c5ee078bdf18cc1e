-- The workflow helpers (lua/coc/workflow.lua) against the local COC
-- emulator: the exact bodies that reached the server, the ticket state they
-- left, and run_change's steps, failures, rollbacks and stops.
local coc = require "coc"
local workflow = require "coc.workflow"
local h = require "helpers"

local emu = h.emulator()

local ref = h.reference
local SUB = ref.sub_ticket
-- The reference's three request examples, as the server must receive them.
local REF_END, REF_RESULT, REF_CLOSE = ref.end_change(), ref.result(), ref.close()

-- The reference's second example in Lua names.
local function ref_result(started_at, ended_at)
  return {
    success = false, fail_type = "fr_dependent_service_issue", comment = "111",
    rollback = { started_at = started_at or 1742888808000, ended_at = ended_at or 1742975208000, success = false },
    verified_docs = coc.null, monitor_found = true,
  }
end

-- The decoded bodies of every request the server got for a change, in order.
local bodies = emu.bodies

local function start_body(sub)
  return { sub_tickets = { { ticket_id = sub } }, history_info = { action = "change_start_change_success" } }
end
local function end_body(sub)
  return { sub_tickets = { { ticket_id = sub } }, history_info = { action = "change_end_change_success" } }
end
local function result_body(fields)
  return { sub_tickets = { fields }, history_info = { action = "change_set_change_result_success" } }
end

local function step_names(report)
  local names = {}
  for i, s in ipairs(report.steps) do names[i] = s.name .. (s.ok and "" or "!") end
  return names
end

local function history(change_id)
  local out = {}
  for i, e in ipairs(emu.change(change_id).history) do out[i] = e.action end
  return out
end

before_each(function() emu.reset() end)

describe("the step helpers", function()
  it("end_change sends the reference's first example", function()
    local res = assert(emu.client():end_change("CHG-W1", SUB))
    assert.are.equal(200, res.status)
    assert.are.equal("GOM.00000000", res.error_code)
    assert.are.same({ REF_END }, bodies("CHG-W1"))
    assert.are.same({ "change_end_change_success" }, history("CHG-W1"))
  end)

  it("start_change sends the start action for the sub-ticket", function()
    assert(emu.client():start_change("CHG-W2", "SUB-1"))
    assert.are.same({ start_body("SUB-1") }, bodies("CHG-W2"))
    assert.is_table(emu.change("CHG-W2").sub_tickets["SUB-1"])
  end)

  it("set_change_result sends the reference's second example", function()
    assert(emu.client():set_change_result("CHG-W3", "{{sub_ticket_id}}", ref_result()))
    assert.are.same({ REF_RESULT }, bodies("CHG-W3"))
    local st = emu.change("CHG-W3").sub_tickets["{{sub_ticket_id}}"]
    assert.are.equal("change_result_failed", st.change_result)
    assert.are.equal(1742888808000, st.rollback_start_time)
  end)

  it("takes times as os.time()-style seconds too: below 1e11 is seconds", function()
    assert(emu.client():set_change_result("CHG-W4", "{{sub_ticket_id}}", ref_result(1742888808, 1742975208)))
    assert.are.same({ REF_RESULT }, bodies("CHG-W4"))
    assert.are.equal(99999999999000, workflow.milliseconds(99999999999))
    assert.are.equal(1e11, workflow.milliseconds(1e11))
    assert.are.equal("1", workflow.milliseconds("1"))
  end)

  it("maps every Lua name, and an explicit result wins over success", function()
    local client = emu.client()
    assert(client:set_change_result("CHG-W5", "S", {
      success = true, verified_in_window = true, verified_docs = "DOC-1", monitor_found = false,
      rollback = { success = true },
    }))
    assert(client:set_change_result("CHG-W5", "S", { success = true, result = "change_result_partial", comment = "" }))
    assert(client:set_change_result("CHG-W5", "S", {}))
    assert.are.same({
      result_body({ ticket_id = "S", change_result = "change_result_success", is_verified_in_change_time = true,
        verified_docs = "DOC-1", is_monitor_found = false, is_rollback_success = true }),
      result_body({ ticket_id = "S", change_result = "change_result_partial", comment = "" }),
      result_body({ ticket_id = "S" }),
    }, bodies("CHG-W5"))
  end)

  it("close_change sends the reference's third example; the status can be given", function()
    local client = emu.client()
    assert(client:close_change("CHG-W6"))
    assert.are.same({ REF_CLOSE }, bodies("CHG-W6"))
    assert.are.equal("phase_change_end", emu.change("CHG-W6").phase)
    assert(client:close_change("CHG-W7", "DONE"))
    assert.are.same({ { ticket_info = { phase = "phase_change_end", work_flow_status = "DONE" },
      history_info = { action = "change_complete_success" } } }, bodies("CHG-W7"))
  end)

  it("cancel_change cancels, with CANCELED or the given status", function()
    local client = emu.client()
    assert(client:cancel_change("CHG-W8"))
    assert(client:cancel_change("CHG-W8", "ABORTED"))
    assert.are.same({
      { ticket_info = { phase = "phase_change_cancel", work_flow_status = "CANCELED" },
        history_info = { action = "change_complete_success" } },
      { ticket_info = { phase = "phase_change_cancel", work_flow_status = "ABORTED" },
        history_info = { action = "change_complete_success" } },
    }, bodies("CHG-W8"))
    local state = emu.change("CHG-W8")
    assert.are.equal("phase_change_cancel", state.phase)
    assert.are.equal("ABORTED", state.work_flow_status)
  end)

  it("passes opts through to update_change", function()
    local client = emu.client()
    for _, call in ipairs({ "start_change", "end_change", "close_change", "cancel_change" }) do
      local args = call:find("_change$") and (call == "close_change" or call == "cancel_change")
        and { "C", nil, { unknown_fields = "bogus" } } or { "C", "S", { unknown_fields = "bogus" } }
      local ok, err = pcall(client[call], client, args[1], args[2], args[3])
      assert.is_false(ok)
      assert.matches("unknown_fields must be", err)
    end
    local ok, err = pcall(client.set_change_result, client, "C", "S", {}, { unknown_fields = "bogus" })
    assert.is_false(ok)
    assert.matches("unknown_fields must be", err)
    assert.are.equal(0, emu.stats().requests)
  end)

  it("refuses unknown result keys by name, sending nothing", function()
    local ok, err = emu.client():set_change_result("CHG-W10", "S", {
      success = false, colour = "red", rollback = { started = 1, success = true },
    })
    assert.is_nil(ok)
    assert.are.equal("validation", err.kind)
    assert.are.equal("COC.VALIDATION", err.code)
    assert.is_true(coc.is_error(err))
    local got = {}
    for i, p in ipairs(err.errors) do got[i] = { p.path, p.rule } end
    assert.are.same({ { "result.colour", "unknown_field" }, { "result.rollback.started", "unknown_field" } }, got)
    assert.matches("^result%.colour: unknown field", err.message)
    assert.matches("%(and 1 more%)$", err.message)
    assert.are.same({}, emu.requests("CHG-W10"))
  end)

  it("refuses results, rollbacks and success flags of the wrong type, and a missing sub-ticket", function()
    local client = emu.client()
    assert.are.same({ { "result", "type", "a table is required, got string" } },
      { h.only_problem(client:set_change_result("C", "S", "failed")) })
    assert.are.same({ { "result.rollback", "type", "a table is required, got boolean" } },
      { h.only_problem(client:set_change_result("C", "S", { rollback = true })) })
    assert.are.same({ { "result.success", "type", "a boolean is required, got string" } },
      { h.only_problem(client:set_change_result("C", "S", { success = "yes" })) })
    for _, call in ipairs({ "start_change", "end_change", "set_change_result" }) do
      assert.are.same({ { "sub_ticket_id", "type", "a sub-ticket id is required" } },
        { h.only_problem(client[call](client, "C", nil, {})) })
    end
    assert.are.equal(0, emu.stats().requests)
  end)

  it("leaves the reference's rules to the core's validator", function()
    local ok, err = emu.client():set_change_result("CHG-W11", "S", {
      comment = h.chars(101, "é"), rollback = { started_at = 1742888808.5, ended_at = 0 },
    })
    assert.is_nil(ok)
    local got = {}
    for i, p in ipairs(err.errors) do got[i] = { p.path, p.rule } end
    assert.are.same({
      { "sub_tickets[1].comment", "length" },
      { "sub_tickets[1].rollback_end_time", "range" },
    }, got)
    assert.are.equal(0, emu.stats().requests)
    -- 1742888808.5 s is 1742888808500 ms: an integer, accepted
    assert(emu.client():set_change_result("CHG-W11", "S", { rollback = { started_at = 1742888808.5 } }))
    assert.are.equal(1742888808500, bodies("CHG-W11")[1].sub_tickets[1].rollback_start_time)
  end)
end)

describe("workflow.cut", function()
  it("cuts to characters, never inside one, and makes the text valid UTF-8", function()
    assert.are.equal(h.chars(100, "é"), workflow.cut(h.chars(150, "é"), 100))
    assert.are.equal("ab", workflow.cut("ab", 100))
    assert.are.equal("a€b?", workflow.cut("a€b\255c", 4))
    assert.are.equal("?????", workflow.cut("\237\160\128\192\175", 10)) -- a surrogate, an overlong
    assert.are.equal("𝄞???", workflow.cut("𝄞\240\157\132", 5))      -- a cut-off 4-byte character: 3 bytes
    assert.are.equal("", workflow.cut("abc", 0))
  end)
end)

describe("client:run_change", function()
  it("starts, runs, ends, records success and closes", function()
    local calls, seen = {}, {}
    local client = emu.client()
    local report = assert(client:run_change("CHG-R1", "SUB-1", function(c, id, sub)
      calls[#calls + 1] = { c == client, id, sub, #emu.requests("CHG-R1") }
    end, { on_step = function(s) seen[#seen + 1] = s.name end }))
    assert.are.same({ { true, "CHG-R1", "SUB-1", 1 } }, calls)
    assert.are.same({ "start", "run", "end", "result", "close" }, step_names(report))
    assert.are.same({ "start", "run", "end", "result", "close" }, seen)
    assert.is_true(report.success)
    assert.is_nil(report.error)
    assert.are.equal("CHG-R1", report.change_id)
    assert.are.equal(200, report.steps[5].result.status)
    assert.are.same({
      start_body("SUB-1"), end_body("SUB-1"),
      result_body({ ticket_id = "SUB-1", change_result = "change_result_success" }),
      REF_CLOSE,
    }, bodies("CHG-R1"))
    local state = emu.change("CHG-R1")
    assert.are.equal("phase_change_end", state.phase)
    assert.are.equal("COMPLETE", state.work_flow_status)
    assert.are.same({ "change_start_change_success", "change_end_change_success",
      "change_set_change_result_success", "change_complete_success" }, history("CHG-R1"))
  end)

  it("records `false, message` as a failure with opts.fail_type, and closes with opts.status", function()
    local report = assert(emu.client():run_change("CHG-R2", "S", function() return false, "health check failed" end,
      { fail_type = "fr_dependent_service_issue", status = "FAILED" }))
    assert.is_false(report.success)
    assert.are.equal("health check failed", report.error)
    assert.are.same({ "start", "run!", "end", "result", "close" }, step_names(report))
    local b = bodies("CHG-R2")
    assert.are.same(result_body({ ticket_id = "S", change_result = "change_result_failed",
      comment = "health check failed", change_fail_type = "fr_dependent_service_issue" }), b[3])
    assert.are.equal("FAILED", b[4].ticket_info.work_flow_status)
  end)

  it("records `nil, message` as a failure and a plain true or nil as success", function()
    local client = emu.client()
    assert.is_false(assert(client:run_change("CHG-R3", "S", function() return nil, "no" end)).success)
    assert.is_true(assert(client:run_change("CHG-R4", "S", function() return true end)).success)
    assert.is_true(assert(client:run_change("CHG-R5", "S", function() return nil end)).success)
    assert.are.equal("change_result_failed", bodies("CHG-R3")[3].sub_tickets[1].change_result)
    assert.are.equal("no", bodies("CHG-R3")[3].sub_tickets[1].comment)
    assert.are.equal("change_result_success", bodies("CHG-R4")[3].sub_tickets[1].change_result)
  end)

  it("records fn raising an error as a failed change, the message cut to 100 characters", function()
    local long = h.chars(150, "ж")
    local report = assert(emu.client():run_change("CHG-R6", "S", function() error(long, 0) end))
    assert.is_false(report.success)
    assert.are.equal(long, report.error)
    local sub = bodies("CHG-R6")[3].sub_tickets[1]
    assert.are.equal(h.chars(100, "ж"), sub.comment)
    assert.are.equal("change_result_failed", sub.change_result)
    assert.are.equal("change_complete_success", history("CHG-R6")[4])
  end)

  it("records an error object raised by fn by its tostring, made valid UTF-8", function()
    local e = setmetatable({}, { __tostring = function() return "disk \255full" end })
    local report = assert(emu.client():run_change("CHG-R7", "S", function() error(e) end))
    assert.are.equal("disk \255full", report.error)
    assert.are.equal("disk ?full", bodies("CHG-R7")[3].sub_tickets[1].comment)
  end)

  it("records the result table fn returns, its rollback winning over opts.rollback", function()
    local rollback_calls = 0
    local report = assert(emu.client():run_change("CHG-R8", "{{sub_ticket_id}}", function()
      return ref_result(1742888808, 1742975208)
    end, { rollback = function() rollback_calls = rollback_calls + 1 end }))
    assert.is_false(report.success)
    assert.are.equal("111", report.error)
    assert.are.equal(0, rollback_calls)
    assert.are.same(REF_RESULT, bodies("CHG-R8")[3])
  end)

  it("times a rollback function and records its success", function()
    local args
    local before = os.time()
    local report = assert(emu.client():run_change("CHG-R9", "S", function() error("bad config", 0) end, {
      rollback = function(...) args = { ... } end,
    }))
    local after = os.time()
    assert.are.same({ "start", "run!", "rollback", "end", "result", "close" }, step_names(report))
    assert.are.equal("bad config", args[1])
    assert.are.same({ "CHG-R9", "S" }, { args[3], args[4] })
    local sub = bodies("CHG-R9")[3].sub_tickets[1]
    assert.is_true(sub.is_rollback_success)
    assert.is_true(sub.rollback_start_time >= before * 1000 and sub.rollback_start_time <= after * 1000)
    assert.is_true(sub.rollback_end_time >= sub.rollback_start_time and sub.rollback_end_time <= after * 1000)
    assert.are.equal(0, sub.rollback_start_time % 1000)
    assert.are.equal("bad config", sub.comment)
  end)

  it("uses the times a rollback function returns, and records a raising one as failed", function()
    local client = emu.client()
    assert(client:run_change("CHG-R10", "S", function() return false, "x" end, {
      rollback = function() return { started_at = 1742888808, ended_at = 1742975208000 } end,
    }))
    local sub = bodies("CHG-R10")[3].sub_tickets[1]
    assert.are.same({ 1742888808000, 1742975208000, true },
      { sub.rollback_start_time, sub.rollback_end_time, sub.is_rollback_success })

    local report = assert(client:run_change("CHG-R11", "S", function() return false, "x" end, {
      rollback = function() error("rollback script missing", 0) end,
    }))
    assert.are.same({ "start", "run!", "rollback!", "end", "result", "close" }, step_names(report))
    assert.are.equal("rollback script missing", report.steps[3].err)
    assert.is_false(bodies("CHG-R11")[3].sub_tickets[1].is_rollback_success)

    assert(client:run_change("CHG-R12", "S", function() return false, "x" end, { rollback = function() return false end }))
    assert.is_false(bodies("CHG-R12")[3].sub_tickets[1].is_rollback_success)
  end)

  it("takes opts.rollback as a table, and runs no rollback on success", function()
    local client = emu.client()
    assert(client:run_change("CHG-R13", "S", function() return false, "x" end, {
      rollback = { started_at = 1742888808000, ended_at = 1742975208, success = false },
    }))
    local sub = bodies("CHG-R13")[3].sub_tickets[1]
    assert.are.same({ 1742888808000, 1742975208000, false },
      { sub.rollback_start_time, sub.rollback_end_time, sub.is_rollback_success })
    local called = false
    local report = assert(client:run_change("CHG-R14", "S", function() end, { rollback = function() called = true end }))
    assert.is_false(called)
    assert.are.same({ "start", "run", "end", "result", "close" }, step_names(report))
    assert.is_nil(bodies("CHG-R14")[3].sub_tickets[1].is_rollback_success)
  end)

  it("stops when start fails, without running fn", function()
    emu.fault({ match = "CHG-R15", status = 503 })
    local ran = false
    local ok, err = emu.client():run_change("CHG-R15", "S", function() ran = true end)
    assert.is_nil(ok)
    assert.is_false(ran)
    assert.are.equal("start", err.step)
    assert.are.equal("api", err.kind)
    assert.are.equal("EMU.503", err.code)
    assert.are.equal(503, err.status)
    assert.are.equal("api", err.cause.kind)
    assert.are.equal(503, err.cause.status)
    assert.are.equal('step "start" failed: injected', err.message)
    assert.matches('^lua%-coc: api error %(HTTP 503%) EMU%.503: step "start" failed: injected', tostring(err))
    assert.are.same({ "start!" }, step_names(err.report))
    assert.are.equal(1, #emu.requests("CHG-R15"))
  end)

  it("stops when end fails, keeping the work's outcome in the report", function()
    local ok, err = emu.client():run_change("CHG-R16", "S", function()
      emu.fault({ match = "CHG-R16", status = 401, body = '{"error_code":"APIGW.0301","error_msg":"bad"}' })
      error("deploy failed", 0)
    end)
    assert.is_nil(ok)
    assert.are.equal("end", err.step)
    assert.are.equal("auth", err.kind)
    assert.are.equal("APIGW.0301", err.cause.code)
    assert.are.same({ "start", "run!", "end!" }, step_names(err.report))
    assert.are.equal("deploy failed", err.report.error)
    assert.are.equal(2, #emu.requests("CHG-R16"))
  end)

  it("stops when the result is refused by the validator, with the cause's problems", function()
    local ok, err = emu.client():run_change("CHG-R17", "S", function()
      return { success = false, comment = h.chars(101) }
    end)
    assert.is_nil(ok)
    assert.are.equal("result", err.step)
    assert.are.equal("validation", err.kind)
    assert.are.equal("sub_tickets[1].comment", err.cause.errors[1].path)
    assert.are.equal(2, #emu.requests("CHG-R17"))
  end)

  it("stops when close fails on the network", function()
    local ok, err = emu.client():run_change("CHG-R18", "S", function() end, {
      on_step = function(s) if s.name == "result" then emu.fault({ match = "CHG-R18", reset_mid_body = true }) end end,
    })
    assert.is_nil(ok)
    assert.are.equal("close", err.step)
    assert.are.equal("network", err.kind)
    assert.are.equal("COC.CONNECTION", err.code)
    assert.are.same({ "start", "run", "end", "result", "close!" }, step_names(err.report))
    assert.are.equal(4, #emu.requests("CHG-R18"))
    assert.are.equal("phase_change_draft", emu.change("CHG-R18").phase)
  end)

  it("refuses a fn that cannot be called, sending nothing", function()
    assert.are.same({ { "fn", "type", "a function is required, got string" } },
      { h.only_problem(emu.client():run_change("CHG-R19", "S", "deploy")) })
    assert.are.equal(0, emu.stats().requests)
    local callable = setmetatable({}, { __call = function() end })
    assert.is_true(assert(emu.client():run_change("CHG-R19", "S", callable)).success)
  end)
end)
