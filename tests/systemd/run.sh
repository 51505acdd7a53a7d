#!/usr/bin/env bash
# tests/systemd/run.sh - the systemd units (systemd/), checked with
# systemd's own tools where they are installed:
#   - systemd-analyze verify on agauthd.service and agauthd.socket, the
#     service's ExecStart pointing at the built daemon in a temporary copy
#     (verify checks that the binary exists), the man pages of
#     Documentation= found through MANPATH;
#   - systemd-analyze security --offline=yes: overall exposure at most
#     EXPOSURE_MAX, and at most FLEET_EXPOSURE_MAX with the drop-in for a
#     fleet whose Redis is on TCP (systemd/agauthd-cluster.conf);
#   - sysusers and tmpfiles snippets applied to a temporary root;
#   - every system call agauthd makes under a workload (socket-activated,
#     notifying, signing on the crypto pool, rotating, reloading, revoking,
#     watching, cache) is in the unit's SystemCallFilter= (with strace).
# Run by tests/run.sh after `make all`; prints TAP-like lines
# (tests/checks.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/checks.sh

EXPOSURE_MAX=2.0
FLEET_EXPOSURE_MAX=3.0
root=$(pwd)
work=$(mktemp -d /tmp/agauthd-systemd-XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work" "$checks_out"
}
trap cleanup EXIT

# The units as make install writes them, but running build/agauthd; the
# man pages as make builds them (build/man) in a MANPATH layout.
units_copy() {
	mkdir -p "$work/units" "$work/man/man1" "$work/man/man5" "$work/man/man8"
	sed "s|@SBINDIR@|$root/build|g" systemd/agauthd.service.in \
		>"$work/units/agauthd.service"
	cp systemd/agauthd.socket "$work/units/"
	ln -sf "$root/build/man/agauthctl.1" "$work/man/man1/"
	ln -sf "$root/build/man/agauthd.conf.5" "$work/man/man5/"
	ln -sf "$root/build/man/agauthd.8" "$work/man/man8/"
}

verify() {
	grep -x "ExecStart=$root/build/agauthd -c /etc/agauthd/agauthd.conf" \
		"$work/units/agauthd.service" &&
	(cd "$work/units" && MANPATH=$work/man systemd-analyze verify \
		agauthd.service agauthd.socket)
}

# What the units must keep, whatever else changes: readiness by
# notification, the socket's owner and mode, and none of the settings
# that would break agauthd (see the comments in the unit).
invariants() {
	local svc=$work/units/agauthd.service sock=$work/units/agauthd.socket
	grep -qx 'Type=notify' "$svc" &&
	grep -qx 'User=agauthd' "$svc" &&
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$svc" &&
	! grep -q '^PrivateUsers=' "$svc" &&
	! grep -q '^RuntimeDirectory=' "$svc" &&
	! grep -q '^DynamicUser=' "$svc" &&
	grep -qx 'ListenStream=/run/agauthd/agauthd.sock' "$sock" &&
	grep -qx 'SocketMode=0660' "$sock" &&
	grep -qx 'SocketGroup=agauthd-clients' "$sock"
}

# security [UNIT MAX]: the unit's overall exposure, at most MAX
security() {
	local unit=${1:-agauthd.service} max=${2:-$EXPOSURE_MAX} out level
	out=$(cd "$work/units" && systemd-analyze security --offline=yes \
		--no-pager "$unit" 2>&1)
	echo "$out" | grep '✗'
	level=$(echo "$out" | sed -n "s/.*Overall exposure level for $unit: \\([0-9.]*\\).*/\\1/p")
	[ -n "$level" ] || { echo "$out"; return 1; }
	echo "# $unit exposure $level (at most $max)"
	awk -v l="$level" -v m="$max" 'BEGIN { exit !(l <= m) }'
}

# The unit with the fleet's drop-in applied (offline, the drop-in's lines
# after the unit's, as systemd reads a drop-in), as agauthd-fleet.service.
fleet_security() {
	{ cat "$work/units/agauthd.service"; echo; cat systemd/agauthd-cluster.conf; } \
		>"$work/units/agauthd-fleet.service"
	security agauthd-fleet.service "$FLEET_EXPOSURE_MAX"
}

# sysusers makes the user and the clients' group in a temporary root;
# tmpfiles then makes the directories with the owners and modes the
# daemon insists on.
sysusers_tmpfiles() {
	local r=$work/root uid gid cgid home line dir
	# installed where make install puts them (PREFIX=/usr)
	mkdir -p "$r/etc" "$r/usr/lib/sysusers.d" "$r/usr/lib/tmpfiles.d"
	cp systemd/agauthd.sysusers "$r/usr/lib/sysusers.d/agauthd.conf"
	cp systemd/agauthd.tmpfiles "$r/usr/lib/tmpfiles.d/agauthd.conf"
	systemd-sysusers --root="$r" agauthd.conf || return 1
	line=$(grep '^agauthd:' "$r/etc/passwd") || return 1
	echo "passwd: $line"
	IFS=: read -r _ _ uid gid _ home _ <<<"$line"
	[ "$home" = /var/lib/agauthd ] || return 1
	grep "^agauthd:x:$gid:" "$r/etc/group" || return 1
	cgid=$(grep '^agauthd-clients:' "$r/etc/group" | cut -d: -f3)
	[ -n "$cgid" ] && [ "$cgid" != "$gid" ] || return 1
	echo "group agauthd-clients: $cgid"
	systemd-tmpfiles --root="$r" --create agauthd.conf || return 1
	for dir in /etc/agauthd /etc/agauthd/keys /var/lib/agauthd; do
		line=$(stat -c '%a %u:%g' "$r$dir")
		[ "$line" = "700 $uid:$gid" ] ||
			{ echo "$dir: $line, not 700 $uid:$gid"; return 1; }
		echo "$dir: $line"
	done
}

