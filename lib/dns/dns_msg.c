/*
 * dns_msg.c - the DNS answer reader (see dns_msg.h): wire bytes in, records out.
 *
 *   dns_msg_parse()   header, question, answer and authority sections (RFC 1035 4.1),
 *                     the OPT record of the additional section (EDE, RFC 8914)
 *   dns_opt_ede()     the Extended DNS Error option of an OPT record's RDATA
 *   dns_msg_answer()  follow CNAMEs inside the message, keep the records asked for;
 *                     a response with TC=1 is DNS_TRUNCATED, its records unused
 *
 * Every byte is read through the bounded reader (buf.h). What can go wrong, and is
 * answered with -1 rather than a crash: truncation anywhere, RDLENGTH not matching the
 * RDATA, compression pointers that loop, point forwards or past the end, labels over
 * 63 octets, names over 255 octets, more records than DNS_MSG_MAX_RRS, OPT options
 * that overrun their RDATA (the message is then read without its EDE).
 *
 * Names come out lower-cased (RFC 4343: ASCII only), without the trailing dot, the root
 * as "". Octets that are not printable ASCII are written \DDD and '.' and '\' inside a
 * label as "\." and "\\" (RFC 1035 5.1 master-file escapes), so a name is a NUL-free C
 * string that still says which octets were sent.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* strdup, clock_gettime under -std=c11 */
#endif

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "dns/dns_msg.h"

#define DNS_MSG_MAX_RRS	4096	/* answer + authority records kept per message */
#define NAME_WIRE_MAX	255	/* RFC 1035 3.1: label octets plus length octets */
#define LABEL_MAX	63	/* RFC 1035 2.3.4 */
#define NAME_MAX_PTRS	127	/* more pointers than labels cannot be honest */
#define NAME_TEXT_MAX	1280	/* 253 content octets * 4 ("\DDD") + dots, rounded up */
#define RR_MIN_WIRE	11	/* root owner + type, class, ttl, rdlength */
#define C_IN		1
#define EDNS_OPT_EDE	15	/* RFC 8914 5.1 */
#define RRSIG_MIN_LEN	18	/* type covered .. key tag, before the signer name */

/* Append one label octet to text in the escaped, lower-case form. */
static int
text_put_octet(char *text, size_t *tlen, uint8_t c)
{
	size_t n = *tlen;

	if (n + 4 >= NAME_TEXT_MAX)
		return -1;
	if (c >= 'A' && c <= 'Z') {
		text[n++] = (char)(c - 'A' + 'a');
	} else if (c == '.' || c == '\\') {
		text[n++] = '\\';
		text[n++] = (char)c;
	} else if (c < 0x21 || c > 0x7e) {
		text[n++] = '\\';
		text[n++] = (char)('0' + c / 100);
		text[n++] = (char)('0' + c / 10 % 10);
		text[n++] = (char)('0' + c % 10);
	} else {
		text[n++] = (char)c;
	}
	*tlen = n;
	return 0;
}

/* Convert wire labels (uncompressed, root-terminated) to the text form; owned. */
static char *
wire_to_text(const uint8_t *wire, size_t wlen)
{
	char text[NAME_TEXT_MAX];
	size_t tlen = 0, pos = 0, i;
	char *out;

	while (pos < wlen && wire[pos] != 0) {
		size_t len = wire[pos++];

		if (tlen > 0)
			text[tlen++] = '.';
		for (i = 0; i < len && pos < wlen; i++)
			if (text_put_octet(text, &tlen, wire[pos++]) < 0)
				return NULL;
	}
	out = malloc(tlen + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, text, tlen);
	out[tlen] = '\0';
	return out;
}

/*
 * Read a possibly compressed name at b's position (RFC 1035 4.1.4) and leave b after
 * the name as it appears in place. A pointer must point before the start of the name
 * and before every earlier pointer target, so each jump moves strictly backwards and
 * a loop is impossible; the pointer count is bounded as well.
 * Returns 0, or -1 with *oom telling out-of-memory from malformed input.
 */
