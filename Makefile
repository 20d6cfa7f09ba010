# BenchSight Edge & Cloud — developer and CI entry points.
# `make test` is what .ci/run runs: it installs what is missing, starts the private services and
# runs every check. Cargo honours CARGO_TARGET_DIR when it is set in the environment.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# The steps of `test` must run in order; cargo parallelises on its own.
.NOTPARALLEL:

CARGO ?= cargo
SERVICES_ENV := .work/services.env
ORT_ENV := .cache/onnxruntime/env

.PHONY: help bootstrap services services-down services-status clean-work fmt fmt-check \
	clippy purity lint-systemd lint-yocto api-fuzz test demo bench-sim model eval-events eval-events-video eval-tracking bench-perception reference-venv bench-uplink bench-ingest bench-api

help: ## list the targets
	@echo 'usage: make TARGET'
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  \1\t/' | expand -t 18

bootstrap: ## install missing apt packages and the ONNX Runtime library (.cache/)
	scripts/bootstrap

services: ## start the private PostgreSQL and Mosquitto (.work/)
	scripts/services up

services-down: ## stop the private services
	scripts/services down

services-status: ## show whether the private services run
	scripts/services status

clean-work: ## stop the private services and delete their data (.work/)
	scripts/services clean

fmt: ## format the code
	$(CARGO) fmt --all

fmt-check: ## check the formatting
	$(CARGO) fmt --all -- --check

clippy: ## lint, warnings are errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings

purity: ## check that benchsight-core depends on no I/O crate
	scripts/check-core-purity

lint-systemd: ## systemd-analyze verify (staged root with the built binaries) and security exposure ≤ 2.0
	$(CARGO) build --workspace --bins --quiet
	scripts/check-systemd

lint-yocto: ## oelint-adv over the Yocto layer (no warning or error) and its crate list vs Cargo.lock, self-tested
	scripts/check-yocto --self-test
	scripts/check-yocto

# The tests read the services' settings (BENCHSIGHT_TEST_*) and ORT_DYLIB_PATH from the environment;
# the end-to-end test runs the release binaries.
test: bootstrap services fmt-check clippy purity lint-systemd lint-yocto ## everything CI runs
	$(CARGO) build --release --workspace --bins --quiet
	set -a; source $(SERVICES_ENV); set +a; \
	export ORT_DYLIB_PATH="$$(sed -n 's/^ORT_DYLIB_PATH=//p' $(ORT_ENV))"; \
	$(CARGO) test --workspace

api-fuzz: bootstrap services ## schemathesis over /openapi.json with an admin key: no 5xx, every answer as documented
	$(CARGO) build --workspace --bins --quiet
	scripts/api-fuzz

model: ## train, export and evaluate the detector into models/ (Python + torch; never needed by test)
	models/train/make_model.sh

# Evaluation and benchmark tools read the simulator's truth; they live in benchsight-eval, outside
# the appliance. Release builds: the figures must be those of optimised code.
EVAL := $${CARGO_TARGET_DIR:-target}/release/benchsight-eval
EVAL_ENV = export ORT_DYLIB_PATH="$$(sed -n 's/^ORT_DYLIB_PATH=//p' $(ORT_ENV))"
MODEL ?= models/bs-det-2

eval-events: ## game-event engine on corrupted held-out simulator games: P/R/F1 per event kind
	$(CARGO) build --release --workspace --quiet
	$(EVAL) events --seeds 9201..9210

eval-events-video: bootstrap ## the engine on full video (mode b): three held-out 6-min games through perception
	$(CARGO) build --release --workspace --quiet
	$(EVAL_ENV); $(EVAL) events-video --model $(MODEL) --seeds 9301..9303 --seconds 360

eval-tracking: bootstrap ## perception on three held-out 60-s games: MOTA, IDF1, puck ≤ 2 ft, teams
	$(CARGO) build --release --workspace --quiet
	$(EVAL_ENV); $(EVAL) tracking --model $(MODEL) --seeds 9101..9103 --seconds 60

reference-venv: ## the Python reference pipeline's environment (.venv-ref, pinned)
	[[ -x .venv-ref/bin/python ]] || python3 -m venv .venv-ref
	.venv-ref/bin/pip install -q -r scripts/reference/requirements.txt

bench-perception: bootstrap reference-venv ## our pipeline vs the network alone vs the Python reference
	$(CARGO) build --release --workspace --quiet
	$(EVAL_ENV); $(EVAL) bench --model $(MODEL) --seeds 9101 --seconds 20 --threads 2

bench-uplink: services ## the uplink draining a day's backlog (50 k records) through the private broker
	$(CARGO) build --release --workspace --quiet
	set -a; source $(SERVICES_ENV); set +a; $(EVAL) drain --records 50000

bench-ingest: services ## the cloud's ingest (20 k events via the broker) next to a raw UNNEST insert; ETL speed
	$(CARGO) build --release --workspace --quiet
	set -a; source $(SERVICES_ENV); set +a; $(EVAL) ingest-bench --events 20000

bench-api: bootstrap services ## box-score route under oha at 500 req/s (release): p99 and rate next to /healthz
	$(CARGO) build --release --workspace --bins --quiet
	scripts/bench-api

bench-sim: ## simulator render speed at 1280×720 next to the bare encoder (goal ≥ 2× real time)
	scripts/bench-sim

demo: bootstrap services ## a simulated game captured by the appliance, live in the dashboard (Ctrl-C stops)
	$(CARGO) build --release --workspace --bins --quiet
	scripts/demo
