# checks.sh - sourced by the shell suites (tests/install/, tests/systemd/).
# Each check prints "ok N - NAME" or "not ok N - NAME" followed by its
# output; lines starting with "# " (a check may print them) are figures
# tests/run.sh shows; the
# last lines are "# pass N" and "# fail N" (as node --test's TAP).
#
#   check NAME COMMAND [ARGS...]   one check: passes if COMMAND exits 0
#   skip NAME WHY                  a check that cannot run here (not a pass)
#   figure TEXT                    a line for the summary
#   checks_done                    the totals; exits 1 if any check failed

checks_n=0
checks_pass=0
checks_fail=0
checks_out=$(mktemp)
trap 'rm -f "$checks_out"' EXIT

check() {
	local name=$1
	shift
	checks_n=$((checks_n + 1))
	if "$@" >"$checks_out" 2>&1; then
		checks_pass=$((checks_pass + 1))
		echo "ok $checks_n - $name"
	else
		checks_fail=$((checks_fail + 1))
		echo "not ok $checks_n - $name"
	fi
	# a check's own "# " lines are figures: passed on as they are
	sed '/^# /!s/^/    /' "$checks_out"
}

skip() {
	echo "# skipped: $1 ($2)"
}

figure() {
	echo "# $*"
}

checks_done() {
	echo "# pass $checks_pass"
	echo "# fail $checks_fail"
	[ "$checks_fail" -eq 0 ]
}
