#!/usr/bin/env bash
# The integration suite (tests/integration/) with every agauthd it starts
# under valgrind memcheck (agauthd-memcheck), its timeouts scaled by
# AGAUTHD_SLOW (default 20).  Called by `make memcheck`; takes long, and
# is not part of `make test`.
#
# Prints the suite's "N passed, N failed", then how many agauthd
# processes ran under valgrind and how many reported an error or a leak
# (their logs are in build/memcheck/; those of daemons run as another
# user, who may not write there, the harness adds at its exit: forOthers()
# in tests/integration/harness.js).  Exits non-zero if any test failed or
# any valgrind log holds a report.
set -u
cd "$(dirname "$0")/../.."
logs=build/memcheck
rm -rf "$logs"
mkdir -p "$logs"
# a copy: a rebuild while the run goes on does not change its daemon
cp build/agauthd "$logs/agauthd"
export AGAUTHD_MEMCHECK_BIN=$PWD/$logs/agauthd
export AGAUTHD=tests/memcheck/agauthd-memcheck AGAUTHD_MEMCHECK=1
export AGAUTHD_SLOW=${AGAUTHD_SLOW:-20} AGAUTHD_MEMCHECK_LOGS=$PWD/$logs
start=$(date +%s)
node --test --test-reporter=tap tests/integration/ >"$logs/integration.log" 2>&1
status=$?
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$logs/integration.log" | tail -n 1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$logs/integration.log" | tail -n 1)

# A report: an error as it happens (a daemon killed on purpose writes no
# summary), or a summary counting errors (leaks at exit count as errors).
report='ERROR SUMMARY: [1-9]|^==[0-9]+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap)'
runs=$(ls "$logs"/vg.*.log 2>/dev/null | wc -l)
killed=$(grep -L 'ERROR SUMMARY' "$logs"/vg.*.log 2>/dev/null | wc -l)
bad=$(grep -l -E "$report" "$logs"/vg.*.log 2>/dev/null)
echo "memcheck: $runs agauthd runs under valgrind ($killed killed before" \
     "their summary), $(echo "$bad" | grep -c .) with a report;" \
     "$(( $(date +%s) - start )) s"
for f in $bad; do
	echo "---- $f ----"
	grep -m 1 'Command:' "$f"
	grep -E -A 14 "$report|(definitely|indirectly|possibly) lost in loss" "$f" | head -n 60
done
if [ "${fail:-0}" -ne 0 ] || [ "$status" -ne 0 ]; then
	echo "---- failed tests ($logs/integration.log) ----"
	grep '^not ok' "$logs/integration.log" | head -n 40
fi
echo "${pass:-0} passed, ${fail:-0} failed"
[ "${fail:-0}" -eq 0 ] && [ "$status" -eq 0 ] && [ -z "$bad" ]