# agauthd as systemd runs it: handed its socket as fd 3 (a python3
# helper binds it and execs agauthd with LISTEN_PID = its own pid) with a
# notify socket, under strace -f.
ACTIVATE=$(cat tests/activate.py)
# Runs COMMAND every 0.1 s until it succeeds, for at most SECONDS: a wait
# on an event, whose bound is only there for when it never comes (and is
# generous, for a loaded machine).
wait_until() {
	local secs=$1 i
	shift
	for i in $(seq $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	echo "waited $secs s for: $*"
	return 1
}

# Whether FILE has at least N lines matching PATTERN.
lines_at_least() {
	[ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "$3" ]
}

# A failure half way through the traced workload: agauthd's log, and
# agauthd stopped (its parent TRACER, strace, waits for it; so would the
# cleanup).  Returns 1.
trace_failed() {
	local d=$1 tracer=$2 p
	cat "$d/agauthd.log"
	for p in $(ps -o pid= --ppid "$tracer"); do
		kill "$p"
	done
	return 1
}

RECEIVE='
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode().replace("\n", " "), flush=True)
'

syscalls() {
	local d=$work/trace ctl="build/agauthctl --socket $work/trace/agauthd.sock"
	local tracer daemon watch tok pings
	mkdir -m 700 -p "$d/keys"
	build/agauthd keygen p256 "$d/keys/es1.pem" >/dev/null &&
	build/agauthd keygen hs256 "$d/keys/hs1.key" >/dev/null || return 1
	cat >"$d/keyring.conf" <<EOF
[key es1]
file = keys/es1.pem
algorithm = ES256
state = primary
[key hs1]
file = keys/hs1.key
encoding = base64
algorithm = HS256
state = verify
EOF
	cat >"$d/agauthd.conf" <<EOF
[daemon]
state_dir = .
threads = 2
[keys]
keyring = keyring.conf
[cache]
size = 4M
[revocation]
claim = username
EOF
	python3 -c "$RECEIVE" "$d/notify.sock" >"$d/notify.log" &
	pids+=($!)
	wait_until 30 test -S "$d/notify.sock" || return 1
	NOTIFY_SOCKET=$d/notify.sock WATCHDOG_USEC=1000000 \
		strace -f -qq -o "$d/strace.log" \
		python3 -c "$ACTIVATE" "$d/agauthd.sock" "$root/build/agauthd" \
		-c "$d/agauthd.conf" 2>"$d/agauthd.log" &
	tracer=$!
	pids+=("$tracer")
	wait_until 60 grep -q '^READY=1' "$d/notify.log" ||
		{ trace_failed "$d" "$tracer"; return 1; }
	daemon=$(ps -o pid= --ppid "$tracer" | tr -d ' ')
	[ -n "$daemon" ] || { trace_failed "$d" "$tracer"; return 1; }
	# the watch ends with the daemon (exit 69, "connection lost")
	timeout 20 $ctl watch >"$d/watch.log" 2>&1 &
	watch=$!
	tok=$($ctl sign --expires-in 1h '{"username":"alice"}') &&
	$ctl verify "$tok" >/dev/null &&
	$ctl --json verify --cache "$tok" | grep -q '"cache":"hit"' &&
	$ctl keys >/dev/null && $ctl stats >/dev/null && $ctl ping >/dev/null &&
	$ctl rotate --algorithm HS256 >/dev/null &&
	$ctl sign '{"username":"bob"}' >/dev/null &&
	$ctl reload >/dev/null &&
	# the SIGHUP reload is over at its READY=1 (the first came at start)
	kill -HUP "$daemon" &&
	wait_until 30 lines_at_least "$d/notify.log" '^READY=1' 2 &&
	$ctl revoke --sub alice >/dev/null &&
	! $ctl verify "$tok" >/dev/null 2>&1 &&
	# two more watchdog pings: the beat (heartbeat, watchdog) has run
	# with everything above done
	pings=$(grep -c '^WATCHDOG=1' "$d/notify.log" || :) &&
	wait_until 30 lines_at_least "$d/notify.log" '^WATCHDOG=1' $((pings + 2)) ||
		{ trace_failed "$d" "$tracer"; return 1; }
	kill -TERM "$daemon"
	wait "$tracer" || { cat "$d/agauthd.log"; return 1; }
	wait "$watch"
	grep -q 'revoke subject alice' "$d/watch.log" || { echo "watch: $(cat "$d/watch.log")"; return 1; }
	grep -q '^WATCHDOG=1' "$d/notify.log" &&
	grep -q '^RELOADING=1' "$d/notify.log" &&
	grep -q '^STOPPING=1' "$d/notify.log" || { cat "$d/notify.log"; return 1; }
	python3 tests/systemd/syscalls.py "$work/units/agauthd.service" \
		"$d/strace.log" "$root/build/agauthd"
}

if ! need systemd-analyze systemd; then
	checks_done
	exit
fi
units_copy
check "systemd-analyze verify agauthd.service agauthd.socket" verify
check "units keep Type=notify, User=agauthd, the socket's group and mode; no PrivateUsers=, RuntimeDirectory=" invariants
check "systemd-analyze security: exposure at most $EXPOSURE_MAX" security
check "with the drop-in for a Redis on TCP: exposure at most $FLEET_EXPOSURE_MAX" fleet_security
if need systemd-sysusers systemd && need systemd-tmpfiles systemd; then
	check "sysusers and tmpfiles snippets in a temporary root" sysusers_tmpfiles
fi
if need strace strace && need python3 python3; then
	check "agauthd's system calls under a workload are all in SystemCallFilter=" syscalls
fi
checks_done
