-- header-leading-space.lua - with SMFIP_HDR_LEADSPC negotiated, the MTA adds no
-- space after the colon of a header the milter inserts (Postfix milter8.c:
-- MILTER8_HDR_SPACE is "" then; sendmail likewise): the value must carry its one
-- leading space itself, or the message gets "X-Domain-Posture:test.local; ...".
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local h = T.send(conn, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_domains(h, "good.test")
if mt.test_option(conn, SMFIP_HDR_LEADSPC) then
	T.check(h[1].raw:sub(1, 1) == " " and h[1].raw:sub(2, 2) ~= " ",
	    "HDR_LEADSPC negotiated but the inserted value does not start with one space: %q", h[1].raw)
else
	T.check(h[1].raw:sub(1, 1) ~= " ", "leading space without HDR_LEADSPC: %q", h[1].raw)
end
mt.disconnect(conn)
