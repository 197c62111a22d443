/*
 * fold.c - folded header values (see fold.h).
 */
#include <string.h>

#include "util/fold.h"

#define FOLD_WIDTH 78

/* Start a value for a field called name. */
void
fold_init(struct fold *f, const char *name)
{
	pt_sb_init(&f->sb);
	f->col = strlen(name) + 2;	/* "Name: " */
}

/* Add one word. */
void
fold_word(struct fold *f, const char *word)
{
	size_t len = strlen(word);

	if (f->sb.len > 0) {
		if (f->col + 1 + len > FOLD_WIDTH) {
			pt_sb_appendn(&f->sb, "\n\t", 2);
			f->col = 8;
		} else {
			pt_sb_appendn(&f->sb, " ", 1);
			f->col++;
		}
	}
	pt_sb_appendn(&f->sb, word, len);
	f->col += len;
}

/* Add the space-separated words of text. */
void
fold_words(struct fold *f, const char *text)
{
	const char *p = text, *end;
	char word[256];
	size_t len;

	while (*p) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ' ');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(word))
			len = sizeof(word) - 1;
		memcpy(word, p, len);
		word[len] = '\0';
		fold_word(f, word);
		p += end ? (size_t)(end - p) : strlen(p);
	}
}

/* Hand over the value. */
char *
fold_take(struct fold *f)
{
	return pt_sb_take(&f->sb);
}
