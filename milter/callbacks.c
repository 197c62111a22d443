/*
 * callbacks.c - libmilter callbacks: which domains a message has, when their
 * evaluation starts, and the headers and log lines at end of message.
 *
 * Contexts (ARCHITECTURE.md, Life of a message; OpenDKIM's split): a connection context, created at
 * negotiate or connect, holding a runtime reference until close; a message context,
 * reset at MAIL FROM and freed at abort, at the next MAIL FROM and at close (close
 * may come without connect). Both live only behind smfi_setpriv(): libmilter's
 * worker pool may run one connection's callbacks on different threads.
 *
 * Timing: the envelope domain's evaluation is requested at the first RCPT the MTA
 * accepted (rejected transactions cost nothing), the author domain's at the From
 * header; both run on the evaluation pool and are collected at end of message, so
 * DNS time overlaps the DATA transfer. Nothing waits past EvaluationTimeout: what
 * is not ready then is temperror, and the message goes on.
 *
 * Forged copies of our fields are removed at end of message, one delete request
 * each. Postfix's cleanup pays for each with a reverse jump record (quadratic in
 * their number; it panics past ~10000), so a message with more of them than
 * MaxForgedHeaders, both names counted together, is rejected with 550 5.7.1 instead:
 * never a 4xx, which would invite the same message again, and never delivered with
 * forgeries left. Indexes are kept only up to that cap.
 */
#include <limits.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record/authres_id.h"
#include "callbacks.h"
#include "dns/dns.h"
#include "log.h"
#include "metrics_milter.h"
#include "record/mail_addr.h"
#include "runtime.h"
#include "util/strbuf.h"
#include "verify/arc_verify.h"
#include "verify/selectors.h"
#include "verify/verify.h"

#define HEADER_NAME "X-Domain-Posture"
#define AUTHRES_NAME "Authentication-Results"
#define VERIFY_MIN_MS 100	/* verification always gets this much (cached answers) */
#define MAX_AUTHOR_DOMAINS 3

struct domain_req {
	char domain[256];
	struct eval_ticket *ticket;	/* owned; NULL when not requested */
	struct eval_ticket *recheck;	/* owned; evaluation again for a verified selector */
	uint64_t started_ms;
};

/* Copies of one of our header fields to remove at end of message. */
struct strip_list {
	unsigned seen;			/* fields of that name seen */
	unsigned forged;		/* of those, fields to remove (kept or not) */
	bool all;			/* remove 1..seen (StripHeaders all) */
	unsigned *idx;			/* owned: 1-based indexes to remove */
	size_t n, cap;
	bool oom;			/* an index could not be kept: OnError applies */
};

struct msg_ctx {
	bool skip;			/* authenticated client: not evaluated */
	bool null_sender;
	struct domain_req envelope;	/* MAIL FROM domain; domain "" when none */
	bool rcpt_seen;
	struct domain_req author[MAX_AUTHOR_DOMAINS];
	size_t nauthor;
	unsigned from_headers;		/* From fields seen */
	size_t from_malformed, from_extra;
	struct strip_list posture;	/* forged X-Domain-Posture */
	struct strip_list authres;	/* Authentication-Results with our authserv-id */
	char mail_from[600];		/* the MAIL FROM path as given (SPF) */
	struct dkim_verify *dkim;	/* owned; NULL when not verifying */
	struct arc_verify *arc;		/* owned; made with dkim, on its library */
	bool dkim_eoh;			/* dkim_verify_eoh() called */
	uint64_t start_ms;
};

struct conn_ctx {
	struct runtime *rt;		/* reference held until close */
	unsigned long protocol;		/* SMFIP_* granted by the MTA */
	bool skip;			/* InternalHosts client */
	uint8_t ip[16];			/* client address (SPF) */
	size_t iplen;			/* 4, 16, or 0 when not IP */
	char helo[256];			/* HELO/EHLO argument, sanitized */
	struct msg_ctx *msg;		/* owned */
};

static atomic_uint active_connections;

/* Connections open now. */
unsigned
callbacks_active_connections(void)
{
	return atomic_load(&active_connections);
}

