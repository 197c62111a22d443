/*
 * cidr.h - address blocks ("192.168.0.0/16", "::1") and matching, for InternalHosts.
 */
#ifndef POSTURE_CIDR_H
#define POSTURE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
};

/* Parse ADDR or ADDR/LEN; 0 or -1. Host bits beyond LEN are ignored. */
int cidr_parse(const char *s, struct cidr *out);
/* Whether the address (4 or 16 bytes; IPv4-mapped IPv6 matches IPv4 blocks) is inside. */
bool cidr_match(const struct cidr *c, const uint8_t *addr, size_t len);
/* Whether a socket address is inside any of n blocks. */
bool cidr_match_sockaddr(const struct cidr *list, size_t n, const struct sockaddr *sa);

#endif
