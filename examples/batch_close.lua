-- Closes every change ticket listed in a file, one id a line (blank lines
-- and lines starting with # are skipped), many at once with
-- client:update_changes, showing progress: a live counter on a terminal,
-- one line per change otherwise.
--
--   lua5.4 examples/batch_close.lua FILE [WORK_FLOW_STATUS [CONCURRENCY]]
--
-- An id the API would refuse is reported and skipped; one failure never
-- stops the others. Configuration as for examples/release.lua. Exit status:
-- 0 all closed, 1 some failed or were skipped, 2 the file could not be read.
local coc = require "coc"
local workflow = require "coc.workflow"

local path, status, concurrency = arg[1], arg[2], tonumber(arg[3] or "8")
if not path then
  io.stderr:write("usage: batch_close.lua FILE [WORK_FLOW_STATUS [CONCURRENCY]]\n")
  os.exit(2)
end
local f, ferr = io.open(path, "r")
if not f then
  io.stderr:write("batch_close: ", ferr, "\n")
  os.exit(2)
end
local ids = {}
for line in f:lines() do
  local id = line:match("^%s*(.-)%s*$")
  if id ~= "" and id:sub(1, 1) ~= "#" then ids[#ids + 1] = id end
end
f:close()

local function flat(err) return (tostring(err):gsub("\n%s*", "; ")) end
-- `test -t 1` inherits our standard output: is it a terminal?
local tty = os.execute("test -t 1")
tty = tty == true or tty == 0

local client = assert(coc.new({ region = "cn-north-4", max_retries = 2 }))
print(("closing %d change(s) at %s, %d at a time"):format(#ids, client.endpoint, concurrency))

-- A batch is all or nothing at validation, so bad ids are set aside first.
local list, body, skipped = {}, workflow.close_body(status), 0
for _, id in ipairs(ids) do
  local ok, err = coc.validate(id, body)
  if ok then
    list[#list + 1] = { id, body }
  else
    skipped = skipped + 1
    print(("skipped %s: %s"):format(id, flat(err)))
  end
end

local outcomes, summary = client:update_changes(list, {
  concurrency = concurrency,
  on_progress = function(done, total, i, o)
    local id = list[i][1]
    if tty then
      io.write(("\r[%d/%d] %s %s"):format(done, total, id, o.ok and "closed" or "FAILED"), "\27[K")
      io.flush()
    elseif o.ok then
      print(("[%d/%d] %s closed (HTTP %d, request id %s)"):format(done, total, id, o.result.status, o.result.request_id))
    else
      print(("[%d/%d] %s FAILED: %s"):format(done, total, id, flat(o.err)))
    end
  end,
})
client:close()
if tty then io.write("\n") end
assert(outcomes, summary)
for i, o in ipairs(outcomes) do
  if tty and not o.ok then print(("%s FAILED: %s"):format(list[i][1], flat(o.err))) end
end
print(("closed %d of %d"):format(summary.succeeded, #ids))
os.exit((summary.failed == 0 and skipped == 0) and 0 or 1)