/* The connection context, created on first use. */
static struct conn_ctx *
conn_get(SMFICTX *ctx)
{
	struct conn_ctx *cc = smfi_getpriv(ctx);

	if (cc != NULL)
		return cc;
	cc = calloc(1, sizeof(*cc));
	if (cc == NULL)
		return NULL;
	cc->rt = runtime_current();
	if (cc->rt == NULL) {
		free(cc);
		return NULL;
	}
	if (smfi_setpriv(ctx, cc) != MI_SUCCESS) {
		runtime_put(cc->rt);
		free(cc);
		return NULL;
	}
	atomic_fetch_add(&active_connections, 1);
	return cc;
}

/* Release a domain request. */
static void
req_clear(struct domain_req *r)
{
	if (r->ticket != NULL)
		evalpool_release(r->ticket);
	if (r->recheck != NULL)
		evalpool_release(r->recheck);
	r->ticket = r->recheck = NULL;
	r->domain[0] = '\0';
}

/* Free a message context. */
static void
msg_free(struct msg_ctx *m)
{
	size_t i;

	if (m == NULL)
		return;
	req_clear(&m->envelope);
	for (i = 0; i < m->nauthor; i++)
		req_clear(&m->author[i]);
	free(m->posture.idx);
	free(m->authres.idx);
	dkim_verify_free(m->dkim);
	arc_verify_free(m->arc);
	free(m);
}

/* The reply for a stage whose no-reply flag may have been granted. */
static sfsistat
no_reply(const struct conn_ctx *cc, unsigned long nr_flag)
{
	return (cc != NULL && (cc->protocol & nr_flag)) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* What to do when something inside the milter failed (OnError). */
static sfsistat
on_error(const struct conn_ctx *cc)
{
	if (cc != NULL && cc->rt->cfg.on_error == PM_ON_ERROR_TEMPFAIL)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

/* Ask only for the stages we use, and for no replies where the MTA allows it. */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
	     unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
	     unsigned long *pf3)
{
	unsigned long want = SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA |
	    SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_HDR_LEADSPC;
	struct conn_ctx *cc = conn_get(ctx);

	(void)f2;
	(void)f3;
	if (cc == NULL)
		return SMFIS_ALL_OPTS;
	/* HELO and the body only when we verify messages (SPF for <>, DKIM). */
	if (cc->rt->dkim != NULL)
		want |= SMFIP_NR_HELO | SMFIP_NR_BODY;
	else
		want |= SMFIP_NOHELO | SMFIP_NOBODY;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS);
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	cc->protocol = *pf1;
	return SMFIS_CONTINUE;
}

/* A client: is it one of ours (InternalHosts)? */
static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
	struct conn_ctx *cc = conn_get(ctx);

	(void)hostname;
	if (cc == NULL)
		return SMFIS_CONTINUE;
	cc->skip = cidr_match_sockaddr(cc->rt->internal, cc->rt->ninternal,
	    (const struct sockaddr *)addr);
	cc->iplen = 0;
	if (addr != NULL && addr->sa_family == AF_INET) {
		memcpy(cc->ip, &((struct sockaddr_in *)(void *)addr)->sin_addr, 4);
		cc->iplen = 4;
	} else if (addr != NULL && addr->sa_family == AF_INET6) {
		memcpy(cc->ip, &((struct sockaddr_in6 *)(void *)addr)->sin6_addr, 16);
		cc->iplen = 16;
	}
	return no_reply(cc, SMFIP_NR_CONN);
}

/* HELO/EHLO: kept for SPF of the null reverse-path (RFC 7208 2.3). */
static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct conn_ctx *cc = conn_get(ctx);

	if (cc == NULL)
		return SMFIS_CONTINUE;
	snprintf(cc->helo, sizeof(cc->helo), "%s", helo ? helo : "");
	return no_reply(cc, SMFIP_NR_HELO);
}

