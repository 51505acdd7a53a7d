#!/usr/bin/env bash
# tests/metrics/run.sh - the metrics op's text as Prometheus reads it:
# `promtool check metrics` (Debian's prometheus package; a missing
# promtool fails the suite) on what agauthctl metrics and
# engine.metrics() print, from a daemon that has answered nothing yet and
# from one that has answered requests of every kind (tests/metrics/
# scrape.js); and the check is shown to refuse a text without its HELP
# lines and a counter without _total, so that its pass means something.
# The textfile collector's systemd units that docs/operations.md shows
# pass systemd-analyze verify.
# Run by tests/run.sh after `make all`; prints TAP-like lines
# (tests/checks.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/checks.sh

work=$(mktemp -d /tmp/agauthd-metrics-XXXXXX)
trap 'rm -rf "$work" "$checks_out"' EXIT

# promtool reads the text on stdin; any lint problem is a failure
promtool_ok() {
	promtool check metrics <"$1"
}

# The service and timer docs/operations.md ("Metrics") shows, as a
# reader would copy them, checked by systemd: not a word to say.
doc_units() {
	mkdir -p "$work/units" &&
	awk -v d="$work/units" '
		/^# \/etc\/systemd\/system\/agauthd-metrics\.(service|timer)$/ {
			sub(".*/", "", $2); f = d "/" $2; next }
		/^```$/ { f = "" }
		f != "" { print > f }' docs/operations.md &&
	[ -s "$work/units/agauthd-metrics.service" ] &&
	[ -s "$work/units/agauthd-metrics.timer" ] &&
	units_said=$(cd "$work/units" && systemd-analyze verify --man=no \
		./agauthd-metrics.service ./agauthd-metrics.timer 2>&1) &&
	# a value it ignores (a misspelt Type=) is only a warning
	{ [ -z "$units_said" ] || { echo "$units_said"; false; }; }
}

if need promtool prometheus; then
	check "a daemon's texts, before and after requests of every kind" \
		env AGAUTHD="${AGAUTHD:-build/san/agauthd}" node tests/metrics/scrape.js "$work"
	for f in first ctl engine; do
		check "promtool check metrics: $f.prom" promtool_ok "$work/$f.prom"
	done
	check "promtool refuses the text without its HELP lines" \
		sh -c "grep -v '^# HELP' '$work/ctl.prom' | promtool check metrics && exit 1 || exit 0"
	check "promtool refuses a counter without _total" \
		sh -c "sed 's/agauthd_cache_hits_total/agauthd_cache_hits/' '$work/ctl.prom' | promtool check metrics && exit 1 || exit 0"
	figure "$(grep -vc '^#' "$work/ctl.prom") samples in $(grep -c '^# TYPE' "$work/ctl.prom") families"
fi
check "the textfile collector's units in docs/operations.md pass systemd-analyze verify" \
	doc_units
checks_done
