/*
 * ipaddr.c - address classes from the IANA special-purpose registries (see ipaddr.h).
 *
 * Two first-match tables, one per family, transcribe the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890 and later entries). Entries of those
 * registries that are "globally reachable" inside a larger special block (PCP and TURN
 * anycast, AS112, AMT, ORCHIDv2, ...) come first as IPADDR_PUBLIC exceptions. IPv6
 * outside 2000::/3 that no entry names is reserved by the IETF (IANA IPv6 Address
 * Space registry). What can go wrong: a wrong table row misclassifies a block; the
 * unit test test_ipaddr.c holds one address inside and one just outside each block.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* inet_ntop, strnlen, strncasecmp under -std=c11 */
#endif
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "net/ipaddr.h"

struct ipaddr_block {
	uint8_t prefix[16];
	unsigned bits;
	enum ipaddr_class cls;
};

/* IANA IPv4 Special-Purpose Address Registry; first match wins. */
static const struct ipaddr_block v4_blocks[] = {
	{ {0, 0, 0, 0}, 32, IPADDR_UNSPECIFIED },	/* RFC 1122 3.2.1.3 */
	{ {0}, 8, IPADDR_THIS_NETWORK },		/* RFC 1122 3.2.1.3 */
	{ {10}, 8, IPADDR_PRIVATE },			/* RFC 1918 */
	{ {100, 64}, 10, IPADDR_SHARED },		/* RFC 6598 */
	{ {127}, 8, IPADDR_LOOPBACK },			/* RFC 1122 3.2.1.3 */
	{ {169, 254}, 16, IPADDR_LINK_LOCAL },		/* RFC 3927 */
	{ {172, 16}, 12, IPADDR_PRIVATE },		/* RFC 1918 */
	{ {192, 0, 0, 9}, 32, IPADDR_PUBLIC },		/* PCP anycast, RFC 7723 */
	{ {192, 0, 0, 10}, 32, IPADDR_PUBLIC },		/* TURN anycast, RFC 8155 */
	{ {192, 0, 0}, 24, IPADDR_IETF_PROTOCOL },	/* RFC 6890 2.1 */
	{ {192, 0, 2}, 24, IPADDR_DOCUMENTATION },	/* TEST-NET-1, RFC 5737 */
	{ {192, 88, 99}, 24, IPADDR_RESERVED },		/* 6to4 relay anycast, RFC 7526 */
	{ {192, 168}, 16, IPADDR_PRIVATE },		/* RFC 1918 */
	{ {198, 18}, 15, IPADDR_BENCHMARKING },		/* RFC 2544 */
	{ {198, 51, 100}, 24, IPADDR_DOCUMENTATION },	/* TEST-NET-2, RFC 5737 */
	{ {203, 0, 113}, 24, IPADDR_DOCUMENTATION },	/* TEST-NET-3, RFC 5737 */
	{ {224}, 4, IPADDR_MULTICAST },			/* RFC 5771 */
	{ {255, 255, 255, 255}, 32, IPADDR_BROADCAST },	/* RFC 919 7, RFC 8190 */
	{ {240}, 4, IPADDR_RESERVED },			/* RFC 1112 4 */
};

