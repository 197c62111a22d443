/*
 * bimi_svg.c - the SVG Tiny PS profile check of BIMI logos; see bimi_svg.h.
 *
 *   bimi_svg_check()    gunzip if SVGZ, parse (libxml2, hardened), walk the tree
 *   bimi_svg_decode()   bounded gunzip (zlib) or copy
 *
 * Parsing: a parser context of our own (xmlNewParserCtxt) whose SAX handler is a
 * private copy: entityDecl records the declaration and stores nothing, so no entity
 * can be expanded (billion laughs) or loaded (XXE); serror keeps the first message
 * and prints nothing. Options: XML_PARSE_NONET only. Deliberately absent:
 * XML_PARSE_NOENT (substitution), XML_PARSE_DTDLOAD / DTDATTR / DTDVALID (no DTD
 * read), XML_PARSE_XINCLUDE, XML_PARSE_HUGE (libxml2's limits stay on: depth 256,
 * text and name sizes), XML_PARSE_RECOVER (a broken document is refused, not mended).
 *
 * The tree is walked iteratively (children / next / parent links): no recursion, so
 * depth costs no stack. Each issue is recorded once, at its first occurrence.
 *
 * What can go wrong: out of memory in libxml2 or zlib reads as "not XML" or a gzip
 * problem; libxml2 is initialised once (pthread_once) and never cleaned up, since other
 * threads may be parsing.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <zlib.h>

#include "record/bimi_svg.h"
#include "util/strbuf.h"

#define SVG_NS		"http://www.w3.org/2000/svg"
#define SEC_PS		"SVG Tiny PS"
#define VALUE_MAX	256	/* attribute values copied for comparisons */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* What the SAX hooks saw during one parse (ctxt->_private). */
struct parse_state {
	bool entity_declared;
	char entity_name[48];
	bool have_error;
	char error[96];
};

/* Initialise libxml2 once per process. */
static void
xml_init(void)
{
	xmlInitParser();
}

/* Record an issue once (its first occurrence). */
static void
add_issue(struct bimi_svg_result *out, enum bimi_svg_issue issue, const void *text,
	  size_t len, const char *reason)
{
	struct bimi_svg_problem *p;
	size_t i;

	for (i = 0; i < out->nproblems && i < BIMI_SVG_MAX_PROBLEMS; i++)
		if (out->problems[i].issue == issue)
			return;
	if (out->nproblems < BIMI_SVG_MAX_PROBLEMS) {
		p = &out->problems[out->nproblems];
		p->issue = issue;
		pt_sanitize(text, len, p->text, sizeof(p->text));
		p->reason = reason;
	}
	out->nproblems++;
}

/* Same, with a C string. */
static void
add_issue_s(struct bimi_svg_result *out, enum bimi_svg_issue issue, const char *text,
	    const char *reason)
{
	add_issue(out, issue, text, strlen(text), reason);
}

/* SAX entityDecl: remember, store nothing (so nothing can ever be expanded). */
static void
on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
	       const xmlChar *system_id, xmlChar *content)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt->_private;

	(void)type;
	(void)public_id;
	(void)system_id;
	(void)content;
	if (st != NULL && !st->entity_declared) {
		st->entity_declared = true;
		pt_sanitize(name, strlen((const char *)name), st->entity_name,
		    sizeof(st->entity_name));
	}
}

/* SAX structured error: keep the first message, print nothing. */
static void
on_error(void *ctx, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt != NULL ? ctxt->_private : NULL;
	char msg[80];
	size_t n;

	if (st == NULL || st->have_error || err == NULL || err->level < XML_ERR_ERROR)
		return;
	st->have_error = true;
	n = err->message != NULL ? strlen(err->message) : 0;
	while (n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
		n--;
	pt_sanitize(err->message != NULL ? err->message : "", n, msg, sizeof(msg));
	snprintf(st->error, sizeof(st->error), "line %d: %s", err->line, msg);
}

/* Inflate a gzip stream into at most max bytes. */
static int
gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *outlen)
{
	z_stream zs;
	uint8_t *buf;
	int zrc;

	if (len > UINT_MAX || max >= UINT_MAX)
		return -1;
	buf = malloc(max + 1);
	if (buf == NULL)
		return -1;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return -1;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)max + 1;	/* one more: to tell "exactly max" from "more" */
	zrc = inflate(&zs, Z_FINISH);
	*outlen = (size_t)zs.total_out;
	inflateEnd(&zs);
	if (zrc == Z_STREAM_END && *outlen <= max) {
		buf[*outlen] = '\0';
		*out = buf;
		return 0;
	}
	free(buf);
	/* Output beyond max (whether or not the stream ended): too large. Else corrupt. */
	zrc = *outlen > max || (zrc == Z_BUF_ERROR && zs.avail_out == 0) ? 1 : -1;
	*outlen = 0;
	return zrc;
}