/* MAIL FROM: a new message; its envelope domain, and whether it is authenticated. */
static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *cc = conn_get(ctx);
	const char *auth;
	struct msg_ctx *m;

	if (cc == NULL)
		return SMFIS_CONTINUE;
	msg_free(cc->msg);
	cc->msg = m = calloc(1, sizeof(*m));
	if (m == NULL)
		return on_error(cc);
	m->start_ms = dns_now_ms();
	auth = smfi_getsymval(ctx, "{auth_authen}");
	m->skip = cc->skip || (cc->rt->cfg.skip_authenticated && auth != NULL && *auth);
	if (argv != NULL && argv[0] != NULL) {
		snprintf(m->mail_from, sizeof(m->mail_from), "%s", argv[0]);
		if (mail_addr_envelope_domain(argv[0], m->envelope.domain,
		    sizeof(m->envelope.domain)) < 0) {
			m->envelope.domain[0] = '\0';
			m->null_sender = strcmp(argv[0], "<>") == 0;
		}
	}
	if (!m->skip && cc->rt->dkim != NULL) {
		const char *qid = smfi_getsymval(ctx, "i");

		m->dkim = dkim_verify_new(cc->rt->dkim, qid ? qid : "NOQUEUE");
		m->arc = arc_verify_new(cc->rt->dkim);
	}
	return no_reply(cc, SMFIP_NR_MAIL);
}

/* Start the evaluation of a request's domain. */
static void
req_start(struct conn_ctx *cc, struct domain_req *r)
{
	const char *sel[PM_MAX_LIST];
	size_t nsel;

	if (r->ticket != NULL || r->domain[0] == '\0')
		return;
	nsel = selectors_configured((const char *const *)cc->rt->cfg.selectors,
	    cc->rt->cfg.nselectors, r->domain, sel, 0, PM_MAX_LIST);
	r->started_ms = dns_now_ms();
	r->ticket = evalpool_request(cc->rt->pool, r->domain, sel, nsel);
}

/* An accepted RCPT: the first one starts the envelope domain's evaluation. */
static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *cc = conn_get(ctx);

	(void)argv;
	if (cc == NULL || cc->msg == NULL)
		return SMFIS_CONTINUE;
	if (!cc->msg->skip && !cc->msg->rcpt_seen)
		req_start(cc, &cc->msg->envelope);
	cc->msg->rcpt_seen = true;
	return no_reply(cc, SMFIP_NR_RCPT);
}

/* Fields of both lists to remove: more than MaxForgedHeaders rejects the message. */
static unsigned
strip_forged(const struct msg_ctx *m)
{
	return m->posture.forged + m->authres.forged;	/* each at most UINT_MAX / 2 */
}

/* Count one field of a list's name; remember it for removal when remove is set. */
static void
strip_note(struct msg_ctx *m, struct strip_list *l, bool remove, unsigned max_forged)
{
	unsigned *grown;
	size_t cap;

	if (l->seen < UINT_MAX)
		l->seen++;
	if (!remove && !l->all)
		return;
	if (l->forged < UINT_MAX / 2)
		l->forged++;
	if (strip_forged(m) > max_forged) {
		/* Rejected at end of message: no index is needed, none is kept. */
		free(m->posture.idx);
		free(m->authres.idx);
		m->posture.idx = m->authres.idx = NULL;
		m->posture.n = m->posture.cap = m->authres.n = m->authres.cap = 0;
		return;
	}
	if (l->all)
		return;
	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		grown = realloc(l->idx, cap * sizeof(*grown));
		if (grown == NULL) {
			l->oom = true;
			return;
		}
		l->idx = grown;
		l->cap = cap;
	}
	l->idx[l->n++] = l->seen;
}

/* Remove a list's fields from the highest index down (ARCHITECTURE.md, Life of a message); false on failure. */
static bool
strip_apply(SMFICTX *ctx, const char *name, struct strip_list *l, const char *qid)
{
	bool ok = true;
	size_t i;

	if (l->all) {
		for (i = l->seen; i > 0; i--)
			if (smfi_chgheader(ctx, (char *)name, (int)i, NULL) != MI_SUCCESS)
				ok = false;
		l->n = l->seen;
	} else {
		for (i = l->n; i > 0; i--)
			if (smfi_chgheader(ctx, (char *)name, (int)l->idx[i - 1], NULL) !=
			    MI_SUCCESS)
				ok = false;
	}
	if (l->oom) {
		pm_log(LOG_ERR, "%s: out of memory keeping forged %s indexes", qid, name);
		ok = false;
	}
	return ok;
}

