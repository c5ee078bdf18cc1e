-- Every constraint of the reference's Tables 1-5, each violated at both
-- edges with the exact path, rule and message asserted.
local coc = require "coc"
local h = require "helpers"

local PHASES = "phase_change_end, phase_change_cancel, phase_change_draft, phase_change_implement, "
  .. "phase_change_apply, phase_change_approve, phase_change_close"
local ACTIONS = "change_start_change_success, change_end_change_success, "
  .. "change_set_change_result_success, change_complete_success"

-- Each string field: where it lives, its path, and its range in characters.
local function in_ticket_info(name)
  return function(v) return { ticket_info = { [name] = v } } end, "ticket_info." .. name
end
local function in_sub_ticket(name)
  return function(v) return { sub_tickets = { { ticket_id = "s1" }, { [name] = v } } } end,
    "sub_tickets[2]." .. name
end

local free_strings = {
  { "work_flow_status", in_ticket_info, 0, 255 },
  { "ticket_id", in_sub_ticket, 0, 100 },
  { "change_result", in_sub_ticket, 1, 100 },
  { "verified_docs", in_sub_ticket, 0, 1000 },
  { "comment", in_sub_ticket, 0, 100 },
  { "change_fail_type", in_sub_ticket, 1, 100 },
}

describe("the change_id path parameter (Table 1)", function()
  it("accepts 1 and 50 characters", function()
    assert.is_true(coc.validate("C", {}))
    assert.is_true(coc.validate(h.chars(50), {}))
    assert.is_true(coc.validate(h.chars(50, "漢"), {}))
  end)

  it("refuses an empty change_id", function()
    assert.are.same({ "change_id", "length", "0 characters, at least 1 required" },
      h.only_problem(coc.validate("", {})))
  end)

  it("refuses 51 characters", function()
    assert.are.same({ "change_id", "length", "51 characters, at most 50 allowed" },
      h.only_problem(coc.validate(h.chars(51), {})))
  end)

  it("refuses a change_id that is not a string, without coercing numbers", function()
    assert.are.same({ "change_id", "type", "expected string, got integer" }, h.only_problem(coc.validate(42, {})))
    assert.are.same({ "change_id", "type", "expected string, got nil" }, h.only_problem(coc.validate(nil, {})))
  end)
end)

describe("the string fields of Tables 3 and 4", function()
  for _, f in ipairs(free_strings) do
    local name, place, min, max = f[1], f[2], f[3], f[4]
    local body, path = place(name)

    it(name .. " accepts " .. min .. " and " .. max .. " characters", function()
      assert.is_true(coc.validate("C1", body(h.chars(min))))
      assert.is_true(coc.validate("C1", body(h.chars(max))))
      assert.is_true(coc.validate("C1", body(h.chars(max, "é"))))
    end)

    it(name .. " refuses " .. (max + 1) .. " characters", function()
      assert.are.same({ path, "length", (max + 1) .. " characters, at most " .. max .. " allowed" },
        h.only_problem(coc.validate("C1", body(h.chars(max + 1)))))
    end)

    if min > 0 then
      it(name .. " refuses an empty string", function()
        assert.are.same({ path, "length", "0 characters, at least 1 required" },
          h.only_problem(coc.validate("C1", body(""))))
      end)
    end

    it(name .. " refuses a number instead of a string", function()
      assert.are.same({ path, "type", "expected string, got integer" }, h.only_problem(coc.validate("C1", body(7))))
    end)
  end
end)

describe("ticket_info.phase (Table 3)", function()
  local all = {
    "phase_change_end", "phase_change_cancel", "phase_change_draft", "phase_change_implement",
    "phase_change_apply", "phase_change_approve", "phase_change_close",
  }

  it("accepts each of the seven values", function()
    for _, v in ipairs(all) do
      assert.is_true(coc.validate("C1", { ticket_info = { phase = v } }))
    end
  end)

  it("refuses any other value, naming the allowed ones", function()
    assert.are.same({ "ticket_info.phase", "enum", '"PHASE_CHANGE_END" is not one of: ' .. PHASES },
      h.only_problem(coc.validate("C1", { ticket_info = { phase = "PHASE_CHANGE_END" } })))
    assert.are.same({ "ticket_info.phase", "enum", '"" is not one of: ' .. PHASES },
      h.only_problem(coc.validate("C1", { ticket_info = { phase = "" } })))
  end)

  it("refuses 256 characters as too long before checking the values", function()
    assert.are.same({ "ticket_info.phase", "length", "256 characters, at most 255 allowed" },
      h.only_problem(coc.validate("C1", { ticket_info = { phase = h.chars(256) } })))
  end)

  it("shows a long wrong value cut short", function()
    local p = h.only_problem(coc.validate("C1", { ticket_info = { phase = h.chars(255) } }))
    assert.are.same({ "ticket_info.phase", "enum", '"' .. h.chars(40) .. '..." is not one of: ' .. PHASES }, p)
  end)
end)

