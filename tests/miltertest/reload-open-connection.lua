-- reload-open-connection.lua - a configuration reload (SIGUSR1) applies to new
-- connections; a connection opened before it finishes with the configuration it
-- started with.
-- runner: reload
-- Needs -D reload_cmd=SHELL-COMMAND (installs the new configuration and sends
-- SIGUSR1), -D new_authserv=ID and -D logfile.
local T = dofile(mtdir .. "/_lib.lua")

T.check(reload_cmd ~= nil and new_authserv ~= nil, "run with -D reload_cmd and -D new_authserv")
local old = T.connect()
local mark = T.log_mark()
T.check(os.execute(reload_cmd), "reload command failed: %s", reload_cmd)
T.check(T.wait_log(mark, "configuration reloaded", 10) ~= nil,
    "no 'configuration reloaded' in the log:\n%s", T.log_since(mark))

local new = T.connect()
-- The old connection: old id.
local h = T.send(old, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_domains(h, "good.test")
-- The new one: new id.
T.authserv = new_authserv
h = T.send(new, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
T.expect_domains(h, "good.test")
mt.disconnect(old)
mt.disconnect(new)
