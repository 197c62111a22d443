/*
 * test_bimi_evidence.c - BIMI evidence documents (bimi_evidence.c) on mark
 * certificates made at test time with OpenSSL 3 APIs.
 *
 * A test mark-certificate CA (and a second CA that is not a trust anchor, and an
 * intermediate) are generated once; each case issues a certificate with the BIMI
 * extended key usage, a SAN and a logotype extension (RFC 3709: a data: URL of the
 * gzip'd SVG, as issuers embed it) unless it tests their absence, and names the one
 * issue expected and the issues that must not be raised. Then: no trust anchors (the
 * chain reported as not checked, never as passed), an SVGZ l= logo against the same
 * SVG embedded, a chain through an intermediate in either order, anchors from a file.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include "record/bimi_evidence.h"
#include "mark_certs.h"

#define DOMAIN	"brand.example"
#define DAY	MC_DAY
#define LOGO	"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" " \
	"version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 1 1\"><title>Brand</title>" \
	"<rect width=\"1\" height=\"1\" fill=\"#c00\"/></svg>\n"
#define OTHER_LOGO "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" " \
	"version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 1 1\"><title>Brand</title>" \
	"<rect width=\"1\" height=\"1\" fill=\"#0c0\"/></svg>\n"
#define NONE	((enum bimi_ev_issue)-1)

static struct mc_ca root, stranger, inter;
static char *root_pem;
static size_t root_pem_len;
static struct bimi_anchors *anchors;

static int
setup(void **state)
{
	char err[200];

	(void)state;
	mc_make_ca(&root, "posture-milter test mark CA", NULL);
	mc_make_ca(&stranger, "some other CA", NULL);
	mc_make_ca(&inter, "test mark intermediate", &root);
	root_pem = mc_pem_of(&root_pem_len, root.cert, (X509 *)NULL);
	anchors = bimi_anchors_from_pem(root_pem, root_pem_len, err, sizeof(err));
	return anchors == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	bimi_anchors_free(anchors);
	free(root_pem);
	mc_free_ca(&root);
	mc_free_ca(&stranger);
	mc_free_ca(&inter);
	return 0;
}

/* ---- checking ---- */

static bool
has_issue(const struct bimi_evidence_result *r, enum bimi_ev_issue issue)
{
	size_t i;

	for (i = 0; i < r->nproblems && i < BIMI_EVIDENCE_MAX_PROBLEMS; i++)
		if (r->problems[i].issue == issue)
			return true;
	return false;
}

/* Issue a leaf per spec from issuer (NULL: self-signed) and judge it. */
static void
judge(const struct mc_spec *s, const struct mc_ca *issuer, const struct bimi_anchors *a,
      const char *logo, struct bimi_evidence_result *r)
{
	static const char *const domains[] = { DOMAIN, "mail." DOMAIN };
	EVP_PKEY *key = mc_new_key();
	X509 *leaf = mc_make_cert(s, key, issuer);
	size_t len;
	char *pem = mc_pem_of(&len, leaf, (X509 *)NULL);

	(void)bimi_evidence_check(pem, len, domains, 2, (const uint8_t *)logo,
	    logo ? strlen(logo) : 0, a, time(NULL), r);
	free(pem);
	X509_free(leaf);
	EVP_PKEY_free(key);
}

#define BIMI_EKU	BIMI_EKU_OID
#define GOOD_SAN	"DNS:" DOMAIN

struct ev_case {
	const char *name;
	struct mc_spec spec;
	int issuer;			/* 0 root, 1 stranger, 2 self-signed */
	const char *logo;		/* the l= logo */
	enum bimi_ev_issue expect;
};

