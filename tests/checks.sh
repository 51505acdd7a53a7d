# checks.sh - sourced by the shell suites (tests/install/, tests/systemd/).
# Each check prints "ok N - NAME" or "not ok N - NAME" followed by its
# output; lines starting with "# " (a check may print them) are figures
# tests/run.sh shows; the
# last lines are "# pass N", "# fail N" and "# skip N" (as node --test's
# TAP).
#
#   check NAME COMMAND [ARGS...]   one check: passes if COMMAND exits 0
#   skip NAME WHY                  a check that cannot run here: counted as
#                                  skipped, not passed (README.md lists
#                                  what may be)
#   need TOOL PACKAGE              a check that fails if TOOL is missing
#                                  (make deps installs PACKAGE)
#   figure TEXT                    a line for the summary
#   checks_done                    the totals; exits 1 if any check failed

checks_n=0
checks_pass=0
checks_fail=0
checks_skip=0
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
	checks_n=$((checks_n + 1))
	checks_skip=$((checks_skip + 1))
	echo "ok $checks_n - $1 # SKIP $2"
}

# A tool the suite cannot do without is a failure, not a skip: make deps
# installs it, so a missing one means the set-up is broken.
need() {
	command -v "$1" >/dev/null && return 0
	check "$1 is installed" sh -c "echo '$1 is missing: make deps installs it (Debian package $2)'; exit 1"
	return 1
}

figure() {
	echo "# $*"
}

checks_done() {
	echo "# pass $checks_pass"
	echo "# fail $checks_fail"
	echo "# skip $checks_skip"
	[ "$checks_fail" -eq 0 ]
}
