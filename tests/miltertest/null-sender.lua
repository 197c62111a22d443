-- null-sender.lua - the null reverse-path "<>" (bounces, RFC 5321 4.5.5) has no
-- domain: only the From domain's header; with no From either, no header at all.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local h = T.send(conn, {
	from = "<>",
	headers = { { "From", "MAILER-DAEMON <mailer-daemon@good.test>" } },
})
T.expect_domains(h, "good.test")

h = T.send(conn, {
	from = "<>",
	headers = { { "From", "<postmaster@mx-null.test>" } },
})
T.expect_domains(h, "mx-null.test")

local mark = T.log_mark()
h = T.send(conn, { from = "<>", headers = { { "Subject", "bounce" } }, eom_macros = { i = "NULLS" } })
T.expect_domains(h)
T.expect_deleted(conn, 3)
T.expect_log(mark, "NULLS: posture ")

-- A forged header is still removed from a bounce.
h = T.send(conn, {
	from = "<>",
	headers = { { "X-Domain-Posture", "forged; grade=A" }, { "From", "<a@good.test>" } },
})
T.expect_deleted(conn, 3, "1")
T.expect_domains(h, "good.test")
mt.disconnect(conn)
