#!/bin/bash
# deb_package.sh - build the Debian package from a clean clone, check it with lintian,
# install it with dpkg, check what it installed and that the milter starts, then purge it.
#
#   tests/deb_package.sh            build from a clone of HEAD (commit your changes first)
#   tests/deb_package.sh --deb FILE skip the build and lintian: test that .deb
#
# Run by .ci/run (not by make check: it costs a whole second build and changes the
# machine's package database); by hand as root on a Debian 12 machine with
# scripts/install-deps.sh run. Steps:
#  1. git clone of this checkout's HEAD into a temp dir, dpkg-buildpackage -us -uc -b
#     there (its unit tests included, DEB_BUILD_OPTIONS as given);
#  2. lintian on the .changes and on the source package (dpkg-source -b): fails on any
#     error or warning not overridden (overrides are explained in
#     debian/posture-milter.lintian-overrides);
#  3. dpkg -i: the programs, the man pages, the conffile, the unit (and its enable
#     symlink, as deb-systemd-helper makes it without systemd), the Postfix and
#     Sendmail examples, the posture-milter system user and group, the state directory
#     owned by it, posture-milter -n -c /etc/posture-milter.conf;
#  4. the daemon started by hand as the unit starts it (as user posture-milter, -f, the
#     installed configuration; only the socket moved to a free loopback port with -p, as
#     8891 may be taken): it must answer a milter option negotiation, open its state
#     directory, and exit 0 on SIGTERM. On a machine that runs systemd, the installed
#     unit must be enabled and active as well;
#  5. dpkg -i again over the installed package (as an upgrade runs postinst): an edit
#     of the conffile is kept, the state directory unchanged;
#  6. dpkg --purge: the conffile, the state directory, the unit's enable symlink gone,
#     the system user kept (Debian practice). The user is then deleted if this script
#     created it, so that the machine is left as it was.
# Prints "ok NAME" / "FAIL NAME: reason" per check and a final "N passed, N failed".
#
# Exit: 0 all passed; 1 some failed; 77 (skip) when not root or a tool is missing and
# CI is not set (with CI set, a failure); 99 when posture-milter is already installed
# (this script would replace it and then purge it) or the checkout is not a git one.
#
# What can go wrong: a build or lintian failure (the log's tail is shown, the checks
# that follow fail); a daemon that does not listen within 10 s (its log is shown);
# leftovers if the script is killed with SIGKILL (otherwise the EXIT trap stops the
# daemon it started, by pid, purges the package if it installed it, and removes its
# temp dir). Uncommitted changes are not in the clone: the script says so.
set -u

top="$(cd "$(dirname "$0")/.." && pwd)"
PKG=posture-milter
CONF=/etc/posture-milter.conf
STATE=/var/lib/posture-milter
WANTS=/etc/systemd/system/multi-user.target.wants/posture-milter.service

# shellcheck source=tests/integration/report.sh
. "$top/tests/integration/report.sh"

# Fail $1 with reason $2, with the tail of file $3 (a log) as details.
fail_with() {
	fail "$1" "$2" - < <(tail -n 40 "$3" 2>/dev/null)
}
# Check one condition: $1 name, $2 reason on failure, then the command.
check() {
	local name="$1" why="$2"
	shift 2
	if "$@"; then
		pass "$name"
	else
		fail "$name" "$why"
	fi
}

deb=""
if [ "${1:-}" = "--deb" ] && [ -n "${2:-}" ]; then
	deb="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
