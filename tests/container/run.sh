#!/usr/bin/env bash
# tests/container/run.sh - the container recipes (Dockerfile,
# deploy/docker-compose.yml, deploy/kubernetes/) as far as a machine
# without docker or Kubernetes can try them:
#
#   1. the manifests parse and agree with each other and with
#      deploy/agauthd.conf (tests/container/manifests.py);
#   2. the Dockerfile's steps run (tests/container/dockerfile.py) in a
#      Debian 12 root made with mmdebstrap (minbase, standing for
#      debian:12-slim), cached in build/container/ with the roots after
#      the package steps, as docker caches layers;
#   3. the image's agauthd starts as uid 10001 in its own mount and PID
#      namespaces (unshare; tests/container/inside.sh) on a read-only root,
#      with a Kubernetes Secret's layout at /etc/agauthd/keys and a
#      ConfigMap's at /etc/agauthd/keyring, answers the app's side and its
#      own HEALTHCHECK, picks up the kubelet's update of both with
#      `agauthctl reload`, and under a memlock limit of 0 says what it
#      needs.
#
# What this does not try: docker itself (image layers, the compose file's
# networking and healthcheck timing) and a kubelet (the pod's
# securityContext is checked as text, and applied here by setpriv).
# Needs root (mmdebstrap, chroot, mount); the first run downloads
# Debian 12's packages (some 150 MB), later runs use build/container/.
set -u
cd "$(dirname "$0")/../.."
repo=$(pwd)
. tests/checks.sh

PY=/usr/bin/python3
if need python3 python3 && check "python3-yaml is installed" $PY -c 'import yaml'; then
	for c in parse pod compose image; do
		check "manifests: $c (tests/container/manifests.py)" $PY tests/container/manifests.py "$c"
	done
fi

if [ "$(id -u)" != 0 ]; then
	skip "the Dockerfile's steps in a Debian 12 root" "needs root (mmdebstrap, chroot, mount)"
	checks_done
	exit
fi
need mmdebstrap mmdebstrap || { checks_done; exit; }
need unshare util-linux || { checks_done; exit; }

cache=$repo/build/container
base=$cache/bookworm-minbase.tar
work=$(mktemp -d /var/tmp/agauthd-container-XXXXXX)
daemon=
mounted=()
cleanup() {
	local i
	[ -z "$daemon" ] || kill -KILL "$daemon" 2>/dev/null
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2>/dev/null
	done
	rm -rf --one-file-system "$work" "$checks_out"
}
trap cleanup EXIT

mkdir -p "$cache"
base_root() {
	[ -f "$base" ] && return 0
	mmdebstrap --quiet --variant=minbase --format=tar bookworm "$base.tmp" &&
		mv "$base.tmp" "$base"
}
t0=$(date +%s)
check "a Debian 12 root (mmdebstrap --variant=minbase bookworm, cached in build/container)" base_root
t1=$(date +%s)
check "the Dockerfile's steps run in it (tests/container/dockerfile.py)" \
	$PY tests/container/dockerfile.py "$base" "$cache/layers" "$work/image"
t2=$(date +%s)
figure "base root $((t1 - t0)) s, Dockerfile steps $((t2 - t1)) s"
img=$work/image/image.json
[ -f "$img" ] || { checks_done; exit; }
r=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["root"])' "$img")
sock_env=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["env"]["AGAUTHD_SOCKET"])' "$img")

image_content() {
	local v
	v=$(chroot "$r" /usr/sbin/agauthd --version) &&
	[ "$v" = "agauthd $(cat VERSION)" ] && echo "$v" &&
	! chroot "$r" ldd /usr/sbin/agauthd /usr/bin/agauthctl | grep 'not found' &&
	[ ! -e "$r/usr/bin/gcc" ] && [ ! -e "$r/src" ] && [ ! -e "$r/usr/bin/make" ] &&
	[ "$(stat -c %u:%g:%a "$r/var/lib/agauthd")" = 10001:10001:750 ] &&
	grep -q '^agauthd:x:10001:10001:' "$r/etc/passwd" &&
	[ "$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["user"])' "$img")" = 10001:10001 ]
}
check "the image: agauthd and agauthctl, their libraries, the user 10001, no compiler or sources" image_content

