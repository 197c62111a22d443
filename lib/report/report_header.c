/*
 * report_header.c - the X-Domain-Posture header value (ARCHITECTURE.md, The header).
 *
 *   posture_header_value()  "authserv-id; domain=...; grade=...; mx=ok; ..."
 *
 * Built only from a fixed vocabulary (family names, result words, finding codes) and
 * validated names: the domain was normalized, the authserv-id is checked here, and a
 * check's short fact passes only if it consists of letters, digits, ' ', '.', '-',
 * '=', '_' and ':' (anything else is dropped), so no DNS text can inject header
 * content. Folded with "\n\t" so that no line exceeds 78 columns, counting the
 * field name.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "record/authres_id.h"
#include "posture.h"
#include "util/fold.h"
#include "util/strbuf.h"

#define FIELD_NAME "X-Domain-Posture"

/*
 * Join up to four strings (NULL ones skipped) into buf, cut to size as snprintf would:
 * these words are built for every message, and snprintf costs ten times as much.
 */
static void
join(char *buf, size_t size, const char *a, const char *b, const char *c, const char *d)
{
	const char *parts[4] = { a, b, c, d };
	size_t o = 0, i, n;

	for (i = 0; i < 4 && o + 1 < size; i++) {
		if (parts[i] == NULL)
			continue;
		n = strlen(parts[i]);
		if (n > size - 1 - o)
			n = size - 1 - o;
		memcpy(buf + o, parts[i], n);
		o += n;
	}
	buf[o] = '\0';
}

/* Whether a fact is made only of header-safe characters. */
static bool
fact_safe(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(" .-=_:", *s))
			return false;
	return true;
}

/* Whether a family appears: checked, or (no evaluation) built into this program. */
static bool
family_shown(const struct posture_eval *ev, int fam, bool unavailable)
{
	if (unavailable)
		return posture_family_built((enum posture_family)fam);
	return ev->family[fam].result != PR_NOT_CHECKED;
}

/* Add a family's "name=result (comment);" as words. */
static void
fold_family(struct fold *f, const struct posture_eval *ev, int fam, bool last,
	    bool unavailable)
{
	const struct posture_family_result *fr;
	char word[96];
	size_t i, ncodes = 0;
	const char *words[PC_COUNT];

	if (unavailable) {
		join(word, sizeof(word), posture_family_name((enum posture_family)fam),
		    "=temperror", last ? NULL : ";", NULL);
		fold_word(f, word);
		return;
	}
	fr = &ev->family[fam];
	for (i = 0; i < ev->nfindings && ncodes < PC_COUNT; i++) {
		const char *code = posture_code_name(ev->findings[i].code);
		size_t j;

		if ((int)ev->findings[i].family != fam || ev->findings[i].severity == SEV_INFO)
			continue;
		for (j = 0; j < ncodes && strcmp(words[j], code) != 0; j++)
			;
		if (j == ncodes)
			words[ncodes++] = code;	/* each code once */
	}
	join(word, sizeof(word), posture_family_name((enum posture_family)fam), "=",
	    posture_result_word(fr->result), NULL);
	/* A fact that only repeats the result word says nothing. */
	if (ncodes == 0 && !(fr->fact[0] && fact_safe(fr->fact) &&
	    strcmp(fr->fact, posture_result_word(fr->result)) != 0)) {
		if (!last)
			strcat(word, ";");
		fold_word(f, word);
		return;
	}
	fold_word(f, word);
	if (ncodes == 0) {
		/* The fact, split into words so that it folds too. */
		char fact[sizeof(fr->fact) + 4];

		join(fact, sizeof(fact), "(", fr->fact, last ? ")" : ");", NULL);
		fold_words(f, fact);
		return;
	}
	for (i = 0; i < ncodes; i++) {
		join(word, sizeof(word), i == 0 ? "(" : NULL, words[i],
		    i + 1 == ncodes ? (last ? ")" : ");") : NULL, NULL);
		fold_word(f, word);
	}
}

/*
 * The header value for one evaluated domain. ev may carry an error (deadline,
 * resolver down): every family then reads temperror. NULL on OOM or a bad authserv-id.
 */
char *
posture_header_value(const struct posture_eval *ev, const char *authserv_id,
		     const char *domain)
{
	struct fold f;
	char word[300];
	int fam, last = -1;
	bool unavailable = ev == NULL || ev->error != NULL;

	if (!authres_id_valid(authserv_id))
		return NULL;
	if (!unavailable)
		domain = ev->domain;
	fold_init(&f, FIELD_NAME);
	join(word, sizeof(word), authserv_id, ";", NULL, NULL);
	fold_word(&f, word);
	join(word, sizeof(word), "domain=", domain, ";", NULL);
	fold_word(&f, word);
	for (fam = 0; fam < PF_COUNT; fam++)
		if (family_shown(ev, fam, unavailable))
			last = fam;
	join(word, sizeof(word), "grade=", unavailable ? "temperror" : posture_grade_word(ev),
	    last >= 0 ? ";" : NULL, NULL);
	fold_word(&f, word);
	for (fam = 0; fam <= last; fam++)
		if (family_shown(ev, fam, unavailable))
			fold_family(&f, ev, fam, fam == last, unavailable);
	return fold_take(&f);
}
