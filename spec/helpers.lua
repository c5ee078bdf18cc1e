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

return helpers
