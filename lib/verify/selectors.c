/*
 * selectors.c - the DKIM selectors a domain's evaluation checks (see selectors.h).
 *
 * What can go wrong: nothing beyond a full list (cut at max). Signature domains are
 * sender text: each is normalized (posture_name_normalize()) before it is compared
 * or handed on, and one that is not a domain name teaches nothing.
 */
#include <string.h>
#include <strings.h>

#include "posture.h"
#include "verify/selectors.h"

/* Append s to out[0..n) unless it is empty, there already or the list is full. */
size_t
selectors_add(const char **out, size_t n, size_t max, const char *s)
{
	size_t i;

	if (s[0] == '\0')
		return n;
	for (i = 0; i < n; i++)
		if (strcmp(out[i], s) == 0)
			return n;
	if (n < max)
		out[n++] = s;
	return n;
}

/* Append the configured selectors of domain. */
size_t
selectors_configured(const char *const *entries, size_t nentries, const char *domain,
		     const char **out, size_t n, size_t max)
{
	size_t i, dlen = strlen(domain);

	for (i = 0; i < nentries; i++) {
		const char *colon = strchr(entries[i], ':');

		if (colon != NULL && (size_t)(colon - entries[i]) == dlen &&
		    strncasecmp(entries[i], domain, dlen) == 0)
			n = selectors_add(out, n, max, colon + 1);
	}
	return n;
}

/* The normalized d= of a signature that verified, or false. */
static bool
verified_domain(const struct dkim_verify_sig *s, char *d, size_t dlen)
{
	const char *why;

	return s->verified && s->selector[0] != '\0' &&
	    posture_name_normalize(s->domain, d, dlen, &why) == 0;
}

/* Append the selectors that verified for domain on this message. */
size_t
selectors_verified(const struct dkim_verify_results *dr, const char *domain,
		   const char **out, size_t n, size_t max)
{
	char d[256];
	size_t i;

	for (i = 0; dr != NULL && i < dr->nsigs; i++)
		if (verified_domain(&dr->sigs[i], d, sizeof(d)) && strcmp(d, domain) == 0)
			n = selectors_add(out, n, max, dr->sigs[i].selector);
	return n;
}

/* Hand each verified signature's domain and selector to learn. */
void
selectors_learn(const struct dkim_verify_results *dr, selectors_learn_fn learn, void *arg)
{
	char d[256];
	size_t i;

	for (i = 0; dr != NULL && i < dr->nsigs; i++)
		if (verified_domain(&dr->sigs[i], d, sizeof(d)))
			learn(arg, d, dr->sigs[i].selector);
}
