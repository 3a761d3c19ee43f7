# pyheap - heap dumps of running CPython processes, and their analysis.
#
#   make            build ./pyheap (objects under build/)
#   make demo       build, start a sample Python process, dump it, show the result
#   make check      install what the tests need, build, run every test
#   make soak       the interrupt tests 1000 times each (PYHEAP_INTERRUPT_RUNS)
#   make roots      build the Debian roots of the 3.13-3.15 test interpreters (scripts/pyroots)
#   make asan       build with ASan + UBSan and run the unit and format tests
#   make asan-agent the agent's integration tests with an ASan + UBSan agent
#   make fuzz       run the libFuzzer target for the dump reader (FUZZ_SECONDS=60)
#   make bench      run the benchmarks in bench/ (figures go to bench/RESULTS.md by hand)
#   make man        regenerate docs/pyheap.1 from the built-in help
#   make static     build/static/pyheap: no dynamic dependencies, to copy into a container or pod
#   make images     the dumper and UI OCI images (buildah, no engine) in build/images/oci
#   make install    install the binary and the man page (PREFIX=/usr/local, DESTDIR;
#                   INSTALL_BIN=build/static/pyheap installs the static one)
#   make clean
#
# Set CI=1 (or CI=true) to turn warnings into errors.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
BUILD ?= build
PYHEAP_VERSION := 0.1.0
# The commit `pyheap --version` names: git describe, or "unknown" where there
# is no git (a source tarball); a packager may set it on the command line.
PYHEAP_COMMIT ?= $(shell git -C '$(CURDIR)' describe --always --dirty 2>/dev/null)
ifeq ($(strip $(PYHEAP_COMMIT)),)
override PYHEAP_COMMIT := unknown
endif

WARN := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings \
	-Wformat-security -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
ifneq ($(CI),)
WARN += -Werror
endif
OPT ?= -O2 -g
SAN ?=
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc -I$(BUILD)/gen $(WARN) $(OPT) $(SAN) -MMD -MP \
	-DPYHEAP_VERSION='"$(PYHEAP_VERSION)"' -pthread
CFLAGS_ALL = $(BASE_CFLAGS) $(CFLAGS)
LDLIBS_ALL := -lzstd -lmicrohttpd -lelf -lpthread -lm $(LDLIBS)
LDFLAGS_ALL = $(SAN) -pthread $(LDFLAGS)

# ---- sources ----
# Every .c file of these directories goes into libpyheap.a (and so into the
# binary and the tests); src/cli holds main() and the subcommands.
LIB_DIRS := src/common src/format src/inject src/analyze src/dump src/http src/export
LIB_SRC := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)

