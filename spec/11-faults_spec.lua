-- The fault matrix: every way the network or the service can fail, injected
-- by the emulator, one table row each. Every row asserts the error kind and
-- code, that the call returned within its configured bound (timeouts plus a
-- generous margin: a functional bound, not a speed test), and what the
-- server saw (requests counted on arrival, with the status each got).
local coc = require "coc"
local h = require "helpers"

local emu = h.emulator()

local CLOSE = {
  history_info = { action = "change_complete_success" },
  ticket_info = { phase = "phase_change_end", work_flow_status = "COMPLETE" },
}
local MARGIN = 2 -- seconds added to every configured bound

before_each(function() emu.reset() end)

after_each(function() emu.settle() end)

-- Runs one row: queues its faults, calls update_change with the row's client
-- options, and checks the outcome against the row.
local function run(row, id)
  for _, f in ipairs(row.faults or { row.fault }) do
    local fault = { match = id }
    for k, v in pairs(f) do fault[k] = v end
    emu.fault(fault)
  end
  local opts = row.opts or {}
  local client = row.endpoint and assert(coc.new((function()
    local o = { endpoint = row.endpoint(), ak = emu.ak, sk = emu.sk, domain_id = emu.domain_id }
    for k, v in pairs(opts) do o[k] = v end
    return o
  end)())) or emu.client(opts)
  local t0 = h.clock()
  local res, err = client:update_change(id, CLOSE)
  local elapsed = h.clock() - t0
  client:close()
  local bound = row.bound + MARGIN
  assert.is_true(elapsed < bound, ("%s: returned after %.2f s, bound %.2f s"):format(row.name, elapsed, bound))
  if row.min_elapsed then
    assert.is_true(elapsed >= row.min_elapsed, ("%s: returned after only %.2f s"):format(row.name, elapsed))
  end
  if row.kind == "ok" then
    assert.is_table(res, row.name .. ": " .. tostring(err))
    assert.are.equal(200, res.status)
  else
    assert.is_nil(res, row.name)
    assert.is_true(coc.is_error(err), row.name)
    assert.are.equal(row.kind, err.kind, row.name .. ": " .. tostring(err))
    assert.are.equal(row.code, err.code, row.name .. ": " .. tostring(err))
    if row.status then assert.are.equal(row.status, err.status, row.name) end
    if row.message then assert.are.equal(row.message, err.message, row.name) end
  end
  local attempts = res and res.attempts or err.attempts
  assert.are.equal(row.attempts, attempts, row.name .. ": attempts")
  -- the server's side: requests that reached it, and how each was answered
  local seen = emu.requests(id)
  assert.are.equal(row.server or row.attempts, #seen, row.name .. ": requests the server saw")
  if row.statuses then -- counted by status as answered (the stats, not the log)
    local want = {}
    for _, status in ipairs(row.statuses) do want[tostring(status)] = (want[tostring(status)] or 0) + 1 end
    local got = {}
    for k, n in pairs(emu.stats().by_status) do got[k] = math.floor(n) end
    assert.are.same(want, got, row.name .. ": the statuses the server answered")
  end
  return res, err, elapsed
end

local function matrix(name, rows)
  describe(name, function()
    for i, row in ipairs(rows) do
      it(row.name, function() run(row, ("F-%s-%d"):format(name:gsub("%W", ""):sub(1, 12), i)) end)
    end
  end)
end

-- Statuses the service or a proxy answers, with retries off (the default).
local status_rows = {}
for _, status in ipairs({ 500, 502, 503, 504, 429 }) do
  status_rows[#status_rows + 1] = {
    name = ("HTTP %d is an api error with the service's code, sent once"):format(status),
    fault = { status = status }, kind = "api", code = "EMU." .. status, status = status,
    message = "injected", attempts = 1, statuses = { status }, bound = 0,
  }
  status_rows[#status_rows + 1] = {
    name = ("HTTP %d with Retry-After is still sent once when retries are off"):format(status),
    fault = { status = status, retry_after = "1" }, kind = "api", code = "EMU." .. status,
    status = status, attempts = 1, statuses = { status }, bound = 0,
  }
end
matrix("statuses", status_rows)

local RETRY = { max_retries = 3, retry_base = 0.001, retry_max = 0.01 }
local function with(t, extra)
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- With retries on: the server counts every attempt, never more than
-- 1 + max_retries, and never past the deadline.
local retry_rows = {
  { name = "500 is never retried", fault = { status = 500, times = -1 }, opts = RETRY,
    kind = "api", code = "EMU.500", status = 500, attempts = 1, bound = 0 },
}
for _, status in ipairs({ 502, 503, 504, 429 }) do
  retry_rows[#retry_rows + 1] = {
    name = ("%d forever: exactly 1 + max_retries attempts"):format(status),
    fault = { status = status, times = -1 }, opts = RETRY, kind = "api", code = "EMU." .. status,
    status = status, attempts = 4, statuses = { status, status, status, status }, bound = 0.1,
  }
  retry_rows[#retry_rows + 1] = {
    name = ("%d with Retry-After: 1, then success: waits, then succeeds"):format(status),
    fault = { status = status, retry_after = "1" }, opts = RETRY, kind = "ok", attempts = 2,
    statuses = { status, 200 }, bound = 1, min_elapsed = 0.9,
  }
  retry_rows[#retry_rows + 1] = {
    name = ("%d with a Retry-After past the deadline: no retry"):format(status),
    fault = { status = status, retry_after = "5", times = -1 }, opts = with(RETRY, { deadline = 2 }),
    kind = "api", code = "EMU." .. status, status = status, attempts = 1, bound = 0,
  }
end
retry_rows[#retry_rows + 1] = {
  -- found by fuzz/fuzz_response.c: seconds * 1000 overflowed (UB) in src/http.c
  name = "a Retry-After too large for any clock is a wait past the deadline, not an overflow",
  fault = { status = 503, retry_after = "99999999999999999999", times = -1 }, opts = RETRY,
  kind = "api", code = "EMU.503", status = 503, attempts = 1, bound = 0,
}
retry_rows[#retry_rows + 1] = {
  name = "a Retry-After date in year 9999 is a wait past the deadline",
  fault = { status = 503, retry_after = "Fri, 31 Dec 9999 23:59:59 GMT", times = -1 }, opts = RETRY,
  kind = "api", code = "EMU.503", status = 503, attempts = 1, bound = 0,
}
retry_rows[#retry_rows + 1] = {
  name = "a Retry-After date in the past means now",
  fault = { status = 503, retry_after = "Wed, 21 Oct 2015 07:28:00 GMT" }, opts = RETRY,
  kind = "ok", attempts = 2, statuses = { 503, 200 }, bound = 0.1,
}
retry_rows[#retry_rows + 1] = {
  name = "dropped connections are retried up to the limit",
  fault = { drop = true, times = -1 }, opts = RETRY, kind = "network", code = "COC.CONNECTION",
  attempts = 4, statuses = { 444, 444, 444, 444 }, bound = 0.1,
}
retry_rows[#retry_rows + 1] = {
  name = "answers that never come: attempts stop at the deadline",
  fault = { delay_ms = 1500, times = -1 }, opts = with(RETRY, { max_retries = 10, timeout = 0.4, deadline = 1.5 }),
  kind = "timeout", code = "COC.TIMEOUT", attempts = 4, bound = 1.5,
}
matrix("retries", retry_rows)

-- The connection itself fails.
matrix("connections", {
  { name = "connection refused: network COC.CONNECT, retried as configured",
    endpoint = function() return "http://127.0.0.1:9" end, opts = RETRY,
    kind = "network", code = "COC.CONNECT", attempts = 4, server = 0, bound = 0.2 },
  { name = "reset mid-response: network COC.CONNECTION, not retried once an answer started",
    fault = { reset_mid_body = true }, opts = RETRY, kind = "network", code = "COC.CONNECTION",
    attempts = 1, bound = 0 },
  { name = "no answer before the timeout: timeout COC.TIMEOUT",
    fault = { delay_ms = 1500 }, opts = { timeout = 0.5 }, kind = "timeout", code = "COC.TIMEOUT",
    attempts = 1, bound = 0.5 },
  { name = "a body that trickles past the deadline: timeout COC.TIMEOUT",
    fault = { trickle_ms = 100 }, opts = { timeout = 0.8 }, kind = "timeout", code = "COC.TIMEOUT",
    attempts = 1, bound = 0.8 },
})

-- Answers that arrive but are not what they should be.
matrix("answers", {
  { name = "malformed JSON in a 200: api COC.BAD_RESPONSE",
    fault = { status = 200, body = '{"error_code":"GOM.00000000",' }, kind = "api", code = "COC.BAD_RESPONSE",
    status = 200, message = "HTTP 200 with a application/json;charset=UTF-8 body where a JSON object was expected",
    attempts = 1, bound = 0 },
  { name = "malformed JSON in a 500: api HTTP.500",
    fault = { status = 500, body = '{"error_code":' }, kind = "api", code = "HTTP.500", status = 500,
    message = "HTTP 500 with a application/json;charset=UTF-8 body", attempts = 1, bound = 0 },
  { name = "an HTML error page from a proxy: api HTTP.502, never retried into success",
    fault = { status = 502, body = "<html><body><h1>502 Bad Gateway</h1></body></html>", content_type = "text/html" },
    kind = "api", code = "HTTP.502", status = 502, message = "HTTP 502 with a text/html body",
    attempts = 1, bound = 0 },
  { name = "an oversized body: network COC.RESPONSE_TOO_LARGE, not retried",
    fault = { oversize_bytes = 2 * 1024 * 1024 }, opts = RETRY, kind = "network", code = "COC.RESPONSE_TOO_LARGE",
    attempts = 1, bound = 1 },
  { name = "an empty 200: api COC.BAD_RESPONSE",
    fault = { empty = true }, kind = "api", code = "COC.BAD_RESPONSE", status = 200,
    message = "HTTP 200 with an empty body where a JSON object was expected", attempts = 1, bound = 0 },
  { name = "a wrong content type over a non-JSON body: api COC.BAD_RESPONSE naming the type",
    fault = { status = 200, body = "OK", content_type = "text/plain" }, kind = "api", code = "COC.BAD_RESPONSE",
    status = 200, message = "HTTP 200 with a text/plain body where a JSON object was expected",
    attempts = 1, bound = 0 },
  -- the body decides, as the official SDKs do: a mislabelled success is a success
  { name = "a wrong content type over the success JSON: the body decides",
    fault = { status = 200, body = '{"provider_code":"049","error_code":"GOM.00000000","error_msg":null}',
      content_type = "text/plain" }, kind = "ok", attempts = 1, bound = 0 },
  { name = "a JSON array where an object belongs: api COC.BAD_RESPONSE",
    fault = { status = 200, body = "[1,2]" }, kind = "api", code = "COC.BAD_RESPONSE", status = 200,
    attempts = 1, bound = 0 },
})

-- TLS: every bad certificate fails the handshake, so the server sees nothing,
-- and a handshake failure is never retried.
local tls_rows = {}
for _, c in ipairs({ { "self-signed", "self_signed_url" }, { "expired", "expired_url" },
  { "wrong-host", "wrong_host_url" }, { "unknown-CA", "unknown_ca_url" } }) do
  tls_rows[#tls_rows + 1] = {
    name = ("a %s certificate: tls COC.TLS, not retried"):format(c[1]),
    endpoint = function() return emu[c[2]] end, opts = with(RETRY, { ca_file = emu.ca }),
    kind = "tls", code = "COC.TLS", attempts = 1, server = 0, bound = 0.5,
  }
end
tls_rows[#tls_rows + 1] = {
  name = "the test CA's valid certificate succeeds",
  endpoint = function() return emu.https_url end, opts = { ca_file = emu.ca }, kind = "ok", attempts = 1, bound = 0.5,
}
matrix("tls", tls_rows)
