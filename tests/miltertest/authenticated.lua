-- authenticated.lua - SkipAuthenticated yes (the default): a message whose MAIL
-- FROM carries {auth_authen} is not evaluated (no header) but forged headers are
-- still removed; an empty {auth_authen} is not authentication.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local h = T.send(conn, {
	mail_macros = { ["{auth_authen}"] = "user", ["{auth_type}"] = "PLAIN" },
	from = "<user@good.test>",
	headers = { { "From", "<user@mx-null.test>" }, { "X-Domain-Posture", "forged; grade=A" } },
})
T.expect_domains(h)
T.expect_deleted(conn, 3, "1")
mt.disconnect(conn)

conn = T.connect()
h = T.send(conn, {
	mail_macros = { ["{auth_authen}"] = "" },
	from = "<user@good.test>",
	headers = { { "From", "<user@good.test>" } },
})
T.expect_domains(h, "good.test")
mt.disconnect(conn)
