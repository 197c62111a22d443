-- header-added.lua - a message from a clean domain gets one X-Domain-Posture header:
-- our authserv-id, domain=, grade=A, mx=ok and dmarc=ok (good.test fixture), the
-- families in their fixed order, folded within 78 columns, inserted at the top.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
T.check(mt.test_option(conn, SMFIP_NOEOH), "SMFIP_NOEOH not negotiated")
T.check(mt.test_action(conn, SMFIF_ADDHDRS) and mt.test_action(conn, SMFIF_CHGHDRS),
    "ADDHDRS/CHGHDRS not requested")
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "From", "Good Sender <sender@good.test>" }, { "Subject", "hello" } },
})
T.expect_domains(h, "good.test")
T.expect_header(h[1], "good.test", { grade = "A", mx = "ok", dmarc = "ok" })
-- No warn/error code may appear for the clean reference domain.
for _, fam in ipairs({ "mx", "dmarc" }) do
	T.check(not h[1].fam[fam].comment:find("%u%u+_%u"), "good.test: %s= carries a code: %q",
	    fam, h[1].text)
end
-- The families in their fixed order (ARCHITECTURE.md, The header) (those present).
local rank = { mx = 1, spf = 2, dkim = 3, dmarc = 4, ["mta-sts"] = 5, ["tls-rpt"] = 6, bimi = 7 }
local last = 0
for _, k in ipairs(h[1].order) do
	T.check(rank[k] ~= nil, "unknown family %s in %q", k, h[1].text)
	T.check(rank[k] > last, "family %s out of order in %q", k, h[1].text)
	last = rank[k]
end
T.expect_deleted(conn, 3)
mt.disconnect(conn)
