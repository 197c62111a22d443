-- forged-overflow.lua - a sender cannot smuggle a forged header past the removal
-- limit, nor make the milter send the MTA thousands of delete requests (Postfix's
-- cleanup panics on ~10000 of them and the client gets a 4xx to retry forever): with
-- 10000 junk X-Domain-Posture fields ahead of a forged one, far over the default
-- MaxForgedHeaders (100), the message is rejected with 550 5.7.1 and nothing is
-- deleted. Accepting it (with or without the forgery) or a temporary error is the
-- failure.
-- Over unix sockets only: miltertest reads each reply with a single read(2) and
-- fails on a short one ("read(3): returned 10, expected 22"), which a burst of
-- removal requests provokes over TCP.
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
local mark = T.log_mark()
T.ok(mt.eom(conn), "mt.eom")
local reply = mt.getreply(conn)
T.check(reply == SMFIR_REPLYCODE, "reply %s, expected a reply code (%s)", tostring(reply),
    tostring(SMFIR_REPLYCODE))
T.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Too many forged X-Domain-Posture or Authentication-Results header fields"),
    "not the 550 5.7.1 reply")
T.check(not mt.eom_check(conn, MT_HDRDELETE), "a header was deleted: the message was rejected")
T.expect_log(mark, "rejected: " .. (N + 1) .. " forged X-Domain-Posture and Authentication-Results fields")
mt.disconnect(conn)
