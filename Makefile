# Quartermaster: `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-data test install lint bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)
	@echo "install: .venv ready"

install: $(STAMP)

demo-data: $(STAMP)
	$(BIN)/qm db upgrade
	$(BIN)/qm demo generate --scale $${QM_DEMO_SCALE:-medium} --if-empty

demo: demo-data
	$(BIN)/qm demo serve

# lint-imports checks the import contracts of pyproject.toml (docs/architecture.md): one
# line when they hold; the broken contracts and that line, and a failed target, if not.
IMPORTS_CHECK = out=$$($(BIN)/lint-imports --no-cache 2>&1); rc=$$?; \
	if [ $$rc -ne 0 ]; then echo "$$out" | sed -n '/Broken contracts/,$$p'; fi; \
	echo "lint-imports: $$(echo "$$out" | grep -E '^Contracts: ' || echo "did not run (exit $$rc)")"; \
	exit $$rc

# pytest-xdist: one worker per core (TEST_WORKERS=1 for a serial run); tests sharing an
# expensive fixture stay on one worker (tests/conftest.py, xdist groups)
TEST_WORKERS ?= auto

test: $(STAMP)
	@$(IMPORTS_CHECK)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check qm demo transactional pipelines forecasting dashboards tests bench
	$(BIN)/sqlfluff lint dbt_project/models --processes 2
	@$(IMPORTS_CHECK)

clean:
	rm -rf $(VENV) data/*.sqlite* data/*.duckdb* dbt_project/target
