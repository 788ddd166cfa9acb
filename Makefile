# Two commands: `make book` builds the whole book (full profile), `make test` runs the tests.
# Both set everything up first (scripts/setup.sh is idempotent; `make book` skips Chromium).
VENV ?= .venv
PROFILE ?= full

.PHONY: setup setup-book book test lint bench clean-book

setup:
	EMO3D_VENV=$(VENV) bash scripts/setup.sh --for test

setup-book:
	EMO3D_VENV=$(VENV) bash scripts/setup.sh --for book

book: setup-book
	$(VENV)/bin/emo3d book --profile $(PROFILE)

test: setup
	$(VENV)/bin/ruff check emo3d_lib tests benchmarks
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

lint:
	$(VENV)/bin/ruff check emo3d_lib tests benchmarks

bench: setup
	for b in benchmarks/bench_*.py; do $(VENV)/bin/python $$b || exit 1; done

clean-book:
	rm -rf book/_build book/executed
