-- strip-ours-quoted.lua - RFC 8601 2.2 lets the authserv-id be a quoted-string:
-- '"ID"; dmarc=pass' names us as surely as 'ID; dmarc=pass', and a reader that
-- unquotes it would take the forgery for our verdict. Such Authentication-Results
-- and (StripHeaders ours) X-Domain-Posture fields must be removed; quoted ids that
-- are someone else's, or only start like ours, stay.
-- config: StripHeaders ours
local T = dofile(mtdir .. "/_lib.lua")

local AR = "Authentication-Results"
local conn = T.connect()
local id = T.authserv
local quoted_pair = id:gsub("%.", "\\.")	-- "test\.local": the same id, quoted-pairs
local h = T.send(conn, {
	from = "<bounce@good.test>",
	headers = {
		{ "From", "<a@good.test>" },
		{ AR, '"' .. id .. '"; dmarc=pass header.from=good.test' },                 -- 1
		{ AR, '"' .. id:upper() .. '" 1; dmarc=pass' },                             -- 2
		{ AR, '(c) "' .. quoted_pair .. '" (c); dkim=pass' },                       -- 3
		{ AR, '"other.example"; dmarc=pass' },                                      -- 4 not ours
		{ AR, '"' .. id .. '.evil"; dmarc=pass' },                                  -- 5 not ours
		{ AR, '"' .. id .. '; dmarc=pass' },                                        -- 6 unterminated
		{ "X-Domain-Posture", '"' .. id .. '"; domain=good.test; grade=A' },        -- 1
		{ "X-Domain-Posture", '"other.example"; domain=good.test; grade=A' },       -- 2 not ours
	},
})
local got = T.deleted_set(conn, 8, AR)
T.check(got == "1 2 3", "deleted %s indexes [%s], expected [1 2 3]", AR, got)
T.expect_deleted(conn, 4, "1")
T.expect_domains(h, "good.test")
mt.disconnect(conn)
