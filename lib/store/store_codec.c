/*
 * store_codec.c - the bytes of posture memory (store_codec.h): snapshots, learned
 * selectors, record history.
 *
 *   store_shape_init()
 *   store_encode_posture()   store_decode_posture()
 *   store_encode_selectors() store_decode_selectors()
 *   store_selectors_note()   store_selectors_expire()
 *   store_encode_history()   store_decode_history()   store_history_free()
 *
 * The format, every integer big-endian, every string a length and its bytes (no NUL):
 *
 *   header    "PM" schema:u8 kind:u8              kind 1 posture, 2 sel, 3 hist
 *   posture   catalogue:u32 config:u32 stored:u64 expire:u64 domain:str8 grade:u8
 *             PF_COUNT x (result:u8 fact:str8) ttl:u32 queries:u32 rounds:u32
 *             elapsed_ms:u32 nfindings:u16 x (code:u16 severity:u8 family:u8
 *             message:str16) nsel:u8 x selector:str8
 *   sel       n:u8 x (name:str8 first:u64 last:u64)
 *   hist      nrec:u8 x (name:str8 family:u8 nv:u8 x (value:str16 first:u64
 *             last:u64)) nfam:u8 (= PF_COUNT) x (result:u8 at:u64)
 *
 * Every value ends exactly where its last field does. A selector is what the cache's
 * rule (cache_selector_key()) makes of it, so memory and cache learn the same names.
 *
 * What can go wrong: the bytes come back from Redis or a disk, so they are untrusted.
 * They are read only through
 * the bounded reader (util/buf.h); counts are checked against their caps before
 * anything is allocated; enums are range-checked; strings must be printable ASCII
 * within their sizes. Another schema, kind, shape or family count is OTHER (a fleet
 * mid-upgrade); anything else wrong is BAD. Out of memory while decoding is BAD too
 * (the value is ignored either way). Encoders refuse (-1) what the decoders would.
 */
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "store/store_codec.h"
#include "util/buf.h"
#include "util/strbuf.h"

#define MAGIC "PM"
#define DOMAIN_MAX 253			/* RFC 1035 2.3.4, without the trailing dot */
#define FACT_MAX (sizeof(((struct posture_family_result *)0)->fact) - 1)

enum kind { KIND_POSTURE = 1, KIND_SELECTORS = 2, KIND_HISTORY = 3 };

_Static_assert(STORE_SELECTOR_MAX == CACHE_SELECTOR_MAX, "one selector rule, one size");

/* ---- writing ---- */

/* Append one byte. */
static void
put_u8(struct pt_sb *sb, unsigned v)
{
	char c = (char)(v & 0xff);

	pt_sb_appendn(sb, &c, 1);
}

/* Append a big-endian integer of n bytes. */
static void
put_be(struct pt_sb *sb, uint64_t v, unsigned n)
{
	char b[8];
	unsigned i;

	for (i = 0; i < n; i++)
		b[i] = (char)(v >> (8 * (n - 1 - i)) & 0xff);
	pt_sb_appendn(sb, b, n);
}

/* Append len bytes of s (len fits the prefix width) with '?' for non-printables. */
static void
put_str(struct pt_sb *sb, const char *s, size_t len, unsigned width)
{
	size_t i;

	put_be(sb, len, width);
	for (i = 0; i < len; i++) {
		char c = s[i];

		pt_sb_appendn(sb, c >= 0x20 && c <= 0x7e ? &c : "?", 1);
	}
}

/* Start a value of kind. */
static void
put_header(struct pt_sb *sb, enum kind kind)
{
	pt_sb_appendn(sb, MAGIC, 2);
	put_u8(sb, STORE_SCHEMA);
	put_u8(sb, kind);
}

/* Hand the bytes over; -1 on OOM or a value over STORE_VALUE_MAX. */
static int
put_finish(struct pt_sb *sb, uint8_t **out, size_t *len)
{
	size_t n = sb->len;

	if (sb->oom || n > STORE_VALUE_MAX) {
		pt_sb_free(sb);
		return -1;
	}
	*out = (uint8_t *)pt_sb_take(sb);
	*len = n;
	return *out != NULL ? 0 : -1;
}

