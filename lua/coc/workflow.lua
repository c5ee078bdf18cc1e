--- The steps of a change's life as client methods: start, end, record the
-- result, close or cancel, and `run_change`, which does all of them around a
-- function of yours.
--
-- `require("coc.client")` installs these functions as methods, so they are
-- called as `client:start_change(...)`, `client:run_change(...)`, ... Each is
-- a thin layer over `client:update_change`: it builds the body and nothing
-- more. Every rule of the API reference stays in the C core's validator, so a
-- wrong value is reported there, with its path in the body
-- (`sub_tickets[1].comment`), before anything is sent.
--
-- **Times** (`rollback.started_at`, `rollback.ended_at`) are numbers of
-- milliseconds since the epoch, as the API wants them, or `os.time()`-style
-- seconds: a number below 1e11 (= 100,000,000,000, in 1973 as milliseconds,
-- in the year 5138 as seconds) is taken as seconds and multiplied by 1000.
-- Nothing else is converted: a fractional or out-of-range value reaches the
-- validator, which refuses it (`range` or `type`).
--
-- **Results** (`set_change_result`) are given in Lua names, mapped so:
--
--    success             change_result "change_result_success" (true) or
--                        "change_result_failed" (false)
--    result              change_result as given (wins over success)
--    fail_type           change_fail_type
--    comment             comment
--    rollback.started_at rollback_start_time (see Times)
--    rollback.ended_at   rollback_end_time
--    rollback.success    is_rollback_success
--    verified_in_window  is_verified_in_change_time
--    verified_docs       verified_docs
--    monitor_found       is_monitor_found
--
-- A field left out is left out of the body; `coc.null` sends JSON null.
-- A key not in this list is a mistake in the caller's code: the call returns
-- `nil` and a validation error with path `result.<key>` (or
-- `result.rollback.<key>`) and rule `unknown_field`, and sends nothing.
-- @module coc.workflow
local core = require "coc.core"

local workflow = {}

--- The `change_result` values `success` maps to.
workflow.RESULT_SUCCESS = "change_result_success"
workflow.RESULT_FAILED = "change_result_failed"

--- Below this, a time is seconds; from it on, milliseconds.
workflow.SECONDS_LIMIT = 1e11

--- How many characters of an error message `run_change` keeps as the
-- comment: the most the reference allows, as the core knows it.
workflow.COMMENT_MAX = core.max_chars("comment")

local function validation_error(problems)
  local first = problems[1]
  local message = first.path .. ": " .. first.message
  if #problems > 1 then message = ("%s (and %d more)"):format(message, #problems - 1) end
  return setmetatable({ kind = "validation", code = "COC.VALIDATION", message = message, errors = problems },
    core.error_mt)
end

local function problem(path, rule, message)
  return { path = path, rule = rule, message = message }
end

--- Milliseconds from a time given in seconds or milliseconds (see Times);
-- any other value is returned as it is, for the validator to judge.
-- @param t a number, or anything
-- @return the value in milliseconds
function workflow.milliseconds(t)
  if type(t) == "number" and t < workflow.SECONDS_LIMIT then return t * 1000 end
  return t
end

--- Text cut to at most `n` characters (UTF-8 code points, as the core counts
-- them), never inside a character; bytes that are not valid UTF-8 become `?`,
-- so that the result always passes the validator's `utf8` rule.
-- @tparam string s
-- @tparam int n
-- @treturn string
function workflow.cut(s, n)
  return core.cut(s, n) -- the core's UTF-8 decoder, the validator's own
end

-- Lua name -> reference name, for the flat fields of a result.
local RESULT_FIELDS = {
  fail_type = "change_fail_type",
  comment = "comment",
  verified_in_window = "is_verified_in_change_time",
  verified_docs = "verified_docs",
  monitor_found = "is_monitor_found",
}
local ROLLBACK_FIELDS = {
  started_at = "rollback_start_time",
  ended_at = "rollback_end_time",
  success = "is_rollback_success",
}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