# The volumes, as the kubelet writes them (its AtomicWriter): files in a
# timestamped directory, ..data a link to it, a link per file; a
# Secret's files 0440 and a ConfigMap's 0444, root's, group fsGroup.
volume() {  # DIR STAMP MODE NAME=FILE...
	local dir=$1 stamp=$2 mode=$3 old= f
	shift 3
	mkdir -p "$dir"
	chown 0:10001 "$dir"
	chmod 2755 "$dir"
	[ -L "$dir/..data" ] && old=$(readlink "$dir/..data")
	mkdir "$dir/$stamp"
	for f in "$@"; do
		cp "${f#*=}" "$dir/$stamp/${f%%=*}"
		chown 0:10001 "$dir/$stamp/${f%%=*}"
		chmod "$mode" "$dir/$stamp/${f%%=*}"
	done
	ln -s "$stamp" "$dir/..data_tmp"
	mv -T "$dir/..data_tmp" "$dir/..data"
	for f in "$@"; do
		[ -L "$dir/${f%%=*}" ] || ln -s "..data/${f%%=*}" "$dir/${f%%=*}"
	done
	[ -z "$old" ] || rm -rf "${dir:?}/$old"
}
build/agauthd keygen hs256 "$work/hs1.key" >/dev/null
build/agauthd keygen p256 "$work/es2.pem" >/dev/null
volume "$work/secret" ..2026_12_07_10_00_00.123456789 0440 hs1.key="$work/hs1.key"
volume "$work/config" ..2026_12_07_10_00_00.123456790 0444 keyring.conf=deploy/keyring.conf
mkdir -m 2770 "$work/socket"
chown 10001:10001 "$work/socket"
# the socket's directory where the image's agauthctl looks for it
mount --bind "$work/socket" "$r/run/agauthd" && mounted+=("$r/run/agauthd")

in_image() {  # agauthctl ARGS... as 10001 in the image, as `docker exec` would
	env -i AGAUTHD_SOCKET="$sock_env" /usr/sbin/chroot --userspec=10001:10001 --groups=10001 \
		"$r" /usr/bin/agauthctl "$@"
}
app() {  # agauthctl ARGS... from the app's side of the shared volume
	build/agauthctl --socket "$work/socket/agauthd.sock" "$@"
}

unshare --mount --pid --fork --kill-child tests/container/inside.sh \
	"$r" "$work/socket" "$work/secret" "$work/config" \
	/usr/sbin/agauthd -c /etc/agauthd/agauthd.conf >"$work/agauthd.log" 2>&1 &
outer=$!
started() {
	local i
	for i in $(seq 1 150); do
		app ping >/dev/null 2>&1 && break
		kill -0 "$outer" 2>/dev/null || break
		sleep 0.2
	done
	daemon=$(pgrep -P "$outer")
	cat "$work/agauthd.log"
	app ping && [ -n "$daemon" ] &&
	grep -q '^Uid:[[:space:]]*10001[[:space:]]10001[[:space:]]10001[[:space:]]10001$' "/proc/$daemon/status" &&
	grep -q '^CapEff:[[:space:]]*0*$' "/proc/$daemon/status" &&
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$daemon/status" &&
	grep -Eq '^Groups:[[:space:]]*10001[[:space:]]*$' "/proc/$daemon/status"
}
check "agauthd starts as 10001 (no capabilities) on a read-only root with the Secret and ConfigMap mounted, and answers the app" started
check "the image's HEALTHCHECK, agauthctl ping as 10001 inside it" in_image ping

signed() {
	tok=$(app sign '{"sub":"alice"}') && app verify "$tok" | grep -q '"sub":"alice"'
}
tok=
check "a token signed with the Secret's key verifies" signed

updated() {
	cat >"$work/keyring.conf" <<-EOF
	[key hs1]
	file = /etc/agauthd/keys/hs1.key
	encoding = base64
	algorithm = HS256
	state = verify

	[key es2]
	file = /etc/agauthd/keys/es2.pem
	algorithm = ES256
	state = primary
	EOF
	volume "$work/secret" ..2026_12_07_11_00_00.000000001 0440 \
		hs1.key="$work/hs1.key" es2.pem="$work/es2.pem" &&
	volume "$work/config" ..2026_12_07_11_00_00.000000002 0444 \
		keyring.conf="$work/keyring.conf" &&
	in_image reload &&
	in_image --json keys | grep -q '"name":"es2","kid":"es2","alg":"ES256","state":"primary"' &&
	app verify "$tok" | grep -q '"sub":"alice"' &&
	app sign '{"sub":"bob"}' | cut -d. -f1 | base64 -d 2>/dev/null | grep -q '"alg":"ES256"'
}
check "the kubelet updates both volumes (..data renamed over); agauthctl reload as 10001 loads them" updated

memlock() {
	local out
	out=$(prlimit --memlock=0:0 unshare --mount --pid --fork --kill-child \
		tests/container/inside.sh "$r" "$work/socket" "$work/secret" \
		"$work/config" /usr/sbin/agauthd -t -c /etc/agauthd/agauthd.conf 2>&1)
	echo "$out"
	grep -q 'agauthd needs RLIMIT_MEMLOCK of 17 MiB .* and has 0 KiB: raise it where agauthd starts: systemd LimitMEMLOCK=17M; docker run --ulimit memlock=17825792; docker compose ulimits: memlock: 17825792; Kubernetes' <<<"$out"
}
check "with a memlock limit of 0 in the container, agauthd says what it needs and where to set it" memlock

stopped() {
	kill -TERM "$daemon" && wait "$outer"
	local rc=$?
	daemon=
	cat "$work/agauthd.log"
	[ "$rc" = 0 ] && grep -q 'agauthd stopped' "$work/agauthd.log"
}
check "SIGTERM stops it, status 0" stopped
checks_done
