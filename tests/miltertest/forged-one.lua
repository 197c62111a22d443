-- forged-one.lua - one X-Domain-Posture header already in the message (a forgery
-- claiming our authserv-id and grade A) is removed (StripHeaders all, the
-- default), and ours is inserted.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local mark = T.log_mark()
local h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = {
		{ "From", "<a@mx-null.test>" },
		{ "X-Domain-Posture", T.authserv .. "; domain=mx-null.test; grade=A; mx=ok" },
		{ "Subject", "forged" },
	},
	eom_macros = { i = "FORGED1" },
})
T.expect_deleted(conn, 3, "1")
T.expect_domains(h, "mx-null.test")
T.expect_header(h[1], "mx-null.test", { mx = "broken (MX_NULL)" })
T.check(h[1].grade ~= "A", "the forged grade survived: %q", h[1].text)
T.expect_log(mark, "FORGED1: posture ")
T.check(T.log_line(mark, "FORGED1: posture "):find("removed 1 forged X-Domain-Posture", 1, true),
    "log line does not count the removal")

-- Without a forged header nothing is deleted.
h = T.send(conn, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_deleted(conn, 3)
T.expect_domains(h, "good.test")
mt.disconnect(conn)
