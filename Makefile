# lockalias: `make` builds the crash extension, `make test` runs every test,
# `make demo` installs what is missing and runs the scan on the bundled dump.
CXX      ?= g++
CC       ?= gcc
CXXFLAGS ?= -O2 -g
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra
# The crash whose defs.h the glue is compiled against: Debian 12's package by
# default, or a build from scripts/build-crash.sh (make CRASH_INC=DIR).
CRASH_INC = /usr/include/crash
# Which crash those headers are: the "crash:" line of a scripts/build-crash.sh
# stamp, else the Debian package that owns defs.h; with defs.h's checksum.
CRASH_HEADERS := $(shell sed -n 's/^crash: //p' $(CRASH_INC)/stamp 2>/dev/null | grep . || \
    { pkg=$$(dpkg -S $(CRASH_INC)/defs.h 2>/dev/null | cut -d: -f1) && [ -n "$$pkg" ] && \
      dpkg-query -W -f='$${Version}' "$$pkg"; } 2>/dev/null || \
    echo unknown) (defs.h $(shell sha256sum $(CRASH_INC)/defs.h 2>/dev/null | cut -c1-12))
BUILD     = build
# Where the extension goes (the matrix builds one per crash elsewhere).
SO        = extension/lockalias.so
PYTHON    = /usr/bin/python3  # Debian's, where python3-pytest installs

