/*
 * posture.h - libposture, the engine behind posture-milter and posture-check.
 *
 * The library's public header, with codes.h (the finding-code catalogue) that it
 * includes. It knows nothing of libmilter or c-ares. The programs also use a few
 * headers of the layers below (the evaluation pool, message verification, the parsers
 * the milter feeds header by header): tests/layering.sh lists them as PROGRAM_HEADERS
 * and fails on any other, and ARCHITECTURE.md (Layers) says why each is there.
 *
 *   posture_engine_new()     resolver + public suffix list, shared by many evaluations
 *   posture_evaluate()       evaluate one domain: DNS lookups in rounds, findings, grade
 *   posture_name_normalize() validate a domain name and convert it to lower-case A-labels
 *   posture_report_text()    a report for a terminal
 *   posture_report_json()    the JSON interface (ARCHITECTURE.md, Interfaces)
 *
 * Thread safety: an engine may be shared by threads; each evaluation is owned by the
 * thread that asked for it. Nothing here exits or aborts: errors come back as values.
 */
#ifndef POSTURE_H
#define POSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codes.h"

/*
 * The record families, in the fixed order of the header and the reports. PF_ANY is
 * no family: the catalogue's mark for a code raised in the family of what it is about
 * (codes.h, ANY); loops up to PF_COUNT never see it, and no finding carries it.
 */
enum posture_family {
	PF_MX, PF_SPF, PF_DKIM, PF_DMARC, PF_MTASTS, PF_TLSRPT, PF_BIMI,
	PF_DNSSEC, PF_DANE,	/* appended: the order before them is unchanged for parsers */
	PF_COUNT,
	PF_ANY
};

enum posture_severity { SEV_INFO, SEV_WARN, SEV_ERROR };

/*
 * Posture words (ARCHITECTURE.md, Findings): never the verification words pass/fail.
 * PR_NOT_CHECKED marks a family that this build or this evaluation did not check:
 * it is left out of reports entirely (no fake "none").
 */
enum posture_result {
	PR_NOT_CHECKED, PR_OK, PR_WEAK, PR_BROKEN, PR_NONE, PR_UNKNOWN, PR_TEMPERROR
};

#define POSTURE_CODE_ENUM(code, fam, sev) PC_##code,
enum posture_code { POSTURE_CODE_LIST(POSTURE_CODE_ENUM) PC_COUNT };
#undef POSTURE_CODE_ENUM

struct posture_finding {
	enum posture_code code;
	enum posture_severity severity;
	enum posture_family family;
	char *message;			/* owned; printable ASCII, names the value and RFC */
};

struct posture_family_result {
	enum posture_result result;
	char fact[64];			/* short fact for the header comment, or "" */
};

/*
 * A record an evaluation read, in canonical form, for change tracking (eval/history.c):
 * RRsets sorted, TXT strings joined, so the same publication always reads the same.
 * Records are what a check saw this time; snapshots in the cache and in posture
 * memory do not keep them.
 */
#define POSTURE_RECORD_VALUE_MAX 4096	/* longer canonical values are cut */
struct posture_record {
	char *name;			/* owned: "mx", "spf", "dmarc", "dkim:<selector>",
					 * "mta-sts:txt", "mta-sts:policy", "tls-rpt", "bimi" */
	enum posture_family family;
	char *value;			/* owned, printable ASCII; "" when none is published */
};

/* DKIM selectors an evaluation checked, lower case, without duplicates. */
#define POSTURE_MAX_SELECTORS 32
#define POSTURE_SELECTOR_MAX 63

struct posture_dns_stats {
	unsigned queries;		/* DNS queries sent on the wire */
	unsigned rounds;		/* longest chain of dependent lookups */
	unsigned elapsed_ms;
};

struct posture_eval {
	char domain[256];		/* normalized (A-label) name */
	char input[256];		/* the name as given */
	char *error;			/* owned; non-NULL when the domain could not be evaluated */
	char grade;			/* 'A'..'F', or 0 when not evaluated */
	struct posture_family_result family[PF_COUNT];
	struct posture_finding *findings; /* owned array */
	size_t nfindings;
	struct posture_dns_stats dns;
	uint32_t ttl;			/* seconds: the shortest lifetime of its inputs */
	/* The selectors checked (kept in snapshots: whoever holds one knows whether a
	 * selector that just verified on a message is judged in it). */
	char selectors[POSTURE_MAX_SELECTORS][POSTURE_SELECTOR_MAX + 1];
	size_t nselectors;
	struct posture_record *records;	/* owned array; none in snapshots read back */
	size_t nrecords;
};

