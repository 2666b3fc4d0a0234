# The two README commands (demo, test) plus bench. Each one installs missing dependencies first.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
STRATA := build/release/tools/strata

.PHONY: all bootstrap build demo test bench test-sanitize format clean

all: build

bootstrap:
	@tools/bootstrap

build: bootstrap
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

demo: build
	$(STRATA) --version
	$(STRATA) demo --out out
	$(STRATA) collective --system dgx-h100 --nodes 2 --op all-reduce -b 1M -e 1G -f 32 --fidelity flow

test: build
	ctest --preset release -j $(JOBS)

bench: build
	tools/bench/run_all build/release

test-sanitize: bootstrap
	cmake --preset sanitize
	cmake --build --preset sanitize -j $(JOBS)
	ctest --preset sanitize -j $(JOBS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build out
