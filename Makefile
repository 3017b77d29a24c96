# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# BioThings Observer. Everything built lands under build/ (OUT).
#   make            dependencies, BPF objects, skeleton, build/biothings-observer
#   make test       everything above, then unit and end-to-end tests
#   make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel's BTF
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (default 60)
#   make bench      observer cost on nginx/wrk, on vs off (BENCH_ARGS=--quick|--sweep)
#   BPF_DEFS=...    extra clang flags for the BPF objects (measurement builds)
#   make check      clang-format and cppcheck
#   make install    binary, systemd unit, config, prices (PREFIX, DESTDIR)
#   V=1             show full commands

OUT ?= build
UNAME_M := $(shell uname -m)
ARCH := $(UNAME_M)
BPF_ARCH := $(subst x86_64,x86,$(subst aarch64,arm64,$(ARCH)))
VMLINUX := vmlinux/$(ARCH)/vmlinux.h
CLANG ?= clang
CC ?= gcc
BPFTOOL ?= bpftool
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_HDRS := $(wildcard bpf/*.h) $(wildcard include/biothings/*.h)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKEL := $(OUT)/observer.skel.h

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iuser -Ibpf -I$(OUT) \
	  -DBT_VERSION='"$(VERSION)"'
LDLIBS += -lbpf -lelf -lz -lmicrohttpd -lyaml -ljansson -lsqlite3 -lcurl -lsodium -lm

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
# Modules linked into unit tests: all but the skeleton-bound wiring of the
# daemon (ring_reader is in: its test drives a real ringbuf).
PURE_OBJS := $(filter-out $(OUT)/user/main.o $(OUT)/user/observe.o $(OUT)/user/modules.o $(OUT)/user/loader.o $(OUT)/user/loader_tls.o $(OUT)/user/capture.o $(OUT)/user/tls_watch.o,$(USER_OBJS))
BIN := $(OUT)/biothings-observer

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
# BPF programs that unit tests load (producers for the ringbuf reader).
TEST_BPF_SRCS := $(wildcard tests/bpf/*.bpf.c)
TEST_BPF_OBJS := $(patsubst tests/bpf/%.bpf.c,$(OUT)/tests/%.bpf.o,$(TEST_BPF_SRCS))

.PHONY: all deps test unit e2e vmlinux check clean install fuzz bench
.DEFAULT_GOAL := all

all: deps $(BIN)

deps:
	$(Q)deploy/install-deps.sh

# Under make -j, nothing is compiled before the packages it needs are in.
$(BPF_OBJS) $(USER_OBJS) $(UNIT_BINS) $(TEST_BPF_OBJS) $(VMLINUX): | deps

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX) | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror $(BPF_DEFS) \
		-Iinclude -Ibpf -Ivmlinux/$(ARCH) -c $< -o $@

$(OUT)/observer.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUT)/observer.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name observer > $@

$(OUT)/user/%.o: user/%.c $(wildcard user/*.h) $(wildcard include/biothings/*.h) | $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Only the loader includes the skeleton.
$(OUT)/user/loader.o $(OUT)/user/loader_tls.o: $(SKEL)
$(OUT)/user/pricing_data.o: deploy/pricing/model_prices.json

$(BIN): $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/test_%: tests/unit/test_%.c $(PURE_OBJS) $(wildcard bpf/*.h) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Ibpf -Itests/unit -Itests/bpf $< $(PURE_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUT)/tests/%.bpf.o: tests/bpf/%.bpf.c $(wildcard tests/bpf/*.h) $(VMLINUX) | $(OUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror \
		-Itests/bpf -Ivmlinux/$(ARCH) -c $< -o $@

$(OUT)/bpf $(OUT)/user $(OUT)/tests:
	$(Q)mkdir -p $@

unit: deps $(UNIT_BINS) $(TEST_BPF_OBJS)

test: deps $(BIN) $(UNIT_BINS) $(TEST_BPF_OBJS)
	$(Q)deploy/install-deps.sh --attack-tools
	$(Q)OUT=$(OUT) tests/run.sh

# Every fuzzer for FUZZ_SECONDS (make test runs them for 3 s each).
FUZZ_SECONDS ?= 60
fuzz: deps
	$(Q)OUT=$(OUT) tests/fuzz/run.sh $(FUZZ_SECONDS)

# Cost of the observer on nginx under wrk (root; see docs/performance.md).
bench: deps $(BIN) $(OUT)/bench/floor_hooks $(OUT)/bench/floor_hooks.bpf.o
	$(Q)bench/run.sh $(BENCH_ARGS)

# The bench's floor: empty programs on chosen hooks.
$(OUT)/bench/floor_hooks.bpf.o: bench/floor_hooks.bpf.c $(VMLINUX)
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror \
		-Ivmlinux/$(ARCH) -c $< -o $@

$(OUT)/bench/floor_hooks: bench/floor_hooks.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lbpf -lelf -lz -o $@

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the systemd unit
# and the price table; the default config only where none exists, so an
# edited one survives. Paths in the unit and config follow PREFIX.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DATADIR ?= $(PREFIX)/share
UNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL_SED := sed -e 's|/usr/local/bin|$(BINDIR)|g' -e 's|/usr/local/etc|$(SYSCONFDIR)|g' \
	-e 's|/usr/local/share|$(DATADIR)|g'
CONF := $(DESTDIR)$(SYSCONFDIR)/biothings-observer/observer.yaml

install: $(BIN)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/biothings-observer
	$(Q)install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DATADIR)/biothings-observer \
		$(DESTDIR)$(SYSCONFDIR)/biothings-observer
	$(Q)$(INSTALL_SED) deploy/systemd/biothings-observer.service >$(DESTDIR)$(UNITDIR)/biothings-observer.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/biothings-observer.service
	$(Q)install -m 0644 deploy/pricing/model_prices.json $(DESTDIR)$(DATADIR)/biothings-observer/
	$(Q)if [ -e $(CONF) ]; then echo "  kept     $(CONF)"; else \
		$(INSTALL_SED) deploy/config/observer.yaml >$(CONF) && chmod 0644 $(CONF); fi

vmlinux:
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

check:
	$(Q)clang-format --dry-run --Werror bpf/*.c bpf/*.h user/*.c user/*.h include/biothings/*.h
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=unknownMacro -Iinclude -Iuser -Ibpf user/

clean:
	$(Q)rm -rf $(OUT)
