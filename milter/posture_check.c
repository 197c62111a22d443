/*
 * posture_check.c - posture-check: evaluate domains and print a report.
 *
 * A thin layer over libposture: options, then posture_evaluate() per domain, then
 * the text or JSON report. Exit 0 when every domain was evaluated (whatever the
 * grades), 1 when some could not be (the others are still reported), 2 on bad usage
 * with a one-line reason (ARCHITECTURE.md, Interfaces); with --fail-on warn|error, 3
 * when an evaluated domain has a finding that severe (1 and 2 win over 3). Message
 * mode (--message FILE --client-ip IP) lives in check_message.c; every evaluation,
 * of either mode, passes through evaluated() before it is reported.
 *
 * Posture memory (memory.h) only when -c FILE sets StateDirectory or Redis, or
 * --state-dir / --redis name a store (memory_open.c, as the daemon opens it): it adds
 * the domain's learned selectors and, after the live evaluation, change findings
 * (posture_memory_track()). It never serves a stored snapshot, and posture-check, a
 * probe, stores none. --history DOMAIN... prints what the store remembers, no DNS.
 *
 * What can go wrong: bad usage, a store that cannot be opened (exit 2 before anything
 * is looked up); a domain that cannot be evaluated (exit 1, the others reported); a
 * store failing later (read as "nothing remembered", said on stderr); out of memory
 * (exit 1).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "check_message.h"
#include "config.h"
#include "memory.h"
#include "memory_open.h"
#include "pm_config.h"
#include "posture.h"
#include "report/report_history.h"
#include "verify/selectors.h"

#define MAX_LIST 32

enum {
	OPT_RESOLVER = 256, OPT_SELECTOR, OPT_JSON, OPT_HTTPS_PORT, OPT_CA_FILE,
	OPT_TIMEOUT, OPT_MESSAGE, OPT_CLIENT_IP, OPT_HELO, OPT_MAIL_FROM, OPT_ALLOW_PRIVATE,
	OPT_BIMI_ANCHORS, OPT_FAIL_ON, OPT_STATE_DIR, OPT_REDIS, OPT_HISTORY, OPT_DNSSEC,
	OPT_PROBE_MX, OPT_SMTP_PORT
};

static const struct option long_options[] = {
	{ "resolver",	required_argument, NULL, OPT_RESOLVER },
	{ "selector",	required_argument, NULL, OPT_SELECTOR },
	{ "json",	no_argument,	   NULL, OPT_JSON },
	{ "https-port",	required_argument, NULL, OPT_HTTPS_PORT },
	{ "ca-file",	required_argument, NULL, OPT_CA_FILE },
	{ "allow-private", no_argument,   NULL, OPT_ALLOW_PRIVATE },
	{ "dnssec",        no_argument,   NULL, OPT_DNSSEC },
	{ "probe-mx",      no_argument,   NULL, OPT_PROBE_MX },
	{ "smtp-port",	required_argument, NULL, OPT_SMTP_PORT },
	{ "bimi-trust-anchors", required_argument, NULL, OPT_BIMI_ANCHORS },
	{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "message",	required_argument, NULL, OPT_MESSAGE },
	{ "client-ip",	required_argument, NULL, OPT_CLIENT_IP },
	{ "helo",	required_argument, NULL, OPT_HELO },
	{ "mail-from",	required_argument, NULL, OPT_MAIL_FROM },
	{ "fail-on",	required_argument, NULL, OPT_FAIL_ON },
	{ "state-dir",	required_argument, NULL, OPT_STATE_DIR },
	{ "redis",	required_argument, NULL, OPT_REDIS },
	{ "history",	no_argument,	   NULL, OPT_HISTORY },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Print usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: posture-check [options] DOMAIN...\n"
	    "       posture-check [options] --message FILE --client-ip IP [--helo NAME]\n"
	    "                     [--mail-from ADDR]\n"
	    "       posture-check [options] --history DOMAIN...\n"
	    "Evaluate what each DOMAIN publishes for mail and report what is wrong; or\n"
	    "verify one message (SPF, DKIM, DMARC) and evaluate its domains.\n\n"
	    "  -c FILE               read Resolver, DNSTimeout, ... from posture-milter.conf\n"
	    "  --resolver HOST:PORT  DNS server to ask (repeatable; IPv6 as [::1]:5300);\n"
	    "                        default: the servers of /etc/resolv.conf\n"
	    "  --selector S          DKIM selector to check (repeatable)\n"
	    "  --json                print JSON instead of the text report\n"
	    "  --timeout SECONDS     time allowed for each domain (default 10)\n"
	    "  --https-port N        port for MTA-STS and BIMI fetches (default 443)\n"
	    "  --ca-file FILE        CA certificates for MTA-STS and BIMI fetches\n"
	    "  --allow-private       tests only: fetch from private and loopback addresses\n"
	    "  --dnssec              DNSSEC and DANE (the dnssec and dane families); the\n"
	    "                        resolver must be a local validating one (unbound)\n"
	    "  --probe-mx            connect to the first MX hosts: STARTTLS, certificate,\n"
	    "                        DANE match (EHLO, STARTTLS, QUIT: no mail is sent)\n"
	    "  --smtp-port N         port the MX probe connects to (default 25; tests)\n"
	    "  --bimi-trust-anchors FILE  PEM mark-certificate CAs for BIMI evidence; without\n"
	    "                        it evidence chains are reported as not checked\n"
	    "  --message FILE        the message to verify (\"-\": standard input)\n"
	    "  --client-ip IP        the address it came from (required with --message)\n"
	    "  --helo NAME           the HELO/EHLO name given\n"
	    "  --mail-from ADDR      the MAIL FROM address (\"<>\": null sender); default:\n"
	    "                        the Return-Path field, else the null sender\n"
	    "  --fail-on warn|error  exit 3 when a finding at least this severe is present\n"
	    "  --state-dir DIR       posture memory in DIR (LMDB): learned selectors and\n"
	    "                        history, so changes are reported (\"none\": off)\n"
	    "  --redis IP:PORT       posture memory on Redis (repeatable: failovers)\n"
	    "  --history             print what the store remembers of each DOMAIN\n"
	    "  -h, --help            this text\n"
	    "  -V, --version         the version\n\n"
	    "Exit status: 0 every domain evaluated (and the message verified), 1 some\n"
	    "could not be, 2 bad usage, 3 a finding at the --fail-on severity (2 wins over\n"
	    "1, 1 over 3).\n");
}

/* Complain about usage in one line and exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "posture-check: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try posture-check --help)\n");
	exit(2);
}

/* What every evaluation passes through before it is reported. */
struct check_run {
	int fail_on;			/* -1: no --fail-on; else the least severity that trips */
	bool tripped;			/* a finding at fail_on was seen */
	struct posture_memory *memory;	/* or NULL: no store */
	struct store_selectors learned;	/* the last domain's, for more_selectors() */
	bool oom;			/* tracking ran out of memory */
};

