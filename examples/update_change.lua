-- Drives one change ticket through the reference's three steps against a
-- COC endpoint: end the change, record its result, close it.
-- Configuration comes from the environment, as for the official SDKs:
-- HUAWEICLOUD_SDK_AK, _SK, _DOMAIN_ID and HUAWEICLOUD_SDK_REGION_COC_CN_NORTH_4
-- (scripts/demo points them at the local emulator).
local coc = require "coc"

local change_id = arg[1] or ("CHG-DEMO-" .. os.time())
local sub_ticket = "92f0c22f-4ca4-4cbe-89cf-281aed331f50"

local client = assert(coc.new({ region = "cn-north-4", max_retries = 2 }))
print(("updating change %s at %s"):format(change_id, client.endpoint))

local steps = {
  { "end the change", {
    history_info = { action = "change_end_change_success" },
    sub_tickets = { { ticket_id = sub_ticket } },
  } },
  { "record its result", {
    sub_tickets = { {
      ticket_id = sub_ticket,
      change_result = "change_result_failed",
      verified_docs = coc.null,
      comment = "111",
      change_fail_type = "fr_dependent_service_issue",
      rollback_start_time = 1742888808000,
      rollback_end_time = 1742975208000,
      is_rollback_success = false,
      is_monitor_found = true,
    } },
    history_info = { action = "change_set_change_result_success" },
  } },
  { "close it", {
    history_info = { action = "change_complete_success" },
    ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
  } },
}

for i, step in ipairs(steps) do
  local res, err = client:update_change(change_id, step[2])
  if not res then
    io.stderr:write(("step %d (%s) failed:\n%s\n"):format(i, step[1], tostring(err)))
    os.exit(1)
  end
  print(("%d. %-18s HTTP %d %s (request id %s)"):format(i, step[1], res.status, res.error_code, res.request_id))
end
client:close()