static const struct ev_case cases[] = {
	{ "valid", { "Brand", -DAY, 300 * DAY, BIMI_EKU, GOOD_SAN, LOGO, false }, 0, LOGO,
	  NONE },
	{ "valid, several SANs and EKUs",
	  { "Brand", -DAY, 300 * DAY, "serverAuth," BIMI_EKU, "DNS:other.example,DNS:" DOMAIN,
	    LOGO, false }, 0, LOGO, NONE },
	{ "expired", { "Brand", -30 * DAY, -DAY, BIMI_EKU, GOOD_SAN, LOGO, false }, 0, LOGO,
	  BIMI_EV_EXPIRED },
	{ "not yet valid", { "Brand", 10 * DAY, 300 * DAY, BIMI_EKU, GOOD_SAN, LOGO, false },
	  0, LOGO, BIMI_EV_NOT_YET_VALID },
	{ "wrong EKU", { "Brand", -DAY, 300 * DAY, "serverAuth", GOOD_SAN, LOGO, false }, 0,
	  LOGO, BIMI_EV_EKU },
	{ "no EKU", { "Brand", -DAY, 300 * DAY, NULL, GOOD_SAN, LOGO, false }, 0, LOGO,
	  BIMI_EV_EKU },
	{ "wrong domain", { "Brand", -DAY, 300 * DAY, BIMI_EKU, "DNS:other.example", LOGO,
	  false }, 0, LOGO, BIMI_EV_DOMAIN },
	{ "wildcard SAN is not the domain", { "Brand", -DAY, 300 * DAY, BIMI_EKU,
	  "DNS:*.example", LOGO, false }, 0, LOGO, BIMI_EV_DOMAIN },
	{ "no SAN, domain only in CN", { DOMAIN, -DAY, 300 * DAY, BIMI_EKU, NULL, LOGO, false },
	  0, LOGO, BIMI_EV_DOMAIN },
	{ "logo differs from l=", { "Brand", -DAY, 300 * DAY, BIMI_EKU, GOOD_SAN, OTHER_LOGO,
	  false }, 0, LOGO, BIMI_EV_LOGO_DIFFERS },
	{ "no logotype extension", { "Brand", -DAY, 300 * DAY, BIMI_EKU, GOOD_SAN, NULL,
	  false }, 0, LOGO, BIMI_EV_NO_LOGO },
	{ "self-signed", { "Brand", -DAY, 300 * DAY, BIMI_EKU, GOOD_SAN, LOGO, false }, 2, LOGO,
	  BIMI_EV_SELF_SIGNED },
	{ "issued by a CA that is not an anchor", { "Brand", -DAY, 300 * DAY, BIMI_EKU,
	  GOOD_SAN, LOGO, false }, 1, LOGO, BIMI_EV_CHAIN },
};

static void
test_evidence_table(void **state)
{
	const struct mc_ca *issuers[] = { &root, &stranger, NULL };
	struct bimi_evidence_result r;
	const struct ev_case *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		judge(&c->spec, issuers[c->issuer], anchors, c->logo, &r);
		if (c->expect == NONE) {
			if (!r.valid || !r.chain_checked || !r.chain_ok || !r.logo_compared)
				fail_msg("%s: expected valid and verified; %zu problems, first: %s "
				    "(%s)", c->name, r.nproblems, r.nproblems ? r.problems[0].reason :
				    "-", r.nproblems ? r.problems[0].text : "");
			continue;
		}
		if (r.valid || !has_issue(&r, c->expect))
			fail_msg("%s: expected issue %d; %zu problems, first %d: %s (%s)", c->name,
			    (int)c->expect, r.nproblems, r.nproblems ? (int)r.problems[0].issue : -1,
			    r.nproblems ? r.problems[0].reason : "-",
			    r.nproblems ? r.problems[0].text : "");
		/* One defect, one problem: a good chain stays good beside it. */
		if (c->expect != BIMI_EV_CHAIN && c->expect != BIMI_EV_SELF_SIGNED &&
		    (has_issue(&r, BIMI_EV_CHAIN) || !r.chain_ok))
			fail_msg("%s: the chain was also reported", c->name);
		if (r.nproblems != 1)
			fail_msg("%s: %zu problems, expected exactly one (second: %s)", c->name,
			    r.nproblems, r.nproblems > 1 ? r.problems[1].reason : "-");
	}
}

static void
test_without_anchors_chain_is_not_checked_never_passed(void **state)
{
	struct mc_spec s = { "Brand", -DAY, 300 * DAY, BIMI_EKU, GOOD_SAN, LOGO, false };
	struct bimi_evidence_result r;

	(void)state;
	judge(&s, &root, NULL, LOGO, &r);
	assert_true(r.valid);
	assert_false(r.chain_checked);
	assert_false(r.chain_ok);
	/* A certificate from any CA at all reads the same: nothing claims a chain. */
	judge(&s, &stranger, NULL, LOGO, &r);
	assert_false(r.chain_checked);
	assert_false(r.chain_ok);
	/* Self-signed is still refused without anchors, and the dates still count. */
	judge(&s, NULL, NULL, LOGO, &r);
	assert_true(has_issue(&r, BIMI_EV_SELF_SIGNED));
	s.to = -DAY;
	s.from = -10 * DAY;
	judge(&s, &root, NULL, LOGO, &r);
	assert_true(has_issue(&r, BIMI_EV_EXPIRED));
}

