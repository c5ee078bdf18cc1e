-- The credentials the emulator accepts. emulator/start is their single
-- source: it exports them and nginx.conf passes them through `env`
-- directives, so tests read the same values from DIR/env.

local M = {}

local function need(name)
  local v = os.getenv(name)
  if not v or v == "" then
    error("coc_emulator: environment variable " .. name .. " is not set (start the emulator with emulator/start)")
  end
  return v
end

M.domain_id = need("COC_EMULATOR_DOMAIN_ID")
M.token = need("COC_EMULATOR_TOKEN")
M.security_token = need("COC_EMULATOR_SECURITY_TOKEN")

-- AK -> { sk = secret key, temporary = needs X-Security-Token }
M.keys = {
  [need("COC_EMULATOR_AK")] = { sk = need("COC_EMULATOR_SK"), temporary = false },
  [need("COC_EMULATOR_TMP_AK")] = { sk = need("COC_EMULATOR_TMP_SK"), temporary = true },
}

-- The gateway rejects an X-Sdk-Date further than this from its clock.
M.MAX_CLOCK_SKEW = 15 * 60

return M
