# The two commands of the README:
#   make demo   install, index the sample catalog, serve the API and web UI
#   make test   install, then lint and run the test suite
PYTHON ?= python3
VENV ?= .venv
CATALOG ?= ../shared/catalog
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo index test lint redis compose bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Redis backs the queue, rate limits and caches; start one when none answers.
redis:
	@if $(BIN)/python -c "import redis,sys; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; then \
		echo "redis: answering on 127.0.0.1:6379"; \
	else \
		command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server); \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
		sleep 1; echo "redis: started"; \
	fi

# `docker compose config` validates docker-compose.yml in the tests; no Docker engine is needed.
compose:
	@command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null)

index: install
	$(BIN)/vitrine index --catalog $(CATALOG)

demo: install redis index
	$(BIN)/vitrine search "black leather watch" -k 5
	$(BIN)/vitrine serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .

test: install redis compose lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.search_latency --catalog $(CATALOG)

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .hypothesis
