-- from-missing.lua - no From field: only the MAIL FROM domain's header is added,
-- and the log line says "no From field".
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local mark = T.log_mark()
local h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = { { "Subject", "no author" }, { "To", "<rcpt@example.com>" } },
	eom_macros = { i = "NOFROM1" },
})
T.expect_domains(h, "mx-null.test")
T.expect_header(h[1], "mx-null.test", { mx = "broken (MX_NULL)" })
T.expect_log(mark, "NOFROM1: posture ")
T.check(T.log_line(mark, "NOFROM1: posture "):find("no From field", 1, true),
    "log line lacks 'no From field'")

-- No headers at all.
h = T.send(conn, { from = "<bounce@good.test>" })
T.expect_domains(h, "good.test")
mt.disconnect(conn)
