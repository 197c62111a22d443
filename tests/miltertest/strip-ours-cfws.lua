-- strip-ours-cfws.lua - StripHeaders ours must also recognise our authserv-id when
-- comments or folding white space (CFWS, RFC 8601 2.2) surround it: a reader that
-- parses the field in the Authentication-Results style sees our id in each of these
-- forgeries. (The version case is strip-ours-version.lua.)
-- config: StripHeaders ours
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local id = T.authserv
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = {
		{ "From", "<a@good.test>" },
		{ "X-Domain-Posture", id .. " (forged); domain=good.test; grade=A" },   -- 1
		{ "X-Domain-Posture", "(c) " .. id .. "; domain=good.test; grade=A" },  -- 2
		{ "X-Domain-Posture", id .. "\n\t; domain=good.test; grade=A" },        -- 3
		{ "X-Domain-Posture", "other.example (" .. id .. "); grade=A" },        -- 4 not ours
		{ "X-Domain-Posture", "(" .. id .. ") other.example; grade=A" },        -- 5 not ours
	},
})
T.expect_deleted(conn, 7, "1", "2", "3")
T.expect_domains(h, "good.test")
mt.disconnect(conn)
