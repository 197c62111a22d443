-- fixture-results.lua - the header carries the fixture's family words and codes:
-- mx-null.test: mx=broken (MX_NULL); dmarc-p-none.test: dmarc=weak
-- (DMARC_POLICY_NONE) with mx=ok; dmarc-none.test: dmarc=none; a domain with an
-- error finding never gets grade A. One message per domain on one connection.
local T = dofile(mtdir .. "/_lib.lua")

local cases = {
	{ "mx-null.test", { mx = "broken (MX_NULL)", dmarc = "ok" } },
	{ "dmarc-p-none.test", { mx = "ok", dmarc = "weak (DMARC_POLICY_NONE)" } },
	{ "dmarc-none.test", { mx = "ok", dmarc = "none" } },
	{ "mx-nolisting.test", { mx = "weak (MX_NOLISTING)" } },
}
local conn = T.connect()
for _, c in ipairs(cases) do
	local d = c[1]
	local h = T.send(conn, {
		from = "<bounce@" .. d .. ">",
		headers = { { "From", "<author@" .. d .. ">" } },
	})
	T.expect_domains(h, d)
	T.expect_header(h[1], d, c[2])
	T.check(h[1].grade:match("^[A-F]$"), "%s: grade=%s is not a letter", d, h[1].grade)
	if c[2].mx:find("broken") then
		T.check(h[1].grade ~= "A", "%s: grade A despite mx=broken", d)
	end
end
mt.disconnect(conn)
