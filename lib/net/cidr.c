/*
 * cidr.c - address blocks and matching (see cidr.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "net/cidr.h"

/* Parse ADDR or ADDR/LEN. */
int
cidr_parse(const char *s, struct cidr *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;
	char *end;

	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, s, len);
	addr[len] = '\0';
	memset(out, 0, sizeof(*out));
	out->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(out->family, addr, out->addr) != 1)
		return -1;
	out->bits = out->family == AF_INET6 ? 128 : 32;
	if (slash == NULL)
		return 0;
	if (slash[1] < '0' || slash[1] > '9')
		return -1;
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (errno || *end != '\0' || bits > out->bits)
		return -1;
	out->bits = (unsigned)bits;
	return 0;
}

/* Whether addr is inside the block. */
bool
cidr_match(const struct cidr *c, const uint8_t *addr, size_t len)
{
	static const uint8_t mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
	unsigned full, rest;

	if (len == 16 && c->family == AF_INET && memcmp(addr, mapped, 12) == 0) {
		addr += 12;
		len = 4;
	}
	if ((c->family == AF_INET && len != 4) || (c->family == AF_INET6 && len != 16))
		return false;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(addr, c->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((addr[full] ^ c->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* Whether a socket address is inside any block. */
bool
cidr_match_sockaddr(const struct cidr *list, size_t n, const struct sockaddr *sa)
{
	const uint8_t *addr;
	size_t len, i;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		len = 4;
	} else if (sa->sa_family == AF_INET6) {
		addr = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		len = 16;
	} else {
		return false;
	}
	for (i = 0; i < n; i++)
		if (cidr_match(&list[i], addr, len))
			return true;
	return false;
}
