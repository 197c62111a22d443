/*
 * metrics_milter.c - messages, verdicts, forged fields and the end-of-message wait in
 * the daemon's metrics (see metrics_milter.h).
 *
 * What can go wrong: nothing; a verdict word not in the catalogue is dropped by the
 * registry (util/metrics.c), which would be a catalogue to extend.
 */
#include "dns/dns.h"
#include "metrics_milter.h"
#include "util/metrics.h"

static _Thread_local uint64_t eom_start_ms;

/* End of message starts. */
void
metrics_eom_begin(void)
{
	eom_start_ms = dns_now_ms();
}

/* Forged fields deleted. */
void
metrics_forged_removed(size_t n)
{
	if (n > 0)
		metric_add(metrics_get(M_FORGED_REMOVED), 0, 0, n);
}

/* The verdict words of one message. */
void
metrics_verdicts(const struct verify_out *out, const struct dkim_verify_results *dr)
{
	metrics_count_words(M_VERDICTS, "spf", out->spf_done ?
	    spf_result_name(out->spf.result) : "none");
	metrics_count_words(M_VERDICTS, "dkim", dr ? dkim_verify_word(dr->summary) : "none");
	metrics_count_words(M_VERDICTS, "dmarc", out->dmarc_done ?
	    dmarc_verdict_word(out->dmarc.result) : "none");
}

/* Count the message and its end-of-message time. */
sfsistat
metrics_message_done(bool skipped, bool ok, sfsistat status)
{
	size_t outcome = skipped ? MSG_SKIPPED : MSG_ANNOTATED;

	if (status == SMFIS_REJECT)
		outcome = MSG_REJECTED;
	else if (status == SMFIS_TEMPFAIL)
		outcome = MSG_TEMPFAIL;
	else if (!ok)
		outcome = MSG_ERROR;
	metrics_count(M_MESSAGES, outcome, 0);
	if (eom_start_ms != 0)
		metrics_observe_ms(M_EOM_WAIT, dns_now_ms() - eom_start_ms);
	eom_start_ms = 0;
	return status;
}
