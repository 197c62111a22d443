-- forged-cap.lua - MaxForgedHeaders: a message may carry at most that many fields to
-- remove, X-Domain-Posture (StripHeaders all: every one) and Authentication-Results
-- with our authserv-id counted together. At the cap they are all removed; one more
-- and the message is rejected with 550 5.7.1 (never a 4xx that invites a retry),
-- nothing removed, and a log line names the queue id and the counts. The next
-- message on the connection is handled as usual.
-- config: MaxForgedHeaders 4
local T = dofile(mtdir .. "/_lib.lua")

local AR = "Authentication-Results"
local conn = T.connect()
local id = T.authserv

-- At the cap: 2 + 2 forged fields, and someone else's Authentication-Results kept.
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = {
		{ "From", "<a@good.test>" },
		{ "X-Domain-Posture", "other.example; domain=good.test; grade=A" },     -- 1
		{ AR, id .. "; dmarc=pass" },                                           -- 1
		{ AR, "other.example; dmarc=pass" },                                    -- 2 kept
		{ "X-Domain-Posture", id .. "; domain=good.test; grade=A" },            -- 2
		{ AR, '"' .. id .. '"; dkim=pass' },                                    -- 3
	},
})
T.expect_deleted(conn, 3, "1", "2")
local got = T.deleted_set(conn, 4, AR)
T.check(got == "1 3", "deleted %s indexes [%s], expected [1 3]", AR, got)
T.expect_domains(h, "good.test")

-- One over the cap: rejected, with the names counted together.
local mark = T.log_mark()
T.send(conn, {
	from = "<bounce@good.test>",
	mail_macros = { i = "CAPQID1" },
	eom_macros = { i = "CAPQID1" },
	headers = {
		{ "From", "<a@good.test>" },
		{ "X-Domain-Posture", "j1" },
		{ "X-Domain-Posture", "j2" },
		{ "X-Domain-Posture", "j3" },
		{ AR, id .. "; dmarc=pass" },
		{ AR, "other.example; dmarc=pass" },
		{ AR, '"' .. id .. '"; dmarc=pass' },
	},
	reply = SMFIR_REPLYCODE,
})
T.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Too many forged X-Domain-Posture or Authentication-Results header fields"),
    "over the cap: not the 550 5.7.1 reply")
T.check(not mt.eom_check(conn, MT_HDRDELETE), "over the cap: a header was deleted")
T.check(not mt.eom_check(conn, MT_HDRINSERT), "over the cap: a header was inserted")
T.expect_log(mark, "CAPQID1: rejected: 5 forged X-Domain-Posture and Authentication-Results fields (3 and 2), over MaxForgedHeaders 4")

-- The connection goes on: the next message is evaluated and stripped as usual.
h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = { { "From", "<a@good.test>" }, { "X-Domain-Posture", "j; grade=A" } },
})
T.expect_deleted(conn, 2, "1")
T.expect_domains(h, "good.test")
mt.disconnect(conn)
