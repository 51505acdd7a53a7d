# tests/suites.sh - sourced by tests/run.sh (and its own check,
# tests/runner/run.sh): how each kind of suite is run and counted.
#
#   suite KIND NAME MIN COMMAND...   a suite, counted by count_KIND
#                                    (criterion, node, checks); fewer
#                                    than MIN checks run is a failure
#   again KIND NAME WHAT COMMAND...  the same checks run once more: only
#                                    their failures count
#   program NAME COMMAND...          one program that is one check
#   fuzzreplay MIN [DIR NAME [again]]  every tests/fuzz/fuzz_*.c harness
#                                    over its corpus, a check each (the
#                                    harnesses in DIR, build/san by
#                                    default; again: only failures count)
#
# Each writes its runner's output to $logs/NAME.log, prints one line and
# adds to total_pass, total_fail and total_skip.
total_pass=0
total_fail=0
total_skip=0
# No suite may run longer than this (s): a test that waits forever (an
# event missed, a child that never answers) fails its suite instead of
# hanging `make test`.  Generous: a loaded machine is slow, not stuck.
SUITE_TIMEOUT=${SUITE_TIMEOUT:-1800}

# bounded LOG COMMAND...: COMMAND's output into LOG, within SUITE_TIMEOUT;
# its status (124 and a line in LOG when it was stopped)
bounded() {
	local log=$1 status
	shift
	timeout --kill-after=30 "$SUITE_TIMEOUT" "$@" >"$log" 2>&1
	status=$?
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] ||
		echo "stopped: still running after ${SUITE_TIMEOUT} s" >>"$log"
	return "$status"
}

# failures LOG: each "not ok" of a TAP log with the YAML block that says
# why (node's error, expected and actual), the first 60 lines of them
failures() {
	awk '/^ *not ok / { show = 1; print; next }
	     show && /^ *\.\.\.$/ { show = 0 }
	     show' "$1" | head -n 60
}

# record NAME MIN PASS FAIL SKIP STATUS
record() {
	local name=$1 min=$2 pass=$3 fail=$4 skip=$5 status=$6 why=
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1 why="exit status $status"  # a suite that died failed
	fi
	if [ $((pass + fail + skip)) -lt "$min" ]; then
		fail=$((fail + 1)) why="ran $((pass + fail + skip)) checks, fewer than its least, $min"
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	printf '  %-28s %5d passed, %d failed' "$name" "$pass" "$fail"
	[ "$skip" -eq 0 ] || printf ', %d skipped' "$skip"
	[ -z "$why" ] || printf ' (%s)' "$why"
	printf '\n'
	[ "$skip" -eq 0 ] ||
		sed -n 's/^ *ok [0-9]* - \(.*\) # SKIP */    skipped: \1: /p' "$logs/$name.log"
	if [ "$fail" -ne 0 ]; then
		echo "---- what failed, and the last lines of $logs/$name.log ----"
		failures "$logs/$name.log"
		tail -n 40 "$logs/$name.log"
		echo "----"
	fi
}

# Each runner's counts, from its log, into n_pass, n_fail and n_skip.
# Criterion prints: [====] Synthesis: Tested: N | Passing: N | Failing: N | Crashing: N
count_criterion() {
	local line crash
	line=$(grep 'Synthesis:' "$1" | tail -n 1)
	n_pass=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
	n_fail=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$line")
	crash=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$line")
	n_pass=${n_pass:-0} n_fail=$(( ${n_fail:-0} + ${crash:-0} )) n_skip=0
}

