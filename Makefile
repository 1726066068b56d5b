# Nurture — the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint pytest test-postgres system-packages catalogs bytecode messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## catalogs: compile the translation catalogs (.po -> .mo) with Babel; nothing when up to date
catalogs: $(STAMP)
	$(BIN)/nurture translations compile

## bytecode: compile Nurture's modules ahead of time, as pip does for a packaged install; an
## editable install is otherwise recompiled on every command where PYTHONDONTWRITEBYTECODE is set
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q src/nurture

## messages: gather the interface's texts into the Spanish catalog (needs GNU gettext's xgettext)
messages: $(STAMP)
	cd src/nurture && ../../$(BIN)/django-admin makemessages --settings=nurture.settings -l es \
	  --no-wrap --no-obsolete --add-location=file -i 'instruments/library/*'

## run: set everything up (venv, database, demo study) and serve on http://127.0.0.1:8000
run: catalogs bytecode
	$(BIN)/nurture init
	-$(BIN)/nurture export --study nurturing-connections-demo --bundle var/demo-bundle.zip --zip --deidentified --free-text
	-$(BIN)/nurture analyze var/demo-bundle.zip -o var/demo-report --format json,html,pdf,xlsx
	@echo "Demo evaluation report: var/demo-report/report.html (and report.pdf, tables.xlsx, results.json)"
	$(BIN)/nurture serve --host 127.0.0.1 --port 8000

## test: lint and the whole test suite (SQLite unless NURTURE_DATABASE_URL is set)
test: system-packages lint pytest

## system-packages: Debian packages the tests need (chromium, postgresql, Pango); nothing when present
system-packages:
	bash .ci/install-system-packages

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

pytest: catalogs bytecode
	$(BIN)/pytest

## test-postgres: the suite against a throwaway PostgreSQL cluster (what CI does second)
test-postgres: system-packages catalogs bytecode
	bash .ci/with-postgres $(BIN)/pytest

clean:
	rm -rf $(VENV) var .pytest_cache
