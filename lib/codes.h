/*
 * codes.h - the catalogue of finding codes.
 *
 * Codes are part of the interface (header, logs, JSON): never rename one, only add.
 * Each entry: code, family, default severity. A check may raise a finding at another
 * severity where the context decides (eval_finding_sev(), eval/eval.h). Family ANY
 * (PF_ANY) marks a code whose raiser sets the family: change tracking raises it in the
 * family of the record that changed (eval/history.c); a finding always has a real one.
 */
#ifndef POSTURE_CODES_H
#define POSTURE_CODES_H

#define POSTURE_CODE_LIST(X) \
	X(MX_NONE,                  MX,    WARN)  \
	X(MX_NO_MAIL_HOST,          MX,    ERROR) \
	X(MX_NULL,                  MX,    ERROR) \
	X(MX_NULL_MIXED,            MX,    ERROR) \
	X(MX_SINGLE,                MX,    INFO)  \
	X(MX_CNAME,                 MX,    WARN)  \
	X(MX_IP_LITERAL,            MX,    ERROR) \
	X(MX_NO_ADDRESS,            MX,    WARN)  \
	X(MX_PRIVATE_ADDRESS,       MX,    WARN)  \
	X(MX_DUPLICATE,             MX,    WARN)  \
	X(MX_NOLISTING,             MX,    WARN)  \
	X(MX_TTL_LOW,               MX,    INFO)  \
	X(MX_TTL_HIGH,              MX,    INFO)  \
	X(MX_NXDOMAIN,              MX,    ERROR) \
	X(SPF_NONE,                 SPF,   WARN)  \
	X(SPF_MULTIPLE,             SPF,   ERROR) \
	X(SPF_SYNTAX,               SPF,   ERROR) \
	X(SPF_TOO_MANY_LOOKUPS,     SPF,   ERROR) \
	X(SPF_LOOKUPS_NEAR_LIMIT,   SPF,   WARN)  \
	X(SPF_TOO_MANY_VOID_LOOKUPS, SPF,  ERROR) \
	X(SPF_MX_TOO_MANY_HOSTS,    SPF,   ERROR) \
	X(SPF_PASS_ALL,             SPF,   ERROR) \
	X(SPF_NEUTRAL_ALL,          SPF,   WARN)  \
	X(SPF_NO_ALL,               SPF,   WARN)  \
	X(SPF_PTR,                  SPF,   WARN)  \
	X(SPF_INCLUDE_LOOP,         SPF,   ERROR) \
	X(SPF_INCLUDE_MISSING,      SPF,   ERROR) \
	X(SPF_REDIRECT_IGNORED,     SPF,   WARN)  \
	X(SPF_STRING_BOUNDARY,      SPF,   WARN)  \
	X(SPF_RECORD_TOO_LONG,      SPF,   WARN)  \
	X(SPF_RR_TYPE99,            SPF,   INFO)  \
	X(SPF_SENDERID,             SPF,   INFO)  \
	X(SPF_MACRO_TERMS,          SPF,   INFO)  \
	X(DKIM_NO_SELECTOR,         DKIM,  INFO)  \
	X(DKIM_KEY_MISSING,         DKIM,  ERROR) \
	X(DKIM_KEY_MULTIPLE,        DKIM,  ERROR) \
	X(DKIM_KEY_SYNTAX,          DKIM,  ERROR) \
	X(DKIM_KEY_REVOKED,         DKIM,  WARN)  \
	X(DKIM_KEY_WEAK,            DKIM,  ERROR) \
	X(DKIM_KEY_SHORT,           DKIM,  WARN)  \
	X(DKIM_KEY_TESTING,         DKIM,  WARN)  \
	X(DKIM_KEY_SHA1_ONLY,       DKIM,  ERROR) \
	X(DKIM_KEY_UNKNOWN_TYPE,    DKIM,  ERROR) \
	X(DKIM_KEY_NOT_EMAIL,       DKIM,  ERROR) \
	X(DKIM_KEY_STALE,           DKIM,  INFO)  \
	X(DMARC_NONE,               DMARC, WARN)  \
	X(DMARC_MULTIPLE,           DMARC, ERROR) \
	X(DMARC_SYNTAX,             DMARC, ERROR) \
	X(DMARC_POLICY_NONE,        DMARC, WARN)  \
	X(DMARC_PCT_PARTIAL,        DMARC, WARN)  \
	X(DMARC_SP_WEAKER,          DMARC, WARN)  \
	X(DMARC_SP_IGNORED,         DMARC, INFO)  \
	X(DMARC_NO_RUA,             DMARC, INFO)  \
	X(DMARC_RUA_INVALID,        DMARC, WARN)  \
	X(DMARC_RUA_UNAUTHORIZED,   DMARC, WARN)  \
	X(DMARC_INHERITED,          DMARC, INFO)  \
	X(DMARC_OBSOLETE_TAG,       DMARC, INFO)  \
	X(DMARC_TESTING,            DMARC, WARN)  \
	X(DMARC_ORG_DOMAIN_DIFFERS, DMARC, INFO)  \
	X(DMARC_NO_AUTH,            DMARC, ERROR) \
	X(MTASTS_NONE,              MTASTS, INFO) \
	X(MTASTS_TXT_SYNTAX,        MTASTS, ERROR) \
	X(MTASTS_MULTIPLE,          MTASTS, ERROR) \
	X(MTASTS_POLICY_FETCH,      MTASTS, ERROR) \
	X(MTASTS_REDIRECT,          MTASTS, ERROR) \
	X(MTASTS_CONTENT_TYPE,      MTASTS, ERROR) \
	X(MTASTS_POLICY_SYNTAX,     MTASTS, ERROR) \
	X(MTASTS_MODE_TESTING,      MTASTS, WARN) \
	X(MTASTS_MODE_NONE,         MTASTS, WARN) \
	X(MTASTS_MX_MISMATCH,       MTASTS, ERROR) \
	X(MTASTS_MAX_AGE_LOW,       MTASTS, WARN) \
	X(MTASTS_ID_UNCHANGED,      MTASTS, WARN) \
	X(TLSRPT_NONE,              TLSRPT, INFO) \
	X(TLSRPT_SYNTAX,            TLSRPT, ERROR) \
	X(TLSRPT_MULTIPLE,          TLSRPT, ERROR) \
	X(BIMI_NONE,                BIMI,  INFO)  \
	X(BIMI_SYNTAX,              BIMI,  ERROR) \
	X(BIMI_MULTIPLE,            BIMI,  ERROR) \
	X(BIMI_DMARC_NOT_ENFORCED,  BIMI,  ERROR) \
	X(BIMI_LOGO_NOT_HTTPS,      BIMI,  ERROR) \
	X(BIMI_LOGO_FETCH,          BIMI,  ERROR) \
	X(BIMI_LOGO_PROFILE,        BIMI,  ERROR) \
	X(BIMI_NO_EVIDENCE,         BIMI,  INFO)  \
	X(BIMI_EVIDENCE_INVALID,    BIMI,  ERROR) \
	X(DNSSEC_NONE,              DNSSEC, INFO) \
	X(DNSSEC_BOGUS,             DNSSEC, ERROR) \
	X(DANE_NONE,                DANE,  INFO)  \
	X(DANE_PARTIAL,             DANE,  WARN)  \
	X(DANE_TLSA_INSECURE,       DANE,  WARN)  \
	X(DANE_TLSA_USAGE,          DANE,  WARN)  \
	X(DANE_TLSA_SYNTAX,         DANE,  ERROR) \
	X(DANE_ROLLOVER,            DANE,  INFO)  \
	X(MX_STARTTLS_NONE,         MX,    WARN)  \
	X(MX_CERT_INVALID,          MX,    INFO)  \
	X(DANE_TLSA_MISMATCH,       DANE,  ERROR) \
	X(RECORD_CHANGED,           ANY,   INFO)  \
	X(POSTURE_WEAKENED,         ANY,   WARN)

#endif
