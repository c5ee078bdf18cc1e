-- A DNS responder for the nginx specs, run as its own process:
--   luajit spec/support/dns.lua PORTFILE
-- nginx resolves the host names of cosockets with its `resolver` only (never
-- /etc/hosts), and the emulator's certificates name "localhost": this answers
-- every A query with 127.0.0.1 and any other query with no records, so the
-- specs can use https://localhost:PORT with full certificate checks. It
-- writes its UDP port to PORTFILE and exits after 10 idle minutes.
local socket = require "socket"

local udp = assert(socket.udp())
assert(udp:setsockname("127.0.0.1", 0))
local _, port = udp:getsockname()
local f = assert(io.open(arg[1] .. ".tmp", "w"))
f:write(port, "\n")
f:close()
assert(os.rename(arg[1] .. ".tmp", arg[1])) -- atomic: a reader never sees half a file
udp:settimeout(600)

local function u16(s, i) return s:byte(i) * 256 + s:byte(i + 1) end

while true do
  local query, ip, from = udp:receivefrom()
  if not query then break end -- idle timeout
  -- header (12 bytes), then one question: labels up to a zero byte, type, class
  local i = 13
  while i <= #query and query:byte(i) ~= 0 do i = i + query:byte(i) + 1 end
  if #query >= 12 and u16(query, 5) == 1 and i + 4 <= #query then
    local is_a = u16(query, i + 1) == 1
    local reply = query:sub(1, 2)         -- the query's id
      .. "\129\128"                      -- a response, recursion desired and available, no error
      .. "\0\1" .. (is_a and "\0\1" or "\0\0") .. "\0\0\0\0"
      .. query:sub(13, i + 4)            -- the question
    if is_a then                         -- name: pointer to the question's; A, IN, TTL 60, 127.0.0.1
      reply = reply .. "\192\12\0\1\0\1\0\0\0\60\0\4\127\0\0\1"
    end
    udp:sendto(reply, ip, from)
  end
end