# node --test with the TAP reporter: its own totals count a test with
# subtests beside them, so the test points are counted here instead,
# each test's subtests and not the test itself (a test with subtests
# counts as a failure only when it failed and none of them did).
count_node() {
	read -r n_pass n_fail n_skip < <(awk '
		/^ *(not )?ok [0-9]+/ {
			match($0, /^ */); ind = RLENGTH
			bad = ($0 ~ /^ *not ok/) && ($0 !~ /# TODO/)
			parent = (child[ind] == 1)
			childbad = (failin[ind] == 1)
			delete child[ind]; delete failin[ind]
			for (i = 0; i < ind; i++) {
				child[i] = 1
				if (bad) failin[i] = 1
			}
			if (parent) {
				if (bad && !childbad) fail++
				next
			}
			if (bad) fail++
			else if ($0 ~ /# SKIP/) skip++
			else pass++
		}
		END { printf "%d %d %d\n", pass, fail, skip }' "$1")
}

# A shell suite of tests/checks.sh: "ok N" and "not ok N" lines are its
# tests, its "# " lines figures to show here, "# pass N", "# fail N" and
# "# skip N" its totals.
count_checks() {
	grep '^# ' "$1" | grep -v '^# \(pass\|fail\|skip\) [0-9]*$' |
		sed 's/^# /    /'
	n_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$1" | tail -n 1)
	n_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$1" | tail -n 1)
	n_skip=$(sed -n 's/^# skip \([0-9]*\)$/\1/p' "$1" | tail -n 1)
	n_pass=${n_pass:-0} n_fail=${n_fail:-0} n_skip=${n_skip:-0}
}

# suite KIND NAME MIN COMMAND...: a suite of checks counted by count_KIND
suite() {
	local kind=$1 name=$2 min=$3 status
	shift 3
	bounded "$logs/$name.log" "$@"
	status=$?
	"count_$kind" "$logs/$name.log"
	record "$name" "$min" "$n_pass" "$n_fail" "$n_skip" "$status"
}

# again KIND NAME WHAT COMMAND...: a suite's checks run once more (under
# the sanitizers, under another Node): not new checks, so only what fails
# there counts.
again() {
	local kind=$1 name=$2 what=$3 status why=
	shift 3
	bounded "$logs/$name.log" "$@"
	status=$?
	"count_$kind" "$logs/$name.log"
	if [ "$status" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
		n_fail=1 why=" (exit status $status)"
	fi
	total_fail=$((total_fail + n_fail))
	printf '  %-28s %5d of %d pass again %s%s\n' \
		"$name" "$n_pass" "$((n_pass + n_fail))" "$what" "$why"
	if [ "$n_fail" -ne 0 ]; then
		echo "---- last lines of $logs/$name.log ----"
		tail -n 40 "$logs/$name.log"
		echo "----"
	fi
}

# The fuzz harnesses replay their committed corpora: each harness is one
# check, and one that is not built, or has no inputs, fails.
fuzzreplay() {
	local min=$1 dir=${2:-build/san} suite=${3:-fuzz-replay} mode=${4:-}
	local pass=0 fail=0 src name bin n status inputs=0 log
	log=$logs/$suite.log
	: >"$log"
	for src in tests/fuzz/fuzz_*.c; do
		name=${src##*/fuzz_}; name=${name%.c}
		bin=$dir/fuzz_$name
		if [ ! -x "$bin" ]; then
			echo "fuzz_$name: not built" >>"$log"
			fail=$((fail + 1)); continue
		fi
		bounded "$logs/$suite-$name.log" "$bin" "tests/fuzz/corpus/$name"
		status=$?
		cat "$logs/$suite-$name.log" >>"$log"
		n=$(sed -n 's/^replayed \([0-9]*\) inputs$/\1/p' "$logs/$suite-$name.log" | tail -n 1)
		if [ "$status" -eq 0 ] && [ "${n:-0}" -gt 0 ]; then
			pass=$((pass + 1)) inputs=$((inputs + n))
		else
			echo "fuzz_$name: status $status, ${n:-0} inputs" >>"$log"
			fail=$((fail + 1))
		fi
	done
	if [ "$mode" != again ]; then
		echo "    $inputs corpus inputs replayed under ASan+UBSan"
		record "$suite" "$min" "$pass" "$fail" 0 0
		return
	fi
	[ $((pass + fail)) -ge "$min" ] || fail=$((fail + 1))
	total_fail=$((total_fail + fail))
	printf '  %-28s %5d of %d pass again (%d inputs)\n' \
		"$suite" "$pass" "$((pass + fail))" "$inputs"
	[ "$fail" -eq 0 ] || { echo "---- $log ----"; grep -v '^replayed' "$log" | tail -n 40; echo "----"; }
}

# One program that is one test and prints its own figures.
program() {
	local name=$1 status
	shift
	bounded "$logs/$name.log" "$@"
	status=$?
	sed 's/^/    /' "$logs/$name.log"
	if [ "$status" -eq 0 ]; then
		record "$name" 1 1 0 0 0
	else
		record "$name" 1 0 1 0 "$status"
	fi
}

