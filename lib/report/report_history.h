/*
 * report_history.h - what posture memory remembers of a domain's records, as reports
 * (posture-check --history DOMAIN).
 *
 *   posture_history_text()  each record: what it is and where it lives, its versions
 *                           newest first with first and last seen, then the last
 *                           result per family
 *   posture_history_json()  the same as one JSON object
 *
 * The history is what store_decode_history() (store/store_codec.h) read back, or what
 * history_track() (eval/history.h) left: values are printed sanitized, long ones cut.
 */
#ifndef POSTURE_REPORT_HISTORY_H
#define POSTURE_REPORT_HISTORY_H

#include "store/store_codec.h"

/*
 * A report for a terminal, lines under 80 columns but for long names; times UTC as
 * "YYYY-MM-DD HH:MM". The caller frees it; NULL when out of memory.
 */
char *posture_history_text(const char *domain, const struct store_history *h);
/*
 * One JSON object, newline-terminated: {"domain", "records": [{"name", "family",
 * "versions": [{"value", "first_seen", "last_seen"}]}], "results": {family:
 * {"result", "at"}}}, times as RFC 3339 UTC strings ("2026-12-07T10:15:00Z"); families
 * with no result remembered are left out. The caller frees it; NULL when out of memory.
 */
char *posture_history_json(const char *domain, const struct store_history *h);

#endif
