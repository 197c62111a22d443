-- forged-mixed-case.lua - field names are case-insensitive (RFC 5322 1.2.2):
-- "x-domain-posture" and "X-DOMAIN-POSTURE" are removed like "X-Domain-Posture",
-- counted in one sequence of indexes.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = {
		{ "From", "<a@good.test>" },
		{ "x-domain-posture", T.authserv .. "; domain=good.test; grade=A" },
		{ "Subject", "mixed case" },
		{ "X-DOMAIN-POSTURE", "other.example; domain=good.test; grade=A" },
		{ "X-Domain-Posture", "third.example; domain=good.test; grade=A" },
	},
})
T.expect_deleted(conn, 5, "1", "2", "3")
T.expect_domains(h, "good.test")

-- Only a lower-case one.
h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "x-domain-posture", "test; grade=A" }, { "From", "<a@good.test>" } },
})
T.expect_deleted(conn, 3, "1")
mt.disconnect(conn)
