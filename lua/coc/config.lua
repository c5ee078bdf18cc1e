--- Client configuration: regions, environment variables and defaults.
-- Explicit options win over the environment, which wins over defaults.
-- @module coc.config
local config = {}

--- COC is a global service; these are its endpoints by region.
config.regions = {
  ["cn-north-4"] = "https://coc.myhuaweicloud.com",
  ["ap-southeast-3"] = "https://coc-intl.myhuaweicloud.com",
  ["eu-west-101"] = "https://coc-eu-west-101-open-api.myhuaweicloud.eu",
}

config.default_region = "cn-north-4"

-- Options passed to the C client as they are.
local PASSED = {
  "ssl_verify", "ca_file", "proxy", "user_agent", "connect_timeout", "timeout", "deadline",
  "max_retries", "retry_base", "retry_max", "max_response", "project_id",
}

--- The environment variable that overrides a region's endpoint, as the
-- official SDKs name it: `HUAWEICLOUD_SDK_REGION_COC_CN_NORTH_4`.
function config.endpoint_variable(region)
  return "HUAWEICLOUD_SDK_REGION_COC_" .. region:upper():gsub("-", "_")
end

local function fail(message)
  local core = require "coc.core"
  return nil, setmetatable({ kind = "config", code = "COC.CONFIG", message = message }, core.error_mt)
end

local function nonempty(v)
  if v ~= nil and v ~= "" then return v end
end

--- Resolves options into the C client's configuration.
-- @tparam table opts the options of `coc.new`
-- @tparam[opt=os.getenv] function getenv
-- @return a configuration table, or `nil` and a config error
function config.resolve(opts, getenv)
  getenv = getenv or os.getenv
  if type(opts) ~= "table" then return fail("options must be a table") end
  local env = function(name) return nonempty(getenv(name)) end
  local cfg = {}
  for _, k in ipairs(PASSED) do cfg[k] = opts[k] end

  if opts.auth_token then
    cfg.auth_token = opts.auth_token
  elseif opts.ak or opts.sk then
    cfg.ak, cfg.sk, cfg.security_token = opts.ak, opts.sk, opts.security_token
  else
    cfg.ak, cfg.sk = env "HUAWEICLOUD_SDK_AK", env "HUAWEICLOUD_SDK_SK"
    cfg.security_token = opts.security_token or env "HUAWEICLOUD_SDK_SECURITY_TOKEN"
  end
  cfg.domain_id = opts.domain_id or env "HUAWEICLOUD_SDK_DOMAIN_ID"
  cfg.project_id = cfg.project_id or env "HUAWEICLOUD_SDK_PROJECT_ID"
  if not cfg.domain_id then
    return fail("no domain_id: COC is a global service and needs the account id "
      .. "(option domain_id or HUAWEICLOUD_SDK_DOMAIN_ID)")
  end

  local region = opts.region or config.default_region
  cfg.region = region
  cfg.endpoint = opts.endpoint or env(config.endpoint_variable(region)) or config.regions[region]
  if not cfg.endpoint then
    local known = {}
    for name in pairs(config.regions) do known[#known + 1] = name end
    table.sort(known)
    return fail(("unknown region %q: use one of %s, or give endpoint"):format(region, table.concat(known, ", ")))
  end
  return cfg
end

return config
