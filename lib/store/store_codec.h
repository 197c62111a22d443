/*
 * store_codec.h - the bytes of what posture memory keeps (store.h): posture snapshots,
 * learned selectors and record history, encoded for LMDB and Redis alike.
 *
 *   store_encode_posture()   / store_decode_posture()
 *   store_encode_selectors() / store_decode_selectors()
 *   store_encode_history()   / store_decode_history()   store_history_free()
 *   store_shape_init()       what shaped a snapshot (catalogue and configuration)
 *
 * Every value starts with a header: magic "PM", the schema version (STORE_SCHEMA), the
 * kind, and for snapshots the shape. A value of another schema, kind or shape decodes
 * as STORE_DECODE_OTHER (a fleet mid-upgrade ignores what it cannot use and never
 * misreads it); bytes that break the format decode as STORE_DECODE_BAD. Decoders are
 * bounded by the length given, check every count before allocating, and accept only
 * printable ASCII in strings: values from Redis are untrusted input (fuzz_store_codec).
 */
#ifndef POSTURE_STORE_CODEC_H
#define POSTURE_STORE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "posture.h"
#include "store/store.h"

enum store_decode {
	STORE_DECODE_OK = 0,
	STORE_DECODE_OTHER = 1,		/* another schema, kind or shape: ignore */
	STORE_DECODE_BAD = -1,		/* malformed (or out of memory): ignore, log */
};

/*
 * What shaped a snapshot: the finding-code catalogue (a hash of every code's name,
 * family and severity, in order) and the configuration that changes results (a hash
 * the caller computes over Selectors and any other such key). Snapshots of another
 * shape are not used.
 */
struct store_shape {
	uint32_t catalogue;
	uint32_t config;
};

/* The catalogue hash of this build, and config as given. */
void store_shape_init(struct store_shape *shape, uint32_t config);

/* ---- posture snapshots ---- */

#define STORE_FINDINGS_MAX 256		/* a snapshot with more findings is not kept */
#define STORE_MESSAGE_MAX 2048		/* a finding message longer than this is cut */

/*
 * Encode ev (error must be NULL: failures are not kept) with the wall-clock times it
 * was stored and expires. *out is malloc()ed. 0, or -1 on OOM, a value over
 * STORE_VALUE_MAX, or an evaluation the decoder would refuse (more than
 * STORE_FINDINGS_MAX findings, a code, family or severity out of range, a domain that
 * is empty, longer than 253 or not printable). Messages are cut at STORE_MESSAGE_MAX
 * and their non-printable bytes (like those of facts) written as '?'.
 */
int store_encode_posture(const struct posture_eval *ev, const struct store_shape *shape,
			 uint64_t stored_s, uint64_t expire_s, uint8_t **out, size_t *len);
/*
 * Decode a snapshot of the wanted shape into a new posture_eval (posture_eval_free()),
 * *ev NULL unless OK; ev->input is set to the domain. Every code, family, severity and
 * result is range-checked; messages and facts must be printable ASCII within their
 * sizes; the domain must equal want_domain (NULL: any, for tools and the fuzz harness),
 * else BAD: a value under another domain's key is broken, not another version.
 * stored_s and expire_s may be NULL.
 */
enum store_decode store_decode_posture(const uint8_t *p, size_t len,
				       const struct store_shape *want, const char *want_domain,
				       struct posture_eval **ev, uint64_t *stored_s,
				       uint64_t *expire_s);

/* ---- learned selectors ---- */

#define STORE_MAX_SELECTORS 16		/* per domain; the least recently seen goes first */
#define STORE_SELECTOR_MAX 63		/* longer selectors are not learned (= CACHE_SELECTOR_MAX) */

struct store_selector {
	char name[STORE_SELECTOR_MAX + 1];	/* a DNS label sequence, lower case */
	uint64_t first_s, last_s;		/* wall-clock seconds: first and last verified */
};

struct store_selectors {
	struct store_selector sel[STORE_MAX_SELECTORS];
	size_t n;
};

/* Encode; -1 on OOM or a list the decoder would refuse (n too big, a bad name). */
int store_encode_selectors(const struct store_selectors *s, uint8_t **out, size_t *len);
/* Decode into *out (emptied first). Names must be usable selectors, as note() wants. */
enum store_decode store_decode_selectors(const uint8_t *p, size_t len,
					 struct store_selectors *out);
/*
 * Note that selector verified at now_s: refresh its last_s, or add it (evicting the
 * least recently seen when full); either way it moves to the front (most recent
 * first). The name is lower-cased; a usable selector is 1..STORE_SELECTOR_MAX of
 * letters, digits, '-', '_' and '.' (the cache's rule). false when it is not one.
 * A clock that steps back never makes first_s later than last_s.
 */
bool store_selectors_note(struct store_selectors *s, const char *selector, uint64_t now_s);
/* Drop selectors last seen before cutoff_s. */
void store_selectors_expire(struct store_selectors *s, uint64_t cutoff_s);

/* ---- record history ---- */

#define STORE_HISTORY_RECORDS 64	/* records kept per domain */
#define STORE_HISTORY_VERSIONS_MAX 100	/* HistoryVersions' upper bound */
#define STORE_RECORD_VALUE_MAX 4096	/* a canonical value longer than this is cut */
#define STORE_RECORD_NAME_MAX 80

struct store_version {
	char *value;			/* owned: canonical form, printable ASCII */
	uint64_t first_s, last_s;	/* wall-clock seconds this value was first/last seen */
};

/*
 * One record of a domain, e.g. name "mx" (family MX), "spf", "dmarc", "dkim:s1",
 * "mta-sts:txt", "mta-sts:policy", "tls-rpt", "bimi": its versions, newest first.
 */
struct store_record {
	char *name;			/* owned, printable ASCII, 1..STORE_RECORD_NAME_MAX */
	enum posture_family family;
	struct store_version *v;	/* owned array */
	size_t nv;
};

struct store_history {
	struct store_record *rec;	/* owned array */
	size_t nrec;
	/* The last result seen per family (PR_NOT_CHECKED: none yet) and when. */
	enum posture_result last_result[PF_COUNT];
	uint64_t last_result_s[PF_COUNT];
};

/*
 * Encode; -1 on OOM, a value over STORE_VALUE_MAX (too many long versions: the caller
 * keeps fewer), or a history the decoder would refuse (counts over the caps, a name
 * empty, over 80 bytes or not printable, a family or result out of range). Values
 * over STORE_RECORD_VALUE_MAX are cut, their non-printable bytes written as '?'.
 */
int store_encode_history(const struct store_history *h, uint8_t **out, size_t *len);
/* Decode into *out (zeroed first; store_history_free() it whatever the result). */
enum store_decode store_decode_history(const uint8_t *p, size_t len,
				       struct store_history *out);
void store_history_free(struct store_history *h);

#endif
