# InvoiceFlow: one command per chore. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
# `make api` / `make console` listen on loopback only; API_HOST=0.0.0.0 make api opens them up.
API_HOST ?= 127.0.0.1
API_PORT ?= 8000
CONSOLE_HOST ?= 127.0.0.1
CONSOLE_PORT ?= 8501

.DEFAULT_GOAL := help
.PHONY: help install run stop db-up migrate seed api console worker test test-unit test-integration \
        test-e2e test-security lint fmt typecheck pgtap bench bench-extraction bench-matching bench-stp bench-workflow bench-db bench-auth \
        bench-api bench-split bench-integration smoke-supabase audit docker-lint compose-check ocr-smoke docker-build docker-local rollout \
        notebooks clean

help: ## list the chores
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-demo.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -e .
	$(PY) -m core.extraction.ocr_int8
	@touch $(STAMP)

install: $(STAMP) ## create .venv, install pinned requirements and the project itself (editable: the invoiceflow command)

run: install ## start the embedded database, migrate, seed the demo workspace, serve console :8501, API :8000 and a worker
	$(VENV)/bin/invoiceflow db up --seed-demo
	$(VENV)/bin/invoiceflow serve

stop: install ## stop the embedded database
	$(PY) -m core db stop

db-up: install ## start (or reuse) the embedded database and apply migrations
	$(PY) -m core db up

migrate: install ## apply supabase/migrations to DATABASE_URL (or the embedded database)
	$(PY) -m core db migrate

seed: install ## seed the demo workspace and print its sign-in
	$(PY) -m core db seed-demo

api: install ## serve only the API on 127.0.0.1:8000 (API_HOST=0.0.0.0 to listen on every interface)
	$(PY) -m uvicorn api.main:app --factory --no-access-log --host $(API_HOST) --port $(API_PORT)

console: install ## serve only the console on 127.0.0.1:8501 (CONSOLE_HOST to change)
	$(VENV)/bin/streamlit run console/streamlit_app.py --server.address $(CONSOLE_HOST) --server.port $(CONSOLE_PORT) --server.headless true

worker: install ## run one job worker
	$(PY) -m core worker

lint: install ## ruff lint + format check, import contracts, mypy on core and api
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy core api

fmt: install ## format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install ## mypy on core and api
	$(VENV)/bin/mypy core api

test: install lint ## the whole suite: lint, types, unit, integration, e2e, notebooks (needs no account)
	$(PY) -m pytest -p no:cacheprovider tests --nbmake notebooks

test-unit: install ## only the pure unit tests
	$(PY) -m pytest tests/unit

test-integration: install ## only the tests against the real database and loopback fakes
	$(PY) -m pytest tests/integration

test-e2e: install ## only the API/console end-to-end tests
	$(PY) -m pytest tests/e2e

test-security: install ## the attack suite: every finding's regression test, the role x table x operation matrix (part of make test)
	$(PY) -m pytest -p no:cacheprovider -m security tests

pgtap: install ## run supabase/tests with pg_prove against PGTAP_DATABASE_URL (Debian postgresql-15 + pgtap)
	bash .ci/pgtap.sh

bench: bench-extraction bench-matching bench-workflow bench-db ## every benchmark; figures printed

bench-integration: install ## webhook delivery p99 and outage, mail ingestion across a worker kill (issue 17)
	$(PY) -m bench.integration_bench

bench-auth: install ## sign-up time for new vs registered addresses, session-check cost per token
	$(PY) -m bench.auth_bench

bench-db: install ## migration apply time (embedded PG 18, Debian PG 15) and embedded cold start
	$(PY) -m bench.db_bench

bench-extraction: install ## extraction accuracy and throughput figures
	$(PY) -m bench.extraction_bench
	$(PY) -m bench.openai_bench

bench-matching: install ## matching speed and accuracy figures
	$(PY) -m bench.matching_bench

STP_ARGS ?=
bench-stp: install ## straight-through rate, touches, wrong auto-approvals per 100 invoices (STP_ARGS="--invoices 300 --learning off")
	$(PY) -m bench.stp_bench $(STP_ARGS)

bench-workflow: install ## upload latency, list latency, end-to-end throughput
	$(PY) -m bench.workflow_bench

bench-split: install ## multi-invoice PDF split: boundary precision/recall on generated stacks
	$(PY) -m bench.split_bench

bench-api: install ## API load/fault figures on a private stack: sustained rate, 2x overload, DB restart (~8 min)
	$(PY) -m bench.api_load_bench

smoke-supabase: install ## live checks against a staging Supabase project (SUPABASE_TEST_*; skips cleanly without them)
	$(PY) docker/supabase_smoke.py

audit: install ## pip-audit the pinned requirements (needs the vulnerability service)
	bash .ci/audit.sh

docker-lint: install ## hadolint, Compose-schema validation, caddy validate, shellcheck, workflow + systemd checks
	bash .ci/docker_checks.sh

compose-check: install ## only the compose files: interpolate with .env.example, merge, validate against the Compose schema
	$(PY) .ci/compose_check.py

ocr-smoke: install ## prove the OCR models load and read text with the network blocked (also run in the image build)
	$(PY) docker/ocr_smoke.py

docker-build: ## build the image (needs a Docker engine): invoiceflow:local
	docker build -t invoiceflow:local --build-arg VERSION=$$(git describe --tags --always) --build-arg REVISION=$$(git rev-parse HEAD) .

docker-local: ## local trial stack without Supabase (Postgres 15 + Caddy on https://localhost; needs Docker and .env)
	docker compose -f docker-compose.yml -f docker-compose.local.yml up -d --build
	docker compose -f docker-compose.yml -f docker-compose.local.yml run --rm migrate seed-demo

rollout: ## on the server: zero-downtime rollout of SERVICE=api|console|worker to the image in the env file
	bash docker/rollout.sh $(SERVICE)

notebooks: install ## execute the notebooks top to bottom
	$(PY) -m pytest --nbmake notebooks

clean: ## remove caches (keeps .venv and .data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache artifacts