# ---- the agent: a shared library loaded into the target (libc only) ----
# It is carried inside ./pyheap (src/dump/agent_blob.S includes it with
# .incbin) without its debug sections, and written out for the target at
# dump time (a smaller memfd in the target; the symbol table stays).
AGENT_SRC := $(sort $(wildcard src/agent/*.c)) src/common/error.c src/common/buf.c \
	src/common/addrmap.c src/format/writer.c
AGENT_OBJ := $(AGENT_SRC:%.c=$(BUILD)/agent/%.o)
AGENT_SO := $(BUILD)/pyheap-agent.so
AGENT_CFLAGS = -std=c11 -D_GNU_SOURCE -Isrc $(WARN) -O2 -g -fPIC -fvisibility=hidden \
	-fno-strict-aliasing -pthread -MMD -MP -DPH_AGENT=1 -DPYHEAP_VERSION='"$(PYHEAP_VERSION)"'

$(BUILD)/agent/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(AGENT_CFLAGS) -c -o $@ $<

$(AGENT_SO): $(AGENT_OBJ)
	$(CC) -shared -o $@ $^ -pthread -Wl,-z,defs -Wl,--as-needed
$(BUILD)/pyheap-agent-embed.so: $(AGENT_SO)
	objcopy --strip-debug $< $@

# ---- library, binary ----
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/%.o: %.S $(BUILD)/pyheap-agent-embed.so
	@mkdir -p $(@D)
	$(CC) -c -Wa,-I$(BUILD) -o $@ $<

$(BUILD)/libpyheap.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

LIB_ASM := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.S)))
LIB_ASM_OBJ := $(LIB_ASM:%.S=$(BUILD)/%.o)

# ---- the browser app of pyheap serve ----
# web/ is built with esbuild (from web/node_modules, which scripts/install-deps
# fills with `npm ci`) into $(BUILD)/web, and its files become a C table,
# $(BUILD)/gen/web_assets.c, linked into ./pyheap (src/http/assets.h).
WEB_SRC := $(sort $(wildcard web/src/*.js web/src/*.css)) web/index.html web/icon.svg \
	web/build.mjs web/package-lock.json
$(BUILD)/gen/web_assets.c: $(WEB_SRC)
	@test -d web/node_modules/esbuild || { echo "web/node_modules is missing:" \
		"run scripts/install-deps (npm ci in web/)" >&2; exit 1; }
	@mkdir -p $(@D)
	node web/build.mjs $(BUILD)/web $@
$(BUILD)/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	$(CC) -Isrc -c -o $@ $<

$(BUILD)/pyheap: $(CLI_OBJ) $(LIB_ASM_OBJ) $(BUILD)/gen/web_assets.o $(BUILD)/libpyheap.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB_ASM_OBJ) $(BUILD)/gen/web_assets.o \
		$(BUILD)/libpyheap.a $(LDLIBS_ALL)

# --version names the commit: main.o is rebuilt when the commit (or the
# tree's dirty state) changes, through a file rewritten only then.
$(BUILD)/gen/commit: FORCE
	@mkdir -p $(@D)
	@echo '$(PYHEAP_COMMIT)' | cmp -s - $@ || echo '$(PYHEAP_COMMIT)' > $@
$(BUILD)/src/cli/main.o: $(BUILD)/gen/commit
$(BUILD)/src/cli/main.o: CFLAGS_ALL += -DPYHEAP_COMMIT='"$(PYHEAP_COMMIT)"'
FORCE:
.PHONY: FORCE

# ./pyheap is the default build's binary; other builds (make asan) keep theirs in $(BUILD).
pyheap: build/pyheap
	cp $< $@
ifneq ($(BUILD),build)
build/pyheap:
	@$(MAKE) --no-print-directory BUILD=build build/pyheap
endif

all: deps-build pyheap
.PHONY: all

deps-build:
	@scripts/install-deps --build
deps-demo:
	@scripts/install-deps --demo
deps:
	@scripts/install-deps
.PHONY: deps deps-build deps-demo

# ---- the static binary, the images, install ----
# build/static/pyheap links Debian's static archives (glibc, libzstd, libelf,
# libz, libmicrohttpd) into a static PIE with no dynamic dependency, to be
# copied alone into a container or a pod. The agent inside it is the same
# shared object as always (it is loaded into the target, against the target's
# libc). libmicrohttpd.a refers to GnuTLS, whose own dependencies have no
# static archive on Debian (p11-kit): src/static/notls.c stands in for it,
# so the static binary serves plain HTTP only, as pyheap serve always does.
STATIC_LIBS := -lmicrohttpd -lzstd -lelf -lz -lpthread -lm
$(BUILD)/static/pyheap: $(CLI_OBJ) $(LIB_ASM_OBJ) $(BUILD)/gen/web_assets.o $(BUILD)/libpyheap.a \
		$(BUILD)/src/static/notls.o
	@mkdir -p $(@D)
	$(CC) -static-pie $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB_ASM_OBJ) $(BUILD)/gen/web_assets.o \
		$(BUILD)/libpyheap.a $(BUILD)/src/static/notls.o $(STATIC_LIBS)
	@if readelf -d $@ | grep -q NEEDED; then \
		echo "make static: $@ still needs shared libraries:" >&2; readelf -d $@ | grep NEEDED >&2; \
		rm -f $@; exit 1; fi

static: deps-build $(BUILD)/static/pyheap
.PHONY: static

# Two OCI images built with buildah from containers/Containerfile.*, with no
# container engine: the dumper (FROM scratch, the static binary alone) and the
# UI (pyheap serve on 0.0.0.0:5000). scripts/build-images writes them to the
# OCI layout $(BUILD)/images/oci (tags pyheap-dump and pyheap-ui); see
# docs/containers.md for loading them into Docker or a registry.
images: deps-images $(BUILD)/static/pyheap
	scripts/build-images $(BUILD)/static/pyheap $(BUILD)/images $(PYHEAP_VERSION) $(PYHEAP_COMMIT)
.PHONY: images
deps-images:
	@scripts/install-deps --images
.PHONY: deps-images

PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_BIN ?= $(BUILD)/pyheap
install: $(INSTALL_BIN)
	install -d '$(DESTDIR)$(PREFIX)/bin' '$(DESTDIR)$(PREFIX)/share/man/man1'
	install -m 755 '$(INSTALL_BIN)' '$(DESTDIR)$(PREFIX)/bin/pyheap'
	install -m 644 docs/pyheap.1 '$(DESTDIR)$(PREFIX)/share/man/man1/pyheap.1'
.PHONY: install

# ---- tests ----
# tests/unit/*.c: one Criterion binary each. tests/helper/*.c: build/test-tool,
# a helper binary that exposes internals to the integration tests.
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
TOOL_SRC := $(sort $(wildcard tests/helper/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libpyheap.a $(LIB_ASM_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $< $(LIB_ASM_OBJ) $(BUILD)/libpyheap.a $(LDFLAGS_ALL) \
		-lcriterion $(LDLIBS_ALL)

$(BUILD)/test-tool: $(TOOL_OBJ) $(LIB_ASM_OBJ) $(BUILD)/libpyheap.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(TOOL_OBJ) $(LIB_ASM_OBJ) $(BUILD)/libpyheap.a $(LDLIBS_ALL)

$(BUILD)/tests/helper/%.o: tests/helper/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Itests -c -o $@ $<

TOOL_BIN := $(if $(TOOL_SRC),$(BUILD)/test-tool)

# An LD_PRELOAD shim that fails malloc/write/open on demand (fault-injection tests).
$(BUILD)/inject-errors.so: tests/fault/inject_errors.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g -fPIC -shared -Wall -o $@ $< -ldl

# The static binary too (tests/integration/test_images.py), except in sanitizer builds.
test-bins: $(BUILD)/pyheap $(UNIT_BIN) $(TOOL_BIN) $(AGENT_SO) $(BUILD)/inject-errors.so \
	$(if $(SAN),,$(BUILD)/static/pyheap)
.PHONY: test-bins

# The Debian roots with the interpreters this machine cannot run (scripts/pyroots:
# cached outside the tree; about a minute to build the first time) are built
# while the rest compiles; a root that cannot be built only skips its tests.
check: deps
	@mkdir -p $(BUILD)
	@scripts/pyroots build >$(BUILD)/pyroots.log 2>&1 & roots=$$!; \
	$(MAKE) --no-print-directory pyheap test-bins; st=$$?; \
	wait $$roots || echo "make check: a Debian root could not be built: its tests are skipped"; \
	cat $(BUILD)/pyroots.log; \
	[ $$st -eq 0 ] && BUILD=$(BUILD) tests/run
.PHONY: check

# The long loops: 1000 interrupted dumps of each kind (make check runs 100).
SOAK_RUNS ?= 1000
soak: deps
	@$(MAKE) --no-print-directory pyheap test-bins
	@PYHEAP_INTERRUPT_RUNS=$(SOAK_RUNS) PYHEAP=$(CURDIR)/$(BUILD)/pyheap \
		TEST_TOOL=$(CURDIR)/$(BUILD)/test-tool PYHEAP_BUILD=$(CURDIR)/$(BUILD) \
		/usr/bin/python3 -m pytest -q -rs -p no:cacheprovider tests/integration/test_dump_interrupt.py
.PHONY: soak
# Build (or refresh what changed in) the Debian roots the tests use.
roots:
	scripts/pyroots build
.PHONY: roots

# Unit tests only (no Python targets): quick, and what make asan runs.
unit: test-bins
	@BUILD=$(BUILD) tests/run --unit
.PHONY: unit

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' test-bins
	@BUILD=build/asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run --unit
.PHONY: asan

# The agent built with ASan + UBSan, loaded into real interpreters by the
# agent's integration tests (the sanitizer runtimes are preloaded into each
# target; Python's own memory is not instrumented, the agent's is).
ASAN_AGENT_OBJ := $(AGENT_SRC:%.c=build/asan-agent/%.o)
build/asan-agent/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(AGENT_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=all -c -o $@ $<
build/asan-agent/pyheap-agent.so: $(ASAN_AGENT_OBJ)
	$(CC) -shared -fsanitize=address,undefined -o $@ $^ -pthread
asan-agent: deps build/asan-agent/pyheap-agent.so pyheap build/test-tool
	@PYHEAP_BUILD=$(CURDIR)/build/asan-agent PYHEAP=$(CURDIR)/pyheap \
		TEST_TOOL=$(CURDIR)/build/test-tool \
		PYHEAP_TARGET_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration/test_agent_census.py \
		tests/integration/test_agent_threads.py tests/integration/test_agent_special.py
.PHONY: asan-agent

# ---- fuzzing (clang + libFuzzer) ----
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(LIB_SRC) $(LIB_ASM)
$(BUILD)/fuzz/fuzz-reader: tests/fuzz/fuzz_reader.c $(filter src/common/% src/format/%,$(LIB_SRC))
	@mkdir -p $(@D)
	clang -std=c11 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Isrc -g -O1 \
		-fsanitize=fuzzer,address,undefined \
		-o $@ $^ -lzstd -lm
fuzz: deps $(BUILD)/fuzz/fuzz-reader
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz-reader -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		$(BUILD)/fuzz/corpus tests/fuzz/corpus
.PHONY: fuzz

# ---- benchmarks, demo, man page ----
bench: pyheap $(BUILD)/test-tool $(BUILD)/static/pyheap
	bench/run
.PHONY: bench

demo: deps-demo pyheap
	@scripts/demo
.PHONY: demo

man: pyheap
	./pyheap help --man > docs/pyheap.1
.PHONY: man

clean:
	rm -rf $(BUILD) pyheap
.PHONY: clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