static void
test_svgz_logo_matches_embedded_svg(void **state)
{
	static const char *const domains[] = { DOMAIN };
	struct mc_spec s = { "Brand", -DAY, 300 * DAY, BIMI_EKU, GOOD_SAN, LOGO, false };
	struct bimi_evidence_result r;
	EVP_PKEY *key = mc_new_key();
	X509 *leaf = mc_make_cert(&s, key, &root);
	uint8_t *gz;
	size_t len, gzlen;
	char *pem = mc_pem_of(&len, leaf, (X509 *)NULL);

	(void)state;
	gz = mc_gzip(LOGO, &gzlen);
	assert_int_equal(bimi_evidence_check(pem, len, domains, 1, gz, gzlen, anchors,
	    time(NULL), &r), 0);
	assert_true(r.logo_compared);
	/* No l= logo: not compared, and not a problem of the evidence. */
	assert_int_equal(bimi_evidence_check(pem, len, domains, 1, NULL, 0, anchors,
	    time(NULL), &r), 0);
	assert_true(r.logo_found);
	assert_false(r.logo_compared);
	free(gz);
	free(pem);
	X509_free(leaf);
	EVP_PKEY_free(key);
}

static void
test_chain_through_intermediate_in_any_order(void **state)
{
	static const char *const domains[] = { DOMAIN };
	struct mc_spec s = { "Brand", -DAY, 300 * DAY, BIMI_EKU, GOOD_SAN, LOGO, false };
	struct bimi_evidence_result r;
	EVP_PKEY *key = mc_new_key();
	X509 *leaf = mc_make_cert(&s, key, &inter);
	size_t len;
	char *pem;

	(void)state;
	pem = mc_pem_of(&len, leaf, inter.cert, (X509 *)NULL);
	assert_int_equal(bimi_evidence_check(pem, len, domains, 1, (const uint8_t *)LOGO,
	    strlen(LOGO), anchors, time(NULL), &r), 0);
	assert_true(r.chain_ok);
	assert_int_equal(r.ncerts, 2);
	assert_non_null(strstr(r.subject, "Brand"));
	free(pem);
	pem = mc_pem_of(&len, inter.cert, leaf, (X509 *)NULL);
	assert_int_equal(bimi_evidence_check(pem, len, domains, 1, (const uint8_t *)LOGO,
	    strlen(LOGO), anchors, time(NULL), &r), 0);
	assert_non_null(strstr(r.subject, "Brand"));
	free(pem);
	/* Without the intermediate there is no chain. */
	pem = mc_pem_of(&len, leaf, (X509 *)NULL);
	assert_int_equal(bimi_evidence_check(pem, len, domains, 1, (const uint8_t *)LOGO,
	    strlen(LOGO), anchors, time(NULL), &r), -1);
	assert_true(has_issue(&r, BIMI_EV_CHAIN));
	free(pem);
	X509_free(leaf);
	EVP_PKEY_free(key);
}

static void
test_not_pem_is_refused(void **state)
{
	static const char *const domains[] = { DOMAIN };
	struct bimi_evidence_result r;
	const char *junk = "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n"
	    "-----END CERTIFICATE-----\n";

	(void)state;
	assert_int_equal(bimi_evidence_check("<html>404</html>", 16, domains, 1, NULL, 0,
	    anchors, time(NULL), &r), -1);
	assert_true(has_issue(&r, BIMI_EV_NOT_PEM));
	assert_int_equal(bimi_evidence_check(junk, strlen(junk), domains, 1, NULL, 0, anchors,
	    time(NULL), &r), -1);
	assert_true(has_issue(&r, BIMI_EV_NOT_PEM));
	assert_int_equal(bimi_evidence_check("", 0, domains, 1, NULL, 0, anchors, time(NULL),
	    &r), -1);
	assert_int_equal(r.nproblems, 1);
}

static void
test_anchors_from_file(void **state)
{
	char path[] = "/tmp/test_bimi_anchors.XXXXXX", err[256];
	struct bimi_anchors *a;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, root_pem, root_pem_len), (ssize_t)root_pem_len);
	close(fd);
	a = bimi_anchors_load(path, err, sizeof(err));
	assert_non_null(a);
	bimi_anchors_free(a);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk\n", 5), 5);
	close(fd);
	assert_null(bimi_anchors_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	unlink(path);
	assert_null(bimi_anchors_load("/nonexistent/anchors.pem", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/anchors.pem"));
	assert_null(bimi_anchors_from_pem("junk", 4, err, sizeof(err)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_table),
		cmocka_unit_test(test_without_anchors_chain_is_not_checked_never_passed),
		cmocka_unit_test(test_svgz_logo_matches_embedded_svg),
		cmocka_unit_test(test_chain_through_intermediate_in_any_order),
		cmocka_unit_test(test_not_pem_is_refused),
		cmocka_unit_test(test_anchors_from_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