elif [ $# -gt 0 ]; then
	echo "usage: $0 [--deb FILE]" >&2
	exit 2
fi

missing=""
[ "$(id -u)" = 0 ] || missing="root (for dpkg -i)"
for tool in git dpkg-buildpackage dh lintian python3 setpriv; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
skip_unless_present "$missing"
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -qv 'not-installed'; then
	echo "deb_package.sh: the package $PKG is already on this machine; this test would"
	echo "  replace and purge it. Remove it first: dpkg --purge $PKG"
	exit 99
fi

WORK="$(mktemp -d /tmp/deb_package.XXXXXX)"
chmod 755 "$WORK"
DAEMON=""
installed=no
user_existed=no
getent passwd posture-milter >/dev/null && user_existed=yes
cleanup() {
	if [ -n "$DAEMON" ]; then
		kill "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
	fi
	if [ "$installed" = yes ]; then
		dpkg --purge "$PKG" >/dev/null 2>&1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# ---- 1. build from a clean clone ----
if [ -z "$deb" ]; then
	if ! git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		echo "deb_package.sh: $top is not a git checkout"
		exit 99
	fi
	if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
		echo "deb_package.sh: note: uncommitted changes are not in the clone (HEAD is built)"
	fi
	git clone -q "$top" "$WORK/src"
	echo "deb_package.sh: building $(git -C "$WORK/src" log -1 --format='%h')"
	# The source package too (for lintian's source checks), before the tree is built.
	if ! (cd "$WORK/src" && dpkg-source -b .) >"$WORK/source.log" 2>&1; then
		fail_with source "dpkg-source -b failed" "$WORK/source.log"
	fi
	if (cd "$WORK/src" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
		pass build
	else
		fail_with build "dpkg-buildpackage failed" "$WORK/build.log"
	fi
	grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$WORK/build.log" | sed 's/^/  build tests: /'
	deb="$(ls "$WORK"/${PKG}_*.deb 2>/dev/null | head -n 1)"
	changes="$(ls "$WORK"/${PKG}_*.changes 2>/dev/null | head -n 1)"
	dsc="$(ls "$WORK"/${PKG}_*.dsc 2>/dev/null | head -n 1)"

	# ---- 2. lintian ----
	if [ -n "$changes" ]; then
		if lintian --fail-on error,warning --info "$changes" ${dsc:+"$dsc"} >"$WORK/lintian.log" 2>&1; then
			pass lintian
		else
			fail_with lintian "lintian reported errors or warnings" "$WORK/lintian.log"
		fi
		grep -E '^[EWIP]: ' "$WORK/lintian.log" | sed 's/^/  lintian: /'
	else
		fail lintian "no .changes file was built"
	fi
fi
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
	fail install "no .deb to install"
	finish
fi

# ---- 3. install and check the files ----
if dpkg -i "$deb" >"$WORK/install.log" 2>&1; then
	installed=yes
	pass install
else
	installed=yes	# half-installed: still purged at exit
	fail_with install "dpkg -i failed" "$WORK/install.log"
fi

for f in /usr/sbin/posture-milter /usr/bin/posture-check; do
	check "program-$(basename "$f")" "$f missing or not executable" test -x "$f"
done
for f in /usr/share/man/man1/posture-check.1.gz /usr/share/man/man5/posture-milter.conf.5.gz \
	/usr/share/man/man8/posture-milter.8.gz \
	/usr/share/doc/posture-milter/examples/postfix-main.cf \
	/usr/share/doc/posture-milter/examples/sendmail.mc \
	/usr/share/doc/posture-milter/copyright /lib/systemd/system/posture-milter.service; do
	check "file-$(basename "$f")" "$f missing" test -s "$f"
done
check conffile "$CONF is not a conffile of $PKG" \
	sh -c "dpkg-query -W -f='\${Conffiles}\n' $PKG | grep -q '^ $CONF '"
check version "posture-milter -V does not print the version of the package" \
	sh -c "/usr/sbin/posture-milter -V | grep -qx \"posture-milter \$(dpkg-query -W -f='\${Version}' $PKG)\""
check unit-paths "the unit does not run /usr/sbin/posture-milter -c $CONF" \
	grep -qx "ExecStart=/usr/sbin/posture-milter -f -c $CONF" /lib/systemd/system/posture-milter.service

pw="$(getent passwd posture-milter)"
check system-user "no system user posture-milter (uid below 1000, nologin): '$pw'" \
	sh -c "echo '$pw' | awk -F: '\$3 < 1000 && \$6 == \"/nonexistent\" && \$7 ~ /nologin\$/ { ok = 1 } END { exit !ok }'"
check system-group "no group posture-milter" sh -c "getent group posture-milter >/dev/null"
check state-dir "$STATE is not a directory owned by posture-milter, mode 750" \
	sh -c "[ \"\$(stat -c '%U:%G %a' $STATE 2>/dev/null)\" = 'posture-milter:posture-milter 750' ]"
if [ -d /run/systemd/system ]; then
	check unit-enabled "the unit is not enabled" systemctl -q is-enabled posture-milter.service
	check unit-active "the unit is not active" systemctl -q is-active posture-milter.service
else
	check unit-enabled "$WANTS does not point to the unit" \
		sh -c "[ \"\$(readlink $WANTS)\" = /lib/systemd/system/posture-milter.service ]"
fi

out="$WORK/n.out"
if /usr/sbin/posture-milter -n -c "$CONF" >"$out" 2>&1 && grep -qF "configuration OK" "$out"; then
	pass config-check
else
	fail_with config-check "posture-milter -n -c $CONF refused the installed file" "$out"
fi
out="$WORK/n-user.out"
if setpriv --reuid=posture-milter --regid=posture-milter --init-groups \
	/usr/sbin/posture-milter -n -c "$CONF" >"$out" 2>&1; then
	pass config-check-as-user
else
	fail_with config-check-as-user "posture-milter -n -c $CONF as the user posture-milter failed" "$out"
fi

# ---- 4. the daemon, started by hand as the unit starts it ----
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$WORK/daemon.log"
setpriv --reuid=posture-milter --regid=posture-milter --init-groups \
	/usr/sbin/posture-milter -f -c "$CONF" -p "inet:$port@127.0.0.1" >"$log" 2>&1 &
DAEMON=$!
# Negotiate milter options (SMFIC_OPTNEG, protocol version 6); print the reply's command.
negotiate() {
	python3 - "$port" <<'EOF'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
body = b"O" + struct.pack("!III", 6, 0x1ff, 0x1fffff)
s.sendall(struct.pack("!I", len(body)) + body)
f = s.makefile("rb")
head = f.read(4)
if len(head) < 4:
	raise SystemExit("connection closed")
reply = f.read(struct.unpack("!I", head)[0])
s.sendall(struct.pack("!I", 1) + b"Q")
print(reply[:1].decode())
EOF
}
listening=no
for _ in $(seq 100); do
	if ! kill -0 "$DAEMON" 2>/dev/null; then
		break
	fi
	if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$port" 2>/dev/null; then
		listening=yes
		break
	fi
	sleep 0.1
done
if [ "$listening" = yes ]; then
	pass daemon-listens
	reply="$(negotiate 2>&1)"
	if [ "$reply" = O ]; then
		pass daemon-negotiates
	else
		fail daemon-negotiates "the reply to SMFIC_OPTNEG was '$reply', not O"
	fi
	check daemon-user "the daemon does not run as posture-milter" \
		sh -c "[ \"\$(ps -o user= -p $DAEMON)\" = posture-milter ]"
	check daemon-state-dir "the daemon did not open $STATE (log: 'local in $STATE')" \
		grep -qF "local in $STATE" "$log"
	kill -TERM "$DAEMON"
	wait "$DAEMON"
	rc=$?
	DAEMON=""
	if [ "$rc" = 0 ]; then
		pass daemon-stops
	else
		fail_with daemon-stops "exit $rc after SIGTERM" "$log"
	fi
else
	fail_with daemon-listens "not listening on 127.0.0.1:$port (the daemon exited, or 10 s passed)" "$log"
fi

# ---- 5. installed again over itself: postinst's second run, the conffile edit kept ----
echo "# edited by deb_package.sh" >>"$CONF"
if dpkg -i "$deb" >"$WORK/reinstall.log" 2>&1; then
	pass reinstall
else
	fail_with reinstall "dpkg -i over the installed package failed" "$WORK/reinstall.log"
fi
check reinstall-conffile-kept "the administrator's edit of $CONF was lost" \
	grep -qx "# edited by deb_package.sh" "$CONF"
check reinstall-state-dir "$STATE changed owner or mode" \
	sh -c "[ \"\$(stat -c '%U:%G %a' $STATE 2>/dev/null)\" = 'posture-milter:posture-milter 750' ]"

# ---- 6. purge ----
if dpkg --purge "$PKG" >"$WORK/purge.log" 2>&1; then
	installed=no
	pass purge
else
	fail_with purge "dpkg --purge failed" "$WORK/purge.log"
fi
check purge-conffile "$CONF left" test ! -e "$CONF"
check purge-state-dir "$STATE left" test ! -e "$STATE"
check purge-programs "/usr/sbin/posture-milter left" test ! -e /usr/sbin/posture-milter
check purge-unit-link "$WANTS left" test ! -L "$WANTS"
check purge-keeps-user "the system user was removed" sh -c "getent passwd posture-milter >/dev/null"
if [ "$user_existed" = no ] && getent passwd posture-milter >/dev/null; then
	deluser --quiet --system posture-milter >/dev/null 2>&1
	getent group posture-milter >/dev/null && delgroup --quiet --system posture-milter >/dev/null 2>&1
fi

finish
