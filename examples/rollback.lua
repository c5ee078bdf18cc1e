-- A failed release that rolls back: the deploy command fails, the rollback
-- command runs (timed), and the change is recorded as failed with the
-- rollback's times and outcome, then closed.
--
--   lua5.4 examples/rollback.lua CHANGE_ID SUB_TICKET_ID [DEPLOY_COMMAND [ROLLBACK_COMMAND]]
--
-- The default deploy command fails on purpose; the default rollback command
-- succeeds. Configuration as for examples/release.lua.
-- Exit status: 0 the failure and its rollback were recorded, 1 the deploy
-- unexpectedly succeeded, 2 a step could not be sent.
local coc = require "coc"

local change_id, sub_ticket = arg[1], arg[2]
local deploy = arg[3] or "echo 'deploying release 1.4.3'; echo 'health check failed' >&2; exit 1"
local rollback = arg[4] or "echo 'rolling back to release 1.4.2 ... done'"
if not change_id or not sub_ticket then
  io.stderr:write("usage: rollback.lua CHANGE_ID SUB_TICKET_ID [DEPLOY_COMMAND [ROLLBACK_COMMAND]]\n")
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
print(("rollback run: change %s, sub-ticket %s, at %s"):format(change_id, sub_ticket, client.endpoint))

local report, err = client:run_change(change_id, sub_ticket, function()
  local ok, how = shell(deploy)
  if not ok then return false, ("deploy command failed (%s)"):format(how) end
end, {
  fail_type = "fr_dependent_service_issue",
  -- Called only when the work failed; run_change times it with os.time().
  rollback = function(reason)
    print("  rolling back because: " .. reason)
    return (shell(rollback))
  end,
  on_step = function(step)
    local detail, r = step.err, step.result
    if step.name == "rollback" then
      detail = ("from %s to %s (Unix seconds)%s"):format(r.started_at, r.ended_at, step.err and (": " .. step.err) or "")
    elseif r then
      detail = ("HTTP %d %s"):format(r.status, r.error_code)
    end
    print(("  %-8s %-6s %s"):format(step.name, step.ok and "ok" or "FAILED", tostring(detail)))
  end,
})
client:close()

if not report then
  io.stderr:write(("rollback run: stopped at step %q:\n%s\n"):format(err.step, tostring(err)))
  os.exit(2)
end
local r = report.result
print(("recorded: success=%s comment=%q rollback success=%s"):format(tostring(report.success), tostring(r.comment),
  tostring(r.rollback and r.rollback.success)))
os.exit(report.success and 1 or 0)