/* The SVG bytes of a document, inflated when gzip. */
int
bimi_svg_decode(const void *data, size_t len, size_t max, uint8_t **out, size_t *outlen)
{
	const uint8_t *p = data;

	*out = NULL;
	*outlen = 0;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return gunzip(p, len, max, out, outlen);
	if (len > max)
		return 1;
	*out = malloc(len + 1);
	if (*out == NULL)
		return -1;
	if (len > 0)
		memcpy(*out, p, len);
	(*out)[len] = '\0';
	*outlen = len;
	return 0;
}

/* Whether an element or attribute has the local name s. */
static bool
name_is(const xmlChar *name, const char *s)
{
	return name != NULL && strcmp((const char *)name, s) == 0;
}

/* The text of an attribute (its text children), cut at outlen - 1 bytes. */
static void
attr_value(const xmlAttr *a, char *out, size_t outlen)
{
	const xmlNode *c;
	size_t len = 0, n;

	out[0] = '\0';
	for (c = a->children; c != NULL && len + 1 < outlen; c = c->next) {
		if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) ||
		    c->content == NULL)
			continue;
		n = strlen((const char *)c->content);
		if (n > outlen - 1 - len)
			n = outlen - 1 - len;
		memcpy(out + len, c->content, n);
		len += n;
	}
	out[len] = '\0';
}

/* An attribute of the element with no namespace, by name; NULL if absent. */
static const xmlAttr *
plain_attr(const xmlNode *node, const char *name)
{
	const xmlAttr *a;

	for (a = node->properties; a != NULL; a = a->next)
		if (a->ns == NULL && name_is(a->name, name))
			return a;
	return NULL;
}

/* Whether text holds url( to something else than "#fragment", or @import. */
static bool
has_external_url(const char *s)
{
	size_t n = strlen(s), i, j;

	for (i = 0; i + 4 <= n; i++) {
		if (strncasecmp(s + i, "@import", 7) == 0 && i + 7 <= n)
			return true;
		if (strncasecmp(s + i, "url(", 4) != 0)
			continue;
		for (j = i + 4; j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' ||
		    s[j] == '\r' || s[j] == '"' || s[j] == '\''); j++)
			;
		if (j >= n || s[j] != '#')
			return true;
	}
	return false;
}

/* Whether the text children of a node (a <style>) hold an external reference. */
static bool
text_has_external_url(const xmlNode *node, const char **bad)
{
	const xmlNode *c;

	for (c = node->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
		    c->content != NULL && has_external_url((const char *)c->content)) {
			*bad = (const char *)c->content;
			return true;
		}
	return false;
}

/* Parse four numbers "min-x min-y width height" (spaces and/or commas between). */
static bool
parse_viewbox(const char *s, double v[4])
{
	char *end;
	size_t i;

	for (i = 0; i < 4; i++) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || (i > 0 && *s == ','))
			s++;
		v[i] = strtod(s, &end);
		if (end == s || !isfinite(v[i]))
			return false;
		s = end;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s == '\0';
}

