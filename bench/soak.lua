-- Soak: many updates through one client, with faults sprinkled in, against
-- the emulator of COC_EMULATOR_* (emulator/start DIR && . DIR/env).
--
--   lua5.4 bench/soak.lua [COUNT]      (default 100000; scripts/test runs 3000)
--
-- Every 97th request is answered 503, every 101st dropped, every 1009th
-- delayed past the client's timeout (no retries: each fault is one call's
-- outcome). Checks: no crash; as many descriptors open after as before;
-- no connection left open once the client is closed; every call accounted
-- for (successes + failures == calls), each failure of an expected kind.
-- Prints the figures; exits 1 on any broken check.
package.path = "lua/?.lua;spec/?.lua;" .. package.path
package.cpath = (os.getenv("SOAK_CPATH") or "build/5.4/?.so") .. ";" .. package.cpath

local h = require "helpers"
local coc = require "coc"

local count = tonumber(arg[1] or "100000")
local emu = h.emulator()

local function pid()
  local f = assert(io.open("/proc/self/stat"))
  local id = f:read("*n")
  f:close()
  return id
end
local PID = pid()

local function descriptors()
  local p = assert(io.popen("ls /proc/" .. PID .. "/fd | wc -l"))
  local n = tonumber(p:read("*a"))
  p:close()
  return n
end

local function rss_kib()
  for line in io.lines("/proc/" .. PID .. "/status") do
    local kib = line:match("^VmRSS:%s+(%d+)")
    if kib then return tonumber(kib) end
  end
end

local BODY = {
  ticket_info = { phase = "phase_change_implement", work_flow_status = "RUNNING" },
  sub_tickets = { { ticket_id = "sub-1", change_result = "ok", comment = "soak", rollback_start_time = 1742888808000 } },
  history_info = { action = "change_start_change_success" },
}
local FAULTS = {
  { every = 1009, fault = { delay_ms = 700 }, expect = "timeout" },
  { every = 101, fault = { drop = true }, expect = "network" },
  { every = 97, fault = { status = 503 }, expect = "api" },
}

emu.reset()
local client = assert(coc.new({ endpoint = emu.url, ak = emu.ak, sk = emu.sk, domain_id = emu.domain_id,
  timeout = 0.4, deadline = 5 }))
-- one call first, so the connection (and libcurl's state) exists before counting
assert(client:update_change("SOAK-0", BODY))
collectgarbage()
local fd_before, rss_before = descriptors(), rss_kib()

local ok, failed, injected, kinds, unexpected = 0, 0, 0, {}, {}
local t0 = h.clock()
for i = 1, count do
  local expect
  for _, f in ipairs(FAULTS) do
    if i % f.every == 0 then
      emu.fault(f.fault)
      injected = injected + 1
      expect = f.expect
      break
    end
  end
  local res, err = client:update_change("SOAK-" .. (i % 16), BODY)
  if res then
    ok = ok + 1
  else
    failed = failed + 1
    kinds[err.kind] = (kinds[err.kind] or 0) + 1
    if err.kind ~= expect then
      unexpected[#unexpected + 1] = ("call %d: %s (expected %s)"):format(i, tostring(err), tostring(expect))
    end
  end
  if i % 20000 == 0 then
    io.write(("  %d calls, %.0f/s, rss %d KiB\n"):format(i, i / (h.clock() - t0), rss_kib()))
    io.flush()
  end
end
local elapsed = h.clock() - t0
collectgarbage()
local fd_after, rss_after = descriptors(), rss_kib()
local during = emu.stats()
client:close()

-- after close, the server's side of our connection goes away too
local active
local t1 = h.clock()
repeat
  active = emu.stats().active_connections
  if active <= 1 then break end -- the stats request itself
  require("socket").sleep(0.05)
until h.clock() - t1 > 5
local fd_closed = descriptors()

local kind_list = {}
for k, n in pairs(kinds) do kind_list[#kind_list + 1] = k .. " " .. n end
table.sort(kind_list)
print(("soak: %d calls in %.1f s (%.0f/s): %d succeeded, %d failed (%s); %d faults injected")
  :format(count, elapsed, count / elapsed, ok, failed, table.concat(kind_list, ", "), injected))
print(("soak: descriptors %d before, %d after, %d after close; connections seen %d, open after close %d")
  :format(fd_before, fd_after, fd_closed, during.connections, active - 1))
print(("soak: rss %d KiB before, %d KiB after; server counted %d requests"):format(rss_before, rss_after,
  during.requests))

local problems = {}
if ok + failed ~= count then problems[#problems + 1] = "calls unaccounted for" end
if failed > injected then problems[#problems + 1] = "more failures than injected faults" end
if #unexpected > 0 then problems[#problems + 1] = #unexpected .. " unexpected failures, first: " .. unexpected[1] end
if fd_after ~= fd_before then problems[#problems + 1] = "descriptors grew during the run" end
if fd_closed >= fd_before then problems[#problems + 1] = "closing the client released no descriptor" end
if active > 1 then problems[#problems + 1] = "connections left open after close" end
-- one connection, plus one per fault that ends a connection
if during.connections > 1 + injected then problems[#problems + 1] = "more connections than faults explain" end
if during.requests < count + 1 then problems[#problems + 1] = "the server saw fewer requests than were made" end
if #problems > 0 then
  for _, p in ipairs(problems) do io.stderr:write("soak: FAILED: ", p, "\n") end
  os.exit(1)
end
print("soak: ok")
