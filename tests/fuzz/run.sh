#!/usr/bin/env bash
# make fuzz: builds each harness with clang's libFuzzer (plus ASan and
# UBSan) and runs it for SECONDS, starting from the committed corpus.  New
# inputs go to build/fuzz/<name>/; copy the interesting ones (and every
# crash, as a regression test) into tests/fuzz/corpus/<name>/.
#
#   tests/fuzz/run.sh [SECONDS [NAME...]]   only the harnesses named
#   FUZZ_BUILD_ONLY=1 tests/fuzz/run.sh     build build/fuzz/fuzz_*, no run
#
# The project's code is compiled once, with the fuzzer's coverage but not
# its main, into two archives as for `make test` (the engine, and the
# daemon's other code that fuzz_config, fuzz_keyring and fuzz_revlog
# need), and each harness is linked against them.
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
if ! command -v clang >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -qq clang libclang-rt-dev >/dev/null
	else
		echo "make fuzz needs clang: sudo apt-get install -y clang libclang-rt-dev"
		exit 1
	fi
fi
flags="-std=c11 -D_GNU_SOURCE -O1 -g -iquote . -ffp-contract=off
       -fsanitize=address,undefined -fno-sanitize-recover=undefined"
engine="shared/*.c daemon/engine/*.c"
daemon=$(ls daemon/*.c | grep -vx daemon/main.c)
obj=build/fuzz/obj
mkdir -p "$obj/shared" "$obj/daemon/engine"
# shellcheck disable=SC2086
for f in $engine $daemon; do
	clang $flags -fsanitize=fuzzer-no-link -c -o "$obj/${f%.c}.o" "$f"
done
rm -f build/fuzz/libagengine.a build/fuzz/libagdaemon.a
# shellcheck disable=SC2086
ar rcs build/fuzz/libagengine.a $(for f in $engine; do echo "$obj/${f%.c}.o"; done)
# shellcheck disable=SC2086
ar rcs build/fuzz/libagdaemon.a $(for f in $daemon; do echo "$obj/${f%.c}.o"; done)

if [ $# -gt 0 ]; then
	harnesses=""
	for n in "$@"; do
		harnesses="$harnesses tests/fuzz/fuzz_$n.c"
	done
else
	harnesses=$(echo tests/fuzz/fuzz_*.c)
fi
for h in $harnesses; do
	name=$(basename "$h" .c)
	name=${name#fuzz_}
	# shellcheck disable=SC2086
	clang $flags -fsanitize=fuzzer -o "build/fuzz/fuzz_$name" "$h" \
		build/fuzz/libagdaemon.a build/fuzz/libagengine.a \
		-lev -linih -lmsgpackc -lmbedcrypto -lcrypto -lm -lpthread
	[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && continue
	# a revocation log's line holds a whole token: longer inputs
	case $name in
	revlog) max_len=65536 ;;
	*) max_len=20000 ;;
	esac
	mkdir -p "build/fuzz/$name"
	echo "fuzzing $name for ${seconds}s"
	"build/fuzz/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
		-max_len="$max_len" -artifact_prefix="build/fuzz/$name-" \
		"build/fuzz/$name" "tests/fuzz/corpus/$name" 2>&1 |
		grep -E '^(stat::number_of_executed_units|stat::peak_rss|==|SUMMARY)' || true
done
