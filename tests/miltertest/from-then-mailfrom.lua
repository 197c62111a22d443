-- from-then-mailfrom.lua - header From's domain gets the top header, MAIL FROM's
-- the one below when it differs; the same domain in both (also in another letter
-- case) gives one header.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
-- Different domains: From first (index 0, top), then MAIL FROM (index 1).
local h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = { { "From", "Someone <someone@good.test>" } },
})
T.expect_domains(h, "good.test", "mx-null.test")
T.expect_header(h[1], "good.test", { grade = "A", mx = "ok" })
T.expect_header(h[2], "mx-null.test", { mx = "broken (MX_NULL)" })

-- Same domain: one header.
h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "From", "<someone@good.test>" } },
})
T.expect_domains(h, "good.test")

-- Same domain, different case on each side: still one header, lower case.
h = T.send(conn, {
	from = "<Bounce@GOOD.Test>",
	headers = { { "From", "<Someone@Good.TEST>" } },
})
T.expect_domains(h, "good.test")

-- The From header after other fields, MAIL FROM without angle brackets.
h = T.send(conn, {
	from = "bounce@dmarc-p-none.test",
	headers = { { "Subject", "x" }, { "To", "<rcpt@example.com>" },
		{ "From", "<a@good.test>" } },
})
T.expect_domains(h, "good.test", "dmarc-p-none.test")
T.expect_header(h[2], "dmarc-p-none.test", { dmarc = "weak (DMARC_POLICY_NONE)" })
mt.disconnect(conn)
