/*
 * eval.h - the evaluation driver and the interface every check is written against.
 *
 * A check is a function that reads DNS answers and raises findings. It asks for
 * answers with eval_dns(): an answer already known comes back at once; an unknown one
 * comes back NULL and is queued. A check that got a NULL returns CHECK_PENDING after
 * queueing everything else it can already name (so independent lookups share a
 * round); the driver sends the queued queries of all checks together, waits, and runs
 * every pending check again from the top. A check is therefore a pure function of the
 * answers: findings of a pending run are discarded, only the run that returns
 * CHECK_DONE counts. The number of rounds is the longest chain of dependent lookups.
 *
 * Unit tests build a context without a resolver, add answers with eval_add_answer()
 * and run one check with eval_run_check(): the check sees exactly those answers.
 *
 * A context belongs to one thread.
 */
#ifndef POSTURE_EVAL_H
#define POSTURE_EVAL_H

#include <libpsl.h>

#include "dns/dns.h"
#include "net/https.h"
#include "net/smtp_probe.h"
#include "posture.h"

enum check_status { CHECK_DONE, CHECK_PENDING };

struct eval_ctx;
typedef enum check_status (*check_fn)(struct eval_ctx *ctx);

struct eval_limits {
	unsigned max_queries;		/* beyond it eval_dns() answers DNS_BUDGET */
	unsigned timeout_ms;		/* whole evaluation; then DNS_TIMEOUT */
};

/*
 * A context for one domain (already normalized). res may be NULL (unit tests: only
 * added answers exist); psl may be NULL (no PSL cross-check). NULL on OOM.
 */
struct eval_ctx *eval_ctx_new(const char *domain, struct dns_resolver *res,
			      const psl_ctx_t *psl, const struct eval_limits *lim);
void eval_ctx_free(struct eval_ctx *ctx);

/* Read answers from, and store them into, the DNS layer of a cache (may be NULL). */
void eval_set_cache(struct eval_ctx *ctx, struct cache *cache);

/* Seed the answer table with a copy of a (tests; later the DNS cache). 0 or -1. */
int eval_add_answer(struct eval_ctx *ctx, const struct dns_answer *a);
/* DKIM selectors to check for this domain (copied). 0 or -1. */
int eval_add_selector(struct eval_ctx *ctx, const char *selector);

/* Run one check once for family fam; its findings are kept only when it is done. */
enum check_status eval_run_check(struct eval_ctx *ctx, enum posture_family fam, check_fn fn);

/*
 * What eval_run_all() runs: checks in report order, each at most once per family, then
 * follow-ups (cross-family rules, eval_run_followup()) once every check is done. The
 * table of this build's checks is check/checks.c's: the driver knows no check by name.
 */
struct eval_check {
	enum posture_family family;
	check_fn fn;
};
#define EVAL_PLAN_MAX PF_COUNT		/* one check per family */
struct eval_plan {
	const struct eval_check *checks;	/* at most EVAL_PLAN_MAX are run */
	size_t nchecks;
	const struct eval_check *followups;
	size_t nfollowups;
};

/* Run a plan's checks in rounds to completion and hand over the evaluation. */
struct posture_eval *eval_run_all(struct eval_ctx *ctx, const struct eval_plan *plan);

/*
 * The grade (ARCHITECTURE.md, Findings): F = an error in SPF or DMARC, or both none;
 * D = any other error; C = a warn in MX/SPF/DKIM/DMARC; B = a warn elsewhere; A.
 * Families whose result is unknown or temperror are left out.
 */
char eval_grade(const struct posture_eval *ev);

/*
 * Run a step function (same protocol as a check) in rounds until it is done: for
 * work outside the families, such as verifying one message. Returns CHECK_DONE, or
 * CHECK_PENDING when it could not finish (no resolver, deadline, round limit): the
 * answers it waited for then read DNS_TIMEOUT on the last run.
 */
typedef enum check_status (*eval_step_fn)(struct eval_ctx *ctx, void *arg);
enum check_status eval_run_steps(struct eval_ctx *ctx, eval_step_fn fn, void *arg);

/* ---- for checks ---- */

/* The domain under evaluation (lower-case A-labels). */
const char *eval_domain(const struct eval_ctx *ctx);
/* The public suffix list, or NULL. */
const psl_ctx_t *eval_psl(const struct eval_ctx *ctx);
/* Selectors to check. */
const char *const *eval_selectors(const struct eval_ctx *ctx, size_t *n);

/* The answer for (name, type), or NULL when it is queued for the next round. */
const struct dns_answer *eval_dns(struct eval_ctx *ctx, const char *name, uint16_t type);

