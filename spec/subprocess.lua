-- Runs a Lua script of this checkout as a subprocess, under the interpreter
-- running Busted, with a clean environment (env -i): for the CLI and the
-- examples specs.
local subprocess = {}

--- The interpreter running this suite (`lua5.4`, `luajit`, ...).
function subprocess.interpreter()
  local i = -1
  while arg[i - 1] do i = i - 1 end
  return arg[i]
end

--- A word quoted for sh.
function subprocess.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- The whole content of a file.
function subprocess.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

--- Writes a file.
function subprocess.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- The environment a script gets: PATH, this suite's module paths (so the
-- subprocess loads the same build), the given variables (`false` removes one).
function subprocess.env(vars)
  local env = { PATH = os.getenv("PATH"), LUA_PATH = package.path, LUA_CPATH = package.cpath }
  for k, v in pairs(vars or {}) do env[k] = v or nil end
  return env
end

--- Runs `script` with `args`; opts.env (see subprocess.env), opts.stdin.
-- @return exit code, stdout, stderr
function subprocess.run(script, args, opts)
  opts = opts or {}
  local out, err, inp = os.tmpname(), os.tmpname(), os.tmpname()
  subprocess.write(inp, opts.stdin or "")
  local parts = { "env -i" }
  for k, v in pairs(subprocess.env(opts.env)) do parts[#parts + 1] = k .. "=" .. subprocess.quote(v) end
  parts[#parts + 1] = subprocess.quote(subprocess.interpreter())
  parts[#parts + 1] = subprocess.quote(script)
  for _, a in ipairs(args or {}) do parts[#parts + 1] = subprocess.quote(a) end
  local cmd = table.concat(parts, " ") .. (" <%s >%s 2>%s"):format(inp, out, err)
  -- Lua 5.1 and LuaJIT give the raw wait status, 5.2+ (ok, "exit", code).
  local a, how, code = os.execute(cmd)
  if type(a) == "number" then
    code = a % 256 == 0 and math.floor(a / 256) or -1
  elseif how ~= "exit" then
    code = -1
  end
  local stdout, stderr = subprocess.slurp(out), subprocess.slurp(err)
  os.remove(out); os.remove(err); os.remove(inp)
  return code, stdout, stderr
end

return subprocess
