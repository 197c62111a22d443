-- internal-host-v6.lua - InternalHosts blocks of both families (IPv6 and a CIDR
-- block added by a second InternalHosts line): clients inside are skipped, outside
-- evaluated. An IPv4-mapped IPv6 address (::ffff:192.0.2.99) is its IPv4 address.
-- config: InternalHosts 2001:db8:1::/48, 198.51.100.0/24
local T = dofile(mtdir .. "/_lib.lua")

local function headers_for(ip)
	local conn = T.connect(ip)
	local h = T.send(conn, { from = "<bounce@good.test>", headers = { { "From", "<a@good.test>" } } })
	mt.disconnect(conn)
	return #h
end

for _, ip in ipairs({ "2001:db8:1::25", "2001:db8:1:ffff::1", "198.51.100.7", "192.0.2.99",
	"::ffff:192.0.2.99" }) do
	T.check(headers_for(ip) == 0, "internal client %s was evaluated", ip)
end
for _, ip in ipairs({ "2001:db8:2::25", "::1", "198.51.101.7", "192.0.2.100" }) do
	T.check(headers_for(ip) == 1, "external client %s was not evaluated", ip)
end