/* IANA IPv6 Special-Purpose Address Registry; first match wins. */
static const struct ipaddr_block v6_blocks[] = {
	{ {0}, 128, IPADDR_UNSPECIFIED },				/* RFC 4291 2.5.2 */
	{ {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128,
	  IPADDR_LOOPBACK },						/* RFC 4291 2.5.3 */
	{ {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, IPADDR_NAT64_LOCAL }, /* RFC 8215 */
	{ {0x01, 0x00}, 64, IPADDR_DISCARD },				/* RFC 6666 */
	{ {0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128,
	  IPADDR_PUBLIC },						/* PCP anycast, RFC 7723 */
	{ {0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 128,
	  IPADDR_PUBLIC },						/* TURN anycast, RFC 8155 */
	{ {0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}, 128,
	  IPADDR_PUBLIC },						/* DNS-SD SRP anycast, RFC 9665 */
	{ {0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48, IPADDR_BENCHMARKING }, /* RFC 5180 */
	{ {0x20, 0x01, 0x00, 0x03}, 32, IPADDR_PUBLIC },		/* AMT, RFC 7450 */
	{ {0x20, 0x01, 0x00, 0x04, 0x01, 0x12}, 48, IPADDR_PUBLIC },	/* AS112-v6, RFC 7535 */
	{ {0x20, 0x01, 0x00, 0x20}, 28, IPADDR_PUBLIC },		/* ORCHIDv2, RFC 7343 */
	{ {0x20, 0x01, 0x00, 0x30}, 28, IPADDR_PUBLIC },		/* DRIP DETs, RFC 9374 */
	{ {0x20, 0x01, 0x00, 0x00}, 32, IPADDR_TEREDO },		/* RFC 4380 */
	{ {0x20, 0x01, 0x00}, 23, IPADDR_IETF_PROTOCOL },		/* RFC 2928 */
	{ {0x20, 0x01, 0x0d, 0xb8}, 32, IPADDR_DOCUMENTATION },		/* RFC 3849 */
	{ {0x3f, 0xff, 0x00}, 20, IPADDR_DOCUMENTATION },		/* RFC 9637 */
	{ {0x5f, 0x00}, 16, IPADDR_SRV6 },				/* RFC 9602 */
	{ {0xfc}, 7, IPADDR_ULA },					/* RFC 4193 */
	{ {0xfe, 0x80}, 10, IPADDR_LINK_LOCAL },			/* RFC 4291 2.5.6 */
	{ {0xfe, 0xc0}, 10, IPADDR_SITE_LOCAL },			/* RFC 3879 */
	{ {0xff}, 8, IPADDR_MULTICAST },				/* RFC 4291 2.7 */
	{ {0x20}, 3, IPADDR_PUBLIC },		/* global unicast, RFC 4291 2.4 */
};

/* Whether the first bits of addr equal those of prefix. */
static bool
prefix_match(const uint8_t *addr, const uint8_t *prefix, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(addr, prefix, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xffu << (8 - rest));
	return (addr[whole] & mask) == (prefix[whole] & mask);
}

/* The class from a table, or dflt when no block holds the address. */
static enum ipaddr_class
table_lookup(const struct ipaddr_block *tab, size_t n, const uint8_t *addr,
	     enum ipaddr_class dflt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (prefix_match(addr, tab[i].prefix, tab[i].bits))
			return tab[i].cls;
	return dflt;
}

/* Classify an IPv4 address. */
static enum ipaddr_class
classify_v4(const uint8_t *addr)
{
	return table_lookup(v4_blocks, sizeof(v4_blocks) / sizeof(v4_blocks[0]), addr,
	    IPADDR_PUBLIC);
}

/* Classify an IPv6 address, looking through the forms that embed IPv4. */
static enum ipaddr_class
classify_v6(const uint8_t *addr)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64_wkp[12] = {0x00, 0x64, 0xff, 0x9b};
	static const uint8_t six_to_four[2] = {0x20, 0x02};
	enum ipaddr_class embedded;

	/* RFC 4291 2.5.5.2: ::ffff:a.b.c.d is the IPv4 host a.b.c.d. */
	if (memcmp(addr, mapped, sizeof(mapped)) == 0)
		return classify_v4(addr + 12);
	/* RFC 6052 3.1: the well-known prefix carries the IPv4 address in the last 32 bits. */
	if (memcmp(addr, nat64_wkp, sizeof(nat64_wkp)) == 0) {
		embedded = classify_v4(addr + 12);
		return ipaddr_is_public(embedded) ? IPADDR_PUBLIC : embedded;
	}
	/* RFC 3056 2: 2002:V4ADDR::/48. */
	if (memcmp(addr, six_to_four, sizeof(six_to_four)) == 0) {
		embedded = classify_v4(addr + 2);
		return ipaddr_is_public(embedded) ? IPADDR_PUBLIC : embedded;
	}
	return table_lookup(v6_blocks, sizeof(v6_blocks) / sizeof(v6_blocks[0]), addr,
	    IPADDR_RESERVED);
}

/* The class of an address of 4 or 16 bytes. */
enum ipaddr_class
ipaddr_classify(const uint8_t *addr, size_t len)
{
	if (addr == NULL)
		return IPADDR_INVALID;
	if (len == 4)
		return classify_v4(addr);
	if (len == 16)
		return classify_v6(addr);
	return IPADDR_INVALID;
}

/* A short name with the defining RFC. */
const char *
ipaddr_class_name(enum ipaddr_class cls)
{
	switch (cls) {
	case IPADDR_PUBLIC:		return "public";
	case IPADDR_INVALID:		return "invalid";
	case IPADDR_UNSPECIFIED:	return "unspecified (RFC 6890)";
	case IPADDR_THIS_NETWORK:	return "this network (RFC 1122)";
	case IPADDR_PRIVATE:		return "private (RFC 1918)";
	case IPADDR_ULA:		return "private (RFC 4193 ULA)";
	case IPADDR_SHARED:		return "shared CGNAT (RFC 6598)";
	case IPADDR_LOOPBACK:		return "loopback (RFC 6890)";
	case IPADDR_LINK_LOCAL:		return "link-local (RFC 6890)";
	case IPADDR_SITE_LOCAL:		return "site-local (RFC 3879)";
	case IPADDR_IETF_PROTOCOL:	return "IETF protocol assignment (RFC 6890)";
	case IPADDR_DOCUMENTATION:	return "documentation (RFC 5737, RFC 3849)";
	case IPADDR_BENCHMARKING:	return "benchmarking (RFC 2544, RFC 5180)";
	case IPADDR_MULTICAST:		return "multicast (RFC 6890)";
	case IPADDR_BROADCAST:		return "broadcast (RFC 919)";
	case IPADDR_RESERVED:		return "reserved (RFC 6890)";
	case IPADDR_DISCARD:		return "discard-only (RFC 6666)";
	case IPADDR_NAT64_LOCAL:	return "local-use NAT64 (RFC 8215)";
	case IPADDR_TEREDO:		return "Teredo (RFC 4380)";
	case IPADDR_SRV6:		return "SRv6 SID (RFC 9602)";
	case IPADDR_CLASS_COUNT:	break;
	}
	return "invalid";
}

/* Only public unicast is reachable by every mail sender on the internet. */
bool
ipaddr_is_public(enum ipaddr_class cls)
{
	return cls == IPADDR_PUBLIC;
}

/* Whether a connection to an address of this class is allowed (see ipaddr.h). */
bool
ipaddr_may_connect(enum ipaddr_class cls, bool allow_private)
{
	if (ipaddr_is_public(cls))
		return true;
	return allow_private && cls != IPADDR_UNSPECIFIED && cls != IPADDR_MULTICAST &&
	    cls != IPADDR_BROADCAST && cls != IPADDR_INVALID;
}

/* Address to text. */
const char *
ipaddr_to_text(const uint8_t *addr, size_t len, char *out, size_t outlen)
{
	int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;

	if (out == NULL || outlen == 0)
		return "?";
	if (addr == NULL || af < 0 || outlen > (size_t)(socklen_t)-1 ||
	    inet_ntop(af, addr, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
	return out;
}

/* Recognize a bare or bracketed address literal. */
int
ipaddr_parse_literal(const char *s, uint8_t out[16], size_t *lenp)
{
	char text[IPADDR_TEXT_MAX + 8];
	const char *start;
	size_t n;

	if (s == NULL)
		return -1;
	/* Longer than any literal: stop before copying (strnlen is bounded). */
	n = strnlen(s, sizeof(text));
	if (n == 0 || n >= sizeof(text))
		return -1;
	start = s;
	if (s[0] == '[') {
		/* RFC 5321 4.1.3: "[" IPv4-address "]" / "[IPv6:" IPv6-addr "]" */
		if (n < 3 || s[n - 1] != ']')
			return -1;
		start = s + 1;
		n -= 2;
		if (n > 5 && strncasecmp(start, "IPv6:", 5) == 0) {
			start += 5;
			n -= 5;
		}
	}
	memcpy(text, start, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, out) == 1) {
		*lenp = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out) == 1) {
		*lenp = 16;
		return 0;
	}
	return -1;
}
