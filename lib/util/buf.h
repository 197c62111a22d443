/*
 * buf.h - the one bounded reader for untrusted bytes (DNS messages, records, files).
 *
 * Every read checks the remaining length and returns 0, or -1 leaving the position
 * unchanged when fewer bytes remain than asked for. No caller walks a pointer itself.
 */
#ifndef POSTURE_BUF_H
#define POSTURE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct pt_buf {
	const uint8_t *data;	/* borrowed */
	size_t len;
	size_t pos;
};

/* Start reading len bytes at data. */
void pt_buf_init(struct pt_buf *b, const void *data, size_t len);
/* Bytes left to read. */
size_t pt_buf_remaining(const struct pt_buf *b);
/* Read a byte, a big-endian 16-, 32- or 64-bit integer, or n bytes. */
int pt_buf_u8(struct pt_buf *b, uint8_t *out);
int pt_buf_u16(struct pt_buf *b, uint16_t *out);
int pt_buf_u32(struct pt_buf *b, uint32_t *out);
int pt_buf_u64(struct pt_buf *b, uint64_t *out);
int pt_buf_bytes(struct pt_buf *b, void *out, size_t n);
/* Look at the next byte without consuming it. */
int pt_buf_peek(const struct pt_buf *b, uint8_t *out);
/* Skip n bytes. */
int pt_buf_skip(struct pt_buf *b, size_t n);
/* Move to an absolute offset (<= len). */
int pt_buf_seek(struct pt_buf *b, size_t pos);
/* Borrow a pointer to the next n bytes and consume them. */
int pt_buf_take(struct pt_buf *b, size_t n, const uint8_t **out);

#endif