struct posture_options {
	const char *const *resolvers;	/* "HOST", "HOST:PORT", "[V6]:PORT"; none: resolv.conf */
	size_t nresolvers;
	unsigned dns_timeout_ms;	/* per try; default 2000 */
	unsigned dns_tries;		/* default 2 */
	unsigned evaluation_timeout_ms;	/* whole evaluation; default 10000 */
	unsigned max_queries;		/* MaxQueriesPerEvaluation; default 100 */
	const char *psl_file;		/* NULL: the system's list */
	/* HTTPS fetches (MTA-STS policies, BIMI files; https.h): */
	unsigned https_port;		/* HTTPSPort, for URLs naming no port; default 443 */
	const char *ca_file;		/* CAFile (copied); NULL: the system's CA store */
	bool allow_private;		/* AllowPrivateAddresses: tests only; default no */
	/* BIMITrustAnchors: PEM mark-certificate CAs, loaded at engine creation (a bad
	 * file fails it); NULL: BIMI evidence chains are reported as not checked. */
	const char *bimi_trust_anchors;
	/* DNSSEC yes|no (default no): the DO bit, the AD bit trusted from loopback
	 * resolvers only, the dnssec and dane families. At engine creation the resolver
	 * is asked the root DNSKEY: no AD, and both families read unknown. */
	bool dnssec;
	/* ProbeMX yes|no (default no): the STARTTLS probe of the first MX hosts
	 * (net/smtp_probe.h), under CAFile and AllowPrivateAddresses above. No mail is
	 * sent: EHLO, STARTTLS, the handshake, QUIT. */
	bool probe_mx;
	unsigned smtp_port;		/* the port probed; default 25 (tests change it) */
};

struct posture_engine;
struct cache;

/* Fill opts with the defaults. */
void posture_options_init(struct posture_options *opts);

/* Create an engine; NULL with a one-line reason in err on failure. Caller frees. */
struct posture_engine *posture_engine_new(const struct posture_options *opts,
					  char *err, size_t errlen);
void posture_engine_free(struct posture_engine *eng);
/*
 * Let evaluations read and fill the DNS answer layer of a cache (cache.h); NULL
 * detaches. Set before evaluations start, or after they have ended.
 */
void posture_engine_attach_cache(struct posture_engine *eng, struct cache *cache);

struct dns_answer;

/*
 * TXT records of n names for a caller outside an evaluation (DKIM keys while a message
 * is verified, dkim_verify.h). Each name is served from the attached cache's DNS layer
 * when it holds it; the others are asked of the resolver in one batch, waiting at most
 * timeout_ms, and stored in that cache (cache_dns_put keeps only what is cacheable).
 * out[i] answers names[i] (dns.h; the caller clears each with dns_answer_clear()).
 * Returns 0, or -1 when no batch could be made (out of memory): those read DNS_ERROR.
 */
int posture_lookup_txt(struct posture_engine *eng, const char *const *names, size_t n,
		       unsigned timeout_ms, struct dns_answer *out);

/*
 * Evaluate one domain. Always returns an evaluation (NULL only when out of memory);
 * ev->error is set when the name is invalid or nothing could be looked up (resolver
 * unreachable). Selectors: DKIM selectors to check for this domain (may be none).
 */
struct posture_eval *posture_evaluate(struct posture_engine *eng, const char *domain,
				      const char *const *selectors, size_t nselectors);
void posture_eval_free(struct posture_eval *ev);

/*
 * Validate a domain name and write it as lower-case A-labels without the trailing dot.
 * Returns 0, or -1 with a reason in why (a static string).
 */
int posture_name_normalize(const char *in, char *out, size_t outlen, const char **why);

/* Whether this build checks the family in every evaluation (dnssec, dane: only on request). */
bool posture_family_built(enum posture_family fam);

/* Names and words for reports. */
const char *posture_code_name(enum posture_code code);
enum posture_family posture_code_family(enum posture_code code);	/* may be PF_ANY */
/* Whether a finding of code may be in fam: its family, any real one for PF_ANY codes. */
bool posture_code_family_ok(enum posture_code code, enum posture_family fam);
enum posture_severity posture_code_severity(enum posture_code code);
const char *posture_family_name(enum posture_family fam);	/* "mx", "mta-sts", ..., "any" */
const char *posture_result_word(enum posture_result res);	/* "ok", "weak", ... */
const char *posture_severity_word(enum posture_severity sev);	/* "info", "warn", "error" */
/* "A".."F", or "temperror" when not evaluated or SPF or DMARC could not be read. */
const char *posture_grade_word(const struct posture_eval *ev);

/*
 * The X-Domain-Posture value for one domain, folded with "\n\t" under 78 columns.
 * ev NULL or ev->error set: every family reads temperror (domain names the domain,
 * already normalized). NULL on OOM or an authserv-id that is not a plain token.
 */
char *posture_header_value(const struct posture_eval *ev, const char *authserv_id,
			   const char *domain);

/* Reports; the caller frees the returned string. NULL when out of memory. */
char *posture_report_text(const struct posture_eval *ev);
char *posture_report_json(const struct posture_eval *const *evs, size_t n);

#endif
