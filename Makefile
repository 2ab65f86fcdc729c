# Coalition CRM — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs against real PostgreSQL and Redis; these default to the local servers.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/coalition
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test lint format bench clean-venv messages compilemessages

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py demo_staff_login
	@bash scripts/serve.sh $(HOST) $(PORT)

test: $(VENV)/.installed-dev
	DJANGO_ENV=test DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		EMAIL_URL= $(BIN)/python -m pytest --create-db $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Translation catalogs (locale/fr, locale/es). Extraction needs GNU gettext (apt-get install gettext);
# compiling does not (polib). Commit both the .po and the .mo files.
MESSAGE_LANGUAGES := fr es
messages: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemessages --no-obsolete --no-location $(foreach l,$(MESSAGE_LANGUAGES),-l $(l)) \
		--ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=staticfiles --ignore=scripts

compilemessages: $(VENV)/.installed-dev
	$(BIN)/python scripts/compilemessages.py

clean-venv:
	rm -rf $(VENV)