/* Take the author domains of a From field and start their evaluations. */
static void
from_header(struct conn_ctx *cc, struct msg_ctx *m, const char *value)
{
	struct mail_addr_list list;
	size_t i, j;

	m->from_headers++;
	mail_addr_from_header(value, strlen(value), &list);
	m->from_malformed += list.nmalformed;
	for (i = 0; i < list.ndomains; i++) {
		for (j = 0; j < m->nauthor; j++)
			if (strcmp(m->author[j].domain, list.domains[i]) == 0)
				break;
		if (j < m->nauthor)
			continue;
		if (m->nauthor == MAX_AUTHOR_DOMAINS) {
			m->from_extra++;
			continue;
		}
		snprintf(m->author[m->nauthor].domain, sizeof(m->author[0].domain), "%s",
		    list.domains[i]);
		if (m->envelope.ticket != NULL &&
		    strcmp(m->envelope.domain, list.domains[i]) == 0) {
			/* Already under way for MAIL FROM: the one evaluation serves both. */
			m->author[m->nauthor].ticket = m->envelope.ticket;
			m->author[m->nauthor].started_ms = m->envelope.started_ms;
			m->envelope.ticket = NULL;
		}
		req_start(cc, &m->author[m->nauthor++]);
	}
	m->from_extra += list.ndropped;
}

/* A header: From starts the author evaluation; X-Domain-Posture may be forged. */
static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn_ctx *cc = conn_get(ctx);
	struct msg_ctx *m;

	if (cc == NULL || (m = cc->msg) == NULL || name == NULL || value == NULL)
		return no_reply(cc, SMFIP_NR_HDR);
	if (m->dkim != NULL)
		(void)dkim_verify_header(m->dkim, name, value);
	if (m->arc != NULL)
		(void)arc_verify_header_n(m->arc, name, strlen(name), value, strlen(value));
	if (strcasecmp(name, HEADER_NAME) == 0) {
		if (cc->rt->cfg.strip_headers == PM_STRIP_ALL)
			m->posture.all = true;
		strip_note(m, &m->posture, authres_id_is(value, cc->rt->authserv_id),
		    cc->rt->cfg.max_forged_headers);
	} else if (strcasecmp(name, AUTHRES_NAME) == 0) {
		/* RFC 8601 5: copies claiming our authserv-id are forged. */
		if (cc->rt->cfg.auth_results)
			strip_note(m, &m->authres, authres_id_is(value, cc->rt->authserv_id),
			    cc->rt->cfg.max_forged_headers);
	} else if (strcasecmp(name, "From") == 0 && !m->skip) {
		from_header(cc, m, value);
	}
	return no_reply(cc, SMFIP_NR_HDR);
}

/* A body chunk: to DKIM, after ending its header block on the first one. */
static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn_ctx *cc = conn_get(ctx);
	struct msg_ctx *m;

	if (cc == NULL || (m = cc->msg) == NULL || m->dkim == NULL)
		return no_reply(cc, SMFIP_NR_BODY);
	if (!m->dkim_eoh) {
		(void)dkim_verify_eoh(m->dkim);
		m->dkim_eoh = true;
	}
	(void)dkim_verify_body(m->dkim, chunk, len);
	if (m->arc != NULL)
		(void)arc_verify_body(m->arc, chunk, len);	/* its eoh at the first chunk */
	return no_reply(cc, SMFIP_NR_BODY);
}

/* selectors_learn()'s callback: the pool remembers the selector for the domain. */
static void
learn_selector(void *arg, const char *domain, const char *selector)
{
	evalpool_learn_selector(arg, domain, selector);
}

/* End DKIM verification: the results (NULL when the message is not verified). */
static const struct dkim_verify_results *
dkim_finish(struct msg_ctx *m)
{
	if (m->dkim == NULL)
		return NULL;
	if (!m->dkim_eoh) {
		(void)dkim_verify_eoh(m->dkim);
		m->dkim_eoh = true;
	}
	return dkim_verify_eom(m->dkim);
}

