/*
 * fuzz_dns_msg.c - libFuzzer harness for the DNS answer reader (lib/dns/dns_msg.c).
 *
 * Parses the input as a response, turns it into answers for its own question and for
 * a few other types (so CNAME chains, negative answers and the question check all
 * run), copies and joins what came out, and frees everything. A crash, a leak or a
 * sanitizer report is a bug; a -1 from the parser is the expected answer to junk.
 * Built by tests/fuzz/build-libfuzzer.sh (clang) and replayed over the seed corpus
 * by make check through fuzz_main.c (gcc).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dns/dns.h"
#include "dns/dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Use an answer the way checks do: copies, TTLs, joined TXT strings. */
static void
exercise(const struct dns_answer *a)
{
	struct dns_answer copy;
	size_t i, len;

	(void)dns_answer_min_ttl(a);
	(void)dns_status_str(a->status);
	for (i = 0; i < a->count; i++) {
		char *joined = dns_txt_join(&a->rrs[i], &len);

		free(joined);
		(void)dns_type_str(a->rrs[i].type);
	}
	if (dns_answer_copy(&copy, a) == 0)
		dns_answer_clear(&copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = {
		DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_TXT, DNS_T_CNAME, DNS_T_SOA, DNS_T_SPF
	};
	struct dns_msg msg;
	struct dns_answer a;
	struct dns_rr rr;
	const char *qname;
	size_t i;

	if (dns_msg_parse(data, size, &msg) < 0)
		return 0;
	qname = msg.qname ? msg.qname : "example.test";
	if (dns_msg_answer(&msg, qname, msg.qtype, &a) >= 0) {
		exercise(&a);
		dns_answer_clear(&a);
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (types[i] == msg.qtype)
			continue;
		if (dns_msg_answer(&msg, qname, types[i], &a) >= 0) {
			exercise(&a);
			dns_answer_clear(&a);
		}
	}
	for (i = 0; i < msg.nanswer; i++)
		if (dns_rr_copy(&rr, &msg.answer[i]) == 0)
			dns_rr_clear(&rr);
	for (i = 0; i < msg.nauthority; i++)
		if (dns_rr_copy(&rr, &msg.authority[i]) == 0)
			dns_rr_clear(&rr);
	dns_msg_free(&msg);
	return 0;
}
