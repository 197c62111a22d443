/*
 * fold.h - header values built from words and folded (RFC 5322 2.2.3) with "\n\t"
 * before a word that would pass 78 columns, the field name counted on the first line.
 * Words are never split. The MTA turns "\n" into its own line ending.
 */
#ifndef POSTURE_FOLD_H
#define POSTURE_FOLD_H

#include <stddef.h>

#include "util/strbuf.h"

struct fold {
	struct pt_sb sb;
	size_t col;
};

/* Start a value for a field called name ("X-Domain-Posture"). */
void fold_init(struct fold *f, const char *name);
/* Add one word, preceded by a space or a fold. */
void fold_word(struct fold *f, const char *word);
/* Add the space-separated words of text. */
void fold_words(struct fold *f, const char *text);
/* Hand over the value (NULL on OOM). */
char *fold_take(struct fold *f);

#endif
