/*
 * ipaddr.h - classify IPv4/IPv6 addresses by the IANA special-purpose registries.
 *
 * Addresses are raw network-order bytes as in struct dns_rr u.addr: 4 bytes for IPv4,
 * 16 for IPv6. The classes follow the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and the RFCs that added entries since); an address is
 * IPADDR_PUBLIC only when it is globally reachable unicast.
 *
 *   ipaddr_classify()       the class of an address
 *   ipaddr_class_name()     a short name with its RFC, for messages: "private (RFC 1918)"
 *   ipaddr_is_public()      whether a class is globally reachable unicast
 *   ipaddr_may_connect()    the outbound guard of HTTPS fetches and SMTP probes
 *   ipaddr_to_text()        address to text (inet_ntop)
 *   ipaddr_parse_literal()  recognize "192.0.2.1", "[192.0.2.1]", "[IPv6:2001:db8::1]"
 *
 * Used by the MX check (MX_PRIVATE_ADDRESS, MX_IP_LITERAL) and the HTTPS fetch guard.
 * Pure functions, no allocation, thread-safe. What can go wrong: a length other than
 * 4 or 16 yields IPADDR_INVALID, never a read past the bytes given.
 */
#ifndef POSTURE_IPADDR_H
#define POSTURE_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough for any inet_ntop() output, NUL included (INET6_ADDRSTRLEN). */
#define IPADDR_TEXT_MAX 46

enum ipaddr_class {
	IPADDR_PUBLIC,		/* globally reachable unicast */
	IPADDR_INVALID,		/* not an address: length neither 4 nor 16 */
	IPADDR_UNSPECIFIED,	/* 0.0.0.0, :: */
	IPADDR_THIS_NETWORK,	/* 0.0.0.0/8 (RFC 1122 3.2.1.3) */
	IPADDR_PRIVATE,		/* 10/8, 172.16/12, 192.168/16 (RFC 1918) */
	IPADDR_ULA,		/* fc00::/7 (RFC 4193) */
	IPADDR_SHARED,		/* 100.64/10 carrier-grade NAT (RFC 6598) */
	IPADDR_LOOPBACK,	/* 127/8, ::1 */
	IPADDR_LINK_LOCAL,	/* 169.254/16, fe80::/10 */
	IPADDR_SITE_LOCAL,	/* fec0::/10, deprecated (RFC 3879) */
	IPADDR_IETF_PROTOCOL,	/* 192.0.0/24, 2001::/23 except their global entries */
	IPADDR_DOCUMENTATION,	/* 192.0.2/24, 198.51.100/24, 203.0.113/24,
				   2001:db8::/32, 3fff::/20 */
	IPADDR_BENCHMARKING,	/* 198.18/15 (RFC 2544), 2001:2::/48 (RFC 5180) */
	IPADDR_MULTICAST,	/* 224/4, ff00::/8 */
	IPADDR_BROADCAST,	/* 255.255.255.255 (RFC 919, RFC 8190) */
	IPADDR_RESERVED,	/* 240/4, 192.88.99/24 (RFC 7526), IPv6 outside 2000::/3 */
	IPADDR_DISCARD,		/* 100::/64 discard-only (RFC 6666) */
	IPADDR_NAT64_LOCAL,	/* 64:ff9b:1::/48 local-use NAT64 (RFC 8215) */
	IPADDR_TEREDO,		/* 2001::/32 (RFC 4380) */
	IPADDR_SRV6,		/* 5f00::/16 SRv6 SIDs (RFC 9602) */
	IPADDR_CLASS_COUNT
};

/*
 * The class of len bytes at addr (len 4: IPv4, 16: IPv6). IPv6 forms that carry an
 * IPv4 address are classified by it: IPv4-mapped ::ffff:0:0/96 always (RFC 4291
 * 2.5.5.2: a mapped address is that IPv4 host); the NAT64 well-known prefix
 * 64:ff9b::/96 (RFC 6052 3.1) and 6to4 2002::/16 (RFC 3056 2) when the embedded IPv4
 * address is not public, since a translator or relay would then forward to it.
 */
enum ipaddr_class ipaddr_classify(const uint8_t *addr, size_t len);

/* A short name for messages, e.g. "private (RFC 1918)"; never NULL. */
const char *ipaddr_class_name(enum ipaddr_class cls);

/* Whether the class is globally reachable unicast (only IPADDR_PUBLIC). */
bool ipaddr_is_public(enum ipaddr_class cls);

/*
 * Whether we may open a connection to an address of this class: public unicast only,
 * or (allow_private, tests) any unicast address; never unspecified, multicast,
 * broadcast or invalid. The one guard of https.c and smtp_probe.c.
 */
bool ipaddr_may_connect(enum ipaddr_class cls, bool allow_private);

/*
 * Write the text form of len bytes at addr into out (outlen >= IPADDR_TEXT_MAX is
 * always enough) and return out; "?" (when it fits) for a bad length or a short buffer.
 */
const char *ipaddr_to_text(const uint8_t *addr, size_t len, char *out, size_t outlen);

/*
 * Recognize an IP address literal where a host name was expected: a bare IPv4 or
 * IPv6 address, or one in brackets as in RFC 5321 4.1.3 ("[192.0.2.1]",
 * "[IPv6:2001:db8::1]"). Only the strict inet_pton() forms count ("127.1" is not a
 * literal here). Returns 0 with the bytes in out and their count (4 or 16) in *lenp,
 * or -1 when s is not a literal.
 */
int ipaddr_parse_literal(const char *s, uint8_t out[16], size_t *lenp);

#endif
