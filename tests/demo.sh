#!/usr/bin/env bash
# make run: sets up ./run/ (a development config and HMAC key, created once,
# mode 0600) and runs the engine in the foreground through the driver:
# it signs a SocketCluster-style token, verifies it, and shows the errors a
# worker would see for a tampered, an expired and a not-yet-valid token,
# exactly as jsonwebtoken words them.  (The daemon of the next milestone
# replaces this demo.)
set -eu
cd "$(dirname "$0")/.."
umask 077
mkdir -p run/keys
if [ ! -s run/keys/dev.secret ]; then
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >run/keys/dev.secret
	echo "created run/keys/dev.secret (development HMAC key, mode 0600)"
fi
if [ ! -s run/agauthd.conf ]; then
	cat >run/agauthd.conf <<CONF
# agauthd development configuration, created by 'make run'.
[keys]
# HS256 development secret (hex text used as the secret's bytes)
secret = run/keys/dev.secret
algorithm = HS256
expiry = 86400
CONF
	echo "created run/agauthd.conf"
fi
secret=$(cat run/keys/dev.secret)
now=$(($(date +%s) * 1000))
drv=build/agjwt

ask() { printf '%s\n' "$1" | "$drv"; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

echo "agauthd engine demo (key: run/keys/dev.secret, never printed)"
reply=$(ask "{\"op\":\"sign\",\"key\":\"$secret\",\"now\":$now,\
\"payload\":\"{\\\"username\\\":\\\"alice\\\"}\",\
\"options\":\"{\\\"expiresIn\\\":86400}\"}")
token=$(field token <<<"$reply")
echo "signed:   $token"
verify() {
	ask "{\"op\":\"verify\",\"key\":\"$secret\",\"token\":\"$1\",\
\"now\":$2,\"options\":\"{\\\"algorithms\\\":[\\\"HS256\\\"]}\"}"
}
show() {
	local r=$1
	if grep -q '"ok":true' <<<"$r"; then
		p=$(field payload <<<"$r" | tr '_-' '/+')
		while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
		echo "valid, payload $(base64 -d <<<"$p")"
	else
		echo "$(field name <<<"$r"): $(field message <<<"$r")"
	fi
}
echo -n "verify:   "; show "$(verify "$token" "$now")"
last=${token: -1}
[ "$last" = A ] && swap=B || swap=A
echo -n "tampered: "; show "$(verify "${token%?}$swap" "$now")"
echo -n "tomorrow: "; show "$(verify "$token" $((now + 86400000)))"
reply=$(ask "{\"op\":\"sign\",\"key\":\"$secret\",\"now\":$now,\
\"payload\":\"{}\",\"options\":\"{\\\"notBefore\\\":\\\"1h\\\"}\"}")
echo -n "too soon: "; show "$(verify "$(field token <<<"$reply")" "$now")"