describe("history_info.action (Table 5)", function()
  it("accepts each of the four values", function()
    for v in ACTIONS:gmatch("[%w_]+") do
      assert.is_true(coc.validate("C1", { history_info = { action = v } }))
    end
  end)

  it("refuses an empty action", function()
    assert.are.same({ "history_info.action", "length", "0 characters, at least 1 required" },
      h.only_problem(coc.validate("C1", { history_info = { action = "" } })))
  end)

  it("refuses 1001 characters", function()
    assert.are.same({ "history_info.action", "length", "1001 characters, at most 1000 allowed" },
      h.only_problem(coc.validate("C1", { history_info = { action = h.chars(1001) } })))
  end)

  it("refuses a value outside the enum", function()
    assert.are.same({ "history_info.action", "enum", '"change_started" is not one of: ' .. ACTIONS },
      h.only_problem(coc.validate("C1", { history_info = { action = "change_started" } })))
  end)
end)

describe("the rollback times (Table 4)", function()
  for _, name in ipairs({ "rollback_start_time", "rollback_end_time" }) do
    local body, path = in_sub_ticket(name)

    it(name .. " accepts 1 and 9999999999999", function()
      assert.is_true(coc.validate("C1", body(1)))
      assert.is_true(coc.validate("C1", body(9999999999999)))
    end)

    it(name .. " refuses 0 and 10000000000000", function()
      assert.are.same({ path, "range", "0 is out of range 1..9999999999999" }, h.only_problem(coc.validate("C1", body(0))))
      assert.are.same({ path, "range", "10000000000000 is out of range 1..9999999999999" },
        h.only_problem(coc.validate("C1", body(10000000000000))))
      assert.are.same({ path, "range", "-5 is out of range 1..9999999999999" }, h.only_problem(coc.validate("C1", body(-5))))
    end)

    it(name .. " refuses a fraction, a string and NaN", function()
      assert.are.same({ path, "type", "expected integer, got 1.5" }, h.only_problem(coc.validate("C1", body(1.5))))
      assert.are.same({ path, "type", "expected integer, got string" },
        h.only_problem(coc.validate("C1", body("1742888808000"))))
      local p = h.only_problem(coc.validate("C1", body(0 / 0)))
      assert.are.equal(path, p[1])
      assert.are.equal("type", p[2])
      assert.matches("^expected integer, got %-?nan", p[3])
    end)

    it(name .. " accepts an integral float, as Lua 5.1 and LuaJIT have no other numbers", function()
      assert.is_true(coc.validate("C1", body(1742888808000.0)))
    end)
  end
end)

describe("the boolean fields (Table 4)", function()
  for _, name in ipairs({ "is_verified_in_change_time", "is_rollback_success", "is_monitor_found" }) do
    local body, path = in_sub_ticket(name)

    it(name .. " accepts true and false", function()
      assert.is_true(coc.validate("C1", body(true)))
      assert.is_true(coc.validate("C1", body(false)))
    end)

    it(name .. " refuses a string or a number, without coercing", function()
      assert.are.same({ path, "type", "expected boolean, got string" }, h.only_problem(coc.validate("C1", body("true"))))
      assert.are.same({ path, "type", "expected boolean, got integer" }, h.only_problem(coc.validate("C1", body(1))))
    end)
  end
end)

describe("the containers (Table 2)", function()
  it("refuses a ticket_info or history_info that is not an object", function()
    assert.are.same({ "ticket_info", "type", "expected object, got string" },
      h.only_problem(coc.validate("C1", { ticket_info = "x" })))
    assert.are.same({ "history_info", "type", "expected object, got array" },
      h.only_problem(coc.validate("C1", { history_info = { "change_complete_success" } })))
  end)

  it("refuses sub_tickets that is not an array, and items that are not objects", function()
    assert.are.same({ "sub_tickets", "type", "expected array, got object" },
      h.only_problem(coc.validate("C1", { sub_tickets = { ticket_id = "x" } })))
    assert.are.same({ "sub_tickets[2]", "type", "expected object, got string" },
      h.only_problem(coc.validate("C1", { sub_tickets = { {}, "x" } })))
  end)

  it("refuses a body that is not a table", function()
    assert.are.same({ "body", "type", "expected object, got string" }, h.only_problem(coc.validate("C1", "{}")))
    assert.are.same({ "body", "type", "expected object, got nil" }, h.only_problem(coc.validate("C1")))
  end)

  it("accepts an empty body and empty containers", function()
    assert.is_true(coc.validate("C1", {}))
    assert.is_true(coc.validate("C1", { ticket_info = {}, sub_tickets = {}, history_info = {} }))
  end)

  it("accepts an explicit null for any field", function()
    assert.is_true(coc.validate("C1", {
      ticket_info = { phase = coc.null, work_flow_status = coc.null },
      sub_tickets = { { verified_docs = coc.null, rollback_start_time = coc.null, is_monitor_found = coc.null } },
      history_info = coc.null,
    }))
  end)
end)
