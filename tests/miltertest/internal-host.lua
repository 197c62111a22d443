-- internal-host.lua - a client in InternalHosts (192.0.2.99 in the runner's
-- configuration) is not evaluated: no header for any message on that connection;
-- forged X-Domain-Posture headers are still removed (callbacks.c strips before it
-- checks skip: a header must not be forgeable from inside either). A neighbouring
-- address is evaluated.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect("192.0.2.99", "internal.example")
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "From", "<a@mx-null.test>" } },
})
T.expect_domains(h)
T.expect_deleted(conn, 3)

h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = {
		{ "X-Domain-Posture", T.authserv .. "; domain=mx-null.test; grade=A" },
		{ "From", "<a@mx-null.test>" },
		{ "X-Domain-Posture", "other.example; grade=A" },
	},
})
T.expect_domains(h)
T.expect_deleted(conn, 3, "1", "2")
mt.disconnect(conn)

-- Not internal: 192.0.2.98.
conn = T.connect("192.0.2.98")
h = T.send(conn, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_domains(h, "good.test")
mt.disconnect(conn)

-- Unknown client address family ("unspec"): evaluated.
conn = T.connect("unspec")
h = T.send(conn, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_domains(h, "good.test")
mt.disconnect(conn)
