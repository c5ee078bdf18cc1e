-- coc.response on its own: how an answer (status, body, headers) becomes a
-- result or an error, the same for every transport, and the memo of the
-- last body that spares decoding COC's ever-identical success answer.
local response = require "coc.response"

local classify = response.classify_values
local SUCCESS = '{"provider_code":"049","error_code":"GOM.00000000","error_msg":null}'
local FAILURE = '{"error_code":"COC.00040001","error_msg":"the ticket is closed","request_id":"r-body"}'

-- The same bytes as `s`, in a string built at run time (never the same object).
local function copy(s) return (s:gsub("^{", "{")) end

describe("coc.response.classify_values", function()
  it("returns the documented fields of a success", function()
    local res, err = classify(nil, false, 200, SUCCESS, "r-1", "application/json", 1, 0)
    assert.is_nil(err)
    assert.are.same({ status = 200, error_code = "GOM.00000000", provider_code = "049", request_id = "r-1",
      attempts = 1, new_connections = 0 }, res)
  end)

  it("classifies a repeated body by its status each time", function()
    for _ = 1, 3 do
      assert.is_table((classify(nil, false, 200, copy(SUCCESS), "", "application/json", 1, 0)))
      local res, err = classify(nil, false, 503, copy(SUCCESS), "", "application/json", 2, 0)
      assert.is_nil(res)
      assert.are.equal("api", err.kind)
      assert.are.equal(503, err.status)
      assert.are.equal(2, err.attempts)
    end
  end)

  it("reads each body anew when bodies alternate", function()
    for _ = 1, 3 do
      assert.are.equal("GOM.00000000", classify(nil, false, 200, SUCCESS, "", "", 1, 0).error_code)
      local res, err = classify(nil, false, 200, FAILURE, "", "", 1, 0)
      assert.is_nil(res)
      assert.are.same({ "COC.00040001", "the ticket is closed", "r-body" },
        { err.code, err.message, err.request_id })
      -- the header's request id wins over the body's, memo or not
      _, err = classify(nil, false, 200, FAILURE, "r-header", "", 1, 0)
      assert.are.equal("r-header", err.request_id)
    end
  end)

  it("redacts a repeated message every time", function()
    local body = '{"error_code":"APIGW.0301","error_msg":"bad signature for secret-sk"}'
    local function redact(s) return (s:gsub("secret%-sk", "***")) end
    for _ = 1, 2 do
      local _, err = classify(redact, false, 401, copy(body), "", "", 1, 0)
      assert.are.equal("auth", err.kind)
      assert.are.equal("bad signature for ***", err.message)
    end
  end)

  it("says what a repeated non-JSON body was", function()
    for _ = 1, 2 do
      local _, err = classify(nil, false, 502, "<html>bad gateway</html>", "", "text/html", 1, 0)
      assert.are.same({ "HTTP.502", "HTTP 502 with a text/html body" }, { err.code, err.message })
      _, err = classify(nil, false, 200, "<html>bad gateway</html>", "", "text/html", 1, 0)
      assert.are.same({ "COC.BAD_RESPONSE", "HTTP 200 with a text/html body where a JSON object was expected" },
        { err.code, err.message })
    end
  end)

  it("gives every generic result a table of its own", function()
    local a = classify(nil, true, 200, SUCCESS, "", "", 1, 0)
    local b = classify(nil, true, 200, SUCCESS, "", "", 1, 0)
    assert.is_false(rawequal(a.data, b.data))
    a.data.error_code = "changed"
    assert.are.equal("GOM.00000000", b.data.error_code)
    assert.are.equal("GOM.00000000", classify(nil, false, 200, SUCCESS, "", "", 1, 0).error_code)
  end)

  it("reads bodies too large to remember, every time", function()
    local big = '{"error_code":"GOM.00000000","error_msg":"' .. ("x"):rep(4096) .. '"}'
    for _ = 1, 2 do
      local res = classify(nil, false, 200, big, "", "", 1, 0)
      assert.are.equal(4096, #res.error_msg)
    end
  end)
end)

describe("coc.response.classify", function()
  it("takes the nginx transport's table and agrees with classify_values", function()
    local raw = { status = 200, body = SUCCESS, request_id = "r-2", content_type = "", attempts = 1,
      new_connections = 1 }
    assert.are.same(classify(nil, false, 200, SUCCESS, "r-2", "", 1, 1), response.classify(raw))
  end)
end)
