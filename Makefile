# The README's two commands are `make run` and `make test`; everything else is for developers.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: run test deps configure build bench format clean traces golden sanitize fuzz

# The setup script checks every package (a fraction of a second) and installs only what is missing.
deps:
	@tools/setup-deps.sh

# A configure that failed (a package missing) leaves a cache but no build files: the check is on those.
configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ] && [ ! -f $(BUILD_DIR)/Makefile ]; then cmake --preset $(PRESET) >/dev/null; fi

# Quiet: no directory chatter, no per-target lines; compile lines appear only when something builds.
build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) -- --no-print-directory

run: build
	@$(BUILD_DIR)/sim/prunesim run

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	@tools/bench.sh $(BUILD_DIR)

# Every test under clang's ASan+UBSan, the fuzz harnesses' smoke runs among them (CI runs this too).
sanitize:
	@tools/setup-deps.sh --clang
	@$(MAKE) --no-print-directory PRESET=asan test

# Each libFuzzer harness for FUZZ_SECONDS on its growing corpus (build/asan/tests/fuzz/corpus).
FUZZ_SECONDS ?= 60
fuzz:
	@tools/setup-deps.sh --clang
	@$(MAKE) --no-print-directory PRESET=asan build
	@tools/fuzz.sh build/asan $(FUZZ_SECONDS)


format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf build

traces: build
	@tools/regen-traces.sh $(BUILD_DIR)

golden: build
	@tools/regen-golden.sh $(BUILD_DIR)
