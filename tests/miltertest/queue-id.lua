-- queue-id.lua - log lines carry the queue id from the {i} macro: sent at end of
-- message (as Postfix does once the queue file exists) or at MAIL FROM; NOQUEUE
-- without one. A freshly evaluated domain's findings are logged once, with the
-- queue id; a second message for it is served from the cache without them.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local mark = T.log_mark()
T.send(conn, {
	from = "<bounce@mx-single.test>",
	headers = { { "From", "<a@good.test>" } },
	eom_macros = { i = "QID123" },
})
T.expect_log(mark, "QID123: posture ")
local line = T.log_line(mark, "QID123: posture ")
T.check(line:find("from=good.test grade=A", 1, true), "summary lacks from=good.test: %s", line)
T.check(line:find("mailfrom=mx-single.test grade=", 1, true), "summary lacks mailfrom: %s", line)
T.check(line:find("mailfrom=mx%-single%.test grade=%u %(evaluated%)"), "not evaluated: %s", line)
T.check(line:find("; %d+ ms$"), "no elapsed time at the end: %s", line)
T.check(T.log_line(mark, "QID123: mx-single.test: MX_SINGLE info: "),
    "the finding of the freshly evaluated domain is not logged with the queue id")

-- The same domain again: from the cache, its findings not logged again.
mark = T.log_mark()
T.send(conn, {
	from = "<bounce@mx-single.test>",
	headers = { { "From", "<a@good.test>" } },
	eom_macros = { i = "QID124" },
})
T.expect_log(mark, "QID124: posture ")
line = T.log_line(mark, "QID124: posture ")
T.check(line:find("mailfrom=mx%-single%.test grade=%u %(cache%)"), "not from the cache: %s", line)
T.check(T.log_line(mark, "MX_SINGLE") == nil, "findings logged again for a cached domain")

-- {i} at MAIL FROM only.
mark = T.log_mark()
T.send(conn, {
	mail_macros = { i = "QIDMAIL" },
	from = "<bounce@good.test>",
	headers = { { "From", "<a@good.test>" } },
})
T.expect_log(mark, "QIDMAIL: posture ")

-- No {i} at all.
mt.disconnect(conn)
conn = T.connect()
mark = T.log_mark()
T.send(conn, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_log(mark, "NOQUEUE: posture from=good.test")
mt.disconnect(conn)
