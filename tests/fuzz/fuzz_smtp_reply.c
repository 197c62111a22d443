/*
 * fuzz_smtp_reply.c - libFuzzer harness for the SMTP reply parser of the STARTTLS
 * probe (smtp_reply_parse(), lib/net/smtp_probe.c).
 *
 * Invariants: a whole reply uses bytes inside the input, ends at a line end, has a
 * code 200..599 and at most SMTP_REPLY_LINES_MAX lines; its text is printable and
 * terminated. "More" is answered only while no line is over SMTP_REPLY_LINE_MAX. A
 * broken one traps. Built by tests/fuzz/build-libfuzzer.sh and replayed over the
 * corpus by make check.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/smtp_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	size_t i, textlen;

	switch (smtp_reply_parse(data, size, &r)) {
	case SMTP_REPLY_DONE:
		if (r.used == 0 || r.used > size || data[r.used - 1] != '\n')
			__builtin_trap();
		if (r.code < 200 || r.code > 599 || r.nlines == 0 ||
		    r.nlines > SMTP_REPLY_LINES_MAX)
			__builtin_trap();
		textlen = strnlen(r.text, sizeof(r.text));
		if (textlen == sizeof(r.text))
			__builtin_trap();
		for (i = 0; i < textlen; i++)
			if ((unsigned char)r.text[i] < 0x20 || (unsigned char)r.text[i] > 0x7e)
				__builtin_trap();
		break;
	case SMTP_REPLY_MORE:
		if (memchr(data, '\n', size) == NULL && size >= SMTP_REPLY_LINE_MAX)
			__builtin_trap();
		break;
	case SMTP_REPLY_BAD:
		break;
	}
	return 0;
}
