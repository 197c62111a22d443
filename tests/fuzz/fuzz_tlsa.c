/*
 * fuzz_tlsa.c - libFuzzer harness for the TLSA RDATA parser (lib/record/tlsa_parse.c)
 * and the EDE option reader of OPT records (dns_opt_ede(), lib/dns/dns_msg.c).
 *
 * The input is both a TLSA RDATA and an OPT RDATA. Invariants: a record that parses
 * has its data inside the input and a digest of the length its matching type names;
 * an EDE is found only in input long enough to hold one. A broken one traps.
 * Built by tests/fuzz/build-libfuzzer.sh and replayed over the corpus by make check.
 */
#include <stddef.h>
#include <stdint.h>

#include "dns/dns_msg.h"
#include "record/tlsa_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsa_record r;
	enum tlsa_problem p = tlsa_parse(data, size, &r);
	uint16_t code;

	if (p == TLSA_OK) {
		if (r.data != data + 3 || r.len != size - 3 || r.len == 0)
			__builtin_trap();
		if ((r.mtype == 1 && r.len != 32) || (r.mtype == 2 && r.len != 64))
			__builtin_trap();
		(void)tlsa_usable_for_smtp(&r);
	}
	(void)tlsa_problem_str(p);
	if (dns_opt_ede(data, size, &code) == 1 && size < 6)
		__builtin_trap();
	return 0;
}