/* The store's complaints (outages, broken values) on stderr; its notes are not shown. */
static void __attribute__((format(printf, 3, 4)))
memory_say(void *arg, int priority, const char *fmt, ...)
{
	va_list ap;

	(void)arg;
	if (priority > LOG_WARNING)
		return;
	fputs("posture-check: ", stderr);	/* each line names posture memory itself */
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Add the selectors the store learned for domain to out[n..max); the new count. */
static size_t
more_selectors(void *arg, const char *domain, const char **out, size_t n, size_t max)
{
	struct check_run *run = arg;
	size_t i;

	run->learned.n = 0;
	if (run->memory == NULL || !posture_memory_selectors(run->memory, domain, &run->learned))
		return n;
	for (i = 0; i < run->learned.n; i++)
		n = selectors_add(out, n, max, run->learned.sel[i].name);
	return n;
}

/* Whether ev has a finding of at least severity min outside temperror families. */
static bool
has_finding(const struct posture_eval *ev, int min)
{
	size_t i;

	if (ev->error != NULL)
		return false;
	for (i = 0; i < ev->nfindings; i++)
		if ((int)ev->findings[i].severity >= min &&
		    ev->family[ev->findings[i].family].result != PR_TEMPERROR)
			return true;
	return false;
}

/* See one evaluation (both modes): its changes from the store, then --fail-on's verdict. */
static void
evaluated(void *arg, struct posture_eval *ev)
{
	struct check_run *run = arg;

	if (run->memory != NULL && ev->error == NULL && posture_memory_track(run->memory, ev) < 0)
		run->oom = true;
	if (run->fail_on >= 0 && has_finding(ev, run->fail_on))
		run->tripped = true;
}

/* Parse a decimal number in [min, max] (pm_config_number()) or exit 2 naming the option. */
static unsigned long
parse_number(const char *opt, const char *arg, unsigned long min, unsigned long max)
{
	unsigned long v;
	char shown[72];

	if (pm_config_number(arg, min, max, &v) != NULL) {
		pm_config_printable(shown, sizeof(shown), arg);
		fprintf(stderr, "posture-check: %s: '%s' is not a number from %lu to %lu\n",
		    opt, shown, min, max);
		exit(2);
	}
	return v;
}

/*
 * Set the file's StateDirectory and Redis from --state-dir and --redis (options over
 * the file) and open the store they name; NULL when none is named. Exits 2 when it
 * cannot be opened.
 */
static struct store *
store_open(struct pm_config *cfg, const char *state_dir, char *const *redis, size_t nredis)
{
	struct memory_source src = {
		.cfg = cfg, .default_directory = false, .directory_key = "StateDirectory",
		.log = memory_say
	};
	struct store *s;
	char err[512];
	size_t i;

	if (state_dir != NULL) {
		free(cfg->state_directory);
		if ((cfg->state_directory = strdup(state_dir)) == NULL)
			goto oom;
		src.directory_key = "--state-dir";
	}
	if (nredis > 0) {
		for (i = 0; i < cfg->nredis; i++)
			free(cfg->redis[i]);
		for (cfg->nredis = 0; cfg->nredis < nredis; cfg->nredis++)
			if ((cfg->redis[cfg->nredis] = strdup(redis[cfg->nredis])) == NULL)
				goto oom;
	}
	if (memory_open(&src, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "posture-check: %s\n", err);
		exit(2);
	}
	return s;
oom:
	fprintf(stderr, "posture-check: out of memory\n");
	exit(1);
}

/*
 * --history: what the store remembers of each domain, no DNS; with json one object per
 * domain, an array of them for several (as the reports). The exit status.
 */
static int
history(struct posture_memory *m, char *const *domains, size_t n, bool json)
{
	struct store_history h;
	enum store_status st;
	char name[256], *out;
	const char *why;
	int status = 0;
	size_t i, len, shown = 0;

	for (i = 0; i < n; i++) {
		posture_name_normalize(domains[i], name, sizeof(name), &why);
		memset(&h, 0, sizeof(h));
		st = posture_memory_history(m, name, &h);
		if (st == STORE_FOUND) {
			out = json ? posture_history_json(name, &h) : posture_history_text(name, &h);
			if (out == NULL) {
				fprintf(stderr, "posture-check: out of memory\n");
				status = 1;
			} else if (json && n > 1) {
				len = strlen(out);		/* newline-terminated: an item */
				if (len > 0 && out[len - 1] == '\n')
					out[len - 1] = '\0';
				printf("%s%s", shown++ ? ",\n " : "[", out);
			} else {
				printf("%s%s", shown++ && !json ? "\n" : "", out);
			}
			free(out);
		} else {
			fprintf(stderr, "posture-check: %s: %s\n", name, st == STORE_ABSENT ?
			    "no history in the store" : "the store failed: nothing could be read");
			status = 1;
		}
		store_history_free(&h);
	}
	if (json && n > 1)
		printf("%s]\n", shown ? "" : "[");
	return status;
}

int
main(int argc, char **argv)
{
	const char *resolvers[PM_MAX_LIST], *selectors[MAX_LIST];
	const char *config_path = NULL, *dsel[PM_MAX_LIST + MAX_LIST + STORE_MAX_SELECTORS];
	size_t nresolvers = 0, nselectors = 0, ndomains, i, j, ndsel, nredis = 0;
	const char *state_dir = NULL;
	char *redis[PM_MAX_LIST];
	bool show_history = false;
	struct store *store;
	unsigned timeout_ms = 0, https_port = 0, smtp_port = 0;
	const char *ca_file = NULL, *bimi_anchors = NULL;
	bool allow_private = false;
	bool dnssec = false, probe_mx = false;
	struct check_message_opts mo;
	struct check_message *cm = NULL;
	struct posture_options opts;
	struct pm_config cfg;
	struct posture_engine *eng;
	struct posture_eval **evs;
	struct check_run run = { .fail_on = -1, .tripped = false };
	bool json = false;
	char err[256], name[256];
	const char *why;
	int c, status = 0;

	posture_options_init(&opts);
	pm_config_init(&cfg);
	memset(&mo, 0, sizeof(mo));
	while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_RESOLVER:
			if (nresolvers == MAX_LIST)
				usage_error("too many --resolver options (at most %s)", "32");
			resolvers[nresolvers++] = optarg;
			break;
		case OPT_SELECTOR:
			if (nselectors == MAX_LIST)
				usage_error("too many --selector options (at most %s)", "32");
			selectors[nselectors++] = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_TIMEOUT:
			timeout_ms = (unsigned)parse_number("--timeout", optarg, 1, 600) * 1000;
			break;
		case OPT_HTTPS_PORT:
			if (pm_config_port(optarg, &https_port) != NULL)
				usage_error("--https-port: not a port (a decimal number from 1 to 65535)");
			break;
		case OPT_CA_FILE:
			ca_file = optarg;
			break;
		case OPT_ALLOW_PRIVATE:
			allow_private = true;
			break;
		case OPT_DNSSEC:
			dnssec = true;
			break;
		case OPT_PROBE_MX:
			probe_mx = true;
			break;
		case OPT_SMTP_PORT:
			if (pm_config_port(optarg, &smtp_port) != NULL)
				usage_error("--smtp-port: not a port (a decimal number from 1 to 65535)");
			break;
		case OPT_BIMI_ANCHORS:
			bimi_anchors = optarg;
			break;
		case OPT_MESSAGE:
			mo.path = optarg;
			break;
		case OPT_CLIENT_IP:
			mo.client_ip = optarg;
			break;
		case OPT_HELO:
			mo.helo = optarg;
			break;
		case OPT_MAIL_FROM:
			mo.mail_from = optarg;
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "warn") == 0)
				run.fail_on = SEV_WARN;
			else if (strcmp(optarg, "error") == 0)
				run.fail_on = SEV_ERROR;
			else
				usage_error("--fail-on: expected warn or error");
			break;
		case OPT_STATE_DIR:
			state_dir = optarg;
			break;
		case OPT_REDIS:
			if (pm_config_hostport(optarg) != NULL)
				usage_error("--redis: %s", pm_config_hostport(optarg));
			if (nredis == PM_MAX_LIST)
				usage_error("too many --redis options (at most %d)", PM_MAX_LIST);
			redis[nredis++] = optarg;
			break;
		case OPT_HISTORY:
			show_history = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("posture-check %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "posture-check: unknown option (try posture-check --help)\n");
			return 2;
		}
	}
	ndomains = (size_t)(argc - optind);
	if (mo.path != NULL && mo.client_ip == NULL)
		usage_error("--message needs --client-ip, the address the message came from");
	if (mo.path == NULL && (mo.client_ip || mo.helo || mo.mail_from))
		usage_error("--client-ip, --helo and --mail-from go with --message FILE");
	if (mo.path != NULL && ndomains > 0)
		usage_error("--message takes no DOMAIN: its domains are evaluated");
	if (ndomains == 0 && mo.path == NULL)
		usage_error("no domain given");
	if (show_history && mo.path != NULL)
		usage_error("--history takes DOMAIN..., not --message");
	/* Every name is checked before anything is looked up. */
	for (i = 0; i < ndomains; i++)
		if (posture_name_normalize(argv[optind + (int)i], name, sizeof(name), &why) < 0) {
			fprintf(stderr, "posture-check: invalid domain name '%.80s': %s\n",
			    argv[optind + (int)i], why);
			return 2;
		}

	/* The configuration file first, then the command line over it. */
	if (config_path != NULL && pm_config_load(config_path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "posture-check: %s\n", err);
		pm_config_free(&cfg);
		return 2;
	}
	store = store_open(&cfg, state_dir, redis, nredis);
	if (store != NULL) {
		run.memory = posture_memory_new(store, memory_key_prefix(&cfg),
		    memory_shape(&cfg), cfg.history_versions);
		if (run.memory == NULL) {
			fprintf(stderr, "posture-check: out of memory\n");
			store_free(store);
			pm_config_free(&cfg);
			return 1;
		}
	}
	if (show_history) {
		if (run.memory == NULL)
			usage_error("--history needs a store: --state-dir DIR, --redis HOST:PORT, "
			    "or -c FILE setting StateDirectory or Redis");
		status = history(run.memory, argv + optind, ndomains, json);
		goto done;
	}
	if (nresolvers == 0)
		for (i = 0; i < cfg.nresolvers; i++)
			resolvers[nresolvers++] = cfg.resolvers[i];
	opts.dns_timeout_ms = cfg.dns_timeout_ms;
	opts.evaluation_timeout_ms = timeout_ms ? timeout_ms : cfg.evaluation_timeout_ms;
	opts.max_queries = cfg.max_queries;
	/* HTTPS fetches: the file's HTTPSPort, CAFile, AllowPrivateAddresses, options over. */
	opts.https_port = https_port ? https_port : cfg.https_port;
	opts.ca_file = ca_file ? ca_file : cfg.ca_file;
	opts.allow_private = allow_private || cfg.allow_private_addresses;
	opts.bimi_trust_anchors = bimi_anchors ? bimi_anchors : cfg.bimi_trust_anchors;
	opts.dnssec = dnssec || cfg.dnssec;
	opts.probe_mx = probe_mx || cfg.probe_mx;
	if (smtp_port)
		opts.smtp_port = smtp_port;
	/* Two tries must fit in the evaluation's time. */
	if (opts.dns_timeout_ms * 2 > opts.evaluation_timeout_ms)
		opts.dns_timeout_ms = opts.evaluation_timeout_ms / 2;
	opts.resolvers = resolvers;
	opts.nresolvers = nresolvers;
	if (mo.path != NULL) {
		mo.authserv_id = cfg.authserv_id;
		mo.max_signatures = cfg.max_signatures;
		mo.timeout_ms = opts.evaluation_timeout_ms;
		mo.json = json;
		mo.selectors = selectors;
		mo.nselectors = nselectors;
		mo.domain_selectors = (const char *const *)cfg.selectors;
		mo.ndomain_selectors = cfg.nselectors;
		mo.trusted_sealers = (const char *const *)cfg.trusted_sealers;
		mo.ntrusted_sealers = cfg.ntrusted_sealers;
		mo.evaluated = evaluated;
		mo.more_selectors = more_selectors;
		mo.hook_arg = &run;
		cm = check_message_load(&mo, err, sizeof(err));
		if (cm == NULL) {
			fprintf(stderr, "posture-check: %s\n", err);
			status = 2;
			goto done;
		}
	}
	eng = posture_engine_new(&opts, err, sizeof(err));
	if (eng == NULL) {
		fprintf(stderr, "posture-check: %s\n", err);
		check_message_free(cm);
		status = 2;
		goto done;
	}
	if (cm != NULL) {
		status = check_message_run(cm, eng);
		check_message_free(cm);
		posture_engine_free(eng);
		goto done;
	}
	evs = calloc(ndomains, sizeof(*evs));
	if (evs == NULL) {
		fprintf(stderr, "posture-check: out of memory\n");
		posture_engine_free(eng);
		status = 1;
		goto done;
	}
	for (i = 0; i < ndomains; i++) {
		/* --selector applies to every domain; Selectors domain:selector to its own. */
		posture_name_normalize(argv[optind + (int)i], name, sizeof(name), &why);
		for (ndsel = 0; ndsel < nselectors; ndsel++)
			dsel[ndsel] = selectors[ndsel];
		for (j = 0; j < cfg.nselectors; j++) {
			const char *colon = strchr(cfg.selectors[j], ':');

			if ((size_t)(colon - cfg.selectors[j]) == strlen(name) &&
			    strncasecmp(cfg.selectors[j], name, strlen(name)) == 0)
				dsel[ndsel++] = colon + 1;
		}
		ndsel = more_selectors(&run, name, dsel, ndsel, sizeof(dsel) / sizeof(dsel[0]));
		evs[i] = posture_evaluate(eng, argv[optind + (int)i], dsel, ndsel);
		if (evs[i] == NULL) {
			fprintf(stderr, "posture-check: out of memory\n");
			status = 1;
			break;
		}
		evaluated(&run, evs[i]);
		if (evs[i]->error != NULL) {
			fprintf(stderr, "posture-check: %s: not evaluated: %s\n",
			    evs[i]->domain[0] ? evs[i]->domain : evs[i]->input, evs[i]->error);
			status = 1;
		}
	}
	if (status == 0 || i == ndomains) {
		char *out;

		if (json) {
			out = posture_report_json((const struct posture_eval *const *)evs, ndomains);
			if (out)
				fputs(out, stdout);
			free(out);
		} else {
			for (i = 0; i < ndomains; i++) {
				if (evs[i]->error != NULL)
					continue;
				out = posture_report_text(evs[i]);
				if (out)
					printf("%s%s", i ? "\n" : "", out);
				free(out);
			}
		}
	}
	for (i = 0; i < ndomains; i++)
		posture_eval_free(evs[i]);
	free(evs);
	posture_engine_free(eng);
done:
	if (run.memory != NULL)
		posture_memory_free(run.memory);
	store_free(store);		/* LMDB commits the history written */
	pm_config_free(&cfg);
	if (run.oom) {
		fprintf(stderr, "posture-check: out of memory while tracking changes\n");
		if (status == 0)
			status = 1;
	}
	return status == 0 && run.tripped ? 3 : status;
}