/*
 * Fetched documents (HTTPS, eval_fetch.c): asked for like DNS answers. eval_fetch()
 * returns the document, or NULL when it is queued: the driver fetches the queued
 * documents of a round in parallel (https.h limits), stores each in the cache's
 * document layer (body hash, id, lifetime from req->lifetime) and runs the check
 * again. A fresh cached document fetched under the same id is served without a
 * fetch. At most EVAL_MAX_FETCHES per evaluation: beyond, or past the deadline, the
 * document reads HTTPS_ERR_BUDGET / HTTPS_ERR_TIMEOUT at once.
 */
#define EVAL_DOC_ID_MAX 32		/* == CACHE_DOC_ID_MAX: MTA-STS id */

struct eval_doc {
	struct https_result res;	/* the response or the fetch error */
	bool cached;			/* served from the document cache, not fetched now */
	bool has_prev;			/* the cache held an earlier document of this URL */
	uint8_t prev_hash[HTTPS_HASH_LEN]; /* its body hash; zeros: it was not a 200 */
	char prev_id[EVAL_DOC_ID_MAX + 1]; /* the id it was fetched under */
};

struct eval_fetch_req {
	const char *url;		/* https://host/path */
	const char *host;		/* the URL's host */
	const struct dns_answer *a, *aaaa; /* the host's answers (eval_dns); may be NULL */
	size_t max_bytes;		/* body limit */
	const char *id;			/* version fetched under (MTA-STS id), or NULL */
	/* Seconds the document stays in the cache (clamped there); NULL: 3600, 300 if
	 * the status is not 200. */
	uint32_t (*lifetime)(const struct https_result *r);
};

/* Fetch settings for this context (borrowed; NULL: port 443, system CAs, public only). */
void eval_set_https(struct eval_ctx *ctx, const struct https_options *opts);
/* The document for req->url, or NULL when it is queued for the next round. */
const struct eval_doc *eval_fetch(struct eval_ctx *ctx, const struct eval_fetch_req *req);
/* Seed a document as if fetched under id (tests); stored in the cache if any. 0 or -1. */
int eval_add_fetch(struct eval_ctx *ctx, const char *url, const struct https_result *r,
		   const char *id, uint32_t ttl_s);

/*
 * STARTTLS probes of MX hosts (eval_fetch.c, net/smtp_probe.h): asked for like
 * fetched documents, and only when probing is on (ProbeMX, --probe-mx). eval_probe()
 * returns the host's result, or NULL when it is queued: the driver probes the queued
 * hosts of a round in parallel, after the DNS batch and the fetches, and keeps each
 * result in the cache's document layer per host (many domains share MX hosts),
 * under a digest of the TLSA records it was matched against. At most
 * EVAL_MAX_PROBES per evaluation: beyond, or past the deadline, the result reads
 * SMTP_PROBE_ERR_BUDGET / SMTP_PROBE_ERR_TIMEOUT at once. The first request for a
 * host decides its addresses and TLSA records.
 */
#define EVAL_MAX_PROBES	4		/* MX hosts probed per evaluation */

struct eval_probe_req {
	const char *host;		/* the MX name */
	const struct dns_answer *a, *aaaa; /* its answers (eval_dns); may be NULL */
	const struct dns_answer *tlsa;	/* its TLSA answer, used only when secure; or NULL */
};

/* Probe settings (borrowed); NULL, the default: no probing. */
void eval_set_probe(struct eval_ctx *ctx, const struct smtp_probe_options *opts);
/* Whether MX hosts are probed in this evaluation. */
bool eval_probing(const struct eval_ctx *ctx);
/* The probe result of req->host, or NULL when it is queued (or probing is off). */
const struct smtp_probe_result *eval_probe(struct eval_ctx *ctx,
					   const struct eval_probe_req *req);
/* Seed a probe result for host as if probed (tests); cached if a cache is set. 0 or -1. */
int eval_add_probe(struct eval_ctx *ctx, const char *host, const struct smtp_probe_result *r);

/*
 * BIMI mark-certificate trust anchors (bimi_evidence.h; BIMITrustAnchors), borrowed:
 * they must outlive the context. NULL (the default): none configured, so BIMI evidence
 * chains are reported as not checked.
 */
struct bimi_anchors;
void eval_set_bimi_anchors(struct eval_ctx *ctx, const struct bimi_anchors *anchors);
const struct bimi_anchors *eval_bimi_anchors(const struct eval_ctx *ctx);

/*
 * What DNSSEC status the answers carry (dns.h): off (DNSSEC no: the dnssec and dane
 * families are not checked), not trusted (a resolver off loopback), not validating
 * (the root DNSKEY came back without AD at engine creation), or validating.
 */
enum eval_dnssec { EVAL_DNSSEC_OFF, EVAL_DNSSEC_UNTRUSTED, EVAL_DNSSEC_NOT_VALIDATING,
	EVAL_DNSSEC_VALIDATING };
