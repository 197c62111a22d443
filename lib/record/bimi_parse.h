/*
 * bimi_parse.h - the BIMI Assertion Record and BIMI-Selector header
 * (draft-brand-indicators-for-message-identification-10, "BIMI draft" below); no I/O.
 *
 *   bimi_txt_classify()     is a TXT string a BIMI record (candidate), a look-alike, other
 *   bimi_parse()            v=BIMI1; l=URI[,URI...]; a=[URI]; lps=; avp=
 *   bimi_parse_uri()        one https URI of l= or a=
 *   bimi_selector_valid()   a selector: sub-domain *("." sub-domain) (BIMI draft 4.4)
 *   bimi_selector_header()  the selector of a BIMI-Selector header (BIMI draft 5.1)
 *
 * Grammar (BIMI draft 4.3): the tag-list of RFC 6376 3.2 (taglist.h), v=BIMI1 first
 * and exact; l= empty or a URI (older drafts allowed a comma list: it is still
 * read, each URI judged, the first one used, and a list is a warn); a= empty or one
 * URI; both https with a host name (FQDN). Tags are case-sensitive and records are
 * "defined precisely": nothing is fixed up. Unknown tags are ignored (BIMI draft 4.3);
 * a known tag written in another case is reported since receivers ignore it.
 *
 * A record declines BIMI (4.3.1) when l= and a= are both empty (a= absent reads empty).
 * A logo URI that is not https is not a syntax problem here: the check reports it as
 * BIMI_LOGO_NOT_HTTPS (uri->https false).
 *
 * What can go wrong: any bytes are accepted. Every copy is bounded and sanitized; at
 * most BIMI_MAX_LOGOS logo URIs and BIMI_MAX_PROBLEMS problems are kept (totals are
 * counted). Nothing is allocated.
 */
#ifndef POSTURE_BIMI_PARSE_H
#define POSTURE_BIMI_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define BIMI_MAX_LOGOS		4
#define BIMI_MAX_PROBLEMS	8
#define BIMI_URL_MAX		1024	/* longer URLs are refused (bounded fetch requests) */
#define BIMI_SELECTOR_MAX	63	/* BIMI draft 4.5: normalized selectors; DNS label size */

enum bimi_txt_kind {
	BIMI_TXT_OTHER,		/* not about BIMI: discarded (BIMI draft 7.2 step 4) */
	BIMI_TXT_CANDIDATE,	/* begins with v=BIMI1 */
	BIMI_TXT_LOOKALIKE	/* mentions BIMI1/v=BIMI but does not begin with v=BIMI1 */
};

enum bimi_psev { BIMI_PSEV_INFO, BIMI_PSEV_WARN, BIMI_PSEV_ERROR };

struct bimi_uri {
	char text[128];			/* as written, sanitized, maybe cut with "..." */
	bool https;			/* the scheme is https (any case, RFC 3986 3.1) */
	bool valid;			/* https with a DNS host name: fetchable */
	const char *reason;		/* static, when not valid */
	char url[BIMI_URL_MAX + 1];	/* the URL as written, when valid */
	char host[254];			/* its host, lower case, when valid */
};

struct bimi_problem {
	enum bimi_psev sev;
	char tag[8];			/* "l", "a", ... or "" for the whole record */
	char text[72];			/* the offending text, sanitized */
	const char *reason;		/* static, one line, with its section */
};

struct bimi_record {
	bool is_bimi;			/* begins with v=BIMI1 */
	bool valid;			/* is_bimi, no error problem */
	bool has_l, has_a;		/* the tag is present (maybe empty) */
	bool declined;			/* l= and a= empty: declination to publish (4.3.1) */
	size_t nlogos;			/* logo URIs kept */
	size_t logo_total;		/* logo URIs written */
	struct bimi_uri logos[BIMI_MAX_LOGOS];
	bool has_evidence;		/* a= names a URI (evidence judged in .evidence) */
	struct bimi_uri evidence;
	bool lps;			/* lps=true (local-part selectors, 4.5) */
	char avp[12];			/* "brand" (default) or "personal" */
	size_t nproblems;		/* all found, may exceed BIMI_MAX_PROBLEMS */
	size_t nerrors;
	struct bimi_problem problems[BIMI_MAX_PROBLEMS];
};

/* What the joined text of one TXT record at a _bimi name is. */
enum bimi_txt_kind bimi_txt_classify(const void *data, size_t len);

/* Parse one record into rec (overwritten); 0 when valid, -1 otherwise. */
int bimi_parse(const void *data, size_t len, struct bimi_record *rec);

/* Judge one URI (surrounding spaces already removed) into u (overwritten). */
void bimi_parse_uri(const void *data, size_t len, struct bimi_uri *u);

/* Whether s is a selector (labels of letters, digits and '-', dots between). */
bool bimi_selector_valid(const char *s);

/*
 * The selector of a BIMI-Selector header value "v=BIMI1; s=selector" (BIMI draft
 * 5.1), lower-cased into sel (size >= BIMI_SELECTOR_MAX * 4 + 1 is plenty; 0 or -1
 * when the header is not valid or sel is too small).
 */
int bimi_selector_header(const void *data, size_t len, char *sel, size_t sellen);

#endif
