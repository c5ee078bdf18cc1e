--- The `coc-change` command: update COC change tickets from shells and
-- pipelines. `bin/coc-change` only finds this module and calls `cli.main`.
--
--    coc-change start  CHANGE_ID -s SUB_TICKET
--    coc-change end    CHANGE_ID -s SUB_TICKET
--    coc-change result CHANGE_ID -s SUB_TICKET [--success|--failed] [--fail-type T] ...
--    coc-change close  CHANGE_ID [--status COMPLETE]
--    coc-change cancel CHANGE_ID [--status CANCELED]
--    coc-change update CHANGE_ID [--body FILE|-] [--phase P] [--work-flow-status S] [--action A]
--
-- Credentials and region come from the environment, as for the official
-- SDKs (`HUAWEICLOUD_SDK_AK`, `_SK`, `_SECURITY_TOKEN`, `_DOMAIN_ID`,
-- `_PROJECT_ID`, `_REGION`, `HUAWEICLOUD_SDK_REGION_COC_<REGION>`), plus
-- `COC_AUTH_TOKEN` (an IAM token, used when no AK is set).
--
-- Exit codes: 0 done, 1 internal error, 2 usage (bad arguments, unreadable
-- body file), 3 validation (the request breaks a rule, or the body is not
-- JSON; nothing was sent), 4 auth, 5 api, 6 network, timeout or tls, 7 config.
-- @module coc.cli
local argparse = require "argparse"
local cjson = require "cjson"

local cli = {}

local unpack = table.unpack or unpack -- luacheck: ignore 143

--- Exit codes by error kind.
cli.EXIT = {
  ok = 0, internal = 1, usage = 2, validation = 3, auth = 4, api = 5,
  network = 6, timeout = 6, tls = 6, config = 7,
}

--- Headers whose values are secret: shown as `<redacted>` by `--dry-run`.
cli.SECRET_HEADERS = { ["x-security-token"] = true, ["x-auth-token"] = true }
cli.REDACTED = "<redacted>"

local EPILOG = [[
Credentials and region come from the environment: HUAWEICLOUD_SDK_AK,
HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN, HUAWEICLOUD_SDK_DOMAIN_ID,
HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION (default cn-north-4),
HUAWEICLOUD_SDK_REGION_COC_<REGION> (an endpoint, e.g. ..._CN_NORTH_4), and
COC_AUTH_TOKEN (an IAM token, used when HUAWEICLOUD_SDK_AK is not set).

Exit codes: 0 done, 2 usage, 3 validation (nothing sent), 4 auth, 5 api,
6 network/timeout/tls, 7 config, 1 internal error.]]

local BOOL = { "true", "false" }

-- Options every command takes.
local function common(cmd)
  cmd:option("--region", "Region (default: $HUAWEICLOUD_SDK_REGION, else cn-north-4).")
    :argname("<region>")
  cmd:option("--endpoint", "Endpoint URL, instead of the region's."):argname("<url>")
  cmd:option("--domain-id", "Account id (default: $HUAWEICLOUD_SDK_DOMAIN_ID)."):argname("<id>")
  cmd:option("--ca-file", "PEM CA bundle to verify the endpoint with."):argname("<file>")
  cmd:option("--timeout", "Seconds for one attempt (default 120)."):argname("<seconds>")
  cmd:option("--retries", "Retries on 429, 502, 503, 504 and network errors (default 0)."):argname("<n>")
  cmd:flag("--dry-run", "Print the signed request, secrets redacted, and send nothing.")
  cmd:flag("--json", "Print the result, or the error, as one JSON object on stdout.")
end

local function sub_ticket(cmd)
  cmd:option("-s --sub-ticket", "Sub-ticket id (ticket_id), required."):argname("<id>"):count(1)
end