--- The sub-ticket fields a result in Lua names maps onto (see the mapping
-- above), without `ticket_id`.
-- @tparam table result
-- @return a table of reference fields, or `nil` and a validation error
function workflow.result_fields(result)
  if type(result) ~= "table" then
    return nil, validation_error({ problem("result", "type", "a table is required, got " .. type(result)) })
  end
  local fields, problems = {}, {}
  for _, k in ipairs(sorted_keys(result)) do
    local v = result[k]
    if k == "success" then
      if v ~= nil and type(v) ~= "boolean" then
        problems[#problems + 1] = problem("result.success", "type", "a boolean is required, got " .. type(v))
      elseif fields.change_result == nil then
        fields.change_result = v and workflow.RESULT_SUCCESS or workflow.RESULT_FAILED
      end
    elseif k == "result" then
      fields.change_result = v
    elseif k == "rollback" then
      if type(v) ~= "table" then
        problems[#problems + 1] = problem("result.rollback", "type", "a table is required, got " .. type(v))
      else
        for _, rk in ipairs(sorted_keys(v)) do
          local name = ROLLBACK_FIELDS[rk]
          if not name then
            problems[#problems + 1] = problem("result.rollback." .. tostring(rk), "unknown_field",
              "unknown field (known: started_at, ended_at, success)")
          elseif rk == "success" then
            fields[name] = v[rk]
          else
            fields[name] = workflow.milliseconds(v[rk])
          end
        end
      end
    elseif RESULT_FIELDS[k] then
      fields[RESULT_FIELDS[k]] = v
    else
      problems[#problems + 1] = problem("result." .. tostring(k), "unknown_field", "unknown field (known: "
        .. "success, result, fail_type, comment, rollback, verified_in_window, verified_docs, monitor_found)")
    end
  end
  if #problems > 0 then return nil, validation_error(problems) end
  return fields
end

local function need_sub_ticket(sub_ticket_id)
  if sub_ticket_id == nil then
    return nil, validation_error({ problem("sub_ticket_id", "type", "a sub-ticket id is required") })
  end
  return true
end

-- The methods, on a table named like the class they go into, so that the
-- reference shows them as they are called.
local Client = {}

--- Starts the change on a sub-ticket: history action
-- `change_start_change_success`.
-- @tparam string change_id
-- @tparam string sub_ticket_id
-- @tparam[opt] table opts passed to `update_change`
-- @return as `client:update_change`
function Client:start_change(change_id, sub_ticket_id, opts)
  local ok, err = need_sub_ticket(sub_ticket_id)
  if not ok then return nil, err end
  return self:update_change(change_id, {
    sub_tickets = { { ticket_id = sub_ticket_id } },
    history_info = { action = "change_start_change_success" },
  }, opts)
end

--- Ends the change on a sub-ticket: history action `change_end_change_success`
-- (the reference's first example).
-- @tparam string change_id
-- @tparam string sub_ticket_id
-- @tparam[opt] table opts passed to `update_change`
-- @return as `client:update_change`
function Client:end_change(change_id, sub_ticket_id, opts)
  local ok, err = need_sub_ticket(sub_ticket_id)
  if not ok then return nil, err end
  return self:update_change(change_id, {
    sub_tickets = { { ticket_id = sub_ticket_id } },
    history_info = { action = "change_end_change_success" },
  }, opts)
end

--- Records a sub-ticket's result: its fields (mapped from Lua names, see the
-- module's description) and history action `change_set_change_result_success`
-- (the reference's second example).
-- @tparam string change_id
-- @tparam string sub_ticket_id
-- @tparam table result in Lua names
-- @tparam[opt] table opts passed to `update_change`
-- @return as `client:update_change`; a key `result` does not know gives a
--   validation error (`result.<key>`, rule `unknown_field`)
function Client:set_change_result(change_id, sub_ticket_id, result, opts)
  local ok, err = need_sub_ticket(sub_ticket_id)
  if not ok then return nil, err end
  local fields
  fields, err = workflow.result_fields(result)
  if not fields then return nil, err end
  fields.ticket_id = sub_ticket_id
  return self:update_change(change_id, {
    sub_tickets = { fields },
    history_info = { action = "change_set_change_result_success" },
  }, opts)
end

--- Closes the change: phase `phase_change_end`, the work flow status and
-- history action `change_complete_success` (the reference's third example).
-- @tparam string change_id
-- @tparam[opt="COMPLETE"] string status the work flow status
-- @tparam[opt] table opts passed to `update_change`
-- @return as `client:update_change`
function Client:close_change(change_id, status, opts)
  return self:update_change(change_id, workflow.close_body(status), opts)
end

--- The body `close_change` sends (for batches: `client:update_changes`).
-- @tparam[opt="COMPLETE"] string status the work flow status
-- @treturn table
function workflow.close_body(status)
  return {
    ticket_info = { phase = "phase_change_end", work_flow_status = status or "COMPLETE" },
    history_info = { action = "change_complete_success" },
  }
end

--- Cancels the change: phase `phase_change_cancel`, the work flow status and
-- history action `change_complete_success`.
-- @tparam string change_id
-- @tparam[opt="CANCELED"] string status the work flow status
-- @tparam[opt] table opts passed to `update_change`
-- @return as `client:update_change`
function Client:cancel_change(change_id, status, opts)
  return self:update_change(change_id, {
    ticket_info = { phase = "phase_change_cancel", work_flow_status = status or "CANCELED" },
    history_info = { action = "change_complete_success" },
  }, opts)
end

local function message_of(e)
  if type(e) == "string" then return e end
  if e == nil then return "the change failed" end
  return tostring(e)
end

-- The outcome of the work function, as a result table in Lua names and
-- whether it failed. `fn` may return:
--   nothing, or any value other than those below  -> success
--   false [, message] or nil, message             -> failure
--   a table                                       -> that result (success
--                                                    unless success == false)
-- and raising an error is a failure whose message becomes the comment.
local function outcome_of(ok, ...)
  local first, second = ...
  if not ok then
    local message = message_of(first)
    return { success = false, comment = workflow.cut(message, workflow.COMMENT_MAX) }, message
  end
  if type(first) == "table" then
    local result = {}
    for k, v in pairs(first) do result[k] = v end
    if result.success == nil and result.result == nil then result.success = true end
    if result.success ~= false then return result, nil end
    return result, type(result.comment) == "string" and result.comment or "the change failed"
  end
  if first == false or (first == nil and second ~= nil) then
    local message = message_of(second)
    return { success = false, comment = workflow.cut(message, workflow.COMMENT_MAX) }, message
  end
  return { success = true }, nil
end

-- Rollback details for a failed change from opts.rollback: a table is used as
-- it is; a function is called with (message, client, change_id,
-- sub_ticket_id) and timed, and may return a table (its fields win over the
-- measured ones) or false (the rollback failed). A rollback function that
-- raises an error counts as a failed rollback; the error is kept.
local function run_rollback(rollback, message, client, change_id, sub_ticket_id)
  if type(rollback) == "table" then return rollback end
  local started = os.time()
  local ok, ret = pcall(rollback, message, client, change_id, sub_ticket_id)
  local info = { started_at = started, ended_at = os.time(), success = ok and ret ~= false }
  if ok and type(ret) == "table" then
    for k, v in pairs(ret) do info[k] = v end
  end
  return info, not ok and message_of(ret) or nil
end

local function step_error(step, cause, report)
  local err = {
    kind = type(cause) == "table" and cause.kind or "api",
    code = type(cause) == "table" and cause.code or nil,
    message = ("step %q failed: %s"):format(step, type(cause) == "table" and tostring(cause.message) or tostring(cause)),
    step = step, cause = cause, report = report,
  }
  if type(cause) == "table" then
    err.status, err.request_id, err.attempts = cause.status, cause.request_id, cause.attempts
  end
  return setmetatable(err, core.error_mt)
end

--- Runs a change end to end around `fn`: start the change on the sub-ticket,
-- call `fn`, end the change, record the result, close the ticket.
--
-- `fn(client, change_id, sub_ticket_id)` does the work. It succeeds by
-- returning nothing or a true value; it fails by returning `false[, message]`
-- or `nil, message`, or by raising an error (the message, cut to 100
-- characters, becomes the comment: a failure is recorded, never lost). It may
-- also return a result table in `set_change_result`'s Lua names (success
-- unless `success = false`), e.g. with its own rollback details.
--
-- When the work failed and its result carries no `rollback`, `opts.rollback`
-- supplies one: a table, or a function called as
-- `rollback(message, client, change_id, sub_ticket_id)` and timed with
-- `os.time()`; it returns nothing/true (rolled back), false (the rollback
-- failed) or a table of `started_at`, `ended_at`, `success` that wins over
-- the measured times. A rollback function that raises counts as a failed
-- rollback.
-- @tparam string change_id
-- @tparam string sub_ticket_id
-- @tparam function fn the work
-- @tparam[opt] table opts `rollback` (function or table), `fail_type` (the
--   change_fail_type recorded on failure when the result has none), `status`
--   (the work flow status to close with, default `COMPLETE`), `on_step`
--   (`function(step)` called after each step with its outcome), and
--   `update` (opts for every `update_change`)
-- @return a report `{change_id, sub_ticket_id, success, error, result, steps}`:
--   `success` tells whether the work succeeded, `error` is its full failure
--   message, `result` the result recorded in Lua names, `steps` a list of
--   `{name, ok, result | err}` for start, run, end, result, close (and
--   rollback when one ran);
--   or `nil` and an error when a step failed: the run stops there and
--   `err.step` names the step, `err.cause` is the step's own error (whose
--   `kind`, `code`, `status` and `request_id` the error repeats) and
--   `err.report` holds the steps so far
function Client:run_change(change_id, sub_ticket_id, fn, opts)
  opts = opts or {}
  local mt = getmetatable(fn)
  if type(fn) ~= "function" and not (type(mt) == "table" and mt.__call) then
    return nil, validation_error({ problem("fn", "type", "a function is required, got " .. type(fn)) })
  end
  local report = { change_id = change_id, sub_ticket_id = sub_ticket_id, steps = {} }
  local function record(step)
    report.steps[#report.steps + 1] = step
    if opts.on_step then opts.on_step(step) end
    return step
  end
  local function call(name, res, err)
    record(res and { name = name, ok = true, result = res } or { name = name, ok = false, err = err })
    if not res then return nil, step_error(name, err, report) end
    return res
  end

  local ok, err = call("start", self:start_change(change_id, sub_ticket_id, opts.update))
  if not ok then return nil, err end

  local result, failure = outcome_of(pcall(fn, self, change_id, sub_ticket_id))
  report.success, report.error = failure == nil, failure
  record({ name = "run", ok = failure == nil, err = failure })

  if failure then
    if result.fail_type == nil and opts.fail_type ~= nil then result.fail_type = opts.fail_type end
    if result.rollback == nil and opts.rollback ~= nil then
      local rollback_error
      result.rollback, rollback_error = run_rollback(opts.rollback, failure, self, change_id, sub_ticket_id)
      record({ name = "rollback", ok = result.rollback.success ~= false, result = result.rollback, err = rollback_error })
    end
  end
  report.result = result

  ok, err = call("end", self:end_change(change_id, sub_ticket_id, opts.update))
  if not ok then return nil, err end
  ok, err = call("result", self:set_change_result(change_id, sub_ticket_id, result, opts.update))
  if not ok then return nil, err end
  ok, err = call("close", self:close_change(change_id, opts.status, opts.update))
  if not ok then return nil, err end
  return report
end

--- Installs the workflow methods into a class (the client's).
-- @tparam table class
function workflow.install(class)
  for name, f in pairs(Client) do class[name] = f end
  return class
end

workflow.methods = Client

return workflow
