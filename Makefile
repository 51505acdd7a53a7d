# agauthd - one entry point: build, run, test, bench, fuzz, clean.
#
#   make run    build, create ./run/ (config + development key), start
#   make test   build and run every suite; ends with "N passed, N failed"
#   make bench  every benchmark beside its peers, into bench/RESULTS.md
#               (not a test; BENCH_QUICK=1 checks the pipeline in ~2 min)
#   make fuzz   libFuzzer harnesses for FUZZ_SECONDS each (needs clang)
#   make install    PREFIX (default /usr/local) under DESTDIR; see below
#   make uninstall  removes what make install wrote
#   make memcheck  the integration suite with agauthd under valgrind
#               (slow: not part of `make test`)
#   make mutate  deliberate bugs (tests/mutate/mutations.txt), each against
#               the suites that must catch it; fails if one survives
#               (slow: not part of `make test`; M=NAME[,NAME] runs some)
#   make fresh-test  `make run` and `make test` in a new Debian 12 root
#               (mmdebstrap; as root; downloads a few hundred MB)
#
# The crypto backend (daemon/engine/crypto.h) is chosen at build time:
# CRYPTO=openssl (the default: libcrypto 3, in build/) or CRYPTO=mbedtls
# (mbedTLS 2.28, in build/mbedtls/); both builds live side by side.
# `make test` runs the backends' shared contract on both;
# `make CRYPTO=mbedtls test` runs that contract alone on mbedTLS.

CC       ?= cc
PREFIX   ?= /usr/local
CRYPTO   ?= openssl
ifeq ($(CRYPTO),openssl)
BUILD    := build
else ifeq ($(CRYPTO),mbedtls)
BUILD    := build/mbedtls
else
$(error CRYPTO=$(CRYPTO): the crypto backends are openssl (the default) and mbedtls)
endif
SAN      := $(BUILD)/san
OPT      ?= -O2
WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wformat=2 \
            -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wcast-qual
# -ffp-contract=off: claim arithmetic must round like JavaScript's doubles
# -fno-semantic-interposition: -fPIC must not stop inlining inside a file
CFLAGS   := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) -ffp-contract=off \
            -fstack-protector-strong -fPIC -fno-semantic-interposition -iquote . \
            -DOPENSSL_API_COMPAT=0x10101000L $(EXTRA_CFLAGS)
HARDEN   := -D_FORTIFY_SOURCE=2
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
ifeq ($(CRYPTO),mbedtls)
# mbedTLS as a static copy whose calloc and free are secmem's
# (daemon/engine/secmem.h): every bignum of a private key, and every temporary
# of a signature, is in locked memory left out of core dumps
MBEDCRYPTO := $(BUILD)/libmbedcrypto-secmem.a
# (hidden: a shared library that brings its own mbedTLS, like Criterion's
# libgit2, must not call into this copy, whose allocator is not libc's)
CRYPTO_LIBS := $(MBEDCRYPTO) -Wl,--exclude-libs,libmbedcrypto-secmem.a -lcrypto
# tests and benchmarks that check against mbedTLS itself find it there
MBED_REF :=
else
MBEDCRYPTO :=
# libcrypto: the backend through EVP, and for both backends HMAC and
# digests through its low-level SHA-2 API (daemon/engine/crypto_sha2.h
# says why), which OpenSSL 3 keeps but marks deprecated
CRYPTO_LIBS := -lcrypto
# the unit suites, benchmarks and fault programs check against mbedTLS
MBED_REF := -lmbedcrypto
endif
LDLIBS   := -lmsgpackc $(CRYPTO_LIBS) -lm -lpthread
# what libagauth links: msgpack-c for the protocol, and libcrypto for
# the SHA-256 a cache hit takes of the presented signature (its
# low-level SHA256_*, SHA-NI where the CPU has it; nothing else of
# libcrypto, so that a static copy of it can be linked in later)
CLIENT_LIBS := -lmsgpackc -lcrypto
NODE_DIR := tests
# the npm package (client/node) and its N-API addon, built the one way an
# installed package builds it: its install script (scripts/build.js), with
# node-gyp against the running Node's own headers (nothing downloaded)
NODE_PKG := client/node
ADDON    := $(NODE_PKG)/build/Release/agauthd.node
# quiet by default; `make V=1` shows the commands
Q        := $(if $(V),,@)
say       = $(if $(V),,@printf '  %-6s %s\n' $(1) $(2);)

