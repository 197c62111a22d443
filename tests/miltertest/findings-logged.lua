-- findings-logged.lua - ARCHITECTURE.md (Logs): a domain's findings are logged when it is
-- evaluated. Here the domain is both MAIL FROM and From: its evaluation starts at
-- RCPT for the envelope and is joined by the From header's request; the findings
-- must still be logged once, with the queue id.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local mark = T.log_mark()
local h = T.send(conn, {
	from = "<bounce@mx-ttl-low.test>",
	headers = { { "From", "<a@mx-ttl-low.test>" } },
	eom_macros = { i = "SAMEDOM" },
})
T.expect_domains(h, "mx-ttl-low.test")
T.expect_log(mark, "SAMEDOM: posture ")
T.check(T.log_line(mark, "SAMEDOM: mx-ttl-low.test: MX_TTL_LOW "),
    "findings of mx-ttl-low.test (evaluated for this message) not logged:\n%s", T.log_since(mark))
mt.disconnect(conn)
