#!/usr/bin/env bash
# tests/install/run.sh - `make install` into a temporary DESTDIR with a
# PREFIX other than the default: the exact file list and modes, the
# pkg-config file, the installed units, the man pages, a C program built
# with `pkg-config --cflags --libs agauth` against the installed header and
# library that talks to the installed agauthd, and `make uninstall`.
# Run by tests/run.sh after `make all`; prints TAP-like lines
# (tests/checks.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/checks.sh

prefix=/opt/agauthd-test
dest=$(mktemp -d /tmp/agauthd-install-XXXXXX)
work=$(mktemp -d /tmp/agauthd-install-work-XXXXXX)
P=$dest$prefix
daemon=
cleanup() {
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	rm -rf "$dest" "$work" "$checks_out"
}
trap cleanup EXIT

# a make of its own: nothing from the make that runs the tests (its
# command-line PREFIX, its jobserver) may leak in
submake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s "$@"
}

# ---------------------------------------------------------------- files

install_files() {
	submake install DESTDIR="$dest" PREFIX="$prefix"
}

# Every file and link, with its mode, and nothing else anywhere under
# DESTDIR (so nothing went to /etc or outside PREFIX).
file_list() {
	local want got
	want=$(cat <<EOF
755 $prefix/bin/agauthctl
644 $prefix/include/agauth.h
644 $prefix/lib/libagauth.a
777 $prefix/lib/libagauth.so -> libagauth.so.1
755 $prefix/lib/libagauth.so.1
644 $prefix/lib/pkgconfig/agauth.pc
644 $prefix/lib/systemd/system/agauthd.service
644 $prefix/lib/systemd/system/agauthd.socket
644 $prefix/lib/sysusers.d/agauthd.conf
644 $prefix/lib/tmpfiles.d/agauthd.conf
755 $prefix/sbin/agauthd
644 $prefix/share/doc/agauthd/agauthd-cluster.conf
644 $prefix/share/doc/agauthd/agauthd.conf.example
644 $prefix/share/doc/agauthd/keyring.conf.example
644 $prefix/share/man/man1/agauthctl.1
644 $prefix/share/man/man5/agauthd.conf.5
644 $prefix/share/man/man8/agauthd.8
EOF
)
	got=$(cd "$dest" && { find . -type f -printf '%m /%P\n'
			      find . -type l -printf '%m /%P -> %l\n'; } | sort -k2)
	if [ "$got" != "$want" ]; then
		diff <(echo "$want") <(echo "$got")
		return 1
	fi
	# directories: 0755, and only PREFIX and its parents
	got=$(cd "$dest" && find . -mindepth 1 -type d ! -perm 755 -printf '%m /%P\n')
	[ -z "$got" ] || { echo "not 0755: $got"; return 1; }
	got=$(cd "$dest" && find . -mindepth 1 -type d -printf '/%P\n' |
	      grep -v "^$prefix\(/\|$\)" | grep -vxF -e /opt)
	[ -z "$got" ] || { echo "outside $prefix: $got"; return 1; }
}

