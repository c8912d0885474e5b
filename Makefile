# Front door: `make run` starts a node, `make test` runs every test. Both set up the machine first.
PRESET ?= default
BIN := build/$(PRESET)/src/peerchat
NAME ?= $(USER)
JOIN ?=
LISTEN ?= 0.0.0.0:0
ARGS ?=

.PHONY: deps configure build run test clean

deps:
	@scripts/setup-deps

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET)

run: build
	@$(BIN) --name "$(NAME)" --listen "$(LISTEN)" $(if $(JOIN),--join "$(JOIN)") --run-hint make $(ARGS)

test: build
	@ctest --preset $(PRESET)

clean:
	rm -rf build
