#!/usr/bin/env bash
# make run: creates ./run/ once (a development configuration, keyring and
# HS256 key, mode 0600) and runs agauthd in the foreground on
# ./run/agauthd.sock.  Try it from another shell:
#   build/agauthctl --socket run/agauthd.sock sign '{"username":"alice"}'
set -eu
cd "$(dirname "$0")/.."
umask 077
mkdir -p run/keys
if [ ! -s run/keyring.conf ]; then
	build/agauthd keygen hs256 run/keys/dev.key
	cat >run/keyring.conf <<CONF
# development keyring created by 'make run'
[key dev]
file = keys/dev.key
encoding = base64
algorithm = HS256
state = primary
CONF
	echo "created run/keyring.conf and run/keys/dev.key (HS256, mode 0600)"
fi
if [ ! -s run/agauthd.conf ]; then
	cat >run/agauthd.conf <<CONF
# development configuration created by 'make run'
[daemon]
log_level = info
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
CONF
	echo "created run/agauthd.conf"
fi
echo "agauthd on run/agauthd.sock (Ctrl-C stops it)"
exec build/agauthd -c run/agauthd.conf