static int
read_name(struct pt_buf *b, char **out, int *oom)
{
	uint8_t wire[NAME_WIRE_MAX];
	size_t wlen = 0, limit = b->pos, end_in_place = 0;
	unsigned ptrs = 0;
	struct pt_buf c = *b;
	uint8_t len, lo;
	const uint8_t *label;

	*oom = 0;
	for (;;) {
		if (pt_buf_u8(&c, &len) < 0)
			return -1;
		if ((len & 0xC0) == 0xC0) {
			size_t target;

			if (pt_buf_u8(&c, &lo) < 0)
				return -1;
			target = (size_t)(len & 0x3F) << 8 | lo;
			if (target >= limit || ++ptrs > NAME_MAX_PTRS)
				return -1;
			if (end_in_place == 0)
				end_in_place = c.pos;
			limit = target;
			if (pt_buf_seek(&c, target) < 0)
				return -1;
			continue;
		}
		if (len & 0xC0)		/* 0x40, 0x80: extended label types (RFC 6891 5) */
			return -1;
		if (len == 0)
			break;
		if (len > LABEL_MAX || wlen + 1 + len + 1 > NAME_WIRE_MAX)
			return -1;
		if (pt_buf_take(&c, len, &label) < 0)
			return -1;
		wire[wlen++] = len;
		memcpy(wire + wlen, label, len);
		wlen += len;
	}
	wire[wlen++] = 0;
	*out = wire_to_text(wire, wlen);
	if (*out == NULL) {
		*oom = 1;
		return -1;
	}
	b->pos = end_in_place ? end_in_place : c.pos;
	return 0;
}

/* Parse the TXT character-strings of rdata (RFC 1035 3.3.14); each kept apart. */
static int
read_txt(const uint8_t *rdata, size_t rdlen, struct dns_rr *rr)
{
	struct pt_buf r;
	size_t count = 0, i;
	uint8_t len;
	const uint8_t *s;

	pt_buf_init(&r, rdata, rdlen);
	while (pt_buf_remaining(&r) > 0) {
		if (pt_buf_u8(&r, &len) < 0 || pt_buf_skip(&r, len) < 0)
			return -1;	/* a string runs past RDLENGTH */
		count++;
	}
	rr->u.txt.count = 0;
	rr->u.txt.strings = NULL;
	if (count == 0)
		return 0;
	rr->u.txt.strings = calloc(count, sizeof(*rr->u.txt.strings));
	if (rr->u.txt.strings == NULL)
		return -2;
	pt_buf_init(&r, rdata, rdlen);
	for (i = 0; i < count; i++) {
		struct dns_txt_string *ts = &rr->u.txt.strings[i];

		if (pt_buf_u8(&r, &len) < 0 || pt_buf_take(&r, len, &s) < 0)
			return -1;
		ts->data = malloc((size_t)len + 1);
		if (ts->data == NULL)
			return -2;
		memcpy(ts->data, s, len);
		ts->data[len] = 0;
		ts->len = len;
		rr->u.txt.count++;
	}
	return 0;
}

/* Read the RDATA of rr (type already set) that spans [start, start+rdlen) of b. */
static int
read_rdata(struct pt_buf *b, size_t rdlen, struct dns_rr *rr)
{
	size_t start = b->pos, end = start + rdlen;
	const uint8_t *rdata;
	int oom = 0;

	if (pt_buf_take(b, rdlen, &rdata) < 0)
		return -1;
	if (pt_buf_seek(b, start) < 0)
		return -1;
	switch (rr->type) {
	case DNS_T_A:
		if (rdlen != 4)
			return -1;
		memcpy(rr->u.addr, rdata, 4);
		return pt_buf_seek(b, end);
	case DNS_T_AAAA:
		if (rdlen != 16)
			return -1;
		memcpy(rr->u.addr, rdata, 16);
		return pt_buf_seek(b, end);
	case DNS_T_TXT:
	case DNS_T_SPF:		/* RFC 7208 3.1: type 99 has the TXT format */
		{
			int rc = read_txt(rdata, rdlen, rr);

			if (rc == -2)
				return -2;
			if (rc < 0)
				return -1;
			return pt_buf_seek(b, end);
		}
	case DNS_T_MX:
		if (pt_buf_u16(b, &rr->u.mx.preference) < 0)
			return -1;
		if (read_name(b, &rr->u.mx.exchange, &oom) < 0)
			return oom ? -2 : -1;
		break;
	case DNS_T_CNAME:
	case DNS_T_NS:
	case DNS_T_PTR:
		if (read_name(b, &rr->u.target, &oom) < 0)
			return oom ? -2 : -1;
		break;
	case DNS_T_SOA:
		if (read_name(b, &rr->u.soa.mname, &oom) < 0)
			return oom ? -2 : -1;
		if (read_name(b, &rr->u.soa.rname, &oom) < 0)
			return oom ? -2 : -1;
		if (pt_buf_u32(b, &rr->u.soa.serial) < 0 ||
		    pt_buf_u32(b, &rr->u.soa.refresh) < 0 ||
		    pt_buf_u32(b, &rr->u.soa.retry) < 0 ||
		    pt_buf_u32(b, &rr->u.soa.expire) < 0 ||
		    pt_buf_u32(b, &rr->u.soa.minimum) < 0)
			return -1;
		break;
	default:
		rr->u.raw.len = rdlen;
		rr->u.raw.data = malloc(rdlen ? rdlen : 1);
		if (rr->u.raw.data == NULL)
			return -2;
		if (rdlen)
			memcpy(rr->u.raw.data, rdata, rdlen);
		return pt_buf_seek(b, end);
	}
	/* Names may be compressed, but the RDATA must end exactly at RDLENGTH. */
	return b->pos == end ? 0 : -1;
}

