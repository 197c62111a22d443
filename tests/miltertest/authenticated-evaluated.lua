-- authenticated-evaluated.lua - SkipAuthenticated no: authenticated mail is
-- evaluated like any other.
-- config: SkipAuthenticated no
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local h = T.send(conn, {
	mail_macros = { ["{auth_authen}"] = "user" },
	from = "<user@mx-null.test>",
	headers = { { "From", "<user@good.test>" } },
})
T.expect_domains(h, "good.test", "mx-null.test")
mt.disconnect(conn)
