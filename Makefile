# lua-coc. `make` builds coc/core.so for Lua 5.4; LUA_VERSION=5.1, 5.3 or
# luajit builds for those. Every variable LuaRocks passes has a default.

LUA_VERSION ?= 5.4
ifeq ($(LUA_VERSION),luajit)
LUA ?= luajit
LUA_INCDIR ?= /usr/include/luajit-2.1
else
LUA ?= lua$(LUA_VERSION)
LUA_INCDIR ?= /usr/include/lua$(LUA_VERSION)
endif

CC ?= cc
CFLAGS ?= -O2 -g -fPIC
LIBFLAG ?= -shared
LDFLAGS ?=
CURL_INCDIR ?= /usr/include
CURL_LIBDIR ?= /usr/lib
OPENSSL_INCDIR ?= /usr/include
OPENSSL_LIBDIR ?= /usr/lib

PREFIX ?= /usr/local
# LuaJIT searches the 5.1 directories
LUA_ABI = $(if $(filter luajit,$(LUA_VERSION)),5.1,$(LUA_VERSION))
INST_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_ABI)
INST_LUADIR ?= $(PREFIX)/share/lua/$(LUA_ABI)
INST_BINDIR ?= $(PREFIX)/bin

BUILD ?= build
WARN = -std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat=2 -D_POSIX_C_SOURCE=200809L
LIBS = -L$(CURL_LIBDIR) -L$(OPENSSL_LIBDIR) -lcurl -lcrypto -lm

CORE_SRC = src/buf.c src/utf8.c src/doc.c src/schema.c src/report.c \
           src/validate.c src/json.c src/uri.c src/sign.c src/client.c src/http.c
BIND_SRC = src/lcoc.c src/lerror.c src/ltable.c src/lclient.c
CORE_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/core/%.o)
BIND_OBJ = $(BIND_SRC:src/%.c=$(BUILD)/$(LUA_VERSION)/%.o)
CORE_LIB = $(BUILD)/core/libcoc.a
MODULE = $(BUILD)/$(LUA_VERSION)/coc/core.so

.PHONY: all install test-core doc bench bench-short clean asan asan-build valgrind fuzz-build fuzz fuzz-smoke

all: $(MODULE)

# The core never sees Lua's headers: that keeps it usable from LuaJIT's FFI.
$(BUILD)/core/%.o: src/%.c src/coc.h src/internal.h src/client.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -I$(CURL_INCDIR) -I$(OPENSSL_INCDIR) -c $< -o $@

