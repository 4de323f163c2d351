# lockalias: `make` builds the crash extension, `make test` runs every test,
# `make demo` installs what is missing and runs the scan on the bundled dump.
CXX      ?= g++
CC       ?= gcc
CXXFLAGS ?= -O2 -g
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra
CRASH_INC = /usr/include/crash
BUILD     = build
PYTHON    = /usr/bin/python3  # Debian's, where python3-pytest installs

CORE_SRC  = $(wildcard src/*.cpp)
CORE_OBJ  = $(CORE_SRC:src/%.cpp=$(BUILD)/src/%.o)
EXT_OBJ   = $(BUILD)/ext/crash_api.o $(BUILD)/ext/help_text.o $(BUILD)/ext/crash_target.o
TEST_SRC  = $(wildcard tests/unit/*.cpp)

.PHONY: all test unit integration demo clean deps fuzz
all: extension/lockalias.so

extension/lockalias.so: $(CORE_OBJ) $(EXT_OBJ)
	$(CXX) -shared -o $@ $^ -static-libstdc++ -static-libgcc

$(BUILD)/src/%.o: src/%.cpp $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(WARN) $(CXXFLAGS) -fPIC -c -o $@ $<

$(BUILD)/ext/crash_api.o: extension/crash_api.c extension/crash_api.h extension/help_text.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DX86_64 -fPIC -I$(CRASH_INC) -c -o $@ $<

$(BUILD)/ext/help_text.o: extension/help_text.c extension/help_text.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -c -o $@ $<

$(BUILD)/ext/crash_target.o: extension/crash_target.cpp extension/crash_api.h $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(WARN) $(CXXFLAGS) -fPIC -c -o $@ $<

# Unit tests: the core on synthetic memory, plain and under ASan+UBSan.
$(BUILD)/unit_tests: $(CORE_SRC) $(TEST_SRC) $(wildcard src/*.h tests/unit/*.h)
	@mkdir -p $(BUILD)
	$(CXX) -std=c++17 $(WARN) -O1 -g -Isrc -o $@ $(CORE_SRC) $(TEST_SRC) -lgtest -lgtest_main -pthread

$(BUILD)/unit_tests_asan: $(CORE_SRC) $(TEST_SRC) $(wildcard src/*.h tests/unit/*.h)
	@mkdir -p $(BUILD)
	$(CXX) -std=c++17 $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -Isrc -o $@ $(CORE_SRC) $(TEST_SRC) -lgtest -lgtest_main -pthread

unit: $(BUILD)/unit_tests $(BUILD)/unit_tests_asan
	$(BUILD)/unit_tests
	$(BUILD)/unit_tests_asan

integration: all
	$(MAKE) -C vmcore-fixtures unpack
	$(PYTHON) -m pytest -q tests/integration

test: deps unit integration

# Installs the Debian packages the build, the tests and the demo need.
deps:
	@scripts/install-deps.sh

demo: deps all
	$(MAKE) -C vmcore-fixtures unpack
	scripts/demo.sh

# libFuzzer harnesses (clang), FUZZ_SECONDS per harness; new inputs go to
# build/fuzz-corpus/, the committed seeds stay in tests/fuzz/corpus/.
FUZZ_SECONDS ?= 600
FUZZERS = $(BUILD)/fuzz_scan $(BUILD)/fuzz_log
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.cpp $(CORE_SRC) $(wildcard src/*.h)
	@mkdir -p $(BUILD)
	clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Isrc -o $@ $< $(CORE_SRC)

fuzz:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	$(MAKE) $(FUZZERS)
	for h in scan log; do \
	    mkdir -p $(BUILD)/fuzz-corpus/$$h && \
	    $(BUILD)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -artifact_prefix=$(BUILD)/fuzz-$$h- $(BUILD)/fuzz-corpus/$$h tests/fuzz/corpus/$$h || exit 1; \
	done

clean:
	rm -rf $(BUILD) extension/lockalias.so
