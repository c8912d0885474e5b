# Front door: `make run` starts a node (a closed room with a random secret kept in its data
# directory, or JOIN=INVITE to join one), `make test` runs every test, `make bench` measures
# (bench/README.md; BENCH="suite readme --repeat 3" for the full table). All set up the machine first.
PRESET ?= default
BIN := build/$(PRESET)/src/peerchat
NAME ?= $(USER)
JOIN ?=
LISTEN ?= 0.0.0.0:0
ARGS ?=
BENCH ?= suite quick
PYTHON ?= python3

.PHONY: deps configure build run test bench clean

deps:
	@scripts/setup-deps

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET)

run: build
	@$(BIN) --name "$(NAME)" --listen "$(LISTEN)" $(if $(JOIN),--join "$(JOIN)") --closed --run-hint make $(ARGS)

test: build
	@ctest --preset $(PRESET)

bench: build
	@PEERCHAT_BIN=$(BIN) $(PYTHON) bench/peerchat_bench.py $(BENCH)

clean:
	rm -rf build
