-- from-multiple.lua - several From fields (RFC 5322 3.6 allows one; RFC 7489
-- 6.6.1): each author domain gets a header, in order of appearance, then MAIL FROM;
-- a domain repeated across fields is evaluated once; the log says "multiple authors".
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local mark = T.log_mark()
local h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = {
		{ "From", "<a@good.test>" },
		{ "Subject", "two From fields" },
		{ "From", "<b@dmarc-p-none.test>" },
		{ "from", "<c@GOOD.test>" },
	},
	eom_macros = { i = "MULTIFROM" },
})
T.expect_domains(h, "good.test", "dmarc-p-none.test", "mx-null.test")
T.expect_header(h[1], "good.test", { grade = "A" })
T.expect_header(h[2], "dmarc-p-none.test", { dmarc = "weak (DMARC_POLICY_NONE)" })
T.expect_header(h[3], "mx-null.test", { mx = "broken (MX_NULL)" })
T.expect_log(mark, "MULTIFROM: posture ")
local line = T.log_line(mark, "MULTIFROM: posture ")
T.check(line:find("multiple authors (3 From fields", 1, true), "log line: %s", line)

-- MAIL FROM equal to the second author: no extra header for it.
h = T.send(conn, {
	from = "<bounce@dmarc-p-none.test>",
	headers = { { "From", "<a@good.test>" }, { "From", "<b@dmarc-p-none.test>" } },
})
T.expect_domains(h, "good.test", "dmarc-p-none.test")
mt.disconnect(conn)
