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

-- A From field that comes only after many other fields still counts (the no-From
-- case above is not sticky for the connection).
local headers = {}
for i = 1, 30 do
	headers[#headers + 1] = { "Received", "from hop" .. i .. ".example by mx.example" }
end
headers[#headers + 1] = { "From", "<a@good.test>" }
h = T.send(conn, { from = "<bounce@mx-null.test>", headers = headers })
T.expect_domains(h, "good.test", "mx-null.test")
-- (A message with no header at all cannot be sent: miltertest then fills in a From
-- field of its own.)
mt.disconnect(conn)
