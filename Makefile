# sakimori — one plain Makefile.
#
#   make            build build/sakimori
#   make demo       install what is missing, build, run the whole chain on embedded defaults
#   make test       install what is missing, build, run every test: unit tests (cmocka), the
#                   same tests under AddressSanitizer + UndefinedBehaviorSanitizer, the
#                   integration tests, and each libFuzzer target briefly
#   make bench      the sensor against the tools people use today (bench/run.sh), then the
#                   hub's intake rates (bench/hub.sh; alone: make bench-hub)
#
# Layout: src/<component>/*.c go into build/libsakimori.a, except src/cli which is the
# `sakimori` executable; tests/test_*.c are one cmocka binary each; fuzz/fuzz_*.c one
# libFuzzer target each. Sanitizer builds use the same rules with B=build/san SAN=1.

B        ?= build
CC       ?= cc
PKGS      = libpcap libloc libhs jansson libsodium libmd libmicrohttpd sqlite3 libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN      = -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -D_GNU_SOURCE $(WARN) -Isrc $(PKG_CFLAGS) -MMD -MP
LDLIBS    = $(PKG_LIBS) -lpthread -lm

ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(wildcard src/common/*.c src/packet/*.c src/geo/*.c src/meta/*.c src/select/*.c \
                               src/store/*.c src/audit/*.c src/hub/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
TESTS    := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
FUZZERS  := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)

.SECONDARY:
.PHONY: all deps demo test bench bench-hub unit san-test integration fuzz fuzz-bin clean tests-bin
all: $(B)/sakimori

deps:
	@sh scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libsakimori.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/sakimori: $(CLI_OBJ) $(B)/libsakimori.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/%.o $(B)/libsakimori.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(B)/tools/%: $(B)/tests/tools/%.o $(B)/libsakimori.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests-bin: $(B)/sakimori $(TESTS) $(TOOLS)

# libFuzzer targets: clang, with ASan + UBSan, linked against the sources directly.
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -Isrc $(PKG_CFLAGS) -Wall -Wextra -Wno-unused-parameter \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
build/fuzz/%: fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(LDLIBS)

unit: tests-bin
	@sh tests/run.sh unit $(B)

integration: tests-bin
	@sh tests/run.sh integration $(B)

san-test:
	@$(MAKE) --no-print-directory B=build/san SAN=1 CC=clang tests-bin
	@sh tests/run.sh unit build/san
	@sh tests/run.sh integration build/san

fuzz-bin: $(FUZZERS)

fuzz: fuzz-bin
	@sh tests/run.sh fuzz

test: deps
	@$(MAKE) --no-print-directory tests-bin
	@sh tests/run.sh all $(B)

demo: deps
	@$(MAKE) --no-print-directory $(B)/sakimori
	@$(B)/sakimori demo

# Not part of `make test`: figures, not verdicts (docs/bench.md).
bench: deps
	@$(MAKE) --no-print-directory $(B)/sakimori
	@sh bench/run.sh
	@sh bench/hub.sh

bench-hub: deps
	@$(MAKE) --no-print-directory $(B)/sakimori
	@sh bench/hub.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTS:=.d) $(TOOL_SRC:%.c=$(B)/%.d)
