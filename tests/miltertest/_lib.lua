-- _lib.lua - helpers shared by the posture-milter miltertest scripts (not a test:
-- tests/integration/miltertest.sh skips files whose name starts with "_").
--
-- Each script starts with
--   local T = dofile(mtdir .. "/_lib.lua")
-- and is run as
--   miltertest -D socket=SPEC -D mtdir=DIR -D logfile=FILE -D authserv=ID -s SCRIPT
-- socket: where posture-milter listens (inet:PORT@127.0.0.1 or unix:/path);
-- mtdir: this directory; logfile: the daemon's stderr (read for log assertions);
-- authserv: the AuthservID the daemon runs with (default test.local).
--
-- Every helper fails with error("...") on any deviation, so a script that returns
-- normally has passed; miltertest then exits 0, and 1 on an error.
--
-- What can go wrong: miltertest 2.11 defines no SMFIC_BODYEOB for mt.macro (a
-- nil type makes mt.macro fail silently), hence T.SMFIC_BODYEOB; mt.eoh() and
-- mt.bodystring() fail when the milter negotiated SMFIP_NOEOH/NOBODY, so T.send
-- goes straight from the headers to mt.eom(); mt.getheader(conn, name, n) counts
-- from the last inserted header, which, since every insertion is at index 0, is
-- the top-most one in the final message: index 0 is the first header a reader
-- sees. mt.header() overflows a 1024-byte buffer on longer fields (stack smashing in
-- miltertest itself): T.send refuses those. libmilter drops MAIL-stage macros when
-- HELO arrives, and miltertest sends an implicit HELO at the first MAIL FROM, so
-- T.connect sends HELO itself when the milter takes it.

local T = {}

T.NAME = "X-Domain-Posture"
T.authserv = authserv or "test.local"
T.SMFIC_BODYEOB = SMFIC_BODYEOB or string.byte("E")
T.HEADER_WIDTH = 78
T.MT_HEADER_MAX = 1000	-- name + value + 2 NULs: miltertest's buffer is 1024 bytes