void eval_set_dnssec(struct eval_ctx *ctx, enum eval_dnssec state);
enum eval_dnssec eval_dnssec(const struct eval_ctx *ctx);

/* Raise a finding for the running check's family, at the code's default severity. */
void eval_finding(struct eval_ctx *ctx, enum posture_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same at a severity the context decides. */
void eval_finding_sev(struct eval_ctx *ctx, enum posture_code code,
		      enum posture_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Set the family result where it is not derived from the findings: PR_NONE (nothing
 * published), PR_UNKNOWN (nothing to check), PR_TEMPERROR (lookup failed). Otherwise
 * the result is broken/weak/ok from the worst severity raised. PR_NOT_CHECKED leaves
 * the family out of every report (the check could not apply at all).
 */
void eval_set_result(struct eval_ctx *ctx, enum posture_result res);
/* A short fact for the header comment ("2 hosts", "p=reject"). */
void eval_set_fact(struct eval_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Note a record the running check read, for change tracking (posture_record): name as
 * there ("spf", "dkim:<selector>", ...), value in canonical form (RRsets sorted,
 * strings joined; "" when the domain publishes none). Kept, like findings, only from
 * the run that is done; a later note of the same name replaces the earlier. Values
 * are cut at POSTURE_RECORD_VALUE_MAX and their unprintable bytes shown as '?'. A
 * check notes nothing for a lookup that failed: a temperror is not a change.
 */
void eval_note_record(struct eval_ctx *ctx, const char *name, const char *value);
/* Records noted so far (tests). */
const struct posture_record *eval_records(const struct eval_ctx *ctx, size_t *n);
/*
 * Whether what the family publishes can authenticate mail at all (SPF: a record that
 * evaluates without permerror; DKIM: at least one key a verifier accepts). Not set:
 * unknown (nothing judged, lookups failed). Read by the cross-family follow-up.
 */
void eval_set_usable(struct eval_ctx *ctx, bool usable);
/* 1 usable, 0 not, -1 unknown (see eval_set_usable). */
int eval_family_usable(const struct eval_ctx *ctx, enum posture_family fam);
/*
 * Whether what the family publishes tells senders to refuse delivery they cannot
 * secure (MTA-STS: a valid policy in mode enforce). Not set: no. Read by follow-ups
 * (MX_CERT_INVALID is an error under enforce).
 */
void eval_set_enforced(struct eval_ctx *ctx);
bool eval_family_enforced(const struct eval_ctx *ctx, enum posture_family fam);
/*
 * Run a follow-up check of family fam after every check is done (a rule that needs
 * several families' results). Its findings are kept, and the family's result gets no
 * better than their worst severity makes it (none, unknown, temperror stay).
 */
void eval_run_followup(struct eval_ctx *ctx, enum posture_family fam, check_fn fn);

/*
 * The i-th question queued for the next round (tests that play the DNS server:
 * answer each, then run again). false when there is no such question.
 */
bool eval_queued(const struct eval_ctx *ctx, size_t i, const char **name, uint16_t *type);
/* The fact a done family set ("" when none or not done). */
const char *eval_family_fact(const struct eval_ctx *ctx, enum posture_family fam);

/* Findings kept so far (tests). */
const struct posture_finding *eval_findings(const struct eval_ctx *ctx, size_t *n);
/* Whether a finding with code was kept (tests). */
bool eval_has_finding(const struct eval_ctx *ctx, enum posture_code code);
/* The result of a family once its check is done; PR_NOT_CHECKED before. */
enum posture_result eval_family_result(const struct eval_ctx *ctx, enum posture_family fam);

/*
 * Records in canonical form (eval_note_record) from a TXT answer. keep() says which
 * TXT records count (the family's own, e.g. those beginning with v=spf1); NULL: all.
 * eval_txt_canonical(): each record kept, its strings joined without separator (RFC
 * 7208 3.3), a NUL byte written "\x00"; the records sorted bytewise and joined with
 * " | "; "" for NXDOMAIN, NODATA or no record kept. NULL when the lookup failed
 * (neither DNS_OK, NODATA nor NXDOMAIN) or out of memory; the caller frees it.
 * eval_note_txt() notes that value under name, with suffix (may be NULL) appended to
 * a value that is not ""; nothing when the lookup failed: a temperror is not a change.
 */
typedef bool (*eval_txt_keep_fn)(const char *text, size_t len);
char *eval_txt_canonical(const struct dns_answer *a, eval_txt_keep_fn keep);
void eval_note_txt(struct eval_ctx *ctx, const char *name, const struct dns_answer *a,
		   eval_txt_keep_fn keep, const char *suffix);

#endif
