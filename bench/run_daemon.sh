#!/usr/bin/env bash
# bench/run_daemon.sh - agauthd over its socket, next to a bare echo server.
#
# Run through `make bench` (bench/run.sh runs it twice, the second time
# with BENCH_SIGN_KEY=p256 BENCH_ONLY=c), which builds build/agauthd,
# build/echo_server and build/bench_daemon first.
# A benchmark, never a test: it fails only when a benchmark cannot run,
# never on a number.
#
#   BENCH_SECONDS        seconds per throughput repetition (default 1)
#   BENCH_REPS           repetitions, median reported (default 5)
#   BENCH_LAT_N          requests per latency repetition (default 20000)
#   BENCH_DEPTH          pipelined requests per connection (default 32)
#   BENCH_SLICES         slices per repetition (default 10; see
#                        bench/bench_daemon.c)
#   BENCH_SIGN_INFLIGHT  signs kept in flight in the mixed test (8)
#   BENCH_SIGN_KEY       the primary key those signs use, an `agauthd
#                        keygen` type: rsa2048 (RS256, the default) or p256
#                        (ES256, whose signs are not serialized per key)
#   BENCH_ONLY           a, b or c: only that part of bench_daemon
#   BENCH_THREADS        agauthd's [daemon] threads (0: one per CPU)
#   AGAUTHD              the daemon binary (default build/agauthd)
#
# It creates a temporary directory with a keyring holding an RS256 primary
# key and an HS256 verify-only key without kid (an imported SocketCluster
# authKey), starts agauthd and build/echo_server on sockets there, runs
# build/bench_daemon, prints its lines as they arrive, and stops both
# servers.  bench/results.js puts the figures in tables beside their
# targets.
set -eu -o pipefail

cd "$(dirname "$0")/.."
. bench/lib/daemon_env.sh

: "${BENCH_SECONDS:=1}"
: "${BENCH_REPS:=5}"
: "${BENCH_THREADS:=0}"
: "${BENCH_SIGN_KEY:=rsa2048}"
: "${AGAUTHD:=build/agauthd}"
export BENCH_SECONDS BENCH_REPS

CLIENT=build/bench_daemon
ECHO=build/echo_server
bench_need "$AGAUTHD" "$ECHO" "$CLIENT" || exit 1

umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/agauthd-dbench.XXXXXX")
daemon_pid=
echo_pid=
stop() {
	# only the two servers this script started, by their pids
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$echo_pid" ]; then
		kill "$echo_pid" 2>/dev/null || true
		wait "$echo_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM

bench_daemon_env "$tmp" "$BENCH_SIGN_KEY" || exit 2
sign_alg=$bench_sign_alg

"$AGAUTHD" -c "$tmp/agauthd.conf" 2>"$tmp/agauthd.log" &
daemon_pid=$!
"$ECHO" "$tmp/echo.sock" 2>"$tmp/echo.log" &
echo_pid=$!
for _ in $(seq 100); do
	[ -S "$tmp/agauthd.sock" ] && [ -S "$tmp/echo.sock" ] && break
	sleep 0.05
done
if [ ! -S "$tmp/agauthd.sock" ] || [ ! -S "$tmp/echo.sock" ]; then
	echo "bench/run_daemon.sh: the servers did not start" >&2
	cat "$tmp/agauthd.log" "$tmp/echo.log" >&2
	exit 1
fi

threads=$BENCH_THREADS
[ "$threads" = 0 ] && threads="$(nproc) (one per CPU)"

echo "# agauthd daemon benchmark: $AGAUTHD, crypto threads ${threads}, primary key ${sign_alg}"
# latencies of a few microseconds move with anything else running
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
	echo "# warning: load average $load before the run: other work" \
		"shows in the figures, the latencies most"
fi
"$CLIENT" "$tmp/agauthd.sock" "$tmp/echo.sock" "$tmp/keys/authkey"
if [ -s "$tmp/agauthd.log" ]; then
	echo "# -- agauthd's log --"
	sed 's/^/# /' "$tmp/agauthd.log"
fi
