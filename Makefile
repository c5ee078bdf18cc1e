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
INST_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
INST_LUADIR ?= $(PREFIX)/share/lua/$(LUA_VERSION)
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

.PHONY: all install test-core clean

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

install: $(MODULE)
	install -d $(DESTDIR)$(INST_LIBDIR)/coc $(DESTDIR)$(INST_LUADIR)/coc
	install -m 755 $(MODULE) $(DESTDIR)$(INST_LIBDIR)/coc/core.so
	install -m 644 lua/coc.lua $(DESTDIR)$(INST_LUADIR)/coc.lua
	install -m 644 lua/coc/*.lua $(DESTDIR)$(INST_LUADIR)/coc/

clean:
	rm -rf $(BUILD)