/* The root element's own rules: namespace, profile, version, x/y, shape. */
static void
check_root(const xmlNode *root, struct bimi_svg_result *out)
{
	const xmlAttr *a;
	char v[VALUE_MAX], w[VALUE_MAX];
	double box[4];

	if (!name_is(root->name, "svg") || root->ns == NULL ||
	    !name_is(root->ns->href, SVG_NS)) {
		add_issue_s(out, BIMI_SVG_NOT_SVG, (const char *)root->name, "the root element "
		    "is not <svg> in the SVG namespace (" SEC_PS ")");
		return;
	}
	if ((a = plain_attr(root, "baseProfile")) == NULL) {
		add_issue_s(out, BIMI_SVG_BASE_PROFILE, "", "no baseProfile=\"tiny-ps\" on <svg> "
		    "(" SEC_PS ")");
	} else {
		attr_value(a, v, sizeof(v));
		if (strcmp(v, "tiny-ps") != 0)
			add_issue_s(out, BIMI_SVG_BASE_PROFILE, v, "baseProfile is not \"tiny-ps\" "
			    "(" SEC_PS ")");
	}
	if ((a = plain_attr(root, "version")) == NULL) {
		add_issue_s(out, BIMI_SVG_VERSION, "", "no version=\"1.2\" on <svg> (" SEC_PS ")");
	} else {
		attr_value(a, v, sizeof(v));
		if (strcmp(v, "1.2") != 0)
			add_issue_s(out, BIMI_SVG_VERSION, v, "version is not \"1.2\" (" SEC_PS ")");
	}
	if ((a = plain_attr(root, "x")) != NULL || (a = plain_attr(root, "y")) != NULL)
		add_issue_s(out, BIMI_SVG_ROOT_XY, (const char *)a->name, "x= or y= on the root "
		    "<svg> is not allowed (" SEC_PS ")");
	if ((a = plain_attr(root, "viewBox")) != NULL) {
		attr_value(a, v, sizeof(v));
		if (!parse_viewbox(v, box) || box[2] <= 0 || box[3] <= 0)
			add_issue_s(out, BIMI_SVG_NOT_SQUARE, v, "the viewBox is not four numbers "
			    "with a positive width and height (SVG Tiny 1.2 7.7)");
		else if (box[2] - box[3] > 1e-9 * box[2] || box[3] - box[2] > 1e-9 * box[3])
			add_issue_s(out, BIMI_SVG_NOT_SQUARE, v, "the viewBox is not square: "
			    "BIMI logos are square (" SEC_PS ")");
		return;
	}
	v[0] = w[0] = '\0';
	if ((a = plain_attr(root, "width")) != NULL)
		attr_value(a, w, sizeof(w));
	if ((a = plain_attr(root, "height")) != NULL)
		attr_value(a, v, sizeof(v));
	if (w[0] == '\0' || v[0] == '\0' || strcmp(w, v) != 0)
		add_issue_s(out, BIMI_SVG_NOT_SQUARE, "", "no viewBox, and width and height do "
		    "not make it square: BIMI logos are square (" SEC_PS ")");
}

/* The <title> child of the root, its text kept. */
static void
check_title(const xmlNode *root, struct bimi_svg_result *out)
{
	const xmlNode *c, *t;
	size_t len = 0, n;
	char text[128];

	for (c = root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !name_is(c->name, "title"))
			continue;
		for (t = c->children; t != NULL && len + 1 < sizeof(text); t = t->next) {
			if (t->type != XML_TEXT_NODE || t->content == NULL)
				continue;
			n = strlen((const char *)t->content);
			if (n > sizeof(text) - 1 - len)
				n = sizeof(text) - 1 - len;
			memcpy(text + len, t->content, n);
			len += n;
		}
		pt_sanitize(text, len, out->title, sizeof(out->title));
		return;
	}
	add_issue_s(out, BIMI_SVG_NO_TITLE, "", "no <title> element in the root <svg> "
	    "(" SEC_PS ")");
}

/* The element's name against the elements the profile forbids. */
static void
check_element_name(const xmlNode *node, struct bimi_svg_result *out)
{
	static const char *const forbidden[] = {
		"foreignObject", "animate", "animateColor", "animateMotion",
		"animateTransform", "set", "audio", "video", "animation", "handler",
		"listener", "discard", "prefetch", "iframe", "embed", "object", "canvas",
	};
	const char *name = (const char *)node->name;
	size_t i;

	if (name_is(node->name, "script")) {
		add_issue_s(out, BIMI_SVG_SCRIPT, "<script>", "scripts are not allowed "
		    "(" SEC_PS "; BIMI draft 8.7)");
		return;
	}
	if (name_is(node->name, "image")) {
		add_issue_s(out, BIMI_SVG_RASTER, "<image>", "embedded or linked raster images "
		    "are not allowed (" SEC_PS ")");
		return;
	}
	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (strcmp(name, forbidden[i]) == 0) {
			add_issue_s(out, BIMI_SVG_FORBIDDEN, name, "animation, multimedia and "
			    "foreign content are not allowed (" SEC_PS ")");
			return;
		}
}

/* The element's attributes: events, hrefs, url() references. */
static void
check_attributes(const xmlNode *node, struct bimi_svg_result *out)
{
	const xmlAttr *a;
	const char *name;
	char v[VALUE_MAX];
	const xmlNode *c;

	for (a = node->properties; a != NULL; a = a->next) {
		name = (const char *)a->name;
		if (strlen(name) > 2 && strncasecmp(name, "on", 2) == 0) {
			add_issue_s(out, BIMI_SVG_SCRIPT, name, "event attributes run scripts, "
			    "which are not allowed (" SEC_PS ")");
			continue;
		}
		attr_value(a, v, sizeof(v));
		if (strcmp(name, "href") == 0 && v[0] != '\0' && v[0] != '#') {
			add_issue_s(out, BIMI_SVG_EXTERNAL_REF, v, "a reference to something "
			    "outside the document: only local #fragments are allowed (" SEC_PS ")");
			continue;
		}
		/* url() may sit anywhere in a long value (style=...): scan every text child. */
		for (c = a->children; c != NULL; c = c->next)
			if (c->type == XML_TEXT_NODE && c->content != NULL &&
			    has_external_url((const char *)c->content)) {
				add_issue_s(out, BIMI_SVG_EXTERNAL_REF, v, "url() to something "
				    "outside the document: only local #fragments are allowed "
				    "(" SEC_PS ")");
				break;
			}
	}
}

