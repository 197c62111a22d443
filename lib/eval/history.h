/*
 * history.h - change tracking: an evaluation compared with what posture memory
 * remembers of the domain's records (store_codec.h, struct store_history).
 *
 *   history_track()   compare, note, raise RECORD_CHANGED / POSTURE_WEAKENED /
 *                     DKIM_KEY_STALE in the evaluation, regrade it
 *   history_record_what()  what a record is and where it lives, for messages and
 *                     reports ("DMARC record at _dmarc.example.com")
 *   history_format_time()  wall-clock seconds as messages and reports write them
 *
 * Pure: no store, no clock of its own (now_s is given), so every rule is unit-tested
 * with injected time. The caller reads the history, calls this, writes it back.
 */
#ifndef POSTURE_HISTORY_H
#define POSTURE_HISTORY_H

#include <stdint.h>

#include "posture.h"
#include "store/store_codec.h"

#define HISTORY_VERSIONS_DEFAULT 10	/* HistoryVersions: versions kept per record */
#define HISTORY_STALE_S (365u * 86400u)	/* DKIM_KEY_STALE: a key unchanged this long */

/*
 * Compare ev's records (ev->records) and family results with h, then update h:
 * - a record whose canonical value was never seen before (none of its kept versions)
 *   raises RECORD_CHANGED in the record's family, naming the record, when the previous
 *   value was last seen, and the old and new values (sanitized, shortened); a value
 *   seen before (a record that alternates: split views, rotating answers) only
 *   refreshes that version's last seen (damping). A record seen for the first time
 *   raises nothing. A record not in ev (its lookup failed) is left as it was.
 * - a family whose result is worse than the last one remembered (ok -> weak, broken or
 *   none; weak -> broken or none) raises POSTURE_WEAKENED in that family; results
 *   temperror, unknown and not checked are neither compared nor remembered.
 * - a DKIM key ("dkim:<selector>") whose current value was first seen more than
 *   HISTORY_STALE_S before now_s raises DKIM_KEY_STALE (dkim family).
 * Versions are kept newest first, at most versions_max (1..STORE_HISTORY_VERSIONS_MAX)
 * per record, at most STORE_HISTORY_RECORDS records (the least recently seen go).
 * ev->grade is recomputed when findings were added. Nothing is done for an evaluation
 * with ev->error set. Returns the number of findings added, or -1 out of memory (ev
 * and h are then still valid, perhaps partly updated).
 */
int history_track(struct store_history *h, struct posture_eval *ev, uint64_t now_s,
		  unsigned versions_max);

/*
 * Write into out (size outlen, always terminated, cut to fit) what the record named
 * name of domain is and where it lives: "MX set of D", "SPF record at D", "DMARC
 * record at _dmarc.D", "DKIM key at SEL._domainkey.D", "MTA-STS record at _mta-sts.D",
 * "MTA-STS policy of D", "TLS-RPT record at _smtp._tls.D", "BIMI record at
 * default._bimi.D", else "record NAME of D". Untrusted bytes are sanitized.
 */
void history_record_what(const char *name, const char *domain, char *out, size_t outlen);

enum history_time {
	HISTORY_TIME_DATE,		/* "2026-12-07" */
	HISTORY_TIME_MINUTE,		/* "2026-12-07 10:15" (UTC) */
	HISTORY_TIME_RFC3339		/* "2026-12-07T10:15:00Z" */
};
/* Write wall-clock seconds s in UTC into out (times past 9999 read as its end). */
void history_format_time(uint64_t s, enum history_time how, char *out, size_t outlen);

#endif
