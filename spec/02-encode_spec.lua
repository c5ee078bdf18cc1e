-- The reference's request examples, JSON encoding, and round trips through
-- cjson.decode.
local coc = require "coc"
local cjson = require "cjson"
local h = require "helpers"

local EXAMPLE_END = [[{
    "history_info": { "action": "change_end_change_success" },
    "sub_tickets": [ { "ticket_id": " 92f0c22f-4ca4-4cbe-89cf-281aed331f50" } ]
}]]

-- the second as the reference prints it, stray fields included
local EXAMPLE_RESULT = h.reference.result_as_printed

local EXAMPLE_CLOSE = [[{
    "history_info": { "action": "change_complete_success" },
    "ticket_info": { "phase": "phase_change_end", "work_flow_status": "COMPLETE" }
}]]

describe("the reference's request examples", function()
  it("encodes the change-end example field for field", function()
    local body = cjson.decode(EXAMPLE_END)
    assert.is_true(coc.validate("C1", body))
    local json = assert(coc.encode("C1", body))
    assert.are.equal('{"sub_tickets":[{"ticket_id":" 92f0c22f-4ca4-4cbe-89cf-281aed331f50"}],'
      .. '"history_info":{"action":"change_end_change_success"}}', json)
    assert.are.same(body, cjson.decode(json))
  end)

  it("encodes the close example field for field", function()
    local body = cjson.decode(EXAMPLE_CLOSE)
    local json = assert(coc.encode("C1", body))
    assert.are.equal('{"ticket_info":{"phase":"phase_change_end","work_flow_status":"COMPLETE"},'
      .. '"history_info":{"action":"change_complete_success"}}', json)
    assert.are.same(body, cjson.decode(json))
  end)

  it("rejects the change-result example by default, naming its two stray fields", function()
    h.assert_problems({
      { "sub_tickets[1].sub_tickets", "unknown_field", "unknown field here (it belongs at the top level of the body)" },
      { "sub_tickets[1].verified_docs1", "unknown_field", "unknown field (did you mean verified_docs?)" },
    }, coc.validate("C1", cjson.decode(EXAMPLE_RESULT)))
  end)

  it("accepts the change-result example when unknown fields are kept, passing them through", function()
    local body = cjson.decode(EXAMPLE_RESULT)
    assert.is_true(coc.validate("C1", body, { unknown_fields = "keep" }))
    local json = assert(coc.encode("C1", body, { unknown_fields = "keep" }))
    local back = cjson.decode(json)
    assert.are.equal("e67a0d67-310e-4abd-9b35-43eacf681358", back.sub_tickets[1].verified_docs1)
    assert.are.equal(cjson.null, back.sub_tickets[1].verified_docs)
    assert.are.equal(1742888808000, back.sub_tickets[1].rollback_start_time)
    assert.is_false(back.sub_tickets[1].is_rollback_success)
    assert.are.same(body, back)
  end)

  it("drops unknown fields when asked, keeping the explicit null", function()
    local json = assert(coc.encode("C1", cjson.decode(EXAMPLE_RESULT), { unknown_fields = "drop" }))
    assert.are.equal('{"sub_tickets":[{"ticket_id":"{{sub_ticket_id}}","change_result":"change_result_failed",'
      .. '"verified_docs":null,"comment":"111","change_fail_type":"fr_dependent_service_issue",'
      .. '"rollback_start_time":1742888808000,"rollback_end_time":1742975208000,"is_rollback_success":false,'
      .. '"is_monitor_found":true}],"history_info":{"action":"change_set_change_result_success"}}', json)
  end)
end)

describe("the JSON encoder", function()
  it("keeps sub_tickets an array even when empty", function()
    assert.are.equal('{"sub_tickets":[]}', coc.encode("C1", { sub_tickets = {} }))
    assert.are.equal('{"ticket_info":{}}', coc.encode("C1", { ticket_info = {} }))
  end)

  it("writes an empty table marked with coc.array as [] in kept fields", function()
    assert.are.equal('{"ticket_info":{"extra":[],"other":{}}}',
      coc.encode("C1", { ticket_info = { extra = coc.array(), other = {} } }, { unknown_fields = "keep" }))
  end)

  it("writes an explicit null where the caller passed cjson.null", function()
    assert.are.equal('{"ticket_info":{"work_flow_status":null},"history_info":null}',
      coc.encode("C1", { ticket_info = { work_flow_status = cjson.null }, history_info = cjson.null }))
  end)

  it("escapes quotes, backslashes and control characters, and keeps UTF-8 as is", function()
    local text = 'a"b\\c/d\n\r\t\b\f\1\31é漢😀'
    local json = assert(coc.encode("C1", { ticket_info = { work_flow_status = text } }))
    assert.are.equal('{"ticket_info":{"work_flow_status":"a\\"b\\\\c/d\\n\\r\\t\\b\\f\\u0001\\u001fé漢😀"}}', json)
    assert.are.equal(text, cjson.decode(json).ticket_info.work_flow_status)
  end)

  it("writes the same bytes whatever order the table was built in", function()
    local a, b = { sub_tickets = { {} } }, { sub_tickets = { {} } }
    local names = { "ticket_id", "comment", "change_result", "verified_docs", "change_fail_type" }
    for i = 1, #names do a.sub_tickets[1][names[i]] = "v" .. i end
    for i = #names, 1, -1 do b.sub_tickets[1][names[i]] = "v" .. i end
    assert.are.equal(coc.encode("C1", a), coc.encode("C1", b))
  end)

  it("round-trips a full body through cjson.decode", function()
    local body = {
      ticket_info = { phase = "phase_change_implement", work_flow_status = "RUNNING" },
      sub_tickets = {
        { ticket_id = "s1", change_result = "change_result_success", is_verified_in_change_time = true,
          verified_docs = "doc-1", comment = "ok", change_fail_type = "none", rollback_start_time = 1,
          rollback_end_time = 9999999999999, is_rollback_success = true, is_monitor_found = false },
        { ticket_id = "s2" },
      },
      history_info = { action = "change_start_change_success" },
    }
    local json = assert(coc.encode("C1", body))
    assert.are.same(body, cjson.decode(json))
  end)

  it("keeps numbers of kept fields exact", function()
    local json = coc.encode("C1", { history_info = { n = 0.1, big = 2 ^ 53, neg = -3 } }, { unknown_fields = "keep" })
    assert.are.equal('{"history_info":{"big":9007199254740992,"n":0.1,"neg":-3}}', json)
  end)

  it("returns the validation error instead of a body when the request is invalid", function()
    local json, err = coc.encode("C1", { history_info = { action = "nope" } })
    assert.is_nil(json)
    assert.are.equal("validation", err.kind)
    assert.are.equal("history_info.action", err.errors[1].path)
  end)
end)
