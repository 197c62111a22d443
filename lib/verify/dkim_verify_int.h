/*
 * dkim_verify_int.h - inside DKIM verification: dkim_verify.c (libopendkim, the only
 * file that includes it) and dkim_verify_keys.c (key lookups); the tags we read
 * ourselves come from record/dkim_sig.c. arc_verify.c uses the library's key source
 * and the key helpers (dkv_key_name, dkv_key_settle) for the ARC keys. Not installed.
 *
 *   struct dkim_verify      one message: state, our tag readings, its key lookups
 *   dkv_key_name() _slot() dkv_keys_fetch() dkv_key_settle()   the keys of a message
 *   dkv_parsed_clear()      forget the parsed key records the library remembers
 *
 * libopendkim's handles appear as struct dkim_lib / struct dkim, the structs behind
 * its DKIM_LIB and DKIM typedefs, so that only dkim_verify.c needs its header.
 */
#ifndef POSTURE_DKIM_VERIFY_INT_H
#define POSTURE_DKIM_VERIFY_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/dkim_key.h"
#include "verify/dkim_verify.h"
#include "dns/dns.h"

#define DKV_FIELD_NAME_MAX	998	/* RFC 5322 2.1.1 line limit */
#define DKV_NAME_MAX		253	/* a DNS name in text, no trailing dot */
#define DKV_RECORD_MAX		1024	/* libopendkim's key buffer is BUFRSZ (1024) + 1 */

struct dkim_lib;
struct dkim;

#define DKV_PARSED_SLOTS	64	/* key records whose parse is remembered */

/*
 * What dkim_key_parse() said of one key record, kept by its exact text: parsing a key
 * costs about a million instructions (OpenSSL 3's decoders), and a warm cache hands
 * the same record to every message of a domain.
 */
struct dkv_parsed {
	char *record;			/* owned; NULL when the slot is empty */
	size_t len;
	uint64_t hash;
	unsigned bits;
	bool testing;
	enum dkim_key_type type;
	enum dkim_key_unsafe unsafe;
};

struct dkim_verify_lib {
	struct dkim_lib *dl;		/* owned: libopendkim's DKIM_LIB */
	struct dkim_verify_config cfg;
	pthread_mutex_t parsed_lock;	/* guards parsed[]; held only to copy in or out */
	struct dkv_parsed parsed[DKV_PARSED_SLOTS];	/* direct-mapped by hash */
};

enum dkv_key_outcome {
	DKV_KEY_FOUND,		/* a record for libopendkim to judge */
	DKV_KEY_NONE,		/* NXDOMAIN, NODATA: permerror (RFC 6376 6.1.2) */
	DKV_KEY_TEMP,		/* the lookup failed: temperror */
	DKV_KEY_UNUSABLE	/* several records, none, too long, unsafe: permerror */
};

/* One key name of this message and its answer. */
struct dkv_key {
	char name[DKV_NAME_MAX + 1];	/* "<s>._domainkey.<d>", lower case */
	bool asked, settled;
	struct dns_answer ans;		/* owned */
	enum dkv_key_outcome outcome;
	char *record;			/* owned: the TXT record chosen, joined */
	char why[96];			/* for outcomes other than FOUND */
	unsigned bits;			/* dkim_key_parse(): exact modulus bits, 0 unknown */
	bool testing;			/* t=y */
	enum dkim_key_type type;	/* k= (rsa when absent), as the record declares it */
	enum dkim_key_unsafe unsafe;	/* an unsafe RSA key: UNUSABLE, never verified with */
};

enum dkv_state { DKV_HEADER, DKV_BODY, DKV_DONE };

/* A header field kept until libopendkim is needed (dkim_verify.c, dkv_start). */
struct dkv_field {
	char *text;			/* owned: "Name:value", CRLF in folds */
	size_t len;
};

/* One message being verified. */
struct dkim_verify {
	struct dkim_verify_lib *lib;	/* borrowed */
	struct dkim *dkim;		/* owned: libopendkim's DKIM; NULL before a signature */
	char jobid[64];			/* given to libopendkim, which keeps the pointer */
	struct dkv_field *pending;	/* owned: fields before the first DKIM-Signature */
	size_t npending, pending_cap;
	bool start_failed;		/* libopendkim's handle could not be made (OOM) */
	enum dkv_state state;
	size_t header_bytes;		/* fed so far, after LF -> CRLF */
	bool too_big, oom;
	unsigned nfed;			/* DKIM-Signature fields fed as such (<= cap) */
	bool mapped;			/* libopendkim's list matches meta[] one to one */
	struct dkim_sig_meta *meta;	/* owned: cap entries, in header order */
	struct dkv_key *keys;		/* owned: cap entries */
	size_t nkeys;
	uint64_t deadline_ms;		/* for all key lookups; 0 before the first */
	int eoh_status;			/* DKIM_STAT of dkim_eoh() */
	struct dkim_verify_results res;	/* res.sigs owned: cap entries */
};

/* "<s>._domainkey.<d>" in lower case into out; -1 when it is no DNS name to ask. */
int dkv_key_name(const char *sel, const char *dom, char *out, size_t outlen);
/* The key slot for name, added when absent; NULL when the table (cap) is full. */
struct dkv_key *dkv_key_slot(struct dkim_verify *v, const char *name);
/* Ask the key source for every slot not asked yet, in one call, within the deadline. */
void dkv_keys_fetch(struct dkim_verify *v);
/*
 * Settle a slot from its answer: outcome, reason, the record for libopendkim; the
 * record's bits and t=y from lib's parsed records when it was seen before.
 */
void dkv_key_settle(struct dkim_verify_lib *lib, struct dkv_key *k);
/* Free the parsed records lib remembers (at library free; no other thread may use it). */
void dkv_parsed_clear(struct dkim_verify_lib *lib);

#endif
