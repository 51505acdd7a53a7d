#!/usr/bin/env bash
# make fuzz: builds each harness with clang's libFuzzer (plus ASan and
# UBSan) and runs it for SECONDS, starting from the committed corpus.  New
# inputs go to build/fuzz/<name>/; copy the interesting ones (and every
# crash, as a regression test) into tests/fuzz/corpus/<name>/.
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-60}
if ! command -v clang >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -qq clang libclang-rt-dev >/dev/null
	else
		echo "make fuzz needs clang: sudo apt-get install -y clang libclang-rt-dev"
		exit 1
	fi
fi
flags="-std=c11 -D_GNU_SOURCE -O1 -g -iquote . -ffp-contract=off
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
src="shared/*.c daemon/key.c daemon/jws.c daemon/sign.c daemon/verify.c"
mkdir -p build/fuzz
for h in tests/fuzz/fuzz_*.c; do
	name=$(basename "$h" .c)
	name=${name#fuzz_}
	# shellcheck disable=SC2086
	clang $flags -o "build/fuzz/fuzz_$name" "$h" $src -lmsgpackc -lmbedcrypto -lm -lpthread
	mkdir -p "build/fuzz/$name"
	echo "fuzzing $name for ${seconds}s"
	"build/fuzz/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
		-max_len=20000 -artifact_prefix="build/fuzz/$name-" \
		"build/fuzz/$name" "tests/fuzz/corpus/$name" 2>&1 |
		grep -E '^(stat::number_of_executed_units|stat::peak_rss|==|SUMMARY)' || true
done
