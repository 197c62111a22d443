/*
 * dns_msg.h - the DNS answer reader: wire bytes in, records out, no I/O.
 *
 * Parses a response message (RFC 1035 4.1) through the bounded reader: header,
 * question, answer and authority sections, compressed names with a bound on pointer
 * hops, RDATA of A, AAAA, MX, TXT, CNAME, NS, PTR and SOA checked against RDLENGTH.
 * Anything else is kept raw (RRSIG, TLSA, ...). Of the additional section only the
 * OPT record is read (RFC 6891), for an Extended DNS Error (RFC 8914). Malformed input
 * yields -1, never a crash.
 */
#ifndef POSTURE_DNS_MSG_H
#define POSTURE_DNS_MSG_H

#include "dns/dns.h"

struct dns_msg {
	uint16_t id;
	uint8_t rcode;
	bool aa, tc, ad;	/* AD: RFC 4035 3.2.3 */
	bool has_ede;		/* an EDE option in the OPT record */
	uint16_t ede;		/* its INFO-CODE */
	char *qname;		/* owned; NULL when no question */
	uint16_t qtype;
	size_t nanswer, nauthority;
	struct dns_rr *answer;	/* owned */
	struct dns_rr *authority; /* owned */
};

/* Parse len bytes; 0, or -1 when malformed (msg then holds nothing to free). */
int dns_msg_parse(const uint8_t *buf, size_t len, struct dns_msg *msg);
void dns_msg_free(struct dns_msg *msg);

/*
 * The first Extended DNS Error option (RFC 8914 2: code 15, INFO-CODE and text) in the
 * RDATA of an OPT record (RFC 6891 6.1.2: options of code, length, data). Returns 1
 * with *code set, 0 when there is none, -1 when the options overrun the RDATA.
 */
int dns_opt_ede(const uint8_t *rdata, size_t len, uint16_t *code);

/*
 * Turn a parsed response to (qname, qtype) into an answer: follow CNAMEs inside the
 * message (bounded, loops are DNS_MALFORMED), keep the records of qtype at the
 * canonical name, set the status from the rcode and the negative TTL from the SOA,
 * the AD bit as `secure` (the resolver decides whether it is trusted), the EDE, and
 * `sig_ttl` from the RRSIGs at the canonical name covering qtype.
 * A NOERROR or NXDOMAIN response with TC=1 is DNS_TRUNCATED with no records: the
 * resolver retries a truncated UDP answer over TCP, so what reaches here truncated
 * could not be sent whole at all.
 * Returns 0 when complete, 1 when the chain leaves the message and the caller must
 * ask again for (out->canonical, qtype); -1 on OOM.
 */
int dns_msg_answer(const struct dns_msg *msg, const char *qname, uint16_t qtype,
		   struct dns_answer *out);

#endif
