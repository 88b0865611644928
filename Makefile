# The README's two commands are `make run` and `make test`; everything else is for developers.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
STAMP := $(BUILD_DIR)/.deps-ok

.PHONY: run test deps configure build bench golden format clean

# Runs the package check once per build tree; the setup script itself is idempotent.
$(STAMP): tools/setup-deps.sh
	@tools/setup-deps.sh
	@mkdir -p $(BUILD_DIR) && touch $@

deps: $(STAMP)

configure: deps
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then cmake --preset $(PRESET) >/dev/null; fi

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@$(BUILD_DIR)/sim/prunesim run

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	@tools/bench.sh $(BUILD_DIR)

golden: build
	@tools/regen-golden.sh $(BUILD_DIR)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf build
