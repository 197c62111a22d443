/*
 * dkim_sign_tool.c - sign a message file for tests (check_PROGRAMS, never installed).
 *
 *   dkim_sign_tool -k KEY.pem -d DOMAIN -s SELECTOR [-a ALG] [-c HDR/BODY] [-l N]
 *                  [-t UNIXTIME] [-x TTL] [-H name:name...] [FILE|-]
 *
 * Prints the message with a DKIM-Signature field on top, in the line ends the input
 * uses (LF or CRLF). ALG: rsa-sha256 (default), rsa-sha1, ed25519-sha256; -c
 * relaxed/relaxed (default) or simple/simple etc.; -l N signs N bytes of canonical
 * body (l=); -t sets t= (default now); -x TTL adds x= = t= + TTL (-t in the past and
 * a small TTL make an expired signature); -H is h= exactly (From only if listed).
 * End-to-end tests (Postfix + fixture DNS) use it to make fixture messages with keys
 * made by opendkim-genkey or openssl. Exit 0 on success, 1 on any error, with a
 * one-line reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim_signer.h"

#define TOOL_MAX_INPUT (16 * 1024 * 1024)

/* Read a whole stream; NULL on error or when over TOOL_MAX_INPUT. */
static char *
slurp(FILE *f, size_t *lenp)
{
	size_t cap = 65536, len = 0, n;
	char *buf = malloc(cap + 1), *grown;

	while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			if (cap >= TOOL_MAX_INPUT) {
				free(buf);
				return NULL;
			}
			cap *= 2;
			grown = realloc(buf, cap + 1);
			if (grown == NULL) {
				free(buf);
				return NULL;
			}
			buf = grown;
		}
	}
	if (buf == NULL || ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Read a file by name. */
static char *
slurp_path(const char *path, size_t *lenp)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *data;

	if (f == NULL)
		return NULL;
	data = slurp(f, lenp);
	if (f != stdin)
		fclose(f);
	return data;
}

/* Print the signature field with the message's line ends. */
static void
print_signature(const char *sig, bool crlf)
{
	for (; *sig != '\0'; sig++)
		if (*sig != '\r' || crlf)
			putchar(*sig);
	fputs(crlf ? "\r\n" : "\n", stdout);
}

static void
usage(void)
{
	fprintf(stderr, "usage: dkim_sign_tool -k KEY.pem -d DOMAIN -s SELECTOR [-a ALG] "
	    "[-c HDR/BODY] [-l N] [-t UNIXTIME] [-x TTL] [-H h:list] [FILE|-]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	struct dkim_signer_opts o;
	const char *keyfile = NULL, *canon = "relaxed/relaxed";
	char err[256], *key, *msg, *sig, *nl;
	size_t keylen, len;
	int c;

	dkim_signer_opts_init(&o);
	while ((c = getopt(argc, argv, "k:d:s:a:c:l:t:x:H:")) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 'd': o.domain = optarg; break;
		case 's': o.selector = optarg; break;
		case 'a': o.algorithm = optarg; break;
		case 'c': canon = optarg; break;
		case 'l': o.body_length = strtol(optarg, NULL, 10); break;
		case 't': o.timestamp = strtoull(optarg, NULL, 10); break;
		case 'x': o.ttl = strtoull(optarg, NULL, 10); break;
		case 'H': o.headers = optarg; break;
		default: usage();
		}
	}
	if (keyfile == NULL || o.domain == NULL || o.selector == NULL || argc - optind > 1)
		usage();
	o.simple_header = strncmp(canon, "simple", 6) == 0;
	o.simple_body = strchr(canon, '/') != NULL && strcmp(strchr(canon, '/'), "/simple") == 0;
	key = slurp_path(keyfile, &keylen);
	if (key == NULL) {
		fprintf(stderr, "dkim_sign_tool: cannot read the key %s\n", keyfile);
		return 1;
	}
	msg = slurp_path(optind < argc ? argv[optind] : "-", &len);
	if (msg == NULL) {
		fprintf(stderr, "dkim_sign_tool: cannot read the message\n");
		free(key);
		return 1;
	}
	o.key_pem = key;
	sig = dkim_signer_sign(&o, msg, len, err, sizeof(err));
	if (sig == NULL) {
		fprintf(stderr, "dkim_sign_tool: %s\n", err);
		free(key);
		free(msg);
		return 1;
	}
	nl = memchr(msg, '\n', len);
	print_signature(sig, nl != NULL && nl > msg && nl[-1] == '\r');
	fwrite(msg, 1, len, stdout);
	free(sig);
	free(key);
	free(msg);
	return fflush(stdout) == 0 ? 0 : 1;
}
