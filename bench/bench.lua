-- lua-coc benchmarks (issue 6). Prints figures and ratios measured in one
-- run; never fails on time. Run by `make bench` (full) or the test command
-- (short), which start bench/server and pass its ports:
--   lua bench/bench.lua full|short PORT SLOW_PORT BIN_DIR [part...]
-- parts: sequential prepare memory concurrency (default: all)
local coc = require "coc"
local socket = require "socket"

local mode, port, slow_port, bin = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4]
assert(mode == "full" or mode == "short", "usage: bench.lua full|short PORT SLOW_PORT BIN_DIR [part...]")
local short = mode == "short"
local parts = {}
for i = 5, #arg do parts[arg[i]] = true end
local all = next(parts) == nil
local interp = arg[-1] or "lua"
local VERSION = jit and jit.version or _VERSION

local url = ("http://127.0.0.1:%d"):format(port)
local slow_url = ("http://127.0.0.1:%d"):format(slow_port)
local now = socket.gettime
local unpack = table.unpack or unpack -- luacheck: ignore 143

local function client(endpoint)
  return assert(coc.new({ endpoint = endpoint, ak = "bench-ak", sk = "bench-secret-key", domain_id = "bench-domain" }))
end

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  assert(p:close(), "failed: " .. cmd)
  return out
end

local function line(fmt, ...) print(("  " .. fmt):format(...)) end

local CLOSE = { ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
  history_info = { action = "change_complete_success" } }

-- the reference's "add change result" example, without its two stray fields
local SMALL = { sub_tickets = { {
  ticket_id = "92f0c22f-4ca4-4cbe-89cf-281aed331f50", change_result = "change_result_failed",
  verified_docs = coc.null, comment = "111", change_fail_type = "fr_dependent_service_issue",
  rollback_start_time = 1742888808000, rollback_end_time = 1742975208000,
  is_rollback_success = false, is_monitor_found = true,
} }, history_info = { action = "change_set_change_result_success" } }

local LARGE = { sub_tickets = {}, history_info = { action = "change_set_change_result_success" } }
for i = 1, 100 do
  local t = {}
  for k, v in pairs(SMALL.sub_tickets[1]) do t[k] = v end
  t.ticket_id = ("sub-ticket-%03d-4ca4-4cbe-89cf-281aed331f50"):format(i)
  LARGE.sub_tickets[i] = t
end

print(("lua-coc %s benchmarks under %s (%s mode)"):format(coc._VERSION, VERSION, mode))

-- ---- sequential keep-alive throughput beside plain libcurl -------------
local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local m = #s
  return m % 2 == 1 and s[(m + 1) / 2] or (s[m / 2] + s[m / 2 + 1]) / 2
end

if all or parts.sequential then
  -- Paired rounds, the order alternating (ABBA), so that a load passing
  -- over the machine falls on both sides; the ratio is the median of the
  -- rounds' ratios, which one disturbed round cannot move.
  local rounds = short and 4 or 20
  local per = math.floor((short and 500 or 40000) / rounds)
  local c = client(url)
  for _ = 1, 200 do assert(c:update_change("CHG-1", CLOSE)) end
  local function mine()
    local t0 = now()
    for _ = 1, per do assert(c:update_change("CHG-1", CLOSE)) end
    return per / (now() - t0)
  end
  local function floor()
    return per / tonumber(sh(("%s/floor %s/v2/changes/CHG-1 %d lua-coc/%s"):format(bin, url, per, coc._VERSION)))
  end
  local ratios, mines, floors = {}, {}, {}
  for r = 1, rounds do
    local m, f
    if r % 2 == 1 then m = mine(); f = floor() else f = floor(); m = mine() end
    ratios[r], mines[r], floors[r] = m / f, m, f
  end
  print(("sequential keep-alive throughput (%d rounds of %d updates, medians)"):format(rounds, per))
  line("client:update_change %.0f/s, plain libcurl floor %.0f/s: ratio %.2f (rounds %.2f to %.2f) (target >= 0.90)",
    median(mines), median(floors), median(ratios), math.min(unpack(ratios)), math.max(unpack(ratios)))
  c:close()
end