/* The summary's ARC part, for messages with ARC fields: " (arc override by X) arc=W". */
static void
arc_summary(struct pt_sb *summary, const struct arc_verify_results *ar,
	    const struct verify_out *out)
{
	if (out->arc_override[0])
		pt_sb_printf(summary, " (arc override by %s)", out->arc_override);
	if (ar != NULL && ar->fields > 0)
		pt_sb_printf(summary, " arc=%s", arc_verify_word(ar->result));
}

/* Verify the message (SPF, DMARC over DKIM's dr) and add Authentication-Results on top. */
static bool
verify_message(SMFICTX *ctx, struct conn_ctx *cc, struct msg_ctx *m,
	       const struct dkim_verify_results *dr, struct pt_sb *summary)
{
	struct verify_out out;
	struct verify_in in;
	char *value, *spaced;
	uint64_t deadline, now;
	unsigned timeout;
	bool ok;

	memset(&in, 0, sizeof(in));
	memcpy(in.ip, cc->ip, sizeof(in.ip));
	in.iplen = cc->iplen;
	in.helo = cc->helo[0] ? cc->helo : NULL;
	in.mail_from = m->mail_from;
	in.nfrom_domains = (unsigned)(m->nauthor + m->from_extra);
	in.from_domain = m->nauthor == 1 ? m->author[0].domain : NULL;
	in.dkim = dr;
	in.arc = m->arc != NULL ? arc_verify_eom(m->arc) : NULL;
	in.trusted_sealers = (const char *const *)cc->rt->cfg.trusted_sealers;
	in.ntrusted_sealers = cc->rt->cfg.ntrusted_sealers;
	/*
	 * One deadline for the whole message: what the posture waits already spent is
	 * not granted again (a dead resolver must not cost EvaluationTimeout twice).
	 */
	deadline = m->start_ms + cc->rt->cfg.evaluation_timeout_ms;
	now = dns_now_ms();
	timeout = deadline > now + VERIFY_MIN_MS ? (unsigned)(deadline - now) : VERIFY_MIN_MS;
	if (posture_verify(cc->rt->engine, &in, &out, timeout) < 0)
		return false;
	selectors_learn(dr, learn_selector, cc->rt->pool);
	value = posture_authres_value(&in, &out, cc->rt->authserv_id);
	if (value == NULL)
		return false;
	if (cc->protocol & SMFIP_HDR_LEADSPC) {
		spaced = pt_strdup_printf(" %s", value);
		free(value);
		if ((value = spaced) == NULL)
			return false;
	}
	ok = smfi_insheader(ctx, 0, AUTHRES_NAME, value) == MI_SUCCESS;
	free(value);
	pt_sb_printf(summary, "%sspf=%s dkim=%s dmarc=%s", summary->len ? ", " : "",
	    out.spf_done ? spf_result_name(out.spf.result) : "none",
	    dr ? dkim_verify_word(dr->summary) : "none",
	    out.dmarc_done ? dmarc_verdict_word(out.dmarc.result) : "none");
	arc_summary(summary, in.arc, &out);
	metrics_verdicts(&out, dr);
	return ok;
}

/* The evaluation of a request, waited for until its deadline; NULL when not ready. */
static const struct posture_eval *
req_collect(const struct conn_ctx *cc, struct domain_req *r)
{
	uint64_t deadline;

	if (r->ticket == NULL)
		return NULL;
	deadline = r->started_ms + cc->rt->cfg.evaluation_timeout_ms + 50;
	return evalpool_wait(r->ticket, deadline);
}

/* Log a freshly evaluated domain's findings, one line each. */
static void
log_findings(const char *qid, const struct posture_eval *ev)
{
	size_t i;

	for (i = 0; i < ev->nfindings; i++)
		pm_log(LOG_INFO, "%s: %s: %s %s: %s", qid, ev->domain,
		    posture_code_name(ev->findings[i].code),
		    posture_severity_word(ev->findings[i].severity), ev->findings[i].message);
}

/*
 * When a signature of this message verified for the domain with a selector its
 * snapshot did not check, evaluate again with it (its key was just fetched: the DNS
 * cache has it) and wait until the message's deadline; the result replaces the cached
 * snapshot, so the selector counts from this message on. NULL when there is nothing
 * to recheck or the recheck did not finish in time (the caller keeps ev).
 */
