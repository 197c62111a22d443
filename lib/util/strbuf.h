/*
 * strbuf.h - a growable string for messages and reports.
 *
 * Out of memory is sticky: after a failed growth every call is a no-op and
 * pt_sb_take() returns NULL, so callers check once at the end.
 */
#ifndef POSTURE_STRBUF_H
#define POSTURE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct pt_sb {
	char *s;		/* owned, NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	bool oom;
};

void pt_sb_init(struct pt_sb *sb);
void pt_sb_append(struct pt_sb *sb, const char *s);
void pt_sb_appendn(struct pt_sb *sb, const char *s, size_t n);
void pt_sb_printf(struct pt_sb *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append bytes with non-printable and non-ASCII bytes as \xHH (logs, reports). */
void pt_sb_append_sanitized(struct pt_sb *sb, const void *data, size_t n);
/*
 * Copy n untrusted bytes into out (size outlen >= 8) as printable ASCII, by the same
 * rule: other bytes and "\" become \xHH; if it does not fit, the copy ends in "...".
 * Always terminated. For finding messages and log lines of fixed size.
 */
void pt_sanitize(const void *data, size_t n, char *out, size_t outlen);
/* Append a JSON string literal, quotes included. */
void pt_sb_append_json(struct pt_sb *sb, const char *s);
/*
 * Append text wrapped at word boundaries to width columns, each line ended by "\n":
 * the first line continues a line already at column first_col, the others start with
 * indent. A word longer than a line (a URI) is cut hard. Nothing for empty text.
 */
void pt_sb_append_wrapped(struct pt_sb *sb, size_t width, size_t first_col,
			  const char *indent, const char *text);
/* Hand the string to the caller (free()), NULL on OOM; the buffer is reset. */
char *pt_sb_take(struct pt_sb *sb);
void pt_sb_free(struct pt_sb *sb);

/* printf into a new string; NULL on OOM. */
char *pt_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy src into dst of size bytes, cut to fit and NUL-terminated (size > 0), exactly
 * as snprintf(dst, size, "%s", src) would; returns strlen(src), as snprintf does.
 * For copies done for every message, where snprintf costs ten times as much.
 */
size_t pt_strlcpy(char *dst, const char *src, size_t size);

#endif