/*
 * Read one resource record. *keep is false for records of a class other than IN,
 * which are skipped. Returns 0, -1 malformed, -2 OOM; rr holds nothing on error.
 */
static int
read_rr(struct pt_buf *b, struct dns_rr *rr, int *keep)
{
	uint16_t cls, rdlen;
	int oom = 0, rc;

	memset(rr, 0, sizeof(*rr));
	*keep = 0;
	if (read_name(b, &rr->owner, &oom) < 0)
		return oom ? -2 : -1;
	if (pt_buf_u16(b, &rr->type) < 0 || pt_buf_u16(b, &cls) < 0 ||
	    pt_buf_u32(b, &rr->ttl) < 0 || pt_buf_u16(b, &rdlen) < 0) {
		rc = -1;
		goto fail;
	}
	/* RFC 2181 8: a TTL with the most significant bit set is read as zero. */
	if (rr->ttl > 0x7FFFFFFFu)
		rr->ttl = 0;
	if (cls != C_IN) {
		if (pt_buf_skip(b, rdlen) < 0) {
			rc = -1;
			goto fail;
		}
		free(rr->owner);
		memset(rr, 0, sizeof(*rr));
		return 0;
	}
	rc = read_rdata(b, rdlen, rr);
	if (rc < 0)
		goto fail;
	*keep = 1;
	return 0;
fail:
	dns_rr_clear(rr);
	return rc;
}

/* Free an array of n records. */
static void
rrs_free(struct dns_rr *rrs, size_t n)
{
	size_t i;

	for (i = 0; i < n && rrs; i++)
		dns_rr_clear(&rrs[i]);
	free(rrs);
}

/* Read a section of count records into a new array; *n gets the records kept. */
static int
read_section(struct pt_buf *b, uint16_t count, struct dns_rr **out, size_t *n)
{
	struct dns_rr *rrs = NULL;
	size_t i;
	int keep, rc;

	*out = NULL;
	*n = 0;
	if (count == 0)
		return 0;
	rrs = calloc(count, sizeof(*rrs));
	if (rrs == NULL)
		return -2;
	for (i = 0; i < count; i++) {
		rc = read_rr(b, &rrs[*n], &keep);
		if (rc < 0) {
			rrs_free(rrs, *n);
			*n = 0;
			return rc;
		}
		if (keep)
			(*n)++;
	}
	*out = rrs;
	return 0;
}

/* The first EDE option of an OPT RDATA (see dns_msg.h): 1, 0 none, -1 overrun. */
int
dns_opt_ede(const uint8_t *rdata, size_t len, uint16_t *code)
{
	struct pt_buf b;
	uint16_t opt, olen;
	int found = 0;

	pt_buf_init(&b, rdata, len);
	while (pt_buf_remaining(&b) > 0) {
		if (pt_buf_u16(&b, &opt) < 0 || pt_buf_u16(&b, &olen) < 0)
			return -1;
		if (opt == EDNS_OPT_EDE && !found) {
			/* INFO-CODE, then EXTRA-TEXT (not kept): at least 2 bytes. */
			if (olen < 2 || pt_buf_u16(&b, code) < 0 ||
			    pt_buf_skip(&b, (size_t)olen - 2) < 0)
				return -1;
			found = 1;
			continue;
		}
		if (pt_buf_skip(&b, olen) < 0)
			return -1;
	}
	return found;
}

/*
 * Step over the additional section, reading only the OPT record (RFC 6891 6.1.1: at
 * most one; its CLASS is the payload size, so read_rr() would drop it) for an EDE.
 * Records past a malformed one are not read: the answer stands without an EDE.
 */
