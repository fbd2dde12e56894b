# Entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
RASA        := $(VENV)/bin/rasa
PYTHON_BASE ?= $(shell command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null || command -v python3)

export ACTION_SERVER_URL ?= http://127.0.0.1:5055/webhook
# The secret Rasa sends to the action server (endpoints.yml, actions/server.py). Production
# sets its own; for development one is made up once and kept in results/ (mode 600) so that
# `make actions` and `make server` started apart agree.
ifndef ACTION_SERVER_TOKEN
DEV_TOKEN_FILE := results/.action_server_token
export ACTION_SERVER_TOKEN := $(shell mkdir -p results && { test -s $(DEV_TOKEN_FILE) || (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > $(DEV_TOKEN_FILE)); } && cat $(DEV_TOKEN_FILE))
endif
export ACTION_PORT       ?= 5055
export RASA_PORT         ?= 5005
export SANIC_HOST        ?= 127.0.0.1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3

RUFF        := $(VENV)/bin/ruff

# The domain: one domain.yml, or a domain/ directory of yml files (Rasa loads either).
DOMAIN       := $(if $(wildcard domain/),domain,domain.yml)
DOMAIN_FILES := $(wildcard domain.yml domain/*.yml domain/*/*.yml)
# What the model depends on: retrain only when one of these changes.  The Python is what
# the Rasa server loads (the classifier, the policy and NLG, and the pure rules they use);
# akyikatchy/telegram/ and core/appeal.py, core/validation/ never change a prediction.
MODEL_PYTHON    := $(wildcard akyikatchy/*.py) $(filter-out core/appeal.py,$(wildcard core/*.py))
TRAINING_INPUTS := config.yml $(DOMAIN_FILES) $(wildcard data/*.yml) $(MODEL_PYTHON)
MODEL_STAMP     := models/.trained

.PHONY: purge-conversations bench-replicas
.PHONY: help install train run actions server telegram telegram-webhook lint test validate rasa-test eval eval-baseline bench bench-baseline bench-smoke clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<24.1"
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed ## Build the virtual environment from the pinned requirements

$(MODEL_STAMP): $(VENV)/.installed $(TRAINING_INPUTS)
	$(RASA) train --domain $(DOMAIN) --fixed-model-name akyikatchy --out models
	touch $@

train: $(MODEL_STAMP) ## Train the model if data, domain, config or the code the model loads changed

run: train ## Talk to the assistant in the terminal (starts the action server too)
	@$(PY) -m scripts.run_shell

actions: install ## Run the action server (127.0.0.1:$(ACTION_PORT), or ACTION_HOST; only Rasa's calls with ACTION_SERVER_TOKEN)
	$(PY) -m actions --port $(ACTION_PORT)

# PROFILE=production: the same as `make server-production` (Telegram webhook only, stores from
# the environment, API only with RASA_AUTH_TOKEN). The default development profile keeps the
# REST channel and an open API on 127.0.0.1 for the shell, the tests and the benchmark.
PROFILE ?= development
server: train ## Run Rasa: development (REST + Telegram, 127.0.0.1:$(RASA_PORT)) or PROFILE=production (Telegram webhook only)
ifeq ($(PROFILE),production)
	$(MAKE) server-production
else
	$(RASA) run --enable-api -i 127.0.0.1 -p $(RASA_PORT) --model models/akyikatchy.tar.gz --credentials credentials.yml --endpoints endpoints.yml
endif

DAYS ?=
purge-conversations: install ## Delete conversations idle longer than DAYS (default CONVERSATION_RETENTION_DAYS, 90) from PostgreSQL
	$(PY) -m akyikatchy.service.purge $(if $(DAYS),--days $(DAYS))

telegram: train ## Run on Telegram by long polling (needs TELEGRAM_BOT_TOKEN)
	$(PY) -m akyikatchy.telegram.polling_cli

telegram-webhook: install ## Register the Telegram webhook (TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_URL, TELEGRAM_SECRET_TOKEN)
	$(PY) -m akyikatchy.telegram.webhook_cli

validate: install ## Check training data and domain (rasa data validate --fail-on-warnings)
	$(RASA) data validate --domain $(DOMAIN) --fail-on-warnings

rasa-test: train ## Conversation tests (tests/test_stories.yml)
	$(RASA) test core --e2e --stories tests/test_stories.yml --model models/akyikatchy.tar.gz --fail-on-prediction-errors --out results/core

lint: install ## ruff: lint and format check (settings in pyproject.toml)
	$(RUFF) check .
	$(RUFF) format --check .

test: lint train browser-deps ## Run every test: lint, conversation tests, benchmark smoke run, pytest
	$(MAKE) rasa-test
	$(MAKE) bench-smoke
	$(PY) -m pytest -q

eval: install ## NLU accuracy per language on a held-out split (ARGS: --seed N, --unseen-ky/--unseen-ru FILE)
	$(PY) -m scripts.evaluate $(ARGS)

eval-baseline: install ## The same evaluation for Rasa's default pipeline (bench/default_config.yml)
	$(PY) -m scripts.evaluate --config bench/default_config.yml --json results/eval_default.json

bench: train ## Throughput and latency over REST at 1, 10, 50 conversations (add ARGS=--baseline)
	$(PY) -m scripts.bench $(ARGS)

bench-baseline: train ## The benchmark plus Rasa's default pipeline, with ratios (long: trains both)
	$(PY) -m scripts.bench --baseline

bench-smoke: train ## A very short benchmark run: checks that it runs, never a timing
	$(PY) -m scripts.bench --smoke

clean: ## Remove models and results
	rm -rf models results .pytest_cache

# --- Production (deploy/; see README "Production") ---------------------------------------------
.PHONY: deploy-check server-production

deploy-check: ## Validate deploy/docker-compose.yml (installs Docker Compose if missing; no daemon needed)
	deploy/compose.sh -f deploy/docker-compose.yml --env-file deploy/.env.example config -q
	@echo "deploy/docker-compose.yml: valid"

server-production: train ## Rasa in production mode: Telegram only, stores from env (deploy/.env.example), API only with RASA_AUTH_TOKEN, bound to RASA_HOST (default 127.0.0.1)
	RASA_BIN=$(RASA) RASA_API=$${RASA_API:-on} RASA_HOST=$${RASA_HOST:-127.0.0.1} deploy/rasa-entrypoint.sh

# -- staff console and notifier (issue 11) -------------------------------------------------
CONSOLE_BIND ?= 127.0.0.1:8000
.PHONY: console console-dev notifier bench-console browser-deps test-console

console: install ## Staff web console under gunicorn on $(CONSOLE_BIND) (needs CONSOLE_SECRET_KEY)
	$(VENV)/bin/gunicorn --bind $(CONSOLE_BIND) --workers 2 --threads 4 --access-logfile - 'console.wsgi:app'

console-dev: install ## Staff console with Flask's development server (127.0.0.1:8000)
	$(PY) -m flask --app 'console.app:create_app' run --host 127.0.0.1 --port 8000

notifier: install ## Outbox sender: status news to citizens on Telegram (needs TELEGRAM_BOT_TOKEN)
	$(PY) -m notifier

browser-deps: ## Debian chromium for the console's browser test (apt; run as root)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test-console: install browser-deps ## Console, outbox and browser tests (SQLite and PostgreSQL)
	$(PY) -m pytest -q tests/test_console.py tests/test_console_serving.py tests/test_outbox.py tests/test_console_browser.py

bench-console: install ## Seed 100,000 appeals in PostgreSQL and time list, filter, search
	$(PY) -m scripts.bench_console