$(CORE_LIB): $(CORE_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/$(LUA_VERSION)/%.o: src/%.c src/coc.h src/binding.h src/compat.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -I$(LUA_INCDIR) -c $< -o $@

$(MODULE): $(BIND_OBJ) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(LIBFLAG) $(LDFLAGS) -o $@ $(BIND_OBJ) $(CORE_LIB) $(LIBS)

# A C program that links the core alone, without Lua.
$(BUILD)/core/core_test: test/core_test.c $(CORE_LIB)
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ $< $(CORE_LIB) $(LIBS)

test-core: $(BUILD)/core/core_test
	$(BUILD)/core/core_test

# Benchmarks (bench/): the plain-libcurl floor, the crypto-alone floor, a
# malloc counter, and bench/bench.lua under Lua 5.4 and LuaJIT against a
# fast local nginx. Figures only; nothing fails on time.
BENCH_BIN = $(BUILD)/bench
BENCH_CFLAGS = -O2 -std=c99 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L

$(BENCH_BIN)/floor: bench/floor.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -I$(CURL_INCDIR) -o $@ $< -L$(CURL_LIBDIR) -L$(OPENSSL_LIBDIR) -lcurl -lcrypto

$(BENCH_BIN)/crypto: bench/crypto.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -L$(OPENSSL_LIBDIR) -lcrypto

$(BENCH_BIN)/malloc_count.so: bench/malloc_count.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $<

BENCH_TOOLS = $(BENCH_BIN)/floor $(BENCH_BIN)/crypto $(BENCH_BIN)/malloc_count.so
BENCH_MODE ?= full

bench: $(BENCH_TOOLS)
	$(MAKE) -s LUA_VERSION=5.4
	$(MAKE) -s LUA_VERSION=luajit
	bench/run $(BENCH_MODE) $(BUILD) $(BENCH_BIN)

bench-short:
	$(MAKE) -s bench BENCH_MODE=short

install: $(MODULE)
	install -d $(DESTDIR)$(INST_LIBDIR)/coc $(DESTDIR)$(INST_LUADIR)/coc $(DESTDIR)$(INST_LUADIR)/coc/transport
	install -m 755 $(MODULE) $(DESTDIR)$(INST_LIBDIR)/coc/core.so
	install -m 644 lua/coc.lua $(DESTDIR)$(INST_LUADIR)/coc.lua
	install -m 644 lua/coc/*.lua $(DESTDIR)$(INST_LUADIR)/coc/
	install -d $(DESTDIR)$(INST_BINDIR)
	# the launcher runs under the interpreter it was installed for
	sed '1s|^#!.*|#!/usr/bin/env $(LUA)|' bin/coc-change > $(DESTDIR)$(INST_BINDIR)/coc-change
	chmod 755 $(DESTDIR)$(INST_BINDIR)/coc-change
	install -m 644 lua/coc/transport/*.lua $(DESTDIR)$(INST_LUADIR)/coc/transport/

clean:
	rm -rf $(BUILD)

# `make doc`: the API reference from the source comments (config.ld), into doc/api/.
LDOC ?= ldoc
doc:
	$(LDOC) .

# ---- hostile input: sanitizers, valgrind, fuzzing ------------------------
# `make asan`: the Lua 5.4 module and the C test built with ASan+UBSan into
# $(BUILD)/asan, then the C test and the whole Busted suite (against the
# emulator of COC_EMULATOR_*) with the sanitizer runtime preloaded, since
# lua5.4 itself is not instrumented. Any report fails the run.
SAN_CC ?= clang-14
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# clang's -Wformat=2 also flags vsnprintf with a va_list format (gcc does not)
CLANG_WARN = $(WARN) -Wno-format-nonliteral
SAN_RT = $(shell $(SAN_CC) -print-file-name=libclang_rt.asan-x86_64.so)
SAN_OPTS = ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=0:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1 \
  LSAN_OPTIONS=suppressions=$(CURDIR)/test/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SAN_ENV = LD_PRELOAD=$(SAN_RT) $(SAN_OPTS)
# Specs that run the CLI or the examples as subprocesses with a clean
# environment (env -i) can't carry the preloaded runtime: they are left out
# here (the code they drive runs in-process in the other specs; valgrind
# runs them all).
SAN_SKIP_SPECS ?= spec/08-cli_spec.lua spec/09-examples_spec.lua
SAN_SPECS = $(filter-out $(SAN_SKIP_SPECS),$(sort $(wildcard spec/*_spec.lua)))
BUSTED_ARGS ?=

asan-build:
	$(MAKE) -s BUILD=$(BUILD)/asan CC=$(SAN_CC) CFLAGS="$(SAN_FLAGS) -fPIC" WARN="$(CLANG_WARN)" \
	  LDFLAGS="-fsanitize=address,undefined -shared-libsan" all $(BUILD)/asan/core/core_test

asan: asan-build
	$(SAN_OPTS) $(BUILD)/asan/core/core_test
	$(SAN_ENV) lua5.4 /usr/bin/busted --cpath='$(BUILD)/asan/5.4/?.so' $(BUSTED_ARGS) $(SAN_SPECS)

# `make valgrind`: the suite under memcheck against the ordinary module:
# any error, or a block definitely or indirectly lost, fails the run.
# Specs tagged `novalgrind` are left out (none yet: the whole suite runs in
# about 35 s under memcheck); suppressions: test/valgrind.supp.
VALGRIND = valgrind --tool=memcheck --error-exitcode=87 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
  --suppressions=$(CURDIR)/test/valgrind.supp --num-callers=30 --trace-children=no \
  --keep-debuginfo=yes
VALGRIND_BUSTED_ARGS ?= --exclude-tags=novalgrind

valgrind: all $(BUILD)/core/core_test
	$(VALGRIND) $(BUILD)/core/core_test
	$(VALGRIND) lua5.4 /usr/bin/busted --cpath='$(BUILD)/5.4/?.so' $(VALGRIND_BUSTED_ARGS)

# `make fuzz-smoke`: each libFuzzer harness of fuzz/ for FUZZ_SMOKE_SECONDS;
# `make fuzz FUZZ_SECONDS=600` for longer runs. The core is built with
# -fsanitize=fuzzer-no-link into $(BUILD)/fuzz; crashes land in $(BUILD)/fuzz/artifacts.
FUZZ_CC ?= clang-14
FUZZ_FLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
  -fno-sanitize-recover=all
FUZZ_HARNESSES = body sign response
FUZZ_BINS = $(FUZZ_HARNESSES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 25

fuzz-build:
	$(MAKE) -s BUILD=$(BUILD)/fuzz CC=$(FUZZ_CC) CFLAGS="$(FUZZ_FLAGS)" WARN="$(CLANG_WARN)" \
	  $(BUILD)/fuzz/core/libcoc.a
	$(MAKE) -s $(FUZZ_BINS)

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/*.h $(BUILD)/fuzz/core/libcoc.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(CLANG_WARN) -Wno-missing-prototypes -Isrc -Ifuzz \
	  -o $@ $< $(BUILD)/fuzz/core/libcoc.a $(LIBS) -lpthread

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run $(BUILD)/fuzz $(FUZZ_HARNESSES)

fuzz-smoke: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) fuzz/run $(BUILD)/fuzz $(FUZZ_HARNESSES)
