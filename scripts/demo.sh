#!/bin/bash
# demo.sh - the main job on embedded data: evaluate fixture domains, then watch
# posture-milter annotate a message inside a real Postfix.
#
# Builds posture-check and posture-milter (configuring the tree first if needed), starts
# a private NSD on a free loopback port serving tests/fixtures/zones (nothing touches
# port 53 or the system's resolver) and:
#  1. runs posture-check's text report on the clean reference domain good.test and on
#     two broken fixture domains;
#  2. as root only: starts posture-milter (unix socket, resolver = that NSD) and a
#     private Postfix on loopback (tests/integration/postfix.sh: its own configuration
#     and queue directories in a temp dir, smtpd on a free high port of 127.0.0.1,
#     relaying to an smtp-sink that writes each message to a file; /etc/postfix and the
#     system's Postfix are not touched), sends one message whose From (good.test) and
#     MAIL FROM (dmarc-p-none.test) differ, and prints the delivered message's header
#     with its two X-Domain-Posture fields, then the milter's log lines.
# Everything it started is stopped at exit. Started by another user than root, it runs
# itself again through sudo (saying so); without sudo, part 2 is skipped with a note.
#
# What can go wrong: nsd or python3 missing (says which package to install, exit 1);
# a build failure (make's output, exit 2); Postfix missing, posture-milter not starting
# or the message not delivered within 30 s (the logs' tails, exit 1). A domain's grade
# never fails the demo; posture-check exiting non-zero (a domain not evaluated) does.
set -euo pipefail

# Part 2 needs root: run again as root through sudo when there is one.
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then
	echo "demo.sh: not root: running again as root through sudo (the Postfix part needs it)" >&2
	exec sudo -- "$0" "$@"
fi
cd "$(dirname "$0")/.."
top_srcdir="$(pwd)"

# Build only what the demo runs; keep an existing configuration (e.g. from test.sh).
if [ ! -f Makefile ]; then
	[ -x configure ] || ./autogen.sh
	./configure
fi
make -j2 posture-check posture-milter || { echo "demo.sh: the build failed" >&2; exit 2; }

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
if ! nsd_find_binary; then
	echo "demo.sh: nsd not found: install the Debian package nsd (scripts/install-deps.sh)" >&2
	exit 1
fi
nsd_start "$top_srcdir/tests/fixtures/zones"

# The broken examples: the first two of these that exist as fixture zones, else any
# mx-* or dmarc-* fixture, else a name that does not exist.
broken=()
for d in dmarc-p-none.test mx-null.test mx-private.test dmarc-none.test \
	mx-no-address.test mx-single.test; do
	[ -f "tests/fixtures/zones/$d.zone" ] && broken+=("$d")
	[ "${#broken[@]}" -ge 2 ] && break
done
if [ "${#broken[@]}" -lt 2 ]; then
	for f in tests/fixtures/zones/mx-*.zone tests/fixtures/zones/dmarc-*.zone; do
		[ -f "$f" ] || continue
		d="$(basename "$f" .zone)"
		case " ${broken[*]} " in *" $d "*) continue ;; esac
		broken+=("$d")
		[ "${#broken[@]}" -ge 2 ] && break
	done
fi

# Still short of two: a name that does not exist under test. is broken too.
[ "${#broken[@]}" -ge 2 ] || broken+=(no-such-domain.test)

status=0
for d in good.test "${broken[@]}"; do
	echo "==== posture-check --resolver 127.0.0.1:$NSD_PORT $d"
	./posture-check --resolver "127.0.0.1:$NSD_PORT" --timeout 5 "$d" || status=1
	echo
done

# ---- posture-milter inside a private Postfix ----

if [ "$(id -u)" != 0 ]; then
	echo "==== posture-milter in Postfix: skipped, it needs root (the Postfix master runs"
	echo "     as root), and sudo is not installed: run scripts/demo.sh as root"
	exit "$status"
fi
# shellcheck source=tests/integration/postfix.sh
. "$top_srcdir/tests/integration/postfix.sh"
if ! pf_find_binaries; then
	echo "demo.sh: $PF_MISSING not found (scripts/install-deps.sh)" >&2
	exit 1
fi
pf_milter_socket unix posture-milter
pf_start "$PF_MILTER_POSTFIX"
PM_CONF="$PF_DIR/posture-milter.conf"
PM_LOG="$PF_DIR/posture-milter.log"
# UserID: the socket (mode 0660) must belong to the user Postfix's smtpd runs as.
{
	echo "Socket            $PF_MILTER_LIBMILTER"
	echo "Resolver          127.0.0.1:$NSD_PORT"
	echo "AuthservID        mx.demo.test"
	echo "EvaluationTimeout 5"
	echo "UserID            $("$PF_POSTCONF" -c "$PF_CONF" -h mail_owner)"
} >"$PM_CONF"
echo "==== posture-milter -f -c posture-milter.conf, which reads:"
sed 's/^/    /' "$PM_CONF"
pf_spawn "$PM_LOG" "$top_srcdir/posture-milter" -f -c "$PM_CONF"
if ! pf_wait_milter "$PF_MILTER_POSTFIX" 15; then
	echo "demo.sh: posture-milter did not start:" >&2
	cat "$PM_LOG" >&2
	exit 1
fi
echo "==== Postfix $("$PF_POSTCONF" -c "$PF_CONF" -h mail_version) on 127.0.0.1:$PF_PORT" \
	"(smtpd_milters = $PF_MILTER_POSTFIX) relaying to smtp-sink on 127.0.0.1:$PF_SINK_PORT"
echo "==== sending: MAIL FROM:<newsletter@dmarc-p-none.test>, From: Alice <alice@good.test>"
python3 - "$PF_PORT" <<'PYEOF'
import smtplib, sys
msg = ("From: Alice <alice@good.test>\r\nTo: <bob@x.test>\r\n"
       "Subject: posture-milter demo\r\nMessage-ID: <demo@good.test>\r\n\r\n"
       "Hello from the posture-milter demo.\r\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as s:
    s.sendmail("newsletter@dmarc-p-none.test", ["bob@x.test"], msg)
PYEOF
if ! pf_wait_sent 1 30; then
	echo "demo.sh: the message was not delivered within 30 s" >&2
	tail -n 15 "$PF_LOG" >&2
	tail -n 15 "$PM_LOG" >&2
	exit 1
fi
echo
echo "==== the message's header as delivered (smtp-sink's own lines left out)"
# smtp-sink writes its notes first (X-Client-*, X-Helo-Args, X-Mail-Args, X-Rcpt-Args
# and a Received "by smtp-sink"); what follows is what Postfix sent.
awk 'BEGIN { sink = 1 }
	/^$/ { exit }
	sink && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
	sink && /^Received: / { skip = 1; sink = 0; next }
	skip && /^[ \t]/ { next }
	{ sink = 0; skip = 0; print "    " $0 }' "$(pf_sink_files | tail -n 1)"
echo
echo "==== posture-milter's log lines"
sed 's/^/    /' "$PM_LOG"
exit "$status"
