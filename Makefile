# The two README commands (demo, test) plus bench. Each one installs missing dependencies first.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
STRATA := build/release/tools/strata

.PHONY: all bootstrap build demo test bench install test-sanitize fuzz format clean

all: build

bootstrap:
	@tools/bootstrap

build: bootstrap
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

demo: build
	$(STRATA) --version
	$(STRATA) run scenarios/examples/llama3-70b-h100x64.json -o out
	@echo "open out/report.html; timelines out/trace-*.json (ui.perfetto.dev)"

test: build
	ctest --preset release -j $(JOBS)

bench: build
	tools/bench/run_all build/release

# PREFIX/bin/strata with its profiles, presets, validation cases and examples in PREFIX/share/strata.
PREFIX ?= /usr/local
install: build
	cmake --install build/release --prefix $(PREFIX)

test-sanitize: bootstrap
	cmake --preset sanitize
	cmake --build --preset sanitize -j $(JOBS)
	ctest --preset sanitize -j $(JOBS)

# Every reader under libFuzzer (tests/fuzz/README.md) for FUZZ_SECONDS each, then executions per harness.
FUZZ_SECONDS ?= 60
fuzz: bootstrap
	cmake --preset fuzz -DSTRATA_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build --preset fuzz -j $(JOBS)
	ctest --preset fuzz -j $(JOBS) > build/fuzz/fuzz.log 2>&1 || { tools/fuzz/summarize build/fuzz/fuzz.log; exit 1; }
	tools/fuzz/summarize build/fuzz/fuzz.log

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build out