/* Walk every element below and including root, without recursion. */
static void
walk(const xmlNode *root, struct bimi_svg_result *out)
{
	const xmlNode *n = root;
	const char *bad;

	while (n != NULL) {
		if (n->type == XML_ELEMENT_NODE) {
			check_element_name(n, out);
			check_attributes(n, out);
			if (name_is(n->name, "style") && text_has_external_url(n, &bad))
				add_issue(out, BIMI_SVG_EXTERNAL_REF, bad, strlen(bad), "a style "
				    "sheet that imports or references something outside the "
				    "document (" SEC_PS ")");
			if (n->children != NULL) {
				n = n->children;
				continue;
			}
		}
		while (n != NULL && n != root && n->next == NULL)
			n = n->parent;
		if (n == NULL || n == root)
			break;
		n = n->next;
	}
}

/* Parse the SVG text with the hardened context; NULL when not well-formed. */
static xmlDocPtr
parse_svg(const uint8_t *svg, size_t len, struct parse_state *st)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (len > INT_MAX)
		return NULL;
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return NULL;
	ctxt->_private = st;
	ctxt->sax->entityDecl = on_entity_decl;
	ctxt->sax->serror = on_error;
	ctxt->sax->initialized = XML_SAX2_MAGIC;
	doc = xmlCtxtReadMemory(ctxt, (const char *)svg, (int)len, "logo.svg", NULL,
	    XML_PARSE_NONET);
	if (doc != NULL && !ctxt->wellFormed) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

/* Check a document against the profile. */
int
bimi_svg_check(const void *data, size_t len, struct bimi_svg_result *out)
{
	struct parse_state st;
	uint8_t *svg = NULL;
	size_t svg_len = 0;
	xmlDocPtr doc;
	const xmlNode *root;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	(void)pthread_once(&xml_once, xml_init);
	out->size = len;
	out->gzip = len >= 2 && ((const uint8_t *)data)[0] == 0x1f &&
	    ((const uint8_t *)data)[1] == 0x8b;
	if (len > BIMI_SVG_MAX_BYTES)
		add_issue_s(out, BIMI_SVG_TOO_LARGE, "", "the logo is larger than 32 KiB "
		    "(BIMI draft 7.6; " SEC_PS ")");
	/* A plain document over the limit is still judged (up to 1 MiB); SVGZ must fit. */
	rc = bimi_svg_decode(data, len, out->gzip ? BIMI_SVG_MAX_BYTES : 1048576, &svg,
	    &svg_len);
	if (rc == 1) {
		add_issue_s(out, BIMI_SVG_TOO_LARGE, "", out->gzip ? "the SVGZ logo inflates "
		    "to more than 32 KiB (BIMI draft 7.6)" : "the logo is larger than 1 MiB");
		goto done;
	}
	if (rc < 0) {
		add_issue_s(out, BIMI_SVG_NOT_XML, "", out->gzip ? "the SVGZ logo is not "
		    "valid gzip (BIMI draft 4.3.2)" : "out of memory");
		goto done;
	}
	out->svg_size = svg_len;
	if (svg_len == 0) {
		add_issue_s(out, BIMI_SVG_NOT_XML, "", "the logo is empty (BIMI draft 7.6)");
		goto done;
	}
	doc = parse_svg(svg, svg_len, &st);
	if (st.entity_declared)
		add_issue_s(out, BIMI_SVG_ENTITY, st.entity_name, "the document declares "
		    "entities: not expanded, not allowed in a logo (" SEC_PS ")");
	if (doc == NULL) {
		add_issue_s(out, BIMI_SVG_NOT_XML, st.have_error ? st.error : "", "the logo is "
		    "not well-formed XML, so not SVG (BIMI draft 7.6)");
		goto done;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL) {
		add_issue_s(out, BIMI_SVG_NOT_XML, "", "the logo has no root element");
	} else {
		check_root(root, out);
		check_title(root, out);
		walk(root, out);
	}
	xmlFreeDoc(doc);
done:
	free(svg);
	out->valid = out->nproblems == 0;
	return out->valid ? 0 : -1;
}