# the same installed files as the build made them
same_as_built() {
	cmp build/agauthd "$P/sbin/agauthd" &&
	cmp build/agauthctl "$P/bin/agauthctl" &&
	cmp build/libagauth.so.1 "$P/lib/libagauth.so.1" &&
	cmp client/lib/agauth.h "$P/include/agauth.h" &&
	cmp systemd/agauthd.sysusers "$P/lib/sysusers.d/agauthd.conf" &&
	cmp systemd/agauthd.tmpfiles "$P/lib/tmpfiles.d/agauthd.conf" &&
	cmp systemd/agauthd.conf.example "$P/share/doc/agauthd/agauthd.conf.example" &&
	[ "$(readelf -d "$P/lib/libagauth.so.1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" = libagauth.so.1 ]
}

pc_file() {
	local pc=$P/lib/pkgconfig/agauth.pc
	cat "$pc"
	grep -qx "prefix=$prefix" "$pc" &&
	grep -qx 'libdir=${exec_prefix}/lib' "$pc" &&
	grep -qx 'includedir=${prefix}/include' "$pc" &&
	grep -qx 'Libs: -L${libdir} -lagauth' "$pc" &&
	grep -qx 'Libs.private: -lmsgpackc -lcrypto' "$pc"
}

# pkg-config of the installed file, with the staging root as sysroot
pc() {
	PKG_CONFIG_PATH=$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest \
		pkg-config "$@" agauth
}

pc_flags() {
	local flags static
	flags=$(pc --cflags --libs) || return 1
	static=$(pc --static --libs) || return 1
	echo "cflags/libs: $flags"
	echo "static libs: $static"
	[ "$(echo $flags)" = "-I$P/include -L$P/lib -lagauth" ] &&
	[ "$(echo $static)" = "-L$P/lib -lagauth -lmsgpackc -lcrypto" ]
}

# The installed unit runs the installed daemon with the /etc config; a
# copy whose ExecStart points into DESTDIR passes systemd-analyze verify,
# with the installed man pages for Documentation=.
units() {
	local svc=$P/lib/systemd/system/agauthd.service
	grep -qx "ExecStart=$prefix/sbin/agauthd -c /etc/agauthd/agauthd.conf" "$svc" ||
		{ echo "ExecStart: $(grep ExecStart= "$svc")"; return 1; }
	! grep -n '@[A-Z]*@' "$svc" || return 1
	mkdir -p "$work/units"
	sed "s|^ExecStart=$prefix/|ExecStart=$P/|" "$svc" >"$work/units/agauthd.service"
	cp "$P/lib/systemd/system/agauthd.socket" "$work/units/"
	(cd "$work/units" && MANPATH=$P/share/man systemd-analyze verify \
		agauthd.service agauthd.socket)
}

# A staged tree checked as README.md ("Deploying with systemd") does it
# before packaging: installed with the default PREFIX (/usr/local, where
# systemd looks for units; so does /usr) into a DESTDIR of its own, then
# systemd-analyze with that DESTDIR as its root, which holds the binary
# and the man pages but not the /bin/kill of the unit's ExecReload=
# (lent from the host).
units_staged() {
	local stage=$work/stage u=/usr/local/lib/systemd/system
	submake install DESTDIR="$stage" PREFIX=/usr/local || return 1
	mkdir -p "$stage/bin" && cp /bin/kill "$stage/bin/" || return 1
	MANPATH=$stage/usr/local/share/man systemd-analyze verify \
		--root="$stage" --recursive-errors=no "$u/agauthd.service" \
		"$u/agauthd.socket"
}

# groff finds nothing to warn about; man renders each page, and finds it
# by name and section under the installed MANPATH.
man_pages() {
	local page out
	for page in man1/agauthctl.1 man5/agauthd.conf.5 man8/agauthd.8; do
		out=$(groff -wall -man -z "$P/share/man/$page" 2>&1)
		[ -z "$out" ] || { echo "$page: $out"; return 1; }
		out=$(MANWIDTH=80 man -l "$P/share/man/$page" 2>&1) || return 1
		[ "$(echo "$out" | wc -l)" -gt 30 ] || { echo "$page: $out"; return 1; }
		echo "$page: $(echo "$out" | wc -l) lines"
	done
	[ "$(MANPATH=$P/share/man man -w 5 agauthd.conf)" = "$P/share/man/man5/agauthd.conf.5" ] &&
	[ "$(MANPATH=$P/share/man man -w agauthd)" = "$P/share/man/man8/agauthd.8" ] &&
	[ "$(MANPATH=$P/share/man man -w agauthctl)" = "$P/share/man/man1/agauthctl.1" ]
}

# ---------------------------------------------------------------- build

build_shared() {
	cc -std=c11 -Wall -Wextra -Werror -o "$work/ping" tests/install/ping.c \
		$(pc --cflags --libs)
}

# against libagauth.a: the static libraries pkg-config names suffice
build_static() {
	local libs
	libs=$(pc --static --libs-only-l) || return 1
	cc -std=c11 -Wall -Wextra -Werror -o "$work/ping-static" \
		tests/install/ping.c $(pc --cflags) "$P/lib/libagauth.a" \
		${libs/-lagauth/} &&
	! ldd "$work/ping-static" | grep agauth
}

# ---------------------------------------------------------------- run

# The installed agauthd, with a key the installed agauthctl made: it finds
# agauthd in ../sbin, with no PATH to it and no AGAUTHD_BIN.
start_daemon() {
	local i
	mkdir -m 700 "$work/d" "$work/d/keys"
	env -u AGAUTHD_BIN PATH=/usr/bin:/bin "$P/bin/agauthctl" keygen \
		--type hs256 --out "$work/d/keys/hs1.key" || return 1
	cat >"$work/d/keyring.conf" <<EOF
[key hs1]
file = keys/hs1.key
encoding = base64
algorithm = HS256
state = primary
EOF
	cat >"$work/d/agauthd.conf" <<EOF
[daemon]
state_dir = .
threads = 1
[socket]
path = agauthd.sock
mode = 0600
[keys]
keyring = keyring.conf
[cache]
size = 1M
EOF
	"$P/sbin/agauthd" -t -c "$work/d/agauthd.conf" || return 1
	"$P/sbin/agauthd" -c "$work/d/agauthd.conf" >"$work/d/log" 2>&1 &
	daemon=$!
	for i in $(seq 100); do
		[ -S "$work/d/agauthd.sock" ] && return 0
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/d/log"
	return 1
}

run_shared() {
	LD_LIBRARY_PATH=$P/lib ldd "$work/ping" | grep -F "libagauth.so.1 => $P/lib/libagauth.so.1" &&
	LD_LIBRARY_PATH=$P/lib "$work/ping" "$work/d/agauthd.sock"
}

run_static() {
	"$work/ping-static" "$work/d/agauthd.sock"
}

ctl_ping() {
	"$P/bin/agauthctl" --socket "$work/d/agauthd.sock" ping
}

stop_daemon() {
	kill -TERM "$daemon" && wait "$daemon"
	local rc=$?
	daemon=
	[ "$rc" -eq 0 ] || { cat "$work/d/log"; return 1; }
}

uninstall_files() {
	local left
	submake uninstall DESTDIR="$dest" PREFIX="$prefix" || return 1
	left=$(cd "$dest" && find . \( -type f -o -type l \) -printf '/%P\n')
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

check "make install DESTDIR=... PREFIX=$prefix" install_files
check "installed files, links and modes; nothing outside PREFIX" file_list
check "installed files are the built ones; soname libagauth.so.1" same_as_built
check "agauth.pc names PREFIX" pc_file
check "pkg-config --cflags --libs (and --static) with PKG_CONFIG_SYSROOT_DIR" pc_flags
need systemd-analyze systemd &&
	check "installed units name the installed agauthd and pass systemd-analyze verify" units &&
	check "systemd-analyze verify --root=DESTDIR of the staged tree, as README.md says" units_staged
need groff groff && need man man-db &&
	check "man pages: groff -wall clean, man renders and finds them" man_pages
check "a C program builds against the installed libagauth.so" build_shared
check "a C program builds against the installed libagauth.a" build_static
check "installed agauthctl keygen finds the installed agauthd; agauthd starts" start_daemon
check "the program pings, signs and verifies through the installed .so" run_shared
check "the statically linked program does the same" run_static
check "installed agauthctl pings the installed agauthd" ctl_ping
check "agauthd stops on SIGTERM with status 0" stop_daemon
check "make uninstall removes every installed file" uninstall_files
checks_done
