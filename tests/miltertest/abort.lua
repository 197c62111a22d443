-- abort.lua - an aborted message leaves nothing behind: the next message on the
-- same connection gets only its own headers and removals (abort after MAIL FROM,
-- after RCPT, in the middle of the headers while evaluations run); a client that
-- drops the connection mid-message does not harm the daemon.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
-- Abort in the middle of the header block: From seen (its evaluation started), a
-- forged header queued for removal.
T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = {
		{ "From", "<a@dmarc-p-none.test>" },
		{ "X-Domain-Posture", "forged; grade=A" },
		{ "X-Domain-Posture", "forged again; grade=A" },
	},
	abort = true,
})
local mark = T.log_mark()
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "From", "<a@good.test>" } },
	eom_macros = { i = "AFTERABORT" },
})
T.expect_domains(h, "good.test")
T.expect_header(h[1], "good.test", { grade = "A" })
T.expect_deleted(conn, 3)
T.expect_log(mark, "AFTERABORT: posture ")
local line = T.log_line(mark, "AFTERABORT: posture ")
T.check(not line:find("removed", 1, true), "removals of the aborted message leaked: %s", line)
T.check(not line:find("dmarc-p-none.test", 1, true) and not line:find("mx-null.test", 1, true),
    "domains of the aborted message leaked: %s", line)

-- Abort right after MAIL FROM, then right after RCPT, then a full message.
T.ok(mt.mailfrom(conn, "<x@mx-null.test>"), "mailfrom")
T.ok(mt.abort(conn), "abort after MAIL")
T.ok(mt.mailfrom(conn, "<x@mx-null.test>"), "mailfrom")
T.ok(mt.rcptto(conn, "<rcpt@example.com>"), "rcptto")
T.ok(mt.abort(conn), "abort after RCPT")
h = T.send(conn, { from = "<bounce@good.test>", headers = { { "From", "<b@good.test>" } } })
T.expect_domains(h, "good.test")
mt.disconnect(conn)

-- A client that disappears mid-message (no abort, no quit).
local c2 = T.connect()
T.ok(mt.mailfrom(c2, "<x@dmarc-none.test>"), "mailfrom")
T.ok(mt.rcptto(c2, "<rcpt@example.com>"), "rcptto")
T.ok(mt.header(c2, "From", " <y@mx-nolisting.test>"), "From")
mt.disconnect(c2, false)

-- Abort then a new message, repeated quickly on one connection.
local c3 = T.connect()
for i = 1, 20 do
	T.send(c3, {
		from = "<bounce@mx-null.test>",
		headers = { { "From", "<a@good.test>" }, { "X-Domain-Posture", "f" .. i } },
		abort = true,
	})
end
h = T.send(c3, { from = "<bounce@mx-null.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_domains(h, "good.test", "mx-null.test")
T.expect_deleted(c3, 3)
mt.disconnect(c3)

-- The daemon still serves new connections.
local c4 = T.connect()
h = T.send(c4, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_domains(h, "good.test")
mt.disconnect(c4)
