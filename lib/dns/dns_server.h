/*
 * dns_server.h - resolver addresses as users write them ("127.0.0.1:5300", "[::1]:53").
 */
#ifndef POSTURE_DNS_SERVER_H
#define POSTURE_DNS_SERVER_H

#include <stddef.h>

/*
 * Validate "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" (IP literals only; a bare IPv6
 * address takes no port) and write it as c-ares's "[v6]:port" / "v4:port" form.
 * Returns 0, or -1 with a one-line reason in err.
 */
int dns_server_parse(const char *s, char *out, size_t outlen, char *err, size_t errlen);

#endif
