-- authserv.lua - every inserted header starts with the configured authserv-id
-- (-D authserv=ID; the runner's reload test runs this script after changing it).
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local h = T.send(conn, { from = "<bounce@mx-null.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_domains(h, "good.test", "mx-null.test")
for _, x in ipairs(h) do
	T.check(x.authserv == T.authserv, "authserv-id %q, expected %q", x.authserv, T.authserv)
	T.check(x.text:sub(1, #T.authserv + 1) == T.authserv .. ";", "header does not start with %q;",
	    T.authserv)
end
mt.disconnect(conn)