# Debian packages the build and the tests need (libssl-dev: OpenSSL's
# libcrypto 3, the default crypto backend; libmbedtls-dev: the other,
# CRYPTO=mbedtls, and the reference the suites check HMAC against; Node
# with its headers, beside its binary, for the npm package's addon:
# Debian's own nodejs keeps them in libnode-dev): the build's, then the
# tools the suites run (none of them may be missing: a suite without its
# tool fails rather than skips): systemd for systemd-analyze, -sysusers
# and -tmpfiles, groff and man-db for the man pages, python3 for the
# syscall and socket-activation helpers and node-gyp, strace, procps
# (ps), e2fsprogs (chattr), faketime; python3-yaml and mmdebstrap for the
# container suite (tests/container/run.sh); prometheus for promtool (the
# metrics op's text is checked with `promtool check metrics`);
# libhiredis-dev for the fleet's Redis client and redis-server for its
# tests and bench.
DEB_PKGS := gcc make pkg-config libev-dev libmbedtls-dev libmsgpack-dev \
            libcriterion-dev libinih-dev libxxhash-dev libssl-dev \
            faketime strace systemd groff man-db python3 procps e2fsprogs \
            python3-yaml mmdebstrap prometheus redis-server libhiredis-dev

SHARED_SRC := $(wildcard shared/*.c)
# the JWT engine (daemon/engine/: keys, JWS, sign, verify, key memory,
# keygen) with the shared code, as one library; of the backends
# (daemon/engine/crypto_<name>.c) only the chosen one
OTHER_CRYPTO := $(filter-out $(CRYPTO),openssl mbedtls)
ENGINE_SRC := $(filter-out daemon/engine/crypto_$(OTHER_CRYPTO).c,\
                $(wildcard daemon/engine/*.c))
LIB_SRC    := $(SHARED_SRC) $(ENGINE_SRC)
# the daemon proper (daemon/*.c), as a library the unit suites link too,
# and its main
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_LIBS := -lev -linih -lhiredis
# libagauth: the client library and the shared code (no keys, no
# mbedTLS): the protocol, the cache reader with the claim checks it runs
# on a hit, and the JSON rendering of replies agauthctl prints
CLIENTLIB_SRC := $(wildcard client/lib/*.c) $(SHARED_SRC)
# the unit suites also test the client library and agauthctl's option
# building
UNIT_SRC   := $(filter-out tests/unit/test_crypto_$(OTHER_CRYPTO).c,\
                $(wildcard tests/unit/*.c)) $(wildcard client/lib/*.c) \
              client/ctl/opts.c

obj     = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
sanobj  = $(patsubst %.c,$(SAN)/obj/%.o,$(1))

# One version, in VERSION: agauthd --version, agauthctl --version (through
# agauth_version()), libagauth's agauth_version() and agauth.pc, the man
# pages, and the npm package's package.json, which
# tests/integration/version.test.js holds to it (`make set-version
# VER=X.Y.Z` changes VERSION, package.json and the pod's image tag).
VERSION   := $(shell cat VERSION)
VERSIONED := daemon/main.c client/lib/version.c
$(call obj,$(VERSIONED)) $(call sanobj,$(VERSIONED)): VERSION
$(call obj,$(VERSIONED)) $(call sanobj,$(VERSIONED)): \
	CFLAGS += -DAG_VERSION='"$(VERSION)"'
MANPAGES  := man/agauthctl.1 man/agauthd.conf.5 man/agauthd.8
MANBUILT  := $(patsubst man/%,$(BUILD)/man/%,$(MANPAGES))

LIB_OBJ     := $(call obj,$(LIB_SRC))
LIB_SANOBJ  := $(call sanobj,$(LIB_SRC))

.PHONY: all deps node-deps node-pkg-deps run test contract unit unit-san diff \
        fuzz-replay bench fuzz memcheck mutate fresh-test clean install \
        uninstall set-version FORCE

# The entry points (all, run, test, bench, memcheck, fuzz) make sure of
# the Debian packages once, through a stamp, before anything else (it is
# their first prerequisite: with -j, run `make deps` first).  Nothing
# below them runs a package command: `make build/agauthd` only builds, and
# a host with the libraries but without dpkg builds with plain `make`.
DEPS_STAMP := build/.deps

all: $(DEPS_STAMP) $(BUILD)/agjwt $(BUILD)/agauthd $(BUILD)/agauthctl \
     $(BUILD)/libagauth.so $(BUILD)/libagauth.a $(BUILD)/agauth.pc \
     $(BUILD)/agauthd.service $(MANBUILT) $(ADDON) node-pkg-deps

# Installs what is missing when root; otherwise names the exact command.
# Made again when this Makefile (its package list) changes.
$(DEPS_STAMP): Makefile
	@$(MAKE) --no-print-directory deps
	@mkdir -p $(dir $@) && touch $@

deps:
	@if ! command -v dpkg-query >/dev/null; then \
	  echo "make: no dpkg here: not checking packages (needed: $(DEB_PKGS) nodejs npm)"; \
	  exit 0; \
	fi; \
	missing=""; \
	for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	node_h=$$(node -p "require('path').resolve(process.execPath, \
	  '../../include/node/node_api.h')" 2>/dev/null); \
	[ -n "$$node_h" ] && [ -e "$$node_h" ] || missing="$$missing libnode-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	      || exit 1; \
	  else \
	    echo "make: missing Debian packages; run:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# npm packages for the Node suites and for the npm package, pinned by
# the committed lock files; tests/nodes: the other Node releases the
# Node suites run under.
node-deps: $(NODE_DIR)/node_modules/.installed \
           $(NODE_DIR)/nodes/node_modules/.installed node-pkg-deps
node-pkg-deps: $(NODE_PKG)/node_modules/.installed
%/node_modules/.installed: %/package-lock.json | $(DEPS_STAMP)
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	touch $@
# the npm package's: its install script builds the addon, which is
# make's to build (below), once
$(NODE_PKG)/node_modules/.installed: $(NODE_PKG)/package-lock.json | $(DEPS_STAMP)
	cd $(NODE_PKG) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(HARDEN) -MMD -MP -c -o $@ $<

$(SAN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC-SAN,$<)$(CC) $(CFLAGS) -O1 $(SANFLAGS) -MMD -MP -c -o $@ $<

%/libagengine.a:
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
# whatever links the engine links $(MBEDCRYPTO) too (LDLIBS)
$(BUILD)/libagengine.a: $(LIB_OBJ) | $(MBEDCRYPTO)
$(SAN)/libagengine.a: $(LIB_SANOBJ) | $(MBEDCRYPTO)

# Debian's libmbedcrypto.a (position-independent) with its two allocator
# calls renamed; mbedTLS is built without MBEDTLS_PLATFORM_MEMORY, so there
# is no mbedtls_platform_set_calloc_free to call instead
$(BUILD)/libmbedcrypto-secmem.a:
	@mkdir -p $(dir $@)
	$(call say,OBJCOPY,$@)objcopy --redefine-sym calloc=secmem_mbedtls_calloc \
		--redefine-sym free=secmem_mbedtls_free \
		"$$($(CC) -print-file-name=libmbedcrypto.a)" $@
%/libagdaemon.a:
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
$(BUILD)/libagdaemon.a: $(call obj,$(DAEMON_SRC))
$(SAN)/libagdaemon.a: $(call sanobj,$(DAEMON_SRC))

$(BUILD)/agjwt: $(call obj,tests/driver/agjwt.c) $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(LDLIBS)

$(SAN)/agjwt: $(call sanobj,tests/driver/agjwt.c) $(SAN)/libagengine.a
	$(call say,LD,$@)$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/agauthd: $(call obj,daemon/main.c) $(BUILD)/libagdaemon.a \
                  $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS)

$(SAN)/agauthd: $(call sanobj,daemon/main.c) $(SAN)/libagdaemon.a \
                $(SAN)/libagengine.a
	$(call say,LD,$@)$(CC) $(SANFLAGS) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS)

# libagauth exports only agauth_* (client/lib/agauth.h)
$(BUILD)/libagauth.so.1: $(call obj,$(CLIENTLIB_SRC)) client/lib/agauth.map
	$(call say,LD,$@)$(CC) -shared -Wl,-soname,libagauth.so.1 \
		-Wl,--version-script=client/lib/agauth.map -o $@ \
		$(filter %.o,$^) $(CLIENT_LIBS)
$(BUILD)/libagauth.so: $(BUILD)/libagauth.so.1
	$(Q)ln -sf libagauth.so.1 $@

$(BUILD)/libagauth.a: $(call obj,$(CLIENTLIB_SRC))
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

# Files that name installed paths are made again when PREFIX changes, so
# `make` then `make install PREFIX=/usr` installs no stale /usr/local.
$(BUILD)/prefix: FORCE
	@mkdir -p $(BUILD)
	@echo '$(PREFIX)' | cmp -s - $@ 2>/dev/null || echo '$(PREFIX)' >$@

$(BUILD)/agauth.pc: client/lib/agauth.pc.in $(BUILD)/prefix VERSION
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)sed -e 's|@PREFIX@|$(PREFIX)|' \
		-e 's|@VERSION@|$(VERSION)|' $< >$@

$(BUILD)/man/%: man/% VERSION
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)sed -e 's|@VERSION@|$(VERSION)|' $< >$@

# a new VERSION, and its number into the npm package (and its lock) and
# the Kubernetes pod's image tag
set-version:
	@case '$(VER)' in [0-9]*.[0-9]*.[0-9]*) ;; *) echo "make set-version \
		VER=X.Y.Z: give the new version"; exit 2;; esac
	echo '$(VER)' >VERSION
	cd $(NODE_PKG) && npm version --no-git-tag-version --allow-same-version \
		'$(VER)' >/dev/null
	sed -i 's|image: agauthd:[0-9.]*$$|image: agauthd:$(VER)|' \
		deploy/kubernetes/pod.yaml

$(BUILD)/agauthd.service: systemd/agauthd.service.in $(BUILD)/prefix
	$(call say,GEN,$@)sed -e 's|@SBINDIR@|$(SBINDIR)|g' $< >$@

$(BUILD)/agauthctl: $(call obj,$(wildcard client/ctl/*.c)) $(BUILD)/libagauth.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(CLIENT_LIBS)

# the addon compiles in what it needs of libagauth and exports only
# Node's entry points (binding.gyp); after the package's npm ci (never
# two builds at once)
$(ADDON): $(wildcard $(NODE_PKG)/native/*) $(NODE_PKG)/binding.gyp \
          $(wildcard $(NODE_PKG)/scripts/*.js) $(CLIENTLIB_SRC) \
          $(wildcard shared/*.h client/lib/*.h) | node-pkg-deps
	$(call say,GYP,$@)cd $(NODE_PKG) && npm run --silent build

$(BUILD)/unit: $(call obj,$(UNIT_SRC)) $(BUILD)/libagdaemon.a \
               $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ -lcriterion $(DAEMON_LIBS) $(LDLIBS) \
		$(MBED_REF)

$(SAN)/unit: $(call sanobj,$(UNIT_SRC)) $(SAN)/libagdaemon.a \
             $(SAN)/libagengine.a
	$(call say,LD,$@)$(CC) $(SANFLAGS) -o $@ $^ -lcriterion $(DAEMON_LIBS) \
		$(LDLIBS) $(MBED_REF)

# Fuzz harnesses replay their committed corpora in every test run.  Each
# links the engine and the rest of the daemon's code (an archive: only
# what a harness calls comes along, as for fuzz_config, fuzz_keyring and
# fuzz_revlog).
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(SAN)/%,$(FUZZ_SRC))
$(SAN)/fuzz_%: $(call sanobj,tests/fuzz/fuzz_%.c tests/fuzz/replay.c) \
               $(SAN)/libagdaemon.a $(SAN)/libagengine.a
	$(call say,LD,$@)$(CC) $(SANFLAGS) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS)

# a client that tries to write the cache through the descriptor agauthd
# hands over (tests/integration/cache.test.js)
$(BUILD)/cache_probe: $(call obj,tests/integration/cache_probe.c \
                                 shared/proto.c shared/buf.c shared/agerr.c)
	$(call say,LD,$@)$(CC) -o $@ $^ -lmsgpackc

# a libagauth client that keeps one handle (and its cache mapping) across
# daemon restarts, driven line by line (tests/integration/cache_restart.test.js)
$(BUILD)/cache_client: $(call obj,tests/integration/cache_client.c) \
                       $(BUILD)/libagauth.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(CLIENT_LIBS)

# runs agauthd with system calls refused, as a seccomp filter refuses them
# (tests/integration/hygiene.test.js)
$(BUILD)/deny: $(call obj,tests/integration/deny.c)
	$(call say,LD,$@)$(CC) -o $@ $^

# the cache's writer against reader processes (tests/torture/)
$(BUILD)/cache_torture: $(call obj,tests/torture/cache_torture.c \
                                   tests/torture/scan.c tests/unit/fixture.c) \
                        $(BUILD)/libagdaemon.a $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS)

# the real daemon against reader processes, through libagauth only
$(BUILD)/daemon_torture: $(call obj,tests/torture/daemon_torture.c \
                                    tests/torture/scan.c) \
                         $(BUILD)/libagauth.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(CLIENT_LIBS)

# fault and load programs against real daemons (tests/faults/), through
# libagauth; they make their own tokens with mbedTLS
FAULT_BIN := $(patsubst tests/faults/%.c,$(BUILD)/%,\
               $(filter-out tests/faults/fault_util.c,$(wildcard tests/faults/fault_*.c)))
$(BUILD)/fault_%: $(call obj,tests/faults/fault_%.c tests/faults/fault_util.c) \
                  $(BUILD)/libagauth.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(CLIENT_LIBS) -lmbedcrypto

# ---------------------------------------------------------------- test
# what the backends' shared contract runs on (tests/run.sh): the engine's
# unit suites, the differential suite's agjwt, the fuzz harnesses
contract: $(BUILD)/unit $(SAN)/unit $(SAN)/agjwt $(FUZZ_BIN)

ifeq ($(CRYPTO),openssl)
test: all $(BUILD)/unit $(SAN)/unit $(SAN)/agjwt $(SAN)/agauthd $(FUZZ_BIN) \
      $(BUILD)/cache_probe $(BUILD)/cache_client $(BUILD)/deny \
      $(BUILD)/cache_torture $(BUILD)/daemon_torture $(FAULT_BIN) \
      node-deps
	@$(MAKE) --no-print-directory CRYPTO=mbedtls contract
	@tests/run.sh
else
# the rest of the suites run on the default backend
test: $(DEPS_STAMP) contract node-deps
	@tests/run.sh --backend $(CRYPTO)
endif

# ---------------------------------------------------------------- install
# Everything under $(DESTDIR)$(PREFIX); nothing goes to /etc (the example
# configuration goes to share/doc/agauthd).  The unit, sysusers.d and
# tmpfiles.d directories under /usr/local and /usr are ones systemd reads;
# for another PREFIX set UNITDIR, SYSUSERSDIR and TMPFILESDIR.
BINDIR      = $(PREFIX)/bin
SBINDIR     = $(PREFIX)/sbin
LIBDIR      = $(PREFIX)/lib
INCLUDEDIR  = $(PREFIX)/include
MANDIR      = $(PREFIX)/share/man
DOCDIR      = $(PREFIX)/share/doc/agauthd
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
D           = $(DESTDIR)
DOCFILES    := systemd/agauthd.conf.example systemd/keyring.conf.example \
               systemd/agauthd-cluster.conf

install: all
	$(call say,INSTALL,$(D)$(PREFIX))install -d $(D)$(BINDIR) $(D)$(SBINDIR) \
		$(D)$(LIBDIR)/pkgconfig $(D)$(INCLUDEDIR) $(D)$(DOCDIR) \
		$(D)$(MANDIR)/man1 $(D)$(MANDIR)/man5 $(D)$(MANDIR)/man8 \
		$(D)$(UNITDIR) $(D)$(SYSUSERSDIR) $(D)$(TMPFILESDIR)
	$(Q)install -m 0755 $(BUILD)/agauthd $(D)$(SBINDIR)/agauthd
	$(Q)install -m 0755 $(BUILD)/agauthctl $(D)$(BINDIR)/agauthctl
	$(Q)install -m 0755 $(BUILD)/libagauth.so.1 $(D)$(LIBDIR)/libagauth.so.1
	$(Q)ln -sfn libagauth.so.1 $(D)$(LIBDIR)/libagauth.so
	$(Q)install -m 0644 $(BUILD)/libagauth.a $(D)$(LIBDIR)/libagauth.a
	$(Q)install -m 0644 $(BUILD)/agauth.pc $(D)$(LIBDIR)/pkgconfig/agauth.pc
	$(Q)install -m 0644 client/lib/agauth.h $(D)$(INCLUDEDIR)/agauth.h
	$(Q)for m in $(MANBUILT); do \
	  install -m 0644 $$m $(D)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	$(Q)install -m 0644 $(DOCFILES) $(D)$(DOCDIR)/
	$(Q)install -m 0644 $(BUILD)/agauthd.service systemd/agauthd.socket \
		$(D)$(UNITDIR)/
	$(Q)install -m 0644 systemd/agauthd.sysusers $(D)$(SYSUSERSDIR)/agauthd.conf
	$(Q)install -m 0644 systemd/agauthd.tmpfiles $(D)$(TMPFILESDIR)/agauthd.conf

uninstall:
	$(call say,RM,$(D)$(PREFIX))rm -f $(D)$(SBINDIR)/agauthd \
		$(D)$(BINDIR)/agauthctl $(D)$(LIBDIR)/libagauth.so.1 \
		$(D)$(LIBDIR)/libagauth.so $(D)$(LIBDIR)/libagauth.a \
		$(D)$(LIBDIR)/pkgconfig/agauth.pc $(D)$(INCLUDEDIR)/agauth.h \
		$(foreach m,$(MANPAGES),$(D)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(foreach f,$(DOCFILES),$(D)$(DOCDIR)/$(notdir $(f))) \
		$(D)$(UNITDIR)/agauthd.service $(D)$(UNITDIR)/agauthd.socket \
		$(D)$(SYSUSERSDIR)/agauthd.conf $(D)$(TMPFILESDIR)/agauthd.conf
	$(Q)rmdir $(D)$(DOCDIR) 2>/dev/null || true
# the integration suite with every agauthd under valgrind memcheck, its
# timeouts scaled (tests/memcheck/run.sh); takes long
memcheck: $(DEPS_STAMP) all $(BUILD)/cache_probe $(BUILD)/cache_client $(BUILD)/deny node-deps
	@command -v valgrind >/dev/null || { echo "make memcheck needs valgrind" \
		"(apt-get install valgrind)"; exit 1; }
	@tests/memcheck/run.sh

# each mutation of tests/mutate/mutations.txt in a scratch copy of the
# tree, against the suites it names (tests/mutate/run.py); M=NAME[,NAME]
# (shell patterns) runs those only
mutate: node-deps
	@tests/mutate/run.py $(if $(M),--only '$(M)')

# a new Debian 12 root (tests/fresh/run.sh); the host needs mmdebstrap
fresh-test:
	@command -v mmdebstrap >/dev/null || { [ "$$(id -u)" = 0 ] && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap \
		>/dev/null; } || { echo "make fresh-test needs mmdebstrap:" \
		"apt-get install -y mmdebstrap"; exit 1; }
	@tests/fresh/run.sh

# ---------------------------------------------------------------- run
run: all
	@daemon/dev-run.sh

# ---------------------------------------------------------------- bench
bench: all $(BUILD)/bench_engine $(BUILD)/echo_server $(BUILD)/bench_daemon \
       $(BUILD)/bench_cache $(BUILD)/bench_rss $(BUILD)/bench_fleet node-deps
	@BENCH_CRYPTO='$(CRYPTO)' bench/run.sh

# the floor under the daemon's round trip: libev and nothing else
$(BUILD)/echo_server: $(call obj,bench/echo_server.c)
	$(call say,LD,$@)$(CC) -o $@ $^ -lev

# a client of the wire protocol (shared/proto, no libagauth), and the
# engine for its in-process baseline
$(BUILD)/bench_daemon: $(call obj,bench/bench_daemon.c bench/bench_util.c \
                                  bench/bench_hs256.c shared/proto.c \
                                  shared/buf.c shared/agerr.c shared/b64url.c) \
                       $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(LDLIBS) $(MBED_REF)

# agauthd's resident memory, idle, loaded and with many connections,
# through libagauth
$(BUILD)/bench_rss: $(call obj,bench/bench_rss.c bench/bench_util.c \
                               bench/bench_hs256.c) \
                    $(BUILD)/libagauth.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(CLIENT_LIBS)

# cache hits next to in-process verification (the daemon's cache writer
# fills it)
$(BUILD)/bench_cache: $(call obj,bench/bench_cache.c bench/bench_util.c \
                                 tests/unit/fixture.c) \
                      $(BUILD)/libagdaemon.a $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS) $(MBED_REF)

# a revocation's way from one host of the fleet to another's cache
# (bench/bench_fleet.js starts Redis and the daemons)
$(BUILD)/bench_fleet: $(call obj,bench/bench_fleet.c bench/bench_util.c) \
                      $(BUILD)/libagauth.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(CLIENT_LIBS)

$(BUILD)/bench_engine: $(call obj,bench/bench_engine.c bench/bench_util.c) \
                       $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(LDLIBS) $(MBED_REF)

# ---------------------------------------------------------------- fuzz
FUZZ_SECONDS ?= 60
fuzz: $(DEPS_STAMP)
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build $(NODE_PKG)/build $(NODE_PKG)/vendor

# keep intermediate objects between runs
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