static void
read_additional(struct pt_buf *b, uint16_t count, struct dns_msg *msg)
{
	uint16_t i, type, cls, rdlen, code;
	uint32_t ttl;
	const uint8_t *rdata;
	char *name = NULL;
	int oom = 0;

	for (i = 0; i < count; i++) {
		if (read_name(b, &name, &oom) < 0)
			return;
		free(name);
		name = NULL;
		if (pt_buf_u16(b, &type) < 0 || pt_buf_u16(b, &cls) < 0 ||
		    pt_buf_u32(b, &ttl) < 0 || pt_buf_u16(b, &rdlen) < 0 ||
		    pt_buf_take(b, rdlen, &rdata) < 0)
			return;
		if (type == DNS_T_OPT && !msg->has_ede && dns_opt_ede(rdata, rdlen, &code) == 1) {
			msg->has_ede = true;
			msg->ede = code;
		}
	}
}

/* Parse len bytes of a response; 0, or -1 when malformed or out of memory. */
int
dns_msg_parse(const uint8_t *buf, size_t len, struct dns_msg *msg)
{
	struct pt_buf b;
	uint16_t flags, qd, an, ns, ar, qtype, qclass, i;
	char *name = NULL;
	int oom = 0;

	memset(msg, 0, sizeof(*msg));
	pt_buf_init(&b, buf, len);
	/* RFC 1035 4.1.1: ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT. */
	if (pt_buf_u16(&b, &msg->id) < 0 || pt_buf_u16(&b, &flags) < 0 ||
	    pt_buf_u16(&b, &qd) < 0 || pt_buf_u16(&b, &an) < 0 ||
	    pt_buf_u16(&b, &ns) < 0 || pt_buf_u16(&b, &ar) < 0)
		return -1;
	if (!(flags & 0x8000))	/* QR: a query is not an answer */
		return -1;
	msg->aa = (flags & 0x0400) != 0;
	msg->tc = (flags & 0x0200) != 0;
	msg->ad = (flags & 0x0020) != 0;
	msg->rcode = (uint8_t)(flags & 0x000F);
	if ((size_t)an + ns > DNS_MSG_MAX_RRS)
		return -1;

	/* RFC 1035 4.1.2: keep the first question, step over any others. */
	for (i = 0; i < qd; i++) {
		if (read_name(&b, &name, &oom) < 0)
			goto fail;
		if (pt_buf_u16(&b, &qtype) < 0 || pt_buf_u16(&b, &qclass) < 0) {
			free(name);
			goto fail;
		}
		if (msg->qname == NULL) {
			msg->qname = name;
			msg->qtype = qtype;
		} else {
			free(name);
		}
		name = NULL;
	}
	/* Each record takes at least RR_MIN_WIRE bytes: refuse counts that cannot fit. */
	if (((size_t)an + ns) * RR_MIN_WIRE > pt_buf_remaining(&b))
		goto fail;
	if (read_section(&b, an, &msg->answer, &msg->nanswer) < 0)
		goto fail;
	if (read_section(&b, ns, &msg->authority, &msg->nauthority) < 0)
		goto fail;
	read_additional(&b, ar, msg);
	return 0;
fail:
	dns_msg_free(msg);
	return -1;
}

/* Free what a parsed message owns and zero it. */
void
dns_msg_free(struct dns_msg *msg)
{
	if (msg == NULL)
		return;
	free(msg->qname);
	rrs_free(msg->answer, msg->nanswer);
	rrs_free(msg->authority, msg->nauthority);
	memset(msg, 0, sizeof(*msg));
}

/*
 * Canonical text form of a name given as text: escapes (\X, \DDD) decoded, checked
 * (labels <= 63, total <= 255 octets, no empty label), re-encoded as read_name() does.
 * Returns 0, -1 when the name is invalid, -2 on OOM.
 */
