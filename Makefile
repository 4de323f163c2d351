# lockalias. Targets, and what each runs:
#   make               extension/lockalias.so and python/lockalias/_core*.so (all)
#   make demo          installs what is missing (scripts/install-deps.sh), builds,
#                      runs the scan on the bundled dump (scripts/demo.sh)
#   make check         installs what is missing, then make test (CI's first step)
#   make test          unit (GoogleTest, plain and ASan+UBSan), integration (pytest,
#                      tests/integration but the `formats` marker), integration-drgn
#                      (the `drgn_suite` marker's files through drgn); installs nothing
#   make matrix        every fixture with Debian 12's, 13's and unstable's crash and
#                      drgn, the last two in debootstrap roots (scripts/run-matrix.sh)
#   make formats       every dump format makedumpfile and QEMU write (test_formats.py,
#                      test_qemu_dumps.py)
#   make install       the extension, lockalias-check, lockalias-drgn, the package,
#                      the post-mortem units (DESTDIR, PREFIX, UNITDIR)
#   make root-build-SUITE, root-install-SUITE   the same inside a Debian root
#   make bench, bench-large, bench-scaling, fuzz   not part of make test
# docs/testing.md says what each test holds lockalias against.
CXX      ?= g++
CC       ?= gcc
CXXFLAGS ?= -O2 -g
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra
# The crash whose defs.h the glue is compiled against: the installed crash's
# (Debian 12's here; each release's own in its root, make root-build-SUITE),
# or any other crash's source tree (make CRASH_INC=DIR).
CRASH_INC = /usr/include/crash
# Which crash those headers are: the Debian package that owns defs.h, with
# defs.h's checksum.
CRASH_HEADERS := $(shell { pkg=$$(dpkg -S $(CRASH_INC)/defs.h 2>/dev/null | cut -d: -f1) && [ -n "$$pkg" ] && \
      dpkg-query -W -f='$${Version}' "$$pkg"; } 2>/dev/null || \
    echo unknown) (defs.h $(shell sha256sum $(CRASH_INC)/defs.h 2>/dev/null | cut -c1-12))
BUILD     = build
# The release's version, said once: debian/changelog's first entry. The
# extension's help text, the Python package (python/lockalias/version.py)
# and the Debian packages all take it from there.
VERSION  := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
# `make` alone builds the extension (the library rules below come first).
.DEFAULT_GOAL := all
# Where the extension goes (the matrix builds one per crash elsewhere).
SO        = extension/lockalias.so
PYTHON    = /usr/bin/python3  # Debian's, where python3-pytest installs

# crash's defs.h needs the architecture; x86_64 is the one tested.
ARCH := $(shell uname -m)
ifeq ($(ARCH),x86_64)
CRASH_ARCH = -DX86_64
else
$(error lockalias is built and tested on x86_64 only; this machine is $(ARCH))
endif

