# shellcheck shell=bash
# proc.sh - stopping a server a test started (a bash library, sourced by nsd.sh,
# redis.sh, unbound.sh and postfix.sh).
#
#   proc_stop PID   TERM, then up to ~5 s for it to end, then KILL; reap it.
#                   0 when it ended on TERM (or was gone), 1 when it had to be killed.
#
# What can go wrong: a PID that is not our child cannot be reaped (wait says nothing
# and the status is not known): only pass processes this shell started.

proc_stop() {
	local pid="$1" rc=0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		rc=1
	fi
	wait "$pid" 2>/dev/null || true
	return "$rc"
}