-- Builds the parser; `on_help(text)` is called for -h/--help (see cli.main).
local function build_parser(on_help)
  local parser = argparse("coc-change", "Update Huawei Cloud COC change tickets (PUT /v2/changes/{change_id}).", EPILOG)
    :add_help(false)
    :command_target("command")
    :help_max_width(100)
  local function help(p)
    p:flag("-h --help", "Show this help and exit."):action(function() on_help(p:get_help()) end)
  end
  help(parser)

  local function command(name, description)
    local cmd = parser:command(name, description, EPILOG):add_help(false)
    help(cmd)
    cmd:argument("change_id", "Change ticket number (1..50 characters).")
    return cmd
  end

  local cmd = command("start", "Start the change on a sub-ticket (action change_start_change_success).")
  sub_ticket(cmd)
  common(cmd)

  cmd = command("end", "End the change on a sub-ticket (action change_end_change_success).")
  sub_ticket(cmd)
  common(cmd)

  cmd = command("result", "Record a sub-ticket's result (action change_set_change_result_success).")
  sub_ticket(cmd)
  cmd:mutex(
    cmd:flag("--success", "The change succeeded: change_result change_result_success."),
    cmd:flag("--failed", "The change failed: change_result change_result_failed.")
  )
  cmd:option("--result", "change_result as given (wins over --success/--failed)."):argname("<text>")
  cmd:option("--fail-type", "change_fail_type, e.g. fr_dependent_service_issue."):argname("<text>")
  cmd:option("--comment", "comment: why the change failed (0..100 characters)."):argname("<text>")
  cmd:option("--rollback-start", "rollback_start_time: milliseconds, or seconds if below 1e11.")
    :argname("<time>")
  cmd:option("--rollback-end", "rollback_end_time: milliseconds, or seconds if below 1e11."):argname("<time>")
  cmd:option("--rollback-success", "is_rollback_success."):choices(BOOL)
  cmd:option("--verified-in-window", "is_verified_in_change_time."):choices(BOOL)
  cmd:option("--verified-docs", "verified_docs: verification document id."):argname("<text>")
  cmd:option("--monitor-found", "is_monitor_found."):choices(BOOL)
  cmd:option("--null", "Send this field (a flag name without --) as JSON null; repeatable.")
    :argname("<field>"):count("*")
    :choices({ "result", "fail-type", "comment", "rollback-start", "rollback-end", "rollback-success",
      "verified-in-window", "verified-docs", "monitor-found" })
  common(cmd)

  cmd = command("close", "Close the change (phase_change_end, action change_complete_success).")
  cmd:option("--status", "work_flow_status.", "COMPLETE"):argname("<status>")
  common(cmd)

  cmd = command("cancel", "Cancel the change (phase_change_cancel, action change_complete_success).")
  cmd:option("--status", "work_flow_status.", "CANCELED"):argname("<status>")
  common(cmd)

  cmd = command("update", "Send any body: a JSON file, stdin, and/or field flags (the flags win).")
  cmd:option("--body", "JSON body file; - reads stdin."):argname("<file>")
  cmd:option("--phase", "ticket_info.phase, e.g. phase_change_implement."):argname("<phase>")
  cmd:option("--work-flow-status", "ticket_info.work_flow_status."):argname("<status>")
  cmd:option("--action", "history_info.action, e.g. change_complete_success."):argname("<action>")
  cmd:option("--unknown-fields", "Fields the reference does not define: refuse, keep or drop them.", "error")
    :choices({ "error", "keep", "drop" })
  common(cmd)
  return parser
end

-- A usage problem: exit code 2, in the same shape as the module's errors.
local function usage_error(message)
  return { kind = "usage", code = "COC.USAGE", message = message }
end

local function number_arg(args, key, flag)
  local v = args[key]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n then return nil, usage_error(("%s: %q is not a number"):format(flag, v)) end
  return n
end

