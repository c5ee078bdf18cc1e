-- A child of bench.lua's memory part: N updates, then exit, under a
-- malloc-counting shim. Usage: lua bench/allocs.lua URL N
local coc = require "coc"
local url, n = arg[1], tonumber(arg[2])
local c = assert(coc.new({ endpoint = url, ak = "bench-ak", sk = "bench-secret-key", domain_id = "bench-domain" }))
local body = { ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
  history_info = { action = "change_complete_success" } }
for _ = 1, n do assert(c:update_change("CHG-1", body)) end
c:close()
