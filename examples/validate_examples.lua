-- Validates the API reference's three request examples and prints the JSON
-- each would send, or every problem found. Run: lua5.4 examples/validate_examples.lua
local coc = require "coc"

local examples = {
  {
    title = "The change is complete",
    body = {
      history_info = { action = "change_end_change_success" },
      sub_tickets = { { ticket_id = " 92f0c22f-4ca4-4cbe-89cf-281aed331f50" } },
    },
  },
  {
    title = "Add change result after the change plan is executed (as printed, with its stray fields)",
    body = {
      sub_tickets = { {
        ticket_id = "{{sub_ticket_id}}",
        sub_tickets = {},
        change_result = "change_result_failed",
        verified_docs1 = "e67a0d67-310e-4abd-9b35-43eacf681358",
        verified_docs = coc.null,
        comment = "111",
        change_fail_type = "fr_dependent_service_issue",
        rollback_start_time = 1742888808000,
        rollback_end_time = 1742975208000,
        is_rollback_success = false,
        is_monitor_found = true,
      } },
      history_info = { action = "change_set_change_result_success" },
    },
  },
  {
    title = "Close the change after all change plans are executed",
    body = {
      history_info = { action = "change_complete_success" },
      ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
    },
  },
}

for i, ex in ipairs(examples) do
  print(("%d. %s"):format(i, ex.title))
  local json, err = coc.encode("CHG-20261204-0001", ex.body)
  if json then
    print("   valid, sends: " .. json)
  else
    print("   " .. tostring(err):gsub("\n", "\n   "))
    json = assert(coc.encode("CHG-20261204-0001", ex.body, { unknown_fields = "drop" }))
    print("   with unknown_fields = \"drop\", sends: " .. json)
  end
end