-- The result table (workflow's Lua names) from the `result` flags.
local function result_from(args, null)
  local r = {}
  if args.success then r.success = true elseif args.failed then r.success = false end
  local rollback = {}
  local function set(flag, t, key, v)
    if null[flag] then
      if v ~= nil then return nil, usage_error(("--%s and --null %s both given"):format(flag, flag)) end
      v = cjson.null
    end
    t[key] = v
    return true
  end
  local start, e1 = number_arg(args, "rollback_start", "--rollback-start")
  if e1 then return nil, e1 end
  local stop, e2 = number_arg(args, "rollback_end", "--rollback-end")
  if e2 then return nil, e2 end
  local function bool(v) if v ~= nil then return v == "true" end end
  local fields = {
    { "result", r, "result", args.result },
    { "fail-type", r, "fail_type", args.fail_type },
    { "comment", r, "comment", args.comment },
    { "verified-docs", r, "verified_docs", args.verified_docs },
    { "verified-in-window", r, "verified_in_window", bool(args.verified_in_window) },
    { "monitor-found", r, "monitor_found", bool(args.monitor_found) },
    { "rollback-start", rollback, "started_at", start },
    { "rollback-end", rollback, "ended_at", stop },
    { "rollback-success", rollback, "success", bool(args.rollback_success) },
  }
  for _, f in ipairs(fields) do
    local ok, err = set(f[1], f[2], f[3], f[4])
    if not ok then return nil, err end
  end
  if next(rollback) ~= nil then r.rollback = rollback end
  return r
end

local function read_body(path, stdin)
  local text
  if path == "-" then
    text = stdin:read("*a")
  else
    local f, ferr = io.open(path, "rb")
    if not f then return nil, usage_error("--body: " .. tostring(ferr)) end
    text = f:read("*a")
    f:close()
  end
  local ok, doc = pcall(cjson.decode, text or "")
  if not ok then
    local message = "not JSON: " .. tostring(doc)
    return nil, setmetatable({ kind = "validation", code = "COC.VALIDATION", message = "body: " .. message,
      errors = { { path = "body", rule = "json", message = message } } }, require("coc.core").error_mt)
  end
  return doc
end

-- The body of `update`: the JSON document, with the field flags set on it.
local function update_body(args, stdin)
  local body = {}
  if args.body then
    local err
    body, err = read_body(args.body, stdin)
    if body == nil then return nil, err end
  elseif not (args.phase or args.work_flow_status or args.action) then
    return nil, usage_error("update needs --body FILE (- for stdin), or --phase, --work-flow-status or --action")
  end
  if type(body) ~= "table" then return body end -- the validator explains
  local function into(key)
    if type(body[key]) ~= "table" then body[key] = {} end
    return body[key]
  end
  if args.phase then into("ticket_info").phase = args.phase end
  if args.work_flow_status then into("ticket_info").work_flow_status = args.work_flow_status end
  if args.action then into("history_info").action = args.action end
  return body
end

local function client_options(args, getenv)
  local function env(name)
    local v = getenv(name)
    if v ~= nil and v ~= "" then return v end
  end
  local opts = {
    region = args.region or env "HUAWEICLOUD_SDK_REGION",
    endpoint = args.endpoint,
    domain_id = args.domain_id,
    ca_file = args.ca_file,
  }
  if not env "HUAWEICLOUD_SDK_AK" and env "COC_AUTH_TOKEN" then opts.auth_token = env "COC_AUTH_TOKEN" end
  local err
  opts.timeout, err = number_arg(args, "timeout", "--timeout")
  if err then return nil, err end
  opts.max_retries, err = number_arg(args, "retries", "--retries")
  if err then return nil, err end
  return opts
end

-- The call each command makes, as (method, argument list).
local function plan(args, stdin)
  local id = args.change_id
  local c = args.command
  if c == "start" or c == "end" then
    return c .. "_change", { id, args.sub_ticket }
  elseif c == "result" then
    local null = {}
    for _, name in ipairs(args.null or {}) do null[name] = true end
    local r, err = result_from(args, null)
    if not r then return nil, err end
    return "set_change_result", { id, args.sub_ticket, r }
  elseif c == "close" or c == "cancel" then
    return c .. "_change", { id, args.status }
  end
  local body, err = update_body(args, stdin)
  if body == nil then return nil, err end
  return "update_change", { id, body, { unknown_fields = args.unknown_fields } }
end

-- Captures the body a helper would send, so that --dry-run shows exactly
-- what the command sends: the helper runs against a stand-in whose
-- update_change prepares instead of sending.
local function prepare(client, method, argv, now)
  local stand_in = setmetatable({
    update_change = function(_, change_id, body, opts)
      local o = { now = now }
      for k, v in pairs(opts or {}) do o[k] = v end
      return client:prepare_update_change(change_id, body, o)
    end,
  }, { __index = client })
  return stand_in[method](stand_in, unpack(argv, 1, 3))
end

local function redact_request(p, redact)
  local headers, names = {}, {}
  for name, value in pairs(p.headers) do
    headers[name] = cli.SECRET_HEADERS[name:lower()] and cli.REDACTED or redact(value)
    names[#names + 1] = name
  end
  table.sort(names)
  local canonical = {} -- none with an IAM token: nothing is signed
  for line in ((p.canonical_request or "") .. "\n"):gmatch("(.-)\n") do
    local name = line:match("^([%w%-]+):")
    canonical[#canonical + 1] = (name and cli.SECRET_HEADERS[name]) and (name .. ":" .. cli.REDACTED) or redact(line)
  end
  return {
    method = p.method, url = redact(p.url), headers = headers, header_names = names,
    body = redact(p.body), canonical_request = p.canonical_request and table.concat(canonical, "\n"),
  }
end

local function error_json(err, code)
  local e = {}
  for _, k in ipairs({ "kind", "code", "message", "status", "error_code", "error_msg", "provider_code",
    "request_id", "attempts", "omitted" }) do
    e[k] = err[k]
  end
  if err.errors then
    e.errors = {}
    for i, p in ipairs(err.errors) do e.errors[i] = { path = p.path, rule = p.rule, message = p.message } end
  end
  return { ok = false, exit_code = code, error = e }
end

--- Runs the command.
-- @tparam table argv the arguments (as `arg`, without the program name)
-- @tparam[opt] table env `stdout`, `stderr`, `stdin` (files), `getenv`
--   (function), `now` (Unix seconds for reproducible --dry-run signatures)
-- @treturn int the exit code
function cli.main(argv, env)
  env = env or {}
  local stdout, stderr = env.stdout or io.stdout, env.stderr or io.stderr
  local stdin, getenv = env.stdin or io.stdin, env.getenv or os.getenv
  local json = false
  for _, a in ipairs(argv) do if a == "--" then break elseif a == "--json" then json = true end end

  local function fail(err, code)
    code = code or cli.EXIT[err.kind] or cli.EXIT.internal
    if json then
      stdout:write(cjson.encode(error_json(err, code)), "\n")
    elseif err.kind == "usage" then
      stderr:write("coc-change: ", err.message, "\n", "Run `coc-change --help` for usage.\n")
    else
      stderr:write(tostring(err), "\n")
    end
    return code
  end

  local help_text
  local parser = build_parser(function(text)
    help_text = text
    error("help", 0) -- stops parsing; caught below
  end)
  local parsed, args
  local ok, perr = pcall(function() parsed, args = parser:pparse(argv) end)
  if help_text then
    stdout:write(help_text, "\n")
    return cli.EXIT.ok
  end
  if not ok then error(perr, 0) end
  if not parsed then
    if not json then stderr:write(parser:get_usage(), "\n\n") end
    return fail(usage_error(args))
  end

  local opts, err = client_options(args, getenv)
  if not opts then return fail(err) end
  local method, call_args = plan(args, stdin)
  if not method then return fail(call_args) end

  local coc = require "coc"
  local client
  client, err = coc.new(opts)
  if not client then return fail(err) end

  if args.dry_run then
    local p
    p, err = prepare(client, method, call_args, env.now)
    if not p then client:close(); return fail(err) end
    local r = redact_request(p, client:_redactor())
    client:close()
    if json then
      stdout:write(cjson.encode({ ok = true, dry_run = true, request = {
        method = r.method, url = r.url, headers = r.headers, body = r.body, canonical_request = r.canonical_request,
      } }), "\n")
    else
      stdout:write(r.method, " ", r.url, "\n")
      for _, name in ipairs(r.header_names) do stdout:write(name, ": ", r.headers[name], "\n") end
      stdout:write("\n", r.body, "\n")
    end
    return cli.EXIT.ok
  end

  local res
  res, err = client[method](client, call_args[1], call_args[2], call_args[3])
  client:close()
  if not res then return fail(err) end
  if json then
    stdout:write(cjson.encode({ ok = true, command = args.command, change_id = args.change_id, status = res.status,
      error_code = res.error_code, error_msg = res.error_msg, provider_code = res.provider_code,
      request_id = res.request_id, attempts = res.attempts }), "\n")
  else
    stdout:write(("%s %s: HTTP %d %s (request id %s)\n"):format(args.command, args.change_id, res.status,
      tostring(res.error_code), tostring(res.request_id)))
  end
  return cli.EXIT.ok
end

return cli
