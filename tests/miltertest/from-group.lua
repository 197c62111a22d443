-- from-group.lua - group syntax in From (RFC 5322 3.4, RFC 6854): the group's
-- mailboxes are authors; an empty group has none (only MAIL FROM's header).
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = { { "From", "Team: a@good.test;" } },
})
T.expect_domains(h, "good.test", "mx-null.test")

h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = { { "From", "Team: Alice <a@good.test>, b@dmarc-p-none.test;" } },
})
T.expect_domains(h, "good.test", "dmarc-p-none.test", "mx-null.test")

h = T.send(conn, {
	from = "<bounce@mx-null.test>",
	headers = { { "From", "undisclosed-recipients:;" } },
})
T.expect_domains(h, "mx-null.test")
mt.disconnect(conn)
