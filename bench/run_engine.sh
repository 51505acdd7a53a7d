#!/usr/bin/env bash
# bench/run_engine.sh - the engine in process (build/bench_engine) and its
# peers jsonwebtoken and fast-jwt (bench/bench_peers.js), with the same
# keys.
#
# Run through `make bench` (bench/run.sh), which builds build/bench_engine
# and installs the npm packages first.  A benchmark, never a test: it
# fails only when a benchmark cannot run, never on a number.
#
#   BENCH_SECONDS  seconds per repetition (default 1)
#   BENCH_REPS     repetitions per measurement, median reported (default 5)
#
# Both sides print "<library> <operation> <median> <min> <max>" in ops/s
# (HS256, RS256, ES256, PS256 sign and verify); bench_engine also ES256
# verify and RS256 sign in two threads against one, per repetition, as
# engine-ratio.
set -eu -o pipefail

cd "$(dirname "$0")/.."

ENGINE=build/bench_engine
MODULES=tests/node_modules

if [ ! -x "$ENGINE" ]; then
	echo "bench/run_engine.sh: $ENGINE is missing; run 'make bench'" >&2
	exit 1
fi
for m in jsonwebtoken fast-jwt; do
	if [ ! -f "$MODULES/$m/package.json" ]; then
		echo "bench/run_engine.sh: $MODULES/$m is missing; run 'make bench'" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/agauthd-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/keys"
chmod 700 "$tmp/keys"

# The engine generates the keys and writes them for the Node side.
"$ENGINE" "$tmp/keys"
node bench/bench_peers.js "$tmp/keys"
