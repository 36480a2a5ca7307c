# The two commands of the README:
#   make demo   install, index the sample catalog, serve the API and web UI
#   make test   install, then lint, type-check and run the test suite
PYTHON ?= python3
VENV ?= .venv
CATALOG ?= ../shared/catalog
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
# Two checkouts' `make test` on one new machine install the same Debian packages at once: wait for
# the other's apt-get (ours by flock, any other by dpkg's lock timeout) instead of failing.
APT := flock /tmp/vitrine-apt.lock apt-get -o DPkg::Lock::Timeout=600
STAMP := $(VENV)/.installed

.PHONY: install demo index test lint typecheck redis redis-bin compose browser bench clean

# TORCH_INDEX_URL: where torch comes from. PyTorch's CPU wheel index (the default where it can be
# reached) is a few hundred MB instead of the multi-GB CUDA build; set it empty to take torch from
# PyPI like everything else.
TORCH_INDEX_URL ?= https://download.pytorch.org/whl/cpu
# The versions pinned in pyproject.toml (a test keeps them in step).
TORCH_VERSION := 2.14.1
TORCHVISION_VERSION := 0.29.1

$(STAMP): pyproject.toml
	@echo "vitrine: installing into $(VENV) (first time: a few minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@if [ -n "$(TORCH_INDEX_URL)" ] && ! $(BIN)/python -c "import torch" 2>/dev/null; then \
		echo "vitrine: installing the CPU build of torch from $(TORCH_INDEX_URL)"; \
		$(BIN)/python -m pip install --quiet --timeout 10 --retries 1 torch==$(TORCH_VERSION) \
			torchvision==$(TORCHVISION_VERSION) --index-url $(TORCH_INDEX_URL) \
			|| echo "vitrine: $(TORCH_INDEX_URL) cannot be reached; torch comes from PyPI instead"; \
	fi
	@echo "vitrine: installing the project and its dependencies"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)
	@echo "vitrine: installed; run commands with $(BIN)/vitrine, or '. $(BIN)/activate' first"

# The browser tests drive Debian's Chromium through Playwright (never Playwright's own download).
browser:
	@command -v chromium >/dev/null || ($(APT) update -qq && $(APT) install -y -qq chromium >/dev/null)

install: $(STAMP)

# The tests start their own redis-server (tests/conftest.py): it only has to be installed.
redis-bin:
	@command -v redis-server >/dev/null || ($(APT) update -qq && $(APT) install -y -qq redis-server >/dev/null)

# Redis backs the queue, rate limits and caches; start one when none answers.
redis:
	@if $(BIN)/python -c "import redis,sys; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; then \
		echo "redis: answering on 127.0.0.1:6379"; \
	else \
		command -v redis-server >/dev/null || ($(APT) update -qq && $(APT) install -y -qq redis-server); \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
		sleep 1; echo "redis: started"; \
	fi

# `docker compose config` validates docker-compose.yml in the tests; no Docker engine is needed.
compose:
	@command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || \
		($(APT) update -qq && $(APT) install -y -qq docker-compose >/dev/null)

index: install
	@echo "vitrine: indexing $(CATALOG) into data/ (re-running changes nothing)"
	$(BIN)/vitrine index --catalog $(CATALOG)

demo: install redis index
	@echo "vitrine: one example search"
	$(BIN)/vitrine search "black leather watch" -k 5
	@echo "vitrine: serving the API and web UI at http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/vitrine serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .

# The packages and the modules they check are configured in pyproject.toml ([tool.mypy]).
typecheck: install
	$(BIN)/mypy

test: install redis-bin compose browser lint typecheck
	$(BIN)/python -m pytest -q

# Every figure in docs/performance.md and docs/reliability.md, rewritten under docs/results/ (15-30 minutes on 2 cores).
RESULTS := docs/results
bench: install redis
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	mkdir -p $(RESULTS)
	$(BIN)/python -m benchmarks.quality --catalog $(CATALOG) --split val --json $(RESULTS)/quality.json
	$(BIN)/python -m benchmarks.relevance --catalog $(CATALOG) --split val --markdown --json $(RESULTS)/relevance.json
	$(BIN)/python -m benchmarks.search_latency --catalog $(CATALOG) --data-dir data/bench --json $(RESULTS)/search_latency.json
	$(BIN)/python -m benchmarks.encode_batching --catalog $(CATALOG) --contention 3 --json $(RESULTS)/encode_batching.json
	VITRINE_COLLECTION=latency $(BIN)/python -m benchmarks.api_load --catalog $(CATALOG) --data-dir data/bench --markdown --repeats 3 --json $(RESULTS)/api_load_workers.json
	VITRINE_COLLECTION=latency $(BIN)/python -m benchmarks.overload --catalog $(CATALOG) --data-dir data/bench --json $(RESULTS)/overload.json
	$(BIN)/python -m benchmarks.tagging --catalog $(CATALOG) --json $(RESULTS)/tagging.json
	$(BIN)/python -m benchmarks.ingest_load --catalog $(CATALOG) --json $(RESULTS)/ingest_load.json
	$(BIN)/python -m benchmarks.durability --json $(RESULTS)/durability.json
	$(BIN)/python -m benchmarks.hostile --json $(RESULTS)/hostile.json
	$(BIN)/python -m benchmarks.fuzz --seconds 60 --json $(RESULTS)/fuzz.json
	VITRINE_DATA_DIR=data/cli-bench $(BIN)/vitrine index --catalog $(CATALOG) --limit 1000
	$(BIN)/python -m benchmarks.cli_latency --data-dir data/cli-bench --json $(RESULTS)/cli_latency.json

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .hypothesis
