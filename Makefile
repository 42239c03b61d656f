# The two quick-start targets: `make run` starts the server, `make test` runs the tests.
# Both install missing system packages first (scripts/install-deps.sh).
SWIFT ?= swift
CONFIG ?= release

.PHONY: run test bench deps build lint format

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

# The server on its embedded defaults: 127.0.0.1:8080, SQLite under ./data.
run: deps
	$(SWIFT) build -c $(CONFIG) --product nnserve
	.build/$(CONFIG)/nnserve

# Tests run on the release build: the training tests (A1, A2) would take minutes unoptimised.
# Four test processes at a time: the slowest tests mostly wait on the server and worker
# processes they start (SIGKILL, restart, resume), so four share two cores well (about 15 s
# after the build, against 30 s one after another). TEST_WORKERS=1 runs them in one process.
TEST_WORKERS ?= 4
test: deps
	$(SWIFT) build -c $(CONFIG) --build-tests
	$(SWIFT) test -c $(CONFIG) --skip-build --parallel --num-workers $(TEST_WORKERS)

bench: deps
	$(SWIFT) run -c release nn-bench $(ARGS)

# swift-format ships with the Swift toolchain; .swift-format holds the settings (120 columns).
# `make lint` fails on any file that `make format` would change.
SWIFT_FORMAT ?= swift-format
FORMATTED = Sources Tests Fuzz Package.swift

lint:
	$(SWIFT_FORMAT) lint --recursive --parallel --strict $(FORMATTED)

format:
	$(SWIFT_FORMAT) format --in-place --recursive --parallel $(FORMATTED)
