/*
 * dmarc_parse.h - one DMARC Policy Record (RFC 9989 4.7, 4.8) into a struct; no I/O.
 *
 *   dmarc_txt_classify()  is a TXT string a DMARC record, a malformed attempt, or other
 *                         (other text is no record at all: RFC 7489 6.6.3 discards it)
 *   dmarc_parse()         parse a record into struct dmarc_record (self-contained copy)
 *   dmarc_policy_word()   "none", "quarantine", "reject"
 *   dmarc_policy_rank()   order of strength for comparisons
 *
 * Tags: v (must be first, exactly "DMARC1"), p, sp, np, psd, t, adkim, aspf, rua, ruf,
 * fo, and the RFC 7489 tags RFC 9989 removed (pct, rf, ri: parsed, marked obsolete,
 * RFC 9989 C.5.2). Unknown tags are ignored (RFC 9989 4.7) but listed as problems.
 * Tag names and keyword values compare case-insensitively, as the ABNF literals of
 * RFC 9989 4.8 do (RFC 5234 2.3); the value "DMARC1" is case-sensitive (%s).
 *
 * What can go wrong: any bytes are accepted. Each problem becomes an entry with the
 * tag, a sanitized copy of the value and a static reason; at most DMARC_MAX_PROBLEMS
 * are kept, at most DMARC_MAX_URIS URIs per list.
 */
#ifndef POSTURE_DMARC_PARSE_H
#define POSTURE_DMARC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DMARC_MAX_PROBLEMS	16
#define DMARC_MAX_URIS		8

enum dmarc_txt_kind {
	DMARC_TXT_OTHER,	/* not about DMARC (e.g. v=spf1): no record, ignored */
	DMARC_TXT_RECORD,	/* starts with v=DMARC1: a DMARC record candidate */
	DMARC_TXT_MALFORMED	/* meant as DMARC ("DMARC1" in it, or v=DMARC...), yet does
				 * not start with v=DMARC1 */
};

enum dmarc_policy {
	DMARC_POLICY_ABSENT,	/* tag not present */
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
	DMARC_POLICY_INVALID	/* present with a value outside dmarc-request */
};

enum dmarc_psd { DMARC_PSD_U, DMARC_PSD_Y, DMARC_PSD_N };

enum dmarc_problem_kind {
	DMARC_PROB_TAGLIST,	/* tag-list syntax (RFC 6376 3.2): the reason says which */
	DMARC_PROB_V_NOT_FIRST,	/* record does not start with v=DMARC1 */
	DMARC_PROB_P_MISSING,	/* no p tag */
	DMARC_PROB_BAD_VALUE,	/* a known tag with a value outside its grammar */
	DMARC_PROB_DUPLICATE,	/* a known tag occurs twice (first one used) */
	DMARC_PROB_BAD_URI,	/* one URI of rua/ruf is invalid */
	DMARC_PROB_UNKNOWN_TAG,	/* ignored (RFC 9989 4.7) */
	DMARC_PROB_OBSOLETE	/* pct, rf, ri (RFC 9989 C.5.2) */
};

/* How much a problem matters; the check maps it to a finding severity. */
enum dmarc_problem_sev { DMARC_PSEV_INFO, DMARC_PSEV_WARN, DMARC_PSEV_ERROR };

struct dmarc_problem {
	enum dmarc_problem_kind kind;
	enum dmarc_problem_sev sev;	/* ERROR: the policy or the tag list is affected */
	char tag[20];		/* tag name, sanitized (may be "" for list-level problems) */
	char value[72];		/* value or offending text, sanitized, maybe cut with "..." */
	const char *reason;	/* static, one line */
	size_t pos;		/* offset in the record */
};

enum dmarc_uri_scheme { DMARC_URI_MAILTO, DMARC_URI_HTTPS, DMARC_URI_OTHER };

struct dmarc_uri {
	char text[128];		/* the URI as written, sanitized, maybe cut */
	enum dmarc_uri_scheme scheme;
	bool valid;
	const char *reason;	/* why not valid; NULL when valid */
	char host[256];		/* lower-case destination host ("" when invalid) */
	bool host_is_ip;	/* https with an IP literal host: no domain to authorize */
	bool has_size;		/* obsolete "!size" suffix (RFC 9989 4.8 obs-dmarc-uri) */
};

struct dmarc_urilist {
	bool present;
	size_t count;		/* URIs kept */
	size_t total;		/* URIs written (count + those past DMARC_MAX_URIS) */
	size_t nvalid;		/* valid among those kept */
	struct dmarc_uri uris[DMARC_MAX_URIS];
};

struct dmarc_record {
	bool is_dmarc;		/* starts with v=DMARC1 (RFC 9989 4.7 "v") */
	enum dmarc_policy p, sp, np;
	char p_text[24], sp_text[24], np_text[24];	/* sanitized values as written */
	enum dmarc_psd psd;	/* U when absent or invalid (default) */
	bool has_psd;
	bool testing;		/* t=y */
	bool has_t;
	char adkim, aspf;	/* 'r' or 's' (default 'r') */
	bool has_fo;
	struct dmarc_urilist rua, ruf;
	bool has_pct, has_rf, has_ri;
	int pct;		/* 0..100; -1 when absent or invalid */
	size_t nproblems;	/* all found, may exceed DMARC_MAX_PROBLEMS */
	struct dmarc_problem problems[DMARC_MAX_PROBLEMS];
};

/* Classify the (joined) text of one TXT record found at a _dmarc name. */
enum dmarc_txt_kind dmarc_txt_classify(const void *data, size_t len);

/*
 * Parse one record into rec (overwritten, except the entries past rua/ruf count and
 * past nproblems, which are never to be read). Returns 0 when it is a DMARC record
 * (starts with v=DMARC1; problems may still be listed), -1 when it is not
 * (rec->is_dmarc false, problems say why).
 */
int dmarc_parse(const void *data, size_t len, struct dmarc_record *rec);

/* Validate one reporting URI (without surrounding spaces) into u. */
void dmarc_parse_uri(const uint8_t *p, size_t n, struct dmarc_uri *u);

/* "none", "quarantine", "reject", "(absent)", "(invalid)". */
const char *dmarc_policy_word(enum dmarc_policy p);

/* none 0 < quarantine 1 < reject 2; -1 for absent or invalid. */
int dmarc_policy_rank(enum dmarc_policy p);

#endif