static const struct posture_eval *
recheck(struct conn_ctx *cc, struct msg_ctx *m, struct domain_req *r,
	const struct posture_eval *ev, const struct dkim_verify_results *dr)
{
	const char *verified[POSTURE_MAX_SELECTORS], *sel[POSTURE_MAX_SELECTORS];
	const struct posture_eval *again;
	size_t nv, n = 0, i, j;
	bool missing = false;

	if (ev == NULL || ev->error != NULL || dr == NULL)
		return NULL;
	nv = selectors_verified(dr, r->domain, verified, 0, POSTURE_MAX_SELECTORS);
	for (i = 0; i < nv && !missing; i++) {
		for (j = 0; j < ev->nselectors; j++)
			if (strcasecmp(verified[i], ev->selectors[j]) == 0)
				break;
		missing = j == ev->nselectors;
	}
	if (!missing)
		return NULL;
	for (i = 0; i < ev->nselectors; i++)
		n = selectors_add(sel, n, POSTURE_MAX_SELECTORS, ev->selectors[i]);
	for (i = 0; i < nv; i++)
		n = selectors_add(sel, n, POSTURE_MAX_SELECTORS, verified[i]);
	r->recheck = evalpool_recheck(cc->rt->pool, r->domain, sel, n);
	if (r->recheck == NULL)
		return NULL;
	again = evalpool_wait(r->recheck, m->start_ms + cc->rt->cfg.evaluation_timeout_ms);
	return again != NULL && again->error == NULL ? again : NULL;
}

/* Add one domain's header at the top and its part of the summary line. */
static bool
emit_domain(SMFICTX *ctx, struct conn_ctx *cc, struct msg_ctx *m, struct domain_req *r,
	    const char *role, const char *qid, const struct dkim_verify_results *dr,
	    struct pt_sb *summary)
{
	const struct posture_eval *ev = req_collect(cc, r), *again;
	const char *source;
	char *value;
	bool ok;

	source = ev == NULL ? "late" : evalpool_cached(r->ticket) ? "cache" : "evaluated";
	if ((again = recheck(cc, m, r, ev, dr)) != NULL) {
		ev = again;
		source = "rechecked";
	}
	if (ev != NULL && (again != NULL || evalpool_fresh(r->ticket)))
		log_findings(qid, ev);
	if (ev != NULL && ev->error != NULL)
		pm_log(LOG_WARNING, "%s: %s: not evaluated: %s", qid, r->domain, ev->error);
	value = posture_header_value(ev, cc->rt->authserv_id, r->domain);
	if (value == NULL)
		return false;
	/* With SMFIP_HDR_LEADSPC the MTA adds no space after the colon: we do. */
	if (cc->protocol & SMFIP_HDR_LEADSPC) {
		char *spaced = pt_strdup_printf(" %s", value);

		free(value);
		if ((value = spaced) == NULL)
			return false;
	}
	ok = smfi_insheader(ctx, 0, HEADER_NAME, value) == MI_SUCCESS;
	free(value);
	pt_sb_printf(summary, "%s%s=%s grade=", summary->len ? ", " : "", role, r->domain);
	pt_sb_append(summary, posture_grade_word(ev));
	pt_sb_printf(summary, " (%s)", source);
	return ok;
}

