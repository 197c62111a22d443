/*
 * dns.h - DNS answers and the resolver.
 *
 * Answers are what the checks read: records of the asked type at the canonical name,
 * with their TTLs, the AA bit and a status that keeps distinct outcomes apart.
 *
 * DNSSEC (RFC 4035, RFC 6840): with `dnssec` set in the configuration and every
 * resolver address on loopback (a local validating resolver, as Postfix's
 * smtp_dns_support_level = dnssec and glibc's trust-ad assume), queries carry the DO
 * bit, answers record the AD bit (`secure`), the original TTL of the RRSIG over the
 * records (`sig_ttl`), and a SERVFAIL is asked again with CD=1 to tell validation
 * failure (`bogus`) from a server failure; an Extended DNS Error (RFC 8914) 6-12 says
 * bogus at once. Data of a CD=1 answer is never used.
 *
 * The resolver (dns.c) is the only file that includes <ares.h>. It owns one c-ares
 * channel on one thread; any thread submits queries in a batch and waits for the batch
 * with a deadline. Queries still in flight at the deadline are abandoned: their answers
 * read DNS_TIMEOUT and the resolver thread frees them when c-ares lets go.
 */
#ifndef POSTURE_DNS_H
#define POSTURE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dns_status {
	DNS_OK,		/* records of the type at the (canonical) name */
	DNS_NODATA,	/* the name exists, no records of the type (RFC 2308 NODATA) */
	DNS_NXDOMAIN,	/* the name does not exist */
	DNS_SERVFAIL,	/* the server could not answer */
	DNS_REFUSED,	/* the server refused (not authoritative, policy) */
	DNS_TIMEOUT,	/* no answer within the timeout/deadline */
	DNS_MALFORMED,	/* an answer came but could not be parsed, or a CNAME loop */
	DNS_TRUNCATED,	/* TC=1 where no retry can help (over TCP): the records do not fit */
	DNS_BUDGET,	/* not asked: MaxQueriesPerEvaluation reached */
	DNS_ERROR	/* local failure: out of memory, no servers, bad name */
};

enum dns_type {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
	DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_OPT = 41, DNS_T_DS = 43,
	DNS_T_RRSIG = 46, DNS_T_DNSKEY = 48, DNS_T_TLSA = 52, DNS_T_SPF = 99
};

#define DNS_MAX_CNAME_HOPS 8

/* One character-string of a TXT record: bytes as sent, plus a NUL for convenience. */
struct dns_txt_string {
	uint8_t *data;		/* owned, len bytes + NUL */
	size_t len;
};

struct dns_rr {
	char *owner;		/* owned, lower case, no trailing dot */
	uint16_t type;
	uint32_t ttl;
	union {
		uint8_t addr[16];			/* A: first 4 bytes; AAAA: 16 */
		struct { uint16_t preference; char *exchange; } mx;	/* exchange owned */
		struct { size_t count; struct dns_txt_string *strings; } txt; /* owned */
		char *target;				/* CNAME, NS, PTR: owned */
		struct {
			char *mname, *rname;		/* owned */
			uint32_t serial, refresh, retry, expire, minimum;
		} soa;
		struct { uint8_t *data; size_t len; } raw;	/* other types: owned */
	} u;
};

struct dns_answer {
	enum dns_status status;
	char *qname;		/* owned: the name asked */
	uint16_t qtype;
	char *canonical;	/* owned: name after CNAMEs (== qname when none) */
	unsigned cname_hops;	/* CNAMEs followed to reach canonical */
	bool authoritative;	/* AA bit of the response that held the records */
	bool secure;		/* AD bit of every response of the chain, from a trusted
				 * validating resolver (dnssec on, loopback): see above */
	bool bogus;		/* DNS_SERVFAIL because validation failed (CD=1 answered,
				 * or an EDE 6-12): not a temperror */
	bool has_ede;		/* the response carried an Extended DNS Error */
	uint16_t ede;		/* its INFO-CODE (RFC 8914 4) */
	uint32_t sig_ttl;	/* lowest original TTL of the RRSIGs over the records
				 * (RFC 4034 3.1.4): the zone's TTL; 0 when unsigned */
	uint32_t negative_ttl;	/* NODATA/NXDOMAIN: min(SOA TTL, SOA MINIMUM), else 0 */
	size_t count;
	struct dns_rr *rrs;	/* owned: records of qtype at canonical */
	unsigned queries;	/* wire queries this answer took (1 + CNAME re-queries) */
	unsigned elapsed_ms;
};

/* Free what one record owns and zero it (dns_answer.c). */
void dns_rr_clear(struct dns_rr *rr);
/* Deep copy a record; 0 or -1 on OOM (dst then holds nothing). */
int dns_rr_copy(struct dns_rr *dst, const struct dns_rr *src);
/* Release what an answer owns (not the struct itself) and zero it. */
void dns_answer_clear(struct dns_answer *a);
/* Deep copy; 0 or -1 on OOM. */
int dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src);
/* Lowest TTL of the records (0 when none). */
uint32_t dns_answer_min_ttl(const struct dns_answer *a);
/* "NOERROR", "NXDOMAIN", "timeout", ... for messages. */
const char *dns_status_str(enum dns_status st);
/* "MX", "TXT", ... */
const char *dns_type_str(uint16_t type);
/* The TXT strings of record i joined as RFC 7208 3.3 says (no separator); owned. */
char *dns_txt_join(const struct dns_rr *rr, size_t *lenp);

struct dns_resolver_config {
	const char *const *servers;	/* "HOST", "HOST:PORT", "[V6]:PORT"; NULL/0: resolv.conf */
	size_t nservers;
	/*
	 * A query that gets no answer is sent `tries` times to each server and given
	 * up after tries * timeout_ms per server (c-ares doubles each round's wait, so
	 * the first try waits less than timeout_ms and the last more; see dns.c).
	 * 0 means the defaults, 2000 ms and 2 tries.
	 */
	unsigned timeout_ms;
	unsigned tries;
	/* DO bit, AD trusted, CD=1 retry: only when every server is on loopback. */
	bool dnssec;
};

struct dns_resolver;
struct dns_batch;

/* Start a resolver thread; NULL with a one-line reason in err. */
struct dns_resolver *dns_resolver_new(const struct dns_resolver_config *cfg,
				      char *err, size_t errlen);
/* Stop the thread, cancel what is in flight, free. */
void dns_resolver_free(struct dns_resolver *r);
/*
 * Whether answers of r carry DNSSEC status: dnssec was asked and every resolver
 * address is on loopback (127.0.0.0/8, ::1). Otherwise `secure` is always false.
 */
bool dns_resolver_dnssec(const struct dns_resolver *r);

/* A set of queries to send together and wait for together. */
struct dns_batch *dns_batch_new(struct dns_resolver *r);
/*
 * Queue a query; *out is filled by dns_batch_wait(). out must stay valid until then.
 * Returns 0, or -1 when the query cannot be queued (OOM, bad name): *out is then
 * already filled with DNS_ERROR.
 */
int dns_batch_add(struct dns_batch *b, const char *name, uint16_t type,
		  struct dns_answer *out);
/*
 * Send the queued queries (all at once) and wait until every one is answered or the
 * monotonic deadline (dns_now_ms() scale) passes; late ones read DNS_TIMEOUT.
 * The batch may be reused afterwards.
 */
void dns_batch_wait(struct dns_batch *b, uint64_t deadline_ms);
void dns_batch_free(struct dns_batch *b);

/* Monotonic milliseconds. */
uint64_t dns_now_ms(void);

#endif
