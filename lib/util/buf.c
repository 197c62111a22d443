/*
 * buf.c - the bounded reader (see buf.h).
 */
#include <string.h>

#include "util/buf.h"

/* Start reading len bytes at data. */
void
pt_buf_init(struct pt_buf *b, const void *data, size_t len)
{
	b->data = data;
	b->len = data ? len : 0;
	b->pos = 0;
}

/* Bytes left to read. */
size_t
pt_buf_remaining(const struct pt_buf *b)
{
	return b->len - b->pos;
}

/* Borrow the next n bytes. */
int
pt_buf_take(struct pt_buf *b, size_t n, const uint8_t **out)
{
	if (pt_buf_remaining(b) < n)
		return -1;
	*out = b->data + b->pos;
	b->pos += n;
	return 0;
}

/* Read one byte. */
int
pt_buf_u8(struct pt_buf *b, uint8_t *out)
{
	const uint8_t *p;

	if (pt_buf_take(b, 1, &p) < 0)
		return -1;
	*out = p[0];
	return 0;
}

/* Read a big-endian 16-bit integer. */
int
pt_buf_u16(struct pt_buf *b, uint16_t *out)
{
	const uint8_t *p;

	if (pt_buf_take(b, 2, &p) < 0)
		return -1;
	*out = (uint16_t)((unsigned)p[0] << 8 | p[1]);
	return 0;
}

/* Read a big-endian 32-bit integer. */
int
pt_buf_u32(struct pt_buf *b, uint32_t *out)
{
	const uint8_t *p;

	if (pt_buf_take(b, 4, &p) < 0)
		return -1;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

/* Read a big-endian 64-bit integer. */
int
pt_buf_u64(struct pt_buf *b, uint64_t *out)
{
	const uint8_t *p;
	uint64_t v = 0;
	size_t i;

	if (pt_buf_take(b, 8, &p) < 0)
		return -1;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	*out = v;
	return 0;
}

/* Copy n bytes out. */
int
pt_buf_bytes(struct pt_buf *b, void *out, size_t n)
{
	const uint8_t *p;

	if (pt_buf_take(b, n, &p) < 0)
		return -1;
	if (n)
		memcpy(out, p, n);
	return 0;
}

/* Look at the next byte. */
int
pt_buf_peek(const struct pt_buf *b, uint8_t *out)
{
	if (pt_buf_remaining(b) < 1)
		return -1;
	*out = b->data[b->pos];
	return 0;
}

/* Skip n bytes. */
int
pt_buf_skip(struct pt_buf *b, size_t n)
{
	const uint8_t *p;

	return pt_buf_take(b, n, &p);
}

/* Move to an absolute offset. */
int
pt_buf_seek(struct pt_buf *b, size_t pos)
{
	if (pos > b->len)
		return -1;
	b->pos = pos;
	return 0;
}
