-- forged-several.lua - several forged X-Domain-Posture headers, interleaved with
-- other fields and with any authserv-id, folded or not, are all removed, each by its
-- own index (1-based among the X-Domain-Posture fields); other fields are untouched.
local T = dofile(mtdir .. "/_lib.lua")

local conn = T.connect()
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = {
		{ "X-Domain-Posture", "mx.example.net; domain=good.test; grade=F" },
		{ "Received", "from somewhere by mx.example.net" },
		{ "X-Domain-Posture", T.authserv .. "; domain=good.test;\n\tgrade=A; mx=ok" },
		{ "From", "<a@good.test>" },
		{ "X-Domain-Posture", "" },
		{ "X-Domain-Posture-Extra", "not ours: a different field name" },
		{ "X-Domain-Posture", "garbage without any structure" },
		{ "Subject", "several" },
	},
})
T.expect_deleted(conn, 6, "1", "2", "3", "4")
T.check(not mt.eom_check(conn, MT_HDRDELETE, "X-Domain-Posture-Extra"),
    "X-Domain-Posture-Extra was removed")
T.check(not mt.eom_check(conn, MT_HDRDELETE, "Received"), "Received was removed")
T.expect_domains(h, "good.test")

-- Many: 100 forged copies (the default MaxForgedHeaders; one more is rejected, see
-- forged-cap.lua), every one removed.
local N = 100
local headers = { { "From", "<a@good.test>" } }
for i = 1, N do
	headers[#headers + 1] = { "X-Domain-Posture", "forger" .. i .. ".example; grade=A" }
end
h = T.send(conn, { from = "<bounce@good.test>", headers = headers })
local missing = {}
for i = 1, N do
	if not mt.eom_check(conn, MT_HDRDELETE, T.NAME, i) then
		missing[#missing + 1] = i
	end
end
T.check(#missing == 0, "forged copies not removed: %s", table.concat(missing, " "))
T.check(not mt.eom_check(conn, MT_HDRDELETE, T.NAME, N + 1), "index %d removed (only %d sent)", N + 1, N)
T.expect_domains(h, "good.test")
mt.disconnect(conn)
