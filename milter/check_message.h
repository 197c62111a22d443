/*
 * check_message.h - posture-check's message mode: verify one message as the milter
 * does (SPF of the client, DKIM, DMARC, Authentication-Results) and evaluate the
 * posture of its domains (ARCHITECTURE.md, Interfaces).
 *
 *   check_message_load()  read FILE (or "-": stdin), parse its header, check the
 *                         --client-ip, --helo and --mail-from values; bad usage is
 *                         NULL with a one-line reason (exit status 2)
 *   check_message_run()   verify, evaluate, print the text or JSON report; returns
 *                         the exit status (0, or 1 when something could not be
 *                         verified or evaluated, with the reason on stderr)
 *   check_message_free()
 *
 * The domains evaluated: the From domains, then the MAIL FROM domain when it differs.
 * MAIL FROM: --mail-from, else the topmost Return-Path field, else the null sender.
 * The caller's hooks (posture memory, --fail-on) see each domain: more_selectors before
 * it is evaluated, evaluated after, before anything is reported.
 */
#ifndef POSTURE_CHECK_MESSAGE_H
#define POSTURE_CHECK_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "posture.h"

#define CHECK_MESSAGE_MAX_BYTES (32UL * 1024 * 1024)	/* --message FILE at most */
#define CHECK_MESSAGE_MORE_SELECTORS 16	/* more_selectors adds at most this many */

struct check_message_opts {
	const char *path;		/* FILE, or "-" for stdin */
	const char *client_ip;		/* required: IPv4 or IPv6 literal ([v6] accepted) */
	const char *helo;		/* or NULL */
	const char *mail_from;		/* "a@b", "<a@b>", "<>" or ""; NULL: Return-Path */
	const char *authserv_id;	/* AuthservID, or NULL: the host name */
	unsigned max_signatures;	/* MaxSignatures */
	unsigned timeout_ms;		/* for the verification and each evaluation */
	bool json;
	const char *const *selectors;	/* --selector: for every domain */
	size_t nselectors;
	const char *const *domain_selectors;	/* Selectors "domain:selector" */
	size_t ndomain_selectors;
	const char *const *trusted_sealers;	/* TrustedARCSealers (-c), or NULL */
	size_t ntrusted_sealers;
	/* Append to out[n..max) (at most CHECK_MESSAGE_MORE_SELECTORS); the new count.
	 * The strings must last until the next call. NULL: none. */
	size_t (*more_selectors)(void *arg, const char *domain, const char **out, size_t n,
				 size_t max);
	/* Each evaluation (error set or not) before the report; may add findings. */
	void (*evaluated)(void *arg, struct posture_eval *ev);
	void *hook_arg;
};

struct check_message;

/* Load and check everything given; NULL with the reason in err (bad usage, or OOM). */
struct check_message *check_message_load(const struct check_message_opts *opts,
					 char *err, size_t errlen);
/* Verify and evaluate through eng, print the report; the exit status (0 or 1). */
int check_message_run(struct check_message *cm, struct posture_engine *eng);
/* Free everything; NULL is fine. */
void check_message_free(struct check_message *cm);

#endif
