-- from-garbage.lua - From values that hold no usable address give no author header
-- (only MAIL FROM's) and are counted as malformed in the log; addresses inside
-- comments or quoted display names are not authors; nothing from the value reaches
-- our header but a validated domain.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local mark = T.log_mark()
local h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = { { "From", "this is not an address" } },
	eom_macros = { i = "GARBAGE1" },
})
T.expect_domains(h, "mx-null.test")
T.expect_log(mark, "GARBAGE1: posture ")
T.check(T.log_line(mark, "GARBAGE1: posture "):find("1 malformed From address", 1, true),
    "log line does not count the malformed address")

local bad = {
	"",
	"<>",
	"<@>",
	"user@",
	"@good.test",
	"user@[192.0.2.1]",
	"user@bad_domain!.test",
	"user@-x.test",
	"\"unterminated <a@good.test>",
	"<a@good.test",
	"(unterminated comment a@good.test",
	string.rep("x", 600) .. "@" .. string.rep("y", 100) .. ".test",
	"a@good.test; X-Domain-Posture: " .. T.authserv .. "; grade=A",
}
for i, v in ipairs(bad) do
	h = T.send(conn, { from = "<bounce@mx-null.test>", headers = { { "From", v } } })
	for _, x in ipairs(h) do
		T.check(x.domain == "mx-null.test" or x.domain == "good.test",
		    "From #%d %q gave a header for %q", i, v, x.domain)
		T.check(x.grade:match("^[A-F]$") or x.grade == "temperror", "From #%d: grade %q", i, x.grade)
	end
	T.check(h[#h].domain == "mx-null.test", "From #%d %q: MAIL FROM header missing", i, v)
end

-- An address in a comment or in a quoted display name is not an author.
h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = { { "From", "\"x@dmarc-p-none.test\" <a@good.test> (or y@dmarc-none.test)" } },
})
T.expect_domains(h, "good.test", "mx-null.test")

-- An IDN author domain appears as its A-label (the header stays ASCII).
h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = { { "From", "<a@b\195\188cher.test>" } },
})
T.expect_domains(h, "xn--bcher-kva.test", "mx-null.test")
mt.disconnect(conn)
