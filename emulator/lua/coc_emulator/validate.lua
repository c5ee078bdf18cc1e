-- Validation of the update-change request body: the emulator's own reading
-- of the reference's Tables 2-5 (update-change-api.txt). Pure Lua, no ngx.
--
-- Rules: JSON null is accepted for any field (= not given); unknown fields
-- are accepted and ignored, as the real service ignores the reference's own
-- stray "verified_docs1", but their paths are reported so tests can see them.
-- Lengths count UTF-8 characters.

local json = require("coc_emulator.json")

local M = {}

M.PHASES = {
  "phase_change_end", "phase_change_cancel", "phase_change_draft", "phase_change_implement",
  "phase_change_apply", "phase_change_approve", "phase_change_close",
}
M.ACTIONS = {
  "change_start_change_success", "change_end_change_success",
  "change_set_change_result_success", "change_complete_success",
}

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local MAX_MILLIS = 9999999999999

local function string_rule(min, max, enum)
  return function(v)
    if type(v) ~= "string" then return "must be a string" end
    local n = json.utf8_len(v)
    if n < min or n > max then return ("length must be %d..%d characters"):format(min, max) end
    if enum and not enum[v] then return "must be one of the documented values" end
  end
end

local function boolean_rule(v)
  if type(v) ~= "boolean" then return "must be a boolean" end
end

local function millis_rule(v)
  if type(v) ~= "number" or v ~= math.floor(v) then return "must be an integer" end
  if v < 1 or v > MAX_MILLIS then return "must be 1.." .. MAX_MILLIS end
end

-- Table 3
local TICKET_INFO = {
  phase = string_rule(0, 255, set_of(M.PHASES)),
  work_flow_status = string_rule(0, 255),
}

-- Table 4
local SUB_TICKET = {
  ticket_id = string_rule(0, 100),
  change_result = string_rule(1, 100),
  is_verified_in_change_time = boolean_rule,
  verified_docs = string_rule(0, 1000),
  comment = string_rule(0, 100),
  change_fail_type = string_rule(1, 100),
  rollback_start_time = millis_rule,
  rollback_end_time = millis_rule,
  is_rollback_success = boolean_rule,
  is_monitor_found = boolean_rule,
}

-- Table 5
local HISTORY_INFO = {
  action = string_rule(1, 1000, set_of(M.ACTIONS)),
}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- Checks an object against a field->rule table. Returns the cleaned object
-- (known, non-null fields only) or nil + "path: reason".
local function check_object(obj, rules, path, unknown)
  if json.type(obj) ~= "object" then return nil, path .. ": must be an object" end
  local clean = {}
  for _, k in ipairs(sorted_keys(obj)) do
    local v = obj[k]
    local rule = rules[k]
    if not rule then
      unknown[#unknown + 1] = path .. "." .. k
    elseif v ~= json.null then
      local err = rule(v)
      if err then return nil, path .. "." .. k .. ": " .. err end
      clean[k] = v
    end
  end
  return clean
end

--[[ Validates the body text. On success returns
  { ticket_info = {...} or nil, sub_tickets = { {...}, ... } or nil,
    history_info = {...} or nil, unknown_fields = { paths } }
On failure returns nil and a detail "field: reason". ]]
function M.update_body(text)
  local doc, err = json.decode(text)
  if doc == nil then return nil, "body: invalid JSON (" .. err .. ")" end
  if json.type(doc) ~= "object" then return nil, "body: must be a JSON object" end

  local result, unknown = { unknown_fields = {} }, {}
  result.unknown_fields = unknown
  for _, k in ipairs(sorted_keys(doc)) do
    local v = doc[k]
    if v == json.null then -- luacheck: ignore 542
      -- null = not given
    elseif k == "ticket_info" then
      result.ticket_info, err = check_object(v, TICKET_INFO, k, unknown)
      if not result.ticket_info then return nil, err end
    elseif k == "history_info" then
      result.history_info, err = check_object(v, HISTORY_INFO, k, unknown)
      if not result.history_info then return nil, err end
    elseif k == "sub_tickets" then
      if json.type(v) ~= "array" then return nil, "sub_tickets: must be an array" end
      local subs = {}
      for i, item in ipairs(v) do
        local path = ("sub_tickets[%d]"):format(i - 1)
        if item ~= json.null then
          local clean
          clean, err = check_object(item, SUB_TICKET, path, unknown)
          if not clean then return nil, err end
          subs[#subs + 1] = clean
        end
      end
      result.sub_tickets = subs
    else
      unknown[#unknown + 1] = k
    end
  end
  return result
end

-- change_id path parameter (Table 1), already percent-decoded.
function M.change_id(id)
  local n = json.utf8_len(id)
  if not n then return "change_id: invalid UTF-8" end
  if n < 1 or n > 50 then return "change_id: length must be 1..50 characters" end
end

return M