-- Fail: print the message and where (miltertest 2.11 as packaged by Debian exits 1
-- without printing a script's error), then raise it.
function T.fail(fmt, ...)
	local msg = string.format(fmt, ...)
	io.stdout:write(debug.traceback(msg, 2), "\n")
	io.stdout:flush()
	error(msg, 2)
end

-- Fail unless cond holds.
function T.check(cond, fmt, ...)
	if not cond then
		T.fail(fmt, ...)
	end
end

-- miltertest calls return nil on success or an error string.
function T.ok(rv, what)
	if rv ~= nil then
		T.fail("%s: %s", what, tostring(rv))
	end
end

-- Errors raised inside mt.* functions (a protocol step refused, a lost connection)
-- are printed too: every mt function is wrapped once.
if not mt.__posture_wrapped then
	for name, f in pairs(mt) do
		if type(f) == "function" then
			mt[name] = function(...)
				local r = table.pack(pcall(f, ...))
				if not r[1] then
					T.fail("mt.%s raised an error: %s", name, tostring(r[2]))
				end
				return table.unpack(r, 2, r.n)
			end
		end
	end
	mt.__posture_wrapped = true
end

-- Connect, negotiate and send the connection information (client ip, default
-- 192.0.2.10, a TEST-NET-1 address that is not in InternalHosts).
function T.connect(ip, host)
	T.check(socket ~= nil, "no socket: run with -D socket=SPEC")
	local conn = mt.connect(socket, 20, 0.25)
	T.check(conn ~= nil, "mt.connect(%s) failed", socket)
	T.ok(mt.conninfo(conn, host or "client.example", ip or "192.0.2.10"), "mt.conninfo")
	-- HELO now, when the milter takes it: miltertest would send it implicitly at the
	-- first MAIL FROM, after T.send's MAIL macros, and HELO discards those.
	if not mt.test_option(conn, SMFIP_NOHELO) then
		T.ok(mt.helo(conn, host or "client.example"), "mt.helo")
	end
	return conn
end

-- Flatten {name = value, ...} into name, value, ... (sorted: deterministic order).
local function macro_args(t)
	local names, out = {}, {}
	for k in pairs(t) do
		names[#names + 1] = k
	end
	table.sort(names)
	for _, k in ipairs(names) do
		out[#out + 1] = k
		out[#out + 1] = t[k]
	end
	return table.unpack(out)
end

-- Send one message and run end of message. msg fields:
--   from        MAIL FROM argument ("<a@b.test>", "<>"); required
--   rcpt        list of RCPT TO arguments (default one)
--   headers     list of {name, value}; the value gets the one leading space an MTA
--               passes with SMFIP_HDR_LEADSPC unless raw = true is set in the entry
--   mail_macros / eom_macros   {name = value} sent before MAIL FROM / end of message
--   abort       true: abort after the headers instead of end of message
--   reply       the end-of-message reply expected instead of SMFIR_CONTINUE
-- Returns the inserted headers (T.inserted) unless aborted or another reply is expected.
function T.send(conn, msg)
	if msg.mail_macros then
		T.ok(mt.macro(conn, SMFIC_MAIL, macro_args(msg.mail_macros)), "mt.macro(MAIL)")
	end
	T.ok(mt.mailfrom(conn, msg.from), "mt.mailfrom(" .. msg.from .. ")")
	for _, r in ipairs(msg.rcpt or { "<rcpt@example.com>" }) do
		T.ok(mt.rcptto(conn, r), "mt.rcptto(" .. r .. ")")
	end
	for i, h in ipairs(msg.headers or {}) do
		local value = h.raw and h[2] or (" " .. h[2])
		-- miltertest copies a header into a 1024-byte stack buffer unchecked.
		T.check(#h[1] + #value + 2 <= T.MT_HEADER_MAX, "header #%d longer than miltertest can send", i)
		T.ok(mt.header(conn, h[1], value), "mt.header #" .. i .. " " .. h[1])
	end
	if msg.abort then
		T.ok(mt.abort(conn), "mt.abort")
		return nil
	end
	if msg.eom_macros then
		T.ok(mt.macro(conn, T.SMFIC_BODYEOB, macro_args(msg.eom_macros)), "mt.macro(EOM)")
	end
	T.ok(mt.eom(conn), "mt.eom")
	local reply = mt.getreply(conn)
	if msg.reply ~= nil then
		T.check(reply == msg.reply, "end of message: reply %s, expected %s", tostring(reply),
		    tostring(msg.reply))
		return nil
	end
	T.check(reply == SMFIR_CONTINUE, "end of message: reply %s, expected continue (%s)",
	    tostring(reply), tostring(SMFIR_CONTINUE))
	T.check(not mt.eom_check(conn, MT_HDRADD), "a header was appended (expected insertions only)")
	return T.inserted(conn)
end

-- A header value unfolded (RFC 5322 2.2.3) and trimmed.
function T.unfold(v)
	v = v:gsub("\r?\n[ \t]+", " ")
	return (v:gsub("^[ \t]+", ""):gsub("[ \t]+$", ""))
end

-- Check the shape of an inserted value: folds are "\n\t" (libmilter's line
-- separator), no other control characters, ASCII only, every line within
-- T.HEADER_WIDTH columns counting "X-Domain-Posture: " on the first.
function T.check_format(raw)
	T.check(not raw:find("[\0-\8\11-\31\127-\255]"), "control or non-ASCII byte in %q", raw)
	T.check(not raw:find("\n[^\t]") and not raw:find("\n$"), "fold not followed by a tab in %q", raw)
	local first = true
	for line in (raw .. "\n"):gmatch("([^\n]*)\n") do
		-- "Name:" then the value; the MTA adds the space after the colon only when
		-- the value lacks it (SMFIP_HDR_LEADSPC).
		local width = #line + (first and #T.NAME + (line:sub(1, 1) == " " and 1 or 2) or 0)
		T.check(width <= T.HEADER_WIDTH, "line of %d columns (max %d) in %q", width,
		    T.HEADER_WIDTH, raw)
		first = false
	end
end

-- Parse "authserv; domain=D; grade=G; fam=word (comment); ..." into
-- {authserv, domain, grade, fam = {name = {word, comment}}, text, raw}.
function T.parse(raw)
	local text = T.unfold(raw)
	local h = { raw = raw, text = text, fam = {}, order = {} }
	local n = 0
	for item in (text .. ";"):gmatch("([^;]*);") do
		item = item:match("^%s*(.-)%s*$")
		n = n + 1
		if n == 1 then
			h.authserv = item
		else
			local k, rest = item:match("^([%w%-]+)=(.*)$")
			T.check(k ~= nil, "item %q is not key=value in %q", item, text)
			if k == "domain" then
				h.domain = rest
			elseif k == "grade" then
				h.grade = rest
			else
				local word, comment = rest:match("^(%S+)%s*(.*)$")
				h.fam[k] = { word = word, comment = comment }
				h.order[#h.order + 1] = k
			end
		end
	end
	return h
end

-- The inserted X-Domain-Posture headers, top-most first, parsed; each checked for
-- format, insertion at index 0 and our authserv-id.
function T.inserted(conn)
	local list = {}
	for i = 0, 50 do
		local raw = mt.getheader(conn, T.NAME, i)
		if raw == nil then
			break
		end
		T.check_format(raw)
		T.check(mt.eom_check(conn, MT_HDRINSERT, T.NAME, raw, 0),
		    "header %d not inserted at index 0: %q", i, raw)
		local h = T.parse(raw)
		T.check(h.authserv == T.authserv, "authserv-id %q, expected %q in %q",
		    tostring(h.authserv), T.authserv, h.text)
		T.check(h.domain ~= nil and h.grade ~= nil, "no domain= or grade= in %q", h.text)
		list[#list + 1] = h
	end
	return list
end

-- The domains of a header list, joined with spaces (for messages and comparisons).
function T.domains(list)
	local d = {}
	for _, h in ipairs(list) do
		d[#d + 1] = h.domain
	end
	return table.concat(d, " ")
end

-- Check that the headers name exactly these domains, in this order (top first).
function T.expect_domains(list, ...)
	local want = table.concat({ ... }, " ")
	T.check(T.domains(list) == want, "headers for [%s], expected [%s]", T.domains(list), want)
end

-- Check one parsed header: want = {grade = "A", mx = "broken (MX_NULL)", ...}: a
-- family's word must match, and each code in parentheses must be in its comment.
function T.expect_header(h, domain, want)
	T.check(h.domain == domain, "domain=%s, expected %s in %q", tostring(h.domain), domain, h.text)
	for k, v in pairs(want) do
		if k == "grade" then
			T.check(h.grade == v, "%s: grade=%s, expected %s in %q", domain, tostring(h.grade),
			    v, h.text)
		else
			local word, codes = v:match("^(%S+)%s*(.*)$")
			local f = h.fam[k]
			T.check(f ~= nil, "%s: no %s= in %q", domain, k, h.text)
			T.check(f.word == word, "%s: %s=%s, expected %s in %q", domain, k, f.word, word, h.text)
			for code in codes:gmatch("[%u%d_]+") do
				T.check((" " .. f.comment:gsub("[()]", " ") .. " "):find(" " .. code .. " ", 1, true),
				    "%s: %s= comment lacks %s in %q", domain, k, code, h.text)
			end
		end
	end
end

-- Check that a family comment does NOT carry a code.
function T.expect_no_code(h, fam, code)
	local f = h.fam[fam]
	T.check(f == nil or not f.comment:find(code, 1, true), "%s: %s= unexpectedly has %s in %q",
	    h.domain, fam, code, h.text)
end

-- Which of the indexes 0..max (1-based header indexes; 0 never valid) of the header
-- name (default X-Domain-Posture) were deleted.
function T.deleted_set(conn, max, name)
	local got = {}
	for i = 0, max do
		if mt.eom_check(conn, MT_HDRDELETE, name or T.NAME, i) then
			got[#got + 1] = tostring(i)
		end
	end
	return table.concat(got, " ")
end

-- Check that exactly these X-Domain-Posture indexes were deleted (checked up to max)
-- and that nothing else was deleted or changed.
function T.expect_deleted(conn, max, ...)
	local want = table.concat({ ... }, " ")
	local got = T.deleted_set(conn, max)
	T.check(got == want, "deleted X-Domain-Posture indexes [%s], expected [%s]", got, want)
	if want == "" then
		T.check(not mt.eom_check(conn, MT_HDRDELETE), "a header was deleted, expected none")
	end
	-- A change with a value would be a rewrite, not a removal.
	T.check(not mt.eom_check(conn, MT_HDRCHANGE, T.NAME, "x"), "unexpected rewrite")
end

-- The daemon's log so far ("" when no logfile was given).
function T.log_text()
	if logfile == nil then
		return ""
	end
	local f = io.open(logfile, "r")
	if f == nil then
		return ""
	end
	local s = f:read("a")
	f:close()
	return s or ""
end

-- A mark in the log: T.log_since(mark) returns what was logged after it.
function T.log_mark()
	return #T.log_text()
end

function T.log_since(mark)
	return T.log_text():sub(mark + 1)
end

-- Wait (up to secs, default 3) until the log after mark contains s; the text or nil.
function T.wait_log(mark, s, secs)
	local deadline = os.time() + (secs or 3)
	repeat
		local text = T.log_since(mark)
		if text:find(s, 1, true) then
			return text
		end
		mt.sleep(0.05)
	until os.time() > deadline
	return nil
end

-- Check the log after mark contains s (logfile required).
function T.expect_log(mark, s)
	T.check(logfile ~= nil, "no logfile: run with -D logfile=FILE")
	local text = T.wait_log(mark, s)
	T.check(text ~= nil, "log lacks %q; log since mark:\n%s", s, T.log_since(mark))
	return text
end

-- The log line after mark that contains s, or nil.
function T.log_line(mark, s)
	for line in T.log_since(mark):gmatch("[^\n]+") do
		if line:find(s, 1, true) then
			return line
		end
	end
	return nil
end

return T
