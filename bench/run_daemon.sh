#!/usr/bin/env bash
# bench/run_daemon.sh - agauthd over its socket, next to a bare echo server.
#
# Run through `make bench` (after bench/run.sh's engine section), which
# builds build/agauthd, build/echo_server and build/bench_daemon first.
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
#   BENCH_THREADS        agauthd's [daemon] threads (0: one per CPU)
#   AGAUTHD              the daemon binary (default build/agauthd)
#
# It creates a temporary directory with a keyring holding an RS256 primary
# key and an HS256 verify-only key without kid (an imported SocketCluster
# authKey), starts agauthd and build/echo_server on sockets there, runs
# build/bench_daemon, prints its lines as they arrive and then a table
# with each target and whether it is met, and stops both servers.
set -eu -o pipefail

cd "$(dirname "$0")/.."

: "${BENCH_SECONDS:=1}"
: "${BENCH_REPS:=5}"
: "${BENCH_THREADS:=0}"
: "${BENCH_SIGN_KEY:=rsa2048}"
: "${AGAUTHD:=build/agauthd}"
export BENCH_SECONDS BENCH_REPS

# targets: daemon/echo round trip at most, verifies at depth 32 as a share
# of bare HMACs at least, p99 with signs in flight / idle p99 at most
ECHO_TARGET=1.25
HMAC_TARGET=0.70
LOAD_TARGET=2

CLIENT=build/bench_daemon
ECHO=build/echo_server
for b in "$AGAUTHD" "$ECHO" "$CLIENT"; do
	if [ ! -x "$b" ]; then
		echo "bench/run_daemon.sh: $b is missing; run 'make bench'" >&2
		exit 1
	fi
done

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

mkdir "$tmp/keys"
case $BENCH_SIGN_KEY in
rsa2048) sign_alg=RS256 ;;
p256) sign_alg=ES256 ;;
*) echo "bench/run_daemon.sh: BENCH_SIGN_KEY is rsa2048 or p256" >&2
   exit 2 ;;
esac
"$AGAUTHD" keygen "$BENCH_SIGN_KEY" "$tmp/keys/signer.pem" >/dev/null
# a SocketCluster authKey: text, used as its bytes
head -c 24 /dev/urandom | base64 | tr -d '\n' >"$tmp/keys/authkey"
cat >"$tmp/keyring.conf" <<CONF
[key signer]
file = keys/signer.pem
algorithm = ${sign_alg}
state = primary

[key socketcluster]
file = keys/authkey
encoding = raw
algorithm = HS256
kid =
state = verify
CONF
cat >"$tmp/agauthd.conf" <<CONF
[daemon]
log_level = warning
threads = ${BENCH_THREADS}
state_dir = .
[socket]
path = agauthd.sock
mode = 0600
[keys]
keyring = keyring.conf
[access]
sign = *
verify = *
admin = *
CONF

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

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null |
	head -n 1)
threads=$BENCH_THREADS
[ "$threads" = 0 ] && threads="$(nproc) (one per CPU)"

echo "agauthd daemon benchmark: ${BENCH_REPS} repetitions"
# latencies of a few microseconds move with anything else running
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
	echo "warning: load average $load before the run: other work on this"
	echo "machine will show in the figures, the latencies most"
fi
echo
echo "== bench_daemon against $AGAUTHD and $ECHO =="
"$CLIENT" "$tmp/agauthd.sock" "$tmp/echo.sock" "$tmp/keys/authkey" |
	tee "$tmp/client.out"
if [ -s "$tmp/agauthd.log" ]; then
	echo "-- agauthd's log --"
	cat "$tmp/agauthd.log"
fi
echo

cat <<EOF
== results: median of ${BENCH_REPS} repetitions [min-max] ==
machine:  ${cpu:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)
agauthd:  $AGAUTHD, crypto threads ${threads}, primary key ${sign_alg}; $(sed -n 's/^# mbedtls /mbedTLS /p' "$tmp/client.out")
client:   $(sed -n 's/^# verify request frame /verify request frame /p' "$tmp/client.out")

EOF

grep -v '^#' "$tmp/client.out" |
awk -v et="$ECHO_TARGET" -v ht="$HMAC_TARGET" -v lt="$LOAD_TARGET" \
    -v alg="$sign_alg" '
	{ med[$2] = $3; lo[$2] = $4; hi[$2] = $5 }
	function fig(n, d) {
		if (!(n in med))
			return "-"
		return sprintf("%." d "f [%." d "f-%." d "f]", med[n], lo[n],
			       hi[n])
	}
	function row(what, n, d) {
		printf "  %-36s %s\n", what, fig(n, d)
	}
	function row3(what, n) {
		printf "  %-36s %-22s %-22s %s\n", what, fig(n "_p50_us", 1),
		       fig(n "_p99_us", 1), fig(n "_p999_us", 1)
	}
	function verdict(what, n, target, le,   ok) {
		if (!(n in med)) {
			printf "  %-36s not measured\n", what
			return
		}
		ok = le ? med[n] <= target : med[n] >= target
		printf "  %-36s %-22s target %s %s: %s\n", what, fig(n, 3),
		       le ? "<=" : ">=", target, ok ? "met" : "NOT met"
	}
	END {
		print "a. round trip at depth 1: HS256 verify vs echo of the same frame (us)"
		printf "  %-36s %-22s %-22s %s\n", "", "p50", "p99", "p999"
		row3("agauthd hs256 verify", "hs256_verify_d1")
		row3("echo server", "echo_d1")
		row("added by agauthd at p50 (us)", "hs256_verify_d1_added_p50_us", 1)
		verdict("ratio daemon/echo, p50", "verify_per_echo_p50", et, 1)
		verdict("ratio daemon/echo, p99", "verify_per_echo_p99", et, 1)
		row("ratio daemon/echo, p999", "verify_per_echo_p999", 3)
		row("(echo + 1 bare HMAC)/echo, p50",
		    "echo_plus_bare_hmac_per_echo_p50", 3)
		print ""
		print "b. HS256 verify throughput at depth 32, pipelined (ops/s)"
		row("agauthd, 1 connection", "hs256_verify_d32_c1_ops", 0)
		row("agauthd, 2 connections", "hs256_verify_d32_c2_ops", 0)
		row("bare HMAC-SHA256, 1 core", "hmac_sha256_bare_ops", 0)
		row("the HMAC agauthd computes, alone", "hmac_sha256_agauthd_ops", 0)
		verdict("share of bare HMAC, 1 connection",
			"verify_d32_c1_per_bare_hmac", ht, 0)
		verdict("share of bare HMAC, 2 connections",
			"verify_d32_c2_per_bare_hmac", ht, 0)
		row("share of that HMAC, 1 connection",
		    "verify_d32_c1_per_agauthd_hmac", 3)
		print ""
		print "c. HS256 verify at depth 1 with " alg " signs in flight (us)"
		printf "  %-36s %-22s %-22s %s\n", "", "p50", "p99", "p999"
		row3("idle (a)", "hs256_verify_d1")
		row3(alg " signs in flight", "hs256_verify_d1_signload")
		row(alg " signs/s meanwhile", "signs_under_load_ops", 0)
		verdict("ratio p99 loaded/idle", "verify_p99_signload_per_idle",
			lt, 1)
		row("ratio p50 loaded/idle", "verify_p50_signload_per_idle", 3)
		row("ratio p999 loaded/idle", "verify_p999_signload_per_idle", 3)
	}'
echo
echo "(each ratio is taken per repetition from measurements run back to back,"
echo " then its median; a alternates daemon and echo request by request)"