/* End of message: remove forged headers, add ours, log. */
static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn_ctx *cc = conn_get(ctx);
	struct msg_ctx *m;
	struct domain_req *order[MAX_AUTHOR_DOMAINS + 1];
	const char *qid;
	const struct dkim_verify_results *dr;
	struct pt_sb summary;
	size_t i, n = 0;
	bool ok = true;
	char *line;

	if (cc == NULL || (m = cc->msg) == NULL)
		return SMFIS_CONTINUE;
	qid = smfi_getsymval(ctx, "i");
	if (qid == NULL || *qid == '\0')
		qid = "NOQUEUE";
	metrics_eom_begin();
	if (strip_forged(m) > cc->rt->cfg.max_forged_headers) {
		pm_log(LOG_WARNING, "%s: rejected: %u forged %s and %s fields (%u and %u), "
		    "over MaxForgedHeaders %u", qid, strip_forged(m), HEADER_NAME, AUTHRES_NAME,
		    m->posture.forged, m->authres.forged, cc->rt->cfg.max_forged_headers);
		/* Without the reply text the MTA still rejects, with its own 5xx text. */
		(void)smfi_setreply(ctx, "550", "5.7.1", "Too many forged " HEADER_NAME
		    " or " AUTHRES_NAME " header fields");
		msg_free(m);
		cc->msg = NULL;
		return metrics_message_done(false, true, SMFIS_REJECT);
	}
	/* Forged copies go first, from the highest index down (ARCHITECTURE.md, Life of a message). */
	if (!strip_apply(ctx, HEADER_NAME, &m->posture, qid) ||
	    !strip_apply(ctx, AUTHRES_NAME, &m->authres, qid))
		ok = false;
	metrics_forged_removed(m->posture.n + m->authres.n);
	if (m->skip)
		return metrics_message_done(true, ok, ok ? SMFIS_CONTINUE : on_error(cc));

	/* The header From domains first, then MAIL FROM when it differs. */
	for (i = 0; i < m->nauthor; i++)
		order[n++] = &m->author[i];
	if (m->envelope.domain[0]) {
		for (i = 0; i < m->nauthor; i++)
			if (strcmp(m->author[i].domain, m->envelope.domain) == 0)
				break;
		if (i == m->nauthor) {
			req_start(cc, &m->envelope);	/* no RCPT callback seen: start now */
			order[n++] = &m->envelope;
		}
	}
	pt_sb_init(&summary);
	/* DKIM first: a selector that verifies here counts in this message's header. */
	dr = dkim_finish(m);
	/* Inserted at index 0 each: the last inserted ends on top, so go backwards. */
	for (i = n; i > 0; i--)
		if (!emit_domain(ctx, cc, m, order[i - 1], order[i - 1] == &m->envelope ?
		    "mailfrom" : "from", qid, dr, &summary))
			ok = false;
	if (m->from_headers == 0)
		pt_sb_printf(&summary, "%sno From field", summary.len ? ", " : "");
	else if (m->from_headers > 1 || m->nauthor > 1 || m->from_extra)
		pt_sb_printf(&summary, "%smultiple authors (%u From fields, RFC 7489 6.6.1)",
		    summary.len ? ", " : "", m->from_headers);
	if (m->from_malformed)
		pt_sb_printf(&summary, "%s%zu malformed From address%s", summary.len ? ", " : "",
		    m->from_malformed, m->from_malformed == 1 ? "" : "es");
	if (m->posture.n)
		pt_sb_printf(&summary, "%sremoved %zu forged %s", summary.len ? ", " : "",
		    m->posture.n, HEADER_NAME);
	if (m->authres.n)
		pt_sb_printf(&summary, "%sremoved %zu forged %s", summary.len ? ", " : "",
		    m->authres.n, AUTHRES_NAME);
	/* The trace field goes on top of everything we add (RFC 8601 5). */
	if (m->dkim != NULL && !verify_message(ctx, cc, m, dr, &summary))
		ok = false;
	line = pt_sb_take(&summary);
	pm_log(LOG_INFO, "%s: posture %s; %u ms", qid, line ? line : "",
	    (unsigned)(dns_now_ms() - m->start_ms));
	free(line);
	msg_free(m);
	cc->msg = NULL;
	return metrics_message_done(false, ok, ok ? SMFIS_CONTINUE : on_error(cc));
}

/* The message was aborted: forget it. */
static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn_ctx *cc = smfi_getpriv(ctx);

	if (cc != NULL) {
		msg_free(cc->msg);
		cc->msg = NULL;
	}
	return SMFIS_CONTINUE;
}

/* The connection ended (possibly without connect): free everything. */
static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn_ctx *cc = smfi_getpriv(ctx);

	if (cc != NULL) {
		msg_free(cc->msg);
		runtime_put(cc->rt);
		free(cc);
		smfi_setpriv(ctx, NULL);
		atomic_fetch_sub(&active_connections, 1);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc posture_filter = {
	.xxfi_name = (char *)"posture-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_body = cb_body,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};
