# Tessera's front door. `make dev` runs the main job; `make test` runs every test.
SHELL := /bin/bash
TEST_PRESET ?= debug
DATA_DIR ?= ./.tessera-dev
LISTEN ?= 127.0.0.1:8080
JOBS ?= $(shell nproc)

.PHONY: dev demo test build bench fuzz asan bootstrap format clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	cmake --preset release >/dev/null
	cmake --build --preset release --target tessera

dev: build
	build/release/apps/tessera/tessera dev --data-dir $(DATA_DIR) --listen $(LISTEN) \
	  --peers tests/standins/dev_peers.py --examples examples/dev

demo: build
	scripts/demo --tessera build/release/apps/tessera/tessera

test: bootstrap
	cmake --preset $(TEST_PRESET) >/dev/null
	cmake --build --preset $(TEST_PRESET) -j $(JOBS)
	@if [ -f tests/fuzz/CMakeLists.txt ]; then \
	  cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j $(JOBS); fi
	ctest --preset $(TEST_PRESET) -j $(JOBS)

asan: bootstrap
	$(MAKE) test TEST_PRESET=asan

bench: bootstrap
	cmake --preset release >/dev/null
	cmake --build --preset release
	scripts/run-bench

fuzz: bootstrap
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	scripts/run-fuzz $${FUZZ_SECONDS:-600}

format:
	clang-format-14 -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
