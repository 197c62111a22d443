-- dkim-many.lua - a message with 50 DKIM-Signature fields (long, folded values,
-- several domains and selectors) is handled like any other: our header is added,
-- no DKIM-Signature is changed or removed, the reply is continue.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local headers = {}
for i = 1, 50 do
	local d = ({ "good.test", "mx-null.test", "dmarc-p-none.test", "example.com" })[i % 4 + 1]
	headers[#headers + 1] = { "DKIM-Signature", string.format(
	    "v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=sel%d;\n\th=from:to:subject:date; "
	    .. "bh=%s;\n\tb=%s", d, i, string.rep("A", 43) .. "=", string.rep("b", 340)) }
end
headers[#headers + 1] = { "From", "<a@good.test>" }
headers[#headers + 1] = { "Subject", "50 signatures" }
local h = T.send(conn, { from = "<bounce@good.test>", headers = headers })
T.expect_domains(h, "good.test")
T.expect_header(h[1], "good.test", { grade = "A", mx = "ok", dmarc = "ok" })
T.check(not mt.eom_check(conn, MT_HDRDELETE, "DKIM-Signature"), "a DKIM-Signature was removed")
T.check(not mt.eom_check(conn, MT_HDRCHANGE, "DKIM-Signature"), "a DKIM-Signature was changed")
T.expect_deleted(conn, 3)

-- And a second such message on the same connection.
h = T.send(conn, { from = "<bounce@mx-null.test>", headers = headers })
T.expect_domains(h, "good.test", "mx-null.test")
mt.disconnect(conn)
