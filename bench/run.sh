#!/usr/bin/env bash
# bench/run.sh - every benchmark, then bench/RESULTS.md.
#
# Run through `make bench`, which builds the programs and installs the npm
# packages first.  A benchmark, never a test: it fails only when a
# benchmark cannot run, never on a number.
#
#   BENCH_QUICK=1  one short repetition of everything (about 2 minutes),
#                  to check the pipeline: writes bench/RESULTS.draft.md,
#                  never RESULTS.md
#   BENCH_RUNS     the labels to run (default: all of the list below),
#                  e.g. "daemon node"; a partial run writes the draft too
#   BENCH_SECONDS  seconds per repetition (default 1; quick 0.2)
#   BENCH_REPS     repetitions of every benchmark (default: its own, in the
#                  list below; quick 1)
#   BENCH_LAT_N    requests per latency repetition (bench_daemon's default;
#                  quick 4000)
#   BENCH_SLICES   slices of a bench_daemon repetition (its default; quick
#                  2, so that a slice outlasts an RS256 sign)
#   BENCH_CRYPTO   the crypto backend the build used, for the header
#                  (make bench passes its CRYPTO)
#   and the settings of each benchmark (see its header), passed through.
#
# Each benchmark's output goes to the terminal as it arrives.  Every line,
# after the label of its run, and this script's "meta" lines (machine,
# versions, settings) go to bench/RESULTS.raw (.draft.raw), which
# bench/results.js turns into bench/RESULTS.md (.draft.md); the targets
# table is printed at the end.  To remake the tables without measuring
# again:
#
#   node bench/results.js bench/RESULTS.raw >bench/RESULTS.md
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1

# The benchmarks, in the order they run: the label bench/results.js finds
# their figures by, their repetitions, and the command.  A command whose
# file (its first word with a '/') is not in the tree is skipped with a
# note (some are still being written).
BENCHES='
engine        5  bench/run_engine.sh
daemon        5  env BENCH_SIGN_KEY=rsa2048 bench/run_daemon.sh
daemon-es256  5  env BENCH_SIGN_KEY=p256 BENCH_ONLY=c bench/run_daemon.sh
node          5  node bench/bench_node_engine.js
cache         5  build/bench_cache
node-cache    3  node bench/bench_nodecache.js
procs         3  node bench/bench_procs.js
storm         3  node bench/bench_storm.js
rss           3  bench/run_rss.sh
fleet         3  node bench/bench_fleet.js
'

# the settings the run was asked for, before the defaults fill them in
asked=
for v in "${!BENCH_@}"; do
	# (make bench sets BENCH_CRYPTO itself: the header says it apart)
	[ "$v" = BENCH_CRYPTO ] && continue
	case ${!v} in
	*[![:alnum:]_.,:/=-]*) asked="$asked$v='${!v}' " ;;
	*) asked="$asked$v=${!v} " ;;
	esac
done
reps_asked=${BENCH_REPS:-}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_SECONDS:=0.2}"
	: "${BENCH_LAT_N:=4000}"
	: "${BENCH_SLICES:=2}"
	reps_asked=${reps_asked:-1}
fi
: "${BENCH_SECONDS:=1}"
export BENCH_SECONDS BENCH_QUICK=${BENCH_QUICK:-0}
[ -n "${BENCH_LAT_N:-}" ] && export BENCH_LAT_N
[ -n "${BENCH_SLICES:-}" ] && export BENCH_SLICES

out=bench/RESULTS.md
if [ "$BENCH_QUICK" = 1 ] || [ -n "${BENCH_RUNS:-}" ]; then
	out=bench/RESULTS.draft.md
fi
raw=${out%.md}.raw

tmp=$(mktemp -d "${TMPDIR:-/tmp}/agauthd-benchrun.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# "meta <key> <value>" into the raw file
meta() {
	local key=$1
	shift
	echo "meta $key $*" >>"$tmp/raw"
}

# the version of a Debian package, or of an npm package of tests/
debver() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown
}
npmver() {
	node -p "require('./tests/node_modules/$1/package.json').version" 2>/dev/null ||
		echo unknown
}

# (the files this script and people write after a run do not count)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain -- . ':!bench/RESULTS.md' ':!bench/NOTES.md' 2>/dev/null)" ] &&
	commit="$commit (with changes)"
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta commit "$commit"
meta cpu "$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)"
meta cpus "$(nproc)"
meta kernel "$(uname -sr)"
meta memory "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
meta load "$(cut -d' ' -f1-3 /proc/loadavg)"
meta quick "$BENCH_QUICK"
meta version-node "$(node --version)"
for p in jsonwebtoken ag-auth fast-jwt; do
	meta "version-$p" "$(npmver "$p")"
done
meta version-libev "$(debver libev-dev)"
meta version-libcrypto "$(debver libssl-dev)"
meta version-mbedtls "$(debver libmbedtls-dev)"
# the engine's crypto backend, as make was asked to build it (CRYPTO)
meta crypto "${BENCH_CRYPTO:-default}"
meta version-msgpack-c "$(debver libmsgpack-dev)"
meta command "${asked}make bench"
meta settings "BENCH_SECONDS=$BENCH_SECONDS" \
	"${BENCH_LAT_N:+BENCH_LAT_N=$BENCH_LAT_N }${BENCH_SLICES:+BENCH_SLICES=$BENCH_SLICES }" \
	"(BENCH_REPS: per run, below)"

echo "agauthd benchmarks into $out: $BENCH_SECONDS s per repetition;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
# (the list on fd 3: a benchmark reading its stdin must not eat it)
while read -r -u 3 label reps cmd; do
	[ -z "$label" ] && continue
	case " ${BENCH_RUNS:-$label} " in
	*" $label "*) ;;
	*) meta skipped "$label" "not in BENCH_RUNS"; continue ;;
	esac
	read -ra argv <<<"$cmd"
	file=
	for w in "${argv[@]}"; do
		case $w in */*) file=$w; break ;; esac
	done
	echo
	if [ -n "$file" ] && [ ! -e "$file" ]; then
		echo "# $label: $file is not in this tree: skipped"
		meta skipped "$label" "\`$file\` is not in this tree"
		continue
	fi
	reps=${reps_asked:-$reps}
	echo "== $label: $cmd (BENCH_REPS=$reps) =="
	start=$SECONDS
	BENCH_REPS=$reps "${argv[@]}" </dev/null | tee "$tmp/out"
	rc=${PIPESTATUS[0]}
	sed "s/^/$label /" "$tmp/out" >>"$tmp/raw"
	meta run "$label" "$reps" "$((SECONDS - start))" "$rc" "$cmd"
	if [ "$rc" != 0 ]; then
		echo "# $label: exit status $rc" >&2
		failed=1
	fi
done 3<<<"$BENCHES"

mv "$tmp/raw" "$raw"
if ! node bench/results.js "$raw" >"$tmp/results.md"; then
	echo "bench/run.sh: bench/results.js failed on $raw" >&2
	exit 1
fi
mv "$tmp/results.md" "$out"
echo
awk '/^## / { p = ($0 == "## Targets") } p' "$out"
echo "wrote $out ($raw: every line); took $((SECONDS / 60)) min $((SECONDS % 60)) s"
exit "$failed"