CORE_SRC  = $(wildcard src/*.cpp)
CORE_OBJ  = $(CORE_SRC:src/%.cpp=$(BUILD)/src/%.o)
# The glue's objects depend on the crash headers: the matrix keeps one set per crash.
EXT_BUILD = $(BUILD)/ext
EXT_OBJ   = $(EXT_BUILD)/crash_api.o $(EXT_BUILD)/help_text.o $(EXT_BUILD)/crash_target.o
TEST_SRC  = $(wildcard tests/unit/*.cpp)

.PHONY: all test unit integration demo clean deps fuzz bench bench-large install matrix
all: $(SO)

$(SO): $(CORE_OBJ) $(EXT_OBJ)
	$(CXX) -shared -pthread -o $@ $^ -static-libstdc++ -static-libgcc -lelf \
	    -Wl,--exclude-libs,libdeflate.a -l:libdeflate.a

$(BUILD)/src/%.o: src/%.cpp $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(WARN) $(CXXFLAGS) -pthread -fPIC -c -o $@ $<

$(EXT_BUILD)/crash_api.o: extension/crash_api.c extension/crash_api.h extension/help_text.h $(CRASH_INC)/defs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DX86_64 -fPIC -I$(CRASH_INC) -c -o $@ $<

# (rebuilt when the headers change: the help text names them)
$(EXT_BUILD)/help_text.o: extension/help_text.c extension/help_text.h $(CRASH_INC)/defs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -DLA_CRASH_HEADERS='"crash $(CRASH_HEADERS)"' -c -o $@ $<

$(EXT_BUILD)/crash_target.o: extension/crash_target.cpp extension/crash_api.h $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(WARN) $(CXXFLAGS) -pthread -fPIC -c -o $@ $<

# Unit tests: the core on synthetic memory, plain and under ASan+UBSan.
$(BUILD)/unit_tests: $(CORE_SRC) $(TEST_SRC) $(wildcard src/*.h tests/unit/*.h)
	@mkdir -p $(BUILD)
	$(CXX) -std=c++17 $(WARN) -O1 -g -Isrc -o $@ $(CORE_SRC) $(TEST_SRC) -lgtest -lgtest_main -lelf -ldeflate -pthread

$(BUILD)/unit_tests_asan: $(CORE_SRC) $(TEST_SRC) $(wildcard src/*.h tests/unit/*.h)
	@mkdir -p $(BUILD)
	$(CXX) -std=c++17 $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -Isrc -o $@ $(CORE_SRC) $(TEST_SRC) -lgtest -lgtest_main -lelf -ldeflate -pthread

unit: $(BUILD)/unit_tests $(BUILD)/unit_tests_asan
	$(BUILD)/unit_tests
	$(BUILD)/unit_tests_asan

integration: all
	$(MAKE) -C vmcore-fixtures unpack
	$(PYTHON) -m pytest -q tests/integration

test: deps unit integration

# The kernel x crash matrix: crash 8.0.6 and 9.0.2 built from Debian's
# sources (cached outside the clone), lockalias built against each crash's
# headers, the focused suite on every fixture kernel with each crash, and
# the support table in build/matrix/support.md.
matrix: deps all
	$(MAKE) -C vmcore-fixtures unpack
	scripts/run-matrix.sh

# Installs the Debian packages the build, the tests and the demo need.
deps:
	@scripts/install-deps.sh

demo: deps all
	$(MAKE) -C vmcore-fixtures unpack
	scripts/demo.sh

# make install [DESTDIR=...] [PREFIX=/usr/local]: the extension where crash's
# `extend lockalias.so` finds it by name, the batch checker, the kdump
# post-mortem script and its systemd units.
PREFIX      ?= /usr/local
CRASH_EXTDIR = /usr/lib/crash/extensions
UNITDIR     ?= /lib/systemd/system
install: all
	install -D -m 755 extension/lockalias.so $(DESTDIR)$(CRASH_EXTDIR)/lockalias.so
	install -D -m 755 extension/lockalias-check $(DESTDIR)$(PREFIX)/bin/lockalias-check
	install -d $(DESTDIR)$(PREFIX)/lib/lockalias $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|' extension/lockalias-postmortem > $(DESTDIR)$(PREFIX)/lib/lockalias/lockalias-postmortem
	chmod 755 $(DESTDIR)$(PREFIX)/lib/lockalias/lockalias-postmortem
	sed 's|@LIBDIR@|$(PREFIX)/lib|' extension/systemd/lockalias-postmortem.service \
	    > $(DESTDIR)$(UNITDIR)/lockalias-postmortem.service
	install -m 644 extension/systemd/lockalias-postmortem.path $(DESTDIR)$(UNITDIR)/

# Benchmarks (not part of `make test`): end to end against crash's `search`
# on the lockdep fixture, and the scanner's hot loop in RAM.
BENCH_SRC = src/class_pointer_search.cpp src/parallel.cpp
$(BUILD)/bench_scanner: tests/bench/bench_scanner.cpp $(BENCH_SRC) src/class_pointer_search.h src/parallel.h
	@mkdir -p $(BUILD)
	$(CXX) -std=c++17 $(WARN) -O2 -g -Isrc -o $@ $< $(BENCH_SRC) -lbenchmark -pthread

bench:
	@scripts/install-deps.sh libbenchmark-dev
	$(MAKE) all $(BUILD)/bench_scanner
	$(MAKE) -C vmcore-fixtures unpack
	$(BUILD)/bench_scanner --benchmark_min_time=1
	for dump in vmcore vmcore-d31.kdump; do \
	    $(PYTHON) tests/bench/bench_end_to_end.py vmcore-fixtures/unpacked/lockdep/vmlinux \
	        vmcore-fixtures/unpacked/lockdep/$$dump vmcore-fixtures/unpacked/lockdep/expected.json \
	        $(CURDIR)/extension/lockalias.so 5 || exit 1; \
	done

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

# libFuzzer harnesses (clang), FUZZ_SECONDS per harness; new inputs go to
# build/fuzz-corpus/, the committed seeds stay in tests/fuzz/corpus/.
FUZZ_SECONDS ?= 600
FUZZERS = $(BUILD)/fuzz_scan $(BUILD)/fuzz_log $(BUILD)/fuzz_kdump $(BUILD)/fuzz_classes
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.cpp $(CORE_SRC) $(wildcard src/*.h)
	@mkdir -p $(BUILD)
	clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Isrc -o $@ $< $(CORE_SRC) -lelf -ldeflate
# (the class-record harness builds on the unit tests' synthetic kernel)
$(BUILD)/fuzz_classes: tests/unit/synthetic_kernel.h

fuzz:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	$(MAKE) $(FUZZERS)
	for h in scan log kdump classes; do \
	    mkdir -p $(BUILD)/fuzz-corpus/$$h && \
	    $(BUILD)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -artifact_prefix=$(BUILD)/fuzz-$$h- $(BUILD)/fuzz-corpus/$$h tests/fuzz/corpus/$$h || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(SO)