# The core (src/, no crash header) is one static library per compiler
# flavour: PIC and optimised for the .so, the unit tests and the benchmarks;
# instrumented for the sanitizer unit tests and for libFuzzer. Every object
# records its header dependencies (-MMD), so `make -j` rebuilds exactly what
# changed.
CORE_SRC  = $(wildcard src/*/*.cpp)
TEST_SRC  = $(wildcard tests/unit/*.cpp)
CXXSTD    = -std=c++17 $(WARN) -Isrc -MMD -MP
FLAVOUR_core = $(CXX) $(CXXSTD) $(CXXFLAGS) -pthread -fPIC
FLAVOUR_asan = $(CXX) $(CXXSTD) -O1 -g -pthread -fsanitize=address,undefined -fno-sanitize-recover=all
FLAVOUR_fuzz = clang++ $(CXXSTD) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
core_lib  = $(BUILD)/$(1)/liblockalias_core.a
objs      = $(patsubst %.cpp,$(BUILD)/$(1)/%.o,$(2))

define flavour
$(BUILD)/$(1)/%.o: %.cpp
	@mkdir -p $$(dir $$@)
	$$(FLAVOUR_$(1)) -c -o $$@ $$<
$(call core_lib,$(1)): $(call objs,$(1),$(CORE_SRC))
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach f,core asan fuzz,$(eval $(call flavour,$(f))))
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# The glue's objects depend on the crash headers: the matrix keeps one set per crash.
EXT_BUILD = $(BUILD)/ext
EXT_OBJ   = $(EXT_BUILD)/crash_api.o $(EXT_BUILD)/help_text.o $(EXT_BUILD)/crash_target.o $(EXT_BUILD)/entry.o

# The Python front ends' module (python/lockalias/_core*.so): the same core
# behind pybind11 (issue 17), built like the crash extension. (Defined before
# `all`: make expands a rule's prerequisites when it reads the rule.)
PY_EXT    := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PY_INC    := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
PY_MODULE  = python/lockalias/_core$(PY_EXT)

.PHONY: all check test unit integration integration-drgn demo clean deps fuzz bench bench-large install matrix python
all: $(SO) $(PY_MODULE)

# The two shared objects are linked alike: the page libraries static with
# their symbols hidden, so nothing clashes with the copies inside crash or
# drgn's process; $(1): what differs.
link_shared = $(CXX) -shared -pthread $(LDFLAGS) -o $@ $^ $(1) -lelf \
	-Wl,--exclude-libs,libdeflate.a:liblzo2.a:libsnappy.a:libzstd.a \
	-l:libdeflate.a -l:liblzo2.a -l:libsnappy.a -l:libzstd.a

$(SO): $(EXT_OBJ) $(call core_lib,core)
	$(call link_shared,-static-libstdc++ -static-libgcc)

$(EXT_BUILD)/crash_api.o: extension/crash_api.c $(CRASH_INC)/defs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CRASH_ARCH) -fPIC -MMD -MP -I$(CRASH_INC) -c -o $@ $<

# (rebuilt when the headers change: the help text names them)
$(EXT_BUILD)/help_text.o: extension/help_text.c $(CRASH_INC)/defs.h debian/changelog
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -MMD -MP -DLA_CRASH_HEADERS='"crash $(CRASH_HEADERS)"' \
	    -DLA_VERSION='"$(VERSION)"' -c -o $@ $<

$(EXT_BUILD)/%.o: extension/%.cpp
	@mkdir -p $(dir $@)
	$(FLAVOUR_core) -c -o $@ $<

python: $(PY_MODULE)
# (libstdc++ shared: a second, static copy beside the one drgn's process
# loads crashed in std::regex's locale facets with trixie's drgn 0.0.31)
$(PY_MODULE): $(BUILD)/python/core_module.o $(call core_lib,core)
	$(call link_shared,)
$(BUILD)/python/%.o: python/binding/%.cpp
	@mkdir -p $(dir $@)
	$(FLAVOUR_core) -fvisibility=hidden -I$(PY_INC) -c -o $@ $<

# Unit tests: the core on synthetic memory, plain and under ASan+UBSan.
# The kdump page decompressors: zlib (libdeflate), lzo, snappy, zstd.
PAGE_LIBS = -ldeflate -llzo2 -lsnappy -lzstd
UNIT_LIBS = -lgtest -lgtest_main -lelf $(PAGE_LIBS) -pthread
$(BUILD)/unit_tests: $(call objs,core,$(TEST_SRC)) $(call core_lib,core)
	$(CXX) -o $@ $^ $(UNIT_LIBS)
$(BUILD)/unit_tests_asan: $(call objs,asan,$(TEST_SRC)) $(call core_lib,asan)
	$(CXX) -fsanitize=address,undefined -o $@ $^ $(UNIT_LIBS)

unit: $(BUILD)/unit_tests $(BUILD)/unit_tests_asan
	$(BUILD)/unit_tests
	$(BUILD)/unit_tests_asan

# Here the drgn is Debian 12's python3-drgn 0.0.22 (which reads every fixture
# too, QEMU's ELF dumps with the kernel image mapped by
# python/lockalias/kernel_image.py); make matrix runs Debian 13's and
# unstable's in their roots.
# (-rs: every skip's reason in the summary)
PYTEST    = $(PYTHON) -m pytest -q -rs

# The fixture dumps, unpacked once (vmcore-fixtures/Makefile).
.PHONY: fixtures
fixtures:
	$(MAKE) -j$(shell nproc) -C vmcore-fixtures unpack

# Every integration test but those on make formats' dump copies (marker
# `formats`: make formats runs them after it makes the copies).
integration: all fixtures
	$(PYTEST) -m "not formats" tests/integration

# The ground-truth files (marker `drgn_suite`) again with every `lockalias`
# command run by the drgn front end (crash still answers its own
# struct/rd/kmem checks); the others test crash itself (its command line,
# Ctrl-C, bad dumps, lockalias-check's crash runs) or are the side-by-side
# test_drgn.py. scripts/run-matrix.sh runs the same with each release's drgn.
integration-drgn: all fixtures
	LOCKALIAS_ENGINE=drgn $(PYTEST) -m "drgn_suite and not formats" tests/integration

# `make test` builds and runs every test; it installs nothing. `make check`
# (the README's command, and CI's) installs what is missing first.
test: unit integration integration-drgn

# One make after deps, not prerequisites of check: the variables above
# (CRASH_HEADERS, PY_EXT) are read when make starts, from packages deps may
# only now install. The builds first, on every core (-MMD makes that safe),
# then the tests one at a time. The live test boots the committed kernel of
# vmcore-fixtures/live-6.12: nothing is built but lockalias.
check: deps
	$(MAKE) -j$(shell nproc) all $(BUILD)/unit_tests $(BUILD)/unit_tests_asan
	$(MAKE) test

# lockalias built inside the Debian SUITE root of scripts/make-root.sh
# (trixie, sid) with that release's compiler, crash headers and Python:
# build/roots/SUITE/lockalias.so and python/lockalias/_core.<its ABI>.so.
ROOT_SUITES = trixie sid
ROOT_MAKE = BUILD=build/roots/$* EXT_BUILD=build/roots/$*/ext SO=$(CURDIR)/build/roots/$*/lockalias.so \
	    PYTHON=/usr/bin/python3
root-build-%:
	scripts/in-root.sh $* make -s -j$(shell nproc) $(ROOT_MAKE) all
# make root-install-SUITE DESTDIR=DIR [PREFIX=...] [UNITDIR=...]: that build
# installed into another root file system (the real-system guest's), as
# `make install` would (in-root.sh passes no MAKEFLAGS: each is named).
root-install-%: root-build-%
	@[ -n "$(DESTDIR)" ] || { echo "root-install-$*: give DESTDIR=DIR" >&2; exit 2; }
	mkdir -p $(DESTDIR)
	LOCKALIAS_ROOT_BIND=$(DESTDIR) scripts/in-root.sh $* make -s $(ROOT_MAKE) \
	    DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) UNITDIR=$(UNITDIR) install