-- ---- prepare cost beside its crypto alone -----------------------------
-- Interleaved rounds, the best of each side: the least disturbed figure of a
-- CPU-bound loop on a shared machine, taken the same way for both.
if all or parts.prepare then
  local rounds = 5
  print(("prepare cost: validate + serialize + sign, no network (best of %d interleaved rounds)"):format(rounds))
  local c = client(url)
  for _, case in ipairs({ { "small", SMALL, short and 2000 or 200000 }, { "large (100 sub-tickets)", LARGE,
    short and 200 or 20000 } }) do
    local name, body, n = case[1], case[2], case[3]
    local p = assert(c:prepare_update_change("CHG-1", body))
    for _ = 1, math.floor(n / 10) do c:prepare_update_change("CHG-1", body) end
    local bf, cf = os.tmpname(), os.tmpname()
    local f = assert(io.open(bf, "wb")); f:write(p.body); f:close()
    f = assert(io.open(cf, "wb")); f:write(p.canonical_request); f:close()
    local per, crypto, m = math.huge, math.huge, math.floor(n / rounds)
    for _ = 1, rounds do
      local t0 = now()
      for _ = 1, m do c:prepare_update_change("CHG-1", body) end
      per = math.min(per, (now() - t0) / m * 1e9)
      crypto = math.min(crypto, tonumber((sh(("%s/crypto %s %s %d"):format(bin, bf, cf, m)):match("^(%S+)"))))
    end
    os.remove(bf); os.remove(cf)
    line("%-24s %8.0f ns per call (%d bytes of JSON), crypto alone %6.0f ns: ratio %.2f%s", name, per, #p.body,
      crypto, per / crypto, name == "small" and " (target <= 4)" or "")
  end
  c:close()
end

-- ---- memory: RSS, descriptors, connections, allocations ---------------
local function status_kb(field)
  for l in io.lines("/proc/self/status") do
    local v = l:match("^" .. field .. ":%s+(%d+)")
    if v then return tonumber(v) end
  end
end
-- this process's descriptors, counted by a child shell listing its parent's
local function own_fds()
  return tonumber(sh("ls /proc/$PPID/fd | wc -l"):match("%d+"))
end
local function server_connections()
  local http = require "socket.http"
  local body = http.request(url .. "/status")
  return tonumber(body:match("Active connections:%s*(%d+)")) - 1 -- minus this status request's own
end

if all or parts.memory then
  local n = short and 2000 or 100000
  print(("memory: %d updates through one client"):format(n))
  local c = client(url)
  for _ = 1, 1000 do assert(c:update_change("CHG-1", CLOSE)) end
  collectgarbage("collect")
  local rss0, fd0, conn0 = status_kb("VmRSS"), own_fds(), server_connections()
  local ok = 0
  for _ = 1, n do if c:update_change("CHG-1", CLOSE) then ok = ok + 1 end end
  collectgarbage("collect")
  local peak, fd1, conn1 = status_kb("VmHWM"), own_fds(), server_connections()
  line("peak RSS growth %d KiB (target < 1024), descriptors %d -> %d, server connections %d -> %d, %d/%d ok",
    peak - rss0, fd0, fd1, conn0, conn1, ok, n)
  c:close()
  -- allocations per update: two child runs under a counting malloc shim
  local function allocs(count)
    local out = os.tmpname()
    sh(("MALLOC_COUNT_OUT=%s LD_PRELOAD=%s/malloc_count.so %s bench/allocs.lua %s %d"):format(
      out, bin, interp, url, count))
    local f = assert(io.open(out)); local v = tonumber(f:read("*a")); f:close(); os.remove(out)
    return v
  end
  local a1, a2 = allocs(1000), allocs(3000)
  line("heap allocations per update: %.1f (malloc/calloc/realloc; Lua's own included under PUC Lua, not under LuaJIT)",
    (a2 - a1) / 2000)
end

-- ---- concurrency: a server that adds 20 ms ----------------------------
if all or parts.concurrency then
  local n = short and 64 or 1000
  print(("concurrency: %d updates against a server adding 20 ms to each answer"):format(n))
  local c = client(slow_url)
  local list = {}
  for i = 1, n do list[i] = { "CHG-" .. i, CLOSE } end
  local seq_n = short and 16 or n
  local t0 = now()
  for i = 1, seq_n do assert(c:update_change(list[i][1], CLOSE)) end
  local seq = seq_n / (now() - t0)
  line("sequential %.1f/s", seq)
  for _, k in ipairs({ 8, 32, 64 }) do
    t0 = now()
    local _, summary = c:update_changes(list, { concurrency = k })
    local rate = n / (now() - t0)
    assert(summary.succeeded == n, "batch failures")
    line("batch at %2d in flight %.1f/s: %.1f times sequential%s", k, rate, rate / seq,
      k == 32 and " (target >= 20)" or "")
  end
  c:close()
end
