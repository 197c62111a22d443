-- forged-overflow.lua - a sender cannot smuggle a forged header past the removal
-- limit: with 10000 junk X-Domain-Posture fields ahead of it, the forged one at
-- index 10001 must still be removed (or the message refused with a temporary
-- error). Accepting it with the forgery in place is the failure.
-- Over unix sockets only: miltertest reads each reply with a single read(2) and
-- fails on a short one ("read(3): returned 10, expected 22"), which 10000 removal
-- requests in a burst provoke over TCP.
-- sockets: unix
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local N = 10000
T.ok(mt.mailfrom(conn, "<bounce@mx-null.test>"), "mailfrom")
T.ok(mt.rcptto(conn, "<rcpt@example.com>"), "rcptto")
T.ok(mt.header(conn, "From", " <a@mx-null.test>"), "From")
for i = 1, N do
	T.ok(mt.header(conn, "X-Domain-Posture", " j" .. i), "junk " .. i)
end
T.ok(mt.header(conn, "X-Domain-Posture", " " .. T.authserv .. "; domain=mx-null.test; grade=A"),
    "forged")
T.ok(mt.eom(conn), "mt.eom")
local reply = mt.getreply(conn)
if reply ~= SMFIR_TEMPFAIL then
	T.check(reply == SMFIR_CONTINUE, "reply %s", tostring(reply))
	T.check(mt.eom_check(conn, MT_HDRDELETE, T.NAME, N + 1),
	    "the forged header at index %d was kept (accepted with reply %s)", N + 1, tostring(reply))
	T.check(mt.eom_check(conn, MT_HDRDELETE, T.NAME, 1), "junk index 1 kept")
end
mt.disconnect(conn)
