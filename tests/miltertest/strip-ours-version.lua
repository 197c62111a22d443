-- strip-ours-version.lua - StripHeaders ours: "ID 1; ..." is our authserv-id with a
-- version, as RFC 8601 2.2 writes Authentication-Results (authserv-id [CFWS
-- authres-version] ";"); ARCHITECTURE.md (The header) gives X-Domain-Posture that style, so a reader
-- may take such a forgery for ours: it must be removed too.
-- config: StripHeaders ours
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local id = T.authserv
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = {
		{ "From", "<a@good.test>" },
		{ "X-Domain-Posture", id .. " 1; domain=good.test; grade=A" },          -- 1
		{ "X-Domain-Posture", id .. " (v) 1 (x); domain=good.test; grade=A" },  -- 2
		{ "X-Domain-Posture", id .. " one; domain=good.test; grade=A" },        -- 3 not a version
	},
})
T.expect_deleted(conn, 5, "1", "2")
T.expect_domains(h, "good.test")
mt.disconnect(conn)
