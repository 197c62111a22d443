/*
 * smtp_probe.h - the STARTTLS probe of an MX host (posture-check --probe-mx, ProbeMX).
 *
 *   smtp_reply_parse()     one SMTP reply from the bytes read so far (pure, fuzzed)
 *   smtp_probe_many()      probe several hosts in parallel, each bounded
 *   smtp_probe_status_text()  "no STARTTLS", "timeout", ... for messages
 *
 * A probe connects to one of the host's addresses (given by the caller from our
 * resolver, never resolved here; the address guard of the HTTPS fetches applies:
 * ipaddr_may_connect()), reads the banner, says EHLO, looks for STARTTLS in the
 * reply, says STARTTLS, runs the TLS handshake (OpenSSL, SNI = the MX name), keeps
 * what the chain proves, says QUIT and closes. No mail is ever sent: the probe never
 * says MAIL, RCPT or DATA.
 *
 * What the chain proves, decided here while the handshake's objects are alive:
 *   - DANE (RFC 7672): the caller's TLSA records (already known secure) are handed
 *     to OpenSSL (SSL_dane_enable, SSL_dane_tlsa_add); SSL_get0_dane_authority()
 *     says which record matched. DANE-EE(3) ignores names and expiry, DANE-TA(2)
 *     checks the name (the MX host) below the matched trust anchor (RFC 7672 3.1).
 *   - PKIX: a separate verification of the chain against the CA file (NULL: the
 *     system's store) with the MX name as the host to check (RFC 8461 4.2).
 *
 * Limits: connect timeout per address, read timeout per reply, a total time per
 * probe, the caller's deadline for the whole batch; replies are read by the bounded
 * parser (SMTP_REPLY_LINE_MAX per line, SMTP_REPLY_LINES_MAX lines).
 *
 * What can go wrong: every failure is a status in the result with a one-line,
 * printable error text (server bytes are sanitized); nothing exits or aborts.
 */
#ifndef POSTURE_SMTP_PROBE_H
#define POSTURE_SMTP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_PROBE_MAX_ADDRS	8	/* addresses tried per host, in order */
#define SMTP_PROBE_MAX_TLSA	16	/* TLSA records handed to OpenSSL per host */
#define SMTP_PROBE_MAX_HOSTS	8	/* probes run at once by smtp_probe_many() */
#define SMTP_PROBE_CONNECT_TIMEOUT_MS 3000 /* default per address */
#define SMTP_PROBE_READ_TIMEOUT_MS 5000	/* default per reply, and the handshake */
#define SMTP_PROBE_TIMEOUT_MS	10000	/* default per probe, all included */
#define SMTP_REPLY_LINE_MAX	1000	/* a reply line, CRLF included (RFC 5321 4.5.3.1) */
#define SMTP_REPLY_LINES_MAX	64	/* lines of one multi-line reply */

/* One reply: "250-first\r\n250-STARTTLS\r\n250 SIZE\r\n". */
struct smtp_reply {
	int code;			/* 200..599 */
	unsigned nlines;
	bool starttls;			/* a line after the first is the STARTTLS keyword */
	size_t used;			/* bytes of the reply, final CRLF included */
	char text[128];			/* the first line's text, sanitized, cut */
};

enum smtp_reply_status {
	SMTP_REPLY_DONE,		/* a whole reply: *r filled */
	SMTP_REPLY_MORE,		/* no final line yet, nothing wrong so far */
	SMTP_REPLY_BAD			/* not an SMTP reply, or over the limits */
};

/*
 * Parse one reply at the start of len bytes (lines end with CRLF; a bare LF is
 * accepted). Every line is three digits 2xx..5xx, the same on every line, then '-'
 * (more lines follow), ' ' or the line end (the last line).
 */
enum smtp_reply_status smtp_reply_parse(const uint8_t *buf, size_t len,
					struct smtp_reply *r);

enum smtp_probe_status {
	SMTP_PROBE_TLS_OK = 0,		/* STARTTLS and the handshake succeeded */
	SMTP_PROBE_NO_STARTTLS = 1,	/* EHLO offered no STARTTLS, or it was refused */
	SMTP_PROBE_ERR_DNS = -2,	/* no address to connect to */
	SMTP_PROBE_ERR_REFUSED_ADDRESS = -3, /* every address is private, loopback, ... */
	SMTP_PROBE_ERR_CONNECT = -4,	/* no TCP connection */
	SMTP_PROBE_ERR_TLS = -5,	/* the handshake failed */
	SMTP_PROBE_ERR_TIMEOUT = -6,	/* a timeout or the deadline */
	SMTP_PROBE_ERR_PROTOCOL = -8,	/* not SMTP, a refused greeting or EHLO */
	SMTP_PROBE_ERR_BUDGET = -9,	/* not probed: the evaluation's probe budget */
	SMTP_PROBE_ERR_INTERNAL = -10	/* out of memory, OpenSSL could not start */
};

/* Process-wide probe settings (engine options). */
struct smtp_probe_options {
	unsigned port;			/* 0: 25 (--smtp-port in tests) */
	const char *ca_file;		/* borrowed; NULL: the system CA store */
	bool allow_private;		/* tests only: allow non-public addresses */
	const char *helo;		/* EHLO name; NULL: this host's name */
};

/* One TLSA record (RFC 6698 2.1), DNSSEC-secure, as the caller parsed it. */
struct smtp_probe_tlsa {
	uint8_t usage, selector, mtype;
	const uint8_t *data;		/* borrowed */
	size_t len;
};

struct smtp_probe_request {
	const char *host;		/* the MX name: SNI and the PKIX name; borrowed */
	uint8_t addrs[SMTP_PROBE_MAX_ADDRS][16];	/* network order */
	size_t addr_lens[SMTP_PROBE_MAX_ADDRS];	/* 4 or 16 */
	size_t naddrs;
	const struct smtp_probe_tlsa *tlsa;	/* borrowed, may be NULL */
	size_t ntlsa;
	unsigned connect_timeout_ms;	/* 0: the defaults above */
	unsigned read_timeout_ms;
	unsigned timeout_ms;
};

/* Plain data (no pointers): it is cached by copy. */
struct smtp_probe_result {
	int status;			/* enum smtp_probe_status */
	char address[48];		/* the address connected to, or "" */
	char banner[128];		/* the greeting's first line, sanitized */
	char error[160];		/* one printable line when status != TLS_OK */
	char tls_version[16];		/* "TLSv1.3" after a handshake */
	unsigned chain_len;		/* certificates the host presented */
	int pkix;			/* 1 valid for the name under the CAs, 0 not, -1 unchecked */
	char pkix_error[128];		/* why not, when pkix == 0 */
	int dane;			/* 1 a TLSA record matched, 0 none did, -1 none given */
	uint8_t dane_usage;		/* of the record that matched */
	int dane_depth;			/* chain depth it matched at */
	unsigned elapsed_ms;
};

/*
 * Run n probes (n <= SMTP_PROBE_MAX_HOSTS; extras read SMTP_PROBE_ERR_BUDGET) in
 * parallel, one thread each, until each is done or the monotonic deadline
 * (dns_now_ms() scale; 0: none) passes. results[i] is overwritten for every i.
 */
void smtp_probe_many(const struct smtp_probe_options *opts,
		     const struct smtp_probe_request *reqs,
		     struct smtp_probe_result *results, size_t n, uint64_t deadline_ms);

/* A short text for a status ("no STARTTLS", "timeout"); never NULL. */
const char *smtp_probe_status_text(int status);

#endif
