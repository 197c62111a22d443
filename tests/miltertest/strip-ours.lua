-- strip-ours.lua - StripHeaders ours: only X-Domain-Posture headers whose
-- authserv-id is ours (compared case-insensitively) are removed; those of other
-- hosts, including ids that merely start with ours, stay.
-- config: StripHeaders ours
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local id = T.authserv
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = {
		{ "X-Domain-Posture", id .. "; domain=good.test; grade=A" },          -- 1 ours
		{ "X-Domain-Posture", "other.example; domain=good.test; grade=B" },   -- 2
		{ "From", "<a@good.test>" },
		{ "x-domain-posture", id:upper() .. " ; domain=good.test; grade=A" }, -- 3 ours
		{ "X-Domain-Posture", id .. ".evil.example; domain=good.test" },      -- 4
		{ "X-Domain-Posture", id .. "x; domain=good.test" },                  -- 5
		{ "X-Domain-Posture", "\t" .. id .. "\t;grade=A" },                   -- 6 ours
		{ "X-Domain-Posture", "sub." .. id .. "; grade=A" },                  -- 7
	},
})
T.expect_deleted(conn, 9, "1", "3", "6")
T.expect_domains(h, "good.test")
mt.disconnect(conn)
