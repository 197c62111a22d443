/*
 * codes.c - names, families and default severities of finding codes, and the
 * words of the reports (ARCHITECTURE.md, Findings).
 */
#include "posture.h"

#define CODE_NAME(code, fam, sev) #code,
static const char *const code_names[PC_COUNT] = { POSTURE_CODE_LIST(CODE_NAME) };
#undef CODE_NAME

#define CODE_FAMILY(code, fam, sev) PF_##fam,
static const enum posture_family code_families[PC_COUNT] = {
	POSTURE_CODE_LIST(CODE_FAMILY)
};
#undef CODE_FAMILY

#define CODE_SEVERITY(code, fam, sev) SEV_##sev,
static const enum posture_severity code_severities[PC_COUNT] = {
	POSTURE_CODE_LIST(CODE_SEVERITY)
};
#undef CODE_SEVERITY

/* The code as users filter on it: "SPF_TOO_MANY_LOOKUPS". */
const char *
posture_code_name(enum posture_code code)
{
	return (unsigned)code < PC_COUNT ? code_names[code] : "UNKNOWN";
}

/* The family a code belongs to; PF_ANY when its raiser sets it. */
enum posture_family
posture_code_family(enum posture_code code)
{
	return (unsigned)code < PC_COUNT ? code_families[code] : PF_MX;
}

/* Whether a finding of code may carry family fam. */
bool
posture_code_family_ok(enum posture_code code, enum posture_family fam)
{
	enum posture_family want = posture_code_family(code);

	if ((unsigned)code >= PC_COUNT || (unsigned)fam >= PF_COUNT)
		return false;
	return want == PF_ANY || want == fam;
}

/* The severity a code has unless its check decides otherwise. */
enum posture_severity
posture_code_severity(enum posture_code code)
{
	return (unsigned)code < PC_COUNT ? code_severities[code] : SEV_ERROR;
}

/* Family names as the header and the JSON spell them. */
const char *
posture_family_name(enum posture_family fam)
{
	static const char *const names[PF_COUNT] = {
		"mx", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "bimi", "dnssec", "dane"
	};

	if (fam == PF_ANY)
		return "any";
	return (unsigned)fam < PF_COUNT ? names[fam] : "unknown";
}

/* Posture result words: never pass/fail, which belong to message verification. */
const char *
posture_result_word(enum posture_result res)
{
	switch (res) {
	case PR_OK:		return "ok";
	case PR_WEAK:		return "weak";
	case PR_BROKEN:		return "broken";
	case PR_NONE:		return "none";
	case PR_UNKNOWN:	return "unknown";
	case PR_TEMPERROR:	return "temperror";
	case PR_NOT_CHECKED:	break;
	}
	return "not-checked";
}

/* Severity words. */
const char *
posture_severity_word(enum posture_severity sev)
{
	switch (sev) {
	case SEV_INFO:	return "info";
	case SEV_WARN:	return "warn";
	case SEV_ERROR:	return "error";
	}
	return "error";
}
