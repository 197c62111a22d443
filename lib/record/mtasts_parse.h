/*
 * mtasts_parse.h - MTA-STS (RFC 8461): the _mta-sts TXT record and the policy file
 * into structs; no I/O.
 *
 *   mtasts_txt_classify()   is a TXT string an STSv1 record (candidate), a look-alike
 *   mtasts_txt_parse()      v=STSv1, id=, extensions (RFC 8461 3.1), over taglist.h
 *   mtasts_policy_parse()   version, mode, max_age, mx lines (RFC 8461 3.2)
 *   mtasts_mx_match()       an MX host against an mx pattern (RFC 8461 4.1)
 *   mtasts_mode_word()      "enforce", "testing", "none"
 *
 * Decisions: field names and the fixed values are case-sensitive (%s in the ABNF);
 * lines end in LF or CRLF; the first of a duplicated version, mode or max_age is the
 * one used (a warn problem); unknown fields are extensions and ignored; max_age above
 * 31557600 is read as 31557600 (a warn problem). A policy is "valid" when a sender
 * would apply it: version STSv1, a known mode, a max_age, and at least one valid mx
 * unless the mode is none.
 *
 * What can go wrong: any bytes are accepted. Problems are listed with a sanitized copy
 * of the offending text, a static reason, a severity and the RFC section; at most
 * MTASTS_MAX_PROBLEMS are kept (nproblems counts them all). At most MTASTS_MAX_MX mx
 * patterns are kept (mx_total counts them all).
 */
#ifndef POSTURE_MTASTS_PARSE_H
#define POSTURE_MTASTS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MTASTS_ID_MAX		32		/* 1*32(ALPHA / DIGIT), RFC 8461 3.1 */
#define MTASTS_POLICY_MAX	(64 * 1024)	/* bytes fetched at most */
#define MTASTS_MAX_AGE_MAX	31557600u	/* RFC 8461 3.2 */
#define MTASTS_MAX_MX		32
#define MTASTS_MAX_PROBLEMS	8

enum mtasts_txt_kind {
	MTASTS_TXT_OTHER,	/* not an MTA-STS record: ignored (RFC 8461 3.1) */
	MTASTS_TXT_CANDIDATE,	/* begins with v=STSv1 */
	MTASTS_TXT_LOOKALIKE	/* begins with v=sts in another case or spacing: a typo */
};

enum mtasts_psev { MTASTS_PSEV_WARN, MTASTS_PSEV_ERROR };

struct mtasts_problem {
	enum mtasts_psev sev;
	size_t line;			/* policy: 1-based line; TXT: byte offset */
	char text[64];			/* the offending text, sanitized */
	const char *reason;		/* static, one line */
	const char *section;		/* "RFC 8461 3.2" */
};

struct mtasts_txt {
	bool valid;			/* senders would use it */
	char id[MTASTS_ID_MAX + 1];	/* when the id is valid */
	size_t nproblems;
	struct mtasts_problem problems[MTASTS_MAX_PROBLEMS];
};

enum mtasts_mode {
	MTASTS_MODE_ABSENT, MTASTS_MODE_INVALID,
	MTASTS_MODE_ENFORCE, MTASTS_MODE_TESTING, MTASTS_MODE_NONE
};

struct mtasts_policy {
	bool valid;			/* senders would apply it */
	bool version_ok;		/* version: STSv1 */
	enum mtasts_mode mode;
	char mode_text[24];		/* sanitized, for messages */
	bool has_max_age;		/* a valid max_age (capped at the maximum) */
	uint32_t max_age;
	size_t nmx;			/* valid patterns kept, lower case, no final dot */
	char mx[MTASTS_MAX_MX][256];
	size_t mx_total;		/* valid patterns seen */
	size_t nproblems;
	struct mtasts_problem problems[MTASTS_MAX_PROBLEMS];
};

/* What a TXT string is (the joined strings of one record). */
enum mtasts_txt_kind mtasts_txt_classify(const void *data, size_t len);
/* Parse one TXT record; 0 when valid, -1 otherwise (problems say why). */
int mtasts_txt_parse(const void *data, size_t len, struct mtasts_txt *out);
/* Parse a policy body; 0 when valid, -1 otherwise (problems say why). */
int mtasts_policy_parse(const void *data, size_t len, struct mtasts_policy *out);
/*
 * Whether host (a DNS name, any case, a final dot ignored) matches pattern (lower
 * case): equal, or "*." + suffix where host is exactly one label more (RFC 8461 4.1).
 */
bool mtasts_mx_match(const char *pattern, const char *host);
/* "enforce", "testing", "none", "absent", "invalid". */
const char *mtasts_mode_word(enum mtasts_mode mode);

#endif
