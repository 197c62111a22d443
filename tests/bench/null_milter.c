/*
 * null_milter.c - the benchmark's null milter: the cost of being a milter at all.
 *
 *   null-milter -p SOCKET [-s]
 *
 * A libmilter program that does nothing but add "X-Null-Milter: yes" at end of
 * message. It negotiates away every callback it does not need (SMFIP_NO*) and every
 * reply the MTA lets it skip (SMFIP_NR_*), so what remains is the protocol round trips
 * every milter pays: macros, end of message, the header, the final reply.
 * SOCKET is in libmilter syntax (inet:PORT@127.0.0.1, unix:/path). It links tcp_ack.c,
 * which sets TCP_NODELAY and re-arms TCP_QUICKACK on accepted TCP connections; -s
 * (stock) turns that off, for the rows that measure libmilter as shipped.
 *
 * What can go wrong: a bad socket spec or one that cannot be bound (libmilter logs
 * why; exit 1); an MTA that offers none of the NO* steps (they are requested only
 * where offered, so the milter then simply receives and ignores those callbacks).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "tcp_ack.h"

/* The protocol steps this milter does not want to see. */
#define NULL_MILTER_SKIP (SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | \
	SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOUNKNOWN | \
	SMFIP_NODATA)
/* The replies it does not need to send (for steps still sent, if any). */
#define NULL_MILTER_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | \
	SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY | \
	SMFIP_NR_HDR)

/* Ask only for the header-adding action and for the steps and replies to skip. */
static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	if ((f0 & SMFIF_ADDHDRS) == 0)
		return SMFIS_REJECT;	/* the MTA would not let us do our one job */
	*pf0 = SMFIF_ADDHDRS;
	*pf1 = f1 & (NULL_MILTER_SKIP | NULL_MILTER_NOREPLY);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* End of message: add the one header, accept. */
static sfsistat
null_eom(SMFICTX *ctx)
{
	static char name[] = "X-Null-Milter", value[] = "yes";

	if (smfi_addheader(ctx, name, value) != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	return SMFIS_ACCEPT;
}

/* Print the usage on stderr. */
static void
usage(void)
{
	fprintf(stderr, "usage: null-milter -p SOCKET [-s]\n"
	    "  -p SOCKET  libmilter socket: inet:PORT@127.0.0.1 or unix:/path\n"
	    "  -s         stock libmilter TCP behaviour (no TCP_NODELAY/TCP_QUICKACK)\n");
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc;
	char *sock = NULL;
	int c;

	while ((c = getopt(argc, argv, "p:sh")) != -1) {
		switch (c) {
		case 'p':
			sock = optarg;
			break;
		case 's':
			tcp_ack_enable(false);
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (sock == NULL || optind != argc) {
		usage();
		return 2;
	}

	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = (char *)"null-milter";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS;
	desc.xxfi_eom = null_eom;
	desc.xxfi_negotiate = null_negotiate;

	if (smfi_setconn(sock) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: bad socket %s\n", sock);
		return 1;
	}
	if (smfi_register(desc) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: smfi_register failed\n");
		return 1;
	}
	/* true: remove a stale unix socket left by an earlier run. */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: cannot open socket %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
