/*
 * selectors.h - which DKIM selectors a domain's evaluation checks: the configured
 * "domain:selector" entries and the selectors of signatures that verified on a message.
 * One rule for both programs (the milter and posture-check --message).
 *
 *   selectors_add()          one selector, unless empty or listed already
 *   selectors_configured()   entries "domain:selector" that name the domain
 *   selectors_verified()     selectors of this message's verified signatures for it
 *   selectors_learn()        hand each verified signature's (domain, selector) on
 *
 * Only signatures whose cryptography held teach a selector (dkim_verify_sig.verified):
 * a sender must not be able to attach findings to a domain with a forged signature.
 * Lists are appended to without duplicates and cut at max; the strings stay owned by
 * the entries or the results they come from.
 */
#ifndef POSTURE_SELECTORS_H
#define POSTURE_SELECTORS_H

#include <stddef.h>

#include "verify/dkim_verify.h"

/* Append s to out[0..n) unless it is empty, listed already, or n == max. New count. */
size_t selectors_add(const char **out, size_t n, size_t max, const char *s);

/*
 * Append to out[n..max) the selector part of each entry "domain:selector" whose
 * domain equals domain (ASCII case-insensitive); entries without a colon are skipped.
 * Returns the new count.
 */
size_t selectors_configured(const char *const *entries, size_t nentries, const char *domain,
			    const char **out, size_t n, size_t max);

/*
 * Append to out[n..max) the selectors of dr's verified signatures whose d=, once
 * normalized, is domain (normalized: posture_name_normalize()). dr may be NULL.
 * Returns the new count.
 */
size_t selectors_verified(const struct dkim_verify_results *dr, const char *domain,
			  const char **out, size_t n, size_t max);

/* What selectors_learn() calls: a normalized domain and a selector that verified on it. */
typedef void (*selectors_learn_fn)(void *arg, const char *domain, const char *selector);

/* Call learn once for each verified signature of dr (may be NULL) with a usable d=. */
void selectors_learn(const struct dkim_verify_results *dr, selectors_learn_fn learn, void *arg);

#endif
