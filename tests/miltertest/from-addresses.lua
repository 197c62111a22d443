-- from-addresses.lua - one From field with several mailboxes (RFC 5322 3.6.2):
-- a header per distinct author domain, at most 3 author domains (the rest only
-- counted in the log), then MAIL FROM when it differs.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
-- Two addresses at different domains.
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "From", "Alice <a@good.test>, \"Bob, Jr.\" <b@mx-null.test>" } },
})
T.expect_domains(h, "good.test", "mx-null.test")
T.expect_header(h[2], "mx-null.test", { mx = "broken (MX_NULL)" })

-- Two addresses at one domain: one header.
h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "From", "a@good.test, b@Good.Test" } },
})
T.expect_domains(h, "good.test")

-- Five author domains: the first three get headers, then MAIL FROM.
local mark = T.log_mark()
h = T.send(conn, {
	from = "<bounce@mx-nolisting.test>",
	headers = { { "From", "a@good.test, b@mx-null.test,\n\tc@dmarc-p-none.test, "
	    .. "d@dmarc-none.test, e@dmarc-clean.test" } },
	eom_macros = { i = "FIVEFROM" },
})
T.expect_domains(h, "good.test", "mx-null.test", "dmarc-p-none.test", "mx-nolisting.test")
T.expect_log(mark, "FIVEFROM: posture ")
T.check(T.log_line(mark, "FIVEFROM: posture "):find("multiple authors", 1, true),
    "log line does not say multiple authors")

-- Three author domains spread over two From fields, plus a fourth: still three.
h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "From", "a@mx-null.test, b@dmarc-p-none.test" },
		{ "From", "c@dmarc-none.test, d@dmarc-clean.test" } },
})
T.expect_domains(h, "mx-null.test", "dmarc-p-none.test", "dmarc-none.test", "good.test")
mt.disconnect(conn)
