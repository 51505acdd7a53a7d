# agauthd - one entry point: build, run, test, bench, fuzz, clean.
#
#   make run    build, create ./run/ (config + development key), start
#   make test   build and run every suite; ends with "N passed, N failed"
#   make bench  benchmarks against jsonwebtoken and fast-jwt (not a test)
#   make fuzz   libFuzzer harnesses for FUZZ_SECONDS each (needs clang)

CC       ?= cc
PREFIX   ?= /usr/local
BUILD    := build
SAN      := $(BUILD)/san
OPT      ?= -O2
WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wformat=2 \
            -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wcast-qual
# -ffp-contract=off: claim arithmetic must round like JavaScript's doubles
# -fno-semantic-interposition: -fPIC must not stop inlining inside a file
CFLAGS   := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) -ffp-contract=off \
            -fstack-protector-strong -fPIC -fno-semantic-interposition -iquote . $(EXTRA_CFLAGS)
HARDEN   := -D_FORTIFY_SOURCE=2
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
LDLIBS   := -lmsgpackc -lmbedcrypto -lm -lpthread
NODE_DIR := tests
# the npm package (client/node) and its N-API addon, built against the
# system's Node headers (N-API is ABI-stable: no node-gyp, no download)
NODE_PKG := client/node
NODE_INC ?= /usr/include/node
ADDON    := $(NODE_PKG)/native/agauthd.node
ADDON_SRC := $(wildcard $(NODE_PKG)/native/*.c)
# quiet by default; `make V=1` shows the commands
Q        := $(if $(V),,@)
say       = $(if $(V),,@printf '  %-6s %s\n' $(1) $(2);)

# Debian packages the build and the tests need.
DEB_PKGS := gcc make pkg-config libev-dev libmbedtls-dev libmsgpack-dev \
            libcriterion-dev libjsmn-dev libinih-dev libxxhash-dev faketime

SHARED_SRC := $(wildcard shared/*.c)
ENGINE_SRC := daemon/key.c daemon/jws.c daemon/sign.c daemon/verify.c
LIB_SRC    := $(SHARED_SRC) $(ENGINE_SRC)
# the daemon proper (everything in daemon/ that is not the engine), as a
# library the unit suites link too, and its main
DAEMON_SRC := $(filter-out $(ENGINE_SRC) daemon/main.c,$(wildcard daemon/*.c))
DAEMON_LIBS := -lev -linih
# libagauth: the client library and the shared code it needs (no keys,
# no mbedTLS): the protocol, and the cache reader with the claim checks
# it runs on a hit
CLIENTLIB_SRC := $(wildcard client/lib/*.c) shared/proto.c shared/buf.c \
                 shared/agerr.c shared/cache.c shared/vopts.c shared/json.c \
                 shared/json_write.c shared/claims.c shared/jwt.c \
                 shared/b64url.c shared/timespan.c
# the unit suites also test the client library and agauthctl's option
# building
UNIT_SRC   := $(wildcard tests/unit/*.c) $(wildcard client/lib/*.c) \
              client/ctl/opts.c

obj     = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
sanobj  = $(patsubst %.c,$(SAN)/obj/%.o,$(1))

LIB_OBJ     := $(call obj,$(LIB_SRC))
LIB_SANOBJ  := $(call sanobj,$(LIB_SRC))

.PHONY: all deps node-deps node-pkg-deps run test unit unit-san diff \
        fuzz-replay bench fuzz clean

all: $(BUILD)/agjwt $(BUILD)/agauthd $(BUILD)/agauthctl $(BUILD)/libagauth.so \
     $(BUILD)/libagauth.a $(BUILD)/agauth.pc $(ADDON) node-pkg-deps

# Installs what is missing when root; otherwise names the exact command.
deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
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
# the committed lock files.
node-deps: $(NODE_DIR)/node_modules/.installed node-pkg-deps
node-pkg-deps: $(NODE_PKG)/node_modules/.installed
%/node_modules/.installed: %/package-lock.json | deps
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(HARDEN) -MMD -MP -c -o $@ $<

$(SAN)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(call say,CC-SAN,$<)$(CC) $(CFLAGS) -O1 $(SANFLAGS) -MMD -MP -c -o $@ $<

%/libagengine.a:
	$(call say,AR,$@)ar rcs $@ $^
$(BUILD)/libagengine.a: $(LIB_OBJ)
$(SAN)/libagengine.a: $(LIB_SANOBJ)
%/libagdaemon.a:
	$(call say,AR,$@)ar rcs $@ $^
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
		$(filter %.o,$^) -lmsgpackc
$(BUILD)/libagauth.so: $(BUILD)/libagauth.so.1
	$(Q)ln -sf libagauth.so.1 $@

$(BUILD)/libagauth.a: $(call obj,$(CLIENTLIB_SRC))
	$(call say,AR,$@)ar rcs $@ $^

$(BUILD)/agauth.pc: client/lib/agauth.pc.in
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)sed -e 's|@PREFIX@|$(PREFIX)|' $< >$@

$(BUILD)/agauthctl: $(call obj,$(wildcard client/ctl/*.c)) $(BUILD)/libagauth.a
	$(call say,LD,$@)$(CC) -o $@ $^ -lmsgpackc

# the addon links libagauth statically and exports only Node's entry
# points (addon.map)
$(call obj,$(ADDON_SRC)): CFLAGS += -isystem $(NODE_INC)
$(ADDON): $(call obj,$(ADDON_SRC)) $(BUILD)/libagauth.a $(NODE_PKG)/native/addon.map
	$(call say,LD,$@)$(CC) -shared -Wl,--version-script=$(NODE_PKG)/native/addon.map \
		-Wl,--exclude-libs,ALL -o $@ $(filter %.o %.a,$^) -lmsgpackc

$(BUILD)/unit: $(call obj,$(UNIT_SRC)) $(BUILD)/libagdaemon.a \
               $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ -lcriterion $(DAEMON_LIBS) $(LDLIBS)

$(SAN)/unit: $(call sanobj,$(UNIT_SRC)) $(SAN)/libagdaemon.a \
             $(SAN)/libagengine.a
	$(call say,LD,$@)$(CC) $(SANFLAGS) -o $@ $^ -lcriterion $(DAEMON_LIBS) \
		$(LDLIBS)

# Fuzz harnesses replay their committed corpora in every test run.  Each
# links the engine and the rest of the daemon's code (an archive: only
# what a harness calls comes along, as for fuzz_config and fuzz_revlog).
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
	$(call say,LD,$@)$(CC) -o $@ $^ -lmsgpackc

# the cache's writer against reader processes (tests/torture/)
$(BUILD)/cache_torture: $(call obj,tests/torture/cache_torture.c \
                                   tests/unit/fixture.c) \
                        $(BUILD)/libagdaemon.a $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS)

# the real daemon against reader processes, through libagauth only
$(BUILD)/daemon_torture: $(call obj,tests/torture/daemon_torture.c) \
                         $(BUILD)/libagauth.a
	$(call say,LD,$@)$(CC) -o $@ $^ -lmsgpackc

# ---------------------------------------------------------------- test
test: all $(BUILD)/unit $(SAN)/unit $(SAN)/agjwt $(SAN)/agauthd $(FUZZ_BIN) \
      $(BUILD)/cache_probe $(BUILD)/cache_client $(BUILD)/cache_torture \
      $(BUILD)/daemon_torture \
      node-deps
	@tests/run.sh

# ---------------------------------------------------------------- run
run: all
	@daemon/dev-run.sh

# ---------------------------------------------------------------- bench
bench: all $(BUILD)/bench_engine $(BUILD)/echo_server $(BUILD)/bench_daemon \
       $(BUILD)/bench_cache node-deps
	@bench/run.sh

# the floor under the daemon's round trip: libev and nothing else
$(BUILD)/echo_server: $(call obj,bench/echo_server.c)
	$(call say,LD,$@)$(CC) -o $@ $^ -lev

# a client of the wire protocol (shared/proto, no libagauth), and mbedTLS
# for the bare-HMAC baseline
$(BUILD)/bench_daemon: $(call obj,bench/bench_daemon.c bench/bench_util.c \
                                  shared/proto.c shared/buf.c shared/agerr.c \
                                  shared/b64url.c)
	$(call say,LD,$@)$(CC) -o $@ $^ -lmsgpackc -lmbedcrypto -lpthread

# cache hits next to in-process verification (the daemon's cache writer
# fills it)
$(BUILD)/bench_cache: $(call obj,bench/bench_cache.c bench/bench_util.c \
                                 tests/unit/fixture.c) \
                      $(BUILD)/libagdaemon.a $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS)

$(BUILD)/bench_engine: $(call obj,bench/bench_engine.c bench/bench_util.c) \
                       $(BUILD)/libagengine.a
	$(call say,LD,$@)$(CC) -o $@ $^ $(LDLIBS)

# ---------------------------------------------------------------- fuzz
FUZZ_SECONDS ?= 60
fuzz: | deps
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ADDON)

# keep intermediate objects between runs
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