# The kernel x crash and kernel x drgn matrix: Debian 12's crash and drgn
# here, Debian 13's and unstable's inside their roots (scripts/make-root.sh,
# cached outside the clone), lockalias built against each release's crash
# headers and Python, the focused and drgn suites on every fixture kernel
# with each, and the support table in build/matrix/support.md.
matrix: all fixtures
	scripts/run-matrix.sh

# Installs the Debian packages the build, the tests and the demo need.
deps:
	@scripts/install-deps.sh

demo: deps
	$(MAKE) -j$(shell nproc) all
	$(MAKE) -j$(shell nproc) -C vmcore-fixtures unpack
	scripts/demo.sh

# make install [DESTDIR=...] [PREFIX=/usr/local] [PYTHON_DIR=...] [UNITDIR=...]:
# the extension where crash's `extend lockalias.so` finds it by name, the
# batch checker, the kdump post-mortem script and its systemd units, the
# Python package (by default in PREFIX/lib/lockalias/python, where
# lockalias-drgn and lockalias-check look first; the Debian package puts it
# in dist-packages) with the release's version, and lockalias-drgn.
PREFIX      ?= /usr/local
PYTHON_DIR  ?= $(PREFIX)/lib/lockalias/python
CRASH_EXTDIR = /usr/lib/crash/extensions
UNITDIR     ?= /lib/systemd/system
install: all
	install -D -m 755 $(SO) $(DESTDIR)$(CRASH_EXTDIR)/lockalias.so
	install -D -m 755 python/bin/lockalias-check $(DESTDIR)$(PREFIX)/bin/lockalias-check
	install -d $(DESTDIR)$(PREFIX)/lib/lockalias $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|' extension/lockalias-postmortem > $(DESTDIR)$(PREFIX)/lib/lockalias/lockalias-postmortem
	chmod 755 $(DESTDIR)$(PREFIX)/lib/lockalias/lockalias-postmortem
	sed 's|@LIBDIR@|$(PREFIX)/lib|' extension/systemd/lockalias-postmortem.service \
	    > $(DESTDIR)$(UNITDIR)/lockalias-postmortem.service
	install -m 644 extension/systemd/lockalias-postmortem.path $(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(PYTHON_DIR)/lockalias
	install -m 644 python/lockalias/*.py $(DESTDIR)$(PYTHON_DIR)/lockalias/
	echo 'VERSION = "$(VERSION)"  # written by make install from debian/changelog' \
	    > $(DESTDIR)$(PYTHON_DIR)/lockalias/_version.py
	install -m 644 $(PY_MODULE) $(DESTDIR)$(PYTHON_DIR)/lockalias/
	install -m 755 python/bin/lockalias-drgn $(DESTDIR)$(PREFIX)/bin/lockalias-drgn
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/lockalias-check.1 man/lockalias-drgn.1 $(DESTDIR)$(PREFIX)/share/man/man1/

# Benchmarks (not part of `make test`): end to end against crash's `search`
# on the lockdep fixture, and the scanner's hot loop in RAM.
$(BUILD)/bench_scanner: $(call objs,core,tests/bench/bench_scanner.cpp) $(call core_lib,core)
	$(CXX) -o $@ $^ -lbenchmark -lelf $(PAGE_LIBS) -pthread
# The kdump read floor (every dumped page read and decompressed, no search)
# through lockalias's reader and through libkdumpfile (issue 16, item 3).
$(BUILD)/bench_read_floor: $(call objs,core,tests/bench/bench_read_floor.cpp) $(call core_lib,core)
	$(CXX) -o $@ $^ -lelf $(PAGE_LIBS) -pthread
$(BUILD)/bench_libkdumpfile: $(call objs,core,tests/bench/bench_libkdumpfile.cpp) $(call core_lib,core)
	$(CXX) -o $@ $^ -lkdumpfile -lelf $(PAGE_LIBS) -pthread

# make bench: the hot loop in RAM, then one table, dump x format: the full
# scan against crash's `search -p`, the read floor (cat, or decompression
# alone) and peak RSS, on the 6.1 fixture as ELF, the makedumpfile -d 31
# copy and every format scripts/make-format-dumps.sh makes (when
# makedumpfile can be built), then the ELF dump's fuller end-to-end figures.
BENCH_REPS ?= 5
BENCH_FIXTURE = vmcore-fixtures/unpacked/lockdep
BENCH_FORMATS = build/formats/lockdep
bench:
	@scripts/install-deps.sh libbenchmark-dev libkdumpfile-dev
	$(MAKE) all $(BUILD)/bench_scanner $(BUILD)/bench_read_floor
	$(MAKE) -j$(shell nproc) -C vmcore-fixtures unpack
	$(BUILD)/bench_scanner --benchmark_min_time=1
	scripts/make-format-dumps.sh >/dev/null || echo "bench: no format copies (see above); ELF and d31 only"
	F=$(BENCH_FORMATS); formats=""; \
	for c in zlib lzo snappy zstd plain flat; do [ -f $$F/$$c.kdump ] && formats="$$formats $$c=$$F/$$c.kdump"; done; \
	[ -f $$F/split.kdump.2 ] && formats="$$formats split=$$F/split.kdump.1+$$F/split.kdump.2"; \
	$(PYTHON) tests/bench/bench_formats.py $(BENCH_FIXTURE)/vmlinux $(BENCH_FIXTURE)/expected.json \
	    $(CURDIR)/extension/lockalias.so $(BUILD)/bench_read_floor $(BENCH_REPS) \
	    elf=$(BENCH_FIXTURE)/vmcore d31-zlib=$(BENCH_FIXTURE)/vmcore-d31.kdump $$formats
	$(PYTHON) tests/bench/bench_end_to_end.py $(BENCH_FIXTURE)/vmlinux $(BENCH_FIXTURE)/vmcore \
	    $(BENCH_FIXTURE)/expected.json $(CURDIR)/extension/lockalias.so $(BENCH_REPS)
	$(PYTHON) tests/bench/bench_engines.py $(CURDIR)/extension/lockalias.so - 3 \
	    d31=$(BENCH_FIXTURE)/vmlinux:$(BENCH_FIXTURE)/vmcore-d31.kdump elf=$(BENCH_FIXTURE)/vmlinux:$(BENCH_FIXTURE)/vmcore

# The same end-to-end table on a 4 GiB guest with 1M slab locks, full ELF
# and makedumpfile -d 31 (generated locally by vmcore-fixtures, never
# committed; needs the fixture build tree: FIXTURE_BUILD=...).
FIXTURE_BUILD ?= $(CURDIR)/vmcore-fixtures/build
bench-large: all
	$(MAKE) -C vmcore-fixtures BUILD=$(FIXTURE_BUILD) large
	$(PYTHON) vmcore-fixtures/scripts/parse_gt.py $(FIXTURE_BUILD)/large/capture/console.log \
	    --variant large > $(FIXTURE_BUILD)/large/expected.json
	for dump in capture/vmcore.elf vmcore-d31.kdump; do \
	    $(PYTHON) tests/bench/bench_end_to_end.py $(FIXTURE_BUILD)/lockdep/vmlinux \
	        $(FIXTURE_BUILD)/large/$$dump $(FIXTURE_BUILD)/large/expected.json \
	        $(CURDIR)/extension/lockalias.so 3 || exit 1; \
	done

# Time and peak RSS against the guest's memory (SCALING_SIZES, default 256M
# 1G 4G 16G; SCALING_REPS, default 3): one capture per size with half its
# memory in kept pages, its zlib, lzo and zstd -d 31 copies, one table with a
# linear fit per format (scripts/bench-scaling.sh; the dumps are generated
# in ~/.cache/lockalias/scaling, never committed; FIXTURE_BUILD=... as above).
.PHONY: bench-scaling
bench-scaling:
	$(if $(filter command line,$(origin FIXTURE_BUILD)),FIXTURE_BUILD=$(FIXTURE_BUILD) )scripts/bench-scaling.sh

# libFuzzer harnesses (clang), FUZZ_SECONDS per harness; new inputs go to
# build/fuzz-corpus/, the committed seeds stay in tests/fuzz/corpus/.
FUZZ_SECONDS ?= 600
FUZZERS = $(BUILD)/fuzz_scan $(BUILD)/fuzz_log $(BUILD)/fuzz_kdump $(BUILD)/fuzz_classes
$(BUILD)/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(call core_lib,fuzz)
	clang++ -fsanitize=fuzzer,address,undefined -o $@ $^ -lelf $(PAGE_LIBS)

fuzz:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	$(MAKE) $(FUZZERS)
	for h in scan log kdump classes; do \
	    mkdir -p $(BUILD)/fuzz-corpus/$$h && \
	    $(BUILD)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -artifact_prefix=$(BUILD)/fuzz-$$h- $(BUILD)/fuzz-corpus/$$h tests/fuzz/corpus/$$h || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(SO) $(PY_MODULE)

# Every dump format makedumpfile writes (not part of `make test`): the 6.1
# lockdep fixture copied in each format into build/formats/ by Debian 13's
# packaged makedumpfile in its root (scripts/make-format-dumps.sh, reused when
# up to date; the snappy copy is committed, as no Debian package writes one),
# and tests/integration/test_formats.py on those copies with crash, with
# Debian 12's drgn and with each root's drgn (0.0.31 and 0.3.0, whose
# libkdumpfile reads the flattened copy too). Then QEMU's own dumps (ELF and kdump-zlib, as `virsh dump
# --memory-only` writes them) of the live 6.12 kernel
# (scripts/make-qemu-dumps.sh, about 30 s, reused while up to date) and
# tests/integration/test_qemu_dumps.py on them with unstable's crash 9.0.2
# in its root (Debian 12's 8.0.2 does not open 6.12), with test_formats.py
# again for that crash.
QEMU_DUMPS_SUITE = sid
.PHONY: formats
formats: all fixtures
	scripts/make-format-dumps.sh >/dev/null
	$(PYTEST) tests/integration/test_formats.py \
	    tests/integration/test_drgn.py::test_check_auto_falls_back_to_crash_where_drgn_cannot_read
	LOCKALIAS_ENGINE=drgn $(PYTEST) tests/integration/test_formats.py
	for suite in $(ROOT_SUITES); do $(MAKE) -s root-build-$$suite && \
	    scripts/in-root.sh $$suite env LOCKALIAS_ENGINE=drgn $(PYTEST) -p no:cacheprovider \
	        tests/integration/test_formats.py || exit 1; done
	scripts/make-qemu-dumps.sh >/dev/null
	$(MAKE) -s root-build-$(QEMU_DUMPS_SUITE)
	scripts/in-root.sh $(QEMU_DUMPS_SUITE) env LOCKALIAS_SO=$(CURDIR)/build/roots/$(QEMU_DUMPS_SUITE)/lockalias.so \
	    $(PYTEST) -p no:cacheprovider tests/integration/test_qemu_dumps.py tests/integration/test_formats.py
