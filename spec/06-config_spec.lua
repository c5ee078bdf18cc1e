-- Configuration from options and from the environment variables the
-- official SDKs use.
local config = require "coc.config"

local function env(vars)
  return function(name) return vars[name] end
end

describe("coc.config.resolve", function()
  it("takes AK/SK, security token, domain and project ids from the environment", function()
    local cfg = assert(config.resolve({}, env({
      HUAWEICLOUD_SDK_AK = "ak", HUAWEICLOUD_SDK_SK = "sk", HUAWEICLOUD_SDK_SECURITY_TOKEN = "st",
      HUAWEICLOUD_SDK_DOMAIN_ID = "dom", HUAWEICLOUD_SDK_PROJECT_ID = "proj",
    })))
    assert.are.same({ "ak", "sk", "st", "dom", "proj" },
      { cfg.ak, cfg.sk, cfg.security_token, cfg.domain_id, cfg.project_id })
    assert.are.equal("https://coc.myhuaweicloud.com", cfg.endpoint)
  end)

  it("prefers options to the environment", function()
    local cfg = assert(config.resolve({ ak = "a2", sk = "s2", domain_id = "d2" }, env({
      HUAWEICLOUD_SDK_AK = "ak", HUAWEICLOUD_SDK_SK = "sk", HUAWEICLOUD_SDK_SECURITY_TOKEN = "st",
      HUAWEICLOUD_SDK_DOMAIN_ID = "dom" })))
    assert.are.same({ "a2", "s2", "d2" }, { cfg.ak, cfg.sk, cfg.domain_id })
    assert.is_nil(cfg.security_token)
  end)

  it("uses only the token when one is given", function()
    local cfg = assert(config.resolve({ auth_token = "tok", domain_id = "d" },
      env({ HUAWEICLOUD_SDK_AK = "ak", HUAWEICLOUD_SDK_SK = "sk" })))
    assert.are.equal("tok", cfg.auth_token)
    assert.is_nil(cfg.ak)
    assert.is_nil(cfg.sk)
  end)

  it("maps each region to its endpoint", function()
    for region, endpoint in pairs({
      ["cn-north-4"] = "https://coc.myhuaweicloud.com",
      ["ap-southeast-3"] = "https://coc-intl.myhuaweicloud.com",
      ["eu-west-101"] = "https://coc-eu-west-101-open-api.myhuaweicloud.eu",
    }) do
      assert.are.equal(endpoint, config.resolve({ region = region, domain_id = "d" }, env({})).endpoint)
    end
  end)

  it("lets HUAWEICLOUD_SDK_REGION_COC_<REGION> override a region's endpoint, and endpoint override both", function()
    local vars = env({ HUAWEICLOUD_SDK_REGION_COC_AP_SOUTHEAST_3 = "http://127.0.0.1:8080" })
    assert.are.equal("HUAWEICLOUD_SDK_REGION_COC_AP_SOUTHEAST_3", config.endpoint_variable("ap-southeast-3"))
    assert.are.equal("http://127.0.0.1:8080", config.resolve({ region = "ap-southeast-3", domain_id = "d" }, vars).endpoint)
    assert.are.equal("https://x.example", config.resolve({ region = "ap-southeast-3", endpoint = "https://x.example",
      domain_id = "d" }, vars).endpoint)
    -- an override also makes a region usable that the table does not know
    assert.are.equal("http://h", config.resolve({ region = "la-south-2", domain_id = "d" },
      env({ HUAWEICLOUD_SDK_REGION_COC_LA_SOUTH_2 = "http://h" })).endpoint)
  end)
end)

describe("coc.update_change without a client", function()
  it("configures a default client from the environment", function()
    local emu = require("helpers").emulator()
    emu.reset()
    local lua = arg and arg[-1] or "lua"
    local script = [[
      local coc = require "coc"
      local res, err = coc.update_change("CHG-ENV", { ticket_info = { work_flow_status = "FROM_ENV" } })
      io.write(res and res.error_code or tostring(err))]]
    local cmd = ("HUAWEICLOUD_SDK_AK=%s HUAWEICLOUD_SDK_SK=%s HUAWEICLOUD_SDK_DOMAIN_ID=%s "
      .. "HUAWEICLOUD_SDK_REGION_COC_CN_NORTH_4=%s LUA_PATH=%q LUA_CPATH=%q %s -e %q"):format(
      emu.ak, emu.sk, emu.domain_id, emu.url, package.path, package.cpath, lua, script)
    local p = assert(io.popen(cmd))
    local out = p:read("*a")
    p:close()
    assert.are.equal("GOM.00000000", out)
    assert.are.equal("FROM_ENV", emu.change("CHG-ENV").work_flow_status)
  end)
end)
