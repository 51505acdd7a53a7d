#!/usr/bin/env bash
# bench/run.sh - the engine against jsonwebtoken 9 and fast-jwt 6.
#
# Run through `make bench`, which builds build/bench_engine and installs the
# npm packages first.  A benchmark, never a test: it fails only when a
# benchmark cannot run, never on a number.
#
#   BENCH_SECONDS  seconds per repetition (default 1)
#   BENCH_REPS     repetitions per measurement, median reported (default 5)
#
# Each side prints "<library> <operation> <median> <min> <max>" in ops/s;
# this script prints those lines as they arrive, then a table with the
# ratio engine/peer per operation and the cost of an HS256 verification
# relative to a bare one-shot HMAC-SHA256 of the same signing input.
set -eu

cd "$(dirname "$0")/.."

: "${BENCH_SECONDS:=1}"
: "${BENCH_REPS:=5}"
export BENCH_SECONDS BENCH_REPS

# HS256 verification may cost at most this many bare HMACs.
HMAC_TARGET=1.3

ENGINE=build/bench_engine
MODULES=tests/node_modules

if [ ! -x "$ENGINE" ]; then
	echo "bench/run.sh: $ENGINE is missing; run 'make bench'" >&2
	exit 1
fi
for m in jsonwebtoken fast-jwt; do
	if [ ! -f "$MODULES/$m/package.json" ]; then
		echo "bench/run.sh: $MODULES/$m is missing; run 'make bench'" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/agauthd-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/keys"
chmod 700 "$tmp/keys"

pkgver() {
	node -p "require('./$MODULES/$1/package.json').version"
}

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null |
	head -n 1)
node_v=$(node --version)
jwt_v=$(pkgver jsonwebtoken)
fast_v=$(pkgver fast-jwt)

echo "agauthd engine benchmark: ${BENCH_REPS} x ${BENCH_SECONDS} s per measurement"
echo
echo "== engine (C, mbedTLS) =="
# The engine generates the keys and writes them for the Node side.
"$ENGINE" "$tmp/keys" | tee "$tmp/engine.out"
mbedtls=$(sed -n 's/^# mbedtls //p' "$tmp/engine.out")
echo
echo "== jsonwebtoken ${jwt_v}, fast-jwt ${fast_v} (node ${node_v}) =="
node bench/bench_peers.js "$tmp/keys" | tee "$tmp/peers.out"
echo

cat <<EOF
== results: ops/s, median of ${BENCH_REPS} x ${BENCH_SECONDS} s; (engine/peer) ==
machine:  ${cpu:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r)
versions: node ${node_v}, jsonwebtoken ${jwt_v}, fast-jwt ${fast_v}, mbedTLS ${mbedtls:-unknown}

EOF

grep -hv '^#' "$tmp/engine.out" "$tmp/peers.out" |
awk -v target="$HMAC_TARGET" '
	# a cell of width w; "×" may count as 2 bytes (mawk) or 1 char (gawk)
	function cell(s, w,   pad) {
		pad = w - (length(s) - gsub(/×/, "×", s) * (length("×") - 1))
		return s sprintf("%" (pad > 0 ? pad : 0) "s", "")
	}
	function ratio(e, p) {
		if (e == "" || p == "" || p == 0)
			return "-"
		r = e / p
		return sprintf("%.0f (" (r >= 1 ? "%.1f" : r >= 0.1 ? "%.2f" : \
			       "%.3f") "×)", p, r)
	}
	{
		med[$1, $2] = $3
		lo[$1, $2] = $4
		hi[$1, $2] = $5
		if ($1 == "engine-ratio")
			next
		if (!($2 in seen) && $2 != "hmac_sha256_bare") {
			seen[$2] = 1
			ops[++n] = $2
		}
	}
	END {
		split("jsonwebtoken fast-jwt fast-jwt-cache", peer, " ")
		printf "%s%s", cell("operation", 14), cell("engine", 10)
		printf "%s%s%s\n", cell(peer[1], 22), cell(peer[2], 22), peer[3]
		for (i = 1; i <= n; i++) {
			o = ops[i]
			e = med["engine", o]
			printf "%s%s", cell(o, 14), cell(e == "" ? "-" : e, 10)
			printf "%s%s%s\n", cell(ratio(e, med[peer[1], o]), 22),
			       cell(ratio(e, med[peer[2], o]), 22),
			       ratio(e, med[peer[3], o])
		}
		printf "\n"
		h = med["engine", "hmac_sha256_bare"]
		v = med["engine", "hs256_verify"]
		if (h == "" || v == "" || v == 0) {
			print "hs256_verify vs bare HMAC: not measured"
			exit
		}
		printf "bare HMAC-SHA256 (mbedtls_md_hmac one-shot, same signing input): %.0f ops/s\n", h
		# the paired figure: each repetition of hs256_verify divided by
		# the bare HMAC repetition measured right after it
		if (("engine-ratio", "hs256_verify_per_bare_hmac") in med) {
			c = med["engine-ratio", "hs256_verify_per_bare_hmac"]
			spread = sprintf(" (per-repetition range %.2f-%.2f×)",
					 lo["engine-ratio", "hs256_verify_per_bare_hmac"],
					 hi["engine-ratio", "hs256_verify_per_bare_hmac"])
		} else {
			c = h / v
			spread = ""
		}
		printf "hs256_verify cost / bare HMAC cost: %.2f×%s\n", c, spread
		printf "target ≤ %s×: %s\n", target, c <= target + 0 ? "met" : "NOT met"
	}'
echo
echo "(ratios are engine ops/s divided by the peer's; min and max of each"
echo " measurement are in the raw lines above)"

echo
# agauthd over its socket, next to a bare echo server
bench/run_daemon.sh

echo
echo "== the npm package's AuthEngine (client/node) against agauthd =="
node bench/bench_node_engine.js