static int
name_canonical(const char *in, char **out)
{
	uint8_t wire[NAME_WIRE_MAX];
	size_t wlen = 0, lenpos = 0, llen = 0;
	const char *p = in;

	*out = NULL;
	if (strcmp(in, ".") == 0)
		p = "";
	wire[0] = 0;
	while (*p) {
		unsigned c = (unsigned char)*p++;

		if (c == '.') {
			if (llen == 0)
				return -1;		/* empty label */
			wire[lenpos] = (uint8_t)llen;
			llen = 0;
			if (*p == '\0')
				break;			/* one trailing dot */
			continue;
		}
		if (c == '\\') {
			if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
			    p[2] >= '0' && p[2] <= '9') {
				c = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
				    (unsigned)(p[2] - '0');
				if (c > 255)
					return -1;
				p += 3;
			} else if (*p != '\0') {
				c = (unsigned char)*p++;
			} else {
				return -1;
			}
		}
		if (llen == 0) {
			lenpos = wlen++;
			if (wlen >= NAME_WIRE_MAX)
				return -1;
		}
		if (++llen > LABEL_MAX || wlen + 1 >= NAME_WIRE_MAX)
			return -1;
		wire[wlen++] = (uint8_t)c;
	}
	if (llen > 0)
		wire[lenpos] = (uint8_t)llen;
	wire[wlen++] = 0;
	*out = wire_to_text(wire, wlen);
	return *out ? 0 : -2;
}

/* The CNAME record owned by name in the answer section, or NULL. */
static const struct dns_rr *
find_cname(const struct dns_msg *msg, const char *name)
{
	size_t i;

	for (i = 0; i < msg->nanswer; i++)
		if (msg->answer[i].type == DNS_T_CNAME &&
		    strcmp(msg->answer[i].owner, name) == 0)
			return &msg->answer[i];
	return NULL;
}

/* Number of answer records of type owned by name (any type when type is 0). */
static size_t
count_owned(const struct dns_msg *msg, const char *name, uint16_t type)
{
	size_t i, n = 0;

	for (i = 0; i < msg->nanswer; i++)
		if ((type == 0 || msg->answer[i].type == type) &&
		    strcmp(msg->answer[i].owner, name) == 0)
			n++;
	return n;
}

/* Whether zone is name or one of its ancestors (both canonical text). */
static int
zone_contains(const char *zone, const char *name)
{
	size_t zl = strlen(zone), nl = strlen(name);

	if (zl == 0)
		return 1;
	if (zl > nl)
		return 0;
	if (strcmp(name + (nl - zl), zone) != 0)
		return 0;
	return zl == nl || name[nl - zl - 1] == '.';
}

/* The first SOA of the authority section, or NULL. */
static const struct dns_rr *
find_soa(const struct dns_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->nauthority; i++)
		if (msg->authority[i].type == DNS_T_SOA)
			return &msg->authority[i];
	return NULL;
}

/* Copy the records of qtype owned by name into out. 0 or -1 on OOM. */
static int
collect(const struct dns_msg *msg, const char *name, uint16_t qtype,
	struct dns_answer *out)
{
	size_t n = count_owned(msg, name, qtype), i;

	if (n == 0)
		return 0;
	out->rrs = calloc(n, sizeof(*out->rrs));
	if (out->rrs == NULL)
		return -1;
	for (i = 0; i < msg->nanswer; i++) {
		const struct dns_rr *rr = &msg->answer[i];

		if (rr->type != qtype || strcmp(rr->owner, name) != 0)
			continue;
		if (dns_rr_copy(&out->rrs[out->count], rr) < 0)
			return -1;
		out->count++;
	}
	return 0;
}

/*
 * The lowest original TTL (RFC 4034 3.1.4, capped as RFC 2181 8 says) of the RRSIGs
 * owned by name that cover qtype; 0 when there is none.
 */
static uint32_t
sig_original_ttl(const struct dns_msg *msg, const char *name, uint16_t qtype)
{
	uint32_t min = 0, ttl;
	const uint8_t *d;
	size_t i;

	for (i = 0; i < msg->nanswer; i++) {
		const struct dns_rr *rr = &msg->answer[i];

		if (rr->type != DNS_T_RRSIG || rr->u.raw.len < RRSIG_MIN_LEN ||
		    strcmp(rr->owner, name) != 0)
			continue;
		d = rr->u.raw.data;
		if ((uint16_t)(d[0] << 8 | d[1]) != qtype)
			continue;
		ttl = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
		if (ttl > 0x7FFFFFFFu)
			ttl = 0;
		if (min == 0 || ttl < min)
			min = ttl;
	}
	return min;
}

/*
 * Follow the CNAME chain from qname inside the answer section (RFC 1034 3.6.2,
 * RFC 2308 2.1/2.2: a negative rcode after a chain refers to its last name).
 * *canon receives the last name (owned). Returns 0, 1 on a loop or too many hops,
 * -1 on OOM.
 */
