/*
 * tlsrpt_parse.h - the SMTP TLS Reporting record (RFC 8460 3) into a struct; no I/O.
 *
 *   tlsrpt_txt_classify()  is a TXT string a TLSRPTv1 record (candidate), a look-alike
 *   tlsrpt_parse()         v=TLSRPTv1; rua=URI[,URI...]; extensions
 *
 * Grammar (RFC 8460 3): tlsrpt-record = "v=TLSRPTv1" 1*(field-delim tlsrpt-field)
 * [field-delim]; field-delim = *WSP ";" *WSP; tlsrpt-rua = "rua=" tlsrpt-uri
 * *(*WSP "," *WSP tlsrpt-uri), each URI mailto: (RFC 6068) or https:; extension names
 * (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."). Names are case-sensitive.
 * The record is read with the tag-list parser (taglist.h), then checked here.
 *
 * A record is valid (senders would report to it) when it begins with v=TLSRPTv1, has
 * exactly one rua with at least one valid URI, and no tag-list error. A bad URI next
 * to a good one is a warn problem; a record without any usable URI has error
 * problems.
 *
 * What can go wrong: any bytes are accepted; every copy is bounded and sanitized. At
 * most TLSRPT_MAX_URIS URIs and TLSRPT_MAX_PROBLEMS problems are kept (the totals are
 * counted).
 */
#ifndef POSTURE_TLSRPT_PARSE_H
#define POSTURE_TLSRPT_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define TLSRPT_MAX_URIS		8
#define TLSRPT_MAX_PROBLEMS	8

enum tlsrpt_txt_kind {
	TLSRPT_TXT_OTHER,	/* not a TLS-RPT record: ignored (RFC 8460 3) */
	TLSRPT_TXT_CANDIDATE,	/* begins with v=TLSRPTv1 */
	TLSRPT_TXT_LOOKALIKE	/* begins with v=tlsrpt in another case or spacing */
};

enum tlsrpt_psev { TLSRPT_PSEV_WARN, TLSRPT_PSEV_ERROR };

struct tlsrpt_uri {
	char text[128];			/* sanitized, for messages */
	bool valid;
	bool https;			/* an https: URI (else mailto:) */
	const char *reason;		/* static, when not valid */
};

struct tlsrpt_problem {
	enum tlsrpt_psev sev;
	char text[64];			/* the offending text, sanitized */
	const char *reason;		/* static, one line */
};

struct tlsrpt_record {
	bool valid;
	size_t nuris;			/* kept */
	size_t uri_total;		/* seen */
	size_t nvalid;			/* valid among all seen */
	struct tlsrpt_uri uris[TLSRPT_MAX_URIS];
	size_t nproblems;
	size_t nerrors;			/* error problems among them */
	struct tlsrpt_problem problems[TLSRPT_MAX_PROBLEMS];
};

/* What a TXT string is (the joined strings of one record). */
enum tlsrpt_txt_kind tlsrpt_txt_classify(const void *data, size_t len);
/* Parse one record; 0 when valid, -1 otherwise (problems say why). */
int tlsrpt_parse(const void *data, size_t len, struct tlsrpt_record *out);

#endif
