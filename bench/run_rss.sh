#!/usr/bin/env bash
# bench/run_rss.sh - agauthd's resident memory: idle, after a load of
# HS256 and RS256 requests, and with 10,000 idle connections, the
# shared-memory cache's pages counted apart.
#
# Run through `make bench` (after bench/run_daemon.sh), which builds
# build/agauthd and build/bench_rss first.  A benchmark, never a test: it
# fails only when a benchmark cannot run, never on a number.
#
#   BENCH_SECONDS  seconds of load in each repetition (default 1)
#   BENCH_REPS     repetitions, each a fresh agauthd (default 3)
#   BENCH_CONNS    idle connections opened (default 10000)
#   BENCH_THREADS  agauthd's [daemon] threads (0: one per CPU)
#   AGAUTHD        the daemon binary (default build/agauthd)
#
# It creates a temporary directory with the keyring bench/run_daemon.sh
# makes (an RS256 primary key and an HS256 verify-only key without kid),
# and a configuration whose limits allow the connections;
# build/bench_rss starts each daemon (RLIMIT_NOFILE raised), loads it,
# reads its /proc/PID/smaps and stops it.  The targets are judged by
# bench/results.js, as for every benchmark.
set -eu -o pipefail

cd "$(dirname "$0")/.."
. bench/lib/daemon_env.sh

: "${BENCH_SECONDS:=1}"
: "${BENCH_REPS:=3}"
: "${BENCH_CONNS:=10000}"
: "${BENCH_THREADS:=0}"
: "${AGAUTHD:=build/agauthd}"
export BENCH_SECONDS BENCH_REPS BENCH_CONNS

CLIENT=build/bench_rss
bench_need "$AGAUTHD" "$CLIENT" || exit 1

umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/agauthd-rbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# the default cache (64 MiB), and room for every connection besides
# the load's and the readiness probe's
bench_daemon_env "$tmp" rsa2048 "[limits]
max_connections = $((BENCH_CONNS + 64))" || exit 1

threads=$BENCH_THREADS
[ "$threads" = 0 ] && threads="$(nproc) (one per CPU)"
# every line that is not a measurement starts with '#'
cat <<EOF
# agauthd memory benchmark: ${BENCH_REPS} repetitions
# machine: $(nproc) CPUs, Linux $(uname -r), $(sed -n 's/^MemTotal:[[:space:]]*//p' /proc/meminfo) RAM
# agauthd: $AGAUTHD, crypto threads ${threads}; RSS read from /proc/PID/smaps,
#   the cache (its memfd mapping) counted apart, its private slot table
#   (16 bytes a slot, 2 MiB for the default 64 MiB) with the daemon
EOF
"$CLIENT" "$AGAUTHD" "$tmp/agauthd.conf" "$tmp/agauthd.sock" \
	"$tmp/keys/authkey"

