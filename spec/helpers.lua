-- Shared by the specs: small builders and assertions.
local assert = require "luassert"

local helpers = {}

--- A sub-ticket body with one sub-ticket holding the given fields.
function helpers.sub_ticket(fields)
  return { sub_tickets = { fields } }
end

--- Asserts that ok, err is a validation failure with exactly these
-- problems ({path, rule, message} each, in order).
function helpers.assert_problems(expected, ok, err)
  assert.is_nil(ok)
  assert.is_table(err, "expected an error object")
  assert.are.equal("validation", err.kind)
  local got = {}
  for i, p in ipairs(err.errors) do
    got[i] = { p.path, p.rule, p.message }
  end
  assert.are.same(expected, got)
end

--- The single problem of a failed validation, as {path, rule, message}.
function helpers.only_problem(ok, err)
  assert.is_nil(ok)
  assert.are.equal(1, #err.errors, tostring(err))
  local p = err.errors[1]
  return { p.path, p.rule, p.message }
end

--- String of n copies of a character (which may be multi-byte).
function helpers.chars(n, ch)
  return string.rep(ch or "a", n)
end

-- ---- the reference's request examples ------------------------------

local cjson_null = require("cjson").null

--- The reference's three request examples, fresh tables each call, as the
-- server must receive them (the second without its stray `verified_docs1`
-- and nested `sub_tickets`); `result_as_printed` is the second one's JSON
-- text exactly as the reference prints it.
helpers.reference = {
  sub_ticket = " 92f0c22f-4ca4-4cbe-89cf-281aed331f50",
  end_change = function()
    return {
      history_info = { action = "change_end_change_success" },
      sub_tickets = { { ticket_id = " 92f0c22f-4ca4-4cbe-89cf-281aed331f50" } },
    }
  end,
  result = function()
    return {
      sub_tickets = { {
        ticket_id = "{{sub_ticket_id}}",
        change_result = "change_result_failed",
        verified_docs = cjson_null,
        comment = "111",
        change_fail_type = "fr_dependent_service_issue",
        rollback_start_time = 1742888808000,
        rollback_end_time = 1742975208000,
        is_rollback_success = false,
        is_monitor_found = true,
      } },
      history_info = { action = "change_set_change_result_success" },
    }
  end,
  close = function()
    return {
      history_info = { action = "change_complete_success" },
      ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
    }
  end,
  result_as_printed = [[
{
    "sub_tickets": [
        {
            "ticket_id": "{{sub_ticket_id}}",
            "sub_tickets": [

            ],
            "change_result": "change_result_failed",
            "verified_docs1": "e67a0d67-310e-4abd-9b35-43eacf681358",
            "verified_docs": null,
            "comment": "111",
            "change_fail_type": "fr_dependent_service_issue",
            "rollback_start_time": 1742888808000,
            "rollback_end_time": 1742975208000,
            "is_rollback_success": false,
            "is_monitor_found": true
        }
    ],
    "history_info": {
        "action": "change_set_change_result_success"
    }
}
]],
}

-- ---- the local COC emulator ------------------------------------------

local emulator

--- The running emulator (scripts/test starts it and exports its env):
-- its URLs and credentials, and calls to its control API.
function helpers.emulator()
  if emulator then return emulator end
  local url = os.getenv("COC_EMULATOR_URL")
  assert(url, "no emulator: run `emulator/start DIR && . DIR/env` first (scripts/test does)")
  local http = require "socket.http"
  local ltn12 = require "ltn12"
  local cjson = require "cjson"

  local function call(method, path, body)
    local out = {}
    local payload = body and cjson.encode(body) or nil
    local _, status = http.request({
      url = url .. "/__emulator/" .. path, method = method,
      source = payload and ltn12.source.string(payload) or nil,
      headers = payload and { ["content-length"] = #payload, ["content-type"] = "application/json" } or nil,
      sink = ltn12.sink.table(out),
    })
    local text = table.concat(out)
    return status, text ~= "" and cjson.decode(text) or nil
  end

  local env = function(k) return os.getenv("COC_EMULATOR_" .. k) end
  emulator = {
    url = url, https_url = env "HTTPS_URL", ca = env "CA",
    unknown_ca_url = env "HTTPS_UNKNOWN_CA_URL", self_signed_url = env "HTTPS_SELF_SIGNED_URL",
    expired_url = env "HTTPS_EXPIRED_URL", wrong_host_url = env "HTTPS_WRONG_HOST_URL",
    ak = env "AK", sk = env "SK", tmp_ak = env "TMP_AK", tmp_sk = env "TMP_SK",
    security_token = env "SECURITY_TOKEN", domain_id = env "DOMAIN_ID", token = env "TOKEN",
  }
  function emulator.reset() assert(call("POST", "reset") == 200) end
  function emulator.fault(f) local status = call("POST", "faults", f); assert(status == 200 or status == 201) end
  function emulator.stats() return select(2, call("GET", "stats")) end
  function emulator.change(id)
    local status, state = call("GET", "changes/" .. id)
    if status == 404 then return nil end
    return state
  end
  function emulator.seed(id, state) assert(call("PUT", "changes/" .. id, state) == 200) end
  function emulator.requests(change_id)
    return select(2, call("GET", "requests" .. (change_id and ("?change_id=" .. change_id) or "")))
  end
  --- The decoded bodies the emulator received for a change, in order.
  function emulator.bodies(id)
    local out = {}
    for i, req in ipairs(emulator.requests(id)) do out[i] = cjson.decode(req.body) end
    return out
  end
  --- Waits until the emulator has answered every request it logged. A
  -- request the client gave up on (a delay fault) is still served, and its
  -- late answer must not land in a later test's counts.
  function emulator.settle()
    local t0 = helpers.clock()
    repeat
      local pending = 0
      for _, r in ipairs(emulator.requests() or {}) do
        if r.status == nil or r.status == cjson.null then pending = pending + 1 end
      end
      if pending == 0 then return end
      require("socket").sleep(0.05)
    until helpers.clock() - t0 > 10
    error("the emulator still serves requests 10 s after the client gave up")
  end
  --- A client of the emulator with AK/SK; overrides replace options.
  function emulator.client(overrides)
    local coc = require "coc"
    local opts = { endpoint = url, ak = emulator.ak, sk = emulator.sk, domain_id = emulator.domain_id }
    for k, v in pairs(overrides or {}) do opts[k] = v end
    if opts.auth_token then opts.ak, opts.sk = nil, nil end
    return assert(coc.new(opts))
  end
  return emulator
end

--- Seconds since an arbitrary point, with sub-second resolution.
function helpers.clock()
  return require("socket").gettime()
end

--- Every string a value holds, recursively (for secret scans).
function helpers.strings(v, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "string" then out[#out + 1] = v
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do helpers.strings(k, out, seen); helpers.strings(x, out, seen) end
  end
  return out
end

return helpers
