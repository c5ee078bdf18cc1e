-- The Lua binding: error objects, reporting every problem at once, UTF-8,
-- unknown fields, and hostile inputs that must give clear errors, never a
-- crash.
local coc = require "coc"
local h = require "helpers"

describe("a validation error", function()
  local ok, err = coc.validate("", {
    ticket_info = { phase = "phase_change_end" },
    sub_tickets = { { comment = h.chars(100) }, { comment = h.chars(101), rollback_end_time = 0 } },
  })

  it("is nil, err with kind, code, message and every problem", function()
    assert.is_nil(ok)
    assert.is_true(coc.is_error(err))
    assert.are.equal("validation", err.kind)
    assert.are.equal("COC.VALIDATION", err.code)
    assert.are.equal("change_id: 0 characters, at least 1 required (and 2 more)", err.message)
    assert.are.same({
      { path = "change_id", rule = "length", message = "0 characters, at least 1 required" },
      { path = "sub_tickets[2].comment", rule = "length", message = "101 characters, at most 100 allowed" },
      { path = "sub_tickets[2].rollback_end_time", rule = "range", message = "0 is out of range 1..9999999999999" },
    }, err.errors)
  end)

  it("prints every problem on its own line", function()
    assert.are.equal(table.concat({
      "lua-coc: validation error: 3 problems",
      "  change_id: 0 characters, at least 1 required [length]",
      "  sub_tickets[2].comment: 101 characters, at most 100 allowed [length]",
      "  sub_tickets[2].rollback_end_time: 0 is out of range 1..9999999999999 [range]",
    }, "\n"), tostring(err))
  end)

  it("lists at most 100 problems and counts the rest", function()
    local subs = {}
    for i = 1, 150 do subs[i] = { comment = h.chars(101) } end
    local _, e = coc.validate("C1", { sub_tickets = subs })
    assert.are.equal(100, #e.errors)
    assert.are.equal(50, e.omitted)
    assert.matches("\n  ... and 50 more$", tostring(e))
    assert.are.equal("sub_tickets[100].comment", e.errors[100].path)
  end)
end)

describe("UTF-8 text", function()
  local function status(v) return { ticket_info = { work_flow_status = v } } end

  it("counts multi-byte characters at the length limit", function()
    assert.is_true(coc.validate("C1", status(h.chars(255, "é"))))
    assert.is_true(coc.validate("C1", status(h.chars(255, "漢"))))
    assert.is_true(coc.validate("C1", status(h.chars(255, "😀"))))
    assert.are.same({ "ticket_info.work_flow_status", "length", "256 characters, at most 255 allowed" },
      h.only_problem(coc.validate("C1", status(h.chars(256, "😀")))))
  end)

  it("refuses invalid sequences, saying where", function()
    local cases = {
      { "\255", "bad byte 0xff at offset 0" },
      { "ab\192\175", "bad byte 0xc0 at offset 2" },           -- overlong '/'
      { "\237\160\128", "bad byte 0xed at offset 0" },        -- surrogate U+D800
      { "\244\144\128\128", "bad byte 0xf4 at offset 0" },    -- above U+10FFFF
      { "ok\226\130", "bad byte 0xe2 at offset 2" },          -- truncated
      { "\128", "bad byte 0x80 at offset 0" },                -- lone continuation
    }
    for _, c in ipairs(cases) do
      assert.are.same({ "ticket_info.work_flow_status", "utf8", "text is not valid UTF-8 (" .. c[2] .. ")" },
        h.only_problem(coc.validate("C1", status(c[1]))))
    end
  end)

  it("refuses a change_id that is not UTF-8", function()
    assert.are.same({ "change_id", "utf8", "text is not valid UTF-8 (bad byte 0xff at offset 1)" },
      h.only_problem(coc.validate("C\255", {})))
  end)
end)

describe("unknown fields", function()
  it("are errors by default, with a hint when a known name is close, after the known fields", function()
    h.assert_problems({
      { "sub_tickets[1].comentt", "unknown_field", "unknown field (did you mean comment?)" },
      { "sub_tickets[1].zzz", "unknown_field", "unknown field" },
      { "Ticket_Info", "unknown_field", "unknown field (did you mean ticket_info?)" },
      { "phase", "unknown_field", "unknown field here (it belongs in ticket_info)" },
    }, coc.validate("C1", { Ticket_Info = {}, phase = "x", sub_tickets = { { comentt = "c", zzz = 1 } } }))
  end)

  it("are named safely when the name is odd", function()
    assert.are.same({ 'ticket_info["a b\\"\\x0a"]', "unknown_field", "unknown field" },
      h.only_problem(coc.validate("C1", { ticket_info = { ['a b"\n'] = 1 } })))
  end)

  it("kept as given must still have a JSON form", function()
    h.assert_problems({
      { "ticket_info.f", "type", "a function has no JSON form" },
      { "ticket_info.inf", "type", "expected a finite number, got inf" },
      { 'ticket_info["\\xff"]', "utf8", "field name is not valid UTF-8 (bad byte 0xff at offset 0)" },
    }, coc.validate("C1", { ticket_info = { f = print, inf = math.huge, ["\255"] = 1 } }, { unknown_fields = "keep" }))
  end)

  it("are passed through by encode when kept, and omitted when dropped", function()
    local body = { ticket_info = { phase = "phase_change_end", custom = { 1, "two", true } } }
    assert.are.equal('{"ticket_info":{"phase":"phase_change_end","custom":[1,"two",true]}}',
      coc.encode("C1", body, { unknown_fields = "keep" }))
    assert.are.equal('{"ticket_info":{"phase":"phase_change_end"}}', coc.encode("C1", body, { unknown_fields = "drop" }))
  end)

  it("take an option that must be error, keep or drop", function()
    assert.has_error(function() coc.validate("C1", {}, { unknown_fields = "ignore" }) end)
    assert.has_error(function() coc.validate("C1", {}, "keep") end)
  end)
end)

describe("hostile input", function()
  it("gives a clear error for a sparse array", function()
    assert.are.same({ "sub_tickets", "type", "sparse array: 2 items but the highest index is 5" },
      h.only_problem(coc.validate("C1", { sub_tickets = { [1] = {}, [5] = {} } })))
  end)

  it("gives a clear error for a table mixing items and fields", function()
    assert.are.same({ "sub_tickets", "type", "a table that mixes array items and named fields has no JSON form" },
      h.only_problem(coc.validate("C1", { sub_tickets = { {}, ticket_id = "x" } })))
  end)

  it("gives a clear error for keys that are not strings", function()
    assert.are.same({ "ticket_info", "type", "a table with a boolean key has no JSON form" },
      h.only_problem(coc.validate("C1", { ticket_info = { [true] = 1 } })))
    assert.are.same({ "ticket_info", "type", "a table with a number key that is not an array index has no JSON form" },
      h.only_problem(coc.validate("C1", { ticket_info = { [1.5] = 1 } })))
  end)

  it("gives a clear error for a cycle", function()
    local t = { ticket_info = {} }
    t.ticket_info.again = t
    assert.are.same({ "ticket_info.again", "type", "a table that contains itself (cycle) has no JSON form" },
      h.only_problem(coc.validate("C1", t, { unknown_fields = "keep" })))
  end)

  it("gives a clear error for nesting too deep", function()
    local deep = {}
    local cur = deep
    for _ = 1, 100 do cur.x = {}; cur = cur.x end
    local p = h.only_problem(coc.validate("C1", { ticket_info = { deep = deep } }, { unknown_fields = "keep" }))
    assert.are.equal("limit", p[2])
    assert.are.equal("nested deeper than 32 levels", p[3])
  end)

  it("gives a clear error for values with no JSON form", function()
    h.assert_problems({
      { "ticket_info.co", "type", "a coroutine has no JSON form" },
      { "ticket_info.fn", "type", "a function has no JSON form" },
      { "ticket_info.ud", "type", "a userdata has no JSON form" },
    }, coc.validate("C1", { ticket_info = { fn = print, co = coroutine.create(function() end), ud = io.stdout } },
      { unknown_fields = "keep" }))
    assert.are.same({ "ticket_info.phase", "type", "a function has no JSON form" },
      h.only_problem(coc.validate("C1", { ticket_info = { phase = print } })))
  end)

  it("refuses a huge input with a limit error instead of exhausting memory", function()
    local subs = {}
    for i = 1, 70000 do subs[i] = { ticket_id = "a", comment = "b", change_result = "c" } end
    local _, err = coc.validate("C1", { sub_tickets = subs })
    assert.are.equal("validation", err.kind)
    assert.are.same({ path = "body", rule = "limit", message = "more than 200000 values" }, err.errors[1])
  end)

  it("refuses a body whose JSON would exceed 8 MiB", function()
    local big = string.rep("x", 9 * 1024 * 1024)
    local _, err = coc.validate("C1", { ticket_info = { extra = big } }, { unknown_fields = "keep" })
    assert.are.equal("limit", err.errors[1].rule)
    assert.matches("at most 8388608 allowed", err.errors[1].message)
  end)

  it("stays usable after every kind of failure", function()
    for _ = 1, 3 do
      coc.validate(nil, print)
      coc.validate("C1", { sub_tickets = { [3] = 1 } })
    end
    assert.are.equal('{"history_info":{"action":"change_complete_success"}}',
      coc.encode("C1", { history_info = { action = "change_complete_success" } }))
  end)
end)