/* ---- reading ---- */

/* Whether n bytes are printable ASCII (space to tilde). */
static bool
printable(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/*
 * Read a string with a width-byte length of min..max printable bytes into out (room
 * for max + 1), NUL-terminated. 0, or -1 when it is not there or breaks those rules.
 */
static int
get_str(struct pt_buf *b, unsigned width, size_t min, size_t max, char *out)
{
	const uint8_t *p;
	uint16_t n16;
	uint8_t n8;
	size_t n;

	if (width == 1) {
		if (pt_buf_u8(b, &n8) < 0)
			return -1;
		n = n8;
	} else {
		if (pt_buf_u16(b, &n16) < 0)
			return -1;
		n = n16;
	}
	if (n < min || n > max || pt_buf_take(b, n, &p) < 0 || !printable(p, n))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* get_str() into a new string; NULL when it fails or out of memory. */
static char *
get_str_dup(struct pt_buf *b, unsigned width, size_t min, size_t max)
{
	char *s = malloc(max + 1);

	if (s != NULL && get_str(b, width, min, max, s) < 0) {
		free(s);
		s = NULL;
	}
	return s;
}

/* Read the header of a value of kind; OK, OTHER or BAD. */
static enum store_decode
get_header(struct pt_buf *b, size_t len, enum kind kind)
{
	uint8_t magic[2], schema, k;

	if (len > STORE_VALUE_MAX)
		return STORE_DECODE_BAD;
	if (pt_buf_bytes(b, magic, 2) < 0 || memcmp(magic, MAGIC, 2) != 0 ||
	    pt_buf_u8(b, &schema) < 0)
		return STORE_DECODE_BAD;
	if (schema != STORE_SCHEMA)
		return STORE_DECODE_OTHER;
	if (pt_buf_u8(b, &k) < 0)
		return STORE_DECODE_BAD;
	return k == kind ? STORE_DECODE_OK : STORE_DECODE_OTHER;
}

/* ---- shape ---- */

/* FNV-1a (32 bits) of n bytes, continuing from h. */
static uint32_t
fnv1a32(uint32_t h, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* The catalogue hash of this build, and config as given. */
void
store_shape_init(struct store_shape *shape, uint32_t config)
{
	uint32_t h = 2166136261u;
	uint8_t b[2];
	unsigned c;

	b[0] = PF_COUNT;
	b[1] = PC_COUNT & 0xff;
	h = fnv1a32(h, b, 2);
	for (c = 0; c < PC_COUNT; c++) {
		const char *name = posture_code_name((enum posture_code)c);

		/* The NUL ends each name, so "AB"+"C" and "A"+"BC" differ. */
		h = fnv1a32(h, name, strlen(name) + 1);
		b[0] = (uint8_t)posture_code_family((enum posture_code)c);
		b[1] = (uint8_t)posture_code_severity((enum posture_code)c);
		h = fnv1a32(h, b, 2);
	}
	shape->catalogue = h;
	shape->config = config;
}

/* ---- posture snapshots ---- */

/* Whether a snapshot can be written so that it decodes again. */
static bool
posture_encodable(const struct posture_eval *ev)
{
	size_t i, dlen = strnlen(ev->domain, sizeof(ev->domain));

	if (ev->error != NULL || ev->nfindings > STORE_FINDINGS_MAX || dlen == 0 ||
	    dlen > DOMAIN_MAX || !printable((const uint8_t *)ev->domain, dlen))
		return false;
	for (i = 0; i < PF_COUNT; i++)
		if ((unsigned)ev->family[i].result > PR_TEMPERROR)
			return false;
	for (i = 0; i < ev->nfindings; i++) {
		const struct posture_finding *f = &ev->findings[i];

		if ((unsigned)f->code >= PC_COUNT || (unsigned)f->severity > SEV_ERROR ||
		    !posture_code_family_ok(f->code, f->family))
			return false;
	}
	if (ev->nselectors > POSTURE_MAX_SELECTORS)
		return false;
	for (i = 0; i < ev->nselectors; i++) {
		size_t n = strnlen(ev->selectors[i], POSTURE_SELECTOR_MAX + 1);

		if (n == 0 || n > POSTURE_SELECTOR_MAX ||
		    !printable((const uint8_t *)ev->selectors[i], n))
			return false;
	}
	return ev->grade == 0 || (ev->grade >= 'A' && ev->grade <= 'F');
}

/* Encode a snapshot. */
int
store_encode_posture(const struct posture_eval *ev, const struct store_shape *shape,
		     uint64_t stored_s, uint64_t expire_s, uint8_t **out, size_t *len)
{
	struct pt_sb sb;
	size_t i, n;

	*out = NULL;
	*len = 0;
	if (ev == NULL || shape == NULL || !posture_encodable(ev))
		return -1;
	pt_sb_init(&sb);
	put_header(&sb, KIND_POSTURE);
	put_be(&sb, shape->catalogue, 4);
	put_be(&sb, shape->config, 4);
	put_be(&sb, stored_s, 8);
	put_be(&sb, expire_s, 8);
	put_str(&sb, ev->domain, strlen(ev->domain), 1);
	put_u8(&sb, (unsigned char)ev->grade);
	for (i = 0; i < PF_COUNT; i++) {
		put_u8(&sb, ev->family[i].result);
		n = strnlen(ev->family[i].fact, FACT_MAX);
		put_str(&sb, ev->family[i].fact, n, 1);
	}
	put_be(&sb, ev->ttl, 4);
	put_be(&sb, ev->dns.queries, 4);
	put_be(&sb, ev->dns.rounds, 4);
	put_be(&sb, ev->dns.elapsed_ms, 4);
	put_be(&sb, ev->nfindings, 2);
	for (i = 0; i < ev->nfindings; i++) {
		const struct posture_finding *f = &ev->findings[i];
		const char *msg = f->message != NULL ? f->message : "";

		put_be(&sb, f->code, 2);
		put_u8(&sb, f->severity);
		put_u8(&sb, f->family);
		put_str(&sb, msg, strnlen(msg, STORE_MESSAGE_MAX), 2);
	}
	put_u8(&sb, (unsigned char)ev->nselectors);
	for (i = 0; i < ev->nselectors; i++)
		put_str(&sb, ev->selectors[i], strlen(ev->selectors[i]), 1);
	return put_finish(&sb, out, len);
}

/* Read the findings of a snapshot into ev; 0, or -1 when malformed or OOM. */
static int
get_findings(struct pt_buf *b, struct posture_eval *ev)
{
	uint16_t n, code;
	uint8_t sev, fam;
	size_t i;

	if (pt_buf_u16(b, &n) < 0 || n > STORE_FINDINGS_MAX)
		return -1;
	if (n == 0)
		return 0;
	if ((ev->findings = calloc(n, sizeof(*ev->findings))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct posture_finding *f = &ev->findings[i];

		if (pt_buf_u16(b, &code) < 0 || pt_buf_u8(b, &sev) < 0 ||
		    pt_buf_u8(b, &fam) < 0)
			return -1;
		if (code >= PC_COUNT || sev > SEV_ERROR ||
		    !posture_code_family_ok((enum posture_code)code, (enum posture_family)fam))
			return -1;
		f->code = (enum posture_code)code;
		f->severity = (enum posture_severity)sev;
		f->family = (enum posture_family)fam;
		if ((f->message = get_str_dup(b, 2, 0, STORE_MESSAGE_MAX)) == NULL)
			return -1;
		ev->nfindings = i + 1;	/* posture_eval_free() frees what was read */
	}
	return 0;
}

/* Read a snapshot's body after its shape; 0, or -1 when malformed or OOM. */
static int
get_posture(struct pt_buf *b, const char *want_domain, struct posture_eval *ev,
	    uint64_t *stored, uint64_t *expire)
{
	uint8_t grade, res;
	size_t i;

	if (pt_buf_u64(b, stored) < 0 || pt_buf_u64(b, expire) < 0 ||
	    get_str(b, 1, 1, DOMAIN_MAX, ev->domain) < 0)
		return -1;
	if (want_domain != NULL && strcmp(ev->domain, want_domain) != 0)
		return -1;
	memcpy(ev->input, ev->domain, sizeof(ev->input));
	if (pt_buf_u8(b, &grade) < 0 || (grade != 0 && (grade < 'A' || grade > 'F')))
		return -1;
	ev->grade = (char)grade;
	for (i = 0; i < PF_COUNT; i++) {
		if (pt_buf_u8(b, &res) < 0 || res > PR_TEMPERROR ||
		    get_str(b, 1, 0, FACT_MAX, ev->family[i].fact) < 0)
			return -1;
		ev->family[i].result = (enum posture_result)res;
	}
	if (pt_buf_u32(b, &ev->ttl) < 0 || pt_buf_u32(b, &ev->dns.queries) < 0 ||
	    pt_buf_u32(b, &ev->dns.rounds) < 0 || pt_buf_u32(b, &ev->dns.elapsed_ms) < 0)
		return -1;
	if (get_findings(b, ev) < 0 || pt_buf_u8(b, &res) < 0 || res > POSTURE_MAX_SELECTORS)
		return -1;
	for (i = 0; i < res; i++)
		if (get_str(b, 1, 1, POSTURE_SELECTOR_MAX, ev->selectors[i]) < 0)
			return -1;
	ev->nselectors = res;
	return pt_buf_remaining(b) == 0 ? 0 : -1;
}

/* Decode a snapshot of the wanted shape. */
enum store_decode
store_decode_posture(const uint8_t *p, size_t len, const struct store_shape *want,
		     const char *want_domain, struct posture_eval **ev, uint64_t *stored_s,
		     uint64_t *expire_s)
{
	struct posture_eval *e;
	struct pt_buf b;
	enum store_decode rc;
	uint32_t cat, cfg;
	uint64_t stored = 0, expire = 0;

	*ev = NULL;
	pt_buf_init(&b, p, len);
	if ((rc = get_header(&b, len, KIND_POSTURE)) != STORE_DECODE_OK)
		return rc;
	if (pt_buf_u32(&b, &cat) < 0 || pt_buf_u32(&b, &cfg) < 0)
		return STORE_DECODE_BAD;
	if (cat != want->catalogue || cfg != want->config)
		return STORE_DECODE_OTHER;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return STORE_DECODE_BAD;
	if (get_posture(&b, want_domain, e, &stored, &expire) < 0) {
		posture_eval_free(e);
		return STORE_DECODE_BAD;
	}
	*ev = e;
	if (stored_s != NULL)
		*stored_s = stored;
	if (expire_s != NULL)
		*expire_s = expire;
	return STORE_DECODE_OK;
}

/* ---- learned selectors ---- */

/* Whether name is a selector as note() stores it: usable and lower case already. */
static bool
selector_stored_form(const char *name)
{
	char folded[STORE_SELECTOR_MAX + 1];

	return cache_selector_key(name, folded) != 0 && strcmp(folded, name) == 0;
}

/* Encode a selector list. */
int
store_encode_selectors(const struct store_selectors *s, uint8_t **out, size_t *len)
{
	struct pt_sb sb;
	size_t i;

	*out = NULL;
	*len = 0;
	if (s == NULL || s->n > STORE_MAX_SELECTORS)
		return -1;
	for (i = 0; i < s->n; i++)
		if (!selector_stored_form(s->sel[i].name))
			return -1;
	pt_sb_init(&sb);
	put_header(&sb, KIND_SELECTORS);
	put_u8(&sb, (unsigned)s->n);
	for (i = 0; i < s->n; i++) {
		put_str(&sb, s->sel[i].name, strlen(s->sel[i].name), 1);
		put_be(&sb, s->sel[i].first_s, 8);
		put_be(&sb, s->sel[i].last_s, 8);
	}
	return put_finish(&sb, out, len);
}

/* Decode a selector list. */
enum store_decode
store_decode_selectors(const uint8_t *p, size_t len, struct store_selectors *out)
{
	struct pt_buf b;
	enum store_decode rc;
	uint8_t n;
	size_t i;

	memset(out, 0, sizeof(*out));
	pt_buf_init(&b, p, len);
	if ((rc = get_header(&b, len, KIND_SELECTORS)) != STORE_DECODE_OK)
		return rc;
	if (pt_buf_u8(&b, &n) < 0 || n > STORE_MAX_SELECTORS)
		return STORE_DECODE_BAD;
	for (i = 0; i < n; i++) {
		struct store_selector *sel = &out->sel[i];

		if (get_str(&b, 1, 1, STORE_SELECTOR_MAX, sel->name) < 0 ||
		    !selector_stored_form(sel->name) || pt_buf_u64(&b, &sel->first_s) < 0 ||
		    pt_buf_u64(&b, &sel->last_s) < 0)
			goto bad;
	}
	if (pt_buf_remaining(&b) != 0)
		goto bad;
	out->n = n;
	return STORE_DECODE_OK;
bad:
	memset(out, 0, sizeof(*out));
	return STORE_DECODE_BAD;
}

/* Note a verified selector: refresh or add it at the front. */
bool
store_selectors_note(struct store_selectors *s, const char *selector, uint64_t now_s)
{
	struct store_selector cur;
	char name[STORE_SELECTOR_MAX + 1];
	size_t i, oldest = 0;

	if (cache_selector_key(selector, name) == 0)
		return false;
	if (s->n > STORE_MAX_SELECTORS)
		s->n = STORE_MAX_SELECTORS;
	for (i = 0; i < s->n && strcmp(s->sel[i].name, name) != 0; i++)
		;
	if (i < s->n) {
		cur = s->sel[i];
		if (now_s > cur.last_s)
			cur.last_s = now_s;
		if (now_s < cur.first_s)
			cur.first_s = now_s;
	} else {
		if (s->n == STORE_MAX_SELECTORS) {
			for (i = 1; i < s->n; i++)
				if (s->sel[i].last_s < s->sel[oldest].last_s)
					oldest = i;
			memmove(&s->sel[oldest], &s->sel[oldest + 1],
				(s->n - oldest - 1) * sizeof(s->sel[0]));
			s->n--;
		}
		memset(&cur, 0, sizeof(cur));
		memcpy(cur.name, name, sizeof(name));
		cur.first_s = cur.last_s = now_s;
		i = s->n++;
	}
	memmove(&s->sel[1], &s->sel[0], i * sizeof(s->sel[0]));
	s->sel[0] = cur;
	return true;
}

/* Drop selectors last seen before cutoff_s, keeping the order of the others. */
void
store_selectors_expire(struct store_selectors *s, uint64_t cutoff_s)
{
	size_t i, kept = 0;

	for (i = 0; i < s->n && i < STORE_MAX_SELECTORS; i++)
		if (s->sel[i].last_s >= cutoff_s)
			s->sel[kept++] = s->sel[i];
	s->n = kept;
}

/* ---- record history ---- */

/* Whether a record name can be stored: 1..STORE_RECORD_NAME_MAX printable bytes. */
static bool
record_name_ok(const char *name)
{
	size_t n = name != NULL ? strnlen(name, STORE_RECORD_NAME_MAX + 1) : 0;

	return n > 0 && n <= STORE_RECORD_NAME_MAX && printable((const uint8_t *)name, n);
}

/* Whether a history can be written so that it decodes again. */
static bool
history_encodable(const struct store_history *h)
{
	size_t i;

	if (h->nrec > STORE_HISTORY_RECORDS || (h->nrec > 0 && h->rec == NULL))
		return false;
	for (i = 0; i < h->nrec; i++) {
		const struct store_record *r = &h->rec[i];

		if (!record_name_ok(r->name) || (unsigned)r->family >= PF_COUNT ||
		    r->nv > STORE_HISTORY_VERSIONS_MAX || (r->nv > 0 && r->v == NULL))
			return false;
	}
	for (i = 0; i < PF_COUNT; i++)
		if ((unsigned)h->last_result[i] > PR_TEMPERROR)
			return false;
	return true;
}

/* Encode a history. */
int
store_encode_history(const struct store_history *h, uint8_t **out, size_t *len)
{
	struct pt_sb sb;
	size_t i, j;

	*out = NULL;
	*len = 0;
	if (h == NULL || !history_encodable(h))
		return -1;
	pt_sb_init(&sb);
	put_header(&sb, KIND_HISTORY);
	put_u8(&sb, (unsigned)h->nrec);
	for (i = 0; i < h->nrec && !sb.oom && sb.len <= STORE_VALUE_MAX; i++) {
		const struct store_record *r = &h->rec[i];

		put_str(&sb, r->name, strlen(r->name), 1);
		put_u8(&sb, r->family);
		put_u8(&sb, (unsigned)r->nv);
		for (j = 0; j < r->nv; j++) {
			const char *v = r->v[j].value != NULL ? r->v[j].value : "";

			put_str(&sb, v, strnlen(v, STORE_RECORD_VALUE_MAX), 2);
			put_be(&sb, r->v[j].first_s, 8);
			put_be(&sb, r->v[j].last_s, 8);
		}
	}
	put_u8(&sb, PF_COUNT);
	for (i = 0; i < PF_COUNT; i++) {
		put_u8(&sb, h->last_result[i]);
		put_be(&sb, h->last_result_s[i], 8);
	}
	return put_finish(&sb, out, len);
}

/* Read one record into r (zeroed); 0, or -1 when malformed or OOM. */
static int
get_record(struct pt_buf *b, struct store_record *r)
{
	uint8_t fam, nv;
	size_t j;

	if ((r->name = get_str_dup(b, 1, 1, STORE_RECORD_NAME_MAX)) == NULL ||
	    pt_buf_u8(b, &fam) < 0 || fam >= PF_COUNT || pt_buf_u8(b, &nv) < 0 ||
	    nv > STORE_HISTORY_VERSIONS_MAX)
		return -1;
	r->family = (enum posture_family)fam;
	if (nv == 0)
		return 0;
	if ((r->v = calloc(nv, sizeof(*r->v))) == NULL)
		return -1;
	for (j = 0; j < nv; j++) {
		struct store_version *v = &r->v[j];

		if ((v->value = get_str_dup(b, 2, 0, STORE_RECORD_VALUE_MAX)) == NULL)
			return -1;
		r->nv = j + 1;	/* store_history_free() frees what was read */
		if (pt_buf_u64(b, &v->first_s) < 0 || pt_buf_u64(b, &v->last_s) < 0)
			return -1;
	}
	return 0;
}

/* Decode a history. */
enum store_decode
store_decode_history(const uint8_t *p, size_t len, struct store_history *out)
{
	struct pt_buf b;
	enum store_decode rc;
	uint8_t nrec, nfam, res;
	size_t i;

	memset(out, 0, sizeof(*out));
	pt_buf_init(&b, p, len);
	if ((rc = get_header(&b, len, KIND_HISTORY)) != STORE_DECODE_OK)
		return rc;
	rc = STORE_DECODE_BAD;
	if (pt_buf_u8(&b, &nrec) < 0 || nrec > STORE_HISTORY_RECORDS)
		goto done;
	if (nrec > 0 && (out->rec = calloc(nrec, sizeof(*out->rec))) == NULL)
		goto done;
	for (i = 0; i < nrec; i++) {
		out->nrec = i + 1;
		if (get_record(&b, &out->rec[i]) < 0)
			goto done;
	}
	if (pt_buf_u8(&b, &nfam) < 0)
		goto done;
	if (nfam != PF_COUNT) {
		rc = STORE_DECODE_OTHER;	/* a build with other families */
		goto done;
	}
	for (i = 0; i < PF_COUNT; i++) {
		if (pt_buf_u8(&b, &res) < 0 || res > PR_TEMPERROR ||
		    pt_buf_u64(&b, &out->last_result_s[i]) < 0)
			goto done;
		out->last_result[i] = (enum posture_result)res;
	}
	if (pt_buf_remaining(&b) == 0)
		rc = STORE_DECODE_OK;
done:
	if (rc != STORE_DECODE_OK)
		store_history_free(out);	/* nothing half-read is handed out */
	return rc;
}

/* Free what a history owns and empty it. */
void
store_history_free(struct store_history *h)
{
	size_t i, j;

	if (h == NULL)
		return;
	for (i = 0; i < h->nrec && h->rec != NULL; i++) {
		for (j = 0; j < h->rec[i].nv; j++)
			free(h->rec[i].v[j].value);
		free(h->rec[i].v);
		free(h->rec[i].name);
	}
	free(h->rec);
	memset(h, 0, sizeof(*h));
}
