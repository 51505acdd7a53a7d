#!/bin/sh
# tests/container/inside.sh ROOT SOCKET SECRET CONFIG PROGRAM [ARGS...]
#
# What a container runtime and the pod spec (deploy/kubernetes/pod.yaml)
# give agauthd, made with a mount namespace of its own (run it under
# `unshare --mount --pid --fork`): ROOT, the image's root, read-only
# (readOnlyRootFilesystem); SOCKET's directory at /run/agauthd (the
# emptyDir shared with the app); SECRET at /etc/agauthd/keys and CONFIG
# at /etc/agauthd/keyring, read-only, as the kubelet mounts a Secret and
# a ConfigMap; a tmpfs for the state directory; then PROGRAM as uid and
# gid 10001 with the fsGroup 10001, no capabilities and no_new_privs.
set -e
r=$1 sock=$2 secret=$3 config=$4
shift 4
mount --bind "$r" "$r"
mount --rbind /dev "$r/dev"
mount -t proc proc "$r/proc"
mount --bind "$sock" "$r/run/agauthd"
mount --bind "$secret" "$r/etc/agauthd/keys"
mount -o remount,bind,ro "$r/etc/agauthd/keys"
mount --bind "$config" "$r/etc/agauthd/keyring"
mount -o remount,bind,ro "$r/etc/agauthd/keyring"
mount -t tmpfs -o mode=0700,uid=10001,gid=10001 tmpfs "$r/var/lib/agauthd"
mount -o remount,bind,ro "$r"
exec chroot "$r" setpriv --reuid=10001 --regid=10001 --groups=10001 \
	--inh-caps=-all --bounding-set=-all --no-new-privs "$@"
