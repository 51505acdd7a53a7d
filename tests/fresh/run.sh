#!/usr/bin/env bash
# tests/fresh/run.sh - `make fresh-test`: the README's two commands tried
# from nothing, as a new user on Debian 12 would.
#
#   1. a Debian 12 root from mmdebstrap (minbase, with make, git and
#      ca-certificates only), in a temporary directory;
#   2. the current commit (HEAD, not the work tree) cloned to /root/agauthd
#      inside it: a private home, as a root user's checkout usually is;
#   3. `make run` there, until `agauthctl ping` answers; then stopped;
#   4. `make test` there; its closing line is this script's last line.
#
# Needs root (mmdebstrap, chroot and bind mounts) and the Debian and npm
# registries.  Not part of `make test`: it downloads a few hundred MB.
#
# The one thing handed in from this host: its certificate authorities,
# because the npm registry is reached through them here.  npm is pointed
# at them with NODE_EXTRA_CA_CERTS and npm_config_cafile for this run
# only; nothing in the project depends on it.
#
# FRESH_KEEP=1 keeps the root (its path is printed) for a look after.
set -u
cd "$(dirname "$0")/../.."
repo=$(pwd)

die() { echo "fresh-test: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, chroot, mount); run it as root"
command -v mmdebstrap >/dev/null ||
	die "needs mmdebstrap: apt-get install -y mmdebstrap"
commit=$(git rev-parse --verify HEAD) || die "not a git checkout"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "fresh-test: note: uncommitted changes are not tested (HEAD $commit is)"

work=$(mktemp -d /var/tmp/agauthd-fresh-XXXXXX)
root=$work/root
log=$work/fresh.log
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2>/dev/null
	done
	if [ "${FRESH_KEEP:-0}" = 1 ]; then
		echo "fresh-test: root kept in $root"
	else
		rm -rf --one-file-system "$work"
	fi
}
trap cleanup EXIT

echo "fresh-test: building a Debian 12 root in $root"
mmdebstrap --quiet --variant=minbase --include=make,git,ca-certificates \
	bookworm "$root" >"$work/mmdebstrap.log" 2>&1 ||
	{ tail -n 20 "$work/mmdebstrap.log"; die "mmdebstrap failed"; }

# the root a mount point of its own, as a machine's or a container's is
# (unshare --propagation, which the container suite runs, needs one)
mount --bind "$root" "$root" && mount --make-private "$root" ||
	die "cannot bind $root onto itself"
mounted+=("$root")
for m in proc sys dev dev/pts dev/shm; do
	mount --bind "/$m" "$root/$m" || die "cannot bind /$m"
	mounted+=("$root/$m")
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
cp /etc/ssl/certs/ca-certificates.crt "$root/root/host-ca.crt" ||
	die "no /etc/ssl/certs/ca-certificates.crt to hand to npm"

git clone --quiet --no-hardlinks "$repo" "$root/root/agauthd" &&
	git -C "$root/root/agauthd" checkout --quiet "$commit" ||
	die "cannot clone $repo at $commit"
echo "fresh-test: cloned $commit to /root/agauthd"

# The inner script: make run in the background until agauthctl answers,
# then make test.  Everything else is what a new user types.
cat >"$root/root/fresh-inner.sh" <<'INNER'
set -u
cd /root/agauthd
set -m  # make run in a process group of its own, to stop it whole
make run >/root/make-run.log 2>&1 &
run=$!
ok=0
for _ in $(seq 1 900); do
	if [ -S run/agauthd.sock ] &&
	   build/agauthctl --socket run/agauthd.sock ping >/root/ping.out 2>&1; then
		ok=1; break
	fi
	kill -0 "$run" 2>/dev/null || break
	sleep 1
done
if [ "$ok" = 1 ]; then
	echo "make run: agauthctl ping answered: $(head -n 1 /root/ping.out)"
else
	echo "make run: agauthd never answered a ping"; tail -n 30 /root/make-run.log
fi
kill -TERM -- "-$run" 2>/dev/null
wait "$run" 2>/dev/null
set +m
[ "$ok" = 1 ] || exit 1
make test
INNER

# A clean environment: a new user's shell, with only the CA hand-over.
chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	NODE_EXTRA_CA_CERTS=/root/host-ca.crt npm_config_cafile=/root/host-ca.crt \
	/bin/bash /root/fresh-inner.sh 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "fresh-test: inner exit status $status (log kept in build/fresh.log)"
mkdir -p "$repo/build" && cp "$log" "$repo/build/fresh.log"
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
echo "fresh-test: ${last:-no closing line: make test did not finish}"
[ "$status" -eq 0 ] && [ -n "$last" ]
