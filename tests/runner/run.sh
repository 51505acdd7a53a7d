#!/usr/bin/env bash
# tests/runner/run.sh - the counting of tests/suites.sh, checked on made-up
# runner output: the closing line of `make test` is only worth what this
# counting is.  Prints TAP-like lines (tests/checks.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/checks.sh

work=$(mktemp -d /tmp/agauthd-runner-XXXXXX)
trap 'rm -rf "$work" "$checks_out"' EXIT

# A fresh tally in a subshell: suites.sh's totals after running "$@".
# totals COMMAND... -> "PASS FAIL SKIP"
totals() {
	(
		logs=$work/logs
		mkdir -p "$logs"
		. tests/suites.sh
		"$@" >/dev/null
		echo "$total_pass $total_fail $total_skip"
	)
}

expect() {
	local want=$1 got
	shift
	got=$(totals "$@")
	[ "$got" = "$want" ] || { echo "got '$got', want '$want' from: $*"; return 1; }
}

# node --test's TAP: a parent with subtests counts by its subtests; a
# parent that failed while its subtests passed is one failure; skips and
# todos are what they say.
cat >"$work/nested.tap" <<'EOF'
TAP version 13
# Subtest: parent
    # Subtest: child one
    ok 1 - child one
    # Subtest: child two
    ok 2 - child two # SKIP needs root
    1..2
ok 1 - parent
# Subtest: flat
ok 2 - flat
# Subtest: parent that fails after its subtests
    # Subtest: grandparent
        # Subtest: deep
        ok 1 - deep
        1..1
    ok 1 - grandparent
    1..1
not ok 3 - parent that fails after its subtests
# Subtest: parent of a failure
    # Subtest: failing child
    not ok 1 - failing child
    1..1
not ok 4 - parent of a failure
# Subtest: todo
not ok 5 - todo # TODO later
1..5
# tests 9
# pass 5
# fail 3
EOF
cat >"$work/criterion.out" <<'EOF'
[====] Synthesis: Tested: 7 | Passing: 4 | Failing: 2 | Crashing: 1
EOF

check "node TAP: subtests counted, not their parents; a parent's own failure once" \
	expect "4 2 1" suite node nested 7 cat "$work/nested.tap"
check "Criterion: crashes are failures" \
	expect "4 3 0" suite criterion crit 7 cat "$work/criterion.out"
check "a suite that runs fewer checks than its least fails" \
	expect "4 3 1" suite node short 8 cat "$work/nested.tap"
check "a suite that runs nothing fails" \
	expect "0 1 0" suite node empty 1 true
check "a runner that exits non-zero with no failure counted fails" \
	expect "0 1 0" suite criterion died 0 false
check "a second run adds its failures only" \
	expect "0 2 0" again node twice "again" cat "$work/nested.tap"
check "a program is one check, by its exit status" \
	expect "1 1 0" eval 'program good true; program bad false'
check "a suite still running when its time is up fails, and its log says so" \
	eval 'SUITE_TIMEOUT=1 expect "0 1 0" suite node hung 0 sleep 30 &&
		grep -q "^stopped: still running after 1 s" "$work/logs/hung.log"'
checks_done
