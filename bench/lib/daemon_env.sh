# bench/lib/daemon_env.sh - sourced by the daemon benchmarks (run_daemon.sh,
# run_rss.sh): the programs they need, and a temporary agauthd home.
#
#   bench_daemon_env DIR KEYTYPE [CONF]
#
# makes DIR/keys with a primary signing key of KEYTYPE (an `agauthd keygen`
# type: rsa2048 for RS256, p256 for ES256) and an HS256 verify-only key
# without kid (an imported SocketCluster authKey, DIR/keys/authkey: text,
# used as its bytes), DIR/keyring.conf, and DIR/agauthd.conf (socket
# DIR/agauthd.sock, everyone allowed everything, BENCH_THREADS crypto
# threads) with CONF appended; sets bench_sign_alg to the primary key's
# algorithm.  Needs AGAUTHD and BENCH_THREADS.
# bench_need PROGRAM...: each is there to run, or says which is not.
bench_need() {
	local b

	for b in "$@"; do
		if [ ! -x "$b" ]; then
			echo "${0##*/}: $b is missing; run 'make bench'" >&2
			return 1
		fi
	done
}

bench_daemon_env() {
	local dir=$1 type=$2 extra=${3:-}

	case $type in
	rsa2048) bench_sign_alg=RS256 ;;
	p256) bench_sign_alg=ES256 ;;
	*) echo "bench: key type rsa2048 or p256, not '$type'" >&2
	   return 2 ;;
	esac
	mkdir "$dir/keys" || return 1
	"$AGAUTHD" keygen "$type" "$dir/keys/signer.pem" >/dev/null || return 1
	head -c 24 /dev/urandom | base64 | tr -d '\n' >"$dir/keys/authkey"
	cat >"$dir/keyring.conf" <<CONF
[key signer]
file = keys/signer.pem
algorithm = ${bench_sign_alg}
state = primary

[key socketcluster]
file = keys/authkey
encoding = raw
algorithm = HS256
kid =
state = verify
CONF
	cat >"$dir/agauthd.conf" <<CONF
[daemon]
log_level = warning
threads = ${BENCH_THREADS}
state_dir = .
[socket]
path = agauthd.sock
mode = 0600
[keys]
keyring = keyring.conf
[access]
sign = *
verify = *
admin = *
${extra}
CONF
}
