/*
 * dns_server.c - resolver addresses (see dns_server.h). Kept apart from dns.c, the
 * one file that talks to c-ares, because it needs nothing of it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns_server.h"

/* Copy s into dst for an error message: at most 64 bytes, non-printables as '?'. */
static void
printable(char *dst, size_t dstlen, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 64 && i + 1 < dstlen; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[i] = '\0';
}

/* Parse a port number 1..65535 (digits only). */
static int
parse_port(const char *s, unsigned *port)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/*
 * Validate "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" (IP literals only; a bare IPv6
 * address takes no port) and write it as c-ares's "[v6]:port" / "v4:port" form.
 * Returns 0, or -1 with a one-line reason in err.
 */
int
dns_server_parse(const char *s, char *out, size_t outlen, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1], shown[72], addr[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	const char *why = NULL, *port_s = NULL, *colon;
	unsigned port = 53;
	size_t hl;
	int v6 = 0;

	printable(shown, sizeof(shown), s);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL) {
			why = "missing ']'";
			goto bad;
		}
		hl = (size_t)(close - s - 1);
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0') {
			why = "unexpected text after ']'";
			goto bad;
		}
		v6 = 1;
		if (hl >= sizeof(host)) {
			why = "not an IPv6 address";
			goto bad;
		}
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			v6 = 1;			/* a bare IPv6 address */
			hl = strlen(s);
		} else {
			hl = colon ? (size_t)(colon - s) : strlen(s);
			port_s = colon ? colon + 1 : NULL;
		}
		if (hl >= sizeof(host)) {
			why = "not an IPv4 or IPv6 address (host names are not accepted)";
			goto bad;
		}
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1) {
		why = v6 ? "not an IPv6 address" :
		    "not an IPv4 or IPv6 address (host names are not accepted)";
		goto bad;
	}
	if (port_s != NULL && parse_port(port_s, &port) < 0) {
		why = "port must be a number from 1 to 65535";
		goto bad;
	}
	if (inet_ntop(v6 ? AF_INET6 : AF_INET, bin, addr, sizeof(addr)) == NULL) {
		why = "cannot print the address";
		goto bad;
	}
	if (snprintf(out, outlen, v6 ? "[%s]:%u" : "%s:%u", addr, port) >= (int)outlen) {
		why = "address too long";
		goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "invalid resolver address '%s': %s", shown, why);
	return -1;
}