static int
follow_chain(const struct dns_msg *msg, const char *qname, uint16_t qtype,
	     char **canon, unsigned *hops)
{
	const char *seen[DNS_MAX_CNAME_HOPS + 1];
	const char *cur = qname;
	const struct dns_rr *cn;
	unsigned i;

	*hops = 0;
	*canon = NULL;
	seen[0] = qname;
	while (qtype != DNS_T_CNAME && count_owned(msg, cur, qtype) == 0 &&
	       (cn = find_cname(msg, cur)) != NULL) {
		for (i = 0; i <= *hops; i++)
			if (strcmp(seen[i], cn->u.target) == 0)
				return 1;		/* a loop */
		if (*hops >= DNS_MAX_CNAME_HOPS)
			return 1;
		cur = cn->u.target;
		seen[++*hops] = cur;
	}
	*canon = strdup(cur);
	return *canon ? 0 : -1;
}

/* Turn a parsed response to (qname, qtype) into an answer (see dns_msg.h). */
int
dns_msg_answer(const struct dns_msg *msg, const char *qname, uint16_t qtype,
	       struct dns_answer *out)
{
	const struct dns_rr *soa;
	char *name = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->qtype = qtype;
	out->queries = 1;
	out->authoritative = msg->aa;
	out->secure = msg->ad;
	out->has_ede = msg->has_ede;
	out->ede = msg->ede;
	out->qname = strdup(qname ? qname : "");
	if (out->qname == NULL)
		goto oom;
	rc = qname ? name_canonical(qname, &name) : -1;
	if (rc == -2)
		goto oom;
	if (rc < 0) {
		out->status = DNS_ERROR;
		out->canonical = strdup(out->qname);
		if (out->canonical == NULL)
			goto oom;
		return 0;
	}
	/* The response must be about what was asked (c-ares checks it too). */
	if (msg->qname != NULL && (strcmp(msg->qname, name) != 0 || msg->qtype != qtype)) {
		out->status = DNS_MALFORMED;
		out->canonical = name;
		return 0;
	}

	switch (msg->rcode) {
	case 0:		/* NOERROR */
	case 3:		/* NXDOMAIN */
		break;
	case 2:		/* SERVFAIL */
	case 1:		/* FORMERR: the server could not read our query */
	case 4:		/* NOTIMP */
		out->status = DNS_SERVFAIL;
		out->canonical = name;
		return 0;
	case 5:
		out->status = DNS_REFUSED;
		out->canonical = name;
		return 0;
	default:	/* YXDOMAIN and beyond make no sense in a query response */
		out->status = DNS_MALFORMED;
		out->canonical = name;
		return 0;
	}

	/*
	 * RFC 2181 9: a truncated response is to be ignored, not used in part. The
	 * resolver already asked again over TCP (RFC 7766 5), so TC here means the
	 * whole answer does not fit in 64 KB (NSD then sends TC=1 and no records):
	 * there is no answer, which is neither "no records" nor a parse error.
	 */
	if (msg->tc) {
		out->status = DNS_TRUNCATED;
		out->canonical = name;
		return 0;
	}
	rc = follow_chain(msg, name, qtype, &out->canonical, &out->cname_hops);
	if (rc < 0)
		goto oom;
	if (rc == 1) {
		out->status = DNS_MALFORMED;
		out->cname_hops = 0;
		out->canonical = name;
		return 0;
	}
	free(name);
	name = NULL;

	soa = find_soa(msg);
	if (msg->rcode == 3) {
		out->status = DNS_NXDOMAIN;
	} else {
		if (collect(msg, out->canonical, qtype, out) < 0)
			goto oom;
		if (out->count > 0) {
			out->status = DNS_OK;
			out->sig_ttl = sig_original_ttl(msg, out->canonical, qtype);
			return 0;
		}
		out->status = DNS_NODATA;
		/*
		 * A chain ending at a name with nothing in this message: a server that
		 * is authoritative for the alias but not for the target. Unless a SOA
		 * at or above the target says it has no data, the caller asks again.
		 */
		if (out->cname_hops > 0 && count_owned(msg, out->canonical, 0) == 0 &&
		    (soa == NULL || !zone_contains(soa->owner, out->canonical)))
			return 1;
	}
	/* RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM). */
	if (soa != NULL)
		out->negative_ttl = soa->ttl < soa->u.soa.minimum ? soa->ttl :
		    soa->u.soa.minimum;
	return 0;
oom:
	free(name);
	dns_answer_clear(out);
	return -1;
}
