-- A release script: runs one change end to end with client:run_change and
-- prints each step as it happens: start the change on its sub-ticket, run
-- the deploy command, end the change, record the result, close the ticket.
--
--   lua5.4 examples/release.lua CHANGE_ID SUB_TICKET_ID [DEPLOY_COMMAND]
--
-- DEPLOY_COMMAND is a shell command (default: one that prints a line); its
-- failure is recorded as a failed change, and the ticket is still closed.
-- Configuration comes from the environment, as for the official SDKs:
-- HUAWEICLOUD_SDK_AK, _SK, _DOMAIN_ID, and HUAWEICLOUD_SDK_REGION_COC_CN_NORTH_4
-- for the endpoint (scripts/demo points them at the local emulator).
-- Exit status: 0 the change succeeded, 1 it failed (and was recorded so),
-- 2 a step could not be sent (the error says which).
local coc = require "coc"

local change_id, sub_ticket = arg[1], arg[2]
local command = arg[3] or "echo 'deploying release 1.4.2 ... done'"
if not change_id or not sub_ticket then
  io.stderr:write("usage: release.lua CHANGE_ID SUB_TICKET_ID [DEPLOY_COMMAND]\n")
  os.exit(2)
end

-- Runs a shell command: true, or false and "exit N" / "signal N". Lua 5.1
-- and LuaJIT give the raw wait status, 5.2+ give (true | nil, how, code).
local function shell(cmd)
  io.stdout:flush()
  local ok, how, code = os.execute(cmd)
  if type(ok) == "number" then
    if ok % 256 == 0 then how, code = "exit", math.floor(ok / 256) else how, code = "signal", ok % 128 end
    return ok == 0, ("%s %d"):format(how, code)
  end
  return ok == true, ("%s %s"):format(tostring(how), tostring(code))
end

local client = assert(coc.new({ region = "cn-north-4", max_retries = 2 }))
print(("release: change %s, sub-ticket %s, at %s"):format(change_id, sub_ticket, client.endpoint))

local function show(step)
  local detail
  if step.name == "run" then
    detail = step.ok and "the deploy command succeeded" or ("the deploy failed: " .. step.err)
  elseif step.ok then
    detail = ("HTTP %d %s (request id %s)"):format(step.result.status, step.result.error_code, step.result.request_id)
  else
    detail = tostring(step.err)
  end
  print(("  %-7s %-6s %s"):format(step.name, step.ok and "ok" or "FAILED", detail))
end

local report, err = client:run_change(change_id, sub_ticket, function()
  local ok, how = shell(command)
  if not ok then return false, ("deploy command failed (%s)"):format(how) end
end, { on_step = show })
client:close()

if not report then
  io.stderr:write(("release: stopped at step %q:\n%s\n"):format(err.step, tostring(err)))
  os.exit(2)
end
print(("release: the change %s and the ticket is closed"):format(report.success and "succeeded" or "failed"))
os.exit(report.success and 0 or 1)
