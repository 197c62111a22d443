/*
 * fuzz_dkim_key.c - libFuzzer harness over the DKIM key record parser (dkim_key.c).
 *
 * Any input is parsed three ways: as a whole key record (tag list, base64, key), and
 * base64-encoded behind "k=rsa; p=" and "k=ed25519; p=" so that arbitrary DER reaches
 * the key readers (d2i_PUBKEY, d2i_PublicKey, raw Ed25519). After each parse the
 * invariants the check relies on are verified: a usable key (0) is a candidate with a
 * known type, a form and no error problem; counts within their caps; every copied
 * string printable and terminated; a revoked key holds no key. A broken invariant
 * traps, so the fuzzer reports it. Built by make check with fuzz_main.c (replays the
 * seed corpus tests/fuzz/corpus/dkim_key) and by tests/fuzz/build-libfuzzer.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "record/dkim_key.h"

#define MAX_ENCODED 8192	/* inputs beyond this are parsed only as records */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Trap unless cond holds. */
static void
require(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* A copied string: terminated within n bytes, printable ASCII only. */
static void
require_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		require((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f);
	require(i < n);
}

/* Parse one record and check the invariants. */
static void
check_record(const void *rec, size_t len)
{
	struct dkim_key *key = malloc(sizeof(*key));
	bool error = false;
	size_t i;
	int rc;

	if (key == NULL)
		return;
	rc = dkim_key_parse(rec, len, key);
	require(rc == 0 || rc == -1);
	require(key->is_key == (dkim_key_classify(rec, len) == DKIM_TXT_KEY));
	for (i = 0; i < key->nproblems && i < DKIM_KEY_MAX_PROBLEMS; i++) {
		require_printable(key->problems[i].tag, sizeof(key->problems[i].tag));
		require_printable(key->problems[i].value, sizeof(key->problems[i].value));
		require_printable(key->problems[i].reason, sizeof(key->problems[i].reason));
		require(key->problems[i].reason[0] != '\0');
		require(key->problems[i].rfc != NULL);
		error |= key->problems[i].sev == DKIM_KEY_PSEV_ERROR;
	}
	require_printable(key->k_text, sizeof(key->k_text));
	require_printable(key->h_text, sizeof(key->h_text));
	require_printable(key->s_text, sizeof(key->s_text));
	if (rc == 0) {
		require(key->is_key && !error && !key->revoked);
		require(key->type != DKIM_KEY_TYPE_UNKNOWN);
		require(key->form != DKIM_KEY_FORM_NONE && key->bits > 0);
	}
	if (!key->is_key)
		require(key->nproblems == 0 && rc == -1);
	if (key->revoked)
		require(key->form == DKIM_KEY_FORM_NONE && key->key_len == 0 && key->p_present);
	if (key->form == DKIM_KEY_FORM_RAW)
		require(key->type == DKIM_KEY_TYPE_ED25519 && key->key_len == 32);
	if (key->form == DKIM_KEY_FORM_SPKI || key->form == DKIM_KEY_FORM_RSAPUBLICKEY)
		require(key->type == DKIM_KEY_TYPE_RSA && key->bits > 0);
	require(strcmp(dkim_key_type_word(key->type), "") != 0);
	require(strcmp(dkim_key_form_word(key->form), "") != 0);
	free(key);
}

/* Parse prefix + base64(data) as a record. */
static void
check_encoded(const char *prefix, const uint8_t *data, size_t size)
{
	size_t plen = strlen(prefix);
	char *rec;
	int n;

	if (size > MAX_ENCODED)
		return;
	rec = malloc(plen + (size + 2) / 3 * 4 + 1);
	if (rec == NULL)
		return;
	memcpy(rec, prefix, plen);
	n = EVP_EncodeBlock((unsigned char *)rec + plen, data, (int)size);
	require(n >= 0);
	check_record(rec, plen + (size_t)n);
	free(rec);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_record(data, size);
	check_encoded("k=rsa; p=", data, size);
	check_encoded("v=DKIM1; k=ed25519; p=", data, size);
	return 0;
}
