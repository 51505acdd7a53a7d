#!/usr/bin/env bash
# Runs every suite, keeps each one's output in build/logs/, prints one line
# per suite and, last, "N passed, N failed" summed over all of them.
# Exits non-zero if anything failed.  Called by `make test`.
set -u
cd "$(dirname "$0")/.."
logs=build/logs
mkdir -p "$logs"
total_pass=0
total_fail=0

# record NAME PASS FAIL STATUS
record() {
	local name=$1 pass=$2 fail=$3 status=$4
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1  # a suite that died counts as a failure
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	printf '  %-28s %5d passed, %d failed\n' "$name" "$pass" "$fail"
	if [ "$fail" -ne 0 ]; then
		echo "---- last lines of $logs/$name.log ----"
		tail -n 40 "$logs/$name.log"
		echo "----"
	fi
}

# Criterion prints: [====] Synthesis: Tested: N | Passing: N | Failing: N | Crashing: N
criterion() {
	local name=$1; shift
	"$@" >"$logs/$name.log" 2>&1
	local status=$?
	local line pass fail crash
	line=$(grep 'Synthesis:' "$logs/$name.log" | tail -n 1)
	pass=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
	fail=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$line")
	crash=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$line")
	record "$name" "${pass:-0}" "$(( ${fail:-0} + ${crash:-0} ))" "$status"
}

# node --test with the TAP reporter prints "# pass N" and "# fail N"
nodetest() {
	local name=$1; shift
	"$@" >"$logs/$name.log" 2>&1
	local status=$?
	local pass fail
	pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$logs/$name.log" | tail -n 1)
	fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$logs/$name.log" | tail -n 1)
	record "$name" "${pass:-0}" "${fail:-0}" "$status"
}

# The fuzz harnesses replay their corpora: each input is one test.
fuzzreplay() {
	local pass=0 fail=0 bin name status
	: >"$logs/fuzz-replay.log"
	for bin in build/san/fuzz_*; do
		[ -x "$bin" ] || continue
		name=${bin##*/fuzz_}
		"$bin" "tests/fuzz/corpus/$name" >>"$logs/fuzz-replay.log" 2>&1
		status=$?
		n=$(sed -n 's/^replayed \([0-9]*\) inputs$/\1/p' \
			"$logs/fuzz-replay.log" | tail -n 1)
		if [ "$status" -eq 0 ]; then
			pass=$((pass + ${n:-0}))
		else
			fail=$((fail + 1))
		fi
	done
	record fuzz-replay "$pass" "$fail" 0
}

# A shell suite of tests/checks.sh: "ok N" and "not ok N" lines are its
# tests, its "# " lines figures to show here, "# pass N" and "# fail N"
# its totals.
checks() {
	local name=$1; shift
	"$@" >"$logs/$name.log" 2>&1
	local status=$?
	local pass fail
	grep '^# ' "$logs/$name.log" | grep -v '^# \(pass\|fail\) [0-9]*$' |
		sed 's/^# /    /'
	pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$logs/$name.log" | tail -n 1)
	fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$logs/$name.log" | tail -n 1)
	record "$name" "${pass:-0}" "${fail:-0}" "$status"
}

# One program that is one test and prints its own figures.
program() {
	local name=$1; shift
	"$@" >"$logs/$name.log" 2>&1
	local status=$?
	sed 's/^/    /' "$logs/$name.log"
	if [ "$status" -eq 0 ]; then
		record "$name" 1 0 0
	else
		record "$name" 0 1 "$status"
	fi
}

echo "agauthd test suites"
criterion unit build/unit --jobs 2
criterion unit-asan-ubsan build/san/unit --jobs 2
fuzzreplay
program cache-torture build/cache_torture 3 3
program daemon-torture build/daemon_torture build/agauthd 4 3
# faults and load against the release daemon (tests/faults/); longer runs
# take arguments (each program's usage)
program fault-restart build/fault_restart build/agauthd 5 16 0.5
program fault-hup build/fault_hup build/agauthd 3 4 10
program fault-conns build/fault_conns build/agauthd 10000 1
program fault-loris build/fault_loris build/agauthd 300 3
AGJWT=build/san/agjwt nodetest differential \
	node --test --test-reporter=tap tests/diff/
AGAUTHD=build/san/agauthd nodetest integration \
	node --test --test-reporter=tap tests/integration/
AGAUTHD=build/san/agauthd nodetest node-engine \
	node --test --test-reporter=tap tests/node/
AGAUTHD=build/san/agauthd nodetest socketcluster \
	node --test --test-reporter=tap tests/sc/
checks systemd tests/systemd/run.sh
checks install tests/install/run.sh
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
