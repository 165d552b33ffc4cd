# lifeboat - GNU make; dependencies through pkg-config
VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share
DESTDIR   ?=
BUILD     ?= build/release
SAN       ?= 0

CC        ?= cc
PKGS      := libcurl jansson yaml-0.1 libcrypto
WARN      := -std=c17 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 \
             -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings -Werror
ifeq ($(SAN),1)
OPT       := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
LDOPT     := -fsanitize=address,undefined
else ifeq ($(SAN),fuzz)
# `make fuzz`: clang's libFuzzer, coverage on every object (clang's
# -Wformat=2 also flags the v*printf wrappers, which gcc checks already)
OPT       := -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-format-nonliteral
LDOPT     := -fsanitize=fuzzer,address,undefined
else
# Debian's hardening flags, as dpkg-buildflags gives them.
OPT       := -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
LDOPT     := -Wl,-z,relro -Wl,-z,now
endif
# lifeboat-extract needs no cloud library: only libguestfs, libarchive,
# OpenSSL's hashes and jansson for --json; and for the native reader
# libnbd (qemu-nbd), libext2fs and libseccomp. lifeboat-snap links none.
EXTRACT_PKGS := libguestfs libarchive libcrypto jansson libnbd ext2fs com_err libseccomp
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(EXTRACT_PKGS) 2>/dev/null)
EXTRACT_LIBS = $(shell pkg-config --libs $(EXTRACT_PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(WARN) $(OPT) -D_GNU_SOURCE -DLIFEBOAT_VERSION='"$(VERSION)"' \
             -Iconoha_api -Icommon $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDOPT) $(LDFLAGS)

LIB_SRC   := $(wildcard conoha_api/*.c)
COMMON_SRC := $(wildcard common/*.c)
SNAP_SRC  := $(wildcard snap/*.c) $(COMMON_SRC)
EXTRACT_SRC := $(wildcard extract/*.c) $(COMMON_SRC)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)

LIB       := $(BUILD)/libconoha_api.a
SNAP      := $(BUILD)/lifeboat-snap
EXTRACT   := $(BUILD)/lifeboat-extract
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
JOURNAL_APPLY := $(BUILD)/tests/journal-apply
GROW_DIR  := $(BUILD)/tests/grow-dir

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: all deps check it-bins check-release check-asan check-openstack openstack unit integration \
        lint-man demo demo-openstack bench install install-completion completion clean fuzz \
        fuzz-bins fuzz-replay soak

all: $(SNAP) $(EXTRACT)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(call obj,$(LIB_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(SNAP): $(call obj,$(SNAP_SRC)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS)

$(EXTRACT): $(call obj,$(EXTRACT_SRC))
	$(CC) $(ALL_LDFLAGS) -pthread -o $@ $^ $(EXTRACT_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/tests/test_image: $(BUILD)/obj/tests/unit/test_image.o \
                           $(call obj,extract/image.c common/image_policy.c common/fileio.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs jansson cmocka)

# retire's decision and the poll loop are tested on their own
$(BUILD)/tests/test_retire: $(BUILD)/obj/tests/unit/test_retire.o $(call obj,snap/retire_decide.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka)

# the metrics file, the selectors and the journal's events, alone
$(BUILD)/tests/test_metrics: $(BUILD)/obj/tests/unit/test_metrics.o \
                             $(call obj,snap/metrics.c snap/files.c snap/fleet_select.c snap/logjson.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm $(shell pkg-config --libs jansson cmocka)

# the JSON documents' readers of old files and -f value, alone
$(BUILD)/tests/test_json_out: $(BUILD)/obj/tests/unit/test_json_out.o $(call obj,snap/json_out.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs jansson cmocka)

$(BUILD)/tests/test_poll: $(BUILD)/obj/tests/unit/test_poll.o $(call obj,snap/poll.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka)

# text counted as Nova and Glance count it, alone
$(BUILD)/tests/test_text_limit: $(BUILD)/obj/tests/unit/test_text_limit.o $(call obj,snap/text_limit.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka)

$(BUILD)/tests/test_part_record: $(BUILD)/obj/tests/unit/test_part_record.o \
                                 $(call obj,snap/part_record.c common/fileio.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs jansson cmocka)

# the sandbox (extract/sandbox.c) confines readers with libseccomp; its
# tests: the frames alone, and the sandbox around real readers (libarchive,
# and qemu-nbd through extract/disk.c)
EXTRACT_PKGS += libseccomp
$(BUILD)/tests/test_frame: $(BUILD)/obj/tests/unit/test_frame.o $(call obj,extract/frame.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs cmocka)

SANDBOX_OBJ = $(call obj,extract/sandbox.c extract/frame.c extract/reader_tar.c extract/disk.c)
$(BUILD)/tests/test_sandbox: $(BUILD)/obj/tests/unit/test_sandbox.o $(SANDBOX_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXTRACT_LIBS) $(shell pkg-config --libs libnbd cmocka)

# the writer's tests link the extractor's reader and writer, not the cloud
WRITER_OBJ = $(call obj,extract/writer.c extract/reader_tar.c extract/digest.c extract/outcome.c \
                       common/fileio.c)
$(BUILD)/tests/test_writer $(BUILD)/tests/test_copy: $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o \
                                                      $(WRITER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXTRACT_LIBS) $(shell pkg-config --libs cmocka)

# ---- fuzz targets ------------------------------------------------------------
# One per parser, linked with the programs' own objects. With SAN=fuzz
# libFuzzer gives main(); otherwise tests/fuzz/replay.c does, and the
# target runs each file it is given once.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_NAMES))
FUZZ_MAIN  := $(if $(filter fuzz,$(SAN)),,$(call obj,tests/fuzz/replay.c))
SNAP_NOMAIN := $(call obj,$(filter-out snap/main.c,$(SNAP_SRC)) tests/fuzz/snap_stubs.c)

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_MAIN) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -pthread -o $@ $(filter %.o,$^) $(LIB) $(PKG_LIBS) $(EXTRACT_LIBS)

.SECONDARY: $(patsubst %,$(BUILD)/obj/tests/fuzz/fuzz_%.o,$(FUZZ_NAMES))

$(BUILD)/fuzz/qcow2: $(call obj,common/image_policy.c common/fileio.c)
$(BUILD)/fuzz/part: $(call obj,extract/part.c)
$(BUILD)/fuzz/frame: $(call obj,extract/frame.c)
$(BUILD)/fuzz/ext4: $(call obj,extract/reader_native.c extract/ext4.c extract/journal.c \
                    extract/part.c extract/disk.c extract/frame.c)
$(BUILD)/fuzz/manifest $(BUILD)/fuzz/tar: $(call obj,extract/manifest.c extract/json_doc.c) $(WRITER_OBJ)
$(BUILD)/fuzz/sidecar: $(SNAP_NOMAIN)
$(BUILD)/fuzz/metrics: $(call obj,snap/metrics.c snap/files.c)
$(BUILD)/fuzz/receipt: $(filter-out %/retire.o,$(SNAP_NOMAIN))
# the inventory's core, parsers and report, against a fake source
INVENTORY_OBJ = $(call obj,extract/inventory.c extract/inv_rules.c extract/inv_pkgdb.c \
                extract/inv_backed.c extract/inv_report.c)
$(BUILD)/tests/test_inventory: $(BUILD)/obj/tests/unit/test_inventory.o $(INVENTORY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXTRACT_LIBS) $(shell pkg-config --libs cmocka)

# the journal's tests: the replay alone, on a filesystem libext2fs opens
JOURNAL_LIBS = $(shell pkg-config --libs ext2fs com_err)
$(BUILD)/tests/test_journal: $(BUILD)/obj/tests/unit/test_journal.o $(call obj,extract/journal.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(JOURNAL_LIBS) $(shell pkg-config --libs cmocka)

$(JOURNAL_APPLY): $(BUILD)/obj/tests/images/journal-apply.o $(call obj,extract/journal.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(JOURNAL_LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- fuzzing ------------------------------------------------------------------
# `make fuzz`: every target under libFuzzer for FUZZ_S seconds, FUZZ_JOBS
# at a time (needs clang). `make fuzz-replay`, part of check-asan: every
# corpus and crash input once, built with CC and the sanitizers, so the
# regression pass needs no clang.
FUZZ_S    ?= 60
FUZZ_JOBS ?= 2
FUZZ_CC   ?= clang
fuzz:
	@LIFEBOAT_FUZZ=1 build-aux/deps.sh
	$(MAKE) BUILD=build/fuzz SAN=fuzz CC=$(FUZZ_CC) fuzz-bins
	@tests/fuzz/run.sh $(abspath build/fuzz/fuzz) $(FUZZ_S) $(FUZZ_JOBS) $(FUZZ_NAMES)

fuzz-bins: $(FUZZ_BINS)

fuzz-replay: $(FUZZ_BINS)
	@tests/fuzz/replay.sh $(abspath $(BUILD)/fuzz) $(FUZZ_NAMES)

# ---- dependencies ---------------------------------------------------------
deps:
	@build-aux/deps.sh

# ---- tests ----------------------------------------------------------------
# `make check` installs what it needs, builds the release and the
# sanitizer builds, runs their unit tests, the man-page checks and the fuzz
# corpora, then every integration file in both builds and the real
# OpenStack suite in the sanitizer build, in two lanes (run.sh): the
# appliance's files in one, the rest beside it, the lanes sharing what is
# left at the end; the OpenStack suite, the longest of the rest, first.
# The files whose cost is the appliance's launches or a fixed run time (the
# OS disks, the hostile suite read by the appliance, the crashed
# filesystems, the inventory's reader comparison, the soak; the Debian
# package, which builds its own) run once, in the release build; the
# sanitizer build meets every parser and the native reader in the others.
RELEASE_ONLY := t_extract_os t_extract_appliance t_journal t_extract_journal t_inventory t_soak t_package
IT_ALL  := $(wildcard tests/integration/t_*.sh)
IT_ASAN := $(filter-out $(RELEASE_ONLY:%=tests/integration/%.sh),$(IT_ALL))
JOBS ?= 2
check: deps
	$(MAKE) -j$(JOBS) BUILD=build/release SAN=0 it-bins
	$(MAKE) BUILD=build/release SAN=0 unit lint-man
	$(MAKE) -j$(JOBS) BUILD=build/asan SAN=1 it-bins fuzz-bins
	$(MAKE) BUILD=build/asan SAN=1 unit fuzz-replay
	@os=tests/openstack/t_openstack.sh; tests/openstack/install.sh; rc=$$?; \
	if [ $$rc = 77 ]; then \
		echo "check: SKIPPED the real OpenStack suite: Debian's OpenStack packages cannot be installed here"; os=; \
	elif [ $$rc != 0 ]; then exit $$rc; fi; \
	tests/integration/run.sh --bin build/asan $$os --bin build/release $(IT_ALL) --bin build/asan $(IT_ASAN)

# the programs, the unit tests and what the integration files build with
it-bins: $(SNAP) $(EXTRACT) $(JOURNAL_APPLY) $(GROW_DIR) $(UNIT_BINS)

check-release:
	$(MAKE) BUILD=build/release SAN=0 unit integration lint-man

check-asan:
	$(MAKE) BUILD=build/asan SAN=1 unit fuzz-replay integration IT_FILES="$(IT_ASAN)"

# Real Keystone, Glance and Nova from Debian, in the sanitizer build;
# skipped, saying so, only where the packages cannot be installed.
check-openstack:
	$(MAKE) BUILD=build/asan SAN=1 openstack

openstack: $(SNAP) $(EXTRACT)
	@tests/openstack/install.sh; rc=$$?; \
	if [ $$rc = 77 ]; then \
		echo "check-openstack: SKIPPED: Debian's OpenStack packages cannot be installed here"; \
	elif [ $$rc != 0 ]; then exit $$rc; \
	else LIFEBOAT_BIN=$(abspath $(BUILD)) tests/integration/run.sh tests/openstack/t_openstack.sh; fi

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

# the partition parser and the superblock's feature check, alone
PART_OBJ = $(call obj,extract/part.c extract/ext4.c extract/journal.c extract/disk.c)
$(BUILD)/tests/test_part: $(BUILD)/obj/tests/unit/test_part.o $(PART_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXTRACT_LIBS) $(shell pkg-config --libs cmocka)

# builds the native reader's 50,000-entry htree in seconds
$(GROW_DIR): $(BUILD)/obj/tests/images/grow-dir.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(JOURNAL_LIBS)

integration: $(SNAP) $(EXTRACT) $(JOURNAL_APPLY) $(GROW_DIR)
	@LIFEBOAT_BIN=$(abspath $(BUILD)) tests/integration/run.sh $(IT_FILES)

# create/download/verify cycles with random faults; a bounded run (60 s)
# is part of integration, as t_soak.sh
SOAK_CYCLES ?= 1000
soak: $(SNAP) $(EXTRACT)
	@SOAK_CYCLES=$(SOAK_CYCLES) SOAK_SECONDS=0 LIFEBOAT_BIN=$(abspath $(BUILD)) \
		tests/integration/run.sh tests/integration/t_soak.sh

lint-man: $(SNAP) $(EXTRACT)
	@tests/lint-man.sh $(SNAP) $(EXTRACT)

# ---- demo -----------------------------------------------------------------
demo: deps
	$(MAKE) all
	@LIFEBOAT_BIN=$(abspath $(BUILD)) tests/cloud/demo.sh

demo-openstack: deps
	$(MAKE) all
	@LIFEBOAT_BIN=$(abspath $(BUILD)) tests/openstack/demo.sh

bench: all
	@LIFEBOAT_BIN=$(abspath $(BUILD)) tests/bench/run.sh
	@LIFEBOAT_BIN=$(abspath $(BUILD)) tests/bench/extract.sh
	@LIFEBOAT_BIN=$(abspath $(BUILD)) tests/bench/inventory.sh
	@LIFEBOAT_BIN=$(abspath $(BUILD)) tests/bench/native.sh

# ---- install ----------------------------------------------------------------
install: all install-systemd install-completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(SNAP) $(EXTRACT) $(DESTDIR)$(BINDIR)/
	install -m 644 man/lifeboat-snap.1 man/lifeboat-extract.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/lifeboat-json.7 $(DESTDIR)$(MANDIR)/man7/

# bash and zsh completion, made from the programs' help by `make completion`
COMPLETED := lifeboat-snap lifeboat-extract
install-completion:
	install -d $(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/vendor-completions
	for p in $(COMPLETED); do \
		install -m 644 contrib/completion/$$p.bash \
			$(DESTDIR)$(DATADIR)/bash-completion/completions/$$p && \
		install -m 644 contrib/completion/_$$p $(DESTDIR)$(DATADIR)/zsh/vendor-completions/ \
		|| exit 1; \
	done

completion: $(SNAP) $(EXTRACT)
	for p in $(COMPLETED); do \
		build-aux/gen-completion.py $(BUILD)/$$p bash >contrib/completion/$$p.bash && \
		build-aux/gen-completion.py $(BUILD)/$$p zsh >contrib/completion/_$$p || exit 1; \
	done

# the systemd units, naming the lifeboat-snap that install puts in BINDIR
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
.PHONY: install-systemd
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in lifeboat-snap@.service lifeboat-snap@.timer; do \
		sed 's|/usr/local/bin/|$(BINDIR)/|g' contrib/systemd/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		mv $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done

clean:
	rm -rf build
