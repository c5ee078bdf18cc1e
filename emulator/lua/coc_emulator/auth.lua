-- API-gateway authentication: IAM token or SDK-HMAC-SHA256 AK/SK signature,
-- then the global-service account header X-Domain-Id.
-- Never puts a secret key into a message.

local signer = require("coc_emulator.signer")
local creds = require("coc_emulator.credentials")

local M = {}

local function header(headers, name)
  local v = headers[name]
  if type(v) == "table" then v = table.concat(v, ",") end
  return v
end

local function verify_signature(req, authorization)
  local auth, err = signer.parse_authorization(authorization)
  if not auth then return false, err end

  local key = creds.keys[auth.access]
  if not key then return false, "the access key " .. auth.access .. " does not exist" end

  local signed = signer.normalize_signed_headers(auth.signed_headers)
  local listed = {}
  for _, n in ipairs(signed) do listed[n] = true end
  for _, n in ipairs({ "host", "x-sdk-date" }) do
    if not listed[n] then return false, "SignedHeaders must include " .. n end
  end

  local date = header(req.headers, "x-sdk-date")
  if not date then return false, "X-Sdk-Date header is missing" end
  local t = signer.parse_sdk_date(date)
  if not t then return false, "X-Sdk-Date '" .. date .. "' is not YYYYMMDDTHHMMSSZ" end
  if math.abs(t - req.now) > creds.MAX_CLOCK_SKEW then
    return false, ("the request is expired: X-Sdk-Date %s is more than %d minutes from the server time %s")
      :format(date, creds.MAX_CLOCK_SKEW / 60, os.date("!%Y%m%dT%H%M%SZ", req.now))
  end

  if key.temporary then
    local st = header(req.headers, "x-security-token")
    if not st then return false, "X-Security-Token is required with temporary credentials" end
    if not listed["x-security-token"] then
      return false, "X-Security-Token must be among the SignedHeaders"
    end
    if st ~= creds.security_token then return false, "the security token is invalid or expired" end
  end

  local canonical, missing = signer.canonical_request({
    method = req.method, path = req.path, query = req.query, headers = req.headers,
    signed_headers = signed, body = req.body,
  })
  if not canonical then return false, "signed header " .. missing .. " is not in the request" end
  local expected = signer.signature(key.sk, signer.string_to_sign(date, canonical))
  if not signer.equal(expected, auth.signature:lower()) then
    -- As the real gateway does: show the canonical request it computed.
    return false, "verify aksk signature fail, canonicalRequest: " .. canonical
  end
  return true
end

--[[ req = { method, path (raw), query (raw), headers (lowercase names),
            body, now (epoch seconds) }
Returns true, or false and the explanation for the 401. ]]
function M.check(req)
  local token = header(req.headers, "x-auth-token")
  local authorization = header(req.headers, "authorization")
  if authorization then
    local ok, err = verify_signature(req, authorization)
    if not ok then return false, err end
  elseif token then
    if token ~= creds.token then return false, "the token is invalid or expired" end
  else
    return false, "Authorization not found (neither an AK/SK signature nor X-Auth-Token)"
  end

  local domain = header(req.headers, "x-domain-id")
  if not domain then return false, "X-Domain-Id is required by this global service" end
  if domain ~= creds.domain_id then return false, "X-Domain-Id " .. domain .. " does not match the credentials" end
  return true
end

return M
