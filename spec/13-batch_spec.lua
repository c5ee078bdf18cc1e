-- client:update_changes: many updates at once over libcurl's multi
-- interface, against the emulator.
local h = require "helpers"

local emu = h.emulator()
local CLOSE = { history_info = { action = "change_complete_success" },
  ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" } }

before_each(function() emu.reset() end)

local function list_of(n, prefix)
  local list = {}
  for i = 1, n do list[i] = { (prefix or "B-") .. i, CLOSE } end
  return list
end

describe("client:update_changes", function()
  it("updates every item, results in input order, over at most `concurrency` connections", function()
    local client = emu.client()
    local progress = {}
    local outcomes, summary = client:update_changes(list_of(40), { concurrency = 4,
      on_progress = function(done, total, index, outcome)
        progress[#progress + 1] = { done, total, index, outcome.ok }
      end })
    assert.are.same({ succeeded = 40, failed = 0 }, summary)
    assert.are.equal(40, #outcomes)
    for i = 1, 40 do
      assert.is_true(outcomes[i].ok)
      assert.are.equal("GOM.00000000", outcomes[i].result.error_code)
      assert.are.equal("phase_change_end", emu.change("B-" .. i).phase)
    end
    assert.are.equal(40, #progress)
    for n, p in ipairs(progress) do
      assert.are.equal(n, p[1])
      assert.are.equal(40, p[2])
    end
    local stats = emu.stats()
    assert.are.equal(40, stats.requests)
    assert.is_true(stats.connections <= 4, "more connections than the concurrency: " .. stats.connections)
  end)

  it("keeps its connections for the next batch", function()
    local client = emu.client()
    client:update_changes(list_of(8), { concurrency = 2 })
    client:update_changes(list_of(8, "C-"), { concurrency = 2 })
    assert.are.equal(2, emu.stats().connections)
  end)

  it("validates every item before sending any, naming each bad one", function()
    local list = list_of(5)
    list[2] = { "", CLOSE }
    list[4] = { change_id = "B-4", body = { sub_tickets = { { comment = string.rep("x", 101) } } } }
    local outcomes, err = emu.client():update_changes(list)
    assert.is_nil(outcomes)
    assert.are.equal("validation", err.kind)
    assert.are.same({
      { path = "list[2].change_id", rule = "length", message = "0 characters, at least 1 required" },
      { path = "list[4].sub_tickets[1].comment", rule = "length", message = "101 characters, at most 100 allowed" },
    }, err.errors)
    assert.are.equal("2 problems in the list; nothing was sent", err.message)
    assert.are.equal(0, emu.stats().requests)
  end)

  it("never loses the other results when some items fail", function()
    emu.fault({ match = "B-2", status = 400, body = '{"error_code":"GOM.00007256","error_msg":"Parameter error"}' })
    -- every time: libcurl itself resends once when a reused connection dies unanswered
    emu.fault({ match = "B-4", drop = true, times = -1 })
    local outcomes, summary = emu.client():update_changes(list_of(6), { concurrency = 3 })
    assert.are.same({ succeeded = 4, failed = 2 }, summary)
    assert.are.equal("api", outcomes[2].err.kind)
    assert.are.equal("GOM.00007256", outcomes[2].err.code)
    assert.are.equal("network", outcomes[4].err.kind)
    for _, i in ipairs({ 1, 3, 5, 6 }) do assert.is_true(outcomes[i].ok) end
  end)

  it("retries each item as configured, counted on the server", function()
    emu.fault({ match = "B-1", status = 503, times = 2 })
    emu.fault({ match = "B-3", status = 429, retry_after = "1" })
    local outcomes, summary = emu.client({ max_retries = 3, retry_base = 0.001 })
      :update_changes(list_of(3), { concurrency = 3 })
    assert.are.same({ succeeded = 3, failed = 0 }, summary)
    assert.are.equal(3, outcomes[1].result.attempts)
    assert.are.equal(1, outcomes[2].result.attempts)
    assert.are.equal(2, outcomes[3].result.attempts)
    local by = emu.stats().by_change
    assert.are.same({ 3, 1, 2 }, { by["B-1"], by["B-2"], by["B-3"] })
  end)

  it("stops when on_progress raises, and raises that error", function()
    local client = emu.client()
    local ok, err = pcall(client.update_changes, client, list_of(10), { concurrency = 1,
      on_progress = function(done) if done == 3 then error("stop here", 0) end end })
    assert.is_false(ok)
    assert.are.equal("stop here", err)
    assert.is_true(emu.stats().requests < 10)
    assert(client:update_change("AFTER", CLOSE)) -- still usable
  end)

  it("accepts an empty list and refuses a bad concurrency", function()
    local outcomes, summary = emu.client():update_changes({})
    assert.are.same({}, outcomes)
    assert.are.same({ succeeded = 0, failed = 0 }, summary)
    assert.has_error(function() emu.client():update_changes(list_of(1), { concurrency = 0 }) end)
  end)
end)
