-- Emulator state in lua_shared_dict zones, as JSON strings.
--
-- nginx runs with one worker and nothing here yields between a get and its
-- set, so read-modify-write sequences are atomic without locks.
--   coc_tickets   change_id -> ticket JSON
--   coc_requests  "seq" counter, "req:<n>" -> request log entry JSON (ring)
--   coc_state     stats counters, seen connections, fault queue

local json = require("coc_emulator.json")

local M = {}

M.REQUEST_LOG_SIZE = 200
M.LOGGED_BODY_MAX = 65536 -- bytes of each request body kept in the log
M.HISTORY_MAX = 1000 -- history entries kept per ticket (oldest dropped)

local tickets = ngx.shared.coc_tickets
local requests = ngx.shared.coc_requests
local state = ngx.shared.coc_state

local function now_ms()
  return math.floor(ngx.now() * 1000)
end
M.now_ms = now_ms

local function must(ok, err, what)
  if not ok then error("shared dict " .. what .. ": " .. tostring(err)) end
end

---------------------------------------------------------------- tickets

-- Normalises a ticket table so it always encodes with the same shape.
local function shape(t, change_id)
  local subs = json.object()
  if t.sub_tickets and json.type(t.sub_tickets) == "array" then
    for _, s in ipairs(t.sub_tickets) do subs[s.ticket_id or ""] = json.object(s) end
  elseif type(t.sub_tickets) == "table" then
    for k, s in pairs(t.sub_tickets) do subs[k] = json.object(s) end
  end
  local history = json.array()
  for i, h in ipairs(type(t.history) == "table" and t.history or {}) do history[i] = json.object(h) end
  local unknown = json.array()
  for i, u in ipairs(type(t.unknown_fields) == "table" and t.unknown_fields or {}) do unknown[i] = u end
  return json.object({
    change_id = change_id,
    phase = t.phase or "phase_change_draft",
    work_flow_status = t.work_flow_status or json.null,
    sub_tickets = subs,
    history = history,
    updates = tonumber(t.updates) or 0,
    unknown_fields = unknown,
  }, { "change_id", "phase", "work_flow_status", "sub_tickets", "history", "updates", "unknown_fields" })
end

function M.get_ticket(change_id)
  local s = tickets:get(change_id)
  if not s then return nil end
  return shape(json.decode(s), change_id)
end

function M.put_ticket(change_id, t)
  local shaped = shape(t, change_id)
  must(tickets:set(change_id, json.encode(shaped)), "no memory", "coc_tickets")
  return shaped
end

function M.delete_ticket(change_id)
  tickets:delete(change_id)
end

function M.ticket_ids()
  local ids = tickets:get_keys(0)
  table.sort(ids)
  return json.array(ids)
end

-- Applies a validated update (validate.update_body's result). Tickets are
-- created on first touch in phase "phase_change_draft".
function M.apply_update(change_id, upd)
  local t = M.get_ticket(change_id) or shape({}, change_id)
  if upd.ticket_info then
    if upd.ticket_info.phase then t.phase = upd.ticket_info.phase end
    if upd.ticket_info.work_flow_status then t.work_flow_status = upd.ticket_info.work_flow_status end
  end
  for _, sub in ipairs(upd.sub_tickets or {}) do
    local key = sub.ticket_id or ""
    local rec = t.sub_tickets[key] or json.object()
    for k, v in pairs(sub) do rec[k] = v end
    t.sub_tickets[key] = rec
  end
  if upd.history_info and upd.history_info.action then
    t.history[#t.history + 1] = json.object({ action = upd.history_info.action, at = now_ms() })
    -- bounded, so a benchmark hammering one ticket does not re-encode an
    -- ever-growing record on every update
    if #t.history > M.HISTORY_MAX then table.remove(t.history, 1) end
  end
  local seen = {}
  for _, u in ipairs(t.unknown_fields) do seen[u] = true end
  for _, u in ipairs(upd.unknown_fields or {}) do
    if not seen[u] then t.unknown_fields[#t.unknown_fields + 1] = u; seen[u] = true end
  end
  t.updates = t.updates + 1
  return M.put_ticket(change_id, t)
end

---------------------------------------------------------------- request log

-- Records an API request (before faults, auth and validation) and counts it.
-- Returns the log sequence number.
function M.log_request(entry)
  local seq = requests:incr("seq", 1, 0)
  if #entry.body > M.LOGGED_BODY_MAX then
    entry.body_truncated = true
    entry.body = entry.body:sub(1, M.LOGGED_BODY_MAX)
  end
  if not json.utf8_len(entry.body) then
    -- not valid UTF-8: JSON can only carry it lossily, so add the exact bytes
    entry.body_base64 = ngx.encode_base64(entry.body)
  end
  entry.seq = seq
  -- set() evicts old entries if the zone is full rather than failing
  requests:set("req:" .. seq, json.encode(json.object(entry)))
  requests:delete("req:" .. (seq - M.REQUEST_LOG_SIZE))

  state:incr("requests", 1, 0)
  if entry.change_id then state:incr("by_change:" .. entry.change_id, 1, 0) end
  if state:add("conn:" .. entry.connection, true) then state:incr("connections", 1, 0) end
  return seq
end

-- Records the status finally answered for logged request seq.
function M.finish_request(seq, status)
  state:incr("by_status:" .. status, 1, 0)
  local s = requests:get("req:" .. seq)
  if not s then return end
  local e = json.decode(s)
  if not e then return end
  e.status = status
  e.answered_at = now_ms()
  requests:set("req:" .. seq, json.encode(e))
end

-- Last entries, oldest first; optionally only those for change_id.
function M.requests(change_id)
  local last = requests:get("seq") or 0
  local out = json.array()
  for seq = math.max(1, last - M.REQUEST_LOG_SIZE + 1), last do
    local s = requests:get("req:" .. seq)
    if s then
      local e = json.decode(s)
      if not change_id or e.change_id == change_id then out[#out + 1] = e end
    end
  end
  return out
end

---------------------------------------------------------------- stats

function M.stats()
  local by_change, by_status = json.object(), json.object()
  for _, k in ipairs(state:get_keys(0)) do
    local id = k:match("^by_change:(.*)$")
    if id then by_change[id] = state:get(k) end
    local st = k:match("^by_status:(.*)$")
    if st then by_status[st] = state:get(k) end
  end
  return json.object({
    requests = state:get("requests") or 0,
    by_change = by_change,
    by_status = by_status,
    connections = state:get("connections") or 0,
  })
end

---------------------------------------------------------------- faults

function M.faults()
  local s = state:get("faults")
  return s and json.decode(s) or json.array()
end

local function save_faults(list)
  must(state:set("faults", json.encode(json.array(list))), "no memory", "coc_state")
end

function M.add_fault(f)
  local list = M.faults()
  list[#list + 1] = f
  save_faults(list)
  return #list
end

function M.clear_faults()
  state:delete("faults")
end

-- First queued fault matching change_id ("*" matches every API request),
-- consumed according to its "times" (-1 = forever).
function M.take_fault(change_id)
  local list = M.faults()
  for i, f in ipairs(list) do
    if f.match == "*" or (change_id ~= nil and f.match == change_id) then
      if f.times ~= -1 then
        f.times = f.times - 1
        if f.times <= 0 then table.remove(list, i) end
        save_faults(list)
      end
      return f
    end
  end
end

---------------------------------------------------------------- reset

function M.reset()
  for _, d in ipairs({ tickets, requests, state }) do
    d:flush_all()
    d:flush_expired()
  end
end

return M
