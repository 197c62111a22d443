/*
 * strbuf.c - growable strings (see strbuf.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

/* Start empty. */
void
pt_sb_init(struct pt_sb *sb)
{
	sb->s = NULL;
	sb->len = sb->cap = 0;
	sb->oom = false;
}

/* Make room for n more bytes plus the NUL. */
static bool
sb_reserve(struct pt_sb *sb, size_t n)
{
	size_t need, cap;
	char *s;

	if (sb->oom)
		return false;
	if (n > SIZE_MAX / 2 - sb->len - 1) {
		sb->oom = true;
		return false;
	}
	need = sb->len + n + 1;
	if (need <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	s = realloc(sb->s, cap);
	if (s == NULL) {
		sb->oom = true;
		return false;
	}
	sb->s = s;
	sb->cap = cap;
	return true;
}

/* Append n bytes. */
void
pt_sb_appendn(struct pt_sb *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n))
		return;
	if (n)
		memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

/* Append a C string. */
void
pt_sb_append(struct pt_sb *sb, const char *s)
{
	pt_sb_appendn(sb, s, strlen(s));
}

/* Append formatted text: formatted once when it fits the room left, else twice. */
void
pt_sb_printf(struct pt_sb *sb, const char *fmt, ...)
{
	size_t room = sb->s != NULL ? sb->cap - sb->len : 0;
	va_list ap;
	int n;

	if (sb->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(room ? sb->s + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < room) {
		sb->len += (size_t)n;
		return;
	}
	if (room)
		sb->s[sb->len] = '\0';	/* whatever was cut off is not ours yet */
	if (n < 0 || !sb_reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/* Length of one byte once sanitized: printable ASCII but the backslash stays, the rest is \xHH. */
static size_t
sanitized_len(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
}

/* Append bytes, masking anything outside printable ASCII (and the backslash) as \xHH. */
void
pt_sb_append_sanitized(struct pt_sb *sb, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		if (sanitized_len(p[i]) == 1)
			pt_sb_appendn(sb, (const char *)&p[i], 1);
		else
			pt_sb_printf(sb, "\\x%02x", p[i]);
	}
}

/* Copy untrusted bytes as printable ASCII, ending in "..." when cut. */
void
pt_sanitize(const void *data, size_t n, char *out, size_t outlen)
{
	const uint8_t *p = data;
	size_t i, o = 0, total = 0, reserve;
	char esc[5];

	if (outlen == 0)
		return;
	if (p == NULL)
		n = 0;
	for (i = 0; i < n && total < outlen; i++)
		total += sanitized_len(p[i]);
	reserve = total < outlen ? 0 : 3;	/* everything fits, or room for "..." */
	for (i = 0; i < n; i++) {
		if (o + sanitized_len(p[i]) + reserve + 1 > outlen) {
			if (o + 4 <= outlen) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (sanitized_len(p[i]) == 1)
			out[o++] = (char)p[i];
		else {
			(void)snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			memcpy(out + o, esc, 4);
			o += 4;
		}
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

/* Whether s is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
static bool
utf8_valid(const unsigned char *s)
{
	unsigned cp, n, i;

	while (*s) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf) {
			n = 1;
			cp = *s & 0x1fu;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			n = 2;
			cp = *s & 0x0fu;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			n = 3;
			cp = *s & 0x07u;
		} else {
			return false;
		}
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3fu);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

/* Append a JSON string literal; UTF-8 passes through, other high bytes are escaped. */
void
pt_sb_append_json(struct pt_sb *sb, const char *s)
{
	const unsigned char *p;
	bool utf8 = utf8_valid((const unsigned char *)s);

	pt_sb_appendn(sb, "\"", 1);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  pt_sb_append(sb, "\\\""); break;
		case '\\': pt_sb_append(sb, "\\\\"); break;
		case '\n': pt_sb_append(sb, "\\n"); break;
		case '\t': pt_sb_append(sb, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !utf8))
				pt_sb_printf(sb, "\\u%04x", *p);
			else
				pt_sb_appendn(sb, (const char *)p, 1);
		}
	}
	pt_sb_appendn(sb, "\"", 1);
}

/* Append text wrapped at word boundaries (see strbuf.h). */
void
pt_sb_append_wrapped(struct pt_sb *sb, size_t width, size_t first_col, const char *indent,
		     const char *text)
{
	size_t room = width > first_col ? width - first_col : 1, len, cut;

	while (*text) {
		len = strlen(text);
		if (len <= room) {
			cut = len;
		} else {
			cut = room;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)	/* one long word (a URI): cut it hard */
				cut = room;
		}
		pt_sb_appendn(sb, text, cut);
		pt_sb_append(sb, "\n");
		text += cut;
		while (*text == ' ')
			text++;
		if (*text) {
			pt_sb_append(sb, indent);
			room = width > strlen(indent) ? width - strlen(indent) : 1;
		}
	}
}

/* Hand over the string. */
char *
pt_sb_take(struct pt_sb *sb)
{
	char *s;

	if (sb->oom) {
		pt_sb_free(sb);
		return NULL;
	}
	if (sb->s == NULL)
		s = strdup("");
	else
		s = sb->s;
	pt_sb_init(sb);
	return s;
}

/* Release the buffer. */
void
pt_sb_free(struct pt_sb *sb)
{
	free(sb->s);
	pt_sb_init(sb);
}

/* printf into a new string: formatted once when it fits a stack buffer, else twice. */
char *
pt_strdup_printf(const char *fmt, ...)
{
	char small[512];
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	if ((size_t)n < sizeof(small)) {
		memcpy(s, small, (size_t)n + 1);
		return s;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* snprintf(dst, size, "%s", src) without the formatting machinery. */
size_t
pt_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src), n = len;

	if (size == 0)
		return len;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return len;
}
